/* hook.h - running external commands (hooks, reload commands): fork/exec, no shell, time limit */
#ifndef ZSYNC_HOOK_H
#define ZSYNC_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct zsync_hook_result {
	int status;      /* exit status; 128 + signal when killed; -1 when it could not start */
	int timed_out;   /* killed for running past the time limit */
	char *output;    /* stdout and stderr together, at most 64 KiB, NUL-terminated (caller frees) */
};

/*
 * What a command inherits of zonesync's environment: only the allow-list (PATH, HOME,
 * USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ, TMPDIR, TERM), ZONESYNC_* and the names
 * in pass; never a name in deny (the variables that secret references name), whatever
 * the lists say. NULL lists: none.
 */
struct zsync_hook_env {
	const struct zsync_strlist *pass, *deny;
};

/* Whether the variable "NAME=value" (or "NAME") goes to a command under policy. */
bool zsync_hook_env_allowed(const char *var, const struct zsync_hook_env *policy);

/*
 * Runs argv (argv[0] looked up in PATH) without a shell, with a scrubbed copy of the
 * environment (policy, may be NULL: the allow-list alone) and the extra environment
 * entries env ("NAME=value", NULL-terminated, may be NULL), writing input (may be NULL)
 * to its stdin, waiting at most timeout_sec seconds (then SIGKILL). Returns 0 when the
 * command ran (whatever its exit status), ZSYNC_EIO when it could not be started.
 */
int zsync_hook_run(char *const argv[], char *const env[], const struct zsync_hook_env *policy,
		   const char *input, size_t input_len, int timeout_sec, struct zsync_hook_result *res,
		   struct zsync_err *err);

/* Expands {zone} (without the trailing dot) and {file} in a copy of argv (free with zsync_hook_argv_free). */
char **zsync_hook_argv(char *const argv[], const char *zone, const char *file);
void zsync_hook_argv_free(char **argv);

#endif
