/* cmd-hooks.c - `zonesync hooks install`: link zonesync's git hooks into a zone repository */
#include "cmd.h"
#include "repo.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_line[] = "zonesync hooks install {*}";

static void mkdir_hooks(struct zsync_repo *repo)
{
	char *d = zsync_xasprintf("%s/hooks", zsync_repo_gitdir(repo));
	mkdir(d, 0755); /* usually there already */
	free(d);
}

/*
 * The hooks of this installation: PREFIX/share/zonesync/hooks beside PREFIX/bin/zonesync,
 * so that every PREFIX (and a package unpacked anywhere) finds its own. NULL when the
 * binary is not in a bin/ folder with a share/zonesync/hooks/ beside it (a build tree).
 */
static char *installed_hooks(void)
{
	char exe[PATH_MAX], *slash, *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return NULL;
	*slash = '\0';
	dir = zsync_xasprintf("%s/../share/zonesync/hooks", exe);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return dir;
	free(dir);
	return NULL;
}

int cmd_hooks(int argc, char **argv, struct zsync_ctx *ctx)
{
	const char *repo_path = ".", *from = NULL;
	const struct zsync_opt opts[] = {
		{ 0, "repo", ZSYNC_OPT_STRING, &repo_path, "PATH", "the zone repository (default: the one around the current directory)" },
		{ 0, "from", ZSYNC_OPT_STRING, &from, "DIR", "where zonesync's hooks are (default: $ZONESYNC_HOOKS, else PREFIX/share/zonesync/hooks of this zonesync)" },
		{ 0 },
	};
	static const char *const names[] = { "pre-commit", "pre-push" };
	struct zsync_strlist pos = { 0 };
	struct zsync_repo *repo = NULL;
	struct zsync_err err = { 0 };
	char *found = NULL;
	int code = ZSYNC_EXIT_OK;

	if (zsync_cmd_options(ctx, usage_line, opts, argc, argv, &pos, &code))
		goto out;
	if (pos.n != 1 || strcmp(pos.v[0], "install") != 0) {
		fprintf(stderr, "usage: %s\n", ctx->usage);
		code = ZSYNC_EXIT_USAGE;
		goto out;
	}
	if (!from && getenv("ZONESYNC_HOOKS") && *getenv("ZONESYNC_HOOKS"))
		from = getenv("ZONESYNC_HOOKS");
	if (!from && !(from = found = installed_hooks())) {
		fprintf(stderr, "zonesync: no hooks folder beside this zonesync (PREFIX/share/zonesync/hooks "
				"for PREFIX/bin/zonesync): say where zonesync's hooks/ folder is with --from DIR "
				"or ZONESYNC_HOOKS=DIR\n");
		code = ZSYNC_EXIT_ERROR;
		goto out;
	}
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
			fprintf(stderr, "zonesync: %s: %s (--from DIR or ZONESYNC_HOOKS=DIR says where zonesync's hooks are)\n",
				src, strerror(errno));
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
	free(found);
	zsync_repo_close(repo);
	zsync_strlist_release(&pos);
	return code;
}
