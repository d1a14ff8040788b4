/*
 * cloudflare.c - Cloudflare API v4: one record object per value, grouped into RRsets on
 * read; every change of a zone goes through the batch endpoint (deletes, patches, posts in
 * one transaction per call), split at the per-call limit. TTL 1 is "automatic"; a proxied
 * record stays proxied (and its TTL is Cloudflare's).
 */
#include "provider.h"
#include "cloudflare.h"
#include "support.h"
#include "http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 200 /* the Free plan's limit per batch call: safe on every plan */
#define PER_PAGE 100

static const uint16_t cf_types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA, ZSYNC_TYPE_CNAME, ZSYNC_TYPE_MX,
				      ZSYNC_TYPE_NS, ZSYNC_TYPE_PTR, ZSYNC_TYPE_TXT, ZSYNC_TYPE_SRV,
				      ZSYNC_TYPE_CAA, ZSYNC_TYPE_DS, 0 };

/* One Cloudflare record: its id, and its value in our canonical form. */
struct cf_rec {
	char id[40];
	uint8_t owner[ZSYNC_NAME_MAXLEN];
	uint16_t type;
	uint8_t *item; /* canonical rdata item (length-prefixed) */
	bool proxied;
	uint32_t ttl;
};

struct cf {
	struct zsync_http *http;
	char *base;
	char zone[ZSYNC_NAME_TXT_MAXLEN + 2];
	char zone_id[64];
	struct cf_rec *recs;
	size_t nrecs;
	char *apex_ns; /* the zone's assigned nameservers, as zone-file lines */
};

static void clear_recs(struct cf *c)
{
	for (size_t i = 0; i < c->nrecs; i++)
		free(c->recs[i].item);
	free(c->recs);
	c->recs = NULL;
	c->nrecs = 0;
	free(c->apex_ns);
	c->apex_ns = NULL;
}

/* Cloudflare serves its own apex NS and lists them on the zone, not among its
 * records: they are live state all the same (import writes them; diff leaves
 * them to the provider). Only host-name characters reach the scanner. */
static char *apex_ns_lines(json_t *names)
{
	char *out = NULL;
	json_t *v;
	size_t i;

	json_array_foreach(names, i, v) {
		const char *n = json_string_value(v);
		if (!n || !*n || strlen(n) > ZSYNC_NAME_TXT_MAXLEN || strspn(n, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != strlen(n))
			continue;
		char *more = zsync_xasprintf("%s@ 86400 IN NS %s%s\n", out ? out : "", n,
					     n[strlen(n) - 1] == '.' ? "" : ".");
		free(out);
		out = more;
	}
	return out;
}

static int c_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct zsync_http *http;
	char *token, *base;
	struct cf *c;
	int ret;

	if ((ret = zsync_provider_http_open(conf, &http, &base, err)) < 0)
		return ret;
	if ((ret = zsync_config_get_secret(conf, "api_token", &token, err)) < 0) {
		zsync_http_free(http);
		free(base);
		return ret;
	}
	zsync_provider_auth_header(http, "Authorization: Bearer ", token);
	zsync_config_secret_free(token);
	c = zsync_xcalloc(1, sizeof(*c));
	c->http = http;
	c->base = base;
	*priv = c;
	return 0;
}

static void c_close(void *priv)
{
	struct cf *c = priv;
	if (!c)
		return;
	clear_recs(c);
	zsync_http_free(c->http);
	free(c->base);
	free(c);
}

static void c_usage(void *priv, char *buf, size_t len)
{
	struct cf *c = priv;
	snprintf(buf, len, "%zu requests (%zu GET, %zu POST batch)", zsync_http_count(c->http, NULL),
		 zsync_http_count(c->http, "GET"), zsync_http_count(c->http, "POST"));
}

/* Cloudflare's envelope: success, or the first of its errors as "HTTP 400: 81053: message". */
static int envelope(const struct zsync_http_resp *r, struct zsync_err *err)
{
	json_t *errs = json_object_get(r->json, "errors"), *e0 = json_array_get(errs, 0);
	if (!r->json)
		return zsync_err_set(err, ZSYNC_EINVAL, "HTTP %ld: the answer is not JSON", r->status);
	if (r->status == 200 && json_is_true(json_object_get(r->json, "success")))
		return 0;
	if (e0)
		return zsync_err_set(err, r->status == 404 ? ZSYNC_ENOTFOUND : ZSYNC_EIO, "HTTP %ld: %lld: %s%s",
				     r->status, (long long)json_integer_value(json_object_get(e0, "code")),
				     json_string_value(json_object_get(e0, "message")) ?: "(no message)",
				     r->status == 401 || r->status == 403 ? " (check api_token and its DNS permission)" : "");
	return zsync_err_set(err, ZSYNC_EIO, "HTTP %ld: unsuccessful answer", r->status);
}

