/* diff.c - RRset-level diff of two canonical zones under a provider's policy */
#include "diff.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool zsync_diff_glob(const char *pattern, const char *name)
{
	return fnmatch(pattern, name, FNM_CASEFOLD) == 0;
}

const uint16_t zsync_diff_generated_dnssec[] = {
	ZSYNC_TYPE_RRSIG, ZSYNC_TYPE_NSEC, ZSYNC_TYPE_NSEC3, ZSYNC_TYPE_NSEC3PARAM,
	ZSYNC_TYPE_DNSKEY, ZSYNC_TYPE_CDS, ZSYNC_TYPE_CDNSKEY, 0,
};

/* BIND's sig-signing-type default, 65534: "private-type records" of its key signing state */
const uint16_t zsync_diff_generated_bind[] = {
	ZSYNC_TYPE_RRSIG, ZSYNC_TYPE_NSEC, ZSYNC_TYPE_NSEC3, ZSYNC_TYPE_NSEC3PARAM,
	ZSYNC_TYPE_DNSKEY, ZSYNC_TYPE_CDS, ZSYNC_TYPE_CDNSKEY, 65534, 0,
};

static const uint16_t *generated_list(const struct zsync_diff_policy *p)
{
	return p->generated ? p->generated : zsync_diff_generated_dnssec;
}

bool zsync_diff_generated(const struct zsync_diff_policy *p, uint16_t type)
{
	for (const uint16_t *t = generated_list(p); *t; t++)
		if (*t == type)
			return true;
	return false;
}

bool zsync_diff_supported(const struct zsync_diff_policy *p, uint16_t type)
{
	if (!p->rrtypes)
		return true;
	for (const uint16_t *t = p->rrtypes; *t; t++)
		if (*t == type)
			return true;
	return false;
}

/* An ignore entry is a type name ("TXT") or an owner glob, matched relative and absolute. */
bool zsync_diff_ignored(const struct zsync_diff_policy *p, const struct zsync_zone *z,
			const struct zsync_rrset *r)
{
	char abs[ZSYNC_NAME_TXT_MAXLEN + 1], rel[ZSYNC_NAME_TXT_MAXLEN + 1];
	bool named = false;

	/* zonesync's own record: never a change, never drift, never extra */
	if (p->has_marker && zsync_name_equal(r->owner, p->marker))
		return true;

	for (int k = 0; k < 2; k++) {
		const struct zsync_strlist *l = p->ignore[k];
		for (size_t i = 0; l && i < l->n; i++) {
			uint16_t t;
			const char *pat = l->v[i];
			if (!strpbrk(pat, ".*?[") && zsync_type_from_text(pat, &t) == 0) {
				if (t == r->type)
					return true;
				continue;
			}
			if (!named) {
				size_t al, zl = strlen(zsync_zone_name(z));
				zsync_name_to_text(r->owner, abs, sizeof(abs));
				al = strlen(abs);
				if (al > zl && strcasecmp(abs + al - zl, zsync_zone_name(z)) == 0 &&
				    abs[al - zl - 1] == '.')
					snprintf(rel, sizeof(rel), "%.*s", (int)(al - zl - 1), abs);
				else
					snprintf(rel, sizeof(rel), "%s", al == zl ? "@" : abs);
				named = true;
			}
			if (zsync_diff_glob(pat, rel) || zsync_diff_glob(pat, abs))
				return true;
		}
	}
	return false;
}

static void add_change(struct zsync_changeset *cs, enum zsync_change_op op, unsigned flags,
		       uint32_t ttl, const struct zsync_rrset *old, const struct zsync_rrset *new)
{
	if (cs->n == cs->alloc) {
		cs->alloc = cs->alloc ? cs->alloc * 2 : 16;
		cs->v = zsync_xrealloc(cs->v, cs->alloc * sizeof(*cs->v));
	}
	cs->v[cs->n++] = (struct zsync_change){ op, flags, ttl, old, new };
	if (op == ZSYNC_CHANGE_CREATE)
		cs->creates++;
	else if (op == ZSYNC_CHANGE_UPDATE)
		cs->updates++;
	else
		cs->deletes++;
}

