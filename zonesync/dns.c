/* dns.c - DNS messages and transport: AXFR with a verified TSIG chain, UPDATE, over TCP (libknot) */
#include "dns.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

struct zsync_tsig {
	knot_tsig_key_t key;
	char name[256];
};

int zsync_tsig_new(struct zsync_tsig **out, const char *algorithm, const char *name,
		   const char *secret_b64, struct zsync_err *err)
{
	struct zsync_tsig *t = zsync_xcalloc(1, sizeof(*t));
	int r;

	*out = NULL;
	if (!algorithm || !*algorithm)
		algorithm = "hmac-sha256";
	r = knot_tsig_key_init(&t->key, algorithm, name, secret_b64);
	if (r != KNOT_EOK) {
		free(t);
		/* knot's message may quote the input; name the key and the problem only */
		return zsync_err_set(err, ZSYNC_EINVAL, "TSIG key '%s' (%s): %s", name, algorithm,
				     r == KNOT_EMALF || r == KNOT_EINVAL ? "invalid algorithm, name or base64 secret"
									 : knot_strerror(r));
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	*out = t;
	return 0;
}

void zsync_tsig_free(struct zsync_tsig *t)
{
	if (!t)
		return;
	knot_tsig_key_deinit(&t->key);
	free(t);
}

const char *zsync_tsig_name(const struct zsync_tsig *t)
{
	return t->name;
}

/* ---- transport ---- */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int zsync_dns_split_server(const char *server, char *host, size_t hostlen, uint16_t *port,
			   struct zsync_err *err)
{
	const char *p = server, *colon;
	size_t n;
	long pv = 53;

	if (*p == '[') {
		const char *e = strchr(p, ']');
		if (!e)
			return zsync_err_set(err, ZSYNC_EINVAL, "server '%s': missing ']'", server);
		n = (size_t)(e - p - 1);
		p++;
		colon = e[1] == ':' ? e + 1 : NULL;
	} else {
		colon = strrchr(p, ':');
		if (colon && strchr(p, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		n = colon ? (size_t)(colon - p) : strlen(p);
	}
	if (n == 0 || n >= hostlen)
		return zsync_err_set(err, ZSYNC_EINVAL, "server '%s': bad host", server);
	memcpy(host, p, n);
	host[n] = '\0';
	if (colon) {
		char *end;
		pv = strtol(colon + 1, &end, 10);
		if (*end || pv < 1 || pv > 65535)
			return zsync_err_set(err, ZSYNC_EINVAL, "server '%s': bad port", server);
	}
	*port = (uint16_t)pv;
	return 0;
}

static int tcp_connect(const char *server, long long deadline, struct zsync_err *err)
{
	char host[256], port_s[8];
	uint16_t port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *res = NULL;
	int fd = -1, r;

	if (zsync_dns_split_server(server, host, sizeof(host), &port, err) < 0)
		return ZSYNC_EINVAL;
	snprintf(port_s, sizeof(port_s), "%u", port);
	if ((r = getaddrinfo(host, port_s, &hints, &res)) != 0)
		return zsync_err_set(err, ZSYNC_EIO, "server %s: %s", server, gai_strerror(r));
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			zsync_err_set(err, ZSYNC_EIO, "server %s: %s", server, strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		struct pollfd pfd = { fd, POLLOUT, 0 };
		long long left = deadline - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			zsync_err_set(err, ZSYNC_EIO, "server %s: connection timed out", server);
			close(fd);
			fd = -1;
			continue;
		}
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			zsync_err_set(err, ZSYNC_EIO, "server %s: %s", server, strerror(soerr));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : ZSYNC_EIO;
}

static int io_all(int fd, uint8_t *buf, size_t len, bool writing, long long deadline,
		  const char *server, struct zsync_err *err)
{
	size_t done = 0;
	while (done < len) {
		struct pollfd pfd = { fd, writing ? POLLOUT : POLLIN, 0 };
		long long left = deadline - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return zsync_err_set(err, ZSYNC_EIO, "server %s: timed out", server);
		ssize_t n = writing ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
				    : recv(fd, buf + done, len - done, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return zsync_err_set(err, ZSYNC_EIO, "server %s: %s", server,
					     n == 0 ? "connection closed" : strerror(errno));
		done += (size_t)n;
	}
	return 0;
}

static int tcp_send(int fd, const uint8_t *msg, size_t len, long long deadline, const char *server,
		    struct zsync_err *err)
{
	uint8_t *buf = zsync_xmalloc(len + 2);
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	memcpy(buf + 2, msg, len);
	int r = io_all(fd, buf, len + 2, true, deadline, server, err);
	free(buf);
	return r;
}

/* Reads one length-prefixed message into buf (65535 bytes). */
static int tcp_recv(int fd, uint8_t *buf, size_t *len, long long deadline, const char *server,
		    struct zsync_err *err)
{
	uint8_t l[2];
	if (io_all(fd, l, 2, false, deadline, server, err) < 0)
		return ZSYNC_EIO;
	*len = ((size_t)l[0] << 8) | l[1];
	if (*len < KNOT_WIRE_HEADER_SIZE)
		return zsync_err_set(err, ZSYNC_EINVAL, "server %s: message too short", server);
	return io_all(fd, buf, *len, false, deadline, server, err);
}

static uint16_t random_id(void)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(now_ms() ^ getpid());
	return id;
}

/* TSIG errors (RFC 8945) and rcodes as words, for messages. */
static const char *tsig_error_name(uint16_t e)
{
	switch (e) {
	case 16: return "BADSIG: the secret does not match";
	case 17: return "BADKEY: the server does not know this key";
	case 18: return "BADTIME: the clocks differ by more than the fudge";
	case 22: return "BADTRUNC";
	default: return NULL;
	}
}

/* Builds the query (header, question), signs it; mac receives the request MAC. */
static knot_pkt_t *new_query(const char *zone, uint16_t qtype, uint16_t opcode,
			     const struct zsync_tsig *key, struct zsync_err *err)
{
	knot_pkt_t *q = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	uint8_t qname[KNOT_DNAME_MAXLEN];

	if (!q) {
		zsync_err_set(err, ZSYNC_ENOMEM, "out of memory");
		return NULL;
	}
	if (!knot_dname_from_str(qname, zone, sizeof(qname))) {
		zsync_err_set(err, ZSYNC_EINVAL, "bad zone name '%s'", zone);
		knot_pkt_free(q);
		return NULL;
	}
	knot_wire_set_id(q->wire, random_id());
	knot_wire_set_opcode(q->wire, opcode);
	if (key)
		knot_pkt_reserve(q, (uint16_t)knot_tsig_wire_size(&key->key));
	knot_pkt_put_question(q, qname, KNOT_CLASS_IN, qtype);
	return q;
}

static int sign(knot_pkt_t *q, const struct zsync_tsig *key, uint8_t *mac, size_t *mac_len,
		struct zsync_err *err)
{
	int r;
	if (!key) {
		*mac_len = 0;
		return 0;
	}
	knot_pkt_reclaim(q, (uint16_t)knot_tsig_wire_size(&key->key));
	r = knot_tsig_sign(q->wire, &q->size, q->max_size, NULL, 0, mac, mac_len, &key->key, 0, 0);
	if (r != KNOT_EOK)
		return zsync_err_set(err, ZSYNC_EINVAL, "cannot sign with TSIG key '%s': %s", key->name,
				     knot_strerror(r));
	return 0;
}

/*
 * Why message p is not the answer to query q, or NULL: the same id, the QR bit, the same
 * opcode, and the question echoed (name in any case, type, class). question_required:
 * a positive answer must carry it (a query's, the first AXFR message, RFC 5936 2.2);
 * later AXFR messages and UPDATE answers may leave it out (RFC 5936 2.2, RFC 2136 3.8).
 */
static const char *not_the_answer(const knot_pkt_t *p, const knot_pkt_t *q, bool question_required)
{
	uint16_t qd = knot_wire_get_qdcount(p->wire);

	if (knot_wire_get_id(p->wire) != knot_wire_get_id(q->wire))
		return "another message id";
	if (!knot_wire_get_qr(p->wire))
		return "not a response (QR bit clear)";
	if (knot_wire_get_opcode(p->wire) != knot_wire_get_opcode(q->wire))
		return "another opcode";
	if (qd == 0)
		return question_required && knot_pkt_ext_rcode(p) == KNOT_RCODE_NOERROR
			       ? "no question section"
			       : NULL;
	if (qd > 1)
		return "more than one question";
	if (!knot_dname_is_case_equal(knot_pkt_qname(p), knot_pkt_qname(q)) ||
	    knot_pkt_qtype(p) != knot_pkt_qtype(q) || knot_pkt_qclass(p) != knot_pkt_qclass(q))
		return "another question";
	return NULL;
}

/* ---- AXFR ---- */

struct zsync_axfr {
	const char *server;           /* for messages */
	char *zone;
	const struct zsync_tsig *key;
	uint64_t max_bytes, max_records, bytes, records;
	knot_pkt_t *q;
	uint8_t mac[64], prev[64];    /* the request's MAC; the last verified one */
	size_t mac_len, prev_len;
	uint8_t *chain;               /* messages since the last signed one, for the next MAC */
	size_t chain_len, chain_cap;
	uint8_t *buf;                 /* the message being parsed (libknot strips its TSIG) */
	struct zsync_zone *z;
	int soas, unsigned_run, messages;
	bool done, last_signed;
	/* zsync_axfr_sign_answer(): the server's side of the same chain */
	uint8_t srv_prev[64];
	size_t srv_prev_len;
	uint8_t *srv_pending;
	size_t srv_pending_len;
	int srv_signed;
};

int zsync_axfr_begin(struct zsync_axfr **out, const char *server, const char *zone,
		     const struct zsync_tsig *key, const struct zsync_axfr_limits *limits,
		     struct zsync_err *err)
{
	struct zsync_axfr *x = zsync_xcalloc(1, sizeof(*x));

	*out = NULL;
	x->server = server;
	x->zone = zsync_xstrdup(zone);
	x->key = key;
	x->max_bytes = limits && limits->max_bytes ? limits->max_bytes : ZSYNC_AXFR_MAX_BYTES;
	x->max_records = limits && limits->max_records ? limits->max_records : ZSYNC_AXFR_MAX_RECORDS;
	x->mac_len = sizeof(x->mac);
	x->buf = zsync_xmalloc(ZSYNC_DNS_MAX_MESSAGE);
	if (!(x->q = new_query(zone, KNOT_RRTYPE_AXFR, KNOT_OPCODE_QUERY, key, err)) ||
	    sign(x->q, key, x->mac, &x->mac_len, err) < 0 || !(x->z = zsync_zone_new(zone, err))) {
		zsync_axfr_free(x);
		return ZSYNC_EINVAL;
	}
	zsync_zone_load_begin(x->z); /* big RRsets in a transfer: linear */
	*out = x;
	return 0;
}

const uint8_t *zsync_axfr_query(const struct zsync_axfr *x, size_t *len)
{
	*len = x->q->size;
	return x->q->wire;
}

void zsync_axfr_free(struct zsync_axfr *x)
{
	if (!x)
		return;
	knot_pkt_free(x->q);
	zsync_zone_free(x->z);
	free(x->chain);
	free(x->srv_pending);
	free(x->buf);
	free(x->zone);
	free(x);
}

/* The TSIG rules of RFC 8945 5.3.1 for one parsed message p of the transfer. */
static int axfr_verify(struct zsync_axfr *x, knot_pkt_t *p, struct zsync_err *err)
{
	const struct zsync_tsig *key = x->key;

	/* MACs cover every message since the previous MAC */
	if (x->chain_len + p->size > x->chain_cap)
		x->chain = zsync_xrealloc(x->chain, x->chain_cap = (x->chain_len + p->size) * 2);
	memcpy(x->chain + x->chain_len, p->wire, p->size);
	x->chain_len += p->size;
	if (p->tsig_rr) {
		int r = x->messages == 1
				? knot_tsig_client_check(p->tsig_rr, x->chain, x->chain_len, x->mac, x->mac_len, &key->key, 0)
				: knot_tsig_client_check_next(p->tsig_rr, x->chain, x->chain_len, x->prev, x->prev_len, &key->key, 0);
		if (r != KNOT_EOK)
			return zsync_err_set(err, ZSYNC_EINVAL,
					     "AXFR of %s from %s: message %d fails TSIG verification with key '%s' (%s); transfer rejected",
					     x->zone, x->server, x->messages, key->name, knot_strerror(r));
		x->prev_len = knot_tsig_rdata_mac_length(p->tsig_rr);
		if (x->prev_len > sizeof(x->prev))
			x->prev_len = sizeof(x->prev);
		memcpy(x->prev, knot_tsig_rdata_mac(p->tsig_rr), x->prev_len);
		x->chain_len = 0;
		x->unsigned_run = 0;
		x->last_signed = true;
		return 0;
	}
	x->last_signed = false;
	/* bounded too: the chain holds at most 99 messages */
	if (x->messages == 1 || ++x->unsigned_run > 99)
		return zsync_err_set(err, ZSYNC_EINVAL, "AXFR of %s from %s: %s unsigned; transfer rejected",
				     x->zone, x->server,
				     x->messages == 1 ? "the first message is" : "more than 99 messages in a row are");
	return 0;
}

int zsync_axfr_feed(struct zsync_axfr *x, const uint8_t *msg, size_t len, struct zsync_err *err)
{
	const char *zone = x->zone, *server = x->server, *why;
	knot_pkt_t *p;
	int ret = 0;

	if (x->done)
		return zsync_err_set(err, ZSYNC_EINVAL, "AXFR of %s from %s: data after the closing SOA",
				     zone, server);
	x->messages++;
	/* a server that never ends the transfer is cut off here, not at the timeout */
	if ((x->bytes += len + 2) > x->max_bytes)
		return zsync_err_set(err, ZSYNC_EINVAL,
				     "AXFR of %s from %s: more than %" PRIu64 " bytes (max_transfer_bytes) in %d messages; transfer stopped",
				     zone, server, x->max_bytes, x->messages);
	if (len < KNOT_WIRE_HEADER_SIZE || len > ZSYNC_DNS_MAX_MESSAGE)
		return zsync_err_set(err, ZSYNC_EINVAL, "AXFR of %s from %s: malformed message %d",
				     zone, server, x->messages);
	memcpy(x->buf, msg, len);
	p = knot_pkt_new(x->buf, (uint16_t)len, NULL);
	if (!p || knot_pkt_parse(p, 0) != KNOT_EOK) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "AXFR of %s from %s: malformed message %d",
				    zone, server, x->messages);
		goto out;
	}
	if ((why = not_the_answer(p, x->q, x->messages == 1))) {
		ret = zsync_err_set(err, ZSYNC_EINVAL,
				    "AXFR of %s from %s: message %d is not an answer to the transfer (%s)",
				    zone, server, x->messages, why);
		goto out;
	}
	if (knot_pkt_ext_rcode(p) != KNOT_RCODE_NOERROR) {
		const char *te = p->tsig_rr ? tsig_error_name(knot_tsig_rdata_error(p->tsig_rr)) : NULL;
		ret = zsync_err_set(err, ZSYNC_EIO, "AXFR of %s from %s refused: %s%s%s%s", zone,
				    server, knot_pkt_ext_rcode_name(p), te ? " (" : "", te ? te : "",
				    te ? ")" : "");
		if (x->key && (knot_pkt_ext_rcode(p) == KNOT_RCODE_NOTAUTH || te))
			zsync_err_prefix(err, "TSIG key '%s'", x->key->name);
		goto out;
	}
	if (x->key && (ret = axfr_verify(x, p, err)) < 0)
		goto out;
	const knot_pktsection_t *an = knot_pkt_section(p, KNOT_ANSWER);
	if ((x->records += an->count) > x->max_records) {
		ret = zsync_err_set(err, ZSYNC_EINVAL,
				    "AXFR of %s from %s: more than %" PRIu64 " records (max_transfer_records) in %d messages; transfer stopped",
				    zone, server, x->max_records, x->messages);
		goto out;
	}
	for (uint16_t i = 0; i < an->count && !x->done; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type == KNOT_RRTYPE_SOA) {
			if (++x->soas == 2) {
				x->done = true;
				if (i + 1 != an->count) {
					ret = zsync_err_set(err, ZSYNC_EINVAL, "AXFR of %s from %s: data after the closing SOA", zone, server);
					goto out;
				}
				break;
			}
		} else if (x->soas == 0) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "AXFR of %s from %s: does not start with the SOA", zone, server);
			goto out;
		}
		for (uint16_t k = 0; k < rr->rrs.count; k++) {
			const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, k);
			if (zsync_zone_add(x->z, rr->owner, rr->type, rr->ttl, rd->data, rd->len, err) < 0) {
				ret = ZSYNC_EINVAL;
				goto out;
			}
		}
	}
	ret = x->done;
