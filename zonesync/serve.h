/* serve.h - zonesync serve: what its HTTP server, run worker, renderers and log share */
#ifndef ZSYNC_SERVE_H
#define ZSYNC_SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "err.h"

struct zsync_config;
struct zsync_state;
struct zsync_ctx;
struct MHD_Daemon;

/* One accepted webhook delivery, waiting for (or folded into) a run. */
struct zsync_serve_delivery {
	char source[8];   /* github, gitlab, generic */
	char id[96];      /* the sender's delivery id ("" when it sent none) */
	char after[48];   /* the commit the push says the branch now is */
	int64_t at_ms;    /* when it came (CLOCK_MONOTONIC, milliseconds) */
};

enum zsync_serve_job { ZSYNC_JOB_NONE, ZSYNC_JOB_APPLY, ZSYNC_JOB_RECONCILE, ZSYNC_JOB_VERIFY };

/* A run the service made (the state db holds every run; this adds what only the service knows). */
struct zsync_serve_run {
	int64_t seq;          /* the service's count, from 1 */
	int64_t state_run;    /* runs.id in the state db; 0 when it ended before being recorded */
	enum zsync_serve_job job;
	char trigger[32];     /* webhook, schedule, api */
	char commit[48];
	time_t started;
	double seconds;
	int exit_code;
	size_t deliveries;    /* webhook deliveries folded into it */
	size_t changes, changed, failed, refused, in_sync;
	int drift;            /* provider x zone pairs where reconcile found drift */
};

#define ZSYNC_SERVE_RUNS 100     /* runs kept in memory for the API and the chart */
#define ZSYNC_SERVE_SEEN 1024    /* delivery ids remembered for de-duplication */
#define ZSYNC_SERVE_NBUCKETS 12  /* run duration histogram */
#define ZSYNC_SERVE_COUNTERS 64  /* provider x method request counters */

/* what a run's exit code says, counted in zonesync_serve_runs_total */
enum zsync_run_result {
	ZSYNC_RUN_OK, ZSYNC_RUN_PARTIAL, ZSYNC_RUN_REFUSED, ZSYNC_RUN_MISMATCH, ZSYNC_RUN_LOCKED,
	ZSYNC_RUN_FAILED, ZSYNC_RUN_NRESULTS
};
extern const char *const zsync_run_result_names[ZSYNC_RUN_NRESULTS];
/* 0 ok, 3 partial, 4 and 6 refused (safety limits, older than deployed), 2 mismatch (verify), 5 locked, else failed */
enum zsync_run_result zsync_serve_run_result(int exit_code);

/* webhook outcomes, counted per source in zonesync_serve_webhooks_total */
enum zsync_hook_result {
	ZSYNC_HOOK_ACCEPTED, ZSYNC_HOOK_DUPLICATE, ZSYNC_HOOK_IGNORED, ZSYNC_HOOK_BAD_SIGNATURE,
	ZSYNC_HOOK_BAD_REQUEST, ZSYNC_HOOK_TOO_LARGE, ZSYNC_HOOK_QUEUE_FULL, ZSYNC_HOOK_NRESULTS
};
extern const char *const zsync_hook_result_names[ZSYNC_HOOK_NRESULTS];

struct zsync_serve {
	pthread_mutex_t mu;          /* everything below, unless said otherwise */
	pthread_cond_t cv;           /* work queued, or stopping */
	int log_fd;                  /* the real stderr: structured log lines */
	const char *config_path;
	char *listen;                /* --listen, else [serve] listen */
	const struct zsync_opt *global_opts;
	int verbose;

	/* the last good configuration: its text (runs parse it afresh) and the parsed form */
	char *cfg_text;
	size_t cfg_len;
	struct zsync_config *cfg;
	char *branch;                /* the branch webhooks deploy */
	char *api_token, *github_secret, *gitlab_token, *generic_secret; /* resolved; NULL: unset */
	time_t config_loaded;

	/* work waiting */
	struct zsync_serve_delivery *pending;
	size_t npending;
	int64_t last_delivery_ms;   /* CLOCK_MONOTONIC */
	bool want_reconcile, want_verify;
	char reconcile_trigger[32];
	time_t next_reconcile, next_verify;  /* 0: not scheduled */
	char seen[ZSYNC_SERVE_SEEN][104];   /* "source:id" */
	size_t nseen;

	/* what runs */
	bool stopping;
	enum zsync_serve_job running;
	time_t running_since;
	struct zsync_serve_run runs[ZSYNC_SERVE_RUNS]; /* ring, by seq */
	int64_t nruns;
	char last_error[512];        /* the last run that failed before being recorded */
	char repo_error[1100];       /* why [repo] path cannot be opened; "" when it can */
	int last_verify;             /* exit code; -1 none yet */
	time_t last_verify_at;

