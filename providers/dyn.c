/*
 * dyn.c - Dyn Managed DNS REST API: a session token, the zone read whole (AllRecord,
 * detail=Y), each changed RRset staged with one call at its node (replace or delete all
 * of a type), one publish per zone. Staged changes belong to the session: if the session
 * dies half-way, nothing is published and the zone is re-read and re-planned.
 */
#include "provider.h"
#include "dyn.h"
#include "dns.h"
#include "support.h"
#include "http.h"
#include "thread.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Dyn's record types with their `rdata` keys as its REST API documents them (dyn-python's
 * dyn/tm/records.py; ../shared/reference/PROVIDER-APIS.md 1.6). Dyn's LOC, CSYNC, IPSECKEY,
 * NSAP and PX take forms zonesync does not write: not supported.
 */
static const uint16_t dyn_types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA, ZSYNC_TYPE_CNAME, ZSYNC_TYPE_MX,
				       ZSYNC_TYPE_NS, ZSYNC_TYPE_PTR, ZSYNC_TYPE_TXT, ZSYNC_TYPE_SRV,
				       ZSYNC_TYPE_CAA, ZSYNC_TYPE_DS, ZSYNC_TYPE_SPF, ZSYNC_TYPE_DNSKEY,
				       ZSYNC_TYPE_CDS, ZSYNC_TYPE_CDNSKEY, 17 /* RP */, 25 /* KEY */,
				       35 /* NAPTR */, 36 /* KX */, 37 /* CERT */, 39 /* DNAME */,
				       44 /* SSHFP */, 49 /* DHCID */, 52 /* TLSA */, 0 };

/* The rdata keys of the types beyond the first eleven, in presentation order (support.h). */
static const struct zsync_api_fields dyn_fields[] = {
	{ 17, "dd", { "mbox", "txtdname" } },
	{ 25, "iiir", { "flags", "protocol", "algorithm", "public_key" } },
	{ 35, "iisssd", { "order", "preference", "flags", "services", "regexp", "replacement" } },
	{ 36, "id", { "preference", "exchange" } },
	{ 37, "iiir", { "format", "tag", "algorithm", "certificate" } },
	{ 39, "d", { "dname" } },
	{ 44, "iir", { "algorithm", "fptype", "fingerprint" } },
	{ ZSYNC_TYPE_DNSKEY, "iiir", { "flags", "protocol", "algorithm", "public_key" } },
	{ 49, "r", { "digest" } },
	{ 52, "iiir", { "cert_usage", "selector", "match_type", "certificate" } },
	{ ZSYNC_TYPE_CDS, "iiir", { "keytag", "algorithm", "digtype", "digest" } },
	{ ZSYNC_TYPE_CDNSKEY, "iiir", { "flags", "protocol", "algorithm", "public_key" } },
	{ 0, NULL, { 0 } },
};

/* One Dyn session: what it stages lives only as long as it does (and only in it). */
struct dyn_session {
	char token[128]; /* "": not logged in (or dropped) */
	unsigned gen;    /* its logins: another login loses what the earlier one staged */
};

/*
 * Calls for different zones overlap (ZSYNC_CAP_CONCURRENT). One session serves the reads,
 * logged in once (under the lock: the other calls wait for it) and once more when it dies.
 * An apply stages in it when no other apply does, else in a session of its own (logged
 * out when it ends): a failed apply drops its session with what it staged, never another
 * zone's staged changes.
 */
struct dyn {
	struct zsync_http *http;
	char *base;     /* https://api.dynect.net */
	char *login;    /* the JSON body of a login (holds the password: never printed) */
	const char *name; /* the provider's, for warnings */
	pthread_mutex_t session_lock; /* shared, held while it logs in */
	struct dyn_session shared;
	pthread_mutex_t lock;      /* what follows; taken inside session_lock, never around it */
	bool staging;              /* an apply stages in the shared session */
	/* the credentials were refused: said to every zone, never tried again (a lockout) */
	struct zsync_err refused;
	int relogins;              /* sessions opened by this run (under lock) */
};

