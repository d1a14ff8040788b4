/* check_lint.c - golden tests: every tests/data/lint/RULE-{bad,good}.zone against its .expected */
#include "testutil.h"

#include <dirent.h>

#include "lint.h"
#include "zone.h"

#define LINT_DIR "tests/data/lint"

/* Loads a golden zone as example.com. and returns its formatted findings (errors only: as
 * plan without -v asks). */
static char *run_lint_as(const char *name, bool errors_only)
{
	char *path = tu_fmt(LINT_DIR "/%s", name);
	size_t len;
	char *text = tu_read(path, &len);
	struct zsync_diags d = { .errors_only = errors_only };
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

static char *run_lint(const char *name)
{
	return run_lint_as(name, false);
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

/* The rule names a source file gives findings: the string literal after ZSYNC_SEV_X, */
/*
 * Errors only (plan without -v skips the rules that can only warn): exactly the errors of
 * the full lint, in the same order, and no warning.
 */
START_TEST(test_errors_only)
{
	DIR *d = opendir(LINT_DIR);
	struct dirent *de;
	int with_errors = 0, with_warnings = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".zone") != 0)
			continue;
		char *full = run_lint(de->d_name), *only = run_lint_as(de->d_name, true);
		char *want = calloc(1, 1);
		for (char *line = full, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			ck_assert_ptr_nonnull(nl);
			if (memmem(line, (size_t)(nl - line), ": error: ", 9)) {
				char *w = tu_fmt("%s%.*s\n", want, (int)(nl - line), line);
				free(want);
				want = w;
			} else {
				ck_assert_msg(memmem(line, (size_t)(nl - line), ": warning: ", 11) != NULL, "%s: %.*s",
					      de->d_name, (int)(nl - line), line);
			}
		}
		with_errors += want[0] != '\0';
		with_warnings += strstr(full, ": warning: ") != NULL;
		ck_assert_msg(strcmp(only, want) == 0, "%s errors only:\n--- expected\n%s--- got\n%s",
			      de->d_name, want, only);
		free(want);
		free(only);
		free(full);
	}
	closedir(d);
	ck_assert_int_ge(with_errors, 10);
	ck_assert_int_ge(with_warnings, 5);
}
END_TEST

static void source_rules(const char *path, char names[][32], size_t *n)
{
	char *text = tu_read(path, NULL);

	ck_assert_msg(text != NULL, "cannot read %s", path);
	for (char *p = text; (p = strstr(p, "ZSYNC_SEV_")); p++) {
		char *q = p + strlen("ZSYNC_SEV_");
		while (*q >= 'A' && *q <= 'Z')
			q++;
		if (*q++ != ',')
			continue;
		while (*q == ' ' || *q == '\t' || *q == '\n')
			q++;
		if (*q != '"')
			continue;
		char *e = strchr(q + 1, '"');
		size_t len = (size_t)(e - q - 1);
		if (len == 0 || len >= 32)
			continue;
		bool seen = false;
		for (size_t i = 0; i < *n && !seen; i++)
			seen = strlen(names[i]) == len && !strncmp(names[i], q + 1, len);
		if (!seen && *n < 64)
			snprintf(names[(*n)++], 32, "%.*s", (int)len, q + 1);
	}
	free(text);
}

/* docs/lint.md has a "## `rule`" section for exactly the rules of zsync_lint_rules, and
 * those are exactly the rules the sources report */
START_TEST(test_rules_documented)
{
	char *doc = tu_read("docs/lint.md", NULL);
	char src[64][32];
	size_t nsrc = 0, ntab = 0, ndoc = 0;

	ck_assert_ptr_nonnull(doc);
	source_rules("zonesync/lint.c", src, &nsrc);
	source_rules("zonesync/zone.c", src, &nsrc);
	source_rules("zonesync/config.c", src, &nsrc);
	source_rules("zonesync/cmd-check.c", src, &nsrc);
	for (const struct zsync_lint_rule *r = zsync_lint_rules; r->name; r++, ntab++) {
		char *h = tu_fmt("\n## `%s`\n", r->name);
		ck_assert_msg(strstr(doc, h), "docs/lint.md has no section for rule %s", r->name);
		free(h);
		bool found = false;
		for (size_t i = 0; i < nsrc && !found; i++)
			found = !strcmp(src[i], r->name);
		ck_assert_msg(found, "rule %s is in zsync_lint_rules but no source reports it", r->name);
	}
	for (size_t i = 0; i < nsrc; i++)
		ck_assert_msg(zsync_lint_rule_find(src[i]), "the sources report rule %s, missing from zsync_lint_rules", src[i]);
	for (char *p = doc; (p = strstr(p, "\n## `")); p++) {
		char name[64];
		ck_assert(sscanf(p, "\n## `%63[^`]`", name) == 1);
		ck_assert_msg(zsync_lint_rule_find(name), "docs/lint.md documents rule %s, which the code does not have", name);
		ndoc++;
	}
	ck_assert_uint_eq(ndoc, ntab);
	ck_assert_uint_ge(ntab, 20);
	free(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("golden");
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_errors_only);
	tcase_add_test(tc, test_rules_documented);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
