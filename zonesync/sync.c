/* sync.c - apply: journal, provider calls, health; one failing provider never stops the others */
#include "sync.h"
#include "dns.h"
#include "provider.h"

#include "deploy.h"
#include "engine.h"
#include "hook.h"

#include "thread.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One sqlite connection serves every worker: its transactions must not interleave. */
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;


/* Text kept from change to change: a malloc and a free per RRset, and a copy of each
 * rdata's text, were a tenth of the journal's text. */
struct text_buf {
	char *p;
	size_t cap;
};

/* "TTL rdata" lines of an RRset, for the journal, in t (until its next use). */
static const char *rrset_text(const struct zsync_rrset *r, uint32_t ttl, struct text_buf *t)
{
	size_t len = 0;
	const uint8_t *rd = r->rdata;

	for (uint16_t i = 0; i < r->count || !t->p; i++, rd = zsync_rdata_next(rd)) {
		/* room for one more line of any length, its rdata made in place */
		size_t need = len + 16 + ZSYNC_RDATA_TXT_MAXLEN;
		if (need > t->cap)
			t->p = zsync_xrealloc(t->p, t->cap = need + need / 2);
		if (i >= r->count)
			break;
		/* by hand: snprintf was a third of the journal's text */
		if (i)
			t->p[len++] = '\n';
		len += zsync_u32_text(ttl, t->p + len);
		t->p[len++] = ' ';
		if (zsync_rdata_to_text(r->type, rd, t->p + len, ZSYNC_RDATA_TXT_MAXLEN) < 0)
			t->p[len] = '\0'; /* libknot could not print it: no text rather than another's */
		len += strlen(t->p + len);
	}
	t->p[len] = '\0';
	return t->p;
}

static const char *op_name(enum zsync_change_op op)
{
	return op == ZSYNC_CHANGE_CREATE ? "create" : op == ZSYNC_CHANGE_UPDATE ? "update" : "delete";
}

/* The journal text of n changes from v into b (a thread's share of a change set). */
struct journal_part {
	const struct zsync_change *v;
	size_t n;
	struct zsync_journal_buf b;
};

