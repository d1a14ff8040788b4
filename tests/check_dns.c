/*
 * check_dns.c - DNS transport and AXFR logic against hand-built messages from a local
 * TCP server thread: length framing (split writes, several messages), the SOA bracketing
 * of a transfer, and the TSIG rules that must reject a transfer.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include "dns.h"

/* What the fake server sends back, as a list of DNS messages (without length prefix). */
struct script {
	int listen_fd;
	int port;
	uint8_t msgs[4][512];
	size_t lens[4];
	int n;
	bool dribble;      /* write one octet at a time */
	bool wrong_id;
	bool close_early;  /* stop after the first message */
	bool endless;      /* after the messages, send the last one again until the client leaves */
	uint16_t flags;    /* when set: the header's flags word of every message */
	uint64_t sent;     /* messages sent */
};

static size_t put_name(uint8_t *p, const char *labels[])
{
	size_t o = 0;
	for (int i = 0; labels[i]; i++) {
		size_t l = strlen(labels[i]);
		p[o++] = (uint8_t)l;
		memcpy(p + o, labels[i], l);
		o += l;
	}
	p[o++] = 0;
	return o;
}

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
	return 4;
}

static const char *apex[] = { "example", "com", NULL };
static const char *www[] = { "www", "example", "com", NULL };
static const char *ns1[] = { "ns1", "example", "com", NULL };
static const char *host[] = { "hostmaster", "example", "com", NULL };

/* A response header + question (AXFR example.com IN); ancount filled in by the caller. */
static size_t header(uint8_t *m, uint16_t an)
{
	size_t o = 0;
	o += put16(m + o, 0);      /* id: the server copies the query's */
	o += put16(m + o, 0x8400); /* QR, AA */
	o += put16(m + o, 1);
	o += put16(m + o, an);
	o += put16(m + o, 0);
	o += put16(m + o, 0);
	o += put_name(m + o, apex);
	o += put16(m + o, 252);
	o += put16(m + o, 1);
	return o;
}

static size_t soa_rr(uint8_t *m, uint32_t serial)
{
	size_t o = put_name(m, apex), rdl;
	o += put16(m + o, 6);
	o += put16(m + o, 1);
	o += put32(m + o, 300);
	size_t lenpos = o;
	o += 2;
	rdl = o;
	o += put_name(m + o, ns1);
	o += put_name(m + o, host);
	o += put32(m + o, serial);
	for (int i = 0; i < 4; i++)
		o += put32(m + o, 3600);
	put16(m + lenpos, (unsigned)(o - rdl));
	return o;
}

static size_t a_rr(uint8_t *m, const char *labels[], uint8_t last)
{
	size_t o = put_name(m, labels);
	o += put16(m + o, 1);
	o += put16(m + o, 1);
	o += put32(m + o, 300);
	o += put16(m + o, 4);
	m[o++] = 192;
	m[o++] = 0;
	m[o++] = 2;
	m[o++] = last;
	return o;
}

static void *serve(void *arg)
{
	struct script *s = arg;
	int c = accept(s->listen_fd, NULL, NULL);
	uint8_t q[1024], lp[2];
	if (c < 0)
		return NULL;
	if (recv(c, lp, 2, MSG_WAITALL) != 2) {
		close(c);
		return NULL;
	}
	size_t ql = (size_t)lp[0] << 8 | lp[1];
	if (ql > sizeof(q) || recv(c, q, ql, MSG_WAITALL) != (ssize_t)ql) {
		close(c);
		return NULL;
	}
	for (int i = 0; i < s->n; i++) {
		uint8_t out[520];
		memcpy(out + 2, s->msgs[i], s->lens[i]);
		out[0] = (uint8_t)(s->lens[i] >> 8);
		out[1] = (uint8_t)s->lens[i];
		out[2] = q[0] ^ (s->wrong_id ? 0xff : 0);
		out[3] = q[1];
		if (s->flags) {
			out[4] = (uint8_t)(s->flags >> 8);
			out[5] = (uint8_t)s->flags;
		}
		s->sent++;
		if (s->dribble)
			for (size_t k = 0; k < s->lens[i] + 2; k++)
				send(c, out + k, 1, MSG_NOSIGNAL);
		else if (send(c, out, s->lens[i] + 2, MSG_NOSIGNAL) < 0)
			break;
		if (s->close_early)
			break;
		if (s->endless && i == s->n - 1)
			i--; /* the client closes when it has had enough; send() then fails */
		if (s->endless && s->sent > 10000000)
			break;
	}
	close(c);
	return NULL;
}

