/*
 * engine.h - the one work queue every phase runs on (plan's fetch and diff, apply, verify,
 * import): bounded workers, and per-key concurrency limits: one provider instance is called
 * by at most its `concurrency` threads at once (1 unless the provider can take more) while
 * different providers run side by side.
 *
 * Whatever the tasks share must be frozen first (zsync_zone_freeze): complete, sorted and
 * only read from then on.
 */
#ifndef ZSYNC_ENGINE_H
#define ZSYNC_ENGINE_H

#include <stddef.h>

struct zsync_engine_task {
	/*
	 * Tasks with the same non-NULL key (a provider instance) run at most `limit` at a
	 * time and start in the order given; tasks with key NULL are independent of one
	 * another.
	 */
	const void *key;
	void (*run)(void *arg);
	void *arg;
	/* the key's limit, read from its first task; < 1: zsync_engine_run's per_key */
	long limit;
};

/*
 * Runs every task and returns when all have run: on the calling thread alone when
 * workers <= 1, else on at most `workers` threads (at most 64). per_key is the limit of
 * keys whose tasks give none; < 1 means 1.
 */
void zsync_engine_run(const struct zsync_engine_task *tasks, size_t n, long workers, long per_key);

#endif
