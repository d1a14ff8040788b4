/* config.c - zonesync.toml schema and validation; every error names file:line and the key path */
#include "config.h"
#include "lint.h"
#include "strmap.h"
#include "zone.h"
#include "provider.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum ktype {
	K_STR,
	K_BOOL,
	K_COUNT,   /* integer >= 0 */
	K_POSITIVE, /* integer >= 1 */
	K_PCT,     /* integer 0..100 */
	K_STRLIST, /* array of strings */
	K_HOSTLIST, /* array of host names */
	K_SECRET,  /* "env:VAR" or "file:PATH" */
	K_ARGV,    /* non-empty array of strings */
	K_ARGVLIST /* array of K_ARGV */
};

struct kspec {
	const char *key;
	enum ktype type;
};

#define LIMIT_KEYS                                                                          \
	{ "max_update_pct", K_PCT }, { "max_delete_pct", K_PCT }, { "min_existing", K_COUNT }, \
		{ "max_changes", K_COUNT }
#define COMMON_PROVIDER_KEYS                                                                 \
	{ "type", K_STR }, { "nameservers", K_STRLIST }, { "ignore", K_STRLIST },              \
		{ "generated", K_STRLIST }, { "max_rrset_records", K_COUNT },                    \
		{ "unsupported", K_STR }, { "rate_limit", K_STR }, { "timeout", K_COUNT },     \
		{ "retries", K_COUNT }, { "manage_apex_ns", K_BOOL }, { "create_zones", K_BOOL }, \
		{ "marker", K_STR }, { "concurrency", K_POSITIVE }, LIMIT_KEYS

/* zone transfers (AXFR) from a provider's servers: at least 1 */

static const struct kspec top_keys[] = {
	{ "repo", K_STR }, { "state", K_STR }, { "defaults", K_STR },
	{ "providers", K_STR }, { "zones", K_STR }, { "hooks", K_STR }, { "serve", K_STR }, { "verify", K_STR },
	{ 0 },
};
static const struct kspec repo_keys[] = {
	{ "path", K_STR }, { "ref", K_STR }, { "zones_dir", K_STR }, { "all_zones", K_BOOL },
	{ "max_include_files", K_POSITIVE }, { "max_include_bytes", K_POSITIVE }, { "remote", K_STR },
	{ "branch", K_STR }, { 0 },
};
static const struct kspec state_keys[] = {
	{ "path", K_STR }, { "keep_runs", K_COUNT }, { "keep_days", K_COUNT }, { 0 },
};
static const struct kspec defaults_keys[] = {
	LIMIT_KEYS, { "providers", K_STRLIST }, { "jobs", K_COUNT }, { "lint_disable", K_STRLIST },
	{ "apex_ns", K_STR }, { 0 },
};
static const struct kspec zone_keys[] = {
	{ "name", K_STR }, { "file", K_STR }, { "providers", K_STRLIST }, { "ignore", K_STRLIST },
	{ "lint_disable", K_STRLIST }, { "apex_ns", K_STR }, LIMIT_KEYS, { 0 },
};
/* zonesync serve (docs/configuration.md); tls_* take file: only, checked in load */
/* verify --delegation without --parent: where the iterative resolution starts */
static const struct kspec verify_keys[] = {
	{ "root_hints", K_STR }, { "port", K_POSITIVE }, { 0 },
};
static const struct kspec serve_keys[] = {
	{ "listen", K_STR }, { "api_token", K_SECRET }, { "github_secret", K_SECRET },
	{ "gitlab_token", K_SECRET }, { "generic_secret", K_SECRET }, { "tls_cert", K_STR },
	{ "tls_key", K_STR }, { "reconcile_every", K_STR }, { "verify_every", K_STR },
	{ "max_body", K_COUNT }, { "max_queue", K_COUNT }, { 0 },
};
static const struct kspec hook_keys[] = {
	{ "pre_apply", K_ARGVLIST }, { "post_apply", K_ARGVLIST }, { "on_failure", K_ARGVLIST },
	{ "pass_env", K_STRLIST }, { 0 },
};

struct vctx {
	const char *file;
	struct zsync_diags *d;
	size_t errors;
};

static void verr(struct vctx *v, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void verr(struct vctx *v, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	zsync_diags_add(v->d, v->file, line, ZSYNC_SEV_ERROR, NULL, "%s", msg);
	v->errors++;
}

static bool valid_env_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static const char *type_name(const struct zsync_toml *v)
{
	return zsync_toml_type_name(v->type);
}

static bool is_string_array(const struct zsync_toml *v)
{
	if (v->type != ZSYNC_TOML_ARRAY)
		return false;
	for (size_t i = 0; i < v->arr.n; i++)
		if (v->arr.v[i]->type != ZSYNC_TOML_STRING)
			return false;
	return true;
}

/*
 * Why s is not a nameserver's host name ("ns1.example.net", the final dot optional), or
 * NULL: labels of letters, digits and inner hyphens (RFC 1123), at least two of them (a
 * single label is a relative name written by mistake), and not an address.
 */
static const char *not_host_name(const char *s)
{
	unsigned char a[16];
	size_t len = strlen(s), labels = 0, l = 0;
	const char *last = s;

	if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1)
		return "is an address, not a name (addresses go in nameservers)";
	if (len && s[len - 1] == '.')
		len--;
	if (!len || len > 253)
		return "is not a nameserver's host name";
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!l || l > 63 || s[i - 1] == '-' || s[i - l] == '-')
				return "is not a nameserver's host name (labels of letters, digits and inner hyphens)";
			labels++;
			last = s + i - l;
			l = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-') {
			l++;
		} else {
			return "is not a nameserver's host name (labels of letters, digits and inner hyphens)";
		}
	}
	if (labels < 2)
		return "is one label: write the whole name (\"ns1.example.net.\")";
	while (last < s + len && isdigit((unsigned char)*last))
		last++;
	if (last == s + len)
		return "is not a nameserver's host name (its last label is a number)";
	return NULL;
}

