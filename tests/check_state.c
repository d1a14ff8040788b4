/* check_state.c - the state database: creation, migration, refusal of foreign files, lock, crash safety */
#include "testutil.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "state.h"

#include <jansson.h>

static char *dir, *db;

static void setup(void)
{
	dir = tu_tmpdir();
	db = tu_fmt("%s/sub/dir/state.db", dir);
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(db);
}

static int count_rows(const char *sql)
{
	int st;
	char *out = tu_sh_out(&st, "sqlite3 '%s' \"%s\"", db, sql);
	int n = atoi(out);
	free(out);
	return n;
}

START_TEST(test_create)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	struct stat sb;
	char *parent = tu_fmt("%s/sub/dir", dir);

	ck_assert_msg(zsync_state_open(&st, db, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(zsync_state_version(st), ZSYNC_STATE_SCHEMA);
	zsync_state_close(st);
	ck_assert_int_eq(stat(db, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(parent, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	int s;
	char *mode = tu_sh_out(&s, "sqlite3 '%s' 'PRAGMA journal_mode'", db);
	ck_assert_str_eq(mode, "wal\n");
	free(mode);
	free(parent);
	/* reopening an up-to-date database changes nothing */
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	zsync_state_close(st);
}
END_TEST

START_TEST(test_migrate_from_v1)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	int64_t run, id;

	ck_assert_int_eq(zsync_state_open_version(&st, db, 1, &err), 0);
	ck_assert_int_eq(zsync_state_version(st), 1);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "abc123", "cli", &run, &err), 0);
	zsync_state_close(st);
	/* a v1 journal row, written the v1 way */
	tu_sh("sqlite3 '%s' \"INSERT INTO journal (run_id, zone, provider, op, owner, type, new_rdata, status, updated_at) "
	      "VALUES (%lld, 'example.com.', 'bind', 'create', 'www.example.com.', 'A', '300 192.0.2.1', 'planned', 1)\"",
	      db, (long long)run);
	id = count_rows("SELECT max(id) FROM journal");
	ck_assert_int_eq(count_rows("SELECT count(*) FROM sqlite_master WHERE name = 'drift'"), 0);
	/* a v1 pair row written the v1 way */
	tu_sh("sqlite3 '%s' \"INSERT INTO pair_status (zone, provider, consecutive_failures) VALUES ('example.com.', 'bind', 2)\"", db);

	ck_assert_msg(zsync_state_open(&st, db, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(zsync_state_version(st), ZSYNC_STATE_SCHEMA);
	/* v3: a row's outcome can be unknown; the --allow-older override is a row of its own */
	ck_assert_int_eq(zsync_state_journal_set(st, id, "unknown", "timed out", &err), 0);
	struct zsync_journal_entry o = { "example.com.", "bind", "allow-older", "example.com.", "COMMIT", "a", "b" };
	ck_assert_int_eq(zsync_state_journal_add(st, run, &o, &id, &err), 0);
	ck_assert_int_lt(zsync_state_journal_set(st, id, "bogus", NULL, &err), 0);
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE owner = 'www.example.com.' AND status = 'unknown'"), 1);
	ck_assert_int_eq(count_rows("SELECT consecutive_failures * 10 + drift_count FROM pair_status"), 20);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM sqlite_master WHERE name = 'drift'"), 1);
}
END_TEST

static char *file_sum(const char *path)
{
	int st;
	return tu_sh_out(&st, "sha256sum '%s' | cut -c1-64", path);
}

START_TEST(test_refuses_foreign_files)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	char *before, *after;

	tu_sh("mkdir -p '%s/sub/dir'", dir);
	/* another application's sqlite database */
	tu_sh("sqlite3 '%s' 'CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (1)'", db);
	before = file_sum(db);
	ck_assert_int_lt(zsync_state_open(&st, db, &err), 0);
	ck_assert_msg(strstr(err.msg, "not a zonesync state database") && strstr(err.msg, "left untouched"), "%s", err.msg);
	after = file_sum(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	/* not sqlite at all */
	tu_write(db, "these are my notes, not a database\n");
	before = file_sum(db);
	ck_assert_int_lt(zsync_state_open(&st, db, &err), 0);
	ck_assert_msg(strstr(err.msg, "cannot be read") && strstr(err.msg, "left untouched"), "%s", err.msg);
	after = file_sum(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	/* ours, but from a newer zonesync */
	unlink(db);
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	zsync_state_close(st);
	tu_sh("sqlite3 '%s' 'PRAGMA user_version = 99'", db);
	ck_assert_int_lt(zsync_state_open(&st, db, &err), 0);
	ck_assert_msg(strstr(err.msg, "schema version 99 is newer"), "%s", err.msg);

	/* ours, damaged: a page overwritten in the middle */
	tu_sh("sqlite3 '%s' 'PRAGMA user_version = 3; PRAGMA journal_mode=DELETE' >/dev/null", db);
	tu_sh("dd if=/dev/urandom of='%s' bs=1024 seek=1 count=2 conv=notrunc 2>/dev/null", db);
	before = file_sum(db);
	ck_assert_int_lt(zsync_state_open(&st, db, &err), 0);
	ck_assert_msg(strstr(err.msg, "left untouched"), "%s", err.msg);
	after = file_sum(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

/* A child takes the lock and reports through a pipe; returns its pid. hold_ms < 0: forever. */
static pid_t lock_in_child(int hold_ms)
{
	int p[2];
	char c;
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct zsync_lock *l = NULL;
		struct zsync_err err = { 0 };
		close(p[0]);
		if (zsync_state_lock(&l, db, -1, &err) < 0)
			_exit(3);
		if (write(p[1], "L", 1) != 1)
			_exit(4);
		if (hold_ms < 0)
			for (;;)
				pause();
		struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		zsync_state_unlock(l);
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

START_TEST(test_lock)
{
	struct zsync_lock *l = NULL;
	struct zsync_err err = { 0 };
	struct zsync_state *st = NULL;
	char want[64];

	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0); /* creates the folder */
	zsync_state_close(st);
	pid_t child = lock_in_child(-1);
	ck_assert_int_eq(zsync_state_lock(&l, db, -1, &err), ZSYNC_ELOCKED);
	snprintf(want, sizeof(want), "locked by pid %d since 20", (int)child);
	ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
	/* bounded wait gives up */
	time_t t0 = time(NULL);
	ck_assert_int_eq(zsync_state_lock(&l, db, 1.0, &err), ZSYNC_ELOCKED);
	ck_assert_int_ge(time(NULL) - t0, 1);
	/* the holder dies hard: no stale lock */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_msg(zsync_state_lock(&l, db, -1, &err) == 0, "%s", err.msg);
	zsync_state_unlock(l);
	/* waiting works when the holder lets go in time */
	child = lock_in_child(500);
	ck_assert_int_eq(zsync_state_lock(&l, db, -1, &err), ZSYNC_ELOCKED);
	ck_assert_msg(zsync_state_lock(&l, db, 10.0, &err) == 0, "%s", err.msg);
	zsync_state_unlock(l);
	waitpid(child, NULL, 0);
}
END_TEST

START_TEST(test_journal_survives_kill)
{
	int p[2];
	char c;
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct zsync_state *st = NULL;
		struct zsync_err err = { 0 };
		int64_t run, id;
		close(p[0]);
		if (zsync_state_open(&st, db, &err) < 0 ||
		    zsync_state_run_begin(st, "apply", "abc", "cli", &run, &err) < 0)
			_exit(3);
		for (int i = 0;; i++) {
			char owner[64];
			snprintf(owner, sizeof(owner), "h%d.example.com.", i);
			struct zsync_journal_entry e = { "example.com.", "bind", "create", owner, "A", NULL, "300 192.0.2.1" };
			if (zsync_state_journal_add(st, run, &e, &id, &err) < 0 ||
			    zsync_state_journal_set(st, id, "sent", NULL, &err) < 0)
				_exit(4);
			if (i == 20 && write(p[1], "x", 1) != 1)
				_exit(5);
		}
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFSIGNALED(status));

	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	ck_assert_msg(zsync_state_open(&st, db, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(zsync_state_recover(st, &err), 1);
	zsync_state_close(st);
	/* what the dead run had sent may or may not have arrived: unknown until a provider is read */
	ck_assert_int_ge(count_rows("SELECT count(*) FROM journal WHERE status = 'unknown'"), 21);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM runs WHERE status = 'interrupted'"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status NOT IN ('planned', 'unknown')"), 0);
	int s;
	char *ok = tu_sh_out(&s, "sqlite3 '%s' 'PRAGMA integrity_check'", db);
	ck_assert_str_eq(ok, "ok\n");
	free(ok);
}
END_TEST

struct collect {
	char buf[4096];
};

static int pair_cb(void *ctx, const struct zsync_pair_status *p)
{
	struct collect *c = ctx;
	size_t n = strlen(c->buf);
	snprintf(c->buf + n, sizeof(c->buf) - n, "%s %s fails=%d drift=%d commit=%s err=%s\n", p->zone,
		 p->provider, p->consecutive_failures, p->drift_count, p->last_commit ? p->last_commit : "-",
		 p->last_error ? p->last_error : "-");
	return 0;
}

static int run_cb(void *ctx, const struct zsync_run_info *r)
{
	struct collect *c = ctx;
	size_t n = strlen(c->buf);
	snprintf(c->buf + n, sizeof(c->buf) - n, "%s %s %s %d\n", r->command, r->commit, r->status, r->changes);
	return 0;
}

START_TEST(test_health_and_history)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	struct collect c = { "" };
	int64_t run, id;

	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "a.", "dyn", false, NULL, "HTTP 500", &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "a.", "dyn", false, NULL, "timeout", &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "a.", "bind", true, "c1", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "reconcile", "c1", "cron", &run, &err), 0);
	ck_assert_int_eq(zsync_state_pair_drift(st, run, "a.", "bind", "www A", 1, &err), 0);
	zsync_state_pairs(st, pair_cb, &c, &err);
	ck_assert_str_eq(c.buf, "a. bind fails=0 drift=1 commit=c1 err=-\na. dyn fails=2 drift=0 commit=- err=timeout\n");
	ck_assert_int_eq(zsync_state_pair_result(st, "a.", "dyn", true, "c1", NULL, &err), 0);
	c.buf[0] = '\0';
	zsync_state_pairs(st, pair_cb, &c, &err);
	ck_assert_msg(strstr(c.buf, "a. dyn fails=0 drift=0 commit=c1"), "%s", c.buf);

	struct zsync_journal_entry e = { "a.", "bind", "update", "www.a.", "A", "300 192.0.2.1", "300 192.0.2.2" };
	ck_assert_int_eq(zsync_state_journal_add(st, run, &e, &id, &err), 0);
	ck_assert_int_eq(zsync_state_journal_set(st, id, "applied", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_run_end(st, run, "ok", "1 change", &err), 0);
	int64_t run2;
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "c2", "ci", &run2, &err), 0);
	c.buf[0] = '\0';
	zsync_state_runs(st, 10, NULL, NULL, run_cb, &c, &err);
	ck_assert_str_eq(c.buf, "apply c2 running 0\nreconcile c1 ok 1\n");
	c.buf[0] = '\0';
	zsync_state_runs(st, 10, NULL, "dyn", run_cb, &c, &err);
	ck_assert_str_eq(c.buf, "");
	c.buf[0] = '\0';
	zsync_state_runs(st, 1, "a.", "bind", run_cb, &c, &err);
	ck_assert_str_eq(c.buf, "reconcile c1 ok 1\n");
	/* a bad status is refused by the schema, not stored */
	ck_assert_int_lt(zsync_state_journal_set(st, id, "maybe", NULL, &err), 0);
	zsync_state_close(st);
}
END_TEST

START_TEST(test_cli_status_history)
{
	const char *bin = getenv("ZONESYNC");
	static char abs[4096];
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	int64_t run, id;
	int rc;
	char *out;

	if (!bin)
		bin = realpath("build/zonesync", abs) ? abs : "build/zonesync";
	char *cfg = tu_fmt("%s/zonesync.toml", dir);
	tu_write(cfg, "[state]\npath = \"sub/dir/state.db\"\n"
		      "[providers.bind]\ntype = \"rfc2136\"\nserver = \"127.0.0.1:53\"\n"
		      "[providers.dyn]\ntype = \"dyn\"\ncustomer = \"c\"\nuser = \"u\"\npassword = \"env:DYN_PW\"\n"
		      "[[zones]]\nname = \"example.com\"\nproviders = [\"bind\", \"dyn\"]\n");
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "0123456789abcdef", "cli", &run, &err), 0);
	struct zsync_journal_entry e = { "example.com.", "bind", "create", "www.example.com.", "A", NULL, "300 192.0.2.1" };
	ck_assert_int_eq(zsync_state_journal_add(st, run, &e, &id, &err), 0);
	ck_assert_int_eq(zsync_state_journal_set(st, id, "applied", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "example.com.", "bind", true, "0123456789abcdef", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "example.com.", "dyn", false, NULL, "provider 'dyn': HTTP 503", &err), 0);
	ck_assert_int_eq(zsync_state_run_end(st, run, "partial", "1 change, 1 provider failed", &err), 0);
	zsync_state_close(st);

	out = tu_sh_out(&rc, "'%s' --no-color -c '%s' status", bin, cfg);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(out, "example.com.             bind         ok              0123456789ab"), "%s", out);
	ck_assert_msg(strstr(out, "dyn          failing") && strstr(out, "provider 'dyn': HTTP 503"), "%s", out);
	free(out);
	out = tu_sh_out(&rc, "'%s' -c '%s' status --json", bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "\"consecutive_failures\": 1") && strstr(out, "\"health\": \"failing\""), "%s", out);
	free(out);
	out = tu_sh_out(&rc, "'%s' --no-color -c '%s' history", bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "apply     0123456789ab partial (1 change, 1 provider failed)") &&
		      strstr(out, "+ www.example.com. A @bind [applied]"), "%s", out);
	free(out);
	out = tu_sh_out(&rc, "'%s' -c '%s' history --provider dyn", bin, cfg);
	ck_assert_msg(rc == 0 && !strstr(out, "apply"), "%s", out);
	free(out);
	out = tu_sh_out(&rc, "'%s' -c '%s' history -n 1 --zone EXAMPLE.com --json", bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "\"owner\": \"www.example.com.\""), "%s", out);
	free(out);
	/* no configuration: a clear message and exit 1 */
	out = tu_sh_out(&rc, "cd '%s/sub' && env -u ZONESYNC_CONFIG '%s' status 2>&1", dir, bin);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "no configuration found"), "%s", out);
	free(out);
	free(cfg);
}
END_TEST


