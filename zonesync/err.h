/* err.h - error codes, error detail and collected diagnostics (path:line: ...) */
#ifndef ZSYNC_ERR_H
#define ZSYNC_ERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>

/* Exit codes: a contract, documented in docs/zonesync.1. */
enum zsync_exit {
	ZSYNC_EXIT_OK = 0,
	ZSYNC_EXIT_ERROR = 1,   /* an error, or `check` found problems */
	ZSYNC_EXIT_CHANGES = 2, /* plan --exit-code: changes pending; verify: mismatch */
	ZSYNC_EXIT_PARTIAL = 3, /* some zone x provider failed, the others went through */
	ZSYNC_EXIT_REFUSED = 4, /* refused by safety limits */
	ZSYNC_EXIT_LOCKED = 5,  /* another run holds the lock */
	ZSYNC_EXIT_OLDER = 6,   /* the checkout is older than what is deployed (apply, reconcile) */
	ZSYNC_EXIT_USAGE = 64,
};

/*
 * The one error table: code, name, message, and the exit status of a command that ends
 * with it. Return codes: 0 is success, every failure is negative.
 */
#define ZSYNC_ERRORS(X)                                                                          \
	X(ZSYNC_OK, 0, "ok", ZSYNC_EXIT_OK)                                                      \
	X(ZSYNC_EGENERIC, -1, "failure", ZSYNC_EXIT_ERROR)          /* detail in struct zsync_err */ \
	X(ZSYNC_ENOMEM, -2, "out of memory", ZSYNC_EXIT_ERROR)                                   \
	X(ZSYNC_ENOTFOUND, -3, "not found", ZSYNC_EXIT_ERROR)       /* file, ref, zone or key */ \
	X(ZSYNC_EINVAL, -4, "invalid input", ZSYNC_EXIT_ERROR)      /* zone, config, argument */ \
	X(ZSYNC_EIO, -5, "input/output error", ZSYNC_EXIT_ERROR)    /* network, file, server */  \
	X(ZSYNC_ELOCKED, -6, "another run holds the lock", ZSYNC_EXIT_LOCKED)                    \
	/* a prerequisite failed (NXRRSET, YXRRSET, NXDOMAIN, YXDOMAIN): someone else changed the zone */ \
	X(ZSYNC_ECONFLICT, -20, "the zone changed concurrently", ZSYNC_EXIT_PARTIAL)             \
	/* the answer could not be verified (TSIG): the change may or may not have happened */   \
	X(ZSYNC_EUNKNOWN, -21, "outcome unknown", ZSYNC_EXIT_PARTIAL)

enum zsync_code {
#define ZSYNC_ERR_ENUM(sym, val, msg, exit) sym = (val),
	ZSYNC_ERRORS(ZSYNC_ERR_ENUM)
#undef ZSYNC_ERR_ENUM
};

/* "ENOTFOUND", "EINVAL"...; "EUNKNOWNCODE" for a code not in the table. */
const char *zsync_errname(int code);
/* The table's message ("not found"); "unknown error" for a code not in the table. */
const char *zsync_strerror(int code);
/* The exit status of a command failing with code (ZSYNC_EXIT_ERROR for unknown codes). */
int zsync_error_exit(int code);

/*
 * Error detail filled by the function that failed; printed by the caller. A function
 * taking a struct zsync_err returns exactly err->code when it fails (zsync_err_set
 * keeps them together; zsync_err_sync repairs a callee that did not).
 */
struct zsync_err {
	int code;
	char msg[1024];
};

