/* cmd-hooks.c - `zonesync hooks install`: link zonesync's git hooks into a zone repository */
#include "cmd.h"
#include "repo.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_line[] = "zonesync hooks install [--repo PATH] [--from DIR]";

static void mkdir_hooks(struct zsync_repo *repo)
{
	char *d = zsync_xasprintf("%s/hooks", zsync_repo_gitdir(repo));
	mkdir(d, 0755); /* usually there already */
	free(d);
}

int cmd_hooks(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *repo_path = ".", *from = NULL;
	const struct zsync_opt opts[] = {
		{ 0, "repo", ZSYNC_OPT_STRING, &repo_path, "PATH", "the zone repository (default: the one around the current directory)" },
		{ 0, "from", ZSYNC_OPT_STRING, &from, "DIR", "where zonesync's hooks/ folder is (default: $ZONESYNC_HOOKS, else /usr/local/share/zonesync/hooks)" },
		{ 0 },
	};
	static const char *const names[] = { "pre-commit", "pre-push" };
	struct zsync_strlist pos = { 0 };
	struct zsync_repo *repo = NULL;
	struct zsync_err err = { 0 };
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	if (pos.n != 1 || strcmp(pos.v[0], "install") != 0) {
		fprintf(stderr, "usage: %s\n", usage_line);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	if (!from)
		from = getenv("ZONESYNC_HOOKS") ? getenv("ZONESYNC_HOOKS") : "/usr/local/share/zonesync/hooks";
	if (zsync_repo_open(&repo, repo_path, &err) < 0) {
		fprintf(stderr, "zonesync: %s\n", err.msg);
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < 2; i++) {
		char *src = zsync_xasprintf("%s/%s", from, names[i]), *real = realpath(src, NULL);
		char *dst = zsync_xasprintf("%s/hooks/%s", zsync_repo_gitdir(repo), names[i]);
		struct stat st;
		if (!real) {
			fprintf(stderr, "zonesync: %s: %s\n", src, strerror(errno));
			code = ZSYNC_EXIT_ERROR;
		} else if (lstat(dst, &st) == 0) {
			char cur[PATH_MAX];
			ssize_t n = readlink(dst, cur, sizeof(cur) - 1);
			if (n > 0 && (cur[n] = '\0', strcmp(cur, real) == 0)) {
				if (!ctx->quiet)
					printf("%s: already installed\n", names[i]);
			} else {
				/* never clobber a hook the user already has */
				fprintf(stderr, "zonesync: %s exists and is not zonesync's: left alone (call %s from it)\n",
					dst, real);
				code = ZSYNC_EXIT_ERROR;
			}
		} else if (mkdir_hooks(repo), symlink(real, dst) < 0) {
			fprintf(stderr, "zonesync: %s: %s\n", dst, strerror(errno));
			code = ZSYNC_EXIT_ERROR;
		} else if (!ctx->quiet) {
			printf("%s -> %s\n", dst, real);
		}
		free(src);
		free(real);
		free(dst);
	}
out:
	zsync_repo_close(repo);
	zsync_strlist_release(&pos);
	return code;
}