static void *journal_text(void *arg)
{
	struct journal_part *jp = arg;
	struct text_buf old_text = { 0 }, new_text = { 0 };

	for (size_t i = 0; i < jp->n; i++) {
		const struct zsync_change *c = &jp->v[i];
		const struct zsync_rrset *any = c->new ? c->new : c->old;
		char owner[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
		const char *old = c->old ? rrset_text(c->old, c->old->ttl, &old_text) : NULL;
		const char *new = c->new ? rrset_text(c->new, c->ttl, &new_text) : NULL;
		zsync_journal_buf_add(&jp->b, op_name(c->op), zsync_name_to_text(any->owner, owner, sizeof(owner)),
				      zsync_type_to_text(any->type, type, sizeof(type)), old, new);
	}
	free(old_text.p);
	free(new_text.p);
	return NULL;
}

/* A change set at least this big has its text made by two threads, half each: the text
 * of 100k changes was a seventh of the apply, with the second core idle. */
#define JOURNAL_SPLIT 8192

/*
 * A provider's prepare of one apply, on a thread of its own while the changes are
 * journalled (started by journal_plan, joined by the caller), or after the journal when
 * no thread is to be had.
 */
struct prep_task {
	const struct zsync_provider_type *type;
	void *priv;
	const struct zsync_apply_req *req;
	void *prepared;
	int r;
	struct zsync_err err;
	pthread_t th;
	bool started; /* on its own thread */
};

static void *prep_run(void *arg)
{
	struct prep_task *pt = arg;
	pt->r = zsync_err_sync(&pt->err, pt->type->prepare(pt->priv, pt->req, &pt->prepared, &pt->err));
	if (pt->r < 0)
		pt->prepared = NULL;
	return NULL;
}

static void prep_start(struct prep_task *pt)
{
	if (pt && pt->type->prepare && !pt->started)
		pt->started = zsync_thread_start(&pt->th, prep_run, pt);
}

/*
 * Up to this many changes, the provider's prepare runs beside the making of their
 * journal text; a bigger set's text (tens of MB, which sqlite copies once more to insert
 * it) is in the database first, and prepare only runs beside the commit's syncs: at 1M
 * changes the text, its copy and the provider's new zone together were a fifth more
 * peak memory (511 MiB, over the 500 of issue 16).
 */
#define PREPARE_WITH_TEXT 262144

/*
 * Writes the entry's changes as `sent`, as one change set, durable before they are sent;
 * *set gets its id. Nothing is sent between this and the provider's apply, so the set
 * starts as sent (in flight until applied or failed). The text is built before the lock:
 * other workers journal meanwhile. Starts prep (may be NULL: no prepare), which sends
 * nothing, on its thread: beside the text, or for a big set once it is inserted.
 */
static int journal_plan(struct zsync_state *st, int64_t run, struct zsync_plan_entry *e,
			int64_t *set, struct prep_task *prep, struct zsync_err *err)
{
	struct journal_part part[2] = { { e->cs.v, e->cs.n, { 0 } }, { NULL, 0, { 0 } } };
	pthread_t th;
	bool two = false;
	int r;

	*set = 0;
	if (!st)
		return 0;
	if (e->cs.n <= PREPARE_WITH_TEXT)
		prep_start(prep);
	if (e->cs.n >= JOURNAL_SPLIT) {
		part[0].n = e->cs.n / 2;
		part[1].v = e->cs.v + part[0].n;
		part[1].n = e->cs.n - part[0].n;
		if (!(two = zsync_thread_start(&th, journal_text, &part[1])))
			part[0].n = e->cs.n;
	}
	journal_text(&part[0]);
	if (two) {
		zsync_thread_join(th);
		zsync_journal_buf_append(&part[0].b, &part[1].b);
		zsync_journal_buf_release(&part[1].b);
	}
	zsync_lock(&state_lock);
	r = zsync_state_begin(st, err);
	if (r == 0) {
		r = zsync_state_changeset_add(st, run, e->zone->conf->name, e->provider->conf->name, &part[0].b,
					      "sent", set, err);
		zsync_journal_buf_release(&part[0].b); /* the database has its copy */
		if (r == 0) {
			prep_start(prep);
			r = zsync_state_commit(st, err);
		} else {
			zsync_state_rollback(st);
		}
	}
	zsync_unlock(&state_lock);
	zsync_journal_buf_release(&part[0].b);
	return r < 0 ? r : 0;
}

/* Sets every change's journal status; those marked in applied (may be NULL) as `applied`
 * (1) or `unknown` (2: sent, no answer). */
static void journal_result(struct zsync_state *st, struct zsync_plan_entry *e, int64_t set,
			   const unsigned char *applied, const char *status, const char *error)
{
	struct zsync_err err = { 0 };
	const char **of = NULL;
	if (!st || !set)
		return;
	if (applied) {
		of = zsync_xmalloc(e->cs.n * sizeof(*of));
		for (size_t i = 0; i < e->cs.n; i++)
			of[i] = applied[i] == 1 ? "applied" : applied[i] == 2 ? "unknown" : status;
	}
	zsync_lock(&state_lock);
	/* deferred: the outcome may wait for the next commit (a crash leaves the set `sent`) */
	if (zsync_state_defer_begin(st, &err) < 0)
		goto fail;
	if (zsync_state_changeset_set(st, set, e->cs.n, of, status, error, &err) < 0) {
		zsync_state_defer_end(st, false, &(struct zsync_err){ 0 });
		goto fail;
	}
	if (zsync_state_defer_end(st, true, &err) == 0) {
		zsync_unlock(&state_lock);
		free(of);
		return;
	}
fail:
	zsync_unlock(&state_lock);
	free(of);
	fprintf(stderr, "zonesync: warning: %s\n", err.msg);
}

static void record(struct zsync_state *st, const struct zsync_plan *p,
		   const struct zsync_plan_entry *e, bool ok, const char *error)
{
	struct zsync_err err = { 0 };
	int r = 0;
	if (!st)
		return;
	zsync_lock(&state_lock);
	r = zsync_state_defer_begin(st, &err);
	if (r == 0)
		r = zsync_state_pair_result(st, e->zone->conf->name, e->provider->conf->name, ok,
					    ok ? p->commit : NULL, error, &err);
	if (r == 0)
		r = zsync_state_defer_end(st, true, &err);
	else
		zsync_state_defer_end(st, false, &(struct zsync_err){ 0 });
	zsync_unlock(&state_lock);
	if (r < 0)
		fprintf(stderr, "zonesync: warning: %s\n", err.msg);
}

/* Makes deferred results durable: at the end, and before a hook that may read the state. */
static void flush(struct zsync_state *st, const struct zsync_argvs *hooks)
{
	struct zsync_err err = { 0 };
	int r;
	if (!st || (hooks && hooks->n == 0))
		return;
	zsync_lock(&state_lock);
	r = zsync_state_flush(st, &err);
	zsync_unlock(&state_lock);
	if (r < 0)
		fprintf(stderr, "zonesync: warning: %s\n", err.msg);
}

/*
 * Runs the lifecycle hooks of one event for an entry: argv lists, no shell, the entry's
 * plan (or result) JSON on stdin, ZONESYNC_* in the environment, a time limit. Returns
 * the first non-zero exit status (a veto for pre_apply) with why set, or 0.
 */
static int run_hooks(const struct zsync_plan *p, const struct zsync_plan_entry *e, int64_t run,
		     const char *event, const struct zsync_argvs *hooks, char **why)
{
	char env_event[64], env_zone[600], env_prov[300], env_commit[100], env_run[64];
	char *const env[] = { env_event, env_zone, env_prov, env_commit, env_run, NULL };
	json_t *j;
	char *input;
	int veto = 0;

	if (!hooks || hooks->n == 0)
		return 0;
	snprintf(env_event, sizeof(env_event), "ZONESYNC_EVENT=%s", event);
	snprintf(env_zone, sizeof(env_zone), "ZONESYNC_ZONE=%s", e->zone->conf->name);
	snprintf(env_prov, sizeof(env_prov), "ZONESYNC_PROVIDER=%s", e->provider->conf->name);
	snprintf(env_commit, sizeof(env_commit), "ZONESYNC_COMMIT=%s", p->commit);
	snprintf(env_run, sizeof(env_run), "ZONESYNC_RUN_ID=%lld", (long long)run);
	j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "event", event, "zone", e->zone->conf->name,
		      "provider", e->provider->conf->name, "commit", p->commit, "run_id", (json_int_t)run);
	json_t *ch = json_array();
	for (size_t i = 0; i < e->cs.n; i++)
		json_array_append_new(ch, zsync_plan_change_json(&e->cs.v[i]));
	json_object_set_new(j, "changes", ch);
	if (e->result_error)
		json_object_set_new(j, "error", json_string(e->result_error));
	input = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	for (size_t i = 0; i < hooks->n && !veto; i++) {
		struct zsync_hook_result res;
		struct zsync_err err = { 0 };
		char **argv = hooks->v[i].argv;
		struct zsync_hook_env policy = { &p->cfg->hooks.pass_env, &p->cfg->secret_env };
		if (zsync_hook_run(argv, env, &policy, input, strlen(input), 60, &res, &err) < 0) {
			veto = 127;
			*why = zsync_xasprintf("%s hook %s: %s", event, argv[0], err.msg);
		} else {
			/* what a hook prints goes to our log */
			if (res.output && *res.output)
				fprintf(stderr, "zonesync: %s hook %s: %s%s", event, argv[0], res.output,
					res.output[strlen(res.output) - 1] == '\n' ? "" : "\n");
			if (res.status != 0) {
				veto = res.status;
				*why = zsync_xasprintf("%s hook %s %s (exit %d)", event, argv[0],
						       res.timed_out ? "timed out" : "said no", res.status);
			}
		}
		free(res.output);
	}
	free(input);
	return veto;
}

