/* config.h - zonesync.toml: schema, validation with file:line errors, secret references */
#ifndef ZSYNC_CONFIG_H
#define ZSYNC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "toml.h"

/* Safety limits; -1 means "not set here, inherit". */
struct zsync_limits {
	long max_update_pct;
	long max_delete_pct;
	long min_existing;
	long max_changes;
};

/* An argv list from the config (no shell): NULL-terminated. */
struct zsync_argv {
	char **argv;
	size_t argc;
};

struct zsync_argvs {
	struct zsync_argv *v;
	size_t n;
};

/*
 * Whose apex NS a zone serves: git's as written ("git"), or the union of every provider's
 * assigned nameservers and the names git lists ("union"), pushed where apex NS is editable.
 */
enum zsync_apex_ns { ZSYNC_APEX_NS_GIT, ZSYNC_APEX_NS_UNION };

enum zsync_unsupported { ZSYNC_UNSUPPORTED_ERROR, ZSYNC_UNSUPPORTED_SKIP };

/* The kinds of value a configuration key holds. */
enum zsync_conf_type {
	ZSYNC_CONF_STR = 1,
	ZSYNC_CONF_BOOL,
	ZSYNC_CONF_COUNT,   /* integer >= 0 */
	ZSYNC_CONF_POSITIVE, /* integer >= 1 */
	ZSYNC_CONF_STRLIST, /* array of strings */
	ZSYNC_CONF_SECRET,  /* "env:VAR" or "file:PATH", never the value itself */
	ZSYNC_CONF_ARGV,    /* a command: non-empty array of strings, no shell */
	ZSYNC_CONF_HOSTLIST, /* array of host names ("ns1.example.net."), checked when the config loads */
};

enum zsync_conf_flags {
	ZSYNC_CONF_REQUIRED = 1 << 0, /* the key (or its or_key) must be set */
};

/*
 * One key of a provider's configuration schema (its descriptor's `keys`, ended by an
 * entry with key NULL). config.c validates [providers.NAME] from it, `zonesync help
 * provider TYPE` and docs/providers.md show it.
 */
struct zsync_conf_key {
	const char *key;
	enum zsync_conf_type type;
	unsigned flags;      /* enum zsync_conf_flags */
	const char *or_key;  /* with ZSYNC_CONF_REQUIRED: setting this other key is enough */
	const char *dflt;    /* the default as the docs show it ("30", "true"); NULL: none */
	const char *doc;     /* one line */
};

struct zsync_provider_conf {
	char *name;                      /* the NAME of [providers.NAME] */
	char *type;
	unsigned line;
	const char *dir;                 /* the config file's directory (relative paths start there) */
	const struct zsync_conf_key *schema;   /* the provider type's own keys */
	const struct zsync_toml **values;      /* parallel to schema: NULL when not set */
	struct zsync_strlist nameservers;
	struct zsync_strlist ignore;     /* owner globs ("_acme-challenge.*") and type names */
	uint16_t *generated;             /* `generated`: types the server makes itself, 0-terminated; NULL: the type's list */
	enum zsync_unsupported unsupported;
	double rate_per_sec;             /* 0: no limit */
	long timeout;                    /* seconds */
	long retries;
	long concurrency;                /* zones applied at once (>1 only with ZSYNC_CAP_CONCURRENT) */
	long read_concurrency;           /* zones read at once: `concurrency` if set, else jobs where the type can */
	bool concurrency_auto;           /* concurrency follows jobs (-j): no key, ZSYNC_CAP_APPLY_SIDE_BY_SIDE */
	bool read_concurrency_auto;      /* read_concurrency follows jobs: no key, ZSYNC_CAP_CONCURRENT */
	long max_rrset_records;          /* the most records the provider takes in one RRset; 0: no limit of its own */
	bool manage_apex_ns;
	bool create_zones;
	char *marker;                    /* deployment marker name below the zone ("_zonesync"); NULL: none */
	struct zsync_limits limits;
	/* what its commands (zonefile reload/check) may inherit: the config's [hooks] pass_env,
	 * and never the variables its secret references name (struct zsync_hook_env) */
	const struct zsync_strlist *hook_pass, *hook_deny;
};

struct zsync_zone_conf {
	char *name;                      /* lower case, with the trailing dot */
	char *file;                      /* repository-relative path */
	unsigned line;                   /* 0 for zones found by all_zones */
	struct zsync_strlist providers;
	struct zsync_strlist ignore;
	struct zsync_strlist lint_disable; /* lint rules off for this zone (docs/lint.md) */
	struct zsync_limits limits;
	enum zsync_apex_ns apex_ns;
};

