/* cmd-delegation.c - `zonesync delegation ZONE`: the NS (and DS) set the parent must hold, for a registrar */
#include "cmd.h"
#include "config.h"
#include "delegation.h"
#include "lint.h"
#include "repo.h"

#include <stdlib.h>
#include <string.h>

static const char usage_line[] = "zonesync delegation {*} ZONE...";

int cmd_delegation(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *ref = NULL;
	long timeout = 3000;
	bool json = false;
	struct zsync_strlist pos = { 0 };
	const struct zsync_opt opts[] = {
		{ 0, "ref", ZSYNC_OPT_STRING, &ref, "REF", "the zones of this commit (default: [repo] ref)" },
		{ 0, "timeout", ZSYNC_OPT_INT, &timeout, "MS", "per DNSKEY query, in milliseconds (default 3000)" },
		{ 0, "json", ZSYNC_OPT_FLAG, &json, NULL, "one JSON object per zone, in an array" },
		{ 0 },
	};
	struct zsync_config *cfg = NULL;
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
	json_t *all = NULL;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	if (pos.n == 0) {
		fprintf(stderr, "usage: %s\n", ctx->usage);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	if (!(cfg = zsync_cmd_config(ctx))) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if (zsync_cmd_open_repo(&repo, NULL, cfg, &err) < 0 ||
	    zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, ref ? ref : cfg->repo.ref, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	all = json_array();
	for (size_t i = 0; i < pos.n; i++) {
		const struct zsync_zone_conf *zc = zsync_config_zone(cfg, pos.v[i]);
		struct zsync_diags diags = { 0 };
		struct zsync_zone *z = NULL;
		struct zsync_delegation d;
		if (!zc) {
			fprintf(stderr, "zonesync: no configured zone '%s' in %s\n", pos.v[i], cfg->path);
			code = ZSYNC_EXIT_ERROR;
			continue;
		}
		if (zsync_lint_load(&z, tree, zc->file, zc->name, &diags, &err) < 0) {
			for (size_t k = 0; k < diags.n; k++)
				if (diags.v[k].severity == ZSYNC_SEV_ERROR) {
					char line[4096];
					zsync_diag_format(&diags.v[k], line, sizeof(line));
					fprintf(stderr, "%s\n", line);
				}
			if (err.code)
				fprintf(stderr, "zonesync: %s\n", err.msg);
			fprintf(stderr, "zonesync: zone '%s' has errors in %s\n", zc->name, zsync_tree_describe(tree));
			zsync_zone_free(z);
			zsync_diags_release(&diags);
			code = ZSYNC_EXIT_ERROR;
			continue;
		}
		zsync_delegation_build(cfg, zc, z, timeout, &d);
		for (size_t k = 0; k < d.warnings.n && !ctx->quiet; k++)
			fprintf(stderr, "zonesync: warning: zone '%s': %s\n", zc->name, d.warnings.v[k]);
		if (json)
			json_array_append_new(all, zsync_delegation_json(&d));
		else
			zsync_delegation_print(&d, stdout);
		zsync_delegation_release(&d);
		zsync_zone_free(z);
		zsync_diags_release(&diags);
	}
	if (json) {
		char *s = json_dumps(all, JSON_INDENT(2));
		puts(s);
		free(s);
	}
out:
	json_decref(all);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	zsync_config_free(cfg);
	zsync_strlist_release(&pos);
	return code;
}
