/*
 * secondary.c - a provider that pulls the zone from a primary by AXFR/NOTIFY (an NSD or
 * BIND secondary, a secondary DNS service): zonesync never pushes to it, `verify` asks its
 * `nameservers` whether it serves what git says.
 */
#include "provider.h"
#include "support.h"

#include <stdlib.h>

static int s_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
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

static const struct zsync_conf_key s_keys[] = {
	{ "nameservers", ZSYNC_CONF_STRLIST, ZSYNC_CONF_REQUIRED, NULL, NULL,
	  "the servers verify asks (the secondary is never written)" },
	ZSYNC_PROVIDER_TSIG_KEYS,
	ZSYNC_PROVIDER_TRANSFER_KEYS,
	ZSYNC_PROVIDER_NS_NAMES_KEY,
	{ 0 },
};

const struct zsync_provider_type zsync_provider_secondary = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "secondary",
	.summary = "a server pulling the zone by AXFR/NOTIFY: verified over DNS, never pushed",
	.keys = s_keys,
	/* ZSYNC_CAP_CONCURRENT: nothing in priv; only its configured names are read */
	.caps = ZSYNC_CAP_READ_ONLY | ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CONCURRENT,
	/* BIND keeps its signing state in TYPE65534 records beside DNSKEYs (sig-signing-type) */
	.generated = zsync_diff_generated_bind,
	.open = s_open,
	.fetch = s_fetch,
	.apply = s_apply,
	.nameservers = zsync_provider_ns_names,
	.close = s_close,
};
