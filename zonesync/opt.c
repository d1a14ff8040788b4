/* opt.c - command-line option parsing from option tables */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct zsync_opt *find_long(const struct zsync_opt *const *tables, const char *name,
					 size_t len)
{
	for (; *tables; tables++)
		for (const struct zsync_opt *o = *tables; o->type != ZSYNC_OPT_END; o++)
			if (o->long_name && strlen(o->long_name) == len &&
			    strncmp(o->long_name, name, len) == 0)
				return o;
	return NULL;
}

static const struct zsync_opt *find_short(const struct zsync_opt *const *tables, char c)
{
	for (; *tables; tables++)
		for (const struct zsync_opt *o = *tables; o->type != ZSYNC_OPT_END; o++)
			if (o->short_name == c)
				return o;
	return NULL;
}

/* the closest long option of the tables to name[0..len), or NULL */
static const char *suggest_long(const struct zsync_opt *const *tables, const char *name, size_t len)
{
	const char *cands[256];
	size_t n = 0;
	char word[65];

	if (len >= sizeof(word))
		return NULL;
	memcpy(word, name, len);
	word[len] = 0;
	for (; *tables; tables++)
		for (const struct zsync_opt *o = *tables; o->type != ZSYNC_OPT_END && n < 256; o++)
			if (o->long_name)
				cands[n++] = o->long_name;
	return zsync_suggest(word, cands, n);
}

static int set_value(const struct zsync_opt *o, const char *arg, const char *shown,
		     struct zsync_err *err)
{
	switch (o->type) {
	case ZSYNC_OPT_FLAG:
		*(bool *)o->value = true;
		return 0;
	case ZSYNC_OPT_COUNT:
		(*(int *)o->value)++;
		return 0;
	case ZSYNC_OPT_STRING:
	case ZSYNC_OPT_OPTSTR:
		*(const char **)o->value = arg;
		return 0;
	case ZSYNC_OPT_LIST:
		zsync_strlist_add(o->value, arg);
		return 0;
	case ZSYNC_OPT_INT: {
		char *end;
		long v;
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end)
			return zsync_err_set(err, ZSYNC_EINVAL, "option %s expects a number, not '%s'",
					     shown, arg);
		*(long *)o->value = v;
		return 0;
	}
	case ZSYNC_OPT_END:
		break;
	}
	return ZSYNC_EINVAL;
}

int zsync_opt_parse(const struct zsync_opt *const *tables, int argc, char **argv,
		    struct zsync_strlist *positional, struct zsync_err *err)
{
	for (int i = 0; i < argc; i++) {
		char *a = argv[i];
		const struct zsync_opt *o;

		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				zsync_strlist_add(positional, argv[i]);
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			o = find_long(tables, name, len);
			if (!o) {
				const char *near = suggest_long(tables, name, len);
				return zsync_err_set(err, ZSYNC_EINVAL, "unknown option '--%.*s'%s%s%s",
						     (int)len, name, near ? " (did you mean '--" : "",
						     near ? near : "", near ? "'?)" : "");
			}
			if (o->type == ZSYNC_OPT_FLAG || o->type == ZSYNC_OPT_COUNT) {
				if (eq)
					return zsync_err_set(err, ZSYNC_EINVAL,
							     "option '--%s' takes no value",
							     o->long_name);
				set_value(o, NULL, a, err);
			} else if (o->type == ZSYNC_OPT_OPTSTR) {
				set_value(o, eq ? eq + 1 : "", a, err);
			} else {
				const char *arg = eq ? eq + 1 : NULL;
				if (!arg) {
					if (i + 1 >= argc)
						return zsync_err_set(err, ZSYNC_EINVAL,
								     "option '--%s' needs a value (%s)",
								     o->long_name, o->argname);
					arg = argv[++i];
				}
				if (set_value(o, arg, a, err) < 0)
					return ZSYNC_EINVAL;
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			for (const char *p = a + 1; *p; p++) {
				o = find_short(tables, *p);
				if (!o)
					return zsync_err_set(err, ZSYNC_EINVAL, "unknown option '-%c'", *p);
				if (o->type == ZSYNC_OPT_FLAG || o->type == ZSYNC_OPT_COUNT ||
				    o->type == ZSYNC_OPT_OPTSTR) {
					set_value(o, "", a, err);
					continue;
				}
				const char *arg = p[1] ? p + 1 : NULL;
				if (!arg) {
					if (i + 1 >= argc)
						return zsync_err_set(err, ZSYNC_EINVAL,
								     "option '-%c' needs a value (%s)",
								     *p, o->argname);
					arg = argv[++i];
				}
				if (set_value(o, arg, a, err) < 0)
					return ZSYNC_EINVAL;
				break;
			}
			continue;
		}
		zsync_strlist_add(positional, a);
	}
	return 0;
}

