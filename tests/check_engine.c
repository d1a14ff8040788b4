/* check_engine.c - the one work queue: every task once, a key's tasks in order and at most its limit side by side, bounded workers */
#include "testutil.h"

#include "engine.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#define NKEYS 5
#define NTASKS 200

struct shared {
	pthread_mutex_t lock;
	int running[NKEYS + 1];   /* per key; [NKEYS]: tasks with key NULL */
	int max_running[NKEYS + 1];
	int total, max_total;
	int last_seq[NKEYS];      /* per key: the sequence number that ran last */
	bool out_of_order;
	long limit[NKEYS];        /* per key: what the tasks said (0: per_key) */
	bool finished[NKEYS][NTASKS + 1]; /* per key and sequence number */
	bool overtaken;           /* a task ran beside more than limit - 1 earlier ones of its key */
};

struct t {
	struct shared *s;
	int key;                  /* NKEYS: NULL */
	int seq;                  /* order within its key */
	int runs;
};

static void nap(void)
{
	struct timespec ts = { 0, 200000 }; /* 0.2 ms: long enough to overlap */
	nanosleep(&ts, NULL);
}

static void run(void *arg)
{
	struct t *t = arg;
	struct shared *s = t->s;
	pthread_mutex_lock(&s->lock);
	t->runs++;
	if (++s->running[t->key] > s->max_running[t->key])
		s->max_running[t->key] = s->running[t->key];
	if (++s->total > s->max_total)
		s->max_total = s->total;
	if (t->key < NKEYS) {
		if (t->seq != s->last_seq[t->key] + 1)
			s->out_of_order = true;
		s->last_seq[t->key] = t->seq;
		/* with limit N, task s is taken after tasks 1..s-1 and only while fewer than N
		 * of them run: at least s - N of them have ended */
		int ended = 0;
		for (int q = 1; q < t->seq; q++)
			ended += s->finished[t->key][q];
		s->overtaken |= ended < t->seq - (s->limit[t->key] ? s->limit[t->key] : 1);
	}
	pthread_mutex_unlock(&s->lock);
	nap();
	pthread_mutex_lock(&s->lock);
	if (t->key < NKEYS)
		s->finished[t->key][t->seq] = true;
	s->running[t->key]--;
	s->total--;
	pthread_mutex_unlock(&s->lock);
}

/* limit: per key, what its tasks say (NULL: nothing, per_key counts) */
static void go(long workers, long per_key, const long *limit, struct shared *s, struct t *ts)
{
	static int keys[NKEYS];
	struct zsync_engine_task tasks[NTASKS];
	int seq[NKEYS] = { 0 };

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	for (int k = 0; k < NKEYS; k++)
		s->limit[k] = limit ? limit[k] : per_key;
	for (int i = 0; i < NTASKS; i++) {
		int k = (i * 7) % (NKEYS + 1); /* keys interleaved, some tasks without a key */
		ts[i] = (struct t){ s, k, k < NKEYS ? ++seq[k] : 0, 0 };
		tasks[i] = (struct zsync_engine_task){ k < NKEYS ? (const void *)&keys[k] : NULL, run, &ts[i],
						       limit && k < NKEYS ? limit[k] : 0 };
	}
	zsync_engine_run(tasks, NTASKS, workers, per_key);
	for (int i = 0; i < NTASKS; i++)
		ck_assert_int_eq(ts[i].runs, 1);
}

START_TEST(test_one_at_a_time_per_key)
{
	struct shared s;
	struct t ts[NTASKS];

	go(4, 1, NULL, &s, ts);
	for (int k = 0; k < NKEYS; k++)
		ck_assert_int_eq(s.max_running[k], 1);
	ck_assert(!s.out_of_order);
	ck_assert(!s.overtaken);
	ck_assert_int_le(s.max_total, 4);
	ck_assert_int_gt(s.max_total, 1); /* it does run side by side */
	ck_assert_int_gt(s.max_running[NKEYS], 1); /* tasks without a key are independent */
}
END_TEST

START_TEST(test_per_key_limit_and_workers)
{
	struct shared s;
	struct t ts[NTASKS];

	go(8, 2, NULL, &s, ts);
	for (int k = 0; k < NKEYS; k++)
		ck_assert_int_le(s.max_running[k], 2);
	ck_assert(!s.overtaken);
	ck_assert_int_le(s.max_total, 8);
	go(1, 1, NULL, &s, ts); /* one worker: the calling thread, in the given order */
	ck_assert_int_eq(s.max_total, 1);
	ck_assert(!s.out_of_order);
	zsync_engine_run(NULL, 0, 4, 1); /* nothing to do */
}
END_TEST

/* a provider's `concurrency`: each key its own limit, never more at once, starts in order */
START_TEST(test_limit_per_key)
{
	static const long limit[NKEYS] = { 3, 1, 2, 0, 4 }; /* 0: per_key (1) */
	struct shared s;
	struct t ts[NTASKS];

	go(8, 1, limit, &s, ts);
	for (int k = 0; k < NKEYS; k++)
		ck_assert_int_le(s.max_running[k], limit[k] ? limit[k] : 1);
	ck_assert_int_eq(s.max_running[1], 1);
	ck_assert_int_eq(s.max_running[3], 1);
	ck_assert_int_gt(s.max_running[0] + s.max_running[2] + s.max_running[4], 3); /* some key ran several */
	ck_assert(!s.overtaken);
	ck_assert_int_le(s.max_total, 8);
	/* fewer workers than the limits add up to: the workers bound it */
	go(2, 1, limit, &s, ts);
	ck_assert_int_le(s.max_total, 2);
	for (int k = 0; k < NKEYS; k++)
		ck_assert_int_le(s.max_running[k], limit[k] ? limit[k] : 1);
	ck_assert(!s.overtaken);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");
	tcase_add_test(tc, test_one_at_a_time_per_key);
	tcase_add_test(tc, test_per_key_limit_and_workers);
	tcase_add_test(tc, test_limit_per_key);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
