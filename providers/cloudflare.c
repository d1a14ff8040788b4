/*
 * cloudflare.c - Cloudflare API v4: one record object per value, grouped into RRsets on
 * read; every change of a zone goes through the batch endpoint (deletes, patches, posts in
 * one transaction per call), split at the per-call limit. TTL 1 is "automatic" (300 s); a proxied
 * record stays proxied (and its TTL is Cloudflare's).
 */
#include "provider.h"
#include "cloudflare.h"
#include "support.h"
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 200 /* the Free plan's limit per batch call: safe on every plan */
#define PER_PAGE 100

/* The types Cloudflare's API documents (its OpenAPI schema: A ... URI, OPENPGPKEY) */
enum {
	T_CERT = 37, T_NAPTR = 35, T_LOC = 29, T_SSHFP = 44, T_TLSA = 52, T_SMIMEA = 53,
	T_OPENPGPKEY = 61, T_SVCB = 64, T_HTTPS = 65, T_URI = 256,
};
static const uint16_t cf_types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA, ZSYNC_TYPE_CNAME, ZSYNC_TYPE_MX,
				      ZSYNC_TYPE_NS, ZSYNC_TYPE_PTR, ZSYNC_TYPE_TXT, ZSYNC_TYPE_SRV,
				      ZSYNC_TYPE_CAA, ZSYNC_TYPE_DS, ZSYNC_TYPE_DNSKEY, T_CERT, T_NAPTR,
				      T_LOC, T_SSHFP, T_TLSA, T_SMIMEA, T_OPENPGPKEY, T_SVCB, T_HTTPS,
				      T_URI, 0 };

/*
 * The `data` object of the types that have one, field by field in the order of the
 * type's presentation form (kinds: support.h); URI's priority is the record's top-level
 * `priority`. LOC has its own reader and writer.
 */
static const struct zsync_api_fields cf_data[] = {
	{ ZSYNC_TYPE_SRV, "iiin", { "priority", "weight", "port", "target" } },
	{ ZSYNC_TYPE_CAA, "iws", { "flags", "tag", "value" } },
	{ ZSYNC_TYPE_DS, "iiir", { "key_tag", "algorithm", "digest_type", "digest" } },
	{ ZSYNC_TYPE_DNSKEY, "iiir", { "flags", "protocol", "algorithm", "public_key" } },
	{ T_CERT, "iiir", { "type", "key_tag", "algorithm", "certificate" } },
	{ T_NAPTR, "iisssn", { "order", "preference", "flags", "service", "regex", "replacement" } },
	{ T_SSHFP, "iir", { "algorithm", "type", "fingerprint" } },
	{ T_TLSA, "iiir", { "usage", "selector", "matching_type", "certificate" } },
	{ T_SMIMEA, "iiir", { "usage", "selector", "matching_type", "certificate" } },
	{ T_SVCB, "inv", { "priority", "target", "value" } },
	{ T_HTTPS, "inv", { "priority", "target", "value" } },
	{ T_URI, "pis", { "priority", "weight", "target" } },
	{ T_LOC, "", { 0 } },
	{ 0, NULL, { 0 } },
};

static const char *const loc_fields[] = { "lat_degrees", "lat_minutes", "lat_seconds", "lat_direction",
					  "long_degrees", "long_minutes", "long_seconds", "long_direction",
					  "altitude", "size", "precision_horz", "precision_vert" };

/* One Cloudflare record: its id, and its value in our canonical form. */
struct cf_rec {
	char id[40];
	uint8_t *owner; /* wire form, in one allocation with item */
	uint16_t type;
	uint8_t *item; /* canonical rdata item (length-prefixed) */
	bool proxied;
	uint32_t ttl;
};

/* What a fetch learnt about one zone, for its apply: the zone id and each record's id. */
struct cf_zone {
	char zone_id[64];
	struct cf_rec *recs;
	size_t nrecs;
	char *apex_ns; /* the zone's assigned nameservers, as zone-file lines */
	uintptr_t read; /* the zone model that read returned, by identity (never dereferenced) */
};

/*
 * Calls for different zones overlap (ZSYNC_CAP_CONCURRENT): the client is shared safely
 * (http.h) and each zone's state is its own, taken by its apply (zsync_provider_states).
 */
struct cf {
	struct zsync_http *http;
	char *base;
	struct zsync_provider_states zones; /* zone name -> struct cf_zone, from its last fetch */
	const char *name; /* the provider's, for warnings */
};

