/*
 * gcloud.c - Google Cloud DNS v1 (JSON): the managed zone found by dnsName, record sets
 * read page by page, every change of a zone sent as one changes.create (additions and
 * deletions, atomic; a deletion repeats the RRset as Cloud DNS returned it, so a concurrent
 * edit makes the change fail instead of being overwritten). Auth: a service account's JSON
 * key, whose RS256-signed JWT (gnutls) is exchanged for an access token at token_url
 * (RFC 7523), cached and renewed by the HTTP client's token source; or an access token.
 * Calls for different zones may overlap (ZSYNC_CAP_CONCURRENT): what fetch learns for the
 * apply (the managed zone's name, the record sets as returned) is kept per zone.
 */
#include "provider.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#define PAGE 1000
#define SCOPE "https://www.googleapis.com/auth/ndev.clouddns.readwrite"

/* "Supported DNS record types" of Cloud DNS (routing-policy and ALIAS sets are not zone data) */
static const uint16_t g_types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA, ZSYNC_TYPE_CAA, ZSYNC_TYPE_CNAME,
				     ZSYNC_TYPE_DNSKEY, ZSYNC_TYPE_DS, 65 /* HTTPS */, 45 /* IPSECKEY */,
				     ZSYNC_TYPE_MX, 35 /* NAPTR */, ZSYNC_TYPE_NS, ZSYNC_TYPE_PTR, ZSYNC_TYPE_SOA,
				     ZSYNC_TYPE_SPF, ZSYNC_TYPE_SRV, 44 /* SSHFP */, 64 /* SVCB */, 52 /* TLSA */,
				     ZSYNC_TYPE_TXT, 0 };

struct gcloud {
	struct zsync_http *http;
	char *base;       /* ".../dns/v1/projects/PROJECT" */
	char *token_url;
	char *email;      /* the service account's client_email */
	char *pem;        /* its private key (secret) */
	char *access;     /* or an access token (secret) */
	bool wait_done;
	long timeout;
	struct zsync_provider_states states; /* zone -> struct g_state */
};

/* What fetch learnt about one zone for its apply. */
struct g_state {
	char *mz;   /* the managed zone's name */
	/* the record sets as Cloud DNS returned them (name, type, ttl, rrdatas), compact JSON
	 * text: a deletion must repeat them exactly, and text is a fraction of jansson's
	 * objects for the zones of a run that wait for their apply */
	char *sets;
	uintptr_t read; /* the zone model the read returned: compared with the plan's base, never followed */
};

static void state_free(void *p)
{
	struct g_state *st = p;
	if (!st)
		return;
	free(st->mz);
	free(st->sets);
	free(st);
}

/* ---- the token source: a JWT bearer grant signed with the service account's key ---- */

static char *b64url(const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = zsync_xmalloc(n * 4 / 3 + 4), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		if (i + 1 < n)
			*o++ = tab[v >> 6 & 63];
		if (i + 2 < n)
			*o++ = tab[v & 63];
	}
	*o = '\0';
	return out;
}

/* header.claims.signature (RS256), valid an hour from now */
static int make_jwt(struct gcloud *g, char **out, struct zsync_err *err)
{
	gnutls_privkey_t key = NULL;
	gnutls_datum_t pem = { (unsigned char *)g->pem, (unsigned)strlen(g->pem) }, in, sig = { NULL, 0 };
	time_t now = time(NULL);
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", g->email, "scope", SCOPE, "aud", g->token_url,
				   "iat", (json_int_t)now, "exp", (json_int_t)now + 3600);
	char *cj = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	const char *hj = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char *h64 = b64url((const unsigned char *)hj, strlen(hj)), *c64 = b64url((const unsigned char *)cj, strlen(cj));
	char *input = zsync_xasprintf("%s.%s", h64, c64), *s64;
	int ret = 0, rc;

	*out = NULL;
	json_decref(claims);
	free(cj);
	free(h64);
	free(c64);
	in = (gnutls_datum_t){ (unsigned char *)input, (unsigned)strlen(input) };
	if ((rc = gnutls_privkey_init(&key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "credentials: the private_key does not load: %s", gnutls_strerror(rc));
		goto out;
	}
	if ((rc = gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &in, &sig)) < 0) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "credentials: signing the JWT failed: %s", gnutls_strerror(rc));
		goto out;
	}
	s64 = b64url(sig.data, sig.size);
	*out = zsync_xasprintf("%s.%s", input, s64);
	free(s64);
