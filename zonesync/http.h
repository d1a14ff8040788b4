/*
 * http.h - the one HTTP client every API provider uses: any body type (JSON, XML, form),
 * request signing (AWS SigV4 through libcurl, or a hook), OAuth2 bearer tokens from a
 * pluggable token source, connection reuse, and the same timeouts, retries, rate limit and
 * size cap for every request.
 *
 * One struct zsync_http per provider instance; it may be used from several threads at
 * once (connections are pooled, the rate limit and the token are shared).
 */
#ifndef ZSYNC_HTTP_H
#define ZSYNC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct zsync_http;

struct zsync_http_opts {
	double rate_per_sec;   /* token bucket; 0: unlimited */
	long timeout;          /* seconds for one request (connect included) */
	long retries;          /* extra attempts on 429, 5xx and connection errors (a write only where that is safe: see zsync_http_send) */
	const char *ca_file;   /* extra CA bundle; TLS verification is always on */
	size_t max_body;       /* response size cap in bytes; 0: 64 MiB */
};

/* One request. Only method and url are required. */
struct zsync_http_req {
	const char *method;          /* "GET", "POST", ... */
	const char *url;
	const char *body;            /* NULL: no body */
	size_t len;                  /* of body */
	const char *content_type;    /* of body ("application/xml"); NULL: none sent */
	const char *accept;          /* NULL: "application/json" */
	const char *const *headers;  /* more headers for this request (a session token: secrets like the others), NULL-terminated; may be NULL */
	/*
	 * A write that may be performed twice with the effect of once (a PUT that replaces a
	 * whole RRset, a DELETE, a login): retried after a 5xx or a lost answer like a read.
	 * Leave it false for a write that creates or applies a change (a POST adding records,
	 * a change batch, a PUT that creates, any write with If-Match/If-None-Match): sent
	 * again after it was done, it would be done twice or fail and hide that it landed.
	 */
	bool idempotent;
};

struct zsync_http_resp {
	long status;           /* 0 when no response arrived */
	char *body;            /* NUL-terminated (caller frees with zsync_http_resp_release) */
	size_t len;
	json_t *json;          /* parsed body when it is JSON, else NULL */
	char *location;        /* Location header, if any */
	char *content_type;    /* Content-Type header, if any */
	char *etag;            /* ETag header, if any (for If-Match on the next write) */
	struct zsync_strlist rate; /* the X-RateLimit-* header lines, if any: zsync_http_resp_header */
	/* an earlier attempt of this request was sent in full and may have been done (a 5xx
	 * that does not say it was refused, or no answer): a retried DELETE then finding
	 * nothing to delete found its own work */
	bool resent;
};

int zsync_http_new(struct zsync_http **out, const struct zsync_http_opts *opts,
		   struct zsync_err *err);
/* Closes the pooled connections, wipes the headers and the token; accepts NULL. */
void zsync_http_free(struct zsync_http *h);

/*
 * Adds a header sent with every request ("X-API-Key: ..."). Header values are treated as
 * secrets: they are never printed, logged or put in an error.
 */
void zsync_http_header(struct zsync_http *h, const char *header);

/*
 * One request. Retries with exponential backoff and jitter, honouring Retry-After, what
 * was provably not performed: a connection that failed before the request left in full,
 * a 429, a 503 with Retry-After (refusals before any work: RFC 6585 section 4, RFC 9110
 * section 15.6.4), an answer the retry hook calls throttling. A read or an idempotent
 * write is also retried after any other 5xx and after a lost answer. A 401 with a token
 * source fetches a new token once.
 * Returns 0 when a response arrived (whatever its status: look at resp->status), or a
 * negative code with err ("connection refused", "timed out", "response larger than N
 * bytes"). A write that is not idempotent and was sent without an answer, or answered
 * with another 5xx, may have been performed: ZSYNC_EUNKNOWN ("the outcome is unknown"),
 * so that the caller reads the zone again instead of sending it twice.
 */
int zsync_http_send(struct zsync_http *h, const struct zsync_http_req *req,
		    struct zsync_http_resp *resp, struct zsync_err *err);