/*
 * apply --allow-older over a newer deployment: said, and journalled as a row of its own
 * (op allow-older, old: the commit that was live, new: this one) beside the changes.
 */
static void journal_override(struct zsync_state *st, int64_t run, const struct zsync_plan *p,
			     const struct zsync_plan_entry *e)
{
	struct zsync_err err = { 0 };
	int64_t id = 0;
	struct zsync_journal_entry je = { e->zone->conf->name, e->provider->conf->name, "allow-older",
					  e->zone->conf->name, "COMMIT", e->deployed[0] ? e->deployed : NULL,
					  p->commit };

	fprintf(stderr, "zonesync: %s at %s: --allow-older: deploying %.12s over %.12s\n", e->zone->conf->name,
		e->provider->conf->name, p->commit, e->deployed[0] ? e->deployed : "a newer deployment");
	if (!st)
		return;
	zsync_lock(&state_lock);
	if (zsync_state_journal_add(st, run, &je, &id, &err) < 0 ||
	    zsync_state_journal_set(st, id, "applied", e->behind, &err) < 0)
		fprintf(stderr, "zonesync: warning: %s\n", err.msg);
	zsync_unlock(&state_lock);
}

/*
 * The deployment marker (this commit) as one more change, sent last in the same apply:
 * atomic providers land both or neither. Returns the marker's zone (caller frees; *c
 * points into it), or NULL when the provider has no marker.
 */
static struct zsync_zone *marker_change(const struct zsync_plan *p, const struct zsync_plan_entry *e,
					struct zsync_change *c)
{
	uint8_t name[ZSYNC_NAME_MAXLEN];
	struct zsync_err err = { 0 };
	struct zsync_zone *mz;
	bool has;

	zsync_plan_marker_name(e->provider->conf, e->zone->conf->name, name, &has);
	if (!has || strlen(p->commit) != 40 || !(mz = zsync_marker_zone(e->zone->conf->name, name, p->commit,
									time(NULL), &err)))
		return NULL;
	const struct zsync_rrset *old = e->current ? zsync_zone_find(e->current, name, ZSYNC_TYPE_TXT) : NULL;
	*c = (struct zsync_change){ old ? ZSYNC_CHANGE_UPDATE : ZSYNC_CHANGE_CREATE, 0, ZSYNC_MARKER_TTL, old,
				    zsync_zone_find(mz, name, ZSYNC_TYPE_TXT) };
	return mz;
}

struct resolve_ctx {
	const struct zsync_plan_entry *e;
	int64_t *ids;
	const char **status;
	char **note;
	size_t n, alloc;
	int64_t run;
};

/*
 * Two SOA texts ("TTL mname rname serial refresh retry expire minimum") alike but for the
 * serial: the provider that holds our SOA (zonefile) owns the serial and moves it forward,
 * as the plan's comparison allows; the journal has git's. Names print without blanks.
 */
static bool soa_same_but_serial(const char *a, const char *b)
{
	for (int field = 0;; field++) {
		size_t la = strcspn(a, " \t"), lb = strcspn(b, " \t");
		if (field != 3 && (la != lb || memcmp(a, b, la) != 0))
			return false;
		a += la;
		b += lb;
		if (!*a || !*b)
			return !*a && !*b;
		a += strspn(a, " \t");
		b += strspn(b, " \t");
	}
}

/* Whether the provider's zone serves exactly text ("TTL rdata" lines) at owner/type; NULL: absent. */
static bool serves(const struct zsync_zone *z, const char *owner, const char *type, const char *text)
{
	uint8_t name[ZSYNC_NAME_MAXLEN];
	uint16_t t;
	const struct zsync_rrset *r = NULL;
	if (zsync_name_from_text(owner, NULL, name) == 0 && zsync_type_from_text(type, &t) == 0)
		r = zsync_zone_find(z, name, t);
	if (!r || !text)
		return !r && !text;
	struct text_buf tb = { 0 };
	const char *have = rrset_text(r, r->ttl, &tb);
	bool same = strcmp(have, text) == 0 || (t == ZSYNC_TYPE_SOA && soa_same_but_serial(have, text));
	free(tb.p);
	return same;
}

static int resolve_cb(void *arg, const struct zsync_change_info *c)
{
	struct resolve_ctx *x = arg;
	const char *status = NULL, *how = NULL;

	if (!strcmp(c->op, "create") || !strcmp(c->op, "update") || !strcmp(c->op, "delete")) {
		if (serves(x->e->current, c->owner, c->type, c->new_rdata))
			status = "applied", how = "it is served";
		else if (serves(x->e->current, c->owner, c->type, c->old_rdata))
			status = "failed", how = "it is not served: the change did not happen";
	}
	if (!status)
		return 0; /* neither form: changed since; still unknown */
	if (x->n == x->alloc) {
		x->alloc = x->alloc ? 2 * x->alloc : 16;
		x->ids = zsync_xrealloc(x->ids, x->alloc * sizeof(*x->ids));
		x->status = zsync_xrealloc(x->status, x->alloc * sizeof(*x->status));
		x->note = zsync_xrealloc(x->note, x->alloc * sizeof(*x->note));
	}
	x->ids[x->n] = c->id;
	x->status[x->n] = status;
	x->note[x->n++] = zsync_xasprintf("the outcome was unknown (%s); run %lld read the provider: %s",
					  c->error ? c->error : "no answer", (long long)x->run, how);
	return 0;
}

