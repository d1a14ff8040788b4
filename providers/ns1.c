/*
 * ns1.c - NS1 (IBM NS1 Connect) REST v1, JSON, X-NSONE-Key: the zone read with its record
 * summaries (short_answers), and each record's answers where a field may hold spaces (TXT,
 * SPF, CAA, NAPTR); one PUT (create), POST (update) or DELETE per changed RRset, in the
 * core's safe order (not atomic: a failure says what was written before it). NS1 keeps a TXT
 * record as one string: declared (zsync_norm_txt_join). The apex NS and the SOA are NS1's.
 * It paces itself from the X-RateLimit-* headers NS1 sends with every answer.
 */
#include "provider.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_MAX (4 * 65536 + 4096) /* one rdata item in presentation form, every octet escaped */

static const uint16_t n_types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA, ZSYNC_TYPE_CAA, ZSYNC_TYPE_CNAME, ZSYNC_TYPE_DS,
				     ZSYNC_TYPE_MX, 35 /* NAPTR */, ZSYNC_TYPE_NS, ZSYNC_TYPE_PTR, ZSYNC_TYPE_SPF,
				     ZSYNC_TYPE_SRV, 44 /* SSHFP */, ZSYNC_TYPE_TXT, 0 };

/* Nothing per zone: the calls for different zones may overlap (ZSYNC_CAP_CONCURRENT). */
struct ns1 {
	struct zsync_http *http; /* shared safely between threads */
	char *base;
};

static int n_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct ns1 *n = zsync_xcalloc(1, sizeof(*n));
	char *key = NULL;
	int ret;

	if ((ret = zsync_config_get_secret(conf, "api_key", &key, err)) < 0 ||
	    (ret = zsync_provider_http_open(conf, &n->http, &n->base, err)) < 0) {
		zsync_config_secret_free(key);
		free(n);
		return ret;
	}
	zsync_provider_auth_header(n->http, "X-NSONE-Key: ", key);
	zsync_config_secret_free(key);
	*priv = n;
	return 0;
}

static void n_close(void *priv)
{
	struct ns1 *n = priv;
	if (!n)
		return;
	zsync_http_free(n->http);
	free(n->base);
	free(n);
}

static void n_usage(void *priv, char *buf, size_t len)
{
	struct ns1 *n = priv;
	snprintf(buf, len, "%zu requests (%zu GET, %zu PUT, %zu POST, %zu DELETE)", zsync_http_count(n->http, NULL),
		 zsync_http_count(n->http, "GET"), zsync_http_count(n->http, "PUT"), zsync_http_count(n->http, "POST"),
		 zsync_http_count(n->http, "DELETE"));
}

/*
 * NS1 announces its token bucket in every answer: when the key has no request left, wait
 * the time one takes to refill (Period / Limit seconds) instead of running into a 429.
 */
static void pace(const struct zsync_http_resp *r)
{
	const char *rem = zsync_http_resp_header(r, "X-RateLimit-Remaining");
	const char *lim = zsync_http_resp_header(r, "X-RateLimit-Limit");
	const char *per = zsync_http_resp_header(r, "X-RateLimit-Period");
	double wait;

	if (!rem || !lim || !per || atol(rem) > 0 || atol(lim) <= 0 || atof(per) <= 0)
		return;
	wait = atof(per) / (double)atol(lim);
	if (wait > 60)
		wait = 60;
	struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
	nanosleep(&ts, NULL);
}

static int call(struct ns1 *n, const char *method, const char *path, json_t *body, json_t **out, struct zsync_err *err)
{
	struct zsync_http_resp r;
	char *url = zsync_xasprintf("%s%s", n->base, path);
	/* NS1's PUT creates (a second one fails: the record exists); its POST replaces the
	 * answers and DELETE removes the set, which done twice is done once */
	int ret = strcmp(method, "PUT") ? zsync_http_request_idempotent(n->http, method, url, body, &r, err)
					: zsync_http_request(n->http, method, url, body, &r, err);

	free(url);
	*out = NULL;
	if (ret < 0)
		return ret;
	pace(&r);
	if (r.status == 404 && r.resent && !strcmp(method, "DELETE") &&
	    !strcmp(json_string_value(json_object_get(r.json, "message")) ?: "", "record not found")) {
		/* sent again after a 5xx or a lost answer that had done it: gone, as asked */
		*out = json_object();
	} else if (r.status < 200 || r.status > 299) {
		const char *msg = json_string_value(json_object_get(r.json, "message"));
		if (msg)
			ret = zsync_err_set(err, r.status == 404 ? ZSYNC_ENOTFOUND : ZSYNC_EIO, "HTTP %ld: %.400s%s", r.status,
					    msg, r.status == 401 || r.status == 403 ? " (check api_key and its zone permissions)" : "");
		else {
			zsync_http_error(&r, err);
			ret = err->code ? err->code : ZSYNC_EIO;
		}
	} else if (!r.json) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "HTTP %ld: the answer is not JSON", r.status);
	} else {
		*out = json_incref(r.json);
	}
	zsync_http_resp_release(&r);
	return ret;
}