static void add_na(struct zsync_changeset *cs, const struct zsync_rrset *r, const char *reason)
{
	cs->na = zsync_xrealloc(cs->na, (cs->nna + 1) * sizeof(*cs->na));
	cs->na[cs->nna].owner = r->owner;
	cs->na[cs->nna].type = r->type;
	cs->na[cs->nna].reason = zsync_xstrdup(reason);
	cs->nna++;
}

static void describe(const struct zsync_rrset *r, char *buf, size_t len)
{
	char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
	snprintf(buf, len, "%s %s", zsync_name_to_text(r->owner, name, sizeof(name)),
		 zsync_type_to_text(r->type, type, sizeof(type)));
}

static int rrset_cmp(const struct zsync_rrset *a, const struct zsync_rrset *b)
{
	int c = a->owner == b->owner ? 0 : zsync_name_cmp(a->owner, b->owner);
	if (c)
		return c;
	return a->type < b->type ? -1 : a->type > b->type;
}

/* Does the desired zone hold any RRset of this type (then zonesync manages it)? */
static bool desired_has_type(const struct zsync_rrset *const *d, size_t nd, uint16_t type)
{
	for (size_t i = 0; i < nd; i++)
		if (d[i]->type == type)
			return true;
	return false;
}

uint32_t zsync_diff_ttl(const struct zsync_diff_policy *p, uint32_t ttl)
{
	if (p->ttl_min && ttl < p->ttl_min)
		ttl = p->ttl_min;
	if (p->ttl_max && ttl > p->ttl_max)
		ttl = p->ttl_max;
	return ttl;
}

int zsync_norm_txt_join(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			uint16_t *outlen, struct zsync_err *err)
{
	uint16_t total = 0, o = 0;

	(void)owner;
	(void)err;
	/* the joined value first (it is never longer than the strings with their length octets) */
	for (uint16_t i = 0; i < len;) {
		uint8_t n = data[i];
		if ((size_t)i + 1 + n > len) {
			/* not a list of strings: nothing to join, the record goes as it is */
			memcpy(out, data, len);
			*outlen = len;
			return 0;
		}
		memmove(out + total, data + i + 1, n);
		total += n;
		i += 1 + n;
	}
	if (len == 0) {
		*outlen = 0;
		return 0;
	}
	/* split again at 255 from the end backwards, so that out can be rewritten in place */
	uint16_t chunks = total ? (uint16_t)((total + 254) / 255) : 1;
	o = total + chunks;
	for (uint16_t c = chunks; c-- > 0;) {
		uint16_t start = (uint16_t)(c * 255), n = total - start > 255 ? 255 : total - start;
		memmove(out + start + c + 1, out + start, n);
		out[start + c] = (uint8_t)n;
	}
	*outlen = o;
	return 0;
}

static const struct zsync_normaliser *normaliser_for(const struct zsync_diff_policy *p, uint16_t type)
{
	for (const struct zsync_normaliser *n = p->normalisers; n && n->rrtype; n++)
		if (n->rrtype == type)
			return n;
	return NULL;
}

static bool has_every_type_check(const struct zsync_diff_policy *p)
{
	return normaliser_for(p, ZSYNC_NORM_EVERY_TYPE) != NULL;
}

/* The every-type entries on each record of r: 0, or the first refusal. */
static int every_type_checks(const struct zsync_diff_policy *p, const struct zsync_rrset *r,
			     uint8_t *buf, struct zsync_err *err)
{
	for (const struct zsync_normaliser *n = p->normalisers; n && n->rrtype; n++) {
		const uint8_t *rd = r->rdata;
		uint16_t outlen;
		if (n->rrtype != ZSYNC_NORM_EVERY_TYPE)
			continue;
		for (uint16_t i = 0; i < r->count; i++, rd = zsync_rdata_next(rd))
			if (n->normalise(r->owner, zsync_rdata_data(rd), zsync_rdata_len(rd), buf, &outlen, err) < 0)
				return ZSYNC_EINVAL;
	}
	return 0;
}

