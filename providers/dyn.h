/* dyn.h - what the Dyn provider exposes beyond its descriptor: reading its AllRecord JSON (for the fuzzer) */
#ifndef ZSYNC_DYN_H
#define ZSYNC_DYN_H

#include <jansson.h>

#include "err.h"
#include "zone.h"

/* The "data" object of an AllRecord answer (detail=Y) as a zone model (untrusted input). */
int zsync_dyn_zone(const json_t *data, const char *zone, struct zsync_zone **out,
		   struct zsync_err *err);

#endif
