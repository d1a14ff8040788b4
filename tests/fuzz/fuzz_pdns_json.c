/* fuzz_pdns_json.c - libFuzzer target: a PowerDNS zone answer (JSON) into a zone model */
#include <stdint.h>

#include <jansson.h>

#include "powerdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };

	if (j) {
		zsync_powerdns_zone(json_object_get(j, "rrsets"), "example.com.", &z, &err);
		zsync_zone_free(z);
		json_decref(j);
	}
	return 0;
}
