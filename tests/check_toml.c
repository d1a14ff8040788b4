/*
 * check_toml.c - TOML 1.0 conformance: runs tests/toml-decoder on every toml-test vector
 * (../shared/toml-test when present, and the copies in tests/data/toml) and compares the
 * tagged JSON as values, by the suite's rules.
 */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <time.h>

#include <jansson.h>

#include "toml.h"

static const char *decoder;

/* Seconds since the epoch (UTC) and the fraction digits of an RFC 3339 date-time with offset. */
static bool instant(const char *s, long long *secs, char frac[32])
{
	int y, mo, d, h, mi, sec, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return false;
	const char *p = s + n;
	size_t f = 0;
	frac[0] = '\0';
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && f < 31)
			frac[f++] = *p++;
		while (f > 0 && frac[f - 1] == '0')
			f--;
		frac[f] = '\0';
	}
	long off = 0;
	if (*p == '+' || *p == '-') {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return false;
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z' && *p != 'z') {
		return false;
	}
	/* days from civil (proleptic Gregorian) */
	y -= mo <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long long days = era * 146097LL + doe - 719468;
	*secs = days * 86400 + h * 3600 + mi * 60 + sec - off;
	return true;
}

static void norm_local(const char *in, char *out, size_t n)
{
	snprintf(out, n, "%s", in);
	for (char *p = out; *p; p++)
		if (p - out == 10 && (*p == ' ' || *p == 't'))
			*p = 'T';
}

static bool leaf_equal(json_t *a, json_t *b, char *why, size_t wn)
{
	const char *ta = json_string_value(json_object_get(a, "type"));
	const char *tb = json_string_value(json_object_get(b, "type"));
	const char *va = json_string_value(json_object_get(a, "value"));
	const char *vb = json_string_value(json_object_get(b, "value"));
	size_t la = json_string_length(json_object_get(a, "value"));
	size_t lb = json_string_length(json_object_get(b, "value"));

	if (!ta || !tb || !va || !vb || strcmp(ta, tb) != 0) {
		snprintf(why, wn, "type %s vs %s", ta ? ta : "?", tb ? tb : "?");
		return false;
	}
	if (strcmp(ta, "float") == 0) {
		double x = strtod(va, NULL), y = strtod(vb, NULL);
		if ((isnan(x) && isnan(y)) || x == y)
			return true;
	} else if (strcmp(ta, "bool") == 0) {
		if (strcasecmp(va, vb) == 0)
			return true;
	} else if (strcmp(ta, "datetime") == 0) {
		long long sa, sb;
		char fa[32], fb[32];
		if (instant(va, &sa, fa) && instant(vb, &sb, fb) && sa == sb && strcmp(fa, fb) == 0)
			return true;
	} else if (strncmp(ta, "date", 4) == 0 || strcmp(ta, "time-local") == 0) {
		char na[128], nb[128];
		norm_local(va, na, sizeof(na));
		norm_local(vb, nb, sizeof(nb));
		if (strcmp(na, nb) == 0)
			return true;
	} else if (la == lb && memcmp(va, vb, la) == 0) {
		return true;
	}
	snprintf(why, wn, "%s value '%s' vs '%s'", ta, va, vb);
	return false;
}

static bool is_leaf(json_t *o)
{
	return json_is_object(o) && json_object_size(o) == 2 && json_object_get(o, "type") &&
	       json_is_string(json_object_get(o, "value"));
}

static bool json_equal_tagged(json_t *a, json_t *b, char *why, size_t wn)
{
	if (is_leaf(a) || is_leaf(b))
		return is_leaf(a) && is_leaf(b) && leaf_equal(a, b, why, wn);
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b)) {
			snprintf(why, wn, "tables of %zu and %zu keys", json_object_size(a), json_object_size(b));
			return false;
		}
		/* keys may contain U+0000: use the length-aware calls */
		for (void *it = json_object_iter(a); it; it = json_object_iter_next(a, it)) {
			const char *k = json_object_iter_key(it);
			json_t *v = json_object_iter_value(it);
			json_t *w = json_object_getn(b, k, json_object_iter_key_len(it));
			if (!w) {
				snprintf(why, wn, "key '%s' missing", k);
				return false;
			}
			if (!json_equal_tagged(v, w, why, wn))
				return false;
		}
		return true;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b)) {
			snprintf(why, wn, "arrays of %zu and %zu", json_array_size(a), json_array_size(b));
			return false;
		}
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_equal_tagged(json_array_get(a, i), json_array_get(b, i), why, wn))
				return false;
		return true;
	}
	snprintf(why, wn, "different JSON kinds");
	return false;
}

struct tally {
	int valid, valid_ok, invalid, invalid_ok;
	char failures[8192];
};

static void note_failure(struct tally *t, const char *path, const char *why)
{
	size_t n = strlen(t->failures);
	if (n < sizeof(t->failures) - 200)
		snprintf(t->failures + n, sizeof(t->failures) - n, "  %s: %s\n", path, why);
}

/*
 * jansson cannot hold U+0000 in an object key, so both sides spell the escape \u0000 as
 * the noncharacter U+FDD0 before loading (the same on both sides, so equality holds).
 */
