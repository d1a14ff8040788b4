/* serve-log.c - zonesync serve's log: logfmt lines on stderr, the runs' own output included */
#include "serve.h"
#include "thread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t zsync_serve_logfmt_value(char *buf, size_t len, size_t used, const char *v)
{
	bool quote = !*v;

	for (const char *p = v; *p && !quote; p++)
		quote = *p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x7f;
	/* room for the worst escape and the closing quote */
	if (used + 8 >= len)
		return used;
	if (!quote) {
		int n = snprintf(buf + used, len - used, "%s", v);
		return n < 0 ? used : used + (size_t)n >= len ? len - 1 : used + (size_t)n;
	}
	buf[used++] = '"';
	for (const unsigned char *p = (const unsigned char *)v; *p && used + 8 < len; p++) {
		if (*p == '"' || *p == '\\') {
			buf[used++] = '\\';
			buf[used++] = (char)*p;
		} else if (*p == '\n') {
			buf[used++] = '\\';
			buf[used++] = 'n';
		} else if (*p == '\t') {
			buf[used++] = '\\';
			buf[used++] = 't';
		} else if (*p < ' ' || *p == 0x7f) {
			used += (size_t)snprintf(buf + used, len - used, "\\x%02x", *p);
		} else {
			buf[used++] = (char)*p; /* UTF-8 passes as it is */
		}
	}
	buf[used++] = '"';
	buf[used] = '\0';
	return used;
}

static size_t add_key(char *buf, size_t len, size_t used, const char *k, const char *v)
{
	if (used + strlen(k) + 3 >= len)
		return used;
	used += (size_t)snprintf(buf + used, len - used, " %s=", k);
	return zsync_serve_logfmt_value(buf, len, used, v);
}

static void write_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

static void vlog(struct zsync_serve *s, const char *level, const char *msg, va_list ap)
{
	char buf[8192], ts[32];
	struct timespec now;
	struct tm tm;
	size_t used;
	const char *k;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	used = (size_t)snprintf(buf, sizeof(buf), "time=%s.%03ldZ level=%s msg=", ts, now.tv_nsec / 1000000, level);
	used = zsync_serve_logfmt_value(buf, sizeof(buf) - 1, used, msg);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		if (v) /* a value left out: the key is not said */
			used = add_key(buf, sizeof(buf) - 1, used, k, v);
	}
	buf[used++] = '\n';
	write_all(s->log_fd, buf, used);
}

void zsync_serve_log(struct zsync_serve *s, const char *level, const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	vlog(s, level, msg, ap);
	va_end(ap);
}

/* One line of a run's output: "zonesync: " prefixes say nothing in a log that is all zonesync. */
static void engine_line(struct zsync_serve *s, char *line)
{
	const char *level = "info";
	if (!strncmp(line, "zonesync: ", 10))
		line += 10;
	if (!*line)
		return;
	if (strstr(line, "error") || strstr(line, "failed") || strstr(line, "cannot"))
		level = "warn";
	zsync_serve_log(s, level, line, "src", "engine", NULL);
}

static void *capture_main(void *arg)
{
	struct zsync_serve *s = arg;
	char buf[4096];
	size_t used = 0;

	for (;;) {
		ssize_t n = read(s->capture_fd, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', used - (size_t)(start - buf)))) {
			*nl = '\0';
			engine_line(s, start);
			start = nl + 1;
		}
		used -= (size_t)(start - buf);
		memmove(buf, start, used);
		if (used == sizeof(buf) - 1) { /* a very long line: in pieces */
			buf[used] = '\0';
			engine_line(s, buf);
			used = 0;
		}
	}
	if (used) {
		buf[used] = '\0';
		engine_line(s, buf);
	}
	return NULL;
}

int zsync_serve_capture_start(struct zsync_serve *s)
{
	int p[2];

	s->log_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3); /* hooks get the pipe, not this */
	if (s->log_fd < 0 || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	if (dup2(p[1], STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	s->capture_fd = p[0];
	if (!zsync_thread_start(&s->capture, capture_main, s)) {
		/* no reader: put the real stderr back, or every line (this one too) fills a pipe nobody drains */
		dup2(s->log_fd, STDOUT_FILENO);
		dup2(s->log_fd, STDERR_FILENO);
		close(s->capture_fd);
		return -1;
	}
	return 0;
}

void zsync_serve_capture_stop(struct zsync_serve *s)
{
	fflush(stdout);
	fflush(stderr);
	/* the pipe ends when nothing holds its write end: put the real stderr back on both */
	dup2(s->log_fd, STDOUT_FILENO);
	dup2(s->log_fd, STDERR_FILENO);
	zsync_thread_join(s->capture);
	close(s->capture_fd);
}
