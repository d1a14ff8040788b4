/* cmd-serve.c - `zonesync serve`: the sync service (webhooks, schedule, metrics, status page) */
#include "cmd.h"
#include "config.h"
#include "serve.h"
#include "state.h"
#include "thread.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_line[] = "zonesync serve {*}";

/*
 * The branch webhooks deploy: with [repo] remote, [repo] branch (fetched before each run);
 * else [repo] ref when it names a branch, else "main".
 */
static char *deployed_branch(const struct zsync_config *cfg)
{
	const char *ref = cfg->repo.ref;
	if (cfg->repo.remote)
		return zsync_xstrdup(cfg->repo.branch ? cfg->repo.branch : "main");
	if (!strncmp(ref, "refs/heads/", 11))
		return zsync_xstrdup(ref + 11);
	if (!strcmp(ref, "HEAD") || !strncmp(ref, "refs/", 5) || strspn(ref, "0123456789abcdef") == strlen(ref))
		return zsync_xstrdup("main");
	return zsync_xstrdup(ref);
}

struct loaded {
	char *text;
	size_t len;
	struct zsync_config *cfg;
	char *api_token, *github_secret, *gitlab_token, *generic_secret;
};

static void free_secret(char *s)
{
	if (s)
		memset(s, 0, strlen(s));
	free(s);
}

static void loaded_release(struct loaded *l)
{
	free(l->text);
	zsync_config_free(l->cfg);
	free_secret(l->api_token);
	free_secret(l->github_secret);
	free_secret(l->gitlab_token);
	free_secret(l->generic_secret);
	memset(l, 0, sizeof(*l));
}

/*
 * Reads, validates and resolves the service's secrets. Each problem goes to report
 * (stderr at start, the log on SIGHUP). 0 or -1.
 */
static int load(const char *path, struct loaded *l, void (*report)(void *, const char *), void *arg)
{
	struct zsync_diags diags = { 0 };
	struct zsync_err err = { 0 };
	const char *refs[4];
	char **outs[4] = { &l->api_token, &l->github_secret, &l->gitlab_token, &l->generic_secret };
	static const char *const keys[4] = { "serve: api_token", "serve: github_secret", "serve: gitlab_token", "serve: generic_secret" };
	int ret = -1;

	memset(l, 0, sizeof(*l));
	if (!(l->text = zsync_config_read(path, &l->len, &err))) {
		report(arg, err.msg);
		goto out;
	}
	l->cfg = zsync_config_parse(path, l->text, l->len, &diags, &err);
	for (size_t i = 0; i < diags.n; i++) {
		char line[2048];
		zsync_diag_format(&diags.v[i], line, sizeof(line));
		report(arg, line);
	}
	if (!l->cfg) {
		report(arg, err.msg);
		goto out;
	}
	refs[0] = l->cfg->serve.api_token;
	refs[1] = l->cfg->serve.github_secret;
	refs[2] = l->cfg->serve.gitlab_token;
	refs[3] = l->cfg->serve.generic_secret;
	for (int i = 0; i < 4; i++) {
		if (!*refs[i])
			continue;
		if (zsync_config_secret(l->cfg, keys[i], refs[i], outs[i], &err) < 0) {
			report(arg, err.msg);
			goto out;
		}
	}
	ret = 0;
out:
	zsync_diags_release(&diags);
	if (ret)
		loaded_release(l);
	return ret;
}

static void report_stderr(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "zonesync: %s\n", msg);
}

static void report_log(void *arg, const char *msg)
{
	zsync_serve_log(arg, "error", msg, "src", "config", NULL);
}

/* Puts l into s (taking its contents); the old configuration is freed. */
static void install(struct zsync_serve *s, struct loaded *l)
{
	struct loaded old;

	zsync_lock(&s->mu);
	old = (struct loaded){ s->cfg_text, s->cfg_len, s->cfg, s->api_token, s->github_secret, s->gitlab_token,
			       s->generic_secret };
	s->cfg_text = l->text;
	s->cfg_len = l->len;
	s->cfg = l->cfg;
	s->api_token = l->api_token;
	s->github_secret = l->github_secret;
	s->gitlab_token = l->gitlab_token;
	s->generic_secret = l->generic_secret;
	free(s->branch);
	s->branch = deployed_branch(s->cfg);
	s->config_loaded = time(NULL);
	zsync_unlock(&s->mu);
	memset(l, 0, sizeof(*l));
	loaded_release(&old);
}

