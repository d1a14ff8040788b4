/*
 * delegation.c - what the parent zone must hold so that resolvers reach every provider:
 * the NS set (git's apex NS and every provider's nameservers), the glue of the names
 * inside the zone, and with several signing providers (RFC 8901) a DS for each one's
 * key-signing key. For `zonesync delegation` and the delegation check of verify.
 */
#include "delegation.h"
#include "dns.h"
#include "nsset.h"
#include "provider.h"

#include <errno.h>
#include <stddef.h>
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int zsync_delegation_ds_of(const uint8_t *owner, const uint8_t *rd, struct zsync_delegation_ds *ds)
{
	const uint8_t *k = zsync_rdata_data(rd);
	uint16_t len = zsync_rdata_len(rd);
	uint8_t lower[ZSYNC_NAME_MAXLEN], digest[48];
	static const struct {
		gnutls_digest_algorithm_t alg;
		size_t off, n;
	} kinds[] = {
		{ GNUTLS_DIG_SHA256, offsetof(struct zsync_delegation_ds, digest), 32 },
		{ GNUTLS_DIG_SHA1, offsetof(struct zsync_delegation_ds, sha1), 20 },
		{ GNUTLS_DIG_SHA384, offsetof(struct zsync_delegation_ds, sha384), 48 },
	};
	size_t olen = zsync_name_len(owner);
	uint32_t ac = 0;
	gnutls_hash_hd_t h;

	if (len < 4 || olen > sizeof(lower))
		return ZSYNC_EINVAL;
	/* RFC 4034 appendix B: the key tag of the whole rdata */
	for (uint16_t i = 0; i < len; i++)
		ac += (i & 1) ? k[i] : (uint32_t)k[i] << 8;
	ac += (ac >> 16) & 0xFFFF;
	ds->key_tag = (uint16_t)(ac & 0xFFFF);
	ds->algorithm = k[3];
	/* RFC 4034 section 5.1.4 (SHA-1), RFC 4509 (SHA-256), RFC 6605 (SHA-384): the digest of the
	 * owner in canonical (lower case) wire form and the rdata */
	memcpy(lower, owner, olen);
	for (size_t i = 0; i < olen;) {
		uint8_t l = lower[i++];
		for (uint8_t c = 0; c < l && i < olen; c++, i++)
			if (lower[i] >= 'A' && lower[i] <= 'Z')
				lower[i] = (uint8_t)(lower[i] - 'A' + 'a');
	}
	for (size_t d = 0; d < sizeof(kinds) / sizeof(kinds[0]); d++) {
		char *hex = (char *)ds + kinds[d].off;
		if (gnutls_hash_init(&h, kinds[d].alg) < 0)
			return ZSYNC_EIO;
		gnutls_hash(h, lower, olen);
		gnutls_hash(h, k, len);
		gnutls_hash_deinit(h, digest);
		for (size_t i = 0; i < kinds[d].n; i++)
			snprintf(hex + 2 * i, 3, "%02X", digest[i]);
	}
	return 0;
}

static void add_ns(struct zsync_delegation *d, const char *name, const char *from)
{
	for (size_t i = 0; i < d->ns.n; i++)
		if (!strcmp(d->ns.v[i], name)) {
			char *both = zsync_xasprintf("%s, %s", d->ns_from.v[i], from);
			free(d->ns_from.v[i]);
			d->ns_from.v[i] = both;
			return;
		}
	zsync_strlist_add(&d->ns, name);
	zsync_strlist_add(&d->ns_from, from);
}

/* Calls fn for every A and AAAA record of name in z; returns how many. */
static size_t each_address(const struct zsync_zone *z, const uint8_t *name,
			   void (*fn)(void *arg, bool v6, uint32_t ttl, const char *addr), void *arg)
{
	static const uint16_t types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA };
	size_t n = 0;
	for (size_t t = 0; t < 2; t++) {
		const struct zsync_rrset *r = zsync_zone_find(z, name, types[t]);
		const uint8_t *a = r ? r->rdata : NULL;
		for (uint16_t k = 0; r && k < r->count; k++, a = zsync_rdata_next(a), n++) {
			char addr[64];
			zsync_rdata_to_text(types[t], a, addr, sizeof(addr));
			fn(arg, t == 1, r->ttl, addr);
		}
	}
	return n;
}

