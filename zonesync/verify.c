/*
 * verify.c - the verify engine: ask every provider's nameservers, over DNS, for every
 * RRset git says the zone has, and compare; --strict also transfers the zone to find what
 * is served beyond git; the delegation check asks the parent. An unreachable server or a
 * wrong answer is the outage zonesync exists for. Rendering (text, JSON, Markdown) too.
 */
#include "verify.h"
#include "delegation.h"
#include "dns.h"
#include "engine.h"
#include "lint.h"
#include "nsset.h"
#include "plan.h"
#include "provider.h"
#include "support.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One nameserver of one provider for one zone. */
struct job {
	const struct zsync_zone_conf *zc;
	struct zsync_zone *desired;
	const struct zsync_provider_conf *pc;
	struct zsync_diff_policy pol;
	const char *server;
	int timeout_ms;
	const struct zsync_tsig *key; /* --strict: the provider's TSIG key for AXFR, if any */
	bool strict;
	struct verify_progress *progress; /* NULL: none */
	/* results */
	char *strict_note; /* --strict: why extras were not looked for */
	bool unreachable;
	char *unreachable_why;
	uint32_t serial;
	size_t matched, checked, na;
	struct zsync_strlist problems;
	/* RRsets that matched only in the provider's declared form, per normaliser of pol */
	size_t normalised[64];
	/* RRsets that matched with their TTL raised to the provider's minimum or lowered to
	 * its maximum (zsync_diff_ttl): a normalisation too, shown as one */
	size_t ttl_raised, ttl_lowered;
	struct zsync_zone *norm_zone; /* git's RRsets in that form (zsync_diff_normalise) */
	/* for the comparison of providers with each other: which of git's RRsets (by their
	 * index in canonical order) this server was asked for, and what it served where that
	 * was not git's (sorted by index); the rest it served as git has them */
	uint8_t *asked;
	struct served { size_t idx; char *what; } *diffs;
	size_t ndiffs, diffs_cap;
	char *apex_ns; /* the apex NS it serves, "ns1.example.com. ns2.example.com." */
};

struct pool {
	struct job *jobs;
	size_t n;
};

/* the progress line on stderr while servers are asked (zsync_cmd_progress decides) */
struct verify_progress {
	size_t done, total;
};

static char *rrset_line(const struct zsync_rrset *r, uint32_t ttl)
{
	char *out = zsync_xstrdup(""), *buf = zsync_xmalloc(ZSYNC_RDATA_TXT_MAXLEN);
	const uint8_t *rd = r->rdata;
	for (uint16_t i = 0; i < r->count; i++, rd = zsync_rdata_next(rd)) {
		zsync_rdata_to_text(r->type, rd, buf, ZSYNC_RDATA_TXT_MAXLEN);
		char *n = zsync_xasprintf("%s%s%u %s", out, i ? ", " : "", ttl, buf);
		free(out);
		out = n;
	}
	free(buf);
	return out;
}

/* Every form other than git's that a job accepted, a line each ("3 TXT RRsets served with
 * their strings joined (declared by provider 'cf')", "2 RRsets served with the TTL raised
 * to 60, the minimum of provider 'cf'"), into out. */
static void normalised_lines(const struct job *j, struct zsync_strlist *out)
{
	char type[32];
	for (size_t k = 0; k < 64; k++)
		if (j->normalised[k])
			zsync_strlist_add_owned(out, zsync_xasprintf(
				"%zu %s RRset%s served %s (declared by provider '%s')", j->normalised[k],
				zsync_type_to_text(j->pol.normalisers[k].rrtype, type, sizeof(type)),
				j->normalised[k] == 1 ? "" : "s", j->pol.normalisers[k].served, j->pc->name));
	if (j->ttl_raised)
		zsync_strlist_add_owned(out, zsync_xasprintf(
			"%zu RRset%s served with the TTL raised to %u, the minimum of provider '%s'",
			j->ttl_raised, j->ttl_raised == 1 ? "" : "s", j->pol.ttl_min, j->pc->name));
	if (j->ttl_lowered)
		zsync_strlist_add_owned(out, zsync_xasprintf(
			"%zu RRset%s served with the TTL lowered to %u, the maximum of provider '%s'",
			j->ttl_lowered, j->ttl_lowered == 1 ? "" : "s", j->pol.ttl_max, j->pc->name));
}

/* The delegation point (non-apex NS owner) at or above name, or NULL. */
static const uint8_t *delegation(struct zsync_zone *z, const uint8_t *name)
{
	const uint8_t *apex = zsync_zone_origin(z), *p = name;
	while (*p && zsync_name_below(p, apex)) {
		if (zsync_zone_find(z, p, ZSYNC_TYPE_NS))
			return p;
		p += *p + 1;
	}
	return NULL;
}

/* What the server served for git's RRset idx, where that was not git's. */
static void served_diff(struct job *j, size_t idx, char *what)
{
	if (j->ndiffs == j->diffs_cap)
		j->diffs = zsync_xrealloc(j->diffs, (j->diffs_cap = j->diffs_cap * 2 + 8) * sizeof(*j->diffs));
	j->diffs[j->ndiffs++] = (struct served){ idx, what };
}

