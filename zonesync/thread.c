/* thread.c - checked pthread calls */
#include "thread.h"

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
