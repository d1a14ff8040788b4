/* http.c - libcurl client shared by the API providers: any body, signing, OAuth2, pooled connections, retries, caps */
#include "http.h"
#include "thread.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#define MAX_BODY (64u * 1024 * 1024)
#define MAX_BACKOFF 30.0
#define TOKEN_MARGIN 60 /* seconds before expiry that a token is renewed */

struct zsync_http {
	struct zsync_http_opts o;
	char *ca_file;
	pthread_mutex_t lock; /* everything below but the token */
	struct curl_slist *headers;
	/* idle easy handles: each keeps its connection cache, so keep-alive connections are reused */
	CURL **idle;
	size_t nidle, idle_cap;
	/* token bucket */
	double tokens, last;
	/* counts: GET POST PUT PATCH DELETE other */
	size_t counts[6];
	size_t connects;
	/* AWS SigV4 */
	char *sigv4, *sigv4_userpwd;
	zsync_http_sign_fn sign;
	void *sign_ud;
	zsync_http_retry_fn retry_if;
	void *retry_ud;
	/* OAuth2 */
	pthread_mutex_t token_lock; /* one fetch at a time; held while fetching */
	struct zsync_http_token_source src;
	bool has_src;
	char *token;                /* "Authorization: Bearer ..." */
	double token_expiry;
	/* which token this is (1 the first): threads refused with the same one renew it once */
	unsigned long token_gen;
};

static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
/* the token source's own requests (on this thread) carry no token and fetch none */
static __thread const struct zsync_http *fetching_token;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	memset(s, 0, strlen(s));
	free(s);
}

static void wipe_slist(struct curl_slist *l)
{
	for (struct curl_slist *s = l; s; s = s->next)
		memset(s->data, 0, strlen(s->data));
	curl_slist_free_all(l);
}

int zsync_http_new(struct zsync_http **out, const struct zsync_http_opts *o, struct zsync_err *err)
{
	struct zsync_http *h = zsync_xcalloc(1, sizeof(*h));
	(void)err;
	zsync_once(&curl_once, curl_init);
	h->o = *o;
	if (h->o.timeout <= 0)
		h->o.timeout = 30;
	if (h->o.retries < 0)
		h->o.retries = 0;
	if (!h->o.max_body)
		h->o.max_body = MAX_BODY;
	if (o->ca_file)
		h->ca_file = zsync_xstrdup(o->ca_file);
	h->o.ca_file = h->ca_file;
	h->tokens = 1;
	h->last = now_s();
	zsync_mutex_init(&h->lock);
	zsync_mutex_init(&h->token_lock);
	*out = h;
	return 0;
}

void zsync_http_free(struct zsync_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nidle; i++)
		curl_easy_cleanup(h->idle[i]);
	free(h->idle);
	wipe_slist(h->headers);
	wipe_free(h->sigv4);
	wipe_free(h->sigv4_userpwd);
	wipe_free(h->token);
	free(h->ca_file);
	zsync_mutex_destroy(&h->lock);
	zsync_mutex_destroy(&h->token_lock);
	free(h);
}

void zsync_http_header(struct zsync_http *h, const char *header)
{
	zsync_lock(&h->lock);
	h->headers = curl_slist_append(h->headers, header);
	zsync_unlock(&h->lock);
}

void zsync_http_aws_sigv4(struct zsync_http *h, const char *provider, const char *access_key_id,
			  const char *secret_key)
{
	wipe_free(h->sigv4);
	wipe_free(h->sigv4_userpwd);
	h->sigv4 = zsync_xstrdup(provider);
	h->sigv4_userpwd = zsync_xasprintf("%s:%s", access_key_id, secret_key);
}

void zsync_http_sign_hook(struct zsync_http *h, zsync_http_sign_fn fn, void *ud)
{
	h->sign = fn;
	h->sign_ud = ud;
}

void zsync_http_retry_hook(struct zsync_http *h, zsync_http_retry_fn fn, void *ud)
{
	h->retry_if = fn;
	h->retry_ud = ud;
}

void zsync_http_token_source(struct zsync_http *h, const struct zsync_http_token_source *src)
{
	h->src = *src;
	h->has_src = true;
}

size_t zsync_http_count(const struct zsync_http *h, const char *method)
{
	size_t n = 0;
	for (int i = 0; i < 6; i++)
		if (!method || (i < 5 && strcmp(methods[i], method) == 0))
			n += h->counts[i];
	return n;
}

size_t zsync_http_connections(const struct zsync_http *h)
{
	return h->connects;
}

