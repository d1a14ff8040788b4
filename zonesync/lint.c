/* lint.c - semantic lint rules over a parsed zone (the checks libzscanner does not make) */
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Every rule a finding can carry, from the parser (zone.c), the configuration check
 * (config.c) and the rules below; docs/lint.md documents each (check_lint compares the
 * three). Only warnings can be silenced: an error means records would be lost or served
 * broken, and a zone with an error is never pushed.
 */
const struct zsync_lint_rule zsync_lint_rules[] = {
	{ "syntax", false }, { "include", false }, { "no-ttl", false }, { "ttl-range", false },
	{ "ttl-mismatch", false }, { "duplicate", true }, { "rrset-size", false },
	{ "out-of-zone", false }, { "missing-soa", false }, { "soa-count", false },
	{ "missing-ns", false }, { "cname-apex", false }, { "cname-other", false },
	{ "cname-multiple", false }, { "cname-loop", false }, { "cname-chain", true },
	{ "target-cname", false }, { "no-address", true }, { "missing-glue", false },
	{ "occluded", true }, { "missing-dot", true }, { "dangling", true },
	{ "not-deployed", false }, { "apex-ns-incomplete", true }, { NULL, false },
};

const struct zsync_lint_rule *zsync_lint_rule_find(const char *name)
{
	for (const struct zsync_lint_rule *r = zsync_lint_rules; r->name; r++)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

/* A finding about one record: placed at the record's own line once the rules have run. */
struct rec_finding {
	size_t diag;                 /* index in d->v */
	const struct zsync_rrset *r;
	const uint8_t *rd;           /* the record's rdata item in r */
	const uint8_t *target;       /* the name in rd the finding is about */
	size_t loc;                  /* index in the locate queries; SIZE_MAX: r->line is its own */
};

struct lint {
	struct zsync_zone *z;
	struct zsync_diags *d;
	struct rec_finding *recs;
	size_t nrecs, recs_cap;
	const uint8_t *apex;
	const struct zsync_rrset *const *rs; /* canonical order */
	const uint8_t *starts;               /* zsync_zone_sorted_starts() */
	size_t nrs;
	size_t errors;
	/* every owner once, open addressing by a case-blind hash: "has this name data" was a
	 * binary search of canonical compares, 41 % of a 1M-record plan */
	const uint8_t **owners;
	size_t owners_mask;
	bool warn; /* warnings are wanted (not zsync_diags.errors_only) */
};

static uint64_t name_hash(const uint8_t *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0, n = zsync_name_len(name); i < n; i++) {
		uint8_t c = name[i];
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static void owners_build(struct lint *l)
{
	size_t cap = 16;
	while (cap < l->nrs * 2)
		cap *= 2;
	l->owners = zsync_xcalloc(cap, sizeof(*l->owners));
	l->owners_mask = cap - 1;
	for (size_t i = 0; i < l->nrs; i++) {
		const uint8_t *o = l->rs[i]->owner;
		if (!l->starts[i])
			continue; /* the sorted order groups an owner's RRsets */
		size_t k = name_hash(o) & l->owners_mask;
		while (l->owners[k])
			k = (k + 1) & l->owners_mask;
		l->owners[k] = o;
	}
}

static void report(struct lint *l, const struct zsync_rrset *r, enum zsync_severity sev,
		   const char *rule, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void vreport(struct lint *l, const struct zsync_rrset *r, enum zsync_severity sev,
		    const char *rule, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	zsync_diags_add(l->d, r ? zsync_zone_file(l->z, r->file) : zsync_zone_file(l->z, 0),
			r ? r->line : 0, sev, rule, "%s", msg);
	if (sev == ZSYNC_SEV_ERROR)
		l->errors++;
}

static void report(struct lint *l, const struct zsync_rrset *r, enum zsync_severity sev,
		   const char *rule, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(l, r, sev, rule, fmt, ap);
	va_end(ap);
}

static void report_rec(struct lint *l, const struct zsync_rrset *r, const uint8_t *rd,
		       const uint8_t *target, enum zsync_severity sev, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* report() for the record rd of r (about its target): place_findings() moves it to the record's own line. */
static void report_rec(struct lint *l, const struct zsync_rrset *r, const uint8_t *rd,
		       const uint8_t *target, enum zsync_severity sev, const char *rule, const char *fmt, ...)
{
	va_list ap;
	size_t n = l->d->n;

	va_start(ap, fmt);
	vreport(l, r, sev, rule, fmt, ap);
	va_end(ap);
	if (l->d->n == n)
		return; /* dropped (zsync_diags.errors_only) */
	if (l->nrecs == l->recs_cap)
		l->recs = zsync_xrealloc(l->recs, (l->recs_cap = l->recs_cap * 2 + 64) * sizeof(*l->recs));
	l->recs[l->nrecs++] = (struct rec_finding){ l->d->n - 1, r, rd, target, SIZE_MAX };
}

/* Names and types become text only for a report: a clean million-record zone needs none. */
static const char *owner_text(const uint8_t *name, char *buf)
{
	return buf[0] ? buf : zsync_name_to_text(name, buf, ZSYNC_NAME_TXT_MAXLEN + 1);
}

static bool has_address(struct lint *l, const uint8_t *name)
{
	return zsync_zone_find_lower(l->z, name, ZSYNC_TYPE_A) ||
	       zsync_zone_find_lower(l->z, name, ZSYNC_TYPE_AAAA);
}

/* The name of a delegation (non-apex NS owner) at or above name, or NULL. */
static const uint8_t *delegation_of(struct lint *l, const uint8_t *name)
{
	const uint8_t *p = name;

	while (*p && zsync_name_below(p, l->apex)) {
		if (zsync_zone_find_lower(l->z, p, ZSYNC_TYPE_NS))
			return p;
		p += *p + 1;
	}
	return NULL;
}

/* Whether any RRset has owner name (binary search of the canonical order) */
static bool name_has_data(const struct zsync_rrset *const *rs, size_t n, const uint8_t *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = zsync_name_cmp(rs[mid]->owner, name);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool has_data(struct lint *l, const uint8_t *name)
{
	if (!l->owners)
		return name_has_data(l->rs, l->nrs, name);
	for (size_t k = name_hash(name) & l->owners_mask; l->owners[k]; k = (k + 1) & l->owners_mask)
		if (zsync_name_equal(l->owners[k], name))
			return true;
	return false;
}

/*
 * has(name), directly or for the wildcard "*.<ancestor>" below the apex that would
 * synthesise the answer (a simplification of RFC 4592 closest encloser).
 */
static bool at_or_wildcard(struct lint *l, const uint8_t *name, bool (*has)(struct lint *, const uint8_t *))
{
	uint8_t wc[ZSYNC_NAME_MAXLEN];
	const uint8_t *p = name;

	if (has(l, name))
		return true;
	while (*p && zsync_name_below(p, l->apex)) {
		p += *p + 1;
		size_t pl = zsync_name_len(p);
		if (pl + 2 > sizeof(wc))
			break;
		wc[0] = 1;
		wc[1] = '*';
		memcpy(wc + 2, p, pl);
		if (has(l, wc))
			return true;
	}
	return false;
}

/* An address for name, directly or through a wildcard that would synthesise one. */
static bool resolves_to_address(struct lint *l, const uint8_t *name)
{
	return at_or_wildcard(l, name, has_address);
}

/* Any data at name, directly or through a wildcard. */
static bool resolves(struct lint *l, const uint8_t *name)
{
	return at_or_wildcard(l, name, has_data);
}

/*
 * missing-dot: a target written without its trailing dot becomes relative to the
 * origin: "shops.example.net" in acme.test. is shops.example.net.acme.test. Such a
 * target (in the zone, with no data there) repeats the origin's labels before it, or ends,
 * before the origin, in a label that is a top-level domain in common use. Fills fqdn
 * with what was probably meant.
 */
static bool looks_undotted(struct lint *l, const uint8_t *t, char *fqdn, size_t len)
{
	static const char *const tlds[] = { "com", "net", "org", "edu", "gov", "mil", "int", "info",
					    "biz", "io", "co", "uk", "de", "fr", "nl", "eu", "ch", "at",
					    "be", "se", "no", "dk", "fi", "it", "es", "pl", "jp", "cn",
					    "ru", "br", "au", "ca", "us", "in", "me", "dev", "app",
					    "cloud", "test", "example", "invalid", "localhost", "arpa" };
	size_t tl = zsync_name_len(t), al = zsync_name_len(l->apex);
	const uint8_t *last = NULL;
	char text[ZSYNC_NAME_TXT_MAXLEN + 1];

	if (tl <= al || !zsync_name_below(t, l->apex))
		return false;
	/* the label just above the apex: walk the relative part */
	for (const uint8_t *p = t; p < t + tl - al; p += *p + 1)
		last = p;
	if (!last)
		return false;
	/* "web.acme.test" in acme.test.: the relative part ends with the origin's labels */
	bool repeats = false;
	for (const uint8_t *p = t; *p && !repeats; p += *p + 1)
		repeats = tl - (size_t)(p - t) == 2 * al - 1 && memcmp(p, l->apex, al - 1) == 0;
	bool tld = false;
	for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]) && !tld; i++)
		tld = last[0] == strlen(tlds[i]) && !strncasecmp((const char *)last + 1, tlds[i], last[0]);
	if (!repeats && !tld)
		return false;
	if (t == last && !repeats)
		return false; /* "com" alone: a one-label name is more likely a host called so */
	zsync_name_to_text(t, text, sizeof(text));
	snprintf(fqdn, len, "%.*s.", (int)(strlen(text) - strlen(zsync_zone_name(l->z)) - 1), text);
	return true;
}

/* missing-dot or dangling for one in-zone target; true when one was reported */
static bool check_target_exists(struct lint *l, const struct zsync_rrset *r, const uint8_t *rd,
				const uint8_t *t, char *owner, bool dangling)
{
	char type[32], tname[ZSYNC_NAME_TXT_MAXLEN + 1] = "", fqdn[ZSYNC_NAME_TXT_MAXLEN + 1];

	if (delegation_of(l, t) || resolves(l, t))
		return false;
	if (looks_undotted(l, t, fqdn, sizeof(fqdn))) {
		report_rec(l, r, rd, t, ZSYNC_SEV_WARNING, "missing-dot",
		       "%s %s target %s does not exist: %s without its trailing dot? (write \"%s\")",
		       owner_text(r->owner, owner), zsync_type_to_text(r->type, type, sizeof(type)),
		       owner_text(t, tname), fqdn, fqdn);
		return true;
	}
	if (dangling) {
		report_rec(l, r, rd, t, ZSYNC_SEV_WARNING, "dangling",
		       "%s %s target %s has no records in the zone: it never resolves",
		       owner_text(r->owner, owner), zsync_type_to_text(r->type, type, sizeof(type)),
		       owner_text(t, tname));
		return true;
	}
	return false;
}

/*
 * An RRset is answered whole in one DNS message (RFC 2181 section 5: never a part of
 * it), at most 65535 octets over TCP (RFC 1035 section 4.2.2): header, question, then
 * per record the owner as a 2-octet pointer, type, class, TTL, length and rdata. Names
 * in the rdata of the RFC 1035 types may be compressed too: counted as pointers, so the
 * size is the least any server could send. Over it, no server can answer the RRset.
 */
static void check_size(struct lint *l, const struct zsync_rrset *r, char *owner)
{
	size_t size = 12 + (size_t)r->owner_len + 4;
	const uint8_t *rd = r->rdata;
	bool compressible = r->type == ZSYNC_TYPE_NS || r->type == ZSYNC_TYPE_CNAME ||
			    r->type == ZSYNC_TYPE_PTR || r->type == ZSYNC_TYPE_MX;

	for (uint16_t i = 0; i < r->count; i++, rd = zsync_rdata_next(rd)) {
		size_t len = zsync_rdata_len(rd);
		const uint8_t *t = compressible ? zsync_rdata_target(r->type, rd) : NULL;
		if (t && zsync_name_len(t) > 2)
			len -= zsync_name_len(t) - 2;
		size += 2 + 10 + len;
	}
	if (size > 65535) {
		char type[32];
		report(l, r, ZSYNC_SEV_ERROR, "rrset-size",
		       "RRset %s %s: %u records need at least %zu octets in one answer, over the "
		       "65535-octet DNS message limit (RFC 1035 4.2.2): no server can serve it",
		       owner_text(r->owner, owner), zsync_type_to_text(r->type, type, sizeof(type)),
		       r->count, size);
	}
}

static void check_targets(struct lint *l, const struct zsync_rrset *r, char *owner)
{
	char type[32];
	const uint8_t *rd = r->rdata;
	bool is_delegation = r->type == ZSYNC_TYPE_NS && !zsync_name_equal(r->owner, l->apex);

	for (uint16_t i = 0; i < r->count; i++, rd = zsync_rdata_next(rd)) {
		const uint8_t *t = zsync_rdata_target(r->type, rd);
		char tname[ZSYNC_NAME_TXT_MAXLEN + 1] = "";

		if (!t || *t == 0 || !zsync_name_in_zone(t, l->apex))
			continue; /* "." (null MX / no SRV service) or out of zone: not ours to check */
		if (zsync_zone_find_lower(l->z, t, ZSYNC_TYPE_CNAME)) {
			report_rec(l, r, rd, t, ZSYNC_SEV_ERROR, "target-cname",
			       "%s %s points at %s, which is a CNAME (RFC 2181 section 10.3)", owner_text(r->owner, owner),
			       zsync_type_to_text(r->type, type, sizeof(type)), owner_text(t, tname));
			continue;
		}
		if (is_delegation && zsync_name_in_zone(t, r->owner)) {
			if (!has_address(l, t)) {
				owner_text(t, tname);
				report_rec(l, r, rd, t, ZSYNC_SEV_ERROR, "missing-glue",
				       "delegation %s NS %s needs glue: no A or AAAA record for %s",
				       owner_text(r->owner, owner), tname, tname);
			}
			continue;
		}
		if (!l->warn || delegation_of(l, t))
			continue; /* served by the child zone; or only warnings follow */
		if (check_target_exists(l, r, rd, t, owner, false))
			continue; /* one finding per problem: not also no-address */
		if (!resolves_to_address(l, t))
			report_rec(l, r, rd, t, ZSYNC_SEV_WARNING, "no-address",
			       "%s %s target %s has no A or AAAA record in the zone", owner_text(r->owner, owner),
			       zsync_type_to_text(r->type, type, sizeof(type)), owner_text(t, tname));
	}
}

/* ---- CNAME chains ---- */

/* Per CNAME RRset of the zone, found by address (the zone's RRsets do not move). */
struct cname_node {
	const struct zsync_rrset *r;
	const struct cname_node *next; /* the CNAME its target is, if in the zone */
	unsigned len;                  /* CNAMEs to follow from here to an answer; LOOP_LEN: never */
	bool on_path, done, targeted;
};

#define LOOP_LEN UINT32_MAX

static int node_cmp(const void *a, const void *b)
{
	const struct zsync_rrset *x = ((const struct cname_node *)a)->r;
	const struct zsync_rrset *y = ((const struct cname_node *)b)->r;
	return x < y ? -1 : x > y;
}

static struct cname_node *node_of(struct cname_node *nodes, size_t n, const struct zsync_rrset *r)
{
	struct cname_node key = { .r = r };
	return r ? bsearch(&key, nodes, n, sizeof(*nodes), node_cmp) : NULL;
}

/*
 * "a. -> b. -> c." into buf: the owners of count CNAMEs from node on (the first 12 and
 * the last 2 when there are more), then what the last one points at.
 */
static const char *chain_text(const struct cname_node *node, unsigned count, char *buf, size_t len)
{
	size_t o = 0;
	char name[ZSYNC_NAME_TXT_MAXLEN + 1];
	const uint8_t *last = NULL;

	buf[0] = '\0';
	for (unsigned i = 0; node && i < count && o < len; i++, node = node->next) {
		if (i < 12 || i + 2 >= count)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " -> " : "",
					      zsync_name_to_text(node->r->owner, name, sizeof(name)));
		else if (i == 12)
			o += (size_t)snprintf(buf + o, len - o, " -> ...");
		last = zsync_rdata_target(ZSYNC_TYPE_CNAME, node->r->rdata);
	}
	if (last && o < len)
		snprintf(buf + o, len - o, " -> %s", zsync_name_to_text(last, name, sizeof(name)));
	return buf;
}

/*
 * cname-loop: in-zone CNAMEs that lead back to themselves never resolve (error, once per
 * loop). cname-chain: a chain of more than ZSYNC_LINT_MAX_CNAME_CHAIN CNAMEs from a name
 * no CNAME points at: resolvers stop following after a few (BIND and Unbound give up
 * somewhere past 8 to 16 restarts), so such names may not resolve (warning).
 */
static void check_cnames(struct lint *l, const struct zsync_rrset *const *rs, size_t n)
{
	struct cname_node *nodes = NULL, **path = NULL;
	size_t nn = 0, cap = 0;
	char chain[1024];

	for (size_t i = 0; i < n; i++)
		if (rs[i]->type == ZSYNC_TYPE_CNAME && rs[i]->count >= 1) {
			if (nn == cap)
				nodes = zsync_xrealloc(nodes, (cap = cap * 2 + 16) * sizeof(*nodes));
			nodes[nn++] = (struct cname_node){ .r = rs[i] };
		}
	if (!nn)
		return;
	qsort(nodes, nn, sizeof(*nodes), node_cmp);
	for (size_t i = 0; i < nn; i++) {
		const uint8_t *t = zsync_rdata_target(ZSYNC_TYPE_CNAME, nodes[i].r->rdata);
		struct cname_node *next = t && zsync_name_in_zone(t, l->apex)
						  ? node_of(nodes, nn, zsync_zone_find_lower(l->z, t, ZSYNC_TYPE_CNAME))
						  : NULL;
		nodes[i].next = next;
		if (next)
			next->targeted = true;
	}
	path = zsync_xmalloc(nn * sizeof(*path));
	/* each node is walked once: a path stops at a node already known */
	for (size_t i = 0; i < nn; i++) {
		struct cname_node *cur = &nodes[i];
		size_t depth = 0;
		unsigned len;

		while (cur && !cur->done && !cur->on_path) {
			cur->on_path = true;
			path[depth++] = cur;
			cur = (struct cname_node *)cur->next;
		}
		if (cur && cur->on_path) {
			unsigned k = 1;
			for (const struct cname_node *c = cur->next; c != cur; c = c->next)
				k++;
			report(l, cur->r, ZSYNC_SEV_ERROR, "cname-loop", "CNAME loop, never resolves: %s",
			       chain_text(cur, k, chain, sizeof(chain)));
			len = LOOP_LEN;
		} else {
			len = cur ? cur->len : 0;
		}
		while (depth) {
			struct cname_node *p = path[--depth];
			if (len != LOOP_LEN)
				len++;
			p->len = len;
			p->on_path = false;
			p->done = true;
		}
	}
	for (size_t i = 0; i < nn && l->warn; i++)
		if (!nodes[i].targeted && nodes[i].len != LOOP_LEN &&
		    nodes[i].len > ZSYNC_LINT_MAX_CNAME_CHAIN)
			report(l, nodes[i].r, ZSYNC_SEV_WARNING, "cname-chain",
			       "chain of %u CNAMEs (more than %d; resolvers may stop following): %s",
			       nodes[i].len, ZSYNC_LINT_MAX_CNAME_CHAIN,
			       chain_text(&nodes[i], nodes[i].len, chain, sizeof(chain)));
	free(path);
	free(nodes);
}

/* The RRsets lie scattered in memory in canonical order: fetched a few owners ahead. */
static inline void prefetch_ahead(const struct zsync_rrset *const *rs, size_t n, size_t i)
{
	if (i + 8 < n)
		__builtin_prefetch(rs[i + 8]);
	if (i + 4 < n)
		__builtin_prefetch(rs[i + 4]->owner);
}

/*
 * The text of the zone's files, read once each, with an index of line starts built on
 * first use: finding each finding's line by scanning from the top was quadratic (146k
 * findings in a 1M-line zone took hours).
 */
struct src_text {
	char *path;       /* owned: the file name */
	const char *text;
	size_t len;
	char *owned;      /* an $INCLUDEd file's, read here */
	uint32_t *start;  /* offsets of line starts; NULL until built */
	size_t nlines;
	int marked;       /* holds "zonesync: ignore" (silence: a file without it silences nothing); -1 unknown */
};

static const char *src_line(struct src_text *t, unsigned line, size_t *len)
{
	if (!t->text || line < 1)
		return NULL;
	if (!t->start) {
		size_t cap = 1024;
		const char *p = t->text, *end = t->text + t->len;
		t->start = zsync_xmalloc(cap * sizeof(*t->start));
		t->start[t->nlines++] = 0;
		while ((p = memchr(p, '\n', (size_t)(end - p))) && ++p < end) {
			if (t->nlines == cap)
				t->start = zsync_xrealloc(t->start, (cap *= 2) * sizeof(*t->start));
			t->start[t->nlines++] = (uint32_t)(p - t->text);
		}
	}
	if (line > t->nlines)
		return NULL;
	const char *p = t->text + t->start[line - 1], *end = t->text + t->len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	return p;
}

/*
 * The column (from 1) of the target name in one line of zone text holding a whole record of
 * a type whose target is its last field (NS, CNAME, DNAME, PTR, MX, SRV), or 0 when the line
 * does not show it plainly: a record over several lines, quotes or escapes before the
 * comment, or a last word that is not the name. A plain scan, no conversion to text: a
 * big zone can have a hundred thousand such findings.
 */
static unsigned target_column(const char *p, size_t len, const uint8_t *target)
{
	const char *end = memchr(p, ';', len), *w;
	const uint8_t *label = target;

	if (!end)
		end = p + len;
	len = (size_t)(end - p);
	if (memchr(p, '(', len) || memchr(p, '"', len) || memchr(p, '\\', len))
		return 0; /* over several lines (or a ')' alone, below), or not plain words */
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	for (w = end; w > p && w[-1] != ' ' && w[-1] != '\t'; w--)
		if (w[-1] == ')')
			return 0;
	if (w == end || w == p)
		return 0;
	if (end - w == 1 && *w == '@')
		return (unsigned)(w - p) + 1; /* the origin in force there */
	/* the word's labels are the target's first ones: absolute, all of them; relative, the
	 * origin in force there (maybe another than the zone's) is the rest */
	for (const char *q = w; q < end;) {
		const char *dot = memchr(q, '.', (size_t)(end - q));
		size_t n = (size_t)((dot ? dot : end) - q);
		if (n == 0 || *label != n)
			return 0;
		for (size_t k = 0; k < n; k++) {
			uint8_t a = (uint8_t)q[k], b = label[1 + k];
			if ((a >= 'A' && a <= 'Z' ? a + 32 : a) != (b >= 'A' && b <= 'Z' ? b + 32 : b))
				return 0;
		}
		label += 1 + n;
		if (!dot)
			return *label ? (unsigned)(w - p) + 1 : 0; /* relative: the origin follows */
		q = dot + 1;
	}
	return *label ? 0 : (unsigned)(w - p) + 1; /* absolute: all of the target */
}

/* '(' less ')' in a line of zone text, outside quotes and the comment */
static int paren_balance(const char *p, size_t len)
{
	int b = 0;
	bool quoted = false;

	for (const char *q = p, *end = p + len; q < end; q++) {
		if (*q == '\\')
			q++;
		else if (*q == '"')
			quoted = !quoted;
		else if (!quoted && *q == ';')
			break;
		else if (!quoted)
			b += *q == '(' ? 1 : *q == ')' ? -1 : 0;
	}
	return b;
}

/*
 * The parser gives a record over several lines the line where it ends; its own line, where
 * the owner is and an ignore comment goes, is the one with the '(' (looked for in at most
 * 10,000 lines back). line itself when it ends no such record.
 */
static unsigned record_first_line(struct src_text *t, unsigned line, const char *p, size_t len)
{
	int open;

	if (!p || !memchr(p, ')', len) || (open = paren_balance(p, len)) >= 0)
		return line;
	for (unsigned l = line - 1; l > 0 && line - l <= 10000; l--) {
		if (!(p = src_line(t, l, &len)))
			break;
		if ((open += paren_balance(p, len)) >= 0)
			return l;
	}
	return line;
}

static struct src_text *source_text(struct src_text **texts, size_t *n, const struct zsync_lint_source *src,
				    const char *file)
{
	for (size_t k = 0; k < *n; k++)
		if (!strcmp((*texts)[k].path, file))
			return &(*texts)[k];
	*texts = zsync_xrealloc(*texts, (*n + 1) * sizeof(**texts));
	struct src_text *t = &(*texts)[(*n)++];
	*t = (struct src_text){ .path = zsync_xstrdup(file), .marked = -1 };
	if (!strcmp(file, src->path)) {
		t->text = src->text;
		t->len = src->len;
	} else {
		struct zsync_err err = { 0 };
		if (!src->read || src->read(src->read_ctx, file, &t->owned, &t->len, &err) < 0) {
			t->owned = NULL;
			t->len = 0;
		}
		t->text = t->owned;
	}
	return t;
}

static void source_texts_free(struct src_text *texts, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(texts[k].path);
		free(texts[k].owned);
		free(texts[k].start);
	}
	free(texts);
}

