/* state.c - sqlite state: versioned schema, journal, health, history; flock run lock */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/* PRAGMA application_id: 'zsyn' - tells our databases from any other sqlite file */
#define APP_ID 0x7a73796e

/* Statements prepared once per connection (an apply of 1M changes ran 3M prepares). */
#define STMT_CACHE 64 /* the SQL literals of this file that go through stmt(): about 25 */

struct zsync_state {
	sqlite3 *db;
	char *path;
	struct {
		const char *sql; /* a literal: compared by address */
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
	size_t ncache;
	/* a transaction opened by zsync_state_defer_begin(), committed later */
	bool deferred_open;
	unsigned deferred_writes;
	/* a COMMIT that failed took deferred writes with it (outcomes their callers were told
	 * were written): the run is left `running`, so that the next one resolves its sets */
	bool deferred_lost;
};

struct zsync_lock {
	int fd;
};

/*
 * A change set's rows, one per change, from its JSON array [[op, owner, type, old, new],
 * ...]: the view `journal` and the readers that need the set's own columns in WHERE
 * (so that sqlite uses their indexes) share this text.
 */
#define JOURNAL_EXPAND_COLUMNS                                                                  \
	"s.id + c.key AS id, s.run_id AS run_id, s.zone AS zone, s.provider AS provider, "      \
	"c.value ->> 0 AS op, c.value ->> 1 AS owner, c.value ->> 2 AS type, "                  \
	"c.value ->> 3 AS old_rdata, c.value ->> 4 AS new_rdata, "                              \
	"coalesce(o.status, s.status) AS status, "                                              \
	"CASE WHEN o.id IS NULL THEN s.error ELSE o.error END AS error, "                       \
	"coalesce(o.updated_at, s.updated_at) AS updated_at"
#define JOURNAL_EXPAND_FROM                                                                     \
	"FROM changeset s JOIN changeset_changes d ON d.id = s.id JOIN json_each(d.changes) c " \
	"LEFT JOIN change_status o ON o.id = s.id + c.key"

/* How many of a set's changes are unknown: its own status for those without a row of their own. */
#define UNKNOWN_COUNT                                                                            \
	"CASE WHEN status = 'unknown' THEN n - (SELECT count(*) FROM change_status o "            \
	"WHERE o.set_id = changeset.id AND o.status != 'unknown') ELSE (SELECT count(*) "          \
	"FROM change_status o WHERE o.set_id = changeset.id AND o.status = 'unknown') END"

/* Forward migrations: migrations[i] takes the schema from version i to i + 1. */
static const char *const migrations[ZSYNC_STATE_SCHEMA] = {
	/* 1: runs, change journal, provider x zone health */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  command TEXT NOT NULL,"
	"  commit_id TEXT,"
	"  trigger TEXT,"
	"  pid INTEGER,"
	"  started_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  status TEXT NOT NULL DEFAULT 'running',"
	"  summary TEXT);"
	"CREATE TABLE journal ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  zone TEXT NOT NULL,"
	"  provider TEXT NOT NULL,"
	"  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),"
	"  owner TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  old_rdata TEXT,"
	"  new_rdata TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'applied', 'failed')),"
	"  error TEXT,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX journal_run ON journal(run_id);"
	"CREATE INDEX journal_pair ON journal(zone, provider, status);"
	"CREATE TABLE pair_status ("
	"  zone TEXT NOT NULL,"
	"  provider TEXT NOT NULL,"
	"  last_commit TEXT,"
	"  last_success INTEGER,"
	"  last_error TEXT,"
	"  last_error_at INTEGER,"
	"  consecutive_failures INTEGER NOT NULL DEFAULT 0,"
	"  last_checked INTEGER,"
	"  PRIMARY KEY (zone, provider));",
	/* 2: drift seen by reconcile: a count per pair and the details per run */
	"ALTER TABLE pair_status ADD COLUMN drift_count INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE drift ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER REFERENCES runs(id),"
	"  zone TEXT NOT NULL,"
	"  provider TEXT NOT NULL,"
	"  rrsets INTEGER NOT NULL,"
	"  details TEXT,"
	"  seen_at INTEGER NOT NULL);"
	"CREATE INDEX drift_pair ON drift(zone, provider);",
	/* 3: a change whose outcome is unknown (timeout, dropped connection) until a later run
	 * reads the provider; the journalled --allow-older override. sqlite cannot widen a
	 * CHECK in place: the table is rebuilt, rows and ids kept. */
	"CREATE TABLE journal3 ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  zone TEXT NOT NULL,"
	"  provider TEXT NOT NULL,"
	"  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'allow-older')),"
	"  owner TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  old_rdata TEXT,"
	"  new_rdata TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'applied', 'failed', 'unknown')),"
	"  error TEXT,"
	"  updated_at INTEGER NOT NULL);"
	"INSERT INTO journal3 SELECT id, run_id, zone, provider, op, owner, type, old_rdata, new_rdata, status, error, updated_at FROM journal;"
	"DROP TABLE journal;"
	"ALTER TABLE journal3 RENAME TO journal;"
	"CREATE INDEX journal_run ON journal(run_id);"
	"CREATE INDEX journal_pair ON journal(zone, provider, status);",
	/* 4: the journal's only per-pair query is for unknown outcomes: a partial index holds
	 * just those rows. An index of every row by (zone, provider, status) made each insert
	 * compare text keys and each status change (sent -> applied) move an index entry:
	 * a third of an apply's journal cost. */
	"DROP INDEX journal_pair;"
	"CREATE INDEX journal_unknown ON journal(zone, provider) WHERE status = 'unknown';",
	/* 5: one row per change set, its changes as one JSON array: a row per change (and its
	 * index entries, and rewriting it for the outcome) was three quarters of a big apply.
	 * A change keeps an id of its own: a set holds ids id .. id + n - 1. The outcome is
	 * the set's, but for the changes in change_status (a provider that applied part of a
	 * set, an unknown outcome resolved change by change). The view `journal` gives the
	 * rows of schema 4, column for column, to every reader (and to sqlite3 users). The
	 * rows of schema 4 become sets of one change with their ids: history reads the same. */
	"CREATE TABLE changeset ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  zone TEXT NOT NULL,"
	"  provider TEXT NOT NULL,"
	"  n INTEGER NOT NULL CHECK (n >= 1),"
	"  status TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'applied', 'failed', 'unknown')),"
	"  error TEXT,"
	"  unknown INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX changeset_run ON changeset(run_id);"
	"CREATE INDEX changeset_unknown ON changeset(zone, provider) WHERE unknown > 0;"
	/* apart, so that writing an outcome does not rewrite the changes */
	"CREATE TABLE changeset_changes ("
	"  id INTEGER PRIMARY KEY REFERENCES changeset(id),"
	"  changes TEXT NOT NULL);"
	"CREATE TABLE change_status ("
	"  id INTEGER PRIMARY KEY,"
	"  set_id INTEGER NOT NULL REFERENCES changeset(id),"
	"  status TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'applied', 'failed', 'unknown')),"
	"  error TEXT,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX change_status_set ON change_status(set_id);"
	"INSERT INTO changeset (id, run_id, zone, provider, n, status, error, unknown, updated_at) "
	"  SELECT id, run_id, zone, provider, 1, status, error, status = 'unknown', updated_at FROM journal;"
	"INSERT INTO changeset_changes (id, changes) "
	"  SELECT id, json_array(json_array(op, owner, type, old_rdata, new_rdata)) FROM journal;"
	"DROP TABLE journal;"
	"CREATE VIEW journal (id, run_id, zone, provider, op, owner, type, old_rdata, new_rdata, status, error, updated_at) AS "
	"  SELECT " JOURNAL_EXPAND_COLUMNS " " JOURNAL_EXPAND_FROM ";",
};

static int db_fail(struct zsync_state *st, struct zsync_err *err, const char *what)
{
	return zsync_err_set(err, ZSYNC_EIO, "state database %s: %s: %s", st->path, what,
			     sqlite3_errmsg(st->db));
}

static int exec(struct zsync_state *st, const char *sql, struct zsync_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		zsync_err_set(err, ZSYNC_EIO, "state database %s: %s", st->path,
			      msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return ZSYNC_EIO;
	}
	return 0;
}

static int pragma_int64(struct zsync_state *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

static int pragma_int(struct zsync_state *st, const char *sql, int *out)
{
	int64_t v = 0;
	int rc = pragma_int64(st, sql, &v);
	if (rc == SQLITE_OK)
		*out = (int)v;
	return rc;
}

int zsync_state_version(struct zsync_state *st)
{
	int v = -1;
	pragma_int(st, "PRAGMA user_version", &v);
	return v;
}

/* Creates the missing folders above path, 0700. */
static int make_parent(const char *path, struct zsync_err *err)
{
	char *dir = zsync_xstrdup(path), *slash = strrchr(dir, '/');

	if (slash && slash != dir) {
		*slash = '\0';
		/* create each missing level */
		for (char *p = dir + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
				zsync_err_set(err, ZSYNC_EIO, "state database %s: cannot create %s: %s",
					      path, dir, strerror(errno));
				free(dir);
				return ZSYNC_EIO;
			}
			*p = '/';
		}
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			zsync_err_set(err, ZSYNC_EIO, "state database %s: cannot create %s: %s", path,
				      dir, strerror(errno));
			free(dir);
			return ZSYNC_EIO;
		}
	}
	free(dir);
	return 0;
}

