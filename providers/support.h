/*
 * support.h - what providers share: TSIG keys, secrets, the HTTP client setup, "apply
 * the changes to a copy of base", rdata text helpers. Everything here is for the providers.
 */
#ifndef ZSYNC_PROVIDER_SUPPORT_H
#define ZSYNC_PROVIDER_SUPPORT_H

#include <pthread.h>

#include "http.h"
#include "provider.h"
#include "strmap.h"

/* The schema lines of an HTTP API provider's `url` (flags: 0 or ZSYNC_CONF_REQUIRED) and `ca_file`. */
#define ZSYNC_PROVIDER_HTTP_KEYS(flags, default_url)                                           \
	{ "url", ZSYNC_CONF_STR, (flags), NULL, (default_url), "the API's base URL (http or https)" }, \
	{ "ca_file", ZSYNC_CONF_STR, 0, NULL, NULL,                                            \
	  "CA bundle (PEM) for an HTTPS API behind a private CA; verification is always on" }

/* The schema lines of a TSIG key: `tsig_name`, `tsig_algorithm`, `tsig_secret`. */
#define ZSYNC_PROVIDER_TSIG_KEYS                                                              \
	{ "tsig_name", ZSYNC_CONF_STR, 0, NULL, NULL, "TSIG key name (with tsig_secret)" },      \
	{ "tsig_algorithm", ZSYNC_CONF_STR, 0, NULL, "hmac-sha256", "hmac-sha256, hmac-sha1, hmac-sha512..." }, \
	{ "tsig_secret", ZSYNC_CONF_SECRET, 0, NULL, NULL, "TSIG key secret, base64 (with tsig_name)" }

/* The schema lines of zone transfer limits: `max_transfer_bytes`, `max_transfer_records`. */
#define ZSYNC_PROVIDER_TRANSFER_KEYS                                                          \
	{ "max_transfer_bytes", ZSYNC_CONF_POSITIVE, 0, NULL, NULL,                             \
	  "the most bytes one zone transfer may bring (default 1 GiB)" },                          \
	{ "max_transfer_records", ZSYNC_CONF_POSITIVE, 0, NULL, NULL,                           \
	  "the most records one zone transfer may bring (default 10000000)" }

/* The schema line of `ns_names`: the names a self-hosted provider's servers answer as. */
#define ZSYNC_PROVIDER_NS_NAMES_KEY                                                           \
	{ "ns_names", ZSYNC_CONF_HOSTLIST, 0, NULL, NULL,                                       \
	  "the names of this provider's nameservers (\"ns1.example.net.\"): what the apex NS must name" }

/*
 * The nameservers op of a provider whose schema has ZSYNC_PROVIDER_NS_NAMES_KEY: its
 * ns_names, each a domain name (made absolute, lower case); ZSYNC_EINVAL naming a bad one.
 */
int zsync_provider_ns_names(void *priv, const struct zsync_provider_conf *conf, const char *zone,
			    struct zsync_strlist *out, struct zsync_err *err);

/*
 * Appends name (from an API: "ns1.example.net" or with the dot) to out as an absolute,
 * lower-case domain name; ZSYNC_EINVAL when it is not one.
 */
int zsync_provider_add_ns_name(struct zsync_strlist *out, const char *name, struct zsync_err *err);

/*
 * The zone transfer limits of a provider whose schema has ZSYNC_PROVIDER_TRANSFER_KEYS
 * (0 where unset, or for a type without them: the defaults of dns.h).
 */
struct zsync_axfr_limits;
void zsync_provider_axfr_limits(const struct zsync_provider_conf *conf, struct zsync_axfr_limits *limits);

/*
 * The TSIG key of a provider whose schema has ZSYNC_PROVIDER_TSIG_KEYS; *key NULL when it
 * has none (free with zsync_tsig_free).
 */
struct zsync_tsig;
int zsync_provider_tsig_key(const struct zsync_provider_conf *conf, struct zsync_tsig **key,
			    struct zsync_err *err);

/*
 * Resolves n secret keys at once (a provider with several: an access key id and its
 * secret, a client id and a client secret). On error none is left: every out[i] is NULL.
 * Free each with zsync_config_secret_free.
 */
int zsync_provider_secrets(const struct zsync_provider_conf *conf, const char *const *keys, size_t n,
			   char **out, struct zsync_err *err);

/*
 * The HTTP client of a provider whose schema has ZSYNC_PROVIDER_HTTP_KEYS: checks that
 * `url` is http(s), makes the client with the provider's rate limit, timeout, retries and
 * ca_file. *base: the url without a trailing slash (malloc'ed). Nothing left on error.
 */
int zsync_provider_http_open(const struct zsync_provider_conf *conf, struct zsync_http **http,
			     char **base, struct zsync_err *err);
/* Sends "<prefix><secret>" with every request; the formatted copy is wiped. */
void zsync_provider_auth_header(struct zsync_http *http, const char *prefix, const char *secret);

/* Applies req's changes to a copy of req->base: the zone the provider should end up with. */
struct zsync_zone *zsync_provider_result(const struct zsync_apply_req *req, struct zsync_err *err);

/*
 * For a provider that keeps what it needs for apply (record ids) from a fetch: apply of a
 * zone whose state is gone (last_zone another zone's name, or "" when
 * zsync_provider_states_take found none) reads it again with fetch and goes on (0) only
 * if it is still req->base, what the changes were computed against; else ZSYNC_ECONFLICT
 * (zonesync re-plans). 0 at once for the zone last read or a zone being created.
 */
int zsync_provider_refetch(int (*fetch)(void *, const char *, struct zsync_zone **, struct zsync_err *),
			   void *priv, const char *last_zone, const struct zsync_apply_req *req,
			   struct zsync_err *err);

