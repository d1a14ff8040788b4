/* check_plan.c - plans: golden renderings, determinism, safety limits */
#include "testutil.h"

#include <pthread.h>
#include <time.h>

#include "config.h"
#include "deploy.h"
#include "plan.h"
#include "repo.h"
#include "provider.h"
#include "state.h"
#include "sync.h"

static char *dir;

#define SOA "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
#define BASE SOA "@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n"

static void setup(void)
{
	dir = tu_tmpdir();
	tu_sh("cd '%s' && mkdir -p repo/zones served && git init -q repo", dir);
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

/* Commits zone text as zones/example.com.zone with a fixed date, so commit ids are stable. */
static void commit(const char *zone_text)
{
	char *p = tu_fmt("%s/repo/zones/example.com.zone", dir);
	tu_write(p, zone_text);
	free(p);
	ck_assert_int_eq(tu_sh("cd '%s/repo' && git add -A && GIT_AUTHOR_DATE='2026-11-26T12:00:00Z' "
			       "GIT_COMMITTER_DATE='2026-11-26T12:00:00Z' git -c user.name=t -c user.email=t@t "
			       "commit -q -m zone", dir), 0);
}

/* What the zonefile provider serves now. */
static void serve(const char *zone_text)
{
	char *p = tu_fmt("%s/served/example.com.zone", dir);
	tu_write(p, zone_text);
	free(p);
}

static struct zsync_config *config(const char *extra)
{
	char *p = tu_fmt("%s/repo/zonesync.toml", dir);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	char *text = tu_fmt("[providers.files]\ntype = \"zonefile\"\ndirectory = \"../served\"\n"
			    "[providers.gone]\ntype = \"zonefile\"\ndirectory = \"../nonexistent\"\n"
			    "[defaults]\nproviders = [\"files\"]\n%s%s"
			    "[[zones]]\nname = \"example.com\"\n",
			    strstr(extra, "min_existing") ? "" : "min_existing = 4\n", extra);
	tu_write(p, text);
	struct zsync_config *cfg = zsync_config_load(p, &d, &err);
	ck_assert_msg(cfg != NULL, "%s %s", err.msg, d.n ? d.v[0].msg : "");
	zsync_diags_release(&d);
	free(text);
	free(p);
	return cfg;
}

static struct zsync_plan *plan(struct zsync_config *cfg)
{
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
	struct zsync_plan *p = NULL;
	ck_assert_int_eq(zsync_repo_open(&repo, cfg->repo.path, &err), 0);
	ck_assert_int_eq(zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, "HEAD", &err), 0);
	ck_assert_msg(zsync_plan_build(&p, cfg, tree, NULL, &err) == 0, "%s", err.msg);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	return p;
}

/* Renders to a string with the temp dir replaced by $TMP. */
static char *render(struct zsync_plan *p, int kind)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (kind == 0) {
		zsync_plan_print_text(p, f, false, 0);
	} else if (kind == 1) {
		zsync_plan_print_markdown(p, f);
	} else {
		json_t *j = zsync_plan_json(p);
		char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		fprintf(f, "%s\n", s);
		free(s);
		json_decref(j);
	}
	fclose(f);
	char *real = realpath(dir, NULL), h12[13];
	/* the temp dir differs per run, and with it the plan hash (errors name paths) */
	snprintf(h12, sizeof(h12), "%.12s", p->hash);
	const char *from[] = { real, p->hash, h12 }, *to[] = { "$TMP", "HASH", "HASH" };
	for (int k = 0; k < 3; k++)
		for (char *m; (m = strstr(buf, from[k]));) {
			char *n = tu_fmt("%.*s%s%s", (int)(m - buf), buf, to[k], m + strlen(from[k]));
			free(buf);
			buf = n;
		}
	free(real);
	return buf;
}

static void golden(const char *name, const char *got)
{
	char *path = tu_fmt("tests/data/plan/%s", name);
	if (getenv("UPDATE_GOLDEN"))
		tu_write(path, got);
	char *want = tu_read(path, NULL);
	ck_assert_msg(want != NULL, "missing %s", path);
	ck_assert_msg(strcmp(want, got) == 0, "%s differs:\n--- want\n%s--- got\n%s", path, want, got);
	free(want);
	free(path);
}

START_TEST(test_golden_renderings)
{
	commit(BASE "www 600 A 192.0.2.10\napi A 192.0.2.20\napi A 192.0.2.21\nnew TXT \"hello world\"\n"
		    "@ MX 10 mail\nmail A 192.0.2.25\n");
	serve(BASE "www 300 A 192.0.2.10\napi A 192.0.2.20\nold CNAME www\n@ MX 10 mail\nmail A 192.0.2.25\n");
	struct zsync_config *cfg = config("");
	/* a second provider that cannot be opened: planned as failed, the rest goes on */
	zsync_strlist_add(&cfg->zones[0].providers, "gone");
	struct zsync_plan *p = plan(cfg);
	ck_assert_uint_eq(zsync_plan_changes(p), 4);
	ck_assert_uint_eq(zsync_plan_failed(p), 1);
	char *t = render(p, 0), *m = render(p, 1), *j = render(p, 2);
	golden("changes.txt", t);
	golden("changes.md", m);
	golden("changes.json", j);
	/* same inputs, same bytes */
	struct zsync_plan *p2 = plan(cfg);
	char *j2 = render(p2, 2);
	ck_assert_str_eq(j, j2);
	ck_assert_str_eq(p->hash, p2->hash);
	/* the same shape of plan with one served value different: another hash (what
	 * apply --plan relies on to refuse a plan reviewed against other live state) */
	serve(BASE "www 300 A 192.0.2.11\napi A 192.0.2.20\nold CNAME www\n@ MX 10 mail\nmail A 192.0.2.25\n");
	struct zsync_plan *p3 = plan(cfg);
	ck_assert_uint_eq(zsync_plan_changes(p3), 4);
	ck_assert_str_ne(p->hash, p3->hash);
	zsync_plan_free(p3);
	free(t);
	free(m);
	free(j);
	free(j2);
	zsync_plan_free(p);
	zsync_plan_free(p2);
	zsync_config_free(cfg);
}
END_TEST