void zsync_sync_resolve_entry(struct zsync_state *st, int64_t run, const struct zsync_plan_entry *e)
{
	struct resolve_ctx x = { .e = e, .run = run };
	struct zsync_err err = { 0 };

	if (!st || !e->current)
		return;
	zsync_lock(&state_lock);
	if (zsync_state_unknown(st, e->zone->conf->name, e->provider->conf->name, resolve_cb, &x, &err) == 0 && x.n &&
	    zsync_state_begin(st, &err) == 0) {
		if (zsync_state_journal_set_many(st, x.n, x.ids, x.status, (const char *const *)x.note, &err) == 0)
			zsync_state_commit(st, &err);
		else
			zsync_state_rollback(st);
	}
	zsync_unlock(&state_lock);
	if (err.code)
		fprintf(stderr, "zonesync: warning: resolving unknown outcomes: %s\n", err.msg);
	for (size_t i = 0; i < x.n; i++)
		free(x.note[i]);
	free(x.ids);
	free(x.status);
	free(x.note);
}

void zsync_sync_resolve(struct zsync_plan *p, struct zsync_state *st, int64_t run)
{
	for (size_t k = 0; k < p->nentries; k++)
		zsync_sync_resolve_entry(st, run, &p->entries[k]);
}

struct apply_ctx {
	struct zsync_state *st;
	int64_t run;
	const struct zsync_apply_opts *o;
	struct zsync_apply_totals *t;
	size_t done, total;
};

static const char *result_word(enum zsync_entry_result r)
{
	switch (r) {
	case ZSYNC_RESULT_IN_SYNC: return "in-sync";
	case ZSYNC_RESULT_CHANGED: return "changed";
	case ZSYNC_RESULT_FAILED: return "failed";
	case ZSYNC_RESULT_REFUSED: return "refused";
	case ZSYNC_RESULT_SKIPPED: return "skipped";
	case ZSYNC_RESULT_OLDER: return "older";
	case ZSYNC_RESULT_NONE: break;
	}
	return "not-run";
}

/*
 * After a provider that is not atomic failed: what it applied before the failure, from
 * the zone read again (on top of what the provider itself reported). Returns whether the
 * read told: then every change is applied (1) or not (0). When the read fails too, the
 * provider's report stands and the message says so.
 */
static bool learn_applied(struct zsync_plan_entry *e, unsigned char *applied, struct zsync_err *err)
{
	const struct zsync_provider_type *t = e->provider->type;
	struct zsync_err ferr = { 0 };
	struct zsync_zone *now = NULL;
	struct zsync_diff_policy pol;
	struct zsync_changeset later;
	int r = zsync_err_sync(&ferr, t->fetch(e->provider->priv, e->zone->conf->name, &now, &ferr));

	if (r == ZSYNC_ENOTFOUND && e->create_zone) {
		/* the zone was not even created: nothing applied */
		memset(applied, 0, e->cs.n);
		return true;
	}
	if (r < 0) {
		zsync_err_append(err, " (what was applied before the failure is not known: reading the zone again failed: %s)",
				 ferr.msg);
		return false;
	}
	zsync_plan_policy(t, e->provider->conf, e->zone->conf, &pol);
	zsync_diff(e->zone->desired, now, &pol, &later);
	zsync_changeset_applied(&e->cs, &later, applied);
	/* what the read shows still pending did not happen, whatever its send said */
	for (size_t i = 0; i < e->cs.n; i++)
		if (applied[i] == 2)
			applied[i] = 0;
	zsync_changeset_release(&later);
	zsync_zone_free(now);
	return true;
}

static void apply_entry_inner(struct zsync_plan *p, struct zsync_plan_entry *e, void *arg);

/* Each entry, then a progress line (zones x providers done / total) on a terminal. */
static void apply_entry(struct zsync_plan *p, struct zsync_plan_entry *e, void *arg)
{
	struct apply_ctx *a = arg;
	apply_entry_inner(p, e, arg);
	size_t done = __atomic_add_fetch(&a->done, 1, __ATOMIC_RELAXED);
	if (a->o->progress) {
		flockfile(stderr);
		fprintf(stderr, "\r\033[K[%zu/%zu] %s at %s: %s", done, a->total, e->zone->conf->name,
			e->provider->conf->name, result_word(e->result));
		if (done == a->total)
			fputc('\n', stderr);
		funlockfile(stderr);
	}
}

json_t *zsync_sync_json(const struct zsync_plan *p, int exit_code)
{
	json_t *res = json_array();
	for (size_t k = 0; k < p->nentries; k++) {
		const struct zsync_plan_entry *e = &p->entries[k];
		json_array_append_new(res, json_pack("{s:s, s:s, s:s, s:I, s:s?}", "zone", e->zone->conf->name,
			"provider", e->provider->conf->name, "result", result_word(e->result),
			"changes", (json_int_t)(e->result == ZSYNC_RESULT_CHANGED ? e->cs.n : 0),
			"error", e->result_error));
	}
	return json_pack("{s:s, s:s, s:i, s:o}", "format", "zonesync-run/1", "commit", p->commit,
			 "exit_code", exit_code, "results", res);
}