/*
 * The JSON form of zsync_http_send: body (may be NULL) is sent as application/json. A
 * write is not idempotent (zsync_http_request_idempotent is the form for one that is).
 */
int zsync_http_request(struct zsync_http *h, const char *method, const char *url, json_t *body,
		       struct zsync_http_resp *resp, struct zsync_err *err);
int zsync_http_request_idempotent(struct zsync_http *h, const char *method, const char *url, json_t *body,
				  struct zsync_http_resp *resp, struct zsync_err *err);
void zsync_http_resp_release(struct zsync_http_resp *resp);
/*
 * The value of an X-RateLimit-* header of the answer ("X-RateLimit-Remaining"), or NULL:
 * the rate limit state some APIs announce in every answer, for a provider to pace itself.
 */
const char *zsync_http_resp_header(const struct zsync_http_resp *resp, const char *name);

/* "HTTP 422: <message from the body>" for a failed response. */
void zsync_http_error(const struct zsync_http_resp *resp, struct zsync_err *err);

/*
 * Signs every request with AWS Signature Version 4 (libcurl's CURLOPT_AWS_SIGV4):
 * provider is "aws:amz:REGION:SERVICE" ("aws:amz:us-east-1:route53"). The keys are copied
 * and wiped on free.
 */
void zsync_http_aws_sigv4(struct zsync_http *h, const char *provider, const char *access_key_id,
			  const char *secret_key);

/*
 * A signing hook for other schemes: called before every attempt (retries included, so a
 * timestamp is fresh) with the request as it will be sent; it adds header lines to
 * headers ("Authorization: ..."), which are secrets like the others. Non-zero: the request
 * fails with err.
 */
typedef int (*zsync_http_sign_fn)(void *ud, const struct zsync_http_req *req,
				  struct zsync_strlist *headers, struct zsync_err *err);
void zsync_http_sign_hook(struct zsync_http *h, zsync_http_sign_fn fn, void *ud);

/*
 * For an API that throttles with a status other than 429 or 5xx (Route 53 answers HTTP 400
 * with the code Throttling): called with each answer that would not be retried (body
 * NUL-terminated, json NULL); true retries it like a 429, with the same backoff and limit.
 */
typedef bool (*zsync_http_retry_fn)(void *ud, const struct zsync_http_resp *resp);
void zsync_http_retry_hook(struct zsync_http *h, zsync_http_retry_fn fn, void *ud);

/*
 * Where OAuth2 bearer tokens come from (client credentials, a JWT grant, a metadata
 * server...). fetch puts a new token into *token (malloc'ed; http.c wipes and frees it)
 * and its lifetime into *ttl (seconds; 0: unknown, one hour assumed); it may send its own
 * requests with h (they carry no bearer token). A token is fetched before the first
 * request, again a minute before it expires, and once more after a 401. One fetch at a
 * time: threads that need a token meanwhile wait for it, and requests refused side by
 * side with the same token bring one new token, not one each.
 */
struct zsync_http_token_source {
	int (*fetch)(void *ud, struct zsync_http *h, char **token, long *ttl, struct zsync_err *err);
	void *ud;
};
/* Sends "Authorization: Bearer TOKEN" from src with every request; src is copied. */
void zsync_http_token_source(struct zsync_http *h, const struct zsync_http_token_source *src);

/*
 * One OAuth2 token request (RFC 6749 section 4.4, RFC 7523): POSTs form (already
 * url-encoded, "grant_type=...&...") to token_url and reads access_token and expires_in.
 * For a token source's fetch. The form is a secret: never in err.
 */
int zsync_http_oauth2_token(struct zsync_http *h, const char *token_url, const char *form, char **token,
			    long *ttl, struct zsync_err *err);

/* Requests made so far, in total or for one method ("PATCH"). */
size_t zsync_http_count(const struct zsync_http *h, const char *method);
/* TCP connections opened so far (a reused connection is not counted again). */
size_t zsync_http_connections(const struct zsync_http *h);

/* Percent-encodes s for a URL path segment or a form value. malloc'ed. */
char *zsync_http_escape(const char *s);

#endif
