/*
 * provider.h - the provider plugin interface: everything a provider author needs.
 *
 * A provider is one .c file in providers/ that exports one `const struct
 * zsync_provider_type` (its descriptor: ABI version, name, summary, capabilities, types,
 * TTL range, configuration schema and operations) and is listed in registry.c. Nothing in
 * zonesync/ names a provider: config.c validates [providers.NAME] from the descriptor's
 * keys, `zonesync help provider TYPE` and docs/providers.md show them.
 * zonesync calls a provider like this, for one run:
 *
 *   open(conf)  once per configured provider; read keys with zsync_config_get_*()
 *               (config.h), resolve secrets here
 *   fetch(zone) once per zone: what the provider serves now, as a zone model
 *   apply(req)  once per zone with changes: make the provider serve `desired`,
 *               given the changes computed against `base` (what fetch returned);
 *               optionally preceded by prepare(req), the part that sends nothing
 *   close()
 *
 * Calls on one priv never overlap, unless the type has ZSYNC_CAP_CONCURRENT: then calls
 * for different zones run at once, up to the run's workers (`jobs`, -j) or the provider's
 * `concurrency` (see the caps below).
 * Different providers run in parallel, so keep all state in priv. Errors: return a negative ZSYNC_E* code and describe the problem in
 * err (without secrets; zonesync adds "provider 'NAME': zone 'Z': " in front).
 */
#ifndef ZSYNC_PROVIDER_H
#define ZSYNC_PROVIDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "diff.h"
#include "err.h"
#include "zone.h"

enum zsync_provider_caps {
	ZSYNC_CAP_APEX_NS = 1 << 0,     /* can edit the apex NS RRset */
	ZSYNC_CAP_CREATE_ZONE = 1 << 1, /* apply can create a missing zone (with create_zones) */
	ZSYNC_CAP_LIST_ZONES = 1 << 2,  /* has list_zones (import --all is refused without) */
	/*
	 * One apply is all-or-nothing. Without it, the core hands the changes over in a safe
	 * order (zsync_changeset_safe_order: every prefix is a valid zone) and, after a
	 * failure, reads the zone again to journal what was applied before it.
	 */
	ZSYNC_CAP_ATOMIC = 1 << 3,
	ZSYNC_CAP_OWNS_SOA = 1 << 4,    /* holds zonesync's SOA (zonefile); else the provider's own */
	ZSYNC_CAP_READ_ONLY = 1 << 5,   /* never pushed to (secondary): verified only */
	/*
	 * fetch/apply/delete_zone/nameservers for different zones may run at once on one priv
	 * (it holds no per-zone state between calls, its HTTP client is shared safely). Reads
	 * run up to `jobs` at once, applies one at a time unless ZSYNC_CAP_APPLY_SIDE_BY_SIDE;
	 * the common key `concurrency`, when set, is the limit of both. Without the cap, config
	 * refuses concurrency > 1: the provider keeps what fetch learnt about a zone for its apply.
	 */
	ZSYNC_CAP_CONCURRENT = 1 << 6,
	/* with ZSYNC_CAP_CONCURRENT: the server takes writes to different zones side by side
	 * without contention (its own files, RFC 2136 per zone), so applies too run up to
	 * `jobs` at once when `concurrency` is not set */
	ZSYNC_CAP_APPLY_SIDE_BY_SIDE = 1 << 7,
};

/* One apply: make the provider serve `desired` (normalised by the plan). */
struct zsync_apply_req {
	const char *zone;                     /* "example.com." */
	struct zsync_zone *desired;           /* from git */
	struct zsync_zone *base;              /* what fetch returned; the changes were computed against it */
	const struct zsync_changeset *changes;
	bool create_zone;                     /* the zone does not exist at the provider yet */
	const char *commit;                   /* git commit id, for headers and logs */
	/* the last change is zonesync's deployment marker: a provider that splits an apply
	 * sends it in the last part, so that it names the commit only once all of it is in */
	bool marker_last;
	/* apply --verify: a provider whose API says when a change is served everywhere
	 * (Route 53 GetChange INSYNC, Cloud DNS changes.get done) waits for it before it
	 * returns, within its timeout */
	bool wait_served;
	/*
	 * Optional out (may be NULL), one per change, zeroed by the caller: a provider that
	 * can fail part way (not ZSYNC_CAP_ATOMIC) sets 1 for each change the server took,
	 * and 2 for each change sent without an answer (outcome unknown: returns
	 * ZSYNC_EUNKNOWN), so that a failed apply is journalled and counted as what really
	 * happened. A provider that returns ZSYNC_EUNKNOWN without marking any 2 leaves every
	 * change it did not mark 1 unknown.
	 */
	unsigned char *applied;
	/* what the type's prepare made for this apply (it owns it now); NULL: apply was not
	 * prepared, and does all of its work itself */
	void *prepared;
};

/* The descriptor layout; bumped whenever struct zsync_provider_type or an op changes. */
#define ZSYNC_PROVIDER_ABI 7