out:
	gnutls_free(sig.data);
	gnutls_privkey_deinit(key);
	free(input);
	return ret;
}

static int token_fetch(void *ud, struct zsync_http *h, char **token, long *ttl, struct zsync_err *err)
{
	struct gcloud *g = ud;
	char *jwt = NULL, *form;
	int ret;

	if (g->access) {
		*token = zsync_xstrdup(g->access);
		*ttl = 0;
		return 0;
	}
	if ((ret = make_jwt(g, &jwt, err)) < 0)
		return ret;
	form = zsync_xasprintf("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s", jwt);
	ret = zsync_http_oauth2_token(h, g->token_url, form, token, ttl, err);
	zsync_config_secret_free(form);
	zsync_config_secret_free(jwt);
	return ret;
}

/* ---- open, close, usage ----------------------------------------------------------------- */

static void g_close(void *priv)
{
	struct gcloud *g = priv;
	if (!g)
		return;
	zsync_http_free(g->http);
	free(g->base);
	free(g->token_url);
	free(g->email);
	zsync_config_secret_free(g->pem);
	zsync_config_secret_free(g->access);
	zsync_provider_states_release(&g->states);
	free(g);
}

/* Frees the parsed key file, its private key wiped first. */
static void wipe_key(json_t *kj)
{
	json_t *pk = json_object_get(kj, "private_key");
	if (json_is_string(pk))
		memset((char *)json_string_value(pk), 0, strlen(json_string_value(pk)));
	json_decref(kj);
}

static int g_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct gcloud *g = zsync_xcalloc(1, sizeof(*g));
	const char *project = zsync_config_get_str(conf, "project");
	char *key = NULL, *base = NULL, *esc;
	json_t *kj = NULL;
	int ret;

	zsync_provider_states_init(&g->states, state_free);

	if (zsync_config_has(conf, "credentials") == zsync_config_has(conf, "access_token")) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "set one of credentials (a service account key) or access_token");
		goto fail;
	}
	if (zsync_config_has(conf, "access_token")) {
		if ((ret = zsync_config_get_secret(conf, "access_token", &g->access, err)) < 0)
			goto fail;
	} else {
		if ((ret = zsync_config_get_secret(conf, "credentials", &key, err)) < 0)
			goto fail;
		kj = json_loads(key, 0, NULL);
		zsync_config_secret_free(key);
		const char *email = json_string_value(json_object_get(kj, "client_email"));
		const char *pk = json_string_value(json_object_get(kj, "private_key"));
		if (!email || !pk) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "credentials: not a service account key (JSON with "
					    "client_email and private_key)");
			goto fail;
		}
		g->email = zsync_xstrdup(email);
		g->pem = zsync_xstrdup(pk);
		if (!project)
			project = json_string_value(json_object_get(kj, "project_id"));
	}
	if (!project) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "project: not set (nor project_id in the credentials)");
		goto fail;
	}
	if ((ret = zsync_provider_http_open(conf, &g->http, &base, err)) < 0)
		goto fail;
	esc = zsync_http_escape(project);
	g->base = zsync_xasprintf("%s/dns/v1/projects/%s", base, esc);
	free(esc);
	free(base);
	g->token_url = zsync_xstrdup(zsync_config_get_str(conf, "token_url"));
	g->wait_done = zsync_config_get_bool(conf, "wait_done");
	g->timeout = conf->timeout > 0 ? conf->timeout : 30;
	zsync_http_token_source(g->http, &(struct zsync_http_token_source){ token_fetch, g });
	wipe_key(kj);
	*priv = g;
	return 0;
fail:
	wipe_key(kj);
	g_close(g);
	return ret;
}