/*
 * Creates a missing parent folder 0700 and the file 0600 before sqlite touches it. An
 * existing file is not opened: closing any descriptor of the database drops every POSIX
 * lock this process holds on it, also those of a connection still open (zonesync serve
 * keeps one); another process then believes it is the last user, checkpoints and removes
 * the WAL under that connection, and the database is damaged.
 */
static int prepare_file(const char *path, struct zsync_err *err)
{
	struct stat sb;
	int fd;

	if (make_parent(path, err) < 0)
		return ZSYNC_EIO;
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return zsync_err_set(err, ZSYNC_EIO, "state database %s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

int zsync_state_open_version(struct zsync_state **out, const char *path, int max_version,
			     struct zsync_err *err)
{
	struct zsync_state *st = zsync_xcalloc(1, sizeof(*st));
	int version = 0, app = 0, objects = 0, rc;
	int ret = 0;

	*out = NULL;
	/* sqlite's allocation statistics take a global mutex on every malloc; nobody reads
	 * them. Only possible before sqlite initialises: later calls fail harmlessly. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	st->path = zsync_xstrdup(path);
	if ((ret = prepare_file(path, err)) < 0)
		goto fail;
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ret = db_fail(st, err, "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_extended_result_codes(st->db, 1);
	/* read before writing anything: a foreign or damaged file must stay untouched */
	rc = pragma_int(st, "PRAGMA application_id", &app);
	if (rc == SQLITE_OK)
		rc = pragma_int(st, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = pragma_int(st, "SELECT count(*) FROM sqlite_master", &objects);
	if (rc != SQLITE_OK) {
		ret = zsync_err_set(err, ZSYNC_EINVAL,
				    "state database %s: cannot be read (%s); it was left untouched",
				    path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if (objects > 0 && app != APP_ID) {
		ret = zsync_err_set(err, ZSYNC_EINVAL,
				    "state database %s: not a zonesync state database (another application's sqlite file); it was left untouched",
				    path);
		goto fail;
	}
	if (version > ZSYNC_STATE_SCHEMA) {
		ret = zsync_err_set(err, ZSYNC_EINVAL,
				    "state database %s: schema version %d is newer than this zonesync knows (%d); upgrade zonesync",
				    path, version, ZSYNC_STATE_SCHEMA);
		goto fail;
	}
	/*
	 * No integrity check on every open: PRAGMA quick_check reads the whole file, 82 % of
	 * a no-op apply once the journal held 400k rows. It runs before a migration (which
	 * rewrites tables) and on demand: `zonesync state check`.
	 */
	if (objects > 0 && version < max_version && version < ZSYNC_STATE_SCHEMA) {
		char verdict[256];
		if (zsync_state_check(st, false, verdict, sizeof(verdict), err) < 0)
			goto fail;
		if (strcmp(verdict, "ok") != 0) {
			ret = zsync_err_set(err, ZSYNC_EINVAL,
					    "state database %s: damaged (%s); it was left untouched",
					    path, verdict);
			goto fail;
		}
	}
	if ((ret = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err)) < 0)
		goto fail;
	if (max_version > ZSYNC_STATE_SCHEMA)
		max_version = ZSYNC_STATE_SCHEMA;
	/* each step and its version bump commit together, so a crash never half-migrates */
	for (int v = version; v < max_version; v++) {
		char bump[160];
		snprintf(bump, sizeof(bump), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
			 APP_ID, v + 1);
		if ((ret = exec(st, "BEGIN IMMEDIATE", err)) < 0)
			goto fail;
		if ((ret = exec(st, migrations[v], err)) < 0 || (ret = exec(st, bump, err)) < 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			zsync_err_prefix(err, "migrating to schema version %d", v + 1);
			goto fail;
		}
		if ((ret = exec(st, "COMMIT", err)) < 0)
			goto fail;
	}
	*out = st;
	return 0;
fail:
	zsync_state_close(st);
	return ret ? ret : ZSYNC_EIO;
}

int zsync_state_open(struct zsync_state **out, const char *path, struct zsync_err *err)
{
	return zsync_state_open_version(out, path, ZSYNC_STATE_SCHEMA, err);
}

void zsync_state_close(struct zsync_state *st)
{
	if (!st)
		return;
	if (st->deferred_open) {
		struct zsync_err err = { 0 };
		if (zsync_state_flush(st, &err) < 0)
			fprintf(stderr, "zonesync: warning: %s\n", err.msg);
	}
	for (size_t i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

/* ---- lock ---- */

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int zsync_state_lock(struct zsync_lock **out, const char *path, double wait_seconds,
		     struct zsync_err *err)
{
	char *lpath = zsync_xasprintf("%s.lock", path);
	struct timespec start, now;
	int fd = -1, ret = 0;

	*out = NULL;
	if ((ret = make_parent(lpath, err)) < 0)
		goto out;
	/* O_CLOEXEC: hooks and reload commands must not inherit (and so prolong) the lock */
	fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "lock %s: %s", lpath, strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			ret = zsync_err_set(err, ZSYNC_EIO, "lock %s: %s", lpath, strerror(errno));
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		double waited = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
		if (wait_seconds < 0 || (wait_seconds > 0 && waited >= wait_seconds)) {
			char info[256] = "";
			ssize_t n = pread(fd, info, sizeof(info) - 1, 0);
			long pid = 0;
			char since[64] = "?";
			info[n > 0 ? n : 0] = '\0';
			sscanf(info, "pid %ld since %63s", &pid, since);
			ret = zsync_err_set(err, ZSYNC_ELOCKED,
					    "another zonesync run holds the lock: locked by pid %ld since %s (%s)%s",
					    pid, since, lpath,
					    wait_seconds < 0 ? "; use --wait to queue" : "; gave up waiting");
			goto out;
		}
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	{
		char info[128], when[40];
		iso_time(time(NULL), when, sizeof(when));
		int n = snprintf(info, sizeof(info), "pid %ld since %s\n", (long)getpid(), when);
		if (ftruncate(fd, 0) < 0 || pwrite(fd, info, (size_t)n, 0) != n) {
			/* the lock holds anyway; the note is only for the message of others */
		}
	}
	*out = zsync_xcalloc(1, sizeof(**out));
	(*out)->fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(lpath);
	return ret;
}

void zsync_state_unlock(struct zsync_lock *lock)
{
	if (!lock)
		return;
	if (ftruncate(lock->fd, 0) < 0) {
		/* nothing to do: closing releases the lock */
	}
	close(lock->fd);
	free(lock);
}

/* ---- writes ---- */

/* The prepared statement for sql (a string literal), from the cache; NULL on error. */
static sqlite3_stmt *stmt(struct zsync_state *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	for (size_t i = 0; i < st->ncache; i++)
		if (st->cache[i].sql == sql)
			return st->cache[i].stmt;
	/* every statement is an SQL literal of this file, prepared once and kept until close: a
	 * caller may hold one while it runs others, so none is ever finalized before close
	 * (an eviction could free the statement a caller holds) */
	if (st->ncache == STMT_CACHE) {
		fprintf(stderr, "zonesync: internal error: more than %d SQL statements in state.c\n", STMT_CACHE);
		abort();
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		return NULL;
	st->cache[st->ncache].sql = sql;
	st->cache[st->ncache++].stmt = s;
	return s;
}

static int run_stmt(struct zsync_state *st, struct zsync_err *err, const char *what,
		    const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = stmt(st, sql);
	va_list ap;
	int rc, i = 1;

	if (!s)
		return db_fail(st, err, what);
	va_start(ap, types);
	for (const char *t = types; *t; t++, i++) {
		switch (*t) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			/* static: the statement is stepped and reset before this call returns */
			if (v)
				sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(s, i);
			break;
		}
		case 'i':
			sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		}
	}
	va_end(ap);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(st, err, what);
	return 0;
}

/* A deferred transaction that sqlite rolled back by itself (SQLITE_FULL, an I/O error in
 * one of its statements): its writes are lost, and there is nothing left to commit. */
static void deferred_check(struct zsync_state *st)
{
	if (st->deferred_open && sqlite3_get_autocommit(st->db)) {
		st->deferred_open = false;
		st->deferred_writes = 0;
		st->deferred_lost = true;
	}
}

int zsync_state_begin(struct zsync_state *st, struct zsync_err *err)
{
	deferred_check(st);
	/* inside the deferred transaction a batch is a savepoint; its commit commits all */
	return exec(st, st->deferred_open ? "SAVEPOINT batch" : "BEGIN IMMEDIATE", err);
}

/*
 * COMMIT, or on failure ROLLBACK: a COMMIT that fails may leave its transaction open (a
 * deferred constraint, SQLITE_BUSY), and every later BEGIN would fail with it. deferred:
 * the transaction held deferred writes, now lost (st->deferred_lost).
 */
static int commit_or_rollback(struct zsync_state *st, bool deferred, struct zsync_err *err)
{
	if (exec(st, "COMMIT", err) == 0)
		return 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (deferred) {
		st->deferred_lost = true;
		zsync_err_append(err, " (outcomes of earlier zones waiting for this commit were lost with it: "
				 "the run stays unfinished, and the next run resolves them by reading the providers)");
	}
	return ZSYNC_EIO;
}

int zsync_state_commit(struct zsync_state *st, struct zsync_err *err)
{
	bool deferred = st->deferred_open;

	if (deferred) {
		if (exec(st, "RELEASE batch", err) < 0)
			return ZSYNC_EIO;
		st->deferred_open = false;
		st->deferred_writes = 0;
	}
	/* the caller's error means "nothing of it was written" */
	return commit_or_rollback(st, deferred, err);
}

int zsync_state_rollback(struct zsync_state *st)
{
	const char *sql = st->deferred_open ? "ROLLBACK TO batch; RELEASE batch" : "ROLLBACK";
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ZSYNC_EIO;
}

/* Writes that may wait: at most this many share one commit (and one fsync). */
#define DEFERRED_MAX 256

int zsync_state_defer_begin(struct zsync_state *st, struct zsync_err *err)
{
	deferred_check(st);
	if (!st->deferred_open) {
		if (exec(st, "BEGIN IMMEDIATE", err) < 0)
			return ZSYNC_EIO;
		st->deferred_open = true;
	}
	return exec(st, "SAVEPOINT deferred", err);
}

int zsync_state_defer_end(struct zsync_state *st, bool ok, struct zsync_err *err)
{
	if (!st->deferred_open)
		return 0;
	if (exec(st, ok ? "RELEASE deferred" : "ROLLBACK TO deferred; RELEASE deferred", err) < 0)
		return ZSYNC_EIO;
	if (++st->deferred_writes >= DEFERRED_MAX)
		return zsync_state_flush(st, err);
	return 0;
}

int zsync_state_flush(struct zsync_state *st, struct zsync_err *err)
{
	if (!st->deferred_open)
		return 0;
	st->deferred_open = false;
	st->deferred_writes = 0;
	return commit_or_rollback(st, true, err);
}

int zsync_state_recover(struct zsync_state *st, struct zsync_err *err)
{
	static const char why[] = "sent by a run that ended without finishing";
	int64_t now = time(NULL);
	int ret, n;

	if ((ret = zsync_state_begin(st, err)) < 0)
		return ret;
	/* what a dead run had sent may or may not have arrived: the next read of the provider tells */
	ret = run_stmt(st, err, "recovering interrupted runs",
		       "UPDATE change_status SET status = 'unknown', error = ?, updated_at = ? WHERE status = 'sent' AND "
		       "set_id IN (SELECT id FROM changeset WHERE run_id IN (SELECT id FROM runs WHERE status = 'running'))",
		       "si", why, now);
	if (ret == 0)
		ret = run_stmt(st, err, "recovering interrupted runs",
			       "UPDATE changeset SET status = 'unknown', error = ?, updated_at = ? "
			       "WHERE status = 'sent' AND run_id IN (SELECT id FROM runs WHERE status = 'running')",
			       "si", why, now);
	if (ret == 0)
		ret = run_stmt(st, err, "recovering interrupted runs",
			       "UPDATE changeset SET unknown = " UNKNOWN_COUNT " "
			       "WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')", "");
	if (ret == 0)
		ret = run_stmt(st, err, "recovering interrupted runs",
			       "UPDATE runs SET status = 'interrupted', finished_at = ?, "
			       "summary = coalesce(summary || '; ', '') || 'interrupted: the process ended without finishing' "
			       "WHERE status = 'running'",
			       "i", now);
	n = sqlite3_changes(st->db);
	if (ret < 0) {
		zsync_state_rollback(st);
		return ret;
	}
	if ((ret = zsync_state_commit(st, err)) < 0)
		return ret;
	return n;
}

int zsync_state_run_begin(struct zsync_state *st, const char *command, const char *commit,
			  const char *trigger, int64_t *run_id, struct zsync_err *err)
{
	int ret = run_stmt(st, err, "starting a run",
			   "INSERT INTO runs (command, commit_id, trigger, pid, started_at) VALUES (?, ?, ?, ?, ?)",
			   "sssii", command, commit, trigger, (int64_t)getpid(), (int64_t)time(NULL));
	*run_id = ret < 0 ? 0 : sqlite3_last_insert_rowid(st->db);
	return ret;
}

int zsync_state_run_end(struct zsync_state *st, int64_t run_id, const char *status,
			const char *summary, struct zsync_err *err)
{
	if (st->deferred_lost)
		return zsync_err_set(err, ZSYNC_EIO, "state database %s: outcomes of this run were lost with a "
				     "failed commit: the run is left unfinished, and the next run resolves its "
				     "change sets by reading the providers", st->path);
	return run_stmt(st, err, "finishing a run",
			"UPDATE runs SET status = ?, summary = ?, finished_at = ? WHERE id = ?", "ssii",
			status, summary, (int64_t)time(NULL), run_id);
}

/* ---- the journal: one row per change set ---- */

void zsync_journal_buf_release(struct zsync_journal_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Room for n more bytes (and the terminating NUL). */
static void buf_reserve(struct zsync_journal_buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2 < 256 ? 256 : (b->len + n + 1) * 2;
		b->p = zsync_xrealloc(b->p, b->cap);
	}
}

#define OCTETS(c) (0x0101010101010101ULL * (uint8_t)(c))

/* Whether none of the 8 octets in w needs escaping in a JSON string (none below 0x20, no
 * '"' and no '\\'): each test is exact for "any octet", so their union is too. */
static inline bool json_plain8(uint64_t w)
{
	uint64_t q = w ^ OCTETS('"'), b = w ^ OCTETS('\\');
	uint64_t hit = ((w - OCTETS(0x20)) & ~w) | ((q - OCTETS(1)) & ~q) | ((b - OCTETS(1)) & ~b);
	return (hit & OCTETS(0x80)) == 0;
}

/*
 * The JSON string of the n octets at s (or null) at o, which has room for it (6 bytes an
 * octet at most): quotes, backslashes and control characters escaped, the other bytes as
 * they are (presentation text is ASCII; json ->> gives the bytes back). Returns the new
 * end. Eight octets at a time while none needs escaping (most text: the per-octet test
 * was nearly half of the journal's text); check_state compares it with escaping octet
 * by octet.
 */
static char *json_str(char *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	if (!s) {
		memcpy(o, "null", 4);
		return o + 4;
	}
	*o++ = '"';
	while (i < n) {
		uint64_t w;
		if (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if (json_plain8(w)) {
				memcpy(o, &w, 8);
				o += 8;
				i += 8;
				continue;
			}
		} else if (n >= 8) {
			/* the last 1-7 octets: with those before them, as the string's last eight */
			memcpy(&w, s + n - 8, 8);
			if (json_plain8(w)) {
				memcpy(o, s + i, n - i);
				o += n - i;
				break;
			}
		}
		unsigned char c = (unsigned char)s[i++];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		if (c == '"' || c == '\\')
			*o++ = (char)c;
		else if (c == '\n')
			*o++ = 'n';
		else if (c == '\t')
			*o++ = 't';
		else
			*o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
	}
	*o++ = '"';
	return o;
}

void zsync_journal_buf_add(struct zsync_journal_buf *b, const char *op, const char *owner,
			   const char *type, const char *old_rdata, const char *new_rdata)
{
	const char *f[] = { op, owner, type, old_rdata, new_rdata };
	size_t len[5], need = 8;
	char *o;

	/* one reservation for the worst case, then plain stores */
	for (int i = 0; i < 5; i++) {
		len[i] = f[i] ? strlen(f[i]) : 0;
		need += len[i] * 6 + 8;
	}
	buf_reserve(b, need);
	/* the array stays closed: the next change takes the place of its final ']' */
	o = b->p + (b->n ? b->len - 1 : b->len);
	memcpy(o, b->n ? ",[" : "[[", 2);
	o += 2;
	for (int i = 0; i < 5; i++) {
		if (i)
			*o++ = ',';
		o = json_str(o, f[i], len[i]);
	}
	memcpy(o, "]]", 3);
	o += 2;
	b->len = (size_t)(o - b->p);
	b->n++;
}

void zsync_journal_buf_append(struct zsync_journal_buf *a, const struct zsync_journal_buf *b)
{
	if (!b->n)
		return;
	if (!a->n) {
		buf_reserve(a, b->len);
		memcpy(a->p, b->p, b->len + 1);
		a->len = b->len;
		a->n = b->n;
		return;
	}
	/* "[[x]]" + "[[y]]": "[[x]," then "[y]]" */
	buf_reserve(a, b->len);
	a->p[a->len - 1] = ',';
	memcpy(a->p + a->len, b->p + 1, b->len);
	a->len += b->len - 1;
	a->n += b->n;
}

int zsync_state_changeset_add(struct zsync_state *st, int64_t run_id, const char *zone,
			      const char *provider, const struct zsync_journal_buf *b,
			      const char *status, int64_t *set_id, struct zsync_err *err)
{
	sqlite3_stmt *s;
	int ret;

	*set_id = 0;
	if (!b->n)
		return 0;
	/* the set and its changes, or neither (a set without its changes would be hidden by
	 * the journal view, yet counted in sum(n)): a savepoint, which also works outside a
	 * transaction */
	if ((ret = exec(st, "SAVEPOINT changeset_add", err)) < 0)
		return ret;
	/* its first change's id follows the newest set's last one */
	ret = run_stmt(st, err, "journalling a change set",
		       "INSERT INTO changeset (id, run_id, zone, provider, n, status, updated_at) VALUES "
		       "((SELECT coalesce((SELECT id + n FROM changeset ORDER BY id DESC LIMIT 1), 1)), ?, ?, ?, ?, ?, ?)",
		       "issisi", run_id, zone, provider, (int64_t)b->n, status ? status : "planned",
		       (int64_t)time(NULL));
	if (ret == 0) {
		int64_t id = sqlite3_last_insert_rowid(st->db);
		if (!(s = stmt(st, "INSERT INTO changeset_changes (id, changes) VALUES (?, ?)"))) {
			ret = db_fail(st, err, "journalling a change set");
		} else {
			sqlite3_bind_int64(s, 1, id);
			sqlite3_bind_text(s, 2, b->p, (int)b->len, SQLITE_STATIC);
			int rc = sqlite3_step(s);
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			ret = rc == SQLITE_DONE ? 0 : db_fail(st, err, "journalling a change set");
		}
		if (ret == 0)
			*set_id = id;
	}
	/* outside a transaction the RELEASE is the COMMIT, and may fail like one */
	if (ret == 0 && (ret = exec(st, "RELEASE changeset_add", err)) == 0)
		return 0;
	*set_id = 0;
	sqlite3_exec(st->db, "ROLLBACK TO changeset_add; RELEASE changeset_add", NULL, NULL, NULL);
	return ret;
}

static bool valid_op(const char *op)
{
	static const char *const ops[] = { "create", "update", "delete", "allow-older" };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (op && !strcmp(op, ops[i]))
			return true;
	return false;
}

int zsync_state_journal_add(struct zsync_state *st, int64_t run_id,
			    const struct zsync_journal_entry *e, int64_t *id, struct zsync_err *err)
{
	struct zsync_journal_buf b = { 0 };
	int64_t set = 0;
	int ret;

	if (!valid_op(e->op)) {
		if (id)
			*id = 0;
		return zsync_err_set(err, ZSYNC_EINVAL, "state database %s: journalling a change: bad op '%s'",
				     st->path, e->op ? e->op : "(null)");
	}
	zsync_journal_buf_add(&b, e->op, e->owner, e->type, e->old_rdata, e->new_rdata);
	ret = zsync_state_changeset_add(st, run_id, e->zone, e->provider, &b, e->status, &set, err);
	zsync_journal_buf_release(&b);
	if (id)
		*id = set;
	return ret;
}

int zsync_state_changeset_set(struct zsync_state *st, int64_t set_id, size_t n,
			      const char *const *status_of, const char *status, const char *error,
			      struct zsync_err *err)
{
	static const char *const words[] = { "planned", "sent", "applied", "failed", "unknown" };
	size_t count[5] = { 0 };
	const char *most = status;
	int64_t now = time(NULL);
	int ret;

	if (!set_id)
		return 0;
	if (status_of) {
		/* the most common outcome is the set's; the others get rows of their own */
		for (size_t i = 0; i < n; i++)
			for (int w = 0; w < 5; w++)
				if (!strcmp(status_of[i], words[w]))
					count[w]++;
		int best = 0;
		for (int w = 1; w < 5; w++)
			if (count[w] > count[best])
				best = w;
		most = words[best];
	}
	ret = run_stmt(st, err, "updating the journal",
		       "UPDATE changeset SET status = ?1, error = ?2, updated_at = ?3, "
		       "unknown = CASE WHEN ?1 = 'unknown' THEN n ELSE 0 END WHERE id = ?4",
		       "ssii", most, strcmp(most, "applied") ? error : NULL, now, set_id);
	if (ret == 0)
		ret = run_stmt(st, err, "updating the journal", "DELETE FROM change_status WHERE set_id = ?",
			       "i", set_id);
	if (ret < 0 || !status_of)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++)
		if (strcmp(status_of[i], most))
			ret = run_stmt(st, err, "updating the journal",
				       "INSERT INTO change_status (id, set_id, status, error, updated_at) VALUES (?, ?, ?, ?, ?)",
				       "iissi", set_id + (int64_t)i, set_id, status_of[i],
				       strcmp(status_of[i], "applied") ? error : NULL, now);
	if (ret == 0)
		ret = run_stmt(st, err, "updating the journal",
			       "UPDATE changeset SET unknown = " UNKNOWN_COUNT " WHERE id = ?", "i", set_id);
	return ret;
}

int zsync_state_journal_set_many(struct zsync_state *st, size_t n, const int64_t *ids,
				 const char *const *status, const char *const *error,
				 struct zsync_err *err)
{
	int64_t set = 0, setn = 0, now = time(NULL);
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		if (!set || ids[i] < set || ids[i] >= set + setn) {
			/* the set holding this change: the newest one starting at or before it */
			sqlite3_stmt *s = stmt(st, "SELECT id, n FROM changeset WHERE id <= ? ORDER BY id DESC LIMIT 1");
			if (!s)
				return db_fail(st, err, "updating the journal");
			if (set && setn > 1)
				ret = run_stmt(st, err, "updating the journal",
					       "UPDATE changeset SET unknown = " UNKNOWN_COUNT " WHERE id = ?", "i", set);
			sqlite3_bind_int64(s, 1, ids[i]);
			int rc = sqlite3_step(s);
			set = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
			setn = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
			sqlite3_reset(s);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return db_fail(st, err, "updating the journal");
			if (ret < 0)
				return ret;
			if (!set || ids[i] >= set + setn)
				return zsync_err_set(err, ZSYNC_ENOTFOUND, "state database %s: no journal row %lld",
						     st->path, (long long)ids[i]);
		}
		if (setn == 1)
			ret = run_stmt(st, err, "updating the journal",
				       "UPDATE changeset SET status = ?1, error = ?2, updated_at = ?3, "
				       "unknown = (?1 = 'unknown') WHERE id = ?4",
				       "ssii", status[i], error ? error[i] : NULL, now, set);
		else
			ret = run_stmt(st, err, "updating the journal",
				       "INSERT OR REPLACE INTO change_status (id, set_id, status, error, updated_at) VALUES (?, ?, ?, ?, ?)",
				       "iissi", ids[i], set, status[i], error ? error[i] : NULL, now);
	}
	if (ret == 0 && set && setn > 1)
		ret = run_stmt(st, err, "updating the journal",
			       "UPDATE changeset SET unknown = " UNKNOWN_COUNT " WHERE id = ?", "i", set);
	return ret;
}

int zsync_state_journal_set(struct zsync_state *st, int64_t id, const char *status,
			    const char *error, struct zsync_err *err)
{
	return zsync_state_journal_set_many(st, 1, &id, &status, &error, err);
}

int zsync_state_pair_result(struct zsync_state *st, const char *zone, const char *provider,
			    bool ok, const char *commit, const char *error, struct zsync_err *err)
{
	int64_t now = time(NULL);
	if (ok)
		return run_stmt(st, err, "recording a result",
				"INSERT INTO pair_status (zone, provider, last_commit, last_success, last_checked, consecutive_failures) "
				"VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (zone, provider) DO UPDATE SET "
				"last_commit = excluded.last_commit, last_success = excluded.last_success, "
				"last_checked = excluded.last_checked, consecutive_failures = 0",
				"sssii", zone, provider, commit, now, now);
	return run_stmt(st, err, "recording a failure",
			"INSERT INTO pair_status (zone, provider, last_error, last_error_at, last_checked, consecutive_failures) "
			"VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (zone, provider) DO UPDATE SET "
			"last_error = excluded.last_error, last_error_at = excluded.last_error_at, "
			"last_checked = excluded.last_checked, consecutive_failures = consecutive_failures + 1",
			"sssii", zone, provider, error, now, now);
}

int zsync_state_pair_drift(struct zsync_state *st, int64_t run_id, const char *zone,
			   const char *provider, const char *details, int n, struct zsync_err *err)
{
	int64_t now = time(NULL);
	int ret = run_stmt(st, err, "recording drift",
			   "INSERT INTO drift (run_id, zone, provider, rrsets, details, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
			   "issisi", run_id, zone, provider, (int64_t)n, details, now);
	if (ret < 0)
		return ret;
	return run_stmt(st, err, "recording drift",
			"INSERT INTO pair_status (zone, provider, drift_count) VALUES (?, ?, 1) "
			"ON CONFLICT (zone, provider) DO UPDATE SET drift_count = drift_count + 1",
			"ss", zone, provider);
}

/* ---- reads ---- */

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int zsync_state_pairs(struct zsync_state *st,
		      int (*fn)(void *ctx, const struct zsync_pair_status *p), void *ctx,
		      struct zsync_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT zone, provider, last_commit, last_error, last_success, last_error_at, "
			       "last_checked, consecutive_failures, drift_count FROM pair_status ORDER BY zone, provider",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "reading provider status");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct zsync_pair_status p = {
			.zone = col_text(s, 0), .provider = col_text(s, 1),
			.last_commit = col_text(s, 2), .last_error = col_text(s, 3),
			.last_success = sqlite3_column_int64(s, 4),
			.last_error_at = sqlite3_column_int64(s, 5),
			.last_checked = sqlite3_column_int64(s, 6),
			.consecutive_failures = sqlite3_column_int(s, 7),
			.drift_count = sqlite3_column_int(s, 8),
		};
		if (fn(ctx, &p) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading provider status");
}

int zsync_state_runs(struct zsync_state *st, int limit, const char *zone, const char *provider,
		     int (*fn)(void *ctx, const struct zsync_run_info *r), void *ctx,
		     struct zsync_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;
	/* a run matches a filter when it journalled a change for that zone/provider */
	const char *sql =
		"SELECT r.id, r.started_at, r.finished_at, r.command, r.commit_id, r.trigger, r.status, r.summary, "
		"(SELECT coalesce(sum(j.n), 0) FROM changeset j WHERE j.run_id = r.id AND (?1 IS NULL OR j.zone = ?1) AND (?2 IS NULL OR j.provider = ?2)) AS n "
		"FROM runs r WHERE (?1 IS NULL AND ?2 IS NULL) OR n > 0 "
		"ORDER BY r.id DESC LIMIT ?3";

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "reading run history");
	if (zone)
		sqlite3_bind_text(s, 1, zone, -1, SQLITE_TRANSIENT);
	if (provider)
		sqlite3_bind_text(s, 2, provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 3, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct zsync_run_info r = {
			.id = sqlite3_column_int64(s, 0), .started_at = sqlite3_column_int64(s, 1),
			.finished_at = sqlite3_column_int64(s, 2), .command = col_text(s, 3),
			.commit = col_text(s, 4), .trigger = col_text(s, 5), .status = col_text(s, 6),
			.summary = col_text(s, 7), .changes = sqlite3_column_int(s, 8),
		};
		if (fn(ctx, &r) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading run history");
}

/* The journal columns (of the view) every reader of rows takes, in the order journal_rows() reads them. */
#define JOURNAL_COLUMNS "run_id, zone, provider, op, owner, type, old_rdata, new_rdata, status, error, id"

/* Steps s (selecting JOURNAL_COLUMNS) and hands each row to fn; finalizes s. */
static int journal_rows(struct zsync_state *st, sqlite3_stmt *s,
			int (*fn)(void *ctx, const struct zsync_change_info *c), void *ctx,
			struct zsync_err *err)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct zsync_change_info c = {
			.run_id = sqlite3_column_int64(s, 0), .zone = col_text(s, 1),
			.provider = col_text(s, 2), .op = col_text(s, 3), .owner = col_text(s, 4),
			.type = col_text(s, 5), .old_rdata = col_text(s, 6), .new_rdata = col_text(s, 7),
			.status = col_text(s, 8), .error = col_text(s, 9), .id = sqlite3_column_int64(s, 10),
		};
		if (fn(ctx, &c) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading the journal");
}

int zsync_state_changes(struct zsync_state *st, int64_t run_id, const char *zone,
			const char *provider,
			int (*fn)(void *ctx, const struct zsync_change_info *c), void *ctx,
			struct zsync_err *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT " JOURNAL_COLUMNS " "
			       "FROM journal WHERE run_id = ?1 AND (?2 IS NULL OR zone = ?2) AND (?3 IS NULL OR provider = ?3) "
			       "ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "reading the journal");
	sqlite3_bind_int64(s, 1, run_id);
	if (zone)
		sqlite3_bind_text(s, 2, zone, -1, SQLITE_TRANSIENT);
	if (provider)
		sqlite3_bind_text(s, 3, provider, -1, SQLITE_TRANSIENT);
	return journal_rows(st, s, fn, ctx, err);
}

int zsync_state_pair_commit(struct zsync_state *st, const char *zone, const char *provider,
			    char **commit, struct zsync_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*commit = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT last_commit FROM pair_status WHERE zone = ? AND provider = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "reading provider status");
	sqlite3_bind_text(s, 1, zone, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, provider, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
		*commit = zsync_xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading provider status");
}

int zsync_state_pair_forget(struct zsync_state *st, const char *zone, const char *provider,
			    struct zsync_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM pair_status WHERE zone = ? AND provider = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(st, err, "updating provider status");
	sqlite3_bind_text(s, 1, zone, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, provider, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_fail(st, err, "updating provider status");
}

int zsync_state_drift(struct zsync_state *st, int64_t since,
		      int (*fn)(void *ctx, const struct zsync_drift_info *d), void *ctx,
		      struct zsync_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT run_id, zone, provider, rrsets, seen_at FROM drift WHERE seen_at >= ? ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "reading drift");
	sqlite3_bind_int64(s, 1, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct zsync_drift_info d = {
			.run_id = sqlite3_column_int64(s, 0), .zone = col_text(s, 1),
			.provider = col_text(s, 2), .rrsets = sqlite3_column_int(s, 3),
			.seen_at = sqlite3_column_int64(s, 4),
		};
		if (fn(ctx, &d) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading drift");
}

/* ---- maintenance ---- */

int zsync_state_check(struct zsync_state *st, bool full, char *verdict, size_t len,
		      struct zsync_err *err)
{
	sqlite3_stmt *q = NULL;
	size_t used = 0;
	int rc;

	verdict[0] = '\0';
	if (sqlite3_prepare_v2(st->db, full ? "PRAGMA integrity_check" : "PRAGMA quick_check", -1,
			       &q, NULL) != SQLITE_OK) {
		/* a file too damaged to prepare on is a verdict, not an I/O error */
		snprintf(verdict, len, "%s", sqlite3_errmsg(st->db));
		return 0;
	}
	/* one row "ok", or one row per problem: join them */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && used + 1 < len) {
		const char *t = (const char *)sqlite3_column_text(q, 0);
		int n = snprintf(verdict + used, len - used, "%s%s", used ? "; " : "", t ? t : "?");
		used += n > 0 ? (size_t)n : 0;
		if (used >= len)
			used = len - 1;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE && !used)
		snprintf(verdict, len, "%s", sqlite3_errmsg(st->db));
	sqlite3_finalize(q);
	(void)err;
	return 0;
}

int zsync_state_prune(struct zsync_state *st, long keep_runs, long keep_days, bool dry_run,
		      struct zsync_prune_result *res, struct zsync_err *err)
{
	sqlite3_stmt *q = NULL;
	int64_t cutoff_id = 0, cutoff_time = 0, newest = 0;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	if ((ret = exec(st, "BEGIN IMMEDIATE", err)) < 0)
		return ret;
	/* the newest run is never pruned: it is the one that called us, or the last word */
	if (pragma_int64(st, "SELECT coalesce(max(id), 0) FROM runs", &newest) != SQLITE_OK)
		goto fail;
	if (keep_runs > 0) {
		/* ids grow with time: everything below the keep_runs-th newest id goes */
		if (sqlite3_prepare_v2(st->db, "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", -1,
				       &q, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(q, 1, keep_runs - 1);
		if (sqlite3_step(q) == SQLITE_ROW)
			cutoff_id = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		q = NULL;
	}
	if (keep_days > 0)
		cutoff_time = (int64_t)time(NULL) - (int64_t)keep_days * 86400;
	/* a run goes when either limit says so; a run still going never does */
	const char *where =
		"status != 'running' AND id != ?3 AND ((?1 > 0 AND id < ?1) OR (?2 > 0 AND coalesce(finished_at, started_at) < ?2))";
	char *sql[5];
	sql[0] = zsync_xasprintf("SELECT count(*), coalesce(sum((SELECT sum(n) FROM changeset j WHERE j.run_id = r.id)), 0) FROM runs r WHERE %s", where);
	/* a set's rows go before the set (foreign keys) */
	sql[1] = zsync_xasprintf("DELETE FROM change_status WHERE set_id IN (SELECT id FROM changeset WHERE run_id IN (SELECT id FROM runs WHERE %s))", where);
	sql[2] = zsync_xasprintf("DELETE FROM changeset_changes WHERE id IN (SELECT id FROM changeset WHERE run_id IN (SELECT id FROM runs WHERE %s))", where);
	sql[3] = zsync_xasprintf("DELETE FROM changeset WHERE run_id IN (SELECT id FROM runs WHERE %s)", where);
	sql[4] = zsync_xasprintf("DELETE FROM drift WHERE run_id IN (SELECT id FROM runs WHERE %s)", where);
	for (int i = 0; i < 5 && ret == 0; i++) {
		if (i > 0 && dry_run)
			break;
		if (sqlite3_prepare_v2(st->db, sql[i], -1, &q, NULL) != SQLITE_OK) {
			ret = db_fail(st, err, "pruning history");
			break;
		}
		sqlite3_bind_int64(q, 1, cutoff_id);
		sqlite3_bind_int64(q, 2, cutoff_time);
		sqlite3_bind_int64(q, 3, newest);
		int rc = sqlite3_step(q);
		if (i == 0 && rc == SQLITE_ROW) {
			res->runs = sqlite3_column_int64(q, 0);
			res->journal_rows = sqlite3_column_int64(q, 1);
		} else if (rc != SQLITE_DONE) {
			ret = db_fail(st, err, "pruning history");
		}
		sqlite3_finalize(q);
		q = NULL;
	}
	for (int i = 0; i < 5; i++)
		free(sql[i]);
	if (ret == 0 && !dry_run) {
		char *del = zsync_xasprintf("DELETE FROM runs WHERE %s", where);
		if (sqlite3_prepare_v2(st->db, del, -1, &q, NULL) != SQLITE_OK) {
			ret = db_fail(st, err, "pruning history");
		} else {
			sqlite3_bind_int64(q, 1, cutoff_id);
			sqlite3_bind_int64(q, 2, cutoff_time);
			sqlite3_bind_int64(q, 3, newest);
			if (sqlite3_step(q) != SQLITE_DONE)
				ret = db_fail(st, err, "pruning history");
			sqlite3_finalize(q);
			q = NULL;
		}
		free(del);
	}
	if (ret < 0 || dry_run) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return ret;
	}
	return exec(st, "COMMIT", err);
fail:
	ret = db_fail(st, err, "pruning history");
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int zsync_state_vacuum(struct zsync_state *st, struct zsync_err *err)
{
	return exec(st, "VACUUM", err);
}

int zsync_state_unknown(struct zsync_state *st, const char *zone, const char *provider,
			int (*fn)(void *ctx, const struct zsync_change_info *c), void *ctx,
			struct zsync_err *err)
{
	sqlite3_stmt *s = NULL;

	/* the sets with an unknown change, by the partial index, then their unknown changes */
	if (sqlite3_prepare_v2(st->db,
			       "SELECT " JOURNAL_COLUMNS " FROM (SELECT " JOURNAL_EXPAND_COLUMNS " " JOURNAL_EXPAND_FROM " "
			       "WHERE s.unknown > 0 AND s.zone = ?1 AND s.provider = ?2) WHERE status = 'unknown' ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "reading the journal");
	sqlite3_bind_text(s, 1, zone, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, provider, -1, SQLITE_TRANSIENT);
	return journal_rows(st, s, fn, ctx, err);
}

int zsync_state_unknown_count(struct zsync_state *st, const char *zone, const char *provider,
			      int64_t *n, struct zsync_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT coalesce(sum(unknown), 0) FROM changeset WHERE unknown > 0 AND zone = ?1 AND provider = ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "reading the journal");
	sqlite3_bind_text(s, 1, zone, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, provider, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : db_fail(st, err, "reading the journal");
}
