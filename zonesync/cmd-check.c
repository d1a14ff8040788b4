/* cmd-check.c - `zonesync check`: validate the config, parse and lint zones at a ref, in the index or the work tree */
#include "cmd.h"
#include "config.h"
#include "lint.h"
#include "nsset.h"
#include "provider.h"
#include "repo.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_line[] =
	"zonesync check [{ref} | {index} | {worktree}] {*} [ZONE...]";

/* Does a zone match one of the names the user gave (with or without the trailing dot, or its path)? */
static bool wanted(const struct zsync_strlist *names, const char *path, const char *origin)
{
	if (names->n == 0)
		return true;
	for (size_t i = 0; i < names->n; i++) {
		const char *n = names->v[i];
		size_t l = strlen(n);
		if (strcmp(n, path) == 0)
			return true;
		if (strncasecmp(n, origin, l) == 0 &&
		    (origin[l] == '\0' || (origin[l] == '.' && origin[l + 1] == '\0')))
			return true;
	}
	return false;
}

static void print_diag(const struct zsync_ctx *ctx, const struct zsync_diag *dg)
{
	char line[4096];
	const char *sev = dg->severity == ZSYNC_SEV_ERROR ? ": error: " : ": warning: ";
	char *p;

	zsync_diag_format(dg, line, sizeof(line));
	if (ctx->color && (p = strstr(line, sev))) {
		/* colour just the severity word */
		*p = '\0';
		printf("%s: %s: %s\n", line,
		       zsync_paint(ctx, dg->severity == ZSYNC_SEV_ERROR ? "1;31" : "1;33",
				   dg->severity == ZSYNC_SEV_ERROR ? "error" : "warning"),
		       p + strlen(sev));
		return;
	}
	puts(line);
}

/*
 * apex_ns = "git": the configured nameservers (ns_names) of the zone's providers that
 * git's apex NS does not name, per provider that git's apex NS is pushed to. check asks
 * no provider: names only a provider's API knows (Cloudflare's) are plan's to report.
 */
static void check_nsset(const struct zsync_config *cfg, const struct zsync_zone_conf *zc, struct zsync_tree *tree,
			struct zsync_zone *z, const char *path, struct zsync_diags *diags)
{
	const struct zsync_rrset *ns = zsync_zone_find(z, zsync_zone_origin(z), ZSYNC_TYPE_NS);

	if (zc->apex_ns != ZSYNC_APEX_NS_GIT || !ns || zsync_tree_lint_off(tree, zc->name, "apex-ns-incomplete"))
		return;
	for (size_t i = 0; i < zc->providers.n; i++) {
		const struct zsync_provider_conf *pc = zsync_config_provider(cfg, zc->providers.v[i]);
		const struct zsync_provider_type *t = pc ? zsync_provider_find(pc->type) : NULL;
		if (!t || !pc->manage_apex_ns || !(t->caps & ZSYNC_CAP_APEX_NS) || (t->caps & ZSYNC_CAP_READ_ONLY))
			continue;
		for (size_t k = 0; k < zc->providers.n; k++) {
			const struct zsync_provider_conf *q = zsync_config_provider(cfg, zc->providers.v[k]);
			struct zsync_strlist names = { 0 }, missing = { 0 };
			if (!q)
				continue;
			zsync_nsset_configured(q, &names);
			zsync_nsset_missing(ns, &names, &missing);
			if (missing.n) {
				char *w = zsync_nsset_warning(pc->name, true, q->name, &missing);
				zsync_diags_add(diags, path, ns->line, ZSYNC_SEV_WARNING, "apex-ns-incomplete", "%s", w);
				free(w);
			}
			zsync_strlist_release(&names);
			zsync_strlist_release(&missing);
		}
	}
}

/* Loads and lints one zone; a file that cannot be read becomes a finding too. */
static void check_one(struct zsync_tree *tree, const char *path, const char *origin,
		      const struct zsync_config *cfg, const struct zsync_zone_conf *zc, struct zsync_diags *diags)
{
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };
	size_t errors_before = diags->errors;

	if (zsync_lint_load(&z, tree, path, origin, diags, &err) < 0) {
		if (diags->errors == errors_before)
			zsync_diags_add(diags, path, 0, ZSYNC_SEV_ERROR, NULL, "%s", err.msg);
	} else if (cfg && zc) {
		check_nsset(cfg, zc, tree, z, path, diags);
	}
	zsync_zone_free(z);
}

