/* check_provider.c - provider descriptors: well formed, the docs agree, typed config access, support helpers */
#include "testutil.h"

#include "cloudflare.h"
#include "config.h"
#include "diff.h"
#include "provider.h"
#include "support.h"

static const char *const common[] = { "type", "ignore", "unsupported", "rate_limit", "timeout", "retries",
				      "manage_apex_ns", "create_zones", "max_update_pct", "max_delete_pct",
				      "min_existing", "max_changes", NULL };

START_TEST(test_descriptors_well_formed)
{
	size_t n = 0;
	for (size_t i = 0; zsync_provider_types[i]; i++, n++) {
		const struct zsync_provider_type *t = zsync_provider_types[i];
		ck_assert_msg(t->abi == ZSYNC_PROVIDER_ABI, "%s: abi %u", t->name, t->abi);
		ck_assert_msg(t->summary && *t->summary, "%s: no summary", t->name);
		ck_assert_ptr_nonnull(t->open);
		ck_assert_ptr_nonnull(t->fetch);
		ck_assert_ptr_nonnull(t->apply);
		ck_assert_ptr_nonnull(t->close);
		/* the core decides from the bits alone: each bit and its op go together */
		ck_assert_msg(!(t->caps & ZSYNC_CAP_LIST_ZONES) == !t->list_zones, "%s: list-zones bit and list_zones op",
			      t->name);
		ck_assert_msg(!t->prepare == !t->discard, "%s: prepare and discard go together", t->name);
		ck_assert_ptr_eq(zsync_provider_find(t->name), t);
		for (const struct zsync_conf_key *k = t->keys; k && k->key; k++) {
			ck_assert_msg(k->type && k->doc && *k->doc, "%s.%s: type and doc", t->name, k->key);
			ck_assert_msg(!k->or_key || (k->flags & ZSYNC_CONF_REQUIRED), "%s.%s", t->name, k->key);
			for (const char *const *c = common; *c; c++)
				ck_assert_msg(strcmp(*c, k->key) != 0, "%s repeats the common key %s", t->name, k->key);
			for (const struct zsync_conf_key *o = t->keys; o < k; o++)
				ck_assert_msg(strcmp(o->key, k->key) != 0, "%s.%s twice", t->name, k->key);
		}
	}
	ck_assert_uint_ge(n, 6);
	ck_assert_ptr_null(zsync_provider_find("route53-not-yet"));
}
END_TEST

/* Every provider but memory has its key table in each of these, exactly as generated. */
static void docs_agree(const char *path)
{
	size_t len;
	char *doc = tu_read(path, &len);
	ck_assert_msg(doc, "run from the source tree: %s", path);
	for (size_t i = 0; zsync_provider_types[i]; i++) {
		const struct zsync_provider_type *t = zsync_provider_types[i];
		char *mark = tu_fmt("<!-- keys: %s -->\n", t->name), *want = NULL, *at, *end;
		size_t wlen = 0;
		FILE *f = open_memstream(&want, &wlen);
		zsync_provider_describe(f, t, true);
		fclose(f);
		at = strstr(doc, mark);
		if (strcmp(t->name, "memory") == 0) {
			ck_assert_ptr_null(at);
		} else {
			ck_assert_msg(at, "%s has no key table for %s (make provider-docs)", path, t->name);
			at += strlen(mark);
			end = strstr(at, "<!-- /keys -->");
			ck_assert_ptr_nonnull(end);
			ck_assert_msg((size_t)(end - at) == wlen && memcmp(at, want, wlen) == 0,
				      "%s: the %s key table differs from its descriptor (make provider-docs):\n%s",
				      path, t->name, want);
		}
		free(mark);
		free(want);
	}
	free(doc);
}

START_TEST(test_docs_agree_with_descriptors)
{
	docs_agree("docs/providers.md");
	docs_agree("docs/configuration.md");
}
END_TEST

static struct zsync_config *load(const char *dir, const char *text)
{
	char *path = tu_fmt("%s/zonesync.toml", dir);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_config *cfg;

	tu_write(path, text);
	cfg = zsync_config_load(path, &d, &err);
	ck_assert_msg(cfg, "%s: %s", err.msg, d.n ? d.v[0].msg : "");
	zsync_diags_release(&d);
	free(path);
	return cfg;
}