const struct zsync_rrset *zsync_diff_normalise(const struct zsync_diff_policy *p,
					       const struct zsync_zone *desired,
					       const struct zsync_rrset *r, struct zsync_zone **into,
					       const struct zsync_normaliser **used,
					       struct zsync_err *err)
{
	const struct zsync_normaliser *n = normaliser_for(p, r->type);
	const struct zsync_rrset *res = r;
	/* one record in the provider's form at a time: a buffer per thread, not a malloc per RRset */
	static _Thread_local uint8_t buf[65536];
	bool changed = false;
	const uint8_t *rd;
	uint16_t i, outlen;

	*used = NULL;
	if (!n && !has_every_type_check(p))
		return r;
	if (every_type_checks(p, r, buf, err) < 0) {
		res = NULL;
		goto out;
	}
	if (!n)
		goto out;
	/* first see whether the provider's form differs at all: usually it does not */
	for (i = 0, rd = r->rdata; i < r->count && !changed; i++, rd = zsync_rdata_next(rd)) {
		if (n->normalise(r->owner, zsync_rdata_data(rd), zsync_rdata_len(rd), buf, &outlen, err) < 0) {
			res = NULL;
			goto out;
		}
		changed = outlen != zsync_rdata_len(rd) || memcmp(buf, zsync_rdata_data(rd), outlen) != 0;
	}
	for (; i < r->count; i++, rd = zsync_rdata_next(rd))
		if (n->normalise(r->owner, zsync_rdata_data(rd), zsync_rdata_len(rd), buf, &outlen, err) < 0) {
			res = NULL;
			goto out;
		}
	if (!changed)
		goto out;
	if (!*into && !(*into = zsync_zone_new(zsync_zone_name(desired), err))) {
		res = NULL;
		goto out;
	}
	zsync_zone_remove(*into, r->owner, r->type);
	for (i = 0, rd = r->rdata; i < r->count; i++, rd = zsync_rdata_next(rd)) {
		n->normalise(r->owner, zsync_rdata_data(rd), zsync_rdata_len(rd), buf, &outlen, err);
		if (zsync_zone_add(*into, r->owner, r->type, r->ttl, buf, outlen, err) < 0) {
			zsync_zone_remove(*into, r->owner, r->type);
			res = NULL;
			goto out;
		}
	}
	struct zsync_rrset *nr = (struct zsync_rrset *)zsync_zone_find_canonical(*into, r);
	nr->line = r->line; /* messages still point at git's lines (in git's file) */
	nr->file = r->file;
	res = nr;
	*used = n;
out:
	return res;
}

int zsync_diff_served(const struct zsync_diff_policy *p, const struct zsync_zone *desired,
		      const struct zsync_rrset *want, const struct zsync_rrset *got,
		      struct zsync_zone **into, const struct zsync_rrset **norm_want,
		      const struct zsync_normaliser **used, struct zsync_err *err)
{
	*used = NULL;
	*norm_want = want;
	if (zsync_rrset_rdata_equal(got, want))
		return 1;
	const struct zsync_normaliser *u;
	const struct zsync_rrset *nw = zsync_diff_normalise(p, desired, want, into, &u, err);
	if (!nw)
		return ZSYNC_EINVAL;
	if (!u || !zsync_rrset_rdata_equal(got, nw))
		return 0;
	*used = u;
	*norm_want = nw;
	return 2;
}

/*
 * Git's RRsets that the provider's normalisers change, in the provider's form, into
 * cs->normalised before the diff looks anything up there (adding moves RRsets); a record
 * the provider cannot hold is a refusal; one warning per normaliser says how many
 * RRsets will be served differently.
 */