static void cf_zone_free(void *p)
{
	struct cf_zone *cz = p;
	if (!cz)
		return;
	for (size_t i = 0; i < cz->nrecs; i++)
		free(cz->recs[i].owner);
	free(cz->recs);
	free(cz->apex_ns);
	free(cz);
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
	c->name = conf->name;
	zsync_provider_states_init(&c->zones, cf_zone_free);
	*priv = c;
	return 0;
}

static void c_close(void *priv)
{
	struct cf *c = priv;
	if (!c)
		return;
	zsync_provider_states_release(&c->zones);
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


/* The presentation of a `data` object, NULL when a field is missing or malformed. */
static char *data_text(const struct zsync_api_fields *dd, json_t *rec, json_t *d)
{
	char *out, *more;

	if (dd->type != T_LOC)
		return zsync_provider_fields_text(dd, d, rec);
	if (!json_is_object(d))
		return NULL;
	/* d m s N d m s E alt size hp vp */
	out = zsync_xstrdup("");
	for (int i = 0; i < 12; i++) {
		json_t *f = json_object_get(d, loc_fields[i]);
		if (i == 3 || i == 7) {
			const char *dir = json_string_value(f);
			if (!dir || strlen(dir) != 1 || !strchr(i == 3 ? "NS" : "EW", dir[0]))
				goto bad;
			more = zsync_xasprintf("%s %s", out, dir);
		} else {
			if (!json_is_number(f))
				goto bad;
			double x = json_number_value(f);
			more = i >= 8 ? zsync_xasprintf("%s %.2fm", out, x)
			       : i == 2 || i == 6 ? zsync_xasprintf("%s %.3f", out, x)
			       : zsync_xasprintf("%s %lld", out, (long long)x);
		}
		free(out);
		out = more;
	}
	return out;
bad:
	free(out);
	return NULL;
}

/* A record object as a zone-file line; NULL for what zonesync does not manage. */
static char *record_line(json_t *rec)
{
	const char *name = json_string_value(json_object_get(rec, "name"));
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *content = json_string_value(json_object_get(rec, "content"));
	json_int_t ttl = json_integer_value(json_object_get(rec, "ttl"));
	const struct zsync_api_fields *dd;
	char *value = NULL, *line, *owner;
	uint16_t tn;

	if (!name || !type || zsync_type_from_text(type, &tn) < 0 || (content && strpbrk(content, "\r\n")))
		return NULL;
	if (ttl <= 1)
		ttl = 300; /* automatic: the RRset is flagged so that its TTL never counts as a change */
	if ((dd = zsync_provider_fields_of(cf_data, tn))) {
		value = data_text(dd, rec, json_object_get(rec, "data"));
	} else if (!strcmp(type, "A") || !strcmp(type, "AAAA") || !strcmp(type, "OPENPGPKEY")) {
		value = content ? zsync_xstrdup(content) : NULL;
	} else if (!strcmp(type, "CNAME") || !strcmp(type, "NS") || !strcmp(type, "PTR")) {
		value = content ? zsync_xasprintf("%s%s", content, strcmp(content, ".") ? "." : "") : NULL;
	} else if (!strcmp(type, "MX")) {
		if (content)
			value = zsync_xasprintf("%lld %s%s", (long long)json_integer_value(json_object_get(rec, "priority")),
						content, strcmp(content, ".") ? "." : "");
	} else if (!strcmp(type, "TXT")) {
		/* quoted strings, or one bare string: Cloudflare has used both */
		if (content)
			value = zsync_provider_txt_quote(content);
	}
	if (!value)
		return NULL;
	owner = zsync_provider_name_text(name);
	line = zsync_xasprintf("%s %lld IN %s %s\n", owner, (long long)ttl, type, value);
	free(owner);
	free(value);
	return line;
}

/* A record of a managed type that cannot be read: said, and left alone (never changed or deleted). */
static void unreadable(const struct cf *c, const char *zone, json_t *rec, const char *why)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *name = json_string_value(json_object_get(rec, "name"));
	const char *type = json_string_value(json_object_get(rec, "type"));
	fprintf(stderr, "zonesync: warning: provider '%s': zone '%s': record %s (%.100s %s) cannot be read (%s): left alone\n",
		c->name ? c->name : "cloudflare", zone, id ? id : "?", name ? name : "?", type ? type : "?", why);
}