struct glue_arg {
	struct zsync_delegation *d;
	const char *name;
};

static void glue_line(void *arg, bool v6, uint32_t ttl, const char *addr)
{
	struct glue_arg *g = arg;
	zsync_strlist_add_owned(&g->d->glue, zsync_xasprintf("%s\t%u\tIN\t%s\t%s", g->name, ttl, v6 ? "AAAA" : "A", addr));
}

/* The key-signing DNSKEYs one provider's nameservers serve: a DS for each (the first server that answers). */
static void provider_ds(struct zsync_delegation *d, const struct zsync_provider_conf *pc, struct zsync_zone *z,
			long timeout_ms)
{
	const uint8_t *apex = zsync_zone_origin(z);
	struct zsync_err err = { 0 };

	for (size_t s = 0; s < pc->nameservers.n; s++) {
		struct zsync_dns_answer a;
		if (zsync_dns_query(pc->nameservers.v[s], d->zone, apex, ZSYNC_TYPE_DNSKEY, (int)timeout_ms, &a, &err) < 0)
			continue;
		if (!a.authoritative || a.rcode) {
			/* a server that does not serve the zone (REFUSED, SERVFAIL, a referral) knows
			 * nothing of its keys: the next one is asked */
			zsync_err_set(&err, ZSYNC_EIO, "%s answered %s", pc->nameservers.v[s],
				      a.rcode == 5 ? "REFUSED" : a.rcode == 2 ? "SERVFAIL" : a.rcode ? "an error" :
				      "without authority");
			zsync_dns_answer_release(&a);
			continue;
		}
		const struct zsync_rrset *keys = zsync_zone_find(a.answer, apex, ZSYNC_TYPE_DNSKEY);
		const uint8_t *rd = keys ? keys->rdata : NULL;
		for (uint16_t i = 0; keys && i < keys->count; i++, rd = zsync_rdata_next(rd)) {
			const uint8_t *k = zsync_rdata_data(rd);
			struct zsync_delegation_ds ds = { 0 };
			bool seen = false;
			/* a zone key with the SEP bit (flags 257): what the parent's DS points at */
			if (zsync_rdata_len(rd) < 4 || k[0] != 1 || !(k[1] & 1) || zsync_delegation_ds_of(apex, rd, &ds) < 0)
				continue;
			for (size_t m = 0; m < d->nds && !seen; m++) {
				struct zsync_delegation_ds *o = &d->ds[m];
				if ((seen = o->key_tag == ds.key_tag && o->algorithm == ds.algorithm && !strcmp(o->digest, ds.digest))) {
					char *both = zsync_xasprintf("%s, %s", o->providers, pc->name);
					free(o->providers);
					o->providers = both;
				}
			}
			if (seen)
				continue;
			ds.providers = zsync_xstrdup(pc->name);
			d->ds = zsync_xrealloc(d->ds, (d->nds + 1) * sizeof(*d->ds));
			d->ds[d->nds++] = ds;
		}
		zsync_dns_answer_release(&a);
		return;
	}
	if (pc->nameservers.n)
		zsync_strlist_add_owned(&d->warnings, zsync_xasprintf("provider '%s': no nameserver answered for its DNSKEY: "
								      "its DS (if it signs) is not known: %s", pc->name, err.msg));
}

void zsync_delegation_build(const struct zsync_config *cfg, const struct zsync_zone_conf *zc,
			    struct zsync_zone *z, long timeout_ms, struct zsync_delegation *d)
{
	const uint8_t *apex = zsync_zone_origin(z);
	const struct zsync_rrset *ns = zsync_zone_find(z, apex, ZSYNC_TYPE_NS);
	char tn[ZSYNC_NAME_TXT_MAXLEN + 1];
	const uint8_t *rd = ns ? ns->rdata : NULL;

