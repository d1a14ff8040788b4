/* serve-render.c - what zonesync serve answers: Prometheus metrics, the JSON API, the status page */
#include "serve.h"
#include "cmd.h"
#include "config.h"
#include "metrics.h"
#include "state.h"
#include "strmap.h"
#include "thread.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* drift seen this recently makes a cell "drift repaired" */
#define DRIFT_RECENT (24 * 3600)
#define PAGE_RUNS 20
#define CHART_RUNS 40

/* One zone x provider of the configuration, with what the state db knows of it. */
struct cell {
	const char *zone, *provider;   /* in the lists of struct cells */
	char *key;                     /* "zone\tprovider" */
	const char *state;             /* in_sync, drift_repaired, failing, unknown */
	char *commit, *error;
	int64_t last_success, last_error_at, last_drift;
	int failures, drift;
};

struct cells {
	struct cell **v;
	size_t n;
	struct zsync_strlist zones, providers; /* in configuration order, for the matrix */
	struct zsync_strmap map;               /* key -> cell */
	struct zsync_strmap zone_set, provider_set;
	struct zsync_strlist *found_providers; /* [repo] all_zones: [defaults] providers; else NULL */
};

/* The list's own copy of s, added when missing (set indexes the list). */
static const char *intern(struct zsync_strlist *l, struct zsync_strmap *set, const char *s)
{
	const char *v = zsync_strmap_get(set, s);
	if (!v) {
		zsync_strlist_add(l, s);
		v = l->v[l->n - 1];
		zsync_strmap_put(set, v, (void *)v);
	}
	return v;
}

static struct cell *add_cell(struct cells *c, const char *zone, const char *provider)
{
	struct cell *x = zsync_xcalloc(1, sizeof(*x));
	x->zone = intern(&c->zones, &c->zone_set, zone);
	x->provider = intern(&c->providers, &c->provider_set, provider);
	x->key = zsync_xasprintf("%s\t%s", x->zone, x->provider);
	zsync_strmap_put(&c->map, x->key, x);
	c->v = zsync_xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	c->v[c->n++] = x;
	return x;
}

static struct cell *find_cell(struct cells *c, const char *zone, const char *provider)
{
	char key[1024];
	snprintf(key, sizeof(key), "%s\t%s", zone, provider);
	return zsync_strmap_get(&c->map, key);
}

static int cell_pair_cb(void *arg, const struct zsync_pair_status *p)
{
	struct cells *cs = arg;
	struct cell *c = find_cell(cs, p->zone, p->provider);
	/* a zone that all_zones found in the zones folder has no [[zones]] entry */
	if (!c && cs->found_providers && zsync_config_selected(cs->found_providers, p->provider, false) && p->last_commit)
		c = add_cell(cs, p->zone, p->provider);
	if (!c)
		return 0; /* no longer configured */
	c->commit = p->last_commit ? zsync_xstrdup(p->last_commit) : NULL;
	c->error = p->last_error ? zsync_xstrdup(p->last_error) : NULL;
	c->last_success = p->last_success;
	c->last_error_at = p->last_error_at;
	c->failures = p->consecutive_failures;
	c->drift = p->drift_count;
	return 0;
}

static int cell_drift_cb(void *arg, const struct zsync_drift_info *d)
{
	struct cell *c = find_cell(arg, d->zone, d->provider);
	if (c && d->seen_at > c->last_drift)
		c->last_drift = d->seen_at;
	return 0;
}

