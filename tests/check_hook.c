/* check_hook.c - what a hook or a zonefile command inherits: the allow-list, never a secret */
#include "testutil.h"

#include "hook.h"

START_TEST(test_scrubbed_environment)
{
	struct zsync_strlist deny = { 0 }, pass = { 0 };
	struct zsync_hook_env policy = { &pass, &deny };
	struct zsync_hook_result res;
	struct zsync_err err = { 0 };
	char *argv[] = { "env", NULL };
	char ctx[] = "ZONESYNC_EVENT=pre_apply";
	char *extra[] = { ctx, NULL };

	setenv("ZS_HOOK_TSIG", "tsig-secret-value", 1);
	setenv("ZONESYNC_TSIG_SECRET", "zonesync-named-secret", 1);
	setenv("ZONESYNC_CONFIG", "/etc/zonesync/zonesync.toml", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "not-ours-either", 1);
	setenv("SLACK_WEBHOOK", "https://hooks.example/x", 1);
	setenv("LC_ALL", "C", 1);
	zsync_strlist_add(&deny, "ZS_HOOK_TSIG");
	zsync_strlist_add(&deny, "ZONESYNC_TSIG_SECRET");
	zsync_strlist_add(&pass, "SLACK_WEBHOOK");
	zsync_strlist_add(&pass, "ZS_HOOK_TSIG"); /* pass_env never lets a secret through */
	ck_assert_int_eq(zsync_hook_run(argv, extra, &policy, NULL, 0, 10, &res, &err), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_msg(!strstr(res.output, "secret") && !strstr(res.output, "not-ours"), "%s", res.output);
	ck_assert_msg(strstr(res.output, "ZONESYNC_EVENT=pre_apply\n") && strstr(res.output, "ZONESYNC_CONFIG=") &&
		      strstr(res.output, "SLACK_WEBHOOK=") && strstr(res.output, "LC_ALL=C\n") && strstr(res.output, "PATH="),
		      "%s", res.output);
	free(res.output);
	/* no policy: the allow-list alone */
	ck_assert_int_eq(zsync_hook_run(argv, NULL, NULL, NULL, 0, 10, &res, &err), 0);
	ck_assert_msg(!strstr(res.output, "SLACK_WEBHOOK") && !strstr(res.output, "AWS_SECRET"), "%s", res.output);
	free(res.output);
	ck_assert(!zsync_hook_env_allowed("ZONESYNC_TSIG_SECRET=x", &policy));
	ck_assert(zsync_hook_env_allowed("HOME=/root", &policy));
	ck_assert(!zsync_hook_env_allowed("HOMEDIR=/root", &policy));
	zsync_strlist_release(&deny);
	zsync_strlist_release(&pass);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hook");
	TCase *tc = tcase_create("hook");
	tcase_add_test(tc, test_scrubbed_environment);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
