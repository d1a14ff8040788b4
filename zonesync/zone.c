/* zone.c - zone model: libzscanner parsing, libknot canonical form, RRset hash table */
#include "zone.h"
#include "arena.h"
#include "thread.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

/*
 * libzscanner gives a record without a TTL the default TTL it was started with: a value
 * no zone file should hold stands for "none". Every TTL of 2^31 or more is an error
 * (RFC 2181 section 8), so this one only decides the message: an odd value, so that the
 * likely 4294967295 is reported as the TTL it is and not as a missing one.
 */
#define NO_TTL 0x9E3779B9u
#define TTL_MAX 0x7FFFFFFFu
/* Prefix given to libzscanner as the "directory" of a zone so that relative $INCLUDE
 * paths come back recognisable; an absolute path in the zone text will not have it. */
#define INCLUDE_ROOT "/\x01zonesync-repository"

struct zsync_zone {
	struct zsync_arena arena;    /* owners and rdata */
	struct zsync_rrset *rrsets;  /* every RRset ever added, in insertion order; removed ones have count 0 */
	size_t nrrsets, rrsets_cap;
	/*
	 * Open addressing over rrsets: each slot holds the upper 32 bits of the hash (a tag
	 * that gives the position and spares most dereferences) and index + 1; 0 is empty,
	 * TOMBSTONE a removed entry. Up to 2^32 slots.
	 */
	uint64_t *slots;
	size_t cap, used;            /* slots, live RRsets */
	size_t records;
	size_t tombstones;
	const struct zsync_rrset **sorted; /* cache for zsync_zone_sorted(); NULL when stale */
	bool frozen;                 /* zsync_zone_freeze: shared between threads, read only */
	uint8_t sort_threads;        /* zsync_zone_set_threads: at most this many sort it */
	char **files;
	uint16_t nfiles;
	struct zsync_include_budget budget; /* for zsync_zone_parse */
	const uint8_t *last_owner;   /* owner interning: zone files group records by owner */
	size_t last_owner_len;
	char *name;                  /* heap: most names are short, and 50,000 zones add up */
	struct bulk *bulk;           /* while a zone file loads: big RRsets (see zone_insert_bulk) */
	uint8_t origin[ZSYNC_NAME_MAXLEN];
};

/*
 * knot_rdata_t-sized buffer for canonicalising one record at a time: one per thread,
 * not one per zone (64 KiB in each of 50,000 small zones was most of their memory).
 */
static _Thread_local _Alignas(8) uint8_t scratch[KNOT_RDATA_MAXLEN + 8];

#define TOMBSTONE UINT64_MAX
#define SLOT_INDEX(s) ((uint32_t)(s)-1)
#define SLOT_TAG(s) ((uint32_t)((s) >> 32))

size_t zsync_name_len(const uint8_t *name)
{
	return knot_dname_size(name);
}

static inline uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Case-insensitive (ASCII) equality of two uncompressed wire names, label by label:
 * owners are often the same interned pointer, and unequal names usually differ early. */
bool zsync_name_equal(const uint8_t *a, const uint8_t *b)
{
	if (a == b)
		return true;
	while (*a) {
		uint8_t len = *a;
		if (*b != len)
			return false;
		for (uint8_t i = 1; i <= len; i++)
			if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i]))
				return false;
		a += len + 1;
		b += len + 1;
	}
	return *b == 0;
}

int zsync_name_cmp(const uint8_t *a, const uint8_t *b)
{
	return knot_dname_cmp(a, b);
}

bool zsync_name_in_zone(const uint8_t *name, const uint8_t *zone)
{
	return knot_dname_in_bailiwick(name, zone) >= 0;
}

bool zsync_name_below(const uint8_t *name, const uint8_t *parent)
{
	return knot_dname_in_bailiwick(name, parent) > 0;
}