/* Checks one value against its expected kind; path is "providers.pdns.url". */
static void check_value(struct vctx *v, const char *path, const char *key,
			const struct zsync_toml *val, enum ktype t)
{
	switch (t) {
	case K_STR:
		if (val->type != ZSYNC_TOML_STRING)
			verr(v, val->line, "%s: expected a string, found %s", path, type_name(val));
		break;
	case K_BOOL:
		if (val->type != ZSYNC_TOML_BOOL)
			verr(v, val->line, "%s: expected true or false, found %s", path, type_name(val));
		break;
	case K_COUNT:
	case K_POSITIVE:
	case K_PCT:
		if (val->type != ZSYNC_TOML_INTEGER)
			verr(v, val->line, "%s: expected an integer, found %s", path, type_name(val));
		else if (val->i < (t == K_POSITIVE) || (t == K_PCT && val->i > 100))
			verr(v, val->line, "%s: %lld is out of range (%s)", path, (long long)val->i,
			     t == K_PCT ? "0 to 100" : t == K_POSITIVE ? "1 or more" : "0 or more");
		break;
	case K_STRLIST:
		if (!is_string_array(val))
			verr(v, val->line, "%s: expected an array of strings", path);
		break;
	case K_HOSTLIST:
		if (!is_string_array(val)) {
			verr(v, val->line, "%s: expected an array of host names (\"ns1.example.net.\")", path);
			break;
		}
		for (size_t i = 0; i < val->arr.n; i++) {
			const char *why = not_host_name(val->arr.v[i]->str.s);
			if (why)
				verr(v, val->arr.v[i]->line, "%s[%zu]: '%s' %s", path, i, val->arr.v[i]->str.s, why);
		}
		break;
	case K_SECRET:
		if (val->type != ZSYNC_TOML_STRING) {
			verr(v, val->line, "%s: expected a secret reference (env:VAR or file:PATH), found %s",
			     path, type_name(val));
		} else if (strncmp(val->str.s, "env:", 4) == 0) {
			if (!valid_env_name(val->str.s + 4))
				verr(v, val->line, "%s: 'env:' needs an environment variable name", path);
		} else if (strncmp(val->str.s, "file:", 5) == 0) {
			if (!val->str.s[5])
				verr(v, val->line, "%s: 'file:' needs a path", path);
		} else {
			/* never echo the value: it may be the secret itself */
			verr(v, val->line,
			     "%s: secrets are never literal in the config; use env:VAR or file:PATH", path);
		}
		break;
	case K_ARGV:
		if (!is_string_array(val) || val->arr.n == 0)
			verr(v, val->line, "%s: expected a command as a non-empty array of strings (argv, no shell)",
			     path);
		break;
	case K_ARGVLIST:
		if (val->type != ZSYNC_TOML_ARRAY) {
			verr(v, val->line, "%s: expected an array of commands, e.g. [[\"hooks/x\", \"--flag\"]]", path);
			break;
		}
		for (size_t i = 0; i < val->arr.n; i++) {
			char sub[512];
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			check_value(v, sub, key, val->arr.v[i], K_ARGV);
		}
		break;
	}
}

static const struct kspec common_provider_keys[] = { COMMON_PROVIDER_KEYS, { 0 } };

static const struct kspec *find_kspec(const struct kspec *spec, const char *key)
{
	for (; spec && spec->key; spec++)
		if (strcmp(spec->key, key) == 0)
			return spec;
	return NULL;
}

/* " (did you mean 'create_zones'?)" for an unknown key close to one of spec's (and schema's), else "" */
static const char *near_key(const char *key, const struct kspec *spec, const struct zsync_conf_key *schema,
			    char *buf, size_t len)
{
	const char *cands[128];
	size_t n = 0;

	for (; spec && spec->key && n < 128; spec++)
		cands[n++] = spec->key;
	for (; schema && schema->key && n < 128; schema++)
		cands[n++] = schema->key;
	const char *near = zsync_suggest(key, cands, n);
	if (!near)
		return "";
	snprintf(buf, len, " (did you mean '%s'?)", near);
	return buf;
}

/* Unknown keys and kinds; tables must be tables. */
static void check_table(struct vctx *v, const char *prefix, const struct zsync_toml *t,
			const struct kspec *spec)
{
	for (size_t i = 0; i < t->tab.n; i++) {
		const struct kspec *k = find_kspec(spec, t->tab.kv[i].key);
		char path[512];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", t->tab.kv[i].key);
		if (!k) {
			char hint[96];
			verr(v, t->tab.kv[i].val->line, "%s: unknown key%s", path,
			     near_key(t->tab.kv[i].key, spec, NULL, hint, sizeof(hint)));
			continue;
		}
		check_value(v, path, k->key, t->tab.kv[i].val, k->type);
	}
}

static enum ktype conf_ktype(enum zsync_conf_type t)
{
	switch (t) {
	case ZSYNC_CONF_BOOL: return K_BOOL;
	case ZSYNC_CONF_COUNT: return K_COUNT;
	case ZSYNC_CONF_POSITIVE: return K_POSITIVE;
	case ZSYNC_CONF_STRLIST: return K_STRLIST;
	case ZSYNC_CONF_HOSTLIST: return K_HOSTLIST;
	case ZSYNC_CONF_SECRET: return K_SECRET;
	case ZSYNC_CONF_ARGV: return K_ARGV;
	case ZSYNC_CONF_STR: break;
	}
	return K_STR;
}

const char *zsync_config_type_name(enum zsync_conf_type t)
{
	switch (t) {
	case ZSYNC_CONF_BOOL: return "true/false";
	case ZSYNC_CONF_COUNT: return "integer";
	case ZSYNC_CONF_POSITIVE: return "integer >= 1";
	case ZSYNC_CONF_STRLIST: return "array of strings";
	case ZSYNC_CONF_HOSTLIST: return "array of host names";
	case ZSYNC_CONF_SECRET: return "secret (env:VAR or file:PATH)";
	case ZSYNC_CONF_ARGV: return "command (array of strings)";
	case ZSYNC_CONF_STR: break;
	}
	return "string";
}

static const struct zsync_conf_key *find_conf_key(const struct zsync_conf_key *schema, const char *key)
{
	for (; schema && schema->key; schema++)
		if (strcmp(schema->key, key) == 0)
			return schema;
	return NULL;
}

/*
 * A provider's table: the common keys (zonesync's) first, then the provider type's own
 * schema; a schema may name a common key only to make it required (secondary's
 * nameservers).
 */
static void check_provider_table(struct vctx *v, const char *prefix, const struct zsync_toml *t,
				 const struct zsync_provider_type *pt)
{
	for (size_t i = 0; i < t->tab.n; i++) {
		const char *key = t->tab.kv[i].key;
		const struct kspec *k = find_kspec(common_provider_keys, key);
		const struct zsync_conf_key *ck = k ? NULL : find_conf_key(pt->keys, key);
		char path[512];
		snprintf(path, sizeof(path), "%s.%s", prefix, key);
		if (k)
			check_value(v, path, key, t->tab.kv[i].val, k->type);
		else if (ck)
			check_value(v, path, key, t->tab.kv[i].val, conf_ktype(ck->type));
		else {
			char hint[96];
			verr(v, t->tab.kv[i].val->line, "%s: unknown key%s", path,
			     near_key(key, common_provider_keys, pt->keys, hint, sizeof(hint)));
		}
	}
	for (const struct zsync_conf_key *ck = pt->keys; ck && ck->key; ck++) {
		if (!(ck->flags & ZSYNC_CONF_REQUIRED) || zsync_toml_get(t, ck->key) ||
		    (ck->or_key && zsync_toml_get(t, ck->or_key)))
			continue;
		verr(v, t->line, "%s: missing required key %s%s%s for type '%s'", prefix, ck->key,
		     ck->or_key ? "/" : "", ck->or_key ? ck->or_key : "", pt->name);
	}
}

/* "zonefile, rfc2136, ...": every registered type, for messages. */
static void known_types(char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; zsync_provider_types[i] && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "", zsync_provider_types[i]->name);
}

static const char *get_str(const struct zsync_toml *t, const char *key, const char *dflt)
{
	const struct zsync_toml *v = zsync_toml_get(t, key);
	return v && v->type == ZSYNC_TOML_STRING ? v->str.s : dflt;
}

static long get_int(const struct zsync_toml *t, const char *key, long dflt)
{
	const struct zsync_toml *v = zsync_toml_get(t, key);
	return v && v->type == ZSYNC_TOML_INTEGER ? (long)v->i : dflt;
}