static void g_usage(void *priv, char *buf, size_t len)
{
	struct gcloud *g = priv;
	snprintf(buf, len, "%zu requests (%zu GET, %zu POST)", zsync_http_count(g->http, NULL),
		 zsync_http_count(g->http, "GET"), zsync_http_count(g->http, "POST"));
}

/* ---- requests ------------------------------------------------------------------------- */

/* Google's error: "HTTP 412: conditionNotMet: Precondition not met for ..." */
static int g_error(const struct zsync_http_resp *r, struct zsync_err *err)
{
	json_t *e = json_object_get(r->json, "error"), *e0 = json_array_get(json_object_get(e, "errors"), 0);
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *reason = json_string_value(json_object_get(e0, "reason"));
	int code = r->status == 404 ? ZSYNC_ENOTFOUND : ZSYNC_EIO;

	if (!msg) {
		zsync_http_error(r, err);
		return err->code ? err->code : ZSYNC_EIO;
	}
	return zsync_err_set(err, code, "HTTP %ld: %s%s%.400s%s", r->status, reason ? reason : "", reason ? ": " : "",
			     msg, r->status == 401 || r->status == 403 ? " (check credentials and the DNS permission of the "
									  "service account)" : "");
}

static int call(struct gcloud *g, const char *method, const char *path, json_t *body, json_t **out,
		struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *url = zsync_xasprintf("%s%s", g->base, path);
	/* a POST (a change, a new zone) is done once; deleting the zone twice deletes it once */
	int ret = !strcmp(method, "DELETE") ? zsync_http_request_idempotent(g->http, method, url, body, &r, err)
					    : zsync_http_request(g->http, method, url, body, &r, err);

	free(url);
	*out = NULL;
	if (ret < 0)
		return ret;
	if (r.status < 200 || r.status > 299)
		ret = g_error(&r, err);
	else if (r.status != 204 && !json_is_object(r.json))
		ret = zsync_err_set(err, ZSYNC_EINVAL, "HTTP %ld: the answer is not a JSON object", r.status);
	else
		*out = json_incref(r.json);
	zsync_http_resp_release(&r);
	return ret;
}

/* ---- reading ------------------------------------------------------------------------- */

/* The nextPageToken of a list answer into *token (freed first); false on the last page. */
static bool next_page(json_t *res, char **token)
{
	const char *t = json_string_value(json_object_get(res, "nextPageToken"));
	free(*token);
	*token = t && *t ? zsync_xstrdup(t) : NULL;
	json_decref(res);
	return *token != NULL;
}

/* The managed zone serving zone publicly: its name into *mz (malloc'ed). */
static int find_zone(struct gcloud *g, const char *zone, char **mz, struct zsync_err *err)
{
	char *esc = zsync_http_escape(zone), *path = zsync_xasprintf("/managedZones?dnsName=%s", esc);
	json_t *res, *z;
	size_t i;
	int ret = call(g, "GET", path, NULL, &res, err);

	free(path);
	free(esc);
	if (ret < 0)
		return ret;
	ret = ZSYNC_ENOTFOUND;
	json_array_foreach(json_object_get(res, "managedZones"), i, z) {
		const char *dn = json_string_value(json_object_get(z, "dnsName"));
		const char *vis = json_string_value(json_object_get(z, "visibility"));
		const char *name = json_string_value(json_object_get(z, "name"));
		if (dn && name && !strcasecmp(dn, zone) && !(vis && !strcmp(vis, "private")) &&
		    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(name)) {
			*mz = zsync_xstrdup(name);
			ret = 0;
			break;
		}
	}
	json_decref(res);
	return ret;
}

/* The managed zone's nameServers: the Cloud DNS nameservers assigned to it. */
static int g_nameservers(void *priv, const struct zsync_provider_conf *conf, const char *zone,
			 struct zsync_strlist *out, struct zsync_err *err)
{
	struct gcloud *g = priv;
	char *esc = zsync_http_escape(zone), *path = zsync_xasprintf("/managedZones?dnsName=%s", esc);
	json_t *res, *z, *v;
	size_t i, k;
	int ret = call(g, "GET", path, NULL, &res, err);

