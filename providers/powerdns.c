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
#include <math.h>
#include <stdbool.h>
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
		return zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
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
	int ret = zsync_http_request_idempotent(p->http, "DELETE", url, NULL, &r, err);

	free(url);
	if (ret < 0)
		return ret;
	if (r.status == 404 || r.status == 422)
		ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
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

/*
 * PowerDNS takes a record only in the text form it prints itself: its API parses the
 * content, prints it again and refuses it ("Not in expected format (parsed as ...)")
 * when the two differ. Where pdns prints a type differently from libknot, the content
 * is written pdns's way here; the wire data stays git's.
 */

#define PDNS_TYPE_NULL 10
#define PDNS_TYPE_RT 21
#define PDNS_TYPE_LOC 29
#define PDNS_TYPE_SVCB 64
#define PDNS_TYPE_HTTPS 65

/* LOC the way pdns prints it (its LOCRecordContent: degrees as doubles, %.3f seconds,
 * %.2f metres, N/E only when strictly positive): the same arithmetic gives the same text. */
static int loc_text(const uint8_t *d, uint16_t len, char *out, size_t cap)
{
	uint32_t la, lo, al;
	double lat, lon, alt, rem, sz[3];

	if (len != 16 || d[0] != 0)
		return -1;
	la = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
	lo = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
	al = (uint32_t)d[12] << 24 | (uint32_t)d[13] << 16 | (uint32_t)d[14] << 8 | d[15];
	lat = (int32_t)(la - (1u << 31)) / 3600000.0;
	lon = (int32_t)(lo - (1u << 31)) / 3600000.0;
	alt = (int32_t)al / 100.0 - 100000;
	for (int i = 0; i < 3; i++) {
		int count = d[1 + i] & 0xf;
		sz[i] = 0.01 * ((d[1 + i] >> 4) & 0xf);
		while (count--)
			sz[i] *= 10;
	}
	char a[64], b[64];
	rem = 60.0 * (lat - (int)lat);
	snprintf(a, sizeof(a), "%d %d %2.03f %c", abs((int)lat), abs((int)((lat - (int)lat) * 60)),
		 fabs((rem - (int)rem) * 60.0), lat > 0 ? 'N' : 'S');
	rem = 60.0 * (lon - (int)lon);
	snprintf(b, sizeof(b), "%d %d %2.03f %c", abs((int)lon), abs((int)((lon - (int)lon) * 60)),
		 fabs((rem - (int)rem) * 60.0), lon > 0 ? 'E' : 'W');
	snprintf(out, cap, "%s %s %.2fm %.2fm %.2fm %.2fm", a, b, alt, sz[0], sz[1], sz[2]);
	return 0;
}

/*
 * SVCB/HTTPS parameters the way pdns prints them: `ech` quoted, a keyNNNNN without a
 * value as keyNNNNN="". libknot's text is rewritten token by token (quotes and
 * backslashes respected, so a value with a space stays one token).
 */
static void svcb_text(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = in;

	while (*p && o + 4 < cap) {
		const char *t = p;
		bool q = false;
		while (*p && (q || *p != ' ')) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				q = !q;
			p++;
		}
		size_t n = (size_t)(p - t);
		if (n > 4 && strncmp(t, "ech=", 4) == 0 && t[4] != '"')
			o += (size_t)snprintf(out + o, cap - o, "ech=\"%.*s\"", (int)(n - 4), t + 4);
		else if (n > 3 && strncmp(t, "key", 3) == 0 && strspn(t + 3, "0123456789") == n - 3)
			o += (size_t)snprintf(out + o, cap - o, "%.*s=\"\"", (int)n, t);
		else
			o += (size_t)snprintf(out + o, cap - o, "%.*s", (int)n, t);
		while (*p == ' ' && o + 1 < cap)
			out[o++] = *p++;
		if (o >= cap)
			o = cap - 1;
	}
	out[o < cap ? o : cap - 1] = '\0';
}

