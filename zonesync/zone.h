/* zone.h - the zone model: RRsets in canonical wire form, one arena per zone */
#ifndef ZSYNC_ZONE_H
#define ZSYNC_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

#define ZSYNC_NAME_MAXLEN 255      /* wire form */
#define ZSYNC_NAME_TXT_MAXLEN 1005 /* presentation form, every octet escaped as \DDD */
#define ZSYNC_INCLUDE_DEPTH 8
/* A zone's total $INCLUDE budget by default, the top file counted: far above any real
 * zone, low enough that a fan-out of includes stops within a second. */
#define ZSYNC_INCLUDE_MAX_FILES 10000
#define ZSYNC_INCLUDE_MAX_BYTES (1024ull * 1024 * 1024)
#define ZSYNC_INCLUDE_MAX_FILES_LIMIT 65000 /* a zone names at most 65535 files */

/* Well-known types used outside zone.c (values from the IANA registry). */
enum {
	ZSYNC_TYPE_A = 1,
	ZSYNC_TYPE_NS = 2,
	ZSYNC_TYPE_CNAME = 5,
	ZSYNC_TYPE_SOA = 6,
	ZSYNC_TYPE_PTR = 12,
	ZSYNC_TYPE_MX = 15,
	ZSYNC_TYPE_TXT = 16,
	ZSYNC_TYPE_AAAA = 28,
	ZSYNC_TYPE_SPF = 99,
	ZSYNC_TYPE_SRV = 33,
	ZSYNC_TYPE_DNAME = 39,
	ZSYNC_TYPE_DS = 43,
	ZSYNC_TYPE_RRSIG = 46,
	ZSYNC_TYPE_NSEC = 47,
	ZSYNC_TYPE_DNSKEY = 48,
	ZSYNC_TYPE_NSEC3 = 50,
	ZSYNC_TYPE_NSEC3PARAM = 51,
	ZSYNC_TYPE_CDS = 59,
	ZSYNC_TYPE_CDNSKEY = 60,
	ZSYNC_TYPE_CAA = 257,
};

enum zsync_rrset_flags {
	/* the source held records of this RRset with different TTLs; ttl is the first seen */
	ZSYNC_RRSET_TTL_MIXED = 1 << 0,
	/* the provider sets the TTL itself (Cloudflare "automatic"/proxied): never a TTL change */
	ZSYNC_RRSET_TTL_ANY = 1 << 1,
	/* the source held more than 65535 records for it (an error was reported; the rest dropped) */
	ZSYNC_RRSET_TOO_MANY = 1 << 2,
	/* the record written at `line` is no longer the first rdata item: a record written
	 * later sorts before it (zsync_zone_locate finds where the others are written) */
	ZSYNC_RRSET_LINE_NOT_FIRST = 1 << 3,
};

/*
 * One RRset. The owner is lower-case wire form; rdata holds `count` items in
 * canonical order without duplicates, each laid out as a host-order uint16_t
 * length, the octets (names inside lower-cased per RFC 4034 section 6.2) and
 * one pad octet when the length is odd. Walk them with zsync_rdata_next().
 * Everything else is kept exactly as written: TXT and SPF character-string boundaries
 * are data (RFC 1035 section 3.3.14, RFC 6763 section 6), so "a" "b" and "ab" are two
 * different records. A provider that cannot keep a form declares a normaliser (diff.h).
 * Everything points into the zone's arena and lives as long as the zone; pointers
 * to RRsets stay valid until the next record is added to the zone.
 */
struct zsync_rrset {
	const uint8_t *owner;
	uint8_t *rdata;
	uint32_t ttl;
	uint32_t line;  /* line of the RRset's first record in its file; 0 when not from a file */
	uint16_t type;
	uint16_t count;
	uint16_t file;  /* index for zsync_zone_file() */
	uint8_t flags;  /* enum zsync_rrset_flags */
	uint8_t owner_len;
};

static inline uint16_t zsync_rdata_len(const uint8_t *rd)
{
	uint16_t len;
	memcpy(&len, rd, sizeof(len));
	return len;
}

static inline const uint8_t *zsync_rdata_data(const uint8_t *rd)
{
	return rd + 2;
}

