/* lint.c - semantic lint rules over a parsed zone (the checks libzscanner does not make) */
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lint {
	struct zsync_zone *z;
	struct zsync_diags *d;
	const uint8_t *apex;
	size_t errors;
};

static void report(struct lint *l, const struct zsync_rrset *r, enum zsync_severity sev,
		   const char *rule, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(struct lint *l, const struct zsync_rrset *r, enum zsync_severity sev,
		   const char *rule, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	zsync_diags_add(l->d, r ? zsync_zone_file(l->z, r->file) : zsync_zone_file(l->z, 0),
			r ? r->line : 0, sev, rule, "%s", msg);
	if (sev == ZSYNC_SEV_ERROR)
		l->errors++;
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

/* An address for name, directly or through a wildcard that would synthesise one. */
static bool resolves_to_address(struct lint *l, const uint8_t *name)
{
	uint8_t wc[ZSYNC_NAME_MAXLEN];
	const uint8_t *p = name;

	if (has_address(l, name))
		return true;
	/* walk up looking for "*.<ancestor>" (a simplification of RFC 4592 closest encloser) */
	while (*p && zsync_name_below(p, l->apex)) {
		p += *p + 1;
		size_t pl = zsync_name_len(p);
		if (pl + 2 > sizeof(wc))
			break;
		wc[0] = 1;
		wc[1] = '*';
		memcpy(wc + 2, p, pl);
		if (has_address(l, wc))
			return true;
	}
	return false;
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
			report(l, r, ZSYNC_SEV_ERROR, "target-cname",
			       "%s %s points at %s, which is a CNAME (RFC 2181 section 10.3)", owner_text(r->owner, owner),
			       zsync_type_to_text(r->type, type, sizeof(type)), owner_text(t, tname));
			continue;
		}
		if (is_delegation && zsync_name_in_zone(t, r->owner)) {
			if (!has_address(l, t)) {
				owner_text(t, tname);
				report(l, r, ZSYNC_SEV_ERROR, "missing-glue",
				       "delegation %s NS %s needs glue: no A or AAAA record for %s",
				       owner_text(r->owner, owner), tname, tname);
			}
			continue;
		}
		if (delegation_of(l, t))
			continue; /* served by the child zone */
		if (!resolves_to_address(l, t))
			report(l, r, ZSYNC_SEV_WARNING, "no-address",
			       "%s %s target %s has no A or AAAA record in the zone", owner_text(r->owner, owner),
			       zsync_type_to_text(r->type, type, sizeof(type)), owner_text(t, tname));
	}
}

size_t zsync_lint_zone(struct zsync_zone *z, struct zsync_diags *d)
{
	struct lint l = { .z = z, .d = d, .apex = zsync_zone_origin(z) };
	size_t n, i = 0;
	const struct zsync_rrset *const *rs = zsync_zone_sorted(z, &n);
	const struct zsync_rrset *soa = NULL, *apex_ns = NULL;
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
		const uint8_t *deleg = NULL;

		if (!zsync_name_in_zone(o, l.apex)) {
			while (j < n && zsync_name_equal(rs[j]->owner, o))
				j++;
			report(&l, rs[i], ZSYNC_SEV_ERROR, "out-of-zone",
			       "owner %s is outside the zone %s", owner_text(o, owner_buf), zsync_zone_name(z));
			i = j;
			continue;
		}
		if (!apex) {
			while (ndelegs && !zsync_name_in_zone(o, delegs[ndelegs - 1]))
				ndelegs--;
			for (size_t k = i; k < n && zsync_name_equal(rs[k]->owner, o); k++)
				if (rs[k]->type == ZSYNC_TYPE_NS) {
					if (ndelegs < sizeof(delegs) / sizeof(delegs[0]))
						delegs[ndelegs++] = o;
					break;
				}
			deleg = ndelegs ? delegs[ndelegs - 1] : NULL; /* the closest, as delegation_of() */
		}
		for (; j < n && zsync_name_equal(rs[j]->owner, o); j++) {
			const struct zsync_rrset *r = rs[j];
			char type_buf[32];

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
			if (r->type == ZSYNC_TYPE_NS && !apex && !other)
				other = r;
			if (r->type == ZSYNC_TYPE_NS || r->type == ZSYNC_TYPE_MX ||
			    r->type == ZSYNC_TYPE_SRV)
				check_targets(&l, r, owner_buf);
			/* below a delegation only the child's NS/DS and glue addresses belong */
			if (deleg && !(zsync_name_equal(o, deleg) &&
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
	if (!soa)
		report(&l, NULL, ZSYNC_SEV_ERROR, "missing-soa", "no SOA record at the apex %s",
		       zsync_zone_name(z));
	if (!apex_ns)
		report(&l, NULL, ZSYNC_SEV_ERROR, "missing-ns", "no NS records at the apex %s",
		       zsync_zone_name(z));
	return l.errors;
}

bool zsync_lint_lost_lines(const struct zsync_diags *diags, size_t from)
{
	for (size_t i = from; i < diags->n; i++) {
		const char *r = diags->v[i].rule;
		if (r && (strcmp(r, "syntax") == 0 || strcmp(r, "include") == 0 ||
			  strcmp(r, "no-ttl") == 0))
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

int zsync_lint_load(struct zsync_zone **out, struct zsync_tree *tree, const char *path,
		     const char *origin, struct zsync_diags *diags, struct zsync_err *err)
{
	struct zsync_zone *z = NULL;
	struct zsync_file f;
	struct zsync_include_budget budget;
	size_t errors_before = diags->errors, diags_before = diags->n;
	int r;

	*out = NULL;
	z = zsync_zone_new(origin, err);
	if (!z) {
		zsync_err_prefix(err, "%s", path);
		return ZSYNC_EINVAL;
	}
	r = zsync_tree_file(tree, path, &f, err);
	if (r == ZSYNC_ENOTFOUND)
		r = zsync_err_set(err, r, "%s: not found in %s", path, zsync_tree_describe(tree));
	if (r < 0) {
		zsync_zone_free(z);
		return r;
	}
	zsync_tree_include_budget(tree, &budget.max_files, &budget.max_bytes);
	if (budget.max_files && budget.max_bytes)
		zsync_zone_set_include_budget(z, &budget);
	zsync_zone_parse(z, path, f.data, f.len, zsync_tree_read, tree, diags);
	zsync_file_release(&f);
	/* after a syntax error, lines may be lost (an unclosed '(' swallows the rest):
	 * semantic rules would then only add noise about what is missing */
	if (!zsync_lint_lost_lines(diags, diags_before))
		zsync_lint_zone(z, diags);
	*out = z;
	return diags->errors > errors_before ? ZSYNC_EINVAL : 0;
}