/* RFC 3597 form: pdns writes an empty one as "\# 0 " (with the space) */
static void generic_text(const uint8_t *rd, char *out, size_t cap)
{
	const uint8_t *d = zsync_rdata_data(rd);
	uint16_t len = zsync_rdata_len(rd);
	size_t o = (size_t)snprintf(out, cap, "\\# %u ", len);
	for (uint16_t i = 0; i < len && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", d[i]);
}

/* Types libknot names but pdns does not know ("unknown type given" for NULL and RT by name). */
static bool pdns_unknown(uint16_t type)
{
	return type == PDNS_TYPE_NULL || type == PDNS_TYPE_RT;
}

/* The type name and content pdns takes for one record of git's. */
static void pdns_content(uint16_t type, const uint8_t *rd, char *tname, size_t tcap, char *buf, size_t cap,
			 char *tmp)
{
	zsync_type_to_text(type, tname, tcap);
	if (pdns_unknown(type)) {
		/* pdns does not know these: it keeps them as unknown types, by number */
		snprintf(tname, tcap, "TYPE%u", type);
		generic_text(rd, buf, cap);
		return;
	}
	if (type == PDNS_TYPE_LOC && loc_text(zsync_rdata_data(rd), zsync_rdata_len(rd), buf, cap) == 0)
		return;
	zsync_rdata_to_text(type, rd, buf, cap);
	if (strncmp(buf, "\\# ", 3) == 0) {
		generic_text(rd, buf, cap);
	} else if (type == PDNS_TYPE_SVCB || type == PDNS_TYPE_HTTPS) {
		strcpy(tmp, buf);
		svcb_text(tmp, buf, cap);
	}
}


static json_t *rrset_item(const struct zsync_change *c)
{
	const struct zsync_rrset *any = c->new ? c->new : c->old;
	char type[32], *name = owner_text(any->owner);
	json_t *o;

	zsync_type_to_text(any->type, type, sizeof(type));
	if (pdns_unknown(any->type))
		snprintf(type, sizeof(type), "TYPE%u", any->type);
	if (!c->new) {
		o = json_pack("{s:s, s:s, s:s}", "name", name, "type", type, "changetype", "DELETE");
	} else {
		json_t *recs = json_array();
		char *buf = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN), *tmp = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN);
		const uint8_t *rd = c->new->rdata;
		for (uint16_t i = 0; i < c->new->count; i++, rd = zsync_rdata_next(rd)) {
			pdns_content(c->new->type, rd, type, sizeof(type), buf, ZSYNC_RDATA_TXT_MAXLEN, tmp);
			json_array_append_new(recs, json_pack("{s:s, s:b}", "content", buf, "disabled", 0));
		}
		free(buf);
		free(tmp);
		o = json_pack("{s:s, s:s, s:I, s:s, s:o}", "name", name, "type", type, "ttl",
			      (json_int_t)c->ttl, "changetype", "REPLACE", "records", recs);
	}
	free(name);
	return o;
}

/*
 * Types pdns knows by a name of its own but libknot does not: pdns refuses them in the
 * RFC 3597 form ("expected digits", "trailing data was not parsed") and zonesync writes
 * no other form of them. TYPE65401/65402 are pdns's ALIAS and LUA, which pdns resolves
 * itself instead of serving the data. A record of these is refused in plan.
 */
static int pdns_native_only(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			    uint16_t *outlen, struct zsync_err *err)
{
	(void)owner, (void)data, (void)len, (void)out, (void)outlen;
	return zsync_err_set(err, ZSYNC_EINVAL,
			     "PowerDNS knows this type by a name of its own (MB, MG, MR, RKEY, DLV, ALIAS, LUA) and refuses it in RFC 3597 form");
}

/*
 * LOC values pdns cannot print back (so cannot hold): it reads the altitude as a signed
 * 32-bit number (a raw value from 2^31, 21,374,836.48 m and up, prints negative) and
 * sizes and precisions in centimetres as 32-bit numbers (9e9 cm is clamped).
 */