/* n finished runs of k journal rows each, oldest first; returns the last run id */
static int64_t add_runs(struct zsync_state *st, int n, int k)
{
	struct zsync_err err = { 0 };
	int64_t run = 0, id;
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(zsync_state_run_begin(st, "apply", "abc", "cli", &run, &err), 0);
		ck_assert_int_eq(zsync_state_begin(st, &err), 0);
		for (int j = 0; j < k; j++) {
			char owner[64];
			snprintf(owner, sizeof(owner), "h%d-%d.example.com.", i, j);
			struct zsync_journal_entry e = { "example.com.", "bind", "create", owner, "A", NULL, "300 192.0.2.1" };
			ck_assert_int_eq(zsync_state_journal_add(st, run, &e, &id, &err), 0);
		}
		ck_assert_int_eq(zsync_state_commit(st, &err), 0);
		ck_assert_int_eq(zsync_state_pair_drift(st, run, "example.com.", "bind", "www A", 1, &err), 0);
		ck_assert_int_eq(zsync_state_run_end(st, run, "ok", "done", &err), 0);
	}
	return run;
}

START_TEST(test_prune)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	struct zsync_prune_result r;

	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	int64_t last = add_runs(st, 6, 3);
	ck_assert_int_eq(zsync_state_pair_result(st, "example.com.", "bind", true, "abc", NULL, &err), 0);
	/* a dry run counts and deletes nothing */
	ck_assert_int_eq(zsync_state_prune(st, 2, 0, true, &r, &err), 0);
	ck_assert_int_eq(r.runs, 4);
	ck_assert_int_eq(r.journal_rows, 12);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal"), 18);
	/* keep the newest two runs: the others go with their journal and drift rows */
	ck_assert_int_eq(zsync_state_prune(st, 2, 0, false, &r, &err), 0);
	ck_assert_int_eq(r.runs, 4);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM runs"), 2);
	ck_assert_int_eq(count_rows("SELECT min(id) FROM runs"), (int)last - 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal"), 6);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE run_id < (SELECT min(id) FROM runs)"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM drift"), 2);
	/* health and the deployed commit are not history */
	ck_assert_int_eq(count_rows("SELECT count(*) FROM pair_status WHERE last_commit = 'abc' AND drift_count = 6"), 1);
	/* nothing more to prune: idempotent */
	ck_assert_int_eq(zsync_state_prune(st, 2, 0, false, &r, &err), 0);
	ck_assert_int_eq(r.runs, 0);

	/* by age: runs that finished before the cutoff go, the newest never, a running one never */
	tu_sh("sqlite3 '%s' \"UPDATE runs SET finished_at = finished_at - 40 * 86400, started_at = started_at - 40 * 86400\"", db);
	int64_t running;
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "def", "cli", &running, &err), 0);
	tu_sh("sqlite3 '%s' \"UPDATE runs SET started_at = started_at - 50 * 86400 WHERE id = %lld\"", db, (long long)running);
	ck_assert_int_eq(zsync_state_prune(st, 0, 30, false, &r, &err), 0);
	ck_assert_int_eq(r.runs, 2);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM runs"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM runs WHERE status = 'running'"), 1);
	ck_assert_int_eq(zsync_state_run_end(st, running, "ok", "done", &err), 0);
	/* both limits off: nothing goes */
	ck_assert_int_eq(zsync_state_prune(st, 0, 0, false, &r, &err), 0);
	ck_assert_int_eq(r.runs, 0);
	zsync_state_close(st);
}
END_TEST

