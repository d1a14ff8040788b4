/*
 * rfc2136.c - any server taking RFC 2136 dynamic updates (BIND, Knot, PowerDNS...):
 * reads the zone by TSIG-signed AXFR, writes it by UPDATE messages guarded by
 * prerequisites, so that a concurrent edit makes the update fail instead of being lost.
 */
#include "provider.h"
#include "dns.h"
#include "support.h"

#include <stdlib.h>
#include <string.h>

struct rfc2136 {
	const char *name;
	struct zsync_strlist servers;
	char *axfr_server;
	struct zsync_tsig *key;
	int timeout_ms;
	struct zsync_axfr_limits limits;
};

static int r_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct rfc2136 *r = zsync_xcalloc(1, sizeof(*r));
	const char *v;
	int ret = 0;

	r->name = conf->name;
	r->timeout_ms = (int)(conf->timeout > 0 ? conf->timeout : 30) * 1000;
	if ((v = zsync_config_get_str(conf, "server")))
		zsync_strlist_add(&r->servers, v);
	zsync_config_get_strlist(conf, "servers", &r->servers);
	if ((v = zsync_config_get_str(conf, "axfr_server")))
		r->axfr_server = zsync_xstrdup(v);
	for (size_t i = 0; i < r->servers.n; i++) {
		char host[256];
		uint16_t port;
		if ((ret = zsync_dns_split_server(r->servers.v[i], host, sizeof(host), &port, err)) < 0)
			goto out;
	}
	zsync_provider_axfr_limits(conf, &r->limits);
	ret = zsync_provider_tsig_key(conf, &r->key, err);
out:
	if (ret < 0) {
		zsync_strlist_release(&r->servers);
		free(r->axfr_server);
		zsync_tsig_free(r->key);
		free(r);
		return ret;
	}
	*priv = r;
	return 0;
}

static void r_close(void *priv)
{
	struct rfc2136 *r = priv;
	if (!r)
		return;
	zsync_strlist_release(&r->servers);
	free(r->axfr_server);
	zsync_tsig_free(r->key);
	free(r);
}

static int r_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct rfc2136 *r = priv;
	int ret = ZSYNC_EIO;

	if (r->axfr_server)
		return zsync_dns_axfr(r->axfr_server, zone, r->key, r->timeout_ms, &r->limits, out, err);
	/* the next server only when this one cannot be reached: an answer is an answer */
	for (size_t i = 0; i < r->servers.n; i++) {
		ret = zsync_dns_axfr(r->servers.v[i], zone, r->key, r->timeout_ms, &r->limits,
				     out, err);
		if (ret != ZSYNC_EIO || i + 1 == r->servers.n)
			break;
	}
	return ret;
}

/* ---- building updates ---- */

struct rrlist {
	struct zsync_dns_rr *v;
	size_t n, alloc, bytes;
};

static void rr_add(struct rrlist *l, const uint8_t *owner, uint16_t type, uint16_t cls, uint32_t ttl,
		   const uint8_t *rd)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 16;
		l->v = zsync_xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	struct zsync_dns_rr *x = &l->v[l->n++];
	*x = (struct zsync_dns_rr){ owner, type, cls, ttl, rd ? zsync_rdata_data(rd) : NULL,
				    rd ? zsync_rdata_len(rd) : 0 };
	l->bytes += zsync_dns_rr_size(x);
}

/*
 * An NS target that cannot exist (RFC 6761 .invalid), held for an instant inside one
 * UPDATE: with it the apex NS RRset never has its last record deleted, which servers
 * ignore (RFC 2136 3.4.2.4), so a new TTL can be set on every record of it.
 */
static const uint8_t ttl_placeholder_ns[] = "\x13zonesync-ttl-change\x07invalid";

