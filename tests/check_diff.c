/* check_diff.c - the changeset: what counts as a change, what does not, and provider policy */
#include "testutil.h"

#include "diff.h"
#include "zone.h"

#define HDR "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n"

static struct zsync_zone *zone(const char *text)
{
	struct zsync_diags d = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_zone *z = zsync_zone_new("example.com.", &err);
	zsync_zone_parse(z, "t.zone", text, strlen(text), NULL, NULL, &d);
	ck_assert_msg(d.errors == 0, "%s", d.n ? d.v[0].msg : "");
	zsync_diags_release(&d);
	return z;
}

/* "create www.example.com. A" lines for the changes, in order */
static char *describe(const struct zsync_changeset *cs)
{
	char *out = calloc(1, 1);
	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_change *c = &cs->v[i];
		const struct zsync_rrset *r = c->new ? c->new : c->old;
		char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[16];
		char *n = tu_fmt("%s%s %s %s ttl=%u%s\n", out,
				 c->op == ZSYNC_CHANGE_CREATE ? "create" : c->op == ZSYNC_CHANGE_UPDATE ? "update" : "delete",
				 zsync_name_to_text(r->owner, name, sizeof(name)), zsync_type_to_text(r->type, type, sizeof(type)),
				 c->ttl, c->flags & ZSYNC_CHANGE_TTL_ONLY ? " ttl-only" : "");
		free(out);
		out = n;
	}
	return out;
}

static char *run(const char *desired, const char *current, const struct zsync_diff_policy *pol,
		 struct zsync_changeset *keep)
{
	struct zsync_zone *d = zone(desired), *c = current ? zone(current) : NULL;
	struct zsync_diff_policy all = { .manage_apex_ns = true, .provider = "p" };
	struct zsync_changeset cs;
	zsync_diff(d, c, pol ? pol : &all, &cs);
	char *s = describe(&cs);
	if (keep) {
		/* the caller inspects errors, warnings and n/a only (pointers die with the zones) */
		memset(keep, 0, sizeof(*keep));
		keep->existing = cs.existing;
		keep->nna = cs.nna;
		keep->na = calloc(cs.nna + 1, sizeof(*keep->na));
		for (size_t i = 0; i < cs.nna; i++)
			keep->na[i].reason = strdup(cs.na[i].reason);
		for (size_t i = 0; i < cs.errors.n; i++)
			zsync_strlist_add(&keep->errors, cs.errors.v[i]);
		for (size_t i = 0; i < cs.warnings.n; i++)
			zsync_strlist_add(&keep->warnings, cs.warnings.v[i]);
		for (size_t i = 0; i < cs.nna; i++)
			zsync_strlist_add(&keep->warnings, cs.na[i].reason);
	}
	zsync_changeset_release(&cs);
	zsync_zone_free(d);
	zsync_zone_free(c);
	return s;
}

#define EXPECT(want, desired, current, pol) do { \
	char *got_ = run(desired, current, pol, NULL); \
	ck_assert_msg(strcmp(got_, want) == 0, "want:\n%sgot:\n%s", want, got_); \
	free(got_); } while (0)

START_TEST(test_no_change_forms)
{
	/* in sync: no writes at all, whatever the spelling */
	EXPECT("", HDR "www A 192.0.2.2\n", HDR "WWW.example.COM. 300 IN A 192.0.2.2\n", NULL);
	EXPECT("", HDR "t TXT \"a very\" \" long value\"\n", HDR "t TXT ( \"a very\"\n \" long value\" )\n", NULL);
	EXPECT("", HDR "@ MX 10 Mail\nmail A 192.0.2.3\n", HDR "@ MX 10 mail.example.com.\nmail A 192.0.2.3\n", NULL);
	EXPECT("", HDR "@ CAA 0 issue \"ca.example\"\n", HDR "@ CAA 0 issue ca.example\n", NULL);
	/* the SOA belongs to the provider: a different serial or timers is no change */
	EXPECT("", HDR, "$TTL 300\n@ SOA other. x. 99 1 1 1 1\n@ NS ns1\nns1 A 192.0.2.1\n", NULL);
}
END_TEST