	memset(d, 0, sizeof(*d));
	d->zone = zc->name;
	d->ttl = ns ? ns->ttl : 86400;
	for (uint16_t i = 0; ns && i < ns->count; i++, rd = zsync_rdata_next(rd))
		add_ns(d, zsync_name_to_text(zsync_rdata_target(ZSYNC_TYPE_NS, rd), tn, sizeof(tn)), "git");
	for (size_t i = 0; i < zc->providers.n; i++) {
		const struct zsync_provider_conf *pc = zsync_config_provider(cfg, zc->providers.v[i]);
		struct zsync_strlist names = { 0 }, missing = { 0 };
		struct zsync_err err = { 0 };
		if (!pc)
			continue;
		if (zsync_nsset_provider(pc, zc->name, &names, &err) < 0)
			zsync_strlist_add_owned(&d->warnings, zsync_xasprintf("provider '%s': %s", pc->name, err.msg));
		else if (!names.n)
			zsync_strlist_add_owned(&d->warnings, zsync_xasprintf("provider '%s' names no nameservers for the zone "
									      "(set its ns_names)", pc->name));
		for (size_t k = 0; k < names.n; k++)
			add_ns(d, names.v[k], pc->name);
		if (zc->apex_ns == ZSYNC_APEX_NS_GIT) {
			zsync_nsset_missing(ns, &names, &missing);
			for (size_t k = 0; k < missing.n; k++)
				zsync_strlist_add_owned(&d->warnings, zsync_xasprintf(
					"%s (provider '%s') is not in git's apex NS: delegated to, the zone's own NS "
					"do not name it (apex_ns = \"union\" adds it)", missing.v[k], pc->name));
		}
		zsync_strlist_release(&missing);
		zsync_strlist_release(&names);
		provider_ds(d, pc, z, timeout_ms);
	}
	/* glue: the parent must hold the addresses of nameservers inside the zone */
	for (size_t i = 0; i < d->ns.n; i++) {
		uint8_t w[ZSYNC_NAME_MAXLEN];
		if (zsync_name_from_text(d->ns.v[i], NULL, w) < 0 || !zsync_name_in_zone(w, apex))
			continue;
		struct glue_arg g = { d, d->ns.v[i] };
		if (!each_address(z, w, glue_line, &g))
			zsync_strlist_add_owned(&d->warnings, zsync_xasprintf("%s is inside the zone and git has no address "
									      "for it: the parent needs glue", d->ns.v[i]));
	}
}

void zsync_delegation_release(struct zsync_delegation *d)
{
	zsync_strlist_release(&d->ns);
	zsync_strlist_release(&d->ns_from);
	zsync_strlist_release(&d->glue);
	zsync_strlist_release(&d->warnings);
	for (size_t i = 0; i < d->nds; i++)
		free(d->ds[i].providers);
	free(d->ds);
	memset(d, 0, sizeof(*d));
}

void zsync_delegation_print(const struct zsync_delegation *d, FILE *out)
{
	fprintf(out, "; what the parent zone must hold for %s (zonesync delegation)\n", d->zone);
	for (size_t i = 0; i < d->ns.n; i++)
		fprintf(out, "%s\t%u\tIN\tNS\t%s\t; %s\n", d->zone, d->ttl, d->ns.v[i], d->ns_from.v[i]);
	if (d->glue.n)
		fprintf(out, "; glue\n");
	for (size_t i = 0; i < d->glue.n; i++)
		fprintf(out, "%s\n", d->glue.v[i]);
	for (size_t i = 0; i < d->nds; i++)
		fprintf(out, "%s\t%u\tIN\tDS\t%u %u 2 %s\t; KSK of %s\n", d->zone, d->ttl, d->ds[i].key_tag,
			d->ds[i].algorithm, d->ds[i].digest, d->ds[i].providers);
}

json_t *zsync_delegation_json(const struct zsync_delegation *d)
{
	json_t *ns = json_array(), *glue = json_array(), *ds = json_array(), *w = json_array();

	for (size_t i = 0; i < d->ns.n; i++)
		json_array_append_new(ns, json_pack("{s:s, s:s}", "name", d->ns.v[i], "from", d->ns_from.v[i]));
	for (size_t i = 0; i < d->glue.n; i++)
		json_array_append_new(glue, json_string(d->glue.v[i]));
	for (size_t i = 0; i < d->nds; i++)
		json_array_append_new(ds, json_pack("{s:i, s:i, s:i, s:s, s:s}", "key_tag", d->ds[i].key_tag,
						    "algorithm", d->ds[i].algorithm, "digest_type", 2,
						    "digest", d->ds[i].digest, "providers", d->ds[i].providers));
	for (size_t i = 0; i < d->warnings.n; i++)
		json_array_append_new(w, json_string(d->warnings.v[i]));
	return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "zone", d->zone, "ttl", (json_int_t)d->ttl, "ns", ns,
			 "glue", glue, "ds", ds, "warnings", w);
}