static json_t *load_json(char *text)
{
	json_error_t je;
	for (char *p = text; *p; p++) {
		if (*p != '\\')
			continue;
		if (strncmp(p + 1, "u0000", 5) == 0)
			memcpy(p + 1, "uFDD0", 5);
		p++; /* skip the escaped character, so "\\u0000" stays as it is */
		if (!*p)
			break;
	}
	return json_loads(text, JSON_ALLOW_NUL, &je);
}

static void run_case(struct tally *t, const char *path, bool valid)
{
	int st;
	char *out = tu_sh_out(&st, "timeout 10 '%s' < '%s' 2>/dev/null", decoder, path);

	if (!valid) {
		t->invalid++;
		if (st != 0 && st < 124)
			t->invalid_ok++;
		else
			note_failure(t, path, st == 0 ? "accepted" : "crashed or hung");
		free(out);
		return;
	}
	t->valid++;
	char *exp_path = strdup(path);
	strcpy(exp_path + strlen(exp_path) - 5, ".json");
	char *exp_text = tu_read(exp_path, NULL);
	json_t *want = exp_text ? load_json(exp_text) : NULL;
	json_t *got = st == 0 ? load_json(out) : NULL;
	free(exp_text);
	char why[512] = "rejected";
	if (want && got && json_equal_tagged(got, want, why, sizeof(why)))
		t->valid_ok++;
	else
		note_failure(t, path, why);
	json_decref(want);
	json_decref(got);
	free(exp_path);
	free(out);
}

static void walk(struct tally *t, const char *dir, bool valid)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = tu_fmt("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			walk(t, p, valid);
		else if (strlen(p) > 5 && strcmp(p + strlen(p) - 5, ".toml") == 0)
			run_case(t, p, valid);
		free(p);
	}
	closedir(d);
}

static void suite_dir(const char *root, int min_cases)
{
	struct tally t = { 0 };
	char *v = tu_fmt("%s/valid", root), *iv = tu_fmt("%s/invalid", root);
	walk(&t, v, true);
	walk(&t, iv, false);
	printf("%s: valid %d/%d, invalid %d/%d rejected\n", root, t.valid_ok, t.valid, t.invalid_ok,
	       t.invalid);
	ck_assert_msg(t.valid + t.invalid >= min_cases, "only %d cases under %s", t.valid + t.invalid, root);
	ck_assert_msg(t.valid_ok == t.valid && t.invalid_ok == t.invalid, "failures:\n%s", t.failures);
	free(v);
	free(iv);
}

START_TEST(test_local_copies)
{
	suite_dir("tests/data/toml", 20);
}
END_TEST

START_TEST(test_shared_toml_test)
{
	const char *dir = getenv("TOML_TEST_DIR") ? getenv("TOML_TEST_DIR") : "../shared/toml-test";
	struct stat st;
	if (stat(dir, &st) != 0) {
		printf("%s not present: the full toml-test suite was not run\n", dir);
		return;
	}
	suite_dir(dir, 500);
}
END_TEST

/* Errors carry line and column; the API finds keys. */
START_TEST(test_errors_and_api)
{
	struct zsync_err err = { 0 };
	const char *doc = "[repo]\npath = \".\"\n\n[state]\npath = 3\npath = 4\n";
	ck_assert_ptr_null(zsync_toml_parse(doc, strlen(doc), &err));
	ck_assert_str_eq(err.msg, "6:1: duplicate key 'path'");
	doc = "a = \"x\nb = 1\n";
	ck_assert_ptr_null(zsync_toml_parse(doc, strlen(doc), &err));
	ck_assert_msg(strncmp(err.msg, "1:7: ", 5) == 0, "%s", err.msg);
	doc = "[providers.pdns]\ntype = \"powerdns\"\nport = 0x1F90\n[[zones]]\nname = \"a\"\n[[zones]]\nname = \"b\"\n";
	struct zsync_toml *t = zsync_toml_parse(doc, strlen(doc), &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	struct zsync_toml *pd = zsync_toml_get(zsync_toml_get(t, "providers"), "pdns");
	ck_assert_ptr_nonnull(pd);
	ck_assert_int_eq(zsync_toml_get(pd, "port")->i, 8080);
	ck_assert_uint_eq(zsync_toml_get(pd, "port")->line, 3);
	struct zsync_toml *z = zsync_toml_get(t, "zones");
	ck_assert_int_eq(z->type, ZSYNC_TOML_ARRAY);
	ck_assert_uint_eq(z->arr.n, 2);
	ck_assert_str_eq(zsync_toml_get(z->arr.v[1], "name")->str.s, "b");
	zsync_toml_free(t);
}
END_TEST

int main(void)
{
	static char abs[4096];
	decoder = getenv("TOML_DECODER");
	if (!decoder)
		decoder = realpath("build/tests/toml-decoder", abs) ? abs : "build/tests/toml-decoder";
	Suite *s = suite_create("toml");
	TCase *tc = tcase_create("conformance");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_local_copies);
	tcase_add_test(tc, test_shared_toml_test);
	tcase_add_test(tc, test_errors_and_api);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