START_TEST(test_changes)
{
	EXPECT("update www.example.com. A ttl=600 ttl-only\n", HDR "www 600 A 192.0.2.2\n", HDR "www A 192.0.2.2\n", NULL);
	EXPECT("update www.example.com. A ttl=300\n", HDR "www A 192.0.2.2\nwww A 192.0.2.3\n", HDR "www A 192.0.2.2\n", NULL);
	EXPECT("create a.example.com. A ttl=300\ndelete z.example.com. A ttl=300\n",
	       HDR "a A 192.0.2.9\n", HDR "z A 192.0.2.9\n", NULL);
	/* canonical order: owner (labels from the right), then type */
	EXPECT("create example.com. TXT ttl=300\ncreate a.example.com. A ttl=300\ncreate a.example.com. TXT ttl=300\ncreate b.a.example.com. A ttl=300\n",
	       HDR "b.a A 192.0.2.1\na TXT x\na A 192.0.2.1\n@ TXT y\n", HDR, NULL);
	/* everything is a create against an empty provider (but not the SOA) */
	EXPECT("create example.com. NS ttl=300\ncreate ns1.example.com. A ttl=300\n", HDR, NULL, NULL);
	/* TXT string boundaries are data: another split is a change on an exact provider */
	EXPECT("update t.example.com. TXT ttl=300\n", HDR "t TXT \"a very long value\"\n",
	       HDR "t TXT \"a very\" \" long value\"\n", NULL);
	EXPECT("update t.example.com. TXT ttl=300\n", HDR "t TXT \"a\" \"\" \"b\"\n", HDR "t TXT ab\n", NULL);
	/* text case matters in TXT */
	EXPECT("update t.example.com. TXT ttl=300\n", HDR "t TXT Hello\n", HDR "t TXT hello\n", NULL);
}
END_TEST

/* a check_rrset that refuses RRsets of three or more records, and any type 99 but at the apex */
static int refuse_three(const struct zsync_rrset *r, const uint8_t *apex, struct zsync_err *err)
{
	if (r->type == 99 && !zsync_name_equal(r->owner, apex))
		return zsync_err_set(err, ZSYNC_EINVAL, "SPF only at the apex");
	return r->count >= 3 ? zsync_err_set(err, ZSYNC_EINVAL, "%u values together", r->count) : 0;
}