static inline const uint8_t *zsync_rdata_next(const uint8_t *rd)
{
	uint16_t len = zsync_rdata_len(rd);
	return rd + 2 + len + (len & 1);
}

/* Bytes the rdata block of rrset occupies. */
size_t zsync_rrset_rdata_size(const struct zsync_rrset *rrset);

struct zsync_zone;

/*
 * Reads a file for $INCLUDE: path is repository-relative and normalised. Returns 0
 * with a malloc'ed *buf (caller frees), ZSYNC_ENOTFOUND, or another code with err set.
 */
typedef int (*zsync_read_fn)(void *ctx, const char *path, char **buf, size_t *len,
			     struct zsync_err *err);

/* What parsing one zone may read in total through $INCLUDE, the top file counted. */
struct zsync_include_budget {
	uint64_t max_files;
	uint64_t max_bytes;
};

/* Creates an empty zone for origin ("example.com" or "example.com."); NULL with err on a bad name. */
struct zsync_zone *zsync_zone_new(const char *origin, struct zsync_err *err);
/* Frees the zone and everything it holds; accepts NULL. */
void zsync_zone_free(struct zsync_zone *zone);

/* Origin in presentation form, lower case, with the trailing dot. */
const char *zsync_zone_name(const struct zsync_zone *zone);
/* Origin in wire form. */
const uint8_t *zsync_zone_origin(const struct zsync_zone *zone);

/*
 * Parses zone text (RFC 1035 master file) named path (repository-relative, used in
 * messages) into zone. $INCLUDE is resolved through read (NULL: includes are an
 * error), confined to the repository, depth <= ZSYNC_INCLUDE_DEPTH, no loops, within the
 * zone's budget (zsync_zone_set_include_budget).
 * Every problem is added to diags as `path:line`; parsing goes on after an error
 * so that all of them are reported. A record without TTL and without $TTL is an
 * error. Returns 0 when no error was found, ZSYNC_EINVAL otherwise: such a zone
 * must never be pushed anywhere.
 */
int zsync_zone_parse(struct zsync_zone *zone, const char *path, const char *text, size_t len,
		     zsync_read_fn read, void *read_ctx, struct zsync_diags *diags);
/*
 * Sets the total budget of the next zsync_zone_parse (default ZSYNC_INCLUDE_MAX_FILES and
 * ZSYNC_INCLUDE_MAX_BYTES): past it parsing stops with one error naming the include chain.
 */
void zsync_zone_set_include_budget(struct zsync_zone *zone,
				   const struct zsync_include_budget *budget);

/*
 * A load of many records through zsync_zone_add (a zone transfer): between the two calls
 * big RRsets take their records in linear time, and the zone must not be read. A zone
 * freed before zsync_zone_load_end needs no end. (zsync_zone_parse does this itself.)
 */
void zsync_zone_load_begin(struct zsync_zone *zone);
void zsync_zone_load_end(struct zsync_zone *zone);

/*
 * Adds one record given in wire form (owner and rdata), canonicalising it. Used by
 * providers to build the model of what they serve. A record already present is
 * ignored; a TTL that differs from the RRset's marks it ZSYNC_RRSET_TTL_MIXED.
 */
int zsync_zone_add(struct zsync_zone *zone, const uint8_t *owner, uint16_t type, uint32_t ttl,
		   const uint8_t *rdata, uint16_t rdlen, struct zsync_err *err);

/*
 * Adds records written in zone-file syntax (e.g. "www 300 IN A 192.0.2.1"), relative
 * names against the zone origin. For providers whose API speaks presentation form.
 */
int zsync_zone_add_text(struct zsync_zone *zone, const char *text, size_t len,
			struct zsync_err *err);

/*
 * Adds a whole RRset (from another zone) with the given TTL, as is (it is already
 * canonical). An RRset already present with the same owner and type is replaced.
 */
void zsync_zone_put_rrset(struct zsync_zone *zone, const struct zsync_rrset *rrset, uint32_t ttl);

/* Sets flags (enum zsync_rrset_flags) on the RRset (owner, type); 0 or ZSYNC_ENOTFOUND. */
int zsync_zone_flag(struct zsync_zone *zone, const uint8_t *owner, uint16_t type, uint8_t flags);

