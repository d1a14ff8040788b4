/* cmd-plan.c - `zonesync plan`: what apply would change, per zone and provider */
#include "cmd.h"
#include "config.h"
#include "deploy.h"
#include "plan.h"
#include "repo.h"

#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"zonesync plan {*} [{format=text|json|markdown}] [{summary} | {no-summary}] [ZONE...]";

int cmd_plan(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *ref = NULL, *format = NULL, *out_path = NULL, *shard = NULL;
	long jobs = 0;
	bool exit_code = false;
	struct zsync_strlist zones = { 0 }, providers = { 0 }, pos = { 0 };
	const struct zsync_opt opts[] = {
		{ 0, "ref", ZSYNC_OPT_STRING, &ref, "REF", "plan this commit (default: [repo] ref)" },
		{ 0, "zone", ZSYNC_OPT_LIST, &zones, "ZONE", "only this zone (repeatable)" },
		{ 0, "provider", ZSYNC_OPT_LIST, &providers, "NAME", "only this provider (repeatable)" },
		{ 0, "shard", ZSYNC_OPT_STRING, &shard, "I/N", "only the zones of shard I of N (a stable split by zone name)" },
		{ 'j', "jobs", ZSYNC_OPT_INT, &jobs, "N", "providers read at once (default: [defaults] jobs)" },
		{ 0, "format", ZSYNC_OPT_STRING, &format, "FORMAT", "text (default), json or markdown" },
		{ 0, "out", ZSYNC_OPT_STRING, &out_path, "FILE", "also save the plan as JSON (for review and apply --plan)" },
		{ 0, "exit-code", ZSYNC_OPT_FLAG, &exit_code, NULL, "exit 2 when changes are pending" },
		{ 0, "summary", ZSYNC_OPT_FLAG, &ctx->summary, NULL, "counts per zone and provider, not each change (automatic on a terminal over 200 changes)" },
		{ 0, "no-summary", ZSYNC_OPT_FLAG, &ctx->no_summary, NULL, "every change, however many" },
		{ 0 },
	};
	struct zsync_config *cfg = NULL;
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_plan *plan = NULL;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	for (size_t i = 0; i < pos.n; i++)
		zsync_strlist_add(&zones, pos.v[i]);
	if (!(cfg = zsync_cmd_config(ctx))) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if ((code = zsync_cmd_run_options(cfg, shard, jobs)))
		goto out;
	if ((code = zsync_cmd_build_plan(ctx, cfg, ref, &zones, &providers, &repo, &tree, &plan)))
		goto out;
	/* the markers say when this checkout is older than what is live: apply would refuse */
	zsync_deploy_check(plan, repo, NULL);
	if ((code = zsync_cmd_print_plan(ctx, plan, format, out_path)))
		goto out;
	if (zsync_plan_invalid(plan))
		code = ZSYNC_EXIT_ERROR;
	else if (zsync_plan_failed(plan))
		code = ZSYNC_EXIT_PARTIAL;
	else if (exit_code && zsync_plan_changes(plan))
		code = ZSYNC_EXIT_CHANGES;
out:
	zsync_plan_free(plan);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	zsync_config_free(cfg);
	zsync_strlist_release(&zones);
	zsync_strlist_release(&providers);
	zsync_strlist_release(&pos);
	return code;
}