START_TEST(test_policy)
{
	static const uint16_t only_a[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_NS, 0 };
	struct zsync_strlist globs = { 0 };
	struct zsync_changeset cs;
	struct zsync_diff_policy pol = { .manage_apex_ns = true, .provider = "cf", .rrtypes = only_a };

	/* unsupported type: a plan error naming owner, type and provider */
	char *got = run(HDR "@ CAA 0 issue \"x\"\n", HDR, &pol, &cs);
	ck_assert_str_eq(got, "");
	ck_assert_uint_eq(cs.errors.n, 1);
	ck_assert_str_eq(cs.errors.v[0], "example.com. CAA: record type not supported by provider 'cf' (set unsupported = \"skip\" to leave it out)");
	zsync_changeset_release(&cs);
	free(got);
	pol.skip_unsupported = true;
	got = run(HDR "@ CAA 0 issue \"x\"\n", HDR, &pol, &cs);
	ck_assert_str_eq(got, "");
	ck_assert_uint_eq(cs.errors.n, 0);
	ck_assert_uint_eq(cs.nna, 1);
	zsync_changeset_release(&cs);
	free(got);

	/* TTL limits normalise the desired zone, with a warning, and reach a fixed point */
	struct zsync_diff_policy ttl = { .manage_apex_ns = true, .provider = "cf", .ttl_min = 60 };
	got = run(HDR "w 30 A 192.0.2.1\n", HDR, &ttl, &cs);
	ck_assert_str_eq(got, "create w.example.com. A ttl=60\n");
	ck_assert_str_eq(cs.warnings.v[0], "w.example.com. A: TTL 30 raised to 60 (provider minimum 60)");
	zsync_changeset_release(&cs);
	free(got);
	EXPECT("", HDR "w 30 A 192.0.2.1\n", HDR "w 60 A 192.0.2.1\n", &ttl);

	/* ignore: owner globs and types are left alone on both sides */
	zsync_strlist_add(&globs, "_acme-challenge.*");
	zsync_strlist_add(&globs, "SSHFP");
	struct zsync_diff_policy ign = { .manage_apex_ns = true, .provider = "p", .ignore = { &globs, NULL } };
	EXPECT("", HDR, HDR "_acme-challenge.www TXT token\nh SSHFP 1 1 0123456789abcdef0123456789abcdef01234567\n", &ign);
	EXPECT("delete _acme.www.example.com. TXT ttl=300\n", HDR, HDR "_acme.www TXT token\n", &ign);
	zsync_strlist_release(&globs);

	/* apex NS owned by the provider: not applicable, never a change */
	struct zsync_diff_policy ns = { .manage_apex_ns = false, .provider = "dyn" };
	got = run(HDR "@ NS ns2\nns2 A 192.0.2.2\n", "$TTL 300\n@ SOA a. b. 1 1 1 1 1\n@ NS ns1.dynect.net.\nns1 A 192.0.2.1\n", &ns, &cs);
	ck_assert_str_eq(got, "create ns2.example.com. A ttl=300\n");
	ck_assert_uint_eq(cs.nna, 1);
	ck_assert_str_eq(cs.warnings.v[0], "apex NS belongs to the provider");
	zsync_changeset_release(&cs);
	free(got);

	/* DNSSEC records the provider signs with are not ours, unless git has them */
	EXPECT("", HDR, HDR "@ DNSKEY 257 3 13 AwEAAa==\n", NULL);
	EXPECT("delete example.com. DNSKEY ttl=300\n", HDR "x DNSKEY 257 3 13 AwEAAa==\n",
	       HDR "x DNSKEY 257 3 13 AwEAAa==\n@ DNSKEY 257 3 13 AwEAAa==\n", NULL);

	/* an RRset over the provider's limit is refused, named with the limit */
	struct zsync_diff_policy lim = { .manage_apex_ns = true, .provider = "files", .max_rrset_records = 2 };
	got = run(HDR "w A 192.0.2.1\nw A 192.0.2.2\nw A 192.0.2.3\nv A 192.0.2.1\nv A 192.0.2.2\n", HDR, &lim, &cs);
	ck_assert_str_eq(got, "create v.example.com. A ttl=300\n");
	ck_assert_uint_eq(cs.errors.n, 1);
	ck_assert_str_eq(cs.errors.v[0], "w.example.com. A: 3 records, over provider 'files''s limit of 2 records in one RRset (max_rrset_records)");
	zsync_changeset_release(&cs);
	free(got);

	/* a provider's check of a whole RRset (check_rrset) refuses it per record, with the reason */
	struct zsync_diff_policy whole = { .manage_apex_ns = true, .provider = "aws", .check_rrset = refuse_three };
	got = run(HDR "w A 192.0.2.1\nw A 192.0.2.2\nw A 192.0.2.3\nv A 192.0.2.1\n", HDR, &whole, &cs);
	ck_assert_str_eq(got, "create v.example.com. A ttl=300\n");
	ck_assert_uint_eq(cs.errors.n, 1);
	ck_assert_str_eq(cs.errors.v[0], "w.example.com. A: provider 'aws' cannot hold it: 3 values together");
	zsync_changeset_release(&cs);
	free(got);
	/* and it is told where the zone's apex is */
	got = run(HDR "@ SPF \"v=spf1 -all\"\nsub SPF \"v=spf1 -all\"\n", HDR, &whole, &cs);
	ck_assert_str_eq(got, "create example.com. SPF ttl=300\n");
	ck_assert_uint_eq(cs.errors.n, 1);
	ck_assert_str_eq(cs.errors.v[0], "sub.example.com. SPF: provider 'aws' cannot hold it: SPF only at the apex");
	zsync_changeset_release(&cs);
	free(got);

	/* records the server generates belong to it: BIND's TYPE65534 beside DNSKEYs */
	const char *signing = HDR "@ DNSKEY 257 3 13 AwEAAa==\n@ TYPE65534 \\# 5 0D12340001\n";
	struct zsync_diff_policy bind = { .manage_apex_ns = true, .provider = "bind", .generated = zsync_diff_generated_bind };
	EXPECT("", HDR "@ DNSKEY 257 3 13 AwEAAa==\n", signing, &bind);
	EXPECT("delete example.com. TYPE65534 ttl=300\n", HDR "@ DNSKEY 257 3 13 AwEAAa==\n", signing, NULL);
	/* the list is overridable: a provider configured to generate nothing gets NSEC deleted */
	static const uint16_t none[] = { 0 }, only_65534[] = { 65534, 0 };
	struct zsync_diff_policy nothing = { .manage_apex_ns = true, .provider = "p", .generated = none };
	EXPECT("delete example.com. NSEC ttl=300\n", HDR, HDR "@ NSEC ns1 A NS SOA\n", &nothing);
	struct zsync_diff_policy only = { .manage_apex_ns = true, .provider = "p", .generated = only_65534 };
	EXPECT("delete example.com. DNSKEY ttl=300\n", HDR, signing, &only);
	/* git holding that type makes it zonesync's */
	EXPECT("update example.com. TYPE65534 ttl=300\n", HDR "@ DNSKEY 257 3 13 AwEAAa==\n@ TYPE65534 \\# 5 0D12340000\n",
	       signing, &bind);
	ck_assert(zsync_diff_generated(&bind, 65534));
	ck_assert(!zsync_diff_generated(&bind, ZSYNC_TYPE_TXT));

	/* a provider that owns our SOA (zonefile) sees SOA field changes, not serial changes */
	struct zsync_diff_policy soa = { .manage_apex_ns = true, .manage_soa = true, .provider = "files" };
	EXPECT("", HDR, "$TTL 300\n@ SOA ns1 hostmaster 77 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n", &soa);
	EXPECT("update example.com. SOA ttl=300\n", HDR, "$TTL 300\n@ SOA ns1 hostmaster 1 7200 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n", &soa);
}
END_TEST