/*
 * What a ZSYNC_CAP_CONCURRENT provider learns about a zone in fetch and needs in its apply
 * (a zone id, record ids), one state per zone under a lock, so that calls for different
 * zones overlap and one zone's state never becomes another's. A state is the caller's
 * between take and put: a fetch of the same zone at the same time keeps its own.
 */
struct zsync_provider_states {
	pthread_mutex_t lock;
	struct zsync_strmap map;     /* zone name -> struct zsync_provider_state * */
	struct zsync_provider_state **v;
	size_t n, cap;
	void (*free_state)(void *state);
};
/* free_state frees one state (given NULL never). */
void zsync_provider_states_init(struct zsync_provider_states *s, void (*free_state)(void *state));
/* Keeps state as zone's (taking it over; NULL: none), freeing the one it replaces. */
void zsync_provider_states_put(struct zsync_provider_states *s, const char *zone, void *state);
/* Hands zone's state over to the caller (NULL when there is none): it is no longer kept. */
void *zsync_provider_states_take(struct zsync_provider_states *s, const char *zone);
/* Frees every state left and the map; with no other call running. */
void zsync_provider_states_release(struct zsync_provider_states *s);

/* A name without its trailing dot ("." stays "."); malloc'ed. */
char *zsync_provider_no_dot(const char *name);
/* A name with a trailing dot; malloc'ed. */
char *zsync_provider_fqdn(const char *name);
/*
 * TXT data from an API as zone-file strings: a value already in quotes is taken as it is;
 * a bare one is quoted, '"' and '\' escaped, other non-printable octets as \DDD, split
 * into strings of at most 255 octets. malloc'ed.
 */
char *zsync_provider_txt_quote(const char *value);
/* One raw string (an API field: CAA value, NAPTR regexp...) as one zone-file string; malloc'ed. */
char *zsync_provider_string_quote(const char *value);
/*
 * A record name as an API gives it (labels joined by dots, no escapes) as a zone-file
 * name with the trailing dot: what the scanner takes as syntax is escaped. malloc'ed.
 */
char *zsync_provider_name_text(const char *api_name);
/*
 * A canonical wire name as an HTTP API takes it: its labels as they are, joined by dots,
 * without the trailing dot ("." for the root). A label holding a dot, a space, a control
 * or a non-ASCII octet cannot be written that way: ZSYNC_EINVAL saying so.
 */
int zsync_provider_owner_text(const uint8_t *name, char *buf, size_t len, struct zsync_err *err);
/*
 * Normaliser (diff.h, for ZSYNC_NORM_EVERY_TYPE) of the providers whose API names records
 * as text: a refusal of an owner name zsync_provider_owner_text cannot write.
 */
int zsync_provider_norm_owner(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			      uint16_t *outlen, struct zsync_err *err);

/*
 * A value in presentation form from an API (rdata text such as Route 53's or Cloud DNS's)
 * as the zone-file scanner reads it exactly: a ';' or parenthesis outside quotes and any
 * control octet are escaped, so the line means the value and nothing else; octal: the API
 * writes octets as \ooo (Route 53), which become \DDD. malloc'ed.
 */
char *zsync_provider_zone_text(const char *value, bool octal);

/*
 * Normalisers (diff.h) of the APIs that take CAA values, NAPTR strings and URI targets as
 * JSON text fields: a string with octets outside printable ASCII is refused.
 */
int zsync_provider_norm_caa(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			    uint16_t *outlen, struct zsync_err *err);
int zsync_provider_norm_naptr(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			      uint16_t *outlen, struct zsync_err *err);
int zsync_provider_norm_uri(const uint8_t *owner, const uint8_t *data, uint16_t len, uint8_t *out,
			    uint16_t *outlen, struct zsync_err *err);

/*
 * An API's record fields in the order of the type's presentation form, for the APIs
 * that take rdata as named fields (Cloudflare's `data`, Dyn's `rdata`). Kinds, one
 * letter per field: 'i' a number; 'p' a number in the record object itself (Cloudflare's
 * `priority`); 's' a string (quoted in a zone file, raw in the API); 'w' one word; 'n' a
 * host name the API writes without its trailing dot, 'd' one it writes with it; 'r' the
 * rest of the line as one string without spaces (hex, base64); 'v' the rest as written
 * (SVCB parameters). A table ends with type 0.
 */
struct zsync_api_fields {
	uint16_t type;
	const char *kinds;
	const char *fields[6];
};

/* The entry of type in table, or NULL. */
const struct zsync_api_fields *zsync_provider_fields_of(const struct zsync_api_fields *table, uint16_t type);
/* The presentation form from the API's fields (obj; top for 'p'); NULL when one is missing or malformed. malloc'ed. */
char *zsync_provider_fields_text(const struct zsync_api_fields *f, json_t *obj, json_t *top);
/* The API's fields from libknot's presentation form txt ('p' fields go into top); NULL if it does not fit. */
json_t *zsync_provider_fields_json(const struct zsync_api_fields *f, const char *txt, json_t *top);
/* The next token of a presentation form (a quoted string as one), or NULL at the end; *n its length. */
const char *zsync_provider_next_token(const char **p, size_t *n);

/*
 * Polls a change until the provider says it is done (Route 53's GetChange INSYNC, Cloud
 * DNS's changes.get done): check sets *done or fails; waits 0.25 s, then twice as long up
 * to 5 s between checks, and gives up after max_wait seconds ("still pending" in err).
 */
int zsync_provider_poll(int (*check)(void *ud, bool *done, struct zsync_err *err), void *ud, double max_wait,
			struct zsync_err *err);

#endif
