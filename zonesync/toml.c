/* toml.c - TOML 1.0.0 parser: recursive descent over a UTF-8-validated buffer */
#include "toml.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 128 /* nesting of arrays and inline tables */

struct parser {
	const char *p, *end;
	const char *line_start;
	unsigned line;
	struct zsync_err *err;
	bool failed;
	int depth;
	struct zsync_toml *root;
};

/* ---- values ---- */

static struct zsync_toml *new_value(struct parser *ps, enum zsync_toml_type type)
{
	struct zsync_toml *v = zsync_xcalloc(1, sizeof(*v));
	v->type = type;
	v->line = ps->line;
	v->col = (unsigned)(ps->p - ps->line_start) + 1;
	return v;
}

void zsync_toml_free(struct zsync_toml *v)
{
	if (!v)
		return;
	switch (v->type) {
	case ZSYNC_TOML_ARRAY:
		for (size_t i = 0; i < v->arr.n; i++)
			zsync_toml_free(v->arr.v[i]);
		free(v->arr.v);
		break;
	case ZSYNC_TOML_TABLE:
		for (size_t i = 0; i < v->tab.n; i++) {
			free(v->tab.kv[i].key);
			zsync_toml_free(v->tab.kv[i].val);
		}
		free(v->tab.kv);
		break;
	case ZSYNC_TOML_STRING:
	case ZSYNC_TOML_DATETIME:
	case ZSYNC_TOML_DATETIME_LOCAL:
	case ZSYNC_TOML_DATE_LOCAL:
	case ZSYNC_TOML_TIME_LOCAL:
		free(v->str.s);
		break;
	default:
		break;
	}
	free(v);
}

static struct zsync_toml *get_n(const struct zsync_toml *t, const char *key, size_t len)
{
	if (!t || t->type != ZSYNC_TOML_TABLE)
		return NULL;
	for (size_t i = 0; i < t->tab.n; i++)
		if (t->tab.kv[i].keylen == len && memcmp(t->tab.kv[i].key, key, len) == 0)
			return t->tab.kv[i].val;
	return NULL;
}

struct zsync_toml *zsync_toml_get(const struct zsync_toml *t, const char *key)
{
	return get_n(t, key, strlen(key));
}

const char *zsync_toml_type_name(enum zsync_toml_type type)
{
	switch (type) {
	case ZSYNC_TOML_STRING: return "string";
	case ZSYNC_TOML_INTEGER: return "integer";
	case ZSYNC_TOML_FLOAT: return "float";
	case ZSYNC_TOML_BOOL: return "boolean";
	case ZSYNC_TOML_DATETIME: return "date-time";
	case ZSYNC_TOML_DATETIME_LOCAL: return "local date-time";
	case ZSYNC_TOML_DATE_LOCAL: return "local date";
	case ZSYNC_TOML_TIME_LOCAL: return "local time";
	case ZSYNC_TOML_ARRAY: return "array";
	case ZSYNC_TOML_TABLE: return "table";
	}
	return "?";
}

static void table_add(struct zsync_toml *t, char *key, size_t keylen, struct zsync_toml *val)
{
	if (t->tab.n == t->tab.alloc) {
		t->tab.alloc = t->tab.alloc ? t->tab.alloc * 2 : 8;
		t->tab.kv = zsync_xrealloc(t->tab.kv, t->tab.alloc * sizeof(*t->tab.kv));
	}
	t->tab.kv[t->tab.n].key = key;
	t->tab.kv[t->tab.n].keylen = keylen;
	t->tab.kv[t->tab.n].val = val;
	t->tab.n++;
}

static void array_add(struct zsync_toml *a, struct zsync_toml *val)
{
	if (a->arr.n == a->arr.alloc) {
		a->arr.alloc = a->arr.alloc ? a->arr.alloc * 2 : 8;
		a->arr.v = zsync_xrealloc(a->arr.v, a->arr.alloc * sizeof(*a->arr.v));
	}
	a->arr.v[a->arr.n++] = val;
}