/* Plans the committed zone against the served one; returns the refusal ("" if none). */
static char *refusal(const char *desired, const char *served, const char *extra)
{
	commit(desired);
	serve(served);
	struct zsync_config *cfg = config(extra);
	struct zsync_plan *p = plan(cfg);
	ck_assert_uint_eq(p->nentries, 1);
	ck_assert_int_eq(p->entries[0].status, ZSYNC_ENTRY_READY);
	char *r = strdup(p->entries[0].refused ? p->entries[0].refused : "");
	zsync_plan_free(p);
	zsync_config_free(cfg);
	return r;
}

#define REFUSED(want, desired, served, extra) do { \
	char *r_ = refusal(desired, served, extra); \
	ck_assert_msg(strcmp(r_, want) == 0, "want '%s', got '%s'", want, r_); \
	free(r_); } while (0)

START_TEST(test_safety_limits)
{
	const char *five = BASE "a A 192.0.2.11\nb A 192.0.2.12\nc A 192.0.2.13\nd A 192.0.2.14\ne A 192.0.2.15\n";
	/* 8 RRsets (NS, ns1, ns2, a-e); deleting 3 is 37 % > 30 % */
	REFUSED("deletes 3 of 8 RRsets (37%), over max_delete_pct = 30%", BASE "a A 192.0.2.11\nb A 192.0.2.12\n", five, "");
	REFUSED("", BASE "a A 192.0.2.11\nb A 192.0.2.12\nc A 192.0.2.13\n", five, "");
	REFUSED("", BASE "a A 192.0.2.11\nb A 192.0.2.12\n", five, "max_delete_pct = 50\n");
	REFUSED("updates 3 of 8 RRsets (37%), over max_update_pct = 30%",
		BASE "a A 192.0.2.21\nb A 192.0.2.22\nc A 192.0.2.23\nd A 192.0.2.14\ne A 192.0.2.15\n", five, "");
	REFUSED("5 changes exceed max_changes = 4", five, BASE, "max_changes = 4\n");
	/* below min_existing the percentages do not apply */
	REFUSED("", SOA "@ NS ns1\nns1 A 192.0.2.1\n", SOA "@ NS ns1\nns1 A 192.0.2.1\nx A 192.0.2.9\n", "");
	REFUSED("deletes 1 of 3 RRsets (33%), over max_delete_pct = 30%", SOA "@ NS ns1\nns1 A 192.0.2.1\n",
		SOA "@ NS ns1\nns1 A 192.0.2.1\nx A 192.0.2.9\n", "min_existing = 3\n");
	/* protected: changing the apex NS set (a zone without one does not pass check); creating it or a TTL change is fine */
	REFUSED("protected change: changes the apex NS records", SOA "@ NS ns1\n@ NS ns3.example.net.\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n", BASE, "");
	REFUSED("", BASE, SOA "ns1 A 192.0.2.1\nns2 A 192.0.2.2\n", "");
	REFUSED("", SOA "@ 900 NS ns1\n@ 900 NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n", BASE, "");
}
END_TEST

/*
 * A memory provider where another host deploys while this apply runs: the first apply
 * finds the zone changed (the other host's commit and marker are live) and says conflict.
 */
extern const struct zsync_provider_type zsync_provider_memory;
static char race_commit[41];
static int race_applies;

static int race_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	if (race_applies++ > 0)
		return zsync_provider_memory.apply(priv, req, err);
	uint8_t www[ZSYNC_NAME_MAXLEN], mname[ZSYNC_NAME_MAXLEN], a[4] = { 192, 0, 2, 20 };
	struct zsync_zone *other = zsync_zone_new(req->zone, err), *mz;
	ck_assert_int_eq(zsync_name_from_text("www.example.com.", NULL, www), 0);
	ck_assert_int_eq(zsync_name_from_text("_zonesync.example.com.", NULL, mname), 0);
	for (size_t i = 0; i < zsync_zone_iter_count(req->desired); i++) {
		const struct zsync_rrset *r = zsync_zone_iter(req->desired, i);
		if (r && !(r->type == ZSYNC_TYPE_A && zsync_name_equal(r->owner, www)))
			zsync_zone_put_rrset(other, r, r->ttl);
	}
	ck_assert_int_eq(zsync_zone_add(other, www, ZSYNC_TYPE_A, 300, a, 4, err), 0);
	mz = zsync_marker_zone(req->zone, mname, race_commit, time(NULL), err);
	zsync_zone_put_rrset(other, zsync_zone_find(mz, mname, ZSYNC_TYPE_TXT), ZSYNC_MARKER_TTL);
	struct zsync_changeset none = { 0 };
	struct zsync_apply_req put = { .zone = req->zone, .base = other, .changes = &none, .create_zone = true };
	ck_assert_int_eq(zsync_provider_memory.apply(priv, &put, err), 0);
	zsync_zone_free(other);
	zsync_zone_free(mz);
	return zsync_err_set(err, ZSYNC_ECONFLICT, "the zone changed at the provider since it was planned");
}