	(void)conf;
	free(path);
	free(esc);
	if (ret < 0)
		return ret;
	ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
	json_array_foreach(json_object_get(res, "managedZones"), i, z) {
		const char *dn = json_string_value(json_object_get(z, "dnsName"));
		const char *vis = json_string_value(json_object_get(z, "visibility"));
		if (!dn || strcasecmp(dn, zone) || (vis && !strcmp(vis, "private")))
			continue;
		ret = 0;
		json_array_foreach(json_object_get(z, "nameServers"), k, v) {
			if ((ret = zsync_provider_add_ns_name(out, json_string_value(v), err)) < 0) {
				zsync_err_prefix(err, "malformed nameServers entry");
				break;
			}
		}
		break;
	}
	json_decref(res);
	return ret;
}

/*
 * One record set into the zone model, and into kept as a deletion would repeat it; 1 when
 * it is not zone data zonesync manages.
 */
static int read_set(json_t *kept, struct zsync_zone *z, json_t *rs, struct zsync_err *err)
{
	const char *name = json_string_value(json_object_get(rs, "name"));
	const char *type = json_string_value(json_object_get(rs, "type"));
	json_t *ttl = json_object_get(rs, "ttl"), *datas = json_object_get(rs, "rrdatas"), *v;
	uint8_t owner[ZSYNC_NAME_MAXLEN];
	char *text = NULL, owner_txt[ZSYNC_NAME_TXT_MAXLEN + 1];
	size_t tlen = 0, i;
	uint16_t t;
	FILE *f;
	int ret = 0;

	if (!name || !type || zsync_name_from_text(name, NULL, owner) < 0 ||
	    !zsync_name_in_zone(owner, zsync_zone_origin(z)))
		return zsync_err_set(err, ZSYNC_EINVAL, "a record set with a bad name '%.300s'", name ? name : "");
	if (json_object_get(rs, "routingPolicy") || zsync_type_from_text(type, &t) < 0 || !json_array_size(datas))
		return 1;
	if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 || json_integer_value(ttl) > INT32_MAX)
		return zsync_err_set(err, ZSYNC_EINVAL, "record set %s %s: no TTL", name, type);
	zsync_name_to_text(owner, owner_txt, sizeof(owner_txt));
	f = open_memstream(&text, &tlen);
	fputs("$ORIGIN .\n", f);
	json_array_foreach(datas, i, v) {
		char *zf;
		if (!json_is_string(v))
			continue;
		zf = zsync_provider_zone_text(json_string_value(v), false);
		fprintf(f, "%s %lld IN %s %s\n", owner_txt, (long long)json_integer_value(ttl), type, zf);
		free(zf);
	}
	fclose(f);
	if (zsync_zone_add_text(z, text, tlen, err) < 0) {
		zsync_err_prefix(err, "record set %s %s cannot be read", name, type);
		ret = ZSYNC_EINVAL;
	} else {
		json_array_append_new(kept, json_pack("{s:O, s:O, s:O, s:O}", "name", json_object_get(rs, "name"), "type",
						      json_object_get(rs, "type"), "ttl", ttl, "rrdatas", datas));
	}
	free(text);
	return ret;
}

/* The zone as Cloud DNS serves it, and what its apply needs (*st, the caller's). */
static int read_zone(struct gcloud *g, const char *zone, struct zsync_zone **out, struct g_state **st,
		     struct zsync_err *err)
{
	struct zsync_zone *z = NULL;
	char *token = NULL, *mz = NULL;
	json_t *kept = NULL;
	int ret;