/* ---- errors and low-level scanning ---- */

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ps->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	zsync_err_set(ps->err, ZSYNC_EINVAL, "%u:%u: %s", ps->line,
		      (unsigned)(ps->p - ps->line_start) + 1, msg);
	ps->failed = true;
	return -1;
}

static int fail_at(struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ps->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	zsync_err_set(ps->err, ZSYNC_EINVAL, "%u:%u: %s", line, col, msg);
	ps->failed = true;
	return -1;
}

static bool at_end(const struct parser *ps)
{
	return ps->p >= ps->end;
}

static int peek(const struct parser *ps, size_t off)
{
	return ps->p + off < ps->end ? (unsigned char)ps->p[off] : -1;
}

static void skip_ws(struct parser *ps)
{
	while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

static bool at_newline(const struct parser *ps)
{
	return peek(ps, 0) == '\n' || (peek(ps, 0) == '\r' && peek(ps, 1) == '\n');
}

/* Consumes one newline (LF or CRLF); returns false when there is none. */
static bool eat_newline(struct parser *ps)
{
	if (peek(ps, 0) == '\n') {
		ps->p++;
	} else if (peek(ps, 0) == '\r' && peek(ps, 1) == '\n') {
		ps->p += 2;
	} else {
		return false;
	}
	ps->line++;
	ps->line_start = ps->p;
	return true;
}

/* Control characters other than tab are not allowed in comments and strings. */
static bool is_control(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static int skip_comment(struct parser *ps)
{
	if (peek(ps, 0) != '#')
		return 0;
	while (!at_end(ps) && !at_newline(ps)) {
		if (is_control((unsigned char)*ps->p))
			return fail(ps, "control character 0x%02x in a comment",
				    (unsigned char)*ps->p);
		ps->p++;
	}
	return 0;
}

/* Whitespace, newlines and comments (inside arrays). */
static int skip_ws_nl_comments(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (skip_comment(ps) < 0)
			return -1;
		if (!eat_newline(ps))
			return 0;
	}
}

/* After a key/value or a header: only whitespace and a comment before the newline. */
static int expect_eol(struct parser *ps)
{
	skip_ws(ps);
	if (skip_comment(ps) < 0)
		return -1;
	if (at_end(ps) || eat_newline(ps))
		return 0;
	if (peek(ps, 0) == '\r')
		return fail(ps, "carriage return not followed by a newline");
	return fail(ps, "expected the end of the line, found '%c'", *ps->p);
}

/* ---- UTF-8 ---- */

static int utf8_check(struct parser *ps, const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i], need, cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		for (unsigned k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += need + 1;
	}
	return 0;
bad:
	/* point at the bad byte for the message */
	for (size_t k = 0; k < i; k++)
		if (s[k] == '\n') {
			ps->line++;
			ps->line_start = (const char *)s + k + 1;
		}
	ps->p = (const char *)s + i;
	return fail(ps, "invalid UTF-8");
}

static void utf8_put(char **buf, size_t *len, size_t *cap, uint32_t cp)
{
	char tmp[4];
	size_t n;
	if (cp < 0x80) {
		tmp[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | (cp >> 6));
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | (cp >> 12));
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		tmp[0] = (char)(0xf0 | (cp >> 18));
		tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*len + n + 1 > *cap) {
		*cap = (*cap + n + 1) * 2;
		*buf = zsync_xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, tmp, n);
	*len += n;
}

static void buf_put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*cap + n + 1) * 2;
		*buf = zsync_xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
}

/* ---- strings ---- */