/* A conflict re-reads and re-plans: a newer commit deployed meanwhile is never undone. */
START_TEST(test_replan_never_backwards)
{
	char *p = tu_fmt("%s/repo/zonesync.toml", dir);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_plan *pl = NULL;
	int rc;

	commit(BASE "www A 192.0.2.10\n");
	commit(BASE "www A 192.0.2.20\n");
	char *head = tu_sh_out(&rc, "cd '%s/repo' && git rev-parse HEAD", dir);
	snprintf(race_commit, sizeof(race_commit), "%.40s", head);
	free(head);
	race_applies = 0;
	tu_write(p, "[providers.mem]\ntype = \"memory\"\ncreate_zones = true\n[[zones]]\nname = \"example.com\"\nproviders = [\"mem\"]\n");
	struct zsync_config *cfg = zsync_config_load(p, &d, &err);
	ck_assert_ptr_nonnull(cfg);
	/* this host plans the older commit (HEAD~1) while the other deploys HEAD */
	ck_assert_int_eq(zsync_repo_open(&repo, cfg->repo.path, &err), 0);
	ck_assert_int_eq(zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, "HEAD~1", &err), 0);
	ck_assert_msg(zsync_plan_build(&pl, cfg, tree, NULL, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(zsync_deploy_check(pl, repo, NULL), 0);
	struct zsync_provider_type race = zsync_provider_memory;
	race.apply = race_apply;
	pl->providers[0].type = &race;
	struct zsync_apply_totals t;
	zsync_sync_apply(pl, NULL, 0, &(struct zsync_apply_opts){ .repo = repo }, &t);
	ck_assert_int_eq(race_applies, 1);
	ck_assert_int_eq(pl->entries[0].result, ZSYNC_RESULT_OLDER);
	ck_assert_uint_eq(t.older, 1);
	ck_assert_uint_eq(t.changed, 0);
	ck_assert_msg(strstr(pl->entries[0].result_error, "older than what is deployed"), "%s", pl->entries[0].result_error);
	/* the other host's commit is still what is served */
	struct zsync_zone *now = NULL;
	struct zsync_marker m;
	uint8_t mname[ZSYNC_NAME_MAXLEN];
	ck_assert_int_eq(zsync_name_from_text("_zonesync.example.com.", NULL, mname), 0);
	ck_assert_int_eq(race.fetch(pl->providers[0].priv, "example.com.", &now, &err), 0);
	ck_assert_int_eq(zsync_marker_read(now, mname, &m, &err), 1);
	ck_assert_str_eq(m.commit, race_commit);
	zsync_zone_free(now);
	zsync_plan_free(pl);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	zsync_config_free(cfg);
	zsync_diags_release(&d);
	free(p);
}
END_TEST

/*
 * apply --prune-zones deletes a zone only when its marker at the provider names this
 * checkout's commit or an ancestor: newer work, a commit never seen, no marker or a TXT
 * that is not zonesync's keep it, whatever this host's state db says.
 */
START_TEST(test_prune_reads_the_marker)
{
	char *p = tu_fmt("%s/repo/zonesync.toml", dir), *why;
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_repo *repo = NULL;
	char older[41], newer[41];
	uint8_t mname[ZSYNC_NAME_MAXLEN], other[4] = { 3, 'a', 'b', 'c' };
	int rc;

	commit(BASE "www A 192.0.2.10\n");
	char *h = tu_sh_out(&rc, "cd '%s/repo' && git rev-parse HEAD", dir);
	snprintf(older, sizeof(older), "%.40s", h);
	free(h);
	commit(BASE "www A 192.0.2.20\n");
	h = tu_sh_out(&rc, "cd '%s/repo' && git rev-parse HEAD", dir);
	snprintf(newer, sizeof(newer), "%.40s", h);
	free(h);
	tu_write(p, "[providers.mem]\ntype = \"memory\"\n[providers.off]\ntype = \"memory\"\nmarker = \"\"\n"
		    "[[zones]]\nname = \"example.com\"\nproviders = [\"mem\"]\n");
	struct zsync_config *cfg = zsync_config_load(p, &d, &err);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(zsync_repo_open(&repo, cfg->repo.path, &err), 0);
	const struct zsync_provider_conf *mem = zsync_config_provider(cfg, "mem"), *off = zsync_config_provider(cfg, "off");
	ck_assert_int_eq(zsync_name_from_text("_zonesync.example.com.", NULL, mname), 0);
	struct zsync_zone *at_older = zsync_marker_zone("example.com.", mname, older, 0, &err);
	struct zsync_zone *at_newer = zsync_marker_zone("example.com.", mname, newer, 0, &err);
	struct zsync_zone *unseen = zsync_marker_zone("example.com.", mname, "0123456789abcdef0123456789abcdef01234567", 0, &err);
	struct zsync_zone *none = zsync_zone_new("example.com.", &err), *foreign = zsync_zone_new("example.com.", &err);
	ck_assert_int_eq(zsync_zone_add(foreign, mname, ZSYNC_TYPE_TXT, 300, other, 4, &err), 0);

	/* deployed from this commit or an ancestor: it may go */
	ck_assert_ptr_null(zsync_deploy_prune_check(mem, "example.com.", at_older, repo, newer));
	ck_assert_ptr_null(zsync_deploy_prune_check(mem, "example.com.", at_newer, repo, newer));
	/* newer work than this checkout */
	why = zsync_deploy_prune_check(mem, "example.com.", at_newer, repo, older);
	ck_assert_msg(why && strstr(why, "its deployment marker says commit") && strstr(why, "does not descend from"), "%s", why);
	free(why);
	/* a commit this repository never saw */
	why = zsync_deploy_prune_check(mem, "example.com.", unseen, repo, newer);
	ck_assert_msg(why && strstr(why, "says commit 0123456789ab"), "%s", why);
	free(why);
	/* nothing says what deployed it, or something else is there */
	why = zsync_deploy_prune_check(mem, "example.com.", none, repo, newer);
	ck_assert_msg(why && strstr(why, "holds no deployment marker: nothing says what deployed it"), "%s", why);
	free(why);
	why = zsync_deploy_prune_check(mem, "example.com.", foreign, repo, newer);
	ck_assert_msg(why && strstr(why, "no deployment marker of zonesync's"), "%s", why);
	free(why);
	/* a provider without a marker: only the state db's check */
	ck_assert_ptr_null(zsync_deploy_prune_check(off, "example.com.", none, repo, older));
	zsync_zone_free(at_older);
	zsync_zone_free(at_newer);
	zsync_zone_free(unseen);
	zsync_zone_free(none);
	zsync_zone_free(foreign);
	zsync_repo_close(repo);
	zsync_config_free(cfg);
	zsync_diags_release(&d);
	free(p);
}
END_TEST

/* The whole apply path on the in-memory provider: journal, health, the provider's result. */
/* The marker's name is per provider, and "" writes none; git records at the marker's own
 * name are refused at that provider (they could never be deployed), the others go on. */
START_TEST(test_marker_per_provider)
{
	char *p = tu_fmt("%s/repo/zonesync.toml", dir);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	commit(BASE "www A 192.0.2.10\n_zonesync TXT \"git's own\"\n");
	tu_write(p, "[providers.off]\ntype = \"memory\"\ncreate_zones = true\nmarker = \"\"\n"
		    "[providers.ops]\ntype = \"memory\"\ncreate_zones = true\nmarker = \"_Deployed.OPS\"\n"
		    "[providers.dflt]\ntype = \"memory\"\ncreate_zones = true\n"
		    "[[zones]]\nname = \"example.com\"\nproviders = [\"off\", \"ops\", \"dflt\"]\n");
	struct zsync_config *cfg = zsync_config_load(p, &d, &err);
	ck_assert_ptr_nonnull(cfg);
	struct zsync_plan *pl = plan(cfg);
	ck_assert_uint_eq(pl->nentries, 3);
	/* git's TXT at _zonesync is zone data where that is not the marker's name, else refused */
	ck_assert_uint_eq(pl->entries[0].cs.creates, 5);
	ck_assert_uint_eq(pl->entries[1].cs.creates, 5);
	ck_assert_uint_eq(pl->entries[0].cs.warnings.n, 0);
	ck_assert_int_eq(pl->entries[2].status, ZSYNC_ENTRY_FAILED);
	ck_assert_msg(strstr(pl->entries[2].error, "git has records at _zonesync.example.com., the name of zonesync's deployment marker at this provider"),
		      "%s", pl->entries[2].error);
	struct zsync_apply_totals t;
	zsync_sync_apply(pl, NULL, 0, &(struct zsync_apply_opts){ 0 }, &t);
	ck_assert_uint_eq(t.changed, 2);
	ck_assert_uint_eq(t.failed, 1);
	uint8_t dflt[ZSYNC_NAME_MAXLEN], ops[ZSYNC_NAME_MAXLEN];
	ck_assert_int_eq(zsync_name_from_text("_zonesync.example.com.", NULL, dflt), 0);
	ck_assert_int_eq(zsync_name_from_text("_deployed.ops.example.com.", NULL, ops), 0);
	for (size_t i = 0; i < 3; i++) {
		struct zsync_zone *now = NULL;
		struct zsync_marker m;
		const struct zsync_plan_provider *pp = pl->entries[i].provider;
		int fr = pp->type->fetch(pp->priv, "example.com.", &now, &err);
		if (i == 2) {
			/* refused: nothing was sent there, the zone was never created */
			ck_assert_int_eq(fr, ZSYNC_ENOTFOUND);
			continue;
		}
		ck_assert_int_eq(fr, 0);
		if (i == 0) {
			/* no marker: git's record there is plain data */
			ck_assert_int_eq(zsync_marker_read(now, dflt, &m, &err), ZSYNC_EINVAL);
			ck_assert_ptr_null(zsync_zone_find(now, ops, ZSYNC_TYPE_TXT));
		} else if (i == 1) {
			ck_assert_int_eq(zsync_marker_read(now, ops, &m, &err), 1);
			ck_assert_str_eq(m.commit, pl->commit);
		}
		zsync_zone_free(now);
	}
	zsync_plan_free(pl);
	zsync_config_free(cfg);
	zsync_diags_release(&d);
	free(p);
}
END_TEST

/* A configuration of example.com at one memory provider "mem", after the given [defaults]. */
static struct zsync_config *mem_config(const char *defaults)
{
	char *p = tu_fmt("%s/repo/zonesync.toml", dir);
	char *text = tu_fmt("%s[providers.mem]\ntype = \"memory\"\ncreate_zones = true\n"
			    "[[zones]]\nname = \"example.com\"\nproviders = [\"mem\"]\n", defaults);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	tu_write(p, text);
	struct zsync_config *cfg = zsync_config_load(p, &d, &err);
	ck_assert_msg(cfg != NULL, "%s", err.msg);
	zsync_diags_release(&d);
	free(text);
	free(p);
	return cfg;
}

START_TEST(test_apply_memory)
{
	char *db = tu_fmt("%s/state.db", dir);
	struct zsync_err err = { 0 };
	commit(BASE "www A 192.0.2.10\nt TXT \"x\"\n");
	struct zsync_config *cfg = mem_config("");
	struct zsync_plan *pl = plan(cfg);
	ck_assert(pl->entries[0].create_zone);
	ck_assert_uint_eq(pl->entries[0].cs.creates, 5);
	struct zsync_state *st = NULL;
	int64_t run;
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", pl->commit, "test", &run, &err), 0);
	struct zsync_apply_totals t;
	zsync_sync_apply(pl, st, run, &(struct zsync_apply_opts){ 0 }, &t);
	ck_assert_uint_eq(t.changed, 1);
	ck_assert_uint_eq(t.changes, 5);
	ck_assert_int_eq(pl->entries[0].result, ZSYNC_RESULT_CHANGED);
	/* the provider now serves every RRset of git except the SOA (which it owns), and the
	 * deployment marker naming this commit */
	struct zsync_zone *now = NULL;
	ck_assert_int_eq(pl->providers[0].type->fetch(pl->providers[0].priv, "example.com.", &now, &err), 0);
	ck_assert_uint_eq(zsync_zone_rrset_count(now), zsync_zone_rrset_count(pl->zones[0].desired) - 1 + 1);
	uint8_t mname[ZSYNC_NAME_MAXLEN];
	struct zsync_marker m;
	ck_assert_int_eq(zsync_name_from_text("_zonesync.example.com.", NULL, mname), 0);
	ck_assert_int_eq(zsync_marker_read(now, mname, &m, &err), 1);
	ck_assert_str_eq(m.commit, pl->commit);
	zsync_zone_free(now);
	zsync_state_close(st);
	int rc;
	char *out = tu_sh_out(&rc, "sqlite3 '%s' \"SELECT count(*) || ' ' || group_concat(DISTINCT status) FROM journal; SELECT consecutive_failures, last_commit = '%s' FROM pair_status\"", db, pl->commit);
	ck_assert_str_eq(out, "5 applied\n0|1\n");
	free(out);
	zsync_plan_free(pl);
	zsync_config_free(cfg);
	free(db);
}
END_TEST

/*
 * Many zones at one provider: a type that can take it (zonefile, powerdns:
 * ZSYNC_CAP_CONCURRENT) is read for up to `jobs` zones at once, through the scheduler of
 * plan's fetch and apply's pushes; powerdns applies one zone at a time unless
 * `concurrency` says more; -j 1 keeps every call on the calling thread, in the zones'
 * order; cloudflare, whose per-zone state is kept per zone, is read side by side too and
 * applied one zone at a time (its API's rate limit is the user's).
 * A provider's calls are held until `want` of them overlap (no clock decides it), or,
 * where they must not overlap, the first one gives a second 0.2 s to show up (a slow
 * machine only makes that check weaker, never false). Reads call the real fetch.
 */
#define NZ 8
struct overlap {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct zsync_plan_provider *first;
	long running[2], most[2], want[2];
	bool timed[2];        /* must not overlap: a short look for a second call */
	size_t started[2], total[2];
	pthread_t caller;
	bool elsewhere;       /* some call ran on another thread than the caller */
	char order[NZ * 2][32];
	size_t norder;
	int fetch_failed;
};

static void overlap_probe(struct zsync_plan *p, struct zsync_plan_entry *e, void *arg)
{
	struct overlap *o = arg;
	int k = e->provider == o->first ? 0 : 1;
	(void)p;
	pthread_mutex_lock(&o->lock);
	if (!pthread_equal(pthread_self(), o->caller))
		o->elsewhere = true;
	snprintf(o->order[o->norder++], sizeof(o->order[0]), "%s@%d", e->zone->conf->name, k);
	o->started[k]++;
	if (++o->running[k] > o->most[k])
		o->most[k] = o->running[k];
	pthread_cond_broadcast(&o->cond);
	if (!o->timed[k]) {
		/* wait for the others to come in, unless all of this provider's calls have started */
		while (o->running[k] < o->want[k] && o->started[k] < o->total[k])
			pthread_cond_wait(&o->cond, &o->lock);
	} else if (o->started[k] == 1 && o->want[k] > 1) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (o->running[k] < 2 && pthread_cond_timedwait(&o->cond, &o->lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&o->lock);
	if (e->provider->priv && e->provider->type->caps & ZSYNC_CAP_CONCURRENT) {
		struct zsync_zone *z = NULL;
		struct zsync_err err = { 0 };
		int r = e->provider->type->fetch(e->provider->priv, e->zone->conf->name, &z, &err);
		zsync_zone_free(z);
		if (r < 0)
			__atomic_add_fetch(&o->fetch_failed, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_lock(&o->lock);
	o->running[k]--;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

/* NZ zones at the provider `first` (a [providers.first] body) and at cloudflare `cf`. */
static void overlap_run(long jobs, enum zsync_plan_phase phase, const char *first, struct overlap *o)
{
	char *cp = tu_fmt("%s/repo/zonesync.toml", dir);
	char *zones = calloc(1, 1);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };

	for (int i = 0; i < NZ; i++) {
		char *z = tu_fmt("%s/repo/zones/z%d.example.zone", dir, i), *sv = tu_fmt("%s/served/z%d.example.zone", dir, i);
		tu_write(z, BASE "www A 192.0.2.10\n");
		tu_write(sv, BASE "www A 192.0.2.11\n");
		char *n = tu_fmt("%s[[zones]]\nname = \"z%d.example\"\nproviders = [\"first\", \"cf\"]\n", zones, i);
		free(zones);
		zones = n;
		free(z);
		free(sv);
	}
	ck_assert_int_eq(tu_sh("cd '%s/repo' && git add -A && (git diff --cached --quiet || git -c user.name=t -c user.email=t@t commit -q -m z)", dir), 0);
	/* cf is not opened (its token is unset): the probe never sends it a request */
	char *text = tu_fmt("[defaults]\njobs = 4\n[providers.first]\n%s"
			    "[providers.cf]\ntype = \"cloudflare\"\nurl = \"http://127.0.0.1:9\"\n"
			    "api_token = \"env:ZS_CHECK_PLAN_UNSET\"\n%s",
			    first, zones);
	tu_write(cp, text);
	struct zsync_config *cfg = zsync_config_load(cp, &d, &err);
	ck_assert_msg(cfg != NULL, "%s %s", err.msg, d.n ? d.v[0].msg : "");
	ck_assert_int_eq(zsync_config_run_options(cfg, NULL, jobs, &err), 0);
	struct zsync_plan *pl = plan(cfg);
	ck_assert_uint_eq(pl->nentries, 2 * NZ);
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->cond, NULL);
	o->caller = pthread_self();
	o->first = &pl->providers[0];
	ck_assert_str_eq(o->first->conf->name, "first");
	o->total[0] = o->total[1] = NZ;
	if (!o->want[1]) { /* unless the test says: at most one call at a time at cf */
		o->want[1] = jobs;
		o->timed[1] = true;
	}
	zsync_plan_each_phase(pl, jobs, phase, overlap_probe, o);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->cond);
	ck_assert_uint_eq(o->norder, 2 * NZ);
	ck_assert_int_eq(o->fetch_failed, 0);
	if (pl->providers[0].priv) /* what the plan itself read from the zone files, side by side */
		for (int i = 0; i < NZ; i++)
			ck_assert_uint_eq(pl->entries[2 * i].cs.updates, 1);
	zsync_plan_free(pl);
	zsync_config_free(cfg);
	zsync_diags_release(&d);
	free(text);
	free(zones);
	free(cp);
}

#define FILES "type = \"zonefile\"\ndirectory = \"../served\"\n"
#define PDNS "type = \"powerdns\"\nurl = \"http://127.0.0.1:9\"\napi_key = \"env:ZS_CHECK_PLAN_UNSET\"\n"

START_TEST(test_provider_concurrency)
{
	struct overlap o = { .want = { 4 } };
	overlap_run(4, ZSYNC_PHASE_READ, FILES, &o);
	ck_assert_int_eq(o.most[0], 4); /* -j 4: four zones read at once at one provider, no more */
	ck_assert(o.elsewhere);
	/* the 4 workers are the run's: the zone files' reads go by, cloudflare's wait for 4 */
	struct overlap c = { .want = { 1, 4 }, .timed = { true, false } };
	overlap_run(4, ZSYNC_PHASE_READ, FILES, &c);
	ck_assert_int_eq(c.most[1], 4); /* cloudflare too: its state is kept per zone */
	struct overlap a = { .want = { 4, 2 }, .timed = { false, true } };
	overlap_run(4, ZSYNC_PHASE_APPLY, FILES, &a);
	ck_assert_int_eq(a.most[0], 4); /* zone files: applied side by side too */
	ck_assert_int_eq(a.most[1], 1); /* cloudflare: one zone's writes at a time */
}
END_TEST

START_TEST(test_provider_concurrency_pdns)
{
	struct overlap o = { .want = { 4 } };
	overlap_run(4, ZSYNC_PHASE_READ, PDNS, &o);
	ck_assert_int_eq(o.most[0], 4);
	/* applies: one zone at a time unless concurrency says more */
	struct overlap a = { .want = { 2 }, .timed = { true } };
	overlap_run(4, ZSYNC_PHASE_APPLY, PDNS, &a);
	ck_assert_int_eq(a.most[0], 1);
	struct overlap c = { .want = { 2 } };
	overlap_run(4, ZSYNC_PHASE_APPLY, PDNS "concurrency = 2\n", &c);
	ck_assert_int_eq(c.most[0], 2);
}
END_TEST

START_TEST(test_provider_concurrency_key)
{
	struct overlap o = { .want = { 2 } };
	overlap_run(4, ZSYNC_PHASE_READ, FILES "concurrency = 2\n", &o);
	ck_assert_int_eq(o.most[0], 2); /* the key lowers it */
}
END_TEST

START_TEST(test_provider_serial_j1)
{
	struct overlap o = { .want = { 1 } };
	overlap_run(1, ZSYNC_PHASE_READ, FILES, &o);
	ck_assert_int_eq(o.most[0], 1);
	ck_assert_int_eq(o.most[1], 1);
	ck_assert(!o.elsewhere); /* -j 1: all on this thread */
	/* in order: providers in theirs, each one's zones in the configuration's */
	for (int i = 0; i < NZ; i++) {
		char want[32];
		snprintf(want, sizeof(want), "z%d.example.@0", i);
		ck_assert_str_eq(o.order[i], want);
		snprintf(want, sizeof(want), "z%d.example.@1", i);
		ck_assert_str_eq(o.order[NZ + i], want);
	}
}
END_TEST

/*
 * A provider that is not atomic, applies the first three changes it is sent, gets no
 * answer for the fourth and never sends the rest (a timeout part way): the memory
 * provider underneath holds what arrived.
 */
static const struct zsync_provider_type *flaky_base;

static int flaky_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct zsync_changeset part = *req->changes;
	struct zsync_apply_req r = *req;
	part.n = part.n < 3 ? part.n : 3;
	r.changes = &part;
	if (flaky_base->apply(priv, &r, err) < 0)
		return ZSYNC_EIO;
	for (size_t i = 0; i < req->changes->n; i++)
		req->applied[i] = i < 3 ? 1 : i == 3 ? 2 : 0;
	return zsync_err_set(err, ZSYNC_EUNKNOWN, "timed out waiting for an answer: the outcome is unknown");
}

/* After an unknown outcome at a provider that is not atomic, its re-read tells every
 * change: those it shows still pending are journalled failed, none stays unknown. */
START_TEST(test_unknown_outcome_non_atomic_reread)
{
	char *db = tu_fmt("%s/state.db", dir);
	struct zsync_err err = { 0 };
	commit(BASE "h1 A 192.0.2.11\nh2 A 192.0.2.12\nh3 A 192.0.2.13\nh4 A 192.0.2.14\nh5 A 192.0.2.15\nh6 A 192.0.2.16\n");
	struct zsync_config *cfg = mem_config("[defaults]\nmax_changes = 100\n");
	struct zsync_plan *pl = plan(cfg);
	size_t n = pl->entries[0].cs.n;
	ck_assert_uint_ge(n, 8);
	struct zsync_provider_type flaky = *pl->providers[0].type;
	flaky_base = pl->providers[0].type;
	flaky.caps &= ~(unsigned)ZSYNC_CAP_ATOMIC;
	flaky.apply = flaky_apply;
	pl->providers[0].type = &flaky;
	struct zsync_state *st = NULL;
	int64_t run;
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", pl->commit, "test", &run, &err), 0);
	struct zsync_apply_totals t;
	/* as with --plan: no re-plan in the run, so only the re-read after the failure speaks */
	zsync_sync_apply(pl, st, run, &(struct zsync_apply_opts){ .no_replan = true }, &t);
	ck_assert_uint_eq(t.failed, 1);
	ck_assert_uint_eq(t.changes, 3);
	int64_t unknown = -1;
	ck_assert_int_eq(zsync_state_unknown_count(st, "example.com.", "mem", &unknown, &err), 0);
	zsync_state_close(st);
	int rc;
	char *out = tu_sh_out(&rc, "sqlite3 '%s' \"SELECT status, count(*) FROM journal GROUP BY status ORDER BY status\"", db);
	char *want = tu_fmt("applied|3\nfailed|%zu\n", n - 3);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(unknown, 0);
	free(out);
	free(want);
	pl->providers[0].type = flaky_base;
	zsync_plan_free(pl);
	zsync_config_free(cfg);
	free(db);
}
END_TEST

/*
 * A provider with prepare (a memory provider underneath): prepare runs while the changes
 * are journalled and apply finds what it made; apply only comes once the whole set is
 * durable as sent; a failed prepare is the apply's failure (apply never called); changes
 * that cannot be journalled are never applied, and what prepare made is discarded.
 */
static const char *prep_db;
static int prep_calls, prep_applies, prep_discards;
static bool prep_fail;
static char prep_token;

static int prep_prepare(void *priv, const struct zsync_apply_req *req, void **prepared, struct zsync_err *err)
{
	(void)priv;
	ck_assert_ptr_null(req->prepared);
	prep_calls++;
	if (prep_fail)
		return zsync_err_set(err, ZSYNC_EIO, "writing the new file: no space left on device");
	*prepared = &prep_token;
	return 0;
}

static void prep_discard(void *priv, void *prepared)
{
	(void)priv;
	ck_assert_ptr_eq(prepared, &prep_token);
	prep_discards++;
}

static int prep_apply(void *priv, const struct zsync_apply_req *req, struct zsync_err *err)
{
	int rc;
	ck_assert_ptr_eq(req->prepared, &prep_token);
	/* what another process (a crash's next run) reads: the set, durable, as sent */
	char *out = tu_sh_out(&rc, "sqlite3 '%s' \"SELECT status, n FROM changeset ORDER BY id DESC LIMIT 1\"", prep_db);
	char *want = tu_fmt("sent|%zu\n", req->changes->n - (req->marker_last ? 1 : 0));
	ck_assert_str_eq(out, want);
	free(out);
	free(want);
	prep_applies++;
	return zsync_provider_memory.apply(priv, req, err);
}

static void prep_run_apply(const char *db, struct zsync_apply_totals *t, struct zsync_plan **out)
{
	struct zsync_err err = { 0 };
	struct zsync_config *cfg = mem_config("");
	struct zsync_plan *pl = plan(cfg);
	static struct zsync_provider_type prep;
	const struct zsync_provider_type *base = pl->providers[0].type;
	prep = *base;
	prep.prepare = prep_prepare;
	prep.discard = prep_discard;
	prep.apply = prep_apply;
	pl->providers[0].type = &prep;
	struct zsync_state *st = NULL;
	int64_t run;
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", pl->commit, "test", &run, &err), 0);
	zsync_sync_apply(pl, st, run, &(struct zsync_apply_opts){ 0 }, t);
	zsync_state_close(st);
	pl->providers[0].type = base;
	*out = pl;
}

static void prep_free(struct zsync_plan *pl)
{
	struct zsync_config *cfg = pl->cfg;
	zsync_plan_free(pl);
	zsync_config_free(cfg);
}

START_TEST(test_apply_prepared)
{
	char *db = tu_fmt("%s/state.db", dir);
	struct zsync_apply_totals t;
	struct zsync_plan *pl;
	int rc;
	char *out;

	prep_db = db;
	prep_calls = prep_applies = prep_discards = 0;
	prep_fail = false;
	commit(BASE "www A 192.0.2.10\nt TXT \"x\"\n");
	prep_run_apply(db, &t, &pl);
	ck_assert_uint_eq(t.changed, 1);
	ck_assert_int_eq(prep_calls, 1);
	ck_assert_int_eq(prep_applies, 1);
	ck_assert_int_eq(prep_discards, 0);
	out = tu_sh_out(&rc, "sqlite3 '%s' \"SELECT count(*) || ' ' || group_concat(DISTINCT status) FROM journal\"", db);
	ck_assert_str_eq(out, "5 applied\n");
	free(out);
	prep_free(pl);

	/* a prepare that fails: journalled as the apply's failure, apply never called */
	prep_fail = true;
	commit(BASE "www A 192.0.2.20\nt TXT \"x\"\n");
	prep_run_apply(db, &t, &pl);
	ck_assert_uint_eq(t.failed, 1);
	ck_assert_int_eq(prep_calls, 2);
	ck_assert_int_eq(prep_applies, 1);
	ck_assert_msg(strstr(pl->entries[0].result_error, "no space left on device"), "%s", pl->entries[0].result_error);
	out = tu_sh_out(&rc, "sqlite3 '%s' \"SELECT status, error FROM journal WHERE run_id = 2\"", db);
	ck_assert_msg(strncmp(out, "failed|", 7) == 0 && strstr(out, "no space left on device"), "%s", out);
	free(out);
	prep_free(pl);

	/* a journal that refuses the set: nothing applied, the preparation discarded */
	prep_fail = false;
	tu_sh("sqlite3 '%s' \"CREATE TRIGGER no_sets BEFORE INSERT ON changeset BEGIN SELECT RAISE(ABORT, 'refused by the test'); END\"", db);
	prep_run_apply(db, &t, &pl);
	ck_assert_uint_eq(t.failed, 1);
	ck_assert_int_eq(prep_calls, 3);
	ck_assert_int_eq(prep_applies, 1);
	ck_assert_int_eq(prep_discards, 1);
	ck_assert_msg(strstr(pl->entries[0].result_error, "not sent: cannot journal the changes"), "%s",
		      pl->entries[0].result_error);
	prep_free(pl);
	free(db);
}
END_TEST

/* A change set big enough that two threads make its journal text: one row per change, in
 * the plan's order, each with its own text. */
START_TEST(test_apply_big_set_journal)
{
	char *db = tu_fmt("%s/state.db", dir);
	struct zsync_err err = { 0 };
	size_t cap = 1 << 20, len = 0;
	char *zone = zsync_xmalloc(cap);
	len += (size_t)snprintf(zone + len, cap - len, "%s", BASE);
	for (int i = 0; i < 9000; i++)
		len += (size_t)snprintf(zone + len, cap - len, "h%d A 10.%d.%d.%d\n", i, i >> 16, (i >> 8) & 255, i & 255);
	commit(zone);
	free(zone);
	struct zsync_config *cfg = mem_config("[defaults]\nmax_changes = 100000\n");
	struct zsync_plan *pl = plan(cfg);
	size_t n = pl->entries[0].cs.n;
	ck_assert_uint_ge(n, 9000);
	struct zsync_state *st = NULL;
	int64_t run;
	ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
	ck_assert_int_eq(zsync_state_run_begin(st, "apply", pl->commit, "test", &run, &err), 0);
	struct zsync_apply_totals t;
	zsync_sync_apply(pl, st, run, &(struct zsync_apply_opts){ 0 }, &t);
	ck_assert_uint_eq(t.changes, n);
	zsync_state_close(st);
	/* the plan's first, middle and last changes are the journal's, at their ids */
	char owner[ZSYNC_NAME_TXT_MAXLEN + 1];
	size_t at[] = { 0, n / 2 - 1, n / 2, n - 1 };
	for (size_t k = 0; k < 4; k++) {
		const struct zsync_change *c = &pl->entries[0].cs.v[at[k]];
		int rc;
		char *out = tu_sh_out(&rc, "sqlite3 '%s' \"SELECT owner, status FROM journal WHERE id = %zu\"", db, at[k] + 1);
		char *want = tu_fmt("%s|applied\n", zsync_name_to_text(c->new->owner, owner, sizeof(owner)));
		ck_assert_str_eq(out, want);
		free(out);
		free(want);
	}
	int rc;
	char *out = tu_sh_out(&rc, "sqlite3 '%s' \"SELECT count(*), count(DISTINCT owner || type), max(id) FROM journal\"", db);
	char *want = tu_fmt("%zu|%zu|%zu\n", n, n, n);
	ck_assert_str_eq(out, want);
	free(out);
	free(want);
	zsync_plan_free(pl);
	zsync_config_free(cfg);
	free(db);
}
END_TEST

/*
 * A big zone (over LINT_BESIDE_MIN, 4096 RRsets) is linted on a thread of its own while
 * the plan diffs and hashes it: the plan must be the serial one (-j 1) all the same,
 * findings in the same order, the same hash and renderings; and when its lint finds an
 * error (cname-other, below everything else), the zone is invalid and apply pushes
 * nothing of it, while the valid zones around it are pushed.
 */
static struct zsync_plan *plan_with(struct zsync_config *cfg, long jobs, bool errors_only, char **diags)
{
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
	struct zsync_plan *p = NULL;
	struct zsync_plan_filter f = { .jobs = jobs, .errors_only = errors_only };
	ck_assert_int_eq(zsync_repo_open(&repo, cfg->repo.path, &err), 0);
	ck_assert_int_eq(zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, "HEAD", &err), 0);
	ck_assert_msg(zsync_plan_build(&p, cfg, tree, &f, &err) == 0, "%s", err.msg);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	*diags = tu_fmt("%zu errors, %zu warnings\n", p->diags.errors, p->diags.warnings);
	for (size_t i = 0; i < p->diags.n; i++) {
		char line[2048];
		zsync_diag_format(&p->diags.v[i], line, sizeof(line));
		char *n = tu_fmt("%s%s\n", *diags, line);
		free(*diags);
		*diags = n;
	}
	return p;
}