out:
	knot_pkt_free(p);
	return ret;
}

int zsync_axfr_end(struct zsync_axfr *x, struct zsync_zone **out, struct zsync_err *err)
{
	*out = NULL;
	if (!x->done)
		return zsync_err_set(err, ZSYNC_EINVAL, "AXFR of %s from %s: ended before the closing SOA",
				     x->zone, x->server);
	if (x->key && !x->last_signed)
		return zsync_err_set(err, ZSYNC_EINVAL, "AXFR of %s from %s: the last message is unsigned; transfer rejected",
				     x->zone, x->server);
	zsync_zone_load_end(x->z);
	*out = x->z;
	x->z = NULL;
	return 0;
}

int zsync_axfr_sign_answer(struct zsync_axfr *x, uint8_t *msg, size_t *len, size_t cap,
			   bool sign_it, struct zsync_err *err)
{
	uint8_t digest[64];
	size_t dlen = sizeof(digest);
	int r;

	if (!x->key)
		return zsync_err_set(err, ZSYNC_EINVAL, "no key to sign with");
	/* what the next MAC covers: every message since the previous one */
	x->srv_pending = zsync_xrealloc(x->srv_pending, x->srv_pending_len + *len);
	memcpy(x->srv_pending + x->srv_pending_len, msg, *len);
	x->srv_pending_len += *len;
	if (!sign_it)
		return 0;
	if (x->srv_signed++ == 0)
		r = knot_tsig_sign(msg, len, cap, x->mac, x->mac_len, digest, &dlen, &x->key->key, 0, 0);
	else
		r = knot_tsig_sign_next(msg, len, cap, x->srv_prev, x->srv_prev_len, digest, &dlen,
					&x->key->key, x->srv_pending, x->srv_pending_len);
	if (r != KNOT_EOK)
		return zsync_err_set(err, ZSYNC_EINVAL, "cannot sign: %s", knot_strerror(r));
	memcpy(x->srv_prev, digest, dlen);
	x->srv_prev_len = dlen;
	x->srv_pending_len = 0;
	return 0;
}