	*out = NULL;
	*st = NULL;
	if ((ret = find_zone(g, zone, &mz, err)) < 0)
		return ret;
	if (!(z = zsync_zone_new(zone, err))) {
		ret = ZSYNC_EINVAL;
		goto fail;
	}
	kept = json_array();
	for (size_t page = 0; page < 100000; page++) {
		char *tok = token ? zsync_http_escape(token) : NULL;
		char *path = zsync_xasprintf("/managedZones/%s/rrsets?maxResults=%d%s%s", mz, PAGE,
					     tok ? "&pageToken=" : "", tok ? tok : "");
		json_t *res, *rs;
		size_t i;
		free(tok);
		ret = call(g, "GET", path, NULL, &res, err);
		free(path);
		if (ret < 0)
			goto fail;
		if (!json_is_array(json_object_get(res, "rrsets")) && json_object_get(res, "rrsets")) {
			json_decref(res);
			ret = zsync_err_set(err, ZSYNC_EINVAL, "malformed record list");
			goto fail;
		}
		json_array_foreach(json_object_get(res, "rrsets"), i, rs) {
			if ((ret = read_set(kept, z, rs, err)) < 0) {
				json_decref(res);
				goto fail;
			}
		}
		if (!next_page(res, &token))
			break;
	}
	free(token);
	*st = zsync_xcalloc(1, sizeof(**st));
	(*st)->mz = mz;
	(*st)->sets = json_dumps(kept, JSON_COMPACT);
	json_decref(kept);
	*out = z;
	return 0;
fail:
	free(token);
	free(mz);
	json_decref(kept);
	zsync_zone_free(z);
	return ret;
}

static int g_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct gcloud *g = priv;
	struct g_state *st = NULL;
	int ret = read_zone(g, zone, out, &st, err);

	/* a failed read leaves nothing of the zone for an apply, not an older read's state */
	if (st)
		st->read = (uintptr_t)*out;
	zsync_provider_states_put(&g->states, zone, st);
	return ret;
}

static int g_list_zones(void *priv, struct zsync_strlist *out, struct zsync_err *err)
{
	struct gcloud *g = priv;
	char *token = NULL;
	int ret = 0;

	for (size_t page = 0; page < 100000; page++) {
		char *tok = token ? zsync_http_escape(token) : NULL;
		char *path = zsync_xasprintf("/managedZones?maxResults=%d%s%s", PAGE, tok ? "&pageToken=" : "", tok ? tok : "");
		json_t *res, *z;
		size_t i;
		free(tok);
		ret = call(g, "GET", path, NULL, &res, err);
		free(path);
		if (ret < 0)
			break;
		json_array_foreach(json_object_get(res, "managedZones"), i, z) {
			const char *dn = json_string_value(json_object_get(z, "dnsName"));
			const char *vis = json_string_value(json_object_get(z, "visibility"));
			uint8_t w[ZSYNC_NAME_MAXLEN];
			char txt[ZSYNC_NAME_TXT_MAXLEN + 1];
			if (dn && !(vis && !strcmp(vis, "private")) && zsync_name_from_text(dn, NULL, w) == 0)
				zsync_strlist_add(out, zsync_name_to_text(w, txt, sizeof(txt)));
		}
		if (!next_page(res, &token))
			break;
	}
	free(token);
	return ret;
}

/* ---- writing ------------------------------------------------------------------------- */

/* The record set (owner, type) as Cloud DNS returned it: a deletion must match it exactly. */
static json_t *current_set(json_t *sets, const uint8_t *owner, uint16_t type)
{
	json_t *rs;
	size_t i;
	json_array_foreach(sets, i, rs) {
		uint8_t w[ZSYNC_NAME_MAXLEN];
		uint16_t t;
		if (zsync_name_from_text(json_string_value(json_object_get(rs, "name")), NULL, w) == 0 &&
		    zsync_type_from_text(json_string_value(json_object_get(rs, "type")), &t) == 0 && t == type &&
		    zsync_name_equal(w, owner))
			return json_incref(rs);
	}
	return NULL;
}

static json_t *desired_set(const struct zsync_rrset *r, uint32_t ttl)
{
	char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32], *txt = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN);
	json_t *datas = json_array();
	const uint8_t *rd = r->rdata;

	for (uint16_t k = 0; k < r->count; k++, rd = zsync_rdata_next(rd))
		if (zsync_rdata_to_text(r->type, rd, txt, ZSYNC_RDATA_TXT_MAXLEN) == 0)
			json_array_append_new(datas, json_string(txt));
	free(txt);
	return json_pack("{s:s, s:s, s:I, s:o}", "name", zsync_name_to_text(r->owner, name, sizeof(name)), "type",
			 zsync_type_to_text(r->type, type, sizeof(type)), "ttl", (json_int_t)ttl, "rrdatas", datas);
}