/* Waits for a token: at most rate_per_sec requests a second, bursts of one, across threads. */
static void rate_wait(struct zsync_http *h)
{
	if (h->o.rate_per_sec <= 0)
		return;
	for (;;) {
		double t, wait;
		zsync_lock(&h->lock);
		t = now_s();
		h->tokens += (t - h->last) * h->o.rate_per_sec;
		if (h->tokens > 1)
			h->tokens = 1;
		h->last = t;
		if (h->tokens >= 1) {
			h->tokens -= 1;
			zsync_unlock(&h->lock);
			return;
		}
		wait = (1 - h->tokens) / h->o.rate_per_sec;
		zsync_unlock(&h->lock);
		sleep_s(wait);
	}
}

/*
 * The bearer header, fetched or renewed when needed, and *gen, which token it is. refused:
 * the token *gen was refused (a 401): renewed unless another thread already did, since
 * requests in flight side by side all get the 401 of one expired token and one new token
 * serves them all.
 */
static int bearer(struct zsync_http *h, bool refused, unsigned long *gen, char **hdr, struct zsync_err *err)
{
	int ret = 0;

	*hdr = NULL;
	if (!h->has_src || fetching_token == h)
		return 0;
	zsync_lock(&h->token_lock);
	if ((refused && *gen == h->token_gen) || !h->token || now_s() >= h->token_expiry - TOKEN_MARGIN) {
		char *tok = NULL;
		long ttl = 0;
		fetching_token = h;
		ret = h->src.fetch(h->src.ud, h, &tok, &ttl, err);
		fetching_token = NULL;
		if (ret == 0 && (!tok || !*tok || strpbrk(tok, "\r\n")))
			ret = zsync_err_set(err, ZSYNC_EINVAL, "the token source returned no usable token");
		if (ret < 0) {
			wipe_free(tok);
			zsync_err_prefix(err, "cannot get an access token");
			goto out;
		}
		wipe_free(h->token);
		h->token = zsync_xasprintf("Authorization: Bearer %s", tok);
		wipe_free(tok);
		h->token_expiry = now_s() + (ttl > 0 ? ttl : 3600);
		h->token_gen++;
	}
	/* a copy: another thread may renew (and free) the token while this one sends it */
	*hdr = zsync_xstrdup(h->token);
	*gen = h->token_gen;
out:
	zsync_unlock(&h->token_lock);
	return ret;
}

static CURL *take_handle(struct zsync_http *h)
{
	CURL *c = NULL;
	zsync_lock(&h->lock);
	if (h->nidle)
		c = h->idle[--h->nidle];
	zsync_unlock(&h->lock);
	if (c)
		curl_easy_reset(c); /* options go, the connection cache stays */
	else
		c = curl_easy_init();
	return c;
}

static void give_handle(struct zsync_http *h, CURL *c)
{
	zsync_lock(&h->lock);
	if (h->nidle == h->idle_cap)
		h->idle = zsync_xrealloc(h->idle, (h->idle_cap = h->idle_cap * 2 + 2) * sizeof(*h->idle));
	h->idle[h->nidle++] = c;
	zsync_unlock(&h->lock);
}

struct sink {
	char *buf;
	size_t len, cap, max;
	bool too_big;
	char *location, *content_type, *etag;
	struct zsync_strlist rate; /* X-RateLimit-* lines, for zsync_http_resp_header */
	double retry_after;
	bool has_retry_after;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t add = size * n;
	if (s->len + add > s->max) {
		s->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (s->len + add + 1 > s->cap) {
		s->cap = (s->len + add + 1) * 2;
		s->buf = zsync_xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p, add);
	s->len += add;
	return add;
}

/* The value of header line p (len bytes) if it is `name:`, trimmed; malloc'ed. */
static char *header_value(const char *p, size_t len, const char *name)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(p, name, nl) != 0)
		return NULL;
	const char *v = p + nl;
	size_t vl = len - nl;
	while (vl && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	return zsync_xasprintf("%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	char *v;
	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		s->retry_after = atof(p + 12);
		s->has_retry_after = true;
	}
	if ((v = header_value(p, len, "Location:"))) {
		free(s->location);
		s->location = v;
	}
	if ((v = header_value(p, len, "Content-Type:"))) {
		free(s->content_type);
		s->content_type = v;
	}
	if ((v = header_value(p, len, "ETag:"))) {
		free(s->etag);
		s->etag = v;
	}
	/* rate limit state some APIs announce in every answer (NS1) */
	if (len > 12 && strncasecmp(p, "X-RateLimit-", 12) == 0 && len < 200) {
		size_t l = len;
		while (l && (p[l - 1] == '\r' || p[l - 1] == '\n'))
			l--;
		zsync_strlist_add_owned(&s->rate, zsync_xasprintf("%.*s", (int)l, p));
	}
	return len;
}

