/* thread.c - checked pthread calls */
#include "thread.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool zsync_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	int r = pthread_create(th, NULL, fn, arg);

	if (r != 0) {
		fprintf(stderr, "zonesync: warning: cannot start a thread (%s): working with fewer\n",
			strerror(r));
		return false;
	}
	return true;
}

static void fatal(const char *what, int r)
{
	fprintf(stderr, "zonesync: %s failed: %s\n", what, strerror(r));
	abort();
}

void zsync_thread_join(pthread_t th)
{
	int r = pthread_join(th, NULL);
	if (r != 0)
		fatal("pthread_join", r);
}

void zsync_lock(pthread_mutex_t *m)
{
	int r = pthread_mutex_lock(m);
	if (r != 0)
		fatal("pthread_mutex_lock", r);
}

void zsync_unlock(pthread_mutex_t *m)
{
	int r = pthread_mutex_unlock(m);
	if (r != 0)
		fatal("pthread_mutex_unlock", r);
}

void zsync_mutex_init(pthread_mutex_t *m)
{
	int r = pthread_mutex_init(m, NULL);
	if (r != 0)
		fatal("pthread_mutex_init", r);
}

void zsync_mutex_destroy(pthread_mutex_t *m)
{
	int r = pthread_mutex_destroy(m);
	if (r != 0)
		fatal("pthread_mutex_destroy", r);
}

void zsync_cond_init(pthread_cond_t *c)
{
	int r = pthread_cond_init(c, NULL);
	if (r != 0)
		fatal("pthread_cond_init", r);
}

void zsync_cond_destroy(pthread_cond_t *c)
{
	int r = pthread_cond_destroy(c);
	if (r != 0)
		fatal("pthread_cond_destroy", r);
}

void zsync_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	int r = pthread_cond_wait(c, m);
	if (r != 0)
		fatal("pthread_cond_wait", r);
}

bool zsync_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *at)
{
	int r = pthread_cond_timedwait(c, m, at);
	if (r != 0 && r != ETIMEDOUT)
		fatal("pthread_cond_timedwait", r);
	return r == 0;
}

void zsync_cond_broadcast(pthread_cond_t *c)
{
	int r = pthread_cond_broadcast(c);
	if (r != 0)
		fatal("pthread_cond_broadcast", r);
}

void zsync_once(pthread_once_t *once, void (*fn)(void))
{
	int r = pthread_once(once, fn);
	if (r != 0)
		fatal("pthread_once", r);
}

void zsync_handoff_init(struct zsync_handoff *h)
{
	*h = (struct zsync_handoff){ .handed = 0 };
	zsync_mutex_init(&h->mu);
	zsync_cond_init(&h->cv);
}

void zsync_handoff_destroy(struct zsync_handoff *h)
{
	zsync_cond_destroy(&h->cv);
	zsync_mutex_destroy(&h->mu);
}

void zsync_handoff_put(struct zsync_handoff *h, size_t ahead)
{
	zsync_lock(&h->mu);
	h->handed++;
	zsync_cond_broadcast(&h->cv);
	while (h->handed - h->done > ahead)
		zsync_cond_wait(&h->cv, &h->mu);
	zsync_unlock(&h->mu);
}

void zsync_handoff_close(struct zsync_handoff *h)
{
	zsync_lock(&h->mu);
	h->closed = true;
	zsync_cond_broadcast(&h->cv);
	zsync_unlock(&h->mu);
}

void zsync_handoff_drain(struct zsync_handoff *h)
{
	zsync_lock(&h->mu);
	while (h->done != h->handed)
		zsync_cond_wait(&h->cv, &h->mu);
	zsync_unlock(&h->mu);
}

size_t zsync_handoff_take(struct zsync_handoff *h)
{
	size_t next;

	zsync_lock(&h->mu);
	while (h->done == h->handed && !h->closed)
		zsync_cond_wait(&h->cv, &h->mu);
	next = h->done == h->handed ? SIZE_MAX : h->done;
	zsync_unlock(&h->mu);
	return next;
}

void zsync_handoff_done(struct zsync_handoff *h)
{
	zsync_lock(&h->mu);
	h->done++;
	zsync_cond_broadcast(&h->cv);
	zsync_unlock(&h->mu);
}