static int pdns_loc(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen,
		    struct zsync_err *err)
{
	(void)owner;
	if (len == 16 && data[0] == 0) {
		if (data[12] & 0x80)
			return zsync_err_set(err, ZSYNC_EINVAL,
					     "PowerDNS reads a LOC altitude from 21374836.48m up as negative");
		for (int i = 1; i <= 3; i++) {
			uint64_t cm = (uint64_t)(data[i] >> 4);
			for (int e = data[i] & 0xf; e > 0; e--)
				cm *= 10;
			if (cm > UINT32_MAX)
				return zsync_err_set(err, ZSYNC_EINVAL,
						     "PowerDNS holds LOC sizes and precisions up to 42949672.95m only");
		}
	}
	memcpy(out, data, len);
	*outlen = len;
	return 0;
}

/*
 * Owner names pdns's API refuses ("Name '...' contains unsupported characters", HTTP 422,
 * the whole PATCH with it): a label may hold only letters, digits, '-', '_' and '/', and
 * '*' only as the whole first label, a wildcard (tried against pdns 4.7: '.', ' ', '"',
 * ';', '(', '@', '\\', '$', '~', '+', '=', ',', '!', '%', ':', '#', '&', '\'', '?', '^',
 * '|', '{', '<', bytes outside ASCII, "a*b", "**" and "a.*.b" refused).
 */
static int pdns_owner(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
		      uint16_t *outlen, struct zsync_err *err)
{
	(void)data, (void)len, (void)out, (void)outlen;
	for (const uint8_t *l = owner; *l; l += *l + 1) {
		if (l == owner && *l == 1 && l[1] == '*')
			continue;
		for (uint8_t i = 1; i <= *l; i++) {
			uint8_t c = l[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '-' || c == '_' || c == '/'))
				return zsync_err_set(err, ZSYNC_EINVAL,
						     "PowerDNS's API accepts owner names of letters, digits, '-', '_' and '/' only (and '*' as a whole first label)");
		}
	}
	return 0;
}

/*
 * The target of an NS, MX or SRV record must be a host name for pdns's API ("RRset ... IN
 * MX non-hostname content ...", HTTP 422, the whole PATCH with it): labels of letters,
 * digits and '-', neither first nor last (tried against pdns 4.7: "a_b", "*", "a/b",
 * "-a", "a-" refused; "a--b", "1.2.3.4." and the root, a null MX or SRV, taken).
 */
static int pdns_hostname(const uint8_t *data, uint16_t len, uint16_t at, uint8_t *out, uint16_t *outlen,
			 struct zsync_err *err)
{
	for (const uint8_t *l = data + at; l < data + len && *l; l += *l + 1)
		for (uint8_t i = 1; i <= *l; i++) {
			uint8_t c = l[i];
			bool edge = i == 1 || i == *l;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      (c == '-' && !edge)))
				return zsync_err_set(err, ZSYNC_EINVAL,
						     "PowerDNS takes only a host name as NS, MX or SRV target (letters, digits "
						     "and '-' inside a label; its API answers 422 non-hostname content)");
		}
	memcpy(out, data, len);
	*outlen = len;
	return 0;
}

/* the target follows MX's preference (2 octets), SRV's priority, weight and port (6) */
static int pdns_ns(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen,
		   struct zsync_err *err)
{
	(void)owner;
	return pdns_hostname(data, len, 0, out, outlen, err);
}

static int pdns_mx(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen,
		   struct zsync_err *err)
{
	(void)owner;
	return pdns_hostname(data, len, 2, out, outlen, err);
}

static int pdns_srv(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen,
		    struct zsync_err *err)
{
	(void)owner;
	return pdns_hostname(data, len, 6, out, outlen, err);
}

/*
 * Where pdns's API takes a type, and how many records (HTTP 422 for the whole PATCH
 * otherwise, tried against pdns 4.7): DNSKEY only at the apex ("is only allowed at
 * apex"), DS never there ("is not allowed at apex": it belongs in the parent), one CNAME
 * or DNAME per name ("has more than one record").
 */