/*
 * Each finding about one record goes to that record's own file and line (the model keeps
 * only the line of an RRset's first record: the others are found by reading src again,
 * only when there are such), with the column of its target; every finding on a record
 * written over several lines goes to its first line. Findings from index `first` on.
 */
static void place_findings(struct lint *l, const struct zsync_lint_source *src, size_t first)
{
	struct zsync_zone_loc *locs = NULL;
	struct src_text *texts = NULL;
	size_t nlocs = 0, ntexts = 0, next_rec = 0;

	if (!src || first == l->d->n)
		return;
	for (size_t i = 0; i < l->nrecs; i++) {
		struct rec_finding *f = &l->recs[i];
		if (zsync_rrset_item_line_known(f->r, f->rd == f->r->rdata ? 0 : 1))
			continue;
		if (!locs)
			locs = zsync_xmalloc(l->nrecs * sizeof(*locs));
		f->loc = nlocs;
		locs[nlocs++] = (struct zsync_zone_loc){ .owner = f->r->owner, .rd = f->rd, .type = f->r->type };
	}
	if (nlocs)
		zsync_zone_locate(l->z, src->path, src->text, src->len, src->read, src->read_ctx, locs, nlocs);
	for (size_t i = first; i < l->d->n; i++) {
		struct zsync_diag *dg = &l->d->v[i];
		struct rec_finding *f = next_rec < l->nrecs && l->recs[next_rec].diag == i ? &l->recs[next_rec++] : NULL;
		const char *ln;
		size_t len;

		if (f && f->loc != SIZE_MAX && locs[f->loc].line) {
			const char *file = zsync_zone_file(l->z, locs[f->loc].file);
			if (strcmp(dg->file, file) != 0) {
				free(dg->file);
				dg->file = zsync_xstrdup(file);
			}
			dg->line = locs[f->loc].line;
		}
		if (!dg->line)
			continue;
		struct src_text *t = source_text(&texts, &ntexts, src, dg->file);
		ln = src_line(t, dg->line, &len);
		unsigned line = record_first_line(t, dg->line, ln, len);
		if (line != dg->line)
			dg->line = line; /* over several lines: no column, the target may be on another */
		else if (f && ln)
			dg->col = target_column(ln, len, f->target);
	}
	source_texts_free(texts, ntexts);
	free(locs);
}