static void rr_add_placeholder(struct rrlist *l, const uint8_t *apex, uint16_t cls, uint32_t ttl)
{
	rr_add(l, apex, ZSYNC_TYPE_NS, cls, ttl, NULL);
	l->v[l->n - 1].rdata = ttl_placeholder_ns;
	l->v[l->n - 1].rdlen = sizeof(ttl_placeholder_ns);
	l->bytes += sizeof(ttl_placeholder_ns);
}

static bool has_rdata(const struct zsync_rrset *r, const uint8_t *rd)
{
	const uint8_t *x = r->rdata;
	for (uint16_t i = 0; i < r->count; i++, x = zsync_rdata_next(x))
		if (zsync_rdata_cmp(x, rd) == 0)
			return true;
	return false;
}

static bool is_address(uint16_t t)
{
	return t == ZSYNC_TYPE_A || t == ZSYNC_TYPE_AAAA;
}

/*
 * Order in which changes travel: whole-RRset deletes of other types (a CNAME can then
 * replace them), address creates and updates, other creates and updates, address
 * deletes last: a name pointed at by an MX/SRV/NS is never missing in between.
 */
static int phase(const struct zsync_changeset *cs, const struct zsync_change *c)
{
	uint16_t t = (c->new ? c->new : c->old)->type;
	if (c->op == ZSYNC_CHANGE_DELETE) {
		if (!is_address(t))
			return 0;
		/* an address replaced by a CNAME must go first: servers drop a CNAME beside data */
		for (size_t i = 0; i < cs->n; i++)
			if (cs->v[i].new && cs->v[i].new->type == ZSYNC_TYPE_CNAME &&
			    zsync_name_equal(cs->v[i].new->owner, c->old->owner))
				return 0;
		return 3;
	}
	return is_address(t) ? 1 : 2;
}

/* Prerequisites and updates of one change. */
static void change_rrs(const struct zsync_change *c, const uint8_t *apex, struct rrlist *pre,
		       struct rrlist *upd)
{
	const struct zsync_rrset *o = c->old, *n = c->new, *any = n ? n : o;
	const uint8_t *rd;

	if (!o) {
		rr_add(pre, any->owner, any->type, ZSYNC_DNS_CLASS_NONE, 0, NULL); /* RRset does not exist */
	} else {
		rd = o->rdata; /* RRset exists with exactly these rdata */
		for (uint16_t i = 0; i < o->count; i++, rd = zsync_rdata_next(rd))
			rr_add(pre, o->owner, o->type, ZSYNC_DNS_CLASS_IN, 0, rd);
	}
	if (!n) {
		rr_add(upd, o->owner, o->type, ZSYNC_DNS_CLASS_ANY, 0, NULL); /* delete the RRset */
		return;
	}
	if (o && o->ttl != c->ttl) {
		/* a new TTL: remove the records and add them again in the same message, under
		 * the same prerequisites. Re-adding an existing record with another TTL is a
		 * no-op that RFC 2136 3.4.2.2 allows (Knot does it), so it cannot carry the
		 * change. The whole-RRset delete is ignored at the apex NS: there, every record
		 * goes one by one while a placeholder keeps the RRset from going empty */
		bool apex_ns = o->type == ZSYNC_TYPE_NS && zsync_name_equal(o->owner, apex);
		if (apex_ns) {
			rr_add_placeholder(upd, apex, ZSYNC_DNS_CLASS_IN, c->ttl);
			rd = o->rdata;
			for (uint16_t i = 0; i < o->count; i++, rd = zsync_rdata_next(rd))
				rr_add(upd, o->owner, o->type, ZSYNC_DNS_CLASS_NONE, 0, rd);
		} else {
			rr_add(upd, o->owner, o->type, ZSYNC_DNS_CLASS_ANY, 0, NULL);
		}
		rd = n->rdata;
		for (uint16_t i = 0; i < n->count; i++, rd = zsync_rdata_next(rd))
			rr_add(upd, n->owner, n->type, ZSYNC_DNS_CLASS_IN, c->ttl, rd);
		if (apex_ns)
			rr_add_placeholder(upd, apex, ZSYNC_DNS_CLASS_NONE, 0);
		return;
	}
	/* adds first, then removals one by one: an apex NS set never goes empty, which
	 * servers refuse */
	rd = n->rdata;
	for (uint16_t i = 0; i < n->count; i++, rd = zsync_rdata_next(rd))
		if (!o || !has_rdata(o, rd))
			rr_add(upd, n->owner, n->type, ZSYNC_DNS_CLASS_IN, c->ttl, rd);
	if (o) {
		rd = o->rdata;
		for (uint16_t i = 0; i < o->count; i++, rd = zsync_rdata_next(rd))
			if (!has_rdata(n, rd))
				rr_add(upd, o->owner, o->type, ZSYNC_DNS_CLASS_NONE, 0, rd);
	}
}

