/* serve-run.c - zonesync serve's work: the delivery queue, the one run worker, the schedule */
#include "serve.h"
#include "cmd.h"
#include "config.h"
#include "plan.h"
#include "provider.h"
#include "repo.h"
#include "state.h"
#include "thread.h"

#include <stdlib.h>
#include <string.h>

const char *const zsync_hook_result_names[ZSYNC_HOOK_NRESULTS] = {
	"accepted", "duplicate", "ignored", "bad_signature", "bad_request", "too_large", "queue_full",
};

const char *const zsync_run_result_names[ZSYNC_RUN_NRESULTS] = {
	"ok", "partial", "refused", "mismatch", "locked", "failed",
};

enum zsync_run_result zsync_serve_run_result(int exit_code)
{
	switch (exit_code) {
	case ZSYNC_EXIT_OK: return ZSYNC_RUN_OK;
	case ZSYNC_EXIT_PARTIAL: return ZSYNC_RUN_PARTIAL;
	case ZSYNC_EXIT_REFUSED: case 6: return ZSYNC_RUN_REFUSED; /* 6: older than what is deployed */
	case ZSYNC_EXIT_CHANGES: return ZSYNC_RUN_MISMATCH;
	case ZSYNC_EXIT_LOCKED: return ZSYNC_RUN_LOCKED;
	default: return ZSYNC_RUN_FAILED;
	}
}

const double zsync_serve_buckets[ZSYNC_SERVE_NBUCKETS] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
};

/* a burst of pushes becomes one run: wait for a quiet second, but never longer than this */
#define QUIET_MS 1000
#define MAX_DELAY_MS 10000
/* a run that found the lock taken (a CLI run) is tried again after this */
#define LOCKED_RETRY_SECONDS 10

int64_t zsync_serve_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *zsync_serve_job_name(enum zsync_serve_job job)
{
	static const char *const names[] = { "none", "apply", "reconcile", "verify" };
	return names[job];
}

int zsync_serve_enqueue(struct zsync_serve *s, const struct zsync_serve_delivery *d)
{
	char key[104];
	int ret = 0;

	snprintf(key, sizeof(key), "%s:%s", d->source, d->id);
	zsync_lock(&s->mu);
	if (s->stopping) {
		ret = -2;
		goto out;
	}
	if (d->id[0]) {
		size_t n = s->nseen < ZSYNC_SERVE_SEEN ? s->nseen : ZSYNC_SERVE_SEEN;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(s->seen[i], key)) {
				ret = 1;
				goto out;
			}
	}
	if ((long)s->npending >= s->cfg->serve.max_queue) {
		ret = -1;
		goto out;
	}
	if (d->id[0])
		snprintf(s->seen[s->nseen++ % ZSYNC_SERVE_SEEN], sizeof(s->seen[0]), "%s", key);
	s->pending = zsync_xrealloc(s->pending, (s->npending + 1) * sizeof(*s->pending));
	s->pending[s->npending++] = *d;
	s->last_delivery_ms = d->at_ms;
	zsync_cond_broadcast(&s->cv);
out:
	zsync_unlock(&s->mu);
	return ret;
}

bool zsync_serve_request(struct zsync_serve *s, enum zsync_serve_job job, const char *trigger)
{
	bool ok;
	zsync_lock(&s->mu);
	ok = !s->stopping;
	if (ok && job == ZSYNC_JOB_RECONCILE) {
		if (!s->want_reconcile)
			snprintf(s->reconcile_trigger, sizeof(s->reconcile_trigger), "%s", trigger);
		s->want_reconcile = true;
	} else if (ok && job == ZSYNC_JOB_VERIFY) {
		s->want_verify = true;
	}
	zsync_cond_broadcast(&s->cv);
	zsync_unlock(&s->mu);
	return ok;
}

static long jitter(long every)
{
	long j = every / 10;
	return j > 0 ? random() % (j + 1) : 0;
}

void zsync_serve_schedule(struct zsync_serve *s, time_t now)
{
	zsync_lock(&s->mu);
	s->next_reconcile = s->cfg->serve.reconcile_every ? now + s->cfg->serve.reconcile_every + jitter(s->cfg->serve.reconcile_every) : 0;
	s->next_verify = s->cfg->serve.verify_every ? now + s->cfg->serve.verify_every + jitter(s->cfg->serve.verify_every) : 0;
	zsync_unlock(&s->mu);
}