size_t zsync_lint_zone(struct zsync_zone *z, const struct zsync_lint_source *src, struct zsync_diags *d)
{
	struct lint l = { .z = z, .d = d, .apex = zsync_zone_origin(z), .warn = !d->errors_only };
	size_t first = d->n;
	size_t n, i = 0;
	const struct zsync_rrset *const *rs = zsync_zone_sorted(z, &n);
	const struct zsync_rrset *soa = NULL, *apex_ns = NULL;

	l.rs = rs;
	l.starts = zsync_zone_sorted_starts(z);
	l.nrs = n;
	if (l.warn)
		owners_build(&l); /* for has_data(), which only warning rules ask */
	/* the delegation points above the current owner: canonical order visits a name
	 * before everything below it, and all of that before anything else */
	const uint8_t *delegs[ZSYNC_NAME_MAXLEN / 2];
	size_t ndelegs = 0;

	while (i < n) {
		/* one owner at a time: the sorted order groups an owner's RRsets */
		size_t j = i;
		const struct zsync_rrset *cname = NULL, *other = NULL;
		char owner_buf[ZSYNC_NAME_TXT_MAXLEN + 1] = "";
		const uint8_t *o = rs[i]->owner;
		bool apex = zsync_name_equal(o, l.apex);

		prefetch_ahead(rs, n, i);
		const uint8_t *deleg = NULL;

		if (!zsync_name_in_zone(o, l.apex)) {
			while (++j < n && !l.starts[j])
				;
			report(&l, rs[i], ZSYNC_SEV_ERROR, "out-of-zone",
			       "owner %s is outside the zone %s", owner_text(o, owner_buf), zsync_zone_name(z));
			i = j;
			continue;
		}
		if (!apex) {
			while (ndelegs && !zsync_name_in_zone(o, delegs[ndelegs - 1]))
				ndelegs--;
			for (size_t k = i; k < n && (k == i || !l.starts[k]); k++)
				if (rs[k]->type == ZSYNC_TYPE_NS) {
					if (ndelegs < sizeof(delegs) / sizeof(delegs[0]))
						delegs[ndelegs++] = o;
					break;
				}
			deleg = ndelegs ? delegs[ndelegs - 1] : NULL; /* the closest, as delegation_of() */
		}
		for (; j < n && (j == i || !l.starts[j]); j++) {
			const struct zsync_rrset *r = rs[j];
			char type_buf[32];

			if (j > i)
				prefetch_ahead(rs, n, j);

			switch (r->type) {
			case ZSYNC_TYPE_SOA:
				if (!apex)
					report(&l, r, ZSYNC_SEV_ERROR, "soa-count",
					       "SOA record at %s, below the apex %s", owner_text(o, owner_buf),
					       zsync_zone_name(z));
				else
					soa = r;
				if (r->count > 1)
					report(&l, r, ZSYNC_SEV_ERROR, "soa-count",
					       "%u SOA records at %s; a zone has exactly one",
					       r->count, owner_text(o, owner_buf));
				break;
			case ZSYNC_TYPE_CNAME:
				cname = r;
				if (r->count >= 1) {
					const uint8_t *t = zsync_rdata_target(r->type, r->rdata);
					if (l.warn && t && *t && zsync_name_in_zone(t, l.apex) && !zsync_name_equal(t, o))
						check_target_exists(&l, r, r->rdata, t, owner_buf, true);
				}
				if (r->count > 1)
					report(&l, r, ZSYNC_SEV_ERROR, "cname-multiple",
					       "%u CNAME records at %s; a name has at most one",
					       r->count, owner_text(o, owner_buf));
				break;
			case ZSYNC_TYPE_NS:
				if (apex)
					apex_ns = r;
				break;
			case ZSYNC_TYPE_RRSIG:
			case ZSYNC_TYPE_NSEC:
				break; /* allowed beside a CNAME (RFC 4035 section 2.5) */
			default:
				if (!other)
					other = r;
				break;
			}
			check_size(&l, r, owner_buf);
			if (r->type == ZSYNC_TYPE_NS && !apex && !other)
				other = r;
			if (r->type == ZSYNC_TYPE_NS || r->type == ZSYNC_TYPE_MX ||
			    r->type == ZSYNC_TYPE_SRV)
				check_targets(&l, r, owner_buf);
			/* below a delegation only the child's NS/DS and glue addresses belong */
			if (deleg && l.warn && !(zsync_name_equal(o, deleg) &&
				       (r->type == ZSYNC_TYPE_NS || r->type == ZSYNC_TYPE_DS)) &&
			    r->type != ZSYNC_TYPE_A && r->type != ZSYNC_TYPE_AAAA) {
				char dn[ZSYNC_NAME_TXT_MAXLEN + 1];
				report(&l, r, ZSYNC_SEV_WARNING, "occluded",
				       "%s %s is at or below the delegation %s and will not be served",
				       owner_text(o, owner_buf), zsync_type_to_text(r->type, type_buf, sizeof(type_buf)), zsync_name_to_text(deleg, dn, sizeof(dn)));
			}
		}
		if (cname && apex)
			report(&l, cname, ZSYNC_SEV_ERROR, "cname-apex",
			       "CNAME at the zone apex %s (the apex has SOA and NS records)", owner_text(o, owner_buf));
		else if (cname && other) {
			char other_type[32];
			report(&l, cname, ZSYNC_SEV_ERROR, "cname-other",
			       "CNAME beside other data at %s (%s at %s:%u)", owner_text(o, owner_buf),
			       zsync_type_to_text(other->type, other_type, sizeof(other_type)),
			       zsync_zone_file(z, other->file), other->line);
		}
		i = j;
	}
	check_cnames(&l, rs, n);
	if (!soa)
		report(&l, NULL, ZSYNC_SEV_ERROR, "missing-soa", "no SOA record at the apex %s",
		       zsync_zone_name(z));
	if (!apex_ns)
		report(&l, NULL, ZSYNC_SEV_ERROR, "missing-ns", "no NS records at the apex %s",
		       zsync_zone_name(z));
	place_findings(&l, src, first);
	free(l.recs);
	free(l.owners);
	return l.errors;
}

