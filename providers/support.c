/* support.c - helpers every provider may use: TSIG keys, secrets, HTTP setup, rdata text */
#include "support.h"
#include "dns.h"
#include "thread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int zsync_provider_tsig_key(const struct zsync_provider_conf *conf, struct zsync_tsig **key,
			    struct zsync_err *err)
{
	const char *name;
	char *secret = NULL;
	int ret;

	*key = NULL;
	if (!zsync_config_declares(conf, "tsig_name"))
		return 0; /* a type without TSIG (verify --strict asks every provider) */
	name = zsync_config_get_str(conf, "tsig_name");
	if (!name && !zsync_config_has(conf, "tsig_secret"))
		return 0;
	if (!name || !zsync_config_has(conf, "tsig_secret"))
		return zsync_err_set(err, ZSYNC_EINVAL, "tsig_name and tsig_secret go together");
	if ((ret = zsync_config_get_secret(conf, "tsig_secret", &secret, err)) < 0)
		return ret;
	ret = zsync_tsig_new(key, zsync_config_get_str(conf, "tsig_algorithm"), name, secret, err);
	zsync_config_secret_free(secret);
	return ret;
}

void zsync_provider_axfr_limits(const struct zsync_provider_conf *conf, struct zsync_axfr_limits *limits)
{
	bool has = zsync_config_declares(conf, "max_transfer_bytes");
	limits->max_bytes = has ? (uint64_t)zsync_config_get_count(conf, "max_transfer_bytes") : 0;
	limits->max_records = has ? (uint64_t)zsync_config_get_count(conf, "max_transfer_records") : 0;
}

int zsync_provider_secrets(const struct zsync_provider_conf *conf, const char *const *keys, size_t n,
			   char **out, struct zsync_err *err)
{
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = zsync_config_get_secret(conf, keys[i], &out[i], err);
	if (ret < 0) {
		for (size_t i = 0; i < n; i++) {
			zsync_config_secret_free(out[i]);
			out[i] = NULL;
		}
	}
	return ret;
}

int zsync_provider_http_open(const struct zsync_provider_conf *conf, struct zsync_http **http,
			     char **base, struct zsync_err *err)
{
	struct zsync_http_opts o = { conf->rate_per_sec, conf->timeout, conf->retries, NULL };
	const char *url = zsync_config_get_str(conf, "url");
	char *ca = zsync_config_get_path(conf, "ca_file");
	int ret;

	*http = NULL;
	*base = NULL;
	if (!url)
		return zsync_err_set(err, ZSYNC_EINVAL, "url is required");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "url '%s' is not http(s)", url);
	o.ca_file = ca;
	ret = zsync_http_new(http, &o, err);
	free(ca);
	if (ret < 0)
		return ret;
	*base = zsync_xasprintf("%.*s", (int)(strlen(url) - (url[strlen(url) - 1] == '/')), url);
	return 0;
}

void zsync_provider_auth_header(struct zsync_http *http, const char *prefix, const char *secret)
{
	char *hdr = zsync_xasprintf("%s%s", prefix, secret);
	zsync_http_header(http, hdr);
	zsync_config_secret_free(hdr);
}

int zsync_provider_refetch(int (*fetch)(void *, const char *, struct zsync_zone **, struct zsync_err *),
			   void *priv, const char *last_zone, const struct zsync_apply_req *req,
			   struct zsync_err *err)
{
	struct zsync_zone *now = NULL;
	int ret;

	if (req->create_zone || strcmp(last_zone, req->zone) == 0)
		return 0;
	if ((ret = fetch(priv, req->zone, &now, err)) < 0)
		return ret;
	bool same = req->base && zsync_zone_equal(now, req->base);
	zsync_zone_free(now);
	if (!same)
		return zsync_err_set(err, ZSYNC_ECONFLICT,
				     "the zone changed at the provider since it was planned; it is re-read");
	return 0;
}

struct zsync_provider_state {
	char *zone; /* the map's key */
	void *state;
};

void zsync_provider_states_init(struct zsync_provider_states *s, void (*free_state)(void *state))
{
	memset(s, 0, sizeof(*s));
	zsync_mutex_init(&s->lock);
	s->free_state = free_state;
}