struct zsync_config {
	/* --shard I/N of this run (not from the file): shards == 0 means every zone */
	unsigned shard, shards;          /* shard is 0-based here */
	long jobs;                       /* -j of this run (every phase); 0: not given */
	char *path;                      /* the file read */
	char *dir;                       /* its directory: relative paths start there */
	struct {
		char *path;              /* absolute */
		char *ref;
		char *zones_dir;
		bool all_zones;
		uint64_t max_include_files; /* a zone's $INCLUDE budget, the zone file counted */
		uint64_t max_include_bytes;
		char *remote;            /* fetched before reconcile / apply --fetch; NULL: none */
		char *branch;            /* the remote's branch to deploy ("main") */
	} repo;
	struct {
		char *path;              /* absolute */
		long keep_runs;          /* history retention; 0: no limit */
		long keep_days;
	} state;
	struct {
		struct zsync_limits limits;  /* always fully set */
		struct zsync_strlist providers;
		long jobs;
		struct zsync_strlist lint_disable; /* lint rules off for every zone */
		enum zsync_apex_ns apex_ns;
	} defaults;
	struct zsync_provider_conf *providers;
	size_t nproviders;
	struct zsync_zone_conf *zones;
	size_t nzones, zones_alloc;
	struct {
		struct zsync_argvs pre_apply, post_apply, on_failure;
		struct zsync_strlist pass_env; /* variables hooks get beyond the allow-list */
	} hooks;
	struct {                         /* zonesync serve */
		char *listen;            /* "ADDR:PORT" */
		char *api_token;         /* secret references; "" when unset */
		char *github_secret, *gitlab_token, *generic_secret;
		char *tls_cert, *tls_key; /* absolute paths, NULL without TLS */
		long reconcile_every, verify_every; /* seconds; 0: never */
		long max_body, max_queue;
	} serve;
	struct {                         /* verify --delegation without --parent */
		char *root_hints;        /* absolute; default /usr/share/dns/root.hints (dns-root-data) */
		long port;               /* the port servers found by resolution are asked on (53) */
	} verify;
	struct zsync_strlist secret_env;         /* variables named by env: secret references */
	struct zsync_toml *doc;
};

/*
 * The config file to use: explicit (-c), else $ZONESYNC_CONFIG, else ./zonesync.toml.
 * Sets *explicit_choice when the user named it (a missing file is then an error).
 */
const char *zsync_config_locate(const char *explicit_path, bool *explicit_choice);

/*
 * Reads and validates a config. Every problem is added to diags as
 * `file:line: error: KEY.PATH: message`; returns NULL when there was any error
 * (or the file cannot be read: err). Secret references are checked for syntax only.
 */
struct zsync_config *zsync_config_load(const char *path, struct zsync_diags *diags,
				       struct zsync_err *err);
void zsync_config_free(struct zsync_config *cfg);

/* The same from text already read (zonesync serve keeps the last good one); path names it. */
struct zsync_config *zsync_config_parse(const char *path, const char *text, size_t len,
					struct zsync_diags *diags, struct zsync_err *err);
/* Reads a configuration file whole (with the size limit of zsync_config_load). */
char *zsync_config_read(const char *path, size_t *len, struct zsync_err *err);

/* "90s", "15m", "2h", "1d" or "0" in seconds; -1 when it is not a duration. */
long zsync_config_duration(const char *s);

/* Lookups; NULL when absent. Zone names with or without the trailing dot, any case. */
const struct zsync_provider_conf *zsync_config_provider(const struct zsync_config *cfg,
							const char *name);
const struct zsync_zone_conf *zsync_config_zone(const struct zsync_config *cfg, const char *name);
/* Whether s is in the --zone/--provider list l (an empty list selects everything); zone
 * names in l are compared in canonical form (trailing dot, lower case). */
bool zsync_config_selected(const struct zsync_strlist *l, const char *s, bool zone_name);

/*
 * Adds a zone found in the zones folder when [repo] all_zones is set (deployed to
 * [defaults] providers). Returns the entry.
 */
const struct zsync_zone_conf *zsync_config_add_found_zone(struct zsync_config *cfg,
							  const char *name, const char *file);