/* ---- reading ------------------------------------------------------------------------- */

/* How many of an answer's first fields are numbers (NS1's rdata formats). */
static size_t leading_ints(const char *type)
{
	static const struct {
		const char *type;
		size_t n;
	} t[] = { { "MX", 1 }, { "SRV", 3 }, { "CAA", 1 }, { "NAPTR", 2 }, { "DS", 3 }, { "SSHFP", 2 } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].type, type))
			return t[i].n;
	return 0;
}

static void put_name(FILE *f, json_t *v)
{
	char *t = zsync_provider_name_text(json_string_value(v) ?: "");
	fprintf(f, " %s", t);
	free(t);
}

/* TXT/SPF: NS1's one string as zone-file strings of at most 255 octets */
static void put_text(FILE *f, const char *s)
{
	size_t len = strlen(s);
	do {
		size_t k = len > 255 ? 255 : len;
		char *part = zsync_xasprintf("%.*s", (int)k, s), *q = zsync_provider_string_quote(part);
		fprintf(f, " %s", q);
		free(q);
		free(part);
		s += k;
		len -= k;
	} while (len);
}

/* One answer's fields as zone-file rdata; false for a form zonesync does not know. */
static bool put_answer(FILE *f, const char *type, json_t *a)
{
	json_t *x;
	size_t i;
	if (!json_is_array(a) || !json_array_size(a))
		return false;
	if (!strcmp(type, "TXT") || !strcmp(type, "SPF")) {
		put_text(f, json_string_value(json_array_get(a, 0)) ?: "");
		return true;
	}
	json_array_foreach(a, i, x) {
		bool last = i + 1 == json_array_size(a);
		if (json_is_integer(x))
			fprintf(f, " %lld", (long long)json_integer_value(x));
		else if (!json_is_string(x))
			return false;
		else if (last && (!strcmp(type, "CNAME") || !strcmp(type, "NS") || !strcmp(type, "PTR") ||
				  !strcmp(type, "MX") || !strcmp(type, "SRV") || !strcmp(type, "NAPTR")))
			put_name(f, x);
		else if ((!strcmp(type, "CAA") && i == 2) || (!strcmp(type, "NAPTR") && i >= 2)) {
			char *q = zsync_provider_string_quote(json_string_value(x));
			fprintf(f, " %s", q);
			free(q);
		} else {
			const char *s = json_string_value(x);
			if (strpbrk(s, " \t\r\n;()\"\\$"))
				return false;
			fprintf(f, " %s", s);
		}
	}
	return true;
}

/* The zone's dns_servers: the NS1 nameservers assigned to it. */
static int n_nameservers(void *priv, const struct zsync_provider_conf *conf, const char *zone,
			 struct zsync_strlist *out, struct zsync_err *err)
{
	struct ns1 *n = priv;
	char *nd = zsync_provider_no_dot(zone), *esc = zsync_http_escape(nd), *path = zsync_xasprintf("/zones/%s", esc);
	json_t *res = NULL, *v;
	size_t i;
	int ret = call(n, "GET", path, NULL, &res, err);

	(void)conf;
	free(path);
	free(esc);
	free(nd);
	if (ret < 0)
		return ret;
	json_array_foreach(json_object_get(res, "dns_servers"), i, v) {
		if ((ret = zsync_provider_add_ns_name(out, json_string_value(v), err)) < 0) {
			zsync_err_prefix(err, "malformed dns_servers entry");
			break;
		}
	}
	json_decref(res);
	return ret;
}

