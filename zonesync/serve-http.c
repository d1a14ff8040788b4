/* serve-http.c - zonesync serve's HTTP side (libmicrohttpd): routing, tokens, webhooks, limits */
#include "serve.h"
#include "config.h"
#include "thread.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

#define CONNECTION_LIMIT 64
#define PER_IP_LIMIT 16
/* a body over max_body but below this many times it is read and dropped before the 413 */
#define DRAIN_FACTOR 16
#define CONNECTION_TIMEOUT 15 /* seconds: a slow sender does not hold a slot for long */

/* One request's state across the access handler's calls. */
struct req {
	char *body;
	size_t len;
	bool too_big;
	bool started;
};

enum { SRC_GITHUB, SRC_GITLAB, SRC_GENERIC };

static void peer(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

static MHD_RESULT respond(struct MHD_Connection *c, unsigned status, const char *type, char *body, bool owned)
{
	struct MHD_Response *r;
	MHD_RESULT ret;

	if (!body) {
		body = "";
		owned = false;
	}
	r = MHD_create_response_from_buffer(strlen(body), body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (!strncmp(type, "text/html", 9))
		MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS || status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", "5");
	if (status == MHD_HTTP_UNAUTHORIZED) {
		/* one challenge per header: browsers read the first they know (Basic: the token as password) */
		MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=\"zonesync\", charset=\"UTF-8\"");
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"zonesync\"");
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* {"status": status, "message": message} */
static MHD_RESULT respond_msg(struct MHD_Connection *c, unsigned code, const char *status, const char *message)
{
	json_t *j = json_pack("{s:s, s:s}", "status", status, "message", message);
	char *s = json_dumps(j, 0);
	json_decref(j);
	size_t n = strlen(s);
	s = zsync_xrealloc(s, n + 2);
	s[n] = '\n';
	s[n + 1] = '\0';
	return respond(c, code, "application/json", s, true);
}

/* "Bearer TOKEN", or Basic with TOKEN as the password (a browser's prompt on the status page). */
static bool authorized(struct zsync_serve *s, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	char *token = NULL;
	bool ok;

	zsync_lock(&s->mu);
	if (!s->api_token) {
		zsync_unlock(&s->mu);
		return true;
	}
	if (h && !strncasecmp(h, "Bearer ", 7)) {
		token = zsync_xstrdup(h + 7);
	} else if (h && !strncasecmp(h, "Basic ", 6)) {
		char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
		token = pass ? zsync_xstrdup(pass) : NULL;
		if (pass)
			MHD_free(pass);
		if (user)
			MHD_free(user);
	}
	ok = token && zsync_serve_secret_equal(token, s->api_token);
	if (!ok)
		s->http_unauthorized++;
	zsync_unlock(&s->mu);
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	return ok;
}

static void count_hook(struct zsync_serve *s, int src, enum zsync_hook_result r)
{
	zsync_lock(&s->mu);
	s->hooks[src][r]++;
	zsync_unlock(&s->mu);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	return v ? v : "";
}

/* POST /hooks/{github,gitlab,generic} with the whole body in q */
static MHD_RESULT webhook(struct zsync_serve *s, struct MHD_Connection *c, int src, struct req *q)
{
	static const char *const names[] = { "github", "gitlab", "generic" };
	const char *source = names[src], *event = "push", *id = "";
	char ip[64], *branch = NULL, *after = NULL, *secret = NULL, *want = NULL;
	struct zsync_err err = { 0 };
	struct zsync_serve_delivery d = { 0 };
	bool deleted, authentic = false;
	MHD_RESULT ret;

	peer(c, ip, sizeof(ip));
	zsync_lock(&s->mu);
	secret = src == SRC_GITHUB ? s->github_secret : src == SRC_GITLAB ? s->gitlab_token : s->generic_secret;
	secret = secret ? zsync_xstrdup(secret) : NULL;
	want = zsync_xstrdup(s->branch);
	zsync_unlock(&s->mu);
	if (!secret) {
		ret = respond_msg(c, MHD_HTTP_NOT_FOUND, "error", "this webhook is not configured ([serve] secret)");
		goto out;
	}
	if (src == SRC_GITHUB) {
		authentic = zsync_serve_signature_ok(secret, q->body, q->len, header(c, "X-Hub-Signature-256"));
		event = header(c, "X-GitHub-Event");
		id = header(c, "X-GitHub-Delivery");
	} else if (src == SRC_GITLAB) {
		authentic = zsync_serve_secret_equal(header(c, "X-Gitlab-Token"), secret);
		event = !strcmp(header(c, "X-Gitlab-Event"), "Push Hook") ? "push" : header(c, "X-Gitlab-Event");
		/* Idempotency-Key (GitLab 17.4+) stays the same when GitLab retries a delivery */
		id = *header(c, "Idempotency-Key") ? header(c, "Idempotency-Key") : header(c, "X-Gitlab-Event-UUID");
	} else {
		authentic = zsync_serve_signature_ok(secret, q->body, q->len, header(c, "X-Zonesync-Signature-256"));
		id = header(c, "X-Zonesync-Delivery");
	}
	if (!authentic) {
		/* the body is never logged: it came from someone who does not know the secret */
		count_hook(s, src, ZSYNC_HOOK_BAD_SIGNATURE);
		zsync_serve_log(s, "warn", "webhook refused: bad or missing signature", "source", source, "remote", ip,
				"delivery", *id ? id : NULL, NULL);
		ret = respond_msg(c, MHD_HTTP_UNAUTHORIZED, "error", src == SRC_GITLAB ? "bad or missing X-Gitlab-Token"
				  : "bad or missing signature");
		goto out;
	}
	if (src == SRC_GITHUB && !strcmp(event, "ping")) {
		count_hook(s, src, ZSYNC_HOOK_IGNORED);
		ret = respond_msg(c, MHD_HTTP_OK, "ok", "pong");
		goto out;
	}
	if (strcmp(event, "push")) {
		count_hook(s, src, ZSYNC_HOOK_IGNORED);
		zsync_serve_log(s, "info", "webhook ignored: not a push event", "source", source, "event", event,
				"delivery", *id ? id : NULL, NULL);
		ret = respond_msg(c, MHD_HTTP_ACCEPTED, "ignored", "only push events start a run");
		goto out;
	}
	if (strlen(id) >= sizeof(d.id)) {
		count_hook(s, src, ZSYNC_HOOK_BAD_REQUEST);
		ret = respond_msg(c, MHD_HTTP_BAD_REQUEST, "error", "the delivery id is too long");
		goto out;
	}
	if (zsync_serve_parse_push(q->body, q->len, &branch, &after, &deleted, &err) < 0) {
		count_hook(s, src, ZSYNC_HOOK_BAD_REQUEST);
		zsync_serve_log(s, "warn", "webhook refused: bad payload", "source", source, "delivery", *id ? id : NULL,
				"error", err.msg, NULL);
		ret = respond_msg(c, MHD_HTTP_BAD_REQUEST, "error", err.msg);
		goto out;
	}
	if (strcmp(branch, want) || deleted) {
		count_hook(s, src, ZSYNC_HOOK_IGNORED);
		zsync_serve_log(s, "info", deleted ? "webhook ignored: the push deleted the branch" : "webhook ignored: another branch",
				"source", source, "delivery", *id ? id : NULL, "branch", branch, "deployed_branch", want, NULL);
		ret = respond_msg(c, MHD_HTTP_ACCEPTED, "ignored", deleted ? "the push deleted the branch" : "not the deployed branch");
		goto out;
	}
	snprintf(d.source, sizeof(d.source), "%s", source);
	snprintf(d.id, sizeof(d.id), "%s", id);
	snprintf(d.after, sizeof(d.after), "%s", after ? after : "");
	d.at_ms = zsync_serve_now_ms();
	switch (zsync_serve_enqueue(s, &d)) {
	case 0:
		count_hook(s, src, ZSYNC_HOOK_ACCEPTED);
		zsync_serve_log(s, "info", "webhook accepted", "source", source, "delivery", *id ? id : NULL,
				"after", d.after, NULL);
		ret = respond_msg(c, MHD_HTTP_ACCEPTED, "queued", "the branch's head will be deployed");
		break;
	case 1:
		count_hook(s, src, ZSYNC_HOOK_DUPLICATE);
		zsync_serve_log(s, "warn", "webhook ignored: delivery seen before", "source", source, "delivery", id, NULL);
		ret = respond_msg(c, MHD_HTTP_OK, "duplicate", "this delivery was received before; nothing queued");
		break;
	case -1:
		count_hook(s, src, ZSYNC_HOOK_QUEUE_FULL);
		zsync_serve_log(s, "warn", "webhook refused: queue full", "source", source, "delivery", *id ? id : NULL, NULL);
		ret = respond_msg(c, MHD_HTTP_TOO_MANY_REQUESTS, "error", "too many deliveries waiting; try again later");
		break;
	default:
		zsync_serve_log(s, "warn", "webhook refused: stopping", "source", source, "delivery", *id ? id : NULL, NULL);
		ret = respond_msg(c, MHD_HTTP_SERVICE_UNAVAILABLE, "error", "the service is stopping; try again later");
	}
out:
	if (secret) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	free(want);
	free(branch);
	free(after);
	return ret;
}

static MHD_RESULT route(struct zsync_serve *s, struct MHD_Connection *c, const char *url, const char *method,
			struct req *q)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
	char why[1200];

	if (!strcmp(url, "/healthz"))
		return get ? respond(c, MHD_HTTP_OK, "text/plain", "ok\n", false)
			   : respond_msg(c, MHD_HTTP_METHOD_NOT_ALLOWED, "error", "GET only");
	if (!strncmp(url, "/hooks/", 7)) {
		int src = !strcmp(url + 7, "github") ? SRC_GITHUB : !strcmp(url + 7, "gitlab") ? SRC_GITLAB
			: !strcmp(url + 7, "generic") ? SRC_GENERIC : -1;
		if (src < 0)
			return respond_msg(c, MHD_HTTP_NOT_FOUND, "error", "no such webhook (github, gitlab, generic)");
		if (!post)
			return respond_msg(c, MHD_HTTP_METHOD_NOT_ALLOWED, "error", "POST only");
		if (q->too_big) {
			count_hook(s, src, ZSYNC_HOOK_TOO_LARGE);
			return respond_msg(c, 413, "error", "the body is larger than [serve] max_body");
		}
		return webhook(s, c, src, q);
	}
	if (!authorized(s, c)) {
		char ip[64];
		peer(c, ip, sizeof(ip));
		zsync_serve_log(s, "warn", "request refused: missing or wrong API token", "remote", ip, "path", url, NULL);
		return respond_msg(c, MHD_HTTP_UNAUTHORIZED, "error", "a valid API token is needed (Authorization: Bearer TOKEN)");
	}
	if (!strcmp(url, "/api/v1/reconcile")) {
		if (!post)
			return respond_msg(c, MHD_HTTP_METHOD_NOT_ALLOWED, "error", "POST only");
		zsync_lock(&s->mu);
		bool token = s->api_token != NULL;
		zsync_unlock(&s->mu);
		if (!token)
			return respond_msg(c, MHD_HTTP_FORBIDDEN, "error", "set [serve] api_token to allow runs through the API");
		if (!zsync_serve_request(s, ZSYNC_JOB_RECONCILE, "api"))
			return respond_msg(c, MHD_HTTP_SERVICE_UNAVAILABLE, "error", "stopping");
		zsync_serve_log(s, "info", "reconcile requested through the API", NULL);
		return respond_msg(c, MHD_HTTP_ACCEPTED, "queued", "a reconcile will run");
	}
	if (!get)
		return respond_msg(c, MHD_HTTP_METHOD_NOT_ALLOWED, "error", "GET only");
	if (!strcmp(url, "/readyz")) {
		const char *nr = zsync_serve_not_ready(s, why, sizeof(why));
		return respond(c, nr ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, "text/plain",
			       zsync_xasprintf("%s\n", nr ? nr : "ready"), true);
	}
	if (!strcmp(url, "/metrics"))
		return respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", zsync_serve_metrics(s), true);
	if (!strcmp(url, "/api/v1/status"))
		return respond(c, MHD_HTTP_OK, "application/json", zsync_serve_status_json(s), true);
	if (!strcmp(url, "/api/v1/runs")) {
		const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
		long limit = l ? strtol(l, NULL, 10) : 20;
		return respond(c, MHD_HTTP_OK, "application/json",
			       zsync_serve_runs_json(s, limit > 0 && limit <= 1000 ? (int)limit : 20), true);
	}
	if (!strncmp(url, "/api/v1/runs/", 13)) {
		char *end;
		long long id = strtoll(url + 13, &end, 10);
		char *j = *end || id <= 0 ? NULL : zsync_serve_run_json(s, id);
		return j ? respond(c, MHD_HTTP_OK, "application/json", j, true)
			 : respond_msg(c, MHD_HTTP_NOT_FOUND, "error", "no such run");
	}
	if (!strcmp(url, "/"))
		return respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", zsync_serve_page(s), true);
	return respond_msg(c, MHD_HTTP_NOT_FOUND, "error", "not found");
}

static MHD_RESULT handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			 const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct zsync_serve *s = cls;
	struct req *q = *con_cls;
	long max;

	(void)version;
	zsync_lock(&s->mu);
	max = s->cfg->serve.max_body;
	zsync_unlock(&s->mu);
	if (!q) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		q = zsync_xcalloc(1, sizeof(*q));
		*con_cls = q;
		if (cl && strtoull(cl, NULL, 10) > (unsigned long long)max) {
			const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
			char ip[64];
			q->too_big = true;
			peer(c, ip, sizeof(ip));
			zsync_serve_log(s, "warn", "request refused: body too large", "remote", ip, "path", url,
					"content_length", cl, NULL);
			/*
			 * A client waiting for 100 Continue, or one announcing a huge body, is answered
			 * before a byte of it is read. Others are read to the end and dropped: closing on
			 * a client that is still sending makes it lose the answer.
			 */
			if ((expect && !strcasecmp(expect, "100-continue")) ||
			    strtoull(cl, NULL, 10) > (unsigned long long)max * DRAIN_FACTOR) {
				if (!strncmp(url, "/hooks/", 7))
					return route(s, c, url, method, q);
				return respond_msg(c, 413, "error", "the body is larger than [serve] max_body");
			}
		}
		return MHD_YES;
	}
	if (*data_size) {
		/* a body without a length: kept up to the limit, the rest read and dropped */
		if (!q->too_big && q->len + *data_size <= (size_t)max) {
			q->body = zsync_xrealloc(q->body, q->len + *data_size + 1);
			memcpy(q->body + q->len, data, *data_size);
			q->len += *data_size;
			q->body[q->len] = '\0';
		} else {
			q->too_big = true;
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (q->started)
		return MHD_YES;
	q->started = true;
	if (q->too_big && strncmp(url, "/hooks/", 7))
		return respond_msg(c, 413, "error", "the body is larger than [serve] max_body");
	if (!q->body)
		q->body = zsync_xstrdup("");
	return route(s, c, url, method, q);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (q) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	zsync_serve_log(cls, "warn", buf, "src", "http", NULL);
}

/* "ADDR:PORT" or "[V6]:PORT" */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, struct zsync_err *err)
{
	char host[256];
	const char *colon;
	long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof(host))
			goto bad;
		memcpy(host, listen + 1, (size_t)(close - listen - 1));
		host[close - listen - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= sizeof(host))
			goto bad;
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || colon[1] == '\0')
		goto bad;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return 0;
	}
