/* check_repo.c - zones read from git: commit, index and work tree differ; refs; confinement; the CLI */
#include "testutil.h"

#include "lint.h"
#include "repo.h"
#include "zone.h"

static char *repo_dir;

#define ZONE(ip) "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n" \
		 "$INCLUDE common.inc\nwww A " ip "\n"

static void git(const char *fmt, const char *arg)
{
	char *cmd = tu_fmt(fmt, arg);
	ck_assert_msg(tu_sh("cd '%s' && %s >/dev/null 2>&1", repo_dir, cmd) == 0, "failed: %s", cmd);
	free(cmd);
}

static void put(const char *path, const char *content)
{
	char *p = tu_fmt("%s/%s", repo_dir, path);
	tu_write(p, content);
	free(p);
}

/*
 * HEAD~1: www 192.0.2.10, common.inc TXT "one"   (tag v1, branch old)
 * HEAD:   www 192.0.2.11, common.inc TXT "two"
 * index:  www 192.0.2.12
 * work:   www 192.0.2.13, common.inc TXT "three"
 */
static void setup(void)
{
	repo_dir = tu_tmpdir();
	git("git init -q -b main . && git config user.email t@example.com && git config user.name t%s", "");
	tu_sh("mkdir -p '%s/zones/sub' '%s/other'", repo_dir, repo_dir);
	put("zones/example.com.zone", ZONE("192.0.2.10"));
	put("zones/common.inc", "@ TXT \"one\"\n");
	put("zones/sub/example.net.zone", "$TTL 60\n@ SOA ns1.example.com. h 1 2 3 4 5\n@ NS ns1.example.com.\n");
	put("zones/README", "not a zone\n");
	put("other/elsewhere.zone", "garbage\n");
	git("git add -A && git commit -q -m one && git tag v1 && git branch old%s", "");
	put("zones/example.com.zone", ZONE("192.0.2.11"));
	put("zones/common.inc", "@ TXT \"two\"\n");
	git("git commit -q -am two%s", "");
	put("zones/example.com.zone", ZONE("192.0.2.12"));
	git("git add zones/example.com.zone%s", "");
	put("zones/example.com.zone", ZONE("192.0.2.13"));
	put("zones/common.inc", "@ TXT \"three\"\n");
}

static void teardown(void)
{
	tu_rmtree(repo_dir);
	free(repo_dir);
}

/* Loads example.com from the given view and returns "www-address txt". */
static char *view(enum zsync_tree_kind kind, const char *ref)
{
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = NULL;
	uint8_t n[ZSYNC_NAME_MAXLEN];
	char ip[64], txt[64];

	ck_assert_int_eq(zsync_repo_open(&repo, repo_dir, &err), 0);
	ck_assert_msg(zsync_repo_tree(&tree, repo, kind, ref, &err) == 0, "%s", err.msg);
	ck_assert_msg(zsync_lint_load(&z, tree, "zones/example.com.zone", "example.com.", &d, &err) == 0,
		      "%s %s", err.msg, d.n ? d.v[0].msg : "");
	zsync_name_from_text("www.example.com.", NULL, n);
	const struct zsync_rrset *r = zsync_zone_find(z, n, ZSYNC_TYPE_A);
	ck_assert_ptr_nonnull(r);
	zsync_rdata_to_text(r->type, r->rdata, ip, sizeof(ip));
	r = zsync_zone_find(z, zsync_zone_origin(z), ZSYNC_TYPE_TXT);
	ck_assert_ptr_nonnull(r);
	zsync_rdata_to_text(r->type, r->rdata, txt, sizeof(txt));
	zsync_zone_free(z);
	zsync_diags_release(&d);
	zsync_tree_free(tree);
	zsync_repo_close(repo);
	return tu_fmt("%s %s", ip, txt);
}

START_TEST(test_views_differ)
{
	char *s;
	s = view(ZSYNC_TREE_COMMIT, NULL);
	ck_assert_str_eq(s, "192.0.2.11 \"two\"");
	free(s);
	s = view(ZSYNC_TREE_INDEX, NULL);
	ck_assert_str_eq(s, "192.0.2.12 \"two\""); /* common.inc was not staged */
	free(s);
	s = view(ZSYNC_TREE_WORKTREE, NULL);
	ck_assert_str_eq(s, "192.0.2.13 \"three\"");
	free(s);
}
END_TEST