void zsync_provider_states_put(struct zsync_provider_states *s, const char *zone, void *state)
{
	struct zsync_provider_state *e;
	void *old = NULL;

	zsync_lock(&s->lock);
	if ((e = zsync_strmap_get(&s->map, zone))) {
		old = e->state;
	} else {
		/* entries stay until release (strmap has no removal): one per zone of the run */
		e = zsync_xcalloc(1, sizeof(*e));
		e->zone = zsync_xstrdup(zone);
		if (s->n == s->cap)
			s->v = zsync_xrealloc(s->v, (s->cap = s->cap ? s->cap * 2 : 16) * sizeof(*s->v));
		s->v[s->n++] = e;
		zsync_strmap_put(&s->map, e->zone, e);
	}
	e->state = state;
	zsync_unlock(&s->lock);
	if (old)
		s->free_state(old);
}

void *zsync_provider_states_take(struct zsync_provider_states *s, const char *zone)
{
	struct zsync_provider_state *e;
	void *state = NULL;

	zsync_lock(&s->lock);
	if ((e = zsync_strmap_get(&s->map, zone))) {
		state = e->state;
		e->state = NULL;
	}
	zsync_unlock(&s->lock);
	return state;
}

void zsync_provider_states_release(struct zsync_provider_states *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i]->state)
			s->free_state(s->v[i]->state);
		free(s->v[i]->zone);
		free(s->v[i]);
	}
	free(s->v);
	zsync_strmap_release(&s->map);
	zsync_mutex_destroy(&s->lock);
	s->v = NULL;
	s->n = s->cap = 0;
}

struct zsync_zone *zsync_provider_result(const struct zsync_apply_req *req, struct zsync_err *err)
{
	struct zsync_zone *z = zsync_zone_new(req->zone, err);
	const struct zsync_changeset *cs = req->changes;

	if (!z)
		return NULL;
	if (req->base) {
		for (size_t i = 0; i < zsync_zone_iter_count(req->base); i++) {
			const struct zsync_rrset *r = zsync_zone_iter(req->base, i);
			if (r)
				zsync_zone_put_rrset(z, r, r->ttl);
		}
	}
	for (size_t i = 0; i < cs->n; i++) {
		const struct zsync_change *c = &cs->v[i];
		if (c->op == ZSYNC_CHANGE_DELETE)
			zsync_zone_remove(z, c->old->owner, c->old->type);
		else
			zsync_zone_put_rrset(z, c->new, c->ttl);
	}
	return z;
}

char *zsync_provider_no_dot(const char *s)
{
	size_t n = strlen(s);
	return zsync_xasprintf("%.*s", (int)(n > 1 && s[n - 1] == '.' ? n - 1 : n), s);
}

char *zsync_provider_fqdn(const char *s)
{
	size_t n = strlen(s);
	return zsync_xasprintf("%s%s", s, n && s[n - 1] == '.' ? "" : ".");
}

/* Appends the escaped octets of a (n octets) to v at *o: '"' and '\' escaped, others non-printable as \DDD. */
static void escape_into(const char *a, size_t n, char *v, size_t *o)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c == '"' || c == '\\') {
			v[(*o)++] = '\\';
			v[(*o)++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			*o += (size_t)sprintf(v + *o, "\\%03u", c);
		} else {
			v[(*o)++] = (char)c;
		}
	}
}

char *zsync_provider_txt_quote(const char *a)
{
	size_t n = strlen(a), o = 0;
	char *v;

	if (n >= 2 && a[0] == '"' && a[n - 1] == '"')
		return zsync_xstrdup(a);
	/* worst case: every octet \DDD, plus '" "' every 255 octets */
	v = zsync_xmalloc(n * 4 + n / 255 * 3 + 3);
	v[o++] = '"';
	for (size_t i = 0; i < n; i += 255) {
		if (i) {
			memcpy(v + o, "\" \"", 3);
			o += 3;
		}
		escape_into(a + i, n - i > 255 ? 255 : n - i, v, &o);
	}
	v[o++] = '"';
	v[o] = '\0';
	return v;
}

