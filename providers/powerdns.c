/*
 * powerdns.c - PowerDNS Authoritative HTTP API (v1): one GET reads a zone, one PATCH of
 * RRsets writes every change of a zone in one transaction. The SOA is never sent
 * (SOA-EDIT-API bumps the serial; a sent SOA can make it go backwards).
 */
#include "provider.h"
#include "support.h"
#include "http.h"
#include "powerdns.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* PowerDNS's default request body limit is 2 MB: stay under it with room for the envelope */
#define PATCH_BYTES_MAX (1800 * 1024)

struct pdns {
	struct zsync_http *http;
	char *base; /* .../api/v1/servers/ID */
};

static int p_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct zsync_http *http;
	char *key, *url, *sid;
	struct pdns *p;
	int ret;

	if ((ret = zsync_provider_http_open(conf, &http, &url, err)) < 0)
		return ret;
	if ((ret = zsync_config_get_secret(conf, "api_key", &key, err)) < 0) {
		zsync_http_free(http);
		free(url);
		return ret;
	}
	zsync_provider_auth_header(http, "X-API-Key: ", key);
	zsync_config_secret_free(key);
	p = zsync_xcalloc(1, sizeof(*p));
	p->http = http;
	sid = zsync_http_escape(zsync_config_get_str(conf, "server_id"));
	p->base = zsync_xasprintf("%s/api/v1/servers/%s", url, sid);
	free(sid);
	free(url);
	*priv = p;
	return 0;
}

static void p_close(void *priv)
{
	struct pdns *p = priv;
	if (!p)
		return;
	zsync_http_free(p->http);
	free(p->base);
	free(p);
}

static void p_usage(void *priv, char *buf, size_t len)
{
	struct pdns *p = priv;
	snprintf(buf, len, "%zu requests (%zu GET, %zu PATCH, %zu POST)", zsync_http_count(p->http, NULL),
		 zsync_http_count(p->http, "GET"), zsync_http_count(p->http, "PATCH"),
		 zsync_http_count(p->http, "POST"));
}

/* Zone ids: the name with its dot; outside [A-Za-z0-9.-] characters become =XX. */
static char *zone_url(struct pdns *p, const char *zone, const char *suffix)
{
	char id[1024], *o = id;
	for (const char *s = zone; *s && o < id + sizeof(id) - 4; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '.' || c == '-')
			*o++ = (char)c;
		else
			o += sprintf(o, "=%02X", c);
	}
	*o = '\0';
	return zsync_xasprintf("%s/zones/%s%s", p->base, id, suffix ? suffix : "");
}

static int fail(const struct zsync_http_resp *r, struct zsync_err *err)
{
	zsync_http_error(r, err);
	if (r->status == 401 || r->status == 403)
		zsync_err_prefix(err, "API key rejected");
	return err->code ? err->code : ZSYNC_EIO;
}

int zsync_powerdns_zone(const json_t *rrsets, const char *zone, struct zsync_zone **out,
			struct zsync_err *err)
{
	char *text = NULL;
	size_t cap = 0, len = 0, i;
	json_t *rs;
	int ret = 0;