/* Letters, digits, '-' and '_': what libknot prints as it is in a name. */
static const bool plain_char[256] = {
	['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true, ['-'] = true, ['_'] = true,
};

/*
 * The text of a name (wire form, ending at the max-th byte at most) whose labels hold only
 * letters, digits, '-' and '_', which libknot prints as they are: without libknot's
 * general printer (a zone write or journal of 1M names called it 1M times or more).
 * Returns the length of the text, *used the wire bytes, or -1 for any other name (then
 * libknot prints it, escapes and all).
 */
static int plain_name_text(const uint8_t *wire, size_t max, size_t *used, char *buf, size_t len)
{
	size_t o = 0, i = 0;

	if (max == 0 || len < 2)
		return -1;
	if (wire[0] == 0) {
		buf[0] = '.';
		buf[1] = '\0';
		*used = 1;
		return 1;
	}
	while (i < max && wire[i]) {
		uint8_t l = wire[i++];
		const uint8_t *p = wire + i;
		bool plain = true;
		size_t k = 0;
		if (l > 63 || i + l >= max || o + l + 2 > len)
			return -1;
		/* the label copied whole, its octets tested four at a time without a branch each
		 * (a test and a store per octet were most of a journal's owner names) */
		memcpy(buf + o, p, l);
		for (; k + 4 <= l; k += 4)
			plain &= plain_char[p[k]] & plain_char[p[k + 1]] & plain_char[p[k + 2]] & plain_char[p[k + 3]];
		for (; k < l; k++)
			plain &= plain_char[p[k]];
		if (!plain)
			return -1;
		o += l;
		buf[o++] = '.';
		i += l;
	}
	if (i >= max)
		return -1;
	buf[o] = '\0';
	*used = i + 1;
	return (int)o;
}

char *zsync_name_to_text(const uint8_t *name, char *buf, size_t len)
{
	size_t used;
	if (plain_name_text(name, KNOT_DNAME_MAXLEN, &used, buf, len) >= 0)
		return buf;
	if (!knot_dname_to_str(buf, name, len))
		snprintf(buf, len, "?");
	return buf;
}

int zsync_name_from_text(const char *text, const uint8_t *origin, uint8_t *out)
{
	size_t n = strlen(text);
	if (n == 0 || n > ZSYNC_NAME_TXT_MAXLEN)
		return ZSYNC_EINVAL;
	if (strcmp(text, "@") == 0) {
		if (!origin)
			return ZSYNC_EINVAL;
		memcpy(out, origin, knot_dname_size(origin));
		return 0;
	}
	if (!knot_dname_from_str(out, text, ZSYNC_NAME_MAXLEN))
		return ZSYNC_EINVAL;
	if (text[n - 1] != '.' || (n > 1 && text[n - 2] == '\\')) {
		/* relative: append the origin */
		size_t l = knot_dname_size(out) - 1, ol;
		if (!origin)
			return ZSYNC_EINVAL;
		ol = knot_dname_size(origin);
		if (l + ol > ZSYNC_NAME_MAXLEN)
			return ZSYNC_EINVAL;
		memcpy(out + l, origin, ol);
	}
	return 0;
}

char *zsync_type_to_text(uint16_t type, char *buf, size_t len)
{
	/* the common types without libknot's lookup and printf (a zone write or journal of
	 * 1M RRsets asked 1M times); the same mnemonics */
	const char *known = NULL;
	switch (type) {
	case KNOT_RRTYPE_A: known = "A"; break;
	case KNOT_RRTYPE_NS: known = "NS"; break;
	case KNOT_RRTYPE_CNAME: known = "CNAME"; break;
	case KNOT_RRTYPE_SOA: known = "SOA"; break;
	case KNOT_RRTYPE_PTR: known = "PTR"; break;
	case KNOT_RRTYPE_MX: known = "MX"; break;
	case KNOT_RRTYPE_TXT: known = "TXT"; break;
	case KNOT_RRTYPE_AAAA: known = "AAAA"; break;
	case KNOT_RRTYPE_SRV: known = "SRV"; break;
	case KNOT_RRTYPE_CAA: known = "CAA"; break;
	case KNOT_RRTYPE_DS: known = "DS"; break;
	}
	if (known && strlen(known) < len) {
		memcpy(buf, known, strlen(known) + 1);
		return buf;
	}
	if (knot_rrtype_to_string(type, buf, len) < 0)
		snprintf(buf, len, "TYPE%u", type);
	return buf;
}

size_t zsync_u32_text(uint32_t v, char *buf)
{
	char tmp[10];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

int zsync_type_from_text(const char *text, uint16_t *type)
{
	char up[32];
	size_t i;

	for (i = 0; text[i] && i < sizeof(up) - 1; i++)
		up[i] = toupper((unsigned char)text[i]);
	up[i] = '\0';
	return knot_rrtype_from_string(up, type) == 0 ? 0 : ZSYNC_EINVAL;
}

size_t zsync_rrset_rdata_size(const struct zsync_rrset *rrset)
{
	const uint8_t *p = rrset->rdata;
	for (uint16_t i = 0; i < rrset->count; i++)
		p = zsync_rdata_next(p);
	return (size_t)(p - rrset->rdata);
}

/*
 * The text of the most common rdata (A, AAAA, a host name, MX, SRV, TXT) as libknot
 * prints it, without its general printer: the length, or -1 to leave it to libknot (an
 * unusual name, a short buffer, another type). check_zone compares the two, also for
 * where AAAA's "::" goes (not where glibc's inet_ntop puts it).
 */
static int plain_rdata_text(uint16_t type, const uint8_t *d, size_t n, char *buf, size_t len)
{
	size_t o = 0, used = 0;
	int l;

	switch (type) {
	case KNOT_RRTYPE_A:
		if (n != 4 || len < 16)
			return -1;
		for (int i = 0; i < 4; i++) {
			if (i)
				buf[o++] = '.';
			o += zsync_u32_text(d[i], buf + o);
		}
		buf[o] = '\0';
		return (int)o;
	case KNOT_RRTYPE_AAAA: {
		static const char hex[] = "0123456789abcdef";
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		size_t best = 0, most = 2;
		if (n != 16 || len < 48)
			return -1;
		if (memcmp(d, mapped, 12) == 0) {
			/* IPv4-mapped: ::ffff: and the dotted quad */
			memcpy(buf, "::ffff:", 7);
			o = 7;
			for (int i = 12; i < 16; i++) {
				o += zsync_u32_text(d[i], buf + o);
				buf[o++] = i < 15 ? '.' : '\0';
			}
			return (int)o - 1;
		}
		/* the eight groups in hex, then the longest stretch of ":0" characters from the
		 * start or a colon (the first of equals), when longer than 3, becomes "::" */
		for (int g = 0; g < 8; g++) {
			unsigned v = (unsigned)d[2 * g] << 8 | d[2 * g + 1];
			bool lead = true;
			if (g)
				buf[o++] = ':';
			for (int sh = 12; sh >= 0; sh -= 4) {
				unsigned x = v >> sh & 15;
				if (lead && !x && sh)
					continue;
				lead = false;
				buf[o++] = hex[x];
			}
		}
		buf[o] = '\0';
		for (size_t i = 0; i < o; i++) {
			if (i && buf[i] != ':')
				continue;
			size_t j = strspn(buf + i, ":0");
			if (j > most)
				best = i, most = j;
		}
		if (most > 3) {
			buf[best] = buf[best + 1] = ':';
			memmove(buf + best + 2, buf + best + most, o - best - most + 1);
			o -= most - 2;
		}
		return (int)o;
	}
	case KNOT_RRTYPE_NS:
	case KNOT_RRTYPE_CNAME:
	case KNOT_RRTYPE_PTR:
		l = plain_name_text(d, n, &used, buf, len);
		return l >= 0 && used == n ? l : -1;
	case KNOT_RRTYPE_MX:
	case KNOT_RRTYPE_SRV: {
		size_t nums = type == KNOT_RRTYPE_MX ? 1 : 3;
		if (n < 2 * nums + 1 || len < 6 * nums + 2)
			return -1;
		for (size_t i = 0; i < nums; i++) {
			o += zsync_u32_text((uint32_t)d[2 * i] << 8 | d[2 * i + 1], buf + o);
			buf[o++] = ' ';
		}
		l = plain_name_text(d + 2 * nums, n - 2 * nums, &used, buf + o, len - o);
		return l >= 0 && used == n - 2 * nums ? (int)o + l : -1;
	}
	case KNOT_RRTYPE_TXT:
		/* "..." strings, space separated; '"' and '\' escaped, bytes outside 0x20-0x7e as \DDD */
		for (size_t i = 0; i < n;) {
			size_t sl = d[i++];
			if (i + sl > n || o + 4 * sl + 4 > len)
				return -1;
			if (o)
				buf[o++] = ' ';
			buf[o++] = '"';
			for (size_t k = 0; k < sl; k++) {
				uint8_t c = d[i + k];
				if (c < 0x20 || c > 0x7e) {
					buf[o++] = '\\';
					buf[o++] = (char)('0' + c / 100);
					buf[o++] = (char)('0' + c / 10 % 10);
					buf[o++] = (char)('0' + c % 10);
					continue;
				}
				if (c == '"' || c == '\\')
					buf[o++] = '\\';
				buf[o++] = (char)c;
			}
			buf[o++] = '"';
			i += sl;
		}
		if (!n || o >= len)
			return -1;
		buf[o] = '\0';
		return (int)o;
	}
	return -1;
}

/*
 * The RFC 3597 section 5 form, `\# LEN HEX`, for rdata libknot declines to print in its
 * type's own syntax (a well-formed SVCB whose port value is 3 octets, an IPSECKEY of an
 * algorithm with no key): every type can be written so, and it reads back to the same
 * octets, so a plan, journal or zone file never shows such a record as empty text.
 */
static int generic_text(const uint8_t *rd, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *d = zsync_rdata_data(rd);
	size_t n = zsync_rdata_len(rd);
	int o = snprintf(buf, len, n ? "\\# %zu " : "\\# 0", n);

	if (o < 0 || (size_t)o + 2 * n >= len) {
		if (len)
			buf[0] = '\0';
		return ZSYNC_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		buf[o++] = hex[d[i] >> 4];
		buf[o++] = hex[d[i] & 15];
	}
	buf[o] = '\0';
	return o;
}

/*
 * Whether libknot's text of this (well-formed) SVCB/HTTPS rdata reads back to the same
 * octets. libzscanner (3.2) sorts a `mandatory` list, wants every key it names among the
 * parameters (and never `mandatory` itself), and takes `alpn`, `port`, the hints and `ech`
 * only in their RFC 9460 section 7 forms; libknot prints whatever the octets are. Rdata
 * outside those forms (from a server or an API) is written in the RFC 3597 form instead.
 */
static bool svcb_presentable(const uint8_t *d, size_t n)
{
	const uint8_t *p = d + 2 + knot_dname_size(d + 2), *end = d + n, *mand = NULL;
	size_t mand_len = 0;

	for (; p < end; p += 4 + ((size_t)p[2] << 8 | p[3])) {
		unsigned key = (unsigned)p[0] << 8 | p[1];
		size_t len = (size_t)p[2] << 8 | p[3];
		const uint8_t *v = p + 4;
		switch (key) {
		case KNOT_SVCB_PARAM_MANDATORY:
			if (len == 0)
				return false;
			for (size_t i = 0; i < len; i += 2) {
				unsigned k = (unsigned)v[i] << 8 | v[i + 1];
				if (k == 0 || (i && k <= ((unsigned)v[i - 2] << 8 | v[i - 1])))
					return false;
			}
			mand = v;
			mand_len = len;
			break;
		case KNOT_SVCB_PARAM_ALPN:
			/* ids are printed unquoted, one that holds a space quoted on its own
			 * (which libzscanner does not read in a list): a space, `;` (a comment)
			 * or a parenthesis (a multi-line record) does not read back */
			if (len == 0)
				return false;
			for (const uint8_t *q = v; q < v + len; q += 1 + *q) {
				if (*q == 0 || (size_t)(v + len - q) < 1 + (size_t)*q)
					return false;
				/* libzscanner 3.2 reads a one-octet id only as the last ("alpn=a,b":
				 * "empty comma-separated list item") */
				if (*q == 1 && q + 2 < v + len)
					return false;
				for (size_t k = 1; k <= *q; k++)
					if (q[k] == ' ' || q[k] == ';' || q[k] == '(' || q[k] == ')')
						return false;
				/* and it misreads an id that begins with an escaped `,` or `\` or ends
				 * with a `\`, and a `\` beside another or beside a `,` */
				if (q[1] == ',' || q[1] == '\\' || q[*q] == '\\')
					return false;
				for (size_t k = 2; k <= *q; k++)
					if ((q[k] == '\\' && (q[k - 1] == '\\' || q[k - 1] == ',')) ||
					    (q[k] == ',' && q[k - 1] == '\\'))
						return false;
			}
			break;
		case KNOT_SVCB_PARAM_NDALPN:
			if (len != 0)
				return false;
			break;
		case KNOT_SVCB_PARAM_PORT:
			if (len != 2)
				return false;
			break;
		case KNOT_SVCB_PARAM_IPV4HINT:
			if (len == 0 || len % 4)
				return false;
			break;
		case KNOT_SVCB_PARAM_ECH:
			if (len == 0)
				return false;
			break;
		case KNOT_SVCB_PARAM_IPV6HINT:
			if (len == 0 || len % 16)
				return false;
			break;
		}
	}
	/* every key `mandatory` names is there (both lists ascend) */
	p = d + 2 + knot_dname_size(d + 2);
	for (size_t i = 0; i < mand_len; i += 2) {
		while (p < end && ((unsigned)p[0] << 8 | p[1]) < ((unsigned)mand[i] << 8 | mand[i + 1]))
			p += 4 + ((size_t)p[2] << 8 | p[3]);
		if (p >= end || p[0] != mand[i] || p[1] != mand[i + 1])
			return false;
	}
	return true;
}

/*
 * libknot prints a CAA tag unquoted, as its octets are: one that is empty or holds a space,
 * `;` or a parenthesis reads back as something else. Tags of letters and digits only, as
 * RFC 8659 section 4.1 allows (other tags, some of which would read back, are written in
 * the RFC 3597 form; longer than its 15 read back as they are).
 */
static bool caa_presentable(const uint8_t *d, size_t n)
{
	if (n < 2 || d[1] == 0 || (size_t)d[1] + 2 > n)
		return false;
	for (size_t i = 0; i < d[1]; i++)
		if (!((d[2 + i] >= '0' && d[2 + i] <= '9') || ((d[2 + i] | 0x20) >= 'a' && (d[2 + i] | 0x20) <= 'z')))
			return false;
	return true;
}

/*
 * libknot names some types that libzscanner does not read by name (NULL, SIG, OPT, TKEY,
 * TSIG, IXFR, AXFR, ANY; 253 and 254 it prints as TYPEn): a zone file written with their
 * names would not load again.
 */
static bool scanner_reads(uint16_t type)
{
	return type != 10 && type != 24 && type != 41 && (type < 249 || type > 252) && type != 255;
}

/*
 * A type bit map (of well-formed NSEC, NSEC3 or CSYNC rdata) whose every type libzscanner
 * reads by the name libknot prints (scanner_reads).
 */
static bool bitmap_presentable(uint16_t type, const uint8_t *d, size_t n)
{
	size_t o;

	if (type == KNOT_RRTYPE_NSEC)
		o = knot_dname_size(d);
	else if (type == KNOT_RRTYPE_CSYNC)
		o = 6;
	else
		o = 5 + d[4], o += 1 + d[o];
	if (o + 2 > n || d[o] != 0)
		return true; /* no window 0: those types are all in it */
	const uint8_t *w = d + o + 2;
	unsigned wl = d[o + 1];
	for (unsigned t = 0; t < 8 * wl; t++)
		if ((w[t / 8] & (0x80 >> (t % 8))) && !scanner_reads((uint16_t)t))
			return false;
	return true;
}

/*
 * LOC (RFC 1876) as libzscanner reads it back: version 0, 16 octets, latitude and
 * longitude whose degrees are at most 90 and 180 (the octets can say more; libknot prints
 * it, libzscanner refuses a degree field past those), and a size or precision of zero
 * written 0e0 (libknot prints 0e3 as "0m", which reads back as 0e0).
 */
static bool loc_presentable(const uint8_t *d, size_t n)
{
	const uint32_t zero = 1u << 31;

	if (n != 16 || d[0] != 0)
		return false;
	/* size and precisions: a mantissa and an exponent of 0-9 each, zero only as 0e0 */
	for (int i = 1; i <= 3; i++)
		if ((d[i] >> 4) > 9 || (d[i] & 15) > 9 || ((d[i] >> 4) == 0 && (d[i] & 15) != 0))
			return false;
	uint32_t lat = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
	uint32_t lon = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
	return (lat >= zero ? lat - zero : zero - lat) < 91u * 3600000 &&
	       (lon >= zero ? lon - zero : zero - lon) < 181u * 3600000;
}

/*
 * APL items (RFC 3123) as libzscanner writes them: family 1 or 2, a prefix within the
 * address, the address part within the address's size and without trailing zero octets
 * ("MUST NOT be sent"; printed, they read back shorter).
 */
static bool apl_presentable(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (n - i < 4)
			return false;
		unsigned family = (unsigned)d[i] << 8 | d[i + 1], prefix = d[i + 2], afd = d[i + 3] & 0x7f;
		unsigned size = family == 1 ? 4 : family == 2 ? 16 : 0;
		if (!size || prefix > 8 * size || afd > size || n - i - 4 < afd || (afd && d[i + 3 + afd] == 0))
			return false;
		i += 4 + afd;
	}
	return true;
}

/*
 * The fixed fields libknot's dumper reads before it checks what is left: its one-octet
 * number reads the octet first (knot 3.2 wire_num8_to_str), so a DS of 2 octets was read
 * one past its end. These types' descriptors say only "remainder".
 */
static size_t dump_prefix(uint16_t type)
{
	switch (type) {
	case KNOT_RRTYPE_DS:
	case KNOT_RRTYPE_CDS:
	case KNOT_RRTYPE_DNSKEY:
	case KNOT_RRTYPE_CDNSKEY:
	case KNOT_RRTYPE_KEY:
		return 4;
	case KNOT_RRTYPE_SSHFP:
		return 2;
	case KNOT_RRTYPE_TLSA:
	case KNOT_RRTYPE_SMIMEA:
		return 3;
	case KNOT_RRTYPE_CERT:
		return 5;
	case KNOT_RRTYPE_ZONEMD:
		return 6;
	}
	return 0;
}

/* zsync_rdata_to_text, returning the text's length. */
static int rdata_text(uint16_t type, const uint8_t *rd, char *buf, size_t len)
{
	knot_rrset_t rr;
	uint8_t owner[1] = { 0 };
	int n = plain_rdata_text(type, zsync_rdata_data(rd), zsync_rdata_len(rd), buf, len);

	if (n >= 0)
		return n;
	/* types libzscanner has no syntax for (TSIG): only the RFC 3597 form reads back */
	if (!scanner_reads(type) || zsync_rdata_len(rd) < dump_prefix(type))
		return generic_text(rd, buf, len);
	if ((type == KNOT_RRTYPE_SVCB || type == KNOT_RRTYPE_HTTPS) &&
	    !svcb_presentable(zsync_rdata_data(rd), zsync_rdata_len(rd)))
		return generic_text(rd, buf, len);
	if (type == KNOT_RRTYPE_CAA && !caa_presentable(zsync_rdata_data(rd), zsync_rdata_len(rd)))
		return generic_text(rd, buf, len);
	if (type == KNOT_RRTYPE_LOC && !loc_presentable(zsync_rdata_data(rd), zsync_rdata_len(rd)))
		return generic_text(rd, buf, len);
	if (type == KNOT_RRTYPE_APL && !apl_presentable(zsync_rdata_data(rd), zsync_rdata_len(rd)))
		return generic_text(rd, buf, len);
	if (type == KNOT_RRTYPE_RRSIG &&
	    !scanner_reads((uint16_t)(zsync_rdata_data(rd)[0] << 8 | zsync_rdata_data(rd)[1])))
		return generic_text(rd, buf, len);
	if ((type == KNOT_RRTYPE_NSEC || type == KNOT_RRTYPE_NSEC3 || type == KNOT_RRTYPE_CSYNC) &&
	    !bitmap_presentable(type, zsync_rdata_data(rd), zsync_rdata_len(rd)))
		return generic_text(rd, buf, len);
	knot_rrset_init(&rr, owner, type, KNOT_CLASS_IN, 0);
	rr.rrs.count = 1;
	rr.rrs.size = knot_rdata_size(zsync_rdata_len(rd));
	rr.rrs.rdata = (knot_rdata_t *)rd;
	/* RRSIG's times as numbers: libknot prints a date read in serial arithmetic from
	 * now, which for a time over 2^31 s ahead is before 1970 and never reads back */
	knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;
	style.human_timestamp = type != KNOT_RRTYPE_RRSIG;
	n = knot_rrset_txt_dump_data(&rr, 0, buf, len, &style);
	if (n < 0)
		return generic_text(rd, buf, len);
	while (n > 0 && buf[n - 1] == ' ') /* knot leaves a separator after some types (CAA) */
		buf[--n] = '\0';
	return (int)strlen(buf);
}

int zsync_rdata_to_text(uint16_t type, const uint8_t *rd, char *buf, size_t len)
{
	return rdata_text(type, rd, buf, len) < 0 ? ZSYNC_EINVAL : 0;
}

const uint8_t *zsync_rdata_target(uint16_t type, const uint8_t *rd)
{
	uint16_t len = zsync_rdata_len(rd);
	const uint8_t *d = zsync_rdata_data(rd);
	size_t off;

	switch (type) {
	case ZSYNC_TYPE_NS:
	case ZSYNC_TYPE_CNAME:
	case ZSYNC_TYPE_DNAME:
	case ZSYNC_TYPE_PTR:
		off = 0;
		break;
	case ZSYNC_TYPE_MX:
		off = 2;
		break;
	case ZSYNC_TYPE_SRV:
		off = 6;
		break;
	default:
		return NULL;
	}
	if (len <= off || knot_dname_wire_check(d + off, d + len, NULL) <= 0)
		return NULL;
	return d + off;
}

/* Word-at-a-time multiplicative hash of owner and type: owners are 20-60 octets. */
static uint64_t rrset_hash(const uint8_t *owner, size_t olen, uint16_t type)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)type << 32) ^ olen, w;
	size_t i = 0;

	for (; i + 8 <= olen; i += 8) {
		memcpy(&w, owner + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, owner + i, olen - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

struct zsync_zone *zsync_zone_new(const char *origin, struct zsync_err *err)
{
	struct zsync_zone *z = zsync_xcalloc(1, sizeof(*z));

	if (zsync_name_from_text(origin, (const uint8_t *)"", z->origin) < 0 ||
	    strcmp(origin, "@") == 0) {
		zsync_err_set(err, ZSYNC_EINVAL, "invalid zone name '%s'", origin);
		free(z);
		return NULL;
	}
	knot_dname_to_lower(z->origin);
	{
		char name[ZSYNC_NAME_TXT_MAXLEN + 1];
		z->name = zsync_xstrdup(zsync_name_to_text(z->origin, name, sizeof(name)));
	}
	/* small to start (an empty provider zone, a 20-RRset zone): both grow by doubling */
	z->cap = 16;
	z->slots = zsync_big_calloc(z->cap * sizeof(*z->slots));
	z->rrsets_cap = 4;
	z->rrsets = zsync_xmalloc(z->rrsets_cap * sizeof(*z->rrsets));
	z->budget.max_files = ZSYNC_INCLUDE_MAX_FILES;
	z->budget.max_bytes = ZSYNC_INCLUDE_MAX_BYTES;
	return z;
}

void zsync_zone_set_include_budget(struct zsync_zone *z, const struct zsync_include_budget *b)
{
	z->budget = *b;
	if (z->budget.max_files > ZSYNC_INCLUDE_MAX_FILES_LIMIT)
		z->budget.max_files = ZSYNC_INCLUDE_MAX_FILES_LIMIT;
}

static void bulk_free(struct bulk *b);

void zsync_zone_free(struct zsync_zone *z)
{
	if (!z)
		return;
	bulk_free(z->bulk); /* a load that never ended */
	zsync_arena_release(&z->arena);
	zsync_big_free(z->slots, z->cap * sizeof(*z->slots));
	free(z->rrsets);
	free(z->sorted);
	for (uint16_t i = 0; i < z->nfiles; i++)
		free(z->files[i]);
	free(z->files);
	free(z->name);
	free(z);
}

const char *zsync_zone_name(const struct zsync_zone *z)
{
	return z->name;
}

const uint8_t *zsync_zone_origin(const struct zsync_zone *z)
{
	return z->origin;
}

size_t zsync_zone_rrset_count(const struct zsync_zone *z)
{
	return z->used;
}

size_t zsync_zone_record_count(const struct zsync_zone *z)
{
	return z->records;
}

size_t zsync_zone_heap_bytes(const struct zsync_zone *z)
{
	size_t n = z->arena.reserved_bytes + z->cap * sizeof(*z->slots) +
		   z->rrsets_cap * sizeof(*z->rrsets);
	if (z->sorted)
		n += z->used * (sizeof(*z->sorted) + 1);
	return n;
}

const char *zsync_zone_file(const struct zsync_zone *z, uint16_t idx)
{
	return idx < z->nfiles ? z->files[idx] : "";
}

size_t zsync_zone_iter_count(const struct zsync_zone *z)
{
	return z->nrrsets;
}

const struct zsync_rrset *zsync_zone_iter(const struct zsync_zone *z, size_t i)
{
	return i < z->nrrsets && z->rrsets[i].count ? &z->rrsets[i] : NULL;
}

static uint16_t zone_file_index(const struct zsync_zone *z, const char *path)
{
	for (uint16_t i = 0; i < z->nfiles; i++)
		if (strcmp(z->files[i], path) == 0)
			return i;
	return UINT16_MAX;
}

static uint16_t zone_add_file(struct zsync_zone *z, const char *path)
{
	uint16_t i = zone_file_index(z, path);
	if (i != UINT16_MAX)
		return i;
	z->files = zsync_xrealloc(z->files, (z->nfiles + 1) * sizeof(*z->files));
	z->files[z->nfiles] = zsync_xstrdup(path);
	return z->nfiles++;
}

/* Slot of (owner, type): the RRset's if present, else the empty slot to fill. */
static size_t zone_probe(const struct zsync_zone *z, const uint8_t *owner, size_t olen,
			 uint16_t type, uint64_t h)
{
	uint32_t tag = (uint32_t)(h >> 32);
	size_t mask = z->cap - 1, i = tag & mask, first_free = SIZE_MAX;

	for (;;) {
		uint64_t s = z->slots[i];
		if (!s)
			return first_free != SIZE_MAX ? first_free : i;
		if (s == TOMBSTONE) {
			if (first_free == SIZE_MAX)
				first_free = i;
		} else if (SLOT_TAG(s) == tag) {
			const struct zsync_rrset *r = &z->rrsets[SLOT_INDEX(s)];
			if (r->type == type && r->owner_len == olen && memcmp(r->owner, owner, olen) == 0)
				return i;
		}
		i = (i + 1) & mask;
	}
}

/* The live RRset in slot i, or NULL. */
static struct zsync_rrset *slot_rrset(const struct zsync_zone *z, size_t i)
{
	uint64_t s = z->slots[i];
	return s && s != TOMBSTONE ? &z->rrsets[SLOT_INDEX(s)] : NULL;
}

static void zone_grow(struct zsync_zone *z)
{
	uint64_t *old = z->slots;
	size_t oldcap = z->cap;

	/* grow only when live entries need it; otherwise rehashing drops the tombstones */
	if ((z->used + 1) * 4 > z->cap * 2)
		z->cap *= 2;
	z->slots = zsync_big_calloc(z->cap * sizeof(*z->slots));
	z->tombstones = 0;
	for (size_t i = 0; i < oldcap; i++) {
		uint64_t s = old[i];
		if (s && s != TOMBSTONE) {
			/* the position comes from the tag, so growing never touches the RRsets */
			size_t j = SLOT_TAG(s) & (z->cap - 1);
			while (z->slots[j])
				j = (j + 1) & (z->cap - 1);
			z->slots[j] = s;
		}
	}
	zsync_big_free(old, oldcap * sizeof(*old));
}

static int rdata_cmp(const uint8_t *a, const uint8_t *b);

/* Gives back the unused tail of the RRset vector once a zone is loaded. */
static void zone_shrink(struct zsync_zone *z)
{
	if (z->nrrsets && z->nrrsets < z->rrsets_cap) {
		z->rrsets = zsync_xrealloc(z->rrsets, z->nrrsets * sizeof(*z->rrsets));
		z->rrsets_cap = z->nrrsets;
	}
}

int zsync_rdata_cmp(const uint8_t *a, const uint8_t *b)
{
	return rdata_cmp(a, b);
}

static int rdata_cmp(const uint8_t *a, const uint8_t *b)
{
	uint16_t la = zsync_rdata_len(a), lb = zsync_rdata_len(b);
	int c = memcmp(a + 2, b + 2, la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

enum add_result { ADD_NEW = 0, ADD_DUPLICATE = 1, ADD_TTL_DIFFERS = 2, ADD_TOO_MANY = 3 };

/*
 * Big RRsets while a zone loads. Sorted insertion scans and moves the RRset for every
 * record, quadratic in its size (a 65,535-record RRset took minutes); from BULK_MIN
 * records on, an RRset takes its records at the end, a hash set of its records finds
 * the duplicates, and bulk_finish() sorts each such RRset once at the end of the load.
 */
#define BULK_MIN 64

struct bulk_set {
	uint32_t rrset;              /* index in z->rrsets */
	uint16_t sorted;             /* the first records, in order already (before bulk_start) */
	size_t size, cap;            /* bytes of rdata used and allocated */
};

struct bulk_item {
	uint64_t hash;
	uint32_t set;                /* index in sets + 1; 0: empty slot */
	uint32_t off;                /* the record's offset in its RRset's rdata */
};

struct bulk {
	struct bulk_set *sets;
	size_t nsets;
	uint32_t *by_rrset;          /* open addressing: rrset index + 1 -> ... set index, 0 empty */
	uint32_t *by_rrset_set;
	size_t map_cap;
	struct bulk_item *items;
	size_t items_cap, nitems;
};

static uint64_t bytes_hash(const uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL ^ n;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static struct bulk_set *bulk_find(struct bulk *b, uint32_t idx)
{
	if (!b->map_cap)
		return NULL;
	for (size_t i = (idx * 2654435761u) & (b->map_cap - 1);; i = (i + 1) & (b->map_cap - 1)) {
		if (!b->by_rrset[i])
			return NULL;
		if (b->by_rrset[i] == idx + 1)
			return &b->sets[b->by_rrset_set[i]];
	}
}

static void bulk_map_put(struct bulk *b, uint32_t idx, uint32_t set)
{
	size_t i = (idx * 2654435761u) & (b->map_cap - 1);
	while (b->by_rrset[i])
		i = (i + 1) & (b->map_cap - 1);
	b->by_rrset[i] = idx + 1;
	b->by_rrset_set[i] = set;
}

static void bulk_item_put(struct bulk *b, uint64_t h, uint32_t set, uint32_t off);

static void bulk_items_grow(struct bulk *b)
{
	struct bulk_item *old = b->items;
	size_t oldcap = b->items_cap;
	b->items_cap = oldcap ? oldcap * 2 : 1024;
	b->items = zsync_xcalloc(b->items_cap, sizeof(*b->items));
	b->nitems = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].set)
			bulk_item_put(b, old[i].hash, old[i].set, old[i].off);
	free(old);
}

static void bulk_item_put(struct bulk *b, uint64_t h, uint32_t set, uint32_t off)
{
	if ((b->nitems + 1) * 4 > b->items_cap * 3)
		bulk_items_grow(b);
	size_t i = h & (b->items_cap - 1);
	while (b->items[i].set)
		i = (i + 1) & (b->items_cap - 1);
	b->items[i] = (struct bulk_item){ h, set, off };
	b->nitems++;
}

/* r (count == BULK_MIN, sorted) becomes a bulk RRset: its records go into the hash set. */
static struct bulk_set *bulk_start(struct zsync_zone *z, struct zsync_rrset *r)
{
	struct bulk *b = z->bulk;
	uint32_t idx = (uint32_t)(r - z->rrsets), set = (uint32_t)b->nsets;
	const uint8_t *p = r->rdata;

	if ((b->nsets + 1) * 2 > b->map_cap) {
		uint32_t *ok = b->by_rrset, *os = b->by_rrset_set;
		size_t oc = b->map_cap;
		b->map_cap = oc ? oc * 2 : 64;
		b->by_rrset = zsync_xcalloc(b->map_cap, sizeof(*b->by_rrset));
		b->by_rrset_set = zsync_xcalloc(b->map_cap, sizeof(*b->by_rrset_set));
		for (size_t i = 0; i < oc; i++)
			if (ok[i])
				bulk_map_put(b, ok[i] - 1, os[i]);
		free(ok);
		free(os);
	}
	b->sets = zsync_xrealloc(b->sets, (b->nsets + 1) * sizeof(*b->sets));
	b->sets[set] = (struct bulk_set){ idx, r->count, zsync_rrset_rdata_size(r), zsync_rrset_rdata_size(r) };
	b->nsets++;
	bulk_map_put(b, idx, set);
	for (uint16_t i = 0; i < r->count; i++, p = zsync_rdata_next(p))
		bulk_item_put(b, bytes_hash(p, 2 + zsync_rdata_len(p), idx), set + 1,
			      (uint32_t)(p - r->rdata));
	return &b->sets[set];
}

/* zone_insert's path for an RRset of BULK_MIN records or more (while loading). */
static int zone_insert_bulk(struct zsync_zone *z, struct zsync_rrset *r, struct bulk_set *bs,
			    uint32_t ttl, const uint8_t *item, size_t isize)
{
	struct bulk *b = z->bulk;
	uint32_t set = (uint32_t)(bs - b->sets) + 1, idx = bs->rrset;
	uint64_t h = bytes_hash(item, 2 + zsync_rdata_len(item), idx);

	for (size_t i = h & (b->items_cap - 1); b->items[i].set; i = (i + 1) & (b->items_cap - 1)) {
		const struct bulk_item *it = &b->items[i];
		if (it->hash == h && it->set == set &&
		    rdata_cmp(r->rdata + it->off, item) == 0)
			return ADD_DUPLICATE;
	}
	if (r->count == UINT16_MAX) {
		bool first = !(r->flags & ZSYNC_RRSET_TOO_MANY);
		r->flags |= ZSYNC_RRSET_TOO_MANY;
		return first ? ADD_TOO_MANY : ADD_NEW;
	}
	if (bs->size + isize > bs->cap &&
	    zsync_arena_extend(&z->arena, r->rdata, bs->cap, bs->size + isize) == 0) {
		bs->cap = bs->size + isize; /* the RRset is at the arena's top: grown in place */
	} else if (bs->size + isize > bs->cap) {
		size_t cap = (bs->size + isize) * 2;
		uint8_t *n = zsync_arena_alloc(&z->arena, cap, 2);
		memcpy(n, r->rdata, bs->size);
		r->rdata = n;
		bs->cap = cap;
	}
	memcpy(r->rdata + bs->size, item, isize);
	bulk_item_put(b, h, set, (uint32_t)bs->size);
	bs->size += isize;
	r->count++;
	z->records++;
	if (r->ttl != ttl) {
		r->flags |= ZSYNC_RRSET_TTL_MIXED;
		return ADD_TTL_DIFFERS;
	}
	return ADD_NEW;
}

static int item_pcmp(const void *a, const void *b)
{
	return rdata_cmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b);
}

/* The end of a load: every bulk RRset sorted into canonical order, once. */
static void bulk_finish(struct zsync_zone *z)
{
	struct bulk *b = z->bulk;

	if (!b)
		return;
	for (size_t k = 0; k < b->nsets; k++) {
		struct zsync_rrset *r = &z->rrsets[b->sets[k].rrset];
		const uint8_t **v = zsync_xmalloc(r->count * sizeof(*v));
		const uint8_t *p = r->rdata;
		for (uint16_t i = 0; i < r->count; i++, p = zsync_rdata_next(p))
			v[i] = p;
		/* the records added in bulk are sorted, then merged with the ordered first ones
		 * (one record added to a big RRset costs O(n), as it did before) */
		uint16_t s0 = b->sets[k].sorted, a = 0, c = s0;
		qsort(v + s0, r->count - s0, sizeof(*v), item_pcmp);
		uint8_t *n = zsync_arena_alloc(&z->arena, b->sets[k].size, 2), *o = n;
		if (s0 == 0 || (c < r->count && rdata_cmp(v[c], v[0]) < 0))
			r->flags |= ZSYNC_RRSET_LINE_NOT_FIRST;
		while (a < s0 || c < r->count) {
			const uint8_t *next = c >= r->count || (a < s0 && rdata_cmp(v[a], v[c]) < 0) ? v[a++] : v[c++];
			size_t sz = knot_rdata_size(zsync_rdata_len(next));
			memcpy(o, next, sz);
			o += sz;
		}
		r->rdata = n;
		free(v);
	}
	bulk_free(b);
	z->bulk = NULL;
}

static void bulk_free(struct bulk *b)
{
	if (!b)
		return;
	free(b->sets);
	free(b->by_rrset);
	free(b->by_rrset_set);
	free(b->items);
	free(b);
}

/*
 * Adds one canonical record (owner lower-case, rdata item in knot_rdata_t layout, h its
 * rrset_hash()).
 * Returns enum add_result; *rrset_out is the RRset it went to.
 */
/* A frozen zone may be read by other threads: changing it is a bug, found here at once. */
static void check_mutable(const struct zsync_zone *z)
{
	if (z->frozen) {
		fprintf(stderr, "zonesync: internal error: zone '%s' changed after it was frozen\n", z->name);
		abort();
	}
}

void zsync_zone_freeze(struct zsync_zone *z)
{
	size_t n;
	if (!z || z->frozen)
		return;
	zsync_zone_sorted(z, &n); /* the one lazily built cache: built now, only read later */
	z->frozen = true;
}

bool zsync_zone_frozen(const struct zsync_zone *z)
{
	return z->frozen;
}

static int zone_insert(struct zsync_zone *z, const uint8_t *owner, size_t olen, uint16_t type,
		       uint32_t ttl, uint16_t file, uint32_t line, const uint8_t *item, uint64_t h,
		       const struct zsync_rrset **rrset_out)
{
	check_mutable(z);
	size_t isize = knot_rdata_size(zsync_rdata_len(item));
	size_t slot;
	struct zsync_rrset *r;

	if ((z->used + z->tombstones + 1) * 4 > z->cap * 3)
		zone_grow(z);
	if (olen > ZSYNC_NAME_MAXLEN)
		abort();
	slot = zone_probe(z, owner, olen, type, h);
	r = slot_rrset(z, slot);
	if (!r) {
		if (z->slots[slot] == TOMBSTONE)
			z->tombstones--;
		if (z->nrrsets == z->rrsets_cap) {
			if (z->nrrsets >= UINT32_MAX - 1)
				abort(); /* 4 billion RRsets: far beyond any zone */
			z->rrsets_cap *= 2;
			z->rrsets = zsync_xrealloc(z->rrsets, z->rrsets_cap * sizeof(*z->rrsets));
		}
		r = &z->rrsets[z->nrrsets];
		if (z->last_owner && z->last_owner_len == olen &&
		    memcmp(z->last_owner, owner, olen) == 0) {
			r->owner = z->last_owner;
		} else {
			uint8_t *o = zsync_arena_alloc(&z->arena, olen, 1);
			memcpy(o, owner, olen);
			r->owner = z->last_owner = o;
			z->last_owner_len = olen;
		}
		r->rdata = zsync_arena_alloc(&z->arena, isize, 2);
		memcpy(r->rdata, item, isize);
		r->ttl = ttl;
		r->line = line;
		r->type = type;
		r->count = 1;
		r->file = file;
		r->flags = 0;
		r->owner_len = (uint8_t)olen;
		z->slots[slot] = ((uint64_t)(uint32_t)(h >> 32) << 32) | (uint64_t)(z->nrrsets + 1);
		z->nrrsets++;
		z->used++;
		z->records++;
		free(z->sorted);
		z->sorted = NULL;
		*rrset_out = r;
		return ADD_NEW;
	}

	*rrset_out = r;
	if (z->bulk) {
		struct bulk_set *bs = bulk_find(z->bulk, (uint32_t)(r - z->rrsets));
		if (!bs && r->count >= BULK_MIN)
			bs = bulk_start(z, r);
		if (bs)
			return zone_insert_bulk(z, r, bs, ttl, item, isize);
	}
	/* find the sorted position; equal means a duplicate record */
	uint8_t *p = r->rdata;
	uint16_t i;
	for (i = 0; i < r->count; i++) {
		int c = rdata_cmp(p, item);
		if (c == 0)
			return ADD_DUPLICATE;
		if (c > 0)
			break;
		p = (uint8_t *)zsync_rdata_next(p);
	}
	if (r->count == UINT16_MAX) {
		/* DNS messages count records in 16 bits (RFC 1035 4.1.1): the error says so once */
		bool first = !(r->flags & ZSYNC_RRSET_TOO_MANY);
		r->flags |= ZSYNC_RRSET_TOO_MANY;
		return first ? ADD_TOO_MANY : ADD_NEW;
	}
	size_t before = (size_t)(p - r->rdata);
	size_t total = zsync_rrset_rdata_size(r);
	if (zsync_arena_extend(&z->arena, r->rdata, total, total + isize) != 0) {
		uint8_t *n = zsync_arena_alloc(&z->arena, total + isize, 2);
		memcpy(n, r->rdata, total);
		r->rdata = n;
	}
	memmove(r->rdata + before + isize, r->rdata + before, total - before);
	memcpy(r->rdata + before, item, isize);
	if (i == 0)
		r->flags |= ZSYNC_RRSET_LINE_NOT_FIRST; /* the record at r->line is item 0 no more */
	r->count++;
	z->records++;
	if (r->ttl != ttl) {
		r->flags |= ZSYNC_RRSET_TTL_MIXED;
		return ADD_TTL_DIFFERS;
	}
	return ADD_NEW;
}

/*
 * An RFC 4034 section 4.1.2 type bit map: windows in increasing order, each 1-32 octets,
 * the last non-zero ("trailing zero octets MUST be omitted"; with them the text reads
 * back to other octets).
 */
static bool bitmap_well_formed(const uint8_t *p, const uint8_t *end)
{
	int last = -1;

	while (p < end) {
		if (end - p < 2 || p[0] <= last || p[1] < 1 || p[1] > 32 || end - p - 2 < p[1] ||
		    p[1 + p[1]] == 0)
			return false;
		last = p[0];
		p += 2 + p[1];
	}
	return true;
}

/* A character-string-like field: a length octet, then that many octets, within end. */
static bool counted_field(const uint8_t **p, const uint8_t *end)
{
	if (*p >= end || end - *p - 1 < **p)
		return false;
	*p += 1 + **p;
	return true;
}

/*
 * The remainder of types whose remainder has inner lengths. libknot's text dumper (3.2)
 * trusts them: NSEC3's salt and hash lengths, NSEC3PARAM's salt length and TSIG's MAC and
 * other lengths are not checked against the rdata's end, SVCB's target and IPSECKEY's
 * gateway name are measured with knot_dname_size, and an odd-length `mandatory` reads a
 * key half past its value: rdata from a server or an API (or RFC 3597 text) that lies
 * there made the dump read far past the record (found by make fuzz's fuzz_axfr).
 */
static bool remainder_well_formed(uint16_t type, const uint8_t *p, const uint8_t *end)
{
	int n;

	switch (type) {
	case KNOT_RRTYPE_NSEC:
		return bitmap_well_formed(p, end);
	case KNOT_RRTYPE_CSYNC:
		return end - p >= 6 && bitmap_well_formed(p + 6, end);
	case KNOT_RRTYPE_NSEC3:
		/* algorithm, flags, iterations; salt; next hashed owner (1-255 octets); bit map */
		if (end - p < 4)
			return false;
		p += 4;
		if (!counted_field(&p, end) || p >= end || *p == 0 || !counted_field(&p, end))
			return false;
		return bitmap_well_formed(p, end);
	case KNOT_RRTYPE_NSEC3PARAM:
		if (end - p < 4)
			return false;
		p += 4;
		return counted_field(&p, end) && p == end;
	case KNOT_RRTYPE_IPSECKEY:
		/* precedence, gateway type, algorithm, gateway (RFC 4025 section 2.5), key */
		if (end - p < 3)
			return false;
		switch (p[1]) {
		case 0:
			return true;
		case 1:
			return end - p >= 3 + 4;
		case 2:
			return end - p >= 3 + 16;
		case 3:
			return knot_dname_wire_check(p + 3, end, NULL) > 0;
		}
		return false;
	case KNOT_RRTYPE_SVCB:
	case KNOT_RRTYPE_HTTPS: {
		/* priority, target, then parameters in strictly increasing key order (RFC 9460 2.2) */
		long last = -1;
		if (end - p < 3 || (n = knot_dname_wire_check(p + 2, end, NULL)) <= 0)
			return false;
		for (p += 2 + n; p < end;) {
			if (end - p < 4)
				return false;
			unsigned key = (unsigned)p[0] << 8 | p[1], len = (unsigned)p[2] << 8 | p[3];
			if ((long)key <= last || (size_t)(end - p - 4) < len ||
			    (key == KNOT_SVCB_PARAM_MANDATORY && len % 2))
				return false;
			last = key;
			p += 4 + len;
		}
		return true;
	}
	case KNOT_RRTYPE_TSIG:
		/* time signed (6), fudge, MAC size and MAC, original id, error, other len and data */
		if (end - p < 10 || (size_t)(end - p - 10) < ((size_t)p[8] << 8 | p[9]))
			return false;
		p += 10 + ((size_t)p[8] << 8 | p[9]);
		if (end - p < 6 || (size_t)(end - p - 6) != ((size_t)p[4] << 8 | p[5]))
			return false;
		return true;
	}
	return true;
}

/*
 * True when rdata has the wire format its type's descriptor says: fixed-size fields fit,
 * names are well-formed and uncompressed, nothing trails. libknot's canonical lowering
 * walks the descriptor without these checks, so a short RFC 3597 form of a known type
 * (`x SIG \# 2 0102`) would make it read, and lower, bytes past the rdata; the remainders
 * with inner lengths are checked too (remainder_well_formed). Types libknot has no format
 * for are opaque and always well-formed.
 */
bool zsync_rdata_well_formed(uint16_t type, const uint8_t *rdata, size_t len)
{
	const knot_rdata_descriptor_t *desc = knot_get_rdata_descriptor(type);
	const uint8_t *p = rdata, *end = rdata + len;

	/* the descriptor knot_rrset_rr_to_canonical walks: an obsolete type's (MD, MF, MB,
	 * MG, MR, PX, NXT...) when the type has no current one */
	if (desc && desc->type_name == NULL)
		desc = knot_get_obsolete_rdata_descriptor(type);
	if (!desc || desc->type_name == NULL)
		return true;
	/* empty rdata of a type with a format is malformed: libzscanner refuses `\# 0` for
	 * the types it has a syntax for, and the others (OPT, the meta types) are no zone
	 * data; but APL's, an APL without items, and NULL's, read as `TYPE10 \# 0` */
	if (len == 0 && type != KNOT_RRTYPE_APL && type != KNOT_RRTYPE_NULL)
		return false;
	for (int i = 0; i < KNOT_MAX_RDATA_BLOCKS; i++) {
		int block = desc->block_types[i];
		if (block == KNOT_RDATA_WF_END)
			return p == end;
		if (block > 0) {
			if (end - p < block)
				return false;
			p += block;
		} else if (block == KNOT_RDATA_WF_REMAINDER) {
			return remainder_well_formed(type, p, end);
		} else if (block == KNOT_RDATA_WF_NAPTR_HEADER) {
			/* order, preference, then flags, services and regexp character-strings */
			if (end - p < 4)
				return false;
			p += 4;
			for (int k = 0; k < 3; k++) {
				if (p >= end || end - p < 1 + *p)
					return false;
				p += 1 + *p;
			}
		} else {
			int n = knot_dname_wire_check(p, end, NULL);
			if (n <= 0)
				return false;
			p += n;
		}
	}
	return p == end;
}

/* Copies owner+rdata into the scratch buffer in canonical form; owner is lowered in place. */
/* item (a knot_rdata_t) and owner in canonical form, in place. */
static void canonical_in_place(uint8_t *item, uint8_t *owner, uint16_t type)
{
	knot_rrset_t rr;

	knot_rrset_init(&rr, owner, type, KNOT_CLASS_IN, 0);
	rr.rrs.count = 1;
	rr.rrs.size = knot_rdata_size(((knot_rdata_t *)item)->len);
	rr.rrs.rdata = (knot_rdata_t *)item;
	knot_rrset_rr_to_canonical(&rr);
}

static void canonicalise(uint8_t *item, uint8_t *owner, uint16_t type, const uint8_t *rdata,
			 uint16_t rdlen)
{
	knot_rdata_init((knot_rdata_t *)item, rdlen, rdata);
	canonical_in_place(item, owner, type);
}

void zsync_zone_load_begin(struct zsync_zone *z)
{
	if (!z->bulk)
		z->bulk = zsync_xcalloc(1, sizeof(*z->bulk));
}

void zsync_zone_load_end(struct zsync_zone *z)
{
	bulk_finish(z);
}

int zsync_zone_add(struct zsync_zone *z, const uint8_t *owner, uint16_t type, uint32_t ttl,
		   const uint8_t *rdata, uint16_t rdlen, struct zsync_err *err)
{
	uint8_t o[KNOT_DNAME_MAXLEN];
	const struct zsync_rrset *r;
	int olen = knot_dname_wire_check(owner, owner + KNOT_DNAME_MAXLEN, NULL);

	if (olen <= 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "zone '%s': malformed owner name", z->name);
	memcpy(o, owner, olen);
	if (!zsync_rdata_well_formed(type, rdata, rdlen)) {
		char t[32];
		zsync_type_to_text(type, t, sizeof(t));
		return zsync_err_set(err, ZSYNC_EINVAL, "zone '%s': malformed %s rdata (%u octets)",
				     z->name, t, (unsigned)rdlen);
	}
	canonicalise(scratch, o, type, rdata, rdlen);
	zone_insert(z, o, olen, type, ttl, 0, 0, scratch, rrset_hash(o, olen, type), &r);
	return 0;
}

void zsync_zone_put_rrset(struct zsync_zone *z, const struct zsync_rrset *src, uint32_t ttl)
{
	size_t olen = src->owner_len, size = zsync_rrset_rdata_size(src), slot;
	uint64_t h = rrset_hash(src->owner, olen, src->type);

	check_mutable(z);
	struct zsync_rrset *r;

	if ((z->used + z->tombstones + 1) * 4 > z->cap * 3)
		zone_grow(z);
	slot = zone_probe(z, src->owner, olen, src->type, h);
	r = slot_rrset(z, slot);
	if (!r) {
		if (z->slots[slot] == TOMBSTONE)
			z->tombstones--;
		if (z->nrrsets == z->rrsets_cap) {
			z->rrsets_cap *= 2;
			z->rrsets = zsync_xrealloc(z->rrsets, z->rrsets_cap * sizeof(*z->rrsets));
		}
		r = &z->rrsets[z->nrrsets];
		uint8_t *o = zsync_arena_alloc(&z->arena, olen, 1);
		memcpy(o, src->owner, olen);
		r->owner = o;
		r->owner_len = (uint8_t)olen;
		r->type = src->type;
		r->file = 0;
		z->slots[slot] = ((uint64_t)(uint32_t)(h >> 32) << 32) | (uint64_t)(z->nrrsets + 1);
		z->nrrsets++;
		z->used++;
	} else {
		z->records -= r->count;
	}
	r->rdata = zsync_arena_alloc(&z->arena, size ? size : 1, 2);
	memcpy(r->rdata, src->rdata, size);
	r->count = src->count;
	r->ttl = ttl;
	r->line = src->line;
	r->flags = src->flags & ZSYNC_RRSET_LINE_NOT_FIRST;
	z->records += r->count;
	free(z->sorted);
	z->sorted = NULL;
}

int zsync_zone_flag(struct zsync_zone *z, const uint8_t *owner, uint16_t type, uint8_t flags)
{
	struct zsync_rrset *r = (struct zsync_rrset *)zsync_zone_find(z, owner, type);
	check_mutable(z);
	if (!r)
		return ZSYNC_ENOTFOUND;
	r->flags |= flags;
	return 0;
}

int zsync_zone_set_soa_serial(struct zsync_zone *z, uint32_t serial)
{
	struct zsync_rrset *r = slot_rrset(z, zone_probe(z, z->origin, knot_dname_size(z->origin),
							  ZSYNC_TYPE_SOA,
							  rrset_hash(z->origin, knot_dname_size(z->origin),
								     ZSYNC_TYPE_SOA)));
	check_mutable(z);
	if (!r || r->count < 1)
		return ZSYNC_ENOTFOUND;
	zsync_soa_set_serial(r->rdata, serial);
	return 0;
}

uint32_t zsync_soa_serial(const uint8_t *rd)
{
	const uint8_t *d = zsync_rdata_data(rd);
	size_t off = knot_dname_size(d);
	off += knot_dname_size(d + off);
	return ((uint32_t)d[off] << 24) | ((uint32_t)d[off + 1] << 16) | ((uint32_t)d[off + 2] << 8) |
	       d[off + 3];
}

void zsync_soa_set_serial(uint8_t *rd, uint32_t serial)
{
	uint8_t *d = rd + 2;
	size_t off = knot_dname_size(d);
	off += knot_dname_size(d + off);
	d[off] = (uint8_t)(serial >> 24);
	d[off + 1] = (uint8_t)(serial >> 16);
	d[off + 2] = (uint8_t)(serial >> 8);
	d[off + 3] = (uint8_t)serial;
}

bool zsync_soa_equal_but_serial(const uint8_t *a, const uint8_t *b)
{
	uint16_t la = zsync_rdata_len(a), lb = zsync_rdata_len(b);
	const uint8_t *da = zsync_rdata_data(a), *db = zsync_rdata_data(b);
	size_t off;

	if (la != lb)
		return false;
	off = knot_dname_size(da);
	off += knot_dname_size(da + off);
	/* names, then skip the 4 serial octets, then refresh/retry/expire/minimum */
	return memcmp(da, db, off) == 0 && memcmp(da + off + 4, db + off + 4, la - off - 4) == 0;
}

/* Owner text relative to the origin ("www", "@") when below it, else absolute. */
static void owner_text(const struct zsync_zone *z, const uint8_t *owner, char *buf, size_t len)
{
	char full[ZSYNC_NAME_TXT_MAXLEN + 1];
	size_t fl, ol = strlen(z->name);

	zsync_name_to_text(owner, full, sizeof(full));
	fl = strlen(full);
	if (knot_dname_is_equal(owner, z->origin))
		fl = 1, full[0] = '@';
	else if (strcmp(z->name, ".") != 0 && fl > ol && full[fl - ol - 1] == '.' &&
		 knot_dname_in_bailiwick(owner, z->origin) > 0)
		fl -= ol + 1;
	if (fl >= len)
		fl = len - 1;
	memcpy(buf, full, fl);
	buf[fl] = '\0';
}

/* Names as knot_dname_is_equal compares them (octet for octet), with the same pointer first:
 * a zone's neighbouring RRsets of one owner share it. */
static inline bool wire_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return a == b || (alen == blen && memcmp(a, b, alen) == 0);
}

/*
 * owner_text's result for an owner below the origin whose labels above it print as they
 * are (letters, digits, '-', '_'): those labels, from the wire, without printing the whole
 * name and testing it against the origin (a sixth of a big zone's write). olen: the
 * owner's wire size; origin_len the origin's; plain_origin: the origin prints as z->name
 * and as plain labels (else every owner goes to owner_text). The length, or -1 for
 * owner_text to do it. check_zone compares the two.
 */
static int owner_text_fast(const struct zsync_zone *z, const uint8_t *owner, size_t olen, size_t origin_len,
			   char *buf, size_t len)
{
	size_t i = 0, o = 0;

	if (olen <= origin_len || memcmp(owner + olen - origin_len, z->origin, origin_len) != 0)
		return -1;
	/* the labels until the origin's, which must start on a label */
	while (i < olen - origin_len) {
		uint8_t l = owner[i++];
		if (l == 0 || l > 63 || i + l > olen - origin_len || o + l + 2 > len)
			return -1;
		if (o)
			buf[o++] = '.';
		for (uint8_t k = 0; k < l; k++) {
			if (!plain_char[owner[i + k]])
				return -1;
			buf[o++] = (char)owner[i + k];
		}
		i += l;
	}
	if (i != olen - origin_len)
		return -1;
	buf[o] = '\0';
	return (int)o;
}

/*
 * The zone file's text gathered in a buffer of 1 MiB, handed on in big pieces: to a file
 * descriptor by write(2), or to a stream (stdio's calls per field were a fifth of a big
 * zone's write). Each line is made in place: room for the longest is kept free.
 */
#define ZONE_OUT_CAP (1u << 20)
#define ZONE_OUT_LINE (ZSYNC_NAME_TXT_MAXLEN + 64 + ZSYNC_RDATA_TXT_MAXLEN)

struct zone_out {
	char *p;
	size_t len;
	int fd;      /* or -1: to f */
	FILE *f;
	bool failed;
};

static void out_flush(struct zone_out *o)
{
	size_t off = 0;

	if (o->failed || !o->len) {
		o->len = 0;
		return;
	}
	if (o->fd < 0) {
		o->failed = fwrite(o->p, 1, o->len, o->f) != o->len;
	} else {
		while (off < o->len) {
			ssize_t n = write(o->fd, o->p + off, o->len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				o->failed = true;
				break;
			}
			off += (size_t)n;
		}
	}
	o->len = 0;
}

/* Room for one more line of any length at o->p + o->len. */
static inline char *out_line(struct zone_out *o)
{
	if (o->len > ZONE_OUT_CAP - ZONE_OUT_LINE)
		out_flush(o);
	return o->p + o->len;
}

static inline char *put(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	return d + n;
}

/* Whether a name has an octet 0 in a label (where the sort's lookup form and the
 * canonical order by labels can part). */
static bool has_octet0(const uint8_t *name)
{
	for (; *name; name += *name + 1)
		if (memchr(name + 1, 0, *name))
			return true;
	return false;
}

/* Canonical order of two RRsets whose owners have no octet 0: by labels, then type. */
static int canonical_cmp(const struct zsync_rrset *a, const struct zsync_rrset *b)
{
	int c = a->owner == b->owner ? 0 : knot_dname_cmp(a->owner, b->owner);
	return c ? c : (a->type > b->type) - (a->type < b->type);
}

/*
 * z's RRsets in the order zsync_zone_sorted gives, taken from ref's (frozen, sorted: the
 * zone from git, whose RRsets the zonefile provider's new zone mostly holds, so that
 * sorting it again was a third of writing it): ref's order kept to the RRsets z holds
 * too, z's others (the marker, what the provider keeps of its own) merged in by the
 * canonical order by labels. That is the sort's order while no name involved has an
 * octet 0 in a label; NULL (sort) when one does, when ref is not sorted yet, or when
 * more than a few of z's RRsets are not in ref. *n: the count; the caller frees it.
 */
static const struct zsync_rrset **order_from(const struct zsync_zone *z, const struct zsync_zone *ref, size_t *n)
{
	const struct zsync_rrset **in = NULL, **out = NULL, *extra[64];
	size_t k = 0, nextra = 0, ns = ref ? ref->used : 0;
	uint8_t *seen = NULL;

	if (!ref || !ref->frozen || !ref->sorted || !z->used)
		return NULL;
	in = zsync_xmalloc(z->used * sizeof(*in));
	seen = zsync_xcalloc(z->nrrsets, 1);
	for (size_t i = 0; i < ns; i++) {
		const struct zsync_rrset *d = ref->sorted[i];
		size_t slot = zone_probe(z, d->owner, d->owner_len, d->type, rrset_hash(d->owner, d->owner_len, d->type));
		const struct zsync_rrset *r = slot_rrset(z, slot);
		if (!r || k == z->used)
			continue;
		seen[r - z->rrsets] = 1;
		in[k++] = r;
	}
	for (size_t i = 0; i < z->nrrsets; i++) {
		const struct zsync_rrset *r = &z->rrsets[i];
		if (!r->count || seen[i])
			continue;
		if (nextra == sizeof(extra) / sizeof(extra[0]) || has_octet0(r->owner))
			goto fail;
		/* the extras in order among themselves (a handful: by insertion) */
		size_t j = nextra++;
		for (; j > 0 && canonical_cmp(r, extra[j - 1]) < 0; j--)
			extra[j] = extra[j - 1];
		extra[j] = r;
	}
	if (k + nextra != z->used)
		goto fail;
	out = zsync_xmalloc(z->used * sizeof(*out));
	size_t from = 0, o = 0;
	for (size_t e = 0; e < nextra; e++) {
		/* where it goes: after every RRset of ref's order before it */
		size_t lo = from, hi = k;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (has_octet0(in[mid]->owner))
				goto fail;
			if (canonical_cmp(in[mid], extra[e]) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		memcpy(out + o, in + from, (lo - from) * sizeof(*out));
		o += lo - from;
		out[o++] = extra[e];
		from = lo;
	}
	memcpy(out + o, in + from, (k - from) * sizeof(*out));
	free(in);
	free(seen);
	*n = z->used;
	return out;
fail:
	free(in);
	free(out);
	free(seen);
	return NULL;
}

static int zone_write(struct zsync_zone *z, struct zone_out *out, const struct zsync_zone *ref, const char *header)
{
	size_t n;
	const struct zsync_rrset **own = z->sorted ? NULL : order_from(z, ref, &n);
	const struct zsync_rrset *const *rs = own ? own : zsync_zone_sorted(z, &n);
	char owner[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
	size_t owner_len = 0, type_len = 0, origin_len = knot_dname_size(z->origin);
	const uint8_t *prev = NULL;
	size_t prev_len = 0;
	uint16_t prev_type = 0;
	char *d;
	bool fast;

	out->p = zsync_xmalloc(ZONE_OUT_CAP);
	out->len = 0;
	{
		/* owner_text_fast gives owner_text's result when the origin prints plainly as the
		 * zone's name (not for the root, whose owners owner_text leaves absolute) */
		char ot[ZSYNC_NAME_TXT_MAXLEN + 1];
		size_t used;
		fast = strcmp(z->name, ".") != 0 && plain_name_text(z->origin, origin_len, &used, ot, sizeof(ot)) >= 0 &&
		       strcmp(ot, z->name) == 0;
	}
	if (header)
		for (const char *p = header; *p;) {
			const char *e = strchr(p, '\n');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			d = out_line(out);
			if (l > ZONE_OUT_LINE - 4) /* a header is a few lines: never near this */
				l = ZONE_OUT_LINE - 4;
			d = put(d, "; ", 2);
			d = put(d, p, l);
			*d++ = '\n';
			out->len = (size_t)(d - out->p);
			p += l + (e ? 1 : 0);
		}
	{
		/* a default for records added by hand later; every record below has its own TTL */
		const struct zsync_rrset *soa = zsync_zone_find(z, z->origin, ZSYNC_TYPE_SOA);
		d = out_line(out);
		d += sprintf(d, "$ORIGIN %s\n$TTL %u\n", z->name, soa ? soa->ttl : (n ? rs[0]->ttl : 3600));
		out->len = (size_t)(d - out->p);
	}
	/* the SOA first, as people expect to read it; then canonical order */
	for (size_t pass = 0; pass < 2; pass++)
	for (size_t i = 0; i < n; i++) {
		const struct zsync_rrset *r = rs[i];
		bool is_soa = r->type == ZSYNC_TYPE_SOA && wire_equal(r->owner, r->owner_len, z->origin, origin_len);
		if (is_soa != (pass == 0))
			continue;
		const uint8_t *rd = r->rdata;
		/* the RRsets of a name are neighbours: its text once */
		bool same_owner = prev && wire_equal(prev, prev_len, r->owner, r->owner_len);
		if (!same_owner) {
			int l = -1;
			if (wire_equal(r->owner, r->owner_len, z->origin, origin_len))
				l = 1, owner[0] = '@', owner[1] = '\0';
			else if (fast)
				l = owner_text_fast(z, r->owner, r->owner_len, origin_len, owner, sizeof(owner));
			if (l < 0) {
				owner_text(z, r->owner, owner, sizeof(owner));
				l = (int)strlen(owner);
			}
			owner_len = (size_t)l;
		}
		bool generic = !scanner_reads(r->type);
		if (!prev || r->type != prev_type) {
			if (generic)
				snprintf(type, sizeof(type), "TYPE%u", r->type);
			else
				zsync_type_to_text(r->type, type, sizeof(type));
			type_len = strlen(type);
		}
		if (prev && !same_owner) {
			d = out_line(out);
			*d = '\n';
			out->len++;
		}
		prev = r->owner;
		prev_len = r->owner_len;
		prev_type = r->type;
		char ttl[16];
		size_t tl = zsync_u32_text(r->ttl, ttl);
		for (uint16_t k = 0; k < r->count; k++, rd = zsync_rdata_next(rd)) {
			/* "owner TTL IN type rdata", the rdata made in place */
			d = out_line(out);
			d = put(d, owner, owner_len);
			*d++ = '\t';
			d = put(d, ttl, tl);
			d = put(d, "\tIN\t", 4);
			d = put(d, type, type_len);
			*d++ = '\t';
			size_t room = ZONE_OUT_LINE - (owner_len + tl + type_len + 8);
			/* the types written as TYPEn get their rdata in the RFC 3597 form too */
			int l = rdata_text(r->type, rd, d, room);
			if (l < 0) {
				free(out->p);
				free(own);
				return ZSYNC_EINVAL;
			}
			d += l;
			*d++ = '\n';
			out->len = (size_t)(d - out->p);
		}
	}
	out_flush(out);
	free(out->p);
	free(own);
	out->p = NULL;
	return out->failed ? ZSYNC_EIO : 0;
}

int zsync_zone_write(struct zsync_zone *z, FILE *f, const char *header)
{
	struct zone_out out = { .fd = -1, .f = f };
	int r = zone_write(z, &out, NULL, header);
	return r < 0 ? r : ferror(f) ? ZSYNC_EIO : 0;
}

int zsync_zone_write_fd(struct zsync_zone *z, const struct zsync_zone *order, int fd, const char *header)
{
	struct zone_out out = { .fd = fd };
	return zone_write(z, &out, order, header);
}

int zsync_zone_remove(struct zsync_zone *z, const uint8_t *owner, uint16_t type)
{
	uint8_t o[KNOT_DNAME_MAXLEN];
	size_t olen = knot_dname_size(owner), slot;
	struct zsync_rrset *r;

	check_mutable(z);

	memcpy(o, owner, olen);
	knot_dname_to_lower(o);
	slot = zone_probe(z, o, olen, type, rrset_hash(o, olen, type));
	r = slot_rrset(z, slot);
	if (!r)
		return 0;
	z->slots[slot] = TOMBSTONE;
	z->tombstones++;
	z->used--;
	z->records -= r->count;
	r->count = 0; /* stays in the vector so indices hold; iteration skips it */
	free(z->sorted);
	z->sorted = NULL;
	return 1;
}

const struct zsync_rrset *zsync_zone_find_canonical(const struct zsync_zone *z,
						    const struct zsync_rrset *like)
{
	/* owners in a model are lower case already: no copy, no lowering */
	return slot_rrset(z, zone_probe(z, like->owner, like->owner_len, like->type,
					rrset_hash(like->owner, like->owner_len, like->type)));
}

const struct zsync_rrset *zsync_zone_find_lower(const struct zsync_zone *z, const uint8_t *owner,
						uint16_t type)
{
	size_t olen = zsync_name_len(owner);
	return slot_rrset(z, zone_probe(z, owner, olen, type, rrset_hash(owner, olen, type)));
}

const struct zsync_rrset *zsync_zone_find(const struct zsync_zone *z, const uint8_t *owner,
					  uint16_t type)
{
	uint8_t o[KNOT_DNAME_MAXLEN];
	size_t olen = knot_dname_size(owner);
	struct zsync_rrset *r;

	memcpy(o, owner, olen);
	knot_dname_to_lower(o);
	r = slot_rrset(z, zone_probe(z, o, olen, type, rrset_hash(o, olen, type)));
	return r;
}

bool zsync_rrset_rdata_equal(const struct zsync_rrset *a, const struct zsync_rrset *b)
{
	if (a->count != b->count)
		return false;
	size_t sa = zsync_rrset_rdata_size(a);
	return sa == zsync_rrset_rdata_size(b) && memcmp(a->rdata, b->rdata, sa) == 0;
}

bool zsync_zone_equal(const struct zsync_zone *a, const struct zsync_zone *b)
{
	if (a->used != b->used || a->records != b->records ||
	    !knot_dname_is_equal(a->origin, b->origin))
		return false;
	for (size_t i = 0; i < a->nrrsets; i++) {
		const struct zsync_rrset *ra = zsync_zone_iter(a, i), *rb;
		if (!ra)
			continue;
		rb = zsync_zone_find(b, ra->owner, ra->type);
		if (!rb || rb->ttl != ra->ttl || !zsync_rrset_rdata_equal(ra, rb))
			return false;
	}
	return true;
}

/* Sort entry: the owner in knot's lookup format (labels reversed, memcmp gives canonical order). */
struct sort_ent {
	/*
	 * For names inside the zone, the 8 octets of lf that follow the origin's (which all of
	 * them share), big-endian: most comparisons end on this integer.
	 */
	uint64_t key, key2;
	const uint8_t *lf;
	uint32_t idx;    /* in z->rrsets */
	uint16_t type;   /* here, so that an owner's RRsets compare without a dereference */
	bool in_zone;
};

static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* The RRsets being sorted on this thread: owners differing only where a label holds a
 * \000 octet have the same lookup form (c.a.example. and a\000c.example.), and are told
 * apart by their wire form so that each owner's RRsets stay together. */
static __thread const struct zsync_rrset *sort_rrsets;

/* Owners (lower case) by their wire form: any consistent order, for the rare tie above. */
static int owner_wire_cmp(const uint8_t *x, const uint8_t *y)
{
	size_t lx = knot_dname_size(x), ly = knot_dname_size(y);
	int c = memcmp(x, y, lx < ly ? lx : ly);
	return c ? c : lx < ly ? -1 : lx > ly;
}

static inline int sort_ent_cmp(const struct sort_ent *a, const struct sort_ent *b)
{
	if (a->in_zone && b->in_zone) {
		if (a->key != b->key)
			return a->key < b->key ? -1 : 1;
		if (a->key2 != b->key2)
			return a->key2 < b->key2 ? -1 : 1;
	}
	if (a->lf != b->lf) {
		unsigned la = a->lf[0], lb = b->lf[0];
		int c = memcmp(a->lf + 1, b->lf + 1, la < lb ? la : lb);
		if (c)
			return c;
		if (la != lb)
			return la < lb ? -1 : 1;
		/* the same lookup form: the same owner written apart, or the \000 tie */
		const uint8_t *oa = sort_rrsets[a->idx].owner, *ob = sort_rrsets[b->idx].owner;
		if (oa != ob && (c = owner_wire_cmp(oa, ob)) != 0)
			return c;
	}
	return a->type < b->type ? -1 : a->type > b->type;
}

/*
 * Merge sort with the comparison inlined (qsort's call per comparison, and its indirect
 * sort of elements over 32 octets, were a tenth of a 1M-record plan): runs of 16 by
 * insertion, then bottom-up merges between v and tmp. Returns the sorted array (v or tmp).
 */
static struct sort_ent *sort_ents(struct sort_ent *v, struct sort_ent *tmp, size_t n)
{
	const size_t run = 16;
	size_t k = 1;

	/* a zone built in canonical order (the zonefile provider's result: the changes come
	 * in git's canonical order) is checked in one pass, not copied through every merge */
	while (k < n && sort_ent_cmp(&v[k - 1], &v[k]) <= 0)
		k++;
	if (k >= n)
		return v;
	for (size_t lo = 0; lo < n; lo += run) {
		size_t hi = lo + run < n ? lo + run : n;
		for (size_t i = lo + 1; i < hi; i++) {
			struct sort_ent e = v[i];
			size_t j = i;
			while (j > lo && sort_ent_cmp(&e, &v[j - 1]) < 0) {
				v[j] = v[j - 1];
				j--;
			}
			v[j] = e;
		}
	}
	for (size_t w = run; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t a = lo, b = mid, o = lo;
			if (mid == hi || sort_ent_cmp(&v[mid - 1], &v[mid]) <= 0) {
				/* already in order (common: zone files are often written sorted) */
				memcpy(tmp + lo, v + lo, (hi - lo) * sizeof(*v));
				continue;
			}
			while (a < mid && b < hi)
				tmp[o++] = sort_ent_cmp(&v[b], &v[a]) < 0 ? v[b++] : v[a++];
			memcpy(tmp + o, v + a, (mid - a) * sizeof(*v));
			o += mid - a;
			memcpy(tmp + o, v + b, (hi - b) * sizeof(*v));
		}
		struct sort_ent *t = v;
		v = tmp;
		tmp = t;
	}
	return v;
}

const uint8_t *zsync_zone_sorted_starts(struct zsync_zone *z)
{
	size_t n;
	return (const uint8_t *)(zsync_zone_sorted(z, &n) + n);
}

/* One part of a sort: its RRsets [from, to) of z->rrsets, entries and owners of its own. */
struct sort_part {
	const struct zsync_zone *z;
	size_t from, to;
	const uint8_t *origin_lf;
	struct sort_ent *ents, *tmp, *sorted; /* sorted: ents or tmp, n entries */
	size_t n;
	struct zsync_arena lfs;
};

static void sort_part_build(struct sort_part *sp)
{
	const struct zsync_zone *z = sp->z;
	const uint8_t *prev_owner = NULL, *prev_lf = NULL;
	unsigned olf_len = sp->origin_lf[0];
	size_t n = 0;

	for (size_t i = sp->from; i < sp->to; i++) {
		const struct zsync_rrset *r = zsync_zone_iter(z, i);
		if (!r)
			continue;
		if (r->owner != prev_owner) {
			knot_dname_storage_t st;
			uint8_t *lf = knot_dname_lf(r->owner, st);
			uint8_t *copy = zsync_arena_alloc(&sp->lfs, (size_t)lf[0] + 1, 1);
			memcpy(copy, lf, (size_t)lf[0] + 1);
			prev_owner = r->owner;
			prev_lf = copy;
		}
		struct sort_ent *e = &sp->ents[n++];
		e->lf = prev_lf;
		e->idx = (uint32_t)i;
		e->type = r->type;
		e->in_zone = prev_lf[0] >= olf_len &&
			     memcmp(prev_lf + 1, sp->origin_lf + 1, olf_len) == 0;
		/* the 16 octets after the origin's, zero-padded, as two big-endian integers (a
		 * loop of 16 shifts per RRset was a third of this function) */
		uint8_t kb[16] = { 0 };
		unsigned avail = prev_lf[0] > olf_len ? prev_lf[0] - olf_len : 0;
		if (avail) /* a name shorter than the origin: no pointer past its lookup form */
			memcpy(kb, prev_lf + 1 + olf_len, avail < 16 ? avail : 16);
		e->key = load_be64(kb);
		e->key2 = load_be64(kb + 8);
	}
	sp->n = n;
	sort_rrsets = z->rrsets; /* this thread's: the comparison reads it */
	sp->sorted = sort_ents(sp->ents, sp->tmp, n);
}

static void *sort_part_run(void *arg)
{
	sort_part_build(arg);
	return NULL;
}

/*
 * From this many RRsets on, a zone allowed two threads (zsync_zone_set_threads) sorts
 * its halves side by side and merges them: the sort of 7k RRsets took 1.29 ms alone and
 * 0.88 ms so; below some thousands a thread costs about what it saves.
 */
#define SORT_PARALLEL_MIN 8192

void zsync_zone_set_threads(struct zsync_zone *z, unsigned threads)
{
	z->sort_threads = threads > 1 ? 2 : 1;
}

/* Position i of the sorted order is a (b before it, or NULL): its pointer and owner start. */
static inline void sorted_put(struct zsync_zone *z, uint8_t *starts, size_t i, const struct sort_ent *a,
			      const struct sort_ent *b)
{
	z->sorted[i] = &z->rrsets[a->idx];
	/* owners are interned per run of records and lower case: the same owner is the same
	 * lf, and neighbours with other integer keys differ without a look at it */
	starts[i] = !b || (a->lf != b->lf && (a->key != b->key || a->key2 != b->key2 ||
					      a->in_zone != b->in_zone || a->lf[0] != b->lf[0] ||
					      memcmp(a->lf + 1, b->lf + 1, a->lf[0]) != 0 ||
					      owner_wire_cmp(z->rrsets[a->idx].owner, z->rrsets[b->idx].owner) != 0));
}

const struct zsync_rrset *const *zsync_zone_sorted(struct zsync_zone *z, size_t *count)
{
	struct sort_part parts[2] = { { 0 }, { 0 } };
	struct sort_ent *ents, *tmp;
	size_t nparts = 1, n;
	pthread_t th;
	bool threaded = false;
	knot_dname_storage_t ost;
	const uint8_t *origin_lf;

	*count = z->used;
	if (z->sorted)
		return z->sorted;
	origin_lf = knot_dname_lf(z->origin, ost);
	/* one slot per RRset ever added: each part fills its own range, holes left unused */
	ents = zsync_xmalloc((z->nrrsets ? z->nrrsets : 1) * sizeof(*ents));
	tmp = zsync_xmalloc((z->nrrsets ? z->nrrsets : 1) * sizeof(*tmp));
	if (z->sort_threads > 1 && z->used >= SORT_PARALLEL_MIN)
		nparts = 2;
	for (size_t k = 0; k < nparts; k++) {
		size_t from = z->nrrsets / nparts * k, to = k + 1 == nparts ? z->nrrsets : z->nrrsets / nparts * (k + 1);
		parts[k] = (struct sort_part){ .z = z, .from = from, .to = to, .origin_lf = origin_lf,
					       .ents = ents + from, .tmp = tmp + from };
	}
	/* the second half on a thread of its own; without one, here after the first */
	if (nparts == 2)
		threaded = zsync_thread_start(&th, sort_part_run, &parts[1]);
	sort_part_build(&parts[0]);
	if (threaded)
		zsync_thread_join(th);
	else if (nparts == 2)
		sort_part_build(&parts[1]);
	sort_rrsets = z->rrsets;
	n = parts[0].n + parts[1].n;
	/* the pointers, then a byte each: 1 where a new owner begins (zsync_zone_sorted_starts) */
	z->sorted = zsync_xmalloc((n ? n : 1) * (sizeof(*z->sorted) + 1));
	uint8_t *starts = (uint8_t *)(z->sorted + n);
	if (nparts == 1) {
		for (size_t i = 0; i < n; i++)
			sorted_put(z, starts, i, &parts[0].sorted[i], i ? &parts[0].sorted[i - 1] : NULL);
	} else {
		/* one merge of the halves, straight into the result: the comparison is a total
		 * order on distinct RRsets, so this is the order the serial sort gives */
		const struct sort_ent *a = parts[0].sorted, *ae = a + parts[0].n;
		const struct sort_ent *b = parts[1].sorted, *be = b + parts[1].n, *prev = NULL;
		for (size_t i = 0; i < n; i++) {
			const struct sort_ent *e = b == be || (a < ae && sort_ent_cmp(b, a) >= 0) ? a++ : b++;
			sorted_put(z, starts, i, e, prev);
			prev = e;
		}
	}
	free(ents);
	free(tmp);
	for (size_t k = 0; k < nparts; k++)
		zsync_arena_release(&parts[k].lfs);
	return z->sorted;
}

/* ---- parsing ---- */

struct batch;
struct locate;

struct pipe;

struct parse_ctx {
	struct zsync_zone *z;
	struct batch *batch;
	struct pipe *pipe;      /* a big zone's records inserted by a thread of their own */
	struct locate *loc;     /* zsync_zone_locate: records are looked up, not added */
	struct zsync_diags *d;
	zsync_read_fn read;
	void *read_ctx;
	const char *chain[ZSYNC_INCLUDE_DEPTH + 1]; /* files being parsed, outermost first */
	unsigned chain_line[ZSYNC_INCLUDE_DEPTH + 1]; /* where chain[i] includes chain[i + 1] */
	int depth;
	uint64_t files, bytes;  /* parsed so far, the top file included: the zone's budget */
	bool stop;              /* the budget is spent: every level stops parsing */
};

/* Normalises a repository-relative path ("a/./b/../c" -> "a/c"); -1 if it climbs out. */
static int normalise_path(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = in;

	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0)
				return -1;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* drop the slash too */
		} else {
			if (o + n + 2 > outlen)
				return -1;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (o == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

static void set_scanner_dir(zs_scanner_t *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	free(s->path);
	if (slash)
		s->path = zsync_xasprintf("%s/%.*s", INCLUDE_ROOT, (int)(slash - path), path);
	else
		s->path = zsync_xstrdup(INCLUDE_ROOT);
}

/* The rdata of the common types, for a hint: 'N' a number, 'n' a name, 'a' anything */
static const struct {
	uint16_t type;
	const char *form, *help;
} rdata_forms[] = {
	{ ZSYNC_TYPE_MX, "Nn", "MX data is PREFERENCE EXCHANGE, e.g. MX 10 mail.example.com." },
	{ ZSYNC_TYPE_SRV, "NNNn", "SRV data is PRIORITY WEIGHT PORT TARGET, e.g. SRV 10 60 5060 sip.example.com." },
	{ ZSYNC_TYPE_SOA, "nnNNNNN", "SOA data is MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM" },
	{ ZSYNC_TYPE_CAA, "Naa", "CAA data is FLAGS TAG VALUE, e.g. CAA 0 issue \"letsencrypt.org\"" },
	{ ZSYNC_TYPE_A, "a", "an A record holds one IPv4 address, e.g. A 192.0.2.1" },
	{ ZSYNC_TYPE_AAAA, "a", "an AAAA record holds one IPv6 address, e.g. AAAA 2001:db8::1" },
};

static bool is_number(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] < '0' || w[i] > '9')
			return false;
	return n > 0;
}

/* a TTL as the scanner takes it: digits with optional unit letters (1h30m) */
static bool is_ttl(const char *w, size_t n)
{
	if (!n || w[0] < '0' || w[0] > '9')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789smhdwSMHDW", w[i]))
			return false;
	return true;
}

/*
 * A syntax error with where and what: the column and text of the offending token and a
 * hint where one is known (the record type's data form; the closest record type). The
 * scanner stops at the end of the bad line (s->input.current), so the line is the one
 * ending there; its words are classified as owner, TTL, class, type and data.
 */
static void syntax_error(struct parse_ctx *c, zs_scanner_t *s, const char *path, const char *text,
			 size_t len)
{
	const char *msg = zs_strerror(s->error.code);
	const char *cur = s->input.current, *ls, *le;
	char tok[80] = "", hint[300] = "";
	unsigned col = 0;

	if (cur < text || cur > text + len || s->line_counter == 0)
		goto plain;
	le = cur;
	if (le > text && le[-1] == '\n' && (le == text + len || *le != '\n'))
		le--; /* positioned after the newline */
	ls = le;
	while (ls > text && ls[-1] != '\n')
		ls--;
	if (le > ls && memchr(ls, '(', (size_t)(le - ls)) == NULL && memchr(ls, ')', (size_t)(le - ls)) == NULL) {
		/* one-line record: its words, comment cut off */
		const char *w[16];
		size_t wl[16], n = 0;
		for (const char *p = ls; p < le && n < 16;) {
			if (*p == ';')
				break;
			if (*p == ' ' || *p == '\t' || *p == '\r') {
				p++;
				continue;
			}
			w[n] = p;
			while (p < le && *p != ' ' && *p != '\t' && *p != '\r' && *p != ';')
				p++;
			wl[n] = (size_t)(p - w[n]);
			n++;
		}
		if (n == 0 || w[0][0] == '$')
			goto plain;
		size_t i = (ls[0] == ' ' || ls[0] == '\t') ? 0 : 1; /* the owner */
		while (i < n && (is_ttl(w[i], wl[i]) || (wl[i] == 2 && !strncasecmp(w[i], "IN", 2)) ||
				 (wl[i] == 2 && (!strncasecmp(w[i], "CH", 2) || !strncasecmp(w[i], "HS", 2)))))
			i++;
		if (i >= n)
			goto plain;
		char tname[32];
		uint16_t type = 0;
		snprintf(tname, sizeof(tname), "%.*s", (int)(wl[i] < 31 ? wl[i] : 31), w[i]);
		if (s->error.code == ZS_UNSUPPORTED_TYPE || zsync_type_from_text(tname, &type) < 0) {
			static const char *const types[] = { "A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV",
							     "CAA", "PTR", "SOA", "DS", "TLSA", "SSHFP", "NAPTR",
							     "SVCB", "HTTPS", "DNAME", "LOC", "HINFO", "URI" };
			const char *near = zsync_suggest(tname, types, sizeof(types) / sizeof(types[0]));
			snprintf(tok, sizeof(tok), "%s", tname);
			col = (unsigned)(w[i] - ls) + 1;
			if (near)
				snprintf(hint, sizeof(hint), "did you mean %s?", near);
			else
				snprintf(hint, sizeof(hint), "not a record type zonesync knows (a mnemonic such as A or MX, or TYPEnnn)");
			goto done;
		}
		for (size_t f = 0; f < sizeof(rdata_forms) / sizeof(rdata_forms[0]); f++) {
			if (rdata_forms[f].type != type)
				continue;
			const char *form = rdata_forms[f].form;
			size_t k = 0, d = i + 1;
			snprintf(hint, sizeof(hint), "%s", rdata_forms[f].help);
			/* the first data word that is not what its place needs */
			for (; form[k] && d < n; k++, d++)
				if ((form[k] == 'N' && !is_number(w[d], wl[d])) ||
				    (form[k] == 'a' && s->error.code != ZS_BAD_NUMBER && k == 0))
					break;
			if (form[k] && d < n) {
				snprintf(tok, sizeof(tok), "%.*s", (int)(wl[d] < 79 ? wl[d] : 79), w[d]);
				col = (unsigned)(w[d] - ls) + 1;
			} else if (d >= n && form[k]) {
				snprintf(tok, sizeof(tok), "end of line");
				col = (unsigned)(le - ls) + 1;
			}
			break;
		}
		if (!col && i + 1 < n) {
			/* a type without a form here: the data starts after the type */
			col = (unsigned)(w[i + 1] - ls) + 1;
			snprintf(tok, sizeof(tok), "%.*s", (int)(wl[i + 1] < 79 ? wl[i + 1] : 79), w[i + 1]);
		}
	}
done:
	zsync_diags_add(c->d, path, (unsigned)s->line_counter, ZSYNC_SEV_ERROR, "syntax", "%s%s%s%s%s%s%s",
			msg, tok[0] ? (strcmp(tok, "end of line") ? " '" : " at ") : "", tok,
			tok[0] && strcmp(tok, "end of line") ? "'" : "", hint[0] ? " (" : "", hint, hint[0] ? ")" : "");
	c->d->v[c->d->n - 1].col = col;
	return;
plain:
	zsync_diags_add(c->d, path, (unsigned)s->line_counter, ZSYNC_SEV_ERROR, "syntax", "%s", msg);
}

static void parse_text(struct parse_ctx *c, const char *path, const char *text, size_t len,
		       const char *origin, uint32_t default_ttl);

/*
 * The zone's total $INCLUDE budget is spent (a fan-out of files that include one another
 * several times grows exponentially within the depth limit): one error naming the chain
 * of files that led there, and parsing stops everywhere.
 */
static void budget_spent(struct parse_ctx *c, const char *next, const char *unit,
			 uint64_t limit, const char *what, const char *key)
{
	char chain[2048];
	size_t o = 0;

	chain[0] = '\0';
	for (int i = 0; i <= c->depth && o < sizeof(chain); i++)
		o += (size_t)snprintf(chain + o, sizeof(chain) - o, "%s:%u -> ", c->chain[i],
				      c->chain_line[i]);
	if (o < sizeof(chain))
		snprintf(chain + o, sizeof(chain) - o, "%s", next);
	zsync_diags_add(c->d, c->chain[c->depth], c->chain_line[c->depth], ZSYNC_SEV_ERROR,
			"include",
			"$INCLUDE of '%s' exceeds the zone's budget of %" PRIu64 " %s (%" PRIu64
			" %s so far; %s); include chain: %s",
			next, limit, unit, strcmp(unit, "files") == 0 ? c->files : c->bytes, what,
			key, chain);
	c->stop = true;
}

static void handle_include(struct parse_ctx *c, zs_scanner_t *s, const char *path)
{
	const char *fn = s->include_filename;
	unsigned line = (unsigned)s->line_counter;
	size_t rl = strlen(INCLUDE_ROOT);
	char norm[4096];
	char *buf = NULL;
	size_t blen = 0;
	struct zsync_err err = { 0 };
	int r;

	if (strncmp(fn, INCLUDE_ROOT "/", rl + 1) != 0) {
		zsync_diags_add(c->d, path, line, ZSYNC_SEV_ERROR, "include",
				"$INCLUDE of absolute path '%s' refused: includes are resolved inside the repository",
				fn);
		return;
	}
	if (normalise_path(fn + rl + 1, norm, sizeof(norm)) < 0) {
		zsync_diags_add(c->d, path, line, ZSYNC_SEV_ERROR, "include",
				"$INCLUDE path '%s' leaves the repository", fn + rl + 1);
		return;
	}
	for (int i = 0; i <= c->depth; i++) {
		if (strcmp(c->chain[i], norm) == 0) {
			zsync_diags_add(c->d, path, line, ZSYNC_SEV_ERROR, "include",
					"$INCLUDE loop: '%s' includes itself (through %d level(s))",
					norm, c->depth - i + 1);
			return;
		}
	}
	if (c->depth + 1 > ZSYNC_INCLUDE_DEPTH) {
		zsync_diags_add(c->d, path, line, ZSYNC_SEV_ERROR, "include",
				"$INCLUDE of '%s' exceeds the nesting limit of %d", norm,
				ZSYNC_INCLUDE_DEPTH);
		return;
	}
	if (!c->read) {
		zsync_diags_add(c->d, path, line, ZSYNC_SEV_ERROR, "include",
				"$INCLUDE is not available here ('%s')", norm);
		return;
	}
	c->chain_line[c->depth] = line;
	if (c->files + 1 > c->z->budget.max_files) {
		budget_spent(c, norm, "files", c->z->budget.max_files, "files parsed",
			     "repo.max_include_files");
		return;
	}
	r = c->read(c->read_ctx, norm, &buf, &blen, &err);
	if (r == ZSYNC_ENOTFOUND) {
		zsync_diags_add(c->d, path, line, ZSYNC_SEV_ERROR, "include",
				"$INCLUDE file '%s' not found in the repository", norm);
		return;
	}
	if (r < 0) {
		zsync_diags_add(c->d, path, line, ZSYNC_SEV_ERROR, "include",
				"$INCLUDE file '%s': %s", norm, err.msg);
		return;
	}
	if (c->bytes + blen > c->z->budget.max_bytes) {
		budget_spent(c, norm, "bytes", c->z->budget.max_bytes, "bytes read",
			     "repo.max_include_bytes");
		free(buf);
		return;
	}
	c->files++;
	c->bytes += blen;
	c->chain[++c->depth] = norm;
	parse_text(c, norm, buf, blen, (const char *)s->buffer, s->default_ttl);
	c->depth--;
	free(buf);
}

/*
 * Records wait in a small batch between parsing and insertion: their slots are
 * prefetched when they are parsed, so that the table's cache misses overlap with the
 * parsing of the next records instead of stalling one by one.
 */
#define BATCH_RECORDS 32
#define BATCH_BYTES (2 * (KNOT_DNAME_MAXLEN + 2 + KNOT_RDATA_MAXLEN + 1) + 4096)

struct pending {
	uint64_t hash;
	uint32_t ttl, line;
	uint16_t type, file;
	uint8_t olen;
	uint8_t *owner, *item;
	size_t at; /* a pipe's: the parser's findings when the serial load would have inserted it */
};

struct batch {
	struct pending *rec;
	uint8_t *buf;
	size_t n, used, max_n, max_used;
};

static struct batch *batch_new(struct batch *b, size_t max_n, size_t max_used)
{
	*b = (struct batch){ .rec = zsync_xmalloc(max_n * sizeof(*b->rec)), .buf = zsync_xmalloc(max_used),
			     .max_n = max_n, .max_used = max_used };
	return b;
}

struct pipe;
static void pipe_note(struct pipe *pp, size_t from, size_t at);

/* The records of b into z, in order; what they tell goes to d (a pipe's: noted there). */
static void batch_insert(struct zsync_zone *z, struct batch *b, struct zsync_diags *d, struct pipe *pp)
{
	/* a pipe's records come as parsed: their canonical form (in place) and hash here */
	for (size_t i = 0; pp && i < b->n; i++) {
		struct pending *p = &b->rec[i];
		canonical_in_place(p->item, p->owner, p->type);
		p->hash = rrset_hash(p->owner, p->olen, p->type);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct pending *p = &b->rec[i];
		const struct zsync_rrset *r;
		char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
		if (pp && i + 8 < b->n)
			__builtin_prefetch(&z->slots[(uint32_t)(b->rec[i + 8].hash >> 32) & (z->cap - 1)]);
		int res = zone_insert(z, p->owner, p->olen, p->type, p->ttl, p->file, p->line,
				      p->item, p->hash, &r);
		if (res == ADD_NEW)
			continue;
		size_t before = d->n;
		zsync_name_to_text(r->owner, name, sizeof(name));
		zsync_type_to_text(r->type, type, sizeof(type));
		if (res == ADD_DUPLICATE)
			zsync_diags_add(d, zsync_zone_file(z, p->file), p->line, ZSYNC_SEV_WARNING,
					"duplicate", "duplicate record %s %s (the RRset starts at %s:%u)",
					name, type, zsync_zone_file(z, r->file), r->line);
		else if (res == ADD_TOO_MANY)
			zsync_diags_add(d, zsync_zone_file(z, p->file), p->line, ZSYNC_SEV_ERROR,
					"rrset-size",
					"RRset %s %s has more than 65535 records (from %s:%u): the DNS wire format cannot carry it (RFC 1035 4.1.1)",
					name, type, zsync_zone_file(z, r->file), r->line);
		else
			zsync_diags_add(d, zsync_zone_file(z, p->file), p->line, ZSYNC_SEV_ERROR,
					"ttl-mismatch",
					"TTL %u differs from TTL %u of the other %s %s records (%s:%u); an RRset has one TTL",
					p->ttl, r->ttl, name, type, zsync_zone_file(z, r->file), r->line);
		if (pp)
			pipe_note(pp, before, p->at);
	}
	b->n = 0;
	b->used = 0;
}

/*
 * The pipe: for a big zone that may use two threads (zsync_zone_set_threads), libzscanner
 * parses on the calling thread while another inserts the records (hashing, interning,
 * the table: about half of a load), batch after batch, in order. Only the inserting
 * thread changes the zone while the pipe runs; the parser waits for it to be idle before
 * it adds an $INCLUDE'd file to the zone. The inserter's findings (duplicate,
 * ttl-mismatch, rrset-size) go where the serial load puts them: the parser keeps
 * count of the serial load's batches (BATCH_RECORDS, BATCH_BYTES) and gives each record
 * the number of its findings when the serial load would have inserted it; a pipe batch
 * is handed over only where a serial one ends.
 */
#define PIPE_MIN_BYTES (1u << 20)
#define PIPE_BATCHES 4
#define PIPE_RECORDS 2048

struct pipe {
	struct batch b[PIPE_BATCHES]; /* batch k of the hand-over in b[k % PIPE_BATCHES] */
	struct zsync_handoff h;
	pthread_t th;
	struct zsync_zone *z;
	struct zsync_diags d;        /* the inserter's findings */
	size_t *at, nat, at_alloc;   /* for each, the parser's findings before it */
	/* the parser's: the serial batch it would be filling, from rec[seg] of the current one */
	size_t seg, vn, vused;
};

static void pipe_note(struct pipe *pp, size_t from, size_t at)
{
	for (size_t k = from; k < pp->d.n; k++) {
		if (pp->nat == pp->at_alloc) {
			pp->at_alloc = pp->at_alloc ? pp->at_alloc * 2 : 16;
			pp->at = zsync_xrealloc(pp->at, pp->at_alloc * sizeof(*pp->at));
		}
		pp->at[pp->nat++] = at;
	}
}

static void *pipe_run(void *arg)
{
	struct pipe *pp = arg;

	for (size_t k; (k = zsync_handoff_take(&pp->h)) != SIZE_MAX; zsync_handoff_done(&pp->h))
		batch_insert(pp->z, &pp->b[k % PIPE_BATCHES], &pp->d, pp);
	return NULL;
}

/* Where the serial load would insert its batch: the records since the last such point get
 * the parser's findings so far. */
static void pipe_serial_flush(struct parse_ctx *c)
{
	struct pipe *pp = c->pipe;
	struct batch *b = c->batch;

	for (size_t k = pp->seg; k < b->n; k++)
		b->rec[k].at = c->d->n;
	pp->seg = b->n;
	pp->vn = pp->vused = 0;
}

/* Hands the batch being filled over (at a serial batch's end), and takes the next free one. */
static void pipe_hand(struct parse_ctx *c)
{
	struct pipe *pp = c->pipe;

	pipe_serial_flush(c);
	if (!c->batch->n)
		return;
	pp->seg = 0;
	zsync_handoff_put(&pp->h, PIPE_BATCHES - 1); /* then the next buffer is free */
	c->batch = &pp->b[pp->h.handed % PIPE_BATCHES];
}

/* Waits until every batch handed over is in the zone: the parser may then change it. */
static void pipe_drain(struct parse_ctx *c)
{
	if (c->pipe)
		zsync_handoff_drain(&c->pipe->h);
}

static bool pipe_start(struct parse_ctx *c, struct pipe *pp)
{
	*pp = (struct pipe){ .z = c->z, .d.errors_only = c->d->errors_only };
	zsync_handoff_init(&pp->h);
	for (size_t k = 0; k < PIPE_BATCHES; k++)
		batch_new(&pp->b[k], PIPE_RECORDS, PIPE_RECORDS * 64 + BATCH_BYTES);
	if (!zsync_thread_start(&pp->th, pipe_run, pp)) {
		for (size_t k = 0; k < PIPE_BATCHES; k++) {
			free(pp->b[k].rec);
			free(pp->b[k].buf);
		}
		zsync_handoff_destroy(&pp->h);
		return false;
	}
	c->pipe = pp;
	c->batch = &pp->b[0];
	return true;
}

/* The last batch in, the thread ended, and its findings put in place among the parser's. */
static void pipe_end(struct parse_ctx *c)
{
	struct pipe *pp = c->pipe;
	struct zsync_diags *d = c->d;

	pipe_hand(c);
	zsync_handoff_close(&pp->h);
	zsync_thread_join(pp->th);
	if (pp->d.n) {
		size_t n = d->n + pp->d.n, o = 0, k = 0;
		struct zsync_diag *v = zsync_xmalloc(n * sizeof(*v));
		for (size_t i = 0; i <= d->n; i++) {
			while (k < pp->d.n && pp->at[k] <= i)
				v[o++] = pp->d.v[k++];
			if (i < d->n)
				v[o++] = d->v[i];
		}
		free(d->v);
		d->v = v;
		d->n = d->alloc = n;
		d->errors += pp->d.errors;
		d->warnings += pp->d.warnings;
	}
	free(pp->d.v);
	free(pp->at);
	for (size_t k = 0; k < PIPE_BATCHES; k++) {
		free(pp->b[k].rec);
		free(pp->b[k].buf);
	}
	zsync_handoff_destroy(&pp->h);
	c->pipe = NULL;
	c->batch = NULL;
}

static void batch_flush(struct parse_ctx *c)
{
	if (!c->batch)
		return; /* locating: nothing is added */
	if (c->pipe)
		pipe_hand(c);
	else
		batch_insert(c->z, c->batch, c->d, NULL);
}

/* zsync_zone_locate's queries: open addressing over locs by record hash, index + 1 */
struct locate {
	struct zsync_zone_loc *locs;
	uint32_t *slots;
	size_t mask, left;
};

static uint64_t record_hash(const uint8_t *owner, uint16_t type, const uint8_t *item)
{
	return bytes_hash(item, 2 + zsync_rdata_len(item), rrset_hash(owner, zsync_name_len(owner), type));
}

/* handle_record's part when locating: kept out of the loading path, which it must not slow */
static __attribute__((noinline, cold)) void locate_record(struct parse_ctx *c, zs_scanner_t *s, uint16_t file)
{
	struct locate *l = c->loc;
	uint8_t owner[KNOT_DNAME_MAXLEN];

	if (s->r_ttl == NO_TTL || s->r_ttl > TTL_MAX ||
	    !zsync_rdata_well_formed(s->r_type, s->r_data, s->r_data_length))
		return; /* never added (the first parse said why) */
	memcpy(owner, s->r_owner, s->r_owner_length);
	canonicalise(scratch, owner, s->r_type, s->r_data, (uint16_t)s->r_data_length);
	for (size_t k = record_hash(owner, s->r_type, scratch) & l->mask; l->slots[k]; k = (k + 1) & l->mask) {
		struct zsync_zone_loc *q = &l->locs[l->slots[k] - 1];
		if (q->line || q->type != s->r_type || !zsync_name_equal(q->owner, owner) ||
		    rdata_cmp(q->rd, scratch) != 0)
			continue;
		q->file = file;
		q->line = (uint32_t)s->line_counter;
		if (--l->left == 0)
			c->stop = true; /* all found: the rest need not be read */
	}
}

static void handle_record(struct parse_ctx *c, zs_scanner_t *s, const char *path, uint16_t file)
{
	struct batch *b = c->batch;
	struct zsync_zone *z = c->z;
	size_t need = s->r_owner_length + knot_rdata_size((uint16_t)s->r_data_length) + 2;
	struct pending *p;

	if (s->r_ttl == NO_TTL) {
		zsync_diags_add(c->d, path, (unsigned)s->line_counter, ZSYNC_SEV_ERROR, "no-ttl",
				"record has no TTL and no $TTL precedes it (add a TTL or a $TTL line)");
		return;
	}
	if (s->r_ttl > TTL_MAX) {
		zsync_diags_add(c->d, path, (unsigned)s->line_counter, ZSYNC_SEV_ERROR, "ttl-range",
				"TTL %u is over 2147483647: a TTL is 0 to 2^31-1 (RFC 2181 section 8; servers would serve it as 0)",
				(unsigned)s->r_ttl);
		return;
	}
	if (!zsync_rdata_well_formed(s->r_type, s->r_data, s->r_data_length)) {
		char t[32];
		zsync_type_to_text(s->r_type, t, sizeof(t));
		zsync_diags_add(c->d, path, (unsigned)s->line_counter, ZSYNC_SEV_ERROR, "syntax",
				"%s rdata of %u octets does not have the wire format of %s (RFC 3597 section 5: generic data of a known type must be valid rdata of that type)",
				t, (unsigned)s->r_data_length, t);
		return;
	}
	if (c->pipe) {
		struct pipe *pp = c->pipe;
		if (pp->vn == BATCH_RECORDS || pp->vused + need > BATCH_BYTES) {
			/* a serial batch ends here; the pipe's only with room for less than another */
			if (b->max_n - b->n < BATCH_RECORDS || b->max_used - b->used < BATCH_BYTES)
				pipe_hand(c);
			else
				pipe_serial_flush(c);
			b = c->batch;
		}
		pp->vn++;
		pp->vused += ((s->r_owner_length + 1) & ~1u) + knot_rdata_size((uint16_t)s->r_data_length);
	} else if (b->n == b->max_n || b->used + need > b->max_used) {
		batch_flush(c);
	}
	p = &b->rec[b->n++];
	p->owner = b->buf + b->used;
	memcpy(p->owner, s->r_owner, s->r_owner_length);
	p->olen = (uint8_t)s->r_owner_length;
	p->item = p->owner + ((p->olen + 1) & ~1u); /* knot_rdata_t wants 2-byte alignment */
	b->used += (size_t)(p->item - p->owner) + knot_rdata_size((uint16_t)s->r_data_length);
	p->type = s->r_type;
	p->ttl = s->r_ttl;
	p->line = (unsigned)s->line_counter;
	p->file = file;
	if (c->pipe) {
		/* the canonical form and the hash are the inserting thread's work */
		knot_rdata_init((knot_rdata_t *)p->item, (uint16_t)s->r_data_length, s->r_data);
		return;
	}
	canonicalise(p->item, p->owner, s->r_type, s->r_data, (uint16_t)s->r_data_length);
	p->hash = rrset_hash(p->owner, p->olen, p->type);
	__builtin_prefetch(&z->slots[(uint32_t)(p->hash >> 32) & (z->cap - 1)]);
}

/*
 * libzscanner in pull mode reports an $INCLUDE by breaking out of its state machine
 * before the directive's call frame is popped (its fret never runs), so each $INCLUDE
 * leaves one entry on the scanner's fixed Ragel stack (ZS_RAGEL_STACK_SIZE, 16, which
 * parse() copies into a local array): the 17th include of one file wrote past it and
 * smashed the C stack. So a scanner never reads past one $INCLUDE: the rest of the file
 * goes on in a freshly initialised scanner that inherits the file's context, i.e. the
 * origin ($ORIGIN), the default TTL ($TTL), the last owner (for lines that start blank)
 * and the line number. Returns -1 (with a diagnostic) if libzscanner refuses.
 */
static int scanner_resume(struct parse_ctx *c, zs_scanner_t *s, const char *path,
			  const char *text, size_t len)
{
	uint8_t origin[sizeof(s->zone_origin)], owner[sizeof(s->r_owner)];
	uint32_t origin_len = s->zone_origin_length, owner_len = s->r_owner_length;
	uint32_t ttl = s->default_ttl;
	uint64_t line = s->line_counter;
	uintptr_t cur = (uintptr_t)s->input.current, start = (uintptr_t)text;
	/* after a last line without a newline, libzscanner reads from its own "\n" */
	size_t off = cur >= start && cur <= start + len ? (size_t)(cur - start) : len;

	memcpy(origin, s->zone_origin, origin_len);
	memcpy(owner, s->r_owner, owner_len);
	zs_deinit(s);
	if (zs_init(s, ".", KNOT_CLASS_IN, ttl) != 0 ||
	    zs_set_input_string(s, text + off, len - off) != 0) {
		zsync_diags_add(c->d, path, (unsigned)line, ZSYNC_SEV_ERROR, "syntax", "%s",
				zs_strerror(s->error.code));
		return -1;
	}
	memcpy(s->zone_origin, origin, origin_len);
	s->zone_origin_length = origin_len;
	memcpy(s->r_owner, owner, owner_len);
	s->r_owner_length = owner_len;
	s->line_counter = line;
	set_scanner_dir(s, path);
	return 0;
}

/*
 * A scanner is ~200 KiB: never on the stack, and not a fresh (page-faulting) one for each
 * of 50,000 small zones either. Each thread keeps one spare; $INCLUDE nesting takes more.
 */
static pthread_key_t spare_key;
static bool spare_key_ok; /* without a key (the system refused one) there is no spare */
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_key_make(void)
{
	spare_key_ok = pthread_key_create(&spare_key, free) == 0;
}

static zs_scanner_t *scanner_get(void)
{
	zs_scanner_t *s;

	/* the spare is taken only if the key lets go of it (else it stays the key's) */
	if (pthread_once(&spare_once, spare_key_make) == 0 && spare_key_ok &&
	    (s = pthread_getspecific(spare_key)) && pthread_setspecific(spare_key, NULL) == 0)
		return s;
	return zsync_xmalloc(sizeof(*s));
}

/* After zs_deinit. */
static void scanner_put(zs_scanner_t *s)
{
	if (spare_key_ok && !pthread_getspecific(spare_key) && pthread_setspecific(spare_key, s) == 0)
		return;
	free(s);
}

static void parse_text(struct parse_ctx *c, const char *path, const char *text, size_t len,
		       const char *origin, uint32_t default_ttl)
{
	zs_scanner_t *s = scanner_get();
	/* locating: the files are the zone's already (UINT16_MAX: one it never read) */
	uint16_t file = c->loc ? zone_file_index(c->z, path) : zone_add_file(c->z, path);

	if (zs_init(s, origin, KNOT_CLASS_IN, default_ttl) != 0) {
		zsync_diags_add(c->d, path, 0, ZSYNC_SEV_ERROR, "syntax", "bad origin '%s': %s",
				origin, zs_strerror(s->error.code));
		goto out;
	}
	if (zs_set_input_string(s, text, len) != 0) {
		zsync_diags_add(c->d, path, 0, ZSYNC_SEV_ERROR, "syntax", "%s",
				zs_strerror(s->error.code));
		goto out;
	}
	set_scanner_dir(s, path);
	while (zs_parse_record(s) == 0 || s->state == ZS_STATE_ERROR) {
		switch (s->state) {
		case ZS_STATE_DATA:
			if (__builtin_expect(c->loc != NULL, 0)) {
				locate_record(c, s, file);
				if (c->stop)
					goto out; /* every record asked for is found */
				break;
			}
			handle_record(c, s, path, file);
			break;
		case ZS_STATE_ERROR:
			syntax_error(c, s, path, text, len);
			if (s->error.fatal)
				goto out;
			break;
		case ZS_STATE_INCLUDE:
			batch_flush(c); /* keep the records of the file in order before the include's */
			pipe_drain(c);  /* the include adds its file to the zone */
			handle_include(c, s, path);
			if (c->stop || scanner_resume(c, s, path, text, len) < 0)
				goto out;
			break;
		default:
			goto out;
		}
	}
out:
	zs_deinit(s);
	scanner_put(s);
}

int zsync_zone_parse(struct zsync_zone *z, const char *path, const char *text, size_t len,
		     zsync_read_fn read, void *read_ctx, struct zsync_diags *diags)
{
	struct parse_ctx c = { .z = z, .d = diags, .read = read, .read_ctx = read_ctx };
	size_t errors_before = diags->errors;
	char norm[4096];

	/* the top file's own path anchors loop detection */
	c.chain[0] = normalise_path(path, norm, sizeof(norm)) == 0 ? norm : path;
	struct batch serial;
	struct pipe pipe;
	c.batch = batch_new(&serial, BATCH_RECORDS, BATCH_BYTES);
	c.files = 1;
	c.bytes = len;
	if (len > z->budget.max_bytes)
		zsync_diags_add(diags, path, 0, ZSYNC_SEV_ERROR, "include",
				"%zu bytes exceed the zone's budget of %" PRIu64
				" bytes (repo.max_include_bytes)", len, z->budget.max_bytes);
	else {
		zsync_zone_load_begin(z);
		if (z->sort_threads > 1 && len >= PIPE_MIN_BYTES)
			pipe_start(&c, &pipe);
		parse_text(&c, path, text, len, z->name, NO_TTL);
	}
	if (c.pipe)
		pipe_end(&c);
	else
		batch_flush(&c);
	bulk_finish(z);
	free(serial.rec);
	free(serial.buf);
	z->last_owner = NULL;
	zone_shrink(z);
	return diags->errors > errors_before ? ZSYNC_EINVAL : 0;
}

void zsync_zone_locate(const struct zsync_zone *z, const char *path, const char *text, size_t len,
		       zsync_read_fn read, void *read_ctx, struct zsync_zone_loc *locs, size_t n)
{
	/* the parse only reads the zone (its files, origin and budget): locate_record adds nothing */
	struct zsync_diags diags = { 0 }; /* the first parse reported them already */
	struct locate l = { .locs = locs, .left = n };
	struct parse_ctx c = { .z = (struct zsync_zone *)z, .d = &diags, .read = read,
			       .read_ctx = read_ctx, .loc = &l };
	char norm[4096];
	size_t cap = 16;

	if (!n)
		return;
	while (cap < n * 2)
		cap *= 2;
	l.slots = zsync_xcalloc(cap, sizeof(*l.slots));
	l.mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		size_t k = record_hash(locs[i].owner, locs[i].type, locs[i].rd) & l.mask;
		while (l.slots[k])
			k = (k + 1) & l.mask;
		l.slots[k] = (uint32_t)i + 1;
		locs[i].line = 0;
	}
	c.chain[0] = normalise_path(path, norm, sizeof(norm)) == 0 ? norm : path;
	c.files = 1;
	c.bytes = len;
	if (len <= z->budget.max_bytes)
		parse_text(&c, path, text, len, z->name, NO_TTL);
	free(l.slots);
	zsync_diags_release(&diags);
}