static int n_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct ns1 *n = priv;
	char *nd = zsync_provider_no_dot(zone), *esc = zsync_http_escape(nd), *path, *text = NULL;
	struct zsync_zone *z = NULL;
	json_t *res = NULL, *r;
	size_t i, tlen = 0;
	FILE *f;
	int ret;

	*out = NULL;
	path = zsync_xasprintf("/zones/%s", esc);
	ret = call(n, "GET", path, NULL, &res, err);
	free(path);
	if (ret < 0)
		goto out;
	if (!(z = zsync_zone_new(zone, err))) {
		ret = ZSYNC_EINVAL;
		goto out;
	}
	f = open_memstream(&text, &tlen);
	fputs("$ORIGIN .\n", f);
	json_array_foreach(json_object_get(res, "records"), i, r) {
		const char *domain = json_string_value(json_object_get(r, "domain"));
		const char *type = json_string_value(json_object_get(r, "type"));
		long long ttl = (long long)json_integer_value(json_object_get(r, "ttl"));
		uint16_t t;
		json_t *answers = NULL, *a;
		size_t k;
		if (!domain || !type || zsync_type_from_text(type, &t) < 0 || !strcmp(type, "ALIAS"))
			continue; /* not a record zonesync holds: left alone */
		char *owner = zsync_provider_name_text(domain);
		if (!strcmp(type, "TXT") || !strcmp(type, "SPF") || !strcmp(type, "CAA") || !strcmp(type, "NAPTR")) {
			/* fields that may hold spaces: the record's own answers, not the summary */
			char *d = zsync_http_escape(domain), *rp = zsync_xasprintf("/zones/%s/%s/%s", esc, d, type);
			json_t *rec;
			free(d);
			ret = call(n, "GET", rp, NULL, &rec, err);
			free(rp);
			if (ret < 0) {
				free(owner);
				fclose(f);
				goto out;
			}
			answers = json_array();
			json_array_foreach(json_object_get(rec, "answers"), k, a)
				json_array_append(answers, json_object_get(a, "answer"));
			json_decref(rec);
		} else {
			/* the summary's short answers: fields without spaces, joined by spaces */
			answers = json_array();
			json_array_foreach(json_object_get(r, "short_answers"), k, a) {
				json_t *fields = json_array();
				char *copy = zsync_xstrdup(json_string_value(a) ?: ""), *save = NULL;
				for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
					char *e;
					long long v = strtoll(tok, &e, 10);
					bool num = *tok && !*e && json_array_size(fields) < leading_ints(type);
					json_array_append_new(fields, num ? json_integer(v) : json_string(tok));
				}
				free(copy);
				json_array_append_new(answers, fields);
			}
		}
		/* a record (an RRset at NS1) with an answer zonesync cannot read fails the read of
		 * the zone: left out, a plan would rewrite or delete it without showing that
		 * answer, or try to create it (NS1: "record already exists", part way through) */
		char *lines = NULL;
		size_t ll = 0, bad = 0;
		FILE *lf = open_memstream(&lines, &ll);
		json_array_foreach(answers, k, a) {
			char *line = NULL;
			size_t n1 = 0;
			FILE *one = open_memstream(&line, &n1);
			fprintf(one, "%s %lld IN %s", owner, ttl, type);
			bool ok = put_answer(one, type, a);
			fclose(one);
			if (ok)
				fprintf(lf, "%s\n", line);
			else if (!bad)
				bad = k + 1;
			free(line);
		}
		fclose(lf);
		if (!bad)
			fputs(lines, f);
		free(lines);
		json_decref(answers);
		free(owner);
		if (bad) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "record %s %s: answer %zu cannot be read by zonesync: "
					    "nothing is planned for this zone until it is fixed or deleted at NS1",
					    domain, type, bad);
			fclose(f);
			goto out;
		}
	}
	fclose(f);
	if (zsync_zone_add_text(z, text, tlen, err) < 0) {
		zsync_err_prefix(err, "the records cannot be read");
		ret = ZSYNC_EINVAL;
	}
out:
	free(text);
	free(esc);
	free(nd);
	json_decref(res);
	if (ret < 0)
		zsync_zone_free(z);
	else
		*out = z;
	return ret;
}

static int n_list_zones(void *priv, struct zsync_strlist *out, struct zsync_err *err)
{
	struct ns1 *n = priv;
	json_t *res, *z;
	size_t i;
	int ret = call(n, "GET", "/zones", NULL, &res, err);
	if (ret < 0)
		return ret;
	json_array_foreach(res, i, z) {
		const char *name = json_string_value(json_object_get(z, "zone"));
		char *fq = name ? zsync_provider_fqdn(name) : NULL, txt[ZSYNC_NAME_TXT_MAXLEN + 1];
		uint8_t w[ZSYNC_NAME_MAXLEN];
		if (fq && zsync_name_from_text(fq, NULL, w) == 0)
			zsync_strlist_add(out, zsync_name_to_text(w, txt, sizeof(txt)));
		free(fq);
	}
	json_decref(res);
	return 0;
}