START_TEST(test_refs)
{
	const char *old[] = { "v1", "old", "HEAD~1", "main^" };
	for (size_t i = 0; i < 4; i++) {
		char *s = view(ZSYNC_TREE_COMMIT, old[i]);
		ck_assert_msg(strcmp(s, "192.0.2.10 \"one\"") == 0, "%s -> %s", old[i], s);
		free(s);
	}
	int st;
	char *full = tu_sh_out(&st, "cd '%s' && git rev-parse HEAD~1 | tr -d '\\n'", repo_dir);
	char shortid[8];
	snprintf(shortid, sizeof(shortid), "%.7s", full);
	char *s = view(ZSYNC_TREE_COMMIT, full);
	ck_assert_str_eq(s, "192.0.2.10 \"one\"");
	free(s);
	s = view(ZSYNC_TREE_COMMIT, shortid);
	ck_assert_str_eq(s, "192.0.2.10 \"one\"");
	free(s);
	free(full);

	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
	ck_assert_int_eq(zsync_repo_open(&repo, repo_dir, &err), 0);
	ck_assert_int_lt(zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, "no-such-branch", &err), 0);
	ck_assert_msg(strstr(err.msg, "ref 'no-such-branch'"), "%s", err.msg);
	zsync_repo_close(repo);
}
END_TEST

START_TEST(test_list)
{
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
	struct zsync_strlist l = { 0 };
	enum zsync_tree_kind kinds[] = { ZSYNC_TREE_COMMIT, ZSYNC_TREE_INDEX, ZSYNC_TREE_WORKTREE };

	ck_assert_int_eq(zsync_repo_open(&repo, repo_dir, &err), 0);
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(zsync_repo_tree(&tree, repo, kinds[k], NULL, &err), 0);
		ck_assert_int_eq(zsync_tree_list(tree, "zones", ".zone", &l, &err), 0);
		ck_assert_uint_eq(l.n, 2);
		ck_assert_str_eq(l.v[0], "zones/example.com.zone");
		ck_assert_str_eq(l.v[1], "zones/sub/example.net.zone");
		zsync_strlist_release(&l);
		ck_assert_int_eq(zsync_tree_list(tree, "nonexistent", ".zone", &l, &err), 0);
		ck_assert_uint_eq(l.n, 0);
		zsync_tree_free(tree);
	}
	zsync_repo_close(repo);
	char *origin = zsync_lint_origin_from_path("zones/sub/example.net.zone");
	ck_assert_str_eq(origin, "example.net.");
	free(origin);
	ck_assert_ptr_null(zsync_lint_origin_from_path("zones/README"));
}
END_TEST

START_TEST(test_symlink_refused)
{
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = NULL;

	tu_sh("cd '%s' && ln -sf /etc/hostname zones/common.inc && git add -A && git commit -qm link", repo_dir);
	ck_assert_int_eq(zsync_repo_open(&repo, repo_dir, &err), 0);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(zsync_repo_tree(&tree, repo, k ? ZSYNC_TREE_WORKTREE : ZSYNC_TREE_COMMIT, NULL, &err), 0);
		ck_assert_int_eq(zsync_lint_load(&z, tree, "zones/example.com.zone", "example.com.", &d, &err), ZSYNC_EINVAL);
		ck_assert_msg(d.n >= 1 && strstr(d.v[0].msg, "zones/common.inc"), "%s", d.n ? d.v[0].msg : "");
		ck_assert_str_eq(d.v[0].rule, "include");
		zsync_zone_free(z);
		zsync_diags_release(&d);
		zsync_tree_free(tree);
	}
	zsync_repo_close(repo);
}
END_TEST

