/* strmap.h - string -> pointer hash map (open addressing) for name lookups at scale */
#ifndef ZSYNC_STRMAP_H
#define ZSYNC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Keys are borrowed, not copied: each must outlive the map (or its entry). Zero-initialise;
 * release with zsync_strmap_release(). Not thread-safe.
 */
struct zsync_strmap {
	struct zsync_strmap_slot *slots;
	size_t cap, n;
};

/* The value stored for key, or NULL. */
void *zsync_strmap_get(const struct zsync_strmap *m, const char *key);
/* Sets key to value (replacing an earlier value); value must not be NULL. */
void zsync_strmap_put(struct zsync_strmap *m, const char *key, void *value);
void zsync_strmap_release(struct zsync_strmap *m);

/* 64-bit FNV-1a of a NUL-terminated string: stable across runs and builds. */
uint64_t zsync_str_hash(const char *s);

#endif
