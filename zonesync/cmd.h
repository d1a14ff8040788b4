/* cmd.h - what every command receives, and the command entry points (one file each) */
#ifndef ZSYNC_CMD_H
#define ZSYNC_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "opt.h"

#define ZSYNC_VERSION "0.1.0"

/* The exit codes (enum zsync_exit) are in err.h, beside the error table. */

struct zsync_plan;

/* Global options, parsed by main.c and shared by every command. */
struct zsync_ctx {
	const char *config_path; /* -c/--config; NULL: $ZONESYNC_CONFIG, else ./zonesync.toml */
	int verbose;
	bool quiet;
	bool no_color;
	bool help;
	bool color;              /* result: colour on stdout */
	bool summary, no_summary; /* plan/apply --summary, --no-summary (neither: automatic) */
	char usage[1024];        /* the command's usage line (zsync_cmd_options), for its messages */
	const struct zsync_opt *global_opts;
	/* set by zonesync serve for the runs it makes in-process (NULL/0 otherwise) */
	const char *config_text; /* the last good configuration (SIGHUP keeps it when a new one is bad) */
	size_t config_len;
	const char *trigger;     /* why this run happens ("webhook", "schedule"...) */
	/* called by apply/reconcile after the run is recorded, before the plan is freed */
	void (*on_run)(void *arg, const struct zsync_plan *plan, int64_t run_id, int exit_code);
	void *on_run_arg;
};

struct zsync_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct zsync_ctx *ctx);
	const char *summary;
};

/*
 * Parses a command's own options together with the global ones; usage is the template of
 * its usage line (zsync_opt_usage), written out into ctx->usage. On --help prints
 * usage and the option table and returns ZSYNC_EXIT_OK through *exit_code with 1;
 * on a usage error prints it and returns 1 with *exit_code = ZSYNC_EXIT_USAGE.
 * Returns 0 when the command should run.
 */
int zsync_cmd_options(struct zsync_ctx *ctx, const char *usage, const struct zsync_opt *opts,
		      int argc, char **argv, struct zsync_strlist *positional, int *exit_code);

/* The same with several option tables (a NULL-terminated list of at most 6). */
int zsync_cmd_options_tables(struct zsync_ctx *ctx, const char *usage_line,
			     const struct zsync_opt *const *opts, int argc, char **argv,
			     struct zsync_strlist *positional, int *exit_code);

struct zsync_config;

/*
 * Loads the configuration for a command that needs one: prints every problem and
 * returns NULL (exit 1) when there is none or it is invalid.
 */
struct zsync_config *zsync_cmd_config(const struct zsync_ctx *ctx);

/* Applies --shard and -j to cfg; 0, or prints the problem and returns ZSYNC_EXIT_USAGE. */
int zsync_cmd_run_options(struct zsync_config *cfg, const char *shard, long jobs);

struct zsync_repo;

/*
 * Opens the repository at path (NULL: cfg's [repo] path) with cfg's settings for reading
 * zones ($INCLUDE budget); cfg may be NULL (defaults).
 */
int zsync_cmd_open_repo(struct zsync_repo **out, const char *path,
			const struct zsync_config *cfg, struct zsync_err *err);

/* Maps an error code to the exit code contract (ZSYNC_ELOCKED -> 5, others -> 1). */
int zsync_cmd_exit_for(int code);

/* Formats a Unix time as an RFC 3339 UTC string ("-" for 0). */
const char *zsync_cmd_time(long long t, char *buf, size_t len);

/* Paint s in an SGR colour ("31" red...) when ctx->color; returns a static buffer slot. */
const char *zsync_paint(const struct zsync_ctx *ctx, const char *sgr, const char *s);

int cmd_check(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_status(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_plan(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_apply(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_diff(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_verify(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_delegation(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_reconcile(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_import(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_hooks(int argc, char **argv, struct zsync_ctx *ctx);

struct zsync_repo;
struct zsync_tree;
struct zsync_plan;
struct zsync_strlist;

/*
 * Resolves every secret of the providers this run uses (zones, providers: the --zone and
 * --provider selections) and prints what is wrong: 0, or exit 1 before any provider is
 * contacted.
 */
int zsync_cmd_check_secrets(const struct zsync_config *cfg, const struct zsync_strlist *zones,
			    const struct zsync_strlist *providers);

/* plan and apply: open the repository at ref, build the plan, print zone errors. 0 or an exit code. */
int zsync_cmd_build_plan(struct zsync_ctx *ctx, struct zsync_config *cfg, const char *ref,
			 struct zsync_strlist *zones, struct zsync_strlist *providers,
			 struct zsync_repo **repo, struct zsync_tree **tree, struct zsync_plan **plan);
/* Prints the plan in format (text/json/markdown) and saves it as JSON to out_path if set. */
int zsync_cmd_print_plan(struct zsync_ctx *ctx, struct zsync_plan *plan, const char *format,
			 const char *out_path);
/*
 * The exit status of apply/reconcile from its totals: 6 if any entry is older than what
 * is deployed, else 3 if any failed, else 4 if any refused, else 0.
 */
struct zsync_apply_totals;
int zsync_cmd_apply_exit(const struct zsync_apply_totals *t);
/* The exit status of a verify outcome (enum zsync_verify_outcome: 0, 1 or 2). */
int zsync_cmd_verify_exit(int outcome);

/*
 * Whether a long phase shows a progress line on stderr: only on a terminal, not with -q,
 * never in CI ($CI set and not "false"/"0", as CI services set it: a CI runner may give a
 * job a terminal, and a log of carriage returns helps nobody).
 */
bool zsync_cmd_progress(const struct zsync_ctx *ctx);

/* --wait value to seconds for zsync_state_lock(). */
double zsync_cmd_wait_seconds(const char *wait);
/* Why this run happens: $ZONESYNC_TRIGGER, else "ci" under CI, else "cli". */
const char *zsync_cmd_trigger(void);
int cmd_history(int argc, char **argv, struct zsync_ctx *ctx);
int cmd_serve(int argc, char **argv, struct zsync_ctx *ctx);

/* `zonesync state check|prune`: integrity on demand, history retention. */
int cmd_state(int argc, char **argv, struct zsync_ctx *ctx);

#endif
