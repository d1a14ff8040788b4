/* plan.c - building a plan (zones x providers), safety limits, JSON/text/Markdown rendering, plan hash */
#include "plan.h"
#include "engine.h"
#include "lint.h"
#include "nsset.h"
#include "provider.h"
#include "strmap.h"
#include "thread.h"

#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void compute_hash(const struct zsync_plan *p, char out[65]);

char *zsync_plan_error(const char *provider, const char *zone, const char *msg)
{
	if (zone)
		return zsync_xasprintf("provider '%s': zone '%s': %s", provider, zone, msg);
	return zsync_xasprintf("provider '%s': %s", provider, msg);
}

static struct zsync_plan_provider *get_provider(struct zsync_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nproviders; i++)
		if (strcmp(p->providers[i].conf->name, name) == 0)
			return &p->providers[i];
	return NULL;
}

/* Safety limits (DESIGN section 6): mark the entry refused, with the reason. */
static void check_limits(struct zsync_plan *p, struct zsync_plan_entry *e)
{
	struct zsync_limits l = zsync_config_limits(p->cfg, e->provider->conf, e->zone->conf);
	const struct zsync_changeset *cs = &e->cs;
	size_t existing = cs->existing, updates = 0;
	char why[512] = "";

	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_change *c = &cs->v[i];
		if (c->op == ZSYNC_CHANGE_UPDATE)
			updates++;
		/* the apex NS set is what makes the providers secondaries of one another */
		if ((c->flags & ZSYNC_CHANGE_APEX_NS) &&
		    ((c->op == ZSYNC_CHANGE_UPDATE && !(c->flags & ZSYNC_CHANGE_TTL_ONLY)) ||
		     c->op == ZSYNC_CHANGE_DELETE)) {
			snprintf(why, sizeof(why), "protected change: %s the apex NS records",
				 c->op == ZSYNC_CHANGE_DELETE ? "deletes" : "changes");
			break;
		}
	}
	if (!*why && l.max_changes >= 0 && cs->n > (size_t)l.max_changes)
		snprintf(why, sizeof(why), "%zu changes exceed max_changes = %ld", cs->n, l.max_changes);
	if (!*why && existing >= (size_t)l.min_existing && existing > 0) {
		if (updates * 100 > (size_t)l.max_update_pct * existing)
			snprintf(why, sizeof(why), "updates %zu of %zu RRsets (%zu%%), over max_update_pct = %ld%%",
				 updates, existing, updates * 100 / existing, l.max_update_pct);
		else if (cs->deletes * 100 > (size_t)l.max_delete_pct * existing)
			snprintf(why, sizeof(why), "deletes %zu of %zu RRsets (%zu%%), over max_delete_pct = %ld%%",
				 cs->deletes, existing, cs->deletes * 100 / existing, l.max_delete_pct);
	}
	if (*why)
		e->refused = zsync_xstrdup(why);
}

void zsync_plan_policy(const struct zsync_provider_type *t, const struct zsync_provider_conf *pc,
		       const struct zsync_zone_conf *zc, struct zsync_diff_policy *pol)
{
	*pol = (struct zsync_diff_policy){
		.rrtypes = t->rrtypes,
		.ttl_min = t->ttl_min,
		.ttl_max = t->ttl_max,
		.manage_apex_ns = pc->manage_apex_ns && (t->caps & ZSYNC_CAP_APEX_NS),
		.manage_soa = (t->caps & ZSYNC_CAP_OWNS_SOA) != 0,
		.skip_unsupported = pc->unsupported == ZSYNC_UNSUPPORTED_SKIP,
		.normalisers = t->normalisers,
		.generated = pc->generated ? pc->generated : t->generated,
		.max_rrset_records = pc->max_rrset_records > 0 && pc->max_rrset_records <= UINT32_MAX
					     ? (uint32_t)pc->max_rrset_records : 0,
		.check_rrset = t->check_rrset,
		.provider = pc->name,
		.ignore = { &pc->ignore, &zc->ignore },
	};
	zsync_plan_marker_name(pc, zc->name, pol->marker, &pol->has_marker);
}

void zsync_plan_marker_name(const struct zsync_provider_conf *pc, const char *zone, uint8_t out[ZSYNC_NAME_MAXLEN],
			    bool *has)
{
	uint8_t origin[ZSYNC_NAME_MAXLEN];
	*has = pc->marker && zsync_name_from_text(zone, NULL, origin) == 0 &&
	       zsync_name_from_text(pc->marker, origin, out) == 0;
}

/* The nameservers the provider serves the zone from (after its fetch: the fetch is what a
 * provider may remember for apply, and what a failing provider fails first). */
static void fetch_nameservers(struct zsync_plan_entry *e)
{
	const struct zsync_provider_type *t = e->provider->type;
	struct zsync_err err = { 0 };

	if (t->nameservers &&
	    zsync_err_sync(&err, t->nameservers(e->provider->priv, e->provider->conf, e->zone->conf->name,
						&e->assigned, &err)) < 0 && err.code != ZSYNC_ENOTFOUND)
		e->assigned_error = zsync_xasprintf("cannot tell its nameservers: %s", err.msg);
}

/* What the provider serves (no need of git's zone: runs while git's zones load). */
static void fetch_entry(struct zsync_plan *p, struct zsync_plan_entry *e)
{
	const struct zsync_provider_type *t = e->provider->type;
	const struct zsync_provider_conf *pc = e->provider->conf;
	const char *zone = e->zone->conf->name;
	struct zsync_err err = { 0 };
	int r;

	(void)p;
	if (!e->provider->priv) {
		e->status = ZSYNC_ENTRY_FAILED;
		e->error = zsync_plan_error(pc->name, NULL, e->provider->error);
		return;
	}
	if (t->caps & ZSYNC_CAP_READ_ONLY) {
		e->status = ZSYNC_ENTRY_READ_ONLY;
		fetch_nameservers(e);
		return;
	}
	r = zsync_err_sync(&err, t->fetch(e->provider->priv, zone, &e->current, &err));
	if (r == 0 || r == ZSYNC_ENOTFOUND)
		fetch_nameservers(e);
	else
		e->assigned_error = zsync_xstrdup("could not be read");
	if (r == ZSYNC_ENOTFOUND) {
		if (!(t->caps & ZSYNC_CAP_CREATE_ZONE) || !pc->create_zones) {
			e->status = ZSYNC_ENTRY_FAILED;
			e->error = zsync_plan_error(pc->name, zone,
						    (t->caps & ZSYNC_CAP_CREATE_ZONE)
							    ? "the zone does not exist there (set create_zones = true to let zonesync create it)"
							    : "the zone does not exist there, and this provider cannot create zones");
			return;
		}
		e->create_zone = true;
		e->current = NULL;
	} else if (r < 0) {
		e->status = ZSYNC_ENTRY_FAILED;
		e->error = zsync_plan_error(pc->name, zone, err.msg);
	}
}

/*
 * apex_ns = "git": the nameservers of the zone's providers that the apex NS this provider
 * will serve (git's where it takes apex NS, else its own) does not name, as warnings.
 * Never in "union" mode: there the apex NS is made to name them all.
 */
