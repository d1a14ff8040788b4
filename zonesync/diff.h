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
	/* git's RRsets in the provider's form where a declared normaliser changed them; the
	 * changes' `new` point here for those (owned, freed by zsync_changeset_release) */
	struct zsync_zone *normalised;
};

/*
 * A form a provider cannot hold exactly, declared by the provider (its type's
 * `normalisers`, justified by its API documentation in a comment beside it): e.g. a
 * provider that stores TXT as one string serves "a" "b" as "ab". The plan compares git's
 * records in that provider's form and sends that form, verify accepts it (and says it
 * did), and plan warns once per provider and zone ("cf: 3 TXT RRsets will be served with
 * their strings joined"). A provider that keeps a form exactly declares nothing and never
 * gets a normalised record; a normaliser must never be used to make a comparison pass.
 */
struct zsync_normaliser {
	uint16_t rrtype;     /* the type it rewrites; 0 ends a list; ZSYNC_NORM_EVERY_TYPE: see there */
	const char *served;  /* ends "N TXT RRsets will be served ...": "with their strings joined" */
	/*
	 * The provider's form of one record: data/len is git's canonical wire rdata of a
	 * record of `owner` (canonical wire name). Writes the form the provider will serve,
	 * canonical too, to out (room for 65535 octets) and its length to *outlen; returns 0.
	 * A record the provider cannot hold at all: ZSYNC_EINVAL with the reason in err, which
	 * becomes a per-record refusal in plan (nothing of the zone is sent).
	 */
	int (*normalise)(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			 uint16_t *outlen, struct zsync_err *err);
};

/*
 * An entry of this rrtype (ANY's number, never a record's) checks every record, before
 * the record type's own entry: it may only refuse (an owner name the provider cannot
 * hold, say); what it writes to out is not used.
 */
#define ZSYNC_NORM_EVERY_TYPE 255

/* Stock normaliser: TXT/SPF strings joined into one value, split again at 255 octets. */
int zsync_norm_txt_join(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			uint16_t *outlen, struct zsync_err *err);

/* What a provider can hold and what zonesync leaves alone there. */
struct zsync_diff_policy {
	const uint16_t *rrtypes;       /* supported types, 0-terminated; NULL: any */
	uint32_t ttl_min, ttl_max;     /* 0: no limit */
	uint32_t max_rrset_records;    /* the provider's limit of records in one RRset; 0: none */
	/* the provider's check of a whole RRset in a zone (its descriptor's check_rrset); NULL: none */
	int (*check_rrset)(const struct zsync_rrset *rrset, const uint8_t *apex, struct zsync_err *err);
	bool manage_apex_ns;           /* false: apex NS belongs to the provider (not applicable) */
	bool manage_soa;               /* true: the provider holds our SOA (zonefile) */
	bool skip_unsupported;         /* unsupported = "skip" */
	const struct zsync_normaliser *normalisers; /* the provider's declared forms; NULL: exact */
	const uint16_t *generated;     /* types the server makes itself, 0-terminated; NULL: zsync_diff_generated_dnssec */
	const char *provider;          /* for messages */
	const struct zsync_strlist *ignore[2]; /* owner globs and type names (provider's, zone's) */
	bool has_marker;               /* marker names zonesync's deployment marker there */
	uint8_t marker[ZSYNC_NAME_MAXLEN]; /* wire form; every record at this name is left alone */
};

/*
 * Records a signing server makes itself (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY, CDS,
 * CDNSKEY): the default `generated` list. BIND adds its private signing-state type
 * (TYPE65534) where a zone holds DNSKEYs: zsync_diff_generated_bind.
 */
extern const uint16_t zsync_diff_generated_dnssec[];
extern const uint16_t zsync_diff_generated_bind[];

/*
 * Computes the changes that make `current` equal `desired` under the policy, in
 * canonical order (owner, then type). SOA is left out unless manage_soa. Records of the
 * policy's generated types are the provider's: left alone unless the desired zone has
 * that type. Release with zsync_changeset_release().
 */
void zsync_diff(struct zsync_zone *desired, struct zsync_zone *current,
		const struct zsync_diff_policy *policy, struct zsync_changeset *out);
void zsync_changeset_release(struct zsync_changeset *cs);

/*
 * The order in which a provider that is not atomic applies cs (a permutation of its
 * indices into order, cs->n entries), so that the zone stays valid after every prefix:
 * deletes first (an A/AAAA delete only where the owner becomes a CNAME), then address
 * creates and updates, then the other creates and updates (MX/SRV/NS targets exist by
 * then), then the remaining address deletes. Stable within each group.
 */
void zsync_changeset_safe_order(const struct zsync_changeset *cs, size_t *order);

/*
 * Which changes of cs are in effect in `now` (the provider's zone re-read after a failed
 * apply): sets applied[i] = 1 when now no longer needs change i (leaves the others).
 * later: the diff of desired against now under the same policy, canonical like cs.
 */
void zsync_changeset_applied(const struct zsync_changeset *cs, const struct zsync_changeset *later,
			     unsigned char *applied);

/*
 * git's RRset r in the provider's form (the policy's normalisers): r itself when no
 * normaliser applies or none changes it, else an RRset added to *into (a zone created on
 * first use, caller frees; RRsets of *into previously returned may move). *used: the
 * normaliser that changed it, or NULL. NULL with err: the provider cannot hold r.
 */
const struct zsync_rrset *zsync_diff_normalise(const struct zsync_diff_policy *policy,
					       const struct zsync_zone *desired,
					       const struct zsync_rrset *r, struct zsync_zone **into,
					       const struct zsync_normaliser **used,
					       struct zsync_err *err);

/*
 * verify's comparison: the rdata a server serves (got) against git's exact rdata (want).
 * Returns 1 when equal byte for byte, 2 when equal only in the provider's declared form
 * (*used: that normaliser; *norm_want: git's RRset in that form, inside *into as above),
 * 0 when different, ZSYNC_EINVAL with err when the provider cannot hold want at all.
 */
int zsync_diff_served(const struct zsync_diff_policy *policy, const struct zsync_zone *desired,
		      const struct zsync_rrset *want, const struct zsync_rrset *got,
		      struct zsync_zone **into, const struct zsync_rrset **norm_want,
		      const struct zsync_normaliser **used, struct zsync_err *err);

/* The policy's pieces, for verify: ignored by the provider/zone, a type it holds, the TTL it serves. */
bool zsync_diff_ignored(const struct zsync_diff_policy *policy, const struct zsync_zone *zone,
			const struct zsync_rrset *rrset);
bool zsync_diff_supported(const struct zsync_diff_policy *policy, uint16_t type);
/* type is one the provider generates (policy's list). */
bool zsync_diff_generated(const struct zsync_diff_policy *policy, uint16_t type);
uint32_t zsync_diff_ttl(const struct zsync_diff_policy *policy, uint32_t ttl);

/* Shell-style glob on presentation names ("_acme-challenge.*"), case-insensitive. */
bool zsync_diff_glob(const char *pattern, const char *name);

#endif
