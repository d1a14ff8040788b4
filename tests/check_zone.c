/* check_zone.c - the zone model: canonical equality, errors with lines, $INCLUDE confinement */
#include "testutil.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "lint.h"
#include "zone.h"

#include <libknot/libknot.h>

#define HDR "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n"

/* In-memory "repository" for $INCLUDE tests: path -> content. */
struct memfs {
	const char *path[16];
	const char *text[16];
	int reads;
};

static int memfs_read(void *ctx, const char *path, char **buf, size_t *len, struct zsync_err *err)
{
	struct memfs *fs = ctx;
	(void)err;
	for (int i = 0; i < 16 && fs->path[i]; i++) {
		if (strcmp(fs->path[i], path) == 0) {
			fs->reads++;
			*buf = strdup(fs->text[i]);
			*len = strlen(fs->text[i]);
			return 0;
		}
	}
	return ZSYNC_ENOTFOUND;
}

static struct zsync_zone *load(const char *origin, const char *text, struct zsync_diags *d,
			       struct memfs *fs)
{
	struct zsync_err err = { 0 };
	struct zsync_zone *z = zsync_zone_new(origin, &err);
	ck_assert_ptr_nonnull(z);
	zsync_zone_parse(z, "zones/test.zone", text, strlen(text), fs ? memfs_read : NULL, fs, d);
	return z;
}

/* Loads both texts without errors and says whether the models are equal. */
static bool same(const char *a, const char *b)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *za = load("example.com.", a, &d, NULL);
	struct zsync_zone *zb = load("example.com", b, &d, NULL);
	ck_assert_msg(d.errors == 0, "unexpected error: %s", d.n ? d.v[0].msg : "");
	bool eq = zsync_zone_equal(za, zb) && zsync_zone_equal(zb, za);
	zsync_zone_free(za);
	zsync_zone_free(zb);
	zsync_diags_release(&d);
	return eq;
}

START_TEST(test_equal_forms)
{
	/* case, whitespace, relative vs absolute, order: one model */
	ck_assert(same(HDR "www A 192.0.2.2\nWWW AAAA 2001:db8::1\n",
		       HDR "www.EXAMPLE.com. AAAA 2001:0db8:0:0::1\nwww.example.com. A 192.0.2.2\n"));
	ck_assert(same(HDR "t TXT \"hello\" \" world\"\n", HDR "t   TXT   (  \"hello\" \n  \" world\" )\n"));
	ck_assert(same(HDR "t TXT \"v=spf1\" \" -all\"\n", HDR "t TXT v=spf1 \" -all\"\n"));
	ck_assert(same(HDR "@ MX 10 Mail.Example.COM.\nmail A 192.0.2.3\n",
		       HDR "mail A 192.0.2.3\n@ MX 10 mail\n"));
	ck_assert(same(HDR "_s._tcp SRV 0 5 80 WEB\nweb A 192.0.2.4\n",
		       HDR "web A 192.0.2.4\n_s._tcp.example.com. SRV 0 5 80 web.example.com.\n"));
	ck_assert(same(HDR "@ CAA 0 issue \"letsencrypt.org\"\n",
		       HDR "@ CAA 0 issue letsencrypt.org\n"));
	/* the same strings written with and without quotes and parentheses are one record */
	char a[2048], b[2048], long1[301];
	memset(long1, 'x', 300);
	long1[300] = '\0';
	snprintf(a, sizeof(a), HDR "dkim TXT \"%.255s\" \"%s\"\n", long1, long1 + 255);
	snprintf(b, sizeof(b), HDR "dkim TXT ( %.255s\n %s )\n", long1, long1 + 255);
	ck_assert(same(a, b));
	/* same records in another order and with $ORIGIN */
	ck_assert(same(HDR "a A 192.0.2.5\nb A 192.0.2.6\na A 192.0.2.7\n",
		       "$ORIGIN example.com.\n" HDR "a A 192.0.2.7\n$ORIGIN b.example.com.\n@ A 192.0.2.6\n$ORIGIN example.com.\na A 192.0.2.5\n"));
}
END_TEST

START_TEST(test_unequal)
{
	ck_assert(!same(HDR "www A 192.0.2.2\n", HDR "www A 192.0.2.3\n"));
	ck_assert(!same(HDR "www A 192.0.2.2\n", HDR "www 301 A 192.0.2.2\n"));
	ck_assert(!same(HDR "www A 192.0.2.2\n", HDR "www A 192.0.2.2\nwww A 192.0.2.3\n"));
	ck_assert(!same(HDR "t TXT \"Hello\"\n", HDR "t TXT \"hello\"\n"));  /* text is case-sensitive */
	ck_assert(!same(HDR "t TXT \"a b\"\n", HDR "t TXT \"ab\"\n"));
	/* TXT string boundaries are data (RFC 1035 3.3.14, RFC 6763 6): never joined */
	ck_assert(!same(HDR "t TXT \"hello world\"\n", HDR "t TXT ( \"hello\" \" world\" )\n"));
	ck_assert(!same(HDR "t TXT \"helloworld\"\n", HDR "t TXT hello world\n"));
	ck_assert(!same(HDR "t TXT \"ab\"\n", HDR "t TXT \"a\" \"\" \"b\"\n"));
	ck_assert(!same(HDR "t TXT \"a\" \"b\"\n", HDR "t TXT \"a\" \"\" \"b\"\n"));
	ck_assert(!same(HDR "s SPF \"v=spf1 -all\"\n", HDR "s SPF \"v=spf1\" \" -all\"\n"));
	{
		char x[2048], y[2048], l[301];
		memset(l, 'x', 300);
		l[300] = '\0';
		snprintf(x, sizeof(x), HDR "dkim TXT \"%.255s\" \"%s\"\n", l, l + 255);
		snprintf(y, sizeof(y), HDR "dkim TXT ( \"%.100s\"\n \"%s\" )\n", l, l + 100);
		ck_assert(!same(x, y));
	}
	ck_assert(!same(HDR "t TXT \"ab\"\n", HDR "t TXT \"ab\"\nt TXT \"cd\"\n"));
	ck_assert(!same(HDR "w A 192.0.2.2\n", HDR "w2 A 192.0.2.2\n"));
}
END_TEST

START_TEST(test_model_counts_and_find)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "www A 192.0.2.2\nwww A 192.0.2.3\nwww A 192.0.2.2\n", &d, NULL);
	uint8_t owner[ZSYNC_NAME_MAXLEN];

	ck_assert_uint_eq(d.errors, 0);
	ck_assert_uint_eq(d.warnings, 1); /* the duplicate */
	ck_assert_uint_eq(zsync_zone_rrset_count(z), 4);
	ck_assert_uint_eq(zsync_zone_record_count(z), 5);
	ck_assert_int_eq(zsync_name_from_text("WWW", zsync_zone_origin(z), owner), 0);
	const struct zsync_rrset *r = zsync_zone_find(z, owner, ZSYNC_TYPE_A);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->count, 2);
	ck_assert_uint_eq(r->ttl, 300);
	ck_assert_uint_eq(r->line, 5);
	char txt[64];
	ck_assert_int_eq(zsync_rdata_to_text(r->type, r->rdata, txt, sizeof(txt)), 0);
	ck_assert_str_eq(txt, "192.0.2.2");
	ck_assert_int_eq(zsync_rdata_to_text(r->type, zsync_rdata_next(r->rdata), txt, sizeof(txt)), 0);
	ck_assert_str_eq(txt, "192.0.2.3");
	ck_assert_ptr_null(zsync_zone_find(z, owner, ZSYNC_TYPE_AAAA));
	ck_assert_int_eq(zsync_zone_remove(z, owner, ZSYNC_TYPE_A), 1);
	ck_assert_ptr_null(zsync_zone_find(z, owner, ZSYNC_TYPE_A));
	ck_assert_uint_eq(zsync_zone_record_count(z), 3);
	zsync_zone_free(z);
	zsync_diags_release(&d);
}
END_TEST

START_TEST(test_sorted_canonical_order)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "z A 192.0.2.1\nb.a A 192.0.2.1\na TXT \"x\"\na A 192.0.2.1\n*.a A 192.0.2.1\nZ.a A 192.0.2.1\n", &d, NULL);
	size_t n;
	const struct zsync_rrset *const *s = zsync_zone_sorted(z, &n);
	const char *want[] = { "example.com. NS", "example.com. SOA", "a.example.com. A", "a.example.com. TXT",
			       "*.a.example.com. A", "b.a.example.com. A", "z.a.example.com. A",
			       "ns1.example.com. A", "z.example.com. A" };
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[16], both[1100];
		snprintf(both, sizeof(both), "%s %s", zsync_name_to_text(s[i]->owner, name, sizeof(name)),
			 zsync_type_to_text(s[i]->type, type, sizeof(type)));
		ck_assert_str_eq(both, want[i]);
	}
	zsync_zone_free(z);
	zsync_diags_release(&d);
}
END_TEST

