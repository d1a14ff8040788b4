/* diff.h - desired zone vs a provider's zone: the changeset, after the provider's normalisation */
#ifndef ZSYNC_DIFF_H
#define ZSYNC_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "zone.h"

enum zsync_change_op {
	ZSYNC_CHANGE_CREATE,
	ZSYNC_CHANGE_UPDATE,
	ZSYNC_CHANGE_DELETE,
};

enum zsync_change_flags {
	ZSYNC_CHANGE_TTL_ONLY = 1 << 0, /* update of the TTL alone */
	ZSYNC_CHANGE_APEX_NS = 1 << 1,  /* touches the apex NS RRset */
	ZSYNC_CHANGE_SOA = 1 << 2,      /* SOA fields other than the serial (providers that own the SOA) */
};

/*
 * One RRset-level change. `old` points into the provider's zone (NULL for a create),
 * `new` into the desired zone (NULL for a delete); ttl is the TTL to write (the
 * desired TTL after the provider's limits).
 */
struct zsync_change {
	enum zsync_change_op op;
	unsigned flags;
	uint32_t ttl;
	const struct zsync_rrset *old;
	const struct zsync_rrset *new;
};

/* Something that differs but is not a change: listed, never counted, never an error. */
struct zsync_na {
	const uint8_t *owner;
	uint16_t type;
	char *reason;
};

struct zsync_changeset {
	struct zsync_change *v;
	size_t n, alloc;
	size_t creates, updates, deletes;
	struct zsync_na *na;
	size_t nna;
	struct zsync_strlist warnings; /* e.g. TTL raised to the provider's minimum */
	struct zsync_strlist errors;   /* e.g. a record type the provider cannot hold */
	size_t existing;               /* RRsets at the provider that zonesync manages */
};

/* What a provider can hold and what zonesync leaves alone there. */
struct zsync_diff_policy {
	const uint16_t *rrtypes;       /* supported types, 0-terminated; NULL: any */
	uint32_t ttl_min, ttl_max;     /* 0: no limit */
	bool manage_apex_ns;           /* false: apex NS belongs to the provider (not applicable) */
	bool manage_soa;               /* true: the provider holds our SOA (zonefile) */
	bool skip_unsupported;         /* unsupported = "skip" */
	const char *provider;          /* for messages */
	const struct zsync_strlist *ignore[2]; /* owner globs and type names (provider's, zone's) */
};

/*
 * Computes the changes that make `current` equal `desired` under the policy, in
 * canonical order (owner, then type). SOA is left out unless manage_soa. DNSSEC records
 * signed by the provider (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY, CDS, CDNSKEY) are left
 * alone unless the desired zone has that type. Release with zsync_changeset_release().
 */
void zsync_diff(struct zsync_zone *desired, struct zsync_zone *current,
		const struct zsync_diff_policy *policy, struct zsync_changeset *out);
void zsync_changeset_release(struct zsync_changeset *cs);

/* The policy's pieces, for verify: ignored by the provider/zone, a type it holds, the TTL it serves. */
bool zsync_diff_ignored(const struct zsync_diff_policy *policy, const struct zsync_zone *zone,
			const struct zsync_rrset *rrset);
bool zsync_diff_supported(const struct zsync_diff_policy *policy, uint16_t type);
uint32_t zsync_diff_ttl(const struct zsync_diff_policy *policy, uint32_t ttl);

/* Shell-style glob on presentation names ("_acme-challenge.*"), case-insensitive. */
bool zsync_diff_glob(const char *pattern, const char *name);

#endif