static void sink_release(struct sink *s)
{
	free(s->buf);
	free(s->location);
	free(s->content_type);
	free(s->etag);
	zsync_strlist_release(&s->rate);
}

/* A read, or a write the caller says has one effect however often it is performed. */
static bool replayable(const struct zsync_http_req *req)
{
	return !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD") || req->idempotent;
}

/*
 * A write that failed after its request (or part of it) left: whatever the error — no
 * answer, a dropped connection, a reply curl cannot read (HTTP/0.9, a broken HTTP/2
 * stream), a send cut short — the server may have done it. A read, or a request that
 * never left (the name did not resolve, the connection or TLS handshake failed), changed
 * nothing.
 */
static bool sent_unanswered(const char *method, CURLcode rc, long req_size)
{
	(void)rc;
	return strcmp(method, "GET") && strcmp(method, "HEAD") && req_size > 0;
}

/*
 * Answers that refuse a request before any work is done, so that sending it again is safe
 * whatever it is: 429 (RFC 6585 section 4) and 503 with Retry-After (RFC 9110 section
 * 15.6.4: unable to handle it, come back later). Any other 5xx may come after the work
 * (an error on the way back, a gateway that lost the backend's answer).
 */
static bool refused_unperformed(long status, const struct sink *s)
{
	return status == 429 || (status == 503 && s->has_retry_after);
}

static int method_index(const char *m)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(methods[i], m) == 0)
			return i;
	return 5;
}

/* Every header of one attempt: the client's, the token, the request's, the signature. */
static int attempt_headers(struct zsync_http *h, const struct zsync_http_req *req, bool renew_token,
			   unsigned long *token_gen, struct curl_slist **out, struct zsync_err *err)
{
	struct curl_slist *l = NULL;
	char *tok = NULL, *line;
	int ret;

	if ((ret = bearer(h, renew_token, token_gen, &tok, err)) < 0)
		return ret;
	line = zsync_xasprintf("Accept: %s", req->accept ? req->accept : "application/json");
	l = curl_slist_append(l, line);
	free(line);
	if (req->content_type) {
		line = zsync_xasprintf("Content-Type: %s", req->content_type);
		l = curl_slist_append(l, line);
		free(line);
	}
	zsync_lock(&h->lock);
	for (struct curl_slist *s = h->headers; s; s = s->next)
		l = curl_slist_append(l, s->data);
	zsync_unlock(&h->lock);
	if (tok)
		l = curl_slist_append(l, tok);
	wipe_free(tok);
	for (const char *const *x = req->headers; x && *x; x++)
		l = curl_slist_append(l, *x);
	if (h->sign) {
		struct zsync_strlist sig = { 0 };
		ret = h->sign(h->sign_ud, req, &sig, err);
		for (size_t i = 0; i < sig.n; i++) {
			if (ret == 0)
				l = curl_slist_append(l, sig.v[i]);
			memset(sig.v[i], 0, strlen(sig.v[i]));
		}
		zsync_strlist_release(&sig);
		if (ret < 0) {
			wipe_slist(l);
			return ret;
		}
	}
	*out = l;
	return 0;
}

int zsync_http_send(struct zsync_http *h, const struct zsync_http_req *req, struct zsync_http_resp *resp,
		    struct zsync_err *err)
{
	const char *method = req->method, *url = req->url;
	bool renew_token = false, renewed = false, maybe_done = false;
	unsigned long token_gen = 0;
	int ret = 0;