/* Fills c from the configuration and the state db (takes both locks in turn). */
static void load_cells(struct zsync_serve *s, struct cells *c)
{
	struct zsync_err err = { 0 };
	time_t now = time(NULL);

	memset(c, 0, sizeof(*c));
	zsync_lock(&s->mu);
	/* copies: a reload frees the configuration once the lock is let go */
	for (size_t z = 0; z < s->cfg->nzones; z++) {
		const struct zsync_zone_conf *zc = &s->cfg->zones[z];
		for (size_t p = 0; p < zc->providers.n; p++)
			add_cell(c, zc->name, zc->providers.v[p]);
	}
	if (s->cfg->repo.all_zones) {
		struct zsync_strlist *l = zsync_xcalloc(1, sizeof(*l));
		for (size_t i = 0; i < s->cfg->defaults.providers.n; i++)
			zsync_strlist_add(l, s->cfg->defaults.providers.v[i]);
		c->found_providers = l;
	}
	zsync_unlock(&s->mu);
	zsync_lock(&s->db_mu);
	if (s->db) {
		zsync_state_pairs(s->db, cell_pair_cb, c, &err);
		zsync_state_drift(s->db, now - DRIFT_RECENT, cell_drift_cb, c, &err);
	}
	zsync_unlock(&s->db_mu);
	for (size_t i = 0; i < c->n; i++) {
		struct cell *x = c->v[i];
		x->state = x->failures > 0 ? "failing"
			: !x->last_success ? "unknown"
			: x->last_drift ? "drift_repaired" : "in_sync";
	}
}

static void free_cells(struct cells *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i]->key);
		free(c->v[i]->commit);
		free(c->v[i]->error);
		free(c->v[i]);
	}
	free(c->v);
	zsync_strmap_release(&c->map);
	zsync_strmap_release(&c->zone_set);
	zsync_strmap_release(&c->provider_set);
	if (c->found_providers) {
		zsync_strlist_release(c->found_providers);
		free(c->found_providers);
	}
	zsync_strlist_release(&c->zones);
	zsync_strlist_release(&c->providers);
}

const char *zsync_serve_not_ready(struct zsync_serve *s, char *buf, size_t len)
{
	const char *why = NULL;

	zsync_lock(&s->mu);
	if (!s->cfg)
		why = "no configuration loaded";
	else if (access(s->cfg->state.path, W_OK) != 0)
		why = "the state database is not writable";
	else if (s->repo_error[0]) {
		snprintf(buf, len, "the repository cannot be opened: %s", s->repo_error);
		why = buf;
	} else if (s->last_error[0]) {
		snprintf(buf, len, "%s", s->last_error);
		why = buf;
	} else if (s->stopping)
		why = "stopping";
	zsync_unlock(&s->mu);
	return why;
}

