/*
 * zonemem.c - benchmark: heap per small zone. Loads N zone files from a git repository
 * into zonesync models (all kept alive, as a plan keeps them) and prints the heap they
 * take per zone, the bytes their records need (owners and rdata), and the difference:
 * the per-zone overhead, which must not depend on what big zones need.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo.h"
#include "zone.h"

static size_t heap_now(void)
{
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd; /* in use from the heap, and in mmap'ed blocks */
}

int main(int argc, char **argv)
{
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_strlist files = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_diags diags = { 0 };
	size_t n, record_bytes = 0, rrsets = 0, before;

	if (argc < 3) {
		fprintf(stderr, "usage: zonemem REPO COUNT\n");
		return 64;
	}
	n = strtoul(argv[2], NULL, 10);
	if (zsync_repo_open(&repo, argv[1], &err) < 0 ||
	    zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, "HEAD", &err) < 0 ||
	    zsync_tree_list(tree, "zones", ".zone", &files, &err) < 0) {
		fprintf(stderr, "zonemem: %s\n", err.msg);
		return 1;
	}
	if (n > files.n)
		n = files.n;
	struct zsync_zone **zones = calloc(n ? n : 1, sizeof(*zones));
	before = heap_now();
	for (size_t i = 0; i < n; i++) {
		struct zsync_file f;
		const char *base = strrchr(files.v[i], '/') + 1;
		char origin[256];
		snprintf(origin, sizeof(origin), "%.*s", (int)(strlen(base) - 5), base);
		zones[i] = zsync_zone_new(origin, &err);
		if (!zones[i] || zsync_tree_file(tree, files.v[i], &f, &err) < 0) {
			fprintf(stderr, "zonemem: %s: %s\n", files.v[i], err.msg);
			return 1;
		}
		zsync_zone_parse(zones[i], files.v[i], f.data, f.len, NULL, NULL, &diags);
		zsync_file_release(&f);
	}
	/* the diagnostics are not the zones' memory */
	size_t heap = heap_now() - before;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < zsync_zone_iter_count(zones[i]); k++) {
			const struct zsync_rrset *r = zsync_zone_iter(zones[i], k);
			if (!r)
				continue;
			record_bytes += r->owner_len + zsync_rrset_rdata_size(r);
			rrsets++;
		}
	}
	printf("zonemem: %zu zones, %zu RRsets: heap %.1f KiB/zone, records %.2f KiB/zone, overhead %.2f KiB/zone\n",
	       n, rrsets, heap / 1024.0 / n, record_bytes / 1024.0 / n,
	       (heap > record_bytes ? heap - record_bytes : 0) / 1024.0 / n);
	for (size_t i = 0; i < n; i++)
		zsync_zone_free(zones[i]);
	free(zones);
	zsync_diags_release(&diags);
	zsync_strlist_release(&files);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	return 0;
}