/*
 * A zone big enough for the sort's merge passes (runs of 16): owners that tie on the
 * first 16 octets below the origin (the integer keys), several types per owner, upper
 * case, and names of every length up to deep ones; each neighbour pair in canonical order
 * (RFC 4034 section 6.1, by libknot's compare), every RRset exactly once, and the owner
 * starts (zsync_zone_sorted_starts) where the names change.
 */
START_TEST(test_sorted_many)
{
	struct zsync_diags d = { 0 };
	size_t cap = 1 << 20, o = 0, expect = 3; /* HDR: SOA, NS, the A of ns1 */
	char *text = malloc(cap);

	o += (size_t)snprintf(text + o, cap - o, "%s", HDR);
	for (unsigned i = 0; i < 3000; i++) {
		unsigned k = (i * 7919u) % 3000u; /* a scrambled order */
		const char *pre = k % 3 == 0 ? "longlabelsharedbyall-" : k % 3 == 1 ? "" : "Mixed.Case.";
		o += (size_t)snprintf(text + o, cap - o, "%s%u.h%u A 192.0.2.%u\n", pre, k, k % 7, k % 250);
		expect++;
		if (k % 5 == 0) {
			o += (size_t)snprintf(text + o, cap - o, "%s%u.h%u TXT \"t\"\n", pre, k, k % 7);
			expect++;
		}
		if (k % 11 == 0) {
			o += (size_t)snprintf(text + o, cap - o, "a.b.c.d.e.f.%u AAAA 2001:db8::%x\n", k, k);
			expect++;
		}
	}
	/* an owner again far from its first records: a copy of its name, not the same pointer */
	o += (size_t)snprintf(text + o, cap - o, "longlabelsharedbyall-0.h0 MX 0 .\n");
	expect++;
	struct zsync_zone *z = load("example.com", text, &d, NULL);
	ck_assert_uint_eq(d.errors, 0);
	size_t n;
	const struct zsync_rrset *const *s = zsync_zone_sorted(z, &n);
	ck_assert_uint_eq(n, expect);
	const uint8_t *starts = zsync_zone_sorted_starts(z);
	size_t owners = 1;
	ck_assert_uint_eq(starts[0], 1);
	for (size_t i = 1; i < n; i++) {
		int c = zsync_name_cmp(s[i - 1]->owner, s[i]->owner);
		ck_assert_msg(c < 0 || (c == 0 && s[i - 1]->type < s[i]->type), "out of order at %zu", i);
		/* an owner's RRsets grouped: a start exactly where the name changes */
		ck_assert_uint_eq(starts[i], c != 0);
		owners += starts[i];
	}
	ck_assert_uint_lt(owners, n); /* some owners have several types */
	zsync_zone_free(z);
	zsync_diags_release(&d);
	free(text);
}
END_TEST

/*
 * A zone big enough for the sort of two halves side by side (zsync_zone_set_threads):
 * the same order and owner starts as the one-thread sort, position by position, with
 * owners that tie on their lookup form (a\000c and c.a), an owner in both halves (two
 * copies of its lookup form), names outside the zone and a scrambled order.
 */
START_TEST(test_sorted_two_threads)
{
	struct zsync_diags d = { 0 };
	size_t cap = 8 << 20, o = 0;
	char *text = malloc(cap);

	o += (size_t)snprintf(text + o, cap - o, "%s", HDR);
	o += (size_t)snprintf(text + o, cap - o, "c.a TXT \"x\"\na\\000c A 192.0.2.2\nc.a A 192.0.2.3\n");
	for (unsigned i = 0; i < 80000; i++) {
		unsigned k = (i * 7919u) % 80000u; /* a scrambled order */
		const char *pre = k % 3 == 0 ? "longlabelsharedbyall-" : k % 3 == 1 ? "" : "Mixed.Case.";
		o += (size_t)snprintf(text + o, cap - o, "%s%u.h%u A 192.0.2.%u\n", pre, k, k % 7, k % 250);
		if (k % 5 == 0)
			o += (size_t)snprintf(text + o, cap - o, "%s%u.h%u TXT \"t\"\n", pre, k, k % 7);
		if (k % 997 == 0)
			o += (size_t)snprintf(text + o, cap - o, "out%u.example.net. A 192.0.2.9\n", k);
	}
	o += (size_t)snprintf(text + o, cap - o, "c.a MX 0 .\na\\000c TXT \"y\"\n");
	struct zsync_zone *one = load("example.com", text, &d, NULL);
	struct zsync_zone *two = load("example.com", text, &d, NULL);
	ck_assert_uint_eq(d.errors, 0);
	zsync_zone_set_threads(two, 2);
	size_t n1, n2;
	const struct zsync_rrset *const *s1 = zsync_zone_sorted(one, &n1);
	const struct zsync_rrset *const *s2 = zsync_zone_sorted(two, &n2);
	const uint8_t *st1 = zsync_zone_sorted_starts(one), *st2 = zsync_zone_sorted_starts(two);
	ck_assert_uint_gt(n1, 8192); /* the two-thread sort's threshold */
	ck_assert_uint_eq(n1, n2);
	for (size_t i = 0; i < n1; i++) {
		ck_assert_msg(zsync_name_equal(s1[i]->owner, s2[i]->owner) &&
				      knot_dname_size(s1[i]->owner) == knot_dname_size(s2[i]->owner) &&
				      memcmp(s1[i]->owner, s2[i]->owner, knot_dname_size(s1[i]->owner)) == 0 &&
				      s1[i]->type == s2[i]->type,
			      "position %zu differs", i);
		ck_assert_uint_eq(st1[i], st2[i]);
	}
	zsync_zone_free(one);
	zsync_zone_free(two);
	zsync_diags_release(&d);
	free(text);
}
END_TEST

/*
 * A zone over a megabyte that may use two threads is parsed on one and inserted by the
 * other (the pipe): the same zone, and the same findings in the same order, as the serial
 * load, with the inserter's findings (duplicate, ttl-mismatch) between the parser's
 * (syntax, no-ttl), names in upper case (made canonical by the inserter) and an
 * $INCLUDE in the middle whose file comes into the zone.
 */
START_TEST(test_parse_two_threads)
{
	struct memfs fs = { .path = { "zones/inc.zone" },
			    .text = { "inc1 A 192.0.2.7\ninc1 A 192.0.2.7\nbad!name A 1.2.3.4\ninc2 TXT \"i\"\n" } };
	size_t cap = 16 << 20, o = 0;
	char *text = malloc(cap);

	o += (size_t)snprintf(text + o, cap - o, "%s", HDR);
	for (unsigned i = 0; i < 60000; i++) {
		o += (size_t)snprintf(text + o, cap - o, "name-%u.sub A 192.0.2.%u\n", i, i % 250);
		if (i % 997 == 0) /* a duplicate, a TTL that differs, a syntax error: across batch ends */
			o += (size_t)snprintf(text + o, cap - o, "name-%u.sub A 192.0.2.%u\nname-%u.sub 77 A 192.0.2.254\n"
					      "broken-%u A not-an-address\n", i, i % 250, i, i);
		if (i == 30000)
			o += (size_t)snprintf(text + o, cap - o, "$INCLUDE inc.zone\n");
		if (i % 101 == 0) /* names to lower case, in the owner and the rdata */
			o += (size_t)snprintf(text + o, cap - o, "Upper-%u.SUB CNAME Target-%u.Example.NET.\n"
					      "MX-%u MX 10 Mail-%u.Sub\n", i, i, i, i);
	}
	ck_assert_uint_gt(o, 1u << 20); /* the pipe's threshold */
	for (int eo = 0; eo < 2; eo++) {
		struct zsync_diags d1 = { .errors_only = eo }, d2 = { .errors_only = eo };
		struct zsync_err err = { 0 };
		struct zsync_zone *one = zsync_zone_new("example.com", &err), *two = zsync_zone_new("example.com", &err);
		zsync_diags_add(&d1, "before", 1, ZSYNC_SEV_ERROR, NULL, "a finding before the parse");
		zsync_diags_add(&d2, "before", 1, ZSYNC_SEV_ERROR, NULL, "a finding before the parse");
		zsync_zone_set_threads(two, 2);
		zsync_zone_parse(one, "zones/test.zone", text, o, memfs_read, &fs, &d1);
		zsync_zone_parse(two, "zones/test.zone", text, o, memfs_read, &fs, &d2);
		ck_assert(zsync_zone_equal(one, two) && zsync_zone_equal(two, one));
		ck_assert_uint_eq(zsync_zone_rrset_count(one), zsync_zone_rrset_count(two));
		ck_assert_uint_eq(d1.n, d2.n);
		ck_assert_uint_eq(d1.errors, d2.errors);
		ck_assert_uint_eq(d1.warnings, d2.warnings);
		ck_assert_uint_gt(d1.errors, 120);
		ck_assert_uint_eq(d1.warnings, eo ? 0 : 61 + 1);
		for (size_t i = 0; i < d1.n; i++) {
			char a[1024], b[1024];
			zsync_diag_format(&d1.v[i], a, sizeof(a));
			zsync_diag_format(&d2.v[i], b, sizeof(b));
			ck_assert_str_eq(b, a);
		}
		/* each record where the serial load has it: files and lines */
		for (size_t i = 0; i < zsync_zone_iter_count(one); i++) {
			const struct zsync_rrset *r = zsync_zone_iter(one, i), *q;
			if (!r)
				continue;
			q = zsync_zone_find(two, r->owner, r->type);
			ck_assert_ptr_nonnull(q);
			ck_assert_uint_eq(q->line, r->line);
			ck_assert_str_eq(zsync_zone_file(two, q->file), zsync_zone_file(one, r->file));
		}
		zsync_zone_free(one);
		zsync_zone_free(two);
		zsync_diags_release(&d1);
		zsync_diags_release(&d2);
	}
	free(text);
}
END_TEST