int cmd_check(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *ref = NULL, *repo_path = NULL, *zones_dir = NULL;
	bool index = false, worktree = false, explicit_cfg;
	const struct zsync_opt opts[] = {
		{ 0, "ref", ZSYNC_OPT_STRING, &ref, "REF", "check the zones of this commit (default: [repo] ref, else HEAD)" },
		{ 0, "index", ZSYNC_OPT_FLAG, &index, NULL, "check the staged zones (pre-commit hook)" },
		{ 0, "worktree", ZSYNC_OPT_FLAG, &worktree, NULL, "check the files on disk" },
		{ 0, "repo", ZSYNC_OPT_STRING, &repo_path, "PATH", "the zone repository (default: [repo] path, else the one around the current directory)" },
		{ 0, "zones-dir", ZSYNC_OPT_STRING, &zones_dir, "DIR", "folder of *.zone files, without a config (default zones)" },
		{ 0 },
	};
	struct zsync_strlist names = { 0 }, files = { 0 };
	struct zsync_diags diags = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_config *cfg = NULL;
	const char *cfg_path;
	size_t checked = 0;
	int code = ZSYNC_EXIT_OK;
	struct stat st;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &names, &code))
		goto out;
	if ((ref != NULL) + index + worktree > 1) {
		fprintf(stderr, "zonesync: --ref, --index and --worktree exclude each other\n");
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	/* the config is checked too, but its secrets are not resolved: check runs without them */
	cfg_path = zsync_config_locate(ctx->config_path, &explicit_cfg);
	if (explicit_cfg || stat(cfg_path, &st) == 0) {
		cfg = zsync_config_load(cfg_path, &diags, &err);
		if (!cfg) {
			/* without it, which repository and zones to check is unknown: guessing '.'
			 * would only add a misleading second error */
			zsync_diags_sort(&diags);
			for (size_t i = 0; i < diags.n; i++)
				print_diag(ctx, &diags.v[i]);
			fflush(stdout);
			if (diags.errors == 0)
				fprintf(stderr, "zonesync: %s\n", err.msg);
			code = ZSYNC_EXIT_ERROR;
			goto out;
		}
		if (cfg && zones_dir) {
			fprintf(stderr, "zonesync: --zones-dir applies only without a configuration file (set [repo] zones_dir in %s)\n",
				cfg_path);
			code = ZSYNC_EXIT_USAGE;
			goto out;
		}
	}
	if (!repo_path)
		repo_path = cfg ? cfg->repo.path : ".";
	if (!zones_dir)
		zones_dir = cfg ? cfg->repo.zones_dir : "zones";
	if (!ref && cfg)
		ref = cfg->repo.ref;
	if (zsync_cmd_open_repo(&repo, repo_path, cfg, &err) < 0 ||
	    zsync_repo_tree(&tree, repo,
			    index ? ZSYNC_TREE_INDEX : worktree ? ZSYNC_TREE_WORKTREE : ZSYNC_TREE_COMMIT,
			    index || worktree ? NULL : ref, &err) < 0 ||
	    zsync_tree_list(tree, zones_dir, ".zone", &files, &err) < 0) {
		zsync_diags_sort(&diags);
		for (size_t i = 0; i < diags.n; i++)
			print_diag(ctx, &diags.v[i]);
		fflush(stdout);
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if (cfg) {
		zsync_config_match_files(cfg, &files, zsync_tree_describe(tree), &diags);
		for (size_t i = 0; i < cfg->nzones; i++) {
			const struct zsync_zone_conf *z = &cfg->zones[i];
			bool present = false;
			for (size_t j = 0; j < files.n && !present; j++)
				present = strcmp(files.v[j], z->file) == 0;
			if (!present || !wanted(&names, z->file, z->name))
				continue;
			checked++;
			check_one(tree, z->file, z->name, cfg, z, &diags);
		}
	} else {
		for (size_t i = 0; i < files.n; i++) {
			char *origin = zsync_lint_origin_from_path(files.v[i]);
			if (origin && wanted(&names, files.v[i], origin)) {
				checked++;
				check_one(tree, files.v[i], origin, NULL, NULL, &diags);
			}
			free(origin);
		}
	}
	if (names.n && checked == 0) {
		fprintf(stderr, "zonesync: no zone matches '%s' in %s/ of %s\n", names.v[0], zones_dir,
			zsync_tree_describe(tree));
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	zsync_diags_sort(&diags);
	for (size_t i = 0; i < diags.n; i++)
		if (!ctx->quiet || diags.v[i].severity == ZSYNC_SEV_ERROR)
			print_diag(ctx, &diags.v[i]);
	fflush(stdout);
	if (!ctx->quiet) {
		fprintf(stderr, "checked %s%zu zone%s in %s: %zu error%s, %zu warning%s\n",
			cfg ? "the configuration and " : "", checked, checked == 1 ? "" : "s",
			zsync_tree_describe(tree), diags.errors, diags.errors == 1 ? "" : "s",
			diags.warnings, diags.warnings == 1 ? "" : "s");
		if (checked == 0)
			fprintf(stderr, "zonesync: warning: no *.zone files under %s/ in %s\n",
				zones_dir, zsync_tree_describe(tree));
	}
	code = diags.errors ? ZSYNC_EXIT_ERROR : ZSYNC_EXIT_OK;
out:
	zsync_config_free(cfg);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	zsync_diags_release(&diags);
	zsync_strlist_release(&names);
	zsync_strlist_release(&files);
	return code;
}
