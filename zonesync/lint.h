/* lint.h - loading zones from a repository tree and the semantic lint rules of `zonesync check` */
#ifndef ZSYNC_LINT_H
#define ZSYNC_LINT_H

#include "err.h"
#include "repo.h"
#include "zone.h"

/* cname-chain: the most CNAMEs one name may lead through before a warning. */
#define ZSYNC_LINT_MAX_CNAME_CHAIN 8

/* A rule name of the findings; silenceable: `; zonesync: ignore RULE` and lint_disable work. */
struct zsync_lint_rule {
	const char *name;
	bool silenceable;
};
/* Every rule (parser, configuration check, lint), ended by a NULL name. */
extern const struct zsync_lint_rule zsync_lint_rules[];
const struct zsync_lint_rule *zsync_lint_rule_find(const char *name);

/* The source a zone was parsed from, as given to zsync_zone_parse. */
struct zsync_lint_source {
	const char *path;
	const char *text;
	size_t len;
	zsync_read_fn read; /* for $INCLUDE; NULL: none */
	void *read_ctx;
};

/*
 * Runs every lint rule on a parsed zone and adds findings to diags (rule names:
 * out-of-zone, missing-soa, soa-count, missing-ns, cname-apex, cname-other,
 * cname-multiple, cname-loop, cname-chain, target-cname, no-address, missing-glue, occluded,
 * missing-dot, dangling, rrset-size).
 * A finding about one record (the target rules: target-cname, no-address, missing-glue,
 * missing-dot, dangling) is placed at that record's own file and line, and at the column
 * of its target where its line shows it, from src (which is read again only when such a
 * record is not its RRset's first); without src, at its RRset's first line.
 * Returns the number of errors added.
 */
size_t zsync_lint_zone(struct zsync_zone *zone, const struct zsync_lint_source *src,
		       struct zsync_diags *diags);

/*
 * True when diags (from index `from` on) hold a finding after which records were
 * dropped (syntax, include, no-ttl): semantic rules would then only report noise.
 */
bool zsync_lint_lost_lines(const struct zsync_diags *diags, size_t from);

/*
 * Zone name from a zone file name: "zones/example.com.zone" -> "example.com.".
 * Returns a malloc'ed string, or NULL when the name has no ".zone" suffix.
 */
char *zsync_lint_origin_from_path(const char *path);

/*
 * Reads path from tree, parses it as zone origin ($INCLUDE resolved in the same tree)
 * and lints it. *out receives the zone even when it has errors (for reporting);
 * the caller frees it. Returns 0 when the zone has no error, ZSYNC_EINVAL when it has
 * (see diags), another code with err set when the file could not be read.
 */
int zsync_lint_load(struct zsync_zone **out, struct zsync_tree *tree, const char *path,
		     const char *origin, struct zsync_diags *diags, struct zsync_err *err);

/* A zone between zsync_lint_parse and zsync_lint_finish. */
struct zsync_lint_job {
	struct zsync_zone *zone;         /* parsed; the caller's (freed by it) */
	struct zsync_tree *tree;
	const char *path, *origin;       /* the caller's, alive until zsync_lint_finish */
	struct zsync_file f;             /* the zone's text, read again by the lint rules */
	size_t errors_before, diags_before; /* of the diags the findings go to */
};

/*
 * zsync_lint_load in two steps, so that a big zone's lint rules can run on one thread
 * while another already diffs it (zsync_plan_build). zsync_lint_parse reads path and
 * parses it into j->zone, the parser's findings into diags; its canonical sort may use
 * `threads` threads (zsync_zone_set_threads). A negative return (err set; j->zone NULL)
 * is zsync_lint_load's. zsync_lint_finish then runs the lint rules and the silencing on
 * the findings from j->diags_before on (the same diags, or another holding them from
 * that index: the caller sets diags_before and errors_before then), releases the text,
 * and returns 0, or ZSYNC_EINVAL when diags gained an error since zsync_lint_parse.
 * Only reads j->zone, which may be frozen and read by other threads meanwhile.
 */
int zsync_lint_parse(struct zsync_lint_job *j, struct zsync_tree *tree, const char *path,
		     const char *origin, unsigned threads, struct zsync_diags *diags, struct zsync_err *err);
int zsync_lint_finish(struct zsync_lint_job *j, struct zsync_diags *diags);

#endif