struct server_arg {
	long port;
	struct zsync_strlist *out;
};

static void server_of(void *arg, bool v6, uint32_t ttl, const char *addr)
{
	struct server_arg *sa = arg;
	(void)ttl;
	zsync_strlist_add_owned(sa->out, v6 ? zsync_xasprintf("[%s]:%ld", addr, sa->port)
					    : zsync_xasprintf("%s:%ld", addr, sa->port));
}

/* "ADDR:PORT" ("[ADDR]:PORT" for IPv6) of every A/AAAA of name in z, appended to out. */
static void addresses(const struct zsync_zone *z, const uint8_t *name, long port, struct zsync_strlist *out)
{
	struct server_arg sa = { port, out };
	each_address(z, name, server_of, &sa);
}

/* The servers of the NS RRset ns by the addresses in z (glue or hints). */
static void ns_addresses(const struct zsync_zone *z, const struct zsync_rrset *ns, long port, struct zsync_strlist *out)
{
	const uint8_t *rd = ns->rdata;
	for (uint16_t i = 0; i < ns->count; i++, rd = zsync_rdata_next(rd))
		addresses(z, zsync_rdata_target(ZSYNC_TYPE_NS, rd), port, out);
}

/*
 * Iterative resolution for the delegation check. Bounds, so that nameserver names that
 * depend on one another (com.'s servers named in org., org.'s in com.) cannot hang it: a
 * name whose address is being looked up is never looked up again inside that lookup (a
 * loop), lookups nest at most WALK_DEPTH deep, and one find_parent asks at most
 * WALK_QUERIES queries in all.
 */
#define WALK_DEPTH 4
#define WALK_QUERIES 64

struct walk {
	const struct zsync_config *cfg;
	long timeout_ms;
	struct zsync_strlist roots;     /* "ADDR:PORT" of the root servers */
	int queries;                    /* left */
	struct zsync_strlist looking;   /* names whose address is being looked up, outermost first */
	struct zsync_strlist of;        /* parallel: the zone cut each is a nameserver of */
	bool given_up;                  /* a loop or the depth bound: the error says all, unwrapped */
};

static int walk(struct walk *w, const uint8_t *name, uint16_t type, bool to_parent, int depth,
		struct zsync_strlist *servers, struct zsync_dns_answer *final, struct zsync_strlist *trace,
		struct zsync_err *err);

/*
 * The addresses ("ADDR:PORT") of nameserver name of zone cut cut, which a referral gave
 * without glue: resolved from the root like any name (A, then AAAA). via gets the last
 * zone cut passed.
 */
static int ns_lookup(struct walk *w, const uint8_t *name, const char *cut, int depth, struct zsync_strlist *out,
		     char **via, struct zsync_err *err)
{
	static const uint16_t types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA };
	char tn[ZSYNC_NAME_TXT_MAXLEN + 1];
	int ret = 0;

	zsync_name_to_text(name, tn, sizeof(tn));
	for (size_t i = 0; i < w->looking.n; i++)
		if (!strcasecmp(w->looking.v[i], tn)) {
			char *chain = zsync_xstrdup("");
			for (size_t k = i; k < w->looking.n; k++) {
				char *c = zsync_xasprintf("%s%s by %s, ", chain, w->of.v[k], w->looking.v[k]);
				free(chain);
				chain = c;
			}
			w->given_up = true;
			ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "nameservers without glue whose names depend on each "
					    "other: %s%s by %s again (the parent must give glue; or give --parent)",
					    chain, cut, tn);
			free(chain);
			return ret;
		}
	if (depth >= WALK_DEPTH) {
		w->given_up = true;
		return zsync_err_set(err, ZSYNC_ENOTFOUND, "%s (a nameserver of %s, no glue): more than %d lookups of "
				     "nameservers without glue nested (give --parent)", tn, cut, WALK_DEPTH);
	}
	zsync_strlist_add(&w->looking, tn);
	zsync_strlist_add(&w->of, cut);
	for (size_t t = 0; t < 2 && !out->n && ret == 0; t++) {
		struct zsync_strlist servers = { 0 }, trace = { 0 };
		struct zsync_dns_answer a;
		if ((ret = walk(w, name, types[t], false, depth + 1, &servers, &a, &trace, err)) == 0) {
			addresses(a.answer, name, w->cfg->verify.port, out);
			zsync_dns_answer_release(&a);
			if (out->n && trace.n) {
				free(*via);
				*via = zsync_xstrdup(trace.v[trace.n - 1]);
			}
		}
		zsync_strlist_release(&servers);
		zsync_strlist_release(&trace);
	}
	if (ret == 0 && !out->n)
		ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "%s has no address", tn);
	free(w->looking.v[--w->looking.n]);
	free(w->of.v[--w->of.n]);
	return ret;
}

