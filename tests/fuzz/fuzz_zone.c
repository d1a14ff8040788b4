/*
 * fuzz_zone.c - libFuzzer target: zone loading and lint on arbitrary text, with $INCLUDE
 * resolved against a small in-memory tree (the input itself under two names, and a
 * fixed file), so confinement, loops and depth are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "zone.h"
#include "fuzz.h"

struct input {
	const uint8_t *data;
	size_t size;
};

static int reader(void *ctx, const char *path, char **buf, size_t *len, struct zsync_err *err)
{
	const struct input *in = ctx;
	const char *fixed = "$TTL 60\nsub A 192.0.2.1\n";
	(void)err;
	if (strcmp(path, "zones/self.zone") == 0 || strcmp(path, "zones/a.inc") == 0) {
		*buf = malloc(in->size + 1);
		memcpy(*buf, in->data, in->size);
		(*buf)[in->size] = '\0';
		*len = in->size;
		return 0;
	}
	if (strcmp(path, "zones/b.inc") == 0) {
		*buf = strdup(fixed);
		*len = strlen(fixed);
		return 0;
	}
	return ZSYNC_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_zone *z = zsync_zone_new("example.com.", &err);
	/* the input includes itself: n $INCLUDE lines are n^2 parses within the default budget
	 * (10,000 files); a small one keeps each run short, the code paths are the same */
	struct zsync_include_budget budget = { .max_files = 200, .max_bytes = 1 << 22 };

	zsync_zone_set_include_budget(z, &budget);
	zsync_zone_parse(z, "zones/self.zone", (const char *)data, size, reader, &in, &d);
	if (!zsync_lint_lost_lines(&d, 0))
		zsync_lint_zone(z, &(struct zsync_lint_source){ "zones/self.zone", (const char *)data, size, reader, &in }, &d);
	/* what apply and import do with a model: text, and a diff against an empty zone */
	fuzz_render(z);
	zsync_zone_free(z);
	zsync_diags_release(&d);
	return 0;
}