static int parse_escape(struct parser *ps, char **buf, size_t *len, size_t *cap)
{
	int c = peek(ps, 1);
	uint32_t cp = 0;
	int digits;

	switch (c) {
	case 'b': utf8_put(buf, len, cap, '\b'); ps->p += 2; return 0;
	case 't': utf8_put(buf, len, cap, '\t'); ps->p += 2; return 0;
	case 'n': utf8_put(buf, len, cap, '\n'); ps->p += 2; return 0;
	case 'f': utf8_put(buf, len, cap, '\f'); ps->p += 2; return 0;
	case 'r': utf8_put(buf, len, cap, '\r'); ps->p += 2; return 0;
	case '"': utf8_put(buf, len, cap, '"'); ps->p += 2; return 0;
	case '\\': utf8_put(buf, len, cap, '\\'); ps->p += 2; return 0;
	case 'u': digits = 4; break;
	case 'U': digits = 8; break;
	default:
		return fail(ps, "invalid escape sequence '\\%c'", c > 0x20 && c < 0x7f ? c : '?');
	}
	for (int i = 0; i < digits; i++) {
		int h = peek(ps, 2 + i);
		if (!isxdigit(h))
			return fail(ps, "\\%c needs %d hex digits", c, digits);
		cp = cp * 16 + (uint32_t)(isdigit(h) ? h - '0' : (tolower(h) - 'a' + 10));
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(ps, "\\%c escape U+%X is not a Unicode scalar value", c, cp);
	utf8_put(buf, len, cap, cp);
	ps->p += 2 + digits;
	return 0;
}

/* Parses any of the four string forms at ps->p; *out is NUL-terminated. */
static int parse_string(struct parser *ps, char **out, size_t *outlen, bool allow_multiline)
{
	char q = *ps->p;
	bool multi = peek(ps, 1) == q && peek(ps, 2) == q;
	char *buf = zsync_xmalloc(16);
	size_t len = 0, cap = 16;

	if (multi && !allow_multiline) {
		free(buf);
		return fail(ps, "a key cannot be a multi-line string");
	}
	ps->p += multi ? 3 : 1;
	if (multi)
		eat_newline(ps); /* a newline right after the opening quotes is trimmed */
	for (;;) {
		int c = peek(ps, 0);
		if (c < 0) {
			free(buf);
			return fail(ps, "unterminated string");
		}
		if (c == q) {
			if (!multi) {
				ps->p++;
				break;
			}
			if (peek(ps, 1) == q && peek(ps, 2) == q) {
				/* up to two more quotes belong to the content: """"" ends with "" */
				int extra = 0;
				while (extra < 2 && peek(ps, 3 + extra) == q)
					extra++;
				buf_put(&buf, &len, &cap, ps->p, (size_t)extra);
				ps->p += 3 + extra;
				break;
			}
			buf_put(&buf, &len, &cap, ps->p, 1);
			ps->p++;
			continue;
		}
		if (multi && at_newline(ps)) {
			buf_put(&buf, &len, &cap, "\n", 1);
			eat_newline(ps);
			continue;
		}
		if (c == '\\' && q == '"') {
			if (multi) {
				/* line-ending backslash: drop whitespace and newlines up to the next text */
				const char *save = ps->p;
				ps->p++;
				skip_ws(ps);
				if (at_newline(ps)) {
					while (eat_newline(ps) || peek(ps, 0) == ' ' || peek(ps, 0) == '\t')
						if (peek(ps, 0) == ' ' || peek(ps, 0) == '\t')
							ps->p++;
					continue;
				}
				ps->p = save;
			}
			if (parse_escape(ps, &buf, &len, &cap) < 0) {
				free(buf);
				return -1;
			}
			continue;
		}
		if (c == '\n' || c == '\r') {
			free(buf);
			return fail(ps, c == '\n' ? "newline in a single-line string" : "carriage return in a string");
		}
		if (is_control(c)) {
			free(buf);
			return fail(ps, "control character 0x%02x in a string", c);
		}
		buf_put(&buf, &len, &cap, ps->p, 1);
		ps->p++;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* ---- keys ---- */

static bool is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

struct keypath {
	char *part[64];
	size_t len[64];
	unsigned line[64], col[64];
	int n;
};

static char *keydup(const struct keypath *k, int i)
{
	char *s = zsync_xmalloc(k->len[i] + 1);
	memcpy(s, k->part[i], k->len[i]);
	s[k->len[i]] = '\0';
	return s;
}

static void keypath_release(struct keypath *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->part[i]);
	k->n = 0;
}

static int parse_key(struct parser *ps, struct keypath *k)
{
	k->n = 0;
	for (;;) {
		char *part = NULL;
		size_t len = 0;
		int c;

		skip_ws(ps);
		if (k->n == (int)(sizeof(k->part) / sizeof(k->part[0])))
			return fail(ps, "key has too many parts");
		k->line[k->n] = ps->line;
		k->col[k->n] = (unsigned)(ps->p - ps->line_start) + 1;
		c = peek(ps, 0);
		if (c == '"' || c == '\'') {
			if (parse_string(ps, &part, &len, false) < 0)
				return -1;
		} else if (is_bare(c)) {
			const char *s = ps->p;
			while (is_bare(peek(ps, 0)))
				ps->p++;
			part = zsync_xasprintf("%.*s", (int)(ps->p - s), s);
			len = (size_t)(ps->p - s);
		} else {
			return fail(ps, c < 0 ? "expected a key" : "invalid character in a key");
		}
		k->len[k->n] = len;
		k->part[k->n++] = part;
		skip_ws(ps);
		if (peek(ps, 0) != '.')
			return 0;
		ps->p++;
	}
}

/* ---- numbers and date-times ---- */

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool valid_date(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12 || d < 1)
		return false;
	int max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

/* Length of a valid time "HH:MM:SS[.frac]" at s (max n bytes), 0 if none; -1 if malformed. */
static int scan_time(struct parser *ps, const char *s, size_t n)
{
	size_t i = 8;
	if (n < 8 || !digits(s, 2) || s[2] != ':' || !digits(s + 3, 2) || s[5] != ':' ||
	    !digits(s + 6, 2))
		return fail(ps, "invalid time (expected HH:MM:SS)");
	if (num2(s) > 23 || num2(s + 3) > 59 || num2(s + 6) > 60)
		return fail(ps, "time out of range");
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return fail(ps, "a fraction of a second needs digits");
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	return (int)i;
}

static struct zsync_toml *parse_datetime(struct parser *ps)
{
	const char *s = ps->p;
	size_t n = (size_t)(ps->end - ps->p), i = 0;
	enum zsync_toml_type type;
	char *text;

	if (n >= 10 && digits(s, 4) && s[4] == '-') {
		if (!digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2)) {
			fail(ps, "invalid date (expected YYYY-MM-DD)");
			return NULL;
		}
		int y = atoi(s), m = num2(s + 5), d = num2(s + 8);
		if (!valid_date(y, m, d)) {
			fail(ps, "date out of range");
			return NULL;
		}
		i = 10;
		type = ZSYNC_TOML_DATE_LOCAL;
		/* a time follows after T, t or a single space (only when digits follow) */
		if (i < n && (s[i] == 'T' || s[i] == 't' ||
			      (s[i] == ' ' && i + 3 < n && digits(s + i + 1, 2) && s[i + 3] == ':'))) {
			int t = scan_time(ps, s + i + 1, n - i - 1);
			if (t <= 0) {
				if (t == 0)
					fail(ps, "invalid date-time");
				return NULL;
			}
			i += 1 + (size_t)t;
			type = ZSYNC_TOML_DATETIME_LOCAL;
			if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
				i++;
				type = ZSYNC_TOML_DATETIME;
			} else if (i < n && (s[i] == '+' || s[i] == '-')) {
				if (i + 6 > n || !digits(s + i + 1, 2) || s[i + 3] != ':' ||
				    !digits(s + i + 4, 2) || num2(s + i + 1) > 23 || num2(s + i + 4) > 59) {
					fail(ps, "invalid time offset (expected +HH:MM)");
					return NULL;
				}
				i += 6;
				type = ZSYNC_TOML_DATETIME;
			}
		}
	} else {
		int t = scan_time(ps, s, n);
		if (t <= 0) {
			if (t == 0)
				fail(ps, "invalid time");
			return NULL;
		}
		i = (size_t)t;
		type = ZSYNC_TOML_TIME_LOCAL;
	}
	if (i < n && (is_bare(s[i]) || s[i] == ':' || s[i] == '.' || s[i] == '+')) {
		fail(ps, "invalid date-time");
		return NULL;
	}
	text = zsync_xasprintf("%.*s", (int)i, s);
	/* RFC 3339 spelling: upper-case T and Z, T between date and time */
	for (size_t k = 0; text[k]; k++) {
		if (k == 10 && (text[k] == ' ' || text[k] == 't'))
			text[k] = 'T';
		else if (text[k] == 'z')
			text[k] = 'Z';
	}
	struct zsync_toml *v = new_value(ps, type);
	v->str.s = text;
	v->str.len = i;
	ps->p += i;
	return v;
}

