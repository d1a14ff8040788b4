/*
 * fuzz_zone_files.c - libFuzzer target: a zone file and the files it includes, all from the
 * input, with $INCLUDE, $ORIGIN and $TTL: the input is cut at lines "%%" into
 * zones/example.com.zone, then zones/f1.inc, zones/f2.inc... (any path whose file name is
 * fN.inc reads part N). A small include budget keeps each run short.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "zone.h"

#define MAX_PARTS 16

struct parts {
	const char *p[MAX_PARTS];
	size_t len[MAX_PARTS];
	int n;
};

static int reader(void *ctx, const char *path, char **buf, size_t *len, struct zsync_err *err)
{
	const struct parts *ps = ctx;
	const char *base = strrchr(path, '/');
	char *e;
	long k;
	(void)err;
	base = base ? base + 1 : path;
	if (base[0] != 'f')
		return ZSYNC_ENOTFOUND;
	k = strtol(base + 1, &e, 10);
	if (e == base + 1 || strcmp(e, ".inc") != 0 || k < 1 || k >= ps->n)
		return ZSYNC_ENOTFOUND;
	*buf = malloc(ps->len[k] + 1);
	memcpy(*buf, ps->p[k], ps->len[k]);
	(*buf)[ps->len[k]] = '\0';
	*len = ps->len[k];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parts ps = { .n = 0 };
	const char *s = (const char *)data, *end = s + size;
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_include_budget budget = { .max_files = 64, .max_bytes = 1 << 20 };

	while (ps.n < MAX_PARTS) {
		const char *cut = NULL;
		for (const char *c = s; c + 2 <= end; c++)
			if ((c == s || c[-1] == '\n') && c[0] == '%' && c[1] == '%' && (c + 2 == end || c[2] == '\n')) {
				cut = c;
				break;
			}
		ps.p[ps.n] = s;
		ps.len[ps.n] = (size_t)((cut ? cut : end) - s);
		ps.n++;
		if (!cut)
			break;
		s = cut + 3 > end ? end : cut + 3;
	}
	struct zsync_zone *z = zsync_zone_new("example.com.", &err);
	zsync_zone_set_include_budget(z, &budget);
	zsync_zone_parse(z, "zones/example.com.zone", ps.p[0], ps.len[0], reader, &ps, &d);
	if (!zsync_lint_lost_lines(&d, 0))
		zsync_lint_zone(z, &(struct zsync_lint_source){ "zones/example.com.zone", ps.p[0], ps.len[0], reader, &ps }, &d);
	char line[4096];
	for (size_t i = 0; i < d.n; i++)
		zsync_diag_format(&d.v[i], line, sizeof(line));
	zsync_zone_free(z);
	zsync_diags_release(&d);
	return 0;
}
