/*
 * route53.c - Amazon Route 53 (API 2013-04-01, REST-XML, AWS Signature V4 through libcurl):
 * the hosted zone found by name, record sets read page by page, every change of a zone sent
 * as atomic change batches split at Route 53's limits (1,000 ResourceRecord elements and
 * 32,000 characters of values per request, UPSERT counting twice). An update is a DELETE
 * with the values Route 53 returned plus a CREATE in the same batch, so that a concurrent
 * edit makes the batch fail instead of being overwritten; the apex NS, which Route 53 never
 * lets go, is UPSERTed. Alias and routing-policy record sets (weighted, latency, failover,
 * geolocation, ...) belong to whoever made them: read, counted, left alone.
 */
#include "provider.h"
#include "strmap.h"
#include "support.h"
#include "thread.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define R53_NS "https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_API "/2013-04-01"
#define MAX_RECORDS 1000  /* ResourceRecord elements per ChangeResourceRecordSets */
#define MAX_CHARS 32000   /* characters of Value per ChangeResourceRecordSets */
#define MAX_VALUE 4000    /* one Value (RData in the model) */
#define PAGE 300          /* ListResourceRecordSets maxitems */
#define ID_LEN 40         /* a hosted zone or change id and its NUL (ResourceId: at most 32) */

/* RRType of the 2013-04-01 model */
static const uint16_t r53_types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA, ZSYNC_TYPE_CAA, ZSYNC_TYPE_CNAME,
				       ZSYNC_TYPE_DS, 64 /* SVCB */, 65 /* HTTPS */, ZSYNC_TYPE_MX,
				       35 /* NAPTR */, ZSYNC_TYPE_NS, ZSYNC_TYPE_PTR, ZSYNC_TYPE_SOA,
				       ZSYNC_TYPE_SPF, ZSYNC_TYPE_SRV, 44 /* SSHFP */, 52 /* TLSA */,
				       ZSYNC_TYPE_TXT, 0 };

/*
 * One record set as Route 53 returned it: a DELETE must repeat its values and TTL. Kept
 * for every zone read until its apply, so the owner takes only its own length.
 */
struct r53_set {
	uint8_t *owner;
	uint16_t type;
	uint32_t ttl;
	char *name;
	char **values;
	size_t n;
};

/*
 * What a fetch learnt about one zone, for the apply that follows: the hosted zone's id and
 * the record sets as Route 53 returned them (a DELETE repeats them exactly).
 */
struct r53_zone {
	char *name;           /* the zone as zonesync names it ("example.com.") */
	uintptr_t read;       /* the zone model that fetch returned: compared, never followed */
	char id[ID_LEN];
	struct r53_set *sets; /* sorted by owner, then type */
	size_t nsets;
	size_t foreign;       /* alias and routing-policy sets, left alone */
};

/*
 * Calls for different zones overlap (ZSYNC_CAP_CONCURRENT): everything but `zones` is set
 * by open and read-only afterwards (the HTTP client is thread-safe, its SigV4 keys and
 * the session token header are fixed at open); each zone's state is its own, handed over
 * under the map's lock and worked on only by the one call for that zone.
 */
struct r53 {
	struct zsync_http *http;
	char *base;
	const char *name;     /* the provider's name in the configuration, for warnings */
	bool wait_insync;
	long timeout;
	struct zsync_provider_states zones; /* zone name -> struct r53_zone */
	pthread_mutex_t ids_lock;           /* ids, idv, nids */
	struct zsync_strmap ids;            /* a name as Route 53 writes it -> struct r53_id */
	struct r53_id **idv;
	size_t nids;
};

/* A hosted zone id a ListHostedZonesByName answer gave (find_zone, learn_ids). */
struct r53_id {
	char id[ID_LEN];      /* "": deleted since */
	char name[];
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

static struct r53_zone *zone_new(const char *zone)
{
	struct r53_zone *st = zsync_xcalloc(1, sizeof(*st));
	st->name = zsync_xstrdup(zone);
	return st;
}

/* Frees st; accepts NULL. */
static void zone_free(void *p)
{
	struct r53_zone *st = p;
	if (!st)
		return;
	for (size_t i = 0; i < st->nsets; i++) {
		for (size_t k = 0; k < st->sets[i].n; k++)
			free(st->sets[i].values[k]);
		free(st->sets[i].values);
		free(st->sets[i].name);
		free(st->sets[i].owner);
	}
	free(st->sets);
	free(st->name);
	free(st);
}

/* ---- names and values: Route 53 writes octets as \ooo (octal), zone files as \DDD ---- */

/* How Route 53 returns a name: lower case, octets other than a-z 0-9 - _ as \ooo, a trailing dot. */
static void name_out(const uint8_t *wire, char *out)
{
	char *o = out;
	if (!*wire) {
		strcpy(out, ".");
		return;
	}
	while (*wire) {
		uint8_t len = *wire++;
		for (uint8_t i = 0; i < len; i++, wire++) {
			uint8_t b = *wire;
			if (b >= 'A' && b <= 'Z')
				b = (uint8_t)(b - 'A' + 'a');
			if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_')
				*o++ = (char)b;
			else
				o += sprintf(o, "\\%03o", b);
		}
		*o++ = '.';
	}
	*o = '\0';
}

/* Route 53's text of a name (\ooo octal or \c escapes) in wire form; 0 or ZSYNC_EINVAL. */
static int name_in(const char *s, uint8_t *out)
{
	size_t o = 0, lab = 0;
	if (!strcmp(s, ".")) {
		out[0] = 0;
		return 0;
	}
	out[0] = 0;
	while (*s) {
		uint8_t b;
		if (*s == '.') {
			if (out[lab] == 0)
				return ZSYNC_EINVAL;
			lab = ++o;
			if (lab >= ZSYNC_NAME_MAXLEN)
				return ZSYNC_EINVAL;
			out[lab] = 0;
			s++;
			continue;
		}
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			b = (uint8_t)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else if (s[0] == '\\' && s[1]) {
			b = (uint8_t)s[1];
			s += 2;
		} else {
			b = (uint8_t)*s++;
		}
		if (out[lab] == 63 || o + 2 >= ZSYNC_NAME_MAXLEN)
			return ZSYNC_EINVAL;
		out[lab]++;
		out[++o] = b;
	}
	if (out[lab] != 0) { /* no trailing dot: Route 53 names are absolute all the same */
		lab = ++o;
		if (lab >= ZSYNC_NAME_MAXLEN)
			return ZSYNC_EINVAL;
		out[lab] = 0;
	}
	return 0;
}

/* A value in zone-file presentation (libknot's \DDD decimal escapes) as Route 53 reads it. */
static char *value_out(const char *zf)
{
	char *out = zsync_xmalloc(strlen(zf) * 2 + 1), *o = out;
	while (*zf) {
		if (zf[0] == '\\' && zf[1] >= '0' && zf[1] <= '9' && zf[2] >= '0' && zf[2] <= '9' && zf[3] >= '0' &&
		    zf[3] <= '9') {
			unsigned v = (unsigned)((zf[1] - '0') * 100 + (zf[2] - '0') * 10 + (zf[3] - '0'));
			o += sprintf(o, "\\%03o", v & 0xff);
			zf += 4;
		} else if (zf[0] == '\\' && zf[1]) {
			*o++ = *zf++;
			*o++ = *zf++;
		} else {
			*o++ = *zf++;
		}
	}
	*o = '\0';
	return out;
}

/* ---- XML ---------------------------------------------------------------------------- */

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
	}
}

