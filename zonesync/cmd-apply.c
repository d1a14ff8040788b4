/* cmd-apply.c - `zonesync apply`: plan, then push to every provider, journalled */
#include "cmd.h"
#include "verify.h"
#include "config.h"
#include "deploy.h"
#include "metrics.h"
#include "plan.h"
#include "planfile.h"
#include "provider.h"
#include "repo.h"
#include "state.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* usage templates (zsync_opt_usage): the options come from the tables below */
static const char usage_line[] =
	"zonesync apply [{ref} | {plan} | {fetch}] {*} [{format} | {json}] [{summary} | {no-summary}] [ZONE...]";
static const char reconcile_usage[] =
	"zonesync reconcile {*} [{format} | {json}] [{summary} | {no-summary}]";

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

static int run_apply(int argc, char **argv, struct zsync_ctx *ctx, bool reconcile)
{
	const char *ref = NULL, *wait = NULL, *format = NULL, *metrics = NULL, *plan_file = NULL, *verify = NULL;
	struct zsync_planfile reviewed = { 0 };
	struct timespec t0, t1;
	bool force = false, dry_run = false, json_out = false, prune = false, fetch = false, allow_older = false;
	char fetched[41] = "";
	long jobs = 0;
	const char *shard = NULL;
	struct zsync_strlist zones = { 0 }, providers = { 0 }, pos = { 0 };
	/* apply's own options: reconcile's parser never sees them, nor does its help */
	const struct zsync_opt apply_opts[] = {
		{ 0, "ref", ZSYNC_OPT_STRING, &ref, "REF", "apply this commit (default: [repo] ref)" },
		{ 0, "dry-run", ZSYNC_OPT_FLAG, &dry_run, NULL, "plan only (the same as zonesync plan)" },
		{ 0, "plan", ZSYNC_OPT_STRING, &plan_file, "FILE", "apply only if live state still gives this reviewed plan (from plan --out)" },
		{ 0, "prune-zones", ZSYNC_OPT_FLAG, &prune, NULL, "delete zones zonesync deployed that git no longer has for that provider" },
		{ 0, "fetch", ZSYNC_OPT_FLAG, &fetch, NULL, "fetch [repo] branch from [repo] remote first and apply its head" },
		{ 0, "allow-older", ZSYNC_OPT_FLAG, &allow_older, NULL, "deploy even where a newer commit is deployed (journalled)" },
		{ 0 },
	};
	/* apply's and reconcile's */
	const struct zsync_opt opts[] = {
		{ 0, "zone", ZSYNC_OPT_LIST, &zones, "ZONE", "only this zone (repeatable)" },
		{ 0, "provider", ZSYNC_OPT_LIST, &providers, "NAME", "only this provider (repeatable)" },
		{ 0, "force", ZSYNC_OPT_FLAG, &force, NULL, "apply changes over the safety limits" },
		{ 0, "wait", ZSYNC_OPT_OPTSTR, &wait, "SECONDS", "queue behind a running zonesync instead of exiting 5" },
		{ 0, "format", ZSYNC_OPT_STRING, &format, "FORMAT", "how to print the plan: text (default), json, markdown" },
		{ 'j', "jobs", ZSYNC_OPT_INT, &jobs, "N", "providers worked on at once (default: [defaults] jobs)" },
		{ 0, "shard", ZSYNC_OPT_STRING, &shard, "I/N", "only the zones of shard I of N (a stable split by zone name: one job or host each)" },
		{ 0, "metrics", ZSYNC_OPT_STRING, &metrics, "FILE", "write a Prometheus textfile after the run" },
		{ 0, "json", ZSYNC_OPT_FLAG, &json_out, NULL, "print the run's results as JSON (and nothing else on stdout)" },
		{ 0, "verify", ZSYNC_OPT_OPTSTR, &verify, "SECONDS", "then verify over DNS, waiting up to SECONDS (default 30) for propagation" },
		{ 0, "summary", ZSYNC_OPT_FLAG, &ctx->summary, NULL, "print the plan as counts, not each change (automatic on a terminal over 200 changes)" },
		{ 0, "no-summary", ZSYNC_OPT_FLAG, &ctx->no_summary, NULL, "print every change of the plan, however many" },
		{ 0 },
	};
	const struct zsync_opt *const apply_tables[] = { apply_opts, opts, NULL };
	const struct zsync_opt *const reconcile_tables[] = { opts, NULL };
	struct zsync_config *cfg = NULL;
	struct zsync_repo *repo = NULL, *held = NULL; /* held: see the state db's exclusion below */
	struct zsync_tree *tree = NULL;
	struct zsync_plan *plan = NULL;
	struct zsync_state *st = NULL;
	struct zsync_lock *lock = NULL;
	struct zsync_err err = { 0 };
	struct zsync_apply_totals t = { 0 };
	size_t pruned = 0;
	int64_t run = 0;
	int code = ZSYNC_EXIT_OK;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* an option of apply's given to reconcile: say why reconcile has none of them */
	for (int i = 0; reconcile && i < argc && strcmp(argv[i], "--"); i++)
		for (const struct zsync_opt *o = apply_opts; o->type && !strncmp(argv[i], "--", 2); o++) {
			size_t len = strcspn(argv[i] + 2, "=");
			if (strlen(o->long_name) != len || strncmp(argv[i] + 2, o->long_name, len))
				continue;
			fprintf(stderr, "zonesync: reconcile has no --%s: it always applies [repo] ref (fetched first when [repo] remote is set), never an older commit, and deletes no zone (use apply for --ref, --plan, --dry-run, --prune-zones, --fetch and --allow-older)\n",
				o->long_name);
			code = ZSYNC_EXIT_USAGE;
			goto out;
		}
	if (zsync_cmd_options_tables(ctx, reconcile ? reconcile_usage : usage_line,
				     reconcile ? reconcile_tables : apply_tables, argc, argv, &pos, &code))
		goto out;
	if (fetch && (ref || plan_file)) {
		fprintf(stderr, "zonesync: --fetch applies the fetched branch's head; it goes with neither --ref nor --plan\n");
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	if (plan_file) {
		if (reconcile || ref) {
			fprintf(stderr, "zonesync: --plan applies the reviewed plan's commit; it goes with neither --ref nor reconcile\n");
			code = ZSYNC_EXIT_USAGE;
			goto out;
		}
		if (zsync_planfile_load(&reviewed, plan_file, &err) < 0) {
			fprintf(stderr, "zonesync: %s\n", err.msg);
			code = ZSYNC_EXIT_ERROR;
			goto out;
		}
		ref = reviewed.commit; /* what was reviewed, not whatever the branch says now */
	}
	for (size_t i = 0; i < pos.n; i++)
		zsync_strlist_add(&zones, pos.v[i]);
	if (!(cfg = zsync_cmd_config(ctx))) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if ((code = zsync_cmd_run_options(cfg, shard, jobs)))
		goto out;
	if (!dry_run) {
		if (zsync_state_lock(&lock, cfg->state.path, zsync_cmd_wait_seconds(wait), &err) < 0 ||
		    zsync_state_open(&st, cfg->state.path, &err) < 0) {
			fprintf(stderr, "zonesync: %s\n", err.msg);
			code = zsync_cmd_exit_for(err.code);
			goto out;
		}
		/* a state db kept in the repository must never be committed with it; the
		 * repository stays open until the plan has its own: closing the last one shuts
		 * libgit2 down, and its next start reads the system's CA certificates again
		 * (55 M instructions, 6 % of a 100k-record plan) */
		if (zsync_repo_open(&held, cfg->repo.path, &err) == 0 && zsync_repo_exclude(held, cfg->state.path, &err) < 0)
			fprintf(stderr, "zonesync: warning: %s\n", err.msg);
		memset(&err, 0, sizeof(err));
		int n = zsync_state_recover(st, &err);
		if (n > 0)
			fprintf(stderr, "zonesync: %d earlier run%s ended without finishing; this run re-reads every provider and converges\n",
				n, n == 1 ? "" : "s");
	}
	if (fetch || (reconcile && cfg->repo.remote)) {
		/* what the remote branch says now, not what this checkout last pulled */
		struct zsync_repo *r = NULL;
		if (zsync_repo_open(&r, cfg->repo.path, &err) < 0 ||
		    zsync_deploy_commit(cfg, r, NULL, true, fetched, &err) < 0) {
			fprintf(stderr, "zonesync: %s; nothing deployed\n", err.msg);
			zsync_repo_close(r);
			code = ZSYNC_EXIT_ERROR;
			goto out;
		}
		zsync_repo_close(r);
		ref = fetched;
	}
	if ((code = zsync_cmd_build_plan(ctx, cfg, ref, &zones, &providers, &repo, &tree, &plan)))
		goto out;
	zsync_repo_close(held);
	held = NULL;
	zsync_deploy_check(plan, repo, st);
	/* reconcile runs from cron: it prints only what is wrong unless asked */
	if ((!reconcile || ctx->verbose) && !json_out && (code = zsync_cmd_print_plan(ctx, plan, format, NULL)))
		goto out;
	if (reviewed.doc) {
		/* exactly what was reviewed, or nothing: recomputed now, compared record for record */
		char *why = zsync_plan_compare(plan, reviewed.doc);
		if (why) {
			fprintf(stderr, "zonesync: %s: not the plan that runs now (live state moved, or the file was changed); nothing applied:\n  %s\n  (run zonesync plan again and review it)\n",
				plan_file, why);
			free(why);
			code = ZSYNC_EXIT_ERROR;
			goto out;
		}
	}
	struct zsync_prune_opts po = { .zones = &zones, .providers = &providers, .repo = repo,
				       .commit = plan->commit, .allow_older = allow_older, .act = prune,
				       .quiet = ctx->quiet, .jobs = jobs };
	size_t prune_older = 0; /* zones left alone: deployed by newer work */
	if (dry_run) {
		code = zsync_plan_invalid(plan) ? ZSYNC_EXIT_ERROR
			: zsync_plan_failed(plan) ? ZSYNC_EXIT_PARTIAL : ZSYNC_EXIT_OK;
		if (prune && zsync_state_open(&st, cfg->state.path, &err) == 0)
		{
			po.dry_run = true;
			zsync_sync_prune(cfg, st, 0, &po, stderr, &pruned, &prune_older);
		}
		goto out;
	}
	if (zsync_state_run_begin(st, reconcile ? "reconcile" : "apply", plan->commit,
				  ctx->trigger ? ctx->trigger
				  : reconcile && !getenv("ZONESYNC_TRIGGER") ? "cron" : zsync_cmd_trigger(), &run, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	/* what earlier runs could not know (a send without an answer), the fresh reads tell */
	zsync_sync_resolve(plan, st, run);
	if (reconcile)
		zsync_sync_record_drift(plan, st, run, ctx->quiet);
	zsync_sync_apply(plan, st, run, &(struct zsync_apply_opts){ .force = force, .jobs = jobs,
								   .no_replan = reviewed.doc != NULL,
								   .allow_older = allow_older, .repo = repo,
								   .wait_served = verify != NULL,
								   .progress = zsync_cmd_progress(ctx) }, &t);
	if (!json_out && (!ctx->quiet || t.failed || t.refused))
		zsync_sync_print_matrix(plan, stdout, ctx->color);
	code = zsync_cmd_apply_exit(&t);
	if (zsync_plan_invalid(plan) && code == ZSYNC_EXIT_OK)
		code = ZSYNC_EXIT_ERROR;
	if (!reconcile && zsync_plan_invalid(plan)) {
		if (prune)
			fprintf(stderr, "zonesync: --prune-zones: nothing deleted while a zone or the configuration has errors\n");
	} else if (!reconcile && zsync_sync_prune(cfg, st, run, &po, json_out ? stderr : stdout, &pruned, &prune_older) &&
		   code == ZSYNC_EXIT_OK) {
		code = ZSYNC_EXIT_PARTIAL;
	}
	if (prune_older && (code == ZSYNC_EXIT_OK || code == ZSYNC_EXIT_PARTIAL || code == ZSYNC_EXIT_REFUSED))
		code = ZSYNC_EXIT_OLDER;
	{
		char summary[256], zones_deleted[64] = "";
		if (pruned)
			snprintf(zones_deleted, sizeof(zones_deleted), "; %zu zone%s deleted", pruned, pruned == 1 ? "" : "s");
		char older[64] = "";
		if (t.older)
			snprintf(older, sizeof(older), ", %zu older than deployed", t.older);
		snprintf(summary, sizeof(summary), "%zu change%s applied; %zu changed, %zu in sync, %zu failed, %zu refused%s, %zu skipped%s",
			 t.changes, t.changes == 1 ? "" : "s", t.changed, t.in_sync, t.failed, t.refused, older, t.skipped,
			 zones_deleted);
		if (json_out) {
			json_t *j = zsync_sync_json(plan, code);
			json_object_set_new(j, "run_id", json_integer(run));
			json_object_set_new(j, "summary", json_string(summary));
			char *s = json_dumps(j, JSON_INDENT(2));
			puts(s);
			free(s);
			json_decref(j);
		} else if (!ctx->quiet) {
			printf("%s\n", summary);
			zsync_sync_print_usage(plan, stdout);
		}
		if (zsync_state_run_end(st, run,
					code == ZSYNC_EXIT_OK ? "ok" : code == ZSYNC_EXIT_PARTIAL ? "partial"
					: code == ZSYNC_EXIT_REFUSED || code == ZSYNC_EXIT_OLDER ? "refused" : "failed",
					summary, &err) < 0)
			fprintf(stderr, "zonesync: warning: %s\n", err.msg);
		zsync_err_clear(&err);
		/* retention as the run ends: a no-op apply must not slow down with history */
		struct zsync_prune_result pr;
		if (zsync_state_prune(st, cfg->state.keep_runs, cfg->state.keep_days, false, &pr, &err) < 0)
			fprintf(stderr, "zonesync: warning: %s\n", err.msg);
		else if (pr.runs && ctx->verbose)
			fprintf(stderr, "zonesync: history: pruned %lld run%s (%lld journal rows) beyond [state] keep_runs = %ld / keep_days = %ld\n",
				(long long)pr.runs, pr.runs == 1 ? "" : "s", (long long)pr.journal_rows,
				cfg->state.keep_runs, cfg->state.keep_days);
		if (ctx->on_run)
			ctx->on_run(ctx->on_run_arg, plan, run, code);
	}
	if (verify && code == ZSYNC_EXIT_OK && !json_out) {
		/* what was pushed must be what every provider's nameservers answer; secondaries
		 * and caches get a bounded time to catch up */
		double w = *verify ? atof(verify) : 30;
		struct zsync_verify_opts vo = { &zones, &providers, 3000, ZSYNC_VERIFY_TEXT, false, w > 0 ? w : 30,
						ctx->quiet, ctx->color, zsync_cmd_progress(ctx) };
		/* the tree the plan was made from: plan->commit */
		code = zsync_cmd_verify_exit(zsync_verify_run(cfg, tree, &vo));
	}
	if (metrics && st) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (zsync_metrics_write(metrics, st, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, code) < 0)
			fprintf(stderr, "zonesync: cannot write metrics to %s\n", metrics);
	}
out:
	zsync_planfile_release(&reviewed);
	zsync_plan_free(plan);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	zsync_repo_close(held);
	zsync_state_close(st);
	zsync_state_unlock(lock);
	zsync_config_free(cfg);
	zsync_strlist_release(&zones);
	zsync_strlist_release(&providers);
	zsync_strlist_release(&pos);
	return code;
}

int cmd_apply(int argc, char **argv, struct zsync_ctx *ctx)
{
	return run_apply(argc, argv, ctx, false);
}

int cmd_reconcile(int argc, char **argv, struct zsync_ctx *ctx)
{
	return run_apply(argc, argv, ctx, true);
}