static void nsset_warnings(struct zsync_plan *p, struct zsync_plan_entry *e, const struct zsync_diff_policy *pol)
{
	const struct zsync_plan_zone *pz = e->zone;
	const struct zsync_zone *served = pol->manage_apex_ns ? pz->desired : e->current;
	const struct zsync_rrset *ns;

	for (size_t k = 0; k < pz->nsset_notes.n; k++)
		zsync_strlist_add(&e->cs.warnings, pz->nsset_notes.v[k]);
	if (pz->conf->apex_ns != ZSYNC_APEX_NS_GIT || !served || (e->provider->type->caps & ZSYNC_CAP_READ_ONLY))
		return;
	ns = zsync_zone_find(served, zsync_zone_origin(served), ZSYNC_TYPE_NS);
	for (size_t k = 0; k < pz->nentries; k++) {
		const struct zsync_plan_entry *q = &p->entries[pz->entry0 + k];
		struct zsync_strlist missing = { 0 };
		zsync_nsset_missing(ns, &q->assigned, &missing);
		if (missing.n)
			zsync_strlist_add_owned(&e->cs.warnings,
				zsync_nsset_warning(e->provider->conf->name, pol->manage_apex_ns, q->provider->conf->name, &missing));
		zsync_strlist_release(&missing);
	}
}

/*
 * apex_ns = "union": git's apex NS plus every provider's nameservers, before the zone is
 * frozen. A provider that cannot tell its names (or has none configured) is left out,
 * with a warning at every provider of the zone: the providers stay independent, and a
 * union that would take names out of an apex NS is a protected change all the same.
 */
static void nsset_union(struct zsync_plan *p, struct zsync_plan_zone *pz)
{
	for (size_t k = 0; k < pz->nentries; k++) {
		struct zsync_plan_entry *q = &p->entries[pz->entry0 + k];
		const char *name = q->provider->conf->name;
		struct zsync_err err = { 0 };
		if (q->assigned_error)
			zsync_strlist_add_owned(&pz->nsset_notes, zsync_xasprintf(
				"apex_ns = \"union\": provider '%s' %s: the apex NS lacks its names", name, q->assigned_error));
		else if (!q->provider->priv)
			zsync_strlist_add_owned(&pz->nsset_notes, zsync_xasprintf(
				"apex_ns = \"union\": provider '%s' could not be opened: the apex NS lacks its names", name));
		else if (!q->assigned.n)
			zsync_strlist_add_owned(&pz->nsset_notes, zsync_xasprintf(
				"apex_ns = \"union\": provider '%s' names no nameservers for the zone (set its ns_names): "
				"the apex NS lacks them", name));
		else if (zsync_nsset_extend(pz->desired, &q->assigned, &err) < 0)
			zsync_strlist_add_owned(&pz->nsset_notes, zsync_xasprintf(
				"apex_ns = \"union\": provider '%s': %s", name, err.msg));
	}
}

static void diff_entry(struct zsync_plan *p, struct zsync_plan_entry *e)
{
	const struct zsync_provider_conf *pc = e->provider->conf;
	const char *zone = e->zone->conf->name;

	if (e->zone->invalid) {
		/* a zone with errors is never pushed: whatever the provider said does not matter */
		free(e->error);
		e->status = ZSYNC_ENTRY_INVALID_ZONE;
		/* named by commit id, not by how the run was asked for it (HEAD, a branch): the
		 * text is in the plan hash, and apply --plan must plan the same words again */
		char src[64];
		if (strlen(p->commit) == 40)
			snprintf(src, sizeof(src), "commit %.12s", p->commit);
		e->error = zsync_xasprintf("zone '%s' has errors in %s: nothing is pushed", zone,
					   strlen(p->commit) == 40 ? src : p->source);
		return;
	}
	if (e->status != ZSYNC_ENTRY_READY)
		return;
	struct zsync_diff_policy pol;
	zsync_plan_policy(e->provider->type, pc, e->zone->conf, &pol);
	zsync_diff(e->zone->desired, e->current, &pol, &e->cs);
	if (pol.has_marker) {
		/* git's records at the marker's name would never be deployed there while plan and
		 * verify called the zone in sync: refused before anything is sent, like any record
		 * a provider cannot hold */
		for (size_t i = 0; i < zsync_zone_iter_count(e->zone->desired); i++) {
			const struct zsync_rrset *r = zsync_zone_iter(e->zone->desired, i);
			char name[ZSYNC_NAME_TXT_MAXLEN + 1];
			if (!r || !zsync_name_equal(r->owner, pol.marker))
				continue;
			zsync_strlist_add_owned(&e->cs.errors,
				zsync_xasprintf("git has records at %s, the name of zonesync's deployment marker at this provider: they could never be deployed (rename them, or set marker to another name or \"\" for provider '%s')",
						zsync_name_to_text(pol.marker, name, sizeof(name)), pc->name));
			break;
		}
	}
	nsset_warnings(p, e, &pol);
	if (e->cs.errors.n) {
		/* every record the provider cannot hold is named, not only the first */
		char *all = zsync_xstrdup(e->cs.errors.v[0]);
		size_t shown = e->cs.errors.n < 50 ? e->cs.errors.n : 50;
		for (size_t i = 1; i < shown; i++) {
			char *n = zsync_xasprintf("%s; %s", all, e->cs.errors.v[i]);
			free(all);
			all = n;
		}
		if (shown < e->cs.errors.n) {
			char *n = zsync_xasprintf("%s; and %zu more", all, e->cs.errors.n - shown);
			free(all);
			all = n;
		}
		e->status = ZSYNC_ENTRY_FAILED;
		e->error = zsync_plan_error(pc->name, zone, all);
		free(all);
		return;
	}
	check_limits(p, e);
}

static void plan_entry(struct zsync_plan *p, struct zsync_plan_entry *e)
{
	if (!e->zone->invalid)
		fetch_entry(p, e);
	diff_entry(p, e);
}

struct each_task {
	struct zsync_plan *p;
	struct zsync_plan_entry *e;
	void (*fn)(struct zsync_plan *, struct zsync_plan_entry *, void *);
	void *arg;
};

static void each_run(void *arg)
{
	struct each_task *t = arg;
	t->fn(t->p, t->e, t->arg);
}

void zsync_plan_each_phase(struct zsync_plan *p, long jobs, enum zsync_plan_phase phase,
			   void (*fn)(struct zsync_plan *, struct zsync_plan_entry *, void *), void *arg)
{
	bool by_provider = phase != ZSYNC_PHASE_DIFF;
	struct each_task *et = zsync_xmalloc((p->nentries ? p->nentries : 1) * sizeof(*et));
	struct zsync_engine_task *tasks = zsync_xmalloc((p->nentries ? p->nentries : 1) * sizeof(*tasks));
	size_t *start = zsync_xcalloc(p->nproviders + 1, sizeof(*start));

	/* the desired zones are not touched here (the fetch phase runs beside their loading):
	 * zsync_plan_build froze them before the diff and apply phases share them */
	/* the tasks grouped by provider, in provider order (a counting sort) */
	for (size_t k = 0; k < p->nentries; k++)
		start[p->entries[k].provider - p->providers + 1]++;
	for (size_t i = 0; i < p->nproviders; i++)
		start[i + 1] += start[i];
	for (size_t k = 0; k < p->nentries; k++) {
		size_t at = start[p->entries[k].provider - p->providers]++;
		et[at] = (struct each_task){ p, &p->entries[k], fn, arg };
		const struct zsync_provider_conf *pc = p->entries[k].provider->conf;
		tasks[at] = (struct zsync_engine_task){ by_provider ? p->entries[k].provider : NULL, each_run, &et[at],
							phase == ZSYNC_PHASE_READ ? pc->read_concurrency : pc->concurrency };
	}
	zsync_engine_run(tasks, p->nentries, jobs, 1);
	free(start);
	free(tasks);
	free(et);
}