int zsync_dns_axfr(const char *server, const char *zone, const struct zsync_tsig *key,
		   int timeout_ms, const struct zsync_axfr_limits *limits, struct zsync_zone **out,
		   struct zsync_err *err)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	uint8_t *buf = zsync_xmalloc(ZSYNC_DNS_MAX_MESSAGE);
	struct zsync_axfr *x = NULL;
	const uint8_t *q;
	size_t qlen, len;
	int fd = -1, ret;

	*out = NULL;
	if ((ret = zsync_axfr_begin(&x, server, zone, key, limits, err)) < 0)
		goto out;
	q = zsync_axfr_query(x, &qlen);
	if ((fd = tcp_connect(server, deadline, err)) < 0 ||
	    tcp_send(fd, q, qlen, deadline, server, err) < 0) {
		ret = ZSYNC_EIO;
		goto out;
	}
	do {
		if (tcp_recv(fd, buf, &len, deadline, server, err) < 0) {
			ret = ZSYNC_EIO;
			goto out;
		}
	} while ((ret = zsync_axfr_feed(x, buf, len, err)) == 0);
	if (ret > 0)
		ret = zsync_axfr_end(x, out, err);
out:
	if (fd >= 0)
		close(fd);
	zsync_axfr_free(x);
	free(buf);
	return ret;
}

