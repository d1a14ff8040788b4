/* powerdns.h - what the PowerDNS provider exposes beyond its vtable: reading its zone JSON (for the fuzzer) */
#ifndef ZSYNC_POWERDNS_H
#define ZSYNC_POWERDNS_H

#include <jansson.h>

#include "err.h"
#include "zone.h"

/* The "rrsets" array of a PowerDNS zone object as a zone model (untrusted input). */
int zsync_powerdns_zone(const json_t *rrsets, const char *zone, struct zsync_zone **out,
			struct zsync_err *err);

#endif
