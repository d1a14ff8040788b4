/* plan.h - zones x providers: fetch what each serves, diff, apply safety limits, render */
#ifndef ZSYNC_PLAN_H
#define ZSYNC_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "diff.h"
#include "err.h"
#include "repo.h"
#include "zone.h"

struct zsync_provider_type;

struct zsync_plan_zone {
	const struct zsync_zone_conf *conf;
	struct zsync_zone *desired;  /* NULL when the zone has errors */
	bool invalid;                /* errors in the zone: never pushed */
	struct zsync_strlist nsset_notes; /* apex_ns = "union": providers whose names it lacks, and why */
	size_t entry0, nentries;     /* its entries: p->entries[entry0 .. entry0 + nentries) */
};

struct zsync_plan_provider {
	const struct zsync_provider_conf *conf;
	const struct zsync_provider_type *type;
	void *priv;                  /* open instance; NULL when open failed */
	char *error;                 /* why it could not be opened */
};

enum zsync_entry_status {
	ZSYNC_ENTRY_READY,           /* planned: cs holds the changes (maybe none) */
	ZSYNC_ENTRY_FAILED,          /* the provider could not be planned: error */
	ZSYNC_ENTRY_INVALID_ZONE,    /* the zone in git has errors */
	ZSYNC_ENTRY_READ_ONLY,       /* a secondary: verified, never pushed */
};

struct zsync_plan_entry {
	struct zsync_plan_zone *zone;
	struct zsync_plan_provider *provider;
	enum zsync_entry_status status;
	char *error;
	struct zsync_zone *current;  /* what the provider serves (the plan's base) */
	struct zsync_changeset cs;
	bool create_zone;            /* the zone does not exist there yet */
	char *refused;               /* a safety limit it exceeds, or NULL */
	struct zsync_strlist assigned; /* the nameservers the provider serves the zone from (its nameservers op) */
	char *assigned_error;        /* why it could not tell them, or NULL */
	char *behind;                /* why this checkout must not deploy here (older than what is live), or NULL */
	bool behind_zone;            /* behind only because another provider of the zone is */
	char deployed[41];           /* the commit found deployed there when behind ("" unknown) */
	/* filled by apply */
	enum zsync_entry_result {
		ZSYNC_RESULT_NONE,       /* not applied (plan only) */
		ZSYNC_RESULT_IN_SYNC,
		ZSYNC_RESULT_CHANGED,
		ZSYNC_RESULT_FAILED,
		ZSYNC_RESULT_REFUSED,
		ZSYNC_RESULT_SKIPPED,    /* invalid zone, secondary, vetoed by a hook */
		ZSYNC_RESULT_OLDER,      /* the checkout is older than what is deployed there */
	} result;
	char *result_error;
};

struct zsync_plan {
	struct zsync_config *cfg;    /* borrowed */
	char *commit;                /* commit id of the zones */
	char *source;                /* "commit 1a2b3c (HEAD)" */
	struct zsync_plan_zone *zones;
	size_t nzones;
	struct zsync_plan_provider *providers;
	size_t nproviders;
	struct zsync_plan_entry *entries;
	size_t nentries;
	struct zsync_diags diags;    /* findings of the zones' lint */
	char hash[65];
};

struct zsync_plan_filter {
	const struct zsync_strlist *zones;     /* names; empty: all */
	const struct zsync_strlist *providers; /* names; empty: all */
	long jobs;                             /* worker threads; 0: [defaults] jobs */
	bool progress;                         /* a progress line on stderr while reading providers */
	bool errors_only;                      /* plan.diags keeps errors only (zsync_diags.errors_only) */
};

/*
 * Loads and lints every configured zone of the tree, opens the providers, fetches each
 * zone from each of its providers and diffs it. A provider that fails fails only its
 * own entries. Returns ZSYNC_ENOTFOUND when a filter matches nothing (err says which).
 */
int zsync_plan_build(struct zsync_plan **out, struct zsync_config *cfg, struct zsync_tree *tree,
		     const struct zsync_plan_filter *filter, struct zsync_err *err);
void zsync_plan_free(struct zsync_plan *plan);