char *zsync_serve_metrics(struct zsync_serve *s)
{
	static const char *const sources[] = { "github", "gitlab", "generic" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct zsync_serve_run *last = NULL;

	zsync_lock(&s->db_mu);
	if (s->db)
		zsync_metrics_pairs(f, s->db);
	zsync_unlock(&s->db_mu);

	zsync_lock(&s->mu);
	for (int64_t k = s->nruns; k > 0 && k > s->nruns - ZSYNC_SERVE_RUNS && !last; k--)
		if (s->runs[(k - 1) % ZSYNC_SERVE_RUNS].job != ZSYNC_JOB_VERIFY)
			last = &s->runs[(k - 1) % ZSYNC_SERVE_RUNS];
	if (last) {
		fprintf(f, "# HELP zonesync_run_duration_seconds Duration of the last apply or reconcile.\n"
			   "# TYPE zonesync_run_duration_seconds gauge\nzonesync_run_duration_seconds %.3f\n", last->seconds);
		fprintf(f, "# HELP zonesync_run_exit_code Exit code of the last apply or reconcile.\n"
			   "# TYPE zonesync_run_exit_code gauge\nzonesync_run_exit_code %d\n", last->exit_code);
	}
	fputs("# HELP zonesync_serve_run_seconds How long the service's runs took.\n"
	      "# TYPE zonesync_serve_run_seconds histogram\n", f);
	for (int j = ZSYNC_JOB_APPLY; j <= ZSYNC_JOB_VERIFY; j++) {
		uint64_t cum = 0;
		for (int b = 0; b <= ZSYNC_SERVE_NBUCKETS; b++) {
			cum += s->buckets[j][b];
			if (b < ZSYNC_SERVE_NBUCKETS)
				fprintf(f, "zonesync_serve_run_seconds_bucket{command=\"%s\",le=\"%g\"} %llu\n",
					zsync_serve_job_name(j), zsync_serve_buckets[b], (unsigned long long)cum);
			else
				fprintf(f, "zonesync_serve_run_seconds_bucket{command=\"%s\",le=\"+Inf\"} %llu\n",
					zsync_serve_job_name(j), (unsigned long long)cum);
		}
		fprintf(f, "zonesync_serve_run_seconds_sum{command=\"%s\"} %.3f\n", zsync_serve_job_name(j), s->seconds_sum[j]);
		fprintf(f, "zonesync_serve_run_seconds_count{command=\"%s\"} %llu\n", zsync_serve_job_name(j), (unsigned long long)cum);
	}
	fputs("# HELP zonesync_serve_runs_total Runs the service made, by result (partial: some provider failed; refused: safety limits or older than deployed; mismatch: verify).\n"
	      "# TYPE zonesync_serve_runs_total counter\n", f);
	for (int j = ZSYNC_JOB_APPLY; j <= ZSYNC_JOB_VERIFY; j++)
		for (int o = 0; o < ZSYNC_RUN_NRESULTS; o++)
			fprintf(f, "zonesync_serve_runs_total{command=\"%s\",result=\"%s\"} %llu\n", zsync_serve_job_name(j),
				zsync_run_result_names[o], (unsigned long long)s->runs_total[j][o]);
	fputs("# HELP zonesync_provider_requests_total Requests sent to each HTTP provider, by method.\n"
	      "# TYPE zonesync_provider_requests_total counter\n", f);
	for (size_t i = 0; i < s->nrequests; i++) {
		fputs("zonesync_provider_requests_total{provider=\"", f);
		zsync_metrics_label(f, s->requests[i].provider);
		fprintf(f, "\",method=\"%s\"} %llu\n", s->requests[i].method, (unsigned long long)s->requests[i].n);
	}
	fputs("# HELP zonesync_serve_webhooks_total Webhook deliveries received, by source and outcome.\n"
	      "# TYPE zonesync_serve_webhooks_total counter\n", f);
	for (int src = 0; src < 3; src++)
		for (int r = 0; r < ZSYNC_HOOK_NRESULTS; r++)
			fprintf(f, "zonesync_serve_webhooks_total{source=\"%s\",result=\"%s\"} %llu\n", sources[src],
				zsync_hook_result_names[r], (unsigned long long)s->hooks[src][r]);
	fprintf(f, "# HELP zonesync_serve_unauthorized_total API requests refused for a missing or wrong token.\n"
		   "# TYPE zonesync_serve_unauthorized_total counter\nzonesync_serve_unauthorized_total %llu\n",
		(unsigned long long)s->http_unauthorized);
	fprintf(f, "# HELP zonesync_serve_queued_deliveries Webhook deliveries waiting for the next run.\n"
		   "# TYPE zonesync_serve_queued_deliveries gauge\nzonesync_serve_queued_deliveries %zu\n", s->npending);
	fprintf(f, "# HELP zonesync_serve_running Whether a run is under way.\n"
		   "# TYPE zonesync_serve_running gauge\nzonesync_serve_running %d\n", s->running != ZSYNC_JOB_NONE);
	fprintf(f, "# HELP zonesync_serve_config_reloads_total Configuration reloads (SIGHUP), by result.\n"
		   "# TYPE zonesync_serve_config_reloads_total counter\n"
		   "zonesync_serve_config_reloads_total{result=\"ok\"} %llu\n"
		   "zonesync_serve_config_reloads_total{result=\"refused\"} %llu\n",
		(unsigned long long)s->reloads_ok, (unsigned long long)s->reloads_failed);
	fprintf(f, "# HELP zonesync_serve_start_time_seconds When the service started.\n"
		   "# TYPE zonesync_serve_start_time_seconds gauge\nzonesync_serve_start_time_seconds %lld\n",
		(long long)s->started);
	if (s->last_verify >= 0)
		fprintf(f, "# HELP zonesync_verify_exit_code Exit code of the last scheduled verify (0 consistent, 2 mismatch).\n"
			   "# TYPE zonesync_verify_exit_code gauge\nzonesync_verify_exit_code %d\n"
			   "# HELP zonesync_verify_timestamp_seconds When the last scheduled verify ended.\n"
			   "# TYPE zonesync_verify_timestamp_seconds gauge\nzonesync_verify_timestamp_seconds %lld\n",
			s->last_verify, (long long)s->last_verify_at);
	zsync_unlock(&s->mu);
	fclose(f);
	return buf;
}

static json_t *time_json(int64_t t)
{
	char b[32];
	return t > 0 ? json_string(zsync_cmd_time(t, b, sizeof(b))) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	return s;
}

char *zsync_serve_status_json(struct zsync_serve *s)
{
	struct cells c;
	char why[1200];
	const char *nr = zsync_serve_not_ready(s, why, sizeof(why));
	json_t *j = json_object(), *pairs = json_array();

	load_cells(s, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct cell *x = c.v[i];
		json_array_append_new(pairs, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:i}",
			"zone", x->zone, "provider", x->provider, "state", x->state,
			"deployed_commit", str_or_null(x->commit), "last_success", time_json(x->last_success),
			"last_error", str_or_null(x->error), "last_error_at", time_json(x->last_error_at),
			"last_drift", time_json(x->last_drift), "consecutive_failures", x->failures,
			"drift_total", x->drift));
	}
	free_cells(&c);
	zsync_lock(&s->mu);
	json_object_set_new(j, "version", json_string(ZSYNC_VERSION));
	json_object_set_new(j, "config", json_string(s->config_path));
	json_object_set_new(j, "config_loaded_at", time_json(s->config_loaded));
	json_object_set_new(j, "started_at", time_json(s->started));
	json_object_set_new(j, "branch", json_string(s->branch));
	json_object_set_new(j, "ready", json_boolean(!nr));
	json_object_set_new(j, "not_ready", str_or_null(nr));
	json_object_set_new(j, "running", s->running ? json_pack("{s:s, s:o}", "command", zsync_serve_job_name(s->running),
								 "since", time_json(s->running_since))
							: json_null());
	json_object_set_new(j, "service_runs", json_integer(s->nruns));
	json_object_set_new(j, "queued", json_pack("{s:i, s:b, s:b}", "deliveries", (json_int_t)s->npending,
						   "reconcile", s->want_reconcile, "verify", s->want_verify));
	json_object_set_new(j, "next_reconcile", time_json(s->next_reconcile));
	json_object_set_new(j, "next_verify", time_json(s->next_verify));
	json_object_set_new(j, "last_verify", s->last_verify >= 0
		? json_pack("{s:i, s:o}", "exit_code", s->last_verify, "at", time_json(s->last_verify_at)) : json_null());
	zsync_unlock(&s->mu);
	json_object_set_new(j, "pairs", pairs);
	return dump(j);
}