static void apply_entry_inner(struct zsync_plan *p, struct zsync_plan_entry *e, void *arg)
{
	struct apply_ctx *a = arg;
	struct zsync_state *st = a->st;
	int64_t run = a->run;
	const struct zsync_apply_opts *o = a->o;
	struct zsync_apply_totals *t = a->t;

	struct zsync_err err = { 0 };
	int64_t set = 0;

	switch (e->status) {
	case ZSYNC_ENTRY_INVALID_ZONE:
	case ZSYNC_ENTRY_READ_ONLY:
		e->result = ZSYNC_RESULT_SKIPPED;
		__atomic_fetch_add(&t->skipped, 1, __ATOMIC_RELAXED);
		return;
	case ZSYNC_ENTRY_FAILED:
		e->result = ZSYNC_RESULT_FAILED;
		e->result_error = zsync_xstrdup(e->error);
		record(st, p, e, false, e->error);
		__atomic_fetch_add(&t->failed, 1, __ATOMIC_RELAXED);
		return;
	case ZSYNC_ENTRY_READY:
		break;
	}
	if (e->behind && !o->allow_older) {
		/* whatever this checkout would change there, it would undo newer work */
		e->result = ZSYNC_RESULT_OLDER;
		e->result_error = zsync_xstrdup(e->behind);
		__atomic_fetch_add(&t->older, 1, __ATOMIC_RELAXED);
		return;
	}
	if (e->behind)
		journal_override(st, run, p, e);
	if (e->cs.n == 0 && !e->create_zone) {
		e->result = ZSYNC_RESULT_IN_SYNC;
		record(st, p, e, true, NULL);
		__atomic_fetch_add(&t->in_sync, 1, __ATOMIC_RELAXED);
		return;
	}
	if (e->refused && !o->force) {
		e->result = ZSYNC_RESULT_REFUSED;
		e->result_error = zsync_xasprintf("refused by safety limits: %s", e->refused);
		__atomic_fetch_add(&t->refused, 1, __ATOMIC_RELAXED);
		return;
	}
	char *why = NULL;
	if (run_hooks(p, e, run, "pre_apply", &p->cfg->hooks.pre_apply, &why)) {
		e->result = ZSYNC_RESULT_SKIPPED;
		e->result_error = why;
		__atomic_fetch_add(&t->skipped, 1, __ATOMIC_RELAXED);
		return;
	}
	for (int attempt = 0;; attempt++) {
		int r;
		const struct zsync_provider_type *type = e->provider->type;
		bool atomic = type->caps & ZSYNC_CAP_ATOMIC;
		size_t n = e->cs.n + 1; /* room for the marker */
		unsigned char *applied = zsync_xcalloc(n, 1), *sent_applied = zsync_xcalloc(n, 1);
		size_t *order = zsync_xmalloc(n * sizeof(*order));
		/* a provider that is not atomic gets the changes in an order that keeps every
		 * prefix a valid zone; an atomic one gets them as planned */
		struct zsync_changeset sent = e->cs;
		sent.v = zsync_xmalloc(n * sizeof(*sent.v));
		if (atomic)
			for (size_t i = 0; i < e->cs.n; i++)
				order[i] = i;
		else
			zsync_changeset_safe_order(&e->cs, order);
		for (size_t i = 0; i < e->cs.n; i++)
			sent.v[i] = e->cs.v[order[i]];
		/* the marker is last: it says the commit is live once everything before it is */
		struct zsync_change mc;
		struct zsync_zone *marker = marker_change(p, e, &mc);
		if (marker) {
			sent.v[sent.n++] = mc;
			if (mc.op == ZSYNC_CHANGE_UPDATE)
				sent.updates++;
			else
				sent.creates++;
		}
		struct zsync_apply_req req = {
			.zone = e->zone->conf->name,
			.desired = e->zone->desired,
			.base = e->current,
			.changes = &sent,
			.create_zone = e->create_zone,
			.commit = p->commit,
			.applied = sent_applied,
			.marker_last = marker != NULL,
			.wait_served = o->wait_served,
		};
		/* what sends nothing is prepared while the changes are journalled */
		struct prep_task pt = { .type = type, .priv = e->provider->priv, .req = &req };
		r = journal_plan(st, run, e, &set, &pt, &err);
		if (pt.started)
			zsync_thread_join(pt.th);
		if (r < 0) {
			/* never send what could not be journalled */
			if (pt.started && pt.r == 0)
				type->discard(e->provider->priv, pt.prepared);
			e->result = ZSYNC_RESULT_FAILED;
			e->result_error = zsync_xasprintf("not sent: cannot journal the changes: %s", err.msg);
			__atomic_fetch_add(&t->failed, 1, __ATOMIC_RELAXED);
			free(applied);
			free(sent_applied);
			free(order);
			free(sent.v);
			zsync_zone_free(marker);
			break;
		}
		if (type->prepare && !pt.started)
			prep_run(&pt); /* no thread to be had (or no journal): now, as apply would */
		if (type->prepare && pt.r < 0) {
			r = pt.r;
			err = pt.err;
		} else {
			req.prepared = pt.prepared;
			r = zsync_err_sync(&err, type->apply(e->provider->priv, &req, &err));
		}
		for (size_t i = 0; i < e->cs.n; i++)
			applied[order[i]] = sent_applied[i];
		free(sent.v);
		free(sent_applied);
		free(order);
		zsync_zone_free(marker);
		bool reread = r < 0 && !atomic && learn_applied(e, applied, &err);
		size_t napplied = 0;
		for (size_t i = 0; i < e->cs.n; i++)
			napplied += applied[i] == 1;
		if (r == 0) {
			free(applied);
			journal_result(st, e, set, NULL, "applied", NULL);
			record(st, p, e, true, NULL);
			e->result = ZSYNC_RESULT_CHANGED;
			__atomic_fetch_add(&t->changed, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&t->changes, e->cs.n, __ATOMIC_RELAXED);
			char *ignored = NULL;
			flush(st, &p->cfg->hooks.post_apply);
			run_hooks(p, e, run, "post_apply", &p->cfg->hooks.post_apply, &ignored);
			free(ignored);
			break;
		}
		char *msg = zsync_plan_error(e->provider->conf->name, e->zone->conf->name, err.msg);
		/* a provider that failed part way says what it applied: journalled and counted so;
		 * a send without an answer is `unknown`, never `failed` (it may be live), unless
		 * the zone read again after it shows it still pending: then it did not happen */
		bool marked = false;
		for (size_t i = 0; i < e->cs.n; i++)
			marked |= applied[i] == 2;
		journal_result(st, e, set, applied, r == ZSYNC_EUNKNOWN && !marked && !reread ? "unknown" : "failed", msg);
		free(applied);
		__atomic_fetch_add(&t->changes, napplied, __ATOMIC_RELAXED);
		if ((r == ZSYNC_ECONFLICT || r == ZSYNC_EUNKNOWN) && attempt == 0 && !o->no_replan) {
			/* someone changed the zone (or the outcome is unknown): read it again,
			 * re-plan once, and hold the new plan to the safety limits too */
			fprintf(stderr, "zonesync: %s; re-reading and re-planning\n", msg);
			free(msg);
			zsync_plan_replan(p, e);
			/* the fresh read says what became of what was unknown */
			zsync_sync_resolve_entry(st, run, e);
			if (e->status != ZSYNC_ENTRY_READY) {
				e->result = ZSYNC_RESULT_FAILED;
				e->result_error = zsync_xstrdup(e->error);
				record(st, p, e, false, e->error);
				__atomic_fetch_add(&t->failed, 1, __ATOMIC_RELAXED);
				break;
			}
			/* the fresh read may hold another host's newer deployment: never backwards */
			if (!o->allow_older && zsync_deploy_recheck(p, e, o->repo)) {
				e->result = ZSYNC_RESULT_OLDER;
				e->result_error = zsync_xstrdup(e->behind);
				__atomic_fetch_add(&t->older, 1, __ATOMIC_RELAXED);
				break;
			}
			if (e->cs.n == 0) {
				e->result = ZSYNC_RESULT_IN_SYNC;
				record(st, p, e, true, NULL);
				__atomic_fetch_add(&t->in_sync, 1, __ATOMIC_RELAXED);
				break;
			}
			if (e->refused && !o->force) {
				e->result = ZSYNC_RESULT_REFUSED;
				e->result_error = zsync_xasprintf("refused by safety limits after re-planning: %s", e->refused);
				__atomic_fetch_add(&t->refused, 1, __ATOMIC_RELAXED);
				break;
			}
			continue;
		}
		record(st, p, e, false, msg);
		e->result = ZSYNC_RESULT_FAILED;
		e->result_error = msg;
		__atomic_fetch_add(&t->failed, 1, __ATOMIC_RELAXED);
		char *ignored = NULL;
		flush(st, &p->cfg->hooks.on_failure);
		run_hooks(p, e, run, "on_failure", &p->cfg->hooks.on_failure, &ignored);
		free(ignored);
		break;
	}
}

