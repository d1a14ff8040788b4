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

/*
 * Writes a command's usage line into buf from a template and the command's option tables
 * (as for zsync_opt_parse), so that the usage cannot name an option the parser lacks nor
 * leave one out. In the template, "{name}" (an option's long name) becomes the option as
 * it is typed ("--ref REF", "-j N" for one with a short name, "--wait[=SECONDS]",
 * "--json"), "{name=ARG}" the same with another argument shown ("--format
 * text|json|markdown"), and "{*}" every option the template does not name, in table order,
 * each as "[--x ARG]" ("[--zone ZONE]..." for a repeatable one). The rest is kept as
 * written: what goes together ("[{ref} | {plan} | {fetch}]"), arguments ("[ZONE...]").
 * Lines are wrapped before 80 columns (the template's own), continued under the command.
 */
void zsync_opt_usage(char *buf, size_t len, const char *tmpl, const struct zsync_opt *const *tables);

/* Prints the option list of a table, aligned, for --help. */
void zsync_opt_print(FILE *out, const struct zsync_opt *opts);

#endif