static bool get_bool(const struct zsync_toml *t, const char *key, bool dflt)
{
	const struct zsync_toml *v = zsync_toml_get(t, key);
	return v && v->type == ZSYNC_TOML_BOOL ? v->b : dflt;
}

static void get_strlist(const struct zsync_toml *t, const char *key, struct zsync_strlist *out);

/* lint_disable: names of lint rules that can be silenced (docs/lint.md) */
static void get_lint_disable(struct vctx *v, const char *prefix, const struct zsync_toml *t,
			     struct zsync_strlist *out)
{
	const char *names[64];
	size_t n = 0;

	get_strlist(t, "lint_disable", out);
	for (const struct zsync_lint_rule *r = zsync_lint_rules; r->name && n < 64; r++)
		if (r->silenceable)
			names[n++] = r->name;
	for (size_t i = 0; i < out->n; i++) {
		const struct zsync_lint_rule *r = zsync_lint_rule_find(out->v[i]);
		const char *near = r ? NULL : zsync_suggest(out->v[i], names, n);
		if (!r)
			verr(v, zsync_toml_get(t, "lint_disable")->line, "%s.lint_disable: no lint rule '%s'%s%s%s (docs/lint.md)",
			     prefix, out->v[i], near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		else if (!r->silenceable)
			verr(v, zsync_toml_get(t, "lint_disable")->line,
			     "%s.lint_disable: '%s' cannot be disabled: the records it reports would be lost or broken",
			     prefix, out->v[i]);
	}
}

static void get_strlist(const struct zsync_toml *t, const char *key, struct zsync_strlist *out)
{
	const struct zsync_toml *v = zsync_toml_get(t, key);
	if (v && is_string_array(v))
		for (size_t i = 0; i < v->arr.n; i++)
			zsync_strlist_add(out, v->arr.v[i]->str.s);
}

/* apex_ns = "git" | "union" of a zone or [defaults]; dflt when not set */
static enum zsync_apex_ns get_apex_ns(struct vctx *v, const struct zsync_toml *t, const char *prefix,
				      enum zsync_apex_ns dflt)
{
	const char *s = get_str(t, "apex_ns", NULL);

	if (!s)
		return dflt;
	if (strcmp(s, "git") == 0)
		return ZSYNC_APEX_NS_GIT;
	if (strcmp(s, "union") == 0)
		return ZSYNC_APEX_NS_UNION;
	verr(v, zsync_toml_get(t, "apex_ns")->line, "%s.apex_ns: expected \"git\" or \"union\", not '%s'",
	     prefix, s);
	return dflt;
}

static void get_limits(const struct zsync_toml *t, struct zsync_limits *l)
{
	l->max_update_pct = get_int(t, "max_update_pct", -1);
	l->max_delete_pct = get_int(t, "max_delete_pct", -1);
	l->min_existing = get_int(t, "min_existing", -1);
	l->max_changes = get_int(t, "max_changes", -1);
}

static void get_argvs(const struct zsync_toml *t, const char *key, struct zsync_argvs *out)
{
	const struct zsync_toml *v = zsync_toml_get(t, key);
	if (!v || v->type != ZSYNC_TOML_ARRAY)
		return;
	out->v = zsync_xcalloc(v->arr.n ? v->arr.n : 1, sizeof(*out->v));
	for (size_t i = 0; i < v->arr.n; i++) {
		const struct zsync_toml *a = v->arr.v[i];
		if (!is_string_array(a) || a->arr.n == 0)
			continue;
		struct zsync_argv *av = &out->v[out->n++];
		av->argc = a->arr.n;
		av->argv = zsync_xcalloc(a->arr.n + 1, sizeof(char *));
		for (size_t j = 0; j < a->arr.n; j++)
			av->argv[j] = zsync_xstrdup(a->arr.v[j]->str.s);
	}
}

static void free_argvs(struct zsync_argvs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		for (size_t j = 0; j < a->v[i].argc; j++)
			free(a->v[i].argv[j]);
		free(a->v[i].argv);
	}
	free(a->v);
}

/* "requests/period": "300/min", "5/s", "1200/5min"; 0 for no limit. */
static int parse_rate(const char *s, double *per_sec)
{
	char *end;
	double n = strtod(s, &end), mult = 1, unit;
	if (end == s || n < 0 || *end != '/')
		return -1;
	s = end + 1;
	if (isdigit((unsigned char)*s)) {
		mult = strtod(s, &end);
		if (mult <= 0)
			return -1;
		s = end;
	}
	if (!strcmp(s, "s") || !strcmp(s, "sec") || !strcmp(s, "second"))
		unit = 1;
	else if (!strcmp(s, "min") || !strcmp(s, "minute"))
		unit = 60;
	else if (!strcmp(s, "h") || !strcmp(s, "hour"))
		unit = 3600;
	else
		return -1;
	*per_sec = n / (mult * unit);
	return 0;
}

char *zsync_config_zone_name(const char *name)
{
	size_t n = strlen(name);
	char *s = zsync_xmalloc(n + 2);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)name[i]);
	if (n == 0 || s[n - 1] != '.')
		s[n++] = '.';
	s[n] = '\0';
	return s;
}

static char *abs_path(const char *dir, const char *p)
{
	if (p[0] == '/')
		return zsync_xstrdup(p);
	if (strcmp(p, ".") == 0)
		return zsync_xstrdup(dir);
	return zsync_xasprintf("%s/%s", dir, p);
}

/*
 * Every variable an env: reference anywhere in the configuration names (only secret keys
 * take references: providers' and [serve]'s): hooks must never inherit them.
 */
static void collect_secret_env(const struct zsync_toml *t, struct zsync_strlist *out)
{
	if (!t)
		return;
	if (t->type == ZSYNC_TOML_STRING && strncmp(t->str.s, "env:", 4) == 0)
		zsync_strlist_add(out, t->str.s + 4);
	else if (t->type == ZSYNC_TOML_TABLE)
		for (size_t i = 0; i < t->tab.n; i++)
			collect_secret_env(t->tab.kv[i].val, out);
	else if (t->type == ZSYNC_TOML_ARRAY)
		for (size_t i = 0; i < t->arr.n; i++)
			collect_secret_env(t->arr.v[i], out);
}

/*
 * The default state database: outside the repository, so that `git add -A` never commits
 * it, one file per repository (its folder's name and a hash of its real path):
 * $XDG_STATE_HOME/zonesync/ when it is set (a unit's state directory), else
 * /var/lib/zonesync/ for root, else ~/.local/state/zonesync/.
 */
static char *default_state_path(const char *repo)
{
	char *real = realpath(repo, NULL), *base, *out;
	const char *r = real ? real : repo, *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	size_t n = strlen(r);

	while (n > 1 && r[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)r[i]) * 1099511628211ull;
	const char *slash = memrchr(r, '/', n);
	base = zsync_xasprintf("%.*s-%016llx.db", (int)(n - (slash ? (size_t)(slash + 1 - r) : 0)),
			       slash ? slash + 1 : r, (unsigned long long)h);
	if (xdg && xdg[0] == '/')
		out = zsync_xasprintf("%s/zonesync/%s", xdg, base);
	else if (geteuid() == 0)
		out = zsync_xasprintf("/var/lib/zonesync/%s", base);
	else
		out = zsync_xasprintf("%s/.local/state/zonesync/%s", home && *home ? home : "/tmp", base);
	free(base);
	free(real);
	return out;
}

