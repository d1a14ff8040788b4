/* nsset.h - one nameserver set for all: the providers' assigned nameservers against the apex NS */
#ifndef ZSYNC_NSSET_H
#define ZSYNC_NSSET_H

#include "config.h"
#include "err.h"
#include "zone.h"

/* The names of names (absolute, lower case) that the NS RRset ns (NULL: none) does not name, appended to missing. */
void zsync_nsset_missing(const struct zsync_rrset *ns, const struct zsync_strlist *names,
			 struct zsync_strlist *missing);

/*
 * apex_ns = "union": adds names to z's apex NS RRset (with its TTL, 86400 when it has
 * none), so that it names every provider's nameservers. z must not be frozen yet.
 */
int zsync_nsset_extend(struct zsync_zone *z, const struct zsync_strlist *names, struct zsync_err *err);

/*
 * The names provider pc is configured to serve from without asking it (its ns_names,
 * when its type declares the key), appended to out; for check, which contacts no provider.
 */
void zsync_nsset_configured(const struct zsync_provider_conf *pc, struct zsync_strlist *out);

/* The warning of a provider whose served apex NS misses names of another (or itself); malloc'ed. */
char *zsync_nsset_warning(const char *served_by, bool gits, const char *owner, const struct zsync_strlist *missing);

/*
 * The nameservers provider pc serves zone from (opened, asked, closed), appended to
 * names; 0 also when its type reports none. Fails with err saying why.
 */
int zsync_nsset_provider(const struct zsync_provider_conf *pc, const char *zone, struct zsync_strlist *names,
			 struct zsync_err *err);

/*
 * apex_ns = "union" outside a plan (verify): opens each provider of zc that has a
 * nameservers op, asks it, closes it; the names go to names, one warning per provider
 * whose names are unknown (it failed, or names none) to notes.
 */
void zsync_nsset_collect(const struct zsync_config *cfg, const struct zsync_zone_conf *zc,
			 struct zsync_strlist *names, struct zsync_strlist *notes);

#endif
