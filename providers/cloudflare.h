/* cloudflare.h - what the Cloudflare provider exposes beyond its descriptor: reading its JSON (for the fuzzer) */
#ifndef ZSYNC_CLOUDFLARE_H
#define ZSYNC_CLOUDFLARE_H

#include <jansson.h>

#include "err.h"
#include "zone.h"

/*
 * A zone object (its "name_servers": the apex NS) and a "result" array of dns_records
 * as fetch reads them, into a zone model (untrusted input).
 */
int zsync_cloudflare_zone(const json_t *zone_obj, const json_t *records, const char *zone,
			  struct zsync_zone **out, struct zsync_err *err);

#endif
