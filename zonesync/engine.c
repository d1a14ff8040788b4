/* engine.c - one bounded work queue: tasks grouped in lanes by key, lanes served in turn */
#include "engine.h"
#include "err.h"
#include "thread.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_WORKERS 64

/* The tasks of one key, in order; a task with key NULL is a lane of its own. */
struct lane {
	size_t *task;        /* indices into the task array */
	size_t n, next, cap;
	long running;
	long limit;          /* at most this many running */
	bool queued;         /* in the ready ring */
};

struct queue {
	const struct zsync_engine_task *tasks;
	struct lane *lanes;
	size_t nlanes;
	size_t *ready;       /* ring of lane indices that can start a task now */
	size_t head, count;
	size_t left;         /* tasks not finished */
	long per_key;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void push_ready(struct queue *q, size_t l)
{
	q->ready[(q->head + q->count++) % q->nlanes] = l;
	q->lanes[l].queued = true;
}

static bool can_start(const struct lane *l)
{
	return l->next < l->n && l->running < l->limit;
}

/* Lanes in the order their first task appears; keys matched through a pointer hash. */
static void build_lanes(struct queue *q, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2)
		cap *= 2;
	size_t *slot = zsync_xmalloc(cap * sizeof(*slot)); /* lane index + 1, 0: empty */
	for (size_t i = 0; i < cap; i++)
		slot[i] = 0;
	q->lanes = zsync_xcalloc(n ? n : 1, sizeof(*q->lanes));
	for (size_t i = 0; i < n; i++) {
		const void *key = q->tasks[i].key;
		struct lane *l = NULL;
		if (key) {
			size_t h = ((uintptr_t)key >> 4) * 0x9E3779B97F4A7C15ull & (cap - 1);
			while (slot[h] && q->tasks[q->lanes[slot[h] - 1].task[0]].key != key)
				h = (h + 1) & (cap - 1);
			if (slot[h])
				l = &q->lanes[slot[h] - 1];
			else
				slot[h] = q->nlanes + 1;
		}
		if (!l) {
			l = &q->lanes[q->nlanes++];
			/* a key's first task sets its limit; a task without a key runs alone anyway */
			l->limit = key && q->tasks[i].limit >= 1 ? q->tasks[i].limit : q->per_key;
		}
		if (l->n == l->cap)
			l->task = zsync_xrealloc(l->task, (l->cap = l->cap * 2 + 1) * sizeof(*l->task));
		l->task[l->n++] = i;
	}
	free(slot);
}

/* Takes the next task that may start (or waits for one); SIZE_MAX when all are done. */
static size_t take(struct queue *q, size_t *lane)
{
	size_t t = SIZE_MAX;
	zsync_lock(&q->lock);
	while (q->count == 0 && q->left > 0)
		zsync_cond_wait(&q->cond, &q->lock);
	if (q->count > 0) {
		size_t l = q->ready[q->head];
		struct lane *ln = &q->lanes[l];
		q->head = (q->head + 1) % q->nlanes;
		q->count--;
		ln->queued = false;
		t = ln->task[ln->next++];
		ln->running++;
		if (can_start(ln))
			push_ready(q, l);
		*lane = l;
	}
	zsync_unlock(&q->lock);
	return t;
}

static void done(struct queue *q, size_t l)
{
	struct lane *ln = &q->lanes[l];
	zsync_lock(&q->lock);
	ln->running--;
	q->left--;
	if (!ln->queued && can_start(ln))
		push_ready(q, l);
	/* a lane became ready, or the last task ended: waiting workers look again */
	zsync_cond_broadcast(&q->cond);
	zsync_unlock(&q->lock);
}

static void *worker(void *arg)
{
	struct queue *q = arg;
	size_t l, t;
	while ((t = take(q, &l)) != SIZE_MAX) {
		q->tasks[t].run(q->tasks[t].arg);
		done(q, l);
	}
	return NULL;
}

void zsync_engine_run(const struct zsync_engine_task *tasks, size_t n, long workers, long per_key)
{
	struct queue q = { .tasks = tasks, .left = n, .per_key = per_key < 1 ? 1 : per_key };
	pthread_t th[MAX_WORKERS];
	size_t nt = workers < 1 ? 1 : (size_t)workers, started = 0, most = 0;

	if (n == 0)
		return;
	if (nt == 1) {
		/* in the given order, on this thread: what one worker would do */
		for (size_t i = 0; i < n; i++)
			tasks[i].run(tasks[i].arg);
		return;
	}
	build_lanes(&q, n);
	q.ready = zsync_xmalloc(q.nlanes * sizeof(*q.ready));
	for (size_t l = 0; l < q.nlanes; l++)
		push_ready(&q, l);
	zsync_mutex_init(&q.lock);
	zsync_cond_init(&q.cond);
	if (nt > MAX_WORKERS)
		nt = MAX_WORKERS;
	/* more workers than the lanes' limits allow could never all have work */
	for (size_t l = 0; l < q.nlanes && most < nt; l++)
		most += (size_t)q.lanes[l].limit;
	if (nt > most)
		nt = most;
	/* the calling thread is one of the nt workers (all of them if no thread can start) */
	while (started + 1 < nt && zsync_thread_start(&th[started], worker, &q))
		started++;
	worker(&q);
	for (size_t i = 0; i < started; i++)
		zsync_thread_join(th[i]);
	zsync_mutex_destroy(&q.lock);
	zsync_cond_destroy(&q.cond);
	for (size_t l = 0; l < q.nlanes; l++)
		free(q.lanes[l].task);
	free(q.lanes);
	free(q.ready);
}