static int d_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct zsync_http *http;
	char *pw, *base;
	struct dyn *d;
	int ret;

	if ((ret = zsync_provider_http_open(conf, &http, &base, err)) < 0)
		return ret;
	if ((ret = zsync_config_get_secret(conf, "password", &pw, err)) < 0) {
		zsync_http_free(http);
		free(base);
		return ret;
	}
	d = zsync_xcalloc(1, sizeof(*d));
	zsync_mutex_init(&d->session_lock);
	zsync_mutex_init(&d->lock);
	d->http = http;
	d->name = conf->name;
	d->base = base;
	json_t *body = json_pack("{s:s, s:s, s:s}", "customer_name", zsync_config_get_str(conf, "customer"),
				 "user_name", zsync_config_get_str(conf, "user"), "password", pw);
	d->login = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	zsync_config_secret_free(pw);
	*priv = d;
	return 0;
}

/* The first message of the envelope, for errors. */
static const char *first_info(json_t *j)
{
	json_t *m = json_array_get(json_object_get(j, "msgs"), 0);
	const char *s = json_string_value(json_object_get(m, "INFO"));
	return s ? s : "(no message)";
}

static bool mentions(json_t *j, const char *needle)
{
	json_t *m;
	size_t i;
	json_array_foreach(json_object_get(j, "msgs"), i, m) {
		const char *s = json_string_value(json_object_get(m, "INFO"));
		if (s && strstr(s, needle))
			return true;
	}
	return false;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int request_raw(struct dyn *d, const char *token, const char *method, const char *path, json_t *body,
		       bool once, struct zsync_http_resp *r, struct zsync_err *err);

/* Logs s in (the shared session with session_lock held, so that it is done once). */
static int login(struct dyn *d, struct dyn_session *s, struct zsync_err *err)
{
	struct zsync_http_resp r;
	json_t *body;
	int ret;
	const char *tok;

	/* the calls waiting for this login, or logging in sessions of their own, ask no more */
	zsync_lock(&d->lock);
	ret = d->refused.code;
	if (ret < 0)
		*err = d->refused;
	zsync_unlock(&d->lock);
	if (ret < 0)
		return ret;
	body = json_loads(d->login, 0, NULL);
	for (int attempt = 0;; attempt++) {
		ret = request_raw(d, NULL, "POST", "/REST/Session/", body, false, &r, err);
		if (ret < 0 || !r.json || !mentions(r.json, "Operation blocked by current task") || attempt >= 5)
			break;
		zsync_http_resp_release(&r);
		sleep_ms(1000L << attempt > 8000 ? 8000 : 1000L << attempt);
	}
	json_decref(body);
	if (ret < 0)
		return ret;
	tok = json_string_value(json_object_get(json_object_get(r.json, "data"), "token"));
	if (strcmp(json_string_value(json_object_get(r.json, "status")) ?: "", "success") != 0 || !tok ||
	    strlen(tok) >= sizeof(s->token)) {
		bool refused = r.json && mentions(r.json, "login:");
		ret = zsync_err_set(err, ZSYNC_EIO, "login %s (HTTP %ld): %s", refused ? "refused" : "failed", r.status,
				    r.json ? first_info(r.json) : "the answer is not JSON");
		if (refused) {
			zsync_lock(&d->lock);
			d->refused = *err;
			zsync_unlock(&d->lock);
		}
	} else {
		snprintf(s->token, sizeof(s->token), "%s", tok);
		s->gen++;
		zsync_lock(&d->lock);
		d->relogins++;
		zsync_unlock(&d->lock);
	}
	zsync_http_resp_release(&r);
	return ret;
}

/*
 * One call with token (NULL: none, a login); follows Dyn's jobs (307 to /REST/Job/ID/,
 * or "incomplete") until they end, with the same token. once: a write that must not be
 * sent twice (the publish); the others (a login, a logout, staging a type's whole set at
 * a node, deleting it) done twice are done once. The token goes in this request's own
 * header, so that calls of other sessions at the same time send theirs.
 */
static int request_raw(struct dyn *d, const char *token, const char *method, const char *path, json_t *body,
		       bool once, struct zsync_http_resp *r, struct zsync_err *err)
{
	char *url = zsync_xasprintf("%s%s", d->base, path), hdr[200];
	char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
	const char *headers[] = { hdr, NULL };
	struct zsync_http_req req = { .method = method, .url = url, .body = payload, .len = payload ? strlen(payload) : 0,
				      .content_type = "application/json", .headers = token ? headers : NULL,
				      .idempotent = !once };
	int ret, polls = 0;

	snprintf(hdr, sizeof(hdr), "Auth-Token: %s", token ? token : "");
	ret = zsync_http_send(d->http, &req, r, err);
	if (payload) {
		memset(payload, 0, strlen(payload)); /* a login's holds the password */
		free(payload);
	}
	free(url);
	while (ret == 0 && (r->status == 307 ||
			    (r->json && !strcmp(json_string_value(json_object_get(r->json, "status")) ?: "", "incomplete")))) {
		char *job = NULL;
		if (r->status == 307 && r->location) {
			const char *loc = strstr(r->location, "/REST/");
			job = zsync_xstrdup(loc ? loc : r->location);
		} else {
			job = zsync_xasprintf("/REST/Job/%lld/", (long long)json_integer_value(json_object_get(r->json, "job_id")));
		}
		zsync_http_resp_release(r);
		if (++polls > 240) {
			free(job);
			ret = zsync_err_set(err, ZSYNC_EIO, "%s %s: the job did not finish in time", method, path);
			break;
		}
		sleep_ms(polls < 5 ? 200 : 1000);
		url = zsync_xasprintf("%s%s", d->base, job);
		free(job);
		req = (struct zsync_http_req){ .method = "GET", .url = url, .content_type = "application/json",
					       .headers = token ? headers : NULL };
		ret = zsync_http_send(d->http, &req, r, err);
		free(url);
	}
	memset(hdr, 0, sizeof(hdr));
	return ret;
}

/*
 * A call in session s (&d->shared or an apply's own): logs in when there is none, logs in
 * again once when the token died, retries "blocked by a task". *gen (may be NULL): the
 * login of s the call went with; the changes s staged before it are live only if it is
 * the one they were staged with.
 */
static int call(struct dyn *d, struct dyn_session *s, const char *method, const char *path, json_t *body, bool once,
		struct zsync_http_resp *r, unsigned *gen, struct zsync_err *err)
{
	bool shared = s == &d->shared;
	char tok[sizeof(s->token)];
	unsigned g = 0;
	int ret;

	for (int attempt = 0;; attempt++) {
		ret = 0;
		if (shared)
			zsync_lock(&d->session_lock);
		if (!s->token[0])
			ret = login(d, s, err);
		memcpy(tok, s->token, sizeof(tok));
		g = s->gen;
		if (shared)
			zsync_unlock(&d->session_lock);
		if (ret < 0 || (ret = request_raw(d, tok, method, path, body, once, r, err)) < 0)
			break;
		if (r->json && mentions(r->json, "login:") && attempt == 0) {
			zsync_http_resp_release(r);
			/* the token died: log in again, unless a call beside this one did already */
			if (shared)
				zsync_lock(&d->session_lock);
			if (s->gen == g)
				s->token[0] = '\0';
			if (shared)
				zsync_unlock(&d->session_lock);
			continue;
		}
		if (r->json && mentions(r->json, "Operation blocked by current task") && attempt < 5) {
			zsync_http_resp_release(r);
			sleep_ms(1000L << attempt > 8000 ? 8000 : 1000L << attempt);
			continue;
		}
		if (!r->json)
			ret = zsync_err_set(err, ZSYNC_EINVAL, "%s %s: HTTP %ld: the answer is not JSON", method, path, r->status);
		else if (strcmp(json_string_value(json_object_get(r->json, "status")) ?: "", "success") != 0)
			ret = zsync_err_set(err, r->status == 404 ? ZSYNC_ENOTFOUND : ZSYNC_EIO, "HTTP %ld: %s", r->status,
					    first_info(r->json));
		if (ret < 0)
			zsync_http_resp_release(r);
		break;
	}
	memset(tok, 0, sizeof(tok));
	if (gen)
		*gen = g;
	return ret;
}

/* Logs the session out (what it staged and did not publish dies with it). */
static void logout(struct dyn *d, struct dyn_session *s)
{
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };

	if (s->token[0] && request_raw(d, s->token, "DELETE", "/REST/Session/", NULL, false, &r, &err) == 0)
		zsync_http_resp_release(&r);
	memset(s->token, 0, sizeof(s->token));
	s->gen++;
}