START_TEST(test_existing_and_mixed_ttl)
{
	struct zsync_changeset cs;
	char *got = run(HDR "a A 192.0.2.1\n", HDR "a A 192.0.2.1\nb A 192.0.2.2\n", NULL, &cs);
	ck_assert_str_eq(got, "delete b.example.com. A ttl=300\n");
	ck_assert_uint_eq(cs.existing, 4); /* NS, ns1 A, a A, b A: the SOA is not counted */
	zsync_changeset_release(&cs);
	free(got);

	/* a provider holding records of one RRset with different TTLs is brought to one TTL */
	struct zsync_err err = { 0 };
	struct zsync_zone *d = zone(HDR "w A 192.0.2.1\nw A 192.0.2.2\n"), *c = zone(HDR);
	uint8_t owner[ZSYNC_NAME_MAXLEN], a1[] = { 192, 0, 2, 1 }, a2[] = { 192, 0, 2, 2 };
	zsync_name_from_text("w.example.com.", NULL, owner);
	zsync_zone_add(c, owner, ZSYNC_TYPE_A, 300, a1, 4, &err);
	zsync_zone_add(c, owner, ZSYNC_TYPE_A, 600, a2, 4, &err);
	struct zsync_diff_policy all = { .manage_apex_ns = true, .provider = "p" };
	zsync_diff(d, c, &all, &cs);
	got = describe(&cs);
	ck_assert_str_eq(got, "update w.example.com. A ttl=300 ttl-only\n");
	free(got);
	zsync_changeset_release(&cs);
	zsync_zone_free(d);
	zsync_zone_free(c);
}
END_TEST

/* A provider that stores TXT as one string (declared): the diff compares in its form. */
static const struct zsync_normaliser joins_txt[] = {
	{ .rrtype = ZSYNC_TYPE_TXT, .served = "with their strings joined", .normalise = zsync_norm_txt_join },
	{ 0 },
};

static int refuse_hinfo(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			uint16_t *outlen, struct zsync_err *err)
{
	(void)owner, (void)data, (void)len, (void)out, (void)outlen;
	return zsync_err_set(err, ZSYNC_EINVAL, "its API has no HINFO");
}