static int p_check_rrset(const struct zsync_rrset *r, const uint8_t *apex, struct zsync_err *err)
{
	bool at_apex = zsync_name_equal(r->owner, apex);
	if (r->type == ZSYNC_TYPE_DNSKEY && !at_apex)
		return zsync_err_set(err, ZSYNC_EINVAL, "PowerDNS holds DNSKEY records only at the zone's apex "
				     "(its API answers 422 \"only allowed at apex\")");
	if (r->type == ZSYNC_TYPE_DS && at_apex)
		return zsync_err_set(err, ZSYNC_EINVAL, "PowerDNS holds no DS record at the zone's apex (its API "
				     "answers 422 \"not allowed at apex\"; a zone's DS belongs in its parent)");
	if ((r->type == ZSYNC_TYPE_CNAME || r->type == ZSYNC_TYPE_DNAME) && r->count > 1)
		return zsync_err_set(err, ZSYNC_EINVAL, "PowerDNS holds one %s record per name, not %u",
				     r->type == ZSYNC_TYPE_CNAME ? "CNAME" : "DNAME", r->count);
	return 0;
}

static const struct zsync_normaliser pdns_normalisers[] = {
	{ ZSYNC_NORM_EVERY_TYPE, "", pdns_owner },
	{ ZSYNC_TYPE_NS, "", pdns_ns },
	{ ZSYNC_TYPE_MX, "", pdns_mx },
	{ ZSYNC_TYPE_SRV, "", pdns_srv },
	{ PDNS_TYPE_LOC, "", pdns_loc },
	{ 7, "", pdns_native_only },     { 8, "", pdns_native_only },     { 9, "", pdns_native_only },
	{ 57, "", pdns_native_only },    { 32769, "", pdns_native_only }, { 65401, "", pdns_native_only },
	{ 65402, "", pdns_native_only }, { 0 },
};

static int patch(struct pdns *p, const char *zone, json_t *items, struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *url = zone_url(p, zone, NULL);
	json_t *body = json_pack("{s:O}", "rrsets", items);
	/* every item REPLACEs or DELETEs a whole RRset: done twice, it is done once */
	int ret = zsync_http_request_idempotent(p->http, "PATCH", url, body, &r, err);

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
	bool created = false;
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
		created = r.status == 201;
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
	if (ret < 0 && created && parts <= 1) {
		/* pdns would serve the new zone with its SOA alone (no NS, none of git's records):
		 * a zone this run created is deleted again, so the next run creates it whole */
		struct zsync_err derr = { 0 };
		if (p_delete_zone(p, req->zone, &derr) == 0)
			zsync_err_append(err, " (the zone created for these records was deleted again)");
		else
			zsync_err_append(err, " (the zone created for these records is served empty: deleting it failed: %s)",
					 derr.msg);
	}
out:
	json_decref(items);
	return ret;
}

static const struct zsync_conf_key p_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(ZSYNC_CONF_REQUIRED, NULL),
	{ "server_id", ZSYNC_CONF_STR, 0, NULL, "localhost", "the PowerDNS server id in the API's paths" },
	{ "api_key", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL, "the API key (X-API-Key)" },
	ZSYNC_PROVIDER_NS_NAMES_KEY,
	{ 0 },
};

const struct zsync_provider_type zsync_provider_powerdns = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "powerdns",
	.summary = "PowerDNS Authoritative through its HTTP API (one PATCH of RRsets per zone)",
	.keys = p_keys,
	/* not ZSYNC_CAP_ATOMIC: a changeset over PATCH_BYTES_MAX goes in several PATCHes */
	/* ZSYNC_CAP_CONCURRENT: priv is the HTTP client (thread-safe) and the base URL only */
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_LIST_ZONES | ZSYNC_CAP_CONCURRENT,
	.normalisers = pdns_normalisers,
	.check_rrset = p_check_rrset,
	.open = p_open,
	.list_zones = p_list,
	.delete_zone = p_delete_zone,
	.fetch = p_fetch,
	.apply = p_apply,
	.usage = p_usage,
	.nameservers = zsync_provider_ns_names,
	.close = p_close,
};