/*
 * The record objects of one page of dns_records into z, and their ids into cz->recs. A
 * record that cannot be read is a warning (unreadable), never a failure of the zone.
 */
static void read_records(const struct cf *c, struct cf_zone *cz, json_t *res, const char *zone,
			 struct zsync_zone *z)
{
	json_t *rec;
	size_t i;

	json_array_foreach(res, i, rec) {
		char *line = record_line(rec);
		const char *id = json_string_value(json_object_get(rec, "id"));
		struct zsync_zone *one;
		struct zsync_err lerr = { 0 };
		const char *rtype = json_string_value(json_object_get(rec, "type"));
		uint16_t rt;
		if (!line && id && rtype && zsync_type_from_text(rtype, &rt) == 0 && rt != ZSYNC_TYPE_SOA)
			unreadable(c, zone, rec, "its fields are not what the API documents");
		if (!line || !id || strlen(id) >= sizeof(cz->recs[0].id)) {
			free(line);
			continue; /* SOA, types zonesync does not manage */
		}
		/* each value alone, to know its id: the same scanner as git's zones */
		one = zsync_zone_new(zone, &lerr);
		if (!one || zsync_zone_add_text(one, line, strlen(line), &lerr) < 0 || zsync_zone_rrset_count(one) != 1) {
			/* one record zonesync cannot read never makes the zone unreadable */
			unreadable(c, zone, rec, lerr.msg);
			free(line);
			zsync_zone_free(one);
			continue;
		}
		const struct zsync_rrset *rs = zsync_zone_iter(one, 0);
		size_t isz = zsync_rrset_rdata_size(rs);
		if ((cz->nrecs & (cz->nrecs - 1)) == 0) /* doubled at each power of two */
			cz->recs = zsync_xrealloc(cz->recs, (cz->nrecs ? cz->nrecs * 2 : 1) * sizeof(*cz->recs));
		struct cf_rec *cr = &cz->recs[cz->nrecs++];
		snprintf(cr->id, sizeof(cr->id), "%s", id);
		cr->owner = zsync_xmalloc(rs->owner_len + isz);
		memcpy(cr->owner, rs->owner, rs->owner_len);
		cr->type = rs->type;
		cr->item = cr->owner + rs->owner_len;
		memcpy(cr->item, rs->rdata, isz);
		cr->proxied = json_is_true(json_object_get(rec, "proxied"));
		cr->ttl = (uint32_t)json_integer_value(json_object_get(rec, "ttl"));
		zsync_zone_add_text(z, line, strlen(line), &lerr);
		/* a proxied record's TTL is Cloudflare's; a plain one at 1 ("automatic") serves
		 * 300 s, a TTL like any other that plan must be able to correct */
		if (cr->proxied)
			zsync_zone_flag(z, rs->owner, rs->type, ZSYNC_RRSET_TTL_ANY);
		free(line);
		zsync_zone_free(one);
	}
}

int zsync_cloudflare_zone(const json_t *zone_obj, const json_t *records, const char *zone,
			  struct zsync_zone **out, struct zsync_err *err)
{
	struct cf c = { 0 };
	struct cf_zone *cz = zsync_xcalloc(1, sizeof(*cz));
	char *apex = apex_ns_lines(json_object_get(zone_obj, "name_servers"));
	int ret = 0;

	if (!(*out = zsync_zone_new(zone, err)))
		ret = ZSYNC_EINVAL;
	else if (apex && zsync_zone_add_text(*out, apex, strlen(apex), err) < 0)
		ret = ZSYNC_EINVAL;
	else if (!json_is_array(records))
		ret = zsync_err_set(err, ZSYNC_EINVAL, "malformed record list");
	else
		read_records(&c, cz, (json_t *)records, zone, *out);
	if (ret < 0) {
		zsync_zone_free(*out);
		*out = NULL;
	}
	cf_zone_free(cz);
	free(apex);
	return ret;
}

static int find_zone(struct cf *c, struct cf_zone *cz, const char *zone, struct zsync_err *err)
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
	    strlen(json_string_value(json_object_get(z0, "id"))) >= sizeof(cz->zone_id))
		ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
	else {
		snprintf(cz->zone_id, sizeof(cz->zone_id), "%s", json_string_value(json_object_get(z0, "id")));
		cz->apex_ns = apex_ns_lines(json_object_get(z0, "name_servers"));
	}
	zsync_http_resp_release(&r);
	return ret;
}

