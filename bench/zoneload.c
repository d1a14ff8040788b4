/*
 * zoneload.c - benchmark: load a zone from a git blob into the zonesync model, against a
 * bare libzscanner parse loop over the same text (the floor). Runs them alternately
 * (A B A B ...) so that the ratio of each pair survives a noisy machine; prints the
 * median ratio, the medians, and heap bytes per record of the model.
 * This file calls libzscanner directly on purpose: the floor is libzscanner itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libzscanner/scanner.h>

#include "repo.h"
#include "zone.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The floor: parse every record, touch nothing. */
static size_t bare_parse(const char *origin, const char *text, size_t len)
{
	zs_scanner_t *s = malloc(sizeof(*s));
	size_t n = 0;
	zs_init(s, origin, 1, 3600);
	zs_set_input_string(s, text, len);
	while (zs_parse_record(s) == 0 && s->state == ZS_STATE_DATA)
		n++;
	zs_deinit(s);
	free(s);
	return n;
}

int main(int argc, char **argv)
{
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
	int rounds = argc > 4 ? atoi(argv[4]) : 5;
	double ta[64], tb[64], tf[64], ratio[64], ratio_model[64];
	size_t records = 0, bytes = 0, rrsets = 0, bare_n = 0;

	if (argc < 4 || rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: zoneload REPO PATH ORIGIN [ROUNDS]\n");
		return 64;
	}
	if (zsync_repo_open(&repo, argv[1], &err) < 0 ||
	    zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, "HEAD", &err) < 0) {
		fprintf(stderr, "zoneload: %s\n", err.msg);
		return 1;
	}
	for (int r = -1; r < rounds; r++) { /* round -1 warms the caches */
		struct zsync_file f;
		struct zsync_diags d = { 0 };
		double t0 = now();
		struct zsync_zone *z = zsync_zone_new(argv[3], &err);
		int fr = zsync_tree_file(tree, argv[2], &f, &err);
		double tblob = now();
		if (fr < 0 || zsync_zone_parse(z, argv[2], f.data, f.len, zsync_tree_read, tree, &d) < 0) {
			fprintf(stderr, "zoneload: cannot load %s: %s\n", argv[2],
				d.n ? d.v[0].msg : err.msg);
			return 1;
		}
		double t1 = now();
		records = zsync_zone_record_count(z);
		rrsets = zsync_zone_rrset_count(z);
		bytes = zsync_zone_heap_bytes(z);
		zsync_zone_free(z);
		zsync_diags_release(&d);
		/* the floor gets the text for free: it does not count the blob read */
		double t2 = now();
		bare_n = bare_parse(argv[3], f.data, f.len);
		double t3 = now();
		zsync_file_release(&f);
		if (r >= 0) {
			ta[r] = t1 - t0;
			tb[r] = t3 - t2;
			tf[r] = tblob - t0;
			ratio[r] = ta[r] / tb[r];
			ratio_model[r] = (t1 - tblob) / tb[r];
		}
	}
	printf("%s: %zu records (%zu parsed by the floor) in %zu RRsets\n", argv[2], records, bare_n,
	       rrsets);
	printf("  load from git (read blob + build model): median %.3f s (%.2f M records/s)\n",
	       median(ta, rounds), records / median(ta, rounds) / 1e6);
	printf("    of which reading the blob (zlib inflate): median %.3f s\n",
	       median(tf, rounds));
	printf("  bare libzscanner parse of the same text: median %.3f s\n", median(tb, rounds));
	printf("  ratio (blob -> model) / bare parse: median %.2f (pairs of %d rounds)\n",
	       median(ratio_model, rounds), rounds);
	printf("  ratio (git -> model, incl. blob read) / bare parse: median %.2f\n",
	       median(ratio, rounds));
	printf("  model heap: %.1f MiB, %.1f bytes/record\n", bytes / 1048576.0,
	       (double)bytes / (double)records);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	return 0;
}