/* changes.get of the change just made: "done" when Cloud DNS serves it. */
struct change_ref {
	struct gcloud *g;
	const char *mz, *id;
};

static int change_done(void *ud, bool *done, struct zsync_err *err)
{
	struct change_ref *c = ud;
	char *path = zsync_xasprintf("/managedZones/%s/changes/%s", c->mz, c->id);
	json_t *res;
	int ret = call(c->g, "GET", path, NULL, &res, err);

	free(path);
	if (ret < 0)
		return ret;
	*done = !strcmp(json_string_value(json_object_get(res, "status")) ?: "", "done");
	json_decref(res);
	return 0;
}

static int create_zone(struct gcloud *g, const char *zone, struct zsync_err *err)
{
	/* a managed zone's name: [a-z][-a-z0-9]*, at most 63 */
	char name[64];
	size_t n = (size_t)snprintf(name, sizeof(name), "zonesync-");
	for (const char *p = zone; *p && n < sizeof(name) - 1; p++)
		name[n++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '-';
	while (n > 1 && name[n - 1] == '-')
		n--;
	name[n] = '\0';
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "dnsName", zone, "description",
				 "created by zonesync", "visibility", "public"), *res;
	int ret = call(g, "POST", "/managedZones", body, &res, err);
	json_decref(body);
	json_decref(res);
	return ret;
}

/*
 * Cloud DNS names what it refused by its place in the change ("entity.change.deletions[3]"):
 * the error says which RRset that is.
 */
static void name_the_rrset(struct zsync_err *err, json_t *adds, json_t *dels)
{
	const char *p = strstr(err->msg, "entity.change.");
	unsigned idx;
	json_t *rs = NULL;

	if (!p)
		return;
	p += strlen("entity.change.");
	if (sscanf(p, "deletions[%u]", &idx) == 1)
		rs = json_array_get(dels, idx);
	else if (sscanf(p, "additions[%u]", &idx) == 1)
		rs = json_array_get(adds, idx);
	if (rs && json_string_value(json_object_get(rs, "name")) && json_string_value(json_object_get(rs, "type")))
		zsync_err_prefix(err, "%s %s", json_string_value(json_object_get(rs, "name")),
				 json_string_value(json_object_get(rs, "type")));
}

static int g_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct gcloud *g = priv;
	const struct zsync_changeset *cs = req->changes;
	struct g_state *st = zsync_provider_states_take(&g->states, req->zone);
	json_t *adds = json_array(), *dels = json_array(), *sets = NULL, *body, *res = NULL;
	int ret = 0;

	if (req->create_zone) {
		struct zsync_zone *z = NULL;
		state_free(st);
		st = NULL;
		if ((ret = create_zone(g, req->zone, err)) < 0 || (ret = read_zone(g, req->zone, &z, &st, err)) < 0)
			goto out;
		zsync_zone_free(z);
	} else if (!st || st->read != (uintptr_t)req->base) {
		/* not read here, an earlier apply took what its read learnt, or what is kept is
		 * another read's than the one the changes were computed against: read it again */
		state_free(st);
		st = NULL;
		if ((ret = zsync_provider_refetch(g_fetch, priv, "", req, err)) < 0)
			goto out;
		if (!(st = zsync_provider_states_take(&g->states, req->zone))) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "nothing of the zone's read was kept for its apply");
			goto out;
		}
	}
	if (!(sets = json_loads(st->sets, 0, NULL))) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "the record sets read cannot be parsed again");
		goto out;
	}
	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_change *ch = &cs->v[i];
		const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
		/* after a zone was created, its own SOA and NS are what a change replaces */
		json_t *cur = current_set(sets, any->owner, any->type);
		if (cur)
			json_array_append_new(dels, cur);
		if (ch->new)
			json_array_append_new(adds, desired_set(ch->new, ch->ttl));
	}
	if (!json_array_size(adds) && !json_array_size(dels))
		goto out;
	body = json_pack("{s:O, s:O}", "additions", adds, "deletions", dels);
	{
		char *path = zsync_xasprintf("/managedZones/%s/changes", st->mz);
		ret = call(g, "POST", path, body, &res, err);
		free(path);
	}
	if (ret < 0)
		name_the_rrset(err, adds, dels);
	json_decref(body);
	if (ret == 0 && (g->wait_done || req->wait_served) && json_is_string(json_object_get(res, "id"))) {
		struct change_ref c = { g, st->mz, json_string_value(json_object_get(res, "id")) };
		ret = zsync_provider_poll(change_done, &c, g->timeout * 4.0, err);
	}