/* What the service knows of a state db run (with s->mu held); NULL when it did not make it. */
static const struct zsync_serve_run *serve_run(struct zsync_serve *s, int64_t state_run)
{
	for (int64_t k = s->nruns; k > 0 && k > s->nruns - ZSYNC_SERVE_RUNS; k--) {
		const struct zsync_serve_run *r = &s->runs[(k - 1) % ZSYNC_SERVE_RUNS];
		if (r->state_run == state_run)
			return r;
	}
	return NULL;
}

struct runs_ctx {
	struct zsync_serve *s;
	json_t *arr;
};

static json_t *run_json(struct zsync_serve *s, const struct zsync_run_info *r)
{
	json_t *j = json_pack("{s:I, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:i}", "id", (json_int_t)r->id,
			      "command", r->command ? r->command : "", "commit", str_or_null(r->commit),
			      "trigger", str_or_null(r->trigger), "status", r->status ? r->status : "",
			      "summary", str_or_null(r->summary), "started_at", time_json(r->started_at),
			      "finished_at", time_json(r->finished_at), "changes", r->changes);
	zsync_lock(&s->mu);
	const struct zsync_serve_run *sr = serve_run(s, r->id);
	if (sr)
		json_object_set_new(j, "service", json_pack("{s:I, s:f, s:i, s:I, s:I, s:I, s:i}",
			"run", (json_int_t)sr->seq, "seconds", round(sr->seconds * 1000) / 1000, "exit_code", sr->exit_code,
			"deliveries", (json_int_t)sr->deliveries, "failed", (json_int_t)sr->failed,
			"refused", (json_int_t)sr->refused, "drift", sr->drift));
	zsync_unlock(&s->mu);
	return j;
}

static int runs_cb(void *arg, const struct zsync_run_info *r)
{
	struct runs_ctx *c = arg;
	json_array_append_new(c->arr, run_json(c->s, r));
	return 0;
}