static void check_rrset(struct job *j, const struct zsync_rrset *want, size_t idx)
{
	struct zsync_dns_answer a;
	struct zsync_err err = { 0 };
	char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
	/* a delegation's NS come as a referral; its DS is the parent's (this zone's) own
	 * authoritative data, answered as any other RRset */
	const uint8_t *deleg = want->type == ZSYNC_TYPE_DS ? NULL : delegation(j->desired, want->owner);
	uint32_t ttl = zsync_diff_ttl(&j->pol, want->ttl);
	const struct zsync_rrset *got;

	zsync_name_to_text(want->owner, name, sizeof(name));
	zsync_type_to_text(want->type, type, sizeof(type));
	if (zsync_dns_query(j->server, j->zc->name, want->owner, want->type, j->timeout_ms, &a, &err) < 0) {
		j->unreachable = true;
		j->unreachable_why = zsync_xstrdup(err.msg);
		return;
	}
	j->checked++;
	/* a delegation is answered by a referral: its NS come in the authority section */
	got = zsync_zone_find(deleg ? a.authority : a.answer, want->owner, want->type);
	const struct zsync_normaliser *used = NULL;
	if (got) {
		/* served wire rdata against git's exact rdata; the only other form accepted is
		 * the one the provider declares it serves (and the report says it was used) */
		int same = zsync_diff_served(&j->pol, j->desired, want, got, &j->norm_zone, &want, &used, &err);
		if (same < 0) {
			zsync_strlist_add_owned(&j->problems, zsync_xasprintf("%s %s: the provider cannot hold it: %s",
									      name, type, err.msg));
			served_diff(j, idx, zsync_xstrdup("cannot hold it"));
			zsync_dns_answer_release(&a);
			return;
		}
	}
	if (!got) {
		const char *why = a.rcode == 3 ? "NXDOMAIN" : a.rcode ? "error answer" : "no data";
		zsync_strlist_add_owned(&j->problems, zsync_xasprintf("%s %s: missing (%s)", name, type, why));
		served_diff(j, idx, zsync_xasprintf("missing (%s)", why));
	} else if (!zsync_rrset_rdata_equal(got, want) || (!deleg && got->ttl != ttl)) {
		char *g = rrset_line(got, got->ttl), *w = rrset_line(want, ttl);
		zsync_strlist_add_owned(&j->problems, zsync_xasprintf("%s %s: different: served %s; git says %s",
								      name, type, g, w));
		served_diff(j, idx, g);
		free(w);
	} else if (!deleg && !a.authoritative) {
		zsync_strlist_add_owned(&j->problems, zsync_xasprintf("%s %s: answer not authoritative", name, type));
		served_diff(j, idx, zsync_xstrdup("not authoritative"));
	} else {
		j->matched++;
		if (used && used - j->pol.normalisers < 64)
			j->normalised[used - j->pol.normalisers]++;
		if (!deleg && ttl > want->ttl)
			j->ttl_raised++;
		else if (!deleg && ttl < want->ttl)
			j->ttl_lowered++;
	}
	zsync_dns_answer_release(&a);
}

/* Whether r is in-domain glue of the delegation deleg at this provider: an address RRset
 * at a name that deleg's NS records name (the name being at or below deleg), where the
 * provider holds those NS (not ignored, a type it takes): else it serves no referral. */
static bool is_glue(const struct job *j, const uint8_t *deleg, const struct zsync_rrset *r)
{
	const struct zsync_rrset *ns = zsync_zone_find(j->desired, deleg, ZSYNC_TYPE_NS);
	const uint8_t *rd = ns ? ns->rdata : NULL;

	if ((r->type != ZSYNC_TYPE_A && r->type != ZSYNC_TYPE_AAAA) || !ns ||
	    zsync_diff_ignored(&j->pol, j->desired, ns) || !zsync_diff_supported(&j->pol, ZSYNC_TYPE_NS))
		return false;
	for (uint16_t i = 0; ns && i < ns->count; i++, rd = zsync_rdata_next(rd))
		if (zsync_name_equal(zsync_rdata_target(ZSYNC_TYPE_NS, rd), r->owner))
			return true;
	return false;
}

/*
 * Glue: what the referral for the delegation carries for want (an address RRset of git's
 * at a name below the cut that its NS name), against git's. A server must give in-domain
 * glue in the referral (RFC 9471), and resolvers use what it gives.
 */
static bool check_glue(struct job *j, const struct zsync_rrset *want, size_t idx, const uint8_t *deleg)
{
	struct zsync_dns_answer a;
	struct zsync_err err = { 0 };
	char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32], dn[ZSYNC_NAME_TXT_MAXLEN + 1];
	uint32_t ttl = zsync_diff_ttl(&j->pol, want->ttl);

	zsync_name_to_text(want->owner, name, sizeof(name));
	zsync_type_to_text(want->type, type, sizeof(type));
	zsync_name_to_text(deleg, dn, sizeof(dn));
	if (zsync_dns_query(j->server, j->zc->name, deleg, ZSYNC_TYPE_NS, j->timeout_ms, &a, &err) < 0) {
		j->unreachable = true;
		j->unreachable_why = zsync_xstrdup(err.msg);
		return false;
	}
	if (a.authoritative && zsync_zone_find(a.answer, deleg, ZSYNC_TYPE_NS)) {
		/* the server serves the child zone too: it answers with the child's NS, not a
		 * referral, and has no glue of the parent's to give */
		j->na++;
		zsync_dns_answer_release(&a);
		return false;
	}
	j->checked++;
	const struct zsync_rrset *got = zsync_zone_find(a.additional, want->owner, want->type);
	if (!got) {
		zsync_strlist_add_owned(&j->problems, zsync_xasprintf(
			"%s %s: glue missing: the referral for %s does not carry it (a server must give in-domain glue, RFC 9471)",
			name, type, dn));
		served_diff(j, idx, zsync_xstrdup("missing from the referral"));
	} else if (!zsync_rrset_rdata_equal(got, want) || got->ttl != ttl) {
		char *g = rrset_line(got, got->ttl), *w = rrset_line(want, ttl);
		zsync_strlist_add_owned(&j->problems, zsync_xasprintf(
			"%s %s: glue different: the referral for %s gives %s; git says %s", name, type, dn, g, w));
		served_diff(j, idx, g);
		free(w);
	} else {
		j->matched++;
		if (ttl > want->ttl)
			j->ttl_raised++;
		else if (ttl < want->ttl)
			j->ttl_lowered++;
	}
	zsync_dns_answer_release(&a);
	return true;
}

/*
 * --strict: what the server serves beyond git. The transfer diffed against git with the
 * provider's policy: what a plan would delete is extra; ignored names, DNSSEC records the
 * provider signs and its own apex NS are not. Servers that refuse AXFR are noted, not
 * counted as mismatches: extras cannot be seen over plain queries.
 */