const char *zsync_config_locate(const char *explicit_path, bool *explicit_choice)
{
	const char *env = getenv("ZONESYNC_CONFIG");
	*explicit_choice = true;
	if (explicit_path)
		return explicit_path;
	if (env && *env)
		return env;
	*explicit_choice = false;
	return "zonesync.toml";
}

static void load_provider(struct vctx *v, struct zsync_config *cfg, const char *name,
			  const struct zsync_toml *t)
{
	struct zsync_provider_conf *p = &cfg->providers[cfg->nproviders++];
	char prefix[300], known[512];
	const struct zsync_provider_type *pt;
	const char *type = get_str(t, "type", NULL);
	size_t nkeys = 0;

	snprintf(prefix, sizeof(prefix), "providers.%s", name);
	p->name = zsync_xstrdup(name);
	p->line = t->line;
	p->dir = cfg->dir;
	known_types(known, sizeof(known));
	if (!type) {
		verr(v, t->line, "%s.type: missing (one of %s)", prefix, known);
		p->type = zsync_xstrdup("");
		return;
	}
	p->type = zsync_xstrdup(type);
	pt = zsync_provider_find(type);
	if (!pt) {
		verr(v, zsync_toml_get(t, "type")->line, "%s.type: unknown provider type '%s' (known: %s)",
		     prefix, type, known);
		return;
	}
	check_provider_table(v, prefix, t, pt);
	p->schema = pt->keys;
	for (const struct zsync_conf_key *k = pt->keys; k && k->key; k++)
		nkeys++;
	p->values = zsync_xcalloc(nkeys + 1, sizeof(*p->values));
	for (size_t i = 0; i < nkeys; i++)
		p->values[i] = zsync_toml_get(t, pt->keys[i].key);
	get_strlist(t, "nameservers", &p->nameservers);
	get_strlist(t, "ignore", &p->ignore);
	if (zsync_toml_get(t, "generated")) {
		/* replaces the provider type's list: [] says the server generates nothing */
		struct zsync_strlist g = { 0 };
		size_t n = 0;
		get_strlist(t, "generated", &g);
		p->generated = zsync_xcalloc(g.n + 1, sizeof(*p->generated));
		for (size_t i = 0; i < g.n; i++)
			if (zsync_type_from_text(g.v[i], &p->generated[n]) == 0)
				n++;
			else
				verr(v, zsync_toml_get(t, "generated")->line,
				     "%s.generated: '%s' is not a record type (a mnemonic such as \"NSEC\" or TYPEnnn)",
				     prefix, g.v[i]);
		zsync_strlist_release(&g);
	}
	p->timeout = get_int(t, "timeout", 30);
	p->max_rrset_records = get_int(t, "max_rrset_records", 0);
	p->retries = get_int(t, "retries", 3);
	/* unset: as many zones at once as the run has workers ([defaults] jobs, -j) where the
	 * type can take it (reads; applies where its server takes them side by side) */
	bool unset = !zsync_toml_get(t, "concurrency");
	p->read_concurrency_auto = unset && (pt->caps & ZSYNC_CAP_CONCURRENT);
	p->concurrency_auto = p->read_concurrency_auto && (pt->caps & ZSYNC_CAP_APPLY_SIDE_BY_SIDE);
	p->concurrency = get_int(t, "concurrency", p->concurrency_auto ? cfg->defaults.jobs : 1);
	p->read_concurrency = p->read_concurrency_auto ? cfg->defaults.jobs : p->concurrency;
	if (p->concurrency > 1 && !(pt->caps & ZSYNC_CAP_CONCURRENT))
		verr(v, zsync_toml_get(t, "concurrency")->line,
		     "%s.concurrency: a '%s' provider works on one zone at a time (it keeps per-zone state "
		     "between reading a zone and applying to it): only 1",
		     prefix, type);
	p->manage_apex_ns = get_bool(t, "manage_apex_ns", true);
	p->create_zones = get_bool(t, "create_zones", false);
	get_limits(t, &p->limits);
	/* the deployment marker's name below the zone; "" turns it off */
	const char *m = get_str(t, "marker", "_zonesync");
	bool mok = m[strlen(m) ? strlen(m) - 1 : 0] != '.' && m[0] != '.' && !strstr(m, "..") && strlen(m) < 64;
	for (const char *c = m; *c && mok; c++)
		mok = isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.';
	if (!mok)
		verr(v, zsync_toml_get(t, "marker")->line,
		     "%s.marker: expected a name relative to the zone such as \"_zonesync\" (or \"\" for none), not '%s'",
		     prefix, m);
	p->marker = *m ? zsync_xstrdup(m) : NULL;
	for (char *c = p->marker; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *u = get_str(t, "unsupported", "error");
	if (!strcmp(u, "error"))
		p->unsupported = ZSYNC_UNSUPPORTED_ERROR;
	else if (!strcmp(u, "skip"))
		p->unsupported = ZSYNC_UNSUPPORTED_SKIP;
	else
		verr(v, zsync_toml_get(t, "unsupported")->line,
		     "%s.unsupported: expected \"error\" or \"skip\", not '%s'", prefix, u);
	/* hooks must never see what a secret reference names */
	p->hook_pass = &cfg->hooks.pass_env;
	p->hook_deny = &cfg->secret_env;
	const char *rate = get_str(t, "rate_limit", NULL);
	if (rate && parse_rate(rate, &p->rate_per_sec) < 0)
		verr(v, zsync_toml_get(t, "rate_limit")->line,
		     "%s.rate_limit: expected requests per period such as \"300/min\" or \"5/s\", not '%s'",
		     prefix, rate);
}

/* seen: zone name -> index + 1 of the zones loaded so far (a hosting config lists 50,000) */
static void load_zone(struct vctx *v, struct zsync_config *cfg, const struct zsync_toml *t,
		      size_t idx, struct zsync_strmap *seen)
{
	struct zsync_zone_conf *z = &cfg->zones[cfg->nzones];
	char prefix[64];
	const char *name;

	snprintf(prefix, sizeof(prefix), "zones[%zu]", idx);
	if (t->type != ZSYNC_TOML_TABLE) {
		verr(v, t->line, "%s: expected a table ([[zones]])", prefix);
		return;
	}
	check_table(v, prefix, t, zone_keys);
	name = get_str(t, "name", NULL);
	if (!name || !*name) {
		verr(v, t->line, "%s.name: missing", prefix);
		return;
	}
	z->name = zsync_config_zone_name(name);
	z->line = zsync_toml_get(t, "name")->line;
	uintptr_t dup = (uintptr_t)zsync_strmap_get(seen, z->name);
	if (dup)
		verr(v, z->line, "%s.name: zone '%s' is already configured (line %u)", prefix,
		     z->name, cfg->zones[dup - 1].line);
	else
		zsync_strmap_put(seen, z->name, (void *)(uintptr_t)(cfg->nzones + 1));
	const char *file = get_str(t, "file", NULL);
	if (file && (file[0] == '/' || strstr(file, "..")))
		verr(v, zsync_toml_get(t, "file")->line,
		     "%s.file: must be a path inside the zones folder, not '%s'", prefix, file);
	if (file)
		z->file = zsync_xasprintf("%s/%s", cfg->repo.zones_dir, file);
	else
		z->file = zsync_xasprintf("%s/%.*s.zone", cfg->repo.zones_dir,
					  (int)strlen(z->name) - 1, z->name);
	if (zsync_toml_get(t, "providers"))
		get_strlist(t, "providers", &z->providers);
	else
		for (size_t i = 0; i < cfg->defaults.providers.n; i++)
			zsync_strlist_add(&z->providers, cfg->defaults.providers.v[i]);
	if (z->providers.n == 0)
		verr(v, z->line, "%s.providers: zone '%s' has no providers (set providers here or [defaults] providers)",
		     prefix, z->name);
	for (size_t i = 0; i < z->providers.n; i++)
		if (!zsync_config_provider(cfg, z->providers.v[i]))
			verr(v, zsync_toml_get(t, "providers") ? zsync_toml_get(t, "providers")->line : z->line,
			     "%s.providers: provider '%s' is not defined ([providers.%s])", prefix,
			     z->providers.v[i], z->providers.v[i]);
	get_strlist(t, "ignore", &z->ignore);
	get_lint_disable(v, prefix, t, &z->lint_disable);
	get_limits(t, &z->limits);
	z->apex_ns = get_apex_ns(v, t, prefix, cfg->defaults.apex_ns);
	cfg->nzones++;
}

/* the configuration and secret files: far smaller than this */
#define CONFIG_FILE_MAX (16u << 20)

long zsync_config_duration(const char *s)
{
	char *end;
	long n, mult;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (!strcmp(end, "s") || (!*end && n == 0))
		mult = 1;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (!strcmp(end, "h"))
		mult = 3600;
	else if (!strcmp(end, "d"))
		mult = 86400;
	else
		return -1;
	if (n > LONG_MAX / mult / 1000)
		return -1;
	return n * mult;
}

static void load_serve(struct vctx *v, struct zsync_config *cfg, const struct zsync_toml *t)
{
	static const char *const every[] = { "reconcile_every", "verify_every" };
	static const char *const tls[] = { "tls_cert", "tls_key" };

	if (t)
		check_table(v, "serve", t, serve_keys);
	cfg->serve.listen = zsync_xstrdup(get_str(t, "listen", "127.0.0.1:8053"));
	cfg->serve.api_token = zsync_xstrdup(get_str(t, "api_token", ""));
	cfg->serve.github_secret = zsync_xstrdup(get_str(t, "github_secret", ""));
	cfg->serve.gitlab_token = zsync_xstrdup(get_str(t, "gitlab_token", ""));
	cfg->serve.generic_secret = zsync_xstrdup(get_str(t, "generic_secret", ""));
	cfg->serve.max_body = get_int(t, "max_body", 256 * 1024);
	cfg->serve.max_queue = get_int(t, "max_queue", 100);
	for (int i = 0; i < 2; i++) {
		const char *d = get_str(t, every[i], "0");
		long sec = zsync_config_duration(d);
		if (sec < 0)
			verr(v, zsync_toml_get(t, every[i])->line,
			     "serve.%s: '%s' is not a duration (a number with s, m, h or d: \"15m\"; \"0\" for never)",
			     every[i], d);
		*(i ? &cfg->serve.verify_every : &cfg->serve.reconcile_every) = sec > 0 ? sec : 0;
	}
	for (int i = 0; i < 2; i++) {
		const char *f = get_str(t, tls[i], NULL);
		if (f && strncmp(f, "file:", 5))
			verr(v, zsync_toml_get(t, tls[i])->line, "serve.%s: expected file:PATH", tls[i]);
		*(i ? &cfg->serve.tls_key : &cfg->serve.tls_cert) = f ? abs_path(cfg->dir, f + 5) : NULL;
	}
	if (!cfg->serve.tls_cert != !cfg->serve.tls_key)
		verr(v, t->line, "serve: tls_cert and tls_key go together");
	if (cfg->serve.max_body < 1024 && zsync_toml_get(t, "max_body"))
		verr(v, zsync_toml_get(t, "max_body")->line, "serve.max_body: at least 1024 bytes");
	if (cfg->serve.max_queue < 1 && zsync_toml_get(t, "max_queue"))
		verr(v, zsync_toml_get(t, "max_queue")->line, "serve.max_queue: at least 1");
}

struct zsync_config *zsync_config_load(const char *path, struct zsync_diags *diags,
				       struct zsync_err *err)
{
	size_t len;
	char *text = zsync_read_file(path, CONFIG_FILE_MAX, &len, err);
	struct zsync_config *cfg;

	if (!text)
		return NULL;
	cfg = zsync_config_parse(path, text, len, diags, err);
	free(text);
	return cfg;
}

char *zsync_config_read(const char *path, size_t *len, struct zsync_err *err)
{
	return zsync_read_file(path, CONFIG_FILE_MAX, len, err);
}

struct zsync_config *zsync_config_parse(const char *path, const char *text, size_t len,
					struct zsync_diags *diags, struct zsync_err *err)
{
	struct zsync_config *cfg = zsync_xcalloc(1, sizeof(*cfg));
	struct vctx v = { .file = path, .d = diags };
	const struct zsync_toml *t, *doc;
	char *slash, *real;

	cfg->path = zsync_xstrdup(path);
	real = realpath(path, NULL);
	cfg->dir = zsync_xstrdup(real ? real : path);
	free(real);
	slash = strrchr(cfg->dir, '/');
	if (slash)
		*(slash == cfg->dir ? slash + 1 : slash) = '\0';
	else
		strcpy(cfg->dir, ".");
	cfg->doc = zsync_toml_parse(text, len, err);
	if (!cfg->doc) {
		/* err is "LINE:COL: message" */
		unsigned line = 0, col = 0;
		int used = 0;
		if (sscanf(err->msg, "%u:%u: %n", &line, &col, &used) == 2 && used > 0)
			zsync_diags_add(diags, path, line, ZSYNC_SEV_ERROR, NULL,
					"TOML syntax: %s (column %u)", err->msg + used, col);
		else
			zsync_diags_add(diags, path, 0, ZSYNC_SEV_ERROR, NULL, "TOML syntax: %s", err->msg);
		zsync_err_set(err, ZSYNC_EINVAL, "%s: not valid TOML", path);
		zsync_config_free(cfg);
		return NULL;
	}
	doc = cfg->doc;
	for (size_t i = 0; i < doc->tab.n; i++) {
		const struct zsync_toml *val = doc->tab.kv[i].val;
		const char *k = doc->tab.kv[i].key;
		const struct kspec *s;
		for (s = top_keys; s->key && strcmp(s->key, k); s++)
			;
		if (!s->key)
			verr(&v, val->line, "%s: unknown key (sections: repo, state, defaults, providers, zones, hooks, serve, verify)", k);
		else if (strcmp(k, "zones") == 0 ? val->type != ZSYNC_TOML_ARRAY : val->type != ZSYNC_TOML_TABLE)
			verr(&v, val->line, "%s: expected %s", k,
			     strcmp(k, "zones") == 0 ? "[[zones]] entries" : "a table");
	}
	if (v.errors)
		goto out;

	t = zsync_toml_get(doc, "repo");
	if (t)
		check_table(&v, "repo", t, repo_keys);
	cfg->repo.path = abs_path(cfg->dir, get_str(t, "path", "."));
	cfg->repo.ref = zsync_xstrdup(get_str(t, "ref", "HEAD"));
	cfg->repo.zones_dir = zsync_xstrdup(get_str(t, "zones_dir", "zones"));
	cfg->repo.all_zones = get_bool(t, "all_zones", false);
	if (get_str(t, "remote", NULL))
		cfg->repo.remote = zsync_xstrdup(get_str(t, "remote", NULL));
	cfg->repo.branch = zsync_xstrdup(get_str(t, "branch", "main"));
	if (zsync_toml_get(t, "branch") && !cfg->repo.remote)
		verr(&v, zsync_toml_get(t, "branch")->line, "repo.branch: goes with repo.remote (the branch fetched from it)");
	if (cfg->repo.all_zones && !zsync_toml_get(zsync_toml_get(doc, "defaults"), "providers"))
		verr(&v, zsync_toml_get(t, "all_zones")->line,
		     "repo.all_zones: needs [defaults] providers (where to deploy the zones found)");
	cfg->repo.max_include_files = (uint64_t)get_int(t, "max_include_files", ZSYNC_INCLUDE_MAX_FILES);
	cfg->repo.max_include_bytes = (uint64_t)get_int(t, "max_include_bytes", (long)ZSYNC_INCLUDE_MAX_BYTES);
	if (get_int(t, "max_include_files", 1) > ZSYNC_INCLUDE_MAX_FILES_LIMIT)
		verr(&v, zsync_toml_get(t, "max_include_files")->line,
		     "repo.max_include_files: at most %d", ZSYNC_INCLUDE_MAX_FILES_LIMIT);
	if (cfg->repo.zones_dir[0] == '/' || strstr(cfg->repo.zones_dir, ".."))
		verr(&v, zsync_toml_get(t, "zones_dir")->line,
		     "repo.zones_dir: must be a folder inside the repository");

	collect_secret_env(doc, &cfg->secret_env);
	t = zsync_toml_get(doc, "state");
	if (t)
		check_table(&v, "state", t, state_keys);
	if (get_str(t, "path", NULL))
		cfg->state.path = abs_path(cfg->dir, get_str(t, "path", NULL));
	else
		cfg->state.path = default_state_path(cfg->repo.path);
	/* history is bounded by default: the journal of a 1M-record apply is 1M rows */
	cfg->state.keep_runs = get_int(t, "keep_runs", 1000);
	cfg->state.keep_days = get_int(t, "keep_days", 90);

	t = zsync_toml_get(doc, "defaults");
	if (t)
		check_table(&v, "defaults", t, defaults_keys);
	get_limits(t, &cfg->defaults.limits);
	if (cfg->defaults.limits.max_update_pct < 0)
		cfg->defaults.limits.max_update_pct = 30;
	if (cfg->defaults.limits.max_delete_pct < 0)
		cfg->defaults.limits.max_delete_pct = 30;
	if (cfg->defaults.limits.min_existing < 0)
		cfg->defaults.limits.min_existing = 10;
	if (cfg->defaults.limits.max_changes < 0)
		cfg->defaults.limits.max_changes = 1000;
	get_strlist(t, "providers", &cfg->defaults.providers);
	get_lint_disable(&v, "defaults", t, &cfg->defaults.lint_disable);
	cfg->defaults.jobs = get_int(t, "jobs", 4);
	if (cfg->defaults.jobs < 1 && zsync_toml_get(t, "jobs"))
		verr(&v, zsync_toml_get(t, "jobs")->line, "defaults.jobs: must be at least 1");
	cfg->defaults.apex_ns = get_apex_ns(&v, t, "defaults", ZSYNC_APEX_NS_GIT);

	t = zsync_toml_get(doc, "providers");
	if (t) {
		cfg->providers = zsync_xcalloc(t->tab.n ? t->tab.n : 1, sizeof(*cfg->providers));
		for (size_t i = 0; i < t->tab.n; i++) {
			const struct zsync_toml *p = t->tab.kv[i].val;
			if (p->type != ZSYNC_TOML_TABLE) {
				verr(&v, p->line, "providers.%s: expected a table ([providers.%s])",
				     t->tab.kv[i].key, t->tab.kv[i].key);
				continue;
			}
			load_provider(&v, cfg, t->tab.kv[i].key, p);
		}
	}
	for (size_t i = 0; i < cfg->defaults.providers.n; i++)
		if (!zsync_config_provider(cfg, cfg->defaults.providers.v[i]))
			verr(&v, zsync_toml_get(zsync_toml_get(doc, "defaults"), "providers")->line,
			     "defaults.providers: provider '%s' is not defined", cfg->defaults.providers.v[i]);

	t = zsync_toml_get(doc, "zones");
	if (t) {
		struct zsync_strmap seen = { 0 };
		cfg->zones_alloc = t->arr.n ? t->arr.n : 1;
		cfg->zones = zsync_xcalloc(cfg->zones_alloc, sizeof(*cfg->zones));
		for (size_t i = 0; i < t->arr.n; i++)
			load_zone(&v, cfg, t->arr.v[i], i, &seen);
		zsync_strmap_release(&seen);
	}

	t = zsync_toml_get(doc, "hooks");
	if (t) {
		check_table(&v, "hooks", t, hook_keys);
		get_argvs(t, "pre_apply", &cfg->hooks.pre_apply);
		get_argvs(t, "post_apply", &cfg->hooks.post_apply);
		get_argvs(t, "on_failure", &cfg->hooks.on_failure);
		get_strlist(t, "pass_env", &cfg->hooks.pass_env);
	}
	t = zsync_toml_get(doc, "serve");
	load_serve(&v, cfg, t);
	t = zsync_toml_get(doc, "verify");
	if (t)
		check_table(&v, "verify", t, verify_keys);
	cfg->verify.root_hints = abs_path(cfg->dir, get_str(t, "root_hints", "/usr/share/dns/root.hints"));
	cfg->verify.port = get_int(t, "port", 53);
	if (cfg->verify.port > 65535)
		verr(&v, zsync_toml_get(t, "port")->line, "verify.port: %ld is not a port", cfg->verify.port);
out:
	if (v.errors) {
		zsync_config_free(cfg);
		zsync_err_set(err, ZSYNC_EINVAL, "%s: %zu error%s in the configuration", path,
			      v.errors, v.errors == 1 ? "" : "s");
		return NULL;
	}
	return cfg;
}

void zsync_config_free(struct zsync_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nproviders; i++) {
		struct zsync_provider_conf *p = &cfg->providers[i];
		free(p->name);
		free(p->type);
		free(p->values);
		zsync_strlist_release(&p->nameservers);
		zsync_strlist_release(&p->ignore);
		free(p->generated);
		free(p->marker);
	}
	free(cfg->providers);
	for (size_t i = 0; i < cfg->nzones; i++) {
		struct zsync_zone_conf *z = &cfg->zones[i];
		free(z->name);
		free(z->file);
		zsync_strlist_release(&z->providers);
		zsync_strlist_release(&z->ignore);
		zsync_strlist_release(&z->lint_disable);
	}
	free(cfg->zones);
	free_argvs(&cfg->hooks.pre_apply);
	free_argvs(&cfg->hooks.post_apply);
	free_argvs(&cfg->hooks.on_failure);
	zsync_strlist_release(&cfg->hooks.pass_env);
	zsync_strlist_release(&cfg->secret_env);
	zsync_strlist_release(&cfg->defaults.providers);
	zsync_strlist_release(&cfg->defaults.lint_disable);
	free(cfg->repo.path);
	free(cfg->repo.ref);
	free(cfg->repo.remote);
	free(cfg->repo.branch);
	free(cfg->repo.zones_dir);
	free(cfg->state.path);
	free(cfg->serve.listen);
	free(cfg->verify.root_hints);
	free(cfg->serve.api_token);
	free(cfg->serve.github_secret);
	free(cfg->serve.gitlab_token);
	free(cfg->serve.generic_secret);
	free(cfg->serve.tls_cert);
	free(cfg->serve.tls_key);
	zsync_toml_free(cfg->doc);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}