/* ---- UPDATE ---- */

size_t zsync_dns_rr_size(const struct zsync_dns_rr *rr)
{
	return knot_dname_size(rr->owner) + 10 + rr->rdlen;
}

size_t zsync_dns_update_overhead(const char *zone, const struct zsync_tsig *key)
{
	return KNOT_WIRE_HEADER_SIZE + strlen(zone) + 2 + 4 + (key ? knot_tsig_wire_size(&key->key) : 0);
}

static int put_rrs(knot_pkt_t *q, const struct zsync_dns_rr *rrs, size_t n, struct zsync_err *err)
{
	for (size_t i = 0; i < n; i++) {
		knot_rrset_t rr;
		knot_dname_t *owner = knot_dname_copy(rrs[i].owner, NULL);
		knot_rrset_init(&rr, owner, rrs[i].type, rrs[i].rclass, rrs[i].ttl);
		if (knot_rrset_add_rdata(&rr, rrs[i].rdata, rrs[i].rdlen, NULL) != KNOT_EOK ||
		    knot_pkt_put(q, KNOT_COMPR_HINT_NONE, &rr, KNOT_PF_FREE) != KNOT_EOK) {
			knot_rrset_clear(&rr, NULL);
			return zsync_err_set(err, ZSYNC_EINVAL, "UPDATE message too large (%zu RRs)", n);
		}
	}
	return 0;
}