START_TEST(test_errors_all_reported_with_lines)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "a A 192.0.2.300\nb A 192.0.2.2\nc AAAA zz::1\nd MX x y\ne A 192.0.2.5\n", &d, NULL);
	ck_assert_uint_eq(d.errors, 3);
	ck_assert_uint_eq(d.v[0].line, 5);
	ck_assert_uint_eq(d.v[1].line, 7);
	ck_assert_uint_eq(d.v[2].line, 8);
	ck_assert_str_eq(d.v[0].file, "zones/test.zone");
	ck_assert_str_eq(d.v[0].rule, "syntax");
	zsync_zone_free(z);
	zsync_diags_release(&d);
}
END_TEST

START_TEST(test_no_ttl_is_error)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", "@ 300 SOA ns1 h 1 2 3 4 5\n@ NS ns1\n", &d, NULL);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_uint_eq(d.v[0].line, 2);
	ck_assert_str_eq(d.v[0].rule, "no-ttl");
	zsync_zone_free(z);
	zsync_diags_release(&d);
	/* an explicit TTL or a $TTL is fine */
	z = load("example.com", "@ 300 SOA ns1 h 1 2 3 4 5\n@ 300 NS ns1\n$TTL 60\nx A 192.0.2.1\n", &d, NULL);
	ck_assert_uint_eq(d.errors, 0);
	zsync_zone_free(z);
	zsync_diags_release(&d);
}
END_TEST

START_TEST(test_include_ok)
{
	struct memfs fs = { { "zones/inc/mail.inc", "zones/top.inc" },
			    { "@ MX 10 mx\nmx A 192.0.2.25\n", "$INCLUDE inc/mail.inc\n" } };
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "$INCLUDE inc/mail.inc\n$INCLUDE ./inc/../top.inc sub.example.com.\n", &d, &fs);
	uint8_t n[ZSYNC_NAME_MAXLEN];

	ck_assert_msg(d.errors == 0, "%s", d.n ? d.v[0].msg : "");
	ck_assert_int_eq(fs.reads, 3);
	zsync_name_from_text("mx.example.com.", NULL, n);
	ck_assert_ptr_nonnull(zsync_zone_find(z, n, ZSYNC_TYPE_A));
	zsync_name_from_text("mx.sub.example.com.", NULL, n);
	ck_assert_ptr_nonnull(zsync_zone_find(z, n, ZSYNC_TYPE_A)); /* the include's origin applies */
	const struct zsync_rrset *r = zsync_zone_find(z, n, ZSYNC_TYPE_A);
	ck_assert_str_eq(zsync_zone_file(z, r->file), "zones/inc/mail.inc");
	ck_assert_uint_eq(r->line, 2);
	zsync_zone_free(z);
	zsync_diags_release(&d);
}
END_TEST

static const char *include_error(const char *text, struct memfs *fs)
{
	static char msg[1024];
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", text, &d, fs);
	ck_assert_uint_ge(d.errors, 1);
	ck_assert_str_eq(d.v[0].rule, "include");
	snprintf(msg, sizeof(msg), "%s:%u: %s", d.v[0].file, d.v[0].line, d.v[0].msg);
	zsync_zone_free(z);
	zsync_diags_release(&d);
	return msg;
}

START_TEST(test_include_confined)
{
	struct memfs fs = { { "zones/a.inc", "zones/b.inc", "zones/self.inc", "secret" },
			    { "$INCLUDE b.inc\n", "x A 192.0.2.1\n$INCLUDE a.inc\n", "$INCLUDE self.inc\n", "x A 192.0.2.9\n" } };
	const char *m;

	m = include_error(HDR "$INCLUDE /etc/passwd\n", &fs);
	ck_assert_msg(strstr(m, "zones/test.zone:5: $INCLUDE of absolute path '/etc/passwd' refused"), "%s", m);
	m = include_error(HDR "$INCLUDE ../../../etc/passwd\n", &fs);
	ck_assert_msg(strstr(m, "leaves the repository"), "%s", m);
	/* inside the repository but outside zones/: allowed path, must exist in the tree */
	m = include_error(HDR "$INCLUDE ../nothere\n", &fs);
	ck_assert_msg(strstr(m, "'nothere' not found in the repository"), "%s", m);
	m = include_error(HDR "$INCLUDE a.inc\n", &fs);
	ck_assert_msg(strstr(m, "zones/b.inc:2: $INCLUDE loop: 'zones/a.inc'"), "%s", m);
	m = include_error(HDR "$INCLUDE self.inc\n", &fs);
	ck_assert_msg(strstr(m, "loop"), "%s", m);
	m = include_error(HDR "$INCLUDE test.zone\n", &fs);
	ck_assert_msg(strstr(m, "loop"), "%s", m);
	/* without a reader (e.g. provider data) includes are refused */
	m = include_error(HDR "$INCLUDE a.inc\n", NULL);
	ck_assert_msg(strstr(m, "not available"), "%s", m);
}
END_TEST

START_TEST(test_include_depth)
{
	struct memfs fs = { { 0 } };
	char names[10][32], texts[10][64];
	for (int i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "zones/d%d.inc", i);
		snprintf(texts[i], sizeof(texts[i]), "n%d A 192.0.2.%d\n$INCLUDE d%d.inc\n", i, i + 1, i + 1);
		fs.path[i] = names[i];
		fs.text[i] = texts[i];
	}
	const char *m = include_error(HDR "$INCLUDE d0.inc\n", &fs);
	ck_assert_msg(strstr(m, "zones/d7.inc:2: $INCLUDE of 'zones/d8.inc' exceeds the nesting limit of 8"), "%s", m);
	ck_assert_int_eq(fs.reads, 8);
}
END_TEST

/* libzscanner's pull mode leaks a stack frame per $INCLUDE: 17 or more in one file
 * smashed its stack (exit 134). Any number works, and the file's context (origin, $TTL,
 * last owner, line numbers) goes on after each include as before it. */
START_TEST(test_include_many)
{
	struct memfs fs = { { "zones/b.inc" }, { "sub A 192.0.2.7\n" } };
	struct zsync_diags d = { 0 };
	char *text = NULL;
	size_t tl = 0;
	FILE *f = open_memstream(&text, &tl);
	uint8_t n[ZSYNC_NAME_MAXLEN];
	const struct zsync_rrset *r;

	fputs(HDR "$ORIGIN in.example.com.\n$TTL 77\nowner A 192.0.2.1\n", f); /* lines 1-7 */
	for (int i = 0; i < 40; i++)
		fputs("$INCLUDE b.inc\n", f);           /* lines 8-47 */
	fputs("  AAAA 2001:db8::1\nlast TXT \"x\"\n$INCLUDE b.inc", f); /* 48, 49; no final newline */
	fclose(f);
	struct zsync_zone *z = load("example.com", text, &d, &fs);
	ck_assert_msg(d.errors == 0, "%s", d.n ? d.v[0].msg : "");
	ck_assert_int_eq(fs.reads, 41);
	zsync_name_from_text("sub.in.example.com.", NULL, n);
	ck_assert_ptr_nonnull(zsync_zone_find(z, n, ZSYNC_TYPE_A));
	/* a blank owner after the includes is the file's last owner, not the include's */
	zsync_name_from_text("owner.in.example.com.", NULL, n);
	r = zsync_zone_find(z, n, ZSYNC_TYPE_AAAA);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->ttl, 77);
	ck_assert_uint_eq(r->line, 48);
	ck_assert_str_eq(zsync_zone_file(z, r->file), "zones/test.zone");
	zsync_name_from_text("last.in.example.com.", NULL, n);
	r = zsync_zone_find(z, n, ZSYNC_TYPE_TXT);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->line, 49);
	zsync_zone_free(z);
	zsync_diags_release(&d);
	free(text);
}
END_TEST