/*
 * Asks the root servers for (name, type), then the servers of each referral in turn, down
 * the zone cuts. to_parent: stops at the referral for name itself (or a server that
 * answers name's NS authoritatively: it serves parent and child), servers then being the
 * parent's. Otherwise stops at an authoritative answer, left in final. A referral without
 * glue is followed by looking up its nameservers' addresses (ns_lookup). trace gets
 * "CUT at SERVER" per cut passed.
 */
static int walk(struct walk *w, const uint8_t *name, uint16_t type, bool to_parent, int depth,
		struct zsync_strlist *servers, struct zsync_dns_answer *final, struct zsync_strlist *trace,
		struct zsync_err *err)
{
	char zone[ZSYNC_NAME_TXT_MAXLEN + 1], tn[ZSYNC_NAME_TXT_MAXLEN + 1];
	uint8_t cut[ZSYNC_NAME_MAXLEN] = { 0 };
	int ret = 0;

	zsync_name_to_text(name, zone, sizeof(zone));
	for (size_t s = 0; s < w->roots.n; s++)
		zsync_strlist_add(servers, w->roots.v[s]);
	/* at most one step per label (128), each down a cut */
	for (int step = 0; step < 128; step++) {
		struct zsync_dns_answer a;
		struct zsync_err qerr = { 0 };
		const struct zsync_rrset *ref = NULL;
		bool asked = false, usable = false;
		int lame_rcode = -1;
		/* the servers of this step in turn, until one answers usefully: a lame one (no
		 * answer, no referral further down: REFUSED, SERVFAIL, a referral back up) is
		 * passed over for the next */
		for (size_t s = 0; s < servers->n && !usable; s++) {
			if (w->queries-- <= 0) {
				w->given_up = true;
				return zsync_err_set(err, ZSYNC_EIO, "%s: gave up after %d queries (give --parent)", zone,
						     WALK_QUERIES);
			}
			if (zsync_dns_query(servers->v[s], zone, name, type, (int)w->timeout_ms, &a, &qerr) < 0)
				continue;
			asked = true;
			ref = NULL;
			for (size_t k = 0; k < zsync_zone_iter_count(a.authority) && !ref; k++) {
				const struct zsync_rrset *r = zsync_zone_iter(a.authority, k);
				if (r && r->type == ZSYNC_TYPE_NS && zsync_name_in_zone(name, r->owner))
					ref = r;
			}
			if (to_parent && ((a.authoritative && zsync_zone_find(a.answer, name, ZSYNC_TYPE_NS)) ||
					  (ref && zsync_name_equal(ref->owner, name)))) {
				/* the referral for the zone, or a server that serves parent and child itself */
				zsync_dns_answer_release(&a);
				return 0;
			}
			if (!to_parent && a.authoritative) {
				*final = a;
				return 0;
			}
			if ((usable = ref && zsync_name_below(ref->owner, cut)))
				break;
			/* an authoritative NXDOMAIN or NODATA is the zone's own answer (the name is not
			 * delegated there), not a lame server: the others would say the same */
			bool final_no = a.authoritative && (a.rcode == 0 || a.rcode == 3);
			lame_rcode = a.rcode;
			zsync_dns_answer_release(&a);
			if (final_no)
				break;
		}
		if (!asked)
			return zsync_err_set(err, ZSYNC_EIO, "%s: no server answered at step %d: %s", zone, step + 1, qerr.msg);
		if (!usable)
			/* no referral, or one that does not go down (lame or looping servers), at every one */
			return zsync_err_set(err, ZSYNC_ENOTFOUND, "no delegation found for %s (rcode %d at step %d)", zone,
					     lame_rcode, step + 1);
		memcpy(cut, ref->owner, zsync_name_len(ref->owner));
		zsync_name_to_text(ref->owner, tn, sizeof(tn));
		zsync_strlist_release(servers);
		ns_addresses(a.additional, ref, w->cfg->verify.port, servers);
		if (servers->n) {
			zsync_strlist_add_owned(trace, zsync_xasprintf("%s at %s", tn, servers->v[0]));
		} else {
			/* no glue: the nameservers' names are in another zone (or should have had it) */
			const uint8_t *rd = ref->rdata;
			struct zsync_err first = { 0 };
			char *via = NULL, nsn[ZSYNC_NAME_TXT_MAXLEN + 1] = "";
			for (uint16_t i = 0; i < ref->count && !servers->n; i++, rd = zsync_rdata_next(rd)) {
				struct zsync_err lerr = { 0 };
				const uint8_t *t = zsync_rdata_target(ZSYNC_TYPE_NS, rd);
				if (ns_lookup(w, t, tn, depth, servers, &via, &lerr) == 0)
					zsync_name_to_text(t, nsn, sizeof(nsn));
				else if (!first.code)
					first = lerr;
				if (w->given_up)
					break;
			}
			if (servers->n)
				zsync_strlist_add_owned(trace, zsync_xasprintf("%s at %s (no glue: %s looked up from the root%s%s)",
									     tn, servers->v[0], nsn, via ? ", through " : "",
									     via ? via : ""));
			else if (w->given_up)
				ret = zsync_err_set(err, first.code, "%s", first.msg);
			else
				ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "the referral to %s carries no glue, and no address of "
						    "its nameservers was found: %s", tn, first.msg);
			free(via);
		}
		zsync_dns_answer_release(&a);
		if (ret < 0)
			return ret;
	}
	return zsync_err_set(err, ZSYNC_ENOTFOUND, "no delegation found for %s", zone);
}

