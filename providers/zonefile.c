/*
 * zonefile.c - self-hosted BIND (or any server reading zone files): writes one master
 * file per zone into a directory, atomically, then runs the reload command.
 * The zones must be static in named.conf: rndc refuses to reload dynamic zones, and a
 * journal beside a rewritten file makes named fail the zone (SERVFAIL).
 */
#include "provider.h"
#include "dns.h"
#include "hook.h"
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct zonefile {
	char *dir;
	char **reload;  /* argv or NULL */
	char **check;   /* argv or NULL: the server's checker, run on the new file first */
	const struct zsync_strlist *nameservers; /* where the new serial must show */
	long timeout;
	const char *name;
	struct zsync_hook_env env; /* the commands get no secret */
};

static int zf_open(const struct zsync_provider_conf *conf, void **priv, struct zsync_err *err)
{
	struct zonefile *zf;
	struct stat st;
	char *dir = zsync_config_get_path(conf, "directory");

	if (!dir)
		return zsync_err_set(err, ZSYNC_EINVAL, "directory is required");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		int code = zsync_err_set(err, ZSYNC_ENOTFOUND, "directory %s: %s", dir,
					 errno ? strerror(errno) : "not a directory");
		free(dir);
		return code;
	}
	zf = zsync_xcalloc(1, sizeof(*zf));
	zf->dir = dir;
	zf->timeout = conf->timeout;
	zf->name = conf->name;
	zf->nameservers = &conf->nameservers;
	zf->reload = zsync_config_get_argv(conf, "reload_command");
	zf->check = zsync_config_get_argv(conf, "check_command");
	zf->env = (struct zsync_hook_env){ conf->hook_pass, conf->hook_deny };
	*priv = zf;
	return 0;
}

static void zf_close(void *priv)
{
	struct zonefile *zf = priv;
	if (!zf)
		return;
	zsync_hook_argv_free(zf->reload);
	zsync_hook_argv_free(zf->check);
	free(zf->dir);
	free(zf);
}

/* DIR/example.com.zone; the root zone is root.zone */
static char *zone_path(const struct zonefile *zf, const char *zone)
{
	size_t n = strlen(zone);
	if (strcmp(zone, ".") == 0)
		return zsync_xasprintf("%s/root.zone", zf->dir);
	return zsync_xasprintf("%s/%.*s.zone", zf->dir, (int)(n - 1), zone);
}

static int zf_fetch(void *priv, const char *zone, struct zsync_zone **out, struct zsync_err *err)
{
	struct zonefile *zf = priv;
	char *path = zone_path(zf, zone), *text;
	struct zsync_diags d = { 0 };
	struct zsync_err rerr = { 0 };
	size_t len = 0;
	int ret = 0;

	*out = zsync_zone_new(zone, err);
	if (!*out) {
		free(path);
		return ZSYNC_EINVAL;
	}
	text = zsync_read_file(path, SIZE_MAX - 1, &len, &rerr);
	if (!text) {
		/* no file yet: an empty zone, which the first apply fills */
		if (rerr.code != ZSYNC_ENOTFOUND)
			ret = zsync_err_set(err, rerr.code, "%s", rerr.msg);
		goto out;
	}
	if (zsync_zone_parse(*out, path, text, len, NULL, NULL, &d) < 0) {
		char first[1024] = "";
		for (size_t i = 0; i < d.n; i++)
			if (d.v[i].severity == ZSYNC_SEV_ERROR) {
				zsync_diag_format(&d.v[i], first, sizeof(first));
				break;
			}
		ret = zsync_err_set(err, ZSYNC_EINVAL,
				    "the zone file it serves cannot be read (%s); fix or remove it", first);
	}
out:
	if (ret < 0) {
		zsync_zone_free(*out);
		*out = NULL;
	}
	zsync_diags_release(&d);
	free(text);
	free(path);
	return ret;
}

/* The serial to write: never backwards, date-based when that is higher (DESIGN section 11). */
static uint32_t next_serial(uint32_t git, uint32_t current, bool have_current)
{
	time_t now = time(NULL);
	struct tm tm;
	uint32_t today, s = git;

	gmtime_r(&now, &tm);
	today = (uint32_t)(tm.tm_year + 1900) * 1000000u + (uint32_t)(tm.tm_mon + 1) * 10000u +
		(uint32_t)tm.tm_mday * 100u;
	if (have_current && current + 1 > s)
		s = current + 1;
	if (today > s)
		s = today;
	return s;
}

