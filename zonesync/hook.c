/* hook.c - fork/exec of hooks and reload commands with captured output and a time limit */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_MAX (64 * 1024)

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool name_is(const char *var, const char *name)
{
	size_t l = strlen(name);
	return strncmp(var, name, l) == 0 && (var[l] == '=' || var[l] == '\0');
}

static bool in_list(const char *var, const struct zsync_strlist *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (name_is(var, l->v[i]))
			return true;
	return false;
}

bool zsync_hook_env_allowed(const char *var, const struct zsync_hook_env *policy)
{
	static const char *const allow[] = { "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG",
					     "LANGUAGE", "TZ", "TMPDIR", "TERM" };

	if (policy && in_list(var, policy->deny))
		return false;
	if (strncmp(var, "ZONESYNC_", 9) == 0 || strncmp(var, "LC_", 3) == 0)
		return true;
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		if (name_is(var, allow[i]))
			return true;
	return policy && in_list(var, policy->pass);
}

int zsync_hook_run(char *const argv[], char *const env[], const struct zsync_hook_env *policy,
		   const char *input, size_t input_len, int timeout_sec, struct zsync_hook_result *res,
		   struct zsync_err *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, exec_err[2] = { -1, -1 };
	size_t cap = 4096, len = 0, written = 0;
	pid_t pid;
	int status = 0, errnum = 0;
	char **free_envp = NULL;
	double deadline = now() + (timeout_sec > 0 ? timeout_sec : 60);

	memset(res, 0, sizeof(*res));
	res->status = -1;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(exec_err, O_CLOEXEC) < 0) {
		zsync_err_set(err, ZSYNC_EIO, "%s: cannot create pipes: %s", argv[0], strerror(errno));
		goto fail;
	}
	/* the environment is built before fork: after it, in a threaded process, only
	 * async-signal-safe calls are allowed (no malloc, no putenv) */
	size_t ne = 0, nx = 0;
	while (environ[ne])
		ne++;
	while (env && env[nx])
		nx++;
	char **envp = zsync_xcalloc(ne + nx + 1, sizeof(*envp));
	size_t k = 0;
	for (size_t i = 0; i < nx; i++)
		envp[k++] = env[i];
	for (size_t i = 0; i < ne; i++) {
		/* ours win over inherited variables of the same name */
		bool shadowed = false;
		for (size_t j = 0; j < nx && !shadowed; j++) {
			const char *eq = strchr(env[j], '=');
			size_t l = eq ? (size_t)(eq - env[j]) : strlen(env[j]);
			shadowed = strncmp(environ[i], env[j], l) == 0 && environ[i][l] == '=';
		}
		/* a hook is someone else's program: it gets no credential of ours */
		if (!shadowed && zsync_hook_env_allowed(environ[i], policy))
			envp[k++] = environ[i];
	}
	pid = fork();
	free_envp = envp;
	if (pid < 0) {
		zsync_err_set(err, ZSYNC_EIO, "%s: cannot fork: %s", argv[0], strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		signal(SIGPIPE, SIG_DFL);
		/* zonesync serve blocks SIGTERM/SIGHUP in its threads: a hook starts with none blocked */
		sigset_t none;
		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		execvpe(argv[0], argv, envp);
		errnum = errno;
		if (write(exec_err[1], &errnum, sizeof(errnum)) < 0)
			_exit(127);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(exec_err[1]);
	in[0] = out[1] = exec_err[1] = -1;
	if (read(exec_err[0], &errnum, sizeof(errnum)) == sizeof(errnum)) {
		waitpid(pid, NULL, 0);
		zsync_err_set(err, ZSYNC_EIO, "%s: cannot run: %s", argv[0], strerror(errnum));
		goto fail;
	}
	close(exec_err[0]);
	exec_err[0] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (!input || input_len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	res->output = zsync_xmalloc(cap);
	for (;;) {
		struct pollfd fds[2] = { { out[0], POLLIN, 0 }, { in[1], POLLOUT, 0 } };
		double left = deadline - now();
		if (left <= 0) {
			kill(pid, SIGKILL);
			res->timed_out = 1;
			break;
		}
		int r = poll(fds, in[1] >= 0 ? 2 : 1, (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			break;
		if (in[1] >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in[1], input + written, input_len - written);
			if (w > 0)
				written += (size_t)w;
			if (w < 0 && errno != EAGAIN) /* the command does not read its stdin: fine */
				written = input_len;
			if (written >= input_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[4096];
			ssize_t n = read(out[0], buf, sizeof(buf));
			if (n <= 0)
				break;
			if (len < OUTPUT_MAX) {
				size_t take = (size_t)n > OUTPUT_MAX - len ? OUTPUT_MAX - len : (size_t)n;
				if (len + take + 1 > cap) {
					cap = (len + take + 1) * 2;
					res->output = zsync_xrealloc(res->output, cap);
				}
				memcpy(res->output + len, buf, take);
				len += take;
			}
		}
	}
	res->output[len] = '\0';
	/* output closed: the command is ending; still bound the wait */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now() > deadline) {
			kill(pid, SIGKILL);
			res->timed_out = 1;
			waitpid(pid, &status, 0);
			break;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	for (int *fd = (int[]){ in[1], out[0] }, k = 0; k < 2; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	free(free_envp);
	return 0;
fail:
	for (int *fd = (int[]){ in[0], in[1], out[0], out[1], exec_err[0], exec_err[1] }, k = 0; k < 6; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	free(free_envp);
	return ZSYNC_EIO;
}

static char *expand(const char *arg, const char *zone, const char *file)
{
	size_t zl = strlen(zone), fl = file ? strlen(file) : 0, o = 0;
	/* each 6-character placeholder grows to at most max(zl, fl) characters */
	char *s = zsync_xmalloc(strlen(arg) * (zl > fl ? zl : fl) + strlen(arg) + 1);

	if (zl > 1 && zone[zl - 1] == '.')
		zl--;
	while (*arg) {
		if (strncmp(arg, "{zone}", 6) == 0) {
			memcpy(s + o, zone, zl);
			o += zl;
			arg += 6;
		} else if (file && strncmp(arg, "{file}", 6) == 0) {
			memcpy(s + o, file, strlen(file));
			o += strlen(file);
			arg += 6;
		} else {
			s[o++] = *arg++;
		}
	}
	s[o] = '\0';
	return s;
}

char **zsync_hook_argv(char *const argv[], const char *zone, const char *file)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **out = zsync_xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = expand(argv[i], zone, file);
	return out;
}

void zsync_hook_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
