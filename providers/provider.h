/*
 * provider.h - the provider plugin interface: everything a provider author needs.
 *
 * A provider is one .c file in providers/ that exports one `const struct
 * zsync_provider_type` and is listed in registry.c. zonesync calls it like this,
 * for one run:
 *
 *   open(conf)  once per configured provider; resolve secrets here
 *   fetch(zone) once per zone: what the provider serves now, as a zone model
 *   apply(req)  once per zone with changes: make the provider serve `desired`,
 *               given the changes computed against `base` (what fetch returned)
 *   close()
 *
 * Calls on one priv never overlap; different providers run in parallel, so keep all
 * state in priv. Errors: return a negative ZSYNC_E* code and describe the problem in
 * err (without secrets; zonesync adds "provider 'NAME': zone 'Z': " in front).
 */
#ifndef ZSYNC_PROVIDER_H
#define ZSYNC_PROVIDER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "diff.h"
#include "err.h"
#include "zone.h"

enum zsync_provider_caps {
	ZSYNC_CAP_APEX_NS = 1 << 0,     /* can edit the apex NS RRset */
	ZSYNC_CAP_CREATE_ZONE = 1 << 1, /* apply can create a missing zone (with create_zones) */
	ZSYNC_CAP_LIST_ZONES = 1 << 2,  /* list_zones works (import --all) */
	ZSYNC_CAP_ATOMIC = 1 << 3,      /* one apply is all-or-nothing */
	ZSYNC_CAP_OWNS_SOA = 1 << 4,    /* holds zonesync's SOA (zonefile); else the provider's own */
	ZSYNC_CAP_READ_ONLY = 1 << 5,   /* never pushed to (secondary): verified only */
};

/* One apply: make the provider serve `desired` (normalised by the plan). */
struct zsync_apply_req {
	const char *zone;                     /* "example.com." */
	struct zsync_zone *desired;           /* from git */
	struct zsync_zone *base;              /* what fetch returned; the changes were computed against it */
	const struct zsync_changeset *changes;
	bool create_zone;                     /* the zone does not exist at the provider yet */
	const char *commit;                   /* git commit id, for headers and logs */
	/*
	 * Optional out (may be NULL), one per change, zeroed by the caller: a provider that
	 * can fail part way (not ZSYNC_CAP_ATOMIC) sets 1 for each change the server took,
	 * so that a failed apply is journalled and counted as what really happened.
	 */
	unsigned char *applied;
};

struct zsync_provider_type {
	const char *name;             /* `type = "..."` in the config */
	unsigned caps;                /* enum zsync_provider_caps */
	const uint16_t *rrtypes;      /* supported types, 0-terminated; NULL: any type */
	uint32_t ttl_min, ttl_max;    /* 0: no limit */
	/*
	 * Forms it cannot hold exactly (struct zsync_normaliser in diff.h), ended by an entry
	 * with rrtype 0; NULL: it serves every record exactly as git has it, and then it must
	 * stay NULL. Each entry cites the API documentation that says the provider cannot
	 * keep that form (e.g. TXT stored as one string: zsync_norm_txt_join).
	 */
	const struct zsync_normaliser *normalisers;

	/* Validates provider-specific config (already type-checked) and connects if needed. */
	int (*open)(const struct zsync_provider_conf *conf, const struct zsync_config *cfg,
		    void **priv, struct zsync_err *err);
	/*
	 * What the provider serves for zone. *out: a new zone (caller frees). The zone does
	 * not exist there: ZSYNC_ENOTFOUND (for providers that can create zones).
	 */
	int (*fetch)(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err);
	/* Pushes the changes; on failure nothing or (non-atomic providers) part was applied. */
	int (*apply)(void *priv, const struct zsync_apply_req *req, struct zsync_err *err);
	/* Optional (ZSYNC_CAP_LIST_ZONES): zone names with the trailing dot. */
	int (*list_zones)(void *priv, struct zsync_strlist *out, struct zsync_err *err);
	/*
	 * Optional: deletes the whole zone at the provider (apply --prune-zones, only for a
	 * zone zonesync deployed there and git no longer has). Absent: ZSYNC_ENOTFOUND.
	 */
	int (*delete_zone)(void *priv, const char *zone, struct zsync_err *err);
	/* Optional: what this run cost at the provider ("4 requests: 2 GET, 1 PATCH, 1 POST"). */
	void (*usage)(void *priv, char *buf, size_t len);
	/* Frees priv; accepts NULL. */
	void (*close)(void *priv);
};

/*
 * The TSIG key of a provider's `tsig_name`, `tsig_secret` (env:/file:) and
 * `tsig_algorithm` (rfc2136, secondary); *key NULL when it has none (rfc2136.c).
 */
struct zsync_tsig;
int zsync_provider_tsig_key(const struct zsync_provider_conf *conf, const struct zsync_config *cfg,
			    struct zsync_tsig **key, struct zsync_err *err);

/*
 * The zone transfer limits of a provider's `max_transfer_bytes` and `max_transfer_records`
 * (rfc2136, secondary; 0 where unset: the defaults of dns.h) (rfc2136.c).
 */
struct zsync_axfr_limits;
void zsync_provider_axfr_limits(const struct zsync_provider_conf *conf,
				struct zsync_axfr_limits *limits);

/* The registry (registry.c). */
const struct zsync_provider_type *zsync_provider_find(const char *type);
extern const struct zsync_provider_type *const zsync_provider_types[];

/* Applies req's changes to a copy of req->base: the zone the provider should end up with. */
struct zsync_zone *zsync_provider_result(const struct zsync_apply_req *req, struct zsync_err *err);

#endif