static int get(struct cf *c, const char *url, struct zsync_http_resp *r, struct zsync_err *err)
{
	int ret = zsync_http_request(c->http, "GET", url, NULL, r, err);
	if (ret == 0 && (ret = envelope(r, err)) < 0)
		zsync_http_resp_release(r);
	return ret;
}


/* A record object as a zone-file line; NULL for what zonesync does not manage. */
static char *record_line(json_t *rec)
{
	const char *name = json_string_value(json_object_get(rec, "name"));
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *content = json_string_value(json_object_get(rec, "content"));
	json_t *d = json_object_get(rec, "data");
	json_int_t ttl = json_integer_value(json_object_get(rec, "ttl"));
	char *value = NULL, *line;

	if (!name || !type || strpbrk(name, " \t\r\n;()$\"") || (content && strpbrk(content, "\r\n")))
		return NULL;
	if (ttl <= 1)
		ttl = 300; /* automatic: the RRset is flagged so that its TTL never counts as a change */
	if (!strcmp(type, "A") || !strcmp(type, "AAAA")) {
		value = content ? zsync_xstrdup(content) : NULL;
	} else if (!strcmp(type, "CNAME") || !strcmp(type, "NS") || !strcmp(type, "PTR")) {
		value = content ? zsync_xasprintf("%s.", content) : NULL;
	} else if (!strcmp(type, "MX")) {
		if (content)
			value = zsync_xasprintf("%lld %s%s", (long long)json_integer_value(json_object_get(rec, "priority")),
						content, strcmp(content, ".") ? "." : "");
	} else if (!strcmp(type, "TXT")) {
		if (content) {
			/* quoted strings, or one bare string: Cloudflare has used both */
			value = zsync_provider_txt_quote(content);
		}
	} else if (!strcmp(type, "SRV") && json_is_object(d)) {
		const char *t = json_string_value(json_object_get(d, "target"));
		if (t)
			value = zsync_xasprintf("%lld %lld %lld %s%s", (long long)json_integer_value(json_object_get(d, "priority")),
						(long long)json_integer_value(json_object_get(d, "weight")),
						(long long)json_integer_value(json_object_get(d, "port")), t,
						strcmp(t, ".") ? "." : "");
	} else if (!strcmp(type, "CAA") && json_is_object(d)) {
		const char *tag = json_string_value(json_object_get(d, "tag"));
		const char *v = json_string_value(json_object_get(d, "value"));
		if (tag && v && !strpbrk(v, "\"\\\r\n") && !strpbrk(tag, " \"\r\n"))
			value = zsync_xasprintf("%lld %s \"%s\"", (long long)json_integer_value(json_object_get(d, "flags")), tag, v);
	} else if (!strcmp(type, "DS") && json_is_object(d)) {
		const char *dg = json_string_value(json_object_get(d, "digest"));
		if (dg && !strpbrk(dg, " \r\n"))
			value = zsync_xasprintf("%lld %lld %lld %s", (long long)json_integer_value(json_object_get(d, "key_tag")),
						(long long)json_integer_value(json_object_get(d, "algorithm")),
						(long long)json_integer_value(json_object_get(d, "digest_type")), dg);
	}
	if (!value)
		return NULL;
	line = zsync_xasprintf("%s. %lld IN %s %s\n", name, (long long)ttl, type, value);
	free(value);
	return line;
}

/* The record objects of one page of dns_records into z, and their ids into c->recs. */
static int read_records(struct cf *c, json_t *res, const char *zone, struct zsync_zone *z,
			struct zsync_err *err)
{
	json_t *rec;
	size_t i;

