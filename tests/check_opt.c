/* check_opt.c - usage lines written from the option tables (zsync_opt_usage) */
#include "testutil.h"

#include "opt.h"

static bool flag;
static const char *str, *optstr;
static long num;
static struct zsync_strlist list;

static const struct zsync_opt first[] = {
	{ 0, "ref", ZSYNC_OPT_STRING, &str, "REF", "a commit" },
	{ 0, "fetch", ZSYNC_OPT_FLAG, &flag, NULL, "fetch first" },
	{ 0 },
};
static const struct zsync_opt second[] = {
	{ 0, "zone", ZSYNC_OPT_LIST, &list, "ZONE", "repeatable" },
	{ 'j', "jobs", ZSYNC_OPT_INT, &num, "N", "at once" },
	{ 0, "wait", ZSYNC_OPT_OPTSTR, &optstr, "SECONDS", "queue" },
	{ 0, "format", ZSYNC_OPT_STRING, &str, "FORMAT", "text or json" },
	{ 0, "json", ZSYNC_OPT_FLAG, &flag, NULL, "json" },
	{ 0 },
};

START_TEST(test_usage_from_tables)
{
	const struct zsync_opt *const tables[] = { first, second, NULL };
	char buf[1024];

	/* named options as typed, the others in table order, the rest of the template kept */
	zsync_opt_usage(buf, sizeof(buf), "zonesync x [{ref} | {fetch}] {*} [{format=text|json} | {json}] [ZONE...]", tables);
	ck_assert_str_eq(buf, "zonesync x [--ref REF | --fetch] [--zone ZONE]... [-j N] [--wait[=SECONDS]]\n"
			      "       [--format text|json | --json] [ZONE...]");
	/* without {*}, only what the template names */
	zsync_opt_usage(buf, sizeof(buf), "zonesync x {ref}", tables);
	ck_assert_str_eq(buf, "zonesync x --ref REF");
	/* {*} leaves out an option named after it, not one whose name only starts the same */
	zsync_opt_usage(buf, sizeof(buf), "zonesync x {*} {zone} {format}", tables);
	ck_assert_str_eq(buf, "zonesync x [--ref REF] [--fetch] [-j N] [--wait[=SECONDS]] [--json] --zone ZONE\n"
			      "       --format FORMAT");
	/* an option the tables lack is shown as written, for the help test to find */
	zsync_opt_usage(buf, sizeof(buf), "zonesync x [{nope}]", tables);
	ck_assert_str_eq(buf, "zonesync x [--nope]");
	/* a line break of the template starts the count again; nothing is cut short */
	zsync_opt_usage(buf, sizeof(buf), "zonesync x {ref}\n       zonesync y {*}", tables);
	ck_assert_str_eq(buf, "zonesync x --ref REF\n       zonesync y [--fetch] [--zone ZONE]... [-j N] [--wait[=SECONDS]]\n"
			      "       [--format FORMAT] [--json]");
	/* a small buffer is filled and ended, never overrun */
	char small[16];
	zsync_opt_usage(small, sizeof(small), "zonesync x {*}", tables);
	ck_assert_uint_lt(strlen(small), sizeof(small));
	ck_assert(!strncmp(small, "zonesync x [--r", strlen(small)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("opt");
	TCase *tc = tcase_create("usage");
	tcase_add_test(tc, test_usage_from_tables);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