void zsync_plan_each(struct zsync_plan *p, long jobs,
		     void (*fn)(struct zsync_plan *, struct zsync_plan_entry *, void *), void *arg)
{
	zsync_plan_each_phase(p, jobs, ZSYNC_PHASE_APPLY, fn, arg);
}

/* a progress line on stderr while providers are read (a terminal only: never in CI, not with -q) */
struct fetch_progress {
	bool on;
	size_t done, total;
};

static void fetch_entry_cb(struct zsync_plan *p, struct zsync_plan_entry *e, void *arg)
{
	struct fetch_progress *fp = arg;
	fetch_entry(p, e);
	if (!fp || !fp->on)
		return;
	size_t done = __atomic_add_fetch(&fp->done, 1, __ATOMIC_RELAXED);
	flockfile(stderr);
	fprintf(stderr, "\r\033[K[reading %zu/%zu] %s at %s", done, fp->total, e->zone->conf->name,
		e->provider->conf->name);
	if (done == fp->total)
		fputs("\r\033[K", stderr); /* gone before the plan is printed */
	funlockfile(stderr);
}

static void diff_entry_cb(struct zsync_plan *p, struct zsync_plan_entry *e, void *arg)
{
	(void)arg;
	diff_entry(p, e);
}

struct fetch_all {
	struct zsync_plan *p;
	long jobs;
	struct fetch_progress progress;
};

static void *fetch_all(void *arg)
{
	struct fetch_all *fa = arg;
	zsync_plan_each_phase(fa->p, fa->jobs, ZSYNC_PHASE_READ, fetch_entry_cb, &fa->progress);
	return NULL;
}

void zsync_plan_replan(struct zsync_plan *p, struct zsync_plan_entry *e)
{
	zsync_changeset_release(&e->cs);
	zsync_zone_free(e->current);
	e->current = NULL;
	free(e->error);
	free(e->refused);
	free(e->assigned_error);
	e->error = e->refused = e->assigned_error = NULL;
	zsync_strlist_release(&e->assigned);
	e->create_zone = false;
	e->status = ZSYNC_ENTRY_READY;
	plan_entry(p, e);
}

/*
 * Lint beside the diff. A big zone's lint rules (a third of a 1M-record plan) run on a
 * thread of their own while the next zones load and while the diffs and the plan hash
 * run; whether the zone has errors is known only at the end, so what depends on it is
 * speculative until then: a zone that turns out invalid has its entries planned again
 * (invalid-zone, nothing pushed) and the hash taken again, and its findings go back
 * where the serial plan puts them, so the plan is the one the serial code makes.
 */
#define LINT_BESIDE_MIN 4096 /* RRsets: below, the lint is cheaper than a hand-over */
/* Zones parsed ahead of their lint at most: each keeps its text until linted. */
#define LINT_BESIDE_AHEAD 2

struct lint_beside_zone {
	struct zsync_plan_zone *pz;
	struct zsync_lint_job job;
	struct zsync_diags diags; /* the zone's findings, the parser's first */
	size_t at;                /* where they go in the plan's findings (before the ones taken here) */
	bool invalid;
};

struct lint_beside {
	struct lint_beside_zone *v; /* p->nzones of them, allocated once: never moved */
	struct zsync_handoff h;      /* v[0 .. h.handed) handed over */
	bool started, refused;
	pthread_t th;
};

static void *lint_beside_run(void *arg)
{
	struct lint_beside *lb = arg;

	for (size_t k; (k = zsync_handoff_take(&lb->h)) != SIZE_MAX; zsync_handoff_done(&lb->h))
		lb->v[k].invalid = zsync_lint_finish(&lb->v[k].job, &lb->v[k].diags) < 0;
	return NULL;
}

/*
 * Hands the parsed zone j over to the lint thread (started at the first big zone) and
 * freezes it; its findings so far (from index `at` of p->diags) go with it. False when
 * it stays with the caller: a small zone, apex_ns = "union" (its lint sees git's apex NS,
 * before the union is added), or no thread.
 */
static bool lint_beside_takes(struct lint_beside *lb, struct zsync_plan *p, struct zsync_plan_zone *pz,
			      struct zsync_lint_job *j, size_t at)
{
	if (pz->conf->apex_ns == ZSYNC_APEX_NS_UNION || zsync_zone_rrset_count(j->zone) < LINT_BESIDE_MIN ||
	    lb->refused)
		return false;
	if (!lb->started) {
		lb->v = zsync_xcalloc(p->nzones, sizeof(*lb->v));
		zsync_handoff_init(&lb->h);
		if (!(lb->started = zsync_thread_start(&lb->th, lint_beside_run, lb))) {
			lb->refused = true;
			return false;
		}
	}
	zsync_zone_freeze(j->zone); /* read by the lint thread and the diff workers from now on */
	struct lint_beside_zone *b = &lb->v[lb->h.handed];
	*b = (struct lint_beside_zone){ .pz = pz, .job = *j, .at = at, .diags.errors_only = p->diags.errors_only };
	zsync_diags_move(&b->diags, &p->diags, at);
	b->job.diags_before = b->job.errors_before = 0;
	zsync_handoff_put(&lb->h, LINT_BESIDE_AHEAD);
	return true;
}

/* No zone comes after: the thread ends once it linted those it has. */
static void lint_beside_close(struct lint_beside *lb)
{
	if (lb->started)
		zsync_handoff_close(&lb->h);
}

/*
 * After the diffs and the hash: joins the lint thread, puts each zone's findings back in
 * place, and makes the zones with errors invalid as the serial plan does (their entries
 * planned again, the zone freed). True when one was: the hash must be taken again.
 */
static bool lint_beside_end(struct lint_beside *lb, struct zsync_plan *p)
{
	size_t shift = 0;
	bool again = false;

	if (lb->started)
		zsync_thread_join(lb->th);
	for (size_t k = 0; lb->started && k < lb->h.handed; k++) {
		struct lint_beside_zone *b = &lb->v[k];
		struct zsync_plan_zone *pz = b->pz;
		size_t n = b->diags.n;
		zsync_diags_insert(&p->diags, b->at + shift, &b->diags);
		shift += n;
		zsync_diags_release(&b->diags);
		if (!b->invalid)
			continue;
		pz->invalid = again = true;
		for (size_t e = pz->entry0; e < pz->entry0 + pz->nentries; e++) {
			/* what the speculative diff added; the rest is the provider read's */
			zsync_changeset_release(&p->entries[e].cs);
			free(p->entries[e].refused);
			p->entries[e].refused = NULL;
			diff_entry(p, &p->entries[e]);
		}
		zsync_zone_free(pz->desired);
		pz->desired = NULL;
	}
	if (lb->v)
		zsync_handoff_destroy(&lb->h);
	free(lb->v);
	return again;
}

