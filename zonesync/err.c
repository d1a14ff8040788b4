/* err.c - error detail, diagnostics lists and checked allocation */
#include "err.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zsync_err_set(struct zsync_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

static const struct {
	int code;
	const char *name, *msg;
	int exit;
} errors[] = {
#define ZSYNC_ERR_ROW(sym, val, msg, exit) { (val), #sym + 6, (msg), (exit) },
	ZSYNC_ERRORS(ZSYNC_ERR_ROW)
#undef ZSYNC_ERR_ROW
};

static int err_row(int code)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == code)
			return (int)i;
	return -1;
}

const char *zsync_errname(int code)
{
	int i = err_row(code);
	return i < 0 ? "EUNKNOWNCODE" : errors[i].name;
}

const char *zsync_strerror(int code)
{
	int i = err_row(code);
	return i < 0 ? "unknown error" : errors[i].msg;
}

int zsync_error_exit(int code)
{
	int i = err_row(code);
	return i < 0 ? ZSYNC_EXIT_ERROR : errors[i].exit;
}

int zsync_err_sync(struct zsync_err *err, int ret)
{
	if (err && ret < 0) {
		err->code = ret;
		if (!err->msg[0])
			snprintf(err->msg, sizeof(err->msg), "%s", zsync_strerror(ret));
	}
	return ret;
}

void zsync_err_prefix(struct zsync_err *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void zsync_err_append(struct zsync_err *err, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!err)
		return;
	n = strlen(err->msg);
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
}

void zsync_err_clear(struct zsync_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *zsync_sgr(bool color, const char *sgr, const char *s)
{
	static __thread char bufs[4][256];
	static __thread int next;
	char *b;

	if (!color)
		return s;
	b = bufs[next++ & 3];
	snprintf(b, sizeof(bufs[0]), "\033[%sm%s\033[0m", sgr, s);
	return b;
}

void *zsync_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("zonesync: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *zsync_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p) {
		fputs("zonesync: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *zsync_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("zonesync: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *zsync_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(zsync_xmalloc(n), s, n);
}

char *zsync_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		fputs("zonesync: out of memory\n", stderr);
		abort();
	}
	return s;
}

void zsync_diags_add(struct zsync_diags *d, const char *file, unsigned line,
		     enum zsync_severity sev, const char *rule, const char *fmt, ...)
{
	struct zsync_diag *dg;
	va_list ap;
	char *msg = NULL;

	if (d->errors_only && sev != ZSYNC_SEV_ERROR)
		return;
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? d->alloc * 2 : 16;
		d->v = zsync_xrealloc(d->v, d->alloc * sizeof(*d->v));
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	dg = &d->v[d->n++];
	dg->file = zsync_xstrdup(file ? file : "");
	dg->line = line;
	dg->col = 0;
	dg->severity = sev;
	dg->rule = rule;
	dg->msg = msg ? msg : zsync_xstrdup("(out of memory)");
	if (sev == ZSYNC_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct zsync_diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

void zsync_diags_sort(struct zsync_diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
}

void zsync_diag_format(const struct zsync_diag *dg, char *buf, size_t len)
{
	const char *sev = dg->severity == ZSYNC_SEV_ERROR ? "error" : "warning";
	char where[600];

	if (dg->line && dg->col)
		snprintf(where, sizeof(where), "%s:%u:%u", dg->file, dg->line, dg->col);
	else if (dg->line)
		snprintf(where, sizeof(where), "%s:%u", dg->file, dg->line);
	else
		snprintf(where, sizeof(where), "%s", dg->file);
	if (dg->rule)
		snprintf(buf, len, "%s: %s: %s [%s]", where, sev, dg->msg, dg->rule);
	else
		snprintf(buf, len, "%s: %s: %s", where, sev, dg->msg);
}

void zsync_diags_move(struct zsync_diags *to, struct zsync_diags *from, size_t first)
{
	for (size_t i = first; i < from->n; i++) {
		const struct zsync_diag *dg = &from->v[i];
		if (to->n == to->alloc) {
			to->alloc = to->alloc ? to->alloc * 2 : 16;
			to->v = zsync_xrealloc(to->v, to->alloc * sizeof(*to->v));
		}
		to->v[to->n++] = *dg;
		if (dg->severity == ZSYNC_SEV_ERROR) {
			to->errors++;
			from->errors--;
		} else {
			to->warnings++;
			from->warnings--;
		}
	}
	if (first < from->n)
		from->n = first;
}

void zsync_diags_insert(struct zsync_diags *d, size_t at, struct zsync_diags *src)
{
	if (!src->n)
		return;
	if (d->n + src->n > d->alloc) {
		d->alloc = d->n + src->n;
		d->v = zsync_xrealloc(d->v, d->alloc * sizeof(*d->v));
	}
	memmove(d->v + at + src->n, d->v + at, (d->n - at) * sizeof(*d->v));
	memcpy(d->v + at, src->v, src->n * sizeof(*d->v));
	d->n += src->n;
	d->errors += src->errors;
	d->warnings += src->warnings;
	free(src->v);
	bool errors_only = src->errors_only;
	memset(src, 0, sizeof(*src));
	src->errors_only = errors_only;
}

void zsync_diags_release(struct zsync_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

int zsync_strlist_add_owned(struct zsync_strlist *l, char *s)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 8;
		l->v = zsync_xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n++] = s;
	return 0;
}

int zsync_strlist_add(struct zsync_strlist *l, const char *s)
{
	return zsync_strlist_add_owned(l, zsync_xstrdup(s));
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void zsync_strlist_sort(struct zsync_strlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), str_cmp);
}

void zsync_strlist_release(struct zsync_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Damerau-Levenshtein (optimal string alignment): a swapped pair ("plna") is one edit */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *zsync_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word), best = (size_t)-1;
	size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	const char *pick = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!cands[i] || !strcmp(cands[i], word))
			continue;
		size_t dist = edit_distance(word, cands[i]);
		if (dist <= limit && dist < best) {
			best = dist;
			pick = cands[i];
		}
	}
	return pick;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : "not a regular file";
}

char *zsync_read_file(const char *path, size_t max, size_t *len, struct zsync_err *err)
{
	/* O_NONBLOCK: opening a FIFO would otherwise wait for a writer, forever */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	FILE *f = NULL;
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (fd < 0) {
		zsync_err_set(err, errno == ENOENT ? ZSYNC_ENOTFOUND : ZSYNC_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		zsync_err_set(err, ZSYNC_EIO, "%s: %s, not a regular file", path,
			      fstat(fd, &st) < 0 ? strerror(errno) : file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 || !(f = fdopen(fd, "rb"))) {
		zsync_err_set(err, ZSYNC_EIO, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	do {
		if (n + 65536 > cap)
			buf = zsync_xrealloc(buf, cap = (cap + 65536) * 2);
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0 && n <= max);
	if (ferror(f) || n > max) {
		zsync_err_set(err, ZSYNC_EIO, n > max ? "%s: larger than %zu bytes" : "%s: read error", path, max);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}