/* Checks digit/underscore rules and copies the digits without underscores. */
static bool clean_digits(const char *s, size_t n, char *out, size_t *outn, int (*isdig)(int))
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_') {
			if (i == 0 || i + 1 == n || !isdig((unsigned char)s[i - 1]) ||
			    !isdig((unsigned char)s[i + 1]))
				return false;
			continue;
		}
		if (!isdig((unsigned char)s[i]))
			return false;
		out[o++] = s[i];
	}
	out[o] = '\0';
	*outn = o;
	return o > 0;
}

static int is_odigit(int c)
{
	return c >= '0' && c <= '7';
}

static int is_bdigit(int c)
{
	return c == '0' || c == '1';
}

static struct zsync_toml *parse_number(struct parser *ps)
{
	const char *s = ps->p;
	size_t n = 0;
	char clean[256], *end;
	size_t cn;
	struct zsync_toml *v;

	while (ps->p + n < ps->end &&
	       (is_bare((unsigned char)s[n]) || s[n] == '.' || s[n] == '+'))
		n++;
	if (n == 0 || n >= sizeof(clean) - 8) {
		fail(ps, "invalid value");
		return NULL;
	}
	/* special floats */
	{
		const char *t = s;
		size_t tn = n;
		if (*t == '+' || *t == '-') {
			t++;
			tn--;
		}
		if ((tn == 3 && strncmp(t, "inf", 3) == 0) || (tn == 3 && strncmp(t, "nan", 3) == 0)) {
			v = new_value(ps, ZSYNC_TOML_FLOAT);
			v->f = t[0] == 'i' ? INFINITY : NAN;
			if (*s == '-')
				v->f = -v->f;
			ps->p += n;
			return v;
		}
	}
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		if (!clean_digits(s + 2, n - 2, clean, &cn,
				  base == 16 ? isxdigit : base == 8 ? is_odigit : is_bdigit)) {
			fail(ps, "invalid %s integer", base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary");
			return NULL;
		}
		errno = 0;
		unsigned long long u = strtoull(clean, &end, base);
		if (errno || u > INT64_MAX) {
			fail(ps, "integer out of range");
			return NULL;
		}
		v = new_value(ps, ZSYNC_TOML_INTEGER);
		v->i = (int64_t)u;
		ps->p += n;
		return v;
	}
	/* decimal integer or float: [sign] int [. frac] [e [sign] exp] */
	size_t i = 0, o = 0;
	bool is_float = false;
	if (s[i] == '+' || s[i] == '-')
		clean[o++] = s[i++];
	size_t int_start = i;
	while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '_'))
		i++;
	if (!clean_digits(s + int_start, i - int_start, clean + o, &cn, isdigit)) {
		fail(ps, "invalid number");
		return NULL;
	}
	if (cn > 1 && clean[o] == '0') {
		fail(ps, "leading zeros are not allowed");
		return NULL;
	}
	o += cn;
	if (i < n && s[i] == '.') {
		size_t fs = ++i;
		is_float = true;
		while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '_'))
			i++;
		clean[o++] = '.';
		if (!clean_digits(s + fs, i - fs, clean + o, &cn, isdigit)) {
			fail(ps, "a decimal point needs digits on both sides");
			return NULL;
		}
		o += cn;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		is_float = true;
		clean[o++] = 'e';
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			clean[o++] = s[i++];
		size_t es = i;
		while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '_'))
			i++;
		if (!clean_digits(s + es, i - es, clean + o, &cn, isdigit)) {
			fail(ps, "an exponent needs digits");
			return NULL;
		}
		o += cn;
	}
	if (i != n) {
		fail(ps, "invalid number");
		return NULL;
	}
	clean[o] = '\0';
	errno = 0;
	if (is_float) {
		double d = strtod(clean, &end);
		if (*end) {
			fail(ps, "invalid float");
			return NULL;
		}
		v = new_value(ps, ZSYNC_TOML_FLOAT);
		v->f = d;
	} else {
		long long l = strtoll(clean, &end, 10);
		if (errno || *end) {
			fail(ps, "integer out of range");
			return NULL;
		}
		v = new_value(ps, ZSYNC_TOML_INTEGER);
		v->i = l;
	}
	ps->p += n;
	return v;
}