static void find_extras(struct job *j)
{
	struct zsync_zone *served = NULL;
	struct zsync_changeset cs = { 0 };
	struct zsync_err err = { 0 };
	struct zsync_axfr_limits limits;

	zsync_provider_axfr_limits(j->pc, &limits);
	if (zsync_dns_axfr(j->server, j->zc->name, j->key, j->timeout_ms, &limits, &served, &err) < 0) {
		j->strict_note = zsync_xasprintf("extras not checked: %s", err.msg);
		return;
	}
	zsync_diff(j->desired, served, &j->pol, &cs);
	for (size_t i = 0; i < cs.n; i++) {
		const struct zsync_rrset *r = cs.v[i].old;
		char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
		if (cs.v[i].op != ZSYNC_CHANGE_DELETE || !r)
			continue;
		char *line = rrset_line(r, r->ttl);
		zsync_strlist_add_owned(&j->problems, zsync_xasprintf("%s %s: extra: served %s; not in git",
			zsync_name_to_text(r->owner, name, sizeof(name)), zsync_type_to_text(r->type, type, sizeof(type)), line));
		free(line);
	}
	zsync_changeset_release(&cs);
	zsync_zone_free(served);
}

static void run_job(struct job *j)
{
	size_t n;
	const struct zsync_rrset *const *rs = zsync_zone_sorted(j->desired, &n);
	const uint8_t *apex = zsync_zone_origin(j->desired);
	struct zsync_dns_answer a;
	struct zsync_err err = { 0 };

	/* the SOA first: it tells whether the server serves the zone at all, and its serial */
	if (zsync_dns_query(j->server, j->zc->name, apex, ZSYNC_TYPE_SOA, j->timeout_ms, &a, &err) < 0) {
		j->unreachable = true;
		j->unreachable_why = zsync_xstrdup(err.msg);
		return;
	}
	const struct zsync_rrset *soa = zsync_zone_find(a.answer, apex, ZSYNC_TYPE_SOA);
	if (!soa || !a.authoritative) {
		zsync_strlist_add_owned(&j->problems, zsync_xasprintf("%s SOA: the server does not serve the zone (%s)",
			j->zc->name, a.rcode == 5 ? "REFUSED" : a.rcode == 2 ? "SERVFAIL" : "no authoritative SOA"));
		zsync_dns_answer_release(&a);
		return;
	}
	j->serial = zsync_soa_serial(soa->rdata);
	zsync_dns_answer_release(&a);
	j->asked = zsync_xcalloc(n / 8 + 1, 1);
	/* the apex NS as it serves it, also where it is the provider's own: what a resolver
	 * reaching this server learns about the others */
	if (zsync_dns_query(j->server, j->zc->name, apex, ZSYNC_TYPE_NS, j->timeout_ms, &a, &err) == 0) {
		const struct zsync_rrset *ns = zsync_zone_find(a.answer, apex, ZSYNC_TYPE_NS);
		char tn[ZSYNC_NAME_TXT_MAXLEN + 1];
		const uint8_t *rd = ns ? ns->rdata : NULL;
		j->apex_ns = zsync_xstrdup("");
		for (uint16_t k = 0; ns && k < ns->count; k++, rd = zsync_rdata_next(rd)) {
			char *more = zsync_xasprintf("%s%s%s", j->apex_ns, k ? " " : "",
						     zsync_name_to_text(zsync_rdata_target(ZSYNC_TYPE_NS, rd), tn, sizeof(tn)));
			free(j->apex_ns);
			j->apex_ns = more;
		}
		zsync_dns_answer_release(&a);
	}
	for (size_t i = 0; i < n && !j->unreachable; i++) {
		const struct zsync_rrset *r = rs[i];
		const uint8_t *deleg;
		bool apex_ns = r->type == ZSYNC_TYPE_NS && zsync_name_equal(r->owner, apex);
		if (r->type == ZSYNC_TYPE_SOA)
			continue;
		/* what the provider is not expected to serve is not a mismatch */
		if (zsync_diff_ignored(&j->pol, j->desired, r) || (apex_ns && !j->pol.manage_apex_ns) ||
		    !zsync_diff_supported(&j->pol, r->type)) {
			j->na++;
			continue;
		}
		deleg = delegation(j->desired, r->owner);
		if (deleg && !((r->type == ZSYNC_TYPE_NS || r->type == ZSYNC_TYPE_DS) && zsync_name_equal(r->owner, deleg))) {
			/* glue: compared with the referral's; other data at or below a cut (occluded,
			 * or glue for another delegation) is not served: not applicable, and said */
			if (!is_glue(j, deleg, r)) {
				j->na++;
				continue;
			}
			if (check_glue(j, r, i, deleg))
				j->asked[i / 8] |= (uint8_t)(1u << (i % 8));
			continue;
		}
		check_rrset(j, r, i);
		/* asked and answered: an RRset whose query failed (the server stopped answering
		 * here) must not count as served the way git has it */
		if (!j->unreachable)
			j->asked[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	if (j->strict && !j->unreachable)
		find_extras(j);
}

static void run_task(void *arg)
{
	struct job *j = arg;

	run_job(j);
	if (!j->progress)
		return;
	size_t done = __atomic_add_fetch(&j->progress->done, 1, __ATOMIC_RELAXED);
	flockfile(stderr);
	fprintf(stderr, "\r\033[K[verifying %zu/%zu] %s at %s @%s", done, j->progress->total, j->zc->name,
		j->pc->name, j->server);
	if (done == j->progress->total)
		fputs("\r\033[K", stderr); /* gone before the report is printed */
	funlockfile(stderr);
}

/* A markdown table cell: no pipe or line break may end it early. */
static void md_cell(const char *s)
{
	for (; s && *s; s++)
		if (*s == '|')
			fputs("\\|", stdout);
		else
			putchar(*s == '\n' || *s == '\r' ? ' ' : *s);
}

/* For a pull-request or issue comment: a table of servers, the differences folded. */
static void print_markdown(const struct pool *pool, size_t good, size_t skipped)
{
	printf("### zonesync verify: %zu of %zu server%s consistent\n\n", good, pool->n, pool->n == 1 ? "" : "s");
	printf("| zone | provider | server | state | serial | RRsets |\n|---|---|---|---|---:|---:|\n");
	for (size_t i = 0; i < pool->n; i++) {
		const struct job *j = &pool->jobs[i];
		printf("| `%s` | ", j->zc->name);
		md_cell(j->pc->name);
		printf(" | `");
		md_cell(j->server);
		if (j->unreachable) {
			printf("` | **unreachable**: ");
			md_cell(j->unreachable_why);
			printf(" | | |\n");
		} else if (j->problems.n) {
			printf("` | **mismatch** | %u | %zu of %zu differ |\n", j->serial, j->problems.n, j->checked);
		} else {
			printf("` | consistent | %u | %zu |\n", j->serial, j->matched);
		}
	}
	for (size_t i = 0; i < pool->n; i++) {
		const struct job *j = &pool->jobs[i];
		if (!j->problems.n)
			continue;
		printf("\n<details><summary><code>%s</code> at %s @<code>%s</code>: %zu RRset%s differ%s</summary>\n\n```\n",
		       j->zc->name, j->pc->name, j->server, j->problems.n, j->problems.n == 1 ? "" : "s",
		       j->problems.n == 1 ? "s" : "");
		for (size_t k = 0; k < j->problems.n; k++)
			printf("%s\n", j->problems.v[k]);
		printf("```\n</details>\n");
	}
	for (size_t i = 0; i < pool->n; i++)
		if (pool->jobs[i].strict_note)
			printf("\n_`%s` at %s @`%s`: %s._\n", pool->jobs[i].zc->name, pool->jobs[i].pc->name,
			       pool->jobs[i].server, pool->jobs[i].strict_note);
	for (size_t i = 0; i < pool->n; i++) {
		struct zsync_strlist nl = { 0 };
		normalised_lines(&pool->jobs[i], &nl);
		for (size_t k = 0; k < nl.n; k++)
			printf("\n_`%s` at %s @`%s`: normalised: %s._\n", pool->jobs[i].zc->name,
			       pool->jobs[i].pc->name, pool->jobs[i].server, nl.v[k]);
		zsync_strlist_release(&nl);
	}
	if (skipped)
		printf("\nSome providers have no `nameservers` configured and were not verified.\n");
}

/* What server j served for git's RRset idx: NULL not asked, "" as git has it, else what. */
static const char *served_state(const struct job *j, size_t idx)
{
	size_t lo = 0, hi = j->ndiffs;

	if (!j->asked || !(j->asked[idx / 8] & (1u << (idx % 8))))
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (j->diffs[mid].idx == idx)
			return j->diffs[mid].what;
		if (j->diffs[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "";
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* Whether the servers asked disagree among themselves (not only with git). */
static bool disagree(const struct job *const *js, size_t n, size_t idx)
{
	const char *first = NULL;
	for (size_t k = 0; k < n; k++) {
		const char *st = served_state(js[k], idx);
		if (!st)
			continue;
		if (!first)
			first = st;
		else if (strcmp(first, st))
			return true;
	}
	return false;
}

/*
 * The providers compared with each other, zone by zone: the RRsets of git where the
 * servers that answered serve different data (a matrix: RRset x server), the spread of
 * their SOA serials, and the apex NS each serves. Where every server serves the same
 * wrong data they agree with each other: that is only a difference from git (above).
 */
static void compare_providers(struct pool *pool, const struct zsync_verify_opts *o, bool md)
{
	for (size_t i = 0; i < pool->n; i++) {
		const struct zsync_zone_conf *zc = pool->jobs[i].zc;
		const struct job **js = NULL;
		size_t nj = 0, nidx = 0, *idx = NULL, nrows = 0, n;
		uint32_t lo = 0, hi = 0;
		bool first_of_zone = true, ns_differ = false;

		for (size_t k = 0; k < i && first_of_zone; k++)
			first_of_zone = pool->jobs[k].zc != zc;
		if (!first_of_zone)
			continue;
		js = zsync_xcalloc(pool->n, sizeof(*js));
		for (size_t k = i; k < pool->n; k++) {
			const struct job *j = &pool->jobs[k];
			if (j->zc != zc || !j->asked)
				continue;
			lo = nj && lo < j->serial ? lo : j->serial;
			hi = nj && hi > j->serial ? hi : j->serial;
			js[nj++] = j;
			idx = zsync_xrealloc(idx, (nidx + j->ndiffs + 1) * sizeof(*idx));
			for (size_t d = 0; d < j->ndiffs; d++)
				idx[nidx++] = j->diffs[d].idx;
		}
		if (nj < 2) {
			free(js);
			free(idx);
			continue;
		}
		qsort(idx, nidx, sizeof(*idx), size_cmp);
		for (size_t a = 0; a < nidx; a++)
			if ((a == 0 || idx[a] != idx[a - 1]) && disagree(js, nj, idx[a]))
				idx[nrows++] = idx[a];
		for (size_t k = 1; k < nj; k++)
			ns_differ |= js[k]->apex_ns && js[0]->apex_ns && strcmp(js[k]->apex_ns, js[0]->apex_ns);
		const struct zsync_rrset *const *rs = zsync_zone_sorted(js[0]->desired, &n);
		char name[ZSYNC_NAME_TXT_MAXLEN + 1], type[32];
		if (md) {
			printf("\n#### Providers compared: `%s`\n\n%zu server%s; SOA serials %u to %u (spread %u); "
			       "%zu RRset%s where they disagree%s\n\n| RRset |", zc->name, nj, nj == 1 ? "" : "s",
			       lo, hi, hi - lo, nrows, nrows == 1 ? "" : "s", ns_differ ? "; the apex NS differ" : "");
			for (size_t k = 0; k < nj; k++) {
				printf(" ");
				md_cell(js[k]->pc->name);
				printf(" @`");
				md_cell(js[k]->server);
				printf("` |");
			}
			printf("\n|---|");
			for (size_t k = 0; k < nj; k++)
				printf("---|");
			printf("\n");
			for (size_t r = 0; r < nrows; r++) {
				printf("| `%s %s` |", zsync_name_to_text(rs[idx[r]]->owner, name, sizeof(name)),
				       zsync_type_to_text(rs[idx[r]]->type, type, sizeof(type)));
				for (size_t k = 0; k < nj; k++) {
					const char *st = served_state(js[k], idx[r]);
					printf(" ");
					if (!st)
						printf("%s", js[k]->unreachable ? "no answer" : "n/a");
					else if (!*st)
						printf("as git");
					else {
						printf("`");
						md_cell(st);
						printf("`");
					}
					printf(" |");
				}
				printf("\n");
			}
			printf("| apex NS |");
			for (size_t k = 0; k < nj; k++) {
				printf(" `");
				md_cell(js[k]->apex_ns ? js[k]->apex_ns : "?");
				printf("` |");
			}
			printf("\n");
		} else if (nrows || ns_differ || !o->quiet) {
			printf("%s: %zu servers compared: %s%s (SOA serials %u to %u)\n", zc->name, nj,
			       nrows ? zsync_sgr(o->color, "1;31", "DISAGREE") : "agree",
			       nrows ? "" : " on every RRset of git", lo, hi);
			for (size_t r = 0; r < nrows; r++) {
				printf("    %s %s:", zsync_name_to_text(rs[idx[r]]->owner, name, sizeof(name)),
				       zsync_type_to_text(rs[idx[r]]->type, type, sizeof(type)));
				for (size_t k = 0; k < nj; k++) {
					const char *st = served_state(js[k], idx[r]);
					printf("%s %s @%s: %s", k ? ";" : "", js[k]->pc->name, js[k]->server,
					       !st ? (js[k]->unreachable ? "no answer" : "n/a") : *st ? st : "as git");
				}
				printf("\n");
			}
			if (ns_differ || !o->quiet)
				for (size_t k = 0; k < nj; k++)
					printf("    apex NS %s @%s: %s\n", js[k]->pc->name, js[k]->server,
					       js[k]->apex_ns ? js[k]->apex_ns : "(no answer)");
		}
		free(js);
		free(idx);
	}
}

static int verify_round(struct zsync_config *cfg, struct zsync_tree *tree, const struct zsync_verify_opts *o,
			bool print, bool allow_empty)
{
	const long timeout = o->timeout_ms;
	const enum zsync_verify_format format = o->format;
	const bool strict = o->strict;
	struct zsync_tsig **keys = zsync_xcalloc(cfg->nproviders + 1, sizeof(*keys));
	bool json = format == ZSYNC_VERIFY_JSON, md = format == ZSYNC_VERIFY_MARKDOWN;
	const struct zsync_strlist *zones = o->zones, *providers = o->providers;
	struct zsync_err err = { 0 };
	struct zsync_diags diags = { 0 };
	struct zsync_zone **desired = NULL;
	struct pool pool = { 0 };
	size_t cap = 0, bad = 0, unreachable = 0, skipped = 0;
	int code = ZSYNC_VERIFY_CONSISTENT;
	json_t *jout = NULL;

	desired = zsync_xcalloc(cfg->nzones + 1, sizeof(*desired));
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zsync_zone_conf *zc = &cfg->zones[i];
		if (!zsync_config_zone_selected(cfg, zones, zc->name))
			continue;
		if (zsync_lint_load(&desired[i], tree, zc->file, zc->name, &diags, &err) < 0) {
			if (err.code)
				fprintf(stderr, "zonesync: %s\n", err.msg);
			zsync_zone_free(desired[i]);
			desired[i] = NULL;
			code = ZSYNC_VERIFY_FAILED;
			continue;
		}
		if (zc->apex_ns == ZSYNC_APEX_NS_UNION) {
			/* what apply pushed: git's apex NS and every provider's nameservers */
			struct zsync_strlist names = { 0 }, notes = { 0 };
			zsync_nsset_collect(cfg, zc, &names, &notes);
			if (zsync_nsset_extend(desired[i], &names, &err) < 0)
				zsync_strlist_add_owned(&notes, zsync_xasprintf("apex_ns = \"union\": %s", err.msg));
			for (size_t k = 0; k < notes.n && print && !o->quiet; k++)
				fprintf(stderr, "zonesync: warning: zone '%s': %s\n", zc->name, notes.v[k]);
			zsync_strlist_release(&names);
			zsync_strlist_release(&notes);
		}
		for (size_t k = 0; k < zc->providers.n; k++) {
			const struct zsync_provider_conf *pc = zsync_config_provider(cfg, zc->providers.v[k]);
			const struct zsync_provider_type *pt = pc ? zsync_provider_find(pc->type) : NULL;
			if (!pc || !zsync_config_selected(providers, pc->name, false))
				continue;
			if (pc->nameservers.n == 0) {
				if (!o->quiet && print)
					fprintf(stderr, "zonesync: provider '%s' has no nameservers configured: not verified\n", pc->name);
				skipped++;
				continue;
			}
			for (size_t s = 0; s < pc->nameservers.n; s++) {
				if (pool.n == cap)
					pool.jobs = zsync_xrealloc(pool.jobs, (cap = cap * 2 + 8) * sizeof(*pool.jobs));
				struct job *j = &pool.jobs[pool.n++];
				memset(j, 0, sizeof(*j));
				j->zc = zc;
				j->desired = desired[i];
				j->pc = pc;
				j->server = pc->nameservers.v[s];
				j->timeout_ms = (int)timeout;
				j->strict = strict;
				/* --strict transfers with the provider's TSIG key, if it has one */
				if (strict && s == 0 && !keys[pc - cfg->providers] &&
				    zsync_provider_tsig_key(pc, &keys[pc - cfg->providers], &err) < 0) {
					fprintf(stderr, "zonesync: provider '%s': %s\n", pc->name, err.msg);
					code = ZSYNC_VERIFY_FAILED;
					pool.n--;
					break;
				}
				j->key = keys[pc - cfg->providers];
				if (pt)
					zsync_plan_policy(pt, pc, zc, &j->pol);
				else
					j->pol = (struct zsync_diff_policy){ .manage_apex_ns = pc->manage_apex_ns,
									     .provider = pc->name,
									     .ignore = { &pc->ignore, &zc->ignore } };
				zsync_plan_marker_name(pc, zc->name, j->pol.marker, &j->pol.has_marker);
				/* shared by this zone's servers' tasks: read only from now on */
				zsync_zone_freeze(desired[i]);
			}
		}
	}
	for (size_t i = 0; i < diags.n; i++)
		if (diags.v[i].severity == ZSYNC_SEV_ERROR) {
			char line[4096];
			zsync_diag_format(&diags.v[i], line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
	{
		/* servers are queried side by side (the tasks share nothing but frozen zones),
		 * each one's RRsets in turn */
		struct zsync_engine_task *tasks = zsync_xmalloc((pool.n ? pool.n : 1) * sizeof(*tasks));
		struct verify_progress progress = { 0, pool.n };
		for (size_t i = 0; i < pool.n; i++) {
			pool.jobs[i].progress = o->progress ? &progress : NULL;
			tasks[i] = (struct zsync_engine_task){ NULL, run_task, &pool.jobs[i] };
		}
		zsync_engine_run(tasks, pool.n, cfg->jobs > 0 ? cfg->jobs : 8, 1);
		free(tasks);
	}
	if (json)
		jout = json_array();
	if (!print) {
		/* a round before the last: print only when it is the good news */
		size_t wrong = 0;
		for (size_t i = 0; i < pool.n; i++)
			wrong += pool.jobs[i].unreachable || pool.jobs[i].problems.n;
		if (wrong) {
			code = code == ZSYNC_VERIFY_CONSISTENT ? ZSYNC_VERIFY_DIFFERENT : code;
			goto out;
		}
	}
	for (size_t i = 0; i < pool.n; i++) {
		struct job *j = &pool.jobs[i];
		const char *state = j->unreachable ? "unreachable" : j->problems.n ? "mismatch" : "consistent";
		if (j->unreachable)
			unreachable++;
		else if (j->problems.n)
			bad++;
		if (md)
			continue;
		if (jout) {
			json_t *pr = json_array();
			for (size_t k = 0; k < j->problems.n; k++)
				json_array_append_new(pr, json_string(j->problems.v[k]));
			json_array_append_new(jout, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:s?}",
				"zone", j->zc->name, "provider", j->pc->name, "server", j->server, "state", state,
				"serial", (json_int_t)j->serial, "checked", (json_int_t)j->checked,
				"matched", (json_int_t)j->matched, "not_applicable", (json_int_t)j->na,
				"problems", pr, "error", j->unreachable_why));
			json_t *jo = json_array_get(jout, json_array_size(jout) - 1), *nl = json_array();
			if (j->strict_note)
				json_object_set_new(jo, "strict_note", json_string(j->strict_note));
			if (j->apex_ns)
				json_object_set_new(jo, "apex_ns", json_string(j->apex_ns));
			struct zsync_strlist lines = { 0 };
			normalised_lines(j, &lines);
			for (size_t k = 0; k < lines.n; k++)
				json_array_append_new(nl, json_string(lines.v[k]));
			zsync_strlist_release(&lines);
			json_object_set_new(jo, "normalised", nl);
			continue;
		}
		if (j->unreachable)
			printf("%s %s @%s: %s: %s\n", j->zc->name, j->pc->name, j->server,
			       zsync_sgr(o->color, "1;31", "UNREACHABLE"), j->unreachable_why);
		else if (j->problems.n)
			printf("%s %s @%s: %s: %zu of %zu RRsets differ (serial %u)\n", j->zc->name, j->pc->name,
			       j->server, zsync_sgr(o->color, "1;31", "MISMATCH"), j->problems.n, j->checked, j->serial);
		else if (!o->quiet)
			printf("%s %s @%s: %s (%zu RRsets, serial %u%s)\n", j->zc->name, j->pc->name, j->server,
			       zsync_sgr(o->color, "32", "consistent"), j->matched, j->serial,
			       j->na ? ", some not applicable" : "");
		for (size_t k = 0; k < j->problems.n; k++)
			printf("    %s\n", j->problems.v[k]);
		if (!o->quiet) {
			struct zsync_strlist nl = { 0 };
			normalised_lines(j, &nl);
			for (size_t k = 0; k < nl.n; k++)
				printf("    normalised: %s\n", nl.v[k]);
			zsync_strlist_release(&nl);
		}
		if (j->strict_note && !o->quiet)
			printf("    note: %s\n", j->strict_note);
	}
	if (jout) {
		char *s = json_dumps(jout, JSON_INDENT(2));
		puts(s);
		free(s);
	} else if (md) {
		print_markdown(&pool, pool.n - bad - unreachable, skipped);
		compare_providers(&pool, o, true);
	} else if (!o->quiet || bad) {
		compare_providers(&pool, o, false);
	}
	if (!jout && !md && !o->quiet) {
		printf("verified %zu server%s: %zu consistent, %zu with mismatches, %zu unreachable%s\n", pool.n,
		       pool.n == 1 ? "" : "s", pool.n - bad - unreachable, bad, unreachable,
		       skipped ? " (some providers have no nameservers configured)" : "");
	}
	if (code == ZSYNC_VERIFY_CONSISTENT) {
		if (bad || unreachable)
			code = ZSYNC_VERIFY_DIFFERENT;
		else if (pool.n == 0 && !allow_empty) {
			fprintf(stderr, "zonesync: nothing to verify (set nameservers for the providers)\n");
			code = ZSYNC_VERIFY_FAILED;
		}
	}
out:
	json_decref(jout);
	for (size_t i = 0; i < cfg->nproviders; i++)
		zsync_tsig_free(keys[i]);
	free(keys);
	for (size_t i = 0; i < pool.n; i++) {
		free(pool.jobs[i].strict_note);
		free(pool.jobs[i].unreachable_why);
		zsync_strlist_release(&pool.jobs[i].problems);
		zsync_zone_free(pool.jobs[i].norm_zone);
		for (size_t d = 0; d < pool.jobs[i].ndiffs; d++)
			free(pool.jobs[i].diffs[d].what);
		free(pool.jobs[i].diffs);
		free(pool.jobs[i].asked);
		free(pool.jobs[i].apex_ns);
	}
	free(pool.jobs);
	for (size_t i = 0; cfg && desired && i < cfg->nzones; i++)
		zsync_zone_free(desired[i]);
	free(desired);
	zsync_diags_release(&diags);
	return code;
}

/* Whether the NS RRset names name (text, absolute). */
static bool ns_names_it(const struct zsync_rrset *ns, const char *name)
{
	uint8_t w[ZSYNC_NAME_MAXLEN];
	const uint8_t *rd = ns->rdata;
	if (zsync_name_from_text(name, NULL, w) < 0)
		return false;
	for (uint16_t m = 0; m < ns->count; m++, rd = zsync_rdata_next(rd))
		if (zsync_name_equal(zsync_rdata_target(ZSYNC_TYPE_NS, rd), w))
			return true;
	return false;
}

/* Whether provider name is in from ("git, bind, knot"). */
static bool from_has(const char *from, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = from; (p = strstr(p, name)); p += n)
		if ((p == from || (p - from >= 2 && p[-2] == ',' && p[-1] == ' ')) && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

/*
 * Lame: a delegated name of a provider whose nameservers do not answer for the zone
 * authoritatively (asked at the provider's configured addresses). Returns how many.
 */
static size_t check_lame(struct zsync_config *cfg, const struct zsync_zone_conf *zc, const uint8_t *apex,
			 const char *name, const char *from, long timeout, const struct zsync_verify_opts *o, FILE *out)
{
	size_t lame = 0;
	for (size_t p = 0; p < zc->providers.n; p++) {
		const struct zsync_provider_conf *pc = zsync_config_provider(cfg, zc->providers.v[p]);
		if (!pc || !from_has(from, pc->name))
			continue;
		for (size_t s = 0; s < pc->nameservers.n; s++) {
			struct zsync_dns_answer a;
			struct zsync_err err = { 0 };
			bool ok = zsync_dns_query(pc->nameservers.v[s], zc->name, apex, ZSYNC_TYPE_SOA, (int)timeout, &a, &err) == 0;
			bool auth = ok && a.authoritative && zsync_zone_find(a.answer, apex, ZSYNC_TYPE_SOA);
			if (ok)
				zsync_dns_answer_release(&a);
			if (!auth) {
				fprintf(out, "    %s: %s: provider '%s' @%s %s\n", name, zsync_sgr(o->color, "1;31", "LAME"),
					pc->name, pc->nameservers.v[s],
					ok ? "does not answer for the zone authoritatively" : err.msg);
				lame++;
			}
		}
	}
	return lame;
}

/*
 * The delegation: what the parent zone's servers answer for the zone's NS (a referral)
 * and DS, against what the parent must hold (zsync_delegation_build: git's apex NS and
 * every provider's nameservers, glue, the DS of each signing provider's KSK). A provider's
 * nameserver missing from the delegation is never asked by resolvers: it gives no
 * resilience; a DS that matches no provider's key, or a signing provider whose KSK has no
 * DS, breaks validation at resolvers that reach it (RFC 8901).
 */
int zsync_verify_delegation(struct zsync_config *cfg, struct zsync_tree *tree, const struct zsync_verify_opts *o,
			    const struct zsync_strlist *parents, FILE *out)
{
	const struct zsync_strlist *zones = o->zones;
	const long timeout = o->timeout_ms;
	struct zsync_err err = { 0 };
	struct zsync_diags diags = { 0 };
	int code = 0;

	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zsync_zone_conf *zc = &cfg->zones[i];
		struct zsync_zone *z = NULL;
		struct zsync_delegation want;
		if (!zsync_config_zone_selected(cfg, zones, zc->name))
			continue;
		if (zsync_lint_load(&z, tree, zc->file, zc->name, &diags, &err) < 0) {
			zsync_zone_free(z);
			code = ZSYNC_VERIFY_FAILED;
			continue;
		}
		const uint8_t *apex = zsync_zone_origin(z);
		zsync_delegation_build(cfg, zc, z, timeout, &want);
		for (size_t k = 0; k < want.warnings.n; k++)
			fprintf(out, "%s delegation: note: %s\n", zc->name, want.warnings.v[k]);
		struct zsync_strlist found = { 0 }, trace = { 0 };
		if (!parents->n) {
			/* no --parent: the parent's servers by iterative resolution from the root hints */
			if (zsync_delegation_find_parent(cfg, zc->name, timeout, &found, &trace, &err) < 0) {
				fprintf(out, "%s delegation: %s: %s\n", zc->name, zsync_sgr(o->color, "1;31", "NOT FOUND"), err.msg);
				code = ZSYNC_VERIFY_DIFFERENT;
			}
			for (size_t k = 0; k < trace.n; k++)
				fprintf(out, "%s delegation: resolved: %s\n", zc->name, trace.v[k]);
		}
		const struct zsync_strlist *asked = parents->n ? parents : &found;
		for (size_t p = 0; p < asked->n; p++) {
			struct zsync_dns_answer a, dsa;
			const char *server = asked->v[p];
			if (zsync_dns_query(server, zc->name, apex, ZSYNC_TYPE_NS, (int)timeout, &a, &err) < 0) {
				fprintf(out, "%s delegation @%s: %s: %s\n", zc->name, server, zsync_sgr(o->color, "1;31", "UNREACHABLE"), err.msg);
				code = ZSYNC_VERIFY_DIFFERENT;
				continue;
			}
			/* a referral carries the NS in the authority section; a parent that also
			 * serves the child answers them directly */
			const struct zsync_rrset *deleg = zsync_zone_find(a.authority, apex, ZSYNC_TYPE_NS);
			if (!deleg)
				deleg = zsync_zone_find(a.answer, apex, ZSYNC_TYPE_NS);
			size_t problems = 0;
			char tn[ZSYNC_NAME_TXT_MAXLEN + 1];
			if (!deleg) {
				fprintf(out, "%s delegation @%s: %s: the parent does not delegate the zone\n", zc->name, server,
				       zsync_sgr(o->color, "1;31", "MISSING"));
				code = ZSYNC_VERIFY_DIFFERENT;
				zsync_dns_answer_release(&a);
				continue;
			}
			for (size_t k = 0; k < want.ns.n; k++)
				if (!ns_names_it(deleg, want.ns.v[k])) {
					fprintf(out, "    %s (%s): not in the delegation: resolvers never ask it, it adds no resilience\n",
						want.ns.v[k], want.ns_from.v[k]);
					problems++;
				}
			const uint8_t *d = deleg->rdata;
			for (uint16_t m = 0; m < deleg->count; m++, d = zsync_rdata_next(d)) {
				const uint8_t *t = zsync_rdata_target(ZSYNC_TYPE_NS, d);
				const char *from = NULL;
				zsync_name_to_text(t, tn, sizeof(tn));
				for (size_t k = 0; k < want.ns.n && !from; k++)
					if (!strcmp(want.ns.v[k], tn))
						from = want.ns_from.v[k];
				if (!from) {
					fprintf(out, "    %s: delegated to, but neither the zone's NS nor a provider names it\n", tn);
					problems++;
				} else {
					problems += check_lame(cfg, zc, apex, tn, from, timeout, o, out);
				}
				/* glue: a name inside the zone is reachable only through the parent's addresses */
				if (zsync_name_in_zone(t, apex) && !zsync_zone_find(a.additional, t, ZSYNC_TYPE_A) &&
				    !zsync_zone_find(a.additional, t, ZSYNC_TYPE_AAAA)) {
					fprintf(out, "    %s: inside the zone, and the parent gives no glue address for it\n", tn);
					problems++;
				} else if (zsync_name_in_zone(t, apex)) {
					/* the glue the parent gives is what resolvers use: git's addresses */
					static const uint16_t addr_types[] = { ZSYNC_TYPE_A, ZSYNC_TYPE_AAAA };
					for (size_t ti = 0; ti < 2; ti++) {
						const struct zsync_rrset *g = zsync_zone_find(a.additional, t, addr_types[ti]);
						const struct zsync_rrset *w = zsync_zone_find(z, t, addr_types[ti]);
						if (!g && !w)
							continue;
						if (!g || !w || !zsync_rrset_rdata_equal(g, w)) {
							char *gl = g ? rrset_line(g, g->ttl) : zsync_xstrdup("none");
							char *wl = w ? rrset_line(w, w->ttl) : zsync_xstrdup("none");
							fprintf(out, "    %s %s: the parent's glue differs from git: glue %s; git says %s\n",
								tn, ti ? "AAAA" : "A", gl, wl);
							free(gl);
							free(wl);
							problems++;
						}
					}
				}
			}
			/* DS: each one at the parent against the KSKs the providers serve, and the reverse */
			int dsq = zsync_dns_query(server, zc->name, apex, ZSYNC_TYPE_DS, (int)timeout, &dsa, &err);
			if (dsq == 0 && dsa.rcode != 0) {
				/* SERVFAIL/REFUSED is not "no DS": a DS that breaks validation would go unseen */
				zsync_err_set(&err, ZSYNC_EIO, "the answer was %s", dsa.rcode == 2 ? "SERVFAIL" :
					      dsa.rcode == 5 ? "REFUSED" : "an error");
				zsync_dns_answer_release(&dsa);
				dsq = -1;
			}
			if (dsq == 0) {
				const struct zsync_rrset *ds = zsync_zone_find(dsa.answer, apex, ZSYNC_TYPE_DS);
				const uint8_t *rd = ds ? ds->rdata : NULL;
				bool *has = zsync_xcalloc(want.nds + 1, sizeof(*has));
				for (uint16_t m = 0; ds && m < ds->count; m++, rd = zsync_rdata_next(rd)) {
					const uint8_t *x = zsync_rdata_data(rd);
					uint16_t len = zsync_rdata_len(rd);
					char hex[2 * 64 + 1] = "";
					/* the digest types zonesync computes (SHA-1, SHA-256, SHA-384) are
					 * compared in full; another (GOST, 3) by key tag and algorithm only */
					bool full = len >= 4 && (x[3] == 1 || x[3] == 2 || x[3] == 4);
					const char *who = NULL;
					if (len < 4)
						continue;
					uint16_t tag = (uint16_t)(x[0] << 8 | x[1]);
					for (uint16_t b = 4; b < len && b < 4 + 64; b++)
						snprintf(hex + 2 * (b - 4), 3, "%02X", x[b]);
					for (size_t k = 0; k < want.nds && !who; k++)
						if (want.ds[k].key_tag == tag && want.ds[k].algorithm == x[2] &&
						    (!full || !strcmp(x[3] == 1 ? want.ds[k].sha1 : x[3] == 4 ? want.ds[k].sha384 :
								      want.ds[k].digest, hex))) {
							has[k] = true;
							who = want.ds[k].providers;
						}
					if (who)
						fprintf(out, "    DS %u %u %u: the KSK of %s%s\n", tag, x[2], x[3], who,
							full ? "" : " (key tag and algorithm; this digest type is not compared)");
					else {
						fprintf(out, "    DS %u %u %u: %s: matches no DNSKEY a provider serves\n", tag, x[2], x[3],
							zsync_sgr(o->color, "1;31", "STALE"));
						problems++;
					}
				}
				for (size_t k = 0; k < want.nds; k++)
					if (!has[k]) {
						fprintf(out, "    %s: the KSK %u (algorithm %u) of %s has no DS at the parent: "
							"validating resolvers that reach %s find the zone bogus (RFC 8901)\n",
							zsync_sgr(o->color, "1;31", "NO DS"), want.ds[k].key_tag,
							want.ds[k].algorithm, want.ds[k].providers, want.ds[k].providers);
						problems++;
					}
				free(has);
				zsync_dns_answer_release(&dsa);
			} else {
				/* unchecked is not consistent: a DS that breaks validation would go unseen */
				fprintf(out, "    DS: %s: the parent did not answer for the zone's DS: %s\n",
					zsync_sgr(o->color, "1;31", "UNREACHABLE"), err.msg);
				problems++;
			}
			fprintf(out, "%s delegation @%s: %s (%u NS%s)\n", zc->name, server,
			       problems ? zsync_sgr(o->color, "1;31", "MISMATCH") : zsync_sgr(o->color, "32", "consistent"),
			       deleg->count, problems ? "; see above" : "");
			if (problems)
				code = ZSYNC_VERIFY_DIFFERENT;
			zsync_dns_answer_release(&a);
		}
		zsync_strlist_release(&found);
		zsync_strlist_release(&trace);
		zsync_delegation_release(&want);
		zsync_zone_free(z);
	}
	zsync_diags_release(&diags);
	return code;
}

int zsync_verify_run(struct zsync_config *cfg, struct zsync_tree *tree, const struct zsync_verify_opts *o)
{
	const double wait_seconds = o->wait_seconds;
	struct timespec t0, now;
	int code;

	/* after an apply, secondaries and caches need a moment: ask again until consistent */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		bool last = wait_seconds <= 0 ||
			    (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >= wait_seconds;
		code = verify_round(cfg, tree, o, last, wait_seconds < 0);
		if (code != ZSYNC_VERIFY_DIFFERENT || last)
			return code;
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
	}
}
