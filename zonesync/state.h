/* state.h - the sqlite state store: runs, the change journal, provider x zone health, the run lock */
#ifndef ZSYNC_STATE_H
#define ZSYNC_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

#define ZSYNC_STATE_SCHEMA 5

struct zsync_state;
struct zsync_lock;

/*
 * Opens (creating if needed: file 0600, missing parent folder 0700) and migrates the
 * database at path. A file that is not a zonesync state database (another sqlite
 * database, not sqlite at all, corrupt, or from a newer zonesync) is reported and
 * never written to. Free with zsync_state_close().
 */
int zsync_state_open(struct zsync_state **out, const char *path, struct zsync_err *err);
/* For tests of migrations: open but migrate only up to schema version max_version. */
int zsync_state_open_version(struct zsync_state **out, const char *path, int max_version,
			     struct zsync_err *err);
void zsync_state_close(struct zsync_state *st);
int zsync_state_version(struct zsync_state *st);

/*
 * One run at a time per state database: an exclusive flock on "<path>.lock".
 * wait_seconds < 0: fail at once; 0: wait as long as it takes; > 0: wait that long.
 * Busy: ZSYNC_ELOCKED and "locked by pid N since TIME". The kernel drops the lock
 * when the holder dies, so a crash never leaves a stale lock.
 */
int zsync_state_lock(struct zsync_lock **out, const char *path, double wait_seconds,
		     struct zsync_err *err);
void zsync_state_unlock(struct zsync_lock *lock);

/*
 * Marks runs left "running" by a process that died as "interrupted" (call with the
 * lock held). Returns how many. Their rows that were `sent` become `unknown` (they may
 * have arrived; a later read of the provider resolves them); `planned` rows were never sent.
 */
int zsync_state_recover(struct zsync_state *st, struct zsync_err *err);

/* Runs. status: running, ok, partial, refused, failed, interrupted. */
int zsync_state_run_begin(struct zsync_state *st, const char *command, const char *commit,
			  const char *trigger, int64_t *run_id, struct zsync_err *err);
int zsync_state_run_end(struct zsync_state *st, int64_t run_id, const char *status,
			const char *summary, struct zsync_err *err);

/* Journal. op: create, update, delete, allow-older; status: planned, sent, applied, failed, unknown. */
struct zsync_journal_entry {
	const char *zone, *provider, *op, *owner, *type;
	const char *old_rdata, *new_rdata; /* presentation text, one record a line; NULL if none */
	const char *status;                /* the first status; NULL: planned */
};

/*
 * Batches: everything between begin and commit lands together or not at all; commit is
 * durable (and makes any deferred writes durable with it).
 */
int zsync_state_begin(struct zsync_state *st, struct zsync_err *err);
int zsync_state_commit(struct zsync_state *st, struct zsync_err *err);
int zsync_state_rollback(struct zsync_state *st);

/*
 * Deferred writes: between defer_begin and defer_end(ok) the writes form one unit (rolled
 * back unless ok) inside a transaction that stays open, so that many small results (a
 * pair in sync, a change set applied) share one commit and one fsync instead of one each
 * (50,000 zones in sync were 100,000 fsyncs). They become durable at the next commit,
 * every few hundred units, at zsync_state_flush() or on close; a crash before that loses
 * only them, which leaves the journal rows `sent` (in flight) and the next run converges.
 */
int zsync_state_defer_begin(struct zsync_state *st, struct zsync_err *err);
int zsync_state_defer_end(struct zsync_state *st, bool ok, struct zsync_err *err);
int zsync_state_flush(struct zsync_state *st, struct zsync_err *err);

/*
 * The changes of one change set as they are journalled: a JSON array of [op, owner, type,
 * old_rdata, new_rdata], built change by change. Release with zsync_journal_buf_release().
 */
struct zsync_journal_buf {
	char *p;
	size_t len, cap, n; /* n: changes added */
};
void zsync_journal_buf_add(struct zsync_journal_buf *b, const char *op, const char *owner,
			   const char *type, const char *old_rdata, const char *new_rdata);
/* Appends the changes of b to a (texts made apart, in order); b is left as it was. */
void zsync_journal_buf_append(struct zsync_journal_buf *a, const struct zsync_journal_buf *b);
void zsync_journal_buf_release(struct zsync_journal_buf *b);

/*
 * Journals a change set (zone x provider, b's changes) as one row with status (NULL:
 * planned). Its changes get the ids *set_id .. *set_id + b->n - 1, in b's order; the view
 * `journal` has a row for each. No changes: nothing is written and *set_id is 0.
 */
int zsync_state_changeset_add(struct zsync_state *st, int64_t run_id, const char *zone,
			      const char *provider, const struct zsync_journal_buf *b,
			      const char *status, int64_t *set_id, struct zsync_err *err);
/*
 * The outcome of the n changes of set set_id: status and error for all, or, when
 * status_of is given, status_of[i] for change i (then error goes to every change not
 * `applied`).
 */