/* ---- values, arrays, inline tables ---- */

static struct zsync_toml *parse_value(struct parser *ps);
static int parse_keyval(struct parser *ps, struct zsync_toml *table, bool in_inline);

static void freeze(struct zsync_toml *v)
{
	v->frozen = 1;
	if (v->type == ZSYNC_TOML_TABLE)
		for (size_t i = 0; i < v->tab.n; i++)
			freeze(v->tab.kv[i].val);
	else if (v->type == ZSYNC_TOML_ARRAY)
		for (size_t i = 0; i < v->arr.n; i++)
			freeze(v->arr.v[i]);
}

static struct zsync_toml *parse_array(struct parser *ps)
{
	struct zsync_toml *a = new_value(ps, ZSYNC_TOML_ARRAY);

	ps->p++;
	for (;;) {
		if (skip_ws_nl_comments(ps) < 0)
			goto bad;
		if (peek(ps, 0) == ']') {
			ps->p++;
			break;
		}
		struct zsync_toml *v = parse_value(ps);
		if (!v)
			goto bad;
		array_add(a, v);
		if (skip_ws_nl_comments(ps) < 0)
			goto bad;
		if (peek(ps, 0) == ',') {
			ps->p++;
			continue;
		}
		if (peek(ps, 0) == ']') {
			ps->p++;
			break;
		}
		fail(ps, at_end(ps) ? "unterminated array" : "expected ',' or ']' in an array");
		goto bad;
	}
	freeze(a);
	return a;
bad:
	zsync_toml_free(a);
	return NULL;
}