char *zsync_serve_runs_json(struct zsync_serve *s, int limit)
{
	struct runs_ctx c = { s, json_array() };
	struct zsync_err err = { 0 };

	zsync_lock(&s->db_mu);
	if (s->db)
		zsync_state_runs(s->db, limit, NULL, NULL, runs_cb, &c, &err);
	zsync_unlock(&s->db_mu);
	return dump(json_pack("{s:o}", "runs", c.arr));
}

struct one_run {
	struct zsync_serve *s;
	int64_t id;
	json_t *run, *changes;
};

static int one_run_cb(void *arg, const struct zsync_run_info *r)
{
	struct one_run *o = arg;
	if (r->id == o->id)
		o->run = run_json(o->s, r);
	return r->id <= o->id; /* newest first: nothing further down can match */
}

static int change_cb(void *arg, const struct zsync_change_info *c)
{
	struct one_run *o = arg;
	json_array_append_new(o->changes, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o}",
		"zone", c->zone, "provider", c->provider, "op", c->op, "owner", c->owner, "type", c->type,
		"old", str_or_null(c->old_rdata), "new", str_or_null(c->new_rdata), "status", c->status,
		"error", str_or_null(c->error)));
	return 0;
}

char *zsync_serve_run_json(struct zsync_serve *s, int64_t id)
{
	struct one_run o = { s, id, NULL, json_array() };
	struct zsync_err err = { 0 };

	zsync_lock(&s->db_mu);
	/* runs are listed newest first; an id far back needs a deep enough window */
	if (s->db)
		zsync_state_runs(s->db, 1 << 30, NULL, NULL, one_run_cb, &o, &err);
	if (s->db && o.run)
		zsync_state_changes(s->db, id, NULL, NULL, change_cb, &o, &err);
	zsync_unlock(&s->db_mu);
	if (!o.run) {
		json_decref(o.changes);
		return NULL;
	}
	json_object_set_new(o.run, "changes", o.changes);
	return dump(o.run);
}

void zsync_serve_html_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void age(char *buf, size_t len, int64_t t, time_t now)
{
	long d = (long)(now - t);
	if (t <= 0)
		snprintf(buf, len, "never");
	else if (d < 90)
		snprintf(buf, len, "%lds ago", d < 0 ? 0 : d);
	else if (d < 5400)
		snprintf(buf, len, "%ldm ago", d / 60);
	else if (d < 129600)
		snprintf(buf, len, "%ldh ago", d / 3600);
	else
		snprintf(buf, len, "%ldd ago", d / 86400);
}

struct page_run {
	int64_t id, started;
	char command[16], trigger[32], status[16], commit[16];
	char *summary;
	int changes, drift, failures;
};

struct page_runs {
	struct page_run *v;
	size_t n, max;
};

static int page_run_cb(void *arg, const struct zsync_run_info *r)
{
	struct page_runs *p = arg;
	if (p->n == p->max)
		return 1;
	struct page_run *x = &p->v[p->n++];
	memset(x, 0, sizeof(*x));
	x->id = r->id;
	x->started = r->started_at;
	snprintf(x->command, sizeof(x->command), "%s", r->command ? r->command : "");
	snprintf(x->trigger, sizeof(x->trigger), "%s", r->trigger ? r->trigger : "");
	snprintf(x->status, sizeof(x->status), "%s", r->status ? r->status : "");
	snprintf(x->commit, sizeof(x->commit), "%.10s", r->commit ? r->commit : "");
	x->summary = r->summary ? zsync_xstrdup(r->summary) : NULL;
	x->changes = r->changes;
	x->failures = !strcmp(x->status, "partial") || !strcmp(x->status, "failed") || !strcmp(x->status, "interrupted");
	return 0;
}

static int page_drift_cb(void *arg, const struct zsync_drift_info *d)
{
	struct page_runs *p = arg;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].id == d->run_id)
			p->v[i].drift++;
	return 0;
}

static double bar(int v, int max)
{
	/* logarithmic: one failure stays visible beside a thousand changes */
	return max > 0 && v > 0 ? log1p(v) / log1p(max) : 0;
}