/* Writes z into a new temporary file beside path; *tmp_out: its name (caller frees). */
static int write_temp(const char *path, struct zsync_zone *z, const struct zsync_zone *order, const char *header,
		      char **tmp_out, struct zsync_err *err)
{
	char *tmp = zsync_xasprintf("%s.zonesync-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC), ret = 0; /* not inherited by another zone's commands */

	*tmp_out = NULL;
	if (fd < 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return ret;
	}
	fchmod(fd, 0644);
	errno = 0;
	if (zsync_zone_write_fd(z, order, fd, header) < 0 || fsync(fd) != 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "writing %s: %s", tmp, errno ? strerror(errno) : "cannot write the zone");
		close(fd);
		unlink(tmp);
		free(tmp);
		return ret;
	}
	if (close(fd) != 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "writing %s: %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return ret;
	}
	*tmp_out = tmp;
	return 0;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* The command's output without trailing newlines, with `from` (a temporary path) shown as `to`. */
static char *command_output(const char *out, const char *from, const char *to)
{
	size_t fl = from ? strlen(from) : 0, len = 0;
	const char *p = out ? out : "";
	char *buf = NULL;
	FILE *b = open_memstream(&buf, &len);

	if (!b)
		return zsync_xstrdup(p);
	while (*p) {
		if (fl && strncmp(p, from, fl) == 0) {
			fputs(to, b);
			p += fl;
			continue;
		}
		/* several lines read as one message */
		if (*p == '\n' || *p == '\r') {
			while (*p == '\n' || *p == '\r')
				p++;
			if (*p)
				fputs("; ", b);
			continue;
		}
		fputc(*p++, b);
	}
	fclose(b);
	return buf;
}

/*
 * Runs a configured command (check or reload) on file; 0 when it exited 0. Otherwise err
 * says which command and what it printed (with shown_as in place of file's name).
 */
static int run_command(const struct zonefile *zf, char *const *tmpl, const char *what, const char *zone,
		       const char *file, const char *shown_as, struct zsync_err *err)
{
	char **argv = zsync_hook_argv(tmpl, zone, file);
	struct zsync_hook_result res = { 0 };
	struct zsync_err herr = { 0 };
	int ret = 0;

	if (zsync_hook_run(argv, NULL, &zf->env, NULL, 0, (int)zf->timeout, &res, &herr) < 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "%s command: %s", what, herr.msg);
	} else if (res.status != 0) {
		char *o = command_output(res.output, file, shown_as);
		char how[32];
		snprintf(how, sizeof(how), res.timed_out ? "timed out" : "failed (exit %d)", res.status);
		ret = zsync_err_set(err, ZSYNC_EIO, "%s command %s %s%s%s", what, argv[0], how, *o ? ": " : "", o);
		free(o);
	}
	free(res.output);
	zsync_hook_argv_free(argv);
	return ret;
}

/* serial a is at least b in RFC 1982 serial number arithmetic */
static bool serial_reached(uint32_t a, uint32_t b)
{
	return a == b || (int32_t)(a - b) > 0;
}

/*
 * Waits (at most the provider's timeout) until a nameserver serves serial for zone.
 * `rndc reload` of a loaded zone only queues the load and reports success, and named
 * then refuses a file it does not like (check-names, max-records-per-type) in its log
 * only: the serial served over DNS is the one answer that says the file was taken. One
 * nameserver serving it is enough: the others may be secondaries still catching up
 * (verify's business), and none serves it before the server that reads the file.
 */
