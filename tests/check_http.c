/* check_http.c - the HTTP client against tests/fakes/httpecho.py on 127.0.0.1: bodies of any type, retries, caps, connection reuse, OAuth2 tokens, AWS SigV4 */
#include "testutil.h"

#include "diff.h"
#include "http.h"
#include "toml.h"

/* the worked example of docs/writing-a-provider.md, compiled and run here */
#include "../docs/examples/provider-textzone.c"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static pid_t server_pid;
static int port;

static void server_start(void)
{
	int fd[2];
	char line[32] = "";
	FILE *f;

	ck_assert_int_eq(pipe(fd), 0);
	server_pid = fork();
	if (server_pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		execlp("python3", "python3", "tests/fakes/httpecho.py", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	port = atoi(line);
	if (port <= 0) {
		fprintf(stderr, "check_http: tests/fakes/httpecho.py did not start (run from the source tree)\n");
		exit(1);
	}
}

static void server_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
}

static char *url(const char *path)
{
	return tu_fmt("http://127.0.0.1:%d%s", port, path);
}

static struct zsync_http *client(long retries, size_t max_body)
{
	struct zsync_http *h = NULL;
	struct zsync_err err = { 0 };
	struct zsync_http_opts o = { .timeout = 10, .retries = retries, .max_body = max_body };
	ck_assert_int_eq(zsync_http_new(&h, &o, &err), 0);
	return h;
}

START_TEST(test_json_and_reuse)
{
	struct zsync_http *h = client(0, 0);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	json_t *body = json_pack("{s:i}", "a", 1);
	char *u = url("/echo");

	zsync_http_header(h, "X-API-Key: k");
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(zsync_http_request_idempotent(h, "PATCH", u, body, &r, &err), 0);
		ck_assert_int_eq(r.status, 200);
		json_t *hd = json_object_get(r.json, "headers");
		ck_assert_str_eq(json_string_value(json_object_get(r.json, "method")), "PATCH");
		ck_assert_str_eq(json_string_value(json_object_get(r.json, "body")), "{\"a\":1}");
		ck_assert_str_eq(json_string_value(json_object_get(hd, "content-type")), "application/json");
		ck_assert_str_eq(json_string_value(json_object_get(hd, "accept")), "application/json");
		ck_assert_str_eq(json_string_value(json_object_get(hd, "x-api-key")), "k");
		ck_assert_str_eq(r.content_type, "application/json");
		zsync_http_resp_release(&r);
	}
	/* three requests, one keep-alive connection */
	ck_assert_uint_eq(zsync_http_count(h, "PATCH"), 3);
	ck_assert_uint_eq(zsync_http_connections(h), 1);
	/* a write that is not safe twice gets a connection of its own: libcurl would send it
	 * again by itself if a reused connection turned out closed after the server did it */
	ck_assert_int_eq(zsync_http_request(h, "PATCH", u, body, &r, &err), 0);
	zsync_http_resp_release(&r);
	ck_assert_uint_eq(zsync_http_connections(h), 2);
	ck_assert_int_eq(zsync_http_request_idempotent(h, "PATCH", u, body, &r, &err), 0);
	zsync_http_resp_release(&r);
	ck_assert_uint_eq(zsync_http_connections(h), 2);
	json_decref(body);
	zsync_http_free(h);
	free(u);
}
END_TEST

START_TEST(test_xml_and_form)
{
	struct zsync_http *h = client(0, 0);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	const char *xml = "<ChangeBatch><Comment>x</Comment></ChangeBatch>";
	const char *hdrs[] = { "X-Per-Request: 1", NULL };
	char *u = url("/xml"), *e = url("/echo");
	struct zsync_http_req req = { .method = "POST", .url = u, .body = xml, .len = strlen(xml),
				      .content_type = "text/xml", .accept = "application/xml" };

	ck_assert_int_eq(zsync_http_send(h, &req, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(r.json);
	ck_assert_str_eq(r.content_type, "application/xml");
	ck_assert_str_eq(r.body, "<?xml version=\"1.0\"?><r ct=\"text/xml\"><ChangeBatch><Comment>x</Comment></ChangeBatch></r>");
	zsync_http_resp_release(&r);
	/* a form, and a header for one request only */
	req = (struct zsync_http_req){ .method = "POST", .url = e, .body = "a=1&b=%20", .len = 9,
				       .content_type = "application/x-www-form-urlencoded", .headers = hdrs };
	ck_assert_int_eq(zsync_http_send(h, &req, &r, &err), 0);
	json_t *hd = json_object_get(r.json, "headers");
	ck_assert_str_eq(json_string_value(json_object_get(hd, "content-type")), "application/x-www-form-urlencoded");
	ck_assert_str_eq(json_string_value(json_object_get(hd, "x-per-request")), "1");
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "body")), "a=1&b=%20");
	zsync_http_resp_release(&r);
	req = (struct zsync_http_req){ .method = "GET", .url = e };
	ck_assert_int_eq(zsync_http_send(h, &req, &r, &err), 0);
	hd = json_object_get(r.json, "headers");
	ck_assert_ptr_null(json_object_get(hd, "x-per-request"));
	ck_assert_ptr_null(json_object_get(hd, "content-type"));
	zsync_http_resp_release(&r);
	zsync_http_free(h);
	free(u);
	free(e);
}
END_TEST

