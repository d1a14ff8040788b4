/*
 * azure.c - Azure DNS (Microsoft.Network/dnsZones, api-version 2018-05-01, JSON): record sets
 * read page by page (nextLink), one PUT or DELETE per changed RRset guarded by its ETag
 * (If-Match; a create by If-None-Match: *), so a concurrent edit is refused (412), never
 * overwritten. Not atomic: the core orders the changes so that targets never vanish, and a
 * failure says which RRsets were written before it. Auth: OAuth2 client credentials at a
 * configurable authority, through the HTTP client's token source. The apex NS and SOA are
 * Azure's own. Calls for different zones may overlap (ZSYNC_CAP_CONCURRENT): the ETags a
 * read learns for the writes are kept per zone.
 */
#include "provider.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_VERSION "2018-05-01"

/* the RecordType enum of the specification */
static const uint16_t az_types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA, ZSYNC_TYPE_CAA, ZSYNC_TYPE_CNAME, ZSYNC_TYPE_MX,
				      ZSYNC_TYPE_NS, ZSYNC_TYPE_PTR, ZSYNC_TYPE_SOA, ZSYNC_TYPE_SRV, ZSYNC_TYPE_TXT, 0 };

struct az_set {
	uint16_t type;
	char *etag;            /* one block: the ETag, then the owner */
	const uint8_t *owner;  /* wire form, in etag's block */
};

/* What a read learnt about one zone for its writes: each record set's ETag. */
struct az_state {
	struct az_set *sets;
	size_t n;
	uintptr_t read; /* the zone model the read returned: compared with the plan's base, never followed */
};

struct azure {
	struct zsync_http *http;
	char *base;      /* ".../subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/dnsZones" */
	char *root;      /* the API's url: nextLink must stay on it */
	char *token_url;
	char *form;      /* the client credentials grant (secret) */
	struct zsync_provider_states states; /* zone -> struct az_state */
};

static void state_free(void *p)
{
	struct az_state *st = p;
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		free(st->sets[i].etag);
	free(st->sets);
	free(st);
}

static int token_fetch(void *ud, struct zsync_http *h, char **token, long *ttl, struct zsync_err *err)
{
	struct azure *a = ud;
	return zsync_http_oauth2_token(h, a->token_url, a->form, token, ttl, err);
}

static void a_close(void *priv)
{
	struct azure *a = priv;
	if (!a)
		return;
	zsync_provider_states_release(&a->states);
	zsync_http_free(a->http);
	free(a->base);
	free(a->root);
	free(a->token_url);
	zsync_config_secret_free(a->form);
	free(a);
}

static int a_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct azure *a = zsync_xcalloc(1, sizeof(*a));
	const char *tenant = zsync_config_get_str(conf, "tenant_id"), *client = zsync_config_get_str(conf, "client_id");
	const char *sub = zsync_config_get_str(conf, "subscription_id"), *rg = zsync_config_get_str(conf, "resource_group");
	const char *authority = zsync_config_get_str(conf, "authority");
	char *secret = NULL, *e[5];
	int ret;

	zsync_provider_states_init(&a->states, state_free);
	if ((ret = zsync_config_get_secret(conf, "client_secret", &secret, err)) < 0)
		goto fail;
	if ((ret = zsync_provider_http_open(conf, &a->http, &a->root, err)) < 0)
		goto fail;
	e[0] = zsync_http_escape(tenant);
	e[1] = zsync_http_escape(client);
	e[2] = zsync_http_escape(secret);
	e[3] = zsync_http_escape(sub);
	e[4] = zsync_http_escape(rg);
	a->token_url = zsync_xasprintf("%.*s/%s/oauth2/v2.0/token",
				       (int)(strlen(authority) - (authority[strlen(authority) - 1] == '/')), authority, e[0]);
	a->form = zsync_xasprintf("grant_type=client_credentials&client_id=%s&client_secret=%s"
				  "&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default", e[1], e[2]);
	a->base = zsync_xasprintf("%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnsZones", a->root,
				  e[3], e[4]);
	zsync_config_secret_free(e[2]);
	for (int i = 0; i < 5; i++)
		if (i != 2)
			free(e[i]);
	zsync_http_token_source(a->http, &(struct zsync_http_token_source){ token_fetch, a });
	zsync_config_secret_free(secret);
	*priv = a;
	return 0;