/* Parses an answer; never loads a DTD, never expands entities, never touches the network. */
static xmlDocPtr xml_parse(const struct zsync_http_resp *r)
{
	if (!r->body || !r->len || r->len > INT32_MAX)
		return NULL;
	return xmlReadMemory(r->body, (int)r->len, "route53.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
}

/* The first child element of n called name (in Route 53's namespace), or NULL. */
static xmlNodePtr xml_child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE && !xmlStrcmp(k->name, BAD_CAST name) && k->ns &&
		    !xmlStrcmp(k->ns->href, BAD_CAST R53_NS))
			return k;
	return NULL;
}

/* The text of n (malloc'ed), or NULL. */
static char *xml_string(xmlNodePtr n)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	char *s = t ? zsync_xstrdup((const char *)t) : NULL;
	xmlFree(t);
	return s;
}

/* The root of an answer when it is the element name in Route 53's namespace. */
static xmlNodePtr xml_root(xmlDocPtr doc, const char *name)
{
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || xmlStrcmp(root->name, BAD_CAST name) || !root->ns || xmlStrcmp(root->ns->href, BAD_CAST R53_NS))
		return NULL;
	return root;
}

/* Printable, bounded: what a message from the service may show. */
static void clean(char *s)
{
	size_t n = 0;
	for (char *p = s; *p && n < 600; p++, n++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	s[n] = '\0';
}

/* The error code of an answer (Throttling, InvalidChangeBatch ...) into code; 0 when found. */
static int error_code(const struct zsync_http_resp *r, char *code, size_t len, char **message)
{
	xmlDocPtr doc = xml_parse(r);
	xmlNodePtr root, e;
	int ret = -1;

	*code = '\0';
	if (message)
		*message = NULL;
	if ((root = xml_root(doc, "ErrorResponse")) && (e = xml_child(root, "Error"))) {
		char *c = xml_string(xml_child(e, "Code"));
		if (c) {
			snprintf(code, len, "%s", c);
			if (message)
				*message = xml_string(xml_child(e, "Message"));
			ret = 0;
		}
		free(c);
	} else if ((root = xml_root(doc, "InvalidChangeBatch"))) {
		snprintf(code, len, "InvalidChangeBatch");
		if (message) {
			char *all = NULL;
			size_t alen = 0;
			FILE *f = open_memstream(&all, &alen);
			xmlNodePtr msgs = xml_child(root, "Messages");
			int k = 0;
			for (xmlNodePtr m = msgs ? msgs->children : NULL; m; m = m->next) {
				char *t = m->type == XML_ELEMENT_NODE ? xml_string(m) : NULL;
				if (t)
					fprintf(f, "%s%s", k++ ? "; " : "", t);
				free(t);
			}
			if (!k) {
				char *t = xml_string(xml_child(root, "Message"));
				fputs(t ? t : "", f);
				free(t);
			}
			fclose(f);
			*message = all;
		}
		ret = 0;
	}
	xmlFreeDoc(doc);
	return ret;
}

static int r53_error(const struct zsync_http_resp *r, struct zsync_err *err)
{
	char code[64], *msg = NULL;
	int ret;

	if (error_code(r, code, sizeof(code), &msg) < 0) {
		zsync_http_error(r, err); /* not Route 53's error XML: the status and the body's first line */
		return err->code ? err->code : ZSYNC_EIO;
	}
	if (msg)
		clean(msg);
	ret = zsync_err_set(err, r->status == 404 ? ZSYNC_ENOTFOUND : ZSYNC_EIO, "HTTP %ld: %s: %s%s", r->status, code,
			    msg && *msg ? msg : "(no message)",
			    r->status == 403 ? " (check access_key_id, secret_access_key, session_token and the IAM policy)"
					     : "");
	free(msg);
	return ret;
}

/* Route 53 throttles with HTTP 400 (or 429) and a code: retried like any 429. */
static bool throttled(void *ud, const struct zsync_http_resp *r)
{
	char code[64];
	(void)ud;
	if (r->status != 400 && r->status != 429)
		return false;
	if (error_code(r, code, sizeof(code), NULL) < 0)
		return false;
	return !strcmp(code, "Throttling") || !strcmp(code, "ThrottlingException") ||
	       !strcmp(code, "PriorRequestNotComplete");
}

/* One API call; a 2xx answer that is Route 53's XML comes back in *doc. */
static int call(struct r53 *c, const char *method, const char *path, const char *body, const char *root_name,
		xmlDocPtr *doc, xmlNodePtr *root, struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *url = zsync_xasprintf("%s%s", c->base, path);
	struct zsync_http_req req = { .method = method, .url = url, .body = body, .len = body ? strlen(body) : 0,
				      .content_type = body ? "text/xml" : NULL, .accept = "text/xml",
				      /* a change batch or a new zone is done once (sent twice, a CREATE
				       * fails and hides that the first landed); a zone deleted twice once */
				      .idempotent = !strcmp(method, "DELETE") };
	int ret = zsync_http_send(c->http, &req, &r, err);

	free(url);
	*doc = NULL;
	if (ret < 0)
		return ret;
	if (r.status < 200 || r.status > 299) {
		ret = r53_error(&r, err);
	} else if (!(*doc = xml_parse(&r)) || !(*root = xml_root(*doc, root_name))) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "HTTP %ld: the answer is not a %s", r.status, root_name);
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	zsync_http_resp_release(&r);
	return ret;
}

/* ---- open, close, usage --------------------------------------------------------------- */

/*
 * Route 53 holds a value of at most 4,000 characters (RData in the API model, "max": 4000):
 * a TXT or SPF record longer than that in its written form is refused per record by plan.
 * Nothing is changed: a record that fits is served exactly as git has it.
 */
