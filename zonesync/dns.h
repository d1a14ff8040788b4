/* dns.h - DNS over TCP with TSIG: AXFR into a zone model, UPDATE messages, SOA queries (libknot) */
#ifndef ZSYNC_DNS_H
#define ZSYNC_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "zone.h"

/* ZSYNC_ECONFLICT and ZSYNC_EUNKNOWN, returned by UPDATEs, are in err.h's table. */

#define ZSYNC_DNS_CLASS_IN 1
#define ZSYNC_DNS_CLASS_NONE 254
#define ZSYNC_DNS_CLASS_ANY 255
#define ZSYNC_DNS_MAX_MESSAGE 65535

struct zsync_tsig;

/* A TSIG key: algorithm "hmac-sha256" (default when NULL), "hmac-sha1", "hmac-sha512"... */
int zsync_tsig_new(struct zsync_tsig **out, const char *algorithm, const char *name,
		   const char *secret_b64, struct zsync_err *err);
void zsync_tsig_free(struct zsync_tsig *key);
const char *zsync_tsig_name(const struct zsync_tsig *key);

/* What one zone transfer may bring: a server that never ends one is cut off there. */
#define ZSYNC_AXFR_MAX_BYTES (1024ull * 1024 * 1024) /* message bytes in total */
#define ZSYNC_AXFR_MAX_RECORDS 10000000ull            /* resource records in total */
struct zsync_axfr_limits {
	uint64_t max_bytes;   /* 0: ZSYNC_AXFR_MAX_BYTES */
	uint64_t max_records; /* 0: ZSYNC_AXFR_MAX_RECORDS */
};

/*
 * Transfers zone (presentation name) from server ("host:port", port 53 by default) by
 * AXFR over TCP, signed with key when not NULL. Every message is parsed and must answer
 * the query (id, QR, opcode, question); with a key, the TSIG chain is verified (RFC 8945
 * 5.3.1: at most 99 unsigned messages in a row, the last one signed); records count only
 * once the whole transfer verified. The transfer stops with an error past limits (NULL:
 * the defaults) or timeout_ms in total. *out holds the zone, its SOA included.
 */
int zsync_dns_axfr(const char *server, const char *zone, const struct zsync_tsig *key,
		   int timeout_ms, const struct zsync_axfr_limits *limits, struct zsync_zone **out,
		   struct zsync_err *err);

/*
 * The same transfer without the transport, one message at a time (the fuzzer and tests
 * play the server): begin gives the query to send, feed takes each answer message (1 when
 * the closing SOA came, 0 for more, < 0 error), end checks the TSIG chain's end and hands
 * over the zone. server only names the peer in messages.
 */
struct zsync_axfr;
int zsync_axfr_begin(struct zsync_axfr **out, const char *server, const char *zone,
		     const struct zsync_tsig *key, const struct zsync_axfr_limits *limits,
		     struct zsync_err *err);
const uint8_t *zsync_axfr_query(const struct zsync_axfr *x, size_t *len);
int zsync_axfr_feed(struct zsync_axfr *x, const uint8_t *msg, size_t len, struct zsync_err *err);
int zsync_axfr_end(struct zsync_axfr *x, struct zsync_zone **out, struct zsync_err *err);
void zsync_axfr_free(struct zsync_axfr *x);
/*
 * The server's side, for tests and the fuzzer: adds answer msg (len bytes of cap, its id
 * set) to the TSIG chain of x's key and, when sign_it, signs it as a server does (the
 * first with the request MAC, later ones over every message since the last signature).
 */
int zsync_axfr_sign_answer(struct zsync_axfr *x, uint8_t *msg, size_t *len, size_t cap,
			   bool sign_it, struct zsync_err *err);

/* One resource record of an UPDATE (RFC 2136 forms: class IN/NONE/ANY, rdata may be empty). */
struct zsync_dns_rr {
	const uint8_t *owner;
	uint16_t type, rclass;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
};

/* Wire bytes one RR takes in a message (no name compression assumed). */
size_t zsync_dns_rr_size(const struct zsync_dns_rr *rr);

/*
 * Sends one UPDATE for zone with prerequisites and updates, over TCP, TSIG-signed with key
 * (or unsigned when NULL). 0 on NOERROR; ZSYNC_ECONFLICT when a prerequisite failed;
 * ZSYNC_EUNKNOWN when the response could not be verified (malformed, not the answer to
 * this UPDATE: id, QR, opcode, zone; with a key, its TSIG); another error with err naming
 * the rcode and, for key problems, the key (never the secret).
 */
int zsync_dns_update(const char *server, const char *zone, const struct zsync_tsig *key,
		     int timeout_ms, const struct zsync_dns_rr *prereq, size_t nprereq,
		     const struct zsync_dns_rr *upd, size_t nupd, struct zsync_err *err);

/*
 * The same without the transport (the fuzzer and tests play the server): begin builds
 * and signs the message, answer judges the server's answer as zsync_dns_update does, and
 * sign_answer signs an answer (its id set) as a server would, for tests.
 */
struct zsync_update;
int zsync_update_begin(struct zsync_update **out, const char *server, const char *zone,
		       const struct zsync_tsig *key, const struct zsync_dns_rr *prereq,
		       size_t nprereq, const struct zsync_dns_rr *upd, size_t nupd,
		       struct zsync_err *err);
const uint8_t *zsync_update_query(const struct zsync_update *u, size_t *len);
int zsync_update_answer(struct zsync_update *u, const uint8_t *msg, size_t len,
			struct zsync_err *err);
int zsync_update_sign_answer(struct zsync_update *u, uint8_t *msg, size_t *len, size_t cap,
			     struct zsync_err *err);
void zsync_update_free(struct zsync_update *u);

/* Message bytes taken by everything but the RRs (header, zone section, TSIG). */
size_t zsync_dns_update_overhead(const char *zone, const struct zsync_tsig *key);

/* The answer to one query. */
struct zsync_dns_answer {
	int rcode;                 /* 0 NOERROR, 3 NXDOMAIN, ... */
	bool authoritative;        /* the AA bit */
	bool truncated_retried;    /* UDP answer was truncated and TCP was used */
	struct zsync_zone *answer;    /* answer-section records (owner may be anything) */
	struct zsync_zone *authority; /* authority-section records (referrals) */
	struct zsync_zone *additional; /* additional-section records (a referral's glue) */
};

/*
 * Asks server for (qname, qtype) without recursion: UDP with EDNS (1232 bytes), again
 * over TCP when the answer is truncated. The answer must match the query (id, QR, opcode,
 * question). zone names the model the records go into.
 * Free the answer with zsync_dns_answer_release().
 */
int zsync_dns_query(const char *server, const char *zone, const uint8_t *qname, uint16_t qtype,
		    int timeout_ms, struct zsync_dns_answer *out, struct zsync_err *err);
void zsync_dns_answer_release(struct zsync_dns_answer *a);
/* Parses one response message (untrusted bytes) into out; ZSYNC_EINVAL when malformed. */
int zsync_dns_parse_answer(const uint8_t *wire, size_t len, const char *zone,
			   struct zsync_dns_answer *out, struct zsync_err *err);

/* Parses "host", "host:port", "[v6]:port"; writes host (without brackets) and port. */
int zsync_dns_split_server(const char *server, char *host, size_t hostlen, uint16_t *port,
			   struct zsync_err *err);

#endif
