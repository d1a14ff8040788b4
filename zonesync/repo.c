/* repo.c - libgit2 access to zone files at a commit, in the index or in the work tree */
#include "repo.h"
#include "thread.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <stdbool.h>

#include <git2.h>
#include <pthread.h>

#include "strmap.h"

struct zsync_repo {
	git_repository *git;
	uint64_t include_files, include_bytes; /* the $INCLUDE budget of a zone read from it */
	bool (*lint_off)(const void *arg, const char *origin, const char *rule);
	const void *lint_arg;
};

struct zsync_tree {
	struct zsync_repo *repo;
	enum zsync_tree_kind kind;
	git_tree *tree;   /* ZSYNC_TREE_COMMIT */
	git_index *index; /* ZSYNC_TREE_INDEX */
	char *workdir;    /* ZSYNC_TREE_WORKTREE: realpath, no trailing slash */
	char id[GIT_OID_HEXSZ + 1];
	char desc[256];
	/*
	 * ZSYNC_TREE_COMMIT: every folder looked up so far, by path ("" is the top,
	 * "zones/" a folder). libgit2 does not cache trees over 4 KiB, so looking a
	 * file up by its whole path re-read and re-inflated a 50,000-entry zones/ tree
	 * for every zone; held here, each lookup is a binary search in a loaded tree.
	 */
	struct zsync_strmap dirs;
	struct tree_dir *dirv;
	size_t ndirs;
	pthread_mutex_t dirs_lock; /* zones may be loaded by several threads */
};

struct tree_dir {
	char *path;
	git_tree *tree; /* NULL: no such folder */
};

#define MAX_FILE_SIZE (256u * 1024 * 1024)

static int git_fail(struct zsync_err *err, int code, const char *what)
{
	const git_error *e = git_error_last();
	return zsync_err_set(err, code, "%s: %s", what, e && e->message ? e->message : "unknown git error");
}

/*
 * A repository whose objects are not named by SHA-1 (extensions.objectformat = sha256):
 * the deployment marker holds a 40-hex commit id, so a longer one would be cut short and
 * name no commit (or, cut to 40 digits, never match the next run's). Debian 12's libgit2
 * 1.5 cannot open such a repository at all ("unsupported extension name"); a libgit2 that
 * can must still not give zonesync a 64-hex id.
 */
static int object_format_refused(struct zsync_err *err, const char *path, const char *format, bool opened)
{
	int major = 0, minor = 0, rev = 0;
	char lib[64] = "";
	git_libgit2_version(&major, &minor, &rev);
	if (!opened)
		snprintf(lib, sizeof(lib), ", which libgit2 %d.%d.%d (zonesync's) cannot read", major, minor, rev);
	return zsync_err_set(err, ZSYNC_EINVAL,
			     "'%s': the repository names its objects by %s (extensions.objectformat)%s; zonesync "
			     "deploys from SHA-1 repositories only (its deployment markers hold 40-hex commit ids): "
			     "keep the zones in a SHA-1 repository", path, format, lib);
}

/* extensions.objectformat in cfg, malloc'ed; NULL: not set (SHA-1). Frees cfg. */
static char *object_format(git_config *cfg)
{
	git_buf v = { 0 };
	char *out = NULL;
	int32_t version = 0;
	/* like git, extensions count from repository format version 1 */
	if (cfg && git_config_get_int32(&version, cfg, "core.repositoryformatversion") == 0 && version >= 1 &&
	    git_config_get_string_buf(&v, cfg, "extensions.objectformat") == 0)
		out = zsync_xstrdup(v.ptr);
	git_buf_dispose(&v);
	git_config_free(cfg);
	return out;
}

/* The same for the repository at path that libgit2 would not open: its own config file. */
static char *object_format_at(const char *path)
{
	git_buf dir = { 0 };
	git_config *cfg = NULL;
	if (git_repository_discover(&dir, path, 0, NULL) == 0) {
		char *file = zsync_xasprintf("%s/config", dir.ptr);
		if (git_config_open_ondisk(&cfg, file) < 0)
			cfg = NULL;
		free(file);
	}
	git_buf_dispose(&dir);
	return object_format(cfg);
}