static int refuse_long_txt(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen,
			   struct zsync_err *err)
{
	size_t chars = 0;
	(void)owner;
	for (size_t i = 0; i < len;) {
		uint8_t n = data[i++];
		chars += 2 + (i > 1 ? 1 : 0); /* its quotes, a space before all but the first */
		for (uint8_t k = 0; k < n && i < len; k++, i++) {
			uint8_t b = data[i];
			chars += b == '"' || b == '\\' ? 2 : (b < 0x20 || b >= 0x7f) ? 4 : 1;
		}
	}
	if (chars > MAX_VALUE)
		return zsync_err_set(err, ZSYNC_EINVAL, "a value of %zu characters: Route 53 holds at most %d", chars,
				     MAX_VALUE);
	memcpy(out, data, len);
	*outlen = len;
	return 0;
}

/*
 * An RRset goes in one CREATE, and one change batch carries at most 32,000 characters of
 * values (Route 53's documented limit): a bigger RRset cannot be written at all.
 */
static int r_check_rrset(const struct zsync_rrset *r, const uint8_t *apex, struct zsync_err *err)
{
	(void)apex;
	char *txt = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN);
	const uint8_t *rd = r->rdata;
	size_t chars = 0;

	for (uint16_t k = 0; k < r->count; k++, rd = zsync_rdata_next(rd)) {
		char *v;
		if (zsync_rdata_to_text(r->type, rd, txt, ZSYNC_RDATA_TXT_MAXLEN) < 0)
			continue;
		v = value_out(txt);
		chars += strlen(v);
		free(v);
	}
	free(txt);
	if (chars > MAX_CHARS || r->count > MAX_RECORDS)
		return zsync_err_set(err, ZSYNC_EINVAL, "%u values of %zu characters together, more than one change "
				     "batch of Route 53 carries (%d values, %d characters)", r->count, chars, MAX_RECORDS,
				     MAX_CHARS);
	return 0;
}

static const struct zsync_normaliser r_norms[] = {
	{ ZSYNC_TYPE_TXT, "unchanged", refuse_long_txt },
	{ ZSYNC_TYPE_SPF, "unchanged", refuse_long_txt },
	{ 0 },
};

static int r_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	static const char *const names[] = { "access_key_id", "secret_access_key", "session_token" };
	struct zsync_provider_conf paced = *conf;
	struct zsync_http *http = NULL;
	char *keys[3] = { NULL, NULL, NULL }, *base = NULL;
	struct r53 *c;
	int ret;

	zsync_once(&xml_once, xml_init);
	if (paced.rate_per_sec <= 0)
		paced.rate_per_sec = 5; /* Route 53's limit per account */
	if ((ret = zsync_provider_secrets(conf, names, zsync_config_has(conf, "session_token") ? 3 : 2, keys, err)) < 0)
		return ret;
	if ((ret = zsync_provider_http_open(&paced, &http, &base, err)) < 0)
		goto out;
	zsync_http_aws_sigv4(http, "aws:amz:us-east-1:route53", keys[0], keys[1]);
	if (keys[2])
		zsync_provider_auth_header(http, "X-Amz-Security-Token: ", keys[2]);
	zsync_http_retry_hook(http, throttled, NULL);
	c = zsync_xcalloc(1, sizeof(*c));
	c->http = http;
	c->base = base;
	c->wait_insync = zsync_config_get_bool(conf, "wait_insync");
	c->name = conf->name;
	c->timeout = conf->timeout > 0 ? conf->timeout : 30;
	zsync_provider_states_init(&c->zones, zone_free);
	zsync_mutex_init(&c->ids_lock);
	*priv = c;
out:
	for (int i = 0; i < 3; i++)
		zsync_config_secret_free(keys[i]);
	return ret;
}

static void r_close(void *priv)
{
	struct r53 *c = priv;
	if (!c)
		return;
	zsync_provider_states_release(&c->zones);
	for (size_t i = 0; i < c->nids; i++)
		free(c->idv[i]);
	free(c->idv);
	zsync_strmap_release(&c->ids);
	zsync_mutex_destroy(&c->ids_lock);
	zsync_http_free(c->http);
	free(c->base);
	free(c);
}

static void r_usage(void *priv, char *buf, size_t len)
{
	struct r53 *c = priv;
	snprintf(buf, len, "%zu requests (%zu GET, %zu POST)", zsync_http_count(c->http, NULL),
		 zsync_http_count(c->http, "GET"), zsync_http_count(c->http, "POST"));
}

/* ---- reading ------------------------------------------------------------------------ */

/* The id kept for name (as Route 53 writes it) into id_out; false when none is kept. */
static bool id_get(struct r53 *c, const char *name, char id_out[ID_LEN])
{
	zsync_lock(&c->ids_lock);
	struct r53_id *e = zsync_strmap_get(&c->ids, name);
	bool found = e && e->id[0];
	if (found)
		memcpy(id_out, e->id, ID_LEN);
	zsync_unlock(&c->ids_lock);
	return found;
}

/* Keeps id as name's (id "": forgets it). */
static void id_put(struct r53 *c, const char *name, const char *id)
{
	zsync_lock(&c->ids_lock);
	struct r53_id *e = zsync_strmap_get(&c->ids, name);
	if (!e && *id) {
		e = zsync_xcalloc(1, sizeof(*e) + strlen(name) + 1);
		strcpy(e->name, name);
		c->idv = zsync_xrealloc(c->idv, (c->nids + 1) * sizeof(*c->idv));
		c->idv[c->nids++] = e;
		zsync_strmap_put(&c->ids, e->name, e);
	}
	if (e)
		snprintf(e->id, sizeof(e->id), "%s", id);
	zsync_unlock(&c->ids_lock);
}

/*
 * A ListHostedZonesByName answer lists up to 100 zones from the name asked for on, in
 * Route 53's order: the zones read next are mostly among them, so their ids are kept and
 * a hundred zones cost one request instead of one each (Route 53 takes 5 requests a
 * second per account). Only a name the page holds in full (a later name follows, or the
 * list ends there) with exactly one public zone is kept: a zone missing or named twice is
 * always Route 53's own answer to a request for it.
 */
