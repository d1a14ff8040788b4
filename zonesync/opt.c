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