	memset(resp, 0, sizeof(*resp));
	for (long attempt = 0;; attempt++) {
		struct sink s = { .max = h->o.max_body };
		struct curl_slist *hdrs = NULL;
		char curl_err[CURL_ERROR_SIZE] = "";
		long status = 0, connects = 0, req_size = 0;
		CURLcode rc;
		CURL *c;
		bool retry;
		double wait;

		if ((ret = attempt_headers(h, req, renew_token, &token_gen, &hdrs, err)) < 0)
			break;
		renew_token = false;
		rate_wait(h);
		c = take_handle(h);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, h->o.timeout);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->o.timeout < 10 ? h->o.timeout : 10);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		if (h->ca_file)
			curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
		if (req->body) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
		}
		if (h->sigv4) {
			curl_easy_setopt(c, CURLOPT_AWS_SIGV4, h->sigv4);
			curl_easy_setopt(c, CURLOPT_USERPWD, h->sigv4_userpwd);
		}
		/* libcurl sends a request again by itself when a reused connection turns out
		 * closed before any answer, and the server may have done it the first time: a
		 * write that is not safe twice goes on a connection of its own */
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, replayable(req) ? 0L : 1L);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
		curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &req_size);
		if (h->sigv4)
			curl_easy_setopt(c, CURLOPT_USERPWD, NULL);
		give_handle(h, c);
		wipe_slist(hdrs);
		zsync_lock(&h->lock);
		h->counts[method_index(method)]++;
		h->connects += (size_t)connects;
		zsync_unlock(&h->lock);

		if (s.too_big) {
			sink_release(&s);
			ret = zsync_err_set(err, ZSYNC_EIO, "%s %s: response larger than %zu bytes", method, url,
					    h->o.max_body);
			break;
		}
		/* an expired or revoked token: one new token, not counted as a retry */
		if (rc == CURLE_OK && status == 401 && h->has_src && fetching_token != h && !renewed) {
			sink_release(&s);
			renew_token = renewed = true;
			attempt--;
			continue;
		}
		/* a write that left in full without an answer, or got a 5xx that does not say it
		 * was refused, may have been performed: sent again, a CREATE fails ("already
		 * exists") and hides that the first one landed, a POST adds the records twice */
		if (rc != CURLE_OK)
			retry = replayable(req) || !sent_unanswered(method, rc, req_size);
		else if (status == 429 || status >= 500)
			retry = refused_unperformed(status, &s) || replayable(req);
		else
			retry = false;
		if (!retry && h->retry_if && rc == CURLE_OK && status < 500) {
			/* an API that says "slow down" with another status (Route 53: 400 Throttling) */
			struct zsync_http_resp probe = { .status = status, .body = s.buf ? s.buf : "", .len = s.len };
			if (s.buf)
				s.buf[s.len] = '\0';
			retry = h->retry_if(h->retry_ud, &probe);
		}
		if (!retry || attempt >= h->o.retries) {
			if (rc != CURLE_OK) {
				sink_release(&s);
				/* curl's message names the host and the problem, never our headers */
				ret = zsync_err_set(err, sent_unanswered(method, rc, req_size) ? ZSYNC_EUNKNOWN : ZSYNC_EIO,
						    "%s %s: %s", method, url, *curl_err ? curl_err : curl_easy_strerror(rc));
				if (ret == ZSYNC_EUNKNOWN)
					zsync_err_prefix(err, "the request was sent, no answer came; the outcome is unknown");
				break;
			}
			if (status >= 500 && !replayable(req) && !refused_unperformed(status, &s)) {
				/* not sent again: it may have been done all the same */
				struct zsync_http_resp probe = { .status = status, .body = s.buf ? s.buf : "", .len = s.len };
				if (s.buf)
					s.buf[s.len] = '\0';
				probe.json = s.len ? json_loadb(probe.body, s.len, 0, NULL) : NULL;
				zsync_http_error(&probe, err);
				json_decref(probe.json);
				sink_release(&s);
				zsync_err_prefix(err, "%s %s", method, url);
				zsync_err_prefix(err, "the request was sent and answered HTTP %ld, which does not say whether "
						 "it was done; the outcome is unknown", status);
				ret = zsync_err_sync(err, ZSYNC_EUNKNOWN);
				break;
			}
			resp->status = status;
			resp->body = s.buf ? s.buf : zsync_xstrdup("");
			resp->body[s.len] = '\0';
			resp->len = s.len;
			resp->location = s.location;
			resp->content_type = s.content_type;
			resp->etag = s.etag;
			resp->rate = s.rate;
			resp->json = s.len ? json_loadb(resp->body, s.len, 0, NULL) : NULL;
			resp->resent = maybe_done;
			break;
		}
		if (rc != CURLE_OK ? sent_unanswered(method, rc, req_size) :
		    status >= 500 && !refused_unperformed(status, &s))
			maybe_done = true;
		/* exponential backoff with jitter; the server's Retry-After wins when longer */
		uint32_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)attempt;
		wait = fmin(MAX_BACKOFF, 0.2 * pow(2, (double)attempt)) * (0.5 + (r % 1000) / 1000.0);
		if (s.retry_after > wait)
			wait = fmin(s.retry_after, 120);
		sink_release(&s);
		sleep_s(wait);
	}
	return ret;
}

static int json_send(struct zsync_http *h, const char *method, const char *url, json_t *body, bool idempotent,
		     struct zsync_http_resp *resp, struct zsync_err *err)
{
	char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct zsync_http_req req = { .method = method,
				      .url = url,
				      .body = payload,
				      .len = payload ? strlen(payload) : 0,
				      .content_type = "application/json",
				      .idempotent = idempotent };
	int ret = zsync_http_send(h, &req, resp, err);
	free(payload);
	return ret;
}