static void learn_ids(struct r53 *c, xmlNodePtr root)
{
	xmlNodePtr list = xml_child(root, "HostedZones");
	char *trunc = xml_string(xml_child(root, "IsTruncated"));
	bool ends = trunc && !strcmp(trunc, "false");
	char cur[ZSYNC_NAME_TXT_MAXLEN + 2] = "", cur_id[ID_LEN] = "";
	size_t npublic = 0;

	free(trunc);
	for (xmlNodePtr z = list ? list->children : NULL;; z = z->next) {
		char key[ZSYNC_NAME_TXT_MAXLEN + 2] = "", *zn = NULL, *id = NULL, *priv = NULL;
		uint8_t w[ZSYNC_NAME_MAXLEN];
		bool ok = true;
		if (z && z->type != XML_ELEMENT_NODE)
			continue;
		if (z) {
			zn = xml_string(xml_child(z, "Name"));
			id = xml_string(xml_child(z, "Id"));
			priv = xml_string(xml_child(xml_child(z, "Config"), "PrivateZone"));
			ok = zn && id && name_in(zn, w) == 0;
			if (ok)
				name_out(w, key);
		}
		/* the entries of `cur` end here: whole when another name follows or the list ends */
		if (cur[0] && npublic == 1 && (z ? ok && strcmp(key, cur) != 0 : ends))
			id_put(c, cur, cur_id);
		if (!z || !ok) {
			free(zn);
			free(id);
			free(priv);
			break; /* an entry zonesync cannot read: nothing after it is trusted */
		}
		if (strcmp(key, cur) != 0) {
			snprintf(cur, sizeof(cur), "%s", key);
			npublic = 0;
		}
		if (!(priv && !strcmp(priv, "true"))) {
			const char *bare = strrchr(id, '/') ? strrchr(id, '/') + 1 : id;
			npublic++;
			snprintf(cur_id, sizeof(cur_id), "%s", strlen(bare) < ID_LEN ? bare : "");
		}
		free(zn);
		free(id);
		free(priv);
	}
}

/* The public hosted zone called zone: its id into id_out; ZSYNC_ENOTFOUND when none. */
static int find_zone(struct r53 *c, const char *zone, char id_out[ID_LEN], struct zsync_err *err)
{
	uint8_t wire[ZSYNC_NAME_MAXLEN];
	char name[ZSYNC_NAME_TXT_MAXLEN + 2], *esc, *path, *ids = NULL;
	xmlDocPtr doc;
	xmlNodePtr root, list;
	size_t found = 0, idlen = 0;
	FILE *idf;
	int ret;

	id_out[0] = '\0';
	if (zsync_name_from_text(zone, NULL, wire) < 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "bad zone name");
	name_out(wire, name);
	if (id_get(c, name, id_out))
		return 0;
	esc = zsync_http_escape(name);
	path = zsync_xasprintf(R53_API "/hostedzonesbyname?dnsname=%s&maxitems=100", esc);
	free(esc);
	ret = call(c, "GET", path, NULL, "ListHostedZonesByNameResponse", &doc, &root, err);
	free(path);
	if (ret < 0)
		return ret;
	idf = open_memstream(&ids, &idlen);
	list = xml_child(root, "HostedZones");
	for (xmlNodePtr z = list ? list->children : NULL; z; z = z->next) {
		char *zn = xml_string(xml_child(z, "Name")), *id = xml_string(xml_child(z, "Id"));
		char *priv = xml_string(xml_child(xml_child(z, "Config"), "PrivateZone"));
		uint8_t zw[ZSYNC_NAME_MAXLEN];
		bool same = zn && name_in(zn, zw) == 0 && zsync_name_equal(zw, wire);
		if (same && id && !(priv && !strcmp(priv, "true"))) {
			const char *bare = strrchr(id, '/') ? strrchr(id, '/') + 1 : id;
			if (found++ == 0 && strlen(bare) < ID_LEN)
				snprintf(id_out, ID_LEN, "%s", bare);
			fprintf(idf, "%s%s", found > 1 ? ", " : "", bare);
		}
		free(zn);
		free(id);
		free(priv);
		if (!same && zn)
			break; /* sorted by name: the ones named zone come first */
	}
	fclose(idf);
	learn_ids(c, root);
	xmlFreeDoc(doc);
	if (found == 0)
		ret = ZSYNC_ENOTFOUND;
	else if (found > 1 || !id_out[0])
		ret = zsync_err_set(err, ZSYNC_EINVAL, "%zu public hosted zones are named %s (%s): Route 53 allows that, "
				    "zonesync cannot tell which one serves the domain; delete the others", found, name, ids);
	free(ids);
	return ret;
}

/* GetHostedZone's DelegationSet: the four Route 53 nameservers assigned to the zone. */
static int r_nameservers(void *priv, const struct zsync_provider_conf *conf, const char *zone,
			 struct zsync_strlist *out, struct zsync_err *err)
{
	struct r53 *c = priv;
	xmlDocPtr doc;
	xmlNodePtr root, list;
	char *path, id[ID_LEN];
	int ret;

	(void)conf;
	if ((ret = find_zone(c, zone, id, err)) < 0)
		return ret == ZSYNC_ENOTFOUND ? zsync_err_set(err, ret, "the zone does not exist there") : ret;
	path = zsync_xasprintf(R53_API "/hostedzone/%s", id);
	ret = call(c, "GET", path, NULL, "GetHostedZoneResponse", &doc, &root, err);
	free(path);
	if (ret < 0)
		return ret;
	list = xml_child(xml_child(root, "DelegationSet"), "NameServers");
	for (xmlNodePtr n = list ? list->children : NULL; n && ret == 0; n = n->next) {
		char *name;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		name = xml_string(n);
		if ((ret = zsync_provider_add_ns_name(out, name, err)) < 0)
			zsync_err_prefix(err, "malformed DelegationSet entry");
		free(name);
	}
	xmlFreeDoc(doc);
	return ret;
}

static bool is_foreign(xmlNodePtr rs)
{
	static const char *const owned[] = { "SetIdentifier", "AliasTarget", "TrafficPolicyInstanceId", "Weight",
					     "Region", "GeoLocation", "Failover", "MultiValueAnswer",
					     "CidrRoutingConfig", "GeoProximityLocation", NULL };
	for (int i = 0; owned[i]; i++)
		if (xml_child(rs, owned[i]))
			return true;
	return false;
}

static int set_cmp(const void *a, const void *b)
{
	const struct r53_set *x = a, *y = b;
	int c = zsync_name_cmp(x->owner, y->owner);
	return c ? c : (x->type > y->type) - (x->type < y->type);
}

static struct r53_set *find_set(const struct r53_zone *st, const uint8_t *owner, uint16_t type)
{
	struct r53_set key = { .owner = (uint8_t *)owner, .type = type };

	return st->nsets ? bsearch(&key, st->sets, st->nsets, sizeof(*st->sets), set_cmp) : NULL;
}

/* One ResourceRecordSet into the zone model (and st->sets); 1 when it is not ours to manage. */
static int read_set(const struct r53 *c, struct r53_zone *st, struct zsync_zone *z, xmlNodePtr rs,
		    struct zsync_err *err)
{
	char *name = xml_string(xml_child(rs, "Name")), *type = xml_string(xml_child(rs, "Type"));
	char *ttl = xml_string(xml_child(rs, "TTL")), *text = NULL, owner_txt[ZSYNC_NAME_TXT_MAXLEN + 1];
	xmlNodePtr rrs = xml_child(rs, "ResourceRecords");
	struct r53_set s = { 0 };
	uint8_t owner[ZSYNC_NAME_MAXLEN];
	size_t tlen = 0;
	FILE *f = NULL;
	char *end = NULL;
	unsigned long long t = 0;
	int ret = 0;