/* Eight files, each including the next six times: 6^7 parses within the depth limit.
 * The zone's budget stops it at once with one error that names the chain. */
START_TEST(test_include_fanout_budget)
{
	struct memfs fs = { { 0 } };
	char names[8][32], texts[8][256];
	for (int i = 0; i < 8; i++) {
		snprintf(names[i], sizeof(names[i]), "zones/f%d.inc", i);
		texts[i][0] = '\0';
		for (int k = 0; k < 6 && i < 7; k++)
			snprintf(texts[i] + strlen(texts[i]), sizeof(texts[i]) - strlen(texts[i]),
				 "$INCLUDE f%d.inc\n", i + 1);
		if (i == 7)
			snprintf(texts[i], sizeof(texts[i]), "; leaf\n");
		fs.path[i] = names[i];
		fs.text[i] = texts[i];
	}
	/* no wall-clock bound (sanitizer builds and a busy machine are slow): the budget error
	 * below is what proves the work stopped at 10000 files instead of 6^7 */
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "$INCLUDE f0.inc\n", &d, &fs);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_str_eq(d.v[0].rule, "include");
	ck_assert_str_eq(d.v[0].file, "zones/f6.inc");
	ck_assert_msg(strstr(d.v[0].msg, "exceeds the zone's budget of 10000 files") &&
			      strstr(d.v[0].msg, "include chain: zones/test.zone:5 -> zones/f0.inc:"),
		      "%s", d.v[0].msg);
	ck_assert_int_eq(fs.reads, 9999); /* the top file is the 10000th */
	zsync_zone_free(z);
	zsync_diags_release(&d);

	/* the budget is the zone's: smaller limits, for files and for bytes */
	struct zsync_err err = { 0 };
	struct zsync_include_budget b = { .max_files = 3, .max_bytes = 1 << 20 };
	fs.reads = 0;
	z = zsync_zone_new("example.com", &err);
	zsync_zone_set_include_budget(z, &b);
	ck_assert_int_lt(zsync_zone_parse(z, "zones/test.zone", HDR "$INCLUDE f6.inc\n",
					  strlen(HDR "$INCLUDE f6.inc\n"), memfs_read, &fs, &d), 0);
	ck_assert_int_eq(fs.reads, 2);
	ck_assert_msg(strstr(d.v[0].msg, "budget of 3 files (3 files parsed so far; "
					 "repo.max_include_files); include chain: zones/test.zone:5 -> "
					 "zones/f6.inc:2 -> zones/f7.inc"),
		      "%s", d.v[0].msg);
	zsync_zone_free(z);
	zsync_diags_release(&d);
	b.max_files = 100;
	b.max_bytes = strlen(HDR "$INCLUDE f6.inc\n") + strlen(texts[6]) + 5;
	z = zsync_zone_new("example.com", &err);
	zsync_zone_set_include_budget(z, &b);
	ck_assert_int_lt(zsync_zone_parse(z, "zones/test.zone", HDR "$INCLUDE f6.inc\n",
					  strlen(HDR "$INCLUDE f6.inc\n"), memfs_read, &fs, &d), 0);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_msg(strstr(d.v[0].msg, "bytes read so far; repo.max_include_bytes)"), "%s", d.v[0].msg);
	zsync_zone_free(z);
	zsync_diags_release(&d);
}
END_TEST

START_TEST(test_add_and_add_text_match_parse)
{
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_zone *parsed = load("example.com", HDR "WWW 60 IN A 192.0.2.2\n@ MX 10 MAIL\n", &d, NULL);
	struct zsync_zone *built = zsync_zone_new("example.com", &err);
	const char *lines = "@ 300 SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300\n"
			    "example.com. 300 NS ns1.example.com.\nns1.example.com. 300 A 192.0.2.1\n"
			    "www 60 A 192.0.2.2\n";
	ck_assert_int_eq(zsync_zone_add_text(built, lines, strlen(lines), &err), 0);
	uint8_t owner[ZSYNC_NAME_MAXLEN];
	zsync_name_from_text("Example.COM.", NULL, owner);
	const uint8_t mx[] = { 0, 10, 4, 'm', 'A', 'i', 'L', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
	ck_assert_int_eq(zsync_zone_add(built, owner, ZSYNC_TYPE_MX, 300, mx, sizeof(mx), &err), 0);
	ck_assert(zsync_zone_equal(parsed, built));
	/* bad text is an error naming the zone, not a crash */
	ck_assert_int_lt(zsync_zone_add_text(built, "x A 1.2.3.400\n", 14, &err), 0);
	ck_assert_msg(strstr(err.msg, "zone 'example.com.'"), "%s", err.msg);
	zsync_zone_free(parsed);
	zsync_zone_free(built);
	zsync_diags_release(&d);
}
END_TEST

START_TEST(test_name_equal)
{
	/* case-insensitive in ASCII only, label by label; length octets compared exactly */
	const uint8_t *a = (const uint8_t *)"\3WwW\7example\3com", *b = (const uint8_t *)"\3www\7EXAMPLE\3CoM";
	ck_assert(zsync_name_equal(a, b));
	ck_assert(zsync_name_equal(a, a));
	ck_assert(!zsync_name_equal(a, (const uint8_t *)"\3www\7exampla\3com"));
	ck_assert(!zsync_name_equal(a, (const uint8_t *)"\3www\7example"));
	ck_assert(!zsync_name_equal((const uint8_t *)"\3www\7example", a));
	ck_assert(!zsync_name_equal((const uint8_t *)"\2ab\1c", (const uint8_t *)"\1a\2bc"));
	ck_assert(!zsync_name_equal((const uint8_t *)"\1\xc4", (const uint8_t *)"\1\xe4")); /* not ASCII: exact */
	ck_assert(zsync_name_equal((const uint8_t *)"", (const uint8_t *)""));
}
END_TEST

START_TEST(test_bad_origin)
{
	struct zsync_err err = { 0 };
	ck_assert_ptr_null(zsync_zone_new("bad..name", &err));
	ck_assert_msg(strstr(err.msg, "invalid zone name"), "%s", err.msg);
}
END_TEST

/* A written zone reads back as the same model, types libzscanner knows no name of too. */
START_TEST(test_write_reads_back)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "n TYPE10 \\# 3 abcdef\ns TYPE65280 \\# 2 0102\ne TYPE10 \\# 0\n"
				    "t TXT \"a\" \"\" \"b\"\nu TYPE65281 \\# 0\n", &d, NULL);
	ck_assert_uint_eq(d.errors, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(zsync_zone_write(z, f, "test"), 0);
	fclose(f);
	ck_assert_msg(strstr(buf, "TYPE10\t\\# 3 ABCDEF") != NULL, "%s", buf);
	struct zsync_zone *back = load("example.com", buf, &d, NULL);
	ck_assert_msg(d.errors == 0, "%s\n%s", d.n ? d.v[0].msg : "", buf);
	ck_assert(zsync_zone_equal(z, back));
	zsync_zone_free(back);
	zsync_zone_free(z);
	zsync_diags_release(&d);
	free(buf);
}
END_TEST

/* RFC 3597 data of a known type must be valid rdata of that type: a short SIG or an MX
 * without its name is an error with its line, never handed to libknot's canonical
 * lowering (which would read past the rdata); well-formed generic data loads. */
START_TEST(test_generic_rdata_of_known_type)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "s TYPE24 \\# 2 0102\nm MX \\# 2 000a\n"
				    "ok MX \\# 3 000a00\nn NAPTR \\# 5 0001000203\n", &d, NULL);
	ck_assert_uint_eq(d.errors, 3);
	ck_assert_uint_eq(d.v[0].line, 5);
	ck_assert_msg(strstr(d.v[0].msg, "SIG rdata of 2 octets does not have the wire format of SIG"),
		      "%s", d.v[0].msg);
	ck_assert_uint_eq(d.v[1].line, 6);
	ck_assert_uint_eq(d.v[2].line, 8);
	ck_assert(!zsync_rdata_well_formed(15, (const uint8_t *)"\0\12\3com", 6));
	ck_assert(zsync_rdata_well_formed(15, (const uint8_t *)"\0\12\3com", 7));
	ck_assert(zsync_rdata_well_formed(65280, (const uint8_t *)"x", 1));
	zsync_zone_free(z);
	zsync_diags_release(&d);
}
END_TEST

