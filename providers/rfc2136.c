/*
 * rfc2136.c - any server taking RFC 2136 dynamic updates (BIND, Knot, PowerDNS...):
 * reads the zone by TSIG-signed AXFR, writes it by UPDATE messages guarded by
 * prerequisites, so that a concurrent edit makes the update fail instead of being lost.
 */
#include "provider.h"
#include "dns.h"

#include <stdlib.h>
#include <string.h>

struct rfc2136 {
	const char *name;
	struct zsync_strlist servers;
	char *axfr_server;
	struct zsync_tsig *key;
	int timeout_ms;
};

int zsync_provider_tsig_key(const struct zsync_provider_conf *conf, const struct zsync_config *cfg,
			    struct zsync_tsig **key, struct zsync_err *err)
{
	const struct zsync_toml *name = zsync_toml_get(conf->table, "tsig_name");
	const struct zsync_toml *sec = zsync_toml_get(conf->table, "tsig_secret");
	const struct zsync_toml *alg = zsync_toml_get(conf->table, "tsig_algorithm");
	char *secret = NULL;
	int ret;

	*key = NULL;
	if (!name && !sec)
		return 0;
	if (!name || !sec)
		return zsync_err_set(err, ZSYNC_EINVAL, "tsig_name and tsig_secret go together");
	if ((ret = zsync_config_secret(cfg, "tsig_secret", sec->str.s, &secret, err)) < 0)
		return ret;
	ret = zsync_tsig_new(key, alg ? alg->str.s : NULL, name->str.s, secret, err);
	memset(secret, 0, strlen(secret));
	free(secret);
	return ret;
}

static int r_open(const struct zsync_provider_conf *conf, const struct zsync_config *cfg,
		  void **priv, struct zsync_err *err)
{
	const struct zsync_toml *t = conf->table, *v;
	struct rfc2136 *r = zsync_xcalloc(1, sizeof(*r));
	int ret = 0;

	r->name = conf->name;
	r->timeout_ms = (int)(conf->timeout > 0 ? conf->timeout : 30) * 1000;
	if ((v = zsync_toml_get(t, "server")))
		zsync_strlist_add(&r->servers, v->str.s);
	if ((v = zsync_toml_get(t, "servers")))
		for (size_t i = 0; i < v->arr.n; i++)
			zsync_strlist_add(&r->servers, v->arr.v[i]->str.s);
	if ((v = zsync_toml_get(t, "axfr_server")))
		r->axfr_server = zsync_xstrdup(v->str.s);
	for (size_t i = 0; i < r->servers.n; i++) {
		char host[256];
		uint16_t port;
		if ((ret = zsync_dns_split_server(r->servers.v[i], host, sizeof(host), &port, err)) < 0)
			goto out;
	}
	ret = zsync_provider_tsig_key(conf, cfg, &r->key, err);
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
		return zsync_dns_axfr(r->axfr_server, zone, r->key, r->timeout_ms, out, err);
	/* the next server only when this one cannot be reached: an answer is an answer */
	for (size_t i = 0; i < r->servers.n; i++) {
		ret = zsync_dns_axfr(r->servers.v[i], zone, r->key, r->timeout_ms, out, err);
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
static void change_rrs(const struct zsync_change *c, struct rrlist *pre, struct rrlist *upd)
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
	/* adds first (all of them when the TTL changes: re-adding sets the RRset's TTL), then
	 * removals one by one: an apex NS set never goes empty, which servers refuse */
	rd = n->rdata;
	for (uint16_t i = 0; i < n->count; i++, rd = zsync_rdata_next(rd))
		if (!o || o->ttl != c->ttl || !has_rdata(o, rd))
			rr_add(upd, n->owner, n->type, ZSYNC_DNS_CLASS_IN, c->ttl, rd);
	if (o) {
		rd = o->rdata;
		for (uint16_t i = 0; i < o->count; i++, rd = zsync_rdata_next(rd))
			if (!has_rdata(n, rd))
				rr_add(upd, o->owner, o->type, ZSYNC_DNS_CLASS_NONE, 0, rd);
	}
}

static int send_batch(struct rfc2136 *r, const char *zone, const struct zsync_rrset *soa,
		      struct rrlist *pre, struct rrlist *upd, struct zsync_err *err)
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
		ret = zsync_dns_update(r->servers.v[i], zone, r->key, r->timeout_ms, all.v, all.n,
				       upd->v, upd->n, err);
		if (ret != ZSYNC_EIO || strstr(err->msg, "refused") || strstr(err->msg, "NOTAUTH"))
			break; /* only an unreachable server sends us to the next one */
	}
	free(all.v);
	return ret;
}

