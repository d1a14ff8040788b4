/*
 * fuzz_axfr.c - libFuzzer target: a whole zone transfer, several messages, TSIG-signed or
 * not, as zsync_dns_axfr receives it. The harness plays the server so that the fuzzer
 * gets past the MACs: input = one options byte, then per message a control byte and a
 * 2-byte length. Options bit 0: a TSIG key. Control bit 0: sign this message (with the
 * key); bit 1: keep the message's own id (else the query's is set, as a server does).
 */
#include <stdint.h>
#include <string.h>

#include "dns.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct zsync_tsig *key;
	static uint8_t msg[ZSYNC_DNS_MAX_MESSAGE];
	struct zsync_err err = { 0 };
	struct zsync_axfr *x = NULL;
	struct zsync_zone *z = NULL;
	struct zsync_axfr_limits limits = { .max_bytes = 1 << 22, .max_records = 20000 };
	size_t qlen, o = 1;
	int r = 0;

	if (!key && zsync_tsig_new(&key, "hmac-sha256", "zonesync-key",
				   "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", &err) < 0)
		return 0;
	if (size < 1)
		return 0;
	bool keyed = data[0] & 1;
	if (zsync_axfr_begin(&x, "fuzz", "example.com.", keyed ? key : NULL, &limits, &err) < 0)
		return 0;
	const uint8_t *q = zsync_axfr_query(x, &qlen);
	while (r == 0 && o + 3 <= size) {
		uint8_t ctl = data[o];
		size_t len = (size_t)data[o + 1] << 8 | data[o + 2];
		o += 3;
		if (len > size - o)
			len = size - o;
		/* room for the TSIG record the harness may add */
		if (len > sizeof(msg) - 512)
			len = sizeof(msg) - 512;
		memcpy(msg, data + o, len);
		o += len;
		if (len >= 2 && !(ctl & 2))
			memcpy(msg, q, 2);
		if (keyed && zsync_axfr_sign_answer(x, msg, &len, sizeof(msg), ctl & 1, &err) < 0)
			continue; /* the harness could not sign this one: leave it out */
		r = zsync_axfr_feed(x, msg, len, &err);
	}
	if (r > 0 && zsync_axfr_end(x, &z, &err) == 0) {
		fuzz_render(z);
		zsync_zone_free(z);
	}
	zsync_axfr_free(x);
	return 0;
}
