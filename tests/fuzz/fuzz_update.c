/*
 * fuzz_update.c - libFuzzer target: the answer to an RFC 2136 UPDATE, as zsync_dns_update
 * judges it (success, conflict, refusal, unknown outcome). Input = one control byte, then
 * the answer message. Control bit 0: the update is TSIG-signed; bit 1: keep the answer's
 * own id (else the query's is set); bit 2: the harness signs the answer as the server.
 */
#include <stdint.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct zsync_tsig *key;
	static uint8_t msg[ZSYNC_DNS_MAX_MESSAGE];
	static const uint8_t www[] = "\3www\7example\3com";
	static const uint8_t addr[] = { 192, 0, 2, 1 };
	const struct zsync_dns_rr prereq[] = { { www, ZSYNC_TYPE_A, ZSYNC_DNS_CLASS_ANY, 0, NULL, 0 } };
	const struct zsync_dns_rr upd[] = { { www, ZSYNC_TYPE_A, ZSYNC_DNS_CLASS_IN, 300, addr, 4 } };
	struct zsync_err err = { 0 };
	struct zsync_update *u = NULL;
	size_t qlen, len;

	if (!key && zsync_tsig_new(&key, "hmac-sha256", "zonesync-key",
				   "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", &err) < 0)
		return 0;
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	if (zsync_update_begin(&u, "fuzz", "example.com.", ctl & 1 ? key : NULL, prereq, 1, upd, 1, &err) < 0)
		return 0;
	const uint8_t *q = zsync_update_query(u, &qlen);
	len = size - 1;
	if (len > sizeof(msg) - 512)
		len = sizeof(msg) - 512;
	memcpy(msg, data + 1, len);
	if (len >= 2 && !(ctl & 2))
		memcpy(msg, q, 2);
	if ((ctl & 5) == 5 && zsync_update_sign_answer(u, msg, &len, sizeof(msg), &err) < 0)
		goto out;
	zsync_update_answer(u, msg, len, &err);
out:
	zsync_update_free(u);
	return 0;
}