/* o as it is typed, argument name arg (NULL: its own), at buf + *o_len */
static void usage_opt(char *buf, size_t len, size_t *at, const struct zsync_opt *o, const char *arg,
		      size_t arg_len)
{
	char name[80];

	if (!arg) {
		arg = o->argname ? o->argname : "";
		arg_len = strlen(arg);
	}
	if (o->short_name)
		snprintf(name, sizeof(name), "-%c", o->short_name);
	else
		snprintf(name, sizeof(name), "--%s", o->long_name);
	switch (o->type) {
	case ZSYNC_OPT_FLAG:
	case ZSYNC_OPT_COUNT:
	case ZSYNC_OPT_END:
		*at += (size_t)snprintf(buf + *at, len - *at, "%s", name);
		break;
	case ZSYNC_OPT_OPTSTR:
		*at += (size_t)snprintf(buf + *at, len - *at, "%s[=%.*s]", name, (int)arg_len, arg);
		break;
	default:
		*at += (size_t)snprintf(buf + *at, len - *at, "%s %.*s", name, (int)arg_len, arg);
		break;
	}
	if (*at >= len)
		*at = len - 1;
}

void zsync_opt_usage(char *buf, size_t len, const char *tmpl, const struct zsync_opt *const *tables)
{
	char flat[4096];
	size_t at = 0;

	for (const char *p = tmpl; *p && at + 1 < sizeof(flat);) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		if (!close) {
			flat[at++] = *p++;
			continue;
		}
		const char *name = p + 1, *eq = memchr(name, '=', (size_t)(close - name));
		size_t nlen = (size_t)((eq ? eq : close) - name);
		p = close + 1;
		if (nlen == 1 && *name == '*') {
			/* every option not named elsewhere in the template */
			bool first = true;
			for (const struct zsync_opt *const *t = tables; *t; t++)
				for (const struct zsync_opt *o = *t; o->type != ZSYNC_OPT_END; o++) {
					char ref[80];
					int rl = snprintf(ref, sizeof(ref), "{%s", o->long_name);
					const char *m = tmpl;
					while ((m = strstr(m, ref)) && m[rl] != '}' && m[rl] != '=')
						m += rl;
					if (m)
						continue;
					at += (size_t)snprintf(flat + at, sizeof(flat) - at, "%s[", first ? "" : " ");
					if (at >= sizeof(flat))
						at = sizeof(flat) - 1;
					usage_opt(flat, sizeof(flat), &at, o, NULL, 0);
					at += (size_t)snprintf(flat + at, sizeof(flat) - at, "]%s",
							       o->type == ZSYNC_OPT_LIST ? "..." : "");
					if (at >= sizeof(flat))
						at = sizeof(flat) - 1;
					first = false;
				}
			continue;
		}
		const struct zsync_opt *o = find_long(tables, name, nlen);
		if (o) {
			usage_opt(flat, sizeof(flat), &at, o, eq ? eq + 1 : NULL, eq ? (size_t)(close - eq - 1) : 0);
		} else {
			/* no such option: shown as written, so that the help test sees it */
			at += (size_t)snprintf(flat + at, sizeof(flat) - at, "--%.*s", (int)nlen, name);
			if (at >= sizeof(flat))
				at = sizeof(flat) - 1;
		}
	}
	flat[at] = '\0';
	/* wrapped at a space outside brackets, continued under the command */
	size_t o = 0, col = 0, last = 0;
	int depth = 0;
	for (const char *p = flat; *p && o + 8 < len; p++) {
		if (*p == '\n') {
			buf[o++] = *p;
			col = 0;
			last = 0;
			continue;
		}
		depth += (*p == '[' || *p == '(') - (*p == ']' || *p == ')');
		if (*p == ' ' && depth == 0 && col > 7)
			last = o;
		buf[o++] = *p;
		col++;
		if (col > 79 && last) {
			/* the space at last becomes a line break and an indent */
			size_t tail = o - last - 1;
			if (o + 7 >= len)
				break;
			memmove(buf + last + 8, buf + last + 1, tail);
			memcpy(buf + last, "\n       ", 8);
			o += 7;
			col = 7 + tail;
			last = 0;
		}
	}
	buf[o] = '\0';
}

void zsync_opt_print(FILE *out, const struct zsync_opt *opts)
{
	for (const struct zsync_opt *o = opts; o->type != ZSYNC_OPT_END; o++) {
		char left[64];
		const char *arg = o->argname ? o->argname : "";
		if (o->type == ZSYNC_OPT_OPTSTR)
			snprintf(left, sizeof(left), "%s%c%s--%s[=%s]", o->short_name ? "-" : "",
				 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "   ",
				 o->long_name, arg);
		else
			snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : " ",
				 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ",
				 o->long_name, *arg ? " " : "", arg);
		fprintf(out, "  %-30s %s\n", left, o->help);
	}
}