static struct zsync_toml *parse_inline_table(struct parser *ps)
{
	struct zsync_toml *t = new_value(ps, ZSYNC_TOML_TABLE);

	ps->p++;
	skip_ws(ps);
	if (peek(ps, 0) == '}') {
		ps->p++;
		freeze(t);
		return t;
	}
	for (;;) {
		if (parse_keyval(ps, t, true) < 0)
			goto bad;
		skip_ws(ps);
		if (peek(ps, 0) == ',') {
			ps->p++;
			skip_ws(ps);
			if (peek(ps, 0) == '}') {
				fail(ps, "trailing comma in an inline table");
				goto bad;
			}
			continue;
		}
		if (peek(ps, 0) == '}') {
			ps->p++;
			break;
		}
		fail(ps, at_newline(ps) ? "newline in an inline table" : "expected ',' or '}' in an inline table");
		goto bad;
	}
	freeze(t);
	return t;
bad:
	zsync_toml_free(t);
	return NULL;
}

static struct zsync_toml *parse_value(struct parser *ps)
{
	int c = peek(ps, 0);
	struct zsync_toml *v = NULL;

	if (++ps->depth > MAX_DEPTH) {
		fail(ps, "nesting deeper than %d", MAX_DEPTH);
		goto out;
	}
	if (c == '"' || c == '\'') {
		char *s;
		size_t len;
		unsigned line = ps->line, col = (unsigned)(ps->p - ps->line_start) + 1;
		if (parse_string(ps, &s, &len, true) == 0) {
			v = new_value(ps, ZSYNC_TOML_STRING);
			v->line = line;
			v->col = col;
			v->str.s = s;
			v->str.len = len;
		}
	} else if (c == '[') {
		v = parse_array(ps);
	} else if (c == '{') {
		v = parse_inline_table(ps);
	} else if (c == 't' && ps->end - ps->p >= 4 && strncmp(ps->p, "true", 4) == 0 &&
		   !is_bare(peek(ps, 4))) {
		v = new_value(ps, ZSYNC_TOML_BOOL);
		v->b = true;
		ps->p += 4;
	} else if (c == 'f' && ps->end - ps->p >= 5 && strncmp(ps->p, "false", 5) == 0 &&
		   !is_bare(peek(ps, 5))) {
		v = new_value(ps, ZSYNC_TOML_BOOL);
		ps->p += 5;
	} else if (isdigit(c) && ((ps->end - ps->p >= 5 && digits(ps->p, 4) && ps->p[4] == '-') ||
				  (ps->end - ps->p >= 3 && digits(ps->p, 2) && ps->p[2] == ':'))) {
		v = parse_datetime(ps);
	} else if (isdigit(c) || c == '+' || c == '-' || c == 'i' || c == 'n') {
		v = parse_number(ps);
	} else if (c < 0 || c == '\n' || c == '\r') {
		fail(ps, "missing value");
	} else {
		/* a bare word where a value goes is nearly always a string without its quotes;
		 * the word is not echoed: it may be a secret typed in the clear */
		if (isalpha(c) || c == '_' || c == '/')
			fail(ps, "invalid value: a string needs quotes (key = \"...\")");
		else
			fail(ps, "invalid value");
	}
out:
	ps->depth--;
	return v;
}