	if (!name || !type || name_in(name, owner) < 0 || !zsync_name_in_zone(owner, zsync_zone_origin(z))) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "a record set with a bad name '%s'", name ? name : "");
		goto out;
	}
	if (is_foreign(rs) || zsync_type_from_text(type, &s.type) < 0) {
		/* Route 53's own (alias, routing policy) or a type zonesync has no name for: served
		 * beside git's records, so the user is told each time rather than shown "in sync" */
		fprintf(stderr, "zonesync: warning: provider '%s': zone '%s': record set %s %s is %s: not compared with git, left alone (not applicable)\n",
			c->name ? c->name : "route53", st->name, name, type,
			is_foreign(rs) ? "an alias or routing-policy set (Route 53's own)" : "of a type zonesync does not know");
		st->foreign++;
		ret = 1;
		goto out;
	}
	if (ttl)
		t = strtoull(ttl, &end, 10);
	if (!ttl || !*ttl || *end || t > UINT32_MAX || !rrs) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "record set %s %s: no TTL or no values", name, type);
		goto out;
	}
	s.ttl = (uint32_t)t;
	s.name = name;
	name = NULL;
	s.owner = zsync_xmalloc(zsync_name_len(owner));
	memcpy(s.owner, owner, zsync_name_len(owner));
	zsync_name_to_text(owner, owner_txt, sizeof(owner_txt));
	f = open_memstream(&text, &tlen);
	fputs("$ORIGIN .\n", f); /* Route 53's names are absolute, with or without their dot */
	for (xmlNodePtr r = rrs->children; r; r = r->next) {
		char *v = r->type == XML_ELEMENT_NODE ? xml_string(xml_child(r, "Value")) : NULL, *zf;
		if (!v)
			continue;
		zf = zsync_provider_zone_text(v, true);
		fprintf(f, "%s %u IN %s %s\n", owner_txt, s.ttl, type, zf);
		free(zf);
		s.values = zsync_xrealloc(s.values, (s.n + 1) * sizeof(*s.values));
		s.values[s.n++] = v;
	}
	fclose(f);
	f = NULL;
	if (!s.n) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "record set %s %s: no values", s.name, type);
		goto out;
	}
	if (zsync_zone_add_text(z, text, tlen, err) < 0) {
		clean(err->msg);
		zsync_err_prefix(err, "record set %s %s cannot be read", s.name, type);
		ret = ZSYNC_EINVAL;
		goto out;
	}
	st->sets = zsync_xrealloc(st->sets, (st->nsets + 1) * sizeof(*st->sets));
	st->sets[st->nsets++] = s;
	memset(&s, 0, sizeof(s));
out:
	for (size_t k = 0; k < s.n; k++)
		free(s.values[k]);
	free(s.values);
	free(s.name);
	free(s.owner);
	free(text);
	free(name);
	free(type);
	free(ttl);
	return ret;
}

/*
 * What Route 53 serves for st->name: the zone model into *out, its id and record sets
 * into st (a new one, the caller's to free, on error too). Touches nothing shared but the
 * HTTP client.
 */
static int read_zone(struct r53 *c, struct r53_zone *st, struct zsync_zone **out, struct zsync_err *err)
{
	const char *zone = st->name;
	struct zsync_zone *z = NULL;
	char *next_name = NULL, *next_type = NULL, *next_id = NULL;
	int ret;

	*out = NULL;
	if ((ret = find_zone(c, zone, st->id, err)) < 0)
		return ret;
	if (!(z = zsync_zone_new(zone, err)))
		return ZSYNC_EINVAL;
	for (size_t page = 0;; page++) {
		/* query parameters in the order SigV4 signs them */
		char *qi = next_id ? zsync_http_escape(next_id) : NULL, *qn = next_name ? zsync_http_escape(next_name) : NULL;
		char *qt = next_type ? zsync_http_escape(next_type) : NULL;
		char *path = zsync_xasprintf(R53_API "/hostedzone/%s/rrset?%s%s%smaxitems=%d%s%s%s%s", st->id,
					     qi ? "identifier=" : "", qi ? qi : "", qi ? "&" : "", PAGE, qn ? "&name=" : "",
					     qn ? qn : "", qt ? "&type=" : "", qt ? qt : "");
		xmlDocPtr doc;
		xmlNodePtr root, list;
		free(qi);
		free(qn);
		free(qt);
		ret = call(c, "GET", path, NULL, "ListResourceRecordSetsResponse", &doc, &root, err);
		free(path);
		if (ret < 0)
			goto fail;
		list = xml_child(root, "ResourceRecordSets");
		for (xmlNodePtr rs = list ? list->children : NULL; rs && ret >= 0; rs = rs->next)
			if (rs->type == XML_ELEMENT_NODE)
				ret = read_set(c, st, z, rs, err);
		char *trunc = xml_string(xml_child(root, "IsTruncated"));
		bool more = trunc && !strcmp(trunc, "true");
		free(trunc);
		free(next_name);
		free(next_type);
		free(next_id);
		next_name = xml_string(xml_child(root, "NextRecordName"));
		next_type = xml_string(xml_child(root, "NextRecordType"));
		next_id = xml_string(xml_child(root, "NextRecordIdentifier"));
		xmlFreeDoc(doc);
		if (ret < 0)
			goto fail;
		if (!more)
			break;
		if (!next_name || !next_type || page > 100000) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "a truncated record list without NextRecordName/NextRecordType");
			goto fail;
		}
	}
	free(next_name);
	free(next_type);
	free(next_id);
	if (st->nsets > 1)
		qsort(st->sets, st->nsets, sizeof(*st->sets), set_cmp);
	*out = z;
	return 0;
fail:
	free(next_name);
	free(next_type);
	free(next_id);
	zsync_zone_free(z);
	return ret;
}

/*
 * Reads the zone and keeps what apply needs under the zone's own name; a failed read
 * drops what an earlier one kept (the zone's state is unknown), and no other zone's.
 */
static int r_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct r53 *c = priv;
	struct r53_zone *st = zone_new(zone);
	int ret = read_zone(c, st, out, err);

	if (ret < 0) {
		zone_free(st);
		zone_free(zsync_provider_states_take(&c->zones, zone));
		return ret;
	}
	st->read = (uintptr_t)*out;
	zsync_provider_states_put(&c->zones, zone, st);
	return 0;
}