	json_array_foreach(res, i, rec) {
		char *line = record_line(rec);
		const char *id = json_string_value(json_object_get(rec, "id"));
		struct zsync_zone *one;
		struct zsync_err lerr = { 0 };
		if (!line || !id || strlen(id) >= sizeof(c->recs[0].id)) {
			free(line);
			continue; /* SOA, types zonesync does not manage */
		}
		/* each value alone, to know its id: the same scanner as git's zones */
		one = zsync_zone_new(zone, &lerr);
		if (!one || zsync_zone_add_text(one, line, strlen(line), &lerr) < 0 || zsync_zone_rrset_count(one) != 1) {
			int ret = zsync_err_set(err, ZSYNC_EINVAL, "record %s cannot be read: %s", id, lerr.msg);
			free(line);
			zsync_zone_free(one);
			return ret;
		}
		const struct zsync_rrset *rs = zsync_zone_iter(one, 0);
		size_t isz = zsync_rrset_rdata_size(rs);
		c->recs = zsync_xrealloc(c->recs, (c->nrecs + 1) * sizeof(*c->recs));
		struct cf_rec *cr = &c->recs[c->nrecs++];
		snprintf(cr->id, sizeof(cr->id), "%s", id);
		memcpy(cr->owner, rs->owner, rs->owner_len);
		cr->type = rs->type;
		cr->item = zsync_xmalloc(isz);
		memcpy(cr->item, rs->rdata, isz);
		cr->proxied = json_is_true(json_object_get(rec, "proxied"));
		cr->ttl = (uint32_t)json_integer_value(json_object_get(rec, "ttl"));
		zsync_zone_add_text(z, line, strlen(line), &lerr);
		if (cr->ttl <= 1)
			zsync_zone_flag(z, rs->owner, rs->type, ZSYNC_RRSET_TTL_ANY);
		free(line);
		zsync_zone_free(one);
	}
	return 0;
}

int zsync_cloudflare_zone(const json_t *zone_obj, const json_t *records, const char *zone,
			  struct zsync_zone **out, struct zsync_err *err)
{
	struct cf c = { 0 };
	char *apex = apex_ns_lines(json_object_get(zone_obj, "name_servers"));
	int ret = 0;

	if (!(*out = zsync_zone_new(zone, err)))
		ret = ZSYNC_EINVAL;
	else if (apex && zsync_zone_add_text(*out, apex, strlen(apex), err) < 0)
		ret = ZSYNC_EINVAL;
	else if (!json_is_array(records))
		ret = zsync_err_set(err, ZSYNC_EINVAL, "malformed record list");
	else
		ret = read_records(&c, (json_t *)records, zone, *out, err);
	if (ret < 0) {
		zsync_zone_free(*out);
		*out = NULL;
	}
	clear_recs(&c);
	free(apex);
	return ret;
}

static int find_zone(struct cf *c, const char *zone, struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *name = zsync_provider_no_dot(zone), *esc = zsync_http_escape(name);
	char *url = zsync_xasprintf("%s/zones?name=%s", c->base, esc);
	int ret = get(c, url, &r, err);
	json_t *z0;

	free(url);
	free(esc);
	free(name);
	if (ret < 0)
		return ret;
	z0 = json_array_get(json_object_get(r.json, "result"), 0);
	if (!z0 || !json_is_string(json_object_get(z0, "id")) ||
	    strlen(json_string_value(json_object_get(z0, "id"))) >= sizeof(c->zone_id))
		ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
	else {
		snprintf(c->zone_id, sizeof(c->zone_id), "%s", json_string_value(json_object_get(z0, "id")));
		c->apex_ns = apex_ns_lines(json_object_get(z0, "name_servers"));
	}
	zsync_http_resp_release(&r);
	return ret;
}

static int c_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct cf *c = priv;
	struct zsync_zone *z = NULL;
	int ret;

	*out = NULL;
	clear_recs(c);
	snprintf(c->zone, sizeof(c->zone), "%s", zone);
	if ((ret = find_zone(c, zone, err)) < 0)
		return ret;
	if (!(z = zsync_zone_new(zone, err)))
		return ZSYNC_EINVAL;
	if (c->apex_ns && zsync_zone_add_text(z, c->apex_ns, strlen(c->apex_ns), err) < 0) {
		zsync_zone_free(z);
		return ZSYNC_EINVAL;
	}
	for (long page = 1;; page++) {
		struct zsync_http_resp r;
		char *url = zsync_xasprintf("%s/zones/%s/dns_records?page=%ld&per_page=%d", c->base, c->zone_id, page, PER_PAGE);
		json_t *res, *info;
		ret = get(c, url, &r, err);
		free(url);
		if (ret < 0)
			goto fail;
		res = json_object_get(r.json, "result");
		info = json_object_get(r.json, "result_info");
		if (!json_is_array(res)) {
			zsync_http_resp_release(&r);
			ret = zsync_err_set(err, ZSYNC_EINVAL, "malformed record list");
			goto fail;
		}
		if ((ret = read_records(c, res, zone, z, err)) < 0) {
			zsync_http_resp_release(&r);
			goto fail;
		}
		/* stop at total_pages when given; else on a short page (the server may cap per_page) */
		json_int_t count = (json_int_t)json_array_size(res);
		json_int_t pages = json_integer_value(json_object_get(info, "total_pages"));
		json_int_t per_page = json_integer_value(json_object_get(info, "per_page"));
		zsync_http_resp_release(&r);
		if (pages ? page >= pages : count < (per_page > 0 ? per_page : PER_PAGE))
			break;
		if (count == 0 || page >= 100000)
			break;
	}
	*out = z;
	return 0;