/* ---- writing ------------------------------------------------------------------------- */

/* One record of git as an NS1 answer (its rdata fields); NULL with err when it cannot be. */
static json_t *answer_of(uint16_t type, const uint8_t *rd, char *txt, struct zsync_err *err)
{
	const uint8_t *d = zsync_rdata_data(rd);
	uint16_t len = zsync_rdata_len(rd);
	json_t *a = json_array();

	if (type == ZSYNC_TYPE_TXT || type == ZSYNC_TYPE_SPF) {
		char *s = zsync_xmalloc(len + 1);
		size_t o = 0;
		for (uint16_t i = 0; i < len;) {
			uint8_t n = d[i++];
			memcpy(s + o, d + i, n);
			o += n;
			i += n;
		}
		json_t *v = memchr(s, 0, o) ? NULL : json_stringn(s, o);
		free(s);
		if (!v)
			goto bad;
		json_array_append_new(a, v);
		return a;
	}
	if (zsync_rdata_to_text(type, rd, txt, TEXT_MAX) < 0)
		goto bad;
	/* the presentation fields: numbers as numbers, names without their dot, quoted
	 * strings unquoted (CAA value, NAPTR flags/services/regexp) */
	for (char *p = txt; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			char *s = zsync_xmalloc(strlen(p) + 1);
			size_t o = 0;
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] >= '0' && p[1] <= '9') {
					s[o++] = (char)((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
					p += 3;
				} else if (*p == '\\' && p[1]) {
					s[o++] = *++p;
				} else {
					s[o++] = *p;
				}
			}
			if (*p)
				p++;
			json_t *v = json_stringn(s, o);
			free(s);
			if (!v)
				goto bad;
			json_array_append_new(a, v);
			continue;
		}
		char *e = strchr(p, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *tok = zsync_xasprintf("%.*s", (int)n, p), *end, tname[32];
		long long v = strtoll(tok, &end, 10);
		bool num = *tok && !*end && json_array_size(a) < leading_ints(zsync_type_to_text(type, tname, sizeof(tname)));
		if (num)
			json_array_append_new(a, json_integer(v));
		else {
			size_t tl = strlen(tok);
			if (tl > 1 && tok[tl - 1] == '.')
				tok[tl - 1] = '\0'; /* NS1 writes names without their dot */
			json_array_append_new(a, json_string(tok));
		}
		free(tok);
		p += n;
	}
	return a;
bad:
	json_decref(a);
	zsync_err_set(err, ZSYNC_EINVAL, "a value NS1's JSON cannot carry (not UTF-8 text)");
	return NULL;
}

static int write_one(struct ns1 *n, const char *zone, const struct zsync_change *ch, struct zsync_err *err)
{
	const struct zsync_rrset *any = ch->new ? ch->new : ch->old;
	char domain[ZSYNC_NAME_TXT_MAXLEN + 1], type[32], *zn = zsync_provider_no_dot(zone), *path, *ez, *ed;
	json_t *body = NULL, *res = NULL;
	int ret;

	zsync_type_to_text(any->type, type, sizeof(type));
	if ((ret = zsync_provider_owner_text(any->owner, domain, sizeof(domain), err)) < 0)
		goto out;
	ez = zsync_http_escape(zn);
	ed = zsync_http_escape(domain);
	path = zsync_xasprintf("/zones/%s/%s/%s", ez, ed, type);
	free(ez);
	free(ed);
	if (!ch->new) {
		ret = call(n, "DELETE", path, NULL, &res, err);
	} else {
		char *txt = zsync_xmalloc(TEXT_MAX);
		json_t *answers = json_array();
		const uint8_t *rd = ch->new->rdata;
		for (uint16_t k = 0; k < ch->new->count && ret == 0; k++, rd = zsync_rdata_next(rd)) {
			json_t *a = answer_of(any->type, rd, txt, err);
			if (!a)
				ret = ZSYNC_EINVAL;
			else
				json_array_append_new(answers, json_pack("{s:o}", "answer", a));
		}
		free(txt);
		body = json_pack("{s:s, s:s, s:s, s:I, s:o}", "zone", zn, "domain", domain, "type", type, "ttl",
				 (json_int_t)ch->ttl, "answers", answers);
		/* NS1: PUT creates, POST updates */
		if (ret == 0)
			ret = call(n, ch->old ? "POST" : "PUT", path, body, &res, err);
	}
	free(path);
out:
	json_decref(body);
	json_decref(res);
	free(zn);
	if (ret < 0) {
		char name[ZSYNC_NAME_TXT_MAXLEN + 1];
		zsync_err_prefix(err, "%s %s", zsync_name_to_text(any->owner, name, sizeof(name)), type);
	}
	return ret;
}