bool zsync_lint_lost_lines(const struct zsync_diags *diags, size_t from)
{
	for (size_t i = from; i < diags->n; i++) {
		const char *r = diags->v[i].rule;
		if (r && (strcmp(r, "syntax") == 0 || strcmp(r, "include") == 0 ||
			  strcmp(r, "no-ttl") == 0 || strcmp(r, "ttl-range") == 0))
			return true;
	}
	return false;
}

char *zsync_lint_origin_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n <= 5 || strcmp(base + n - 5, ".zone") != 0)
		return NULL;
	return zsync_xasprintf("%.*s.", (int)(n - 5), base);
}

/* The line's comment holds "zonesync: ignore RULE[,RULE...]" naming rule. */
static bool line_ignores(const char *p, size_t len, const char *rule)
{
	static const char key[] = "zonesync: ignore";
	const char *end = p + len, *semi = memchr(p, ';', len), *q;

	if (!semi || !(q = memmem(semi, (size_t)(end - semi), key, sizeof(key) - 1)))
		return false;
	q += sizeof(key) - 1;
	while (q < end) {
		while (q < end && (*q == ' ' || *q == '\t' || *q == ','))
			q++;
		const char *w = q;
		while (q < end && *q != ' ' && *q != '\t' && *q != ',' && *q != ';' && *q != '\r')
			q++;
		if (q == w)
			break;
		if ((size_t)(q - w) == strlen(rule) && !strncmp(w, rule, (size_t)(q - w)))
			return true;
	}
	return false;
}

