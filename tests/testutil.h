/* testutil.h - small helpers shared by the Check test suites (temp dirs, files, shell) */
#ifndef ZSYNC_TESTUTIL_H
#define ZSYNC_TESTUTIL_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A fresh directory under $TMPDIR; removed by tu_rmtree(). Caller frees the string. */
static inline char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *p = NULL;
	if (asprintf(&p, "%s/zonesync-test-XXXXXX", base) < 0 || !mkdtemp(p))
		abort();
	return p;
}

static inline char *tu_vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

static inline char *tu_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = tu_vfmt(fmt, ap);
	va_end(ap);
	return s;
}

/* Runs a shell command; returns its exit status (or 128+signal). */
static inline int tu_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = tu_vfmt(fmt, ap);
	va_end(ap);
	int st = system(cmd);
	free(cmd);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs a shell command, returns its stdout (malloc'ed) and sets *status. */
static inline char *tu_sh_out(int *status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = tu_vfmt(fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	size_t cap = 4096, n = 0;
	char *out = malloc(cap);
	if (!f || !out)
		abort();
	for (;;) {
		size_t r = fread(out + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
		if (n + 1 >= cap)
			out = realloc(out, cap *= 2);
	}
	out[n] = '\0';
	int st = pclose(f);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	free(cmd);
	return out;
}

static inline void tu_write(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(content, f);
	fclose(f);
}

/* Whole file, NUL-terminated; NULL when it cannot be read. */
static inline char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	b[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

static inline void tu_rmtree(const char *dir)
{
	if (dir && strncmp(dir, "/tmp/", 5) == 0)
		tu_sh("rm -rf '%s'", dir);
}

/* Runs a suite with Check's normal output; returns the process exit status. */
static inline int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