/* an every-type check: owners with an 'x' label are refused, whatever the type */
static int refuse_x_owner(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			  uint16_t *outlen, struct zsync_err *err)
{
	(void)data, (void)len, (void)out, (void)outlen;
	if (owner[0] == 1 && owner[1] == 'x')
		return zsync_err_set(err, ZSYNC_EINVAL, "no x");
	return 0;
}

START_TEST(test_normaliser_every_type)
{
	static const struct zsync_normaliser checks[] = {
		{ ZSYNC_NORM_EVERY_TYPE, "", refuse_x_owner },
		{ ZSYNC_TYPE_TXT, "with their strings joined", zsync_norm_txt_join },
		{ 0 },
	};
	struct zsync_diff_policy pol = { .manage_apex_ns = true, .provider = "pdns", .normalisers = checks };
	struct zsync_changeset cs;
	char *got = run(HDR "x A 192.0.2.1\nx TXT \"a\" \"b\"\ny TXT \"a\" \"b\"\n", HDR, &pol, &cs);
	ck_assert_uint_eq(cs.errors.n, 2);
	ck_assert_str_eq(cs.errors.v[0], "x.example.com. A: provider 'pdns' cannot hold it: no x");
	ck_assert_str_eq(cs.errors.v[1], "x.example.com. TXT: provider 'pdns' cannot hold it: no x");
	/* the type's own normaliser still applies to the others, and only it is warned about */
	ck_assert_uint_eq(cs.warnings.n, 1);
	ck_assert_str_eq(cs.warnings.v[0], "pdns: 1 TXT RRset will be served with their strings joined");
	zsync_changeset_release(&cs);
	free(got);
}
END_TEST

