/* http-provider.c - what every HTTP API provider's open shares: url, CA, client, secret */
#include "http-provider.h"

#include <stdlib.h>
#include <string.h>

int zsync_http_provider_open(const struct zsync_provider_conf *conf, const struct zsync_config *cfg,
			     const char *default_url, const char *secret_key, struct zsync_http **http,
			     char **base, char **secret, struct zsync_err *err)
{
	const struct zsync_toml *t = conf->table, *v;
	struct zsync_http_opts o = { conf->rate_per_sec, conf->timeout, conf->retries, NULL };
	const char *url = (v = zsync_toml_get(t, "url")) ? v->str.s : default_url;
	int ret;

	*http = NULL;
	*base = *secret = NULL;
	if (!url)
		return zsync_err_set(err, ZSYNC_EINVAL, "url is required");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "url '%s' is not http(s)", url);
	if ((v = zsync_toml_get(t, "ca_file")))
		o.ca_file = v->str.s;
	if ((ret = zsync_config_secret(cfg, secret_key, zsync_toml_get(t, secret_key)->str.s, secret, err)) < 0)
		return ret;
	if ((ret = zsync_http_new(http, &o, err)) < 0) {
		zsync_http_provider_secret_free(*secret);
		*secret = NULL;
		return ret;
	}
	*base = zsync_xasprintf("%.*s", (int)(strlen(url) - (url[strlen(url) - 1] == '/')), url);
	return 0;
}

void zsync_http_provider_auth_header(struct zsync_http *http, const char *prefix, const char *secret)
{
	char *hdr = zsync_xasprintf("%s%s", prefix, secret);
	zsync_http_header(http, hdr);
	memset(hdr, 0, strlen(hdr));
	free(hdr);
}

void zsync_http_provider_secret_free(char *secret)
{
	if (!secret)
		return;
	memset(secret, 0, strlen(secret));
	free(secret);
}
