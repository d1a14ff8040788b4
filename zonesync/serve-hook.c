/* serve-hook.c - webhook authentication (HMAC-SHA256, tokens, in constant time) and push payloads */
#include "serve.h"

#include <ctype.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

bool zsync_serve_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

bool zsync_serve_secret_equal(const char *a, const char *b)
{
	unsigned char ha[32], hb[32];

	if (!a || !b)
		return false;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, a, strlen(a), ha) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, b, strlen(b), hb) < 0)
		return false;
	return zsync_serve_ct_equal(ha, hb, sizeof(ha));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool zsync_serve_signature_ok(const char *secret, const void *body, size_t len, const char *header)
{
	unsigned char want[32], got[32];

	if (!secret || !*secret || !header || strncmp(header, "sha256=", 7) || strlen(header + 7) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		int h = hexval(header[7 + 2 * i]), l = hexval(header[8 + 2 * i]);
		if (h < 0 || l < 0)
			return false;
		got[i] = (unsigned char)(h << 4 | l);
	}
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), body, len, want) < 0)
		return false;
	return zsync_serve_ct_equal(want, got, sizeof(want));
}

int zsync_serve_parse_push(const char *body, size_t len, char **branch, char **after, bool *deleted,
			   struct zsync_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je), *v;
	const char *ref = NULL;
	int ret = 0;

	*branch = *after = NULL;
	*deleted = false;
	if (!json_is_object(j)) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "the payload is not a JSON object%s%s", j ? "" : ": ",
				    j ? "" : je.text);
		goto out;
	}
	if ((v = json_object_get(j, "ref")) && json_is_string(v))
		ref = json_string_value(v);
	else if ((v = json_object_get(j, "branch")) && json_is_string(v))
		ref = json_string_value(v);
	if (!ref || !*ref) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "the payload has no \"ref\"");
		goto out;
	}
	if (!strncmp(ref, "refs/heads/", 11))
		ref += 11;
	else if (!strncmp(ref, "refs/", 5)) /* a tag: never the deployed branch */
		ref = "";
	*branch = zsync_xstrdup(ref);
	v = json_object_get(j, "after");
	if (!json_is_string(v))
		v = json_object_get(j, "checkout_sha"); /* GitLab */
	if (json_is_string(v)) {
		const char *a = json_string_value(v);
		size_t n = strlen(a);
		bool hex = n >= 7 && n <= 40;
		for (size_t i = 0; hex && i < n; i++)
			hex = isxdigit((unsigned char)a[i]);
		if (!hex) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "the payload's \"after\" is not a commit id");
			goto out;
		}
		*after = zsync_xstrdup(a);
		/* a deleted branch: GitHub says so, GitLab sends the null commit */
		*deleted = strspn(a, "0") == n;
	}
	if (json_is_true(json_object_get(j, "deleted")))
		*deleted = true;
out:
	if (ret) {
		free(*branch);
		free(*after);
		*branch = *after = NULL;
	}
	json_decref(j);
	return ret;
}