static int r_list_zones(void *priv, struct zsync_strlist *out, struct zsync_err *err)
{
	struct r53 *c = priv;
	char *marker = NULL;
	int ret = 0;

	for (size_t page = 0; page < 100000; page++) {
		char *m = marker ? zsync_http_escape(marker) : NULL;
		char *path = zsync_xasprintf(R53_API "/hostedzone?%s%s%smaxitems=100", m ? "marker=" : "", m ? m : "",
					     m ? "&" : "");
		xmlDocPtr doc;
		xmlNodePtr root, list;
		free(m);
		ret = call(c, "GET", path, NULL, "ListHostedZonesResponse", &doc, &root, err);
		free(path);
		if (ret < 0)
			break;
		list = xml_child(root, "HostedZones");
		for (xmlNodePtr z = list ? list->children : NULL; z; z = z->next) {
			char *zn = xml_string(xml_child(z, "Name"));
			char *pz = xml_string(xml_child(xml_child(z, "Config"), "PrivateZone"));
			uint8_t w[ZSYNC_NAME_MAXLEN];
			char txt[ZSYNC_NAME_TXT_MAXLEN + 1];
			if (zn && name_in(zn, w) == 0 && !(pz && !strcmp(pz, "true")))
				zsync_strlist_add(out, zsync_name_to_text(w, txt, sizeof(txt)));
			free(zn);
			free(pz);
		}
		char *trunc = xml_string(xml_child(root, "IsTruncated"));
		bool more = trunc && !strcmp(trunc, "true");
		free(trunc);
		free(marker);
		marker = xml_string(xml_child(root, "NextMarker"));
		xmlFreeDoc(doc);
		if (!more || !marker)
			break;
	}
	free(marker);
	return ret;
}

/* ---- writing ------------------------------------------------------------------------ */

enum { ACT_CREATE, ACT_DELETE, ACT_UPSERT };
static const char *const act_name[] = { "CREATE", "DELETE", "UPSERT" };

/* One Change of a batch; values are Route 53 text (a DELETE's are the ones it returned). */
struct r53_change {
	int act;
	const char *name;
	char type[16];
	uint32_t ttl;
	char **values;
	size_t n;
	bool own;      /* values (and name) are ours to free */
	size_t group;  /* changes of one owner name travel in one batch */
	size_t records, chars;
};

static void change_free(struct r53_change *ch)
{
	if (ch->own) {
		for (size_t k = 0; k < ch->n; k++)
			free(ch->values[k]);
		free(ch->values);
		free((char *)ch->name);
	}
}

static void change_count(struct r53_change *ch)
{
	size_t mult = ch->act == ACT_UPSERT ? 2 : 1;
	ch->records = ch->n * mult;
	ch->chars = 0;
	for (size_t k = 0; k < ch->n; k++)
		ch->chars += strlen(ch->values[k]) * mult;
}

/* A Change writing the desired RRset r with ttl; NULL with err when Route 53 cannot hold a value. */
static int desired_change(int act, const struct zsync_rrset *r, uint32_t ttl, struct r53_change *ch,
			  struct zsync_err *err)
{
	char name[ZSYNC_NAME_TXT_MAXLEN + 2], *txt = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN);
	const uint8_t *rd = r->rdata;

	memset(ch, 0, sizeof(*ch));
	ch->act = act;
	name_out(r->owner, name);
	ch->name = zsync_xstrdup(name);
	ch->own = true;
	zsync_type_to_text(r->type, ch->type, sizeof(ch->type));
	ch->ttl = ttl;
	ch->values = zsync_xcalloc(r->count, sizeof(*ch->values));
	for (uint16_t k = 0; k < r->count; k++, rd = zsync_rdata_next(rd)) {
		if (zsync_rdata_to_text(r->type, rd, txt, ZSYNC_RDATA_TXT_MAXLEN) < 0) {
			free(txt);
			return zsync_err_set(err, ZSYNC_EINVAL, "%s %s: a value zonesync cannot write", name, ch->type);
		}
		ch->values[ch->n++] = value_out(txt);
		if (strlen(ch->values[ch->n - 1]) > MAX_VALUE) {
			size_t l = strlen(ch->values[ch->n - 1]);
			free(txt);
			return zsync_err_set(err, ZSYNC_EINVAL, "%s %s: a value of %zu characters; Route 53 holds at most %d",
					     name, ch->type, l, MAX_VALUE);
		}
	}
	free(txt);
	change_count(ch);
	return 0;
}

/* A DELETE of what Route 53 holds now, with its own values and TTL. */
static int current_change(const struct r53_zone *st, const struct zsync_rrset *old, struct r53_change *ch,
			  struct zsync_err *err)
{
	struct r53_set *s = find_set(st, old->owner, old->type);
	char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[16];

	memset(ch, 0, sizeof(*ch));
	if (!s)
		return zsync_err_set(err, ZSYNC_EINVAL, "%s %s: not in what was read from Route 53",
				     zsync_name_to_text(old->owner, name, sizeof(name)),
				     zsync_type_to_text(old->type, type, sizeof(type)));
	ch->act = ACT_DELETE;
	ch->name = s->name;
	zsync_type_to_text(s->type, ch->type, sizeof(ch->type));
	ch->ttl = s->ttl;
	ch->values = s->values;
	ch->n = s->n;
	change_count(ch);
	return 0;
}

static void write_change(FILE *f, const struct r53_change *ch)
{
	fprintf(f, "<Change><Action>%s</Action><ResourceRecordSet><Name>", act_name[ch->act]);
	xml_text(f, ch->name);
	fprintf(f, "</Name><Type>%s</Type><TTL>%u</TTL><ResourceRecords>", ch->type, ch->ttl);
	for (size_t k = 0; k < ch->n; k++) {
		fputs("<ResourceRecord><Value>", f);
		xml_text(f, ch->values[k]);
		fputs("</Value></ResourceRecord>", f);
	}
	fputs("</ResourceRecords></ResourceRecordSet></Change>", f);
}

/*
 * One zone's change batches: where they go, and the id of the last one sent (what
 * GetChange asks about).
 */
struct r53_send {
	struct r53 *c;
	const char *zone_id;
	char change_id[ID_LEN];
};