/*
 * The parser's findings about one record (from index `from` to `to`) on a record written
 * over several lines go to its first line, as the lint rules' do (place_findings): the
 * parser gives the line where the record ends. Syntax errors keep theirs, with its column.
 */
static void parser_first_lines(struct zsync_diags *d, size_t from, size_t to, const struct zsync_lint_source *src)
{
	static const char *const rules[] = { "duplicate", "ttl-mismatch", "no-ttl", "ttl-range", "rrset-size" };
	struct src_text *texts = NULL;
	size_t ntexts = 0, len;

	for (size_t i = from; i < to; i++) {
		struct zsync_diag *dg = &d->v[i];
		bool record = false;
		for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]) && dg->rule && !record; k++)
			record = !strcmp(dg->rule, rules[k]);
		if (!record || !dg->line || dg->col)
			continue;
		struct src_text *t = source_text(&texts, &ntexts, src, dg->file);
		const char *ln = src_line(t, dg->line, &len);
		dg->line = record_first_line(t, dg->line, ln, len);
	}
	source_texts_free(texts, ntexts);
}

/*
 * Drops the findings (from index `from` on) that the configuration's lint_disable or the
 * record line's "; zonesync: ignore RULE" comment silences; only silenceable rules.
 */
static void silence(struct zsync_diags *d, size_t from, struct zsync_tree *tree, const char *origin,
		    const struct zsync_lint_source *src)
{
	size_t keep = from, ntexts = 0;
	struct src_text *texts = NULL;
	const char *last_name = NULL;
	const struct zsync_lint_rule *last = NULL;

	for (size_t i = from; i < d->n; i++) {
		struct zsync_diag *dg = &d->v[i];
		/* often the same literal as the finding before: then not looked up again */
		if (dg->rule != last_name) {
			last_name = dg->rule;
			last = dg->rule ? zsync_lint_rule_find(dg->rule) : NULL;
		}
		const struct zsync_lint_rule *r = last;
		bool off = false;

		if (r && r->silenceable) {
			off = zsync_tree_lint_off(tree, origin, r->name);
			if (!off && dg->line) {
				struct src_text *t = source_text(&texts, &ntexts, src, dg->file);
				const char *ln;
				size_t ll;
				if (t->marked < 0)
					t->marked = t->text && memmem(t->text, t->len, "zonesync: ignore", 16);
				off = t->marked && (ln = src_line(t, dg->line, &ll)) && line_ignores(ln, ll, r->name);
			}
		}
		if (off) {
			if (dg->severity == ZSYNC_SEV_ERROR)
				d->errors--;
			else if (dg->severity == ZSYNC_SEV_WARNING)
				d->warnings--;
			free(dg->file);
			free(dg->msg);
			continue;
		}
		d->v[keep++] = *dg;
	}
	d->n = keep;
	source_texts_free(texts, ntexts);
}