/* *server: the one that answered (per apply, not in r: zones of one instance apply at once) */
static int send_batch(struct rfc2136 *r, const char *zone, const struct zsync_rrset *soa,
		      struct rrlist *pre, struct rrlist *upd, const char **server, struct zsync_err *err)
{
	/* the zone's exact SOA first: nobody changed anything since it was read */
	struct rrlist all = { 0 };
	int ret = ZSYNC_EIO;
	if (soa)
		rr_add(&all, soa->owner, ZSYNC_TYPE_SOA, ZSYNC_DNS_CLASS_IN, 0, soa->rdata);
	for (size_t i = 0; i < pre->n; i++) {
		if (all.n == all.alloc)
			all.v = zsync_xrealloc(all.v, (all.alloc = all.alloc * 2 + 16) * sizeof(*all.v));
		all.v[all.n++] = pre->v[i];
	}
	for (size_t i = 0; i < r->servers.n; i++) {
		*server = r->servers.v[i];
		ret = zsync_dns_update(r->servers.v[i], zone, r->key, r->timeout_ms, all.v, all.n,
				       upd->v, upd->n, err);
		if (ret != ZSYNC_EIO || strstr(err->msg, "refused") || strstr(err->msg, "NOTAUTH"))
			break; /* only an unreachable server sends us to the next one */
	}
	free(all.v);
	return ret;
}

/*
 * A host name as BIND's check-names wants it for the owner of A/AAAA/MX and the target
 * of MX/NS/SRV (RFC 952/1123: letters, digits, inner hyphens; a leading `*` label for
 * owners). BIND refuses other names there in primary zones, in updates too.
 */
static bool is_hostname(const uint8_t *name, bool wildcard)
{
	if (wildcard && name[0] == 1 && name[1] == '*')
		name += 2;
	for (; *name; name += 1 + *name) {
		uint8_t n = *name;
		for (uint8_t i = 1; i <= n; i++) {
			uint8_t c = name[i];
			bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
			if (!alnum && !(c == '-' && i != 1 && i != n))
				return false;
		}
	}
	return true;
}

/* What in one RRset a server is known to refuse on content; 0 when nothing. */
static int content_reason(const struct zsync_rrset *r, const struct zsync_zone *desired, char *buf, size_t len)
{
	const uint8_t *apex = zsync_zone_origin(desired), *rd = r->rdata;
	char on[ZSYNC_NAME_TXT_MAXLEN + 1], tn[ZSYNC_NAME_TXT_MAXLEN + 1], ty[32];

	zsync_name_to_text(r->owner, on, sizeof(on));
	zsync_type_to_text(r->type, ty, sizeof(ty));
	if ((r->type == ZSYNC_TYPE_A || r->type == ZSYNC_TYPE_AAAA || r->type == ZSYNC_TYPE_MX) &&
	    !is_hostname(r->owner, true))
		return snprintf(buf, len, "check-names: %s %s: the owner is not a host name, which BIND refuses for A/AAAA/MX", on, ty);
	if (r->type != ZSYNC_TYPE_MX && r->type != ZSYNC_TYPE_SRV && r->type != ZSYNC_TYPE_NS)
		return 0;
	for (uint16_t k = 0; k < r->count; k++, rd = zsync_rdata_next(rd)) {
		const uint8_t *t = zsync_rdata_target(r->type, rd);
		if (!t || !*t)
			continue;
		zsync_name_to_text(t, tn, sizeof(tn));
		if (!is_hostname(t, false))
			return snprintf(buf, len, "check-names: %s %s: its target %s is not a host name, which BIND refuses", on, ty, tn);
		/* check-integrity: an in-zone target needs an address */
		if (zsync_name_in_zone(t, apex) && !zsync_zone_find(desired, t, ZSYNC_TYPE_A) &&
		    !zsync_zone_find(desired, t, ZSYNC_TYPE_AAAA))
			return snprintf(buf, len, "%s (%s of %s) has no address record in the zone, which BIND refuses", tn, ty, on);
	}
	return 0;
}

