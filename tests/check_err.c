/* check_err.c - the one error table: names, messages, exit codes; return value and err agree */
#include "testutil.h"

#include "dns.h"
#include "err.h"

START_TEST(test_table)
{
	static const int codes[] = { ZSYNC_EGENERIC, ZSYNC_ENOMEM, ZSYNC_ENOTFOUND, ZSYNC_EINVAL,
				     ZSYNC_EIO, ZSYNC_ELOCKED, ZSYNC_ECONFLICT, ZSYNC_EUNKNOWN };
	size_t n = sizeof(codes) / sizeof(codes[0]);

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_lt(codes[i], 0);
		ck_assert_str_ne(zsync_errname(codes[i]), "EUNKNOWNCODE");
		ck_assert_str_ne(zsync_strerror(codes[i]), "unknown error");
		for (size_t j = 0; j < i; j++) {
			ck_assert_int_ne(codes[i], codes[j]);
			ck_assert_str_ne(zsync_errname(codes[i]), zsync_errname(codes[j]));
		}
	}
	ck_assert_str_eq(zsync_errname(ZSYNC_ENOTFOUND), "ENOTFOUND");
	ck_assert_str_eq(zsync_errname(ZSYNC_ECONFLICT), "ECONFLICT");
	ck_assert_str_eq(zsync_strerror(ZSYNC_ELOCKED), "another run holds the lock");
	ck_assert_str_eq(zsync_strerror(-999), "unknown error");
	ck_assert_int_eq(zsync_error_exit(ZSYNC_ELOCKED), ZSYNC_EXIT_LOCKED);
	ck_assert_int_eq(zsync_error_exit(ZSYNC_EINVAL), ZSYNC_EXIT_ERROR);
	ck_assert_int_eq(zsync_error_exit(ZSYNC_ECONFLICT), ZSYNC_EXIT_PARTIAL);
	ck_assert_int_eq(zsync_error_exit(-999), ZSYNC_EXIT_ERROR);
	ck_assert_int_eq(zsync_error_exit(ZSYNC_OK), ZSYNC_EXIT_OK);
}
END_TEST

START_TEST(test_code_and_err_agree)
{
	struct zsync_err err = { 0 };

	ck_assert_int_eq(zsync_err_set(&err, ZSYNC_EIO, "x %d", 1), ZSYNC_EIO);
	ck_assert_int_eq(err.code, ZSYNC_EIO);
	/* a callee that returned a code without detail: the table's message */
	zsync_err_clear(&err);
	ck_assert_int_eq(zsync_err_sync(&err, ZSYNC_ENOTFOUND), ZSYNC_ENOTFOUND);
	ck_assert_int_eq(err.code, ZSYNC_ENOTFOUND);
	ck_assert_str_eq(err.msg, "not found");
	/* one that set another code: the return value wins, the detail stays */
	zsync_err_set(&err, ZSYNC_EINVAL, "bad thing");
	ck_assert_int_eq(zsync_err_sync(&err, ZSYNC_EIO), ZSYNC_EIO);
	ck_assert_int_eq(err.code, ZSYNC_EIO);
	ck_assert_str_eq(err.msg, "bad thing");
	/* success leaves err alone */
	ck_assert_int_eq(zsync_err_sync(&err, 0), 0);
	ck_assert_int_eq(err.code, ZSYNC_EIO);
}
END_TEST

START_TEST(test_suggest)
{
	static const char *const cmds[] = { "check", "plan", "apply", "reconcile", "verify", "import", "diff", "hooks", "status", "history", "serve", "state" };
	static const char *const keys[] = { "create_zones", "nameservers", "max_changes", NULL };
	size_t n = sizeof(cmds) / sizeof(cmds[0]);

	ck_assert_str_eq(zsync_suggest("plna", cmds, n), "plan");      /* a swapped pair: one edit */
	ck_assert_str_eq(zsync_suggest("aply", cmds, n), "apply");
	ck_assert_str_eq(zsync_suggest("reconcle", cmds, n), "reconcile");
	ck_assert_str_eq(zsync_suggest("STATUS", cmds, n), "status");  /* case is not a typo's cost */
	ck_assert_ptr_null(zsync_suggest("xyzzy", cmds, n));
	ck_assert_ptr_null(zsync_suggest("plan", cmds, n));            /* exact: nothing to suggest */
	ck_assert_str_eq(zsync_suggest("create_zone", keys, 4), "create_zones");
	ck_assert_ptr_null(zsync_suggest("zones", keys, 4));           /* too far from every key */
}
END_TEST

/* Findings moved out of a list and put back where they were: the same list, in order, counted. */
START_TEST(test_diags_move_insert)
{
	struct zsync_diags d = { 0 }, side = { .errors_only = true };
	zsync_diags_add(&d, "a", 1, ZSYNC_SEV_WARNING, NULL, "one");
	zsync_diags_add(&d, "b", 2, ZSYNC_SEV_ERROR, NULL, "two");
	zsync_diags_add(&d, "b", 3, ZSYNC_SEV_WARNING, NULL, "three");
	zsync_diags_move(&side, &d, 1);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.errors, 0);
	ck_assert_uint_eq(d.warnings, 1);
	ck_assert_uint_eq(side.n, 2);
	ck_assert_uint_eq(side.errors, 1);
	ck_assert_uint_eq(side.warnings, 1); /* moved, not filtered again */
	zsync_diags_add(&d, "c", 4, ZSYNC_SEV_ERROR, NULL, "four");
	zsync_diags_insert(&d, 1, &side);
	ck_assert_uint_eq(side.n, 0);
	ck_assert(side.errors_only);
	ck_assert_uint_eq(d.n, 4);
	ck_assert_uint_eq(d.errors, 2);
	ck_assert_uint_eq(d.warnings, 2);
	const char *want[] = { "one", "two", "three", "four" };
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(d.v[i].msg, want[i]);
	zsync_diags_insert(&d, 4, &side); /* nothing to put */
	ck_assert_uint_eq(d.n, 4);
	zsync_diags_release(&side);
	zsync_diags_release(&d);
}
END_TEST

int main(void)
{
Suite *s = suite_create("err");
	TCase *tc = tcase_create("err");
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_code_and_err_agree);
	tcase_add_test(tc, test_suggest);
	tcase_add_test(tc, test_diags_move_insert);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