static int confirm_serial(const struct zonefile *zf, const struct zsync_zone *z, uint32_t serial,
			  struct zsync_err *err)
{
	const uint8_t *apex = zsync_zone_origin(z);
	const char *zone = zsync_zone_name(z);
	size_t n = zf->nameservers->n;
	char (*last)[256] = zsync_xcalloc(n, sizeof(*last)); /* what each nameserver said last */
	struct timespec start, now;
	long limit_ms = (zf->timeout > 0 ? zf->timeout : 30) * 1000, elapsed;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		for (size_t i = 0; i < n; i++) {
			const char *ns = zf->nameservers->v[i];
			struct zsync_dns_answer a;
			struct zsync_err qerr = { 0 };
			if (zsync_dns_query(ns, zone, apex, ZSYNC_TYPE_SOA, 1000, &a, &qerr) < 0) {
				snprintf(last[i], sizeof(last[i]), "%s", qerr.msg);
				continue;
			}
			const struct zsync_rrset *soa = zsync_zone_find(a.answer, apex, ZSYNC_TYPE_SOA);
			bool done = soa && a.authoritative && serial_reached(zsync_soa_serial(soa->rdata), serial);
			if (soa)
				snprintf(last[i], sizeof(last[i]), "nameserver %s still serves serial %u", ns,
					 zsync_soa_serial(soa->rdata));
			else
				snprintf(last[i], sizeof(last[i]), "nameserver %s does not serve the zone (rcode %d)", ns,
					 a.rcode);
			zsync_dns_answer_release(&a);
			if (done)
				goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= limit_ms)
			break;
		usleep(200 * 1000);
	}
	ret = zsync_err_set(err, ZSYNC_EIO,
			    "the server did not load the new file (serial %u): none of the nameservers serves it after %ld s",
			    serial, elapsed / 1000);
	for (size_t i = 0; i < n; i++)
		zsync_err_append(err, "; %s", last[i]);
out:
	free(last);
	return ret;
}

/*
 * What in the file a server is known to refuse, as a hint after an unconfirmed load:
 * BIND 9.18.28 and later refuse more than max-records-per-type (100 by default) records
 * in one RRset. The server's log has the final word, so this is only said as likely.
 */
static void explain_unloaded(const struct zsync_zone *z, struct zsync_err *err)
{
	for (size_t i = 0; i < zsync_zone_iter_count(z); i++) {
		const struct zsync_rrset *r = zsync_zone_iter(z, i);
		char on[ZSYNC_NAME_TXT_MAXLEN + 1], ty[32];
		if (!r || r->count <= 100)
			continue;
		zsync_err_append(err, "; likely too many records in one RRset (the server's limit): %s %s has %u records, "
				 "over BIND's default max-records-per-type of 100",
				 zsync_name_to_text(r->owner, on, sizeof(on)), zsync_type_to_text(r->type, ty, sizeof(ty)),
				 (unsigned)r->count);
		return;
	}
	zsync_err_append(err, "; the server's log says why (named logs e.g. check-names refusals; "
			 "set check_command to have them reported here)");
}

/* A new file written aside, not installed: what zf_prepare hands to zf_apply. */
struct zf_prepared {
	char *tmp;                  /* the temporary file beside the zone's */
	struct zsync_zone *result;  /* what it holds */
	uint32_t serial;
};

static void zf_discard(void *priv, void *prepared)
{
	struct zf_prepared *fp = prepared;
	(void)priv;
	if (!fp)
		return;
	if (fp->tmp)
		unlink(fp->tmp);
	free(fp->tmp);
	zsync_zone_free(fp->result);
	free(fp);
}

/* The new file, written and synced beside the zone's: nothing the server reads changes. */
static int zf_prepare(void *priv, const struct zsync_apply_req *req, void **prepared, struct zsync_err *err)
{
	struct zonefile *zf = priv;
	struct zf_prepared *fp = zsync_xcalloc(1, sizeof(*fp));
	char *path = zone_path(zf, req->zone);
	const struct zsync_rrset *git_soa, *cur_soa;
	char header[512];
	int ret = 0;

	*prepared = NULL;
	fp->result = zsync_provider_result(req, err);
	if (!fp->result) {
		ret = ZSYNC_EINVAL;
		goto out;
	}
	git_soa = zsync_zone_find(req->desired, zsync_zone_origin(req->desired), ZSYNC_TYPE_SOA);
	cur_soa = req->base ? zsync_zone_find(req->base, zsync_zone_origin(req->base), ZSYNC_TYPE_SOA) : NULL;
	if (!git_soa) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "the zone in git has no SOA");
		goto out;
	}
	/* the SOA as in git (timers, RNAME), with a serial that only moves forward */
	zsync_zone_put_rrset(fp->result, git_soa, git_soa->ttl);
	fp->serial = next_serial(zsync_soa_serial(git_soa->rdata), cur_soa ? zsync_soa_serial(cur_soa->rdata) : 0,
				 cur_soa != NULL);
	zsync_zone_set_soa_serial(fp->result, fp->serial);
	snprintf(header, sizeof(header),
		 "zone %s written by zonesync from commit %s\ndo not edit: changes here are overwritten",
		 req->zone, req->commit ? req->commit : "?");
	/* in git's order, which the file's (canonical) order mostly is */
	ret = write_temp(path, fp->result, req->desired, header, &fp->tmp, err);