/*
 * Remainders with lengths inside: NSEC3's salt and hash, NSEC3PARAM's salt, IPSECKEY's
 * gateway, SVCB's target and parameters, TSIG's MAC and other data, the type bit maps of
 * NSEC, NSEC3 and CSYNC. libknot's dumper trusts those lengths, so a record that lies
 * about them (from a server's AXFR, an API's wire form or RFC 3597 text) must never
 * enter a model: make fuzz's fuzz_axfr had a salt length past the record send the NSEC3
 * dump reading far beyond it.
 */
struct wire_case {
	uint16_t type;
	bool ok;
	const char *hex;
};

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0]; h++) {
		if (h[0] == ' ')
			continue;
		unsigned v;
		ck_assert_int_eq(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		h++;
	}
	return n;
}

START_TEST(test_remainder_inner_lengths)
{
	static const struct wire_case cases[] = {
		{ 50, true, "01 00 000a 02 abcd 01 ff 0001 40" },	/* NSEC3 */
		{ 50, true, "01 00 000a 00 01 ff" },			/* no types: an empty non-terminal */
		{ 50, false, "01 00 000a ff 00" },			/* salt longer than the record */
		{ 50, false, "01 00 000a 00 20 aa" },			/* hash longer than the record */
		{ 50, false, "01 00 000a 00 00" },			/* hash of no octets */
		{ 50, false, "01 00 000a 00 01 ff 0000" },		/* a window of no octets */
		{ 50, false, "01 00 000a 00 01 ff 0002 40" },		/* a window past the end */
		{ 50, false, "01 00 00" },
		{ 51, true, "01 00 000a 02 abcd" },			/* NSEC3PARAM */
		{ 51, true, "01 00 000a 00" },
		{ 51, false, "01 00 000a 05 ab" },
		{ 51, false, "01 00 000a 00 ff" },
		{ 45, true, "0a 03 02 02 6777 00 abcd" },		/* IPSECKEY, gateway a name */
		{ 45, true, "0a 00 00" },
		{ 45, true, "0a 01 02 c0000201 abcd" },
		{ 45, false, "0a 03 02 02 6777" },			/* the name runs past the end */
		{ 45, false, "0a 01 02 c000" },
		{ 45, false, "0a 02 02 20010db8" },
		{ 45, false, "0a 04 02 00" },				/* no such gateway type */
		{ 64, true, "0001 00 0003 0002 01bb" },			/* SVCB */
		{ 65, true, "0000 07 6578616d706c65 00" },		/* HTTPS in AliasMode */
		{ 64, true, "0001 00 0000 0002 0003 0003 0002 01bb" },
		{ 64, false, "0001 03 616263" },			/* target without its end */
		{ 64, false, "0001 00 0000 0001 00" },			/* mandatory of an odd length */
		{ 64, false, "0001 00 0003 0002 01bb 0001 0000" },	/* keys out of order */
		{ 65, false, "0001 00 0003 0002 01bb 0003 0002 01bb" },	/* a key twice */
		{ 64, false, "0001 00 0003 0005 01bb" },		/* a value past the end */
		{ 64, false, "0001 00 00" },
		{ 250, true, "00 000000000001 012c 0002 abcd 1234 0000 0000" }, /* TSIG */
		{ 250, false, "00 000000000001 012c 0020 abcd" },
		{ 250, false, "00 000000000001 012c 0000 1234 0000 0005" },
		{ 47, true, "00 0001 40" },				/* NSEC */
		{ 47, true, "00 0001 40 0101 80" },
		{ 47, false, "00 0021 ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" },
		{ 47, false, "00 0101 80 0001 40" },			/* windows out of order */
		{ 62, true, "00000001 0003 0001 40" },			/* CSYNC */
		{ 62, false, "00000001 00" },
	};
	uint8_t w[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].hex, w);
		ck_assert_msg(zsync_rdata_well_formed(cases[i].type, w, n) == cases[i].ok,
			      "case %zu (type %u, %s): expected %s", i, cases[i].type, cases[i].hex,
			      cases[i].ok ? "well-formed" : "malformed");
	}

	/* the same in a zone file (RFC 3597 text): an error at its line, never loaded */
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "n NSEC3 \\# 6 01000000ff00\n"
				    "s SVCB \\# 6 000103616263\nok NSEC3PARAM \\# 5 0100000a00\n", &d, NULL);
	ck_assert_uint_eq(d.errors, 2);
	ck_assert_uint_eq(d.v[0].line, 5);
	ck_assert_msg(strstr(d.v[0].msg, "NSEC3 rdata of 6 octets does not have the wire format of NSEC3"),
		      "%s", d.v[0].msg);
	ck_assert_uint_eq(d.v[1].line, 6);
	zsync_zone_free(z);
	zsync_diags_release(&d);

	/* from a zone transfer: the record is refused, naming its type */
	struct zsync_err err = { 0 };
	size_t n = unhex("01 00 000a ff 00", w);
	z = zsync_zone_new("example.com", &err);
	ck_assert_int_eq(zsync_name_from_text("n", zsync_zone_origin(z), w + 64), 0);
	ck_assert_int_eq(zsync_zone_add(z, w + 64, 50, 300, w, (uint16_t)n, &err), ZSYNC_EINVAL);
	ck_assert_msg(strstr(err.msg, "malformed NSEC3 rdata (6 octets)"), "%s", err.msg);
	ck_assert_uint_eq(zsync_zone_record_count(z), 0);
	zsync_zone_free(z);
}
END_TEST

/*
 * Rdata that is well-formed but that libknot will not print in its type's syntax (an SVCB
 * port of three octets) is written in the RFC 3597 form, which loads back to the same
 * octets: never empty text in a plan, a journal or a zone file.
 */
START_TEST(test_generic_text_fallback)
{
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", HDR "s SVCB \\# 10 00010000030003 01BB01\n", &d, NULL);
	uint8_t owner[KNOT_DNAME_MAXLEN];
	char txt[256];

	ck_assert_uint_eq(d.errors, 0);
	ck_assert_int_eq(zsync_name_from_text("s", zsync_zone_origin(z), owner), 0);
	const struct zsync_rrset *r = zsync_zone_find(z, owner, 64);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(zsync_rdata_to_text(r->type, r->rdata, txt, sizeof(txt)), 0);
	ck_assert_str_eq(txt, "\\# 10 00010000030003" "01BB01");

	/* the text loads back to the same octets */
	char zt[512];
	snprintf(zt, sizeof(zt), HDR "s SVCB %s\n", txt);
	struct zsync_zone *back = load("example.com", zt, &d, NULL);
	ck_assert_msg(d.errors == 0, "%s", d.v[d.n - 1].msg);
	ck_assert(zsync_zone_equal(z, back));
	zsync_zone_free(back);

	/* no room: an error and no half text */
	ck_assert_int_eq(zsync_rdata_to_text(r->type, r->rdata, txt, 20), ZSYNC_EINVAL);
	ck_assert_str_eq(txt, "");
	zsync_zone_free(z);
	zsync_diags_release(&d);
}
END_TEST

/*
 * The text zonesync writes for rdata (plans, journals, zone files, imports, text APIs)
 * reads back to the same octets, also for records no zone file of ours holds but a
 * server or an API can serve: libknot prints some octets in a syntax libzscanner reads
 * otherwise or not at all, and those are written in the RFC 3597 form instead. Found by
 * make fuzz's fuzz_rdata, which checks this on any rdata.
 */
static void roundtrip(uint16_t type, const char *hex, const char *want)
{
	static const uint8_t owner[] = "\1x\7example\0";
	struct zsync_err err = { 0 };
	struct zsync_zone *a = zsync_zone_new("example.", &err), *b = zsync_zone_new("example.", &err);
	uint8_t w[256];
	char txt[1024], line[1200];
	size_t n = unhex(hex, w), k;

	ck_assert_msg(zsync_zone_add(a, owner, type, 300, w, (uint16_t)n, &err) == 0, "%s: %s", hex, err.msg);
	const struct zsync_rrset *const *rs = zsync_zone_sorted(a, &k);
	ck_assert_int_eq(zsync_rdata_to_text(type, rs[0]->rdata, txt, sizeof(txt)), 0);
	ck_assert_msg(strncmp(txt, want, strlen(want)) == 0, "%s: '%s', not '%s...'", hex, txt, want);
	/* by number: the zone file writer names the types libzscanner reads by name */
	snprintf(line, sizeof(line), "x 300 IN TYPE%u %s\n", type, txt);
	ck_assert_msg(zsync_zone_add_text(b, line, strlen(line), &err) == 0, "%s: %s", line, err.msg);
	ck_assert_msg(zsync_zone_equal(a, b), "%s reads back to other octets", line);
	zsync_zone_free(a);
	zsync_zone_free(b);
}

