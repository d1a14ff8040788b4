/* check_lint.c - golden tests: every tests/data/lint/RULE-{bad,good}.zone against its .expected */
#include "testutil.h"

#include <dirent.h>

#include "lint.h"
#include "zone.h"

#define LINT_DIR "tests/data/lint"

/* Loads a golden zone as example.com. and returns its formatted findings (errors only: as
 * plan without -v asks). */
static char *lint_text(const char *name, const char *text, size_t len, bool errors_only)
{
	struct zsync_diags d = { .errors_only = errors_only };
	struct zsync_err err = { 0 };
	struct zsync_zone *z = zsync_zone_new("example.com.", &err);
	char *out = calloc(1, 1);

	ck_assert_ptr_nonnull(z);
	zsync_zone_parse(z, name, text, len, NULL, NULL, &d);
	if (!zsync_lint_lost_lines(&d, 0))
		zsync_lint_zone(z, &(struct zsync_lint_source){ name, text, len, NULL, NULL }, &d);
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
	return out;
}

static char *run_lint_as(const char *name, bool errors_only)
{
	char *path = tu_fmt(LINT_DIR "/%s", name);
	size_t len;
	char *text = tu_read(path, &len);

	ck_assert_ptr_nonnull(text);
	char *out = lint_text(name, text, len, errors_only);
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

/* An in-memory repository for $INCLUDE: the one included file. */
static const char inc_path[] = "zones/inc/mx.inc";
static const char inc_text[] = "; more mail exchangers, far from the others\n"
			       "@ MX 40 backup\n"
			       "@ MX 50 inc-nomx\n";

static int inc_read(void *ctx, const char *path, char **buf, size_t *len, struct zsync_err *err)
{
	(void)ctx;
	(void)err;
	if (strcmp(path, inc_path) != 0)
		return ZSYNC_ENOTFOUND;
	*buf = strdup(inc_text);
	*len = strlen(inc_text);
	return 0;
}

/* "file:line:col: ... [rule]" of each finding whose message holds key, one per line */
static char *findings_of(const struct zsync_diags *d, const char *key)
{
	char *out = calloc(1, 1);
	for (size_t i = 0; i < d->n; i++) {
		char line[4096];
		if (!strstr(d->v[i].msg, key))
			continue;
		zsync_diag_format(&d->v[i], line, sizeof(line));
		char *n = tu_fmt("%s%s\n", out, line);
		free(out);
		out = n;
	}
	return out;
}

/*
 * Issue 19's case: an MX RRset written at line 9, a record of it added at line 35 and
 * another in an $INCLUDEd file. The model keeps only the RRset's first line; each finding
 * must name the record's own file, line and the column of its target, including a record
 * that sorts before the RRset's first one and the first one itself behind it.
 */
START_TEST(test_record_lines)
{
	static const char text[] =
		"$TTL 300\n"                                  /* 1 */
		"@ SOA ns1 hostmaster 1 3600 600 86400 300\n" /* 2 */
		"@ NS ns1\n"                                  /* 3 */
		"ns1 A 192.0.2.1\n"                           /* 4 */
		"mx1 A 192.0.2.25\n"                          /* 5 */
		"mx2 A 192.0.2.26\n"                          /* 6 */
		"early A 192.0.2.27\n"                        /* 7 */
		"; mail\n"                                    /* 8 */
		"@ MX 10 mx1\n"                               /* 9 */
		"@ MX 20 mx2\n"                               /* 10 */
		"@ MX 30 first-nomx\n"                        /* 11 */
		"www A 192.0.2.80\n"                          /* 12 */
		"sub MX 20 sub-nomx\n"                        /* 13: first line, sorts second */
		"$INCLUDE inc/mx.inc\n"                       /* 14 */
		"\n\n\n\n\n\n\n\n\n\n"                          /* 15-24 */
		"\n\n\n\n\n\n\n\n\n\n"                          /* 25-34 */
		"@       MX 35 new-nomx.example.com.\n"       /* 35 */
		"sub MX 5 early\n"                            /* 36: sorts before line 13 */
		"alias CNAME gone ; later CNAMEs are one-record RRsets\n" /* 37 */
		"@ MX ( 60\n"                                 /* 38 */
		"       multi-nomx )\n";                      /* 39: reported at 38, the record's first line */
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_zone *z = zsync_zone_new("example.com.", &err);
	struct zsync_lint_source src = { "zones/example.com.zone", text, strlen(text), inc_read, NULL };

	ck_assert_int_eq(zsync_zone_parse(z, src.path, text, src.len, inc_read, NULL, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	zsync_lint_zone(z, &src, &d);
	zsync_diags_sort(&d);
	char *got = findings_of(&d, "nomx");
	ck_assert_str_eq(got,
		"zones/example.com.zone:11:9: warning: example.com. MX target first-nomx.example.com. has no A or AAAA record in the zone [no-address]\n"
		"zones/example.com.zone:13:11: warning: sub.example.com. MX target sub-nomx.example.com. has no A or AAAA record in the zone [no-address]\n"
		"zones/example.com.zone:35:15: warning: example.com. MX target new-nomx.example.com. has no A or AAAA record in the zone [no-address]\n"
		"zones/example.com.zone:38: warning: example.com. MX target multi-nomx.example.com. has no A or AAAA record in the zone [no-address]\n"
		"zones/inc/mx.inc:3:9: warning: example.com. MX target inc-nomx.example.com. has no A or AAAA record in the zone [no-address]\n");
	free(got);
	got = findings_of(&d, "backup");
	ck_assert_str_eq(got, "zones/inc/mx.inc:2:9: warning: example.com. MX target backup.example.com. has no A or AAAA record in the zone [no-address]\n");
	free(got);
	got = findings_of(&d, "gone");
	ck_assert_str_eq(got, "zones/example.com.zone:37:13: warning: alias.example.com. CNAME target gone.example.com. has no records in the zone: it never resolves [dangling]\n");
	free(got);
	zsync_diags_release(&d);

	/* without the source, the RRset's line (what the model keeps) and no column */
	zsync_lint_zone(z, NULL, &d);
	got = findings_of(&d, "new-nomx");
	ck_assert_msg(strstr(got, "zones/example.com.zone:9: warning: example.com. MX target new-nomx"), "%s", got);
	free(got);
	zsync_diags_release(&d);
	zsync_zone_free(z);

	/* an RRset big enough to load in bulk (sorted once at the end): a record written
	 * after the others that sorts before the first one */
	char big[8192];
	size_t o = (size_t)snprintf(big, sizeof(big), "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
				    "@ NS ns1\nns1 A 192.0.2.1\nbig MX 3 first-nomx\n");
	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "big MX %d ns1\n", 10 + i);
	o += (size_t)snprintf(big + o, sizeof(big) - o, "big MX 1 bulk-nomx\n");
	z = zsync_zone_new("example.com.", &err);
	src = (struct zsync_lint_source){ "zones/example.com.zone", big, o, NULL, NULL };
	ck_assert_int_eq(zsync_zone_parse(z, src.path, big, o, NULL, NULL, &d), 0);
	zsync_lint_zone(z, &src, &d);
	zsync_diags_sort(&d);
	got = findings_of(&d, "nomx");
	ck_assert_str_eq(got,
		"zones/example.com.zone:5:10: warning: big.example.com. MX target first-nomx.example.com. has no A or AAAA record in the zone [no-address]\n"
		"zones/example.com.zone:106:10: warning: big.example.com. MX target bulk-nomx.example.com. has no A or AAAA record in the zone [no-address]\n");
	free(got);
	zsync_diags_release(&d);
	zsync_zone_free(z);
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

/* Owners that differ only where a label holds a \000 octet have the same lookup form
 * (libknot's): they must stay apart, or one owner's errors are checked as another's */
START_TEST(test_octet0_owners)
{
	static const char *head = "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n";
	char *oz = tu_fmt("%scom\\000example. TXT \"x\"\n", head);
	char *co = tu_fmt("%sc.a CNAME web\nc.a TXT \"x\"\na\\000c A 192.0.2.2\na\\000c MX 10 web\nweb A 192.0.2.3\n", head);
	for (int only = 0; only < 2; only++) {
		char *a = lint_text("oz.zone", oz, strlen(oz), only), *b = lint_text("co.zone", co, strlen(co), only);
		ck_assert_msg(strstr(a, "[out-of-zone]") != NULL, "the apex's look-alike is out of zone:\n%s", a);
		ck_assert_msg(strstr(b, "c.a.example.com. (TXT at co.zone:6) [cname-other]") != NULL,
			      "c.a's CNAME beside its TXT, not split by a\\000c:\n%s", b);
		free(a);
		free(b);
	}
	free(oz);
	free(co);
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
	tcase_add_test(tc, test_record_lines);
	tcase_add_test(tc, test_octet0_owners);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