fail:
	zsync_zone_free(z);
	clear_recs(c);
	return ret;
}

/* The request fields of one value: name, type, content or data, priority. */
static json_t *record_body(const uint8_t *owner, uint16_t type, const uint8_t *item, uint32_t ttl,
			   bool proxied)
{
	char name[ZSYNC_NAME_TXT_MAXLEN + 1], tname[32], *txt = zsync_xmalloc(4 * 65536 + 4096);
	char *n = zsync_provider_no_dot(zsync_name_to_text(owner, name, sizeof(name)));
	json_t *o = json_pack("{s:s, s:s, s:I}", "name", n, "type", zsync_type_to_text(type, tname, sizeof(tname)),
			      "ttl", (json_int_t)ttl);
	long a = 0, b = 0, p = 0;
	int used = 0;

	free(n);
	zsync_rdata_to_text(type, item, txt, 4 * 65536 + 4096);
	switch (type) {
	case ZSYNC_TYPE_CNAME:
	case ZSYNC_TYPE_NS:
	case ZSYNC_TYPE_PTR: {
		char *c = zsync_provider_no_dot(txt);
		json_object_set_new(o, "content", json_string(c));
		free(c);
		break;
	}
	case ZSYNC_TYPE_MX:
		if (sscanf(txt, "%ld %n", &p, &used) >= 1) {
			char *c = zsync_provider_no_dot(txt + used);
			json_object_set_new(o, "priority", json_integer(p));
			json_object_set_new(o, "content", json_string(c));
			free(c);
		}
		break;
	case ZSYNC_TYPE_SRV: {
		char target[ZSYNC_NAME_TXT_MAXLEN + 1];
		long port = 0;
		if (sscanf(txt, "%ld %ld %ld %1005s", &p, &a, &port, target) == 4) {
			char *t = zsync_provider_no_dot(target);
			json_object_set_new(o, "data", json_pack("{s:I, s:I, s:I, s:s}", "priority", (json_int_t)p,
								 "weight", (json_int_t)a, "port", (json_int_t)port, "target", t));
			free(t);
		}
		break;
	}
	case ZSYNC_TYPE_CAA: {
		char tag[64];
		if (sscanf(txt, "%ld %63s %n", &a, tag, &used) == 2) {
			/* the value: between the quotes, unescaped */
			const char *v = txt + used;
			char *val = zsync_xstrdup(v[0] == '"' ? v + 1 : v);
			size_t l = strlen(val);
			if (l && val[l - 1] == '"')
				val[l - 1] = '\0';
			json_object_set_new(o, "data", json_pack("{s:I, s:s, s:s}", "flags", (json_int_t)a, "tag", tag, "value", val));
			free(val);
		}
		break;
	}
	case ZSYNC_TYPE_DS: {
		long alg = 0, dt = 0;
		if (sscanf(txt, "%ld %ld %ld %n", &a, &alg, &dt, &used) == 3) {
			char *dg = zsync_xstrdup(txt + used);
			for (char *s = dg; *s; s++)
				if (*s == ' ')
					memmove(s, s + 1, strlen(s));
			json_object_set_new(o, "data", json_pack("{s:I, s:I, s:I, s:s}", "key_tag", (json_int_t)a,
								 "algorithm", (json_int_t)alg, "digest_type", (json_int_t)dt, "digest", dg));
			free(dg);
		}
		break;
	}
	default: /* A, AAAA, TXT (quoted strings are what Cloudflare keeps) */
		json_object_set_new(o, "content", json_string(txt));
		break;
	}
	(void)b;
	if (type == ZSYNC_TYPE_A || type == ZSYNC_TYPE_AAAA || type == ZSYNC_TYPE_CNAME)
		json_object_set_new(o, "proxied", json_boolean(proxied));
	free(txt);
	return o;
}

static bool item_in(const struct zsync_rrset *r, const uint8_t *item)
{
	const uint8_t *x = r ? r->rdata : NULL;
	for (uint16_t i = 0; r && i < r->count; i++, x = zsync_rdata_next(x))
		if (zsync_rdata_cmp(x, item) == 0)
			return true;
	return false;
}