const struct zsync_provider_conf *zsync_config_provider(const struct zsync_config *cfg,
							const char *name)
{
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			return &cfg->providers[i];
	return NULL;
}

const struct zsync_zone_conf *zsync_config_zone(const struct zsync_config *cfg, const char *name)
{
	char *n = zsync_config_zone_name(name);
	const struct zsync_zone_conf *z = NULL;
	for (size_t i = 0; i < cfg->nzones && !z; i++)
		if (strcmp(cfg->zones[i].name, n) == 0)
			z = &cfg->zones[i];
	free(n);
	return z;
}

const struct zsync_zone_conf *zsync_config_add_found_zone(struct zsync_config *cfg,
							  const char *name, const char *file)
{
	struct zsync_zone_conf *z;

	if (cfg->nzones == cfg->zones_alloc) {
		cfg->zones_alloc = cfg->zones_alloc * 2 + 16;
		cfg->zones = zsync_xrealloc(cfg->zones, cfg->zones_alloc * sizeof(*cfg->zones));
	}
	z = &cfg->zones[cfg->nzones++];
	memset(z, 0, sizeof(*z));
	z->name = zsync_config_zone_name(name);
	z->file = zsync_xstrdup(file);
	for (size_t i = 0; i < cfg->defaults.providers.n; i++)
		zsync_strlist_add(&z->providers, cfg->defaults.providers.v[i]);
	z->limits = (struct zsync_limits){ -1, -1, -1, -1 };
	z->apex_ns = cfg->defaults.apex_ns;
	return z;
}