START_TEST(test_typed_access)
{
	char *dir = tu_tmpdir(), *s = NULL, *p;
	char **argv;
	struct zsync_err err = { 0 };
	struct zsync_strlist l = { 0 };
	struct zsync_config *cfg = load(dir, "[providers.f]\ntype = \"zonefile\"\ndirectory = \"out\"\n"
					     "reload_command = [\"rndc\", \"reload\", \"{zone}\"]\n"
					     "[providers.p]\ntype = \"powerdns\"\nurl = \"http://127.0.0.1:1\"\n"
					     "api_key = \"env:ZS_CHECK_PROVIDER_KEY\"\n"
					     "[providers.b]\ntype = \"rfc2136\"\nservers = [\"a:53\", \"b:53\"]\n");
	const struct zsync_provider_conf *f = zsync_config_provider(cfg, "f"), *pd = zsync_config_provider(cfg, "p"),
					 *b = zsync_config_provider(cfg, "b");

	p = zsync_config_get_path(f, "directory");
	char *want = tu_fmt("%s/out", cfg->dir);
	ck_assert_str_eq(p, want);
	free(want);
	free(p);
	argv = zsync_config_get_argv(f, "reload_command");
	ck_assert_str_eq(argv[0], "rndc");
	ck_assert_str_eq(argv[2], "{zone}");
	ck_assert_ptr_null(argv[3]);
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
	/* defaults come from the schema */
	ck_assert_str_eq(zsync_config_get_str(pd, "server_id"), "localhost");
	ck_assert(!zsync_config_has(pd, "server_id"));
	ck_assert(!zsync_config_declares(pd, "tsig_name"));
	ck_assert_str_eq(zsync_config_get_str(b, "tsig_algorithm"), "hmac-sha256");
	ck_assert_ptr_null(zsync_config_get_str(b, "server"));
	zsync_config_get_strlist(b, "servers", &l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[1], "b:53");
	zsync_strlist_release(&l);
	/* secrets resolve at use, never echoed */
	unsetenv("ZS_CHECK_PROVIDER_KEY");
	ck_assert_int_lt(zsync_config_get_secret(pd, "api_key", &s, &err), 0);
	ck_assert_str_eq(err.msg, "api_key: environment variable ZS_CHECK_PROVIDER_KEY is not set");
	setenv("ZS_CHECK_PROVIDER_KEY", "k3y", 1);
	ck_assert_int_eq(zsync_config_get_secret(pd, "api_key", &s, &err), 0);
	ck_assert_str_eq(s, "k3y");
	zsync_config_secret_free(s);
	/* several secrets: all or none */
	{
		const char *const keys[] = { "api_key", "api_key" };
		char *out[2];
		ck_assert_int_eq(zsync_provider_secrets(pd, keys, 2, out, &err), 0);
		ck_assert_str_eq(out[1], "k3y");
		zsync_config_secret_free(out[0]);
		zsync_config_secret_free(out[1]);
		unsetenv("ZS_CHECK_PROVIDER_KEY");
		ck_assert_int_lt(zsync_provider_secrets(pd, keys, 2, out, &err), 0);
		ck_assert_ptr_null(out[0]);
		ck_assert_ptr_null(out[1]);
	}
	zsync_config_free(cfg);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* A key the schema does not have is refused at check time, whichever provider. */
START_TEST(test_schema_validation)
{
	char *dir = tu_tmpdir(), *path = tu_fmt("%s/zonesync.toml", dir);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };

	tu_write(path, "[providers.s]\ntype = \"secondary\"\ntsig_name = \"k\"\nserver_id = \"x\"\n");
	ck_assert_ptr_null(zsync_config_load(path, &d, &err));
	ck_assert_uint_eq(d.n, 2);
	ck_assert_str_eq(d.v[0].msg, "providers.s.server_id: unknown key");
	ck_assert_str_eq(d.v[1].msg, "providers.s: missing required key nameservers for type 'secondary'");
	zsync_diags_release(&d);
	tu_rmtree(dir);
	free(dir);
	free(path);
}
END_TEST

START_TEST(test_txt_quote)
{
	char *q = zsync_provider_txt_quote("v=spf1 \"x\" \\ \x01");
	ck_assert_str_eq(q, "\"v=spf1 \\\"x\\\" \\\\ \\001\"");
	free(q);
	q = zsync_provider_txt_quote("\"a\" \"b\"");
	ck_assert_str_eq(q, "\"a\" \"b\"");
	free(q);
	char long_txt[600];
	memset(long_txt, 'a', sizeof(long_txt) - 1);
	long_txt[599] = '\0';
	q = zsync_provider_txt_quote(long_txt);
	ck_assert_uint_eq(strlen(q), 599 + 2 + 2 * 3);
	ck_assert(q[256] == '"' && q[257] == ' ' && q[258] == '"');
	free(q);
	q = zsync_provider_no_dot("example.com.");
	ck_assert_str_eq(q, "example.com");
	free(q);
	q = zsync_provider_fqdn("example.com");
	ck_assert_str_eq(q, "example.com.");
	free(q);
}
END_TEST