START_TEST(test_check_on_demand)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	char verdict[1024];

	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	add_runs(st, 1, 2000);
	ck_assert_int_eq(zsync_state_check(st, true, verdict, sizeof(verdict), &err), 0);
	ck_assert_str_eq(verdict, "ok");
	zsync_state_close(st);
	/* damage a page deep inside the journal: open no longer reads the whole file, the check does */
	tu_sh("sqlite3 '%s' 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE' >/dev/null", db);
	int pages = count_rows("PRAGMA page_count");
	ck_assert_int_gt(pages, 20);
	tu_sh("dd if=/dev/urandom of='%s' bs=4096 seek=%d count=3 conv=notrunc 2>/dev/null", db, pages - 6);
	ck_assert_msg(zsync_state_open(&st, db, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(zsync_state_check(st, true, verdict, sizeof(verdict), &err), 0);
	ck_assert_msg(strcmp(verdict, "ok") != 0, "damage not seen");
	zsync_state_close(st);
}
END_TEST

/* The JSON of one string, octet by octet: the general path json_str's runs must agree with. */
static size_t ref_json_str(char *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	if (!s)
		return (size_t)sprintf(o, "null");
	o[n++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		o[n++] = '\\';
		if (c == '"' || c == '\\')
			o[n++] = (char)c;
		else if (c == '\n')
			o[n++] = 'n';
		else if (c == '\t')
			o[n++] = 't';
		else
			n += (size_t)sprintf(o + n, "u00%c%c", hex[c >> 4], hex[c & 15]);
	}
	o[n++] = '"';
	return n;
}

/*
 * The journal's JSON escaping takes eight octets at a time while none needs escaping:
 * on random strings (every length up to 40, each position of the octets that need it,
 * and octets of 0x80 and above) it writes exactly what escaping octet by octet writes,
 * and jansson reads the ASCII ones back as they were.
 */
START_TEST(test_journal_json_escaping)
{
	static const unsigned char special[] = { '"', '\\', '\n', '\t', 1, 0x1f, 0x20, 0x7f, 0x80, 0xff, '!', '#', '[', ']', 'a' };
	unsigned seed = 20261201;
	char *want = zsync_xmalloc(1 << 20);
	for (int round = 0; round < 4000; round++) {
		struct zsync_journal_buf b = { 0 };
		char f[5][48];
		const char *fp[5];
		size_t w = 0;
		bool ascii = true;
		for (int k = 0; k < 5; k++) {
			size_t len = (size_t)(rand_r(&seed) % 41);
			for (size_t i = 0; i < len; i++) {
				unsigned r = (unsigned)rand_r(&seed);
				unsigned char c = r % 4 ? (unsigned char)(' ' + r / 4 % 95) : special[r / 4 % sizeof(special)];
				if (c == 0)
					c = 1;
				f[k][i] = (char)c;
				ascii &= c < 0x80;
			}
			f[k][len] = '\0';
			fp[k] = k >= 3 && rand_r(&seed) % 5 == 0 ? NULL : f[k];
		}
		/* a second change after the first: the array joins them */
		for (int c = 0; c < 2; c++) {
			zsync_journal_buf_add(&b, fp[0], fp[1], fp[2], fp[3], fp[4]);
			want[w++] = c ? ',' : '[';
			want[w++] = '[';
			for (int k = 0; k < 5; k++) {
				if (k)
					want[w++] = ',';
				w += ref_json_str(want + w, fp[k]);
			}
			want[w++] = ']';
		}
		want[w++] = ']';
		want[w] = '\0';
		ck_assert_uint_eq(b.len, w);
		ck_assert_msg(memcmp(b.p, want, w) == 0, "round %d:\n%s\n%s", round, b.p, want);
		if (ascii) {
			json_error_t je;
			json_t *j = json_loadb(b.p, b.len, 0, &je);
			ck_assert_msg(j != NULL, "%s: %s", je.text, b.p);
			for (int k = 0; k < 5; k++) {
				json_t *v = json_array_get(json_array_get(j, 1), (size_t)k);
				if (fp[k])
					ck_assert_str_eq(json_string_value(v), fp[k]);
				else
					ck_assert(json_is_null(v));
			}
			json_decref(j);
		}
		zsync_journal_buf_release(&b);
	}
	free(want);
}
END_TEST

START_TEST(test_journal_batches)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	int64_t run, first = 0, id = 0;

	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "abc", "cli", &run, &err), 0);
	ck_assert_int_eq(zsync_state_begin(st, &err), 0);
	for (int j = 0; j < 1000; j++) {
		char owner[64];
		snprintf(owner, sizeof(owner), "h%d.example.com.", j);
		struct zsync_journal_entry e = { "example.com.", "bind", "create", owner, "A", NULL, "300 192.0.2.1", "sent" };
		ck_assert_int_eq(zsync_state_journal_add(st, run, &e, &id, &err), 0);
		if (j == 0)
			first = id;
	}
	ck_assert_int_eq(zsync_state_commit(st, &err), 0);
	/* every row is written, with consecutive ids */
	ck_assert_int_eq(id - first, 999);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'sent'"), 1000);
	/* deferred: the outcome and a health row, durable at close */
	const char **applied = zsync_xmalloc(1000 * sizeof(*applied));
	int64_t *all = zsync_xmalloc(1000 * sizeof(*all));
	for (int j = 0; j < 1000; j++)
		applied[j] = "applied", all[j] = first + j;
	ck_assert_int_eq(zsync_state_defer_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_journal_set_many(st, 1000, all, applied, NULL, &err), 0);
	ck_assert_int_eq(zsync_state_defer_end(st, true, &err), 0);
	ck_assert_int_eq(zsync_state_defer_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "example.com.", "bind", true, "abc", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_defer_end(st, false, &err), 0); /* rolled back */
	ck_assert_int_eq(zsync_state_defer_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "example.com.", "dns2", true, "abc", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_defer_end(st, true, &err), 0);
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'applied'"), 1000);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM pair_status"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM pair_status WHERE provider = 'dns2'"), 1);

	free(applied);
	free(all);

	/* a process that dies before its deferred writes are flushed loses only them; it
	 * is killed, not exited, so it is really killed (and valgrind's leak check, which
	 * would count the handle it never closed, does not run in it) */
	pid_t pid = fork();
	if (pid == 0) {
		struct zsync_state *s2 = NULL;
		if (zsync_state_open(&s2, db, &err) < 0 || zsync_state_defer_begin(s2, &err) < 0 ||
		    zsync_state_journal_set(s2, first, "failed", "x", &err) < 0 ||
		    zsync_state_defer_end(s2, true, &err) < 0)
			_exit(3);
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'applied'"), 1000);
}
END_TEST