/* Sends changes [from, to) as one ChangeResourceRecordSets: all of it or nothing. */
static int send_batch(struct r53_send *sd, struct r53_change *v, size_t from, size_t to, const char *commit,
		      struct zsync_err *err)
{
	char *body = NULL, *path, *id;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	xmlDocPtr doc;
	xmlNodePtr root;
	int ret;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ChangeResourceRecordSetsRequest xmlns=\"" R53_NS
	      "\"><ChangeBatch>", f);
	if (commit && *commit)
		fprintf(f, "<Comment>zonesync %.40s</Comment>", commit);
	fputs("<Changes>", f);
	/* deletes first: a CNAME may then replace the address records of its name */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = from; i < to; i++)
			if ((v[i].act == ACT_DELETE) == (pass == 0))
				write_change(f, &v[i]);
	fputs("</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>", f);
	fclose(f);
	path = zsync_xasprintf(R53_API "/hostedzone/%s/rrset/", sd->zone_id);
	ret = call(sd->c, "POST", path, body, "ChangeResourceRecordSetsResponse", &doc, &root, err);
	free(path);
	free(body);
	if (ret < 0)
		return ret;
	id = xml_string(xml_child(xml_child(root, "ChangeInfo"), "Id"));
	if (id) {
		const char *bare = strrchr(id, '/') ? strrchr(id, '/') + 1 : id;
		snprintf(sd->change_id, sizeof(sd->change_id), "%s", bare);
	}
	free(id);
	xmlFreeDoc(doc);
	return 0;
}

/* Whether changes [from, to) fit one change batch. */
static bool fits(const struct r53_change *v, size_t from, size_t to)
{
	size_t recs = 0, chars = 0;
	for (size_t i = from; i < to; i++)
		recs += v[i].records, chars += v[i].chars;
	return recs <= MAX_RECORDS && chars <= MAX_CHARS;
}

/*
 * Sends the changes in as few batches as the limits allow, whole owner groups per batch
 * (a CNAME replacing an address travels with its delete); a group too big for one batch
 * goes as several (then not atomically: the error says what was applied).
 */
static int send_all(struct r53_send *sd, struct r53_change *v, size_t nv, const char *commit, size_t *batches,
		    struct zsync_err *err)
{
	size_t i = 0;
	int ret = 0;

	while (i < nv && ret == 0) {
		size_t j = i;
		while (j < nv) {
			size_t k = j;
			while (k < nv && v[k].group == v[j].group)
				k++;
			if (!fits(v, i, k))
				break;
			j = k;
		}
		if (j == i) { /* the next group alone is too big: as many of its changes as fit */
			if (!fits(v, i, i + 1))
				return zsync_err_set(err, ZSYNC_EINVAL, "%s %s: %zu values, %zu characters: more than "
						     "one change batch of Route 53 may hold (%d values, %d characters)",
						     v[i].name, v[i].type, v[i].n, v[i].chars, MAX_RECORDS, MAX_CHARS);
			j = i + 1;
			while (j < nv && v[j].group == v[i].group && fits(v, i, j + 1))
				j++;
		}
		ret = send_batch(sd, v, i, j, commit, err);
		++*batches;
		if (ret < 0 && *batches > 1)
			zsync_err_prefix(err, "change batch %zu (the %zu before it were applied)", *batches, *batches - 1);
		else if (ret < 0 && j < nv)
			zsync_err_prefix(err, "change batch 1 of several (nothing was applied)");
		i = j;
	}
	return ret;
}

/* GetChange of the last change batch: INSYNC when Route 53's nameservers serve it. */
static int change_insync(void *ud, bool *done, struct zsync_err *err)
{
	struct r53_send *sd = ud;
	char *path = zsync_xasprintf(R53_API "/change/%s", sd->change_id), *st;
	xmlDocPtr doc;
	xmlNodePtr root;
	int ret = call(sd->c, "GET", path, NULL, "GetChangeResponse", &doc, &root, err);

	free(path);
	if (ret < 0)
		return ret;
	st = xml_string(xml_child(xml_child(root, "ChangeInfo"), "Status"));
	xmlFreeDoc(doc);
	*done = st && !strcmp(st, "INSYNC");
	free(st);
	return 0;
}

/* CreateHostedZone; the zone's SOA and NS (its delegation set) come with it. */
static int create_zone(struct r53 *c, const char *zone, const char *commit, struct zsync_err *err)
{
	uint8_t wire[ZSYNC_NAME_MAXLEN], rnd[12];
	char name[ZSYNC_NAME_TXT_MAXLEN + 2], ref[64], *body = NULL;
	size_t blen = 0;
	FILE *f;
	xmlDocPtr doc;
	xmlNodePtr root;
	int ret, n;

	if (zsync_name_from_text(zone, NULL, wire) < 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "bad zone name");
	name_out(wire, name);
	/* unique per attempt: Route 53 refuses a CallerReference twice (a retried request
	 * that had succeeded answers HostedZoneAlreadyExists, and the zone is then found) */
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, (int)time(NULL), sizeof(rnd));
	n = snprintf(ref, sizeof(ref), "zonesync-%.12s-", commit && *commit ? commit : "none");
	for (size_t i = 0; i < sizeof(rnd) && n + 2 < (int)sizeof(ref); i++)
		n += snprintf(ref + n, sizeof(ref) - (size_t)n, "%02x", rnd[i]);
	f = open_memstream(&body, &blen);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateHostedZoneRequest xmlns=\"" R53_NS "\"><Name>", f);
	xml_text(f, name);
	fprintf(f, "</Name><CallerReference>%s</CallerReference><HostedZoneConfig><Comment>created by zonesync"
		   "</Comment><PrivateZone>false</PrivateZone></HostedZoneConfig></CreateHostedZoneRequest>", ref);
	fclose(f);
	ret = call(c, "POST", R53_API "/hostedzone", body, "CreateHostedZoneResponse", &doc, &root, err);
	free(body);
	if (ret < 0 && !strstr(err->msg, "HostedZoneAlreadyExists"))
		return ret;
	xmlFreeDoc(doc);
	zsync_err_clear(err);
	return 0;
}

/* Whether the change touches the zone's apex NS, which Route 53 never lets go: UPSERTed. */
static bool apex_ns(const struct zsync_rrset *r, const uint8_t *apex)
{
	return r->type == ZSYNC_TYPE_NS && zsync_name_equal(r->owner, apex);
}

