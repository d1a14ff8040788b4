/*
 * fuzz_rdata.c - libFuzzer target: the text zonesync writes for any well-formed rdata
 * (plans, journals, zone files, text-speaking providers) loads back to the same octets.
 * Input: the type (2 octets, big-endian), then the rdata.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zone.h"

/*
 * A copy of rd whose data ends where an inaccessible page begins (one octet before it for
 * an odd length, the length field staying aligned): libknot is not built with ASan, so a
 * read past the rdata inside it is seen only as this page's fault.
 */
static const uint8_t *guarded(const uint8_t *rd, size_t len)
{
	static uint8_t *region;
	static size_t page;

	if (!region) {
		page = (size_t)sysconf(_SC_PAGESIZE);
		region = mmap(NULL, 65536 + 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (region == MAP_FAILED || mprotect(region + 65536 + 2 * page, page, PROT_NONE) != 0)
			abort();
	}
	uint8_t *end = region + 65536 + 2 * page, *p = end - (len + (len & 1)) - 2;
	memcpy(p, rd, 2 + len);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char txt[ZSYNC_RDATA_TXT_MAXLEN], line[ZSYNC_RDATA_TXT_MAXLEN + 128];
	static const uint8_t owner[] = "\1x\7example\0";
	struct zsync_err err = { 0 };

	if (size < 2 || size > 2 + 65535)
		return 0;
	uint16_t t = (uint16_t)(data[0] << 8 | data[1]);
	struct zsync_zone *a = zsync_zone_new("example.", &err), *b = zsync_zone_new("example.", &err);
	if (zsync_zone_add(a, owner, t, 300, data + 2, (uint16_t)(size - 2), &err) == 0) {
		size_t n;
		const struct zsync_rrset *const *rs = zsync_zone_sorted(a, &n);
		if (n != 1 || zsync_rdata_to_text(t, rs[0]->rdata, txt, sizeof(txt)) != 0)
			abort(); /* every record in a model has a text */
		static char again[ZSYNC_RDATA_TXT_MAXLEN];
		if (zsync_rdata_to_text(t, guarded(rs[0]->rdata, zsync_rdata_len(rs[0]->rdata)), again, sizeof(again)) != 0 ||
		    strcmp(txt, again) != 0)
			abort();
		/* by number: libzscanner reads every type so (the zone file writer uses the
		 * names it reads) */
		int l = snprintf(line, sizeof(line), "x 300 IN TYPE%u %s\n", t, txt);
		if (zsync_zone_add_text(b, line, (size_t)l, &err) != 0) {
			fprintf(stderr, "text does not load: %s: %s", err.msg, line);
			abort();
		}
		if (!zsync_zone_equal(a, b)) {
			fprintf(stderr, "text loads to other octets: %s", line);
			abort();
		}
	}
	zsync_zone_free(a);
	zsync_zone_free(b);
	return 0;
}
