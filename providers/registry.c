/* registry.c - every provider type zonesync knows, NULL-terminated */
#include "provider.h"

#include <string.h>

extern const struct zsync_provider_type zsync_provider_zonefile;
extern const struct zsync_provider_type zsync_provider_memory;
extern const struct zsync_provider_type zsync_provider_rfc2136;
extern const struct zsync_provider_type zsync_provider_powerdns;
extern const struct zsync_provider_type zsync_provider_cloudflare;
extern const struct zsync_provider_type zsync_provider_dyn;
extern const struct zsync_provider_type zsync_provider_secondary;

const struct zsync_provider_type *const zsync_provider_types[] = {
	&zsync_provider_zonefile,
	&zsync_provider_memory,
	&zsync_provider_rfc2136,
	&zsync_provider_powerdns,
	&zsync_provider_cloudflare,
	&zsync_provider_dyn,
	&zsync_provider_secondary,
	NULL,
};

const struct zsync_provider_type *zsync_provider_find(const char *type)
{
	for (size_t i = 0; zsync_provider_types[i]; i++)
		if (strcmp(zsync_provider_types[i]->name, type) == 0)
			return zsync_provider_types[i];
	return NULL;
}

struct zsync_zone *zsync_provider_result(const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct zsync_zone *z = zsync_zone_new(req->zone, err);
	const struct zsync_changeset *cs = req->changes;

	if (!z)
		return NULL;
	if (req->base) {
		for (size_t i = 0; i < zsync_zone_iter_count(req->base); i++) {
			const struct zsync_rrset *r = zsync_zone_iter(req->base, i);
			if (r)
				zsync_zone_put_rrset(z, r, r->ttl);
		}
	}
	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_change *c = &cs->v[i];
		if (c->op == ZSYNC_CHANGE_DELETE)
			zsync_zone_remove(z, c->old->owner, c->old->type);
		else
			zsync_zone_put_rrset(z, c->new, c->ttl);
	}
	return z;
}