static void d_close(void *priv)
{
	struct dyn *d = priv;
	if (!d)
		return;
	/* log out: what is staged and unpublished dies with the session */
	logout(d, &d->shared);
	zsync_mutex_destroy(&d->session_lock);
	zsync_mutex_destroy(&d->lock);
	if (d->login) {
		memset(d->login, 0, strlen(d->login));
		free(d->login);
	}
	zsync_http_free(d->http);
	free(d->base);
	free(d);
}

static void d_usage(void *priv, char *buf, size_t len)
{
	struct dyn *d = priv;
	zsync_lock(&d->lock);
	int sessions = d->relogins;
	zsync_unlock(&d->lock);
	snprintf(buf, len, "%zu requests (%zu GET, %zu PUT, %zu DELETE, %zu POST), %d session%s",
		 zsync_http_count(d->http, NULL), zsync_http_count(d->http, "GET"), zsync_http_count(d->http, "PUT"),
		 zsync_http_count(d->http, "DELETE"), zsync_http_count(d->http, "POST"), sessions,
		 sessions == 1 ? "" : "s");
}


/* rdata object -> zone-file text (NULL when it cannot be read) */
static char *rdata_text(const char *type, json_t *rd)
{
#define S(k) json_string_value(json_object_get(rd, k))
#define I(k) (long long)(json_is_string(json_object_get(rd, k)) ? atoll(S(k)) : json_integer_value(json_object_get(rd, k)))
	const char *a;
	const struct zsync_api_fields *f;
	uint16_t tn;
	if (zsync_type_from_text(type, &tn) == 0 && (f = zsync_provider_fields_of(dyn_fields, tn)))
		return zsync_provider_fields_text(f, rd, NULL);
	if (!strcmp(type, "A") || !strcmp(type, "AAAA"))
		return (a = S("address")) ? zsync_xstrdup(a) : NULL;
	if (!strcmp(type, "CNAME"))
		return (a = S("cname")) ? zsync_provider_fqdn(a) : NULL;
	if (!strcmp(type, "NS"))
		return (a = S("nsdname")) ? zsync_provider_fqdn(a) : NULL;
	if (!strcmp(type, "PTR"))
		return (a = S("ptrdname")) ? zsync_provider_fqdn(a) : NULL;
	if (!strcmp(type, "MX"))
		return (a = S("exchange")) ? zsync_xasprintf("%lld %s%s", I("preference"), a, a[strlen(a) - 1] == '.' ? "" : ".") : NULL;
	if (!strcmp(type, "SRV"))
		return (a = S("target")) ? zsync_xasprintf("%lld %lld %lld %s%s", I("priority"), I("weight"), I("port"), a,
							  a[strlen(a) - 1] == '.' ? "" : ".") : NULL;
	if (!strcmp(type, "CAA"))
		return S("tag") && S("value") && !strpbrk(S("value"), "\"\\\r\n") && !strpbrk(S("tag"), " \"")
			       ? zsync_xasprintf("%lld %s \"%s\"", I("flags"), S("tag"), S("value")) : NULL;
	if (!strcmp(type, "DS"))
		return (a = S("digest")) && !strpbrk(a, " \r\n") ? zsync_xasprintf("%lld %lld %lld %s", I("keytag"), I("algorithm"), I("digtype"), a) : NULL;
	if (!strcmp(type, "TXT") || !strcmp(type, "SPF")) {
		/* written as zone-file strings (quoted chunks); a bare value from elsewhere is quoted */
		if (!(a = S("txtdata")) || strpbrk(a, "\r\n"))
			return NULL;
		return zsync_provider_txt_quote(a);
	}
	return NULL;
#undef S
#undef I
}