out:
	/* what the read learnt is spent: the change replaced the sets it names */
	state_free(st);
	json_decref(sets);
	json_decref(res);
	json_decref(adds);
	json_decref(dels);
	return ret;
}

/* Deletes every record set but the apex SOA and NS in one change, then the managed zone. */
static int g_delete_zone(void *priv, const char *zone, struct zsync_err *err)
{
	struct gcloud *g = priv;
	struct zsync_zone *z = NULL;
	struct g_state *st = NULL;
	json_t *dels = json_array(), *sets = NULL, *rs, *res = NULL;
	size_t i;
	int ret;

	/* whatever an earlier read kept goes with the zone */
	state_free(zsync_provider_states_take(&g->states, zone));
	if ((ret = read_zone(g, zone, &z, &st, err)) < 0)
		goto out;
	zsync_zone_free(z);
	if (!(sets = json_loads(st->sets, 0, NULL))) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "the record sets read cannot be parsed again");
		goto out;
	}
	json_array_foreach(sets, i, rs) {
		const char *t = json_string_value(json_object_get(rs, "type"));
		const char *n = json_string_value(json_object_get(rs, "name"));
		if (!strcasecmp(n, zone) && (!strcmp(t, "SOA") || !strcmp(t, "NS")))
			continue;
		json_array_append(dels, rs);
	}
	if (json_array_size(dels)) {
		json_t *body = json_pack("{s:O}", "deletions", dels);
		char *path = zsync_xasprintf("/managedZones/%s/changes", st->mz);
		ret = call(g, "POST", path, body, &res, err);
		free(path);
		json_decref(body);
		json_decref(res);
		if (ret < 0)
			goto out;
	}
	{
		char *path = zsync_xasprintf("/managedZones/%s", st->mz);
		ret = call(g, "DELETE", path, NULL, &res, err);
		free(path);
		json_decref(res);
	}
out:
	state_free(st);
	json_decref(sets);
	json_decref(dels);
	return ret;
}

static const struct zsync_conf_key g_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(0, "https://dns.googleapis.com"),
	{ "project", ZSYNC_CONF_STR, 0, NULL, NULL, "the Google Cloud project (default: project_id of credentials)" },
	{ "credentials", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, "access_token", NULL,
	  "a service account's JSON key (file:PATH); its JWT is exchanged for access tokens" },
	{ "access_token", ZSYNC_CONF_SECRET, 0, NULL, NULL, "instead of credentials: an OAuth2 access token" },
	{ "token_url", ZSYNC_CONF_STR, 0, NULL, "https://oauth2.googleapis.com/token",
	  "where the service account's JWT is exchanged for an access token" },
	{ "wait_done", ZSYNC_CONF_BOOL, 0, NULL, "false",
	  "after an apply, poll changes.get until Cloud DNS says done (every apply; apply --verify waits without it)" },
	{ 0 },
};

const struct zsync_provider_type zsync_provider_gcloud = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "gcloud",
	.summary = "Google Cloud DNS v1 (service account JWT; one atomic change per zone)",
	.keys = g_keys,
	/* not ZSYNC_CAP_APPLY_SIDE_BY_SIDE: Cloud DNS rate-limits changes per project */
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_ATOMIC | ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_LIST_ZONES | ZSYNC_CAP_CONCURRENT,
	.rrtypes = g_types,
	.ttl_min = 0,
	.ttl_max = 2147483647,
	.open = g_open,
	.fetch = g_fetch,
	.apply = g_apply,
	.list_zones = g_list_zones,
	.delete_zone = g_delete_zone,
	.usage = g_usage,
	.nameservers = g_nameservers,
	.close = g_close,
};