static int n_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct ns1 *n = priv;
	const struct zsync_changeset *cs = req->changes;
	size_t done = 0;
	int ret = 0;

	/* NS1 needs nothing of the last read */
	if (req->create_zone) {
		char *zn = zsync_provider_no_dot(req->zone), *e = zsync_http_escape(zn), *path = zsync_xasprintf("/zones/%s", e);
		json_t *body = json_pack("{s:s}", "zone", zn), *res;
		ret = call(n, "PUT", path, body, &res, err);
		json_decref(body);
		json_decref(res);
		free(path);
		free(e);
		free(zn);
		if (ret < 0)
			return ret;
	}
	/* the core hands a non-atomic provider its changes in a safe order */
	for (size_t i = 0; i < cs->n && ret == 0; i++) {
		if ((ret = write_one(n, req->zone, &cs->v[i], err)) == 0) {
			done++;
			if (req->applied)
				req->applied[i] = 1;
		}
	}
	if (ret < 0 && done)
		zsync_err_prefix(err, "%zu of %zu records were written before", done, cs->n);
	return ret;
}

static int n_delete_zone(void *priv, const char *zone, struct zsync_err *err)
{
	struct ns1 *n = priv;
	char *zn = zsync_provider_no_dot(zone), *e = zsync_http_escape(zn), *path = zsync_xasprintf("/zones/%s", e);
	json_t *res;
	int ret = call(n, "DELETE", path, NULL, &res, err);
	json_decref(res);
	free(path);
	free(e);
	free(zn);
	return ret;
}

/*
 * An NS1 TXT answer is one string (the API's TXT rdata field): the strings of a record are
 * served joined, split again at 255 octets (zsync_norm_txt_join, declared and said in plan);
 * it travels as a JSON string, so it must be UTF-8 text without NUL (else refused per
 * record). Owner names must be plain labels.
 */
static int ns1_txt(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen,
		   struct zsync_err *err)
{
	int ret = zsync_provider_norm_owner(owner, data, len, out, outlen, err);
	if (ret == 0)
		ret = zsync_norm_txt_join(owner, data, len, out, outlen, err);
	for (uint16_t i = 0; ret == 0 && i < len;) {
		uint8_t n = data[i++];
		json_t *s = i + n <= len && !memchr(data + i, 0, n) ? json_stringn((const char *)data + i, n) : NULL;
		if (!s)
			ret = zsync_err_set(err, ZSYNC_EINVAL, "a TXT string that is not UTF-8 text: NS1's API takes it "
					    "as a JSON string");
		json_decref(s);
		i += n;
	}
	return ret;
}

static const struct zsync_normaliser n_norms[] = {
	{ ZSYNC_TYPE_TXT, "with their strings joined", ns1_txt },
	{ ZSYNC_TYPE_SPF, "with their strings joined", ns1_txt },
	{ ZSYNC_NORM_EVERY_TYPE, "", zsync_provider_norm_owner },
	{ 0 },
};

static const struct zsync_conf_key n_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(0, "https://api.nsone.net/v1"),
	{ "api_key", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL,
	  "an API key with the zones permissions (X-NSONE-Key)" },
	{ 0 },
};

const struct zsync_provider_type zsync_provider_ns1 = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "ns1",
	.summary = "NS1 (IBM NS1 Connect) REST v1 (one write per changed record)",
	.keys = n_keys,
	/* ZSYNC_CAP_CONCURRENT: priv is the HTTP client (thread-safe) and the base URL only;
	 * applies one zone at a time unless `concurrency` says more (one account's rate limit) */
	.caps = ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_LIST_ZONES | ZSYNC_CAP_CONCURRENT,
	.rrtypes = n_types,
	.normalisers = n_norms,
	.ttl_min = 0,
	.ttl_max = 2147483647,
	.open = n_open,
	.fetch = n_fetch,
	.apply = n_apply,
	.list_zones = n_list_zones,
	.delete_zone = n_delete_zone,
	.usage = n_usage,
	.nameservers = n_nameservers,
	.close = n_close,
};