struct zsync_update {
	const char *server, *zone;    /* for messages */
	const struct zsync_tsig *key;
	knot_pkt_t *q;
	uint8_t mac[64];              /* the request's MAC */
	size_t mac_len;
	uint8_t *buf;                 /* the answer being parsed (libknot strips its TSIG) */
};

int zsync_update_begin(struct zsync_update **out, const char *server, const char *zone,
		       const struct zsync_tsig *key, const struct zsync_dns_rr *prereq,
		       size_t nprereq, const struct zsync_dns_rr *upd, size_t nupd,
		       struct zsync_err *err)
{
	struct zsync_update *u = zsync_xcalloc(1, sizeof(*u));
	int ret = 0;

	*out = NULL;
	u->server = server;
	u->zone = zone;
	u->key = key;
	u->mac_len = sizeof(u->mac);
	u->buf = zsync_xmalloc(ZSYNC_DNS_MAX_MESSAGE);
	if (!(u->q = new_query(zone, KNOT_RRTYPE_SOA, KNOT_OPCODE_UPDATE, key, err))) {
		ret = ZSYNC_EINVAL;
		goto out;
	}
	/* prerequisites go in the answer section, updates in the authority section */
	knot_pkt_begin(u->q, KNOT_ANSWER);
	if ((ret = put_rrs(u->q, prereq, nprereq, err)) < 0)
		goto out;
	knot_pkt_begin(u->q, KNOT_AUTHORITY);
	if ((ret = put_rrs(u->q, upd, nupd, err)) < 0)
		goto out;
	knot_pkt_begin(u->q, KNOT_ADDITIONAL);
	ret = sign(u->q, key, u->mac, &u->mac_len, err);
out:
	if (ret < 0)
		zsync_update_free(u);
	else
		*out = u;
	return ret;
}