int zsync_state_changeset_set(struct zsync_state *st, int64_t set_id, size_t n,
			      const char *const *status_of, const char *status, const char *error,
			      struct zsync_err *err);

/* A change set of one change (e); *id gets its change id. */
int zsync_state_journal_add(struct zsync_state *st, int64_t run_id,
			    const struct zsync_journal_entry *e, int64_t *id, struct zsync_err *err);
/* The outcome of one change, by change id (any set's). */
int zsync_state_journal_set(struct zsync_state *st, int64_t id, const char *status,
			    const char *error, struct zsync_err *err);
/* The outcomes of n changes by change id (ids ascending): status[i], error[i] (error may be NULL). */
int zsync_state_journal_set_many(struct zsync_state *st, size_t n, const int64_t *ids,
				 const char *const *status, const char *const *error,
				 struct zsync_err *err);

/* Provider x zone health after an attempt: success resets the failure count. */
int zsync_state_pair_result(struct zsync_state *st, const char *zone, const char *provider,
			    bool ok, const char *commit, const char *error, struct zsync_err *err);
/* Records that drift (changes made outside zonesync) was found: n RRsets differed. */
int zsync_state_pair_drift(struct zsync_state *st, int64_t run_id, const char *zone,
			   const char *provider, const char *details, int n, struct zsync_err *err);

/* Forgets provider x zone (the zone was deleted there: apply --prune-zones). */
int zsync_state_pair_forget(struct zsync_state *st, const char *zone, const char *provider,
			    struct zsync_err *err);
/* The commit last applied to provider x zone (malloc'ed), or NULL when none. */
int zsync_state_pair_commit(struct zsync_state *st, const char *zone, const char *provider,
			    char **commit, struct zsync_err *err);

struct zsync_pair_status {
	const char *zone, *provider, *last_commit, *last_error;
	int64_t last_success, last_error_at, last_checked;
	int consecutive_failures, drift_count;
};

/* Calls fn for each provider x zone known to the database, ordered by zone, provider. */
int zsync_state_pairs(struct zsync_state *st,
		      int (*fn)(void *ctx, const struct zsync_pair_status *p), void *ctx,
		      struct zsync_err *err);

struct zsync_run_info {
	int64_t id, started_at, finished_at;
	const char *command, *commit, *trigger, *status, *summary;
	int changes;
};

struct zsync_change_info {
	int64_t run_id;
	const char *zone, *provider, *op, *owner, *type, *old_rdata, *new_rdata, *status, *error;
	int64_t id;       /* the journal row */
};

/* The last `limit` runs (newest first) touching zone/provider (NULL: any). */
int zsync_state_runs(struct zsync_state *st, int limit, const char *zone, const char *provider,
		     int (*fn)(void *ctx, const struct zsync_run_info *r), void *ctx,
		     struct zsync_err *err);
/* The journal rows of one run, filtered likewise. */
int zsync_state_changes(struct zsync_state *st, int64_t run_id, const char *zone,
			const char *provider,
			int (*fn)(void *ctx, const struct zsync_change_info *c), void *ctx,
			struct zsync_err *err);

struct zsync_drift_info {
	int64_t run_id, seen_at;
	const char *zone, *provider;
	int rrsets;
};

/* Drift recorded at or after since (Unix time), oldest first. */
int zsync_state_drift(struct zsync_state *st, int64_t since,
		      int (*fn)(void *ctx, const struct zsync_drift_info *d), void *ctx,
		      struct zsync_err *err);

/*
 * The integrity of the database file: PRAGMA integrity_check (full) or quick_check,
 * never run on open (it reads the whole file). verdict gets "ok" or the problems found.
 * Returns 0 (the verdict says whether the file is sound) or an error.
 */
int zsync_state_check(struct zsync_state *st, bool full, char *verdict, size_t len,
		      struct zsync_err *err);

/* What zsync_state_prune() removed (or, dry run, would remove). */
struct zsync_prune_result {
	int64_t runs, journal_rows;
};

/*
 * History retention: removes the runs beyond the newest keep_runs, and those that
 * finished more than keep_days ago, with their journal and drift rows (0 turns a limit
 * off). Never the newest run nor a run still going; provider x zone health (status,
 * last deployed commit) is not history and stays. One transaction.
 */
int zsync_state_prune(struct zsync_state *st, long keep_runs, long keep_days, bool dry_run,
		      struct zsync_prune_result *res, struct zsync_err *err);
/* Gives the space of pruned rows back to the filesystem (rewrites the file). */
int zsync_state_vacuum(struct zsync_state *st, struct zsync_err *err);

/* The journal rows of zone x provider whose outcome is unknown, oldest first. */
int zsync_state_unknown(struct zsync_state *st, const char *zone, const char *provider,
			int (*fn)(void *ctx, const struct zsync_change_info *c), void *ctx,
			struct zsync_err *err);
/* How many changes of zone x provider have an unknown outcome (without reading them). */
int zsync_state_unknown_count(struct zsync_state *st, const char *zone, const char *provider,
			      int64_t *n, struct zsync_err *err);

#endif
