/* delegation.h - what the parent zone must hold for a zone: the NS of every provider, glue, and DS of every signing provider */
#ifndef ZSYNC_DELEGATION_H
#define ZSYNC_DELEGATION_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "zone.h"

/* One DS the parent should hold: of a key-signing DNSKEY a provider serves (SHA-256). */
struct zsync_delegation_ds {
	char *providers;        /* "bind, knot": who serves the key */
	uint16_t key_tag;
	uint8_t algorithm;
	char digest[65];        /* SHA-256 (digest type 2), hex, upper case: the DS to give */
	char sha1[41];          /* SHA-1 (type 1) and SHA-384 (type 4): to recognise a parent's DS */
	char sha384[97];
};

struct zsync_delegation {
	const char *zone;
	uint32_t ttl;                   /* git's apex NS TTL */
	struct zsync_strlist ns;        /* absolute names, in the order found */
	struct zsync_strlist ns_from;   /* parallel to ns: "git, bind" */
	struct zsync_strlist glue;      /* zone-file lines of the addresses of in-zone names */
	struct zsync_delegation_ds *ds;
	size_t nds;
	struct zsync_strlist warnings;
};

/*
 * The delegation of zone zc, whose zone z git holds: the names of git's apex NS and every
 * provider's nameservers (each provider opened and asked), the addresses git has for the
 * names inside the zone (glue), and a DS for every key-signing DNSKEY the providers'
 * nameservers serve at the apex (asked over DNS, timeout_ms per query). What could not be
 * found goes to warnings; never fails.
 */
void zsync_delegation_build(const struct zsync_config *cfg, const struct zsync_zone_conf *zc,
			    struct zsync_zone *z, long timeout_ms, struct zsync_delegation *out);
void zsync_delegation_release(struct zsync_delegation *d);

/* As zone-file lines (comments say from whom), or as a JSON object (caller frees). */
void zsync_delegation_print(const struct zsync_delegation *d, FILE *out);
json_t *zsync_delegation_json(const struct zsync_delegation *d);

/* The DS of a DNSKEY (rdata item rd) of owner: key tag (RFC 4034 appendix B), algorithm, SHA-256 digest. */
int zsync_delegation_ds_of(const uint8_t *owner, const uint8_t *rd, struct zsync_delegation_ds *ds);

/*
 * The servers of zone's parent ("ADDR:PORT"), found by iterative resolution from the root
 * hints ([verify] root_hints; servers asked on [verify] port): referrals are followed by
 * their glue down to the one for zone. trace gets one line per zone cut passed.
 */
int zsync_delegation_find_parent(const struct zsync_config *cfg, const char *zone, long timeout_ms,
				 struct zsync_strlist *parents, struct zsync_strlist *trace, struct zsync_err *err);

#endif