fail:
	zsync_config_secret_free(secret);
	a_close(a);
	return ret;
}

static void a_usage(void *priv, char *buf, size_t len)
{
	struct azure *a = priv;
	snprintf(buf, len, "%zu requests (%zu GET, %zu PUT, %zu DELETE)", zsync_http_count(a->http, NULL),
		 zsync_http_count(a->http, "GET"), zsync_http_count(a->http, "PUT"), zsync_http_count(a->http, "DELETE"));
}

/* ARM's error: "HTTP 412: PreconditionFailed: The condition ..." */
static int a_error(const struct zsync_http_resp *r, struct zsync_err *err)
{
	json_t *e = json_object_get(r->json, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	if (!code) {
		zsync_http_error(r, err);
		return err->code ? err->code : ZSYNC_EIO;
	}
	/* a 412 is a failure, not a conflict to re-plan at once: the other edit stays until a run
	 * that has read it decides */
	return zsync_err_set(err, r->status == 404 ? ZSYNC_ENOTFOUND : ZSYNC_EIO,
			     "HTTP %ld: %s: %.400s%s", r->status, code, msg ? msg : "(no message)",
			     r->status == 401 || r->status == 403 ? " (check tenant_id, client_id, client_secret and the "
								     "DNS Zone Contributor role)" : "");
}

/* One request to url (absolute); *out: the JSON answer of a 2xx (NULL for an empty one). */
static int call(struct azure *a, const char *method, const char *url, json_t *body, const char *hdr, json_t **out,
		struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
	const char *hdrs[] = { hdr, NULL };
	struct zsync_http_req req = { .method = method, .url = url, .body = payload, .len = payload ? strlen(payload) : 0,
				      .content_type = payload ? "application/json" : NULL, .headers = hdr ? hdrs : NULL,
				      /* a write with If-Match or If-None-Match fails its condition when
				       * sent again after it was done; deleting the zone twice deletes it once */
				      .idempotent = !hdr && !strcmp(method, "DELETE") };
	int ret = zsync_http_send(a->http, &req, &r, err);

	free(payload);
	*out = NULL;
	if (ret < 0)
		return ret;
	if (r.status < 200 || r.status > 299)
		ret = a_error(&r, err);
	else if (r.len && !json_is_object(r.json))
		ret = zsync_err_set(err, ZSYNC_EINVAL, "HTTP %ld: the answer is not a JSON object", r.status);
	else
		*out = json_incref(r.json);
	zsync_http_resp_release(&r);
	return ret;
}

static char *zone_url(struct azure *a, const char *zone, const char *rest)
{
	char *nd = zsync_provider_no_dot(zone), *e = zsync_http_escape(nd);
	char *u = zsync_xasprintf("%s/%s%s%sapi-version=" API_VERSION, a->base, e, rest, strchr(rest, '?') ? "&" : "?");
	free(nd);
	free(e);
	return u;
}

/* ---- reading ------------------------------------------------------------------------- */

static const char *field(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A name in rdata: absolute, with or without its dot. */
static void put_name(FILE *f, const char *n)
{
	char *t = zsync_provider_name_text(n ? n : "");
	fprintf(f, " %s", t);
	free(t);
}

/* The zone-file lines of one record set; 1 when it is not zone data zonesync manages. */
static int set_lines(FILE *f, const char *owner, long long ttl, const char *type, json_t *p)
{
	json_t *arr, *r;
	size_t i;
	bool cname = !strcmp(type, "CNAME"), soa = !strcmp(type, "SOA");
	static const struct {
		const char *type, *key;
	} keys[] = { { "A", "ARecords" }, { "AAAA", "AAAARecords" }, { "CAA", "caaRecords" }, { "MX", "MXRecords" },
		     { "NS", "NSRecords" }, { "PTR", "PTRRecords" }, { "SRV", "SRVRecords" }, { "TXT", "TXTRecords" },
		     { "CNAME", "CNAMERecord" }, { "SOA", "SOARecord" } };
	const char *key = NULL;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!strcmp(keys[k].type, type))
			key = keys[k].key;
	if (!key || json_object_get(p, "targetResourceId"))
		return 1;
	arr = json_object_get(p, key);
	if (cname || soa) {
		json_t *one = arr;
		arr = json_array();
		if (json_is_object(one))
			json_array_append(arr, one);
	} else {
		json_incref(arr);
	}
	json_array_foreach(arr, i, r) {
		fprintf(f, "%s %lld IN %s", owner, ttl, type);
		if (!strcmp(type, "A"))
			fprintf(f, " %s", field(r, "ipv4Address") ?: "");
		else if (!strcmp(type, "AAAA"))
			fprintf(f, " %s", field(r, "ipv6Address") ?: "");
		else if (!strcmp(type, "MX")) {
			fprintf(f, " %lld", (long long)json_integer_value(json_object_get(r, "preference")));
			put_name(f, field(r, "exchange"));
		} else if (!strcmp(type, "NS"))
			put_name(f, field(r, "nsdname"));
		else if (!strcmp(type, "PTR"))
			put_name(f, field(r, "ptrdname"));
		else if (cname)
			put_name(f, field(r, "cname"));
		else if (!strcmp(type, "SRV")) {
			fprintf(f, " %lld %lld %lld", (long long)json_integer_value(json_object_get(r, "priority")),
				(long long)json_integer_value(json_object_get(r, "weight")),
				(long long)json_integer_value(json_object_get(r, "port")));
			put_name(f, field(r, "target"));
		} else if (!strcmp(type, "TXT")) {
			json_t *s;
			size_t k;
			json_array_foreach(json_object_get(r, "value"), k, s) {
				char *q = zsync_provider_string_quote(json_string_value(s) ?: "");
				fprintf(f, " %s", q);
				free(q);
			}
		} else if (!strcmp(type, "CAA")) {
			char *q = zsync_provider_string_quote(field(r, "value") ?: "");
			const char *tag = field(r, "tag") ?: "";
			fprintf(f, " %lld %s %s", (long long)json_integer_value(json_object_get(r, "flags")),
				strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(tag) ? tag : "invalid-tag", q);
			free(q);
		} else if (soa) {
			put_name(f, field(r, "host"));
			put_name(f, field(r, "email"));
			fprintf(f, " %lld %lld %lld %lld %lld", (long long)json_integer_value(json_object_get(r, "serialNumber")),
				(long long)json_integer_value(json_object_get(r, "refreshTime")),
				(long long)json_integer_value(json_object_get(r, "retryTime")),
				(long long)json_integer_value(json_object_get(r, "expireTime")),
				(long long)json_integer_value(json_object_get(r, "minimumTTL")));
		}
		fputc('\n', f);
	}
	json_decref(arr);
	return 0;
}

/* One record set of zone into z, its ETag into st; 1 when it is not zone data zonesync manages. */
static int read_set(const char *zone, struct az_state *st, struct zsync_zone *z, json_t *rs, struct zsync_err *err)
{
	const char *name = field(rs, "name"), *rtype = field(rs, "type"), *etag = field(rs, "etag");
	json_t *p = json_object_get(rs, "properties");
	const char *type = rtype && strrchr(rtype, '/') ? strrchr(rtype, '/') + 1 : rtype;
	char *abs, *owner, *text = NULL;
	uint8_t w[ZSYNC_NAME_MAXLEN];
	size_t tlen = 0;
	uint16_t t;
	FILE *f;
	int ret = 0, r;

	if (!name || !type || !etag || !json_is_object(p))
		return zsync_err_set(err, ZSYNC_EINVAL, "a malformed record set");
	if (zsync_type_from_text(type, &t) < 0)
		return 1;
	abs = !strcmp(name, "@") ? zsync_xstrdup(zone) : zsync_xasprintf("%s.%s", name, zone);
	owner = zsync_provider_name_text(abs);
	f = open_memstream(&text, &tlen);
	r = set_lines(f, owner, (long long)json_integer_value(json_object_get(p, "TTL")), type, p);
	fclose(f);
	if (r == 1) {
		ret = 1;
	} else if (zsync_zone_add_text(z, text, tlen, err) < 0) {
		zsync_err_prefix(err, "record set %s %s cannot be read", abs, type);
		ret = ZSYNC_EINVAL;
	} else if (tlen && zsync_name_from_text(abs, NULL, w) == 0) {
		size_t elen = strlen(etag) + 1, wlen = zsync_name_len(w);
		struct az_set *s;
		if (!(st->n & (st->n + 1))) /* at 0, 1, 3, 7...: doubled */
			st->sets = zsync_xrealloc(st->sets, (st->n * 2 + 1) * sizeof(*st->sets));
		s = &st->sets[st->n++];
		s->type = t;
		s->etag = zsync_xmalloc(elen + wlen);
		memcpy(s->etag, etag, elen);
		memcpy(s->etag + elen, w, wlen);
		s->owner = (const uint8_t *)s->etag + elen;
	}
	free(text);
	free(owner);
	free(abs);
	return ret;
}

/* The zone as Azure serves it, and the ETags its writes need (*st, the caller's). */
static int read_zone(struct azure *a, const char *zone, struct zsync_zone **out, struct az_state **st,
		     struct zsync_err *err)
{
	struct zsync_zone *z = NULL;
	struct az_state *s = NULL;
	char *url = zone_url(a, zone, "");
	json_t *res;
	int ret;

	*out = NULL;
	*st = NULL;
	ret = call(a, "GET", url, NULL, NULL, &res, err);
	free(url);
	if (ret < 0)
		return ret;
	json_decref(res);
	if (!(z = zsync_zone_new(zone, err)))
		return ZSYNC_EINVAL;
	s = zsync_xcalloc(1, sizeof(*s));
	url = zone_url(a, zone, "/all?$top=100");
	for (size_t page = 0; url && page < 100000; page++) {
		json_t *rs;
		size_t i;
		ret = call(a, "GET", url, NULL, NULL, &res, err);
		free(url);
		url = NULL;
		if (ret < 0)
			goto fail;
		json_array_foreach(json_object_get(res, "value"), i, rs) {
			if ((ret = read_set(zone, s, z, rs, err)) < 0) {
				json_decref(res);
				goto fail;
			}
		}
		const char *next = field(res, "nextLink");
		/* only on the API's own host: the token goes with it */
		if (next && !strncmp(next, a->root, strlen(a->root)) && next[strlen(a->root)] == '/')
			url = zsync_xstrdup(next);
		else if (next)
			ret = zsync_err_set(err, ZSYNC_EINVAL, "a nextLink outside the API (%.100s)", next);
		json_decref(res);
		if (ret < 0)
			goto fail;
	}
	free(url);
	*out = z;
	*st = s;
	return 0;
fail:
	zsync_zone_free(z);
	state_free(s);
	return ret;
}

static int a_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct azure *a = priv;
	struct az_state *st = NULL;
	int ret = read_zone(a, zone, out, &st, err);

	/* a failed read leaves nothing of the zone for its writes, not an older read's ETags */
	if (st)
		st->read = (uintptr_t)*out;
	zsync_provider_states_put(&a->states, zone, st);
	return ret;
}

