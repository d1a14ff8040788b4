/* cmd-history.c - `zonesync history`: past runs and the changes they journalled */
#include "cmd.h"
#include "config.h"
#include "state.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_line[] = "zonesync history {*}";

struct hctx {
	struct zsync_ctx *ctx;
	struct zsync_state *st;
	const char *zone, *provider;
	json_t *json; /* array when --json */
	json_t *changes;
	struct zsync_err *err;
};

static int change_cb(void *p, const struct zsync_change_info *c)
{
	struct hctx *h = p;
	if (h->changes) {
		json_array_append_new(h->changes, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s?}",
			"zone", c->zone, "provider", c->provider, "op", c->op, "owner", c->owner,
			"type", c->type, "old", c->old_rdata, "new", c->new_rdata, "status", c->status,
			"error", c->error));
		return 0;
	}
	const char *mark = !strcmp(c->op, "create") ? "+" : !strcmp(c->op, "delete") ? "-"
		: !strcmp(c->op, "allow-older") ? "!" : "~";
	/* unknown stands out: it may or may not be live until a later run reads the provider */
	printf("    %s %s %s @%s [%s]%s%s\n", mark, c->owner, c->type, c->provider,
	       !strcmp(c->status, "unknown") ? zsync_paint(h->ctx, "1;33", "UNKNOWN") : c->status,
	       c->error ? ": " : "", c->error ? c->error : "");
	return 0;
}

static int run_cb(void *p, const struct zsync_run_info *r)
{
	struct hctx *h = p;
	char start[32], end[32];

	if (h->json) {
		json_t *o = json_pack("{s:I, s:s, s:s?, s:s?, s:s, s:s?, s:I, s:I, s:i}", "id",
				      (json_int_t)r->id, "command", r->command, "commit", r->commit,
				      "trigger", r->trigger, "status", r->status, "summary", r->summary,
				      "started_at", (json_int_t)r->started_at, "finished_at",
				      (json_int_t)r->finished_at, "changes", r->changes);
		h->changes = json_array();
		zsync_state_changes(h->st, r->id, h->zone, h->provider, change_cb, h, h->err);
		json_object_set_new(o, "journal", h->changes);
		h->changes = NULL;
		json_array_append_new(h->json, o);
		return 0;
	}
	printf("#%lld %s %-9s %.12s %s%s%s%s\n", (long long)r->id,
	       zsync_cmd_time(r->started_at, start, sizeof(start)), r->command,
	       r->commit ? r->commit : "-", zsync_paint(h->ctx, !strcmp(r->status, "ok") ? "32" : "1;31", r->status),
	       r->summary ? " (" : "", r->summary ? r->summary : "", r->summary ? ")" : "");
	(void)end;
	zsync_state_changes(h->st, r->id, h->zone, h->provider, change_cb, h, h->err);
	return 0;
}

int cmd_history(int argc, char **argv, struct zsync_ctx *ctx)
{
	long limit = 20;
	const char *zone = NULL, *provider = NULL;
	bool json = false;
	const struct zsync_opt opts[] = {
		{ 'n', "limit", ZSYNC_OPT_INT, &limit, "N", "show the last N runs (default 20)" },
		{ 0, "zone", ZSYNC_OPT_STRING, &zone, "ZONE", "only runs that changed this zone" },
		{ 0, "provider", ZSYNC_OPT_STRING, &provider, "NAME", "only runs that changed this provider" },
		{ 0, "json", ZSYNC_OPT_FLAG, &json, NULL, "print JSON" },
		{ 0 },
	};
	struct zsync_strlist pos = { 0 };
	struct zsync_config *cfg = NULL;
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	struct stat sb;
	char *zname = NULL;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	if (pos.n || limit < 1) {
		fprintf(stderr, "zonesync: %s\nusage: %s\n", pos.n ? "history takes no arguments" : "-n must be at least 1", ctx->usage);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	cfg = zsync_cmd_config(ctx);
	if (!cfg) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if (zone)
		zname = zsync_config_zone_name(zone);
	struct hctx h = { ctx, NULL, zname, provider, json ? json_array() : NULL, NULL, &err };
	if (stat(cfg->state.path, &sb) == 0) {
		if (zsync_state_open(&st, cfg->state.path, &err) < 0) {
			fprintf(stderr, "zonesync: %s\n", err.msg);
			code = ZSYNC_EXIT_ERROR;
			json_decref(h.json);
			goto out;
		}
		h.st = st;
		if (zsync_state_runs(st, (int)limit, zname, provider, run_cb, &h, &err) < 0) {
			fprintf(stderr, "zonesync: %s\n", err.msg);
			code = ZSYNC_EXIT_ERROR;
		}
	} else if (!json && !ctx->quiet) {
		fprintf(stderr, "zonesync: no runs yet (%s does not exist)\n", cfg->state.path);
	}
	if (h.json) {
		char *s = json_dumps(h.json, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(h.json);
	}
out:
	free(zname);
	zsync_state_close(st);
	zsync_config_free(cfg);
	zsync_strlist_release(&pos);
	return code;
}
