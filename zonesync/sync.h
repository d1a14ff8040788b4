/* sync.h - applying a plan: journal every change, push through the providers, record health */
#ifndef ZSYNC_SYNC_H
#define ZSYNC_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plan.h"
#include "repo.h"
#include "state.h"

struct zsync_apply_opts {
	bool force;       /* apply plans over the safety limits */
	bool no_replan;   /* apply --plan: a conflict fails instead of being re-planned */
	long jobs;        /* worker threads; 0: [defaults] jobs */
	bool progress;    /* a progress line on stderr (a terminal) */
	bool allow_older; /* deploy entries whose checkout is older than what is deployed (journalled) */
	bool wait_served; /* apply --verify: providers that can tell wait until a change is served */
	/* asked whether a zone re-read during apply is deployed from a newer commit; NULL:
	 * a marker naming any other commit than the plan's stops that entry */
	struct zsync_repo *repo;
};

struct zsync_apply_totals {
	size_t changed, in_sync, failed, refused, skipped, older;
	size_t changes;   /* RRset changes applied */
};

/*
 * Applies every entry of the plan: each change is journalled `planned` before it is
 * sent and `applied` or `failed` after; provider x zone health is recorded. A failing
 * provider fails only its own entries. Sets entry->result for the matrix.
 */
void zsync_sync_apply(struct zsync_plan *plan, struct zsync_state *st, int64_t run_id,
		      const struct zsync_apply_opts *opts, struct zsync_apply_totals *totals);

/*
 * reconcile: records drift (a pair zonesync had brought to this very commit that serves
 * something else now) in the state before apply repairs it; says so on stderr unless quiet.
 */
void zsync_sync_record_drift(const struct zsync_plan *plan, struct zsync_state *st, int64_t run_id, bool quiet);

/* apply --prune-zones: zones zonesync deployed at a provider that git no longer has there */
struct zsync_prune_opts {
	const struct zsync_strlist *zones, *providers; /* --zone / --provider selections */
	/* never backwards: a zone deployed from a commit this checkout (commit) does not
	 * descend from was added by newer work, not removed from git */
	struct zsync_repo *repo;
	const char *commit;
	bool allow_older;
	bool act;         /* --prune-zones given: delete (else only say what it would) */
	bool dry_run;     /* say what --prune-zones would delete */
	bool quiet;
	long jobs;        /* worker threads; 0: [defaults] jobs */
};

/*
 * Deletes each such zone at its provider on the engine (each provider opened once, at
 * most its `concurrency` zones at a time), journalled like any change (op delete, type
 * ZONE); messages in the order of the state's pairs, "deleted zone ..." lines on out.
 * Unless allow_older, each zone is read first and kept when its deployment marker there
 * does not name an ancestor of commit (zsync_deploy_prune_check: another host may have
 * deployed newer work since this state db saw it); dry_run reads and says, deletes
 * nothing. Returns the number of zone x provider pairs that failed; *deleted and *older
 * (pairs left alone as deployed by newer work) counted.
 */
size_t zsync_sync_prune(const struct zsync_config *cfg, struct zsync_state *st, int64_t run_id,
			const struct zsync_prune_opts *opts, FILE *out, size_t *deleted, size_t *older);

/*
 * Journal truth: the rows of each entry's zone x provider whose outcome was unknown (sent,
 * no answer; or sent by a run that died) are compared with what the provider serves now
 * (the entry's fetched zone): `applied` when it serves the new records, `failed` when it
 * still serves the old ones, with a note saying which run found out; otherwise they stay
 * `unknown`. Called after planning (the next run) and after a re-read.
 */
void zsync_sync_resolve(struct zsync_plan *plan, struct zsync_state *st, int64_t run_id);
void zsync_sync_resolve_entry(struct zsync_state *st, int64_t run_id, const struct zsync_plan_entry *e);

/* The run's results as JSON: {commit, exit_code, results: [{zone, provider, result, changes, error}]}. */
json_t *zsync_sync_json(const struct zsync_plan *plan, int exit_code);

/* Prints the provider x zone result matrix. */
void zsync_sync_print_matrix(const struct zsync_plan *plan, FILE *out, bool color);

/* Prints what each provider was asked (requests per method), for API economy. */
void zsync_sync_print_usage(const struct zsync_plan *plan, FILE *out);

#endif
