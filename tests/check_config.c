/* check_config.c - zonesync.toml: each mistake gets its own message with file:line and key path */
#include "testutil.h"

#include "config.h"

static char *dir;

static void setup(void)
{
	dir = tu_tmpdir();
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

#define BASE "[providers.bind]\ntype = \"rfc2136\"\nserver = \"127.0.0.1:53\"\ntsig_secret = \"env:ZS_TEST_SECRET\"\n"

/* Loads text as DIR/zonesync.toml; returns the formatted diagnostics ("" when it loaded). */
static char *load(const char *text, struct zsync_config **out)
{
	char *path = tu_fmt("%s/zonesync.toml", dir);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	char *all = calloc(1, 1);

	tu_write(path, text);
	struct zsync_config *cfg = zsync_config_load(path, &d, &err);
	for (size_t i = 0; i < d.n; i++) {
		char line[2048];
		zsync_diag_format(&d.v[i], line, sizeof(line));
		/* make the temp dir stable in messages */
		char *rel = strstr(line, "zonesync.toml");
		char *n = tu_fmt("%s%s\n", all, rel ? rel : line);
		free(all);
		all = n;
	}
	ck_assert_msg((cfg != NULL) == (d.errors == 0), "config returned %p with %zu errors: %s",
		      (void *)cfg, d.errors, err.msg);
	if (out)
		*out = cfg;
	else
		zsync_config_free(cfg);
	zsync_diags_release(&d);
	free(path);
	return all;
}

static const struct {
	const char *toml, *expect;
} bad[] = {
	{ "[repo]\npath = 1\n", "zonesync.toml:2: error: repo.path: expected a string, found integer" },
	{ "[repo]\nbrnach = \"main\"\n", "zonesync.toml:2: error: repo.brnach: unknown key" },
	{ "[repo]\nbranch = \"main\"\n", "zonesync.toml:2: error: repo.branch: goes with repo.remote" },
	{ "[providers.p]\ntype = \"memory\"\nmarker = \"_zs.\"\n", "zonesync.toml:3: error: providers.p.marker: expected a name relative to the zone" },
	{ "[repos]\n", "zonesync.toml:1: error: repos: unknown key" },
	{ "[repo]\nbrnach = \"main\"\n", "repo.brnach: unknown key (did you mean 'branch'?)" },
	{ "[providers.f]\ntype = \"zonefile\"\ndirectory = \"/x\"\ncreate_zone = true\n",
	  "zonesync.toml:4: error: providers.f.create_zone: unknown key (did you mean 'create_zones'?)" },
	{ "[providers.f]\ntype = \"zonefile\"\ndirectory = \"/x\"\nreload_comand = [\"true\"]\n",
	  "providers.f.reload_comand: unknown key (did you mean 'reload_command'?)" },
	{ "[providers.f]\ntype = zonefile\n", "zonesync.toml:2: error: TOML syntax: invalid value: a string needs quotes (key = \"...\") (column 8)" },
	{ "[serve]\nreconcile_every = \"15 minutes\"\n",
	  "zonesync.toml:2: error: serve.reconcile_every: '15 minutes' is not a duration (a number with s, m, h or d: \"15m\"; \"0\" for never)" },
	{ "[serve]\ngithub_secret = \"hunter2\"\n",
	  "zonesync.toml:2: error: serve.github_secret: secrets are never literal in the config; use env:VAR or file:PATH" },
	{ "[serve]\ntls_cert = \"/etc/cert.pem\"\ntls_key = \"file:/k\"\n", "zonesync.toml:2: error: serve.tls_cert: expected file:PATH" },
	{ "[serve]\ntls_cert = \"file:/etc/cert.pem\"\n", "zonesync.toml:1: error: serve: tls_cert and tls_key go together" },
	{ "[serve]\nport = 80\n", "zonesync.toml:2: error: serve.port: unknown key" },
	{ "[defaults]\nmax_update_pct = 130\n", "zonesync.toml:2: error: defaults.max_update_pct: 130 is out of range (0 to 100)" },
	{ "[defaults]\napex_ns = \"all\"\n",
	  "zonesync.toml:2: error: defaults.apex_ns: expected \"git\" or \"union\", not 'all'" },
	{ "[providers.cf]\ntype = \"cloudflare\"\napi_token = \"env:T\"\nns_names = [\"a.\"]\n",
	  "zonesync.toml:4: error: providers.cf.ns_names: unknown key" },
	{ "[defaults]\nmax_changes = -1\n", "defaults.max_changes: -1 is out of range (0 or more)" },
	{ "[providers.x]\nurl = \"http://a\"\n", "zonesync.toml:1: error: providers.x.type: missing" },
	{ "[providers.x]\ntype = \"no-such-dns\"\n", "zonesync.toml:2: error: providers.x.type: unknown provider type 'no-such-dns'" },
	{ "[providers.pdns]\ntype = \"powerdns\"\nurl = \"http://127.0.0.1:8081\"\napi_key = \"s3cr3t-value\"\n",
	  "zonesync.toml:4: error: providers.pdns.api_key: secrets are never literal in the config; use env:VAR or file:PATH" },
	{ "[providers.pdns]\ntype = \"powerdns\"\nurl = \"http://x\"\napi_key = \"env:1BAD\"\n",
	  "providers.pdns.api_key: 'env:' needs an environment variable name" },
	{ "[providers.pdns]\ntype = \"powerdns\"\nurl = \"http://x\"\n",
	  "zonesync.toml:1: error: providers.pdns: missing required key api_key for type 'powerdns'" },
	{ "[providers.b]\ntype = \"rfc2136\"\n", "providers.b: missing required key server/servers for type 'rfc2136'" },
	{ "[providers.b]\ntype = \"rfc2136\"\nserver = \"x\"\nmax_transfer_bytes = 0\n",
	  "zonesync.toml:4: error: providers.b.max_transfer_bytes: 0 is out of range (1 or more)" },
	{ "[providers.b]\ntype = \"secondary\"\nnameservers = [\"x\"]\nmax_transfer_records = \"many\"\n",
	  "zonesync.toml:4: error: providers.b.max_transfer_records: expected an integer, found string" },
	{ "[providers.f]\ntype = \"zonefile\"\ndirectory = \"/x\"\nreload_command = \"rndc reload\"\n",
	  "zonesync.toml:4: error: providers.f.reload_command: expected a command as a non-empty array of strings (argv, no shell)" },
	{ "[providers.f]\ntype = \"zonefile\"\ndirectory = \"/x\"\nurl = \"http://x\"\n",
	  "zonesync.toml:4: error: providers.f.url: unknown key" },
	{ BASE "unsupported = \"ignore\"\n", "zonesync.toml:5: error: providers.bind.unsupported: expected \"error\" or \"skip\", not 'ignore'" },
	{ BASE "generated = [\"NSEC\", \"SIGNING\"]\n", "zonesync.toml:5: error: providers.bind.generated: 'SIGNING' is not a record type (a mnemonic such as \"NSEC\" or TYPEnnn)" },
	{ BASE "ns_names = [\"ns1.example.net.\", \"ns..example.net\"]\n",
	  "zonesync.toml:5: error: providers.bind.ns_names[1]: 'ns..example.net' is not a nameserver's host name (labels of letters, digits and inner hyphens)" },
	{ BASE "ns_names = [\n  \"ns1.example.net.\",\n  \"192.0.2.53\",\n]\n",
	  "zonesync.toml:7: error: providers.bind.ns_names[1]: '192.0.2.53' is an address, not a name (addresses go in nameservers)" },
	{ BASE "ns_names = [\"ns1\"]\n", "zonesync.toml:5: error: providers.bind.ns_names[0]: 'ns1' is one label: write the whole name (\"ns1.example.net.\")" },
	{ BASE "ns_names = [\"ns_1.example.net\"]\n", "providers.bind.ns_names[0]: 'ns_1.example.net' is not a nameserver's host name" },
	{ BASE "ns_names = [\"-ns.example.net\"]\n", "providers.bind.ns_names[0]: '-ns.example.net' is not a nameserver's host name" },
	{ BASE "ns_names = [\"ns.example.123\"]\n", "providers.bind.ns_names[0]: 'ns.example.123' is not a nameserver's host name (its last label is a number)" },
	{ BASE "ns_names = [\".\"]\n", "providers.bind.ns_names[0]: '.' is not a nameserver's host name" },
	{ BASE "ns_names = \"ns1.example.net.\"\n", "zonesync.toml:5: error: providers.bind.ns_names: expected an array of host names (\"ns1.example.net.\")" },
	/* the in-memory test provider: a type without ZSYNC_CAP_CONCURRENT */
	{ "[providers.m]\ntype = \"memory\"\nconcurrency = 2\n", "zonesync.toml:3: error: providers.m.concurrency: a 'memory' provider works on one zone at a time (it keeps per-zone state between reading a zone and applying to it): only 1" },
	{ BASE "concurrency = 0\n", "zonesync.toml:5: error: providers.bind.concurrency: 0 is out of range (1 or more)" },
	{ BASE "rate_limit = \"fast\"\n", "providers.bind.rate_limit: expected requests per period such as \"300/min\" or \"5/s\", not 'fast'" },
	{ BASE "[[zones]]\nname = \"example.com\"\nproviders = [\"bind\", \"pdns\"]\n",
	  "zonesync.toml:7: error: zones[0].providers: provider 'pdns' is not defined ([providers.pdns])" },
	{ BASE "[[zones]]\nfile = \"x.zone\"\n", "zonesync.toml:5: error: zones[0].name: missing" },
	{ BASE "[[zones]]\nname = \"a.example\"\nproviders = [\"bind\"]\n[[zones]]\nname = \"A.example.\"\nproviders = [\"bind\"]\n",
	  "zonesync.toml:9: error: zones[1].name: zone 'a.example.' is already configured (line 6)" },
	{ BASE "[[zones]]\nname = \"a.example\"\n", "zonesync.toml:6: error: zones[0].providers: zone 'a.example.' has no providers" },
	{ BASE "[[zones]]\nname = \"a.example\"\nfile = \"../../etc/passwd\"\nproviders = [\"bind\"]\n",
	  "zones[0].file: must be a path inside the zones folder, not '../../etc/passwd'" },
	{ "[hooks]\npre_apply = [\"hooks/x\"]\n", "zonesync.toml:2: error: hooks.pre_apply[0]: expected a command as a non-empty array of strings" },
	{ "[repo]\nall_zones = true\n", "zonesync.toml:2: error: repo.all_zones: needs [defaults] providers" },
	{ "[repo]\nmax_include_files = 0\n", "zonesync.toml:2: error: repo.max_include_files: 0 is out of range (1 or more)" },
	{ "[repo]\nmax_include_files = 70000\n", "zonesync.toml:2: error: repo.max_include_files: at most 65000" },
	{ "[repo]\nmax_include_bytes = -1\n", "zonesync.toml:2: error: repo.max_include_bytes: -1 is out of range (1 or more)" },
	{ "[defaults]\nproviders = [\"nope\"]\n", "zonesync.toml:2: error: defaults.providers: provider 'nope' is not defined" },
	{ "[repo]\npath = \"a\"\npath = \"b\"\n", "zonesync.toml:3: error: TOML syntax: duplicate key 'path' (column 1)" },
	{ "[repo\n", "zonesync.toml:1: error: TOML syntax:" },
	{ "zones = 3\n", "zonesync.toml:1: error: zones: expected [[zones]] entries" },
};

START_TEST(test_errors)
{
	char *got = load(bad[_i].toml, NULL);
	ck_assert_msg(strstr(got, bad[_i].expect) != NULL, "case %d:\n%s\nwant: %s\ngot:  %s", _i,
		      bad[_i].toml, bad[_i].expect, got);
	free(got);
}
END_TEST

/* ns_names: host names with or without the final dot, any case, punycode; checked at load */
START_TEST(test_ns_names_accepted)
{
	struct zsync_config *cfg = NULL;
	char *got = load(BASE "ns_names = [\"NS2.example.com\", \"ns-1.a1.example.net.\", \"xn--bcher-kva.example.\"]\n", &cfg);
	ck_assert_str_eq(got, "");
	struct zsync_strlist names = { 0 };
	zsync_config_get_strlist(zsync_config_provider(cfg, "bind"), "ns_names", &names);
	ck_assert_uint_eq(names.n, 3);
	zsync_strlist_release(&names);
	zsync_config_free(cfg);
	free(got);
}
END_TEST

START_TEST(test_secret_value_never_echoed)
{
	/* also not in the hint that a bare word needs quotes */
	char *bare = load("[providers.cf]\ntype = \"cloudflare\"\napi_token = Zx9supersecret\n", NULL);
	ck_assert_msg(strstr(bare, "needs quotes") && !strstr(bare, "Zx9supersecret"), "%s", bare);
	free(bare);
	char *got = load("[providers.cf]\ntype = \"cloudflare\"\napi_token = \"Zx9-super-secret-token\"\n", NULL);
	ck_assert_msg(strstr(got, "api_token") && !strstr(got, "Zx9-super-secret"), "%s", got);
	free(got);
}
END_TEST

START_TEST(test_example_config_loads)
{
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_config *cfg = zsync_config_load("zonesync.toml.example", &d, &err);
	ck_assert_msg(cfg != NULL, "%s %s", err.msg, d.n ? d.v[0].msg : "");
	ck_assert_uint_eq(cfg->nproviders, 2);
	ck_assert_uint_eq(cfg->nzones, 2);
	ck_assert_str_eq(cfg->zones[1].name, "example.org.");
	ck_assert_str_eq(cfg->zones[1].file, "zones/example.org.zone");
	ck_assert_uint_eq(cfg->zones[1].providers.n, 2); /* from [defaults] */
	ck_assert_int_eq(cfg->zones[0].apex_ns, ZSYNC_APEX_NS_GIT);
	ck_assert_int_eq(cfg->zones[1].apex_ns, ZSYNC_APEX_NS_UNION);
	ck_assert_ptr_nonnull(zsync_config_zone(cfg, "EXAMPLE.com"));
	const struct zsync_provider_conf *p = zsync_config_provider(cfg, "pdns");
	ck_assert_ptr_nonnull(p);
	ck_assert(p->create_zones);
	ck_assert(p->rate_per_sec > 4.99 && p->rate_per_sec < 5.01);
	ck_assert_int_eq(p->concurrency, 4);
	/* unset, on a type that can overlap zones: [defaults] jobs; -j replaces both */
	ck_assert_int_eq(zsync_config_provider(cfg, "bind")->concurrency, 4);
	ck_assert_int_eq(zsync_config_provider(cfg, "bind")->read_concurrency, 4);
	ck_assert(zsync_config_provider(cfg, "bind")->concurrency_auto);
	ck_assert(!p->concurrency_auto && !p->read_concurrency_auto);
	ck_assert_int_eq(p->read_concurrency, 4); /* the key sets both */
	ck_assert_int_eq(zsync_config_run_options(cfg, NULL, 1, &err), 0);
	ck_assert_int_eq(zsync_config_provider(cfg, "bind")->concurrency, 1);
	ck_assert_int_eq(zsync_config_provider(cfg, "bind")->read_concurrency, 1);
	ck_assert_int_eq(p->concurrency, 4); /* set: the engine's workers bound it anyway */
	/* limits: zone overrides provider overrides defaults */
	struct zsync_limits l = zsync_config_limits(cfg, p, zsync_config_zone(cfg, "example.com"));
	ck_assert_int_eq(l.max_delete_pct, 20);
	ck_assert_int_eq(l.max_update_pct, 30);
	ck_assert_int_eq(l.max_changes, 1000);
	zsync_config_free(cfg);
	zsync_diags_release(&d);
}
END_TEST

/* Without [state] path the database lives outside the repository, one file per repository. */
START_TEST(test_default_state_path)
{
	struct zsync_config *a = NULL, *b = NULL;
	char *got;

	setenv("XDG_STATE_HOME", "/xdg-state", 1);
	got = load("[repo]\npath = \"repo-one\"\n", &a);
	ck_assert_str_eq(got, "");
	free(got);
	got = load("[repo]\npath = \"repo-two\"\n", &b);
	ck_assert_str_eq(got, "");
	free(got);
	const char *want = "/xdg-state/zonesync/repo-one-";
	ck_assert_msg(strncmp(a->state.path, want, strlen(want)) == 0, "%s", a->state.path);
	ck_assert_msg(strlen(a->state.path) == strlen(want) + 16 + 3 && !strcmp(a->state.path + strlen(a->state.path) - 3, ".db"),
		      "%s", a->state.path);
	ck_assert_msg(strstr(b->state.path, "/repo-two-") && strcmp(a->state.path + strlen(want), b->state.path + strlen(want)) != 0,
		      "%s vs %s", a->state.path, b->state.path);
	ck_assert_msg(strncmp(a->state.path, dir, strlen(dir)) != 0, "%s is inside the test folder", a->state.path);
	zsync_config_free(a);
	zsync_config_free(b);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home-of-test", 1);
	got = load("[repo]\npath = \"repo-one\"\n", &a);
	free(got);
	want = geteuid() == 0 ? "/var/lib/zonesync/repo-one-" : "/home-of-test/.local/state/zonesync/repo-one-";
	ck_assert_msg(strncmp(a->state.path, want, strlen(want)) == 0, "%s", a->state.path);
	zsync_config_free(a);
}
END_TEST

START_TEST(test_secrets)
{
	struct zsync_config *cfg = NULL;
	struct zsync_err err = { 0 };
	char *v = NULL, *got = load(BASE, &cfg);

	ck_assert_str_eq(got, "");
	free(got);
	unsetenv("ZS_TEST_SECRET");
	ck_assert_int_lt(zsync_config_secret(cfg, "provider 'bind': tsig_secret", "env:ZS_TEST_SECRET", &v, &err), 0);
	ck_assert_msg(strstr(err.msg, "provider 'bind': tsig_secret: environment variable ZS_TEST_SECRET is not set"), "%s", err.msg);
	/* a line break would split an HTTP header in two: refused, the key named, the value never */
	setenv("ZS_TEST_SECRET", "tok\r\nX-Injected: 1", 1);
	ck_assert_int_lt(zsync_config_secret(cfg, "provider 'pdns': api_key", "env:ZS_TEST_SECRET", &v, &err), 0);
	ck_assert_msg(strstr(err.msg, "provider 'pdns': api_key: environment variable ZS_TEST_SECRET holds a CR or LF") &&
		      !strstr(err.msg, "Injected"), "%s", err.msg);
	setenv("ZS_TEST_SECRET", "tok\n", 1);
	ck_assert_int_lt(zsync_config_secret(cfg, "x", "env:ZS_TEST_SECRET", &v, &err), 0);
	setenv("ZS_TEST_SECRET", "c2VjcmV0", 1);
	ck_assert_int_eq(zsync_config_secret(cfg, "x", "env:ZS_TEST_SECRET", &v, &err), 0);
	ck_assert_str_eq(v, "c2VjcmV0");
	free(v);
	/* file: relative to the config's directory, trailing newline dropped */
	char *f = tu_fmt("%s/key.txt", dir);
	tu_write(f, "from-a-file\n");
	ck_assert_int_eq(zsync_config_secret(cfg, "x", "file:key.txt", &v, &err), 0);
	ck_assert_str_eq(v, "from-a-file");
	free(v);
	tu_write(f, "line1\nline2\n");
	ck_assert_int_lt(zsync_config_secret(cfg, "provider 'dyn': password", "file:key.txt", &v, &err), 0);
	ck_assert_msg(strstr(err.msg, "provider 'dyn': password: secret file key.txt holds a CR, LF or NUL") &&
		      !strstr(err.msg, "line1"), "%s", err.msg);
	tu_write(f, "crlf\r\n");
	ck_assert_int_eq(zsync_config_secret(cfg, "x", "file:key.txt", &v, &err), 0);
	ck_assert_str_eq(v, "crlf");
	free(v);
	ck_assert_int_lt(zsync_config_secret(cfg, "provider 'pdns': api_key", "file:missing.txt", &v, &err), 0);
	ck_assert_msg(strstr(err.msg, "cannot read secret file") && strstr(err.msg, "missing.txt"), "%s", err.msg);
	ck_assert_int_lt(zsync_config_secret(cfg, "k", "plain-secret", &v, &err), 0);
	ck_assert_msg(!strstr(err.msg, "plain-secret"), "%s", err.msg);
	free(f);
	/* a configuration file is read whole or refused, never cut short */
	char *big = tu_fmt("%s/big.toml", dir);
	FILE *bf = fopen(big, "w");
	ck_assert_ptr_nonnull(bf);
	ck_assert_int_eq(fseek(bf, 17L << 20, SEEK_SET), 0);
	fputc('#', bf);
	fclose(bf);
	struct zsync_diags d = { 0 };
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(zsync_config_load(big, &d, &err));
	ck_assert_msg(strstr(err.msg, "big.toml: larger than 16777216 bytes"), "%s", err.msg);
	zsync_diags_release(&d);
	free(big);
	/* only regular files: a FIFO is refused at once (opening it would wait for a writer),
	 * as a configuration and as a secret file */
	char *fifo = tu_fmt("%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_ptr_null(zsync_config_load(fifo, &d, &err));
	ck_assert_msg(strstr(err.msg, "fifo: a FIFO, not a regular file"), "%s", err.msg);
	ck_assert_int_lt(zsync_config_secret(cfg, "x", "file:fifo", &v, &err), 0);
	ck_assert_msg(strstr(err.msg, "a FIFO, not a regular file"), "%s", err.msg);
	ck_assert_ptr_null(zsync_config_load(dir, &d, &err));
	ck_assert_msg(strstr(err.msg, "a directory, not a regular file"), "%s", err.msg);
	zsync_diags_release(&d);
	free(fifo);
	zsync_config_free(cfg);
}
END_TEST

START_TEST(test_match_files)
{
	struct zsync_config *cfg = NULL;
	struct zsync_strlist files = { 0 };
	struct zsync_diags d = { 0 };
	char *got = load(BASE "[[zones]]\nname = \"a.example\"\nproviders = [\"bind\"]\n[[zones]]\nname = \"gone.example\"\nproviders = [\"bind\"]\n", &cfg);

	ck_assert_str_eq(got, "");
	free(got);
	zsync_strlist_add(&files, "zones/a.example.zone");
	zsync_strlist_add(&files, "zones/extra.example.zone");
	zsync_config_match_files(cfg, &files, "commit abc", &d);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_msg(strstr(d.v[0].msg, "zone 'gone.example.': file zones/gone.example.zone not found in commit abc"), "%s", d.v[0].msg);
	ck_assert_uint_eq(d.v[0].line, 9);
	ck_assert_uint_eq(d.warnings, 1);
	ck_assert_str_eq(d.v[1].rule, "not-deployed");
	ck_assert_uint_eq(cfg->nzones, 2);
	zsync_config_free(cfg);
	zsync_diags_release(&d);

	got = load(BASE "[repo]\nall_zones = true\n[defaults]\nproviders = [\"bind\"]\n", &cfg);
	ck_assert_str_eq(got, "");
	free(got);
	zsync_config_match_files(cfg, &files, "commit abc", &d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(cfg->nzones, 2);
	ck_assert_ptr_nonnull(zsync_config_zone(cfg, "extra.example"));
	ck_assert_str_eq(zsync_config_zone(cfg, "extra.example")->providers.v[0], "bind");
	zsync_config_free(cfg);
	zsync_strlist_release(&files);
}
END_TEST

/* The check command validates the config and names its problems. */
START_TEST(test_cli)
{
	const char *bin = getenv("ZONESYNC");
	static char abs[4096];
	int st;
	char *out;

	if (!bin)
		bin = realpath("build/zonesync", abs) ? abs : "build/zonesync";
	tu_sh("cd '%s' && git init -q . && mkdir zones && printf '$TTL 60\\n@ SOA ns1 h 1 2 3 4 5\\n@ NS ns1\\nns1 A 192.0.2.1\\n' > zones/a.example.zone && git add -A && git -c user.name=t -c user.email=t@t commit -qm z", dir);
	char *cfg = tu_fmt("%s/zonesync.toml", dir);
	tu_write(cfg, BASE "[[zones]]\nname = \"a.example\"\nproviders = [\"bind\"]\n");
	out = tu_sh_out(&st, "cd '%s' && '%s' check 2>&1", dir, bin);
	ck_assert_msg(st == 0 && strstr(out, "checked the configuration and 1 zone"), "%s", out);
	free(out);
	/* -c from elsewhere: paths are relative to the config file */
	out = tu_sh_out(&st, "cd / && '%s' -c '%s' check 2>&1", bin, cfg);
	ck_assert_msg(st == 0, "%s", out);
	free(out);
	tu_write(cfg, BASE "api_key = \"hunter2\"\n[[zones]]\nname = \"a.example\"\nproviders = [\"bind\"]\n");
	out = tu_sh_out(&st, "cd '%s' && ZONESYNC_CONFIG=zonesync.toml '%s' check 2>&1", dir, bin);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(out, "zonesync.toml:5: error: providers.bind.api_key: unknown key") && !strstr(out, "hunter2"), "%s", out);
	free(out);
	out = tu_sh_out(&st, "cd '%s' && '%s' -c nosuch.toml check 2>&1", dir, bin);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strcmp(out, "zonesync: nosuch.toml: No such file or directory\n") == 0, "%s", out);
	free(out);
	/* one message per problem: nothing about a repository the configuration did not name */
	tu_write(cfg, "[repos]\n");
	for (int i = 0; i < 2; i++) {
		out = tu_sh_out(&st, "cd / && '%s' -c '%s' %s 2>&1", bin, cfg, i ? "plan" : "check");
		ck_assert_int_eq(st, 1);
		ck_assert_msg(strstr(out, "zonesync.toml:1: error: repos: unknown key") &&
				      strchr(out, '\n') == out + strlen(out) - 1,
			      "%s", out);
		free(out);
	}
	free(cfg);
}
END_TEST


START_TEST(test_shard)
{
	struct zsync_config cfg = { 0 };
	struct zsync_err err = { 0 };
	char names[1000][32];
	unsigned count[8];

	for (int i = 0; i < 1000; i++)
		snprintf(names[i], sizeof(names[i]), "zone%04d.example.", i);
	/* the partition is part of the interface: hosts running different builds must agree */
	ck_assert_uint_eq(zsync_shard_of("example.com.", 7), 3);
	ck_assert_uint_eq(zsync_shard_of("z000001.example.", 1000), 523);
	ck_assert_uint_eq(zsync_shard_of("a.", 7), 6);
	for (unsigned n = 1; n <= 8; n++) {
		memset(count, 0, sizeof(count));
		for (int i = 0; i < 1000; i++) {
			unsigned s = zsync_shard_of(names[i], n);
			ck_assert_uint_lt(s, n); /* every zone in exactly one shard */
			count[s]++;
			/* one more shard: a zone stays or moves to the new one, never elsewhere */
			unsigned t = zsync_shard_of(names[i], n + 1);
			ck_assert_msg(t == s || t == n, "%s moved from %u to %u going to %u shards", names[i], s, t, n + 1);
		}
		for (unsigned s = 0; s < n; s++) /* roughly even: 1000/n, far from empty */
			ck_assert_msg(count[s] > 1000 / n / 2, "shard %u of %u has %u zones", s, n, count[s]);
	}
	/* selection: names and shard together */
	ck_assert_int_eq(zsync_config_set_shard(&cfg, "4/7", &err), 0);
	ck_assert_uint_eq(cfg.shard, 3);
	ck_assert_uint_eq(cfg.shards, 7);
	ck_assert(zsync_config_zone_selected(&cfg, NULL, "example.com."));
	ck_assert(!zsync_config_zone_selected(&cfg, NULL, "a."));
	const char *bad[] = { "0/4", "5/4", "1/0", "a/b", "1/4x", "/4", "1/", "-1/4", "1/65537", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(zsync_config_set_shard(&cfg, bad[i], &err) == ZSYNC_EINVAL, "'%s' accepted", bad[i]);
		ck_assert_msg(strstr(err.msg, "--shard: expected I/N"), "%s", err.msg);
	}
	ck_assert_int_eq(zsync_config_set_shard(&cfg, "65536/65536", &err), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_secret_value_never_echoed);
	tcase_add_test(tc, test_example_config_loads);
	tcase_add_test(tc, test_ns_names_accepted);
	tcase_add_test(tc, test_secrets);
	tcase_add_test(tc, test_default_state_path);
	tcase_add_test(tc, test_match_files);
	tcase_add_test(tc, test_cli);
	tcase_add_test(tc, test_shard);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
