/* check_lint.c - golden tests: every tests/data/lint/RULE-{bad,good}.zone against its .expected */
#include "testutil.h"

#include <dirent.h>

#include "lint.h"
#include "zone.h"

#define LINT_DIR "tests/data/lint"

/* Loads a golden zone as example.com. and returns its formatted findings. */
static char *run_lint(const char *name)
{
	char *path = tu_fmt(LINT_DIR "/%s", name);
	size_t len;
	char *text = tu_read(path, &len);
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_zone *z = zsync_zone_new("example.com.", &err);
	char *out = calloc(1, 1);

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(z);
	zsync_zone_parse(z, name, text, len, NULL, NULL, &d);
	if (!zsync_lint_lost_lines(&d, 0))
		zsync_lint_zone(z, &d);
	zsync_diags_sort(&d);
	for (size_t i = 0; i < d.n; i++) {
		char line[4096];
		zsync_diag_format(&d.v[i], line, sizeof(line));
		char *n = tu_fmt("%s%s\n", out, line);
		free(out);
		out = n;
	}
	zsync_diags_release(&d);
	zsync_zone_free(z);
	free(text);
	free(path);
	return out;
}

START_TEST(test_golden)
{
	DIR *d = opendir(LINT_DIR);
	struct dirent *de;
	int files = 0, bad = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".zone") != 0)
			continue;
		char *got = run_lint(de->d_name);
		char *exp_path = tu_fmt(LINT_DIR "/%.*s.expected", (int)(n - 5), de->d_name);
		if (getenv("UPDATE_GOLDEN"))
			tu_write(exp_path, got);
		char *want = tu_read(exp_path, NULL);
		ck_assert_msg(want != NULL, "missing %s", exp_path);
		ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- expected\n%s--- got\n%s", de->d_name,
			      want, got);
		/* RULE-bad.zone must trip RULE; RULE-good.zone must be clean */
		char *rule = tu_fmt("[%.*s]", (int)(strstr(de->d_name, "-bad.zone") ?
						     strstr(de->d_name, "-bad.zone") - de->d_name : 0),
				    de->d_name);
		if (strstr(de->d_name, "-bad.zone")) {
			ck_assert_msg(strstr(got, rule) != NULL, "%s does not trip %s", de->d_name, rule);
			bad++;
		} else {
			ck_assert_msg(got[0] == '\0', "%s should be clean:\n%s", de->d_name, got);
		}
		free(rule);
		free(want);
		free(exp_path);
		free(got);
		files++;
	}
	closedir(d);
	ck_assert_int_ge(files, 20);
	ck_assert_int_ge(bad, 13);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("golden");
	tcase_add_test(tc, test_golden);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