int zsync_repo_open(struct zsync_repo **out, const char *path, struct zsync_err *err)
{
	git_repository *git = NULL;
	char *format = NULL;

	*out = NULL;
	git_libgit2_init();
	/*
	 * Like git itself (cat-file, checkout), trust the object store on read: re-hashing
	 * every blob with collision-detecting SHA-1 doubled the load time of a large zone.
	 * Corruption is git fsck's job, and a damaged zone still fails to parse.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (git_repository_open_ext(&git, path, 0, NULL) < 0) {
		const git_error *e = git_error_last();
		if (e && e->message && strstr(e->message, "objectformat")) {
			format = object_format_at(path);
			int r = object_format_refused(err, path, format ? format : "another hash", false);
			free(format);
			return r;
		}
		git_fail(err, ZSYNC_ENOTFOUND, "cannot open git repository");
		zsync_err_prefix(err, "'%s'", path);
		return ZSYNC_ENOTFOUND;
	}
	git_config *cfg = NULL;
	if (git_repository_config_snapshot(&cfg, git) < 0)
		cfg = NULL;
	if ((format = object_format(cfg)) && strcasecmp(format, "sha1") != 0) {
		int r = object_format_refused(err, path, format, true);
		free(format);
		git_repository_free(git);
		return r;
	}
	free(format);
	*out = zsync_xcalloc(1, sizeof(**out));
	(*out)->git = git;
	return 0;
}

void zsync_repo_close(struct zsync_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	free(repo);
	git_libgit2_shutdown();
}

const char *zsync_repo_gitdir(const struct zsync_repo *repo)
{
	return git_repository_path(repo->git);
}

const char *zsync_repo_workdir(const struct zsync_repo *repo)
{
	return git_repository_workdir(repo->git);
}

int zsync_repo_tree(struct zsync_tree **out, struct zsync_repo *repo, enum zsync_tree_kind kind,
		    const char *ref, struct zsync_err *err)
{
	struct zsync_tree *t = zsync_xcalloc(1, sizeof(*t));
	git_object *obj = NULL;
	git_commit *commit = NULL;
	int ret = 0;

	*out = NULL;
	t->repo = repo;
	t->kind = kind;
	zsync_mutex_init(&t->dirs_lock);
	switch (kind) {
	case ZSYNC_TREE_COMMIT:
		if (!ref)
			ref = "HEAD";
		if (git_revparse_single(&obj, repo->git, ref) < 0) {
			if (strcmp(ref, "HEAD") == 0 && git_repository_head_unborn(repo->git) == 1)
				ret = zsync_err_set(err, ZSYNC_ENOTFOUND,
						    "the repository has no commit yet (use --worktree or --index)");
			else
				ret = git_fail(err, ZSYNC_ENOTFOUND, "cannot resolve ref");
			zsync_err_prefix(err, "ref '%s'", ref);
			goto out;
		}
		if (git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) < 0) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "ref '%s' does not name a commit", ref);
			goto out;
		}
		if (git_commit_tree(&t->tree, commit) < 0) {
			ret = git_fail(err, ZSYNC_EIO, "cannot read commit tree");
			goto out;
		}
		git_oid_tostr(t->id, sizeof(t->id), git_commit_id(commit));
		snprintf(t->desc, sizeof(t->desc), "commit %.12s (%s)", t->id, ref);
		break;
	case ZSYNC_TREE_INDEX:
		if (git_repository_index(&t->index, repo->git) < 0) {
			ret = git_fail(err, ZSYNC_EIO, "cannot read the git index");
			goto out;
		}
		snprintf(t->id, sizeof(t->id), "index");
		snprintf(t->desc, sizeof(t->desc), "the index");
		break;
	case ZSYNC_TREE_WORKTREE: {
		const char *wd = git_repository_workdir(repo->git);
		if (!wd) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "a bare repository has no work tree");
			goto out;
		}
		t->workdir = realpath(wd, NULL);
		if (!t->workdir) {
			ret = zsync_err_set(err, ZSYNC_EIO, "%s: %s", wd, strerror(errno));
			goto out;
		}
		snprintf(t->id, sizeof(t->id), "worktree");
		snprintf(t->desc, sizeof(t->desc), "the work tree");
		break;
	}
	}
out:
	git_commit_free(commit);
	git_object_free(obj);
	if (ret < 0)
		zsync_tree_free(t);
	else
		*out = t;
	return ret;
}

void zsync_tree_free(struct zsync_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ndirs; i++) {
		git_tree_free(t->dirv[i].tree);
		free(t->dirv[i].path);
	}
	free(t->dirv);
	zsync_strmap_release(&t->dirs);
	zsync_mutex_destroy(&t->dirs_lock);
	git_tree_free(t->tree);
	git_index_free(t->index);
	free(t->workdir);
	free(t);
}

void zsync_repo_set_include_budget(struct zsync_repo *repo, uint64_t max_files,
				   uint64_t max_bytes)
{
	repo->include_files = max_files;
	repo->include_bytes = max_bytes;
}

void zsync_repo_set_lint_off(struct zsync_repo *repo,
			     bool (*off)(const void *arg, const char *origin, const char *rule),
			     const void *arg)
{
	repo->lint_off = off;
	repo->lint_arg = arg;
}

bool zsync_tree_lint_off(const struct zsync_tree *tree, const char *origin, const char *rule)
{
	return tree->repo->lint_off && tree->repo->lint_off(tree->repo->lint_arg, origin, rule);
}

void zsync_tree_include_budget(const struct zsync_tree *tree, uint64_t *max_files,
			       uint64_t *max_bytes)
{
	*max_files = tree->repo->include_files;
	*max_bytes = tree->repo->include_bytes;
}

/*
 * The tree of folder dir ("" or "a/b/", with the slash), loaded once; NULL when there is
 * no such folder. Called with dirs_lock held; the result lives as long as t.
 */
static git_tree *tree_dir(struct zsync_tree *t, const char *dir)
{
	uintptr_t slot = (uintptr_t)zsync_strmap_get(&t->dirs, dir);
	git_tree *parent, *tree = NULL;
	size_t n = strlen(dir);

	if (slot)
		return t->dirv[slot - 1].tree;
	if (n == 0) {
		tree = t->tree;
	} else {
		/* the parent of "a/b/" is "a/": its own last component is "b" */
		char *copy = zsync_xstrdup(dir), *name;
		copy[n - 1] = '\0';
		name = strrchr(copy, '/');
		name = name ? name + 1 : copy;
		char saved = *name;
		*name = '\0';
		parent = tree_dir(t, copy);
		*name = saved;
		const git_tree_entry *e = parent ? git_tree_entry_byname(parent, name) : NULL;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&tree, git_tree_owner(t->tree), git_tree_entry_id(e)) < 0)
			tree = NULL;
		free(copy);
	}
	if (t->ndirs % 16 == 0)
		t->dirv = zsync_xrealloc(t->dirv, (t->ndirs + 16) * sizeof(*t->dirv));
	t->dirv[t->ndirs].path = zsync_xstrdup(dir);
	/* the top tree belongs to t itself: a copy keeps the free loop uniform */
	if (tree == t->tree && git_tree_dup(&tree, t->tree) < 0)
		tree = NULL;
	t->dirv[t->ndirs].tree = tree;
	t->ndirs++;
	/* the map holds index + 1 (never NULL); the index array may move, the map's keys not */
	zsync_strmap_put(&t->dirs, t->dirv[t->ndirs - 1].path, (void *)(uintptr_t)t->ndirs);
	return tree;
}