static int send_batch(struct cf *c, json_t *dels, json_t *patches, json_t *posts, struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *url = zsync_xasprintf("%s/zones/%s/dns_records/batch", c->base, c->zone_id);
	json_t *body = json_object();
	int ret;

	if (json_array_size(dels))
		json_object_set(body, "deletes", dels);
	if (json_array_size(patches))
		json_object_set(body, "patches", patches);
	if (json_array_size(posts))
		json_object_set(body, "posts", posts);
	ret = zsync_http_request(c->http, "POST", url, body, &r, err);
	free(url);
	json_decref(body);
	if (ret < 0)
		return ret;
	ret = envelope(&r, err);
	zsync_http_resp_release(&r);
	return ret;
}

static int c_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct cf *c = priv;
	const struct zsync_changeset *cs = req->changes;
	json_t *dels = json_array(), *patches = json_array(), *posts = json_array();
	size_t batches = 0;
	int ret = 0;

	if (strcmp(c->zone, req->zone) != 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "apply without a fetch of the same zone");
	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_change *ch = &cs->v[i];
		const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
		bool proxied = false;
		/* the existing values: delete the ones that go, patch the TTL of the ones that stay */
		for (size_t k = 0; k < c->nrecs; k++) {
			struct cf_rec *cr = &c->recs[k];
			if (cr->type != any->type || !zsync_name_equal(cr->owner, any->owner))
				continue;
			proxied |= cr->proxied;
			if (!item_in(ch->new, cr->item))
				json_array_append_new(dels, json_pack("{s:s}", "id", cr->id));
			else if (!cr->proxied && cr->ttl != ch->ttl)
				json_array_append_new(patches, json_pack("{s:s, s:I}", "id", cr->id, "ttl", (json_int_t)ch->ttl));
		}
		if (!ch->new)
			continue;
		const uint8_t *rd = ch->new->rdata;
		for (uint16_t k = 0; k < ch->new->count; k++, rd = zsync_rdata_next(rd)) {
			bool have = false;
			for (size_t m = 0; m < c->nrecs && !have; m++)
				have = c->recs[m].type == any->type && zsync_name_equal(c->recs[m].owner, any->owner) &&
				       zsync_rdata_cmp(c->recs[m].item, rd) == 0;
			if (!have) /* a new value of a proxied RRset is proxied too: as Cloudflare sees it */
				json_array_append_new(posts, record_body(any->owner, any->type, rd, ch->ttl, proxied));
		}
	}
	/* deletes first (then a CNAME may replace an address), each call at most BATCH_MAX
	 * operations; one call is one transaction */
	json_t *lists[3] = { dels, patches, posts };
	json_t *part[3] = { json_array(), json_array(), json_array() };
	size_t inpart = 0;
	for (int l = 0; l < 3 && ret == 0; l++) {
		for (size_t i = 0; i < json_array_size(lists[l]) && ret == 0; i++) {
			json_array_append(part[l], json_array_get(lists[l], i));
			if (++inpart == BATCH_MAX) {
				ret = send_batch(c, part[0], part[1], part[2], err);
				batches++;
				for (int k = 0; k < 3; k++)
					json_array_clear(part[k]);
				inpart = 0;
			}
		}
	}
	if (ret == 0 && inpart) {
		ret = send_batch(c, part[0], part[1], part[2], err);
		batches++;
	}
	if (ret < 0 && batches > 1)
		zsync_err_prefix(err, "batch %zu (the earlier ones were applied)", batches);
	for (int k = 0; k < 3; k++) {
		json_decref(part[k]);
		json_decref(lists[k]);
	}
	return ret;
}

static const struct zsync_conf_key c_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(0, "https://api.cloudflare.com/client/v4"),
	{ "api_token", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL,
	  "an API token with DNS read and edit permission (Authorization: Bearer)" },
	{ 0 },
};

const struct zsync_provider_type zsync_provider_cloudflare = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "cloudflare",
	.summary = "Cloudflare API v4 (records through the batch endpoint)",
	.keys = c_keys,
	/* not ZSYNC_CAP_ATOMIC: more than BATCH_MAX operations go in several batch calls */
	.caps = 0,
	.rrtypes = cf_types,
	.ttl_min = 60,
	.ttl_max = 86400,
	.open = c_open,
	.fetch = c_fetch,
	.apply = c_apply,
	.usage = c_usage,
	.close = c_close,
};