/* The zone's nameServers: the Azure DNS nameservers assigned to it. */
static int a_nameservers(void *priv, const struct zsync_provider_conf *conf, const char *zone, struct zsync_strlist *out,
			 struct zsync_err *err)
{
	struct azure *a = priv;
	char *url = zone_url(a, zone, "");
	json_t *res, *v;
	size_t i;
	int ret = call(a, "GET", url, NULL, NULL, &res, err);

	(void)conf;
	free(url);
	if (ret < 0)
		return ret;
	json_array_foreach(json_object_get(json_object_get(res, "properties"), "nameServers"), i, v) {
		if ((ret = zsync_provider_add_ns_name(out, json_string_value(v), err)) < 0) {
			zsync_err_prefix(err, "malformed nameServers entry");
			break;
		}
	}
	json_decref(res);
	return ret;
}

static int a_list_zones(void *priv, struct zsync_strlist *out, struct zsync_err *err)
{
	struct azure *a = priv;
	char *url = zsync_xasprintf("%s?api-version=" API_VERSION "&$top=100", a->base);
	int ret = 0;

	for (size_t page = 0; url && page < 100000; page++) {
		json_t *res, *z;
		size_t i;
		ret = call(a, "GET", url, NULL, NULL, &res, err);
		free(url);
		url = NULL;
		if (ret < 0)
			break;
		json_array_foreach(json_object_get(res, "value"), i, z) {
			const char *n = field(z, "name");
			const char *zt = field(json_object_get(z, "properties"), "zoneType");
			uint8_t w[ZSYNC_NAME_MAXLEN];
			char txt[ZSYNC_NAME_TXT_MAXLEN + 1];
			char *fq = n ? zsync_provider_fqdn(n) : NULL; /* ARM names zones without the dot */
			if (fq && !(zt && !strcmp(zt, "Private")) && zsync_name_from_text(fq, NULL, w) == 0)
				zsync_strlist_add(out, zsync_name_to_text(w, txt, sizeof(txt)));
			free(fq);
		}
		const char *next = field(res, "nextLink");
		if (next && !strncmp(next, a->root, strlen(a->root)))
			url = zsync_xstrdup(next);
		json_decref(res);
	}
	free(url);
	return ret;
}