/* The entry for path in a commit's tree (owned by the cached folder tree), or NULL. */
static const git_tree_entry *tree_entry(struct zsync_tree *t, const char *path)
{
	const char *slash = strrchr(path, '/');
	const git_tree_entry *e = NULL;
	git_tree *dir;

	if (!*path || (slash && !slash[1]))
		return NULL;
	zsync_lock(&t->dirs_lock);
	if (slash) {
		char *d = zsync_xasprintf("%.*s", (int)(slash - path + 1), path);
		dir = tree_dir(t, d);
		free(d);
	} else {
		dir = tree_dir(t, "");
	}
	if (dir)
		e = git_tree_entry_byname(dir, slash ? slash + 1 : path);
	zsync_unlock(&t->dirs_lock);
	return e;
}

const char *zsync_tree_id(const struct zsync_tree *t)
{
	return t->id;
}

const char *zsync_tree_describe(const struct zsync_tree *t)
{
	return t->desc;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* "zones" and "zones/" both become "zones/"; "" and "." mean the top. */
static char *dir_prefix(const char *dir)
{
	if (!dir || !*dir || strcmp(dir, ".") == 0)
		return zsync_xstrdup("");
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return zsync_xasprintf("%.*s/", (int)n, dir);
}

struct walk_ctx {
	const char *prefix, *suffix;
	struct zsync_strlist *out;
};

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk_ctx *w = payload;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
		return 0;
	if (has_suffix(git_tree_entry_name(e), w->suffix))
		zsync_strlist_add_owned(w->out, zsync_xasprintf("%s%s%s", w->prefix, root,
								git_tree_entry_name(e)));
	return 0;
}

