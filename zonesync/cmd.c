/* cmd.c - what the commands share: option parsing with --help, config loading, output helpers */
#include "cmd.h"
#include "config.h"
#include "plan.h"
#include "repo.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int zsync_cmd_options_tables(struct zsync_ctx *ctx, const char *usage_line,
			     const struct zsync_opt *const *opts, int argc, char **argv,
			     struct zsync_strlist *positional, int *exit_code)
{
	const struct zsync_opt *tables[8];
	struct zsync_err err = { 0 };
	size_t n = 0;

	for (; *opts && n < 6; opts++)
		tables[n++] = *opts;
	tables[n] = NULL; /* the usage line shows the command's own options */
	zsync_opt_usage(ctx->usage, sizeof(ctx->usage), usage_line, tables);
	tables[n++] = ctx->global_opts;
	tables[n] = NULL;
	if (zsync_opt_parse(tables, argc, argv, positional, &err) < 0) {
		fprintf(stderr, "zonesync: %s\nusage: %s\n", err.msg, ctx->usage);
		*exit_code = ZSYNC_EXIT_USAGE;
		return 1;
	}
	ctx->color = !ctx->no_color && !getenv("NO_COLOR") && isatty(STDOUT_FILENO);
	if (ctx->help) {
		/* the option list is the parser's own tables: help cannot offer what is refused */
		printf("usage: %s\n\nOptions:\n", ctx->usage);
		for (size_t i = 0; i + 1 < n; i++)
			zsync_opt_print(stdout, tables[i]);
		printf("\nGlobal options:\n");
		zsync_opt_print(stdout, ctx->global_opts);
		*exit_code = ZSYNC_EXIT_OK;
		return 1;
	}
	return 0;
}

int zsync_cmd_options(struct zsync_ctx *ctx, const char *usage_line, const struct zsync_opt *opts,
		      int argc, char **argv, struct zsync_strlist *positional, int *exit_code)
{
	const struct zsync_opt *const tables[] = { opts, NULL };

	return zsync_cmd_options_tables(ctx, usage_line, tables, argc, argv, positional, exit_code);
}

const char *zsync_paint(const struct zsync_ctx *ctx, const char *sgr, const char *s)
{
	return zsync_sgr(ctx->color, sgr, s);
}

struct zsync_config *zsync_cmd_config(const struct zsync_ctx *ctx)
{
	bool explicit_cfg;
	const char *path = zsync_config_locate(ctx->config_path, &explicit_cfg);
	struct zsync_diags diags = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_config *cfg;
	struct stat st;

	if (ctx->config_text) {
		cfg = zsync_config_parse(path, ctx->config_text, ctx->config_len, &diags, &err);
	} else if (!explicit_cfg && stat(path, &st) != 0) {
		fprintf(stderr, "zonesync: no configuration found (looked for ./zonesync.toml; "
				"use -c FILE or set ZONESYNC_CONFIG)\n");
		return NULL;
	} else {
		cfg = zsync_config_load(path, &diags, &err);
	}
	for (size_t i = 0; i < diags.n; i++) {
		char line[2048];
		zsync_diag_format(&diags.v[i], line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	/* one message per problem: err only sums up the findings printed above */
	if (!cfg && diags.errors == 0)
		fprintf(stderr, "zonesync: %s\n", err.msg);
	zsync_diags_release(&diags);
	return cfg;
}

/* [defaults] lint_disable, then the zone's own */
static bool lint_off(const void *arg, const char *origin, const char *rule)
{
	const struct zsync_config *cfg = arg;
	const struct zsync_zone_conf *z = zsync_config_zone(cfg, origin);

	for (size_t i = 0; i < cfg->defaults.lint_disable.n; i++)
		if (!strcmp(cfg->defaults.lint_disable.v[i], rule))
			return true;
	for (size_t i = 0; z && i < z->lint_disable.n; i++)
		if (!strcmp(z->lint_disable.v[i], rule))
			return true;
	return false;
}

int zsync_cmd_open_repo(struct zsync_repo **out, const char *path,
			const struct zsync_config *cfg, struct zsync_err *err)
{
	int r = zsync_repo_open(out, path ? path : cfg->repo.path, err);

	if (r == 0 && cfg) {
		zsync_repo_set_include_budget(*out, cfg->repo.max_include_files,
					      cfg->repo.max_include_bytes);
		zsync_repo_set_lint_off(*out, lint_off, cfg);
	}
	return r;
}

int zsync_cmd_exit_for(int code)
{
	/* the error table says; 0 here means something failed without a code */
	return code < 0 ? zsync_error_exit(code) : ZSYNC_EXIT_ERROR;
}

int zsync_cmd_verify_exit(int outcome)
{
	switch (outcome) {
	case 0: return ZSYNC_EXIT_OK;
	case 2: return ZSYNC_EXIT_CHANGES;
	default: return ZSYNC_EXIT_ERROR;
	}
}

const char *zsync_cmd_time(long long t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

int zsync_cmd_run_options(struct zsync_config *cfg, const char *shard, long jobs)
{
	struct zsync_err err = { 0 };
	if (zsync_config_run_options(cfg, shard, jobs, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		return ZSYNC_EXIT_USAGE;
	}
	return 0;
}

/* The plan helpers of plan, apply and reconcile (one place, so no command calls another). */
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

bool zsync_cmd_progress(const struct zsync_ctx *ctx)
{
	const char *ci = getenv("CI");
	bool in_ci = ci && *ci && strcmp(ci, "false") != 0 && strcmp(ci, "0") != 0;

	return !ctx->quiet && !in_ci && isatty(STDERR_FILENO);
}

int zsync_cmd_build_plan(struct zsync_ctx *ctx, struct zsync_config *cfg, const char *ref,
			 struct zsync_strlist *zones, struct zsync_strlist *providers,
			 struct zsync_repo **repo, struct zsync_tree **tree, struct zsync_plan **plan)
{
	struct zsync_err err = { 0 };
	/* warnings are shown with -v only: without it lint need not look for them */
	struct zsync_plan_filter f = { zones, providers, .progress = zsync_cmd_progress(ctx),
				       .errors_only = !ctx->verbose };
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
		/* a big plan on a terminal: the summary; the full list goes to --out, or --no-summary */
		bool summary = ctx->summary ||
			       (!ctx->no_summary && isatty(STDOUT_FILENO) &&
				zsync_plan_changes(plan) > ZSYNC_PLAN_SUMMARY_AUTO);
		if (!ctx->quiet && summary) {
			zsync_plan_print_summary(plan, stdout, ctx->color);
			if (!ctx->summary)
				printf("(a summary of %zu changes: --no-summary prints every one%s%s)\n",
				       zsync_plan_changes(plan), out_path ? "; all of them are in " : ", --out FILE saves them",
				       out_path ? out_path : "");
		} else if (!ctx->quiet)
			zsync_plan_print_text(plan, stdout, ctx->color, ctx->verbose);
		else /* "only problems": every one of them */
			zsync_plan_print_problems(plan, stdout, ctx->color);
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

int zsync_cmd_apply_exit(const struct zsync_apply_totals *t)
{
	if (t->older)
		return ZSYNC_EXIT_OLDER;
	if (t->failed)
		return ZSYNC_EXIT_PARTIAL;
	if (t->refused)
		return ZSYNC_EXIT_REFUSED;
	return ZSYNC_EXIT_OK;
}