/* A change set is journalled with its changes or not at all, and a COMMIT that fails
 * leaves no transaction open behind it (every later write would fail). */
START_TEST(test_changeset_add_atomic)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	int64_t run, id = 0;
	int s;
	struct zsync_journal_entry e = { "example.com.", "bind", "create", "www.example.com.", "A", NULL,
					 "300 192.0.2.1", "sent" };

	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "abc", "cli", &run, &err), 0);
	zsync_state_close(st);
	/* the second of the two INSERTs fails */
	free(tu_sh_out(&s, "sqlite3 '%s' \"CREATE TRIGGER t BEFORE INSERT ON changeset_changes "
			   "BEGIN SELECT RAISE(ABORT, 'injected'); END;\"", db));
	ck_assert_int_eq(s, 0);
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_lt(zsync_state_journal_add(st, run, &e, &id, &err), 0);
	ck_assert_int_eq(id, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "injected"));
	/* inside a transaction too: the transaction goes on, without the set */
	ck_assert_int_eq(zsync_state_begin(st, &err), 0);
	ck_assert_int_lt(zsync_state_journal_add(st, run, &e, &id, &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "example.com.", "bind", true, "abc", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_commit(st, &err), 0);
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM pair_status"), 1);
	free(tu_sh_out(&s, "sqlite3 '%s' 'DROP TRIGGER t'", db));
	ck_assert_int_eq(s, 0);

	/* a COMMIT that fails and leaves its transaction open (a deferred constraint: sqlite
	 * keeps the transaction then, as it may for SQLITE_BUSY) */
	free(tu_sh_out(&s, "sqlite3 '%s' \"CREATE TABLE fkt (x INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED); "
			   "CREATE TRIGGER t AFTER INSERT ON changeset BEGIN INSERT INTO fkt VALUES (999999); END;\"", db));
	ck_assert_int_eq(s, 0);
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_journal_add(st, run, &e, &id, &err), 0);
	ck_assert_int_lt(zsync_state_commit(st, &err), 0);
	/* nothing of it was written, and the next transaction starts and commits */
	ck_assert_int_eq(zsync_state_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_pair_result(st, "example.com.", "dns2", true, "abc", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_commit(st, &err), 0);
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM pair_status WHERE provider = 'dns2'"), 1);

	/* outside a transaction the savepoint's RELEASE is the COMMIT: failing, it leaves no
	 * set, no id, no transaction open */
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_lt(zsync_state_journal_add(st, run, &e, &id, &err), 0);
	ck_assert_int_eq(id, 0);
	ck_assert_int_eq(zsync_state_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_commit(st, &err), 0);
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset"), 0);

	/* a failed COMMIT that takes deferred outcomes with it (zone a's, waiting for the next
	 * commit, when zone b's journal commit fails): the run is not marked finished, so the
	 * next run finds zone a's set `sent` by an unfinished run and resolves it */
	free(tu_sh_out(&s, "sqlite3 '%s' \"DROP TRIGGER t; CREATE TRIGGER t AFTER INSERT ON changeset "
			   "WHEN NEW.zone = 'b.example.' BEGIN INSERT INTO fkt VALUES (999999); END;\"", db));
	ck_assert_int_eq(s, 0);
	struct zsync_journal_entry a = { "a.example.", "bind", "create", "www.a.example.", "A", NULL, "300 192.0.2.1", "sent" };
	struct zsync_journal_entry b = { "b.example.", "bind", "create", "www.b.example.", "A", NULL, "300 192.0.2.1", "sent" };
	int64_t ida = 0, idb = 0;
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_journal_add(st, run, &a, &ida, &err), 0);
	ck_assert_int_eq(zsync_state_commit(st, &err), 0);
	ck_assert_int_eq(zsync_state_defer_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_changeset_set(st, ida, 1, NULL, "applied", NULL, &err), 0);
	ck_assert_int_eq(zsync_state_defer_end(st, true, &err), 0);
	ck_assert_int_eq(zsync_state_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_journal_add(st, run, &b, &idb, &err), 0);
	ck_assert_int_lt(zsync_state_commit(st, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "were lost with it"));
	ck_assert_int_lt(zsync_state_run_end(st, run, "ok", "done", &err), 0);
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM runs WHERE status = 'running'"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset WHERE zone = 'a.example.' AND status = 'sent'"), 1);
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_recover(st, &err), 1); /* the one run left unfinished */
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset WHERE zone = 'a.example.' AND status = 'unknown'"), 1);

	/* and zsync_state_flush (every 256 deferred writes, before hooks, at close) the same */
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "abc", "cli", &run, &err), 0);
	ck_assert_int_eq(zsync_state_defer_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_journal_add(st, run, &b, &idb, &err), 0);
	ck_assert_int_eq(zsync_state_defer_end(st, true, &err), 0);
	ck_assert_int_lt(zsync_state_flush(st, &err), 0);
	ck_assert_int_eq(zsync_state_begin(st, &err), 0);
	ck_assert_int_eq(zsync_state_commit(st, &err), 0);
	ck_assert_int_lt(zsync_state_run_end(st, run, "ok", "done", &err), 0);
	zsync_state_close(st);
}
END_TEST