const uint8_t *zsync_update_query(const struct zsync_update *u, size_t *len)
{
	*len = u->q->size;
	return u->q->wire;
}

void zsync_update_free(struct zsync_update *u)
{
	if (!u)
		return;
	knot_pkt_free(u->q);
	free(u->buf);
	free(u);
}

int zsync_update_sign_answer(struct zsync_update *u, uint8_t *msg, size_t *len, size_t cap,
			     struct zsync_err *err)
{
	uint8_t digest[64];
	size_t dlen = sizeof(digest);
	int r;

	if (!u->key)
		return zsync_err_set(err, ZSYNC_EINVAL, "no key to sign with");
	r = knot_tsig_sign(msg, len, cap, u->mac, u->mac_len, digest, &dlen, &u->key->key, 0, 0);
	if (r != KNOT_EOK)
		return zsync_err_set(err, ZSYNC_EINVAL, "cannot sign: %s", knot_strerror(r));
	return 0;
}

int zsync_update_answer(struct zsync_update *u, const uint8_t *msg, size_t len,
			struct zsync_err *err)
{
	const struct zsync_tsig *key = u->key;
	const char *server = u->server, *zone = u->zone, *why;
	knot_pkt_t *p = NULL;
	uint16_t rcode;
	int ret = 0;

	if (len >= KNOT_WIRE_HEADER_SIZE && len <= ZSYNC_DNS_MAX_MESSAGE) {
		memcpy(u->buf, msg, len);
		p = knot_pkt_new(u->buf, (uint16_t)len, NULL);
	}
	if (!p || knot_pkt_parse(p, 0) != KNOT_EOK) {
		ret = zsync_err_set(err, ZSYNC_EUNKNOWN, "UPDATE of %s at %s: malformed answer; the outcome is unknown", zone, server);
		goto out;
	}
	/* without TSIG this is all that ties the answer to the update */
	if ((why = not_the_answer(p, u->q, false))) {
		ret = zsync_err_set(err, ZSYNC_EUNKNOWN,
				    "UPDATE of %s at %s: the answer is not for this update (%s); the outcome is unknown",
				    zone, server, why);
		goto out;
	}
	rcode = knot_pkt_ext_rcode(p);
	if (key && p->tsig_rr && knot_tsig_rdata_error(p->tsig_rr)) {
		const char *te = tsig_error_name(knot_tsig_rdata_error(p->tsig_rr));
		ret = zsync_err_set(err, ZSYNC_EINVAL, "TSIG key '%s' rejected by %s: %s", key->name, server,
				    te ? te : knot_pkt_ext_rcode_name(p));
		goto out;
	}
	if (key && rcode == KNOT_RCODE_NOERROR) {
		/* a positive answer must prove it came from the server: else the outcome is unknown */
		if (!p->tsig_rr || knot_tsig_client_check(p->tsig_rr, p->wire, p->size, u->mac, u->mac_len, &key->key, 0) != KNOT_EOK) {
			ret = zsync_err_set(err, ZSYNC_EUNKNOWN,
					    "UPDATE of %s at %s: the answer fails TSIG verification; the update may or may not have been applied",
					    zone, server);
			goto out;
		}
	}
	switch (rcode) {
	case KNOT_RCODE_NOERROR:
		break;
	case KNOT_RCODE_NXRRSET:
	case KNOT_RCODE_YXRRSET:
	case KNOT_RCODE_NXDOMAIN:
	case KNOT_RCODE_YXDOMAIN:
		ret = zsync_err_set(err, ZSYNC_ECONFLICT,
				    "conflict (%s): the zone changed at the server since zonesync read it",
				    knot_pkt_ext_rcode_name(p));
		break;
	case KNOT_RCODE_REFUSED:
		ret = zsync_err_set(err, ZSYNC_EIO,
				    "update refused by %s (REFUSED)", server);
		break;
	case KNOT_RCODE_NOTAUTH:
		ret = zsync_err_set(err, ZSYNC_EIO, "%s is not authoritative for %s, or rejected %s (NOTAUTH)",
				    server, zone, key ? "the TSIG key" : "an unsigned update");
		if (key)
			zsync_err_prefix(err, "TSIG key '%s'", key->name);
		break;
	case KNOT_RCODE_NOTZONE:
		ret = zsync_err_set(err, ZSYNC_EINVAL, "a name in the update is outside zone %s (NOTZONE)", zone);
		break;
	default:
		ret = zsync_err_set(err, ZSYNC_EIO, "UPDATE of %s at %s failed: %s", zone, server,
				    knot_pkt_ext_rcode_name(p));
		break;
	}
out:
	knot_pkt_free(p);
	return ret;
}