/*
 * Says what the server refused, as far as its answer allows: the records of the refused
 * message, and for the known refusals the reason (check-names and check-integrity on
 * REFUSED, the per-RRset record limit on SERVFAIL). REFUSED is a permission problem only
 * when the same key cannot even send an empty update.
 */
static void explain_message(struct rfc2136 *r, const struct zsync_apply_req *req, const char *server,
			    const size_t *idx, size_t n, struct zsync_err *err)
{
	const struct zsync_changeset *cs = req->changes;
	bool refused = strstr(err->msg, "(REFUSED)") != NULL, servfail = strstr(err->msg, "SERVFAIL") != NULL;
	char why[768] = "", list[400] = "";
	const struct zsync_rrset *culprit = NULL, *culprit_dnssec = NULL;
	size_t ll = 0;

	if (!refused && !servfail)
		return;
	for (size_t i = 0; i < n && !culprit; i++) {
		const struct zsync_rrset *w = cs->v[idx[i]].new;
		char on[ZSYNC_NAME_TXT_MAXLEN + 1], ty[32];
		if (!w)
			continue;
		if (refused && content_reason(w, req->desired, why, sizeof(why)) > 0)
			culprit = w;
		else if (servfail && (w->type == ZSYNC_TYPE_DNSKEY || w->type == ZSYNC_TYPE_CDS ||
				      w->type == ZSYNC_TYPE_CDNSKEY) && !culprit_dnssec) {
			/* BIND signs a zone whose DNSKEY RRset an update adds to: without the private
			 * keys it fails the whole message; kept unless a clearer reason comes later */
			snprintf(why, sizeof(why),
				 "the message adds %s %s: BIND answers SERVFAIL to an update that adds DNSKEY/CDS/CDNSKEY to a zone it holds no private keys for (its log: could not get zone keys for secure dynamic update)",
				 zsync_name_to_text(w->owner, on, sizeof(on)), zsync_type_to_text(w->type, ty, sizeof(ty)));
			culprit_dnssec = w;
		} else if (servfail && w->count > 100) {
			snprintf(why, sizeof(why),
				 "too many records in one RRset (the server's limit): %s %s has %u records, and BIND 9.18.28 and later refuse more than max-records-per-type (100 by default)",
				 zsync_name_to_text(w->owner, on, sizeof(on)), zsync_type_to_text(w->type, ty, sizeof(ty)), (unsigned)w->count);
			culprit = w;
		}
	}
	if (refused && !why[0]) {
		struct zsync_err perr = { 0 };
		if (server && zsync_dns_update(server, req->zone, r->key, r->timeout_ms, NULL, 0, NULL, 0, &perr) ==
		    ZSYNC_EIO && strstr(perr.msg, "(REFUSED)"))
			snprintf(why, sizeof(why), "no update permission for %s",
				 r->key ? zsync_tsig_name(r->key) : "unsigned updates");
		else
			snprintf(why, sizeof(why), "the server refused the content of the message (its log says why)");
	}
	if (!culprit)
		culprit = culprit_dnssec;
	if (why[0])
		zsync_err_append(err, ": %s", why);
	if (culprit) {
		char on[ZSYNC_NAME_TXT_MAXLEN + 1], ty[32];
		zsync_err_append(err, "; the refused message held %zu change%s%s %s %s", n, n == 1 ? ":" : "s, among them",
				 "", zsync_name_to_text(culprit->owner, on, sizeof(on)),
				 zsync_type_to_text(culprit->type, ty, sizeof(ty)));
		return;
	}
	for (size_t i = 0; i < n && i < 5; i++) {
		const struct zsync_change *c = &cs->v[idx[i]];
		const struct zsync_rrset *any = c->new ? c->new : c->old;
		char on[ZSYNC_NAME_TXT_MAXLEN + 1], ty[32];
		ll += (size_t)snprintf(list + ll, ll < sizeof(list) ? sizeof(list) - ll : 0, "%s%s %s", i ? ", " : "",
				       zsync_name_to_text(any->owner, on, sizeof(on)), zsync_type_to_text(any->type, ty, sizeof(ty)));
	}
	zsync_err_append(err, "; the refused message held %zu change%s: %s%s", n, n == 1 ? "" : "s", list,
			 n > 5 ? ", ..." : "");
}