struct zsync_provider_type {
	unsigned abi;                 /* ZSYNC_PROVIDER_ABI: the registry refuses another */
	const char *name;             /* `type = "..."` in the config */
	const char *summary;          /* one line, for `zonesync help providers` */
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
	/*
	 * Types the server generates itself (0-terminated; NULL: zsync_diff_generated_dnssec,
	 * the records a signing server makes): they belong to the provider, never deleted,
	 * never "extra" in verify --strict, unless git holds records of that type. The
	 * provider key `generated` replaces this list.
	 */
	const uint16_t *generated;
	/*
	 * Optional: refuses an RRset of git the provider cannot hold as a whole (a limit over
	 * all its values together, where a normaliser sees one record: Route 53 cannot take
	 * more characters of values in one change than 32,000), or where it stands in the
	 * zone (apex: the zone's name, wire form; PowerDNS takes DNSKEY only there). Returns
	 * 0, or ZSYNC_EINVAL with the reason in err, which plan reports as a per-record
	 * refusal (nothing of the zone is sent).
	 */
	int (*check_rrset)(const struct zsync_rrset *rrset, const uint8_t *apex, struct zsync_err *err);
	/*
	 * The provider's own configuration keys, ended by { 0 }; the common keys
	 * (nameservers, ignore, timeout, ...) are zonesync's and must not be repeated, except
	 * to mark one ZSYNC_CONF_REQUIRED (a secondary's nameservers).
	 */
	const struct zsync_conf_key *keys;

	/*
	 * Reads its keys (already validated against `keys`) with zsync_config_get_*(), checks
	 * what a schema cannot say (a url's scheme), resolves secrets and connects if needed.
	 */
	int (*open)(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err);
	/*
	 * What the provider serves for zone. *out: a new zone (caller frees). The zone does
	 * not exist there: ZSYNC_ENOTFOUND (for providers that can create zones).
	 */
	int (*fetch)(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err);
	/* Pushes the changes; on failure nothing or (non-atomic providers) part was applied. */
	int (*apply)(void *priv, const struct zsync_apply_req *req, struct zsync_err *err);
	/*
	 * Optional: the part of apply that neither sends nor installs anything (the zonefile
	 * provider writes and syncs its new file aside), which the core runs on a thread of
	 * its own while it journals the changes as sent: a big zone's file is written while
	 * its journal is, not after it. The changes count as sent from apply on, so prepare
	 * must leave the provider serving what it served. req is apply's, with prepared NULL;
	 * the same rules of concurrency hold as for apply (the two never overlap).
	 * On success, *prepared goes to apply in req->prepared, or to discard when apply is
	 * not called (the changes could not be journalled). A failure is the apply's: the
	 * core journals it as such and does not call apply.
	 */
	int (*prepare)(void *priv, const struct zsync_apply_req *req, void **prepared, struct zsync_err *err);
	/* With prepare: undoes and frees what prepare made, for an apply that never comes. */
	void (*discard)(void *priv, void *prepared);
	/* Optional (ZSYNC_CAP_LIST_ZONES): zone names with the trailing dot. */
	int (*list_zones)(void *priv, struct zsync_strlist *out, struct zsync_err *err);
	/*
	 * Optional: deletes the whole zone at the provider (apply --prune-zones, only for a
	 * zone zonesync deployed there and git no longer has). Absent: ZSYNC_ENOTFOUND.
	 */
	int (*delete_zone)(void *priv, const char *zone, struct zsync_err *err);
	/*
	 * Optional: the nameservers the provider serves zone from, as names with the
	 * trailing dot ("ns1.example.net."), appended to out: the provider's assigned set
	 * (Cloudflare's name_servers, a cloud delegation set) or the names configured for a
	 * self-hosted server (ns_names: zsync_provider_ns_names). What every apex NS and the
	 * delegation must name for resolvers to reach this provider (apex_ns = "union",
	 * check/plan warnings, zonesync delegation). Absent, or nothing appended: unknown.
	 */
	int (*nameservers)(void *priv, const struct zsync_provider_conf *conf, const char *zone,
			   struct zsync_strlist *out, struct zsync_err *err);
	/* Optional: what this run cost at the provider ("4 requests: 2 GET, 1 PATCH, 1 POST"). */
	void (*usage)(void *priv, char *buf, size_t len);
	/* Frees priv; accepts NULL. */
	void (*close)(void *priv);
};

/* The registry (registry.c): NULL for an unknown type or one built for another ABI. */
const struct zsync_provider_type *zsync_provider_find(const char *type);
/* Every registered type, NULL-terminated. */
extern const struct zsync_provider_type *const zsync_provider_types[];

/*
 * `zonesync help providers` (type names and summaries) and `help provider TYPE` (caps,
 * types, TTL range, keys) as text; as_markdown: the key table of docs/providers.md.
 */
void zsync_provider_describe_all(FILE *out);
void zsync_provider_describe(FILE *out, const struct zsync_provider_type *t, bool as_markdown);

#endif
