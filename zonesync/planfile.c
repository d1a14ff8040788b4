/* planfile.c - a saved plan read back for `apply --plan`: checked before anything uses it */
#include "planfile.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int zsync_planfile_parse(struct zsync_planfile *out, const char *text, size_t len,
			 const char *what, struct zsync_err *err)
{
	json_error_t je;
	const char *commit, *hash;

	memset(out, 0, sizeof(*out));
	out->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!out->doc)
		return zsync_err_set(err, ZSYNC_EINVAL, "%s: not a zonesync plan: line %d: %s", what,
				     je.line, je.text);
	commit = json_string_value(json_object_get(out->doc, "commit"));
	hash = json_string_value(json_object_get(out->doc, "hash"));
	if (!json_is_object(out->doc) || !commit || !hash) {
		zsync_planfile_release(out);
		return zsync_err_set(err, ZSYNC_EINVAL, "%s: not a zonesync plan (no commit and hash)",
				     what);
	}
	/* the commit goes to git as a revision: only an exact commit id may */
	bool commit_ok = is_hex(commit, 40);
	if (!commit_ok || !is_hex(hash, 64)) {
		zsync_planfile_release(out);
		return zsync_err_set(err, ZSYNC_EINVAL, "%s: not a zonesync plan (%s is not %s)", what,
				     commit_ok ? "the hash" : "the commit",
				     commit_ok ? "64 hex digits" : "a full commit id");
	}
	memcpy(out->commit, commit, 41);
	memcpy(out->hash, hash, 65);
	return 0;
}

int zsync_planfile_load(struct zsync_planfile *out, const char *path, struct zsync_err *err)
{
	size_t len;
	char *text = zsync_read_file(path, ZSYNC_PLANFILE_MAX, &len, err);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!text)
		return err->code ? err->code : ZSYNC_EIO;
	ret = zsync_planfile_parse(out, text, len, path, err);
	free(text);
	return ret;
}

void zsync_planfile_release(struct zsync_planfile *pf)
{
	json_decref(pf->doc);
	memset(pf, 0, sizeof(*pf));
}

long zsync_planfile_changes(const struct zsync_planfile *pf, const char *zone, const char *provider)
{
	json_t *z, *pv;
	size_t i, j;
	long n = -1;

	json_array_foreach(json_object_get(pf->doc, "zones"), i, z) {
		const char *zn = json_string_value(json_object_get(z, "zone"));
		if (!zn || strcmp(zn, zone) != 0)
			continue;
		json_array_foreach(json_object_get(z, "providers"), j, pv) {
			const char *pn = json_string_value(json_object_get(pv, "provider"));
			if (pn && strcmp(pn, provider) == 0)
				n = (long)json_array_size(json_object_get(pv, "changes"));
		}
	}
	return n;
}