START_TEST(test_cli_state)
{
	const char *bin = getenv("ZONESYNC");
	static char abs[4096];
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	int rc;
	char *out;

	if (!bin)
		bin = realpath("build/zonesync", abs) ? abs : "build/zonesync";
	char *cfg = tu_fmt("%s/zonesync.toml", dir);
	tu_write(cfg, "[state]\npath = \"sub/dir/state.db\"\nkeep_runs = 3\n"
		      "[providers.bind]\ntype = \"rfc2136\"\nserver = \"127.0.0.1:53\"\n"
		      "[[zones]]\nname = \"example.com\"\nproviders = [\"bind\"]\n");
	out = tu_sh_out(&rc, "'%s' -c '%s' state check", bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "no state database yet"), "%s", out);
	free(out);
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	add_runs(st, 5, 2);
	zsync_state_close(st);
	out = tu_sh_out(&rc, "'%s' -c '%s' state check", bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, ": ok (integrity_check"), "%s", out);
	free(out);
	out = tu_sh_out(&rc, "'%s' -c '%s' state prune --dry-run", bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "would prune 2 runs and 4 journal rows (keep_runs = 3"), "%s", out);
	free(out);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM runs"), 5);
	out = tu_sh_out(&rc, "'%s' -c '%s' state prune --keep-runs 1 --vacuum", bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "pruned 4 runs and 8 journal rows") && strstr(out, "compacted"), "%s", out);
	free(out);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM runs"), 1);
	out = tu_sh_out(&rc, "'%s' -c '%s' state frobnicate 2>&1", bin, cfg);
	ck_assert_int_eq(rc, 64);
	free(out);
	/* a bad key value is a configuration error naming it */
	tu_write(cfg, "[state]\npath = \"sub/dir/state.db\"\nkeep_runs = -1\n");
	out = tu_sh_out(&rc, "'%s' -c '%s' state check 2>&1", bin, cfg);
	ck_assert_msg(rc == 1 && strstr(out, "keep_runs"), "%s", out);
	free(out);
	free(cfg);
}
END_TEST