void zsync_config_match_files(struct zsync_config *cfg, const struct zsync_strlist *files,
			      const char *where, struct zsync_diags *diags)
{
	size_t configured = cfg->nzones;
	/* hash sets, not nested loops: 50,000 zones against 50,000 files */
	struct zsync_strmap present = { 0 }, known = { 0 }, names = { 0 };

	for (size_t j = 0; j < files->n; j++)
		zsync_strmap_put(&present, files->v[j], files->v[j]);
	for (size_t i = 0; i < configured; i++) {
		zsync_strmap_put(&known, cfg->zones[i].file, &cfg->zones[i]);
		zsync_strmap_put(&names, cfg->zones[i].name, cfg->zones[i].name);
		if (!zsync_strmap_get(&present, cfg->zones[i].file))
			zsync_diags_add(diags, cfg->path, cfg->zones[i].line, ZSYNC_SEV_ERROR, NULL,
					"zone '%s': file %s not found in %s", cfg->zones[i].name,
					cfg->zones[i].file, where);
	}
	for (size_t j = 0; j < files->n; j++) {
		const char *base = strrchr(files->v[j], '/');
		base = base ? base + 1 : files->v[j];
		if (zsync_strmap_get(&known, files->v[j]))
			continue;
		char *name = zsync_xasprintf("%.*s", (int)(strlen(base) - 5), base);
		if (cfg->repo.all_zones) {
			char *canon = zsync_config_zone_name(name);
			if (zsync_strmap_get(&names, canon)) {
				zsync_diags_add(diags, files->v[j], 0, ZSYNC_SEV_ERROR, NULL,
						"zone '%s' also comes from another file", name);
			} else {
				/* the zone's own copy of the name outlives this map */
				const struct zsync_zone_conf *z = zsync_config_add_found_zone(cfg, name, files->v[j]);
				zsync_strmap_put(&names, z->name, z->name);
			}
			free(canon);
		} else {
			zsync_diags_add(diags, files->v[j], 0, ZSYNC_SEV_WARNING, "not-deployed",
					"no [[zones]] entry in %s: this zone is not deployed (add one, or set [repo] all_zones = true)",
					cfg->path);
		}
		free(name);
	}
	zsync_strmap_release(&present);
	zsync_strmap_release(&known);
	zsync_strmap_release(&names);
}