/* Changes, drift and failures per run, oldest on the left: inline SVG, no script. */
static void chart(FILE *f, const struct page_runs *p)
{
	const int w = 720, h = 170, top = 10, base = 140, left = 36;
	static const char *const colour[] = { "#3b6fd4", "#e08a1e", "#c62828" };
	static const char *const what[] = { "changes", "drift", "failures" };
	size_t n = p->n < CHART_RUNS ? p->n : CHART_RUNS;
	int max = 0;

	for (size_t i = 0; i < n; i++) {
		int v[3] = { p->v[i].changes, p->v[i].drift, p->v[i].failures };
		for (int k = 0; k < 3; k++)
			max = v[k] > max ? v[k] : max;
	}
	fprintf(f, "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"changes, drift and failures per run\">\n",
		w, h, w, h);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", left, base, w - 4, base);
	fprintf(f, "<text x=\"2\" y=\"%d\" font-size=\"10\">%d</text><text x=\"2\" y=\"%d\" font-size=\"10\">0</text>\n",
		top + 8, max, base);
	double slot = n ? (double)(w - left - 8) / (double)(n > 10 ? n : 10) : 0;
	for (size_t i = 0; i < n; i++) {
		const struct page_run *r = &p->v[n - 1 - i]; /* oldest first */
		int v[3] = { r->changes, r->drift, r->failures };
		double x = left + 4 + slot * (double)i;
		for (int k = 0; k < 3; k++) {
			double bh = bar(v[k], max) * (base - top);
			fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>run %lld: %d %s</title></rect>\n",
				what[k], x + slot * 0.28 * k, base - bh, slot * 0.26, bh, colour[k], (long long)r->id, v[k], what[k]);
		}
		if (n <= 20 || i % 5 == 0)
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\">%lld</text>\n", x, base + 12, (long long)r->id);
	}
	for (int k = 0; k < 3; k++)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n",
			left + 110 * k, h - 12, colour[k], left + 110 * k + 14, h - 3, what[k]);
	fputs("</svg>\n", f);
}

static const char page_css[] =
	"body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}"
	"h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em}"
	"table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ccc;padding:.35em .6em;text-align:left;vertical-align:top}"
	"th{background:#eee}.meta{color:#555;font-size:.9em}.err{color:#b71c1c;font-size:.85em;max-width:28em;word-break:break-word}"
	".cell{min-width:10em}.state{font-weight:600;padding:.1em .4em;border-radius:3px}"
	".in_sync .state{background:#c8e6c9}.drift_repaired .state{background:#ffe0b2}"
	".failing .state{background:#ffcdd2}.unknown .state{background:#e0e0e0}"
	".st-ok{color:#2e7d32}.st-partial,.st-refused{color:#e65100}.st-failed,.st-interrupted{color:#b71c1c}"
	"code{font-size:.9em}#runs td:nth-child(2){white-space:nowrap}";

static const char *state_label(const char *state)
{
	return !strcmp(state, "in_sync") ? "in sync" : !strcmp(state, "drift_repaired") ? "drift repaired"
		: !strcmp(state, "failing") ? "failing" : "unknown";
}