/* A record of a managed type that cannot be read: said, and left alone (never changed or deleted). */
static void unreadable(const char *who, const char *zone, const char *fqdn, const char *type, const char *why)
{
	fprintf(stderr, "zonesync: warning: provider '%s': zone '%s': record %.100s %s cannot be read (%s): left alone\n",
		who, zone, fqdn, type, why);
}

static int dyn_zone(const char *who, const json_t *data, const char *zone, struct zsync_zone **out,
		    struct zsync_err *err);

static int d_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct dyn *d = priv;
	struct zsync_http_resp r;
	char *z = zsync_provider_no_dot(zone), *path = zsync_xasprintf("/REST/Zone/%s/", z);
	int ret = call(d, &d->shared, "GET", path, NULL, false, &r, NULL, err);

	*out = NULL;
	free(path);
	if (ret < 0) {
		free(z);
		return ret;
	}
	zsync_http_resp_release(&r);
	path = zsync_xasprintf("/REST/AllRecord/%s/%s/?detail=Y", z, z);
	ret = call(d, &d->shared, "GET", path, NULL, false, &r, NULL, err);
	free(path);
	free(z);
	if (ret < 0)
		return ret;
	ret = dyn_zone(d->name, json_object_get(r.json, "data"), zone, out, err);
	zsync_http_resp_release(&r);
	return ret;
}