static int list_worktree(const char *abs, const char *rel, const char *suffix,
			 struct zsync_strlist *out, int depth)
{
	DIR *d = opendir(abs);
	struct dirent *de;

	if (!d || depth > 32)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;
		char *a, *r;
		if (de->d_name[0] == '.')
			continue;
		a = zsync_xasprintf("%s/%s", abs, de->d_name);
		r = zsync_xasprintf("%s%s", rel, de->d_name);
		if (lstat(a, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				char *rr = zsync_xasprintf("%s/", r);
				list_worktree(a, rr, suffix, out, depth + 1);
				free(rr);
			} else if (S_ISREG(st.st_mode) && has_suffix(de->d_name, suffix)) {
				zsync_strlist_add(out, r);
			}
		}
		free(a);
		free(r);
	}
	closedir(d);
	return 0;
}

int zsync_tree_list(struct zsync_tree *t, const char *dir, const char *suffix,
		    struct zsync_strlist *out, struct zsync_err *err)
{
	char *prefix = dir_prefix(dir);
	size_t before = out->n;
	int ret = 0;

	switch (t->kind) {
	case ZSYNC_TREE_COMMIT: {
		git_tree_entry *e = NULL;
		git_tree *sub = NULL;
		struct walk_ctx w = { prefix, suffix, out };
		if (!*prefix) {
			git_tree_walk(t->tree, GIT_TREEWALK_PRE, walk_cb, &w);
			break;
		}
		if (git_tree_entry_bypath(&e, t->tree, prefix) < 0)
			break; /* no such folder: no zones */
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&sub, git_tree_owner(t->tree), git_tree_entry_id(e)) == 0) {
			git_tree_walk(sub, GIT_TREEWALK_PRE, walk_cb, &w);
			git_tree_free(sub);
		}
		git_tree_entry_free(e);
		break;
	}
	case ZSYNC_TREE_INDEX: {
		size_t n = git_index_entrycount(t->index), pl = strlen(prefix);
		for (size_t i = 0; i < n; i++) {
			const git_index_entry *e = git_index_get_byindex(t->index, i);
			if (!e || git_index_entry_stage(e) != 0 || (e->mode & 0170000) != 0100000)
				continue;
			if (strncmp(e->path, prefix, pl) == 0 && has_suffix(e->path, suffix))
				zsync_strlist_add(out, e->path);
		}
		break;
	}
	case ZSYNC_TREE_WORKTREE: {
		char *abs = zsync_xasprintf("%s/%s", t->workdir, prefix);
		list_worktree(abs, prefix, suffix, out, 0);
		free(abs);
		break;
	}
	}
	free(prefix);
	/* sort only what this call added */
	struct zsync_strlist tail = { out->v + before, out->n - before, out->n - before };
	zsync_strlist_sort(&tail);
	(void)err;
	return ret;
}

static int read_blob(git_repository *git, const git_oid *id, const char *path,
		     struct zsync_file *out, struct zsync_err *err)
{
	git_blob *blob = NULL;
	git_object_size_t n;

	if (git_blob_lookup(&blob, git, id) < 0)
		return git_fail(err, ZSYNC_EIO, path);
	n = git_blob_rawsize(blob);
	if (n > MAX_FILE_SIZE) {
		git_blob_free(blob);
		return zsync_err_set(err, ZSYNC_EINVAL, "%s: file too large (%llu bytes)", path,
				     (unsigned long long)n);
	}
	out->data = git_blob_rawcontent(blob);
	out->len = (size_t)n;
	out->blob = blob;
	return 0;
}