/* ---- writing ------------------------------------------------------------------------- */

static const char *array_key(uint16_t t)
{
	switch (t) {
	case ZSYNC_TYPE_A: return "ARecords";
	case ZSYNC_TYPE_AAAA: return "AAAARecords";
	case ZSYNC_TYPE_CAA: return "caaRecords";
	case ZSYNC_TYPE_MX: return "MXRecords";
	case ZSYNC_TYPE_NS: return "NSRecords";
	case ZSYNC_TYPE_PTR: return "PTRRecords";
	case ZSYNC_TYPE_SRV: return "SRVRecords";
	case ZSYNC_TYPE_TXT: return "TXTRecords";
	case ZSYNC_TYPE_CNAME: return "CNAMERecord";
	default: return NULL;
	}
}

/* One record of git as the API's object; NULL with err when it cannot be written. */
static json_t *record_json(uint16_t type, const uint8_t *rd, char *txt, struct zsync_err *err)
{
	const uint8_t *d = zsync_rdata_data(rd);
	uint16_t len = zsync_rdata_len(rd);
	char name[ZSYNC_NAME_TXT_MAXLEN + 1];
	long a = 0, b = 0, c = 0;
	int used = 0;

	if (type == ZSYNC_TYPE_TXT) {
		json_t *vals = json_array();
		for (uint16_t i = 0; i < len;) {
			uint8_t n = d[i++];
			json_t *s = i + n <= len ? json_stringn((const char *)d + i, n) : NULL;
			if (!s || memchr(d + i, 0, n)) {
				json_decref(s);
				json_decref(vals);
				zsync_err_set(err, ZSYNC_EINVAL, "a TXT string that is not UTF-8 text cannot be sent as JSON");
				return NULL;
			}
			json_array_append_new(vals, s);
			i += n;
		}
		return json_pack("{s:o}", "value", vals);
	}
	if (type == ZSYNC_TYPE_CAA && len >= 2 && 2u + d[1] <= len) {
		json_t *v = json_stringn((const char *)d + 2 + d[1], len - 2 - d[1]);
		if (!v) {
			zsync_err_set(err, ZSYNC_EINVAL, "a CAA value that is not UTF-8 text cannot be sent as JSON");
			return NULL;
		}
		return json_pack("{s:i, s:s%, s:o}", "flags", d[0], "tag", (const char *)d + 2, (size_t)d[1], "value", v);
	}
	if (zsync_rdata_to_text(type, rd, txt, ZSYNC_RDATA_TXT_MAXLEN) < 0) {
		zsync_err_set(err, ZSYNC_EINVAL, "a value zonesync cannot write");
		return NULL;
	}
	switch (type) {
	case ZSYNC_TYPE_A: return json_pack("{s:s}", "ipv4Address", txt);
	case ZSYNC_TYPE_AAAA: return json_pack("{s:s}", "ipv6Address", txt);
	case ZSYNC_TYPE_NS: return json_pack("{s:s}", "nsdname", txt);
	case ZSYNC_TYPE_PTR: return json_pack("{s:s}", "ptrdname", txt);
	case ZSYNC_TYPE_CNAME: return json_pack("{s:s}", "cname", txt);
	case ZSYNC_TYPE_MX:
		if (sscanf(txt, "%ld %n", &a, &used) >= 1)
			return json_pack("{s:I, s:s}", "preference", (json_int_t)a, "exchange", txt + used);
		break;
	case ZSYNC_TYPE_SRV:
		if (sscanf(txt, "%ld %ld %ld %1005s", &a, &b, &c, name) == 4)
			return json_pack("{s:I, s:I, s:I, s:s}", "priority", (json_int_t)a, "weight", (json_int_t)b, "port",
					 (json_int_t)c, "target", name);
		break;
	}
	zsync_err_set(err, ZSYNC_EINVAL, "a value zonesync cannot write");
	return NULL;
}

