/* check_serve.c - zonesync serve's pure parts: webhook signatures, push payloads, log lines, durations */
#include "testutil.h"

#include "config.h"
#include "metrics.h"
#include "serve.h"
#include "state.h"

#include <gnutls/crypto.h>

/* "sha256=" + hex HMAC, as GitHub computes it */
static char *sign(const char *secret, const char *body)
{
	unsigned char mac[32];
	char *out = calloc(1, 7 + 64 + 1);
	ck_assert_int_eq(gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), body, strlen(body), mac), 0);
	strcpy(out, "sha256=");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", mac[i]);
	return out;
}

START_TEST(test_signature)
{
	const char *body = "{\"ref\":\"refs/heads/main\"}";
	char *good = sign("s3cret", body);

	/* the example from GitHub's documentation ("Validating webhook deliveries") */
	ck_assert(zsync_serve_signature_ok("It's a Secret to Everybody", "Hello, World!", 13,
					   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
	ck_assert(zsync_serve_signature_ok("s3cret", body, strlen(body), good));
	ck_assert(!zsync_serve_signature_ok("s3cret", body, strlen(body) - 1, good)); /* body changed */
	ck_assert(!zsync_serve_signature_ok("other", body, strlen(body), good));    /* secret changed */
	good[10] = good[10] == 'a' ? 'b' : 'a';
	ck_assert(!zsync_serve_signature_ok("s3cret", body, strlen(body), good));   /* one digit */
	ck_assert(!zsync_serve_signature_ok("s3cret", body, strlen(body), ""));
	ck_assert(!zsync_serve_signature_ok("s3cret", body, strlen(body), NULL));
	ck_assert(!zsync_serve_signature_ok("s3cret", body, strlen(body), "sha1=0123"));
	ck_assert(!zsync_serve_signature_ok("s3cret", body, strlen(body), "sha256=zz"));
	ck_assert(!zsync_serve_signature_ok("", body, strlen(body), good));
	free(good);
	ck_assert(zsync_serve_secret_equal("token-1", "token-1"));
	ck_assert(!zsync_serve_secret_equal("token-1", "token-12"));
	ck_assert(!zsync_serve_secret_equal("token-1", NULL));
}
END_TEST

START_TEST(test_push)
{
	struct zsync_err err = { 0 };
	char *branch, *after;
	bool deleted;

	const char *push = "{\"ref\":\"refs/heads/main\",\"after\":\"0123456789abcdef0123456789abcdef01234567\"}";
	ck_assert_int_eq(zsync_serve_parse_push(push, strlen(push), &branch, &after, &deleted, &err), 0);
	ck_assert_str_eq(branch, "main");
	ck_assert_str_eq(after, "0123456789abcdef0123456789abcdef01234567");
	ck_assert(!deleted);
	free(branch);
	free(after);
	const char *del = "{\"ref\":\"refs/heads/main\",\"after\":\"0000000000000000000000000000000000000000\"}";
	ck_assert_int_eq(zsync_serve_parse_push(del, strlen(del), &branch, &after, &deleted, &err), 0);
	ck_assert(deleted);
	free(branch);
	free(after);
	const char *tag = "{\"ref\":\"refs/tags/main\"}";
	ck_assert_int_eq(zsync_serve_parse_push(tag, strlen(tag), &branch, &after, &deleted, &err), 0);
	ck_assert_str_eq(branch, ""); /* a tag named like the branch is not the branch */
	ck_assert_ptr_null(after);
	free(branch);
	const char *generic = "{\"branch\":\"prod\"}";
	ck_assert_int_eq(zsync_serve_parse_push(generic, strlen(generic), &branch, &after, &deleted, &err), 0);
	ck_assert_str_eq(branch, "prod");
	free(branch);
	ck_assert_int_eq(zsync_serve_parse_push("[1]", 3, &branch, &after, &deleted, &err), ZSYNC_EINVAL);
	ck_assert_int_eq(zsync_serve_parse_push("{\"ref\":1}", 9, &branch, &after, &deleted, &err), ZSYNC_EINVAL);
	const char *evil = "{\"ref\":\"refs/heads/x\",\"after\":\"$(rm -rf)\"}";
	ck_assert_int_eq(zsync_serve_parse_push(evil, strlen(evil), &branch, &after, &deleted, &err), ZSYNC_EINVAL);
	ck_assert_int_eq(zsync_serve_parse_push("{\"ref\":", 7, &branch, &after, &deleted, &err), ZSYNC_EINVAL);
	ck_assert_ptr_null(branch);
}
END_TEST

START_TEST(test_logfmt)
{
	char buf[64];
	size_t n = zsync_serve_logfmt_value(buf, sizeof(buf), 0, "plain");
	ck_assert_str_eq(buf, "plain");
	ck_assert_uint_eq(n, 5);
	zsync_serve_logfmt_value(buf, sizeof(buf), 0, "two words \"q\" a\\b\nx=1");
	ck_assert_str_eq(buf, "\"two words \\\"q\\\" a\\\\b\\nx=1\"");
	zsync_serve_logfmt_value(buf, sizeof(buf), 0, "");
	ck_assert_str_eq(buf, "\"\"");
	zsync_serve_logfmt_value(buf, sizeof(buf), 0, "\x1b[31m");
	ck_assert_str_eq(buf, "\"\\x1b[31m\"");
	/* a long value is cut, still one quoted value */
	char lng[200];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	lng[3] = ' ';
	n = zsync_serve_logfmt_value(buf, sizeof(buf), 0, lng);
	ck_assert(n < sizeof(buf) && buf[0] == '"' && buf[n - 1] == '"');
}
END_TEST

/* The provider x zone series (--metrics and /metrics) escape their label values: a zone
 * name with an escaped dot or a provider name with a quote must not break the file. */
START_TEST(test_metrics_labels)
{
	char *dir = tu_tmpdir(), *db = tu_fmt("%s/state.db", dir), *buf = NULL;
	struct zsync_state *st = NULL;
	struct zsync_err err = { 0 };
	size_t len = 0;
	ck_assert_msg(zsync_state_open(&st, db, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(zsync_state_pair_result(st, "a\\.b.example.", "my\"cf", true, NULL, NULL, &err), 0);
	FILE *f = open_memstream(&buf, &len);
	zsync_metrics_pairs(f, st);
	fclose(f);
	ck_assert_msg(strstr(buf, "zonesync_consecutive_failures{zone=\"a\\\\.b.example.\",provider=\"my\\\"cf\"} 0\n"),
		      "%s", buf);
	free(buf);
	zsync_state_close(st);
	tu_rmtree(dir);
	free(dir);
	free(db);
}
END_TEST

START_TEST(test_duration)
{
	ck_assert_int_eq(zsync_config_duration("15m"), 900);
	ck_assert_int_eq(zsync_config_duration("90s"), 90);
	ck_assert_int_eq(zsync_config_duration("2h"), 7200);
	ck_assert_int_eq(zsync_config_duration("1d"), 86400);
	ck_assert_int_eq(zsync_config_duration("0"), 0);
	ck_assert_int_eq(zsync_config_duration("15"), -1); /* a unit is needed */
	ck_assert_int_eq(zsync_config_duration("-5m"), -1);
	ck_assert_int_eq(zsync_config_duration("5 m"), -1);
	ck_assert_int_eq(zsync_config_duration("m"), -1);
	ck_assert_int_eq(zsync_config_duration("99999999999999999999d"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("serve");
	tcase_add_test(tc, test_signature);
	tcase_add_test(tc, test_push);
	tcase_add_test(tc, test_logfmt);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_metrics_labels);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
