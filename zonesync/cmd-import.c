/* cmd-import.c - `zonesync import`: write what a provider serves as a canonical zone file (onboarding) */
#include "cmd.h"
#include "engine.h"
#include "thread.h"
#include "config.h"
#include "deploy.h"
#include "provider.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_line[] =
	"zonesync import {provider} ({zone} | {all}) [{output} | {dir}] {*}";

/* Providers that keep the SOA to themselves (Dyn, Cloudflare) return none, yet a
 * zone file needs one: write a conventional SOA naming the first apex NS, with a
 * date serial. zonesync treats the SOA of such providers as theirs, so this one only
 * matters for providers that take the SOA from git. Returns whether it did. */
static bool add_soa(struct zsync_zone *z, const char *name)
{
	const uint8_t *apex = zsync_zone_origin(z);
	const struct zsync_rrset *ns = zsync_zone_find(z, apex, ZSYNC_TYPE_NS);
	char mname[ZSYNC_NAME_TXT_MAXLEN + 2], *line;
	struct zsync_err err = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	int ret;

	if (zsync_zone_find(z, apex, ZSYNC_TYPE_SOA))
		return false;
	if (!ns || !zsync_name_to_text(zsync_rdata_target(ZSYNC_TYPE_NS, ns->rdata), mname, sizeof(mname)))
		snprintf(mname, sizeof(mname), "%s", name);
	gmtime_r(&now, &tm);
	line = zsync_xasprintf("@ 3600 IN SOA %s hostmaster.%s %04d%02d%02d01 3600 600 1209600 300\n", mname,
			       name, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	ret = zsync_zone_add_text(z, line, strlen(line), &err);
	free(line);
	return ret == 0;
}

/*
 * Records of the types the server makes itself (signatures, NSEC chains, BIND's
 * signing state) belong to the provider: in git they would be managed, and stale as
 * soon as the server signs again. Returns how many RRsets were left out.
 */
static size_t drop_generated(const struct zsync_provider_type *t, const struct zsync_provider_conf *pc,
			     struct zsync_zone *z)
{
	struct zsync_diff_policy pol = { .generated = pc->generated ? pc->generated : t->generated };
	const struct zsync_rrset **drop = NULL;
	size_t n = 0;

	for (size_t i = 0; i < zsync_zone_iter_count(z); i++) {
		const struct zsync_rrset *r = zsync_zone_iter(z, i);
		if (r && zsync_diff_generated(&pol, r->type)) {
			drop = zsync_xrealloc(drop, (n + 1) * sizeof(*drop));
			drop[n++] = r;
		}
	}
	for (size_t i = 0; i < n; i++) {
		/* the owner stays in the zone's arena; the type is read before the removal */
		uint16_t type = drop[i]->type;
		zsync_zone_remove(z, drop[i]->owner, type);
	}
	free(drop);
	return n;
}

/* One zone: its file to out_path (or out), what is said about it to errs. */
static int import_one(struct zsync_ctx *ctx, const struct zsync_provider_type *t, void *priv,
		      const struct zsync_provider_conf *pc, const char *zone, const char *out_path,
		      bool snippet, FILE *out, FILE *errs)
{
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };
	char header[1536], *name = zsync_config_zone_name(zone);
	bool own_soa;
	FILE *f = out;
	int code = ZSYNC_EXIT_OK;

	if (zsync_err_sync(&err, t->fetch(priv, name, &z, &err)) < 0) {
		fprintf(errs, "zonesync: provider '%s': zone '%s': %s\n", pc->name, name, err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	/* the deployment marker is zonesync's own record, never zone data */
	zsync_marker_strip(z, pc);
	if (out_path && !(f = fopen(out_path, "w"))) {
		fprintf(errs, "zonesync: %s: %s\n", out_path, strerror(errno));
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	size_t generated = drop_generated(t, pc, z);
	own_soa = add_soa(z, name);
	if (!zsync_zone_find(z, zsync_zone_origin(z), ZSYNC_TYPE_NS))
		fprintf(errs, "zonesync: warning: provider '%s' returned no apex NS for '%s': add them before "
			"committing\n", pc->name, name);
	snprintf(header, sizeof(header), "%s imported by zonesync from provider '%s' (%s)\n"
		 "review it, then commit it: from now on git is the source of truth%s",
		 name, pc->name, pc->type, own_soa ? "\nthe provider keeps its SOA to itself: the SOA "
		 "below was written by zonesync" : "");
	if (generated) {
		size_t l = strlen(header);
		snprintf(header + l, sizeof(header) - l,
			 "\n%zu RRset%s the server makes itself (its `generated` types: DNSSEC records, BIND's "
			 "TYPE65534) left out: they belong to the provider", generated, generated == 1 ? "" : "s");
	}
	if (zsync_zone_write(z, f, header) < 0) {
		fprintf(errs, "zonesync: cannot write the zone\n");
		code = ZSYNC_EXIT_ERROR;
	}
	if (out_path && fclose(f) != 0)
		code = ZSYNC_EXIT_ERROR;
	if (out_path && !ctx->quiet)
		fprintf(errs, "zonesync: wrote %s (%zu records in %zu RRsets)\n", out_path,
			zsync_zone_record_count(z), zsync_zone_rrset_count(z));
	if (snippet)
		fprintf(out, "%s[[zones]]\nname = \"%s\"\nproviders = [\"%s\"]\n", out_path ? "" : "\n", name, pc->name);
out:
	zsync_zone_free(z);
	free(name);
	return code;
}

struct import_task {
	struct zsync_ctx *ctx;
	const struct zsync_provider_type *t;
	void *priv;
	const struct zsync_provider_conf *pc;
	const char *zone;
	char *path;
	bool snippet;
	int code;
	/* what it writes to standard output and error, shown in the zones' order: as soon as
	 * it and every zone before it are done (held only while an earlier one is read) */
	char *out, *errs;
	size_t out_len, errs_len;
	bool done;
	struct import_show *show;
};

struct import_show {
	pthread_mutex_t lock;
	struct import_task *its;
	size_t n, next; /* its[next] is the first not shown yet */
};

static void import_task_run(void *arg)
{
	struct import_task *it = arg;
	struct import_show *sh = it->show;
	FILE *out = open_memstream(&it->out, &it->out_len), *errs = open_memstream(&it->errs, &it->errs_len);
	if (!out || !errs) {
		fputs("zonesync: out of memory\n", stderr);
		abort();
	}
	it->code = import_one(it->ctx, it->t, it->priv, it->pc, it->zone, it->path, it->snippet, out, errs);
	fclose(out);
	fclose(errs);
	zsync_lock(&sh->lock);
	it->done = true;
	for (; sh->next < sh->n && sh->its[sh->next].done; sh->next++) {
		struct import_task *t = &sh->its[sh->next];
		fwrite(t->errs, 1, t->errs_len, stderr);
		fwrite(t->out, 1, t->out_len, stdout);
		fflush(stdout);
		free(t->errs);
		free(t->out);
		t->errs = t->out = NULL;
	}
	zsync_unlock(&sh->lock);
}

int cmd_import(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *provider = NULL, *zone = NULL, *out_path = NULL, *dir = NULL;
	bool all = false, snippet = false;
	long jobs = 0;
	struct import_task *its = NULL;
	struct zsync_engine_task *tasks = NULL;
	const struct zsync_opt opts[] = {
		{ 0, "provider", ZSYNC_OPT_STRING, &provider, "NAME", "the provider to read from" },
		{ 0, "zone", ZSYNC_OPT_STRING, &zone, "ZONE", "the zone to import" },
		{ 0, "all", ZSYNC_OPT_FLAG, &all, NULL, "every zone the provider has (where it can list them)" },
		{ 'o', "output", ZSYNC_OPT_STRING, &out_path, "FILE", "write the zone file here (default: standard output)" },
		{ 0, "dir", ZSYNC_OPT_STRING, &dir, "DIR", "with --all: write ZONE.zone files into DIR" },
		{ 0, "config-snippet", ZSYNC_OPT_FLAG, &snippet, NULL, "also print the [[zones]] entry for zonesync.toml" },
		{ 'j', "jobs", ZSYNC_OPT_INT, &jobs, "N", "with --all: zones read at once where the provider can (default: [defaults] jobs)" },
		{ 0 },
	};
	struct zsync_strlist pos = { 0 }, names = { 0 };
	struct zsync_config *cfg = NULL;
	const struct zsync_provider_conf *pc;
	const struct zsync_provider_type *t = NULL;
	struct zsync_err err = { 0 };
	void *priv = NULL;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	if (!provider || (!zone == !all) || pos.n || (all && out_path)) {
		fprintf(stderr, "zonesync: import needs --provider and one of --zone or --all\nusage: %s\n", ctx->usage);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	if (!(cfg = zsync_cmd_config(ctx))) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if ((code = zsync_cmd_run_options(cfg, NULL, jobs)))
		goto out;
	if (!(pc = zsync_config_provider(cfg, provider)) || !(t = zsync_provider_find(pc->type))) {
		fprintf(stderr, "zonesync: %s '%s'\n", pc ? "cannot import from provider type" : "no provider named",
			pc ? pc->type : provider);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	/* decided by the descriptor, before anything is opened */
	if (all && !(t->caps & ZSYNC_CAP_LIST_ZONES)) {
		fprintf(stderr, "zonesync: provider '%s' (type %s) cannot list its zones: import them one by one with --zone\n",
			pc->name, t->name);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if (zsync_err_sync(&err, t->open(pc, &priv, &err)) < 0) {
		fprintf(stderr, "zonesync: provider '%s': %s\n", pc->name, err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if (!all) {
		code = import_one(ctx, t, priv, pc, zone, out_path, snippet, stdout, stderr);
		goto out;
	}
	if (zsync_err_sync(&err, t->list_zones(priv, &names, &err)) < 0) {
		fprintf(stderr, "zonesync: provider '%s' cannot list its zones%s%s\n", pc->name,
			err.code ? ": " : "", err.code ? err.msg : "");
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	/* on the engine, one task per zone: as many at once as the provider reads zones at once
	 * (one, unless its type has ZSYNC_CAP_CONCURRENT), the output in the zones' order */
	its = zsync_xcalloc(names.n ? names.n : 1, sizeof(*its));
	tasks = zsync_xcalloc(names.n ? names.n : 1, sizeof(*tasks));
	struct import_show show = { .its = its, .n = names.n };
	zsync_mutex_init(&show.lock);
	for (size_t i = 0; i < names.n; i++) {
		its[i] = (struct import_task){ ctx, t, priv, pc, names.v[i], NULL, snippet, ZSYNC_EXIT_OK, .show = &show };
		if (dir)
			its[i].path = zsync_xasprintf("%s/%.*s.zone", dir, (int)strlen(names.v[i]) - 1, names.v[i]);
		tasks[i] = (struct zsync_engine_task){ priv, import_task_run, &its[i], pc->read_concurrency };
	}
	zsync_engine_run(tasks, names.n, cfg->jobs > 0 ? cfg->jobs : cfg->defaults.jobs, 1);
	zsync_mutex_destroy(&show.lock);
	for (size_t i = 0; i < names.n; i++) {
		if (its[i].code != ZSYNC_EXIT_OK)
			code = ZSYNC_EXIT_ERROR;
		free(its[i].path);
	}
out:
	free(its);
	free(tasks);
	if (priv)
		t->close(priv);
	zsync_config_free(cfg);
	zsync_strlist_release(&names);
	zsync_strlist_release(&pos);
	return code;
}