static void normalise_desired(const struct zsync_diff_policy *p, struct zsync_zone *desired,
			      const struct zsync_rrset *const *d, size_t nd, struct zsync_changeset *cs)
{
	size_t counts[64] = { 0 };
	size_t nn = 0;

	while (nn < 64 && p->normalisers[nn].rrtype)
		nn++;
	for (size_t i = 0; i < nd; i++) {
		const struct zsync_normaliser *used;
		struct zsync_err err = { 0 };
		char what[ZSYNC_NAME_TXT_MAXLEN + 64];
		if ((!normaliser_for(p, d[i]->type) && !has_every_type_check(p)) ||
		    !zsync_diff_supported(p, d[i]->type) ||
		    zsync_diff_ignored(p, desired, d[i]))
			continue;
		if (!zsync_diff_normalise(p, desired, d[i], &cs->normalised, &used, &err)) {
			describe(d[i], what, sizeof(what));
			zsync_strlist_add_owned(&cs->errors,
				zsync_xasprintf("%s: provider '%s' cannot hold it: %s", what,
						p->provider ? p->provider : "?", err.msg));
			continue;
		}
		if (used && used - p->normalisers < 64)
			counts[used - p->normalisers]++;
	}
	for (size_t k = 0; k < nn; k++) {
		char type[32];
		if (!counts[k] || p->normalisers[k].rrtype == ZSYNC_NORM_EVERY_TYPE)
			continue;
		zsync_strlist_add_owned(&cs->warnings,
			zsync_xasprintf("%s: %zu %s RRset%s will be served %s", p->provider ? p->provider : "?",
					counts[k], zsync_type_to_text(p->normalisers[k].rrtype, type, sizeof(type)),
					counts[k] == 1 ? "" : "s", p->normalisers[k].served));
	}
}

#define GENERATED_MAX 64

struct visit {
	const struct zsync_diff_policy *p;
	struct zsync_zone *desired;
	const uint8_t *apex;
	const uint16_t *generated;
	bool managed[GENERATED_MAX]; /* git holds that generated type: then it is zonesync's */
};

/* One RRset as git has it (dr) and as the provider has it (cr); either may be NULL. */
static void visit(const struct visit *v, const struct zsync_rrset *dr, const struct zsync_rrset *cr,
		  struct zsync_changeset *cs)
{
	const struct zsync_diff_policy *p = v->p;
	const struct zsync_rrset *any = dr ? dr : cr;
	bool at_apex = zsync_name_equal(any->owner, v->apex);
	unsigned flags = 0;
	char what[ZSYNC_NAME_TXT_MAXLEN + 64];