START_TEST(test_lint_beside_same_as_serial)
{
	for (int bad = 0; bad < 2; bad++) {
		tu_rmtree(dir);
		free(dir);
		setup();
		size_t cap = 1 << 20, o = 0;
		char *big = malloc(cap);
		o += (size_t)snprintf(big + o, cap - o, "%s", BASE "gone CNAME nowhere\n");
		for (unsigned i = 0; i < 6000; i++)
			o += (size_t)snprintf(big + o, cap - o, "h%u A 192.0.2.%u\n", (i * 7919u) % 6000u, i % 250);
		/* the zone's error, if any, near its end: the last lint finding */
		if (bad)
			o += (size_t)snprintf(big + o, cap - o, "zz CNAME h1\nzz TXT \"beside\"\n");
		char *p = tu_fmt("%s/repo/zones/example.com.zone", dir);
		tu_write(p, big);
		free(p);
		free(big);
		p = tu_fmt("%s/repo/zones/a.example.zone", dir);
		tu_write(p, BASE "old CNAME gone\n");
		free(p);
		p = tu_fmt("%s/repo/zones/z.example.zone", dir);
		tu_write(p, BASE "w CNAME away\n");
		free(p);
		ck_assert_int_eq(tu_sh("cd '%s/repo' && git add -A && git -c user.name=t -c user.email=t@t "
				       "commit -q -m zones", dir), 0);
		p = tu_fmt("%s/repo/zonesync.toml", dir);
		tu_write(p, "[providers.files]\ntype = \"zonefile\"\ndirectory = \"../served\"\ncreate_zones = true\n"
			    "[defaults]\nproviders = [\"files\"]\nmax_changes = 100000\n"
			    "[[zones]]\nname = \"a.example\"\n[[zones]]\nname = \"example.com\"\n"
			    "[[zones]]\nname = \"z.example\"\n");
		struct zsync_diags cd = { 0 };
		struct zsync_err err = { 0 };
		struct zsync_config *cfg = zsync_config_load(p, &cd, &err);
		ck_assert_msg(cfg != NULL, "%s", err.msg);
		zsync_diags_release(&cd);
		free(p);

		for (int eo = 0; eo < 2; eo++) {
			char *d1, *d2;
			struct zsync_plan *serial = plan_with(cfg, 1, eo, &d1), *beside = plan_with(cfg, 2, eo, &d2);
			ck_assert_str_eq(d2, d1);
			ck_assert_str_eq(beside->hash, serial->hash);
			for (int kind = 0; kind < 3; kind++) {
				char *r1 = render(serial, kind), *r2 = render(beside, kind);
				ck_assert_str_eq(r2, r1);
				free(r1);
				free(r2);
			}
			ck_assert_uint_eq(beside->nzones, 3);
			ck_assert_int_eq(beside->zones[1].invalid, bad);
			ck_assert_int_eq(beside->entries[1].status, bad ? ZSYNC_ENTRY_INVALID_ZONE : ZSYNC_ENTRY_READY);
			ck_assert_uint_eq(beside->entries[1].cs.n, bad ? 0 : 6000 + 5);
			ck_assert_int_eq(beside->zones[1].desired == NULL, bad);
			ck_assert_int_eq(strstr(d2, "[cname-other]") != NULL, bad);
			zsync_plan_free(serial);
			free(d1);
			free(d2);
			if (eo == 0) {
				zsync_plan_free(beside);
				continue;
			}
			/* apply the plan made beside: the invalid zone is never pushed */
			char *db = tu_fmt("%s/state.db", dir);
			struct zsync_state *st = NULL;
			int64_t run;
			struct zsync_apply_totals t;
			ck_assert_int_eq(zsync_state_open(&st, db, &err), 0);
			ck_assert_int_eq(zsync_state_run_begin(st, "apply", beside->commit, "test", &run, &err), 0);
			zsync_sync_apply(beside, st, run, &(struct zsync_apply_opts){ .jobs = 2 }, &t);
			zsync_state_close(st);
			char *a = tu_fmt("%s/served/a.example.zone", dir), *e = tu_fmt("%s/served/example.com.zone", dir);
			ck_assert_msg(access(a, F_OK) == 0, "the valid zone a.example was not pushed");
			ck_assert_msg((access(e, F_OK) == 0) == !bad,
				      bad ? "the invalid zone was pushed" : "the valid big zone was not pushed");
			free(a);
			free(e);
			free(db);
			zsync_plan_free(beside);
		}
		zsync_config_free(cfg);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_golden_renderings);
	tcase_add_test(tc, test_safety_limits);
	tcase_add_test(tc, test_apply_memory);
	tcase_add_test(tc, test_unknown_outcome_non_atomic_reread);
	tcase_add_test(tc, test_apply_big_set_journal);
	tcase_add_test(tc, test_apply_prepared);
	tcase_add_test(tc, test_marker_per_provider);
	tcase_add_test(tc, test_replan_never_backwards);
	tcase_add_test(tc, test_prune_reads_the_marker);
	tcase_add_test(tc, test_provider_concurrency);
	tcase_add_test(tc, test_provider_concurrency_key);
	tcase_add_test(tc, test_provider_concurrency_pdns);
	tcase_add_test(tc, test_provider_serial_j1);
	tcase_add_test(tc, test_lint_beside_same_as_serial);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