/* The zone's assigned nameservers (name_servers of the zone object): Cloudflare's own. */
static int c_nameservers(void *priv, const struct zsync_provider_conf *conf, const char *zone,
			 struct zsync_strlist *out, struct zsync_err *err)
{
	struct cf *c = priv;
	struct zsync_http_resp r;
	char *name = zsync_provider_no_dot(zone), *esc = zsync_http_escape(name);
	char *url = zsync_xasprintf("%s/zones?name=%s", c->base, esc);
	int ret = get(c, url, &r, err);
	json_t *z0, *v;
	size_t i;

	(void)conf;
	free(url);
	free(esc);
	free(name);
	if (ret < 0)
		return ret;
	z0 = json_array_get(json_object_get(r.json, "result"), 0);
	if (!z0)
		ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
	json_array_foreach(json_object_get(z0, "name_servers"), i, v) {
		if (ret == 0 && (ret = zsync_provider_add_ns_name(out, json_string_value(v), err)) < 0)
			zsync_err_prefix(err, "malformed name_servers entry");
	}
	zsync_http_resp_release(&r);
	return ret;
}

/* The zone's records, and into the zone's state (kept for its apply) their ids. */
static int c_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct cf *c = priv;
	struct cf_zone *cz = zsync_xcalloc(1, sizeof(*cz));
	struct zsync_zone *z = NULL;
	int ret;

	*out = NULL;
	if ((ret = find_zone(c, cz, zone, err)) < 0)
		goto fail;
	if (!(z = zsync_zone_new(zone, err))) {
		ret = ZSYNC_EINVAL;
		goto fail;
	}
	if (cz->apex_ns && zsync_zone_add_text(z, cz->apex_ns, strlen(cz->apex_ns), err) < 0) {
		ret = ZSYNC_EINVAL;
		goto fail;
	}
	for (long page = 1;; page++) {
		struct zsync_http_resp r;
		char *url = zsync_xasprintf("%s/zones/%s/dns_records?page=%ld&per_page=%d", c->base, cz->zone_id, page, PER_PAGE);
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
		read_records(c, cz, res, zone, z);
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
	cz->read = (uintptr_t)z;
	zsync_provider_states_put(&c->zones, zone, cz);
	*out = z;
	return 0;
fail:
	zsync_zone_free(z);
	cf_zone_free(cz);
	/* nor what an earlier read of the zone learnt: it is no longer known to be true */
	cf_zone_free(zsync_provider_states_take(&c->zones, zone));
	return ret;
}

/* The `data` object (and URI's priority) from the presentation form txt; NULL if it does not fit. */
static json_t *data_json(const struct zsync_api_fields *dd, const char *txt, json_t *rec)
{
	const char *p = txt, *t;
	json_t *d;
	size_t n;

	if (dd->type != T_LOC)
		return zsync_provider_fields_json(dd, txt, rec);
	d = json_object();
	/* libknot: d [m [s]] N|S d [m [s]] E|W alt[m] [size[m] [hp[m] [vp[m]]]] */
	double v[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 10000, 10 };
	char dir[2][2] = { "N", "E" };
	int k = 0;
	for (int half = 0; half < 2; half++) {
		for (k = 0; (t = zsync_provider_next_token(&p, &n)); k++) {
			if (n == 1 && strchr(half ? "EW" : "NS", *t)) {
				dir[half][0] = *t;
				break;
			}
			if (k < 3)
				v[half * 4 + k] = strtod(t, NULL);
		}
	}
	for (k = 8; k < 12 && (t = zsync_provider_next_token(&p, &n)); k++)
		v[k] = strtod(t, NULL);
	for (int i = 0; i < 12; i++) {
		if (i == 3 || i == 7)
			json_object_set_new(d, loc_fields[i], json_string(dir[i == 7]));
		else if (i == 2 || i == 6 || i >= 8)
			json_object_set_new(d, loc_fields[i], json_real(v[i]));
		else
			json_object_set_new(d, loc_fields[i], json_integer((json_int_t)v[i]));
	}
	return d;
}