char *zsync_provider_string_quote(const char *a)
{
	size_t n = strlen(a), o = 0;
	char *v = zsync_xmalloc(n * 4 + 3);

	v[o++] = '"';
	escape_into(a, n, v, &o);
	v[o++] = '"';
	v[o] = '\0';
	return v;
}

char *zsync_provider_name_text(const char *api)
{
	size_t n = strlen(api), o = 0;
	char *v = zsync_xmalloc(n * 4 + 2);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)api[i];
		/* what the zone-file scanner would take as syntax, escaped; the dots stay separators */
		if (c <= ' ' || c >= 0x7f)
			o += (size_t)sprintf(v + o, "\\%03u", c);
		else if (strchr("\"\\;()$@", c))
			v[o++] = '\\', v[o++] = (char)c;
		else
			v[o++] = (char)c;
	}
	if (!o || v[o - 1] != '.')
		v[o++] = '.';
	v[o] = '\0';
	return v;
}

int zsync_provider_owner_text(const uint8_t *name, char *buf, size_t len, struct zsync_err *err)
{
	size_t o = 0;

	if (!*name)
		return snprintf(buf, len, "."), 0;
	for (const uint8_t *l = name; *l; l += 1 + *l) {
		for (uint8_t i = 1; i <= *l; i++) {
			uint8_t c = l[i];
			if (c == '.' || c <= ' ' || c >= 0x7f)
				return zsync_err_set(err, ZSYNC_EINVAL,
						     "the API takes a record name as text labels joined by dots: a label with %s cannot be written",
						     c == '.' ? "a dot in it" : c == ' ' ? "a space" : c < ' ' || c == 0x7f ? "a control character" : "a non-ASCII octet (names go as Punycode)");
			if (o + 2 < len)
				buf[o++] = (char)c;
		}
		if (o + 2 < len)
			buf[o++] = '.';
	}
	buf[o ? o - 1 : 0] = '\0';
	return 0;
}

int zsync_provider_norm_owner(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			      uint16_t *outlen, struct zsync_err *err)
{
	char buf[ZSYNC_NAME_TXT_MAXLEN + 1];
	int ret = zsync_provider_owner_text(owner, buf, sizeof(buf), err);
	if (ret < 0)
		return ret;
	memcpy(out, data, len);
	*outlen = len;
	return 0;
}

char *zsync_provider_zone_text(const char *v, bool octal)
{
	char *out = zsync_xmalloc(strlen(v) * 4 + 1), *o = out;
	bool quoted = false;
	while (*v) {
		unsigned char c = (unsigned char)*v;
		bool d3 = v[0] == '\\' && v[1] >= '0' && v[1] <= '9' && v[2] >= '0' && v[2] <= '9' && v[3] >= '0' &&
			  v[3] <= '9';
		if (c == '"') {
			quoted = !quoted;
			*o++ = *v++;
		} else if (d3 && (!octal || (v[1] <= '7' && v[2] <= '7' && v[3] <= '7'))) {
			unsigned n = octal ? (unsigned)((v[1] - '0') * 64 + (v[2] - '0') * 8 + (v[3] - '0'))
					   : (unsigned)((v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0'));
			o += sprintf(o, "\\%03u", n & 0xff);
			v += 4;
		} else if (c == '\\') {
			unsigned char n = (unsigned char)v[1];
			if (!n) {
				o += sprintf(o, "\\092");
				v++;
			} else if ((n >= '0' && n <= '9') || n < 0x20 || n >= 0x7f) {
				o += sprintf(o, "\\%03u", n);
				v += 2;
			} else {
				*o++ = *v++;
				*o++ = *v++;
			}
		} else if ((c < 0x20 && c != ' ' && c != '\t') || c >= 0x7f) {
			o += sprintf(o, "\\%03u", c);
			v++;
		} else if (!quoted && (c == ';' || c == '(' || c == ')')) {
			*o++ = '\\';
			*o++ = *v++;
		} else {
			*o++ = *v++;
		}
	}
	*o = '\0';
	return out;
}

const struct zsync_api_fields *zsync_provider_fields_of(const struct zsync_api_fields *table, uint16_t type)
{
	for (const struct zsync_api_fields *f = table; f->type; f++)
		if (f->type == type)
			return f;
	return NULL;
}

const char *zsync_provider_next_token(const char **p, size_t *n)
{
	const char *s = *p, *t;
	bool q = false;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	for (t = s; *t && (q || (*t != ' ' && *t != '\t')); t++) {
		if (*t == '\\' && t[1])
			t++;
		else if (*t == '"')
			q = !q;
	}
	*n = (size_t)(t - s);
	*p = t;
	return s;
}

/* A zone-file string (quoted or not) as its raw octets; NULL when one is not printable ASCII. */
static char *unquote(const char *s, size_t n)
{
	char *v = zsync_xmalloc(n + 1);
	size_t o = 0;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i];
		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '9') {
			c = (unsigned)(s[i + 1] - '0') * 100 + (unsigned)(s[i + 2] - '0') * 10 + (unsigned)(s[i + 3] - '0');
			i += 3;
		} else if (c == '\\' && i + 1 < n) {
			c = (unsigned char)s[++i];
		}
		if (c < 0x20 || c >= 0x7f) {
			free(v);
			return NULL;
		}
		v[o++] = (char)c;
	}
	v[o] = '\0';
	return v;
}