int zsync_plan_build(struct zsync_plan **out, struct zsync_config *cfg, struct zsync_tree *tree,
		     const struct zsync_plan_filter *f, struct zsync_err *err)
{
	struct zsync_plan *p = zsync_xcalloc(1, sizeof(*p));
	struct zsync_strlist files = { 0 };
	struct zsync_strmap present = { 0 };
	size_t nentries = 0;
	int ret = 0;
	/* -j 1 keeps the whole plan on one thread beside the provider reads (for debugging) */
	long jobs = f && f->jobs > 0 ? f->jobs : cfg->defaults.jobs;
	struct lint_beside lb = { 0 };

	*out = NULL;
	p->cfg = cfg;
	p->commit = zsync_xstrdup(zsync_tree_id(tree));
	p->source = zsync_xstrdup(zsync_tree_describe(tree));
	p->diags.errors_only = f && f->errors_only;
	if ((ret = zsync_tree_list(tree, cfg->repo.zones_dir, ".zone", &files, err)) < 0)
		goto out;
	zsync_config_match_files(cfg, &files, p->source, &p->diags);

	for (size_t j = 0; j < files.n; j++)
		zsync_strmap_put(&present, files.v[j], files.v[j]);
	p->zones = zsync_xcalloc(cfg->nzones ? cfg->nzones : 1, sizeof(*p->zones));
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zsync_zone_conf *zc = &cfg->zones[i];

		if (!zsync_config_zone_selected(cfg, f ? f->zones : NULL, zc->name))
			continue;
		p->zones[p->nzones].conf = zc;
		/* a missing file is reported by zsync_config_match_files */
		p->zones[p->nzones++].invalid = !zsync_strmap_get(&present, zc->file);
	}
	if (f && f->zones && f->zones->n && p->nzones == 0) {
		ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "no configured zone matches '%s'", f->zones->v[0]);
		goto out;
	}
	if (f && f->providers) {
		for (size_t i = 0; i < f->providers->n; i++)
			if (!zsync_config_provider(cfg, f->providers->v[i])) {
				ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "no provider named '%s' in %s",
						    f->providers->v[i], cfg->path);
				goto out;
			}
	}
	/* open each provider used by a selected zone, once */
	p->providers = zsync_xcalloc(cfg->nproviders ? cfg->nproviders : 1, sizeof(*p->providers));
	for (size_t i = 0; i < p->nzones; i++) {
		const struct zsync_zone_conf *zc = p->zones[i].conf;
		for (size_t j = 0; j < zc->providers.n; j++) {
			const char *name = zc->providers.v[j];
			struct zsync_plan_provider *pp;
			struct zsync_err perr = { 0 };
			if (!zsync_config_selected(f ? f->providers : NULL, name, false) || get_provider(p, name))
				continue;
			pp = &p->providers[p->nproviders++];
			pp->conf = zsync_config_provider(cfg, name);
			pp->type = zsync_provider_find(pp->conf->type);
			if (!pp->type)
				pp->error = zsync_xasprintf("provider type '%s' is not built in this zonesync yet",
							    pp->conf->type);
			else if (zsync_err_sync(&perr, pp->type->open(pp->conf, &pp->priv, &perr)) < 0)
				pp->error = zsync_xstrdup(perr.msg);
		}
	}
	for (size_t i = 0; i < p->nzones; i++)
		nentries += p->zones[i].conf->providers.n;
	p->entries = zsync_xcalloc(nentries ? nentries : 1, sizeof(*p->entries));
	for (size_t i = 0; i < p->nzones; i++) {
		const struct zsync_zone_conf *zc = p->zones[i].conf;
		/* a zone's entries are contiguous: renderers walk them without a scan of all */
		p->zones[i].entry0 = p->nentries;
		for (size_t j = 0; j < zc->providers.n; j++) {
			struct zsync_plan_provider *pp = get_provider(p, zc->providers.v[j]);
			if (!pp)
				continue;
			p->zones[i].nentries++;
			struct zsync_plan_entry *e = &p->entries[p->nentries++];
			memset(e, 0, sizeof(*e));
			e->zone = &p->zones[i];
			e->provider = pp;
		}
	}
	{
		/* providers are read while git's zones load and lint: the two take about as long */
		struct fetch_all fa = { p, jobs,
					{ .on = f && f->progress, .total = p->nentries } };
		pthread_t th;
		bool threaded = zsync_thread_start(&th, fetch_all, &fa);
		if (!threaded)
			fetch_all(&fa);
		for (size_t i = 0; i < p->nzones; i++) {
			struct zsync_plan_zone *pz = &p->zones[i];
			struct zsync_err zerr = { 0 };
			if (pz->invalid)
				continue;
			struct zsync_lint_job lj;
			size_t at = p->diags.n;
			int lr = zsync_lint_parse(&lj, tree, pz->conf->file, pz->conf->name, jobs > 1 ? 2 : 1,
						  &p->diags, &zerr);
			if (lr == 0 && jobs > 1 && lint_beside_takes(&lb, p, pz, &lj, at)) {
				pz->desired = lj.zone;
				continue;
			}
			if (lr == 0) {
				lr = zsync_lint_finish(&lj, &p->diags);
				pz->desired = lj.zone;
			}
			if (lr < 0) {
				if (zerr.code)
					zsync_diags_add(&p->diags, pz->conf->file, 0, ZSYNC_SEV_ERROR, NULL, "%s", zerr.msg);
				pz->invalid = true;
				zsync_zone_free(pz->desired);
				pz->desired = NULL;
			}
		}
		lint_beside_close(&lb);
		if (threaded)
			zsync_thread_join(th);
	}
	/* each zone complete and immutable before another thread sees it: frozen once here
	 * (its sorted order made; any later change aborts), the diff workers only read */
	for (size_t i = 0; i < p->nzones; i++) {
		if (p->zones[i].desired && p->zones[i].conf->apex_ns == ZSYNC_APEX_NS_UNION)
			nsset_union(p, &p->zones[i]);
		zsync_zone_freeze(p->zones[i].desired);
	}
	/* the diff reads frozen zones and calls no provider: every entry may run at once */
	zsync_plan_each_phase(p, jobs, ZSYNC_PHASE_DIFF, diff_entry_cb, NULL);
	compute_hash(p, p->hash);
	/* the zones linted beside: what their lint found decides, as if it had come first */
	if (lint_beside_end(&lb, p))
		compute_hash(p, p->hash);
out:
	zsync_strmap_release(&present);
	zsync_strlist_release(&files);
	if (ret < 0)
		zsync_plan_free(p);
	else
		*out = p;
	return ret;
}

void zsync_plan_free(struct zsync_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nentries; i++) {
		struct zsync_plan_entry *e = &p->entries[i];
		zsync_changeset_release(&e->cs);
		zsync_zone_free(e->current);
		free(e->error);
		free(e->refused);
		free(e->assigned_error);
		zsync_strlist_release(&e->assigned);
		free(e->behind);
		free(e->result_error);
	}
	free(p->entries);
	for (size_t i = 0; i < p->nproviders; i++) {
		if (p->providers[i].priv)
			p->providers[i].type->close(p->providers[i].priv);
		free(p->providers[i].error);
	}
	free(p->providers);
	for (size_t i = 0; i < p->nzones; i++) {
		zsync_zone_free(p->zones[i].desired);
		zsync_strlist_release(&p->zones[i].nsset_notes);
	}
	free(p->zones);
	zsync_diags_release(&p->diags);
	free(p->commit);
	free(p->source);
	free(p);
}