void zsync_sync_apply(struct zsync_plan *p, struct zsync_state *st, int64_t run,
		      const struct zsync_apply_opts *o, struct zsync_apply_totals *t)
{
	struct apply_ctx a = { st, run, o, t, 0, p->nentries };
	memset(t, 0, sizeof(*t));
	zsync_plan_each(p, o->jobs > 0 ? o->jobs : p->cfg->defaults.jobs, apply_entry, &a);
	flush(st, NULL);
}

void zsync_sync_print_matrix(const struct zsync_plan *p, FILE *out, bool color)
{
	fprintf(out, "\n%-24s %-12s %s\n", "ZONE", "PROVIDER", "RESULT");
	for (size_t k = 0; k < p->nentries; k++) {
		const struct zsync_plan_entry *e = &p->entries[k];
		char res[1400];
		const char *sgr = "0";
		switch (e->result) {
		case ZSYNC_RESULT_IN_SYNC: snprintf(res, sizeof(res), "ok (in sync)"); sgr = "32"; break;
		case ZSYNC_RESULT_CHANGED: snprintf(res, sizeof(res), "ok, changed %zu", e->cs.n); sgr = "32"; break;
		case ZSYNC_RESULT_FAILED: snprintf(res, sizeof(res), "failed: %s", e->result_error); sgr = "1;31"; break;
		case ZSYNC_RESULT_REFUSED: snprintf(res, sizeof(res), "%s", e->result_error); sgr = "1;33"; break;
		case ZSYNC_RESULT_OLDER: snprintf(res, sizeof(res), "refused: %s", e->result_error); sgr = "1;31"; break;
		case ZSYNC_RESULT_SKIPPED:
			snprintf(res, sizeof(res), "skipped%s%s%s", e->status == ZSYNC_ENTRY_INVALID_ZONE ? ": the zone has errors" : e->status == ZSYNC_ENTRY_READ_ONLY ? ": secondary" : "",
				 e->result_error ? ": " : "", e->result_error ? e->result_error : "");
			sgr = "33";
			break;
		case ZSYNC_RESULT_NONE: snprintf(res, sizeof(res), "-"); break;
		}
		if (color)
			fprintf(out, "%-24s %-12s \033[%sm%s\033[0m\n", e->zone->conf->name, e->provider->conf->name, sgr, res);
		else
			fprintf(out, "%-24s %-12s %s\n", e->zone->conf->name, e->provider->conf->name, res);
	}
}