bad:
	return zsync_err_set(err, ZSYNC_EINVAL, "listen '%s': expected ADDRESS:PORT (127.0.0.1:8053, [::1]:8053)", listen);
}

int zsync_serve_http_start(struct zsync_serve *s, struct zsync_err *err)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	char *cert = NULL, *key = NULL;
	size_t len;
	int ret = 0;

	if (parse_listen(s->listen, &ss, err) < 0)
		return ZSYNC_EINVAL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->cfg->serve.tls_cert) {
		if (!(cert = zsync_read_file(s->cfg->serve.tls_cert, 1 << 20, &len, err)) ||
		    !(key = zsync_read_file(s->cfg->serve.tls_key, 1 << 20, &len, err))) {
			zsync_err_prefix(err, "serve: TLS");
			ret = ZSYNC_EIO;
			goto out;
		}
		flags |= MHD_USE_TLS;
	}
	s->http = cert
		? MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				   MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_LIMIT,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT,
				   MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				   MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END)
		: MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				   MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_LIMIT,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT,
				   MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				   MHD_OPTION_END);
	if (!s->http)
		ret = zsync_err_set(err, ZSYNC_EIO, "cannot listen on %s%s (in use, or not an address of this host)",
				    s->listen, cert ? " with TLS (is the certificate and key PEM?)" : "");
out:
	if (s->http) {
		/* libmicrohttpd keeps the pointers */
		s->tls_cert = cert;
		s->tls_key = key;
	} else {
		if (key)
			memset(key, 0, strlen(key));
		free(key);
		free(cert);
	}
	return ret;
}

void zsync_serve_http_stop(struct zsync_serve *s)
{
	if (s->http)
		MHD_stop_daemon(s->http);
	s->http = NULL;
	if (s->tls_key)
		memset(s->tls_key, 0, strlen(s->tls_key));
	free(s->tls_key);
	free(s->tls_cert);
	s->tls_key = s->tls_cert = NULL;
}
