/* planfile.h - a saved plan (`plan --out`) read back for `apply --plan`: untrusted input */
#ifndef ZSYNC_PLANFILE_H
#define ZSYNC_PLANFILE_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* The most a plan file may hold: a million changes fit many times over. */
#define ZSYNC_PLANFILE_MAX (1024u * 1024 * 1024)

/* What a reviewer saw: the commit it planned and the plan's hash. */
struct zsync_planfile {
	json_t *doc;
	char commit[41]; /* full commit id, lower-case hex */
	char hash[65];   /* SHA-256, lower-case hex */
};

/*
 * Reads a plan file (a regular file of at most ZSYNC_PLANFILE_MAX bytes). The commit must
 * be a full commit id (never a branch or any other revision: what was reviewed is applied)
 * and the hash 64 hex digits; err names the file and the problem. Release with
 * zsync_planfile_release().
 */
int zsync_planfile_load(struct zsync_planfile *out, const char *path, struct zsync_err *err);
/* The same from text in memory; what names it in messages. */
int zsync_planfile_parse(struct zsync_planfile *out, const char *text, size_t len,
			 const char *what, struct zsync_err *err);
void zsync_planfile_release(struct zsync_planfile *pf);

/* Changes the reviewed plan lists for zone at provider; -1 when it has no such pair. */
long zsync_planfile_changes(const struct zsync_planfile *pf, const char *zone,
			    const char *provider);

#endif