/* What fn does with each entry: it decides how many of one provider's entries run at once. */
enum zsync_plan_phase {
	ZSYNC_PHASE_READ,  /* calls the provider's fetch: its read_concurrency at once */
	ZSYNC_PHASE_DIFF,  /* calls no provider: any number at once */
	ZSYNC_PHASE_APPLY, /* pushes to the provider: its concurrency at once */
};

/*
 * Runs fn on every entry on up to jobs threads: providers side by side, providers in their
 * order and each one's entries started in theirs (all on this thread, in order, with jobs 1).
 */
void zsync_plan_each_phase(struct zsync_plan *plan, long jobs, enum zsync_plan_phase phase,
			   void (*fn)(struct zsync_plan *, struct zsync_plan_entry *, void *), void *arg);
/* zsync_plan_each_phase(..., ZSYNC_PHASE_APPLY, ...) */
void zsync_plan_each(struct zsync_plan *plan, long jobs,
		     void (*fn)(struct zsync_plan *, struct zsync_plan_entry *, void *), void *arg);

/* Fetches and diffs one entry again (after a conflict): the safety limits are checked anew. */
void zsync_plan_replan(struct zsync_plan *plan, struct zsync_plan_entry *entry);

/* Counts over entries. */
size_t zsync_plan_changes(const struct zsync_plan *plan);   /* pending RRset changes */
size_t zsync_plan_failed(const struct zsync_plan *plan);    /* entries that could not be planned */
size_t zsync_plan_refused(const struct zsync_plan *plan);   /* entries over a safety limit */
size_t zsync_plan_invalid(const struct zsync_plan *plan);   /* zones with errors */
size_t zsync_plan_behind(const struct zsync_plan *plan);    /* entries older than what is deployed */

/* The plan as JSON (schema: docs/plan-format.md), with its hash. */
json_t *zsync_plan_json(const struct zsync_plan *plan);
/*
 * apply --plan: whether the reviewed plan (a `plan --out` file) is exactly today's plan of
 * the same commit, record for record, and its hash that of its own content. NULL when it
 * is; else the first difference ("zone example.com., provider pdns, changes: ..."), malloc'ed.
 * "behind" (whether the checkout is older than what is deployed) is not compared.
 */
char *zsync_plan_compare(const struct zsync_plan *plan, json_t *reviewed);

/* Text with +/~/- lines (colour when color), or Markdown for a pull-request comment. */
/*
 * -q: one line per entry that did not plan cleanly (failed provider, invalid zone, refused
 * by safety limits, older than deployed); returns how many.
 */
size_t zsync_plan_print_problems(const struct zsync_plan *p, FILE *out, bool color);
void zsync_plan_print_text(const struct zsync_plan *plan, FILE *out, bool color, int verbose);
/* The same with counts instead of the changes, and the zones in sync everywhere counted only. */
void zsync_plan_print_summary(const struct zsync_plan *plan, FILE *out, bool color);
/* Over this many changes, plan and apply on a terminal print the summary (--summary / --no-summary). */
#define ZSYNC_PLAN_SUMMARY_AUTO 200
void zsync_plan_print_markdown(const struct zsync_plan *plan, FILE *out);

/* One change as JSON ({op, owner, type, ttl, records, old_ttl, old_records}). */
json_t *zsync_plan_change_json(const struct zsync_change *c);
/* The +/~/- lines of a changeset, each line starting with indent. */
void zsync_plan_print_changes(const struct zsync_changeset *cs, FILE *out, bool color,
			      const char *indent);

/* The diff policy of a provider for a zone: what it holds, what is left alone. */
void zsync_plan_policy(const struct zsync_provider_type *type, const struct zsync_provider_conf *pconf,
		       const struct zsync_zone_conf *zconf, struct zsync_diff_policy *policy);

/* The wire name of the provider's deployment marker for zone; *has false when it has none. */
void zsync_plan_marker_name(const struct zsync_provider_conf *pc, const char *zone, uint8_t out[ZSYNC_NAME_MAXLEN],
			    bool *has);

/* "provider 'NAME': zone 'Z': " + message, the form every provider error takes. */
char *zsync_plan_error(const char *provider, const char *zone, const char *msg);

#endif
