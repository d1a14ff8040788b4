/* verify.h - the verify engine: every provider's nameservers asked over DNS against git, and its reports */
#ifndef ZSYNC_VERIFY_H
#define ZSYNC_VERIFY_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "repo.h"

enum zsync_verify_format { ZSYNC_VERIFY_TEXT, ZSYNC_VERIFY_JSON, ZSYNC_VERIFY_MARKDOWN };

/* What a verify found; the commands turn it into their exit status. */
enum zsync_verify_outcome {
	ZSYNC_VERIFY_CONSISTENT = 0,
	ZSYNC_VERIFY_FAILED = 1,    /* an error: a zone that does not load, a bad key, nothing to ask */
	ZSYNC_VERIFY_DIFFERENT = 2, /* a mismatch or an unreachable server */
};

struct zsync_verify_opts {
	const struct zsync_strlist *zones;     /* --zone (empty: all) */
	const struct zsync_strlist *providers; /* --provider (empty: all) */
	long timeout_ms;                       /* per query */
	enum zsync_verify_format format;
	bool strict;                           /* also AXFR: what is served beyond git */
	/*
	 * > 0: ask again every second until consistent or the time is up (after an apply),
	 * printing the last round only; < 0: one round, and no server to ask is not an error
	 */
	double wait_seconds;
	bool quiet, color;                     /* text report: problems only; ANSI colours */
	bool progress;                         /* a progress line on stderr while servers are asked */
};

/*
 * Asks every selected provider's nameservers for every RRset of the selected zones of
 * tree; the servers are asked side by side on the engine (cfg->jobs at once, default 8).
 * The report goes to standard output, problems that stop a zone or a provider to stderr.
 */
int zsync_verify_run(struct zsync_config *cfg, struct zsync_tree *tree, const struct zsync_verify_opts *o);

/*
 * The delegation: what the parent's servers (parents) answer for each zone's NS, against
 * the apex NS in git, reported to out. ZSYNC_VERIFY_DIFFERENT when a provider's
 * nameserver is missing from the delegation (resolvers never ask it) or the reverse.
 */
int zsync_verify_delegation(struct zsync_config *cfg, struct zsync_tree *tree, const struct zsync_verify_opts *o,
			    const struct zsync_strlist *parents, FILE *out);

#endif
