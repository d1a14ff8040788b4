/* memory.c - a provider that keeps zones in memory: for tests of planning and applying */
#include "provider.h"
#include "support.h"

#include <stdlib.h>
#include <string.h>

struct memory {
	struct zsync_zone **zones;
	size_t n;
};

static int memory_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	(void)conf;
	(void)err;
	*priv = zsync_xcalloc(1, sizeof(struct memory));
	return 0;
}

static struct zsync_zone **find(struct memory *m, const char *zone)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(zsync_zone_name(m->zones[i]), zone) == 0)
			return &m->zones[i];
	return NULL;
}

/* A deep copy, so that callers never share a model with the store. */
static struct zsync_zone *copy(const struct zsync_zone *src, struct zsync_err *err)
{
	struct zsync_zone *z = zsync_zone_new(zsync_zone_name(src), err);
	for (size_t i = 0; z && i < zsync_zone_iter_count(src); i++) {
		const struct zsync_rrset *r = zsync_zone_iter(src, i);
		if (r)
			zsync_zone_put_rrset(z, r, r->ttl);
	}
	return z;
}

static int memory_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct zsync_zone **z = find(priv, zone);
	*out = NULL;
	if (!z)
		return zsync_err_set(err, ZSYNC_ENOTFOUND, "the zone does not exist there");
	*out = copy(*z, err);
	return *out ? 0 : ZSYNC_ENOMEM;
}

static int memory_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct memory *m = priv;
	struct zsync_zone **slot = find(m, req->zone), *result;

	result = zsync_provider_result(req, err);
	if (!result)
		return ZSYNC_EINVAL;
	if (slot) {
		zsync_zone_free(*slot);
		*slot = result;
	} else {
		m->zones = zsync_xrealloc(m->zones, (m->n + 1) * sizeof(*m->zones));
		m->zones[m->n++] = result;
	}
	return 0;
}

static int memory_list(void *priv, struct zsync_strlist *out, struct zsync_err *err)
{
	struct memory *m = priv;
	(void)err;
	for (size_t i = 0; i < m->n; i++)
		zsync_strlist_add(out, zsync_zone_name(m->zones[i]));
	return 0;
}

static void memory_close(void *priv)
{
	struct memory *m = priv;
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		zsync_zone_free(m->zones[i]);
	free(m->zones);
	free(m);
}

const struct zsync_provider_type zsync_provider_memory = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "memory",
	.summary = "zones kept in memory, for tests",
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_LIST_ZONES | ZSYNC_CAP_ATOMIC,
	.open = memory_open,
	.fetch = memory_fetch,
	.apply = memory_apply,
	.list_zones = memory_list,
	.close = memory_close,
};