	if (any->type == ZSYNC_TYPE_SOA) {
		if (!p->manage_soa || !at_apex || !dr)
			return;
		flags |= ZSYNC_CHANGE_SOA;
		if (!cr)
			add_change(cs, ZSYNC_CHANGE_CREATE, flags, dr->ttl, NULL, dr);
		else if (dr->ttl != cr->ttl || !zsync_soa_equal_but_serial(dr->rdata, cr->rdata))
			add_change(cs, ZSYNC_CHANGE_UPDATE, flags, dr->ttl, cr, dr);
		return;
	}
	if (zsync_diff_ignored(p, v->desired, any))
		return;
	for (size_t k = 0; k < GENERATED_MAX && v->generated[k]; k++)
		if (v->generated[k] == any->type && !v->managed[k])
			return; /* made by the server itself: not ours */
	if (any->type == ZSYNC_TYPE_NS && at_apex) {
		flags |= ZSYNC_CHANGE_APEX_NS;
		if (!p->manage_apex_ns) {
			if (dr && (!cr || !zsync_rrset_rdata_equal(dr, cr)))
				add_na(cs, any, "apex NS belongs to the provider");
			return;
		}
	}
	if (cr)
		cs->existing++;
	if (dr && !zsync_diff_supported(p, dr->type)) {
		describe(dr, what, sizeof(what));
		if (p->skip_unsupported) {
			add_na(cs, dr, "record type not supported by the provider (skipped)");
		} else {
			char *e = zsync_xasprintf("%s: record type not supported by provider '%s' "
						  "(set unsupported = \"skip\" to leave it out)",
						  what, p->provider ? p->provider : "?");
			zsync_strlist_add_owned(&cs->errors, e);
		}
		return;
	}
	if (!dr) {
		add_change(cs, ZSYNC_CHANGE_DELETE, flags, cr->ttl, cr, NULL);
		return;
	}
	if (p->max_rrset_records && dr->count > p->max_rrset_records) {
		/* refused here rather than by the server half way through an apply */
		describe(dr, what, sizeof(what));
		zsync_strlist_add_owned(&cs->errors,
			zsync_xasprintf("%s: %u records, over provider '%s''s limit of %u records in one RRset "
					"(max_rrset_records)", what, dr->count, p->provider ? p->provider : "?",
					p->max_rrset_records));
		return;
	}
	if (p->check_rrset) {
		struct zsync_err cerr = { 0 };
		if (p->check_rrset(dr, v->apex, &cerr) < 0) {
			describe(dr, what, sizeof(what));
			zsync_strlist_add_owned(&cs->errors, zsync_xasprintf("%s: provider '%s' cannot hold it: %s", what,
									     p->provider ? p->provider : "?", cerr.msg));
			return;
		}
	}
	uint32_t ttl = zsync_diff_ttl(p, dr->ttl);
	if (ttl != dr->ttl) {
		describe(dr, what, sizeof(what));
		zsync_strlist_add_owned(&cs->warnings,
					zsync_xasprintf("%s: TTL %u %s to %u (provider %s %u)", what,
							dr->ttl, ttl > dr->ttl ? "raised" : "lowered", ttl,
							ttl > dr->ttl ? "minimum" : "maximum", ttl));
	}
	if (!cr) {
		add_change(cs, ZSYNC_CHANGE_CREATE, flags, ttl, NULL, dr);
		return;
	}
	bool same_rdata = zsync_rrset_rdata_equal(dr, cr);
	if (same_rdata && (cr->ttl == ttl || (cr->flags & ZSYNC_RRSET_TTL_ANY)) &&
	    !(cr->flags & ZSYNC_RRSET_TTL_MIXED))
		return;
	if (same_rdata)
		flags |= ZSYNC_CHANGE_TTL_ONLY;
	add_change(cs, ZSYNC_CHANGE_UPDATE, flags, ttl, cr, dr);
}

static int rrset_pcmp(const void *a, const void *b)
{
	return rrset_cmp(*(const struct zsync_rrset *const *)a, *(const struct zsync_rrset *const *)b);
}

static const struct zsync_rrset *change_rrset(const struct zsync_change *c)
{
	return c->new ? c->new : c->old;
}

/*
 * Git's zone is walked in canonical order and each RRset looked up at the provider by
 * hash; only what the provider has beyond git is sorted (usually nothing), then both
 * runs are merged: the provider's zone never needs a full sort.
 */
