/* fuzz.h - shared by the fuzz targets: what zonesync does with a model it read (its text form, as plan, apply and import write it) */
#ifndef ZSYNC_FUZZ_H
#define ZSYNC_FUZZ_H

#include "zone.h"

static inline void fuzz_render(struct zsync_zone *z)
{
	static char buf[ZSYNC_RDATA_TXT_MAXLEN];
	size_t n;
	const struct zsync_rrset *const *rs = zsync_zone_sorted(z, &n);

	for (size_t i = 0; i < n; i++)
		zsync_rdata_to_text(rs[i]->type, rs[i]->rdata, buf, sizeof(buf));
}

#endif