	*out = NULL;
	if (!json_is_array(rrsets))
		return zsync_err_set(err, ZSYNC_EINVAL, "malformed zone answer (no rrsets)");
	/* the records in zone-file form, parsed by the same scanner as git's zones */
	json_array_foreach(rrsets, i, rs) {
		const char *name = json_string_value(json_object_get(rs, "name"));
		const char *type = json_string_value(json_object_get(rs, "type"));
		json_t *recs = json_object_get(rs, "records"), *rec;
		json_int_t ttl = json_integer_value(json_object_get(rs, "ttl"));
		uint16_t tnum;
		size_t k;
		if (!name || !type || !json_is_array(recs) || ttl < 0 || ttl > 0x7fffffff) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "malformed rrset in the zone answer");
			goto out;
		}
		if (zsync_type_from_text(type, &tnum) < 0)
			continue; /* PowerDNS-only types (ALIAS, LUA): not ours */
		json_array_foreach(recs, k, rec) {
			const char *content = json_string_value(json_object_get(rec, "content"));
			if (!content || json_is_true(json_object_get(rec, "disabled")))
				continue;
			/* one record a line: a newline or a zone-file directive in the data is refused */
			if (strpbrk(name, "\n\r;$()") || strpbrk(content, "\n\r") || strpbrk(type, " \t\n")) {
				ret = zsync_err_set(err, ZSYNC_EINVAL, "rrset %.100s: unexpected characters", name);
				goto out;
			}
			size_t need = strlen(name) + strlen(type) + strlen(content) + 40;
			if (len + need + 1 > cap)
				text = zsync_xrealloc(text, cap = (len + need + 1) * 2);
			len += (size_t)snprintf(text + len, cap - len, "%s %lld IN %s %s\n", name, (long long)ttl, type, content);
		}
	}
	*out = zsync_zone_new(zone, err);
	if (!*out) {
		ret = ZSYNC_EINVAL;
	} else if (len && zsync_zone_add_text(*out, text, len, err) < 0) {
		zsync_err_prefix(err, "a record PowerDNS returned cannot be read");
		zsync_zone_free(*out);
		*out = NULL;
		ret = ZSYNC_EINVAL;
	}
out:
	free(text);
	return ret;
}

static int p_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct pdns *p = priv;
	struct zsync_http_resp r;
	char *url = zone_url(p, zone, NULL);
	int ret;

	*out = NULL;
	ret = zsync_http_request(p->http, "GET", url, NULL, &r, err);
	free(url);
	if (ret < 0)
		return ret;
	if (r.status == 404 || r.status == 422) {
		zsync_http_resp_release(&r);
		return ZSYNC_ENOTFOUND;
	}
	if (r.status != 200 || !json_is_array(json_object_get(r.json, "rrsets"))) {
		ret = r.status == 200 ? zsync_err_set(err, ZSYNC_EINVAL, "malformed zone answer (no rrsets)")
				      : fail(&r, err);
		zsync_http_resp_release(&r);
		return ret;
	}
	ret = zsync_powerdns_zone(json_object_get(r.json, "rrsets"), zone, out, err);
	zsync_http_resp_release(&r);
	return ret;
}

static int p_delete_zone(void *priv, const char *zone, struct zsync_err *err)
{
	struct pdns *p = priv;
	struct zsync_http_resp r;
	char *url = zone_url(p, zone, NULL);
	int ret = zsync_http_request(p->http, "DELETE", url, NULL, &r, err);

	free(url);
	if (ret < 0)
		return ret;
	if (r.status == 404 || r.status == 422)
		ret = ZSYNC_ENOTFOUND;
	else if (r.status != 204 && r.status != 200)
		ret = fail(&r, err);
	zsync_http_resp_release(&r);
	return ret;
}

static int p_list(void *priv, struct zsync_strlist *out, struct zsync_err *err)
{
	struct pdns *p = priv;
	struct zsync_http_resp r;
	char *url = zsync_xasprintf("%s/zones?dnssec=false", p->base);
	int ret = zsync_http_request(p->http, "GET", url, NULL, &r, err);
	json_t *z;
	size_t i;

	free(url);
	if (ret < 0)
		return ret;
	if (r.status != 200 || !json_is_array(r.json)) {
		ret = r.status == 200 ? zsync_err_set(err, ZSYNC_EINVAL, "malformed zone list") : fail(&r, err);
		zsync_http_resp_release(&r);
		return ret;
	}
	json_array_foreach(r.json, i, z) {
		const char *name = json_string_value(json_object_get(z, "name"));
		if (name)
			zsync_strlist_add(out, name);
	}
	zsync_strlist_sort(out);
	zsync_http_resp_release(&r);
	return 0;
}

static char *owner_text(const uint8_t *o)
{
	char buf[ZSYNC_NAME_TXT_MAXLEN + 1];
	return zsync_xstrdup(zsync_name_to_text(o, buf, sizeof(buf)));
}