void zsync_sync_print_usage(const struct zsync_plan *p, FILE *out)
{
	for (size_t i = 0; i < p->nproviders; i++) {
		char buf[256] = "";
		const struct zsync_plan_provider *pp = &p->providers[i];
		if (!pp->priv || !pp->type->usage)
			continue;
		pp->type->usage(pp->priv, buf, sizeof(buf));
		fprintf(out, "provider %s: %s\n", pp->conf->name, buf);
	}
}

/*
 * Drift: a provider that zonesync had brought to this very commit serves something else
 * now (a change made behind its back). Recorded before it is repaired.
 */
void zsync_sync_record_drift(const struct zsync_plan *plan, struct zsync_state *st, int64_t run, bool quiet)
{
	for (size_t i = 0; i < plan->nentries; i++) {
		const struct zsync_plan_entry *e = &plan->entries[i];
		struct zsync_err err = { 0 };
		char *last = NULL, *details;
		/* an older checkout differs from what is live because it is older: not drift */
		if (e->status != ZSYNC_ENTRY_READY || e->cs.n == 0 || e->behind)
			continue;
		if (zsync_state_pair_commit(st, e->zone->conf->name, e->provider->conf->name, &last, &err) < 0 ||
		    !last || strcmp(last, plan->commit) != 0) {
			free(last);
			continue;
		}
		details = zsync_xstrdup("");
		for (size_t c = 0; c < e->cs.n; c++) {
			const struct zsync_rrset *any = e->cs.v[c].new ? e->cs.v[c].new : e->cs.v[c].old;
			char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
			char *n = zsync_xasprintf("%s%s%s %s", details, c ? ", " : "",
						  zsync_name_to_text(any->owner, name, sizeof(name)),
						  zsync_type_to_text(any->type, type, sizeof(type)));
			free(details);
			details = n;
		}
		if (!quiet)
			fprintf(stderr, "zonesync: drift at %s for %s: %s\n", e->provider->conf->name,
				e->zone->conf->name, details);
		zsync_state_pair_drift(st, run, e->zone->conf->name, e->provider->conf->name, details,
				       (int)e->cs.n, &err);
		free(details);
		free(last);
	}
}

/*
 * apply --prune-zones candidates: zones zonesync deployed at a provider (the state db has
 * applied a commit there) that the configuration no longer puts there: removed from git,
 * or the provider dropped from the zone. Zones zonesync never deployed are never candidates, whatever the provider holds.
 */
struct prune_ctx {
	const struct zsync_config *cfg;
	const struct zsync_prune_opts *o;
	struct zsync_strlist found; /* "zone\tprovider" */
	size_t older;
};

static int prune_cb(void *arg, const struct zsync_pair_status *p)
{
	struct prune_ctx *c = arg;
	const struct zsync_prune_opts *o = c->o;
	const struct zsync_zone_conf *zc = zsync_config_zone(c->cfg, p->zone);

	if (!p->last_commit || !zsync_config_provider(c->cfg, p->provider) ||
	    !zsync_config_zone_selected(c->cfg, o->zones, p->zone) || !zsync_config_selected(o->providers, p->provider, false))
		return 0;
	for (size_t i = 0; zc && i < zc->providers.n; i++)
		if (!strcmp(zc->providers.v[i], p->provider))
			return 0; /* still deployed there */
	if (!o->allow_older && strcmp(p->last_commit, o->commit) != 0) {
		struct zsync_err err = { 0 };
		int r = o->repo ? zsync_repo_descends(o->repo, o->commit, p->last_commit, &err) : 0;
		if (r <= 0) {
			fprintf(stderr, "zonesync: zone %s at %s was deployed from commit %.12s, which this checkout (%.12s) "
				"does not descend from%s%s: not deleted (git pull and run again, or --allow-older)\n",
				p->zone, p->provider, p->last_commit, o->commit, r < 0 ? ": " : "", r < 0 ? err.msg : "");
			c->older++;
			return 0;
		}
	}
	zsync_strlist_add_owned(&c->found, zsync_xasprintf("%s\t%s", p->zone, p->provider));
	return 0;
}

/* One provider's instance for its deletions: opened once, before the tasks run. */
struct prune_provider {
	const struct zsync_provider_conf *pc;
	const struct zsync_provider_type *t;
	void *priv;
	char *error;      /* why open failed */
};

struct prune_task {
	struct zsync_state *st;
	int64_t run;
	const struct zsync_prune_opts *o;
	struct prune_provider *pp;
	const char *zone;
	FILE *out;
	/* its one message, printed in the pairs' order once every task has run */
	FILE *where;
	char *msg;
	bool deleted, failed, older;
};

static void prune_say(struct prune_task *t, FILE *where, char *msg)
{
	t->where = where;
	t->msg = msg;
}

