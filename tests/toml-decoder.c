/* toml-decoder.c - TOML on stdin -> toml-test tagged JSON on stdout; exit 1 with a message on bad input */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "toml.h"

static json_t *tagged(const char *type, const char *value, size_t len)
{
	return json_pack("{s:s, s:s%}", "type", type, "value", value, len);
}

static json_t *encode(const struct zsync_toml *v)
{
	char buf[64];

	switch (v->type) {
	case ZSYNC_TOML_TABLE: {
		json_t *o = json_object();
		for (size_t i = 0; i < v->tab.n; i++)
			json_object_setn_new(o, v->tab.kv[i].key, v->tab.kv[i].keylen,
					     encode(v->tab.kv[i].val));
		return o;
	}
	case ZSYNC_TOML_ARRAY: {
		json_t *a = json_array();
		for (size_t i = 0; i < v->arr.n; i++)
			json_array_append_new(a, encode(v->arr.v[i]));
		return a;
	}
	case ZSYNC_TOML_STRING:
		return tagged("string", v->str.s, v->str.len);
	case ZSYNC_TOML_INTEGER:
		snprintf(buf, sizeof(buf), "%lld", (long long)v->i);
		return tagged("integer", buf, strlen(buf));
	case ZSYNC_TOML_FLOAT:
		if (isnan(v->f))
			snprintf(buf, sizeof(buf), "nan");
		else if (isinf(v->f))
			snprintf(buf, sizeof(buf), "%sinf", v->f < 0 ? "-" : "");
		else
			snprintf(buf, sizeof(buf), "%.17g", v->f);
		return tagged("float", buf, strlen(buf));
	case ZSYNC_TOML_BOOL:
		return tagged("bool", v->b ? "true" : "false", v->b ? 4 : 5);
	case ZSYNC_TOML_DATETIME:
		return tagged("datetime", v->str.s, v->str.len);
	case ZSYNC_TOML_DATETIME_LOCAL:
		return tagged("datetime-local", v->str.s, v->str.len);
	case ZSYNC_TOML_DATE_LOCAL:
		return tagged("date-local", v->str.s, v->str.len);
	case ZSYNC_TOML_TIME_LOCAL:
		return tagged("time-local", v->str.s, v->str.len);
	}
	return json_null();
}

int main(void)
{
	size_t cap = 65536, len = 0, r;
	char *buf = malloc(cap);
	struct zsync_err err = { 0 };

	while ((r = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += r;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	struct zsync_toml *doc = zsync_toml_parse(buf, len, &err);
	free(buf);
	if (!doc) {
		fprintf(stderr, "toml-decoder: %s\n", err.msg);
		return 1;
	}
	json_t *j = encode(doc);
	char *out = json_dumps(j, JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_INDENT(1));
	puts(out);
	free(out);
	json_decref(j);
	zsync_toml_free(doc);
	return 0;
}
