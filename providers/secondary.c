/*
 * secondary.c - a provider that pulls the zone from a primary by AXFR/NOTIFY (an NSD or
 * BIND secondary, a secondary DNS service): zonesync never pushes to it, `verify` asks its
 * `nameservers` whether it serves what git says.
 */
#include "provider.h"

#include <stdlib.h>

static int s_open(const struct zsync_provider_conf *conf, const struct zsync_config *cfg,
		  void **priv, struct zsync_err *err)
{
	(void)cfg;
	if (conf->nameservers.n == 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "a secondary needs nameservers to be verified");
	*priv = zsync_xcalloc(1, 1); /* nothing to hold: a non-NULL instance marks it opened */
	return 0;
}

/* Never called: the planner does not fetch from or push to read-only providers. */
static int s_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	(void)priv;
	(void)zone;
	*out = NULL;
	return zsync_err_set(err, ZSYNC_EINVAL, "a secondary is not read by zonesync (verify asks its nameservers)");
}

static int s_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	(void)priv;
	(void)req;
	return zsync_err_set(err, ZSYNC_EINVAL, "a secondary is never pushed to");
}

static void s_close(void *priv)
{
	free(priv);
}

const struct zsync_provider_type zsync_provider_secondary = {
	.name = "secondary",
	.caps = ZSYNC_CAP_READ_ONLY | ZSYNC_CAP_APEX_NS,
	.open = s_open,
	.fetch = s_fetch,
	.apply = s_apply,
	.close = s_close,
};
