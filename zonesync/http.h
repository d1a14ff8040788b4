/* http.h - the one HTTP client every API provider uses: JSON, timeouts, retries, rate limit, caps */
#ifndef ZSYNC_HTTP_H
#define ZSYNC_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct zsync_http;

struct zsync_http_opts {
	double rate_per_sec;   /* token bucket; 0: unlimited */
	long timeout;          /* seconds for one request (connect included) */
	long retries;          /* extra attempts on 429, 5xx and connection errors */
	const char *ca_file;   /* extra CA bundle; TLS verification is always on */
};

struct zsync_http_resp {
	long status;           /* 0 when no response arrived */
	char *body;            /* NUL-terminated (caller frees with zsync_http_resp_release) */
	size_t len;
	json_t *json;          /* parsed body when it is JSON, else NULL */
	char *location;        /* Location header, if any */
};

int zsync_http_new(struct zsync_http **out, const struct zsync_http_opts *opts,
		   struct zsync_err *err);
void zsync_http_free(struct zsync_http *h);

/*
 * Adds a header sent with every request ("X-API-Key: ..."). Header values are treated as
 * secrets: they are never printed, logged or put in an error.
 */
void zsync_http_header(struct zsync_http *h, const char *header);

/*
 * One request; body (may be NULL) is sent as JSON. Retries 429, 5xx and connection
 * failures with exponential backoff and jitter, honouring Retry-After. Returns 0 when a
 * response arrived (whatever its status: look at resp->status), or a negative code with
 * err ("connection refused", "timed out", "response larger than N bytes").
 */
int zsync_http_request(struct zsync_http *h, const char *method, const char *url, json_t *body,
		       struct zsync_http_resp *resp, struct zsync_err *err);
void zsync_http_resp_release(struct zsync_http_resp *resp);

/* "HTTP 422: <message from the body>" for a failed response. */
void zsync_http_error(const struct zsync_http_resp *resp, struct zsync_err *err);

/*
 * Sets (or with NULL clears) one more header sent with every request, replaced by the next
 * call: a session token. Treated as a secret like the others.
 */
void zsync_http_session_header(struct zsync_http *h, const char *header);

/* Requests made so far, in total or for one method ("PATCH"). */
size_t zsync_http_count(const struct zsync_http *h, const char *method);

/* Percent-encodes s for a URL path segment. malloc'ed. */
char *zsync_http_escape(const char *s);

#endif
