/* thread.h - checked pthread calls: a failure is said, never ignored (a join of a thread that was never created is undefined) */
#ifndef ZSYNC_THREAD_H
#define ZSYNC_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * Starts fn(arg) on a new thread. False (with a warning on stderr) when the system
 * refuses one: the caller then does the work with the threads it has, or itself.
 */
bool zsync_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);
/* Joins a thread started by zsync_thread_start; a failure aborts (the thread's work is unknown). */
void zsync_thread_join(pthread_t th);
/* Lock and unlock; a failure (a bug: a mutex not initialised, unlocked twice) aborts. */
void zsync_lock(pthread_mutex_t *m);
void zsync_unlock(pthread_mutex_t *m);
/* A default mutex and condition variable; a failure (no memory for one) aborts, as does
 * destroying one that is held or waited on (a bug). */
void zsync_mutex_init(pthread_mutex_t *m);
void zsync_mutex_destroy(pthread_mutex_t *m);
void zsync_cond_init(pthread_cond_t *c);
void zsync_cond_destroy(pthread_cond_t *c);
/* Waits on c with m held (zsync_lock); a failure (a bug: m not held) aborts. */
void zsync_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
/* The same until the CLOCK_REALTIME time at: false when it passed first. */
bool zsync_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *at);
/* Wakes every waiter; a failure (c not initialised) aborts. */
void zsync_cond_broadcast(pthread_cond_t *c);
/* Runs fn once in the process, whichever thread comes first; a failure aborts. */
void zsync_once(pthread_once_t *once, void (*fn)(void));

/*
 * Items handed over in order from one producer thread to one consumer thread, numbered
 * 0, 1, 2 ...: the producer fills item `handed` and puts it; the consumer takes the
 * next, works on it and says it is done. Whatever the producer wrote into an item
 * before zsync_handoff_put is the consumer's to read after zsync_handoff_take, and what
 * the consumer wrote before zsync_handoff_done is the producer's after drain or a join.
 */
struct zsync_handoff {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t handed, done; /* handed: written by the producer only */
	bool closed;
};
void zsync_handoff_init(struct zsync_handoff *h);
void zsync_handoff_destroy(struct zsync_handoff *h);
/* Producer: item h->handed is ready; then waits until at most `ahead` are not done. */
void zsync_handoff_put(struct zsync_handoff *h, size_t ahead);
/* Producer: no item comes after those put. */
void zsync_handoff_close(struct zsync_handoff *h);
/* Producer: waits until every item put is done. */
void zsync_handoff_drain(struct zsync_handoff *h);
/* Consumer: waits for the next item and returns its number; SIZE_MAX once closed and all taken. */
size_t zsync_handoff_take(struct zsync_handoff *h);
/* Consumer: the item taken is done. */
void zsync_handoff_done(struct zsync_handoff *h);

#endif