static const char *etag_of(const struct az_state *st, const uint8_t *owner, uint16_t type)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->sets[i].type == type && zsync_name_equal(st->sets[i].owner, owner))
			return st->sets[i].etag;
	return NULL;
}

/* One changed RRset of zone: PUT (create or update) or DELETE, guarded by its ETag. */
static int write_one(struct azure *a, const char *zone, const struct az_state *st, const struct zsync_change *ch,
		     struct zsync_err *err)
{
	const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
	char owner[ZSYNC_NAME_TXT_MAXLEN + 1], type[32], *rel, *esc, *url, *hdr = NULL;
	size_t zl = strlen(zone) - 1, ol;
	const char *etag = ch->old ? etag_of(st, any->owner, any->type) : NULL;
	json_t *body = NULL, *res = NULL;
	int ret;

	if ((ret = zsync_provider_owner_text(any->owner, owner, sizeof(owner), err)) < 0)
		return ret;
	ol = strlen(owner);
	rel = ol == zl ? zsync_xstrdup("@") : zsync_xasprintf("%.*s", (int)(ol - zl - 1), owner);
	zsync_type_to_text(any->type, type, sizeof(type));
	esc = zsync_http_escape(rel);
	{
		char *rest = zsync_xasprintf("/%s/%s", type, esc);
		url = zone_url(a, zone, rest);
		free(rest);
	}
	free(esc);
	free(rel);
	if (ch->old && !etag) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "no ETag read for it");
		goto out;
	}
	hdr = etag ? zsync_xasprintf("If-Match: %s", etag) : zsync_xstrdup("If-None-Match: *");
	if (!ch->new) {
		ret = call(a, "DELETE", url, NULL, hdr, &res, err);
		goto out;
	}
	{
		const char *key = array_key(any->type);
		char *txt = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN);
		json_t *recs = json_array(), *props;
		const uint8_t *rd = ch->new->rdata;
		for (uint16_t k = 0; k < ch->new->count && ret == 0; k++, rd = zsync_rdata_next(rd)) {
			json_t *r = record_json(any->type, rd, txt, err);
			if (!r)
				ret = ZSYNC_EINVAL;
			else
				json_array_append_new(recs, r);
		}
		free(txt);
		if (ret < 0 || !key) {
			json_decref(recs);
			if (!key)
				ret = zsync_err_set(err, ZSYNC_EINVAL, "Azure takes no %s here", type);
			goto out;
		}
		props = json_pack("{s:I}", "TTL", (json_int_t)ch->ttl);
		if (any->type == ZSYNC_TYPE_CNAME)
			json_object_set(props, key, json_array_get(recs, 0));
		else
			json_object_set(props, key, recs);
		json_decref(recs);
		body = json_pack("{s:o}", "properties", props);
	}
	ret = call(a, "PUT", url, body, hdr, &res, err);
