/* cmd-status.c - `zonesync status`: health of every configured provider x zone, from the state database */
#include "cmd.h"
#include "config.h"
#include "state.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_line[] = "zonesync status {*}";

struct row {
	char *zone, *provider, *last_commit, *last_error;
	long long last_success, last_error_at, last_checked;
	int failures, drift, unknown;
	bool configured;
};

struct rows {
	struct row *v;
	size_t n;
};

static struct row *find_row(struct rows *r, const char *zone, const char *provider)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].zone, zone) && !strcmp(r->v[i].provider, provider))
			return &r->v[i];
	r->v = zsync_xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	r->v[r->n].zone = zsync_xstrdup(zone);
	r->v[r->n].provider = zsync_xstrdup(provider);
	return &r->v[r->n++];
}

static char *dup_or_null(const char *s)
{
	return s ? zsync_xstrdup(s) : NULL;
}

static int pair_cb(void *ctx, const struct zsync_pair_status *p)
{
	struct row *r = find_row(ctx, p->zone, p->provider);
	r->last_commit = dup_or_null(p->last_commit);
	r->last_error = dup_or_null(p->last_error);
	r->last_success = p->last_success;
	r->last_error_at = p->last_error_at;
	r->last_checked = p->last_checked;
	r->failures = p->consecutive_failures;
	r->drift = p->drift_count;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->zone, y->zone);
	return c ? c : strcmp(x->provider, y->provider);
}

static const char *health(const struct row *r)
{
	if (!r->configured)
		return "not configured";
	if (r->failures)
		return "failing";
	if (r->unknown)
		return "unknown outcome";
	if (!r->last_success)
		return "never applied";
	return "ok";
}

int cmd_status(int argc, char **argv, struct zsync_ctx *ctx)
{
	bool json = false;
	const struct zsync_opt opts[] = {
		{ 0, "json", ZSYNC_OPT_FLAG, &json, NULL, "print JSON instead of a table" },
		{ 0 },
	};
	struct zsync_strlist pos = { 0 };
	struct zsync_config *cfg = NULL;
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	struct rows rows = { 0 };
	struct stat sb;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	if (pos.n) {
		fprintf(stderr, "zonesync: status takes no arguments\nusage: %s\n", ctx->usage);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	cfg = zsync_cmd_config(ctx);
	if (!cfg) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < cfg->nzones; i++)
		for (size_t j = 0; j < cfg->zones[i].providers.n; j++)
			find_row(&rows, cfg->zones[i].name, cfg->zones[i].providers.v[j])->configured = true;
	/* a database that does not exist yet just means nothing ran: do not create it here */
	if (stat(cfg->state.path, &sb) == 0) {
		if (zsync_state_open(&st, cfg->state.path, &err) < 0 ||
		    zsync_state_pairs(st, pair_cb, &rows, &err) < 0) {
			fprintf(stderr, "zonesync: %s\n", err.msg);
			code = ZSYNC_EXIT_ERROR;
			goto out;
		}
		/* pairs the database knows stay listed even when the config dropped them */
		for (size_t i = 0; i < rows.n; i++) {
			int64_t n = 0;
			zsync_state_unknown_count(st, rows.v[i].zone, rows.v[i].provider, &n, &err);
			rows.v[i].unknown = (int)n;
		}
	}
	if (rows.n > 1)
		qsort(rows.v, rows.n, sizeof(*rows.v), row_cmp);
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < rows.n; i++) {
			struct row *r = &rows.v[i];
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b, s:s?, s:I, s:s?, s:I, s:I, s:i, s:i, s:i}",
				"zone", r->zone, "provider", r->provider, "health", health(r),
				"configured", r->configured, "last_commit", r->last_commit,
				"last_success", (json_int_t)r->last_success, "last_error", r->last_error,
				"last_error_at", (json_int_t)r->last_error_at,
				"last_checked", (json_int_t)r->last_checked,
				"consecutive_failures", r->failures, "drift_count", r->drift, "unknown_changes", r->unknown));
		}
		char *s = json_dumps(a, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(a);
		goto out;
	}
	printf("%-24s %-12s %-15s %-12s %-20s %5s %5s %7s  %s\n", "ZONE", "PROVIDER", "HEALTH", "COMMIT",
	       "LAST SUCCESS", "FAILS", "DRIFT", "UNKNOWN", "LAST ERROR");
	for (size_t i = 0; i < rows.n; i++) {
		struct row *r = &rows.v[i];
		char when[32], commit[13];
		const char *h = health(r);
		snprintf(commit, sizeof(commit), "%.12s", r->last_commit ? r->last_commit : "-");
		printf("%-24s %-12s %-15s %-12s %-20s %5d %5d %7d  %s\n", r->zone, r->provider,
		       zsync_paint(ctx, !strcmp(h, "ok") ? "32" : !strcmp(h, "failing") ? "1;31" : "33", h),
		       commit, zsync_cmd_time(r->last_success, when, sizeof(when)), r->failures, r->drift, r->unknown,
		       r->failures && r->last_error ? r->last_error : "");
	}
out:
	for (size_t i = 0; i < rows.n; i++) {
		free(rows.v[i].zone);
		free(rows.v[i].provider);
		free(rows.v[i].last_commit);
		free(rows.v[i].last_error);
	}
	free(rows.v);
	zsync_state_close(st);
	zsync_config_free(cfg);
	zsync_strlist_release(&pos);
	return code;
}