static void start(struct script *s, pthread_t *th)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->listen_fd, 1), 0);
	getsockname(s->listen_fd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	pthread_create(th, NULL, serve, s);
}

/* SOA, www A / ns1 A, SOA in two messages. */
static void two_messages(struct script *s)
{
	size_t o = header(s->msgs[0], 2);
	o += soa_rr(s->msgs[0] + o, 7);
	o += a_rr(s->msgs[0] + o, www, 10);
	s->lens[0] = o;
	o = header(s->msgs[1], 2);
	o += a_rr(s->msgs[1] + o, ns1, 1);
	o += soa_rr(s->msgs[1] + o, 7);
	s->lens[1] = o;
	s->n = 2;
}

static int transfer_limited(struct script *s, const struct zsync_tsig *key,
			    const struct zsync_axfr_limits *limits, struct zsync_zone **z,
			    struct zsync_err *err)
{
	pthread_t th;
	char server[64];
	start(s, &th);
	snprintf(server, sizeof(server), "127.0.0.1:%d", s->port);
	int r = zsync_dns_axfr(server, "example.com.", key, 3000, limits, z, err);
	pthread_join(th, NULL);
	close(s->listen_fd);
	return r;
}

static int transfer(struct script *s, const struct zsync_tsig *key, struct zsync_zone **z,
		    struct zsync_err *err)
{
	return transfer_limited(s, key, NULL, z, err);
}

START_TEST(test_axfr_two_messages)
{
	struct script s = { 0 };
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };
	two_messages(&s);
	ck_assert_msg(transfer(&s, NULL, &z, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(zsync_zone_rrset_count(z), 3); /* SOA once, www A, ns1 A */
	zsync_zone_free(z);
}
END_TEST

START_TEST(test_axfr_framing_byte_by_byte)
{
	struct script s = { .dribble = true };
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };
	two_messages(&s);
	ck_assert_msg(transfer(&s, NULL, &z, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(zsync_zone_record_count(z), 3);
	zsync_zone_free(z);
}
END_TEST

START_TEST(test_axfr_rejections)
{
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };
	struct zsync_tsig *key = NULL;

	/* the connection closes before the closing SOA */
	struct script s1 = { .close_early = true };
	two_messages(&s1);
	ck_assert_int_lt(transfer(&s1, NULL, &z, &err), 0);
	ck_assert_ptr_null(z);
	ck_assert_msg(strstr(err.msg, "connection closed"), "%s", err.msg);

	/* an answer to another query */
	struct script s2 = { .wrong_id = true };
	two_messages(&s2);
	ck_assert_int_lt(transfer(&s2, NULL, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "message 1 is not an answer to the transfer (another message id)"), "%s", err.msg);

	/* not a response, another opcode, another question: not the answer either */
	struct script s2b = { .flags = 0x0400 };
	two_messages(&s2b);
	ck_assert_int_lt(transfer(&s2b, NULL, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "(not a response (QR bit clear))"), "%s", err.msg);
	struct script s2c = { .flags = 0xa400 };
	two_messages(&s2c);
	ck_assert_int_lt(transfer(&s2c, NULL, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "(another opcode)"), "%s", err.msg);
	struct script s2d = { 0 };
	two_messages(&s2d);
	s2d.msgs[0][12 + 13 + 1] = 6; /* the question's type: SOA instead of AXFR */
	ck_assert_int_lt(transfer(&s2d, NULL, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "message 1 is not an answer to the transfer (another question)"), "%s", err.msg);

	/* records before the SOA */
	struct script s3 = { 0 };
	size_t o = header(s3.msgs[0], 2);
	o += a_rr(s3.msgs[0] + o, www, 10);
	o += soa_rr(s3.msgs[0] + o, 7);
	s3.lens[0] = o;
	s3.n = 1;
	ck_assert_int_lt(transfer(&s3, NULL, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "does not start with the SOA"), "%s", err.msg);

	/* data after the closing SOA */
	struct script s4 = { 0 };
	o = header(s4.msgs[0], 3);
	o += soa_rr(s4.msgs[0] + o, 7);
	o += soa_rr(s4.msgs[0] + o, 7);
	o += a_rr(s4.msgs[0] + o, www, 10);
	s4.lens[0] = o;
	s4.n = 1;
	ck_assert_int_lt(transfer(&s4, NULL, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "data after the closing SOA"), "%s", err.msg);

	/* a garbled message */
	struct script s5 = { 0 };
	two_messages(&s5);
	s5.lens[1] -= 3;
	ck_assert_int_lt(transfer(&s5, NULL, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "malformed message 2"), "%s", err.msg);

	/* with a key, an unsigned transfer is refused outright: records are never used */
	ck_assert_int_eq(zsync_tsig_new(&key, "hmac-sha256", "zonesync-key", "c2VjcmV0c2VjcmV0c2VjcmV0", &err), 0);
	struct script s6 = { 0 };
	two_messages(&s6);
	ck_assert_int_lt(transfer(&s6, key, &z, &err), 0);
	ck_assert_ptr_null(z);
	ck_assert_msg(strstr(err.msg, "the first message is unsigned; transfer rejected"), "%s", err.msg);
	zsync_tsig_free(key);
}
END_TEST

/* A server that never ends the transfer: stopped at the record limit, then at the byte
 * limit, long before the timeout and without holding what it sent. */
START_TEST(test_axfr_endless)
{
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };
	struct script s = { .endless = true };
	size_t o = header(s.msgs[0], 1);
	o += soa_rr(s.msgs[0] + o, 7);
	s.lens[0] = o;
	o = header(s.msgs[1], 12);
	for (int i = 0; i < 12; i++)
		o += a_rr(s.msgs[1] + o, www, (uint8_t)i);
	s.lens[1] = o;
	s.n = 2;
	struct zsync_axfr_limits l = { .max_records = 5000 };
	ck_assert_int_lt(transfer_limited(&s, NULL, &l, &z, &err), 0);
	ck_assert_ptr_null(z);
	/* 1 + 12 per message: the 418th message brings the 5005th record */
	ck_assert_msg(strstr(err.msg, "more than 5000 records (max_transfer_records) in 418 messages; transfer stopped"),
		      "%s", err.msg);
	struct script s2 = s;
	s2.sent = 0;
	l = (struct zsync_axfr_limits){ .max_bytes = 1000000 };
	ck_assert_int_lt(transfer_limited(&s2, NULL, &l, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "more than 1000000 bytes (max_transfer_bytes)"), "%s", err.msg);
}
END_TEST