/* ---- tables ---- */

static struct zsync_toml *new_table(unsigned line, unsigned col)
{
	struct zsync_toml *t = zsync_xcalloc(1, sizeof(*t));
	t->type = ZSYNC_TOML_TABLE;
	t->line = line;
	t->col = col;
	return t;
}

static int parse_keyval(struct parser *ps, struct zsync_toml *table, bool in_inline)
{
	struct keypath k;
	struct zsync_toml *t = table, *v;
	int ret = -1;

	if (parse_key(ps, &k) < 0)
		goto out;
	/* walk the dotted prefix: only tables made by dotted keys may be extended this way */
	for (int i = 0; i < k.n - 1; i++) {
		struct zsync_toml *sub = get_n(t, k.part[i], k.len[i]);
		if (!sub) {
			sub = new_table(k.line[i], k.col[i]);
			sub->dotted = 1;
			table_add(t, keydup(&k, i), k.len[i], sub);
		} else if (sub->type != ZSYNC_TOML_TABLE || !sub->dotted || sub->frozen) {
			fail_at(ps, k.line[i], k.col[i], "key '%s' is already defined%s", k.part[i],
				sub->type == ZSYNC_TOML_TABLE ? " as a table" : "");
			goto out;
		}
		t = sub;
	}
	if (get_n(t, k.part[k.n - 1], k.len[k.n - 1])) {
		fail_at(ps, k.line[k.n - 1], k.col[k.n - 1], "duplicate key '%s'", k.part[k.n - 1]);
		goto out;
	}
	skip_ws(ps);
	if (peek(ps, 0) != '=') {
		fail(ps, "expected '=' after the key '%s'", k.part[k.n - 1]);
		goto out;
	}
	ps->p++;
	skip_ws(ps);
	v = parse_value(ps);
	if (!v)
		goto out;
	v->line = k.line[0];
	v->col = k.col[0];
	table_add(t, keydup(&k, k.n - 1), k.len[k.n - 1], v);
	(void)in_inline;
	ret = 0;
out:
	keypath_release(&k);
	return ret;
}

