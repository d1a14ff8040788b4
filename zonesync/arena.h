/* arena.h - bump allocator: one per loaded zone, everything freed at once */
#ifndef ZSYNC_ARENA_H
#define ZSYNC_ARENA_H

#include <stddef.h>

struct zsync_arena_chunk;

struct zsync_arena {
	struct zsync_arena_chunk *head; /* current chunk; older ones follow ->next */
	size_t used_bytes;              /* bytes handed out (for bytes/record figures) */
	size_t reserved_bytes;          /* bytes obtained from malloc */
};

/* Returns size bytes aligned to align (a power of two); aborts on out of memory. */
void *zsync_arena_alloc(struct zsync_arena *a, size_t size, size_t align);
/*
 * Grows the most recent allocation p from old_size to new_size in place when it is
 * still at the top of the current chunk and fits; returns 0 then, -1 otherwise
 * (the caller allocates anew and copies).
 */
int zsync_arena_extend(struct zsync_arena *a, void *p, size_t old_size, size_t new_size);
/*
 * Zeroed memory for large tables: mmap'ed and, from 2 MiB up, backed by transparent huge
 * pages where the kernel allows (fewer page faults and TLB misses on random access).
 * Free with zsync_big_free() and the same size.
 */
void *zsync_big_calloc(size_t size);
void zsync_big_free(void *p, size_t size);

/* Frees every chunk; the arena can be reused afterwards. */
void zsync_arena_release(struct zsync_arena *a);

#endif
