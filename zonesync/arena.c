/* arena.c - bump allocator with geometrically growing chunks */
#include "arena.h"
#include "err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

struct zsync_arena_chunk {
	struct zsync_arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

/* small: a 20-RRset zone needs about 1 KiB, and a hosting repository holds 50,000 of them */
#define CHUNK_MIN (1024 - 32)
#define HUGE_PAGE (2 * 1024 * 1024)

void *zsync_big_calloc(size_t size)
{
	void *p;

	if (size < HUGE_PAGE)
		return zsync_xcalloc(1, size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fputs("zonesync: out of memory\n", stderr);
		abort();
	}
	madvise(p, size, MADV_HUGEPAGE); /* a hint: without THP it is plain memory */
	return p;
}

void zsync_big_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size < HUGE_PAGE)
		free(p);
	else
		munmap(p, size);
}
#define CHUNK_MAX (2 * 1024 * 1024 - 64)

void *zsync_arena_alloc(struct zsync_arena *a, size_t size, size_t align)
{
	struct zsync_arena_chunk *c = a->head;
	size_t off;

	if (c) {
		off = (c->used + align - 1) & ~(align - 1);
		if (off + size <= c->size) {
			a->used_bytes += off - c->used + size;
			c->used = off + size;
			return c->data + off;
		}
	}
	/* chunks double up to CHUNK_MAX so small zones stay small and big ones take few mallocs */
	size_t csize = c ? c->size * 2 : CHUNK_MIN;
	if (csize > CHUNK_MAX)
		csize = CHUNK_MAX;
	if (csize < size + align)
		csize = size + align;
	c = csize + sizeof(*c) >= HUGE_PAGE ? zsync_big_calloc(sizeof(*c) + csize)
					    : zsync_xmalloc(sizeof(*c) + csize);
	c->next = a->head;
	c->size = csize;
	c->used = size;
	a->head = c;
	a->used_bytes += size;
	a->reserved_bytes += sizeof(*c) + csize;
	return c->data;
}

int zsync_arena_extend(struct zsync_arena *a, void *p, size_t old_size, size_t new_size)
{
	struct zsync_arena_chunk *c = a->head;

	if (!c || (unsigned char *)p + old_size != c->data + c->used)
		return -1;
	if ((size_t)((unsigned char *)p - c->data) + new_size > c->size)
		return -1;
	c->used += new_size - old_size;
	a->used_bytes += new_size - old_size;
	return 0;
}

void zsync_arena_release(struct zsync_arena *a)
{
	struct zsync_arena_chunk *c = a->head;
	while (c) {
		struct zsync_arena_chunk *n = c->next;
		zsync_big_free(c, sizeof(*c) + c->size);
		c = n;
	}
	a->head = NULL;
	a->used_bytes = a->reserved_bytes = 0;
}