struct zsync_limits zsync_config_limits(const struct zsync_config *cfg,
					const struct zsync_provider_conf *p,
					const struct zsync_zone_conf *z)
{
	struct zsync_limits l = cfg->defaults.limits;
#define PICK(f)                                   \
	do {                                      \
		if (p && p->limits.f >= 0)        \
			l.f = p->limits.f;        \
		if (z && z->limits.f >= 0)        \
			l.f = z->limits.f;        \
	} while (0)
	PICK(max_update_pct);
	PICK(max_delete_pct);
	PICK(min_existing);
	PICK(max_changes);
#undef PICK
	return l;
}

int zsync_config_secret(const struct zsync_config *cfg, const char *what, const char *ref,
			char **out, struct zsync_err *err)
{
	*out = NULL;
	if (!ref)
		return zsync_err_set(err, ZSYNC_EINVAL, "%s: not set", what);
	if (strncmp(ref, "env:", 4) == 0) {
		const char *val = getenv(ref + 4);
		if (!val || !*val)
			return zsync_err_set(err, ZSYNC_ENOTFOUND,
					     "%s: environment variable %s is not set%s", what, ref + 4, val ? " (it is empty)" : "");
		/* a line break would end an HTTP header and start another one */
		if (strpbrk(val, "\r\n"))
			return zsync_err_set(err, ZSYNC_EINVAL,
					     "%s: environment variable %s holds a CR or LF: refused", what, ref + 4);
		*out = zsync_xstrdup(val);
		return 0;
	}
	if (strncmp(ref, "file:", 5) == 0) {
		char *path = abs_path(cfg ? cfg->dir : ".", ref + 5);
		struct zsync_err ferr = { 0 };
		size_t len;
		char *buf = zsync_read_file(path, CONFIG_FILE_MAX, &len, &ferr);
		if (!buf) {
			/* the path is not secret, nor why it cannot be read; the content is */
			size_t pl = strlen(path);
			const char *why = strncmp(ferr.msg, path, pl) == 0 && ferr.msg[pl] == ':'
						  ? ferr.msg + pl + 2 : "unreadable";
			int code = zsync_err_set(err, ferr.code ? ferr.code : ZSYNC_EIO,
						 "%s: cannot read secret file %s: %s", what, path,
						 ferr.code == ZSYNC_ENOTFOUND ? "no such file" : why);
			free(path);
			return code;
		}
		free(path);
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		buf = zsync_xrealloc(buf, len + 1);
		buf[len] = '\0';
		if (strlen(buf) != len || len == 0 || strpbrk(buf, "\r\n")) {
			int code = zsync_err_set(err, ZSYNC_EINVAL, "%s: secret file %s %s: refused", what, ref + 5,
						 len == 0 ? "is empty" : "holds a CR, LF or NUL inside the value");
			memset(buf, 0, len);
			free(buf);
			return code;
		}
		*out = buf;
		return 0;
	}
	return zsync_err_set(err, ZSYNC_EINVAL, "%s: not a secret reference (env:VAR or file:PATH)",
			     what);
}

