/* fuzz_cloudflare_json.c - libFuzzer target: a Cloudflare zone's nameservers and a dns_records page (JSON) into a zone model */
#include <stdint.h>

#include <jansson.h>

#include "cloudflare.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* {"name_servers": [...], "result": [...]}: the zone object and a records page in one */
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };

	if (j) {
		if (zsync_cloudflare_zone(j, json_object_get(j, "result"), "example.com.", &z, &err) == 0) {
			fuzz_render(z);
		}
		zsync_zone_free(z);
		json_decref(j);
	}
	return 0;
}