static int read_worktree(struct zsync_tree *t, const char *path, struct zsync_file *out,
			 struct zsync_err *err)
{
	char *abs = zsync_xasprintf("%s/%s", t->workdir, path);
	struct stat st;
	int fd = -1, ret = 0;
	size_t got = 0;

	/* O_NOFOLLOW for the last component; each earlier one must be a real directory */
	if (lstat(abs, &st) < 0) {
		ret = errno == ENOENT ? ZSYNC_ENOTFOUND
				      : zsync_err_set(err, ZSYNC_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	{
		char *real = realpath(abs, NULL);
		size_t wl = strlen(t->workdir);
		bool inside = real && strncmp(real, t->workdir, wl) == 0 && real[wl] == '/';
		free(real);
		if (!inside) {
			ret = zsync_err_set(err, ZSYNC_EINVAL, "%s: resolves outside the repository",
					    path);
			goto out;
		}
	}
	if (st.st_size > (off_t)MAX_FILE_SIZE) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "%s: file too large", path);
		goto out;
	}
	fd = open(abs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = zsync_err_set(err, ZSYNC_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	out->heap = zsync_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, out->heap + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	out->heap[got] = '\0';
	out->data = out->heap;
	out->len = got;
out:
	if (fd >= 0)
		close(fd);
	free(abs);
	return ret;
}

int zsync_tree_file(struct zsync_tree *t, const char *path, struct zsync_file *out,
		    struct zsync_err *err)
{
	memset(out, 0, sizeof(*out));
	switch (t->kind) {
	case ZSYNC_TREE_COMMIT: {
		const git_tree_entry *e = tree_entry(t, path);
		if (!e)
			return ZSYNC_ENOTFOUND;
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
			return zsync_err_set(err, ZSYNC_EINVAL, "%s: not a file", path);
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
			return zsync_err_set(err, ZSYNC_EINVAL, "%s: is a symbolic link (refused)",
					     path);
		return read_blob(git_tree_owner(t->tree), git_tree_entry_id(e), path, out, err);
	}
	case ZSYNC_TREE_INDEX: {
		const git_index_entry *e = git_index_get_bypath(t->index, path, 0);
		if (!e)
			return ZSYNC_ENOTFOUND;
		if ((e->mode & 0170000) != 0100000)
			return zsync_err_set(err, ZSYNC_EINVAL, "%s: not a regular file (refused)",
					     path);
		return read_blob(t->repo->git, &e->id, path, out, err);
	}
	case ZSYNC_TREE_WORKTREE:
		return read_worktree(t, path, out, err);
	}
	return ZSYNC_EINVAL;
}

void zsync_file_release(struct zsync_file *f)
{
	git_blob_free(f->blob);
	free(f->heap);
	memset(f, 0, sizeof(*f));
}

int zsync_tree_read(void *tree, const char *path, char **buf, size_t *len, struct zsync_err *err)
{
	struct zsync_file f;
	int ret = zsync_tree_file(tree, path, &f, err);

	*buf = NULL;
	*len = 0;
	if (ret < 0)
		return ret;
	*buf = zsync_xmalloc(f.len + 1);
	memcpy(*buf, f.data, f.len);
	(*buf)[f.len] = '\0';
	*len = f.len;
	zsync_file_release(&f);
	return 0;
}

int zsync_repo_resolve(struct zsync_repo *repo, const char *ref, char out[41], struct zsync_err *err)
{
	git_object *obj = NULL, *commit = NULL;
	int ret = 0;

	if (git_revparse_single(&obj, repo->git, ref) < 0) {
		ret = git_fail(err, ZSYNC_ENOTFOUND, "cannot resolve ref");
		zsync_err_prefix(err, "ref '%s'", ref);
		goto out;
	}
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		ret = zsync_err_set(err, ZSYNC_EINVAL, "ref '%s' does not name a commit", ref);
		goto out;
	}
	git_oid_tostr(out, 41, git_object_id(commit));
out:
	git_object_free(commit);
	git_object_free(obj);
	return ret;
}

int zsync_repo_descends(struct zsync_repo *repo, const char *commit, const char *ancestor,
			struct zsync_err *err)
{
	git_oid c, a;
	git_commit *obj = NULL;
	int r;