START_TEST(test_migrate_journal_index)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	int64_t run, id;
	int rc;

	ck_assert_int_eq(zsync_state_open_version(&st, db, 3, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "abc", "cli", &run, &err), 0);
	zsync_state_close(st);
	tu_sh("sqlite3 '%s' \"INSERT INTO journal (run_id, zone, provider, op, owner, type, new_rdata, status, error, updated_at) "
	      "VALUES (%lld, 'example.com.', 'bind', 'create', 'www.example.com.', 'A', '300 192.0.2.1', 'unknown', 'timed out', 1)\"",
	      db, (long long)run);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM sqlite_master WHERE name = 'journal_pair'"), 1);

	ck_assert_msg(zsync_state_open(&st, db, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(zsync_state_version(st), ZSYNC_STATE_SCHEMA);
	/* the full per-pair index is gone; the unknown outcomes are still found by index */
	ck_assert_int_eq(zsync_state_unknown_count(st, "example.com.", "bind", &id, &err), 0);
	ck_assert_int_eq(id, 1);
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM sqlite_master WHERE name = 'journal_pair'"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'unknown' AND zone = 'example.com.'"), 1);
	char *plan = tu_sh_out(&rc, "sqlite3 '%s' \"EXPLAIN QUERY PLAN SELECT sum(unknown) FROM changeset WHERE unknown > 0 AND zone = 'a.' AND provider = 'b'\"", db);
	ck_assert_msg(strstr(plan, "changeset_unknown"), "%s", plan);
	free(plan);
}
END_TEST

/* Each journal row as "id|run|zone|provider|op|owner|type|old|new|status|error" lines. */
static int change_line_cb(void *ctx, const struct zsync_change_info *c)
{
	char **out = ctx;
	char *line = tu_fmt("%s%lld|%lld|%s|%s|%s|%s|%s|%s|%s|%s|%s\n", *out, (long long)c->id, (long long)c->run_id,
			    c->zone, c->provider, c->op, c->owner, c->type, c->old_rdata ? c->old_rdata : "",
			    c->new_rdata ? c->new_rdata : "", c->status, c->error ? c->error : "");
	free(*out);
	*out = line;
	return 0;
}

/* The rows of schema 4 (a table) and of schema 5 (the view over change sets) as text. */
#define ROWS_SQL "SELECT id, run_id, zone, provider, op, owner, type, old_rdata, new_rdata, status, error, updated_at FROM journal ORDER BY id"

