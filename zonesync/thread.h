/* thread.h - checked pthread calls: a failure is said, never ignored (a join of a thread that was never created is undefined) */
#ifndef ZSYNC_THREAD_H
#define ZSYNC_THREAD_H

#include <pthread.h>
#include <stdbool.h>

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

#endif
