/* opt.h - one option table per command drives both parsing and --help */
#ifndef ZSYNC_OPT_H
#define ZSYNC_OPT_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"

enum zsync_opt_type {
	ZSYNC_OPT_END = 0,
	ZSYNC_OPT_FLAG,   /* bool *; no argument */
	ZSYNC_OPT_STRING, /* const char **; required argument */
	ZSYNC_OPT_INT,    /* long *; required argument, decimal */
	ZSYNC_OPT_COUNT,  /* int *; incremented each time */
	ZSYNC_OPT_OPTSTR, /* const char **; optional argument, only as --name=VALUE; "" without one */
	ZSYNC_OPT_LIST,   /* struct zsync_strlist *; required argument, may be repeated */
};

struct zsync_opt {
	char short_name;       /* 0 for none */
	const char *long_name; /* without the leading dashes */
	enum zsync_opt_type type;
	void *value;
	const char *argname;   /* shown in --help, e.g. "REF" */
	const char *help;
};

/*
 * Parses argv[0..argc) against the tables (a NULL-terminated list of option arrays, each
 * ended by a ZSYNC_OPT_END entry). Non-options go to positional in order; "--" ends
 * options. Returns 0, or ZSYNC_EINVAL with err set (an unknown option, a missing or bad
 * argument).
 */
int zsync_opt_parse(const struct zsync_opt *const *tables, int argc, char **argv,
		    struct zsync_strlist *positional, struct zsync_err *err);

/* Prints the option list of a table, aligned, for --help. */
void zsync_opt_print(FILE *out, const struct zsync_opt *opts);

#endif