static void reload(struct zsync_serve *s)
{
	struct loaded l;

	if (load(s->config_path, &l, report_log, s) < 0) {
		zsync_lock(&s->mu);
		s->reloads_failed++;
		zsync_unlock(&s->mu);
		zsync_serve_log(s, "error", "configuration refused; the one loaded before stays in use", "config",
				s->config_path, NULL);
		return;
	}
	if (strcmp(l.cfg->state.path, s->cfg->state.path))
		zsync_serve_log(s, "warn", "[state] path changed: the service keeps the old one until it is restarted", NULL);
	if (strcmp(l.cfg->serve.listen, s->cfg->serve.listen) || !l.cfg->serve.tls_cert != !s->cfg->serve.tls_cert)
		zsync_serve_log(s, "warn", "[serve] listen or TLS changed: applied at the next restart", NULL);
	install(s, &l);
	zsync_serve_check_repo(s);
	zsync_lock(&s->mu);
	s->reloads_ok++;
	zsync_unlock(&s->mu);
	zsync_serve_schedule(s, time(NULL));
	zsync_serve_log(s, "info", "configuration reloaded", "config", s->config_path, NULL);
}

int cmd_serve(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *listen = NULL;
	const struct zsync_opt opts[] = {
		{ 0, "listen", ZSYNC_OPT_STRING, &listen, "ADDRESS:PORT", "where to listen (default: [serve] listen, else 127.0.0.1:8053)" },
		{ 0 },
	};
	struct zsync_strlist pos = { 0 };
	struct zsync_serve *s = NULL;
	struct zsync_err err = { 0 };
	struct loaded l;
	sigset_t set;
	bool explicit_cfg, captured = false, worker = false;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	if (pos.n) {
		fprintf(stderr, "zonesync: serve takes no arguments\nusage: %s\n", ctx->usage);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	s = zsync_xcalloc(1, sizeof(*s));
	zsync_mutex_init(&s->mu);
	zsync_mutex_init(&s->db_mu);
	zsync_cond_init(&s->cv);
	s->log_fd = STDERR_FILENO;
	s->last_verify = -1;
	s->verbose = ctx->verbose;
	s->global_opts = ctx->global_opts;
	s->started = time(NULL);
	s->config_path = zsync_config_locate(ctx->config_path, &explicit_cfg);
	if (load(s->config_path, &l, report_stderr, NULL) < 0) {
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	install(s, &l);
	zsync_serve_check_repo(s);
	s->listen = zsync_xstrdup(listen ? listen : s->cfg->serve.listen);
	if (zsync_state_open(&s->db, s->cfg->state.path, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	srandom((unsigned)(time(NULL) ^ getpid()));
	/* signals go to the main thread's sigtimedwait only: block them before any thread starts */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (zsync_serve_capture_start(s) < 0) {
		fprintf(stderr, "zonesync: cannot set up the log pipe\n");
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	captured = true;
	if (zsync_serve_http_start(s, &err) < 0) {
		zsync_serve_log(s, "error", err.msg, NULL);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	if (zsync_serve_worker_start(s) < 0) {
		zsync_serve_log(s, "error", "cannot start the run worker", NULL);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	worker = true;
	zsync_serve_schedule(s, time(NULL));
	{
		char re[32], ve[32];
		snprintf(re, sizeof(re), "%lds", s->cfg->serve.reconcile_every);
		snprintf(ve, sizeof(ve), "%lds", s->cfg->serve.verify_every);
		zsync_serve_log(s, "info", "listening", "listen", s->listen, "tls", s->cfg->serve.tls_cert ? "on" : "off",
				"config", s->config_path, "branch", s->branch, "remote", s->cfg->repo.remote,
				"reconcile_every", re, "verify_every", ve,
				"api_token", s->api_token ? "set" : "unset", NULL);
	}
	if (!s->cfg->repo.remote)
		zsync_serve_log(s, "warn", "[repo] remote is not set: each run deploys [repo] ref of [repo] path as it is, "
			       "so a push must land in that repository itself (set remote and branch to fetch before each run)",
			       NULL);
	for (;;) {
		struct timespec one = { 1, 0 };
		siginfo_t si;
		int sig = sigtimedwait(&set, &si, &one);
		if (sig == SIGHUP) {
			reload(s);
		} else if (sig == SIGTERM || sig == SIGINT) {
			zsync_lock(&s->mu);
			enum zsync_serve_job running = s->running;
			zsync_unlock(&s->mu);
			zsync_serve_log(s, "info", running ? "stopping: letting the running run finish (its journal is written as it goes)"
							  : "stopping", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
			break;
		}
		zsync_serve_tick(s, time(NULL));
	}
out:
	if (worker)
		zsync_serve_worker_stop(s);
	if (s)
		zsync_serve_http_stop(s);
	if (captured) {
		zsync_serve_log(s, "info", "stopped", NULL);
		zsync_serve_capture_stop(s);
	}
	if (s) {
		struct loaded old = { s->cfg_text, s->cfg_len, s->cfg, s->api_token, s->github_secret, s->gitlab_token,
				      s->generic_secret };
		loaded_release(&old);
		zsync_state_close(s->db);
		free(s->pending);
		free(s->branch);
		free(s->listen);
		zsync_mutex_destroy(&s->mu);
		zsync_mutex_destroy(&s->db_mu);
		zsync_cond_destroy(&s->cv);
		free(s);
	}
	zsync_strlist_release(&pos);
	return code;
}