/* A TSIG-signed transfer played without a network: three messages, the middle one
 * unsigned (RFC 8945 5.3.1 allows it), and what breaks the chain. */
static int signed_transfer(const bool sign[3], int tamper, struct zsync_zone **z, struct zsync_err *err)
{
	struct zsync_tsig *key = NULL;
	struct zsync_axfr *x = NULL;
	uint8_t msgs[3][1024];
	size_t lens[3], qlen;
	int r = 0;

	ck_assert_int_eq(zsync_tsig_new(&key, "hmac-sha256", "zonesync-key", "c2VjcmV0c2VjcmV0c2VjcmV0", err), 0);
	ck_assert_int_eq(zsync_axfr_begin(&x, "test", "example.com.", key, NULL, err), 0);
	const uint8_t *q = zsync_axfr_query(x, &qlen);
	lens[0] = header(msgs[0], 2);
	lens[0] += soa_rr(msgs[0] + lens[0], 7);
	lens[0] += a_rr(msgs[0] + lens[0], www, 10);
	lens[1] = header(msgs[1], 1);
	lens[1] += a_rr(msgs[1] + lens[1], ns1, 1);
	lens[2] = header(msgs[2], 2);
	lens[2] += a_rr(msgs[2] + lens[2], host, 2);
	lens[2] += soa_rr(msgs[2] + lens[2], 7);
	for (int i = 0; i < 3; i++) {
		memcpy(msgs[i], q, 2); /* the query's id */
		ck_assert_int_eq(zsync_axfr_sign_answer(x, msgs[i], &lens[i], sizeof(msgs[i]), sign[i], err), 0);
	}
	if (tamper >= 0)
		msgs[tamper][lens[tamper] - 2] ^= 1; /* an address octet (of an unsigned message) */
	for (int i = 0; i < 3 && r == 0; i++)
		r = zsync_axfr_feed(x, msgs[i], lens[i], err);
	if (r > 0)
		r = zsync_axfr_end(x, z, err);
	zsync_axfr_free(x);
	zsync_tsig_free(key);
	return r;
}

