/*
 * provider-textzone.c - the worked example of docs/writing-a-provider.md: a provider for
 * an HTTP service that keeps each zone as one zone file, read with GET and replaced with
 * a conditional PUT:
 *
 *   GET {url}/zones/{zone}   200 text/dns (and an ETag) or 404
 *   PUT {url}/zones/{zone}   the whole zone; If-Match: the ETag read; 412 when it moved
 *
 * As a real provider it would be providers/textzone.c plus one line in registry.c;
 * tests/check_provider.c compiles this file and runs it against tests/fakes/httpecho.py.
 */
#include "provider.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct textzone {
	struct zsync_http *http;
	char *base;      /* url without the trailing slash */
	char etag[128];  /* of the zone last fetched: the guard of the next PUT */
};

static int tz_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct textzone *t = zsync_xcalloc(1, sizeof(*t));
	char *token = NULL;
	int ret;

	/* url and ca_file (ZSYNC_PROVIDER_HTTP_KEYS), the rate limit, timeout and retries */
	if ((ret = zsync_provider_http_open(conf, &t->http, &t->base, err)) < 0)
		goto out;
	if ((ret = zsync_config_get_secret(conf, "token", &token, err)) < 0)
		goto out;
	zsync_provider_auth_header(t->http, "Authorization: Bearer ", token);
out:
	zsync_config_secret_free(token);
	if (ret < 0) {
		zsync_http_free(t->http);
		free(t->base);
		free(t);
		return ret;
	}
	*priv = t;
	return 0;
}

static char *zone_url(const struct textzone *t, const char *zone)
{
	char *name = zsync_provider_no_dot(zone), *esc = zsync_http_escape(name);
	char *url = zsync_xasprintf("%s/zones/%s", t->base, esc);
	free(name);
	free(esc);
	return url;
}

static int tz_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct textzone *t = priv;
	char *url = zone_url(t, zone);
	struct zsync_http_req req = { .method = "GET", .url = url, .accept = "text/dns" };
	struct zsync_http_resp r;
	int ret;

	*out = NULL;
	ret = zsync_http_send(t->http, &req, &r, err);
	free(url);
	if (ret < 0)
		return ret;
	if (r.status == 404) {
		ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
	} else if (r.status != 200) {
		zsync_http_error(&r, err);
		ret = err->code;
	} else if ((*out = zsync_zone_new(zone, err))) {
		/* the text is the service's: parsed like any zone file, errors say where */
		ret = zsync_zone_add_text(*out, r.body, r.len, err);
		snprintf(t->etag, sizeof(t->etag), "%s", r.etag ? r.etag : "");
	} else {
		ret = err->code;
	}
	if (ret < 0) {
		zsync_zone_free(*out);
		*out = NULL;
	}
	zsync_http_resp_release(&r);
	return ret;
}

static int tz_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct textzone *t = priv;
	struct zsync_zone *result = zsync_provider_result(req, err); /* base + the changes */
	char *text = NULL, *url = NULL, *guard = NULL;
	size_t len = 0;
	struct zsync_http_resp r = { 0 };
	int ret;
	FILE *f;

	if (!result)
		return err->code;
	f = open_memstream(&text, &len);
	ret = zsync_zone_write(result, f, NULL);
	fclose(f);
	if (ret < 0) {
		ret = zsync_err_set(err, ret, "cannot write the zone");
		goto out;
	}
	/* the zone as fetched, or none yet: whoever changed it since makes the PUT fail */
	guard = req->create_zone ? zsync_xstrdup("If-None-Match: *") : zsync_xasprintf("If-Match: %s", t->etag);
	const char *headers[] = { guard, NULL };
	url = zone_url(t, req->zone);
	struct zsync_http_req put = { .method = "PUT", .url = url, .body = text, .len = len,
				      .content_type = "text/dns", .headers = headers };
	if ((ret = zsync_http_send(t->http, &put, &r, err)) < 0)
		goto out;
	if (r.status == 412)
		ret = zsync_err_set(err, ZSYNC_ECONFLICT, "the zone changed since it was read");
	else if (r.status != 200 && r.status != 201 && r.status != 204) {
		zsync_http_error(&r, err);
		ret = err->code;
	}
out:
	zsync_http_resp_release(&r);
	zsync_zone_free(result);
	free(text);
	free(url);
	free(guard);
	return ret;
}

static void tz_close(void *priv)
{
	struct textzone *t = priv;
	if (!t)
		return;
	zsync_http_free(t->http);
	free(t->base);
	free(t);
}

static const struct zsync_conf_key tz_keys[] = {
	ZSYNC_PROVIDER_HTTP_KEYS(ZSYNC_CONF_REQUIRED, NULL),
	{ "token", ZSYNC_CONF_SECRET, ZSYNC_CONF_REQUIRED, NULL, NULL, "the API token (Authorization: Bearer)" },
	{ 0 },
};

const struct zsync_provider_type zsync_provider_textzone = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "textzone",
	.summary = "an HTTP service keeping each zone as one zone file (the worked example)",
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_ATOMIC, /* one PUT per zone */
	.keys = tz_keys,
	.open = tz_open,
	.fetch = tz_fetch,
	.apply = tz_apply,
	.close = tz_close,
};