START_TEST(test_normaliser)
{
	struct zsync_diff_policy pol = { .manage_apex_ns = true, .provider = "cf", .normalisers = joins_txt };
	struct zsync_diff_policy exact = { .manage_apex_ns = true, .provider = "pdns" };
	struct zsync_changeset cs;
	const char *git = HDR "t TXT \"a\" \"\" \"b\"\nu TXT hello world\nv TXT \"one\"\nw A 192.0.2.1\n";
	const char *joined = HDR "t TXT ab\nu TXT helloworld\nv TXT \"one\"\nw A 192.0.2.1\n";

	/* what the provider serves after apply is its form: in sync, one warning for 2 RRsets */
	char *got = run(git, joined, &pol, &cs);
	ck_assert_str_eq(got, "");
	ck_assert_uint_eq(cs.warnings.n, 1);
	ck_assert_str_eq(cs.warnings.v[0], "cf: 2 TXT RRsets will be served with their strings joined");
	zsync_changeset_release(&cs);
	free(got);
	/* the exact provider serving the joined form is out of sync (and gets no warning) */
	got = run(git, joined, &exact, &cs);
	ck_assert_str_eq(got, "update t.example.com. TXT ttl=300\nupdate u.example.com. TXT ttl=300\n");
	ck_assert_uint_eq(cs.warnings.n, 0);
	zsync_changeset_release(&cs);
	free(got);
	/* the joiner's own provider holding git's exact form is out of its form too */
	EXPECT("update t.example.com. TXT ttl=300\nupdate u.example.com. TXT ttl=300\n", git, git, &pol);

	/* the create sends the provider's form */
	struct zsync_zone *d = zone(git), *c = zone(HDR);
	zsync_diff(d, c, &pol, &cs);
	char txt[512];
	int found = 0;
	for (size_t i = 0; i < cs.n; i++) {
		char name[ZSYNC_NAME_TXT_MAXLEN + 1];
		const struct zsync_rrset *r = cs.v[i].new;
		if (!r || r->type != ZSYNC_TYPE_TXT)
			continue;
		zsync_name_to_text(r->owner, name, sizeof(name));
		ck_assert_int_eq(zsync_rdata_to_text(r->type, r->rdata, txt, sizeof(txt)), 0);
		if (!strcmp(name, "t.example.com.")) {
			found++;
			ck_assert_str_eq(txt, "\"ab\"");
		}
		if (!strcmp(name, "u.example.com.")) {
			found++;
			ck_assert_str_eq(txt, "\"helloworld\"");
		}
		if (!strcmp(name, "v.example.com.")) {
			found++;
			ck_assert_str_eq(txt, "\"one\"");
		}
		ck_assert_uint_gt(r->line, 0); /* messages still point at git's line */
	}
	ck_assert_int_eq(found, 3);
	zsync_changeset_release(&cs);
	zsync_zone_free(c);

	/* joining splits again at 255: a 300-octet value in 3 strings is 255 + 45 */
	char *big = tu_fmt(HDR "k TXT \"%0100d\" \"%0100d\" \"%0100d\"\n", 1, 2, 3);
	struct zsync_zone *bz = zone(big);
	struct zsync_zone *into = NULL;
	const struct zsync_normaliser *used = NULL;
	struct zsync_err err = { 0 };
	uint8_t owner[ZSYNC_NAME_MAXLEN];
	zsync_name_from_text("k.example.com.", NULL, owner);
	const struct zsync_rrset *n = zsync_diff_normalise(&pol, bz, zsync_zone_find(bz, owner, ZSYNC_TYPE_TXT),
							   &into, &used, &err);
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_eq(used, &joins_txt[0]);
	ck_assert_uint_eq(zsync_rdata_len(n->rdata), 302);
	ck_assert_uint_eq(zsync_rdata_data(n->rdata)[0], 255);
	ck_assert_uint_eq(zsync_rdata_data(n->rdata)[256], 45);
	/* an RRset the normaliser leaves as it is comes back itself */
	zsync_name_from_text("ns1.example.com.", NULL, owner);
	const struct zsync_rrset *a = zsync_zone_find(bz, owner, ZSYNC_TYPE_A);
	ck_assert_ptr_eq(zsync_diff_normalise(&pol, bz, a, &into, &used, &err), a);
	ck_assert_ptr_null(used);
	zsync_zone_free(into);
	zsync_zone_free(bz);
	free(big);

	/* verify: served rdata against git's exact rdata, the declared form allowed and said */
	{
		struct zsync_zone *g = zone(HDR "t TXT \"a\" \"b\"\n"), *joined_z = zone(HDR "t TXT ab\n"),
				  *other = zone(HDR "t TXT \"a b\"\n"), *nz = NULL;
		const struct zsync_rrset *nw;
		uint8_t t[ZSYNC_NAME_MAXLEN];
		zsync_name_from_text("t.example.com.", NULL, t);
		const struct zsync_rrset *want = zsync_zone_find(g, t, ZSYNC_TYPE_TXT);
		ck_assert_int_eq(zsync_diff_served(&pol, g, want, want, &nz, &nw, &used, &err), 1);
		ck_assert_ptr_null(used);
		ck_assert_int_eq(zsync_diff_served(&pol, g, want, zsync_zone_find(joined_z, t, ZSYNC_TYPE_TXT),
						   &nz, &nw, &used, &err), 2);
		ck_assert_ptr_eq(used, &joins_txt[0]);
		ck_assert_int_eq(zsync_diff_served(&pol, g, want, zsync_zone_find(other, t, ZSYNC_TYPE_TXT),
						   &nz, &nw, &used, &err), 0);
		/* an exact provider serving the joined form: different */
		ck_assert_int_eq(zsync_diff_served(&exact, g, want, zsync_zone_find(joined_z, t, ZSYNC_TYPE_TXT),
						   &nz, &nw, &used, &err), 0);
		zsync_zone_free(nz);
		zsync_zone_free(g);
		zsync_zone_free(joined_z);
		zsync_zone_free(other);
	}

	/* a record the provider cannot hold is a refusal naming it, before anything is sent */
	static const struct zsync_normaliser no_hinfo[] = {
		{ .rrtype = 13, .served = "never", .normalise = refuse_hinfo }, { 0 },
	};
	struct zsync_diff_policy ref = { .manage_apex_ns = true, .provider = "dyn", .normalisers = no_hinfo };
	got = run(HDR "h HINFO \"PC\" \"Linux\"\n", HDR, &ref, &cs);
	ck_assert_uint_eq(cs.errors.n, 1);
	ck_assert_str_eq(cs.errors.v[0], "h.example.com. HINFO: provider 'dyn' cannot hold it: its API has no HINFO");
	zsync_changeset_release(&cs);
	free(got);
	zsync_zone_free(d);
}
END_TEST

