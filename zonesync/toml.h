/* toml.h - a TOML 1.0.0 parser (Debian ships no C TOML library) */
#ifndef ZSYNC_TOML_H
#define ZSYNC_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum zsync_toml_type {
	ZSYNC_TOML_STRING = 1,
	ZSYNC_TOML_INTEGER,
	ZSYNC_TOML_FLOAT,
	ZSYNC_TOML_BOOL,
	ZSYNC_TOML_DATETIME,       /* with an offset */
	ZSYNC_TOML_DATETIME_LOCAL,
	ZSYNC_TOML_DATE_LOCAL,
	ZSYNC_TOML_TIME_LOCAL,
	ZSYNC_TOML_ARRAY,
	ZSYNC_TOML_TABLE,
};

struct zsync_toml;

struct zsync_toml_kv {
	char *key;     /* NUL-terminated, but may contain U+0000: keylen is the length */
	size_t keylen;
	struct zsync_toml *val;
};

/* A TOML value; tables keep their keys in document order. */
struct zsync_toml {
	enum zsync_toml_type type;
	unsigned line, col; /* where the value (or the table's header or first key) starts */
	/* table/array bookkeeping for the redefinition rules */
	unsigned char explicit_; /* defined by a [header] */
	unsigned char dotted;    /* created by dotted keys */
	unsigned char frozen;    /* inline table or array literal: nothing may be added later */
	unsigned char aot;       /* array created by [[header]] */
	union {
		struct {
			char *s;    /* strings: decoded UTF-8; date/times: RFC 3339 text */
			size_t len;
		} str;
		int64_t i;
		double f;
		bool b;
		struct {
			struct zsync_toml **v;
			size_t n, alloc;
		} arr;
		struct {
			struct zsync_toml_kv *kv;
			size_t n, alloc;
		} tab;
	};
};

/*
 * Parses a whole document. Returns the root table (free with zsync_toml_free()), or
 * NULL with err set to "LINE:COL: message".
 */
struct zsync_toml *zsync_toml_parse(const char *text, size_t len, struct zsync_err *err);
void zsync_toml_free(struct zsync_toml *value);

/* The member of a table, or NULL. */
struct zsync_toml *zsync_toml_get(const struct zsync_toml *table, const char *key);
/* Name of a type for messages ("string", "integer", "table"...). */
const char *zsync_toml_type_name(enum zsync_toml_type type);

#endif