	if (git_oid_fromstr(&c, commit) < 0 || git_oid_fromstr(&a, ancestor) < 0)
		return zsync_err_set(err, ZSYNC_EINVAL, "'%s' or '%s' is not a full commit id", commit, ancestor);
	if (git_oid_equal(&c, &a))
		return 1;
	/* a commit this repository does not have cannot be an ancestor of what it has */
	if (git_commit_lookup(&obj, repo->git, &a) < 0)
		return 0;
	git_commit_free(obj);
	r = git_graph_descendant_of(repo->git, &c, &a);
	if (r < 0)
		return git_fail(err, ZSYNC_EIO, "cannot walk the history");
	return r;
}

/* Credentials are the remote's business (ssh agent, URL, helper); zonesync holds none. */
int zsync_repo_fetch(struct zsync_repo *repo, const char *remote, const char *branch, char out[41],
		     struct zsync_err *err)
{
	git_remote *rm = NULL;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	char *spec = NULL, *local = NULL;
	bool named = git_remote_lookup(&rm, repo->git, remote) == 0;
	int ret = 0;

	if (!named && git_remote_create_anonymous(&rm, repo->git, remote) < 0) {
		ret = git_fail(err, ZSYNC_EINVAL, "not a remote of the repository nor a URL");
		goto out;
	}
	/* a named remote's tracking branch, as git fetch would update it; a URL gets our own ref */
	local = named ? zsync_xasprintf("refs/remotes/%s/%s", remote, branch)
		      : zsync_xasprintf("refs/zonesync/fetched/%s", branch);
	spec = zsync_xasprintf("+refs/heads/%s:%s", branch, local);
	git_strarray specs = { &spec, 1 };
	fo.update_fetchhead = 0;
	if (git_remote_fetch(rm, &specs, &fo, "zonesync: fetch") < 0) {
		ret = git_fail(err, ZSYNC_EIO, "fetch failed");
		goto out;
	}
	if (zsync_repo_resolve(repo, local, out, err) < 0) {
		ret = zsync_err_set(err, ZSYNC_ENOTFOUND, "the remote has no branch '%s'", branch);
		goto out;
	}
out:
	if (ret < 0)
		zsync_err_prefix(err, "fetching branch '%s' from '%s'", branch, remote);
	git_remote_free(rm);
	free(spec);
	free(local);
	return ret;
}

int zsync_repo_exclude(struct zsync_repo *repo, const char *path, struct zsync_err *err)
{
	const char *wd = git_repository_workdir(repo->git);
	char *real_wd = wd ? realpath(wd, NULL) : NULL, *dir = zsync_xstrdup(path), *slash, *real_dir = NULL;
	char *line = NULL, *excl = NULL, *have = NULL;
	size_t len = 0, wl;
	int ret = 0;
	FILE *f;

	/* the file may not exist yet: compare its folder's real path */
	slash = strrchr(dir, '/');
	if (!real_wd || !slash)
		goto out;
	*slash = '\0';
	real_dir = realpath(*dir ? dir : "/", NULL);
	wl = strlen(real_wd);
	if (!real_dir || strncmp(real_dir, real_wd, wl) != 0 || (real_dir[wl] != '/' && real_dir[wl] != '\0'))
		goto out; /* outside the work tree: nothing to keep out of git */
	line = zsync_xasprintf("/%s%s%s*\n", real_dir[wl] ? real_dir + wl + 1 : "", real_dir[wl] ? "/" : "",
			       slash + 1);
	excl = zsync_xasprintf("%sinfo/exclude", git_repository_path(repo->git));
	have = zsync_read_file(excl, 1u << 20, &len, &(struct zsync_err){ 0 });
	if (have && strstr(have, line))
		goto out;
	{
		char *info = zsync_xasprintf("%sinfo", git_repository_path(repo->git));
		mkdir(info, 0755);
		free(info);
	}
	if (!(f = fopen(excl, "a")) ||
	    fprintf(f, "%s# the zonesync state database (added by zonesync)\n%s", have && len && have[len - 1] != '\n' ? "\n" : "", line) < 0 ||
	    fclose(f) != 0)
		ret = zsync_err_set(err, ZSYNC_EIO, "%s: cannot add the state database to it: %s", excl, strerror(errno));
out:
	free(have);
	free(excl);
	free(line);
	free(real_dir);
	free(real_wd);
	free(dir);
	return ret;
}
