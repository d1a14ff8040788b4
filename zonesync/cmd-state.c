/* cmd-state.c - `zonesync state check|prune`: the state database's integrity and history size */
#include "cmd.h"
#include "config.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_line[] =
	"zonesync state check [{quick}]\n"
	"       zonesync state prune {*}";

static int state_check(struct zsync_config *cfg, struct zsync_ctx *ctx, bool quick)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	char verdict[4096];
	int code = ZSYNC_EXIT_OK;

	if (zsync_state_open(&st, cfg->state.path, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		return ZSYNC_EXIT_ERROR;
	}
	if (zsync_state_check(st, !quick, verdict, sizeof(verdict), &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
	} else if (strcmp(verdict, "ok") != 0) {
		fprintf(stderr, "zonesync: state database %s: damaged: %s\n", cfg->state.path, verdict);
		code = ZSYNC_EXIT_ERROR;
	} else if (!ctx->quiet) {
		printf("state database %s: ok (%s, schema version %d)\n", cfg->state.path,
		       quick ? "quick_check" : "integrity_check", zsync_state_version(st));
	}
	zsync_state_close(st);
	return code;
}

static int state_prune(struct zsync_config *cfg, struct zsync_ctx *ctx, long keep_runs,
		       long keep_days, bool dry_run, bool vacuum, const char *wait)
{
	struct zsync_state *st = NULL;
	struct zsync_lock *lock = NULL;
	struct zsync_err err = { 0 };
	struct zsync_prune_result r;
	int code = ZSYNC_EXIT_OK;

	/* it deletes rows: one writer at a time, as for apply */
	if (zsync_state_lock(&lock, cfg->state.path, zsync_cmd_wait_seconds(wait), &err) < 0 ||
	    zsync_state_open(&st, cfg->state.path, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = zsync_cmd_exit_for(err.code);
		goto out;
	}
	if (zsync_state_prune(st, keep_runs, keep_days, dry_run, &r, &err) < 0 ||
	    (vacuum && !dry_run && zsync_state_vacuum(st, &err) < 0)) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if (!ctx->quiet)
		printf("%s %lld run%s and %lld journal row%s (keep_runs = %ld, keep_days = %ld)%s\n",
		       dry_run ? "would prune" : "pruned", (long long)r.runs, r.runs == 1 ? "" : "s",
		       (long long)r.journal_rows, r.journal_rows == 1 ? "" : "s", keep_runs, keep_days,
		       vacuum && !dry_run ? "; file compacted" : "");
out:
	zsync_state_close(st);
	zsync_state_unlock(lock);
	return code;
}

int cmd_state(int argc, char **argv, struct zsync_ctx *ctx)
{
	long keep_runs = -1, keep_days = -1;
	bool quick = false, dry_run = false, vacuum = false;
	const char *wait = NULL;
	const struct zsync_opt opts[] = {
		{ 0, "quick", ZSYNC_OPT_FLAG, &quick, NULL, "check: PRAGMA quick_check instead of the full integrity_check" },
		{ 0, "keep-runs", ZSYNC_OPT_INT, &keep_runs, "N", "prune: keep the newest N runs (default: [state] keep_runs; 0: no limit)" },
		{ 0, "keep-days", ZSYNC_OPT_INT, &keep_days, "D", "prune: keep runs of the last D days (default: [state] keep_days; 0: no limit)" },
		{ 0, "dry-run", ZSYNC_OPT_FLAG, &dry_run, NULL, "prune: say what would go, delete nothing" },
		{ 0, "vacuum", ZSYNC_OPT_FLAG, &vacuum, NULL, "prune: then give the freed space back to the filesystem" },
		{ 0, "wait", ZSYNC_OPT_OPTSTR, &wait, "SECONDS", "prune: queue behind a running zonesync instead of exiting 5" },
		{ 0 },
	};
	struct zsync_strlist pos = { 0 };
	struct zsync_config *cfg = NULL;
	struct stat sb;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	if (pos.n != 1 || (strcmp(pos.v[0], "check") != 0 && strcmp(pos.v[0], "prune") != 0) ||
	    keep_runs < -1 || keep_days < -1) {
		fprintf(stderr, "zonesync: state: %s\nusage: %s\n",
			pos.n != 1 ? "expected check or prune" : keep_runs < -1 || keep_days < -1 ? "--keep-runs and --keep-days are 0 or more" : "unknown subcommand",
			ctx->usage);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	if (!(cfg = zsync_cmd_config(ctx))) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	/* nothing ran yet: nothing to check or prune, and no database to create */
	if (stat(cfg->state.path, &sb) != 0) {
		if (!ctx->quiet)
			printf("no state database yet (%s does not exist)\n", cfg->state.path);
		goto out;
	}
	if (strcmp(pos.v[0], "check") == 0)
		code = state_check(cfg, ctx, quick);
	else
		code = state_prune(cfg, ctx, keep_runs >= 0 ? keep_runs : cfg->state.keep_runs,
				   keep_days >= 0 ? keep_days : cfg->state.keep_days, dry_run, vacuum, wait);
out:
	zsync_config_free(cfg);
	zsync_strlist_release(&pos);
	return code;
}