static int r_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct r53 *c = priv;
	const struct zsync_changeset *cs = req->changes;
	struct r53_zone *st = NULL;
	struct r53_send sd = { .c = c };
	struct r53_change *v = NULL;
	size_t nv = 0, group = 0, batches = 0;
	uint8_t apex[ZSYNC_NAME_MAXLEN];
	int ret = 0;

	if (zsync_name_from_text(req->zone, NULL, apex) < 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "bad zone name");
	/* the DELETEs repeat what the read behind req->base returned; kept by another read
	 * (or none), the zone is read again and goes on only if it is still req->base */
	st = zsync_provider_states_take(&c->zones, req->zone);
	if (!req->create_zone && (!st || st->read != (uintptr_t)req->base)) {
		zone_free(st);
		if ((ret = zsync_provider_refetch(r_fetch, priv, "", req, err)) < 0)
			return ret;
		st = zsync_provider_states_take(&c->zones, req->zone);
	}
	if (req->create_zone) {
		struct zsync_zone *z = NULL;
		zone_free(st);
		st = zone_new(req->zone);
		if ((ret = create_zone(c, req->zone, req->commit, err)) < 0)
			goto out;
		/* what the new zone holds (its SOA and NS) and its id */
		if ((ret = read_zone(c, st, &z, err)) < 0) {
			zsync_err_prefix(err, "the zone was created, but reading it failed");
			goto out;
		}
		zsync_zone_free(z);
	}
	if (!st)
		return zsync_err_set(err, ZSYNC_EINVAL, "the zone's record sets were not kept from its read");
	sd.zone_id = st->id;
	v = zsync_xcalloc(cs->n * 2 + 1, sizeof(*v));
	for (size_t i = 0; i < cs->n && ret == 0; i++) {
		const struct zsync_change *ch = &cs->v[i];
		const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
		char name[ZSYNC_NAME_TXT_MAXLEN + 1];
		if (i && !zsync_name_equal(any->owner, (cs->v[i - 1].new ? cs->v[i - 1].new : cs->v[i - 1].old)->owner))
			group++;
		if (apex_ns(any, apex) || (any->type == ZSYNC_TYPE_SOA && req->create_zone)) {
			if (!ch->new) {
				ret = zsync_err_set(err, ZSYNC_EINVAL, "%s NS: Route 53 keeps the apex NS of a hosted zone; "
						    "it cannot be deleted (give the zone an apex NS in git)",
						    zsync_name_to_text(any->owner, name, sizeof(name)));
				break;
			}
			ret = desired_change(ACT_UPSERT, ch->new, ch->ttl, &v[nv], err);
			v[nv++].group = group;
			continue;
		}
		if (ch->old) {
			if ((ret = current_change(st, ch->old, &v[nv], err)) < 0)
				break;
			v[nv++].group = group;
		}
		if (ch->new) {
			ret = desired_change(ACT_CREATE, ch->new, ch->ttl, &v[nv], err);
			v[nv++].group = group;
		}
	}
	if (ret == 0)
		ret = send_all(&sd, v, nv, req->commit, &batches, err);
	for (size_t i = 0; i < nv; i++)
		change_free(&v[i]);
	free(v);
	if (ret == 0 && (c->wait_insync || req->wait_served) && sd.change_id[0])
		ret = zsync_provider_poll(change_insync, &sd, c->timeout * 4.0, err);
out:
	zone_free(st); /* what Route 53 served before this apply */
	return ret;
}

/* Deletes every record set of the zone but its SOA and NS, then the hosted zone. */
static int r_delete_zone(void *priv, const char *zone, struct zsync_err *err)
{
	struct r53 *c = priv;
	struct zsync_zone *z = NULL;
	struct r53_zone *st = zone_new(zone);
	struct r53_send sd = { .c = c, .zone_id = st->id };
	struct r53_change *v;
	uint8_t apex[ZSYNC_NAME_MAXLEN];
	size_t nv = 0, batches = 0;
	int ret;

	/* read afresh into a state of its own: what an earlier read kept goes */
	zone_free(zsync_provider_states_take(&c->zones, zone));
	if ((ret = read_zone(c, st, &z, err)) < 0)
		goto out;
	zsync_zone_free(z);
	if (st->foreign) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "the hosted zone holds %zu alias or routing-policy record sets "
				    "zonesync does not manage; delete them first", st->foreign);
		goto out;
	}
	zsync_name_from_text(zone, NULL, apex);
	v = zsync_xcalloc(st->nsets + 1, sizeof(*v));
	for (size_t i = 0; i < st->nsets; i++) {
		struct r53_set *s = &st->sets[i];
		if (zsync_name_equal(s->owner, apex) && (s->type == ZSYNC_TYPE_SOA || s->type == ZSYNC_TYPE_NS))
			continue;
		v[nv] = (struct r53_change){ .act = ACT_DELETE, .name = s->name, .ttl = s->ttl, .values = s->values,
					     .n = s->n, .group = nv };
		zsync_type_to_text(s->type, v[nv].type, sizeof(v[nv].type));
		change_count(&v[nv]);
		nv++;
	}
	ret = send_all(&sd, v, nv, NULL, &batches, err);
	free(v);
	if (ret == 0) {
		char *path = zsync_xasprintf(R53_API "/hostedzone/%s", st->id);
		xmlDocPtr doc;
		xmlNodePtr root;
		ret = call(c, "DELETE", path, NULL, "DeleteHostedZoneResponse", &doc, &root, err);
		free(path);
		xmlFreeDoc(doc);
		if (ret == 0) {
			char key[ZSYNC_NAME_TXT_MAXLEN + 2];
			name_out(apex, key);
			id_put(c, key, ""); /* a later read asks Route 53 again */
		}
	}
out:
	zone_free(st);
	return ret;
}

static const struct zsync_conf_key r_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(0, "https://route53.amazonaws.com"),
	{ "access_key_id", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL,
	  "the IAM access key id (AKIA... or, with session_token, ASIA...)" },
	{ "secret_access_key", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL,
	  "its secret access key; requests are signed with AWS Signature Version 4" },
	{ "session_token", ZSYNC_CONF_SECRET, 0, NULL, NULL,
	  "the session token of temporary credentials (STS, an assumed role)" },
	{ "wait_insync", ZSYNC_CONF_BOOL, 0, NULL, "false",
	  "after an apply, poll GetChange until Route 53 says INSYNC (every apply; apply --verify waits without it)" },
	{ 0 },
};

const struct zsync_provider_type zsync_provider_route53 = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "route53",
	.summary = "Amazon Route 53 (REST-XML, SigV4; atomic change batches)",
	.keys = r_keys,
	/*
	 * ZSYNC_CAP_CONCURRENT: each zone's state is its own (struct r53_zone). Not
	 * ZSYNC_CAP_APPLY_SIDE_BY_SIDE: Route 53 takes five requests a second per account,
	 * change batches included, and answers a second batch to a zone it is still working
	 * on with PriorRequestNotComplete; applies go one at a time unless `concurrency` says.
	 */
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_LIST_ZONES | ZSYNC_CAP_CONCURRENT,
	.rrtypes = r53_types,
	.normalisers = r_norms,
	.check_rrset = r_check_rrset,
	.ttl_min = 0,
	.ttl_max = 2147483647,
	.open = r_open,
	.fetch = r_fetch,
	.apply = r_apply,
	.list_zones = r_list_zones,
	.delete_zone = r_delete_zone,
	.usage = r_usage,
	.nameservers = r_nameservers,
	.close = r_close,
};
