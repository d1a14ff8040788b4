/* fuzz_dyn_json.c - libFuzzer target: a Dyn AllRecord answer (JSON, detail=Y) into a zone model */
#include <stdint.h>

#include <jansson.h>

#include "dyn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };

	if (j) {
		if (zsync_dyn_zone(json_object_get(j, "data"), "example.com.", &z, &err) == 0) {
			size_t n;
			const struct zsync_rrset *const *rs = zsync_zone_sorted(z, &n);
			static char buf[4 * 65536 + 4096];
			for (size_t i = 0; i < n; i++)
				zsync_rdata_to_text(rs[i]->type, rs[i]->rdata, buf, sizeof(buf));
		}
		zsync_zone_free(z);
		json_decref(j);
	}
	return 0;
}