static json_t *rrset_item(const struct zsync_change *c)
{
	const struct zsync_rrset *any = c->new ? c->new : c->old;
	char type[32], *name = owner_text(any->owner);
	json_t *o;

	zsync_type_to_text(any->type, type, sizeof(type));
	if (!c->new) {
		o = json_pack("{s:s, s:s, s:s}", "name", name, "type", type, "changetype", "DELETE");
	} else {
		json_t *recs = json_array();
		char *buf = zsync_xmalloc(4 * 65536 + 4096);
		const uint8_t *rd = c->new->rdata;
		for (uint16_t i = 0; i < c->new->count; i++, rd = zsync_rdata_next(rd)) {
			zsync_rdata_to_text(c->new->type, rd, buf, 4 * 65536 + 4096);
			json_array_append_new(recs, json_pack("{s:s, s:b}", "content", buf, "disabled", 0));
		}
		free(buf);
		o = json_pack("{s:s, s:s, s:I, s:s, s:o}", "name", name, "type", type, "ttl",
			      (json_int_t)c->ttl, "changetype", "REPLACE", "records", recs);
	}
	free(name);
	return o;
}

static int patch(struct pdns *p, const char *zone, json_t *items, struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *url = zone_url(p, zone, NULL);
	json_t *body = json_pack("{s:O}", "rrsets", items);
	int ret = zsync_http_request(p->http, "PATCH", url, body, &r, err);

	free(url);
	json_decref(body);
	if (ret < 0)
		return ret;
	if (r.status != 204 && r.status != 200)
		ret = fail(&r, err);
	zsync_http_resp_release(&r);
	return ret;
}

static int p_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct pdns *p = priv;
	const struct zsync_changeset *cs = req->changes;
	json_t *items = json_array();
	size_t bytes = 0, parts = 0;
	int ret = 0;

	if (req->create_zone) {
		struct zsync_http_resp r;
		char *url = zsync_xasprintf("%s/zones?rrsets=false", p->base);
		json_t *body = json_pack("{s:s, s:s, s:[], s:s}", "name", req->zone, "kind", "Native",
					 "nameservers", "soa_edit_api", "DEFAULT");
		ret = zsync_http_request(p->http, "POST", url, body, &r, err);
		free(url);
		json_decref(body);
		if (ret < 0)
			goto out;
		if (r.status != 201 && r.status != 409) {
			ret = fail(&r, err);
			zsync_err_prefix(err, "creating the zone");
			zsync_http_resp_release(&r);
			goto out;
		}
		zsync_http_resp_release(&r);
	}
	/* deletes first: a CNAME may only arrive once the other types at its name are gone */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cs->n; i++) {
			const struct zsync_change *c = &cs->v[i];
			if ((c->op == ZSYNC_CHANGE_DELETE) != (pass == 0) || (c->flags & ZSYNC_CHANGE_SOA))
				continue;
			json_t *it = rrset_item(c);
			char *s = json_dumps(it, JSON_COMPACT);
			size_t n = strlen(s);
			free(s);
			if (json_array_size(items) && bytes + n > PATCH_BYTES_MAX) {
				/* one PATCH is one transaction; a changeset over the body limit is split */
				if ((ret = patch(p, req->zone, items, err)) < 0)
					goto out;
				parts++;
				json_array_clear(items);
				bytes = 0;
			}
			json_array_append_new(items, it);
			bytes += n + 1;
		}
	}
	if (json_array_size(items)) {
		ret = patch(p, req->zone, items, err);
		parts++;
	}
	if (ret < 0 && parts > 1)
		zsync_err_prefix(err, "PATCH %zu of the changes (the earlier ones were applied)", parts);
out:
	json_decref(items);
	return ret;
}

static const struct zsync_conf_key p_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(ZSYNC_CONF_REQUIRED, NULL),
	{ "server_id", ZSYNC_CONF_STR, 0, NULL, "localhost", "the PowerDNS server id in the API's paths" },
	{ "api_key", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL, "the API key (X-API-Key)" },
	{ 0 },
};

const struct zsync_provider_type zsync_provider_powerdns = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "powerdns",
	.summary = "PowerDNS Authoritative through its HTTP API (one PATCH of RRsets per zone)",
	.keys = p_keys,
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_ATOMIC | ZSYNC_CAP_LIST_ZONES,
	.open = p_open,
	.list_zones = p_list,
	.delete_zone = p_delete_zone,
	.fetch = p_fetch,
	.apply = p_apply,
	.usage = p_usage,
	.close = p_close,
};