/* The request fields of one value: name, type, content or data, priority. */
static json_t *record_body(const uint8_t *owner, uint16_t type, const uint8_t *item, uint32_t ttl,
			   bool proxied)
{
	char name[ZSYNC_NAME_TXT_MAXLEN + 1], tname[32], *txt = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN);
	const struct zsync_api_fields *dd = zsync_provider_fields_of(cf_data, type);
	struct zsync_err ignored = { 0 };
	json_t *o;
	long p = 0;
	int used = 0;

	/* the plan refused a name the API cannot take (zsync_provider_norm_owner) */
	zsync_provider_owner_text(owner, name, sizeof(name), &ignored);
	o = json_pack("{s:s, s:s, s:I}", "name", name, "type", zsync_type_to_text(type, tname, sizeof(tname)),
		      "ttl", (json_int_t)ttl);
	zsync_rdata_to_text(type, item, txt, ZSYNC_RDATA_TXT_MAXLEN);
	if (dd) {
		json_t *d = data_json(dd, txt, o);
		if (d)
			json_object_set_new(o, "data", d);
	} else if (type == ZSYNC_TYPE_CNAME || type == ZSYNC_TYPE_NS || type == ZSYNC_TYPE_PTR) {
		char *c = zsync_provider_no_dot(txt);
		json_object_set_new(o, "content", json_string(c));
		free(c);
	} else if (type == ZSYNC_TYPE_MX) {
		if (sscanf(txt, "%ld %n", &p, &used) >= 1) {
			char *c = zsync_provider_no_dot(txt + used);
			json_object_set_new(o, "priority", json_integer(p));
			json_object_set_new(o, "content", json_string(c));
			free(c);
		}
	} else { /* A, AAAA, OPENPGPKEY, TXT (quoted strings are what Cloudflare keeps) */
		json_object_set_new(o, "content", json_string(txt));
	}
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

/* "name type" of a record id read by fetch, into buf. */
static const char *id_text(const struct cf_zone *cz, const char *id, char *buf, size_t len)
{
	for (size_t k = 0; id && k < cz->nrecs; k++) {
		if (strcmp(cz->recs[k].id, id) == 0) {
			char on[ZSYNC_NAME_TXT_MAXLEN + 1], ty[32];
			snprintf(buf, len, "%s %s", zsync_name_to_text(cz->recs[k].owner, on, sizeof(on)),
				 zsync_type_to_text(cz->recs[k].type, ty, sizeof(ty)));
			return buf;
		}
	}
	snprintf(buf, len, "record %s", id ? id : "?");
	return buf;
}

/*
 * Cloudflare's refusal of a batch names no record (9005, 81053...): the error lists what
 * the refused call held, the posts first (a new record is what the API validates most).
 */
static void name_batch(const struct cf_zone *cz, json_t *dels, json_t *patches, json_t *posts, struct zsync_err *err)
{
	size_t n = json_array_size(dels) + json_array_size(patches) + json_array_size(posts), shown = 0;
	json_t *lists[3] = { posts, patches, dels }, *x;
	char what[ZSYNC_NAME_TXT_MAXLEN + 64];
	size_t i;

	zsync_err_append(err, "; the refused call held %zu operation%s:", n, n == 1 ? "" : "s");
	for (int l = 0; l < 3; l++) {
		json_array_foreach(lists[l], i, x) {
			if (shown++ == 5) {
				zsync_err_append(err, " ...");
				return;
			}
			const char *name = json_string_value(json_object_get(x, "name"));
			const char *type = json_string_value(json_object_get(x, "type"));
			if (name && type)
				snprintf(what, sizeof(what), "%s. %s", name, type);
			else
				id_text(cz, json_string_value(json_object_get(x, "id")), what, sizeof(what));
			zsync_err_append(err, "%s %s %s", shown > 1 ? "," : "", l == 0 ? "create" : l == 1 ? "update" : "delete", what);
		}
	}
}

static int send_batch(struct cf *c, const struct cf_zone *cz, json_t *dels, json_t *patches, json_t *posts,
		      struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *url = zsync_xasprintf("%s/zones/%s/dns_records/batch", c->base, cz->zone_id);
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
	long status = r.status;
	zsync_http_resp_release(&r);
	/* a refusal of the content (not of the token, nor a rate limit): say what was refused */
	if (ret < 0 && status >= 400 && status < 500 && status != 401 && status != 403 && status != 429)
		name_batch(cz, dels, patches, posts, err);
	return ret;
}

