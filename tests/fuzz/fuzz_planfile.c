/* fuzz_planfile.c - libFuzzer target: a saved plan read back for `apply --plan` (it may come from anywhere) */
#include <stdint.h>

#include "planfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zsync_planfile pf;
	struct zsync_err err = { 0 };
	json_t *z, *p;
	size_t i, j;

	if (zsync_planfile_parse(&pf, (const char *)data, size, "plan.json", &err) < 0)
		return 0;
	/* what apply asks of it: the reviewed change count of each zone x provider */
	zsync_planfile_changes(&pf, "example.com.", "pdns");
	json_array_foreach(json_object_get(pf.doc, "zones"), i, z) {
		const char *zn = json_string_value(json_object_get(z, "zone"));
		json_array_foreach(json_object_get(z, "providers"), j, p) {
			const char *pn = json_string_value(json_object_get(p, "provider"));
			if (zn && pn)
				zsync_planfile_changes(&pf, zn, pn);
		}
	}
	zsync_planfile_release(&pf);
	return 0;
}