int zsync_lint_parse(struct zsync_lint_job *j, struct zsync_tree *tree, const char *path,
		     const char *origin, unsigned threads, struct zsync_diags *diags, struct zsync_err *err)
{
	struct zsync_include_budget budget;
	int r;

	*j = (struct zsync_lint_job){ .tree = tree, .path = path, .origin = origin,
				      .errors_before = diags->errors, .diags_before = diags->n };
	j->zone = zsync_zone_new(origin, err);
	if (!j->zone) {
		zsync_err_prefix(err, "%s", path);
		return ZSYNC_EINVAL;
	}
	r = zsync_tree_file(tree, path, &j->f, err);
	if (r == ZSYNC_ENOTFOUND)
		r = zsync_err_set(err, r, "%s: not found in %s", path, zsync_tree_describe(tree));
	if (r < 0) {
		zsync_zone_free(j->zone);
		j->zone = NULL;
		return r;
	}
	zsync_tree_include_budget(tree, &budget.max_files, &budget.max_bytes);
	if (budget.max_files && budget.max_bytes)
		zsync_zone_set_include_budget(j->zone, &budget);
	zsync_zone_set_threads(j->zone, threads);
	zsync_zone_parse(j->zone, path, j->f.data, j->f.len, zsync_tree_read, tree, diags);
	const struct zsync_lint_source src = { path, j->f.data, j->f.len, zsync_tree_read, tree };
	parser_first_lines(diags, j->diags_before, diags->n, &src);
	return 0;
}

