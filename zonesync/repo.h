/* repo.h - the git repository holding the zones: read them at a commit, the index or the work tree */
#ifndef ZSYNC_REPO_H
#define ZSYNC_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct zsync_repo;
struct zsync_tree;

enum zsync_tree_kind {
	ZSYNC_TREE_COMMIT,   /* a ref resolved to a commit */
	ZSYNC_TREE_INDEX,    /* the staged content (pre-commit hook) */
	ZSYNC_TREE_WORKTREE, /* the files on disk */
};

/* Opens the repository at path or the nearest one above it (bare or not). Free with zsync_repo_close(). */
int zsync_repo_open(struct zsync_repo **out, const char *path, struct zsync_err *err);
void zsync_repo_close(struct zsync_repo *repo);
/* The .git folder (or the bare repository itself), with a trailing slash. */
const char *zsync_repo_gitdir(const struct zsync_repo *repo);
/* The work tree (with a trailing slash), or NULL for a bare repository. */
const char *zsync_repo_workdir(const struct zsync_repo *repo);

/*
 * A read-only view of the repository's files. ref (branch, tag, full or short commit id,
 * HEAD, any revision git understands) is used for ZSYNC_TREE_COMMIT only.
 * Free with zsync_tree_free(); the tree must not outlive the repository.
 */
int zsync_repo_tree(struct zsync_tree **out, struct zsync_repo *repo, enum zsync_tree_kind kind,
		    const char *ref, struct zsync_err *err);
void zsync_tree_free(struct zsync_tree *tree);

/*
 * The total $INCLUDE budget of one zone read from the repository's trees ([repo]
 * max_include_files, max_include_bytes); 0 keeps zone.h's defaults.
 */
void zsync_repo_set_include_budget(struct zsync_repo *repo, uint64_t max_files,
				   uint64_t max_bytes);
/*
 * Whether lint rule `rule` is disabled for zone origin (the configuration's [defaults]
 * and [[zones]] lint_disable): off is asked, with arg, by zsync_tree_lint_off().
 */
void zsync_repo_set_lint_off(struct zsync_repo *repo,
			     bool (*off)(const void *arg, const char *origin, const char *rule),
			     const void *arg);
bool zsync_tree_lint_off(const struct zsync_tree *tree, const char *origin, const char *rule);
void zsync_tree_include_budget(const struct zsync_tree *tree, uint64_t *max_files,
			       uint64_t *max_bytes);

/* Full commit id for a commit tree, "index" or "worktree" otherwise. */
const char *zsync_tree_id(const struct zsync_tree *tree);
/* What the tree is, for messages: "commit 1a2b3c4 (HEAD)", "the index", "the work tree". */
const char *zsync_tree_describe(const struct zsync_tree *tree);

/*
 * Adds to out the repository-relative paths of the regular files below dir (recursively)
 * whose names end in suffix, sorted. A missing dir is not an error (nothing is added).
 */
int zsync_tree_list(struct zsync_tree *tree, const char *dir, const char *suffix,
		    struct zsync_strlist *out, struct zsync_err *err);

/* A file's content: borrowed from git, or read from disk. Release with zsync_file_release(). */
struct zsync_file {
	const char *data; /* not NUL-terminated */
	size_t len;
	void *blob;       /* owner of data for git content */
	char *heap;       /* owner of data for work-tree content */
};

/*
 * Opens one file (repository-relative, normalised path) without copying git content.
 * ZSYNC_ENOTFOUND when it does not exist; symbolic links are refused.
 */
int zsync_tree_file(struct zsync_tree *tree, const char *path, struct zsync_file *out,
		    struct zsync_err *err);
void zsync_file_release(struct zsync_file *file);

/*
 * Reads one file (repository-relative, normalised path) into a malloc'ed buffer with a
 * NUL after its end (not counted in len). ZSYNC_ENOTFOUND when it does not exist.
 * Symbolic links are refused: nothing outside the repository is ever read.
 * Matches zsync_read_fn so that $INCLUDE resolves inside the same tree.
 */
int zsync_tree_read(void *tree, const char *path, char **buf, size_t *len, struct zsync_err *err);

/*
 * When path (a file, which may not exist yet) lies inside the repository's work tree, adds
 * it (with a trailing *: its -wal, -shm and .lock files too) to .git/info/exclude, once,
 * so that `git add -A` never commits it. Nothing to do for a bare repository or a path
 * outside the work tree.
 */
int zsync_repo_exclude(struct zsync_repo *repo, const char *path, struct zsync_err *err);

/* The full commit id (40 hex digits and a NUL into out) that ref names. */
int zsync_repo_resolve(struct zsync_repo *repo, const char *ref, char out[41], struct zsync_err *err);

/*
 * Whether commit descends from (or is) ancestor, both full ids: 1 yes, 0 no (also when
 * the repository does not have ancestor: a commit it never saw), <0 error.
 */
int zsync_repo_descends(struct zsync_repo *repo, const char *commit, const char *ancestor,
			struct zsync_err *err);

/*
 * Fetches branch from remote (a remote's name in the repository, or a URL/path) and
 * puts the id of the fetched head into out. A named remote's tracking branch
 * (refs/remotes/NAME/BRANCH) is updated; for a URL, refs/zonesync/fetched/BRANCH.
 * The work tree is never touched. Errors say what and where (never a credential).
 */
int zsync_repo_fetch(struct zsync_repo *repo, const char *remote, const char *branch, char out[41],
		     struct zsync_err *err);

#endif