/*
 * Matches the configured zones with the zone files of a tree (files: repository-relative
 * paths of every *.zone under zones_dir). With [repo] all_zones, files without an entry
 * are added (zone name from the file name); without it they get a warning (not deployed).
 * A configured zone whose file is missing is an error at its config line.
 */
void zsync_config_match_files(struct zsync_config *cfg, const struct zsync_strlist *files,
			      const char *where, struct zsync_diags *diags);

/* Effective limit for zone z at provider p (zone overrides provider overrides defaults). */
struct zsync_limits zsync_config_limits(const struct zsync_config *cfg,
					const struct zsync_provider_conf *p,
					const struct zsync_zone_conf *z);

/*
 * Resolves a secret reference ("env:VAR" or "file:PATH") into a malloc'ed string.
 * what names the key for messages ("provider 'pdns': api_key"); the value never
 * appears in err.
 */
int zsync_config_secret(const struct zsync_config *cfg, const char *what, const char *ref,
			char **out, struct zsync_err *err);

/*
 * Typed access to a provider's own keys (those of its schema; asking for another key is a
 * programming error and aborts). A key not set gives the schema's default.
 */
bool zsync_config_has(const struct zsync_provider_conf *p, const char *key);
/* Whether the provider's schema declares key at all (asking never aborts). */
bool zsync_config_declares(const struct zsync_provider_conf *p, const char *key);
/* NULL when neither set nor defaulted. */
const char *zsync_config_get_str(const struct zsync_provider_conf *p, const char *key);
/* 0 when neither set nor defaulted. */
long zsync_config_get_count(const struct zsync_provider_conf *p, const char *key);
bool zsync_config_get_bool(const struct zsync_provider_conf *p, const char *key);
/* Appends a string-list key's values to out. */
void zsync_config_get_strlist(const struct zsync_provider_conf *p, const char *key,
			      struct zsync_strlist *out);
/* A command key as a NULL-terminated argv (free with zsync_hook_argv_free); NULL when unset. */
char **zsync_config_get_argv(const struct zsync_provider_conf *p, const char *key);
/* A path key made absolute against the config's directory; malloc'ed, NULL when unset. */
char *zsync_config_get_path(const struct zsync_provider_conf *p, const char *key);
/*
 * Resolves a secret key (env:/file:) into *out (malloc'ed; wipe and free it with
 * zsync_config_secret_free). An unset key without default is ZSYNC_EINVAL "KEY: not set";
 * the value never appears in err.
 */
int zsync_config_get_secret(const struct zsync_provider_conf *p, const char *key, char **out,
			    struct zsync_err *err);
/* Wipes and frees a secret; accepts NULL. */
void zsync_config_secret_free(char *secret);
/* "string", "true/false", "integer", "array of strings", "secret (env:/file:)", "command". */
const char *zsync_config_type_name(enum zsync_conf_type t);

/*
 * Resolves (and forgets) every secret key of provider p: a missing, unreadable or
 * malformed secret (CR, LF, NUL) is a configuration error, found before any provider is
 * contacted. err names the provider and key, never the value.
 */
int zsync_config_check_secrets(const struct zsync_provider_conf *p, struct zsync_err *err);

/* Normalises a zone name: lower case, trailing dot. malloc'ed. */
char *zsync_config_zone_name(const char *name);

/*
 * --shard I/N: a stable partition of the zones by name, so that N hosts or CI jobs split
 * the work without talking to each other. The shard of a zone is the jump consistent
 * hash (Lamping and Veach) of the 64-bit FNV-1a hash of its name (lower case, trailing
 * dot) into N buckets: the same on every machine, build and run; adding or removing
 * zones never moves another zone; going from N to N + 1 shards moves about 1/(N + 1) of
 * them. Returns 0..n-1.
 */
unsigned zsync_shard_of(const char *zone_name, unsigned n);
/* Parses "I/N" (1 <= I <= N <= 65536) into cfg; ZSYNC_EINVAL with err on anything else. */
int zsync_config_set_shard(struct zsync_config *cfg, const char *spec, struct zsync_err *err);
/* A run's --shard (NULL: none) and -j (0: none) into cfg; ZSYNC_EINVAL with err when bad. */
int zsync_config_run_options(struct zsync_config *cfg, const char *shard, long jobs,
			     struct zsync_err *err);
/* Zone (canonical name) selected by the list (NULL or empty: all) and in this run's shard. */
bool zsync_config_zone_selected(const struct zsync_config *cfg, const struct zsync_strlist *l,
				const char *zone_name);

#endif