char *zsync_provider_fields_text(const struct zsync_api_fields *f, json_t *obj, json_t *top)
{
	char *out, *more, *v;

	if (!json_is_object(obj))
		return NULL;
	out = zsync_xstrdup("");
	for (size_t i = 0; f->kinds[i]; i++) {
		char k = f->kinds[i];
		json_t *x = json_object_get(k == 'p' ? top : obj, f->fields[i]);
		if (k == 'i' || k == 'p') {
			/* a number, or (Dyn) a string of digits */
			const char *d = json_string_value(x);
			if (d && *d && strspn(d, "0123456789") == strlen(d))
				v = zsync_xstrdup(d);
			else if (json_is_integer(x))
				v = zsync_xasprintf("%lld", (long long)json_integer_value(x));
			else if (json_is_real(x) && json_real_value(x) >= 0 && json_real_value(x) < 4294967296.0 &&
				 json_real_value(x) == (double)(uint32_t)json_real_value(x))
				/* 10.0: a whole number written as a real; anything else is no rdata field
				 * (and out of range it was undefined behaviour to convert) */
				v = zsync_xasprintf("%u", (unsigned)json_real_value(x));
			else
				goto bad;
		} else {
			const char *str = json_string_value(x);
			if (!str || strpbrk(str, "\r\n") ||
			    (strchr("nwd", k) && (!*str || strpbrk(str, " \t\"\\;()"))))
				goto bad;
			if (k == 's')
				v = zsync_provider_string_quote(str);
			else if ((k == 'n' || k == 'd') && str[strlen(str) - 1] != '.')
				v = zsync_xasprintf("%s.", str);
			else
				v = zsync_xstrdup(str);
		}
		more = zsync_xasprintf("%s%s%s", out, *out && *v ? " " : "", v);
		free(v);
		free(out);
		out = more;
	}
	return out;
bad:
	free(out);
	return NULL;
}

json_t *zsync_provider_fields_json(const struct zsync_api_fields *f, const char *txt, json_t *top)
{
	json_t *obj = json_object();
	const char *p = txt, *t;
	size_t n;

	for (size_t i = 0; f->kinds[i]; i++) {
		char k = f->kinds[i];
		if (!(t = zsync_provider_next_token(&p, &n))) {
			if (k != 'r' && k != 'v')
				goto bad;
			/* nothing left: an empty value (SVCB in AliasMode, or without parameters) */
			json_object_set_new(obj, f->fields[i], json_string(""));
			break;
		}
		if (k == 'i' || k == 'p') {
			json_object_set_new(k == 'p' ? top : obj, f->fields[i], json_integer(strtoll(t, NULL, 10)));
		} else if (k == 'r' || k == 'v') {
			/* the rest of the line: as written ('v'), or hex and base64 without their spaces */
			char *rest = zsync_xstrdup(t);
			if (k == 'r')
				for (char *x = rest; *x; x++)
					if (*x == ' ')
						memmove(x, x + 1, strlen(x)), x--;
			json_object_set_new(obj, f->fields[i], json_string(rest));
			free(rest);
			break;
		} else {
			char *v = unquote(t, n);
			if (!v)
				goto bad;
			if (k == 'n') {
				char *nd = zsync_provider_no_dot(v);
				free(v);
				v = nd;
			}
			json_object_set_new(obj, f->fields[i], json_string(v));
			free(v);
		}
	}
	return obj;
bad:
	json_decref(obj);
	return NULL;
}