static void prune_run(void *arg)
{
	struct prune_task *t = arg;
	struct prune_provider *pp = t->pp;
	const char *prov = pp->pc->name, *zone = t->zone;
	struct zsync_err err = { 0 };
	int64_t jid = 0;
	int ret;

	if (!pp->t || !pp->t->delete_zone) {
		prune_say(t, stderr, zsync_xasprintf("zonesync: provider '%s': zone '%s': this provider type cannot delete zones; delete it by hand\n",
			  prov, zone));
		t->failed = true;
		return;
	}
	if (pp->error) {
		prune_say(t, stderr, zsync_xasprintf("zonesync: provider '%s': %s\n", prov, pp->error));
		t->failed = true;
		return;
	}
	if (!t->o->allow_older) {
		/* this host's state db saw the zone deployed from an ancestor, but another host or
		 * checkout may have deployed newer work there since: the marker at the provider
		 * says (never backwards, whatever one state db knows) */
		struct zsync_zone *served = NULL;
		ret = zsync_err_sync(&err, pp->t->fetch(pp->priv, zone, &served, &err));
		if (ret == 0) {
			char *why = zsync_deploy_prune_check(pp->pc, zone, served, t->o->repo, t->o->commit);
			zsync_zone_free(served);
			if (why) {
				prune_say(t, stderr, zsync_xasprintf("zonesync: zone %s at %s: %s: not deleted\n", zone, prov, why));
				free(why);
				t->older = true;
				return;
			}
		} else if (ret != ZSYNC_ENOTFOUND) {
			prune_say(t, stderr, zsync_xasprintf("zonesync: provider '%s': zone '%s': cannot read it to check its "
							     "deployment marker: %s: not deleted\n", prov, zone, err.msg));
			t->failed = true;
			return;
		}
		zsync_err_clear(&err);
	}
	if (t->o->dry_run) {
		prune_say(t, stderr, zsync_xasprintf("zonesync: zone %s at %s is no longer in git for that provider: "
						     "apply --prune-zones would delete it\n", zone, prov));
		return;
	}
	struct zsync_journal_entry je = { zone, prov, "delete", zone, "ZONE", NULL, NULL };
	zsync_lock(&state_lock);
	ret = zsync_state_journal_add(t->st, t->run, &je, &jid, &err);
	zsync_unlock(&state_lock);
	if (ret < 0) {
		/* nothing is sent that could not be journalled first */
		prune_say(t, stderr, zsync_xasprintf("zonesync: provider '%s': zone '%s': cannot journal the "
						     "deletion: %s: not deleted\n", prov, zone, err.msg));
		t->failed = true;
		return;
	}
	ret = zsync_err_sync(&err, pp->t->delete_zone(pp->priv, zone, &err));
	zsync_lock(&state_lock);
	if (ret == 0 || ret == ZSYNC_ENOTFOUND) {
		zsync_state_journal_set(t->st, jid, "applied", NULL, &err);
		zsync_state_pair_forget(t->st, zone, prov, &err);
		t->deleted = true;
		if (!t->o->quiet)
			prune_say(t, t->out, zsync_xasprintf("deleted zone %s at %s%s\n", zone, prov, ret ? " (it was already gone)" : ""));
	} else {
		prune_say(t, stderr, zsync_xasprintf("zonesync: provider '%s': zone '%s': deleting the zone: %s\n", prov, zone, err.msg));
		zsync_state_journal_set(t->st, jid, "failed", err.msg, &err);
		zsync_state_pair_result(t->st, zone, prov, false, NULL, err.msg, &err);
		t->failed = true;
	}
	zsync_unlock(&state_lock);
}

size_t zsync_sync_prune(const struct zsync_config *cfg, struct zsync_state *st, int64_t run,
			const struct zsync_prune_opts *o, FILE *out, size_t *deleted, size_t *older)
{
	struct prune_ctx c = { cfg, o, { 0 }, 0 };
	struct zsync_err err = { 0 };
	size_t failed = 0, n;

	if (zsync_state_pairs(st, prune_cb, &c, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		return 1;
	}
	*older = c.older;
	n = c.found.n;
	if (!o->act) {
		for (size_t i = 0; i < n; i++) {
			char *zone = c.found.v[i], *prov = strchr(zone, '\t');
			*prov++ = 0;
			fprintf(stderr, "zonesync: zone %s at %s is no longer in git for that provider: apply --prune-zones deletes it\n",
				zone, prov);
		}
		zsync_strlist_release(&c.found);
		return 0;
	}
	struct prune_provider *pps = zsync_xcalloc(cfg->nproviders ? cfg->nproviders : 1, sizeof(*pps));
	struct prune_task *ts = zsync_xcalloc(n ? n : 1, sizeof(*ts));
	struct zsync_engine_task *tasks = zsync_xcalloc(n ? n : 1, sizeof(*tasks));
	for (size_t i = 0; i < n; i++) {
		char *zone = c.found.v[i], *prov = strchr(zone, '\t');
		*prov++ = 0;
		const struct zsync_provider_conf *pc = zsync_config_provider(cfg, prov);
		struct prune_provider *pp = &pps[pc - cfg->providers];
		if (!pp->pc) {
			pp->pc = pc;
			pp->t = zsync_provider_find(pc->type);
			memset(&err, 0, sizeof(err));
			if (pp->t && pp->t->delete_zone &&
			    zsync_err_sync(&err, pp->t->open(pc, &pp->priv, &err)) < 0)
				pp->error = zsync_xstrdup(err.msg);
		}
		ts[i] = (struct prune_task){ st, run, o, pp, zone, out, NULL, NULL, false, false, false };
		/* one provider instance: its deletions at most its `concurrency` at once */
		tasks[i] = (struct zsync_engine_task){ pp, prune_run, &ts[i], pc->concurrency };
	}
	zsync_engine_run(tasks, n, o->jobs > 0 ? o->jobs : cfg->defaults.jobs, 1);
	for (size_t i = 0; i < n; i++) {
		if (ts[i].msg)
			fputs(ts[i].msg, ts[i].where);
		free(ts[i].msg);
		*deleted += ts[i].deleted;
		*older += ts[i].older;
		failed += ts[i].failed;
	}
	for (size_t i = 0; i < cfg->nproviders; i++) {
		if (pps[i].priv)
			pps[i].t->close(pps[i].priv);
		free(pps[i].error);
	}
	free(tasks);
	free(ts);
	free(pps);
	zsync_strlist_release(&c.found);
	return failed;
}