/* Removes the RRset (owner, type) if present; returns 1 if removed, 0 if absent. */
int zsync_zone_remove(struct zsync_zone *zone, const uint8_t *owner, uint16_t type);

size_t zsync_zone_rrset_count(const struct zsync_zone *zone);
size_t zsync_zone_record_count(const struct zsync_zone *zone);
/* Heap bytes held by the zone model (arena, hash table, file names). */
size_t zsync_zone_heap_bytes(const struct zsync_zone *zone);
/* File name for a struct zsync_rrset's file index ("" when unknown). */
const char *zsync_zone_file(const struct zsync_zone *zone, uint16_t idx);

/*
 * Where one record is written: owner, type and rdata item as the model holds them (in),
 * file index (for zsync_zone_file) and line (out; line 0: not found).
 */
struct zsync_zone_loc {
	const uint8_t *owner;
	const uint8_t *rd;
	uint16_t type;
	uint16_t file;
	uint32_t line;
};

/*
 * True when the line of rdata item `index` of r is r->line: the model keeps a line per
 * RRset only (its first record's), which is item 0 unless a later record sorts before it.
 */
static inline bool zsync_rrset_item_line_known(const struct zsync_rrset *r, size_t index)
{
	return r->count == 1 || (index == 0 && !(r->flags & ZSYNC_RRSET_LINE_NOT_FIRST));
}

/*
 * Finds where the records of locs are written by parsing the zone's source again (path,
 * text, read and read_ctx as given to zsync_zone_parse; the same include budget): the
 * model keeps only the line of each RRset's first record, and a diagnostic about another
 * record needs that record's own. A record written twice gets its first place. The
 * zone itself is not changed. Costs one parse: for diagnostics only.
 */
void zsync_zone_locate(const struct zsync_zone *zone, const char *path, const char *text, size_t len,
		       zsync_read_fn read, void *read_ctx, struct zsync_zone_loc *locs, size_t n);

/* Finds the RRset; owner in wire form, any case. NULL when absent. */
const struct zsync_rrset *zsync_zone_find(const struct zsync_zone *zone, const uint8_t *owner,
					  uint16_t type);
/* The same for an owner already in lower case (any name taken from a model: owners and
 * rdata targets are canonical): no copy, no lowering. */
const struct zsync_rrset *zsync_zone_find_lower(const struct zsync_zone *zone, const uint8_t *owner,
						uint16_t type);
/* The RRset of `like`'s owner and type in zone, `like` coming from a model (faster than zsync_zone_find). */
const struct zsync_rrset *zsync_zone_find_canonical(const struct zsync_zone *zone,
						    const struct zsync_rrset *like);

/*
 * RRsets in canonical DNS order (RFC 4034 section 6.1) by owner, then by type.
 * The array belongs to the zone and stays valid until the zone changes.
 */
const struct zsync_rrset *const *zsync_zone_sorted(struct zsync_zone *zone, size_t *count);
/*
 * The most threads zsync_zone_sorted may use for this zone (1, the default: the calling
 * thread only; 2: a big zone's halves are sorted side by side). The order is the same.
 */
void zsync_zone_set_threads(struct zsync_zone *zone, unsigned threads);
/*
 * Per position of zsync_zone_sorted(): 1 where an owner name begins, 0 where the RRset has
 * the owner of the one before (so an owner's RRsets are grouped without name compares).
 * Belongs to the zone, valid as long as the sorted array.
 */
const uint8_t *zsync_zone_sorted_starts(struct zsync_zone *zone);

/*
 * Makes the zone read-only before other threads see it: its sorted order is built now,
 * and any later change aborts (a shared zone changed is a data race). Accepts NULL.
 */
void zsync_zone_freeze(struct zsync_zone *zone);
bool zsync_zone_frozen(const struct zsync_zone *zone);
/* Unordered iteration (insertion order): i from 0 to iter_count-1; NULL for a removed RRset. */
size_t zsync_zone_iter_count(const struct zsync_zone *zone);
const struct zsync_rrset *zsync_zone_iter(const struct zsync_zone *zone, size_t i);