/* The same retry and size rules for every request. */
START_TEST(test_retry_and_cap)
{
	struct zsync_http *h = client(3, 5000);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	char *u = url("/flaky"), *b = url("/big");
	struct zsync_http_req req = { .method = "GET", .url = u, .accept = "*/*" };

	ck_assert_int_eq(zsync_http_send(h, &req, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "attempt")), 3);
	zsync_http_resp_release(&r);
	req.url = b;
	ck_assert_int_lt(zsync_http_send(h, &req, &r, &err), 0);
	ck_assert_msg(strstr(err.msg, "response larger than 5000 bytes"), "%s", err.msg);
	ck_assert_ptr_null(r.body);
	zsync_http_free(h);
	free(u);
	free(b);
}
END_TEST

/* How many requests /lose took (it answers none of them). */
static long lost(struct zsync_http *h)
{
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	char *u = url("/state");
	ck_assert_int_eq(zsync_http_request(h, "GET", u, NULL, &r, &err), 0);
	long n = (long)json_integer_value(json_object_get(r.json, "lost"));
	zsync_http_resp_release(&r);
	free(u);
	return n;
}

/*
 * A write that left in full and got no answer may have been performed: it is never sent
 * again (a second CREATE would fail and hide that the first one landed), the outcome is
 * unknown. A read is retried.
 */
START_TEST(test_unanswered_write_not_resent)
{
	struct zsync_http *h = client(3, 0);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	char *u = url("/lose");
	json_t *body = json_pack("{s:s}", "change", "create");
	long before = lost(h);

	ck_assert_int_eq(zsync_http_request(h, "POST", u, body, &r, &err), ZSYNC_EUNKNOWN);
	ck_assert_msg(strstr(err.msg, "the outcome is unknown"), "%s", err.msg);
	ck_assert_int_eq(lost(h) - before, 1);
	memset(&err, 0, sizeof(err));
	before = lost(h);
	ck_assert_int_eq(zsync_http_request(h, "GET", u, NULL, &r, &err), ZSYNC_EIO);
	ck_assert_int_eq(lost(h) - before, 4);
	json_decref(body);
	zsync_http_free(h);
	free(u);
}
END_TEST

/* How often /fail/.../key or /refuse/.../key was reached. */
static long hits(struct zsync_http *h, const char *key)
{
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	char *u = url("/state");
	ck_assert_int_eq(zsync_http_request(h, "GET", u, NULL, &r, &err), 0);
	long n = (long)json_integer_value(json_object_get(json_object_get(r.json, "hits"), key));
	zsync_http_resp_release(&r);
	free(u);
	return n;
}

/*
 * A 5xx other than a refusal may come after the work was done: a write that is not
 * idempotent is never sent again (a POST would add its records twice, a CREATE fail and
 * hide that the first landed), its outcome is unknown. An idempotent write and a read are
 * retried; a 429 or a 503 with Retry-After refused the request before any work, so even a
 * POST is sent again.
 */
