/*
 * cmd-verify.c - `zonesync verify`: options, then the verify engine (verify.c) against
 * the configured ref; exit 2 for a mismatch or an unreachable server, the outage case.
 */
#include "cmd.h"
#include "config.h"
#include "repo.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"zonesync verify {*} [{delegation} [{parent}]...] [{format} | {json}] [ZONE...]";

int cmd_verify(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *ref = NULL, *shard = NULL;
	long jobs = 0;
	long timeout = 3000;
	bool json = false, delegation = false, strict = false;
	const char *format = NULL;
	enum zsync_verify_format fmt = ZSYNC_VERIFY_TEXT;
	struct zsync_strlist zones = { 0 }, providers = { 0 }, pos = { 0 }, parents = { 0 };
	const struct zsync_opt opts[] = {
		{ 0, "ref", ZSYNC_OPT_STRING, &ref, "REF", "what the servers should serve (default: [repo] ref)" },
		{ 0, "delegation", ZSYNC_OPT_FLAG, &delegation, NULL, "also ask the parent zone's server for the delegation (NS, DS)" },
		{ 0, "parent", ZSYNC_OPT_LIST, &parents, "SERVER", "the parent zone's nameserver for --delegation (repeatable; default: found from the root hints)" },
		{ 0, "strict", ZSYNC_OPT_FLAG, &strict, NULL, "also report what a server serves beyond git (by AXFR, where allowed)" },
		{ 0, "zone", ZSYNC_OPT_LIST, &zones, "ZONE", "only this zone (repeatable)" },
		{ 0, "provider", ZSYNC_OPT_LIST, &providers, "NAME", "only this provider (repeatable)" },
		{ 0, "timeout", ZSYNC_OPT_INT, &timeout, "MS", "per query, in milliseconds (default 3000)" },
		{ 0, "shard", ZSYNC_OPT_STRING, &shard, "I/N", "only the zones of shard I of N (a stable split by zone name)" },
		{ 'j', "jobs", ZSYNC_OPT_INT, &jobs, "N", "servers asked at once (default 8)" },
		{ 0, "format", ZSYNC_OPT_STRING, &format, "FORMAT", "text (default), json or markdown (for a pull-request comment)" },
		{ 0, "json", ZSYNC_OPT_FLAG, &json, NULL, "the same as --format json" },
		{ 0 },
	};
	struct zsync_config *cfg = NULL;
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
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
	if (json || (format && !strcmp(format, "json")))
		fmt = ZSYNC_VERIFY_JSON;
	else if (format && !strcmp(format, "markdown"))
		fmt = ZSYNC_VERIFY_MARKDOWN;
	else if (format && strcmp(format, "text") != 0) {
		fprintf(stderr, "zonesync: unknown format '%s' (text, json or markdown)\n", format);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	if (zsync_cmd_open_repo(&repo, NULL, cfg, &err) < 0 ||
	    zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, ref ? ref : cfg->repo.ref, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	struct zsync_verify_opts vo = { &zones, &providers, timeout, fmt, strict, delegation ? -1 : 0,
					ctx->quiet, ctx->color, zsync_cmd_progress(ctx) };
	code = zsync_cmd_verify_exit(zsync_verify_run(cfg, tree, &vo));
	if (delegation) {
		/* an error wins, then a mismatch anywhere, then consistent; in JSON or markdown
		 * the delegation report goes to stderr, so standard output stays one document */
		int d = zsync_cmd_verify_exit(zsync_verify_delegation(cfg, tree, &vo, &parents,
								      fmt == ZSYNC_VERIFY_TEXT ? stdout : stderr));
		if (code == ZSYNC_EXIT_ERROR || d == ZSYNC_EXIT_ERROR)
			code = ZSYNC_EXIT_ERROR;
		else if (code == ZSYNC_EXIT_CHANGES || d == ZSYNC_EXIT_CHANGES)
			code = ZSYNC_EXIT_CHANGES;
	}
out:
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	zsync_strlist_release(&parents);
	zsync_config_free(cfg);
	zsync_strlist_release(&zones);
	zsync_strlist_release(&providers);
	zsync_strlist_release(&pos);
	return code;
}
