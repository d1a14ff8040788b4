/* deploy.c - fleet safety: the deployment marker, never deploying backwards, fetching the remote */
#include "deploy.h"
#include "plan.h"
#include "state.h"
#include "thread.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zsync_marker_read(const struct zsync_zone *zone, const uint8_t *name, struct zsync_marker *out,
		      struct zsync_err *err)
{
	const struct zsync_rrset *r = zone ? zsync_zone_find(zone, name, ZSYNC_TYPE_TXT) : NULL;
	char text[600], nm[ZSYNC_NAME_TXT_MAXLEN + 1];
	const uint8_t *rd;
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	if (!r)
		return 0;
	zsync_name_to_text(name, nm, sizeof(nm));
	if (r->count != 1)
		return zsync_err_set(err, ZSYNC_EINVAL, "%s holds %u TXT records, not one zonesync marker", nm, r->count);
	/* the strings of the one record, joined (the model splits at 255 octets) */
	rd = r->rdata;
	for (size_t i = 0; i < zsync_rdata_len(rd);) {
		uint8_t l = zsync_rdata_data(rd)[i];
		if (i + 1 + l > zsync_rdata_len(rd) || len + l >= sizeof(text))
			break;
		memcpy(text + len, zsync_rdata_data(rd) + i + 1, l);
		len += l;
		i += 1u + l;
	}
	text[len] = '\0';
	const char *c = strstr(text, " commit="), *t = strstr(text, " time=");
	size_t fl = strlen(ZSYNC_MARKER_FORMAT);
	if (strncmp(text, ZSYNC_MARKER_FORMAT, fl) != 0 || text[fl] != ' ' || !c || strspn(c + 8, "0123456789abcdef") != 40)
		return zsync_err_set(err, ZSYNC_EINVAL,
				     "%s holds a TXT record that is not a zonesync deployment marker (\"%.100s\"); "
				     "remove it, or give the provider another marker name", nm, text);
	memcpy(out->commit, c + 8, 40);
	if (t)
		snprintf(out->time, sizeof(out->time), "%.*s", (int)strcspn(t + 6, " "), t + 6);
	return 1;
}

struct zsync_zone *zsync_marker_zone(const char *zone, const uint8_t *name, const char *commit, time_t t,
				     struct zsync_err *err)
{
	struct zsync_zone *z = zsync_zone_new(zone, err);
	uint8_t rd[256];
	struct tm tm;
	char when[32];

	if (!z)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	int n = snprintf((char *)rd + 1, sizeof(rd) - 1, "%s commit=%s time=%s", ZSYNC_MARKER_FORMAT, commit, when);
	rd[0] = (uint8_t)n;
	if (zsync_zone_add(z, name, ZSYNC_TYPE_TXT, ZSYNC_MARKER_TTL, rd, (uint16_t)(n + 1), err) < 0) {
		zsync_zone_free(z);
		return NULL;
	}
	return z;
}

void zsync_marker_strip(struct zsync_zone *zone, const struct zsync_provider_conf *pc)
{
	uint8_t name[ZSYNC_NAME_MAXLEN];
	bool has;
	uint16_t types[64];
	size_t n = 0;

	zsync_plan_marker_name(pc, zsync_zone_name(zone), name, &has);
	if (!has)
		return;
	for (size_t i = 0; i < zsync_zone_iter_count(zone) && n < 64; i++) {
		const struct zsync_rrset *r = zsync_zone_iter(zone, i);
		if (r && zsync_name_equal(r->owner, name))
			types[n++] = r->type;
	}
	for (size_t i = 0; i < n; i++)
		zsync_zone_remove(zone, name, types[i]);
}

/* Whether what was deployed (commit, from where) lets this checkout deploy; else why not. */
static char *older_than(struct zsync_repo *repo, const char *mine, const char *live, const char *where,
			const char *when)
{
	struct zsync_err err = { 0 };
	/* no repository to ask (a re-read during apply without one): only the plan's own commit is safe */
	int r = !strcmp(mine, live) ? 1 : repo ? zsync_repo_descends(repo, mine, live, &err) : 0;

	if (r > 0)
		return NULL;
	if (r < 0)
		return zsync_xasprintf("cannot tell whether commit %.12s descends from %.12s (%s): %s", mine, live,
				       where, err.msg);
	return zsync_xasprintf("the checkout is older than what is deployed: %s says commit %.12s%s%s%s is live, "
			       "this checkout has %.12s, which does not descend from it; git pull (or fetch) "
			       "and run again, or apply --allow-older to deploy it anyway",
			       where, live, when && *when ? " (deployed " : "", when && *when ? when : "",
			       when && *when ? ")" : "", mine);
}

