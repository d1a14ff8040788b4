/* fuzz_dns.c - libFuzzer target: a DNS response message (as verify and AXFR receive them) */
#include <stdint.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zsync_dns_answer a;
	struct zsync_err err = { 0 };

	if (zsync_dns_parse_answer(data, size, "example.com.", &a, &err) == 0) {
		size_t n;
		const struct zsync_rrset *const *rs = zsync_zone_sorted(a.answer, &n);
		char buf[4 * 65536 + 4096];
		for (size_t i = 0; i < n; i++)
			zsync_rdata_to_text(rs[i]->type, rs[i]->rdata, buf, sizeof(buf));
		zsync_dns_answer_release(&a);
	}
	return 0;
}