int zsync_zone_add_text(struct zsync_zone *z, const char *text, size_t len, struct zsync_err *err)
{
	zs_scanner_t *s = scanner_get();
	int ret = 0;

	bool own_bulk = !z->bulk;
	if (own_bulk)
		z->bulk = zsync_xcalloc(1, sizeof(*z->bulk));
	if (zs_init(s, z->name, KNOT_CLASS_IN, NO_TTL) != 0 ||
	    zs_set_input_string(s, text, len) != 0) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "zone '%s': %s", z->name,
				    zs_strerror(s->error.code));
		goto out;
	}
	while (zs_parse_record(s) == 0) {
		const struct zsync_rrset *r;
		if (s->state != ZS_STATE_DATA)
			break;
		if (s->r_ttl == NO_TTL) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "zone '%s': record without TTL",
					    z->name);
			goto out;
		}
		if (!zsync_rdata_well_formed(s->r_type, s->r_data, s->r_data_length)) {
			char t[32];
			zsync_type_to_text(s->r_type, t, sizeof(t));
			ret = zsync_err_set(err, ZSYNC_EINVAL, "zone '%s': malformed %s rdata (%u octets)",
					    z->name, t, (unsigned)s->r_data_length);
			goto out;
		}
		canonicalise(scratch, s->r_owner, s->r_type, s->r_data,
			     (uint16_t)s->r_data_length);
		zone_insert(z, s->r_owner, s->r_owner_length, s->r_type, s->r_ttl, 0, 0, scratch,
			    rrset_hash(s->r_owner, s->r_owner_length, s->r_type), &r);
	}
	if (s->state == ZS_STATE_ERROR || s->state == ZS_STATE_INCLUDE) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "zone '%s': cannot parse '%.*s': %s",
				    z->name, (int)(len > 200 ? 200 : len), text,
				    s->state == ZS_STATE_INCLUDE ? "$INCLUDE not allowed here"
								 : zs_strerror(s->error.code));
	}
out:
	if (own_bulk)
		bulk_finish(z);
	z->last_owner = NULL;
	zs_deinit(s);
	scanner_put(s);
	return ret;
}