/* Marks the changes of the message just sent as applied (1) or of unknown outcome (2:
 * sent, no answer) in req->applied, when asked for. */
static void mark_applied(const struct zsync_apply_req *req, const size_t *idx, size_t n, unsigned char how)
{
	if (req->applied)
		for (size_t i = 0; i < n; i++)
			req->applied[idx[i]] = how;
}

static int r_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct rfc2136 *r = priv;
	const struct zsync_changeset *cs = req->changes;
	struct zsync_zone *now = NULL;
	const struct zsync_rrset *soa;
	struct rrlist pre = { 0 }, upd = { 0 };
	size_t limit = 65000 - zsync_dns_update_overhead(req->zone, r->key), messages = 0;
	size_t *batch = zsync_xcalloc(cs->n ? cs->n : 1, sizeof(*batch)), nbatch = 0;
	const char *server = NULL; /* the one that answered the last UPDATE */
	int ret = 0;

	if (req->create_zone || !req->base) {
		free(batch);
		return zsync_err_set(err, ZSYNC_EINVAL, "RFC 2136 cannot create zones");
	}
	soa = zsync_zone_find(req->base, zsync_zone_origin(req->base), ZSYNC_TYPE_SOA);
	/* phase 4: the deployment marker, in the last message, once everything else is in */
	for (int ph = 0; ph < 5; ph++) {
		for (size_t i = 0; i < cs->n; i++) {
			const struct zsync_change *c = &cs->v[i];
			struct rrlist p1 = { 0 }, u1 = { 0 };
			if ((req->marker_last && i == cs->n - 1 ? 4 : phase(cs, c)) != ph)
				continue;
			change_rrs(c, zsync_zone_origin(req->base), &p1, &u1);
			/* a change never straddles two messages: it travels with its own guards */
			if (pre.n + upd.n && pre.bytes + upd.bytes + p1.bytes + u1.bytes + 300 > limit) {
				ret = send_batch(r, req->zone, messages ? NULL : soa, &pre, &upd, &server, err);
				if (ret < 0) {
					if (ret == ZSYNC_EUNKNOWN)
						mark_applied(req, batch, nbatch, 2);
					explain_message(r, req, server, batch, nbatch, err);
					free(p1.v);
					free(u1.v);
					goto out;
				}
				messages++;
				mark_applied(req, batch, nbatch, 1);
				pre.n = upd.n = pre.bytes = upd.bytes = nbatch = 0;
			}
			for (size_t k = 0; k < p1.n; k++)
				rr_add(&pre, p1.v[k].owner, p1.v[k].type, p1.v[k].rclass, p1.v[k].ttl, NULL),
					pre.v[pre.n - 1] = p1.v[k];
			for (size_t k = 0; k < u1.n; k++)
				rr_add(&upd, u1.v[k].owner, u1.v[k].type, u1.v[k].rclass, u1.v[k].ttl, NULL),
					upd.v[upd.n - 1] = u1.v[k];
			pre.bytes += p1.bytes;
			upd.bytes += u1.bytes;
			free(p1.v);
			free(u1.v);
			batch[nbatch++] = i;
		}
	}
	if (pre.n + upd.n) {
		ret = send_batch(r, req->zone, messages ? NULL : soa, &pre, &upd, &server, err);
		if (ret < 0) {
			if (ret == ZSYNC_EUNKNOWN)
				mark_applied(req, batch, nbatch, 2);
			explain_message(r, req, server, batch, nbatch, err);
			goto out;
		}
		messages++;
		mark_applied(req, batch, nbatch, 1);
	}
	/* servers may accept and silently drop data (BIND: a CNAME beside other data): read it back */
	if ((ret = r_fetch(r, req->zone, &now, err)) < 0) {
		zsync_err_prefix(err, "applied, but reading back failed");
		goto out;
	}
	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_change *c = &cs->v[i];
		const struct zsync_rrset *want = c->new, *got;
		const struct zsync_rrset *any = want ? want : c->old;
		got = zsync_zone_find(now, any->owner, any->type);
		if ((!want && got) || (want && (!got || got->ttl != c->ttl || !zsync_rrset_rdata_equal(got, want)))) {
			char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
			if (req->applied)
				req->applied[i] = 0;
			if (ret == 0)
				ret = zsync_err_set(err, ZSYNC_EIO,
						    "the server accepted the update but does not serve %s %s as sent (a server drops, e.g., a CNAME beside other data)",
						    zsync_name_to_text(any->owner, name, sizeof(name)),
						    zsync_type_to_text(any->type, type, sizeof(type)));
		}
	}
