/* fuzz_dyn_json.c - libFuzzer target: a Dyn AllRecord answer (JSON, detail=Y) into a zone model */
#include <stdint.h>

#include <jansson.h>

#include "dyn.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };

	if (j) {
		if (zsync_dyn_zone(json_object_get(j, "data"), "example.com.", &z, &err) == 0) {
			fuzz_render(z);
		}
		zsync_zone_free(z);
		json_decref(j);
	}
	return 0;
}