/* What e's marker says: e->behind (and e->deployed) when it names a commit the plan's does not descend from. */
static void check_marker(struct zsync_plan *p, struct zsync_plan_entry *e, struct zsync_repo *repo)
{
	struct zsync_err err = { 0 };
	struct zsync_marker m;
	uint8_t name[ZSYNC_NAME_MAXLEN];
	bool has;
	int r;

	zsync_plan_marker_name(e->provider->conf, e->zone->conf->name, name, &has);
	if (!has || (r = zsync_marker_read(e->current, name, &m, &err)) == 0)
		return;
	if (r < 0) {
		e->behind = zsync_xstrdup(err.msg);
		return;
	}
	char *where = zsync_xasprintf("the deployment marker at %s", e->provider->conf->name);
	snprintf(e->deployed, sizeof(e->deployed), "%s", m.commit);
	e->behind = older_than(repo, p->commit, m.commit, where, m.time);
	free(where);
}

static pthread_mutex_t recheck_lock = PTHREAD_MUTEX_INITIALIZER;

bool zsync_deploy_recheck(struct zsync_plan *p, struct zsync_plan_entry *e, struct zsync_repo *repo)
{
	free(e->behind);
	e->behind = NULL;
	e->behind_zone = false;
	e->deployed[0] = '\0';
	if (e->status != ZSYNC_ENTRY_READY)
		return false;
	/* apply's workers re-read side by side; a libgit2 repository takes one thread at a time */
	zsync_lock(&recheck_lock);
	check_marker(p, e, repo);
	zsync_unlock(&recheck_lock);
	return e->behind != NULL;
}

char *zsync_deploy_prune_check(const struct zsync_provider_conf *pc, const char *zone,
			       const struct zsync_zone *served, struct zsync_repo *repo, const char *commit)
{
	struct zsync_err err = { 0 };
	struct zsync_marker m;
	uint8_t name[ZSYNC_NAME_MAXLEN];
	bool has;
	int r;

	zsync_plan_marker_name(pc, zone, name, &has);
	if (!has)
		return NULL;
	if ((r = zsync_marker_read(served, name, &m, &err)) < 0)
		return zsync_xasprintf("it holds no deployment marker of zonesync's: %s", err.msg);
	if (r == 0)
		return zsync_xasprintf("it holds no deployment marker: nothing says what deployed it (delete it by hand, "
				       "or --allow-older)");
	if (!strcmp(m.commit, commit))
		return NULL;
	/* a libgit2 repository takes one thread at a time; prune's tasks run side by side */
	zsync_lock(&recheck_lock);
	r = repo ? zsync_repo_descends(repo, commit, m.commit, &err) : 0;
	zsync_unlock(&recheck_lock);
	if (r > 0)
		return NULL;
	return zsync_xasprintf("its deployment marker says commit %.12s%s%s%s, which this checkout (%.12s) does not "
			       "descend from%s%s (newer work, or work this checkout never saw): git pull and run again, "
			       "or --allow-older", m.commit, m.time[0] ? " (deployed " : "", m.time, m.time[0] ? ")" : "",
			       commit, r < 0 ? ": " : "", r < 0 ? err.msg : "");
}

size_t zsync_deploy_check(struct zsync_plan *p, struct zsync_repo *repo, struct zsync_state *st)
{
	size_t behind = 0;

	for (size_t k = 0; k < p->nentries; k++) {
		struct zsync_plan_entry *e = &p->entries[k];
		struct zsync_err err = { 0 };
		char *last = NULL;

		if (e->status != ZSYNC_ENTRY_READY)
			continue;
		check_marker(p, e, repo);
		if (!e->behind && st &&
		    zsync_state_pair_commit(st, e->zone->conf->name, e->provider->conf->name, &last, &err) == 0 && last &&
		    strlen(last) == 40) {
			char *where = zsync_xasprintf("the state db (last apply to %s)", e->provider->conf->name);
			e->behind = older_than(repo, p->commit, last, where, NULL);
			if (e->behind && !e->deployed[0])
				snprintf(e->deployed, sizeof(e->deployed), "%s", last);
			free(where);
		}
		free(last);
	}
	/* a zone goes forward everywhere or nowhere: providers must not end up on different commits */
	for (size_t k = 0; k < p->nentries; k++) {
		struct zsync_plan_entry *e = &p->entries[k];
		if (!e->behind || e->behind_zone)
			continue;
		for (size_t j = 0; j < p->nentries; j++) {
			struct zsync_plan_entry *o = &p->entries[j];
			if (o->zone == e->zone && !o->behind && o->status == ZSYNC_ENTRY_READY) {
				o->behind = zsync_xasprintf("not deployed: zone %s is deployed from a newer commit at %s",
							    e->zone->conf->name, e->provider->conf->name);
				o->behind_zone = true;
			}
		}
	}
	for (size_t k = 0; k < p->nentries; k++)
		behind += p->entries[k].behind != NULL;
	return behind;
}

int zsync_deploy_commit(const struct zsync_config *cfg, struct zsync_repo *repo, const char *ref, bool fetch,
			char out[41], struct zsync_err *err)
{
	if (fetch) {
		if (!cfg->repo.remote)
			return zsync_err_set(err, ZSYNC_EINVAL,
					     "%s: no [repo] remote to fetch from (set remote and branch)", cfg->path);
		return zsync_repo_fetch(repo, cfg->repo.remote, cfg->repo.branch, out, err);
	}
	return zsync_repo_resolve(repo, ref ? ref : cfg->repo.ref, out, err);
}