size_t zsync_plan_changes(const struct zsync_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nentries; i++)
		if (p->entries[i].status == ZSYNC_ENTRY_READY)
			n += p->entries[i].cs.n;
	return n;
}

size_t zsync_plan_failed(const struct zsync_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nentries; i++)
		n += p->entries[i].status == ZSYNC_ENTRY_FAILED;
	return n;
}

size_t zsync_plan_refused(const struct zsync_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nentries; i++)
		n += p->entries[i].status == ZSYNC_ENTRY_READY && p->entries[i].refused != NULL;
	return n;
}

size_t zsync_plan_behind(const struct zsync_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nentries; i++)
		n += p->entries[i].behind != NULL;
	return n;
}

size_t zsync_plan_invalid(const struct zsync_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nzones; i++)
		n += p->zones[i].invalid;
	return n;
}

/* ---- rendering ---- */

static const char *op_name(enum zsync_change_op op)
{
	return op == ZSYNC_CHANGE_CREATE ? "create" : op == ZSYNC_CHANGE_UPDATE ? "update" : "delete";
}

static json_t *records_json(const struct zsync_rrset *r)
{
	json_t *a = json_array();
	char *buf = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN);
	const uint8_t *rd = r->rdata;
	for (uint16_t i = 0; i < r->count; i++, rd = zsync_rdata_next(rd))
		if (zsync_rdata_to_text(r->type, rd, buf, ZSYNC_RDATA_TXT_MAXLEN) == 0)
			json_array_append_new(a, json_string(buf));
	free(buf);
	return a;
}

json_t *zsync_plan_change_json(const struct zsync_change *c)
{
	const struct zsync_rrset *any = c->new ? c->new : c->old;
	char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
	json_t *o = json_pack("{s:s, s:s, s:s}", "op", op_name(c->op), "owner",
			      zsync_name_to_text(any->owner, name, sizeof(name)), "type",
			      zsync_type_to_text(any->type, type, sizeof(type)));
	if (c->new) {
		json_object_set_new(o, "ttl", json_integer(c->ttl));
		json_object_set_new(o, "records", records_json(c->new));
	}
	if (c->old) {
		json_object_set_new(o, "old_ttl", json_integer(c->old->ttl));
		json_object_set_new(o, "old_records", records_json(c->old));
	}
	if (c->flags & ZSYNC_CHANGE_TTL_ONLY)
		json_object_set_new(o, "ttl_only", json_true());
	return o;
}

static const char *entry_state(const struct zsync_plan_entry *e)
{
	switch (e->status) {
	case ZSYNC_ENTRY_FAILED: return "error";
	case ZSYNC_ENTRY_INVALID_ZONE: return "invalid-zone";
	case ZSYNC_ENTRY_READ_ONLY: return "read-only";
	case ZSYNC_ENTRY_READY: break;
	}
	if (e->refused)
		return "refused";
	return e->cs.n ? "changes" : "in-sync";
}

/*
 * The hash input goes through a buffer: a million-change plan is millions of fields of a
 * few octets, and one gnutls_hash call each cost more than the SHA-256 itself. The byte
 * stream, and so the hash, is the same.
 */
struct hbuf {
	gnutls_hash_hd_t h;
	size_t n;
	uint8_t b[16384];
};

static void hput(struct hbuf *hb, const void *data, size_t len)
{
	if (hb->n + len > sizeof(hb->b)) {
		gnutls_hash(hb->h, hb->b, hb->n);
		hb->n = 0;
		if (len > sizeof(hb->b)) {
			gnutls_hash(hb->h, data, len);
			return;
		}
	}
	memcpy(hb->b + hb->n, data, len);
	hb->n += len;
}

