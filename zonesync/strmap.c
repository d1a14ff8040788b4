/* strmap.c - string -> pointer hash map: linear probing, power-of-two capacity */
#include "strmap.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

struct zsync_strmap_slot {
	const char *key; /* NULL: empty */
	void *value;
	uint64_t hash;
};

uint64_t zsync_str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/* FNV's low bits are weak for similar keys ("z000001", "z000002"): mix before masking. */
static size_t slot_of(uint64_t h, size_t mask)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & mask;
}

static struct zsync_strmap_slot *find(const struct zsync_strmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = slot_of(h, mask);; i = (i + 1) & mask) {
		struct zsync_strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
	}
}

void *zsync_strmap_get(const struct zsync_strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	struct zsync_strmap_slot *s = find(m, key, zsync_str_hash(key));
	return s->key ? s->value : NULL;
}

static void grow(struct zsync_strmap *m)
{
	struct zsync_strmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = zsync_xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
	free(old.slots);
}

void zsync_strmap_put(struct zsync_strmap *m, const char *key, void *value)
{
	uint64_t h = zsync_str_hash(key);
	struct zsync_strmap_slot *s;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	s = find(m, key, h);
	if (!s->key)
		m->n++;
	s->key = key;
	s->hash = h;
	s->value = value;
}

void zsync_strmap_release(struct zsync_strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