char *zsync_serve_page(struct zsync_serve *s)
{
	char *buf = NULL, why[1200], ts[32], a[32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct cells c;
	struct page_runs pr = { zsync_xcalloc(CHART_RUNS, sizeof(struct page_run)), 0, CHART_RUNS };
	struct zsync_err err = { 0 };
	time_t now = time(NULL);
	const char *nr = zsync_serve_not_ready(s, why, sizeof(why));

	load_cells(s, &c);
	zsync_lock(&s->db_mu);
	if (s->db) {
		zsync_state_runs(s->db, CHART_RUNS, NULL, NULL, page_run_cb, &pr, &err);
		if (pr.n)
			zsync_state_drift(s->db, pr.v[pr.n - 1].started - 1, page_drift_cb, &pr, &err);
	}
	zsync_unlock(&s->db_mu);

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<meta http-equiv=\"refresh\" content=\"30\"><title>zonesync</title><style>", f);
	fputs(page_css, f);
	fputs("</style></head><body>\n<h1>zonesync</h1>\n<p class=\"meta\" id=\"summary\">", f);
	zsync_lock(&s->mu);
	fputs("branch <code>", f);
	zsync_serve_html_escape(f, s->branch);
	fputs("</code> &middot; ", f);
	zsync_serve_html_escape(f, nr ? nr : "ready");
	if (s->running)
		fprintf(f, " &middot; %s running since %s", zsync_serve_job_name(s->running),
			zsync_cmd_time(s->running_since, ts, sizeof(ts)));
	if (s->npending)
		fprintf(f, " &middot; %zu push%s waiting", s->npending, s->npending == 1 ? "" : "es");
	if (s->next_reconcile)
		fprintf(f, " &middot; next reconcile %s", zsync_cmd_time(s->next_reconcile, ts, sizeof(ts)));
	fprintf(f, " &middot; page generated %s</p>\n", zsync_cmd_time(now, ts, sizeof(ts)));
	zsync_unlock(&s->mu);

	fputs("<h2>Zones &times; providers</h2>\n<table id=\"matrix\"><thead><tr><th>zone</th>", f);
	for (size_t p = 0; p < c.providers.n; p++) {
		fputs("<th>", f);
		zsync_serve_html_escape(f, c.providers.v[p]);
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	for (size_t z = 0; z < c.zones.n; z++) {
		fputs("<tr><th>", f);
		zsync_serve_html_escape(f, c.zones.v[z]);
		fputs("</th>", f);
		for (size_t p = 0; p < c.providers.n; p++) {
			struct cell *x = find_cell(&c, c.zones.v[z], c.providers.v[p]);
			if (!x) {
				fputs("<td class=\"none\">&ndash;</td>", f);
				continue;
			}
			fprintf(f, "<td class=\"cell %s\" data-zone=\"", x->state);
			zsync_serve_html_escape(f, x->zone);
			fputs("\" data-provider=\"", f);
			zsync_serve_html_escape(f, x->provider);
			fprintf(f, "\" data-state=\"%s\"><span class=\"state\">%s</span>", x->state, state_label(x->state));
			if (x->commit) {
				age(a, sizeof(a), x->last_success, now);
				fputs("<br><code class=\"commit\">", f);
				fprintf(f, "%.10s", x->commit);
				fprintf(f, "</code> <span class=\"meta\">%s</span>", a);
			}
			if (x->error && x->failures) {
				age(a, sizeof(a), x->last_error_at, now);
				fprintf(f, "<div class=\"err\">%s: ", a);
				zsync_serve_html_escape(f, x->error);
				fputs("</div>", f);
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);

	fputs("<h2>Changes, drift and failures per run</h2>\n", f);
	chart(f, &pr);

	fprintf(f, "<h2>Last runs</h2>\n<table id=\"runs\"><thead><tr><th>run</th><th>started</th><th>command</th>"
		   "<th>trigger</th><th>commit</th><th>result</th><th>changes</th><th>summary</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < pr.n && i < PAGE_RUNS; i++) {
		const struct page_run *r = &pr.v[i];
		fprintf(f, "<tr><td><a href=\"/api/v1/runs/%lld\">%lld</a></td><td>%s</td><td>", (long long)r->id,
			(long long)r->id, zsync_cmd_time(r->started, ts, sizeof(ts)));
		zsync_serve_html_escape(f, r->command);
		fputs("</td><td>", f);
		zsync_serve_html_escape(f, r->trigger);
		fputs("</td><td><code>", f);
		zsync_serve_html_escape(f, r->commit);
		fputs("</code></td><td class=\"st-", f);
		zsync_serve_html_escape(f, r->status);
		fputs("\">", f);
		zsync_serve_html_escape(f, r->status);
		fprintf(f, "</td><td>%d</td><td>", r->changes);
		zsync_serve_html_escape(f, r->summary);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n<p class=\"meta\">JSON: <a href=\"/api/v1/status\">/api/v1/status</a>, "
	      "<a href=\"/api/v1/runs\">/api/v1/runs</a>; metrics: <a href=\"/metrics\">/metrics</a></p>\n"
	      "</body></html>\n", f);
	fclose(f);
	for (size_t i = 0; i < pr.n; i++)
		free(pr.v[i].summary);
	free(pr.v);
	free_cells(&c);
	return buf;
}
