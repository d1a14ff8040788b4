/* cmd-diff.c - `zonesync diff A B`: record-level difference between two commits, no provider contacted */
#include "cmd.h"
#include "config.h"
#include "diff.h"
#include "lint.h"
#include "plan.h"
#include "repo.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_line[] = "zonesync diff {*} FROM TO [ZONE...]";

/* Loads a zone if the file exists in the tree; *present says whether it did. */
static struct zsync_zone *load(struct zsync_tree *t, const char *file, const char *origin,
			       bool *present, bool *invalid, struct zsync_diags *d)
{
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };
	struct zsync_file f;

	*invalid = false;
	*present = zsync_tree_file(t, file, &f, &err) == 0;
	if (!*present)
		return NULL;
	zsync_file_release(&f);
	if (zsync_lint_load(&z, t, file, origin, d, &err) < 0) {
		*invalid = true;
		zsync_zone_free(z);
		return NULL;
	}
	return z;
}

int cmd_diff(int argc, char **argv, struct zsync_ctx *ctx)
{
	bool json = false, explicit_cfg;
	const char *repo_path = NULL;
	const struct zsync_opt opts[] = {
		{ 0, "json", ZSYNC_OPT_FLAG, &json, NULL, "print JSON" },
		{ 0, "repo", ZSYNC_OPT_STRING, &repo_path, "PATH", "the zone repository (default: [repo] path, else the one around the current directory)" },
		{ 0 },
	};
	struct zsync_strlist pos = { 0 }, files = { 0 };
	struct zsync_config *cfg = NULL;
	struct zsync_repo *repo = NULL;
	struct zsync_tree *ta = NULL, *tb = NULL;
	struct zsync_err err = { 0 };
	struct zsync_diags diags = { 0 };
	const char *zones_dir = "zones", *cfg_path;
	json_t *jz = NULL;
	size_t total = 0;
	int code = ZSYNC_EXIT_OK;
	struct stat st;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	/* only now: --json is known after the options are parsed */
	if (json)
		jz = json_array();
	if (pos.n < 2) {
		fprintf(stderr, "zonesync: diff needs two commits\nusage: %s\n", ctx->usage);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	cfg_path = zsync_config_locate(ctx->config_path, &explicit_cfg);
	if (explicit_cfg || stat(cfg_path, &st) == 0) {
		if (!(cfg = zsync_cmd_config(ctx))) {
			code = ZSYNC_EXIT_ERROR;
			goto out;
		}
		zones_dir = cfg->repo.zones_dir;
	}
	if (!repo_path)
		repo_path = cfg ? cfg->repo.path : ".";
	if (zsync_cmd_open_repo(&repo, repo_path, cfg, &err) < 0 ||
	    zsync_repo_tree(&ta, repo, ZSYNC_TREE_COMMIT, pos.v[0], &err) < 0 ||
	    zsync_repo_tree(&tb, repo, ZSYNC_TREE_COMMIT, pos.v[1], &err) < 0 ||
	    zsync_tree_list(ta, zones_dir, ".zone", &files, &err) < 0 ||
	    zsync_tree_list(tb, zones_dir, ".zone", &files, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	zsync_strlist_sort(&files);
	for (size_t i = 0; i < files.n; i++) {
		if (i > 0 && strcmp(files.v[i], files.v[i - 1]) == 0)
			continue;
		/* the zone name: the config's entry for the file, else the file name */
		char *origin = NULL;
		for (size_t k = 0; cfg && k < cfg->nzones && !origin; k++)
			if (!strcmp(cfg->zones[k].file, files.v[i]))
				origin = zsync_xstrdup(cfg->zones[k].name);
		if (!origin)
			origin = zsync_lint_origin_from_path(files.v[i]);
		bool wanted = pos.n == 2;
		for (size_t k = 2; k < pos.n && !wanted; k++) {
			char *n = zsync_config_zone_name(pos.v[k]);
			wanted = !strcmp(n, origin);
			free(n);
		}
		if (!wanted) {
			free(origin);
			continue;
		}
		bool pa, pb, ia, ib;
		struct zsync_zone *za = load(ta, files.v[i], origin, &pa, &ia, &diags);
		struct zsync_zone *zb = load(tb, files.v[i], origin, &pb, &ib, &diags);
		const char *status;
		struct zsync_changeset cs = { 0 };
		if (ia || ib) {
			status = "invalid";
			code = ZSYNC_EXIT_ERROR;
		} else {
			struct zsync_zone *empty = zsync_zone_new(origin, &err);
			struct zsync_diff_policy pol = { .manage_apex_ns = true, .manage_soa = true, .provider = "git" };
			/* every type counts here, DNSSEC records included */
			zsync_diff(zb ? zb : empty, za ? za : empty, &pol, &cs);
			if (!zb) {
				/* a removed zone: every RRset of A is a delete */
				zsync_changeset_release(&cs);
				zsync_diff(empty, za, &pol, &cs);
			}
			status = !pa ? "added" : !pb ? "removed" : cs.n ? "changed" : "unchanged";
			total += cs.n;
			if (jz) {
				json_t *ch = json_array();
				for (size_t c = 0; c < cs.n; c++)
					json_array_append_new(ch, zsync_plan_change_json(&cs.v[c]));
				json_array_append_new(jz, json_pack("{s:s, s:s, s:s, s:o}", "zone", origin, "file",
								    files.v[i], "status", status, "changes", ch));
			} else if (strcmp(status, "unchanged") != 0) {
				printf("zone %s (%s): %s, %zu RRset change%s\n", origin, files.v[i], status, cs.n,
				       cs.n == 1 ? "" : "s");
				zsync_plan_print_changes(&cs, stdout, ctx->color, "  ");
			}
			zsync_zone_free(empty);
		}
		if (!strcmp(status, "invalid") && jz)
			json_array_append_new(jz, json_pack("{s:s, s:s, s:s}", "zone", origin, "file", files.v[i], "status", status));
		zsync_changeset_release(&cs);
		zsync_zone_free(za);
		zsync_zone_free(zb);
		free(origin);
	}
	for (size_t i = 0; i < diags.n; i++)
		if (diags.v[i].severity == ZSYNC_SEV_ERROR) {
			char line[4096];
			zsync_diag_format(&diags.v[i], line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
	if (jz) {
		json_t *o = json_pack("{s:s, s:s, s:O, s:I}", "from", zsync_tree_id(ta), "to", zsync_tree_id(tb),
				      "zones", jz, "changes", (json_int_t)total);
		char *s = json_dumps(o, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(o);
	} else if (!ctx->quiet) {
		printf("%zu RRset change%s between %.12s and %.12s\n", total, total == 1 ? "" : "s",
		       zsync_tree_id(ta), zsync_tree_id(tb));
	}
out:
	json_decref(jz);
	zsync_diags_release(&diags);
	zsync_tree_free(ta);
	zsync_tree_free(tb);
	zsync_repo_close(repo);
	zsync_config_free(cfg);
	zsync_strlist_release(&files);
	zsync_strlist_release(&pos);
	return code;
}