START_TEST(test_migrate_v4_history)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	int64_t run1, run2, n = 0;
	int rc;

	/* a schema-4 database with history: two runs, every status, errors, an override row,
	 * multi-line RRsets and text that needs quoting in JSON (quotes, backslashes, a tab) */
	ck_assert_int_eq(zsync_state_open_version(&st, db, 4, &err), 0);
	ck_assert_int_eq(zsync_state_version(st), 4);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "c1", "cli", &run1, &err), 0);
	ck_assert_int_eq(zsync_state_run_end(st, run1, "partial", "3 changes", &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "reconcile", "c2", "cron", &run2, &err), 0);
	ck_assert_int_eq(zsync_state_run_end(st, run2, "ok", "2 changes", &err), 0);
	zsync_state_close(st);
	tu_sh("sqlite3 '%s' \"INSERT INTO journal (id, run_id, zone, provider, op, owner, type, old_rdata, new_rdata, status, error, updated_at) VALUES "
	      "(7, %lld, 'a.', 'bind', 'create', 'www.a.', 'A', NULL, '300 192.0.2.1' || char(10) || '300 192.0.2.2', 'applied', NULL, 100),"
	      "(8, %lld, 'a.', 'bind', 'update', 't.a.', 'TXT', '300 \\\"old \\\\\\\\ one\\\"', '300 \\\"new' || char(9) || 'one\\\"', 'failed', 'HTTP 500', 101),"
	      "(9, %lld, 'a.', 'dyn', 'delete', 'mx.a.', 'MX', '300 10 mx.a.', NULL, 'unknown', 'timed out', 102),"
	      "(12, %lld, 'a.', 'dyn', 'allow-older', 'a.', 'COMMIT', 'c9', 'c2', 'applied', 'behind c9', 103),"
	      "(13, %lld, 'b.', 'bind', 'create', 'b.', 'NS', NULL, '300 ns1.b.', 'sent', NULL, 104)\"",
	      db, (long long)run1, (long long)run1, (long long)run1, (long long)run2, (long long)run2);
	char *before = tu_sh_out(&rc, "sqlite3 '%s' '" ROWS_SQL "'", db);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(before, "new\tone"), "%s", before);

	ck_assert_msg(zsync_state_open(&st, db, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(zsync_state_version(st), ZSYNC_STATE_SCHEMA);
	zsync_state_close(st);
	/* the rows read the same, ids and all */
	char *after = tu_sh_out(&rc, "sqlite3 '%s' '" ROWS_SQL "'", db);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset"), 5);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'journal'"), 0);

	/* and so does history through the library */
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	char *lines = zsync_xstrdup("");
	ck_assert_int_eq(zsync_state_changes(st, run1, NULL, NULL, change_line_cb, &lines, &err), 0);
	ck_assert_str_eq(lines, "7|1|a.|bind|create|www.a.|A||300 192.0.2.1\n300 192.0.2.2|applied|\n"
				"8|1|a.|bind|update|t.a.|TXT|300 \"old \\\\ one\"|300 \"new\tone\"|failed|HTTP 500\n"
				"9|1|a.|dyn|delete|mx.a.|MX|300 10 mx.a.||unknown|timed out\n");
	free(lines);
	lines = zsync_xstrdup("");
	ck_assert_int_eq(zsync_state_changes(st, run2, NULL, "dyn", change_line_cb, &lines, &err), 0);
	ck_assert_str_eq(lines, "12|2|a.|dyn|allow-older|a.|COMMIT|c9|c2|applied|behind c9\n");
	free(lines);
	struct collect c = { "" };
	zsync_state_runs(st, 10, "a.", NULL, run_cb, &c, &err);
	ck_assert_str_eq(c.buf, "reconcile c2 ok 1\napply c1 partial 3\n");
	ck_assert_int_eq(zsync_state_unknown_count(st, "a.", "dyn", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	lines = zsync_xstrdup("");
	ck_assert_int_eq(zsync_state_unknown(st, "a.", "dyn", change_line_cb, &lines, &err), 0);
	ck_assert_str_eq(lines, "9|1|a.|dyn|delete|mx.a.|MX|300 10 mx.a.||unknown|timed out\n");
	free(lines);
	/* an old row's outcome can still be resolved, and a new set's ids follow the old ones */
	ck_assert_int_eq(zsync_state_journal_set(st, 9, "applied", "resolved", &err), 0);
	ck_assert_int_eq(zsync_state_unknown_count(st, "a.", "dyn", &n, &err), 0);
	ck_assert_int_eq(n, 0);
	int64_t id;
	struct zsync_journal_entry e = { "a.", "bind", "create", "new.a.", "A", NULL, "300 192.0.2.9" };
	ck_assert_int_eq(zsync_state_journal_add(st, run2, &e, &id, &err), 0);
	ck_assert_int_eq(id, 14);
	/* an interrupted run: its `sent` row becomes unknown */
	tu_sh("sqlite3 '%s' \"UPDATE runs SET status = 'running' WHERE id = %lld\"", db, (long long)run2);
	ck_assert_int_eq(zsync_state_recover(st, &err), 1);
	ck_assert_int_eq(zsync_state_unknown_count(st, "b.", "bind", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	/* retention removes old sets with their rows */
	struct zsync_prune_result r;
	ck_assert_int_eq(zsync_state_prune(st, 1, 0, false, &r, &err), 0);
	ck_assert_int_eq(r.runs, 1);
	ck_assert_int_eq(r.journal_rows, 3);
	zsync_state_close(st);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal"), 3);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset_changes"), 3);
	int s2;
	char *ok = tu_sh_out(&s2, "sqlite3 '%s' 'PRAGMA foreign_keys = ON; PRAGMA foreign_key_check; PRAGMA integrity_check'", db);
	ck_assert_str_eq(ok, "ok\n");
	free(ok);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_changeset_outcomes)
{
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	struct zsync_journal_buf b = { 0 };
	int64_t run, set, n;
	char *lines;

	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", "c1", "cli", &run, &err), 0);
	/* nothing to journal: no row */
	ck_assert_int_eq(zsync_state_changeset_add(st, run, "a.", "ns1", &b, "sent", &set, &err), 0);
	ck_assert_int_eq(set, 0);
	zsync_journal_buf_add(&b, "create", "www.a.", "A", NULL, "300 192.0.2.1");
	zsync_journal_buf_add(&b, "update", "t.a.", "TXT", "300 \"a\\\"b\"", "300 \"c\\\\d\"\n300 \"\x01\"");
	zsync_journal_buf_add(&b, "delete", "mx.a.", "MX", "300 10 mx.a.", NULL);
	zsync_journal_buf_add(&b, "create", "v6.a.", "AAAA", NULL, "300 2001:db8::1");
	/* texts made apart (two threads' halves) and joined are the text made at once */
	struct zsync_journal_buf h1 = { 0 }, h2 = { 0 }, none = { 0 };
	zsync_journal_buf_add(&h1, "create", "www.a.", "A", NULL, "300 192.0.2.1");
	zsync_journal_buf_add(&h1, "update", "t.a.", "TXT", "300 \"a\\\"b\"", "300 \"c\\\\d\"\n300 \"\x01\"");
	zsync_journal_buf_add(&h2, "delete", "mx.a.", "MX", "300 10 mx.a.", NULL);
	zsync_journal_buf_add(&h2, "create", "v6.a.", "AAAA", NULL, "300 2001:db8::1");
	zsync_journal_buf_append(&none, &h1);
	zsync_journal_buf_append(&h1, &h2);
	zsync_journal_buf_append(&h1, &(struct zsync_journal_buf){ 0 });
	ck_assert_str_eq(h1.p, b.p);
	ck_assert_uint_eq(h1.len, b.len);
	ck_assert_uint_eq(h1.n, 4);
	ck_assert_uint_eq(none.n, 2);
	zsync_journal_buf_release(&h1);
	zsync_journal_buf_release(&h2);
	zsync_journal_buf_release(&none);
	ck_assert_int_eq(zsync_state_changeset_add(st, run, "a.", "ns1", &b, "sent", &set, &err), 0);
	zsync_journal_buf_release(&b);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'sent'"), 4);
	lines = zsync_xstrdup("");
	ck_assert_int_eq(zsync_state_changes(st, run, NULL, NULL, change_line_cb, &lines, &err), 0);
	char *want = tu_fmt("%lld|1|a.|ns1|create|www.a.|A||300 192.0.2.1|sent|\n"
			    "%lld|1|a.|ns1|update|t.a.|TXT|300 \"a\\\"b\"|300 \"c\\\\d\"\n300 \"\x01\"|sent|\n"
			    "%lld|1|a.|ns1|delete|mx.a.|MX|300 10 mx.a.||sent|\n"
			    "%lld|1|a.|ns1|create|v6.a.|AAAA||300 2001:db8::1|sent|\n",
			    (long long)set, (long long)set + 1, (long long)set + 2, (long long)set + 3);
	ck_assert_str_eq(lines, want);
	free(lines);
	free(want);

	/* a provider that applied part of the set: each change its own outcome; the error
	 * goes to those not applied */
	const char *of[] = { "applied", "unknown", "failed", "applied" };
	ck_assert_int_eq(zsync_state_changeset_set(st, set, 4, of, "failed", "HTTP 502", &err), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'applied' AND error IS NULL"), 2);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'unknown' AND error = 'HTTP 502' AND owner = 't.a.'"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'failed' AND error = 'HTTP 502' AND owner = 'mx.a.'"), 1);
	ck_assert_int_eq(zsync_state_unknown_count(st, "a.", "ns1", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	lines = zsync_xstrdup("");
	ck_assert_int_eq(zsync_state_unknown(st, "a.", "ns1", change_line_cb, &lines, &err), 0);
	ck_assert_msg(strstr(lines, "|t.a.|TXT|") && !strstr(lines, "mx.a."), "%s", lines);
	free(lines);
	/* resolved by a later read */
	int64_t id = set + 1;
	const char *st_applied = "applied", *note = "read the provider: it is served";
	ck_assert_int_eq(zsync_state_journal_set_many(st, 1, &id, &st_applied, &note, &err), 0);
	ck_assert_int_eq(zsync_state_unknown_count(st, "a.", "ns1", &n, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'applied'"), 3);
	/* a bad status is refused, and changes nothing */
	ck_assert_int_lt(zsync_state_journal_set(st, set + 2, "maybe", NULL, &err), 0);
	ck_assert_int_lt(zsync_state_journal_set(st, set + 4, "applied", NULL, &err), 0);
	struct zsync_journal_entry bad = { "a.", "ns1", "rename", "x.a.", "A", NULL, NULL };
	ck_assert_int_lt(zsync_state_journal_add(st, run, &bad, &id, &err), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'failed'"), 1);
	/* the set as a whole: rows of their own go */
	ck_assert_int_eq(zsync_state_changeset_set(st, set, 4, NULL, "applied", NULL, &err), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM change_status"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'applied'"), 4);
	struct collect c = { "" };
	zsync_state_runs(st, 10, NULL, "ns1", run_cb, &c, &err);
	ck_assert_str_eq(c.buf, "apply c1 running 4\n");
	zsync_state_close(st);
}
END_TEST

/*
 * Crash between the send and the outcome: the zonefile provider's reload command kills
 * zonesync after the file is in place. The change set is durable as `sent`; the next run
 * marks it unknown, reads the provider and resolves every change (applied: the file was
 * installed). The same with the file put back as before the crash (the send was lost):
 * every change resolves failed and the run sends them again.
 */
START_TEST(test_crash_between_send_and_outcome)
{
	const char *bin = getenv("ZONESYNC");
	static char abs[4096];
	int rc;
	char *out;

	if (!bin)
		bin = realpath("build/zonesync", abs) ? abs : "build/zonesync";
	tu_sh("cd '%s' && mkdir -p repo/zones served && git init -q repo", dir);
	char *zone = tu_fmt("%s/repo/zones/example.com.zone", dir);
	char *text = tu_fmt("$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n");
	for (int i = 0; i < 40; i++) {
		char *t = tu_fmt("%sh%d A 192.0.2.%d\n", text, i, i + 10);
		free(text);
		text = t;
	}
	tu_write(zone, text);
	tu_sh("cd '%s/repo' && git add -A && git -c user.name=t -c user.email=t@t commit -qm one", dir);
	char *cfg = tu_fmt("%s/zonesync.toml", dir);
	char *conf = tu_fmt("[repo]\npath = \"repo\"\n[state]\npath = \"sub/dir/state.db\"\n"
			    "[defaults]\nmax_changes = 1000\nmax_update_pct = 100\nmax_delete_pct = 100\n"
			    "[providers.files]\ntype = \"zonefile\"\ndirectory = \"served\"\ncreate_zones = true\n"
			    "reload_command = [\"sh\", \"-c\", \"%s\"]\n"
			    "[[zones]]\nname = \"example.com\"\nproviders = [\"files\"]\n",
			    "test -e crash && kill -9 $PPID; exit 0");
	tu_write(cfg, conf);
	char *crash = tu_fmt("%s/crash", dir);
	tu_write(crash, "");
	out = tu_sh_out(&rc, "cd '%s' && '%s' -q -c '%s' apply 2>&1", dir, bin, cfg);
	ck_assert_msg(rc != 0 && rc != 1, "%d %s", rc, out); /* killed */
	free(out);
	/* the whole set was durable before the send; no outcome */
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset WHERE status = 'sent'"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status = 'sent'"), 43);
	unlink(crash);
	out = tu_sh_out(&rc, "cd '%s' && '%s' --no-color -c '%s' apply 2>&1", dir, bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "1 earlier run ended without finishing") && strstr(out, "0 changes applied"),
		      "%d %s", rc, out);
	free(out);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE run_id = 1 AND status = 'applied' "
				    "AND error LIKE 'the outcome was unknown (sent by a run that ended without finishing); run 2 read the provider: it is served'"), 43);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE status IN ('sent', 'unknown')"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM changeset WHERE unknown > 0"), 0);

	/* a second change set, and the send lost: the file as it was before */
	tu_sh("cp '%s/served/example.com.zone' '%s/before.zone'", dir, dir);
	tu_sh("cd '%s/repo' && sed -i 's/192\\.0\\.2\\./198.51.100./' zones/example.com.zone && git -c user.name=t -c user.email=t@t commit -qam two", dir);
	tu_write(crash, "");
	out = tu_sh_out(&rc, "cd '%s' && '%s' -q -c '%s' apply 2>&1", dir, bin, cfg);
	ck_assert_msg(rc != 0 && rc != 1, "%d %s", rc, out);
	free(out);
	unlink(crash);
	tu_sh("cp '%s/before.zone' '%s/served/example.com.zone'", dir, dir);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE run_id = 3 AND status = 'sent'"), 41);
	out = tu_sh_out(&rc, "cd '%s' && '%s' --no-color -c '%s' apply 2>&1", dir, bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "41 changes applied"), "%d %s", rc, out);
	free(out);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE run_id = 3 AND status = 'failed' "
				    "AND error LIKE '%%run 4 read the provider: it is not served: the change did not happen'"), 41);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM journal WHERE run_id = 4 AND status = 'applied'"), 41);
	out = tu_sh_out(&rc, "cd '%s' && '%s' --no-color -c '%s' history -n 2 2>&1", dir, bin, cfg);
	ck_assert_msg(rc == 0 && strstr(out, "interrupted") && strstr(out, "it is not served"), "%s", out);
	free(out);
	free(crash);
	free(conf);
	free(cfg);
	free(text);
	free(zone);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_migrate_from_v1);
	tcase_add_test(tc, test_refuses_foreign_files);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_journal_survives_kill);
	tcase_add_test(tc, test_health_and_history);
	tcase_add_test(tc, test_cli_status_history);
	tcase_add_test(tc, test_prune);
	tcase_add_test(tc, test_migrate_journal_index);
	tcase_add_test(tc, test_check_on_demand);
	tcase_add_test(tc, test_journal_batches);
	tcase_add_test(tc, test_journal_json_escaping);
	tcase_add_test(tc, test_cli_state);
	tcase_add_test(tc, test_migrate_v4_history);
	tcase_add_test(tc, test_changeset_outcomes);
	tcase_add_test(tc, test_crash_between_send_and_outcome);
	tcase_add_test(tc, test_changeset_add_atomic);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