	/* metrics */
	time_t started;
	uint64_t hooks[3][ZSYNC_HOOK_NRESULTS];
	uint64_t runs_total[4][ZSYNC_RUN_NRESULTS];
	uint64_t buckets[4][ZSYNC_SERVE_NBUCKETS + 1];
	double seconds_sum[4];
	struct {
		char provider[64], method[16];
		uint64_t n;
	} requests[ZSYNC_SERVE_COUNTERS];
	size_t nrequests;
	uint64_t reloads_ok, reloads_failed;
	uint64_t http_unauthorized;

	/* a read connection to the state db for the HTTP side (its own lock: reads are slow) */
	pthread_mutex_t db_mu;
	struct zsync_state *db;

	struct MHD_Daemon *http;
	char *tls_cert, *tls_key;    /* PEM text, held while the daemon runs */
	pthread_t worker, capture;
	int capture_fd;              /* read end of the engine's stdout/stderr */
};

extern const double zsync_serve_buckets[ZSYNC_SERVE_NBUCKETS];
const char *zsync_serve_job_name(enum zsync_serve_job job);

/* serve-log.c: structured log lines (logfmt) on log_fd */
/* Logs "time=... level=LEVEL msg=MSG" then key, value pairs (strings; NULL ends them). */
void zsync_serve_log(struct zsync_serve *s, const char *level, const char *msg, ...)
	__attribute__((sentinel));
/* Appends one logfmt value to buf (quoted and escaped when it needs to be); returns buf's length. */
size_t zsync_serve_logfmt_value(char *buf, size_t len, size_t used, const char *v);
/*
 * Sends the process's stdout and stderr (what the in-process runs print) through a pipe
 * that a thread turns into log lines (src=engine). 0 or -1.
 */
int zsync_serve_capture_start(struct zsync_serve *s);
void zsync_serve_capture_stop(struct zsync_serve *s);

/* serve-hook.c: webhook authentication and payloads (no I/O, unit-tested) */
/* Equal in time independent of the contents (the lengths may show). */
bool zsync_serve_ct_equal(const void *a, const void *b, size_t n);
/* Two secrets compared through their SHA-256, so neither the contents nor the length shows. */
bool zsync_serve_secret_equal(const char *a, const char *b);
/* header is "sha256=HEX" (GitHub's X-Hub-Signature-256): the HMAC-SHA256 of body with secret. */
bool zsync_serve_signature_ok(const char *secret, const void *body, size_t len, const char *header);
/*
 * Reads a push payload: ref ("refs/heads/main"; a generic payload may say "branch"), the
 * commit after the push and whether the push deleted the branch. 0, or ZSYNC_EINVAL with
 * err ("not JSON", "no ref").
 */
int zsync_serve_parse_push(const char *body, size_t len, char **branch, char **after, bool *deleted,
			   struct zsync_err *err);

/* serve-run.c: the queue, the one worker, the schedule */
/* CLOCK_MONOTONIC in milliseconds (the burst window, never set back by the wall clock) */
int64_t zsync_serve_now_ms(void);
/* Queues a delivery: 0, 1 when its id was seen before (nothing queued), -1 when the queue is full, -2 when stopping. */
int zsync_serve_enqueue(struct zsync_serve *s, const struct zsync_serve_delivery *d);
/* Asks for a reconcile (POST /api/v1/reconcile, the schedule); false when stopping. */
bool zsync_serve_request(struct zsync_serve *s, enum zsync_serve_job job, const char *trigger);
int zsync_serve_worker_start(struct zsync_serve *s);
/* Lets the running run finish, drops what waits, joins the worker. */
void zsync_serve_worker_stop(struct zsync_serve *s);
/* The schedule: queues reconcile/verify when due (call about once a second). */
void zsync_serve_tick(struct zsync_serve *s, time_t now);
/* Sets the next due times after a (re)load: interval plus up to 10 % jitter. */
void zsync_serve_schedule(struct zsync_serve *s, time_t now);
/* Opens [repo] path to see that it can be (readiness); sets s->repo_error. */
void zsync_serve_check_repo(struct zsync_serve *s);

/* serve-render.c: what the endpoints answer (malloc'ed text) */
char *zsync_serve_metrics(struct zsync_serve *s);
char *zsync_serve_status_json(struct zsync_serve *s);
char *zsync_serve_runs_json(struct zsync_serve *s, int limit);
/* NULL when there is no such run */
char *zsync_serve_run_json(struct zsync_serve *s, int64_t id);
char *zsync_serve_page(struct zsync_serve *s);
/* Why the service is not ready, or NULL when it is (static text or s->last_error). */
const char *zsync_serve_not_ready(struct zsync_serve *s, char *buf, size_t len);
/* Writes s to f with HTML's special characters escaped. */
void zsync_serve_html_escape(FILE *f, const char *s);

/* serve-http.c */
int zsync_serve_http_start(struct zsync_serve *s, struct zsync_err *err);
void zsync_serve_http_stop(struct zsync_serve *s);

#endif
