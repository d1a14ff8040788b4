/* http-provider.h - what every HTTP API provider's open shares (powerdns, cloudflare, dyn) */
#ifndef ZSYNC_HTTP_PROVIDER_H
#define ZSYNC_HTTP_PROVIDER_H

#include "http.h"
#include "provider.h"

/*
 * Reads the provider's `url` (default_url when absent; NULL: required), which must be
 * http(s), and `ca_file`; makes the client with the provider's rate limit, timeout and
 * retries; resolves the secret key secret_key (env:/file:) into *secret, which the caller
 * passes to zsync_http_provider_secret_free. *base: the url without a trailing slash.
 * On error nothing is left allocated.
 */
int zsync_http_provider_open(const struct zsync_provider_conf *conf, const struct zsync_config *cfg,
			     const char *default_url, const char *secret_key, struct zsync_http **http,
			     char **base, char **secret, struct zsync_err *err);
/* Sends "<prefix><secret>" with every request; the formatted copy is wiped. */
void zsync_http_provider_auth_header(struct zsync_http *http, const char *prefix, const char *secret);
/* Wipes and frees a secret. */
void zsync_http_provider_secret_free(char *secret);

#endif