/* Canonical order of two rdata items (RFC 4034 section 6.3): <0, 0, >0. */
int zsync_rdata_cmp(const uint8_t *a, const uint8_t *b);

/* Same rdata set (order and duplicates do not exist in the model). */
/* True when rdata has the wire format of its type (fixed fields fit, names well-formed,
 * nothing trailing); a type libknot knows no format of is always well-formed. */
bool zsync_rdata_well_formed(uint16_t type, const uint8_t *rdata, size_t len);
bool zsync_rrset_rdata_equal(const struct zsync_rrset *a, const struct zsync_rrset *b);
/* Same set of RRsets with the same TTLs and rdata. */
bool zsync_zone_equal(const struct zsync_zone *a, const struct zsync_zone *b);

/*
 * Writes the zone as a master file: $ORIGIN and a header comment, then every RRset in
 * canonical order, owners relative to the origin where possible, absolute rdata names,
 * TXT as quoted strings of at most 255 octets. Deterministic: same model, same bytes.
 * Returns 0 or ZSYNC_EIO.
 */
int zsync_zone_write(struct zsync_zone *zone, FILE *out, const char *header_comment);
/*
 * The same to a file descriptor, by write(2) in big pieces (no stdio in between). order
 * (may be NULL): a frozen zone that most of zone's RRsets are in (git's, for a provider's
 * zone made from it), whose canonical order is taken instead of sorting zone again; the
 * bytes are the same either way.
 */
int zsync_zone_write_fd(struct zsync_zone *zone, const struct zsync_zone *order, int fd, const char *header_comment);

/* Sets the serial of the zone's apex SOA; ZSYNC_ENOTFOUND when there is none. */
int zsync_zone_set_soa_serial(struct zsync_zone *zone, uint32_t serial);

/* SOA fields (rdata item of an SOA RRset): the serial, and a copy with another serial. */
uint32_t zsync_soa_serial(const uint8_t *rd);
void zsync_soa_set_serial(uint8_t *rd, uint32_t serial);
/* SOA rdata equal apart from the serial. */
bool zsync_soa_equal_but_serial(const uint8_t *a, const uint8_t *b);

/* Domain names (wire form). */
size_t zsync_name_len(const uint8_t *name);
/* Canonical DNS order, case-insensitive: <0, 0, >0. */
int zsync_name_cmp(const uint8_t *a, const uint8_t *b);
bool zsync_name_equal(const uint8_t *a, const uint8_t *b);
/* name equals zone or is below it. */
bool zsync_name_in_zone(const uint8_t *name, const uint8_t *zone);
/* name is strictly below parent. */
bool zsync_name_below(const uint8_t *name, const uint8_t *parent);
/* Presentation form with the trailing dot; returns buf. */
char *zsync_name_to_text(const uint8_t *name, char *buf, size_t len);
/* Parses an absolute or (with origin) relative name into wire form (255 bytes); 0 or ZSYNC_EINVAL. */
int zsync_name_from_text(const char *text, const uint8_t *origin, uint8_t *out);

/* "A", "TXT", or "TYPE65280"; returns buf. */
char *zsync_type_to_text(uint16_t type, char *buf, size_t len);
/* v in decimal into buf (at least 11 bytes), not terminated; returns the length. */
size_t zsync_u32_text(uint32_t v, char *buf);
/* Accepts mnemonics (any case) and TYPEnnn; 0 or ZSYNC_EINVAL. */
int zsync_type_from_text(const char *text, uint16_t *type);

/* Room for the presentation form of any one rdata item: every octet may become \DDD. */
#define ZSYNC_RDATA_TXT_MAXLEN (4 * 65536 + 4096)

/*
 * Presentation form of one rdata item (as in a zone file, names absolute) into buf (len:
 * ZSYNC_RDATA_TXT_MAXLEN is always enough); 0 or ZSYNC_EINVAL.
 */
int zsync_rdata_to_text(uint16_t type, const uint8_t *rd, char *buf, size_t len);
/*
 * For NS, CNAME, DNAME, PTR, MX and SRV: the name the record points at (inside the rdata
 * item rd), else NULL.
 */
const uint8_t *zsync_rdata_target(uint16_t type, const uint8_t *rd);

#endif