int zsync_dyn_zone(const json_t *data, const char *zone, struct zsync_zone **out,
		   struct zsync_err *err)
{
	return dyn_zone("dyn", data, zone, out, err);
}

static int dyn_zone(const char *who, const json_t *data, const char *zone, struct zsync_zone **out,
		    struct zsync_err *err)
{
	char *text = NULL;
	size_t cap = 0, len = 0;
	int ret = 0;
	json_t *list;
	const char *key;

	*out = NULL;
	if (!json_is_object(data))
		return zsync_err_set(err, ZSYNC_EINVAL, "malformed AllRecord answer");
	json_object_foreach((json_t *)data, key, list) {
		json_t *rec;
		size_t i;
		json_array_foreach(list, i, rec) {
			const char *fqdn = json_string_value(json_object_get(rec, "fqdn"));
			const char *type = json_string_value(json_object_get(rec, "record_type"));
			json_int_t ttl = json_integer_value(json_object_get(rec, "ttl"));
			uint16_t tn;
			char *value;
			if (!fqdn || !type || !strcmp(type, "SOA") || zsync_type_from_text(type, &tn) < 0)
				continue;
			if (!(value = rdata_text(type, json_object_get(rec, "rdata")))) {
				unreadable(who, zone, fqdn, type, "its rdata is not what the API documents");
				continue;
			}
			char *owner = zsync_provider_name_text(fqdn);
			char *line = zsync_xasprintf("%s %lld IN %s %s\n", owner, (long long)(ttl > 0 ? ttl : 3600), type, value);
			struct zsync_err lerr = { 0 };
			struct zsync_zone *one = zsync_zone_new(zone, &lerr);
			/* one record zonesync cannot read never makes the zone unreadable */
			if (!one || zsync_zone_add_text(one, line, strlen(line), &lerr) < 0) {
				unreadable(who, zone, fqdn, type, lerr.msg);
			} else {
				size_t need = strlen(line);
				if (len + need + 1 > cap)
					text = zsync_xrealloc(text, cap = (len + need + 1) * 2);
				memcpy(text + len, line, need + 1);
				len += need;
			}
			zsync_zone_free(one);
			free(line);
			free(owner);
			free(value);
		}
	}
	*out = zsync_zone_new(zone, err);
	if (*out && len && zsync_zone_add_text(*out, text, len, err) < 0) {
		zsync_err_prefix(err, "a record Dyn returned cannot be read");
		zsync_zone_free(*out);
		*out = NULL;
		ret = ZSYNC_EINVAL;
	}
	free(text);
	return *out ? 0 : (ret ? ret : ZSYNC_EINVAL);
}

