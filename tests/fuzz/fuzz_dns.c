/* fuzz_dns.c - libFuzzer target: a DNS response message (as verify and AXFR receive them) */
#include <stdint.h>

#include "dns.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zsync_dns_answer a;
	struct zsync_err err = { 0 };

	if (zsync_dns_parse_answer(data, size, "example.com.", &a, &err) == 0) {
		fuzz_render(a.answer);
		zsync_dns_answer_release(&a);
	}
	return 0;
}