int zsync_http_request(struct zsync_http *h, const char *method, const char *url, json_t *body,
		       struct zsync_http_resp *resp, struct zsync_err *err)
{
	return json_send(h, method, url, body, false, resp, err);
}

int zsync_http_request_idempotent(struct zsync_http *h, const char *method, const char *url, json_t *body,
				  struct zsync_http_resp *resp, struct zsync_err *err)
{
	return json_send(h, method, url, body, true, resp, err);
}

int zsync_http_oauth2_token(struct zsync_http *h, const char *token_url, const char *form, char **token,
			    long *ttl, struct zsync_err *err)
{
	struct zsync_http_req req = { .method = "POST",
				      .url = token_url,
				      .body = form,
				      .len = strlen(form),
				      .content_type = "application/x-www-form-urlencoded",
				      /* a second token is as good as the first */
				      .idempotent = true };
	struct zsync_http_resp r;
	const char *tok;
	int ret;

	*token = NULL;
	*ttl = 0;
	if ((ret = zsync_http_send(h, &req, &r, err)) < 0)
		return ret;
	tok = json_string_value(json_object_get(r.json, "access_token"));
	if (r.status != 200 || !tok) {
		const char *e = json_string_value(json_object_get(r.json, "error"));
		const char *d = json_string_value(json_object_get(r.json, "error_description"));
		if (r.status == 200)
			ret = zsync_err_set(err, ZSYNC_EINVAL, "token endpoint: no access_token in the answer");
		else if (e)
			ret = zsync_err_set(err, ZSYNC_EIO, "token endpoint: HTTP %ld: %s%s%.200s", r.status, e,
					    d ? ": " : "", d ? d : "");
		else
			ret = zsync_err_set(err, ZSYNC_EIO, "token endpoint: HTTP %ld", r.status);
	} else {
		*token = zsync_xstrdup(tok);
		*ttl = (long)json_integer_value(json_object_get(r.json, "expires_in"));
	}
	if (r.body)
		memset(r.body, 0, r.len); /* holds the token */
	zsync_http_resp_release(&r);
	return ret;
}

void zsync_http_resp_release(struct zsync_http_resp *r)
{
	free(r->body);
	free(r->location);
	free(r->content_type);
	free(r->etag);
	zsync_strlist_release(&r->rate);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

const char *zsync_http_resp_header(const struct zsync_http_resp *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->rate.n; i++) {
		const char *l = r->rate.v[i];
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			for (l += n + 1; *l == ' ' || *l == '\t'; l++)
				;
			return l;
		}
	}
	return NULL;
}

void zsync_http_error(const struct zsync_http_resp *r, struct zsync_err *err)
{
	const char *msg = NULL;
	char text[512];

	if (r->json) {
		/* {"error": "..."}, {"error": {"message": ...}} (Google, Azure), {"errors":
		 * [{"message": ...}]} (Cloudflare), {"message": ...} (NS1) */
		json_t *e = json_object_get(r->json, "error"), *es = json_array_get(json_object_get(r->json, "errors"), 0);
		if (json_is_string(e))
			msg = json_string_value(e);
		else if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
			msg = json_string_value(json_object_get(e, "message"));
		else if (json_is_string(json_object_get(es, "message")))
			msg = json_string_value(json_object_get(es, "message"));
		else if (json_is_string(json_object_get(r->json, "message")))
			msg = json_string_value(json_object_get(r->json, "message"));
	}
	const char *xm = !msg && r->body ? strstr(r->body, "<Message>") : NULL;
	if (xm) {
		/* an XML error (Route 53's ErrorResponse): its Message, printable characters only */
		size_t n = 0;
		for (const char *p = xm + 9; *p && *p != '<' && n < sizeof(text) - 1; p++)
			text[n++] = isprint((unsigned char)*p) ? *p : '?';
		text[n] = '\0';
		msg = text;
	}
	if (!msg) {
		/* plain text: the first line, printable characters only */
		size_t n = 0;
		for (const char *p = r->body ? r->body : ""; *p && *p != '\n' && n < sizeof(text) - 1; p++)
			text[n++] = isprint((unsigned char)*p) ? *p : '?';
		text[n] = '\0';
		msg = n ? text : "(no message)";
	}
	zsync_err_set(err, r->status == 404 ? ZSYNC_ENOTFOUND : ZSYNC_EIO, "HTTP %ld: %s", r->status, msg);
}

char *zsync_http_escape(const char *s)
{
	size_t n = strlen(s);
	char *o = zsync_xmalloc(n * 3 + 1), *p = o;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return o;
}