int zsync_delegation_find_parent(const struct zsync_config *cfg, const char *zone, long timeout_ms,
				 struct zsync_strlist *parents, struct zsync_strlist *trace, struct zsync_err *err)
{
	struct zsync_zone *hints = NULL;
	struct walk w = { cfg, timeout_ms, { 0 }, WALK_QUERIES, { 0 }, { 0 }, false };
	struct zsync_diags diags = { 0 };
	uint8_t zw[ZSYNC_NAME_MAXLEN];
	char *text = NULL;
	size_t len = 0;
	int ret = 0;
	FILE *f;

	if (zsync_name_from_text(zone, NULL, zw) < 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "bad zone name '%s'", zone);
	if (!(f = fopen(cfg->verify.root_hints, "r")))
		return zsync_err_set(err, ZSYNC_ENOTFOUND, "cannot read the root hints %s: %s (install dns-root-data, "
				     "set [verify] root_hints, or give --parent)", cfg->verify.root_hints, strerror(errno));
	{
		char buf[4096];
		size_t n;
		FILE *m = open_memstream(&text, &len);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && len < (1u << 20))
			fwrite(buf, 1, n, m);
		fclose(m);
		fclose(f);
	}
	if (!(hints = zsync_zone_new(".", err)) ||
	    zsync_zone_parse(hints, cfg->verify.root_hints, text, len, NULL, NULL, &diags) < 0 || diags.errors) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "%s: not a root hints file%s%s", cfg->verify.root_hints,
				    diags.n ? ": " : "", diags.n ? diags.v[0].msg : "");
		goto out;
	}
	const uint8_t root[1] = { 0 };
	const struct zsync_rrset *rootns = zsync_zone_find(hints, root, ZSYNC_TYPE_NS);
	if (rootns)
		ns_addresses(hints, rootns, cfg->verify.port, &w.roots);
	if (!w.roots.n) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "%s: no root server with an address", cfg->verify.root_hints);
		goto out;
	}
	zsync_strlist_add_owned(trace, zsync_xasprintf(". at %s (root hints %s)", w.roots.v[0], cfg->verify.root_hints));
	ret = walk(&w, zw, ZSYNC_TYPE_NS, true, 0, parents, NULL, trace, err);
	if (ret < 0)
		zsync_strlist_release(parents);
out:
	zsync_zone_free(hints);
	zsync_diags_release(&diags);
	zsync_strlist_release(&w.roots);
	zsync_strlist_release(&w.looking);
	zsync_strlist_release(&w.of);
	free(text);
	return ret;
}