/*
 * Cloudflare's TTL 1 is "automatic" (300 s): only a proxied record's TTL is Cloudflare's
 * own; a plain record at TTL 1 (set in the dashboard) serves 300 and must differ from git's 3600.
 */
START_TEST(test_cloudflare_automatic_ttl)
{
	struct zsync_err err = { 0 };
	json_error_t je;
	json_t *zo = json_loads("{\"name_servers\": []}", 0, &je);
	json_t *recs = json_loads("[{\"id\": \"a1\", \"name\": \"www.example.com\", \"type\": \"A\", \"content\": \"192.0.2.1\", \"ttl\": 1, \"proxied\": false},"
				  " {\"id\": \"a2\", \"name\": \"api.example.com\", \"type\": \"A\", \"content\": \"192.0.2.2\", \"ttl\": 1, \"proxied\": true}]", 0, &je);
	struct zsync_zone *cf = NULL, *git = zsync_zone_new("example.com.", &err);
	const char *text = "www.example.com. 3600 IN A 192.0.2.1\napi.example.com. 3600 IN A 192.0.2.2\n";
	struct zsync_diff_policy pol = { .provider = "cf" };
	struct zsync_changeset cs;

	ck_assert_ptr_nonnull(recs);
	ck_assert_int_eq(zsync_cloudflare_zone(zo, recs, "example.com.", &cf, &err), 0);
	ck_assert_int_eq(zsync_zone_add_text(git, text, strlen(text), &err), 0);
	zsync_zone_load_end(git);
	zsync_diff(git, cf, &pol, &cs);
	/* www: a TTL change; api (proxied): Cloudflare's TTL, no change */
	ck_assert_uint_eq(cs.n, 1);
	ck_assert_int_eq(cs.v[0].op, ZSYNC_CHANGE_UPDATE);
	ck_assert(cs.v[0].flags & ZSYNC_CHANGE_TTL_ONLY);
	char name[ZSYNC_NAME_TXT_MAXLEN + 1];
	ck_assert_str_eq(zsync_name_to_text(cs.v[0].new->owner, name, sizeof(name)), "www.example.com.");
	zsync_changeset_release(&cs);
	zsync_zone_free(cf);
	zsync_zone_free(git);
	json_decref(zo);
	json_decref(recs);
}
END_TEST

/* Per-zone states: each zone keeps its own, take hands it over once, a put replaces and frees. */
static int states_freed;
static void free_state(void *p)
{
	states_freed++;
	free(p);
}

struct states_worker {
	struct zsync_provider_states *s;
	int base;
	int wrong;
};

static void *states_work(void *arg)
{
	struct states_worker *w = arg;
	char zone[32];
	for (int i = 0; i < 200; i++) {
		snprintf(zone, sizeof(zone), "z%d.example.", w->base + i);
		int *v = malloc(sizeof(*v));
		*v = w->base + i;
		zsync_provider_states_put(w->s, zone, v);
		int *got = zsync_provider_states_take(w->s, zone);
		if (!got || *got != w->base + i)
			w->wrong++;
		/* put back: release frees what is left */
		zsync_provider_states_put(w->s, zone, got);
	}
	return NULL;
}

START_TEST(test_provider_states)
{
	struct zsync_provider_states s;
	struct states_worker w[4];
	pthread_t th[4];
	int *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

	states_freed = 0;
	zsync_provider_states_init(&s, free_state);
	ck_assert_ptr_null(zsync_provider_states_take(&s, "example.com."));
	*a = 1;
	*b = 2;
	zsync_provider_states_put(&s, "example.com.", a);
	zsync_provider_states_put(&s, "example.com.", b); /* a fetch again: the older state goes */
	ck_assert_int_eq(states_freed, 1);
	ck_assert_ptr_eq(zsync_provider_states_take(&s, "example.com."), b);
	ck_assert_ptr_null(zsync_provider_states_take(&s, "example.com."));
	free(b);
	/* zones of several threads at once never see each other's state */
	for (int i = 0; i < 4; i++) {
		w[i] = (struct states_worker){ .s = &s, .base = i * 1000 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, states_work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].wrong, 0);
	}
	zsync_provider_states_release(&s);
	ck_assert_int_eq(states_freed, 1 + 800);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provider");
	TCase *tc = tcase_create("provider");
	tcase_add_test(tc, test_descriptors_well_formed);
	tcase_add_test(tc, test_docs_agree_with_descriptors);
	tcase_add_test(tc, test_typed_access);
	tcase_add_test(tc, test_schema_validation);
	tcase_add_test(tc, test_txt_quote);
	tcase_add_test(tc, test_cloudflare_automatic_ttl);
	tcase_add_test(tc, test_provider_states);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
