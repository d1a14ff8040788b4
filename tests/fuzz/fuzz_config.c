/*
 * fuzz_config.c - libFuzzer target: zonesync.toml past its TOML syntax: the schema, the
 * provider descriptors, zones, limits and hooks, and what the commands then ask of a loaded
 * configuration (lookups, effective limits, matching zone files). Secrets are not resolved.
 */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_config *cfg = zsync_config_parse("zonesync.toml", (const char *)data, size, &d, &err);
	char line[4096];

	for (size_t i = 0; i < d.n; i++)
		zsync_diag_format(&d.v[i], line, sizeof(line));
	if (cfg) {
		struct zsync_strlist files = { 0 };
		struct zsync_diags md = { 0 };
		zsync_strlist_add(&files, "zones/example.com.zone");
		zsync_strlist_add(&files, "zones/sub/example.org.zone");
		zsync_strlist_add(&files, "zones/not-configured.example.zone");
		zsync_config_match_files(cfg, &files, "fuzz", &md);
		for (size_t i = 0; i < cfg->nzones; i++) {
			const struct zsync_zone_conf *zc = &cfg->zones[i];
			zsync_config_zone(cfg, zc->name);
			for (size_t k = 0; k < zc->providers.n; k++) {
				const struct zsync_provider_conf *pc = zsync_config_provider(cfg, zc->providers.v[k]);
				if (pc)
					zsync_config_limits(cfg, pc, zc);
			}
		}
		for (size_t i = 0; i < cfg->nproviders; i++)
			zsync_config_provider(cfg, cfg->providers[i].name);
		zsync_diags_release(&md);
		zsync_strlist_release(&files);
		zsync_config_free(cfg);
	}
	zsync_diags_release(&d);
	return 0;
}
