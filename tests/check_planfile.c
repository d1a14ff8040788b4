/* check_planfile.c - a saved plan read back for apply --plan: what is refused, and the reviewed counts */
#include "testutil.h"

#include "planfile.h"

#define COMMIT "1c58cf9523e5c81bb7838ed22d24c7425eb9f3be"
#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static const char *parse_error(const char *text)
{
	static char msg[1024];
	struct zsync_planfile pf;
	struct zsync_err err = { 0 };
	ck_assert_int_lt(zsync_planfile_parse(&pf, text, strlen(text), "plan.json", &err), 0);
	ck_assert_ptr_null(pf.doc);
	snprintf(msg, sizeof(msg), "%s", err.msg);
	return msg;
}

START_TEST(test_planfile)
{
	const char *good = "{\"format\": \"zonesync-plan/2\", \"commit\": \"" COMMIT "\", \"hash\": \"" HASH "\","
			   " \"zones\": [{\"zone\": \"example.com.\", \"providers\": ["
			   "{\"provider\": \"pdns\", \"state\": \"changes\", \"changes\": [{}, {}, {}]},"
			   "{\"provider\": \"files\", \"state\": \"in-sync\"}]}]}";
	struct zsync_planfile pf;
	struct zsync_err err = { 0 };

	ck_assert_int_eq(zsync_planfile_parse(&pf, good, strlen(good), "plan.json", &err), 0);
	ck_assert_str_eq(pf.commit, COMMIT);
	ck_assert_str_eq(pf.hash, HASH);
	ck_assert_int_eq(zsync_planfile_changes(&pf, "example.com.", "pdns"), 3);
	ck_assert_int_eq(zsync_planfile_changes(&pf, "example.com.", "files"), 0);
	ck_assert_int_eq(zsync_planfile_changes(&pf, "example.com.", "bind"), -1);
	ck_assert_int_eq(zsync_planfile_changes(&pf, "example.org.", "pdns"), -1);
	zsync_planfile_release(&pf);

	/* the commit is handed to git: only a full commit id, never a branch or an option */
	const char *m = parse_error("{\"commit\": \"HEAD\", \"hash\": \"" HASH "\"}");
	ck_assert_str_eq(m, "plan.json: not a zonesync plan (the commit is not a full commit id)");
	m = parse_error("{\"commit\": \"--upload-pack=evil\", \"hash\": \"" HASH "\"}");
	ck_assert_msg(strstr(m, "the commit is not a full commit id"), "%s", m);
	m = parse_error("{\"commit\": \"" COMMIT "\", \"hash\": \"abc\"}");
	ck_assert_str_eq(m, "plan.json: not a zonesync plan (the hash is not 64 hex digits)");
	m = parse_error("{\"commit\": \"" COMMIT "\", \"commit\": \"" COMMIT "\", \"hash\": \"" HASH "\"}");
	ck_assert_msg(strstr(m, "plan.json: not a zonesync plan: line 1: duplicate object key"), "%s", m);
	m = parse_error("[]");
	ck_assert_str_eq(m, "plan.json: not a zonesync plan (no commit and hash)");
	m = parse_error("{\"commit\": 7, \"hash\": \"" HASH "\"}");
	ck_assert_msg(strstr(m, "no commit and hash"), "%s", m);

	/* a file: only a regular one (a FIFO is refused at once) */
	char *dir = tu_tmpdir(), *fifo = tu_fmt("%s/plan.json", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_lt(zsync_planfile_load(&pf, fifo, &err), 0);
	ck_assert_msg(strstr(err.msg, "a FIFO, not a regular file"), "%s", err.msg);
	unlink(fifo);
	tu_write(fifo, good);
	ck_assert_int_eq(zsync_planfile_load(&pf, fifo, &err), 0);
	zsync_planfile_release(&pf);
	tu_rmtree(dir);
	free(fifo);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("planfile");
	TCase *tc = tcase_create("planfile");
	tcase_add_test(tc, test_planfile);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