int zsync_dns_update(const char *server, const char *zone, const struct zsync_tsig *key,
		     int timeout_ms, const struct zsync_dns_rr *prereq, size_t nprereq,
		     const struct zsync_dns_rr *upd, size_t nupd, struct zsync_err *err)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	uint8_t *buf = zsync_xmalloc(ZSYNC_DNS_MAX_MESSAGE);
	struct zsync_update *u = NULL;
	const uint8_t *q;
	size_t qlen, len;
	int fd = -1, ret;

	if ((ret = zsync_update_begin(&u, server, zone, key, prereq, nprereq, upd, nupd, err)) < 0)
		goto out;
	q = zsync_update_query(u, &qlen);
	if ((fd = tcp_connect(server, deadline, err)) < 0 ||
	    tcp_send(fd, q, qlen, deadline, server, err) < 0) {
		ret = ZSYNC_EIO; /* the server never had the whole message: nothing applied */
		goto out;
	}
	if (tcp_recv(fd, buf, &len, deadline, server, err) < 0) {
		/* sent, but no answer (a timeout, a dropped connection): it may have been applied */
		ret = ZSYNC_EUNKNOWN;
		zsync_err_prefix(err, "UPDATE of %s sent, no answer; the outcome is unknown", zone);
		goto out;
	}
	ret = zsync_update_answer(u, buf, len, err);
out:
	if (fd >= 0)
		close(fd);
	zsync_update_free(u);
	free(buf);
	return ret;
}

/* ---- queries ---- */

static int udp_exchange(const char *server, const uint8_t *q, size_t qlen, uint8_t *buf,
			size_t *len, long long deadline, struct zsync_err *err)
{
	char host[256], port_s[8];
	uint16_t port;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *res = NULL;
	int fd = -1, r, ret = ZSYNC_EIO;

	if (zsync_dns_split_server(server, host, sizeof(host), &port, err) < 0)
		return ZSYNC_EINVAL;
	snprintf(port_s, sizeof(port_s), "%u", port);
	if ((r = getaddrinfo(host, port_s, &hints, &res)) != 0)
		return zsync_err_set(err, ZSYNC_EIO, "server %s: %s", server, gai_strerror(r));
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0 || send(fd, q, qlen, 0) < 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "server %s: %s", server, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			ret = zsync_err_set(err, ZSYNC_EIO, "server %s: no answer (timed out)", server);
			goto out;
		}
		ssize_t n = recv(fd, buf, ZSYNC_DNS_MAX_MESSAGE, 0);
		if (n < 0) {
			ret = zsync_err_set(err, ZSYNC_EIO, "server %s: %s", server, strerror(errno));
			goto out;
		}
		/* ignore stray datagrams with another id */
		if ((size_t)n >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_id(buf) == knot_wire_get_id(q)) {
			*len = (size_t)n;
			ret = 0;
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return ret;
}

static int collect(const knot_pktsection_t *sec, struct zsync_zone *z, struct zsync_err *err)
{
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->type == KNOT_RRTYPE_OPT || rr->type == KNOT_RRTYPE_TSIG)
			continue;
		for (uint16_t k = 0; k < rr->rrs.count; k++) {
			const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, k);
			if (zsync_zone_add(z, rr->owner, rr->type, rr->ttl, rd->data, rd->len, err) < 0)
				return ZSYNC_EINVAL;
		}
	}
	return 0;
}