/* Feeds one NUL-terminated field (the NUL separates fields unambiguously). */
static void hfield(struct hbuf *hb, const char *s)
{
	hput(hb, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* Binary data, length first (big-endian), so fields cannot run into each other. */
static void hbytes(struct hbuf *hb, const void *data, size_t len)
{
	uint8_t l[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
	hput(hb, l, 4);
	hput(hb, data, len);
}

/* Owner (olen octets) and type (and TTL and rdata) in canonical wire form: equal iff the text is. */
static void hname_type(struct hbuf *hb, const uint8_t *owner, size_t olen, uint16_t type)
{
	uint8_t t[2] = { (uint8_t)(type >> 8), (uint8_t)type };
	hbytes(hb, owner, olen);
	hbytes(hb, t, 2);
}

static void hrrset(struct hbuf *hb, const struct zsync_rrset *r, uint32_t ttl)
{
	uint8_t t[4] = { (uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8), (uint8_t)ttl };
	const uint8_t *rd = r->rdata;
	hbytes(hb, t, 4);
	for (uint16_t i = 0; i < r->count; i++, rd = zsync_rdata_next(rd))
		hbytes(hb, zsync_rdata_data(rd), zsync_rdata_len(rd));
}

/* The RRsets of change c lie scattered in memory: fetched ahead of the hash loop. */
static void prefetch_change(const struct zsync_changeset *cs, size_t c)
{
	if (c + 8 < cs->n) {
		__builtin_prefetch(cs->v[c + 8].new);
		__builtin_prefetch(cs->v[c + 8].old);
	}
	if (c + 4 < cs->n) {
		const struct zsync_rrset *n = cs->v[c + 4].new, *o = cs->v[c + 4].old;
		if (n) {
			__builtin_prefetch(n->owner);
			__builtin_prefetch(n->rdata);
		}
		if (o) {
			__builtin_prefetch(o->owner);
			__builtin_prefetch(o->rdata);
		}
	}
}

/*
 * The plan hash: SHA-256 over every field of the plan in a fixed order, streamed, so
 * that a plan of a million changes needs no JSON in memory to be hashed.
 */
static void compute_hash(const struct zsync_plan *p, char out[65])
{
	struct hbuf *hb = zsync_xmalloc(sizeof(*hb));
	unsigned char d[32];

	hb->n = 0;
	gnutls_hash_init(&hb->h, GNUTLS_DIG_SHA256);
	hfield(hb, "zonesync-plan/2");
	hfield(hb, p->commit);
	for (size_t i = 0; i < p->nzones; i++) {
		const struct zsync_plan_zone *z = &p->zones[i];
		hfield(hb, z->conf->name);
		hfield(hb, z->conf->file);
		hfield(hb, z->invalid ? "invalid" : "valid");
		for (size_t k = z->entry0; k < z->entry0 + z->nentries; k++) {
			const struct zsync_plan_entry *e = &p->entries[k];
			hfield(hb, e->provider->conf->name);
			hfield(hb, e->provider->conf->type);
			hfield(hb, entry_state(e));
			hfield(hb, e->error);
			hfield(hb, e->refused);
			hfield(hb, e->create_zone ? "create-zone" : "");
			for (size_t c = 0; c < e->cs.n; c++) {
				const struct zsync_change *ch = &e->cs.v[c];
				const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
				prefetch_change(&e->cs, c);
				/* hfield(op_name()) without a strlen: each name is 6 octets and its NUL */
				hput(hb, op_name(ch->op), 7);
				hname_type(hb, any->owner, any->owner_len, any->type);
				if (ch->new)
					hrrset(hb, ch->new, ch->ttl);
				hput(hb, "|", 2);
				if (ch->old)
					hrrset(hb, ch->old, ch->old->ttl);
			}
			for (size_t c = 0; c < e->cs.nna; c++) {
				const uint8_t *o = e->cs.na[c].owner;
				hname_type(hb, o, zsync_name_len(o), e->cs.na[c].type);
				hfield(hb, e->cs.na[c].reason);
			}
			for (size_t c = 0; c < e->cs.warnings.n; c++)
				hfield(hb, e->cs.warnings.v[c]);
		}
	}
	gnutls_hash(hb->h, hb->b, hb->n);
	gnutls_hash_deinit(hb->h, d);
	free(hb);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

json_t *zsync_plan_json(const struct zsync_plan *pc)
{
	struct zsync_plan *p = (struct zsync_plan *)pc;
	json_t *root = json_object(), *zones = json_array();
	size_t creates = 0, updates = 0, deletes = 0;

	json_object_set_new(root, "format", json_string("zonesync-plan/1"));
	json_object_set_new(root, "commit", json_string(p->commit));
	for (size_t i = 0; i < p->nzones; i++) {
		const struct zsync_plan_zone *z = &p->zones[i];
		json_t *zo = json_pack("{s:s, s:s, s:b}", "zone", z->conf->name, "file", z->conf->file,
				       "valid", !z->invalid);
		json_t *provs = json_array();
		for (size_t k = z->entry0; k < z->entry0 + z->nentries; k++) {
			const struct zsync_plan_entry *e = &p->entries[k];
			json_t *po = json_pack("{s:s, s:s, s:s}", "provider", e->provider->conf->name,
					       "type", e->provider->conf->type, "state", entry_state(e));
			if (e->error)
				json_object_set_new(po, "error", json_string(e->error));
			if (e->behind)
				json_object_set_new(po, "behind", json_string(e->behind));
			if (e->status == ZSYNC_ENTRY_READY) {
				json_t *ch = json_array(), *na = json_array(), *w = json_array();
				for (size_t c = 0; c < e->cs.n; c++)
					json_array_append_new(ch, zsync_plan_change_json(&e->cs.v[c]));
				for (size_t c = 0; c < e->cs.nna; c++) {
					char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
					json_array_append_new(na, json_pack("{s:s, s:s, s:s}", "owner",
						zsync_name_to_text(e->cs.na[c].owner, name, sizeof(name)),
						"type", zsync_type_to_text(e->cs.na[c].type, type, sizeof(type)),
						"reason", e->cs.na[c].reason));
				}
				for (size_t c = 0; c < e->cs.warnings.n; c++)
					json_array_append_new(w, json_string(e->cs.warnings.v[c]));
				json_object_set_new(po, "create_zone", json_boolean(e->create_zone));
				json_object_set_new(po, "existing_rrsets", json_integer((json_int_t)e->cs.existing));
				json_object_set_new(po, "changes", ch);
				json_object_set_new(po, "not_applicable", na);
				json_object_set_new(po, "warnings", w);
				if (e->refused)
					json_object_set_new(po, "refused", json_string(e->refused));
				creates += e->cs.creates;
				updates += e->cs.updates;
				deletes += e->cs.deletes;
			}
			json_array_append_new(provs, po);
		}
		json_object_set_new(zo, "providers", provs);
		json_array_append_new(zones, zo);
	}
	json_object_set_new(root, "zones", zones);
	json_object_set_new(root, "summary", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"changes", (json_int_t)(creates + updates + deletes), "creates", (json_int_t)creates,
		"updates", (json_int_t)updates, "deletes", (json_int_t)deletes,
		"failed", (json_int_t)zsync_plan_failed(p), "refused", (json_int_t)zsync_plan_refused(p),
		"invalid_zones", (json_int_t)zsync_plan_invalid(p)));
	json_object_set_new(root, "hash", json_string(p->hash));
	return root;
}

static const char *paint(bool color, const char *sgr, const char *s, char *buf, size_t len)
{
	if (!color)
		return s;
	snprintf(buf, len, "\033[%sm%s\033[0m", sgr, s);
	return buf;
}

/* Prints the records of r, or with `except` only those not in except (an update's difference). */
static void print_records_except(FILE *out, bool color, const char *indent, const char *mark,
				 const char *sgr, const char *owner, const char *type, uint32_t ttl,
				 const struct zsync_rrset *r, const struct zsync_rrset *except)
{
	char *buf = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN), line[8192], pbuf[8300];
	const uint8_t *rd = r->rdata, *ex = except ? except->rdata : NULL;
	uint16_t exi = 0;
	for (uint16_t i = 0; i < r->count; i++, rd = zsync_rdata_next(rd)) {
		/* both lists are in canonical order: walk them together */
		int c = 1;
		while (ex && exi < except->count && (c = zsync_rdata_cmp(ex, rd)) < 0) {
			ex = zsync_rdata_next(ex);
			exi++;
		}
		if (ex && exi < except->count && c == 0)
			continue;
		zsync_rdata_to_text(r->type, rd, buf, ZSYNC_RDATA_TXT_MAXLEN);
		snprintf(line, sizeof(line), "%s%s %s %u %s %s", indent, mark, owner, ttl, type, buf);
		fprintf(out, "%s\n", paint(color, sgr, line, pbuf, sizeof(pbuf)));
	}
	free(buf);
}

static void print_records(FILE *out, bool color, const char *indent, const char *mark,
			  const char *sgr, const char *owner, const char *type, uint32_t ttl,
			  const struct zsync_rrset *r)
{
	print_records_except(out, color, indent, mark, sgr, owner, type, ttl, r, NULL);
}

/* An update: with the same TTL only the records that go and come, else all of both. */
static void print_update(FILE *out, bool color, const char *indent, const char *owner,
			 const char *type, const struct zsync_change *ch)
{
	bool same_ttl = ch->old->ttl == ch->ttl;
	print_records_except(out, color, indent, "-", "31", owner, type, ch->old->ttl, ch->old,
			     same_ttl ? ch->new : NULL);
	print_records_except(out, color, indent, "+", "32", owner, type, ch->ttl, ch->new,
			     same_ttl ? ch->old : NULL);
}

void zsync_plan_print_changes(const struct zsync_changeset *cs, FILE *out, bool color,
			      const char *indent)
{
	char pb[1300], sub[64];

	snprintf(sub, sizeof(sub), "%s  ", indent);
	for (size_t c = 0; c < cs->n; c++) {
		const struct zsync_change *ch = &cs->v[c];
		const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
		char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32], msg[1200];
		zsync_name_to_text(any->owner, name, sizeof(name));
		zsync_type_to_text(any->type, type, sizeof(type));
		if (ch->op == ZSYNC_CHANGE_CREATE) {
			print_records(out, color, indent, "+", "32", name, type, ch->ttl, ch->new);
		} else if (ch->op == ZSYNC_CHANGE_DELETE) {
			print_records(out, color, indent, "-", "31", name, type, ch->old->ttl, ch->old);
		} else if (ch->flags & ZSYNC_CHANGE_TTL_ONLY) {
			snprintf(msg, sizeof(msg), "%s~ %s %s TTL %u -> %u", indent, name, type, ch->old->ttl, ch->ttl);
			fprintf(out, "%s\n", paint(color, "33", msg, pb, sizeof(pb)));
		} else {
			snprintf(msg, sizeof(msg), "%s~ %s %s", indent, name, type);
			fprintf(out, "%s\n", paint(color, "33", msg, pb, sizeof(pb)));
			print_update(out, color, sub, name, type, ch);
		}
	}
}

/* What print_text says about one entry, after "  NAME (TYPE): " */
static void print_entry(const struct zsync_plan_entry *e, FILE *out, bool color, int verbose,
			bool changes)
{
	char pb[1400];

	if (e->status == ZSYNC_ENTRY_INVALID_ZONE) {
		fprintf(out, "%s\n", paint(color, "1;31", "not planned: the zone has errors", pb, sizeof(pb)));
		return;
	}
	if (e->status == ZSYNC_ENTRY_READ_ONLY) {
		fprintf(out, "secondary (not pushed)\n");
		return;
	}
	if (e->status == ZSYNC_ENTRY_FAILED) {
		char msg[1100];
		snprintf(msg, sizeof(msg), "FAILED: %s", e->error);
		fprintf(out, "%s\n", paint(color, "1;31", msg, pb, sizeof(pb)));
		return;
	}
	if (e->cs.n == 0)
		fprintf(out, "%s\n", paint(color, "32", "in sync", pb, sizeof(pb)));
	else
		fprintf(out, "%zu change%s (%zu create, %zu update, %zu delete)%s\n", e->cs.n,
			e->cs.n == 1 ? "" : "s", e->cs.creates, e->cs.updates, e->cs.deletes,
			e->create_zone ? "; the zone will be created" : "");
	if (e->behind) {
		char msg[1200];
		snprintf(msg, sizeof(msg), "    OLDER: %s", e->behind);
		fprintf(out, "%s\n", paint(color, "1;31", msg, pb, sizeof(pb)));
	}
	if (e->refused) {
		char msg[700];
		snprintf(msg, sizeof(msg), "    REFUSED by safety limits: %s (apply --force to override)", e->refused);
		fprintf(out, "%s\n", paint(color, "1;33", msg, pb, sizeof(pb)));
	}
	if (!changes)
		return; /* the summary: what happened, not each change */
	zsync_plan_print_changes(&e->cs, out, color, "    ");
	for (size_t c = 0; c < e->cs.warnings.n; c++)
		fprintf(out, "    warning: %s\n", e->cs.warnings.v[c]);
	if (verbose || e->cs.nna <= 5)
		for (size_t c = 0; c < e->cs.nna; c++) {
			char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
			fprintf(out, "    not applicable: %s %s: %s\n",
				zsync_name_to_text(e->cs.na[c].owner, name, sizeof(name)),
				zsync_type_to_text(e->cs.na[c].type, type, sizeof(type)),
				e->cs.na[c].reason);
		}
	else
		fprintf(out, "    %zu not applicable items (-v lists them)\n", e->cs.nna);
}

/*
 * Every zone, then each provider's result (summary: only counts, and only the zones with
 * something to say). Providers whose results print identically
 * (the same changes, warnings, refusals) are printed once, naming them all: a first
 * apply of many zones to several providers otherwise repeats every diff per provider.
 */
static void print_text(const struct zsync_plan *p, FILE *out, bool color, int verbose, bool summary)
{
	char pb[1400];
	size_t quiet_zones = 0;

	for (size_t i = 0; i < p->nzones; i++) {
		const struct zsync_plan_zone *z = &p->zones[i];
		bool all_in_sync = true;
		for (size_t k = 0; k < z->nentries; k++) {
			const struct zsync_plan_entry *e = &p->entries[z->entry0 + k];
			all_in_sync &= e->status == ZSYNC_ENTRY_READY && !e->cs.n && !e->behind && !e->refused;
		}
		if (summary && all_in_sync) {
			quiet_zones++;
			continue;
		}
		char **text = zsync_xcalloc(z->nentries ? z->nentries : 1, sizeof(*text));
		fprintf(out, "zone %s (%s, %s)\n", paint(color, "1", z->conf->name, pb, sizeof(pb)),
			z->conf->file, p->source);
		for (size_t k = 0; k < z->nentries; k++) {
			size_t len = 0;
			FILE *m = open_memstream(&text[k], &len);
			if (!m)
				abort();
			print_entry(&p->entries[z->entry0 + k], m, color, verbose, !summary);
			fclose(m);
		}
		for (size_t k = 0; k < z->nentries; k++) {
			if (!text[k])
				continue; /* printed with an earlier identical one */
			const struct zsync_plan_entry *e = &p->entries[z->entry0 + k];
			fprintf(out, "  %s (%s)", e->provider->conf->name, e->provider->conf->type);
			for (size_t j = k + 1; j < z->nentries; j++)
				if (text[j] && !strcmp(text[j], text[k])) {
					const struct zsync_plan_entry *o = &p->entries[z->entry0 + j];
					fprintf(out, ", %s (%s)", o->provider->conf->name, o->provider->conf->type);
					free(text[j]);
					text[j] = NULL;
				}
			fprintf(out, ": %s", text[k]);
			free(text[k]);
			text[k] = NULL;
		}
		free(text);
	}
	if (quiet_zones)
		fprintf(out, "%zu other zone%s in sync at every provider\n", quiet_zones, quiet_zones == 1 ? "" : "s");
	fprintf(out, "plan %.12s: %zu change%s, %zu provider%s failed, %zu refused, %zu invalid zone%s\n",
		p->hash, zsync_plan_changes(p), zsync_plan_changes(p) == 1 ? "" : "s", zsync_plan_failed(p),
		zsync_plan_failed(p) == 1 ? "" : "s", zsync_plan_refused(p), zsync_plan_invalid(p),
		zsync_plan_invalid(p) == 1 ? "" : "s");
}

void zsync_plan_print_text(const struct zsync_plan *p, FILE *out, bool color, int verbose)
{
	print_text(p, out, color, verbose, false);
}

void zsync_plan_print_summary(const struct zsync_plan *p, FILE *out, bool color)
{
	print_text(p, out, color, 0, true);
}

size_t zsync_plan_print_problems(const struct zsync_plan *p, FILE *out, bool color)
{
	char pb[1400], msg[1300];
	size_t n = 0;

	for (size_t k = 0; k < p->nentries; k++) {
		const struct zsync_plan_entry *e = &p->entries[k];
		const char *what = NULL, *why = NULL;
		if (e->status == ZSYNC_ENTRY_INVALID_ZONE)
			what = "not planned", why = "the zone has errors";
		else if (e->status == ZSYNC_ENTRY_FAILED)
			what = "FAILED", why = e->error;
		else if (e->behind)
			what = "OLDER", why = e->behind;
		else if (e->refused)
			what = "REFUSED by safety limits", why = e->refused;
		if (!what)
			continue;
		snprintf(msg, sizeof(msg), "%s: %s", what, why ? why : "");
		fprintf(out, "zone %s: provider %s (%s): %s\n", e->zone->conf->name, e->provider->conf->name,
			e->provider->conf->type, paint(color, "1;31", msg, pb, sizeof(pb)));
		n++;
	}
	return n;
}

void zsync_plan_print_markdown(const struct zsync_plan *p, FILE *out)
{
	fprintf(out, "### zonesync plan for `%.12s`\n\n", p->commit);
	fprintf(out, "| zone | provider | result |\n|---|---|---|\n");
	for (size_t k = 0; k < p->nentries; k++) {
		const struct zsync_plan_entry *e = &p->entries[k];
		fprintf(out, "| `%s` | %s | ", e->zone->conf->name, e->provider->conf->name);
		if (e->status != ZSYNC_ENTRY_READY)
			fprintf(out, "%s %s |\n", e->status == ZSYNC_ENTRY_READ_ONLY ? "secondary" : "**failed**:",
				e->error ? e->error : "");
		else if (e->behind)
			fprintf(out, "**older than deployed**: %s |\n", e->behind);
		else if (e->refused)
			fprintf(out, "**refused**: %s (%zu changes) |\n", e->refused, e->cs.n);
		else if (e->cs.n == 0)
			fprintf(out, "in sync |\n");
		else
			fprintf(out, "%zu create, %zu update, %zu delete |\n", e->cs.creates, e->cs.updates,
				e->cs.deletes);
	}
	for (size_t k = 0; k < p->nentries; k++) {
		const struct zsync_plan_entry *e = &p->entries[k];
		if (e->status != ZSYNC_ENTRY_READY || e->cs.n == 0)
			continue;
		fprintf(out, "\n<details><summary><code>%s</code> on %s: %zu change%s</summary>\n\n```diff\n",
			e->zone->conf->name, e->provider->conf->name, e->cs.n, e->cs.n == 1 ? "" : "s");
		for (size_t c = 0; c < e->cs.n; c++) {
			const struct zsync_change *ch = &e->cs.v[c];
			const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
			char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
			zsync_name_to_text(any->owner, name, sizeof(name));
			zsync_type_to_text(any->type, type, sizeof(type));
			if (ch->old && ch->new)
				print_update(out, false, "", name, type, ch);
			else if (ch->old)
				print_records(out, false, "", "-", "", name, type, ch->old->ttl, ch->old);
			else
				print_records(out, false, "", "+", "", name, type, ch->ttl, ch->new);
		}
		fprintf(out, "```\n</details>\n");
	}
	fprintf(out, "\n%zu change%s; %zu failed, %zu refused, %zu invalid zone%s. Plan `%.12s`.\n",
		zsync_plan_changes(p), zsync_plan_changes(p) == 1 ? "" : "s", zsync_plan_failed(p),
		zsync_plan_refused(p), zsync_plan_invalid(p), zsync_plan_invalid(p) == 1 ? "" : "s", p->hash);
}

/* ---- a reviewed plan against today's ---- */

/* A label for an array element: its zone, provider, or change ("update www.example.com. CNAME"). */
static char *elem_label(json_t *v, size_t i)
{
	const char *zone = json_string_value(json_object_get(v, "zone"));
	const char *prov = json_string_value(json_object_get(v, "provider"));
	const char *op = json_string_value(json_object_get(v, "op"));
	if (zone)
		return zsync_xasprintf("zone %s", zone);
	if (prov)
		return zsync_xasprintf("provider %s", prov);
	if (op)
		return zsync_xasprintf("change %zu (%s %s %s)", i + 1, op,
				       json_string_value(json_object_get(v, "owner")) ?: "?",
				       json_string_value(json_object_get(v, "type")) ?: "?");
	return zsync_xasprintf("item %zu", i + 1);
}

static char *shown(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : zsync_xstrdup("nothing");
	if (s && strlen(s) > 300)
		strcpy(s + 297, "...");
	return s;
}

/*
 * The first place where reviewed and now differ, as "WHERE: reviewed X, now Y"; NULL when
 * equal. Objects are walked in key order, except that "zones" comes before the summary
 * (it says where), and keys in skip are not compared.
 */
static char *first_diff(json_t *a, json_t *b, const char *where)
{
	char *r = NULL;

	if (json_typeof(a) != json_typeof(b) || (!json_is_object(a) && !json_is_array(a))) {
		if (json_equal(a, b))
			return NULL;
		char *x = shown(a), *y = shown(b);
		r = zsync_xasprintf("%s: the reviewed plan says %s, planning it now gives %s", where, x, y);
		free(x);
		free(y);
		return r;
	}
	if (json_is_array(a)) {
		size_t n = json_array_size(a), m = json_array_size(b), i = 0;
		while (i < n && i < m && json_equal(json_array_get(a, i), json_array_get(b, i)))
			i++;
		if (i == n && i == m)
			return NULL;
		json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
		char *lx = x ? elem_label(x, i) : NULL, *ly = y ? elem_label(y, i) : NULL;
		if (n == m && !strcmp(lx, ly)) {
			/* the same item (zone, provider, change) with different content: say where in it */
			char *w = zsync_xasprintf("%s%s%s", where, *where ? ", " : "", lx);
			r = first_diff(x, y, w);
			free(w);
		} else {
			char *sx = x ? shown(x) : NULL, *sy = y ? shown(y) : NULL;
			char *dx = x ? zsync_xasprintf("%s %s", lx, sx) : zsync_xstrdup("nothing");
			char *dy = y ? zsync_xasprintf("%s %s", ly, sy) : zsync_xstrdup("nothing");
			r = zsync_xasprintf("%s: the reviewed plan has %zu, planning it now gives %zu; item %zu differs: "
					    "reviewed %s, now %s", where, n, m, i + 1, dx, dy);
			free(sx);
			free(sy);
			free(dx);
			free(dy);
		}
		free(lx);
		free(ly);
		return r;
	}
	/* objects: zones first (they say where), then the other keys in order */
	struct zsync_strlist keys = { 0 };
	const char *k;
	json_t *v;
	json_object_foreach(a, k, v)
		zsync_strlist_add(&keys, k);
	json_object_foreach(b, k, v)
		if (!json_object_get(a, k))
			zsync_strlist_add(&keys, k);
	zsync_strlist_sort(&keys);
	for (int pass = 0; pass < 2 && !r; pass++)
		for (size_t i = 0; i < keys.n && !r; i++) {
			const char *key = keys.v[i];
			if ((pass == 0) != !strcmp(key, "zones") || !strcmp(key, "hash") || !strcmp(key, "behind"))
				continue;
			json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
			/* their items name themselves ("zone example.com.", "provider pdns") */
			bool container = (!strcmp(key, "zones") || !strcmp(key, "providers")) && json_is_array(x) &&
					 json_is_array(y);
			char *w = container ? zsync_xstrdup(where) : zsync_xasprintf("%s%s%s", where, *where ? ": " : "", key);
			if (!x || !y) {
				char *sx = shown(x), *sy = shown(y);
				r = zsync_xasprintf("%s: the reviewed plan says %s, planning it now gives %s", w, sx, sy);
				free(sx);
				free(sy);
			} else {
				r = first_diff(x, y, w);
			}
			free(w);
		}
	zsync_strlist_release(&keys);
	return r;
}

char *zsync_plan_compare(const struct zsync_plan *p, json_t *reviewed)
{
	json_t *now = zsync_plan_json(p);
	char *r = first_diff(reviewed, now, "");
	const char *h = json_string_value(json_object_get(reviewed, "hash"));

	/* same content: then its hash must be the hash of that content, which is today's */
	if (!r && (!h || strcmp(h, p->hash) != 0))
		r = zsync_xasprintf("hash: %.64s is not the hash of the plan's content (%s): the file was edited",
				    h ? h : "missing", p->hash);
	json_decref(now);
	return r;
}