/* The rdata object Dyn expects for one value. */
static json_t *rdata_json(uint16_t type, const uint8_t *item)
{
	char *t = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN), a[ZSYNC_NAME_TXT_MAXLEN + 1], tag[64];
	long p = 0, w = 0, port = 0, alg = 0, dt = 0;
	int used = 0;
	json_t *o = NULL;

	zsync_rdata_to_text(type, item, t, ZSYNC_RDATA_TXT_MAXLEN);
	const struct zsync_api_fields *f = zsync_provider_fields_of(dyn_fields, type);
	if (f) {
		/* NULL only for what the plan refused (zsync_provider_norm_naptr): an empty object */
		o = zsync_provider_fields_json(f, t, NULL);
		free(t);
		return o ? o : json_object();
	}
	switch (type) {
	case ZSYNC_TYPE_A:
	case ZSYNC_TYPE_AAAA: o = json_pack("{s:s}", "address", t); break;
	case ZSYNC_TYPE_CNAME: o = json_pack("{s:s}", "cname", t); break;
	case ZSYNC_TYPE_NS: o = json_pack("{s:s}", "nsdname", t); break;
	case ZSYNC_TYPE_PTR: o = json_pack("{s:s}", "ptrdname", t); break;
	case ZSYNC_TYPE_MX:
		if (sscanf(t, "%ld %1005s", &p, a) == 2)
			o = json_pack("{s:I, s:s}", "preference", (json_int_t)p, "exchange", a);
		break;
	case ZSYNC_TYPE_SRV:
		if (sscanf(t, "%ld %ld %ld %1005s", &p, &w, &port, a) == 4)
			o = json_pack("{s:I, s:I, s:I, s:s}", "priority", (json_int_t)p, "weight", (json_int_t)w,
				      "port", (json_int_t)port, "target", a);
		break;
	case ZSYNC_TYPE_CAA:
		if (sscanf(t, "%ld %63s %n", &p, tag, &used) == 2) {
			char *v = zsync_xstrdup(t[used] == '"' ? t + used + 1 : t + used);
			size_t l = strlen(v);
			if (l && v[l - 1] == '"')
				v[l - 1] = '\0';
			o = json_pack("{s:I, s:s, s:s}", "flags", (json_int_t)p, "tag", tag, "value", v);
			free(v);
		}
		break;
	case ZSYNC_TYPE_DS:
		if (sscanf(t, "%ld %ld %ld %n", &p, &alg, &dt, &used) == 3) {
			char *dg = zsync_xstrdup(t + used);
			for (char *s = dg; *s; s++)
				if (*s == ' ')
					memmove(s, s + 1, strlen(s));
			o = json_pack("{s:I, s:I, s:I, s:s}", "keytag", (json_int_t)p, "algorithm", (json_int_t)alg,
				      "digtype", (json_int_t)dt, "digest", dg);
			free(dg);
		}
		break;
	default: /* TXT, SPF: zone-file strings, the chunked form octoDNS also writes */
		o = json_pack("{s:s}", "txtdata", t);
		break;
	}
	free(t);
	return o;
}