START_TEST(test_axfr_tsig_chain)
{
	struct zsync_zone *z = NULL;
	struct zsync_err err = { 0 };

	ck_assert_msg(signed_transfer((bool[]){ true, false, true }, -1, &z, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(zsync_zone_record_count(z), 4);
	zsync_zone_free(z);
	z = NULL;
	/* a byte changed in the unsigned message: the next MAC covers it */
	ck_assert_int_lt(signed_transfer((bool[]){ true, false, true }, 1, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "message 3 fails TSIG verification"), "%s", err.msg);
	ck_assert_ptr_null(z);
	/* the last message unsigned: whatever it says is not proven */
	ck_assert_int_lt(signed_transfer((bool[]){ true, true, false }, -1, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "the last message is unsigned; transfer rejected"), "%s", err.msg);
	ck_assert_int_lt(signed_transfer((bool[]){ false, true, true }, -1, &z, &err), 0);
	ck_assert_msg(strstr(err.msg, "the first message is unsigned"), "%s", err.msg);
}
END_TEST

/* An UPDATE answer header + zone section (example.com SOA IN, or none). */
static size_t update_answer(uint8_t *m, uint16_t flags, uint16_t qtype, bool zone_section)
{
	size_t o = header(m, 0);
	put16(m + 2, flags);
	put16(m + o - 4, qtype);
	if (!zone_section) {
		put16(m + 4, 0);
		o = 12;
	}
	return o;
}

/* Without TSIG, only the header and the zone section tie an answer to the UPDATE. */
START_TEST(test_update_answer_checked)
{
	static const struct {
		uint16_t flags, qtype;
		bool zone, wrong_id;
		const char *want; /* NULL: accepted */
	} cases[] = {
		{ 0xa800, 6, true, false, NULL },
		{ 0xa800, 6, false, false, NULL }, /* RFC 2136 3.8: the zone section may be left out */
		{ 0xa800, 6, true, true, "(another message id)" },
		{ 0x8000, 6, true, false, "(another opcode)" },
		{ 0x2800, 6, true, false, "(not a response (QR bit clear))" },
		{ 0xa800, 1, true, false, "(another question)" },
		{ 0xa808, 6, true, false, "conflict (NXRRSET)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script s = { .wrong_id = cases[i].wrong_id };
		struct zsync_err err = { 0 };
		pthread_t th;
		char server[64];
		s.lens[0] = update_answer(s.msgs[0], cases[i].flags, cases[i].qtype, cases[i].zone);
		s.n = 1;
		start(&s, &th);
		snprintf(server, sizeof(server), "127.0.0.1:%d", s.port);
		int r = zsync_dns_update(server, "example.com.", NULL, 3000, NULL, 0, NULL, 0, &err);
		pthread_join(th, NULL);
		close(s.listen_fd);
		if (!cases[i].want) {
			ck_assert_msg(r == 0, "case %zu: %s", i, err.msg);
			continue;
		}
		ck_assert_msg(r < 0 && strstr(err.msg, cases[i].want), "case %zu: %d %s", i, r, err.msg);
		if (strstr(cases[i].want, "conflict"))
			ck_assert_int_eq(r, ZSYNC_ECONFLICT);
		else
			ck_assert_msg(r == ZSYNC_EUNKNOWN && strstr(err.msg, "the answer is not for this update") &&
					      strstr(err.msg, "the outcome is unknown"), "case %zu: %s", i, err.msg);
	}
}
END_TEST

START_TEST(test_tsig_keys_and_servers)
{
	struct zsync_tsig *key = NULL;
	struct zsync_err err = { 0 };
	char host[64];
	uint16_t port;

	ck_assert_int_eq(zsync_tsig_new(&key, NULL, "k", "c2VjcmV0", &err), 0); /* hmac-sha256 by default */
	zsync_tsig_free(key);
	ck_assert_int_eq(zsync_tsig_new(&key, "hmac-sha512", "k", "c2VjcmV0", &err), 0);
	zsync_tsig_free(key);
	ck_assert_int_lt(zsync_tsig_new(&key, "hmac-nonsense", "k", "c2VjcmV0", &err), 0);
	ck_assert_msg(strstr(err.msg, "TSIG key 'k'") && !strstr(err.msg, "c2VjcmV0"), "%s", err.msg);
	ck_assert_int_eq(zsync_dns_split_server("127.0.0.1:5301", host, sizeof(host), &port, &err), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 5301);
	ck_assert_int_eq(zsync_dns_split_server("[::1]:53", host, sizeof(host), &port, &err), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(zsync_dns_split_server("ns1.example.net", host, sizeof(host), &port, &err), 0);
	ck_assert_uint_eq(port, 53);
	ck_assert_int_lt(zsync_dns_split_server("host:99999", host, sizeof(host), &port, &err), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_axfr_two_messages);
	tcase_add_test(tc, test_axfr_framing_byte_by_byte);
	tcase_add_test(tc, test_axfr_rejections);
	tcase_add_test(tc, test_axfr_endless);
	tcase_add_test(tc, test_axfr_tsig_chain);
	tcase_add_test(tc, test_update_answer_checked);
	tcase_add_test(tc, test_tsig_keys_and_servers);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
