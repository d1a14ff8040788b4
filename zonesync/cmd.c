/* cmd.c - what the commands share: option parsing with --help, config loading, output helpers */
#include "cmd.h"
#include "config.h"
#include "repo.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int zsync_cmd_options(struct zsync_ctx *ctx, const char *usage_line, const struct zsync_opt *opts,
		      int argc, char **argv, struct zsync_strlist *positional, int *exit_code)
{
	const struct zsync_opt *const tables[] = { opts, ctx->global_opts, NULL };
	struct zsync_err err = { 0 };

	if (zsync_opt_parse(tables, argc, argv, positional, &err) < 0) {
		fprintf(stderr, "zonesync: %s\nusage: %s\n", err.msg, usage_line);
		*exit_code = ZSYNC_EXIT_USAGE;
		return 1;
	}
	ctx->color = !ctx->no_color && !getenv("NO_COLOR") && isatty(STDOUT_FILENO);
	if (ctx->help) {
		printf("usage: %s\n\nOptions:\n", usage_line);
		zsync_opt_print(stdout, opts);
		printf("\nGlobal options:\n");
		zsync_opt_print(stdout, ctx->global_opts);
		*exit_code = ZSYNC_EXIT_OK;
		return 1;
	}
	return 0;
}

const char *zsync_paint(const struct zsync_ctx *ctx, const char *sgr, const char *s)
{
	static __thread char bufs[4][256];
	static __thread int next;
	char *b;

	if (!ctx->color)
		return s;
	b = bufs[next++ & 3];
	snprintf(b, sizeof(bufs[0]), "\033[%sm%s\033[0m", sgr, s);
	return b;
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

int zsync_cmd_open_repo(struct zsync_repo **out, const char *path,
			const struct zsync_config *cfg, struct zsync_err *err)
{
	int r = zsync_repo_open(out, path ? path : cfg->repo.path, err);

	if (r == 0 && cfg)
		zsync_repo_set_include_budget(*out, cfg->repo.max_include_files,
					      cfg->repo.max_include_bytes);
	return r;
}

int zsync_cmd_exit_for(int code)
{
	/* the error table says; 0 here means something failed without a code */
	return code < 0 ? zsync_error_exit(code) : ZSYNC_EXIT_ERROR;
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