void zsync_diff(struct zsync_zone *desired, struct zsync_zone *current,
		const struct zsync_diff_policy *p, struct zsync_changeset *cs)
{
	size_t nd = 0, nextra = 0, split;
	const struct zsync_rrset *const *d = zsync_zone_sorted(desired, &nd);
	const struct zsync_rrset **extra = NULL;
	struct visit v = { p, desired, zsync_zone_origin(desired), generated_list(p), { 0 } };

	memset(cs, 0, sizeof(*cs));
	for (size_t k = 0; k < GENERATED_MAX && v.generated[k]; k++)
		v.managed[k] = desired_has_type(d, nd, v.generated[k]);
	if (p->normalisers)
		normalise_desired(p, desired, d, nd, cs);
	size_t matched = 0;
	/* an empty provider zone (the first plan: everything a create) needs no lookups */
	const struct zsync_zone *lookup = current && zsync_zone_rrset_count(current) ? current : NULL;
	for (size_t i = 0; i < nd; i++) {
		/* git's RRsets lie scattered in memory in canonical order: fetch ahead */
		if (i + 8 < nd)
			__builtin_prefetch(d[i + 8]);
		if (i + 4 < nd)
			__builtin_prefetch(d[i + 4]->owner);
		const struct zsync_rrset *cr = lookup ? zsync_zone_find_canonical(lookup, d[i]) : NULL;
		const struct zsync_rrset *dr = d[i], *nr;
		if (cs->normalised && (nr = zsync_zone_find_canonical(cs->normalised, dr)))
			dr = nr; /* what this provider will serve */
		matched += cr != NULL;
		visit(&v, dr, cr, cs);
	}
	split = cs->n;
	/* each git RRset matches a distinct provider RRset: when all of the provider's were
	 * matched it has nothing beyond git, and the second pass of lookups is skipped */
	if (current && matched < zsync_zone_rrset_count(current)) {
		size_t n = zsync_zone_iter_count(current);
		for (size_t i = 0; i < n; i++) {
			const struct zsync_rrset *r = zsync_zone_iter(current, i);
			if (r && !zsync_zone_find_canonical(desired, r)) {
				if (!(nextra & (nextra + 1)))
					extra = zsync_xrealloc(extra, (nextra * 2 + 1) * sizeof(*extra));
				extra[nextra++] = r;
			}
		}
		if (nextra > 1)
			qsort(extra, nextra, sizeof(*extra), rrset_pcmp);
		for (size_t i = 0; i < nextra; i++)
			visit(&v, NULL, extra[i], cs);
		free(extra);
	}
	if (split > 0 && split < cs->n) {
		/* merge the two ordered runs [0, split) and [split, n) */
		struct zsync_change *m = zsync_xmalloc(cs->n * sizeof(*m));
		size_t a = 0, b = split, o = 0;
		while (a < split || b < cs->n) {
			if (b >= cs->n || (a < split && rrset_cmp(change_rrset(&cs->v[a]), change_rrset(&cs->v[b])) <= 0))
				m[o++] = cs->v[a++];
			else
				m[o++] = cs->v[b++];
		}
		free(cs->v);
		cs->v = m;
		cs->alloc = cs->n;
	}
}

void zsync_changeset_release(struct zsync_changeset *cs)
{
	free(cs->v);
	for (size_t i = 0; i < cs->nna; i++)
		free(cs->na[i].reason);
	free(cs->na);
	zsync_strlist_release(&cs->warnings);
	zsync_strlist_release(&cs->errors);
	zsync_zone_free(cs->normalised);
	memset(cs, 0, sizeof(*cs));
}

static bool is_address(uint16_t t)
{
	return t == ZSYNC_TYPE_A || t == ZSYNC_TYPE_AAAA;
}

void zsync_changeset_safe_order(const struct zsync_changeset *cs, size_t *order)
{
	unsigned char *group = zsync_xmalloc(cs->n ? cs->n : 1);
	size_t k = 0;

	/* changes are in canonical order: one owner's changes are next to each other */
	for (size_t i = 0, j; i < cs->n; i = j) {
		const uint8_t *owner = change_rrset(&cs->v[i])->owner;
		bool to_cname = false;
		for (j = i; j < cs->n && zsync_name_cmp(change_rrset(&cs->v[j])->owner, owner) == 0; j++)
			to_cname |= cs->v[j].op != ZSYNC_CHANGE_DELETE && cs->v[j].new->type == ZSYNC_TYPE_CNAME;
		for (size_t m = i; m < j; m++) {
			const struct zsync_change *c = &cs->v[m];
			bool addr = is_address(change_rrset(c)->type);
			if (c->op == ZSYNC_CHANGE_DELETE)
				group[m] = addr && !to_cname ? 3 : 0;
			else
				group[m] = addr ? 1 : 2;
		}
	}
	for (unsigned char g = 0; g < 4; g++)
		for (size_t i = 0; i < cs->n; i++)
			if (group[i] == g)
				order[k++] = i;
	free(group);
}

void zsync_changeset_applied(const struct zsync_changeset *cs, const struct zsync_changeset *later,
			     unsigned char *applied)
{
	size_t j = 0;

	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_rrset *a = change_rrset(&cs->v[i]);
		int c = 1;
		for (; j < later->n; j++) {
			c = rrset_cmp(change_rrset(&later->v[j]), a);
			if (c >= 0)
				break;
		}
		if (!(j < later->n && c == 0))
			applied[i] = 1;
	}
}