START_TEST(test_unborn_head)
{
	char *dir = tu_tmpdir();
	struct zsync_repo *repo = NULL;
	struct zsync_tree *tree = NULL;
	struct zsync_err err = { 0 };

	tu_sh("git init -q '%s'", dir);
	ck_assert_int_eq(zsync_repo_open(&repo, dir, &err), 0);
	ck_assert_int_lt(zsync_repo_tree(&tree, repo, ZSYNC_TREE_COMMIT, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, "no commit yet"), "%s", err.msg);
	zsync_repo_close(repo);
	ck_assert_int_lt(zsync_repo_open(&repo, "/nonexistent/dir", &err), 0);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/*
 * A SHA-256 repository (git init --object-format=sha256): never opened as if it were one
 * of SHA-1 (the deployment marker holds a 40-hex commit id); a clear error names it.
 */
START_TEST(test_sha256_refused)
{
	char *dir = tu_tmpdir(), *sub = tu_fmt("%s/zones", dir);
	struct zsync_repo *repo = NULL;
	struct zsync_err err = { 0 };

	tu_sh("git init -q --object-format=sha256 '%s' && mkdir '%s/zones' && printf '$TTL 300\\n@ SOA ns1 h 1 2 3 4 5\\n@ NS ns1\\nns1 A 192.0.2.1\\n' > '%s/zones/example.com.zone' && "
	      "git -C '%s' add -A && git -C '%s' -c user.name=t -c user.email=t@t commit -q -m z", dir, dir, dir, dir, dir);
	ck_assert_int_eq(zsync_repo_open(&repo, dir, &err), ZSYNC_EINVAL);
	ck_assert_ptr_null(repo);
	ck_assert_msg(strstr(err.msg, "the repository names its objects by sha256 (extensions.objectformat)") &&
		      strstr(err.msg, "SHA-1 repositories only"), "%s", err.msg);
	/* from a folder inside it too */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(zsync_repo_open(&repo, sub, &err), ZSYNC_EINVAL);
	ck_assert_msg(strstr(err.msg, "by sha256"), "%s", err.msg);
	/* format version 0 ignores extensions, as git does: a SHA-1 repository with a stray key opens */
	char *plain = tu_tmpdir();
	tu_sh("git init -q '%s' && git -C '%s' config extensions.objectformat sha256", plain, plain);
	ck_assert_int_eq(zsync_repo_open(&repo, plain, &err), 0);
	zsync_repo_close(repo);
	tu_rmtree(dir);
	tu_rmtree(plain);
	free(dir);
	free(plain);
	free(sub);
}
END_TEST

/* The command line, as a pre-commit hook would run it. */
START_TEST(test_cli_check)
{
	const char *bin = getenv("ZONESYNC");
	int st;
	char *out;

	static char abs[4096];
	if (!bin)
		bin = realpath("build/zonesync", abs) ? abs : "build/zonesync";
	out = tu_sh_out(&st, "cd '%s' && '%s' check 2>&1", repo_dir, bin);
	ck_assert_msg(st == 0, "%s", out);
	ck_assert_msg(strstr(out, "checked 2 zones in commit"), "%s", out);
	free(out);
	/* a broken staged zone: --index fails with path:line, HEAD still passes */
	put("zones/example.com.zone", ZONE("192.0.2.300") "www CNAME x\n");
	git("git add zones/example.com.zone%s", "");
	out = tu_sh_out(&st, "cd '%s/zones' && '%s' check --index 2>&1", repo_dir, bin);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(out, "zones/example.com.zone:6:7: error: invalid IPv4 address '192.0.2.300' (an A record holds one IPv4 address"), "%s", out);
	free(out);
	out = tu_sh_out(&st, "'%s' check --repo '%s' example.com 2>&1", bin, repo_dir);
	ck_assert_msg(st == 0, "%s", out);
	free(out);
	/* semantic error in the work tree */
	put("zones/example.com.zone", ZONE("192.0.2.14") "www CNAME x\n");
	out = tu_sh_out(&st, "'%s' --no-color check --worktree --repo '%s' example.com. 2>&1", bin, repo_dir);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(out, "zones/example.com.zone:7: error: CNAME beside other data at www.example.com. (A at zones/example.com.zone:6) [cname-other]"), "%s", out);
	free(out);
	/* only the named zone */
	out = tu_sh_out(&st, "'%s' check --worktree --repo '%s' example.net 2>&1", bin, repo_dir);
	ck_assert_msg(st == 0 && strstr(out, "checked 1 zone"), "%s", out);
	free(out);
	out = tu_sh_out(&st, "'%s' check --repo '%s' nosuch.example 2>&1", bin, repo_dir);
	ck_assert_int_eq(st, 1);
	free(out);
	out = tu_sh_out(&st, "'%s' check --bogus 2>&1", bin);
	ck_assert_int_eq(st, 64);
	ck_assert_msg(strstr(out, "unknown option '--bogus'"), "%s", out);
	free(out);
	out = tu_sh_out(&st, "'%s' check --index --worktree 2>&1", bin);
	ck_assert_int_eq(st, 64);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("repo");
	TCase *tc = tcase_create("git");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_views_differ);
	tcase_add_test(tc, test_refs);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_symlink_refused);
	tcase_add_test(tc, test_unborn_head);
	tcase_add_test(tc, test_sha256_refused);
	tcase_add_test(tc, test_cli_check);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
