/*
 * zonefile.c - self-hosted BIND (or any server reading zone files): writes one master
 * file per zone into a directory, atomically, then runs the reload command.
 * The zones must be static in named.conf: rndc refuses to reload dynamic zones, and a
 * journal beside a rewritten file makes named fail the zone (SERVFAIL).
 */
#include "provider.h"
#include "hook.h"

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
	long timeout;
	const char *name;
};

static int zf_open(const struct zsync_provider_conf *conf, const struct zsync_config *cfg,
		   void **priv, struct zsync_err *err)
{
	const struct zsync_toml *d = zsync_toml_get(conf->table, "directory");
	const struct zsync_toml *rc = zsync_toml_get(conf->table, "reload_command");
	struct zonefile *zf;
	struct stat st;
	char *dir;

	dir = d->str.s[0] == '/' ? zsync_xstrdup(d->str.s) : zsync_xasprintf("%s/%s", cfg->dir, d->str.s);
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
	if (rc) {
		zf->reload = zsync_xcalloc(rc->arr.n + 1, sizeof(char *));
		for (size_t i = 0; i < rc->arr.n; i++)
			zf->reload[i] = zsync_xstrdup(rc->arr.v[i]->str.s);
	}
	*priv = zf;
	return 0;
}

static void zf_close(void *priv)
{
	struct zonefile *zf = priv;
	if (!zf)
		return;
	zsync_hook_argv_free(zf->reload);
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

static int write_atomic(const char *path, struct zsync_zone *z, const char *header,
			struct zsync_err *err)
{
	char *tmp = zsync_xasprintf("%s.zonesync-XXXXXX", path);
	int fd = mkstemp(tmp), ret = 0;
	FILE *f;

	if (fd < 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return ret;
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (zsync_zone_write(z, f, header) < 0 || fflush(f) != 0 || fsync(fd) != 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "writing %s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		free(tmp);
		return ret;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int zf_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct zonefile *zf = priv;
	char *path = zone_path(zf, req->zone), *prev = zsync_xasprintf("%s.zonesync-prev", path);
	struct zsync_zone *result = NULL;
	const struct zsync_rrset *git_soa, *cur_soa;
	bool had_file;
	char header[512];
	int ret = 0;

	result = zsync_provider_result(req, err);
	if (!result) {
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
	zsync_zone_put_rrset(result, git_soa, git_soa->ttl);
	zsync_zone_set_soa_serial(result, next_serial(zsync_soa_serial(git_soa->rdata),
						      cur_soa ? zsync_soa_serial(cur_soa->rdata) : 0,
						      cur_soa != NULL));
	snprintf(header, sizeof(header),
		 "zone %s written by zonesync from commit %s\ndo not edit: changes here are overwritten",
		 req->zone, req->commit ? req->commit : "?");
	/* keep the previous file until the server accepted the new one */
	unlink(prev);
	had_file = link(path, prev) == 0;
	if ((ret = write_atomic(path, result, header, err)) < 0)
		goto out;
	fsync_dir(zf->dir);
	if (zf->reload) {
		char **argv = zsync_hook_argv(zf->reload, req->zone, path);
		struct zsync_hook_result res;
		struct zsync_err herr = { 0 };
		if (zsync_hook_run(argv, NULL, NULL, 0, (int)zf->timeout, &res, &herr) < 0 ||
		    res.status != 0) {
			char *o = res.output ? res.output : zsync_xstrdup("");
			size_t ol = strlen(o);
			while (ol && (o[ol - 1] == '\n' || o[ol - 1] == '\r'))
				o[--ol] = '\0';
			char how[32];
			snprintf(how, sizeof(how), res.timed_out ? "timed out" : "failed (exit %d)",
				 res.status);
			if (herr.code)
				ret = zsync_err_set(err, ZSYNC_EIO, "reload command: %s", herr.msg);
			else
				ret = zsync_err_set(err, ZSYNC_EIO, "reload command %s %s%s%s", argv[0],
						    how, *o ? ": " : "", o);
			/* put the old file back so that the next run retries the whole change */
			if (had_file)
				rename(prev, path);
			else
				unlink(path);
			fsync_dir(zf->dir);
			if (res.output == NULL)
				free(o);
		}
		free(res.output);
		zsync_hook_argv_free(argv);
	}
	if (ret == 0)
		unlink(prev);
out:
	zsync_zone_free(result);
	free(prev);
	free(path);
	return ret;
}

const struct zsync_provider_type zsync_provider_zonefile = {
	.name = "zonefile",
	.caps = ZSYNC_CAP_APEX_NS | ZSYNC_CAP_CREATE_ZONE | ZSYNC_CAP_ATOMIC | ZSYNC_CAP_OWNS_SOA,
	.open = zf_open,
	.fetch = zf_fetch,
	.apply = zf_apply,
	.list_zones = NULL,
	.close = zf_close,
};