/* [a.b.c] or [[a.b.c]]: returns the table that following key/values go into. */
static struct zsync_toml *parse_header(struct parser *ps)
{
	bool aot = peek(ps, 1) == '[';
	struct keypath k;
	struct zsync_toml *t = ps->root, *res = NULL;
	unsigned line = ps->line, col = (unsigned)(ps->p - ps->line_start) + 1;

	ps->p += aot ? 2 : 1;
	if (parse_key(ps, &k) < 0) {
		keypath_release(&k);
		return NULL;
	}
	if (peek(ps, 0) != ']' || (aot && peek(ps, 1) != ']')) {
		fail(ps, aot ? "expected ']]' to close the table header" : "expected ']' to close the table header");
		goto out;
	}
	ps->p += aot ? 2 : 1;
	for (int i = 0; i < k.n - 1; i++) {
		struct zsync_toml *sub = get_n(t, k.part[i], k.len[i]);
		if (!sub) {
			sub = new_table(k.line[i], k.col[i]);
			table_add(t, keydup(&k, i), k.len[i], sub);
		} else if (sub->type == ZSYNC_TOML_ARRAY && sub->aot) {
			sub = sub->arr.v[sub->arr.n - 1];
		} else if (sub->type != ZSYNC_TOML_TABLE || sub->frozen) {
			fail(ps, "key '%s' is already defined and is not a table", k.part[i]);
			goto out;
		}
		t = sub;
	}
	const char *last = k.part[k.n - 1];
	struct zsync_toml *ex = get_n(t, last, k.len[k.n - 1]);
	if (aot) {
		if (!ex) {
			ex = new_table(line, col);
			ex->type = ZSYNC_TOML_ARRAY;
			ex->aot = 1;
			table_add(t, keydup(&k, k.n - 1), k.len[k.n - 1], ex);
		} else if (ex->type != ZSYNC_TOML_ARRAY || !ex->aot) {
			fail(ps, "'%s' is already defined and is not an array of tables", last);
			goto out;
		}
		res = new_table(line, col);
		res->explicit_ = 1;
		array_add(ex, res);
	} else {
		if (!ex) {
			res = new_table(line, col);
			table_add(t, keydup(&k, k.n - 1), k.len[k.n - 1], res);
		} else if (ex->type == ZSYNC_TOML_TABLE && !ex->explicit_ && !ex->dotted && !ex->frozen) {
			res = ex; /* made implicitly by an earlier [x.y.z]: defining it now is fine, once */
			res->line = line;
			res->col = col;
		} else {
			fail(ps, "table '%s' is already defined", last);
			goto out;
		}
		res->explicit_ = 1;
	}
out:
	keypath_release(&k);
	return res;
}

struct zsync_toml *zsync_toml_parse(const char *text, size_t len, struct zsync_err *err)
{
	struct parser ps = { .p = text, .end = text + len, .line_start = text, .line = 1, .err = err };
	struct zsync_toml *cur;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		ps.p += 3;
		ps.line_start = ps.p;
	}
	if (utf8_check(&ps, (const unsigned char *)ps.p, (size_t)(ps.end - ps.p)) < 0)
		return NULL;
	ps.root = cur = new_table(1, 1);
	ps.root->explicit_ = 1;
	while (!ps.failed) {
		skip_ws(&ps);
		if (at_end(&ps))
			break;
		if (skip_comment(&ps) < 0)
			break;
		if (eat_newline(&ps))
			continue;
		if (at_end(&ps))
			break;
		if (*ps.p == '[') {
			cur = parse_header(&ps);
			if (!cur)
				break;
		} else if (peek(&ps, 0) == '\r') {
			fail(&ps, "carriage return not followed by a newline");
			break;
		} else if (parse_keyval(&ps, cur, false) < 0) {
			break;
		}
		if (expect_eol(&ps) < 0)
			break;
	}
	if (ps.failed) {
		zsync_toml_free(ps.root);
		return NULL;
	}
	return ps.root;
}
