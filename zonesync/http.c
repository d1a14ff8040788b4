/* http.c - libcurl + jansson client shared by the API providers: retries, backoff, rate limit, caps */
#include "http.h"

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

struct zsync_http {
	struct zsync_http_opts o;
	struct curl_slist *headers;
	char *session;
	char *ca_file;
	/* token bucket */
	double tokens, last;
	/* counts: GET POST PUT PATCH DELETE other */
	size_t counts[6];
};

static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

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

int zsync_http_new(struct zsync_http **out, const struct zsync_http_opts *o, struct zsync_err *err)
{
	struct zsync_http *h = zsync_xcalloc(1, sizeof(*h));
	(void)err;
	pthread_once(&curl_once, curl_init);
	h->o = *o;
	if (h->o.timeout <= 0)
		h->o.timeout = 30;
	if (h->o.retries < 0)
		h->o.retries = 0;
	if (o->ca_file)
		h->ca_file = zsync_xstrdup(o->ca_file);
	h->o.ca_file = h->ca_file;
	h->tokens = 1;
	h->last = now_s();
	h->headers = curl_slist_append(NULL, "Accept: application/json");
	h->headers = curl_slist_append(h->headers, "Content-Type: application/json");
	*out = h;
	return 0;
}

void zsync_http_free(struct zsync_http *h)
{
	if (!h)
		return;
	curl_slist_free_all(h->headers);
	zsync_http_session_header(h, NULL);
	free(h->ca_file);
	free(h);
}

void zsync_http_header(struct zsync_http *h, const char *header)
{
	h->headers = curl_slist_append(h->headers, header);
}

void zsync_http_session_header(struct zsync_http *h, const char *header)
{
	if (h->session) {
		memset(h->session, 0, strlen(h->session));
		free(h->session);
	}
	h->session = header ? zsync_xstrdup(header) : NULL;
}

size_t zsync_http_count(const struct zsync_http *h, const char *method)
{
	size_t n = 0;
	for (int i = 0; i < 6; i++)
		if (!method || (i < 5 && strcmp(methods[i], method) == 0))
			n += h->counts[i];
	return n;
}

/* Waits for a token: at most rate_per_sec requests a second, bursts of one. */
static void rate_wait(struct zsync_http *h)
{
	if (h->o.rate_per_sec <= 0)
		return;
	for (;;) {
		double t = now_s();
		h->tokens += (t - h->last) * h->o.rate_per_sec;
		if (h->tokens > 1)
			h->tokens = 1;
		h->last = t;
		if (h->tokens >= 1) {
			h->tokens -= 1;
			return;
		}
		sleep_s((1 - h->tokens) / h->o.rate_per_sec);
	}
}

struct sink {
	char *buf;
	size_t len, cap;
	bool too_big;
	char *location;
	double retry_after;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t add = size * n;
	if (s->len + add > MAX_BODY) {
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

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		s->retry_after = atof(p + 12);
	if (len > 9 && strncasecmp(p, "Location:", 9) == 0) {
		const char *v = p + 9;
		size_t vl = len - 9;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		free(s->location);
		s->location = zsync_xasprintf("%.*s", (int)vl, v);
	}
	return len;
}

static int method_index(const char *m)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(methods[i], m) == 0)
			return i;
	return 5;
}

int zsync_http_request(struct zsync_http *h, const char *method, const char *url, json_t *body,
		       struct zsync_http_resp *resp, struct zsync_err *err)
{
	char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int ret = 0;

	memset(resp, 0, sizeof(*resp));
	for (long attempt = 0;; attempt++) {
		CURL *c = curl_easy_init();
		struct sink s = { 0 };
		char curl_err[CURL_ERROR_SIZE] = "";
		long status = 0;
		CURLcode rc;
		bool retry;
		double wait;

		rate_wait(h);
		h->counts[method_index(method)]++;
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		struct curl_slist *hdrs = h->headers, *with_session = NULL;
		if (h->session) {
			for (struct curl_slist *s = h->headers; s; s = s->next)
				with_session = curl_slist_append(with_session, s->data);
			with_session = curl_slist_append(with_session, h->session);
			hdrs = with_session;
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, h->o.timeout);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->o.timeout < 10 ? h->o.timeout : 10);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		if (h->ca_file)
			curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
		if (payload)
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
		curl_slist_free_all(with_session);

		if (s.too_big) {
			free(s.buf);
			free(s.location);
			ret = zsync_err_set(err, ZSYNC_EIO, "%s %s: response larger than %u bytes", method,
					    url, MAX_BODY);
			break;
		}
		retry = rc != CURLE_OK ? true : (status == 429 || status >= 500);
		if (!retry || attempt >= h->o.retries) {
			if (rc != CURLE_OK) {
				free(s.buf);
				free(s.location);
				/* curl's message names the host and the problem, never our headers */
				ret = zsync_err_set(err, ZSYNC_EIO, "%s %s: %s", method, url,
						    *curl_err ? curl_err : curl_easy_strerror(rc));
				break;
			}
			resp->status = status;
			resp->body = s.buf ? s.buf : zsync_xstrdup("");
			resp->body[s.len] = '\0';
			resp->len = s.len;
			resp->location = s.location;
			resp->json = s.len ? json_loadb(resp->body, s.len, 0, NULL) : NULL;
			break;
		}
		/* exponential backoff with jitter; the server's Retry-After wins when longer */
		uint32_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)attempt;
		wait = fmin(MAX_BACKOFF, 0.2 * pow(2, (double)attempt)) * (0.5 + (r % 1000) / 1000.0);
		if (s.retry_after > wait)
			wait = fmin(s.retry_after, 120);
		free(s.buf);
		free(s.location);
		sleep_s(wait);
	}
	free(payload);
	return ret;
}

void zsync_http_resp_release(struct zsync_http_resp *r)
{
	free(r->body);
	free(r->location);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

void zsync_http_error(const struct zsync_http_resp *r, struct zsync_err *err)
{
	const char *msg = NULL;
	char text[512];

	if (r->json) {
		json_t *e = json_object_get(r->json, "error");
		if (json_is_string(e))
			msg = json_string_value(e);
		else if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
			msg = json_string_value(json_object_get(e, "message"));
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
