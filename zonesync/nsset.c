/*
 * nsset.c - one nameserver set for all: resolvers that reach one provider learn the apex
 * NS it serves, so each must name every provider's nameservers, or the next outage of
 * that provider is an outage of the domain. Helpers for plan, check and verify.
 */
#include "nsset.h"
#include "provider.h"
#include "support.h"

#include <stdlib.h>
#include <string.h>

static bool names(const struct zsync_rrset *ns, const char *name)
{
	uint8_t wire[ZSYNC_NAME_MAXLEN];
	const uint8_t *rd = ns ? ns->rdata : NULL;

	if (zsync_name_from_text(name, NULL, wire) < 0)
		return false;
	for (uint16_t i = 0; ns && i < ns->count; i++, rd = zsync_rdata_next(rd))
		if (zsync_name_equal(zsync_rdata_target(ZSYNC_TYPE_NS, rd), wire))
			return true;
	return false;
}

void zsync_nsset_missing(const struct zsync_rrset *ns, const struct zsync_strlist *list,
			 struct zsync_strlist *missing)
{
	for (size_t i = 0; i < list->n; i++) {
		bool dup = false;
		for (size_t k = 0; k < missing->n && !dup; k++)
			dup = strcmp(missing->v[k], list->v[i]) == 0;
		if (!dup && !names(ns, list->v[i]))
			zsync_strlist_add(missing, list->v[i]);
	}
}

int zsync_nsset_extend(struct zsync_zone *z, const struct zsync_strlist *list, struct zsync_err *err)
{
	const uint8_t *apex = zsync_zone_origin(z);
	const struct zsync_rrset *ns = zsync_zone_find(z, apex, ZSYNC_TYPE_NS);
	uint32_t ttl = ns ? ns->ttl : 86400;
	int ret = 0;

	for (size_t i = 0; i < list->n && ret == 0; i++) {
		if (names(zsync_zone_find(z, apex, ZSYNC_TYPE_NS), list->v[i]))
			continue;
		/* the names are checked domain names (zsync_provider_add_ns_name): no zone-file syntax in them */
		char *line = zsync_xasprintf("@ %u IN NS %s\n", ttl, list->v[i]);
		ret = zsync_zone_add_text(z, line, strlen(line), err);
		free(line);
	}
	return ret;
}

void zsync_nsset_configured(const struct zsync_provider_conf *pc, struct zsync_strlist *out)
{
	struct zsync_err err = { 0 };

	/* the names were checked when the config loaded (ns_names is a host list) */
	if (zsync_config_declares(pc, "ns_names"))
		zsync_provider_ns_names(NULL, pc, NULL, out, &err);
}

char *zsync_nsset_warning(const char *served_by, bool gits, const char *owner, const struct zsync_strlist *missing)
{
	char *list = zsync_xstrdup("");
	for (size_t i = 0; i < missing->n; i++) {
		char *n = zsync_xasprintf("%s%s%s", list, i ? ", " : "", missing->v[i]);
		free(list);
		list = n;
	}
	char *w = zsync_xasprintf("the apex NS %s provider '%s' does not name %s (nameserver%s of provider '%s'): resolvers "
				  "that reach '%s' never learn of %s (apex_ns = \"union\" adds them)",
				  gits ? "git pushes to" : "served by", served_by, list, missing->n == 1 ? "" : "s",
				  owner, served_by, missing->n == 1 ? "it" : "them");
	free(list);
	return w;
}

int zsync_nsset_provider(const struct zsync_provider_conf *pc, const char *zone, struct zsync_strlist *names,
			 struct zsync_err *err)
{
	const struct zsync_provider_type *t = zsync_provider_find(pc->type);
	void *priv = NULL;
	int ret = 0;

	if (!t || !t->nameservers)
		return 0;
	if (zsync_err_sync(err, t->open(pc, &priv, err)) == 0 &&
	    zsync_err_sync(err, ret = t->nameservers(priv, pc, zone, names, err)) < 0)
		zsync_err_prefix(err, "cannot tell its nameservers");
	if (priv)
		t->close(priv);
	return err->code ? err->code : ret;
}

void zsync_nsset_collect(const struct zsync_config *cfg, const struct zsync_zone_conf *zc,
			 struct zsync_strlist *names, struct zsync_strlist *notes)
{
	for (size_t i = 0; i < zc->providers.n; i++) {
		const struct zsync_provider_conf *pc = zsync_config_provider(cfg, zc->providers.v[i]);
		struct zsync_err err = { 0 };
		size_t before = names->n;

		if (!pc || !zsync_provider_find(pc->type))
			continue;
		if (zsync_nsset_provider(pc, zc->name, names, &err) < 0)
			zsync_strlist_add_owned(notes, zsync_xasprintf("apex_ns = \"union\": provider '%s': %s: the apex NS "
								       "lacks its names", pc->name, err.msg));
		else if (names->n == before)
			zsync_strlist_add_owned(notes, zsync_xasprintf("apex_ns = \"union\": provider '%s' names no "
								       "nameservers for the zone (set its ns_names): the "
								       "apex NS lacks them", pc->name));
	}
}