static int c_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct cf *c = priv;
	const struct zsync_changeset *cs = req->changes;
	/* the record ids of the zone's last read, ours alone until this apply ends */
	struct cf_zone *cz = zsync_provider_states_take(&c->zones, req->zone);
	json_t *dels, *patches, *posts;
	size_t batches = 0;
	int ret = 0;

	if (!cz || cz->read != (uintptr_t)req->base) {
		/* not the read behind req->base (an earlier apply used it, or a later read of the
		 * zone replaced it, whose ids may reflect an edit the plan never saw): read it
		 * again and go on only if it is unchanged */
		cf_zone_free(cz);
		if ((ret = zsync_provider_refetch(c_fetch, priv, "", req, err)) < 0)
			return ret;
		if (!(cz = zsync_provider_states_take(&c->zones, req->zone)))
			return zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
	}
	dels = json_array();
	patches = json_array();
	posts = json_array();
	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_change *ch = &cs->v[i];
		const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
		bool proxied = false;
		/* the existing values: delete the ones that go, patch the TTL of the ones that stay */
		for (size_t k = 0; k < cz->nrecs; k++) {
			struct cf_rec *cr = &cz->recs[k];
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
			for (size_t m = 0; m < cz->nrecs && !have; m++)
				have = cz->recs[m].type == any->type && zsync_name_equal(cz->recs[m].owner, any->owner) &&
				       zsync_rdata_cmp(cz->recs[m].item, rd) == 0;
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
				ret = send_batch(c, cz, part[0], part[1], part[2], err);
				batches++;
				for (int k = 0; k < 3; k++)
					json_array_clear(part[k]);
				inpart = 0;
			}
		}
	}
	if (ret == 0 && inpart) {
		ret = send_batch(c, cz, part[0], part[1], part[2], err);
		batches++;
	}
	if (ret < 0 && batches > 1)
		zsync_err_prefix(err, "batch %zu (the earlier ones were applied)", batches);
	for (int k = 0; k < 3; k++) {
		json_decref(part[k]);
		json_decref(lists[k]);
	}
	/* the zone changed (or may have): another apply of it reads it again */
	cf_zone_free(cz);
	return ret;
}

/*
 * What Cloudflare's API cannot hold, refused per record in plan (before anything is sent):
 * a record name it cannot take as text (zsync_provider_norm_owner), an empty TXT (the API
 * answers 9005 "Content cannot be empty"), a CNAME to the root (its content must be a
 * host name), and strings of data fields (CAA value, NAPTR, URI target) outside printable
 * ASCII (support.h).
 */
/* The record as it is: these normalisers only refuse. */
static int keep(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen)
{
	(void)owner;
	memcpy(out, data, len);
	*outlen = len;
	return 0;
}

static int cf_norm_txt(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
		       uint16_t *outlen, struct zsync_err *err)
{
	size_t text = 0;
	for (uint16_t i = 0; i < len; i += 1 + data[i])
		text += data[i];
	if (text == 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "Cloudflare refuses an empty TXT (9005: Content cannot be empty)");
	return keep(owner, data, len, out, outlen);
}

static int cf_norm_cname(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			 uint16_t *outlen, struct zsync_err *err)
{
	if (len == 1 && data[0] == 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "Cloudflare takes a host name as CNAME target, not the root");
	return keep(owner, data, len, out, outlen);
}

static const struct zsync_normaliser cf_normalisers[] = {
	{ ZSYNC_NORM_EVERY_TYPE, "", zsync_provider_norm_owner },
	{ ZSYNC_TYPE_TXT, "", cf_norm_txt },
	{ ZSYNC_TYPE_CNAME, "", cf_norm_cname },
	{ ZSYNC_TYPE_CAA, "", zsync_provider_norm_caa },
	{ T_NAPTR, "", zsync_provider_norm_naptr },
	{ T_URI, "", zsync_provider_norm_uri },
	{ 0 },
};

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
	/*
	 * not ZSYNC_CAP_ATOMIC: more than BATCH_MAX operations go in several batch calls.
	 * ZSYNC_CAP_CONCURRENT: each zone's record ids are its own (struct cf_zone); not
	 * ZSYNC_CAP_APPLY_SIDE_BY_SIDE: the API's rate limit is per user, so one zone's
	 * writes at a time unless `concurrency` says otherwise.
	 */
	.caps = ZSYNC_CAP_CONCURRENT,
	.rrtypes = cf_types,
	.normalisers = cf_normalisers,
	.ttl_min = 60,
	.ttl_max = 86400,
	.open = c_open,
	.fetch = c_fetch,
	.apply = c_apply,
	.usage = c_usage,
	.nameservers = c_nameservers,
	.close = c_close,
};