static int d_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct dyn *d = priv;
	const struct zsync_changeset *cs = req->changes;
	char *z = zsync_provider_no_dot(req->zone), tname[32], owner[ZSYNC_NAME_TXT_MAXLEN + 1];
	struct dyn_session own = { 0 }, *s = &own;
	unsigned first = 0, gen = 0; /* the login staging began with, the last call's */
	bool began = false;
	int ret = 0;

	/* the shared session when no other apply stages in it: what it stages is this zone's */
	zsync_lock(&d->lock);
	if (!d->staging) {
		d->staging = true;
		s = &d->shared;
	}
	zsync_unlock(&d->lock);
	/* a session that was opened for reading may have idled out: staging starts fresh */
	for (size_t i = 0; i < cs->n && ret == 0; i++) {
		const struct zsync_change *c = &cs->v[i];
		const struct zsync_rrset *any = c->new ? c->new : c->old;
		struct zsync_http_resp r;
		struct zsync_err ignored = { 0 };
		/* the plan refused a name the API cannot take (zsync_provider_norm_owner) */
		zsync_provider_owner_text(any->owner, owner, sizeof(owner), &ignored);
		char *fq = zsync_http_escape(owner);
		char *path = zsync_xasprintf("/REST/%sRecord/%s/%s/", zsync_type_to_text(any->type, tname, sizeof(tname)), z, fq);
		json_t *body = NULL;

		if (c->new) {
			json_t *recs = json_array();
			const uint8_t *rd = c->new->rdata;
			for (uint16_t k = 0; k < c->new->count; k++, rd = zsync_rdata_next(rd))
				json_array_append_new(recs, json_pack("{s:o, s:I}", "rdata", rdata_json(any->type, rd),
								      "ttl", (json_int_t)c->ttl));
			char key[48];
			snprintf(key, sizeof(key), "%sRecords", tname);
			body = json_pack("{s:o}", key, recs);
		}
		ret = call(d, s, c->new ? "PUT" : "DELETE", path, body, false, &r, &gen, err);
		if (ret == 0)
			zsync_http_resp_release(&r);
		else
			zsync_err_prefix(err, "staging %s %s", fq, tname);
		json_decref(body);
		free(path);
		free(fq);
		if (!began) {
			first = gen;
			began = true;
		} else if (ret == 0 && gen != first)
			/* a new login while staging the first change loses nothing; later, it loses
			 * the earlier staged changes: never publish a part */
			ret = zsync_err_set(err, ZSYNC_ECONFLICT, "the Dyn session expired while staging; the zone is re-read");
	}
	if (ret == 0) {
		struct zsync_http_resp r;
		char *path = zsync_xasprintf("/REST/Zone/%s/", z);
		json_t *body = json_pack("{s:b, s:s}", "publish", 1, "notes", req->commit ? req->commit : "zonesync");
		/* the publish makes the staged changes live: done once */
		ret = call(d, s, "PUT", path, body, true, &r, &gen, err);
		if (ret == 0)
			zsync_http_resp_release(&r);
		else
			zsync_err_prefix(err, "publish");
		if (!began)
			first = gen;
		else if (ret == 0 && gen != first)
			/* a fresh session publishes nothing of what the old one staged */
			ret = zsync_err_set(err, ZSYNC_ECONFLICT, "the Dyn session expired before the publish; the zone is re-read");
		json_decref(body);
		free(path);
	}
	if (s == &own) {
		logout(d, &own);
	} else {
		if (ret < 0) {
			/* drop the session this zone staged in (unless it is gone already): its staged
			 * changes go with it, nothing half-done is published later; the reads log in
			 * again */
			zsync_lock(&d->session_lock);
			if (began && d->shared.gen == gen)
				logout(d, &d->shared); /* the login its last call staged in */
			zsync_unlock(&d->session_lock);
		}
		zsync_lock(&d->lock);
		d->staging = false;
		zsync_unlock(&d->lock);
	}
	free(z);
	return ret;
}

static const struct zsync_conf_key d_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(0, "https://api.dynect.net"),
	{ "customer", ZSYNC_CONF_STR, ZSYNC_CONF_REQUIRED, NULL, NULL, "the Dyn customer name" },
	{ "user", ZSYNC_CONF_STR, ZSYNC_CONF_REQUIRED, NULL, NULL, "the API user" },
	{ "password", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL, "the API user's password" },
	{ 0 },
};

/* Record names go into the API's URL paths as text: a name it cannot take is refused in plan. */
static const struct zsync_normaliser dyn_normalisers[] = {
	{ ZSYNC_NORM_EVERY_TYPE, "", zsync_provider_norm_owner },
	{ ZSYNC_TYPE_CAA, "", zsync_provider_norm_caa },
	{ 35, "", zsync_provider_norm_naptr },
	{ 0 },
};

const struct zsync_provider_type zsync_provider_dyn = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "dyn",
	.summary = "Dyn Managed DNS REST API (staged per session, one publish per zone)",
	.keys = d_keys,
	/*
	 * ZSYNC_CAP_CONCURRENT: the session is shared under a lock, an apply stages in a
	 * session no other apply stages in (struct dyn); not ZSYNC_CAP_APPLY_SIDE_BY_SIDE: the
	 * rate limit is the account's, so one zone's writes at a time unless `concurrency`.
	 */
	.caps = ZSYNC_CAP_ATOMIC | ZSYNC_CAP_CONCURRENT,
	.rrtypes = dyn_types,
	.normalisers = dyn_normalisers,
	/* a TTL of 0 is Dyn's "use the zone default" (API docs, TTL rules): 0 goes as 1, said in plan */
	.ttl_min = 1,
	.open = d_open,
	.fetch = d_fetch,
	.apply = d_apply,
	.usage = d_usage,
	.close = d_close,
};