int zsync_config_check_secrets(const struct zsync_provider_conf *p, struct zsync_err *err)
{
	for (const struct zsync_conf_key *k = p->schema; k && k->key; k++) {
		char *val = NULL;
		if (k->type != ZSYNC_CONF_SECRET || !zsync_config_get_str(p, k->key))
			continue;
		if (zsync_config_get_secret(p, k->key, &val, err) < 0) {
			zsync_err_prefix(err, "provider '%s'", p->name);
			return err->code ? err->code : ZSYNC_EINVAL;
		}
		zsync_config_secret_free(val);
	}
	return 0;
}

bool zsync_config_selected(const struct zsync_strlist *l, const char *s, bool zone_name)
{
	if (!l || l->n == 0)
		return true;
	for (size_t i = 0; i < l->n; i++) {
		char *n = zone_name ? zsync_config_zone_name(l->v[i]) : NULL;
		bool eq = strcmp(n ? n : l->v[i], s) == 0;
		free(n);
		if (eq)
			return true;
	}
	return false;
}

/* The schema entry and the value of a provider's own key; aborts for a key not declared. */
static const struct zsync_toml *conf_value(const struct zsync_provider_conf *p, const char *key,
					   const struct zsync_conf_key **k)
{
	for (size_t i = 0; p->schema && p->schema[i].key; i++) {
		if (strcmp(p->schema[i].key, key) == 0) {
			*k = &p->schema[i];
			return p->values ? p->values[i] : NULL;
		}
	}
	fprintf(stderr, "zonesync: provider type '%s' reads key '%s' that its descriptor does not declare\n",
		p->type, key);
	abort();
}

bool zsync_config_declares(const struct zsync_provider_conf *p, const char *key)
{
	return find_conf_key(p->schema, key) != NULL;
}

bool zsync_config_has(const struct zsync_provider_conf *p, const char *key)
{
	const struct zsync_conf_key *k;
	return conf_value(p, key, &k) != NULL;
}

const char *zsync_config_get_str(const struct zsync_provider_conf *p, const char *key)
{
	const struct zsync_conf_key *k;
	const struct zsync_toml *v = conf_value(p, key, &k);
	return v && v->type == ZSYNC_TOML_STRING ? v->str.s : k->dflt;
}

long zsync_config_get_count(const struct zsync_provider_conf *p, const char *key)
{
	const struct zsync_conf_key *k;
	const struct zsync_toml *v = conf_value(p, key, &k);
	if (v && v->type == ZSYNC_TOML_INTEGER)
		return (long)v->i;
	return k->dflt ? strtol(k->dflt, NULL, 10) : 0;
}

bool zsync_config_get_bool(const struct zsync_provider_conf *p, const char *key)
{
	const struct zsync_conf_key *k;
	const struct zsync_toml *v = conf_value(p, key, &k);
	if (v && v->type == ZSYNC_TOML_BOOL)
		return v->b;
	return k->dflt && strcmp(k->dflt, "true") == 0;
}

void zsync_config_get_strlist(const struct zsync_provider_conf *p, const char *key,
			      struct zsync_strlist *out)
{
	const struct zsync_conf_key *k;
	const struct zsync_toml *v = conf_value(p, key, &k);
	if (v && is_string_array(v))
		for (size_t i = 0; i < v->arr.n; i++)
			zsync_strlist_add(out, v->arr.v[i]->str.s);
}

char **zsync_config_get_argv(const struct zsync_provider_conf *p, const char *key)
{
	const struct zsync_conf_key *k;
	const struct zsync_toml *v = conf_value(p, key, &k);
	char **argv;
	if (!v || !is_string_array(v) || v->arr.n == 0)
		return NULL;
	argv = zsync_xcalloc(v->arr.n + 1, sizeof(char *));
	for (size_t i = 0; i < v->arr.n; i++)
		argv[i] = zsync_xstrdup(v->arr.v[i]->str.s);
	return argv;
}

char *zsync_config_get_path(const struct zsync_provider_conf *p, const char *key)
{
	const char *s = zsync_config_get_str(p, key);
	return s ? abs_path(p->dir ? p->dir : ".", s) : NULL;
}

int zsync_config_get_secret(const struct zsync_provider_conf *p, const char *key, char **out,
			    struct zsync_err *err)
{
	struct zsync_config dir = { .dir = (char *)(p->dir ? p->dir : ".") };
	return zsync_config_secret(&dir, key, zsync_config_get_str(p, key), out, err);
}

void zsync_config_secret_free(char *secret)
{
	if (!secret)
		return;
	memset(secret, 0, strlen(secret));
	free(secret);
}

unsigned zsync_shard_of(const char *zone_name, unsigned n)
{
	/* jump consistent hash: walk the bucket sequence of this key, keep the last below n */
	uint64_t key = zsync_str_hash(zone_name);
	int64_t b = -1, j = 0;

	while (j < (int64_t)n) {
		b = j;
		key = key * 2862933555777941757ULL + 1;
		j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
	}
	return (unsigned)b;
}

int zsync_config_set_shard(struct zsync_config *cfg, const char *spec, struct zsync_err *err)
{
	const char *whole = spec;
	unsigned long i, n;
	char *end;

	errno = 0;
	i = strtoul(spec, &end, 10);
	if (end == spec || *end != '/' || !isdigit((unsigned char)spec[0]))
		goto bad;
	spec = end + 1;
	n = strtoul(spec, &end, 10);
	if (end == spec || *end || !isdigit((unsigned char)spec[0]) || errno || n < 1 || n > 65536 || i < 1 || i > n)
		goto bad;
	cfg->shard = (unsigned)i - 1;
	cfg->shards = (unsigned)n;
	return 0;
bad:
	return zsync_err_set(err, ZSYNC_EINVAL, "--shard: expected I/N with 1 <= I <= N <= 65536 (such as 2/4), not '%s'",
			     whole);
}

bool zsync_config_zone_selected(const struct zsync_config *cfg, const struct zsync_strlist *l,
				const char *zone_name)
{
	if (!zsync_config_selected(l, zone_name, true))
		return false;
	return cfg->shards <= 1 || zsync_shard_of(zone_name, cfg->shards) == cfg->shard;
}

int zsync_config_run_options(struct zsync_config *cfg, const char *shard, long jobs,
			     struct zsync_err *err)
{
	if (jobs < 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "-j: must be at least 1");
	if (jobs > 0) {
		cfg->jobs = jobs;
		cfg->defaults.jobs = jobs; /* what plan, fetch and apply use */
		for (size_t i = 0; i < cfg->nproviders; i++) {
			/* -j 1: one zone at a time there too */
			if (cfg->providers[i].concurrency_auto)
				cfg->providers[i].concurrency = jobs;
			if (cfg->providers[i].read_concurrency_auto)
				cfg->providers[i].read_concurrency = jobs;
		}
	}
	return shard ? zsync_config_set_shard(cfg, shard, err) : 0;
}