START_TEST(test_text_reads_back)
{
	roundtrip(64, "0001 00 0001 0006 02683202 6833", "1 . alpn=h2,h3"); /* as libknot prints */
	roundtrip(64, "0001 00 0001 0004 01 61 01 62", "\\# 11 ");	/* alpn=a,b: libzscanner refuses */
	roundtrip(64, "0001 00 0001 000c 08 665c6f6f2c626172 026832", "1 . alpn=f"); /* RFC 9460 D.2 */
	roundtrip(64, "0001 00 0001 0003 02 5c68", "\\# ");		/* alpn=\\\\h reads as two */
	roundtrip(64, "0001 00 0001 0006 02 685c 026832", "\\# ");	/* alpn=h\\\\,h2 reads as one */
	roundtrip(64, "0001 00 0001 0004 02 6832 00", "\\# ");		/* an empty alpn id */
	roundtrip(64, "0001 00 0001 0005 02 683b 01 61", "\\# ");		/* ';' would start a comment */
	roundtrip(64, "0001 00 0000 0004 0003 0001 0001 0002 6832 0003 0002 01bb", "\\# "); /* unsorted */
	roundtrip(64, "0001 00 0000 0002 0004 0003 0002 01bb", "\\# ");	/* names a key not there */
	roundtrip(64, "0001 00 0000 0002 0003 0003 0002 01bb", "1 . mandatory=port port=443");
	roundtrip(64, "0001 00 0003 0003 01bb01", "\\# ");			/* port of three octets */
	roundtrip(257, "00 05 6973737565 6361", "0 issue \"ca\"");
	roundtrip(257, "00 00 6361", "\\# 4 00006361");			/* an empty tag */
	roundtrip(257, "00 02 3b61 6361", "\\# ");			/* a tag with ';' */
	roundtrip(29, "00 12 16 13 89172e9c 70b66ae7 00989680", "42 21 54.");
	roundtrip(29, "00 12 16 13 ff172e9c 70b66ae7 00989680", "\\# 16 ");	/* latitude past 90 degrees */
	roundtrip(29, "00 12 16 03 89172e9c 70b66ae7 00989680", "\\# 16 ");	/* a zero written 0e3 */
	roundtrip(46, "0001 0d 02 0000012c ffffffe7 40610000 0001 00 aa", "A 13 2 300 4294967271 1080098816 1 . ");
	roundtrip(46, "000a 0d 02 0000012c 00000001 00000001 0001 00 aa", "\\# ");	/* covers NULL */
	roundtrip(47, "00 0001 40", ". A");
	roundtrip(47, "00 0002 0020", "\\# ");					/* NULL in the bit map */
	roundtrip(42, "0001 18 03 c00002", "1:192.0.2.0/24");
	roundtrip(42, "0001 01 01 00", "\\# ");					/* a trailing zero octet */
	roundtrip(42, "", "");							/* an APL without items */
	roundtrip(24, "0001 0d 02 0000012c 00000001 00000001 0001 00 aa", "\\# ");	/* SIG */
	roundtrip(10, "0102", "\\# 2 0102");					/* NULL */
	/* shorter than the fixed fields libknot's dumper reads before it checks the length */
	roundtrip(43, "0001", "\\# 2 0001");
	roundtrip(48, "010103", "\\# 3 010103");
	roundtrip(44, "01", "\\# 1 01");
	roundtrip(52, "0101", "\\# 2 0101");
	roundtrip(37, "00010002", "\\# 4 00010002");
	roundtrip(63, "0000000101", "\\# 5 0000000101");
	roundtrip(43, "00010203", "\\# 4 00010203");			/* a DS without a digest */
	roundtrip(29, "00 12 16 13 934fd901 80000000 00989680", "90 0 0.001 N");	/* degrees 90 */
	roundtrip(50, "01 00 000a 00 01 ff 0020 0000000000000000000000000000000000000000000000000000000000000004",
		  "1 0 10 - vs====== TYPE253");

	/* what no text of libzscanner's holds is not well-formed: it never enters a model */
	uint8_t w[64];
	ck_assert(!zsync_rdata_well_formed(43, w, 0));			/* an empty DS */
	ck_assert(zsync_rdata_well_formed(42, w, 0));
	ck_assert(!zsync_rdata_well_formed(62, w, unhex("00000001 0003 0001 00", w))); /* a zero octet last in a window */
	ck_assert(!zsync_rdata_well_formed(9, w, unhex("ff 00 09 2a 03 40 99 00 02", w))); /* MR: no name */
	ck_assert(zsync_rdata_well_formed(9, w, unhex("02 6d72 00", w)));
	ck_assert(!zsync_rdata_well_formed(4, w, unhex("03 6d66", w)));	/* MF: the name runs past the end */
}
END_TEST

/* Limits are checked, never truncated; a big RRset loads in linear time. */
START_TEST(test_big_rrset_limits)
{
	size_t cap = 65540 * 32 + 4096, o = 0;
	char *text = malloc(cap);
	o += (size_t)snprintf(text + o, cap - o, HDR);
	for (unsigned i = 0; i < 65540; i++) {
		o += (size_t)snprintf(text + o, cap - o, "big A 10.%u.%u.%u\n", i >> 16, (i >> 8) & 255, i & 255);
		if (i == 1000)
			o += (size_t)snprintf(text + o, cap - o, "big A 10.0.0.7\n"); /* a duplicate, in bulk */
	}
	/* linear loading is measured by the benchmarks, not timed here (valgrind and sanitizer
	 * runs of this suite are many times slower) */
	struct zsync_diags d = { 0 };
	struct zsync_zone *z = load("example.com", text, &d, NULL);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_uint_eq(d.warnings, 1);
	int too_many = -1, dup = -1;
	for (size_t i = 0; i < d.n; i++) {
		if (strstr(d.v[i].msg, "RRset big.example.com. A has more than 65535 records"))
			too_many = (int)i;
		if (strstr(d.v[i].msg, "duplicate record big.example.com. A"))
			dup = (int)i;
	}
	ck_assert_int_ge(too_many, 0);
	ck_assert_uint_eq(d.v[too_many].line, 5 + 65535 + 1); /* the 65,536th record's line */
	ck_assert_int_ge(dup, 0);
	ck_assert_uint_eq(d.v[dup].line, 5 + 1001);
	uint8_t owner[ZSYNC_NAME_MAXLEN];
	zsync_name_from_text("big.example.com.", NULL, owner);
	const struct zsync_rrset *r = zsync_zone_find(z, owner, ZSYNC_TYPE_A);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->count, 65535);
	ck_assert(r->flags & ZSYNC_RRSET_TOO_MANY);
	/* in canonical order, no duplicates, like any RRset */
	const uint8_t *p = r->rdata, *q = zsync_rdata_next(p);
	for (uint16_t i = 1; i < r->count; i++, p = q, q = zsync_rdata_next(q))
		ck_assert_int_lt(zsync_rdata_cmp(p, q), 0);
	zsync_zone_free(z);
	zsync_diags_release(&d);

	/* records added one call at a time (as providers do) keep a big RRset ordered */
	{
		struct zsync_err err = { 0 };
		struct zsync_zone *pz = zsync_zone_new("example.com", &err);
		for (int i = 199; i >= 0; i--) {
			char line[64];
			snprintf(line, sizeof(line), "big 300 IN A 10.0.%d.%d\n", i / 7, i);
			ck_assert_int_eq(zsync_zone_add_text(pz, line, strlen(line), &err), 0);
		}
		ck_assert_int_eq(zsync_zone_add_text(pz, "big 300 IN A 10.0.1.7\nbig 300 IN A 10.9.9.9\n", 44, &err), 0);
		uint8_t bo[ZSYNC_NAME_MAXLEN];
		zsync_name_from_text("big.example.com.", NULL, bo);
		const struct zsync_rrset *br = zsync_zone_find(pz, bo, ZSYNC_TYPE_A);
		ck_assert_uint_eq(br->count, 201);
		const uint8_t *x = br->rdata, *y = zsync_rdata_next(x);
		for (uint16_t i = 1; i < br->count; i++, x = y, y = zsync_rdata_next(y))
			ck_assert_int_lt(zsync_rdata_cmp(x, y), 0);
		zsync_zone_free(pz);
	}

	/* 300 TXT records of 250 octets fit no DNS message: check says so, naming the RRset */
	o = (size_t)snprintf(text, cap, HDR);
	for (unsigned i = 0; i < 300; i++)
		o += (size_t)snprintf(text + o, cap - o, "txt TXT \"%0250u\"\n", i);
	o += (size_t)snprintf(text + o, cap - o, "fits TXT \"%0250u\"\n", 1u);
	struct zsync_diags d2 = { 0 };
	z = load("example.com", text, &d2, NULL);
	ck_assert_uint_eq(d2.errors, 0);
	ck_assert_uint_eq(zsync_lint_zone(z, NULL, &d2), 1);
	ck_assert_str_eq(d2.v[0].rule, "rrset-size");
	ck_assert_uint_eq(d2.v[0].line, 5);
	ck_assert_msg(strstr(d2.v[0].msg, "RRset txt.example.com. TXT: 300 records need at least 78933 octets in one answer, over the 65535-octet DNS message limit"),
		      "%s", d2.v[0].msg);
	zsync_zone_free(z);
	zsync_diags_release(&d2);
	free(text);
}
END_TEST