out:
	json_decref(body);
	json_decref(res);
	free(hdr);
	free(url);
	if (ret < 0) {
		zsync_name_to_text(any->owner, owner, sizeof(owner));
		zsync_err_prefix(err, "%s %s", owner, type);
	}
	return ret;
}

static int a_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct azure *a = priv;
	const struct zsync_changeset *cs = req->changes;
	struct az_state *st = zsync_provider_states_take(&a->states, req->zone);
	size_t done = 0;
	int ret = 0;

	if (req->create_zone) {
		char *url = zone_url(a, req->zone, "");
		json_t *body = json_pack("{s:s, s:{s:s}}", "location", "global", "properties", "zoneType", "Public"), *res;
		struct zsync_zone *z = NULL;
		state_free(st);
		st = NULL;
		ret = call(a, "PUT", url, body, "If-None-Match: *", &res, err);
		free(url);
		json_decref(body);
		json_decref(res);
		if (ret < 0 || (ret = read_zone(a, req->zone, &z, &st, err)) < 0)
			goto out;
		zsync_zone_free(z);
	} else if (!st || st->read != (uintptr_t)req->base) {
		/* not read here, an earlier apply took what its read learnt, or what is kept is
		 * another read's than the one the changes were computed against: read it again */
		state_free(st);
		st = NULL;
		if ((ret = zsync_provider_refetch(a_fetch, priv, "", req, err)) < 0)
			goto out;
		if (!(st = zsync_provider_states_take(&a->states, req->zone))) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "nothing of the zone's read was kept for its writes");
			goto out;
		}
	}
	/* the core hands a non-atomic provider its changes in a safe order */
	for (size_t i = 0; i < cs->n && ret == 0; i++) {
		if ((ret = write_one(a, req->zone, st, &cs->v[i], err)) == 0) {
			done++;
			if (req->applied)
				req->applied[i] = 1;
		}
	}
	if (ret < 0 && done)
		zsync_err_prefix(err, "%zu of %zu record sets were written before", done, cs->n);