int zsync_dns_parse_answer(const uint8_t *wire, size_t len, const char *zone,
			   struct zsync_dns_answer *out, struct zsync_err *err)
{
	uint8_t *copy;
	knot_pkt_t *p;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (len < KNOT_WIRE_HEADER_SIZE || len > ZSYNC_DNS_MAX_MESSAGE)
		return zsync_err_set(err, ZSYNC_EINVAL, "malformed answer (%zu octets)", len);
	copy = zsync_xmalloc(len);
	memcpy(copy, wire, len);
	p = knot_pkt_new(copy, (uint16_t)len, NULL);
	if (!p || knot_pkt_parse(p, 0) != KNOT_EOK) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "malformed answer");
		goto out;
	}
	out->rcode = knot_pkt_ext_rcode(p);
	out->authoritative = knot_wire_get_aa(p->wire);
	out->answer = zsync_zone_new(zone, err);
	out->authority = zsync_zone_new(zone, err);
	out->additional = zsync_zone_new(zone, err);
	if (!out->answer || !out->authority || !out->additional ||
	    collect(knot_pkt_section(p, KNOT_ANSWER), out->answer, err) < 0 ||
	    collect(knot_pkt_section(p, KNOT_AUTHORITY), out->authority, err) < 0 ||
	    collect(knot_pkt_section(p, KNOT_ADDITIONAL), out->additional, err) < 0) {
		zsync_dns_answer_release(out);
		ret = ZSYNC_EINVAL;
	}
out:
	knot_pkt_free(p);
	free(copy);
	return ret;
}

/* The answer in buf must be the one to q (parsed here only for the header and question). */
static int check_query_answer(const uint8_t *buf, size_t len, const knot_pkt_t *q,
			      const char *server, struct zsync_err *err)
{
	uint8_t *copy = zsync_xmalloc(len);
	knot_pkt_t *p;
	const char *why = NULL;
	int ret = 0;

	memcpy(copy, buf, len);
	p = knot_pkt_new(copy, (uint16_t)len, NULL);
	if (!p || knot_pkt_parse_question(p) != KNOT_EOK)
		why = "malformed";
	else
		why = not_the_answer(p, q, true);
	if (why)
		ret = zsync_err_set(err, ZSYNC_EINVAL, "server %s: not an answer to the query (%s)",
				    server, why);
	knot_pkt_free(p);
	free(copy);
	return ret;
}

int zsync_dns_query(const char *server, const char *zone, const uint8_t *qname, uint16_t qtype,
		    int timeout_ms, struct zsync_dns_answer *out, struct zsync_err *err)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 5000);
	uint8_t *buf = zsync_xmalloc(ZSYNC_DNS_MAX_MESSAGE);
	knot_pkt_t *q = knot_pkt_new(NULL, 512, NULL);
	knot_rrset_t opt;
	size_t len = 0;
	int ret = 0, fd = -1;

	memset(out, 0, sizeof(*out));
	knot_wire_set_id(q->wire, random_id());
	knot_pkt_put_question(q, qname, KNOT_CLASS_IN, qtype);
	knot_pkt_begin(q, KNOT_ADDITIONAL);
	if (knot_edns_init(&opt, 1232, 0, 0, NULL) == KNOT_EOK)
		knot_pkt_put(q, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE);
	if ((ret = udp_exchange(server, q->wire, q->size, buf, &len, deadline, err)) < 0)
		goto out;
	if (knot_wire_get_tc(buf)) {
		/* the full answer only fits a TCP stream */
		out->truncated_retried = true;
		if ((fd = tcp_connect(server, deadline, err)) < 0 ||
		    tcp_send(fd, q->wire, q->size, deadline, server, err) < 0 ||
		    tcp_recv(fd, buf, &len, deadline, server, err) < 0) {
			ret = ZSYNC_EIO;
			goto out;
		}
	}
	if ((ret = check_query_answer(buf, len, q, server, err)) < 0)
		goto out;
	bool retried = out->truncated_retried;
	if ((ret = zsync_dns_parse_answer(buf, len, zone, out, err)) < 0)
		zsync_err_prefix(err, "server %s", server);
	out->truncated_retried = retried;
out:
	if (fd >= 0)
		close(fd);
	knot_pkt_free(q);
	free(buf);
	return ret;
}

void zsync_dns_answer_release(struct zsync_dns_answer *a)
{
	zsync_zone_free(a->answer);
	zsync_zone_free(a->authority);
	zsync_zone_free(a->additional);
	memset(a, 0, sizeof(*a));
}