/* What libknot's own printer makes of one rdata: the reference for the shortcuts. */
static void knot_text(uint16_t type, const uint8_t *data, uint16_t n, char *buf, size_t len)
{
	uint8_t rd[2 + 65536];
	knot_rrset_t rr;
	uint8_t owner[1] = { 0 };

	memcpy(rd, &n, 2);
	memcpy(rd + 2, data, n);
	knot_rrset_init(&rr, owner, type, KNOT_CLASS_IN, 0);
	rr.rrs.count = 1;
	rr.rrs.size = knot_rdata_size(n);
	rr.rrs.rdata = (knot_rdata_t *)rd;
	int w = knot_rrset_txt_dump_data(&rr, 0, buf, len, &KNOT_DUMP_STYLE_DEFAULT);
	ck_assert_int_ge(w, 0);
	while (w > 0 && buf[w - 1] == ' ')
		buf[--w] = '\0';
}

static void same_text(uint16_t type, const uint8_t *data, uint16_t n)
{
	static char want[ZSYNC_RDATA_TXT_MAXLEN], got[ZSYNC_RDATA_TXT_MAXLEN];
	uint8_t rd[2 + 65536];

	memcpy(rd, &n, 2);
	memcpy(rd + 2, data, n);
	knot_text(type, data, n, want, sizeof(want));
	ck_assert_int_eq(zsync_rdata_to_text(type, rd, got, sizeof(got)), 0);
	ck_assert_str_eq(got, want);
}

/* A random name in wire form: mostly host-name characters, sometimes any byte. */
static size_t random_name(uint8_t *out, unsigned *seed)
{
	static const char plain[] = "abcxyzABCXYZ0189-_";
	size_t o = 0;
	int labels = rand_r(seed) % 5;
	for (int i = 0; i < labels; i++) {
		int l = 1 + rand_r(seed) % 12;
		out[o++] = (uint8_t)l;
		for (int k = 0; k < l; k++)
			out[o++] = rand_r(seed) % 8 ? (uint8_t)plain[rand_r(seed) % (sizeof(plain) - 1)]
						    : (uint8_t)(rand_r(seed) % 256);
	}
	out[o++] = 0;
	return o;
}

/* The shortcuts for common rdata and names print what libknot prints, byte for byte. */
START_TEST(test_text_shortcuts_match_knot)
{
	unsigned seed = 16;
	uint8_t d[1024];
	char want[KNOT_DNAME_TXT_MAXLEN + 1], got[KNOT_DNAME_TXT_MAXLEN + 1];

	for (int round = 0; round < 3000; round++) {
		/* A, and AAAA with runs of zero groups (the :: forms) */
		for (int i = 0; i < 4; i++)
			d[i] = round < 2 ? (uint8_t)(round * 255) : (uint8_t)rand_r(&seed);
		same_text(KNOT_RRTYPE_A, d, 4);
		for (int g = 0; g < 8; g++) {
			int z = rand_r(&seed) % 3 == 0 || round < 3;
			d[2 * g] = z ? 0 : (uint8_t)(rand_r(&seed) % (g & 1 ? 256 : 3));
			d[2 * g + 1] = z ? (round == 1 && g == 7) : (uint8_t)rand_r(&seed);
		}
		if (round == 2) /* ::ffff:a.b.c.d */
			d[10] = d[11] = 0xff;
		same_text(KNOT_RRTYPE_AAAA, d, 16);
		/* names alone and in NS, CNAME, PTR, MX, SRV */
		size_t n = random_name(d, &seed);
		ck_assert_ptr_nonnull(knot_dname_to_str(want, d, sizeof(want)));
		ck_assert_str_eq(zsync_name_to_text(d, got, sizeof(got)), want);
		same_text(KNOT_RRTYPE_CNAME, d, (uint16_t)n);
		same_text(KNOT_RRTYPE_NS, d, (uint16_t)n);
		same_text(KNOT_RRTYPE_PTR, d, (uint16_t)n);
		for (int i = 0; i < 6; i++)
			d[i] = (uint8_t)rand_r(&seed);
		n = random_name(d + 2, &seed);
		same_text(KNOT_RRTYPE_MX, d, (uint16_t)(n + 2));
		n = random_name(d + 6, &seed);
		same_text(KNOT_RRTYPE_SRV, d, (uint16_t)(n + 6));
		/* TXT: one to four strings of any bytes, empty ones too */
		n = 0;
		for (int k = 0, strings = 1 + rand_r(&seed) % 4; k < strings; k++) {
			int l = rand_r(&seed) % 40;
			d[n++] = (uint8_t)l;
			for (int i = 0; i < l; i++)
				d[n++] = rand_r(&seed) % 3 ? (uint8_t)(0x20 + rand_r(&seed) % 95) : (uint8_t)(rand_r(&seed) % 256);
		}
		same_text(KNOT_RRTYPE_TXT, d, (uint16_t)n);
	}
	/* AAAA: where "::" goes (the first or a later run of zero groups), mapped and compatible IPv4 */
	static const uint16_t v6[][8] = {
		{ 0 }, { 0, 0, 0, 0, 0, 0, 0, 1 }, { 1 }, { 0, 0, 0x29, 0, 0x2ec, 0, 0, 0xe753 },
		{ 0x201, 0xd55f, 0, 0, 0x1a4, 0, 0, 0xaa40 }, { 0, 0, 0, 0, 0, 0xffff, 0x102, 0x304 },
		{ 0, 0, 0, 0, 0, 0, 0x102, 0x304 }, { 0, 0, 0, 0, 0, 0xfffe, 0x102, 0x304 },
		{ 1, 0, 1, 0, 1, 0, 1, 0 }, { 0, 1, 0, 0, 1, 0, 0, 0 }, { 0xabcd, 0x10, 0x100, 0x1000, 0, 0, 0, 0 },
	};
	for (size_t k = 0; k < sizeof(v6) / sizeof(v6[0]); k++) {
		for (int g = 0; g < 8; g++)
			d[2 * g] = (uint8_t)(v6[k][g] >> 8), d[2 * g + 1] = (uint8_t)v6[k][g];
		same_text(KNOT_RRTYPE_AAAA, d, 16);
	}
	/* every byte value in a TXT string */
	for (int c = 0; c < 256; c++) {
		d[0] = 3, d[1] = 'a', d[2] = (uint8_t)c, d[3] = 'b';
		same_text(KNOT_RRTYPE_TXT, d, 4);
	}
	/* and the root name */
	d[0] = 0;
	same_text(KNOT_RRTYPE_CNAME, d, 1);
}
END_TEST

/*
 * The zone file's owners: what the shortcut for plain owners below the origin writes is
 * what the general way writes (the owner's whole text, the origin's cut off when it is
 * below it, "@" for the apex), for random owners of every kind under origins the shortcut
 * takes and ones it leaves (escapes, the root); the stream and the file descriptor get the
 * same bytes, and the file reads back as the same zone.
 */