START_TEST(test_5xx_write_not_resent)
{
	struct zsync_http *h = client(3, 0);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	json_t *body = json_pack("{s:s}", "change", "create");
	char *u = url("/fail/502/post"), *u5 = url("/fail/503/post503"), *p = url("/fail/500/put"),
	     *g = url("/fail/500/get"), *t = url("/refuse/429/post429"), *b = url("/refuse/503/postbusy");

	ck_assert_int_eq(zsync_http_request(h, "POST", u, body, &r, &err), ZSYNC_EUNKNOWN);
	ck_assert_int_eq(err.code, ZSYNC_EUNKNOWN);
	ck_assert_msg(strstr(err.msg, "answered HTTP 502") && strstr(err.msg, "the outcome is unknown") &&
		      strstr(err.msg, "POST http://127.0.0.1:") && strstr(err.msg, "HTTP 502: Internal error"), "%s", err.msg);
	ck_assert_ptr_null(r.body);
	ck_assert_int_eq(hits(h, "post"), 1);
	/* a 503 without Retry-After does not say it was refused before the work */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(zsync_http_request(h, "PATCH", u5, body, &r, &err), ZSYNC_EUNKNOWN);
	ck_assert_int_eq(hits(h, "post503"), 1);
	/* an idempotent write and a read: retried, then the last answer */
	ck_assert_int_eq(zsync_http_request_idempotent(h, "PUT", p, body, &r, &err), 0);
	ck_assert_int_eq(r.status, 500);
	zsync_http_resp_release(&r);
	ck_assert_int_eq(hits(h, "put"), 4);
	ck_assert_int_eq(zsync_http_request(h, "GET", g, NULL, &r, &err), 0);
	ck_assert_int_eq(r.status, 500);
	zsync_http_resp_release(&r);
	ck_assert_int_eq(hits(h, "get"), 4);
	/* refusals: sent again until it is performed, once */
	ck_assert_int_eq(zsync_http_request(h, "POST", t, body, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	zsync_http_resp_release(&r);
	ck_assert_int_eq(hits(h, "post429"), 3);
	ck_assert_int_eq(zsync_http_request(h, "POST", b, body, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	zsync_http_resp_release(&r);
	ck_assert_int_eq(hits(h, "postbusy"), 3);
	json_decref(body);
	zsync_http_free(h);
	free(u);
	free(u5);
	free(p);
	free(g);
	free(t);
	free(b);
}
END_TEST

/* A client-credentials token source, as Azure's would be. */
struct creds {
	char *token_url;
	const char *secret;
	int fetches;
};

static int fetch_token(void *ud, struct zsync_http *h, char **token, long *ttl, struct zsync_err *err)
{
	struct creds *c = ud;
	char *sec = zsync_http_escape(c->secret);
	char *form = tu_fmt("grant_type=client_credentials&client_id=zonesync&client_secret=%s", sec);
	int ret = zsync_http_oauth2_token(h, c->token_url, form, token, ttl, err);
	c->fetches++;
	free(sec);
	free(form);
	return ret;
}

START_TEST(test_oauth2_bearer)
{
	struct zsync_http *h = client(0, 0);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	struct creds c = { url("/token?ttl=3600"), "s3cret", 0 };
	char *u = url("/bearer"), *rv = url("/revoke");

	zsync_http_token_source(h, &(struct zsync_http_token_source){ fetch_token, &c });
	ck_assert_int_eq(zsync_http_request(h, "GET", u, NULL, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "authorization")), "Bearer tok1");
	zsync_http_resp_release(&r);
	/* still valid: no new fetch */
	ck_assert_int_eq(zsync_http_request(h, "GET", u, NULL, &r, &err), 0);
	ck_assert_int_eq(c.fetches, 1);
	zsync_http_resp_release(&r);
	/* revoked at the server: the 401 brings one new token, the request succeeds */
	ck_assert_int_eq(zsync_http_request(h, "POST", rv, NULL, &r, &err), 0);
	zsync_http_resp_release(&r);
	ck_assert_int_eq(zsync_http_request(h, "GET", u, NULL, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "authorization")), "Bearer tok2");
	ck_assert_int_eq(c.fetches, 2);
	zsync_http_resp_release(&r);
	zsync_http_free(h);

	/* a token about to expire is renewed before the request */
	h = client(0, 0);
	free(c.token_url);
	c = (struct creds){ url("/token?ttl=30"), "s3cret", 0 };
	zsync_http_token_source(h, &(struct zsync_http_token_source){ fetch_token, &c });
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(zsync_http_request(h, "GET", u, NULL, &r, &err), 0);
		ck_assert_int_eq(r.status, 200);
		zsync_http_resp_release(&r);
	}
	ck_assert_int_eq(c.fetches, 2);
	zsync_http_free(h);

	/* a refused client: the error names the token endpoint's answer, never the secret */
	h = client(0, 0);
	free(c.token_url);
	c = (struct creds){ url("/token"), "wrong-secret-value", 0 };
	zsync_http_token_source(h, &(struct zsync_http_token_source){ fetch_token, &c });
	ck_assert_int_lt(zsync_http_request(h, "GET", u, NULL, &r, &err), 0);
	ck_assert_str_eq(err.msg, "cannot get an access token: token endpoint: HTTP 401: invalid_client: bad client");
	zsync_http_free(h);
	free(c.token_url);
	free(u);
	free(rv);
}
END_TEST

/*
 * Four requests side by side whose token the server no longer takes (the fake holds each
 * 401 until all four carry it): one new token serves them all, fetched by one thread
 * while the others wait for it, and every request then succeeds with it.
 */
struct bearer_call {
	struct zsync_http *h;
	const char *url;
	long status;
	char auth[32];
};

static void *bearer_thread(void *arg)
{
	struct bearer_call *b = arg;
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	if (zsync_http_request(b->h, "GET", b->url, NULL, &r, &err) == 0) {
		b->status = r.status;
		snprintf(b->auth, sizeof(b->auth), "%s", json_string_value(json_object_get(r.json, "authorization")) ?: "");
		zsync_http_resp_release(&r);
	}
	return NULL;
}

START_TEST(test_oauth2_side_by_side)
{
	struct zsync_http *h = client(0, 0);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	struct creds c = { url("/token?ttl=3600"), "s3cret", 0 };
	char *u = url("/bearer?hold=4"), *rv = url("/revoke"), first[32];
	struct bearer_call calls[4];
	pthread_t th[4];

	zsync_http_token_source(h, &(struct zsync_http_token_source){ fetch_token, &c });
	ck_assert_int_eq(zsync_http_request(h, "GET", u, NULL, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	snprintf(first, sizeof(first), "%s", json_string_value(json_object_get(r.json, "authorization")));
	zsync_http_resp_release(&r);
	ck_assert_int_eq(zsync_http_request(h, "POST", rv, NULL, &r, &err), 0);
	zsync_http_resp_release(&r);
	for (int i = 0; i < 4; i++) {
		calls[i] = (struct bearer_call){ h, u, 0, "" };
		ck_assert_int_eq(pthread_create(&th[i], NULL, bearer_thread, &calls[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(calls[i].status, 200);
		ck_assert_str_eq(calls[i].auth, calls[0].auth); /* one new token for all */
	}
	ck_assert_str_ne(calls[0].auth, first);
	ck_assert_int_eq(c.fetches, 2); /* the first token, and one after the four 401s */
	zsync_http_free(h);
	free(c.token_url);
	free(u);
	free(rv);
}
END_TEST

START_TEST(test_aws_sigv4)
{
	struct zsync_http *h = client(0, 0);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	const char *xml = "<ChangeResourceRecordSetsRequest/>";
	char *u = url("/sigv4/2013-04-01/hostedzone/Z1/rrset");
	struct zsync_http_req req = { .method = "POST", .url = u, .body = xml, .len = strlen(xml),
				      .content_type = "text/xml" };

	zsync_http_aws_sigv4(h, "aws:amz:us-east-1:route53", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	ck_assert_int_eq(zsync_http_send(h, &req, &r, &err), 0);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	zsync_http_resp_release(&r);
	req = (struct zsync_http_req){ .method = "GET", .url = u };
	ck_assert_int_eq(zsync_http_send(h, &req, &r, &err), 0);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	zsync_http_resp_release(&r);
	zsync_http_free(h);
	/* the server does check: a wrong secret is refused */
	h = client(0, 0);
	zsync_http_aws_sigv4(h, "aws:amz:us-east-1:route53", "AKIDEXAMPLE", "not-the-secret");
	ck_assert_int_eq(zsync_http_send(h, &req, &r, &err), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "error")), "signature mismatch");
	zsync_http_resp_release(&r);
	zsync_http_free(h);
	free(u);
}
END_TEST

/* A signing hook adds its headers to every attempt, retries included. */
static int sign_count(void *ud, const struct zsync_http_req *req, struct zsync_strlist *headers,
		      struct zsync_err *err)
{
	int *n = ud;
	(void)err;
	zsync_strlist_add_owned(headers, zsync_xasprintf("X-Signature: %s-%d", req->method, ++*n));
	return 0;
}

START_TEST(test_sign_hook)
{
	struct zsync_http *h = client(0, 0);
	struct zsync_http_resp r;
	struct zsync_err err = { 0 };
	int n = 0;
	char *u = url("/echo");

	zsync_http_sign_hook(h, sign_count, &n);
	ck_assert_int_eq(zsync_http_request(h, "DELETE", u, NULL, &r, &err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "headers"), "x-signature")), "DELETE-1");
	zsync_http_resp_release(&r);
	zsync_http_free(h);
	free(u);
}
END_TEST

/* A provider conf as config.c builds it, from TOML text, for a type outside the registry. */
static struct zsync_provider_conf *example_conf(struct zsync_toml **doc)
{
	struct zsync_err err = { 0 };
	char *text = tu_fmt("url = \"http://127.0.0.1:%d/\"\ntoken = \"env:ZS_TEXTZONE_TOKEN\"\n", port);
	struct zsync_provider_conf *c = calloc(1, sizeof(*c));
	size_t n = 0;

	*doc = zsync_toml_parse(text, strlen(text), &err);
	ck_assert_ptr_nonnull(*doc);
	free(text);
	c->name = "tz";
	c->type = "textzone";
	c->timeout = 10;
	c->schema = zsync_provider_textzone.keys;
	while (c->schema[n].key)
		n++;
	c->values = calloc(n + 1, sizeof(*c->values));
	for (size_t i = 0; i < n; i++)
		c->values[i] = zsync_toml_get(*doc, c->schema[i].key);
	return c;
}

static int push(void *priv, const char *text, struct zsync_zone *base, bool create, struct zsync_err *err)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *want = zsync_zone_new("example.com.", err);
	struct zsync_diff_policy pol = { .manage_apex_ns = true, .manage_soa = true, .provider = "tz" };
	struct zsync_changeset cs;
	int ret;

	ck_assert_int_eq(zsync_zone_parse(want, "t.zone", text, strlen(text), NULL, NULL, &d), 0);
	zsync_diff(want, base, &pol, &cs);
	struct zsync_apply_req req = { .zone = "example.com.", .desired = want, .base = base, .changes = &cs,
				       .create_zone = create };
	ret = zsync_provider_textzone.apply(priv, &req, err);
	zsync_changeset_release(&cs);
	zsync_zone_free(want);
	zsync_diags_release(&d);
	return ret;
}

START_TEST(test_example_provider)
{
	const char *v1 = "$TTL 300\n@ SOA ns1 h 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nwww TXT \"a\" \"b\"\n";
	const char *v2 = "$TTL 300\n@ SOA ns1 h 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.80\n";
	struct zsync_toml *doc;
	struct zsync_provider_conf *c = example_conf(&doc);
	struct zsync_err err = { 0 };
	struct zsync_zone *z = NULL, *z2 = NULL;
	void *a = NULL, *b = NULL;

	unsetenv("ZS_TEXTZONE_TOKEN");
	ck_assert_int_lt(zsync_provider_textzone.open(c, &a, &err), 0);
	ck_assert_str_eq(err.msg, "token: environment variable ZS_TEXTZONE_TOKEN is not set");
	setenv("ZS_TEXTZONE_TOKEN", "zone-token", 1);
	ck_assert_int_eq(zsync_provider_textzone.open(c, &a, &err), 0);
	ck_assert_int_eq(zsync_provider_textzone.open(c, &b, &err), 0);
	ck_assert_int_eq(zsync_provider_textzone.fetch(a, "example.com.", &z, &err), ZSYNC_ENOTFOUND);
	ck_assert_int_eq(push(a, v1, NULL, true, &err), 0);
	/* what it serves now is what was pushed, TXT strings kept */
	ck_assert_int_eq(zsync_provider_textzone.fetch(a, "example.com.", &z, &err), 0);
	ck_assert_int_eq(zsync_provider_textzone.fetch(b, "example.com.", &z2, &err), 0);
	ck_assert_uint_eq(zsync_zone_rrset_count(z), 4);
	ck_assert_int_eq(push(a, v1, z, false, &err), 0); /* nothing to change: a no-op PUT */
	zsync_zone_free(z);
	ck_assert_int_eq(zsync_provider_textzone.fetch(a, "example.com.", &z, &err), 0);
	ck_assert_int_eq(push(a, v2, z, false, &err), 0);
	/* b read the zone before a's change: its PUT is refused, not lost */
	ck_assert_int_eq(push(b, v1, z2, false, &err), ZSYNC_ECONFLICT);
	ck_assert_str_eq(err.msg, "the zone changed since it was read");
	zsync_zone_free(z);
	zsync_zone_free(z2);
	zsync_provider_textzone.close(a);
	zsync_provider_textzone.close(b);
	zsync_toml_free(doc);
	free(c->values);
	free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");
	tcase_add_unchecked_fixture(tc, server_start, server_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_json_and_reuse);
	tcase_add_test(tc, test_xml_and_form);
	tcase_add_test(tc, test_retry_and_cap);
	tcase_add_test(tc, test_unanswered_write_not_resent);
	tcase_add_test(tc, test_5xx_write_not_resent);
	tcase_add_test(tc, test_oauth2_bearer);
	tcase_add_test(tc, test_oauth2_side_by_side);
	tcase_add_test(tc, test_aws_sigv4);
	tcase_add_test(tc, test_sign_hook);
	tcase_add_test(tc, test_example_provider);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