/* What a provider that is not atomic gets: every prefix leaves a valid zone. */
START_TEST(test_safe_order)
{
	struct zsync_zone *d = zone(HDR "a CNAME www\nmail A 192.0.2.9\n@ MX 10 mail\nold A 192.0.2.7\nz TXT \"t\"\n"),
			  *c = zone(HDR "a A 192.0.2.5\n@ MX 10 old\nold A 192.0.2.7\nold2 A 192.0.2.8\nz TXT \"u\"\ny TXT \"gone\"\n");
	struct zsync_diff_policy all = { .manage_apex_ns = true, .provider = "p" };
	struct zsync_changeset cs, sent = { 0 };
	size_t order[16];

	zsync_diff(d, c, &all, &cs);
	ck_assert_uint_le(cs.n, 16);
	zsync_changeset_safe_order(&cs, order);
	sent.v = calloc(cs.n, sizeof(*sent.v));
	sent.n = cs.n;
	for (size_t i = 0; i < cs.n; i++)
		sent.v[i] = cs.v[order[i]];
	char *got = describe(&sent);
	/* a's address goes before its CNAME arrives; mail's address before the MX naming it;
	 * old2's address last */
	ck_assert_str_eq(got, "delete a.example.com. A ttl=300\n"
			      "delete y.example.com. TXT ttl=300\n"
			      "create mail.example.com. A ttl=300\n"
			      "update example.com. MX ttl=300\n"
			      "create a.example.com. CNAME ttl=300\n"
			      "update z.example.com. TXT ttl=300\n"
			      "delete old2.example.com. A ttl=300\n");
	free(got);

	/* after a failure part way, a re-read zone tells which changes are in effect */
	struct zsync_zone *now = zone(HDR "mail A 192.0.2.9\n@ MX 10 old\nold A 192.0.2.7\nold2 A 192.0.2.8\nz TXT \"u\"\n");
	struct zsync_changeset later;
	unsigned char applied[16] = { 0 };
	zsync_diff(d, now, &all, &later);
	zsync_changeset_applied(&cs, &later, applied);
	for (size_t i = 0; i < cs.n; i++) {
		const struct zsync_rrset *r = cs.v[i].new ? cs.v[i].new : cs.v[i].old;
		char name[ZSYNC_NAME_TXT_MAXLEN + 1];
		zsync_name_to_text(r->owner, name, sizeof(name));
		bool want = (!strcmp(name, "a.example.com.") && r->type == ZSYNC_TYPE_A) ||
			    !strcmp(name, "y.example.com.") || !strcmp(name, "mail.example.com.");
		ck_assert_msg(applied[i] == want, "%s %u: applied %d", name, r->type, applied[i]);
	}
	free(sent.v);
	zsync_changeset_release(&later);
	zsync_changeset_release(&cs);
	zsync_zone_free(now);
	zsync_zone_free(d);
	zsync_zone_free(c);
}
END_TEST

START_TEST(test_glob)
{
	ck_assert(zsync_diff_glob("_acme-challenge.*", "_acme-challenge.www"));
	ck_assert(zsync_diff_glob("_ACME-challenge", "_acme-challenge"));
	ck_assert(!zsync_diff_glob("_acme-challenge", "_acme-challenge.www"));
	ck_assert(zsync_diff_glob("*.dev", "a.b.dev"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("diff");
	tcase_add_test(tc, test_no_change_forms);
	tcase_add_test(tc, test_changes);
	tcase_add_test(tc, test_policy);
	tcase_add_test(tc, test_existing_and_mixed_ttl);
	tcase_add_test(tc, test_normaliser);
	tcase_add_test(tc, test_normaliser_every_type);
	tcase_add_test(tc, test_glob);
	tcase_add_test(tc, test_safe_order);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