out:
	if (ret < 0 && messages > 0 && ret != ZSYNC_ECONFLICT)
		zsync_err_prefix(err, "after %zu message%s applied", messages, messages == 1 ? "" : "s");
	zsync_zone_free(now);
	free(pre.v);
	free(upd.v);
	free(batch);
	return ret;
}

static const struct zsync_conf_key r_keys[] = {
	{ "server", ZSYNC_CONF_STR, ZSYNC_CONF_REQUIRED, "servers", NULL,
	  "the server taking UPDATEs and AXFR, \"host:port\" (port 53 by default)" },
	{ "servers", ZSYNC_CONF_STRLIST, 0, NULL, NULL,
	  "several servers, tried in order when one cannot be reached" },
	ZSYNC_PROVIDER_TSIG_KEYS,
	{ "axfr_server", ZSYNC_CONF_STR, 0, NULL, NULL, "where to read the zone by AXFR, if not server" },
	ZSYNC_PROVIDER_TRANSFER_KEYS,
	ZSYNC_PROVIDER_NS_NAMES_KEY,
	{ 0 },
};

const struct zsync_provider_type zsync_provider_rfc2136 = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "rfc2136",
	.summary = "any server taking RFC 2136 UPDATE and AXFR with TSIG (BIND, Knot, PowerDNS)",
	/* ZSYNC_CAP_CONCURRENT: priv is the configuration only; each transfer and update has
	 * its own connection, and a server takes updates to different zones side by side */
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CONCURRENT | ZSYNC_CAP_APPLY_SIDE_BY_SIDE,
	.keys = r_keys,
	/* BIND keeps its signing state in TYPE65534 records beside DNSKEYs (sig-signing-type) */
	.generated = zsync_diff_generated_bind,
	.open = r_open,
	.fetch = r_fetch,
	.apply = r_apply,
	.nameservers = zsync_provider_ns_names,
	.close = r_close,
};