out:
	/* the ETags are spent: every write changed its set's */
	state_free(st);
	return ret;
}

static int a_delete_zone(void *priv, const char *zone, struct zsync_err *err)
{
	struct azure *a = priv;
	char *url = zone_url(a, zone, "");
	json_t *res;
	int ret;

	/* whatever an earlier read kept goes with the zone */
	state_free(zsync_provider_states_take(&a->states, zone));
	ret = call(a, "DELETE", url, NULL, NULL, &res, err); /* Azure deletes the records with the zone */
	free(url);
	json_decref(res);
	return ret;
}

/*
 * JSON strings are Unicode: a TXT string that is not UTF-8 (or holds a NUL) cannot be sent
 * (the TXTRecords value of the API is an array of JSON strings); refused per record. The
 * owner must be writable as API text (zsync_provider_norm_owner).
 */
static int refuse_binary_txt(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen,
			     struct zsync_err *err)
{
	int ret = zsync_provider_norm_owner(owner, data, len, out, outlen, err);
	for (uint16_t i = 0; ret == 0 && i < len;) {
		uint8_t n = data[i++];
		json_t *s = i + n <= len && !memchr(data + i, 0, n) ? json_stringn((const char *)data + i, n) : NULL;
		if (!s)
			ret = zsync_err_set(err, ZSYNC_EINVAL, "a TXT string that is not UTF-8 text: Azure's API takes "
					    "TXT values as JSON strings");
		json_decref(s);
		i += n;
	}
	return ret;
}

static const struct zsync_normaliser a_norms[] = {
	{ ZSYNC_TYPE_TXT, "", refuse_binary_txt },
	{ ZSYNC_NORM_EVERY_TYPE, "", zsync_provider_norm_owner },
	{ 0 },
};

static const struct zsync_conf_key a_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(0, "https://management.azure.com"),
	{ "tenant_id", ZSYNC_CONF_STR, ZSYNC_CONF_REQUIRED, NULL, NULL, "the Microsoft Entra tenant (directory) id" },
	{ "client_id", ZSYNC_CONF_STR, ZSYNC_CONF_REQUIRED, NULL, NULL, "the application (service principal) id" },
	{ "client_secret", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL, "its client secret" },
	{ "subscription_id", ZSYNC_CONF_STR, ZSYNC_CONF_REQUIRED, NULL, NULL, "the subscription holding the zones" },
	{ "resource_group", ZSYNC_CONF_STR, ZSYNC_CONF_REQUIRED, NULL, NULL, "the resource group holding the zones" },
	{ "authority", ZSYNC_CONF_STR, 0, NULL, "https://login.microsoftonline.com",
	  "where tokens come from (OAuth2 client credentials at AUTHORITY/TENANT/oauth2/v2.0/token)" },
	{ 0 },
};

const struct zsync_provider_type zsync_provider_azure = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "azure",
	.summary = "Azure DNS (client credentials; one ETag-guarded write per RRset)",
	.keys = a_keys,
	/* not ZSYNC_CAP_APPLY_SIDE_BY_SIDE: Azure Resource Manager throttles writes per subscription */
	.caps = ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_LIST_ZONES | ZSYNC_CAP_CONCURRENT,
	.rrtypes = az_types,
	.normalisers = a_norms,
	.ttl_min = 0,
	.ttl_max = 2147483647,
	.open = a_open,
	.fetch = a_fetch,
	.apply = a_apply,
	.list_zones = a_list_zones,
	.delete_zone = a_delete_zone,
	.nameservers = a_nameservers,
	.usage = a_usage,
	.close = a_close,
};
