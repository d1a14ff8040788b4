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
extern const struct zsync_provider_type zsync_provider_route53;
extern const struct zsync_provider_type zsync_provider_gcloud;
extern const struct zsync_provider_type zsync_provider_azure;
extern const struct zsync_provider_type zsync_provider_ns1;

const struct zsync_provider_type *const zsync_provider_types[] = {
	&zsync_provider_zonefile,
	&zsync_provider_memory,
	&zsync_provider_rfc2136,
	&zsync_provider_powerdns,
	&zsync_provider_cloudflare,
	&zsync_provider_dyn,
	&zsync_provider_secondary,
	&zsync_provider_route53,
	&zsync_provider_gcloud,
	&zsync_provider_azure,
	&zsync_provider_ns1,
	NULL,
};

const struct zsync_provider_type *zsync_provider_find(const char *type)
{
	for (size_t i = 0; zsync_provider_types[i]; i++)
		if (strcmp(zsync_provider_types[i]->name, type) == 0)
			/* prepare without discard would leave what it prepared on a failed journal */
			return zsync_provider_types[i]->abi == ZSYNC_PROVIDER_ABI &&
			       !zsync_provider_types[i]->prepare == !zsync_provider_types[i]->discard
				       ? zsync_provider_types[i] : NULL;
	return NULL;
}

void zsync_provider_describe_all(FILE *out)
{
	fprintf(out, "Provider types (`type = \"...\"` in [providers.NAME]; zonesync help provider TYPE):\n");
	for (size_t i = 0; zsync_provider_types[i]; i++)
		fprintf(out, "  %-12s %s\n", zsync_provider_types[i]->name, zsync_provider_types[i]->summary);
}

static const struct {
	unsigned bit;
	const char *name;
} cap_names[] = {
	{ ZSYNC_CAP_APEX_NS, "apex-ns" },       { ZSYNC_CAP_CREATE_ZONE, "create-zone" },
	{ ZSYNC_CAP_LIST_ZONES, "list-zones" }, { ZSYNC_CAP_ATOMIC, "atomic" },
	{ ZSYNC_CAP_OWNS_SOA, "owns-soa" },     { ZSYNC_CAP_READ_ONLY, "read-only" },
	{ ZSYNC_CAP_CONCURRENT, "concurrent" }, { ZSYNC_CAP_APPLY_SIDE_BY_SIDE, "apply-side-by-side" },
};

static void describe_keys_md(FILE *out, const struct zsync_provider_type *t)
{
	fprintf(out, "| key | type | required | default | doc |\n|---|---|---|---|---|\n");
	for (const struct zsync_conf_key *k = t->keys; k && k->key; k++)
		fprintf(out, "| `%s` | %s | %s%s%s%s | %s%s%s | %s |\n", k->key, zsync_config_type_name(k->type),
			k->flags & ZSYNC_CONF_REQUIRED ? "yes" : "no", k->or_key ? " (or `" : "",
			k->or_key ? k->or_key : "", k->or_key ? "`)" : "", k->dflt ? "`" : "",
			k->dflt ? k->dflt : "", k->dflt ? "`" : "", k->doc);
}

void zsync_provider_describe(FILE *out, const struct zsync_provider_type *t, bool as_markdown)
{
	char tname[32];
	bool any = false;

	if (as_markdown) {
		describe_keys_md(out, t);
		return;
	}
	fprintf(out, "%s - %s\n\ncapabilities:", t->name, t->summary);
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (t->caps & cap_names[i].bit) {
			fprintf(out, " %s", cap_names[i].name);
			any = true;
		}
	fprintf(out, "%s\nrecord types:", any ? "" : " none");
	if (!t->rrtypes)
		fprintf(out, " any");
	for (const uint16_t *ty = t->rrtypes; ty && *ty; ty++)
		fprintf(out, " %s", zsync_type_to_text(*ty, tname, sizeof(tname)));
	fprintf(out, "\nttl:");
	if (!t->ttl_min && !t->ttl_max)
		fprintf(out, " any");
	if (t->ttl_min)
		fprintf(out, " min %u", t->ttl_min);
	if (t->ttl_max)
		fprintf(out, " max %u", t->ttl_max);
	fprintf(out, "\n\nkeys (besides the common ones: docs/configuration.md):\n");
	if (!t->keys || !t->keys[0].key)
		fprintf(out, "  (none)\n");
	for (const struct zsync_conf_key *k = t->keys; k && k->key; k++) {
		fprintf(out, "  %-16s %s%s%s%s", k->key, zsync_config_type_name(k->type),
			k->flags & ZSYNC_CONF_REQUIRED ? ", required" : "", k->or_key ? " (or " : "",
			k->or_key ? k->or_key : "");
		fprintf(out, "%s%s%s\n      %s\n", k->or_key ? ")" : "", k->dflt ? ", default " : "",
			k->dflt ? k->dflt : "", k->doc);
	}
}