static bool printable(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] >= 0x7f)
			return false;
	return true;
}

static int printable_or_refuse(bool ok, const uint8_t *data, uint16_t len, uint8_t *out, uint16_t *outlen,
			       struct zsync_err *err)
{
	if (!ok)
		return zsync_err_set(err, ZSYNC_EINVAL,
				     "the API's fields hold printable text only: a string with other octets cannot be written");
	memcpy(out, data, len);
	*outlen = len;
	return 0;
}

int zsync_provider_norm_caa(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			    uint16_t *outlen, struct zsync_err *err)
{
	(void)owner;
	return printable_or_refuse(len >= 2 && 2u + data[1] <= len && printable(data + 2, len - 2u), data, len,
				   out, outlen, err);
}

int zsync_provider_norm_naptr(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			      uint16_t *outlen, struct zsync_err *err)
{
	bool ok = len >= 4;
	uint16_t o = 4;

	(void)owner;
	for (int k = 0; k < 3 && ok; k++) {
		ok = o < len && o + 1u + data[o] <= len && printable(data + o + 1, data[o]);
		o = (uint16_t)(o + 1 + (o < len ? data[o] : 0));
	}
	return printable_or_refuse(ok, data, len, out, outlen, err);
}

int zsync_provider_norm_uri(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			    uint16_t *outlen, struct zsync_err *err)
{
	(void)owner;
	return printable_or_refuse(len >= 4 && printable(data + 4, len - 4u), data, len, out, outlen, err);
}

int zsync_provider_add_ns_name(struct zsync_strlist *out, const char *name, struct zsync_err *err)
{
	uint8_t wire[ZSYNC_NAME_MAXLEN];
	char text[ZSYNC_NAME_TXT_MAXLEN + 1];
	char *abs = zsync_provider_fqdn(name ? name : "");

	/* a name, never the root or an address: "." would name no server at all */
	if (!name || !*name || strcmp(abs, ".") == 0 || zsync_name_from_text(abs, NULL, wire) < 0) {
		free(abs);
		return zsync_err_set(err, ZSYNC_EINVAL, "'%s' is not a nameserver's domain name", name ? name : "");
	}
	free(abs);
	zsync_name_to_text(wire, text, sizeof(text));
	for (char *c = text; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->v[i], text) == 0)
			return 0;
	zsync_strlist_add(out, text);
	return 0;
}

int zsync_provider_ns_names(void *priv, const struct zsync_provider_conf *conf, const char *zone,
			    struct zsync_strlist *out, struct zsync_err *err)
{
	struct zsync_strlist names = { 0 };
	int ret = 0;

	(void)priv;
	(void)zone;
	zsync_config_get_strlist(conf, "ns_names", &names);
	for (size_t i = 0; i < names.n && ret == 0; i++)
		if ((ret = zsync_provider_add_ns_name(out, names.v[i], err)) < 0)
			zsync_err_set(err, ZSYNC_EINVAL, "ns_names: '%s' is not a nameserver's domain name", names.v[i]);
	zsync_strlist_release(&names);
	return ret;
}

int zsync_provider_poll(int (*check)(void *ud, bool *done, struct zsync_err *err), void *ud, double max_wait,
			struct zsync_err *err)
{
	double waited = 0, step = 0.25;
	for (;;) {
		bool done = false;
		int ret = check(ud, &done, err);
		if (ret < 0 || done)
			return ret;
		if (waited >= max_wait)
			return zsync_err_set(err, ZSYNC_EIO, "the change is still pending after %.0f s", waited);
		struct timespec ts = { (time_t)step, (long)((step - (time_t)step) * 1e9) };
		nanosleep(&ts, NULL);
		waited += step;
		if (step < 5)
			step *= 2;
	}
}