void zsync_serve_tick(struct zsync_serve *s, time_t now)
{
	zsync_lock(&s->mu);
	if (s->next_reconcile && now >= s->next_reconcile) {
		s->next_reconcile = now + s->cfg->serve.reconcile_every + jitter(s->cfg->serve.reconcile_every);
		if (!s->want_reconcile)
			snprintf(s->reconcile_trigger, sizeof(s->reconcile_trigger), "schedule");
		s->want_reconcile = true;
		zsync_cond_broadcast(&s->cv);
	}
	if (s->next_verify && now >= s->next_verify) {
		s->next_verify = now + s->cfg->serve.verify_every + jitter(s->cfg->serve.verify_every);
		s->want_verify = true;
		zsync_cond_broadcast(&s->cv);
	}
	zsync_unlock(&s->mu);
}

void zsync_serve_check_repo(struct zsync_serve *s)
{
	struct zsync_repo *repo = NULL;
	struct zsync_err err = { 0 };
	char *path;

	zsync_lock(&s->mu);
	path = zsync_xstrdup(s->cfg->repo.path);
	zsync_unlock(&s->mu);
	int r = zsync_repo_open(&repo, path, &err);
	zsync_repo_close(repo);
	zsync_lock(&s->mu);
	snprintf(s->repo_error, sizeof(s->repo_error), "%s", r < 0 ? err.msg : "");
	zsync_unlock(&s->mu);
	free(path);
}

struct run_ctx {
	struct zsync_serve *s;
	struct zsync_serve_run *r;
};

/* "7 requests (3 GET, 2 PATCH, 2 POST)": the "N METHOD" pairs of a provider's usage line */
static void count_requests(struct zsync_serve *s, const char *provider, const char *usage)
{
	const char *p = strchr(usage, '(');
	while (p && *p) {
		char method[16];
		unsigned long n;
		int used = 0;
		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (sscanf(p, "%lu %15[A-Z]%n", &n, method, &used) != 2) {
			while (*p >= '0' && *p <= '9')
				p++;
			continue;
		}
		p += used;
		size_t i;
		for (i = 0; i < s->nrequests; i++)
			if (!strcmp(s->requests[i].provider, provider) && !strcmp(s->requests[i].method, method))
				break;
		if (i == s->nrequests) {
			if (i == ZSYNC_SERVE_COUNTERS)
				continue;
			snprintf(s->requests[i].provider, sizeof(s->requests[i].provider), "%s", provider);
			snprintf(s->requests[i].method, sizeof(s->requests[i].method), "%s", method);
			s->nrequests++;
		}
		s->requests[i].n += n;
	}
}

static void on_run(void *arg, const struct zsync_plan *plan, int64_t run_id, int exit_code)
{
	struct run_ctx *c = arg;
	struct zsync_serve_run *r = c->r;

	(void)exit_code;
	r->state_run = run_id;
	snprintf(r->commit, sizeof(r->commit), "%s", plan->commit ? plan->commit : "");
	for (size_t i = 0; i < plan->nentries; i++) {
		const struct zsync_plan_entry *e = &plan->entries[i];
		switch (e->result) {
		case ZSYNC_RESULT_CHANGED: r->changed++; r->changes += e->cs.n; break;
		case ZSYNC_RESULT_IN_SYNC: r->in_sync++; break;
		case ZSYNC_RESULT_FAILED: r->failed++; break;
		case ZSYNC_RESULT_REFUSED: r->refused++; break;
		default: break;
		}
		/* in the service's log, each zone x provider that did not go through, and why */
		const char *why = e->result == ZSYNC_RESULT_OLDER ? e->behind
			: e->result == ZSYNC_RESULT_FAILED || e->result == ZSYNC_RESULT_REFUSED ? e->result_error : NULL;
		if (why || e->result == ZSYNC_RESULT_OLDER)
			zsync_serve_log(c->s, "warn", e->result == ZSYNC_RESULT_OLDER ? "not deployed: older than what is deployed there"
					: e->result == ZSYNC_RESULT_FAILED ? "provider failed" : "refused by a safety limit",
					"zone", e->zone->conf->name, "provider", e->provider->conf->name,
					"deployed", e->deployed[0] ? e->deployed : NULL, "error", why, NULL);
	}
	zsync_lock(&c->s->mu);
	for (size_t i = 0; i < plan->nproviders; i++) {
		const struct zsync_plan_provider *pp = &plan->providers[i];
		char buf[256] = "";
		if (!pp->priv || !pp->type->usage)
			continue;
		pp->type->usage(pp->priv, buf, sizeof(buf));
		count_requests(c->s, pp->conf->name, buf);
	}
	zsync_unlock(&c->s->mu);
}