/* Sets code and message (printf style); returns code so callers can `return zsync_err_set(...)`. */
int zsync_err_set(struct zsync_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Makes err agree with a failing return value ret (< 0): sets err->code to ret, and the
 * table's message when err holds none. Returns ret.
 */
int zsync_err_sync(struct zsync_err *err, int ret);

/* Prepends "PREFIX: " to the message already in err (keeps the code). */
void zsync_err_prefix(struct zsync_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends to the message already in err (keeps the code): a hint after the reason. */
void zsync_err_append(struct zsync_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears err (code 0, empty message). */
void zsync_err_clear(struct zsync_err *err);

enum zsync_severity {
	ZSYNC_SEV_WARNING = 1,
	ZSYNC_SEV_ERROR = 2,
};

/* One finding about a file: `file:line: severity: message [rule]`. */
struct zsync_diag {
	char *file;       /* owned; repository-relative path */
	unsigned line;    /* 0 when the finding has no line */
	unsigned col;     /* 1-based column of the offending token; 0 when not known */
	enum zsync_severity severity;
	const char *rule; /* static string: lint rule name, or "syntax" */
	char *msg;        /* owned */
};

/* A growing list of diagnostics; zero-initialise, release with zsync_diags_release(). */
struct zsync_diags {
	struct zsync_diag *v;
	size_t n, alloc;
	size_t errors, warnings;
	/* set by a caller that shows only errors (plan without -v): warnings are dropped as
	 * they come, and lint skips the rules that can only warn (146k dangling targets of a
	 * 1M-record zone were a fifth of its plan, to be thrown away) */
	bool errors_only;
};

void zsync_diags_add(struct zsync_diags *d, const char *file, unsigned line,
		     enum zsync_severity sev, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Sorts by file, then line, then message, so output is deterministic. */
void zsync_diags_sort(struct zsync_diags *d);
/* Formats one diagnostic into buf as `file:line: error: msg [rule]`. */
void zsync_diag_format(const struct zsync_diag *dg, char *buf, size_t len);
/* Moves the findings of `from` from index `first` on to the end of `to`, in order (the
 * counts follow them; nothing is filtered again). */
void zsync_diags_move(struct zsync_diags *to, struct zsync_diags *from, size_t first);
/* Puts every finding of src, in order, before index `at` of d (at <= d->n); src is left
 * empty (its errors_only kept). */
void zsync_diags_insert(struct zsync_diags *d, size_t at, struct zsync_diags *src);
void zsync_diags_release(struct zsync_diags *d);

/* A growing list of owned strings; zero-initialise, release with zsync_strlist_release(). */
struct zsync_strlist {
	char **v;
	size_t n, alloc;
};

int zsync_strlist_add(struct zsync_strlist *l, const char *s);
/* Takes ownership of s (freed on failure). */
int zsync_strlist_add_owned(struct zsync_strlist *l, char *s);
void zsync_strlist_sort(struct zsync_strlist *l);
void zsync_strlist_release(struct zsync_strlist *l);

/*
 * s in the SGR colour sgr ("1;31") when color, else s itself: for reports on a terminal.
 * The result lives until the fourth next call on the same thread.
 */
const char *zsync_sgr(bool color, const char *sgr, const char *s);

/*
 * "Did you mean": the candidate closest to word by edit distance (case-insensitive), or
 * NULL when none is close enough to be a likely typo (at most 1 edit for words of up to
 * 4 characters, 2 up to 8, else 3). cands has n entries; NULL entries are skipped.
 */
const char *zsync_suggest(const char *word, const char *const *cands, size_t n);

/* Aborts with a message when memory runs out: the callers cannot recover usefully. */
void *zsync_xmalloc(size_t n);
void *zsync_xcalloc(size_t n, size_t sz);
void *zsync_xrealloc(void *p, size_t n);
char *zsync_xstrdup(const char *s);
char *zsync_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A whole file from the filesystem (not from git), NUL-terminated; *len without the NUL.
 * NULL with err: ZSYNC_ENOTFOUND when absent, ZSYNC_EIO when unreadable or larger than
 * max bytes ("path: ..."): never a silently shortened file.
 */
char *zsync_read_file(const char *path, size_t max, size_t *len, struct zsync_err *err);

#endif
