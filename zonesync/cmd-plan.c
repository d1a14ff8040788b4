/* cmd-plan.c - `zonesync plan`: what apply would change, per zone and provider */
#include "cmd.h"
#include "config.h"
#include "deploy.h"
#include "plan.h"
#include "repo.h"

#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"zonesync plan [--ref REF] [--zone ZONE]... [--provider NAME]... [--shard I/N] [-j N] [--format text|json|markdown] [--out FILE] [--exit-code] [ZONE...]";

/* Whether provider name serves a zone this run touches (with all_zones: the defaults too). */
static bool provider_used(const struct zsync_config *cfg, const char *name, const struct zsync_strlist *zones)
{
	for (size_t i = 0; i < cfg->nzones; i++) {
		if (!zsync_config_selected(zones, cfg->zones[i].name, true))
			continue;
		for (size_t j = 0; j < cfg->zones[i].providers.n; j++)
			if (!strcmp(cfg->zones[i].providers.v[j], name))
				return true;
	}
	for (size_t j = 0; cfg->repo.all_zones && j < cfg->defaults.providers.n; j++)
		if (!strcmp(cfg->defaults.providers.v[j], name))
			return true;
	return false;
}

int zsync_cmd_check_secrets(const struct zsync_config *cfg, const struct zsync_strlist *zones,
			    const struct zsync_strlist *providers)
{
	int bad = 0;
	for (size_t i = 0; i < cfg->nproviders; i++) {
		const struct zsync_provider_conf *pc = &cfg->providers[i];
		struct zsync_err err = { 0 };
		if (!zsync_config_selected(providers, pc->name, false) || !provider_used(cfg, pc->name, zones))
			continue;
		if (zsync_config_check_secrets(pc, &err) < 0) {
			fprintf(stderr, "zonesync: %s\n", err.msg);
			bad++;
		}
	}
	if (bad)
		fprintf(stderr, "zonesync: %d secret%s could not be resolved: a configuration error; no provider was contacted\n",
			bad, bad == 1 ? "" : "s");
	return bad ? ZSYNC_EXIT_ERROR : 0;
}

int zsync_cmd_build_plan(struct zsync_ctx *ctx, struct zsync_config *cfg, const char *ref,
			 struct zsync_strlist *zones, struct zsync_strlist *providers,
			 struct zsync_repo **repo, struct zsync_tree **tree, struct zsync_plan **plan)
{
	struct zsync_err err = { 0 };
	struct zsync_plan_filter f = { zones, providers };
	int code;

	/* a missing secret is not a provider outage (exit 3, retried): it never heals by itself */
	if ((code = zsync_cmd_check_secrets(cfg, zones, providers)))
		return code;

	if (zsync_cmd_open_repo(repo, NULL, cfg, &err) < 0 ||
	    zsync_repo_tree(tree, *repo, ZSYNC_TREE_COMMIT, ref ? ref : cfg->repo.ref, &err) < 0 ||
	    zsync_plan_build(plan, cfg, *tree, &f, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		return ZSYNC_EXIT_ERROR;
	}
	/* the zones' own problems: errors always, warnings with -v */
	for (size_t i = 0; i < (*plan)->diags.n; i++) {
		const struct zsync_diag *d = &(*plan)->diags.v[i];
		if (d->severity == ZSYNC_SEV_ERROR || ctx->verbose) {
			char line[4096];
			zsync_diag_format(d, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
	}
	return 0;
}

int zsync_cmd_print_plan(struct zsync_ctx *ctx, struct zsync_plan *plan, const char *format,
			 const char *out_path)
{
	if (out_path) {
		json_t *j = zsync_plan_json(plan);
		if (json_dump_file(j, out_path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
			fprintf(stderr, "zonesync: cannot write %s\n", out_path);
			json_decref(j);
			return ZSYNC_EXIT_ERROR;
		}
		json_decref(j);
	}
	if (!format || !strcmp(format, "text")) {
		if (!ctx->quiet)
			zsync_plan_print_text(plan, stdout, ctx->color, ctx->verbose);
	} else if (!strcmp(format, "json")) {
		json_t *j = zsync_plan_json(plan);
		char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(s);
		free(s);
		json_decref(j);
	} else if (!strcmp(format, "markdown")) {
		zsync_plan_print_markdown(plan, stdout);
	} else {
		fprintf(stderr, "zonesync: unknown format '%s' (text, json or markdown)\n", format);
		return ZSYNC_EXIT_USAGE;
	}
	fflush(stdout);
	return 0;
}

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