out:
	free(path);
	if (ret < 0)
		zf_discard(priv, fp);
	else
		*prepared = fp;
	return ret;
}

static int zf_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct zonefile *zf = priv;
	char *path = zone_path(zf, req->zone), *prev = zsync_xasprintf("%s.zonesync-prev", path);
	struct zf_prepared *fp = req->prepared;
	bool had_file, installed = false;
	int ret = 0;

	if (!fp && (ret = zf_prepare(priv, req, (void **)&fp, err)) < 0)
		goto out;
	/* the server's own checker, with the server's policy, before anything is installed */
	if (zf->check && (ret = run_command(zf, zf->check, "check", req->zone, fp->tmp, path, err)) < 0) {
		zsync_err_prefix(err, "the server's checker refused the file");
		goto out;
	}
	/* keep the previous file until the server accepted the new one */
	unlink(prev);
	had_file = link(path, prev) == 0;
	if (rename(fp->tmp, path) < 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	free(fp->tmp);
	fp->tmp = NULL;
	installed = true;
	fsync_dir(zf->dir);
	if (zf->reload && (ret = run_command(zf, zf->reload, "reload", req->zone, path, path, err)) < 0)
		goto out;
	if (zf->nameservers->n && (ret = confirm_serial(zf, fp->result, fp->serial, err)) < 0) {
		explain_unloaded(fp->result, err);
		goto out;
	}
out:
	if (ret < 0 && installed) {
		/* put the old file back so that the next run retries the whole change, and a
		 * restart of the server never loads a file it refused */
		if (had_file)
			rename(prev, path);
		else
			unlink(path);
		fsync_dir(zf->dir);
		if (zf->reload) {
			struct zsync_err ignored = { 0 };
			run_command(zf, zf->reload, "reload", req->zone, path, path, &ignored);
		}
	}
	if (ret == 0 || !installed)
		unlink(prev);
	zf_discard(priv, fp); /* the temporary file, when it was not installed */
	free(prev);
	free(path);
	return ret;
}

static const struct zsync_conf_key zf_keys[] = {
	{ "directory", ZSYNC_CONF_STR, ZSYNC_CONF_REQUIRED, NULL, NULL,
	  "where the zone files are written, one per zone: DIRECTORY/example.com.zone (root.zone for the root); relative to the config file" },
	{ "reload_command", ZSYNC_CONF_ARGV, 0, NULL, NULL,
	  "run after a file changed, without a shell; {zone} becomes the zone name without the trailing dot, {file} the file's path. Example: [\"rndc\", \"reload\", \"{zone}\"]" },
	{ "check_command", ZSYNC_CONF_ARGV, 0, NULL, NULL,
	  "the server's own checker, run on the new file ({file}) before it is installed; a non-zero exit refuses the file with the checker's output. Example for BIND: [\"named-checkzone\", \"-k\", \"fail\", \"{zone}\", \"{file}\"]" },
	ZSYNC_PROVIDER_NS_NAMES_KEY,
	{ 0 },
};

const struct zsync_provider_type zsync_provider_zonefile = {
	.abi = ZSYNC_PROVIDER_ABI,
	.name = "zonefile",
	.summary = "zone files in a directory (self-hosted BIND, NSD, Knot), then a reload command",
	.keys = zf_keys,
	/* ZSYNC_CAP_CONCURRENT: priv is the configuration only; each zone is its own file
	 * (written aside and renamed) and its own check and reload commands */
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_ATOMIC | ZSYNC_CAP_OWNS_SOA |
		ZSYNC_CAP_CONCURRENT | ZSYNC_CAP_APPLY_SIDE_BY_SIDE,
	/* BIND keeps its signing state in TYPE65534 records beside DNSKEYs (sig-signing-type) */
	.generated = zsync_diff_generated_bind,
	.open = zf_open,
	.fetch = zf_fetch,
	.apply = zf_apply,
	.prepare = zf_prepare,
	.discard = zf_discard,
	.list_zones = NULL,
	.nameservers = zsync_provider_ns_names,
	.close = zf_close,
};
