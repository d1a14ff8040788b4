/* cmd-apply.c - `zonesync apply`: plan, then push to every provider, journalled */
#include "cmd.h"
#include "config.h"
#include "plan.h"
#include "repo.h"
#include "state.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"zonesync apply [--ref REF] [--zone ZONE]... [--provider NAME]... [--force] [--dry-run] [--wait[=SECONDS]] [ZONE...]";

/* --wait: "" waits as long as it takes; --wait=N at most N seconds; absent: fail at once */
double zsync_cmd_wait_seconds(const char *wait)
{
	if (!wait)
		return -1;
	if (!*wait)
		return 0;
	double s = atof(wait);
	return s > 0 ? s : 0.001;
}

const char *zsync_cmd_trigger(void)
{
	const char *t = getenv("ZONESYNC_TRIGGER");
	if (t && *t)
		return t;
	return getenv("CI") ? "ci" : "cli";
}

int cmd_apply(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *ref = NULL, *wait = NULL, *format = NULL;
	bool force = false, dry_run = false;
	struct zsync_strlist zones = { 0 }, providers = { 0 }, pos = { 0 };
	const struct zsync_opt opts[] = {
		{ 0, "ref", ZSYNC_OPT_STRING, &ref, "REF", "apply this commit (default: [repo] ref)" },
		{ 0, "zone", ZSYNC_OPT_LIST, &zones, "ZONE", "only this zone (repeatable)" },
		{ 0, "provider", ZSYNC_OPT_LIST, &providers, "NAME", "only this provider (repeatable)" },
		{ 0, "force", ZSYNC_OPT_FLAG, &force, NULL, "apply changes over the safety limits" },
		{ 0, "dry-run", ZSYNC_OPT_FLAG, &dry_run, NULL, "plan only (the same as zonesync plan)" },
		{ 0, "wait", ZSYNC_OPT_OPTSTR, &wait, "SECONDS", "queue behind a running zonesync instead of exiting 5" },
		{ 0, "format", ZSYNC_OPT_STRING, &format, "FORMAT", "how to print the plan: text (default), json, markdown" },
		{ 0 },
	};
	struct zsync_config *cfg = NULL;
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_plan *plan = NULL;
	struct zsync_state *st = NULL;
	struct zsync_lock *lock = NULL;
	struct zsync_err err = { 0 };
	struct zsync_apply_totals t = { 0 };
	int64_t run = 0;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	for (size_t i = 0; i < pos.n; i++)
		zsync_strlist_add(&zones, pos.v[i]);
	if (!(cfg = zsync_cmd_config(ctx))) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if (!dry_run) {
		if (zsync_state_lock(&lock, cfg->state.path, zsync_cmd_wait_seconds(wait), &err) < 0 ||
		    zsync_state_open(&st, cfg->state.path, &err) < 0) {
			fprintf(stderr, "zonesync: %s\n", err.msg);
			code = zsync_cmd_exit_for(err.code);
			goto out;
		}
		int n = zsync_state_recover(st, &err);
		if (n > 0)
			fprintf(stderr, "zonesync: %d earlier run%s ended without finishing; this run re-reads every provider and converges\n",
				n, n == 1 ? "" : "s");
	}
	if ((code = zsync_cmd_build_plan(ctx, cfg, ref, &zones, &providers, &repo, &tree, &plan)))
		goto out;
	if ((code = zsync_cmd_print_plan(ctx, plan, format, NULL)))
		goto out;
	if (dry_run) {
		code = zsync_plan_invalid(plan) ? ZSYNC_EXIT_ERROR
			: zsync_plan_failed(plan) ? ZSYNC_EXIT_PARTIAL : ZSYNC_EXIT_OK;
		goto out;
	}
	if (zsync_state_run_begin(st, "apply", plan->commit, zsync_cmd_trigger(), &run, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	zsync_sync_apply(plan, st, run, &(struct zsync_apply_opts){ .force = force }, &t);
	if (!ctx->quiet || t.failed || t.refused)
		zsync_sync_print_matrix(plan, stdout, ctx->color);
	code = zsync_sync_exit_code(&t);
	if (zsync_plan_invalid(plan) && code == ZSYNC_EXIT_OK)
		code = ZSYNC_EXIT_ERROR;
	{
		char summary[256];
		snprintf(summary, sizeof(summary), "%zu change%s applied; %zu changed, %zu in sync, %zu failed, %zu refused, %zu skipped",
			 t.changes, t.changes == 1 ? "" : "s", t.changed, t.in_sync, t.failed, t.refused, t.skipped);
		if (!ctx->quiet) {
			printf("%s\n", summary);
			zsync_sync_print_usage(plan, stdout);
		}
		zsync_state_run_end(st, run,
				    code == ZSYNC_EXIT_OK ? "ok" : code == ZSYNC_EXIT_PARTIAL ? "partial"
					: code == ZSYNC_EXIT_REFUSED ? "refused" : "failed",
				    summary, &err);
	}
out:
	zsync_plan_free(plan);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	zsync_state_close(st);
	zsync_state_unlock(lock);
	zsync_config_free(cfg);
	zsync_strlist_release(&zones);
	zsync_strlist_release(&providers);
	zsync_strlist_release(&pos);
	return code;
}