START_TEST(test_write_owners_match_general)
{
	static const char *const origins[] = { "example.com.", "Ex-1_b.TEST.", "a\\032b.example.", "a\\.b.example.", "." };
	unsigned seed = 77;

	for (size_t oi = 0; oi < sizeof(origins) / sizeof(origins[0]); oi++) {
		struct zsync_err err = { 0 };
		struct zsync_zone *z = zsync_zone_new(origins[oi], &err);
		ck_assert_msg(z != NULL, "%s: %s", origins[oi], err.msg);
		const uint8_t *origin = zsync_zone_origin(z);
		size_t olen = knot_dname_size(origin);
		bool outside = false;
		for (uint32_t i = 0; i < 3000; i++) {
			uint8_t owner[KNOT_DNAME_MAXLEN + 64];
			size_t n = random_name(owner, &seed) - 1;
			if (rand_r(&seed) % 10 == 0) {
				n++; /* now and then a name of its own, mostly outside the zone */
				outside |= !zsync_name_below(owner, origin) && !zsync_name_equal(owner, origin);
			} else {
				memcpy(owner + n, origin, olen);
			}
			uint8_t a[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
			ck_assert_int_eq(zsync_zone_add(z, owner, ZSYNC_TYPE_A, 300, a, 4, &err), 0);
			if (i % 7 == 0) /* a second RRset of the owner */
				ck_assert_int_eq(zsync_zone_add(z, owner, ZSYNC_TYPE_TXT, 300, (const uint8_t *)"\001x", 2, &err), 0);
		}
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		ck_assert_int_eq(zsync_zone_write(z, f, "owners\ntwo lines"), 0);
		fclose(f);
		/* the same to a file descriptor */
		char *path = tu_fmt("/tmp/zonesync-check-zone-%d", (int)getpid());
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(zsync_zone_write_fd(z, NULL, fd, "owners\ntwo lines"), 0);
		off_t size = lseek(fd, 0, SEEK_END);
		char *back = zsync_xmalloc((size_t)size + 1);
		ck_assert_int_eq(pread(fd, back, (size_t)size, 0), size);
		close(fd);
		unlink(path);
		free(path);
		ck_assert_uint_eq((size_t)size, len);
		ck_assert(memcmp(back, text, len) == 0);
		free(back);
		/* each A record's line names its owner as the general way does */
		size_t checked = 0;
		for (size_t k = 0; k < zsync_zone_iter_count(z); k++) {
			const struct zsync_rrset *r = zsync_zone_iter(z, k);
			if (!r || r->type != ZSYNC_TYPE_A)
				continue;
			char full[ZSYNC_NAME_TXT_MAXLEN + 1], rd[32], want[ZSYNC_NAME_TXT_MAXLEN + 64];
			ck_assert_ptr_nonnull(knot_dname_to_str(full, r->owner, sizeof(full)));
			size_t fl = strlen(full), zl = strlen(zsync_zone_name(z));
			if (knot_dname_is_equal(r->owner, origin))
				fl = 1, full[0] = '@';
			else if (strcmp(zsync_zone_name(z), ".") != 0 && fl > zl && full[fl - zl - 1] == '.' &&
				 knot_dname_in_bailiwick(r->owner, origin) > 0)
				fl -= zl + 1;
			full[fl] = '\0';
			ck_assert_int_eq(zsync_rdata_to_text(ZSYNC_TYPE_A, r->rdata, rd, sizeof(rd)), 0);
			snprintf(want, sizeof(want), "\n%s\t300\tIN\tA\t%s\n", full, rd);
			ck_assert_msg(strstr(text, want), "%s: no line %s", origins[oi], want + 1);
			checked++;
		}
		ck_assert_uint_ge(checked, 2000);
		if (!outside) {
			struct zsync_diags d = { 0 };
			struct zsync_zone *again = load(origins[oi], text, &d, NULL);
			ck_assert_msg(d.errors == 0, "%s: %s", origins[oi], d.n ? d.v[0].msg : "");
			ck_assert(zsync_zone_equal(z, again));
			zsync_zone_free(again);
			zsync_diags_release(&d);
		}
		free(text);
		zsync_zone_free(z);
	}
}
END_TEST

/* The zone written to a file descriptor, as text (order: zsync_zone_write_fd's hint). */
static char *written_fd(struct zsync_zone *z, const struct zsync_zone *order)
{
	char *path = tu_fmt("/tmp/zonesync-check-zone-%d", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(zsync_zone_write_fd(z, order, fd, "hint"), 0);
	off_t size = lseek(fd, 0, SEEK_END);
	char *text = zsync_xmalloc((size_t)size + 1);
	ck_assert_int_eq(pread(fd, text, (size_t)size, 0), size);
	text[size] = '\0';
	close(fd);
	unlink(path);
	free(path);
	return text;
}

/*
 * A zone written in the order of another (git's zone, for the provider's zone made from
 * it) is the same bytes as written sorted: random zones, the other's RRsets partly left
 * out, RRsets of its own added (up to past the number the shortcut takes, octets 0 in
 * labels now and then, where it must sort), some removed.
 */
START_TEST(test_write_in_given_order)
{
	static const uint16_t types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_TXT, ZSYNC_TYPE_MX, ZSYNC_TYPE_AAAA, 99, 65280 };
	unsigned seed = 1201;

	for (int round = 0; round < 60; round++) {
		struct zsync_err err = { 0 };
		struct zsync_zone *git = zsync_zone_new("example.com.", &err), *z = zsync_zone_new("example.com.", &err);
		const uint8_t *origin = zsync_zone_origin(git);
		size_t olen = knot_dname_size(origin);
		int extras = round % 3 == 0 ? 0 : rand_r(&seed) % 80;
		for (int i = 0; i < 400 + extras; i++) {
			uint8_t owner[KNOT_DNAME_MAXLEN + 64];
			size_t n = random_name(owner, &seed) - 1;
			memcpy(owner + n, origin, olen);
			if (round % 4 == 1 && rand_r(&seed) % 50 == 0)
				owner[1] = 0; /* an octet 0 in the first label (or the apex's length 0) */
			uint16_t type = types[rand_r(&seed) % 6];
			uint8_t rd[6] = { 0, 10, 1, 'x', 0, 0 };
			size_t rl = type == ZSYNC_TYPE_A ? 4 : type == ZSYNC_TYPE_AAAA ? 16 : type == ZSYNC_TYPE_MX ? 3 : 2;
			uint8_t data[16] = { 0 };
			memcpy(data, type == ZSYNC_TYPE_TXT || type >= 99 ? rd + 2 : rd, 4);
			data[3] = (uint8_t)i;
			if (type == ZSYNC_TYPE_MX)
				data[2] = 0;
			bool own = i >= 400;     /* only in the written zone */
			bool left = !own && rand_r(&seed) % 5 == 0; /* only in git's */
			if (!own)
				zsync_zone_add(git, owner, type, 300, data, rl, &err);
			if (!left)
				zsync_zone_add(z, owner, type, 300, data, rl, &err);
		}
		if (round % 5 == 2) {
			/* removed ones leave holes */
			for (size_t i = 0; i < zsync_zone_iter_count(z); i += 7) {
				const struct zsync_rrset *r = zsync_zone_iter(z, i);
				if (r) {
					uint8_t o[KNOT_DNAME_MAXLEN];
					memcpy(o, r->owner, knot_dname_size(r->owner));
					zsync_zone_remove(z, o, r->type);
				}
			}
		}
		zsync_zone_freeze(git);
		char *hinted = written_fd(z, git);
		zsync_zone_freeze(z); /* sorted */
		char *sorted = written_fd(z, NULL);
		ck_assert_msg(strcmp(hinted, sorted) == 0, "round %d:\n%s\n----\n%s", round, hinted, sorted);
		free(hinted);
		free(sorted);
		zsync_zone_free(git);
		zsync_zone_free(z);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("zone");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, test_equal_forms);
	tcase_add_test(tc, test_unequal);
	tcase_add_test(tc, test_model_counts_and_find);
	tcase_add_test(tc, test_sorted_canonical_order);
	tcase_add_test(tc, test_sorted_many);
	tcase_add_test(tc, test_sorted_two_threads);
	tcase_add_test(tc, test_parse_two_threads);
	tcase_add_test(tc, test_errors_all_reported_with_lines);
	tcase_add_test(tc, test_no_ttl_is_error);
	tcase_add_test(tc, test_include_ok);
	tcase_add_test(tc, test_include_confined);
	tcase_add_test(tc, test_include_depth);
	tcase_add_test(tc, test_include_many);
	tcase_add_test(tc, test_include_fanout_budget);
	tcase_add_test(tc, test_add_and_add_text_match_parse);
	tcase_add_test(tc, test_bad_origin);
	tcase_add_test(tc, test_name_equal);
	tcase_add_test(tc, test_big_rrset_limits);
	tcase_add_test(tc, test_write_reads_back);
	tcase_add_test(tc, test_generic_rdata_of_known_type);
	tcase_add_test(tc, test_remainder_inner_lengths);
	tcase_add_test(tc, test_generic_text_fallback);
	tcase_add_test(tc, test_text_reads_back);
	tcase_add_test(tc, test_text_shortcuts_match_knot);
	tcase_add_test(tc, test_write_owners_match_general);
	tcase_add_test(tc, test_write_in_given_order);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