int zsync_lint_finish(struct zsync_lint_job *j, struct zsync_diags *diags)
{
	const struct zsync_lint_source src = { j->path, j->f.data, j->f.len, zsync_tree_read, j->tree };

	/* after a syntax error, lines may be lost (an unclosed '(' swallows the rest):
	 * semantic rules would then only add noise about what is missing */
	if (!zsync_lint_lost_lines(diags, j->diags_before))
		zsync_lint_zone(j->zone, &src, diags);
	else /* say so: a clean lint after the fix must not come as a surprise */
		zsync_diags_add(diags, j->path, 0, ZSYNC_SEV_WARNING, "syntax",
				"syntax errors in this file lost records, so the other lint rules were not run on this zone; run check again after fixing them");
	silence(diags, j->diags_before, j->tree, j->origin, &src);
	zsync_file_release(&j->f);
	return diags->errors > j->errors_before ? ZSYNC_EINVAL : 0;
}

int zsync_lint_load(struct zsync_zone **out, struct zsync_tree *tree, const char *path,
		     const char *origin, struct zsync_diags *diags, struct zsync_err *err)
{
	struct zsync_lint_job j;
	int r;

	*out = NULL;
	if ((r = zsync_lint_parse(&j, tree, path, origin, 1, diags, err)) < 0)
		return r;
	r = zsync_lint_finish(&j, diags);
	*out = j.zone;
	return r;
}