static int drift_cb(void *arg, const struct zsync_drift_info *d)
{
	struct zsync_serve_run *r = arg;
	if (d->run_id == r->state_run)
		r->drift++;
	return 0;
}

struct deployed_ctx {
	char *buf;
	size_t len;
};

static int deployed_cb(void *arg, const struct zsync_run_info *r)
{
	struct deployed_ctx *d = arg;
	if (!r->status || strcmp(r->status, "ok") || !r->commit || !r->command ||
	    (strcmp(r->command, "apply") && strcmp(r->command, "reconcile")))
		return 0;
	snprintf(d->buf, d->len, "%s", r->commit);
	return 1;
}

/*
 * The commit the last good apply or reconcile deployed ("" when none): what verify checks
 * ([repo] ref may lag behind a fetched remote). From this process's runs, else the state db.
 */
static void last_deployed(struct zsync_serve *s, char *buf, size_t len)
{
	struct deployed_ctx d = { buf, len };
	struct zsync_err err = { 0 };

	buf[0] = '\0';
	zsync_lock(&s->mu);
	for (int64_t k = s->nruns; k > 0 && k > s->nruns - ZSYNC_SERVE_RUNS && !buf[0]; k--) {
		const struct zsync_serve_run *r = &s->runs[(k - 1) % ZSYNC_SERVE_RUNS];
		if (r->job != ZSYNC_JOB_VERIFY && r->state_run && r->commit[0] && r->exit_code == 0)
			snprintf(buf, len, "%s", r->commit);
	}
	zsync_unlock(&s->mu);
	if (buf[0])
		return;
	zsync_lock(&s->db_mu);
	if (s->db)
		zsync_state_runs(s->db, 50, NULL, NULL, deployed_cb, &d, &err);
	zsync_unlock(&s->db_mu);
}