/*
 * BIND refuses a whole UPDATE that adds an MX/SRV/NS whose target inside the zone has no
 * address (check-integrity). Name such a target, so the operator knows what to fix.
 */
static void explain_refusal(struct zsync_zone *desired, struct zsync_err *err)
{
	const uint8_t *apex = zsync_zone_origin(desired);
	for (size_t i = 0; i < zsync_zone_iter_count(desired); i++) {
		const struct zsync_rrset *r = zsync_zone_iter(desired, i);
		const uint8_t *rd;
		if (!r || (r->type != ZSYNC_TYPE_MX && r->type != ZSYNC_TYPE_SRV && r->type != ZSYNC_TYPE_NS))
			continue;
		rd = r->rdata;
		for (uint16_t k = 0; k < r->count; k++, rd = zsync_rdata_next(rd)) {
			const uint8_t *t = zsync_rdata_target(r->type, rd);
			if (!t || !*t || !zsync_name_in_zone(t, apex) ||
			    zsync_zone_find(desired, t, ZSYNC_TYPE_A) || zsync_zone_find(desired, t, ZSYNC_TYPE_AAAA))
				continue;
			char tn[ZSYNC_NAME_TXT_MAXLEN + 1], on[ZSYNC_NAME_TXT_MAXLEN + 1], ty[32];
			zsync_err_prefix(err, "%s (%s of %s) has no address record in the zone, which BIND refuses",
					 zsync_name_to_text(t, tn, sizeof(tn)), zsync_type_to_text(r->type, ty, sizeof(ty)),
					 zsync_name_to_text(r->owner, on, sizeof(on)));
			return;
		}
	}
}

static int r_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct rfc2136 *r = priv;
	const struct zsync_changeset *cs = req->changes;
	struct zsync_zone *now = NULL;
	const struct zsync_rrset *soa;
	struct rrlist pre = { 0 }, upd = { 0 };
	size_t limit = 65000 - zsync_dns_update_overhead(req->zone, r->key), sent = 0, messages = 0;
	int ret = 0;

	if (req->create_zone || !req->base)
		return zsync_err_set(err, ZSYNC_EINVAL, "RFC 2136 cannot create zones");
	soa = zsync_zone_find(req->base, zsync_zone_origin(req->base), ZSYNC_TYPE_SOA);
	for (int ph = 0; ph < 4; ph++) {
		for (size_t i = 0; i < cs->n; i++) {
			const struct zsync_change *c = &cs->v[i];
			struct rrlist p1 = { 0 }, u1 = { 0 };
			if (phase(cs, c) != ph)
				continue;
			change_rrs(c, &p1, &u1);
			/* a change never straddles two messages: it travels with its own guards */
			if (pre.n + upd.n && pre.bytes + upd.bytes + p1.bytes + u1.bytes + 300 > limit) {
				ret = send_batch(r, req->zone, messages ? NULL : soa, &pre, &upd, err);
				messages++;
				pre.n = upd.n = pre.bytes = upd.bytes = 0;
				if (ret < 0) {
					free(p1.v);
					free(u1.v);
					goto out;
				}
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
			sent++;
		}
	}
	if (pre.n + upd.n) {
		ret = send_batch(r, req->zone, messages ? NULL : soa, &pre, &upd, err);
		messages++;
		if (ret < 0)
			goto out;
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
			ret = zsync_err_set(err, ZSYNC_EIO,
					    "the server accepted the update but does not serve %s %s as sent (a server drops, e.g., a CNAME beside other data)",
					    zsync_name_to_text(any->owner, name, sizeof(name)),
					    zsync_type_to_text(any->type, type, sizeof(type)));
			break;
		}
	}
out:
	if (ret == ZSYNC_EIO && strstr(err->msg, "(REFUSED)"))
		explain_refusal(req->desired, err);
	if (ret < 0 && messages > 1 && ret != ZSYNC_ECONFLICT)
		zsync_err_prefix(err, "after %zu of %zu messages", messages - 1, messages);
	zsync_zone_free(now);
	free(pre.v);
	free(upd.v);
	(void)sent;
	return ret;
}

const struct zsync_provider_type zsync_provider_rfc2136 = {
	.name = "rfc2136",
	.caps = ZSYNC_CAP_APEX_NS,
	.open = r_open,
	.fetch = r_fetch,
	.apply = r_apply,
	.close = r_close,
};
