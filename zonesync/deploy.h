/* deploy.h - fleet safety: the deployment marker, never deploying backwards, fetching the remote */
#ifndef ZSYNC_DEPLOY_H
#define ZSYNC_DEPLOY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "repo.h"
#include "zone.h"

struct zsync_plan;
struct zsync_plan_entry;
struct zsync_state;

/* The marker's format version: the first word of its TXT string. */
#define ZSYNC_MARKER_FORMAT "zonesync-marker/1"
#define ZSYNC_MARKER_TTL 300

/* What a deployment marker says (TXT "zonesync-marker/1 commit=<id> time=<RFC 3339>"). */
struct zsync_marker {
	char commit[41];
	char time[32];
};

/*
 * Reads the marker at name (wire form) in zone (what a provider serves): 1 when found
 * (out filled), 0 when there is none, ZSYNC_EINVAL when a TXT there is not one that
 * zonesync wrote (err says what it holds).
 */
int zsync_marker_read(const struct zsync_zone *zone, const uint8_t *name, struct zsync_marker *out,
		      struct zsync_err *err);

/* A new zone (origin zone) holding only the marker TXT RRset for commit at time t. */
struct zsync_zone *zsync_marker_zone(const char *zone, const uint8_t *name, const char *commit, time_t t,
				     struct zsync_err *err);

/* Removes every RRset at the provider's marker name from zone (import). */
void zsync_marker_strip(struct zsync_zone *zone, const struct zsync_provider_conf *pc);

/*
 * Never backwards (DESIGN section 6): for each planned zone x provider, what was deployed
 * there (the provider's marker, and st's last commit when st is not NULL) must be an
 * ancestor of the plan's commit. Sets entry->behind (why not) on every entry of a zone
 * that is deployed from a commit this checkout does not descend from, and
 * entry->deployed to the commit found there. Returns how many entries are behind.
 */
size_t zsync_deploy_check(struct zsync_plan *plan, struct zsync_repo *repo, struct zsync_state *st);

/*
 * Never backwards again for one entry read anew during apply (a conflict or an unknown
 * outcome re-plans it): another host may have deployed a newer commit there meanwhile.
 * Recomputes entry->behind from the fresh read's marker (repo NULL: any commit but the
 * plan's own counts as not an ancestor); returns whether the entry is behind.
 */
bool zsync_deploy_recheck(struct zsync_plan *plan, struct zsync_plan_entry *entry, struct zsync_repo *repo);

/*
 * Never backwards in apply --prune-zones, whatever this host's state db saw: may zone,
 * as the provider (conf pc) serves it (served), be deleted by a checkout at commit? Its
 * deployment marker must name commit or an ancestor of it; a marker of newer work or of a
 * commit repo never saw, a TXT there that is not zonesync's marker, or no marker at all
 * (nothing says what deployed it) keep it. NULL when it may go, else why not (malloc'ed,
 * "its deployment marker says ..."). A provider without a marker name: NULL (the state
 * db's check is all there is). Safe from several threads.
 */
char *zsync_deploy_prune_check(const struct zsync_provider_conf *pc, const char *zone,
			       const struct zsync_zone *served, struct zsync_repo *repo, const char *commit);

/*
 * The commit to deploy: with [repo] remote, fetches [repo] branch from it (libgit2) and
 * returns the fetched head; without, resolves ref (NULL: [repo] ref). out: 40 hex digits.
 * A failed fetch is an error: nothing must be deployed then.
 */
int zsync_deploy_commit(const struct zsync_config *cfg, struct zsync_repo *repo, const char *ref, bool fetch,
			char out[41], struct zsync_err *err);

#endif