static void run_job(struct zsync_serve *s, enum zsync_serve_job job, const char *trigger, size_t ndeliveries,
		    const char *after)
{
	struct zsync_serve_run r = { .job = job, .deliveries = ndeliveries };
	struct run_ctx rc = { s, &r };
	char *text, seq[24], code[16], secs[32], commit[48] = "", ref[64] = "";
	char *argv[4];
	int argc = 0;
	bool fetch;
	struct timespec t0, t1;
	size_t len;

	zsync_lock(&s->mu);
	text = zsync_xmalloc(s->cfg_len + 1);
	memcpy(text, s->cfg_text, s->cfg_len + 1);
	len = s->cfg_len;
	r.seq = ++s->nruns;
	fetch = s->cfg->repo.remote != NULL;
	zsync_unlock(&s->mu);
	if (job == ZSYNC_JOB_VERIFY)
		last_deployed(s, commit, sizeof(commit));
	snprintf(r.trigger, sizeof(r.trigger), "%s", trigger);
	snprintf(seq, sizeof(seq), "%lld", (long long)r.seq);

	struct zsync_ctx ctx = {
		.config_path = s->config_path, .quiet = !s->verbose && job != ZSYNC_JOB_VERIFY, /* verify: its report is the point */ .verbose = s->verbose > 1 ? s->verbose - 1 : 0,
		.no_color = true, .global_opts = s->global_opts, .config_text = text, .config_len = len,
		.trigger = trigger, .on_run = on_run, .on_run_arg = &rc,
	};
	/* a CLI run holding the lock is waited for a while, then the run is tried later */
	argv[argc++] = job == ZSYNC_JOB_VERIFY ? "--timeout=3000" : "--wait=60";
	/* the push names the branch, the fetch says where it is now (never an older commit: exit 6) */
	if (job == ZSYNC_JOB_APPLY && fetch)
		argv[argc++] = "--fetch";
	if (job == ZSYNC_JOB_VERIFY && commit[0]) {
		snprintf(ref, sizeof(ref), "--ref=%s", commit);
		argv[argc++] = ref;
	}
	argv[argc] = NULL;
	zsync_serve_log(s, "info", "run started", "run", seq, "command", zsync_serve_job_name(job),
			"trigger", trigger, "push", after && *after ? after : NULL, NULL);
	r.started = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.exit_code = job == ZSYNC_JOB_APPLY ? cmd_apply(argc, argv, &ctx)
		: job == ZSYNC_JOB_RECONCILE ? cmd_reconcile(argc, argv, &ctx)
		: cmd_verify(argc, argv, &ctx);
	fflush(stdout);
	fflush(stderr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	free(text);
	if (r.state_run) {
		struct zsync_err err = { 0 };
		zsync_lock(&s->db_mu);
		if (s->db)
			zsync_state_drift(s->db, r.started - 1, drift_cb, &r, &err);
		zsync_unlock(&s->db_mu);
	}
	if (job == ZSYNC_JOB_VERIFY)
		snprintf(r.commit, sizeof(r.commit), "%s", commit);
	zsync_serve_check_repo(s);

	zsync_lock(&s->mu);
	s->runs[(r.seq - 1) % ZSYNC_SERVE_RUNS] = r;
	s->runs_total[job][zsync_serve_run_result(r.exit_code)]++;
	s->seconds_sum[job] += r.seconds;
	int b;
	for (b = 0; b < ZSYNC_SERVE_NBUCKETS && r.seconds > zsync_serve_buckets[b]; b++)
		;
	s->buckets[job][b]++;
	if (job == ZSYNC_JOB_VERIFY) {
		s->last_verify = r.exit_code;
		s->last_verify_at = time(NULL);
	} else if (r.state_run) {
		s->last_error[0] = '\0';
	} else if (r.exit_code != ZSYNC_EXIT_LOCKED) {
		snprintf(s->last_error, sizeof(s->last_error), "the last %s (run %s) failed before reaching any provider (exit %d; see the log)",
			 zsync_serve_job_name(job), seq, r.exit_code);
	}
	zsync_unlock(&s->mu);

	snprintf(code, sizeof(code), "%d", r.exit_code);
	snprintf(secs, sizeof(secs), "%.3f", r.seconds);
	char counts[160], state_run[24];
	snprintf(counts, sizeof(counts), "%zu", r.changes);
	snprintf(state_run, sizeof(state_run), "%lld", (long long)r.state_run);
	char changed[24], failed[24], refused[24], drift[24];
	snprintf(changed, sizeof(changed), "%zu", r.changed);
	snprintf(failed, sizeof(failed), "%zu", r.failed);
	snprintf(refused, sizeof(refused), "%zu", r.refused);
	snprintf(drift, sizeof(drift), "%d", r.drift);
	zsync_serve_log(s, r.exit_code == 0 ? "info" : "warn", "run finished", "run", seq,
			"command", zsync_serve_job_name(job), "exit_code", code, "seconds", secs,
			"state_run", r.state_run ? state_run : NULL, "commit", r.commit[0] ? r.commit : NULL,
			"changes", counts, "changed", changed, "failed", failed, "refused", refused,
			"drift", drift, NULL);
}

/*
 * Takes the next job off the queue (with s->mu held); NONE when nothing is due yet, with
 * *wake_ms the monotonic time a waiting burst is due (0: nothing waits for a time).
 */
static enum zsync_serve_job next_job(struct zsync_serve *s, int64_t now_ms, int64_t *wake_ms, char *trigger,
				     size_t tlen, size_t *ndeliveries, char *after, size_t alen)
{
	*wake_ms = 0;
	if (s->npending) {
		int64_t oldest = s->pending[0].at_ms;
		if (now_ms - s->last_delivery_ms >= QUIET_MS || now_ms - oldest >= MAX_DELAY_MS) {
			/* the newest push names the commit; the run deploys the branch's head */
			snprintf(after, alen, "%s", s->pending[s->npending - 1].after);
			snprintf(trigger, tlen, "webhook");
			*ndeliveries = s->npending;
			s->npending = 0;
			return ZSYNC_JOB_APPLY;
		}
		*wake_ms = s->last_delivery_ms + QUIET_MS;
		if (oldest + MAX_DELAY_MS < *wake_ms)
			*wake_ms = oldest + MAX_DELAY_MS;
	}
	if (s->want_reconcile) {
		s->want_reconcile = false;
		snprintf(trigger, tlen, "%s", s->reconcile_trigger);
		return ZSYNC_JOB_RECONCILE;
	}
	if (s->want_verify) {
		s->want_verify = false;
		snprintf(trigger, tlen, "schedule");
		return ZSYNC_JOB_VERIFY;
	}
	return ZSYNC_JOB_NONE;
}

static void *worker_main(void *arg)
{
	struct zsync_serve *s = arg;
	int64_t hold_until = 0; /* monotonic ms: after a locked run */

	zsync_lock(&s->mu);
	while (!s->stopping) {
		char trigger[32] = "", after[48] = "";
		size_t nd = 0;
		int64_t now = zsync_serve_now_ms(), wake = 0;
		enum zsync_serve_job job = now >= hold_until
			? next_job(s, now, &wake, trigger, sizeof(trigger), &nd, after, sizeof(after))
			: ZSYNC_JOB_NONE;
		if (job == ZSYNC_JOB_NONE) {
			/* asleep until a burst is due, the lock retry, or a second (the schedule ticks) */
			int64_t delay = 1000;
			struct timespec ts;
			if (now < hold_until && (!wake || hold_until < wake))
				wake = hold_until;
			if (wake && wake - now < delay)
				delay = wake > now ? wake - now : 0;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += delay / 1000;
			ts.tv_nsec += (delay % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			zsync_cond_timedwait(&s->cv, &s->mu, &ts);
			continue;
		}
		s->running = job;
		s->running_since = time(NULL);
		zsync_unlock(&s->mu);
		run_job(s, job, trigger, nd, after);
		zsync_lock(&s->mu);
		s->running = ZSYNC_JOB_NONE;
		const struct zsync_serve_run *r = &s->runs[(s->nruns - 1) % ZSYNC_SERVE_RUNS];
		if (r->exit_code == ZSYNC_EXIT_LOCKED) {
			/* another zonesync holds the lock: the same work again later */
			hold_until = zsync_serve_now_ms() + LOCKED_RETRY_SECONDS * 1000;
			if (job == ZSYNC_JOB_APPLY && (long)s->npending < s->cfg->serve.max_queue) {
				struct zsync_serve_delivery d = { .at_ms = zsync_serve_now_ms() };
				snprintf(d.source, sizeof(d.source), "retry");
				snprintf(d.after, sizeof(d.after), "%s", after);
				s->pending = zsync_xrealloc(s->pending, (s->npending + 1) * sizeof(*s->pending));
				memmove(s->pending + 1, s->pending, s->npending * sizeof(*s->pending));
				s->pending[0] = d;
				s->npending++;
			} else if (job == ZSYNC_JOB_RECONCILE) {
				s->want_reconcile = true;
			} else if (job == ZSYNC_JOB_VERIFY) {
				s->want_verify = true;
			}
		}
	}
	if (s->npending || s->want_reconcile || s->want_verify) {
		char n[24];
		snprintf(n, sizeof(n), "%zu", s->npending);
		zsync_unlock(&s->mu);
		zsync_serve_log(s, "info", "stopping: queued work dropped (the next start or the next push picks it up)",
				"deliveries", n, NULL);
		zsync_lock(&s->mu);
	}
	zsync_unlock(&s->mu);
	return NULL;
}

int zsync_serve_worker_start(struct zsync_serve *s)
{
	return zsync_thread_start(&s->worker, worker_main, s) ? 0 : -1;
}

void zsync_serve_worker_stop(struct zsync_serve *s)
{
	zsync_lock(&s->mu);
	s->stopping = true;
	zsync_cond_broadcast(&s->cv);
	zsync_unlock(&s->mu);
	zsync_thread_join(s->worker);
}
