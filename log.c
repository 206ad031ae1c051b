/*
 * log.c - cgid's log: access lines, errors and scripts' stderr, one line
 * per event, written with one writev(2) so that the lines of concurrent
 * processes never interleave.
 *
 * Under inetd or systemd's StandardInput=socket, fd 2 may be the client's
 * socket: a diagnostic must never reach the wire.  So stderr is used only
 * when it is not an internet socket (the journal's stream is a Unix
 * socket); otherwise the log goes to syslog.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cgid.h"
#include "conn.h"
#include "http.h"

static enum log_dest dest = LOG_TO_SYSLOG;
static int log_fd = -1;
static const char *log_path;      /* --log FILE */

/* Is fd 2 safe to write diagnostics to? */
static int
stderr_is_safe(int client_fd)
{
	struct stat st, cs;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (fstat(2, &st) < 0)
		return 0;
	if (client_fd >= 0 && fstat(client_fd, &cs) == 0 &&
	    st.st_dev == cs.st_dev && st.st_ino == cs.st_ino)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return 1;
	if (getsockname(2, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return ss.ss_family == AF_UNIX;
}

/* --log FILE, appended to */
static int
open_log_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_stderr_ok(void)
{
	static int ok = -1;

	if (ok < 0)
		ok = stderr_is_safe(-1);
	return ok;
}

int
log_open(const char *spec, int client_fd)
{
	/* "stderr" too: never the client's socket */
	if (spec == NULL || strcmp(spec, "stderr") == 0) {
		dest = stderr_is_safe(client_fd) ? LOG_TO_STDERR : LOG_TO_SYSLOG;
	} else if (strcmp(spec, "syslog") == 0) {
		dest = LOG_TO_SYSLOG;
	} else if (strcmp(spec, "none") == 0 || strcmp(spec, "/dev/null") == 0) {
		dest = LOG_TO_NONE;
	} else {
		log_fd = open_log_file(spec);
		if (log_fd < 0)
			return -1;
		dest = LOG_TO_FILE;
		log_path = spec;
	}
	if (dest == LOG_TO_STDERR)
		log_fd = 2;
	else if (dest == LOG_TO_SYSLOG)
		openlog("cgid", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

void
log_reopen(void)
{
	int fd;

	if (dest != LOG_TO_FILE)
		return;
	fd = open_log_file(log_path);
	if (fd < 0 || dup2(fd, log_fd) < 0)
		log_error("cannot reopen log %s: %s", log_path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

size_t
log_date(time_t t, int clf, char *buf)
{
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	                                   "Jun", "Jul", "Aug", "Sep", "Oct",
	                                   "Nov", "Dec"};
	struct tm tm;

	/* no strftime or gmtime_r: they would load the time zone */
	http_gmtime(t, &tm);
	if (clf)
		return (size_t)snprintf(buf, 32, "%02d/%s/%04d:%02d:%02d:%02d +0000",
		                        tm.tm_mday, months[tm.tm_mon % 12],
		                        tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		                        tm.tm_sec);
	return (size_t)snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ ",
	                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                        tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Replace control bytes so that one event stays one greppable line. */
static void
sanitize(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
}

static void
emit(int prio, const char *kind, const char *body, size_t len)
{
	char pre[128];
	size_t n = 0;

	if (dest == LOG_TO_NONE)
		return;
	if (dest == LOG_TO_SYSLOG) {
		syslog(prio, "%s%.*s", kind, (int)len, body);
		return;
	}
	if (kind[0] != '\0' || prio != LOG_INFO) {
		if (dest == LOG_TO_FILE)
			n = log_date(now_s(), 0, pre);
		n += (size_t)snprintf(pre + n, 64, "cgid[%ld]: %s", (long)getpid(),
		                      kind);
	}
	/* the line whole, in one system call, without a copy */
	struct iovec v[3] = {{pre, n}, {(void *)body, len}, {"\n", 1}};
	while (writev(log_fd, v, 3) < 0 && errno == EINTR)
		;
}

static void vlog(int prio, const char *kind, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
vlog(int prio, const char *kind, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	sanitize(buf, (size_t)n);
	emit(prio, kind, buf, (size_t)n);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_NOTICE, "", fmt, ap);
	va_end(ap);
}

void
log_script(const char *script, const char *text, size_t len)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf, "%s: ", script);

	if (n < 0 || (size_t)n >= sizeof buf)
		return;
	if (len > sizeof buf - (size_t)n)
		len = sizeof buf - (size_t)n;
	memcpy(buf + n, text, len);
	sanitize(buf, (size_t)n + len);
	emit(LOG_WARNING, "", buf, (size_t)n + len);
}

int
log_enabled(void)
{
	return dest != LOG_TO_NONE;
}

/* A quoted field of the access log: '"' and '\\' escaped as \" and \\,
 * control bytes as '?', so that no client can forge a field; "-" when
 * empty.  Returns the new length of line. */
static size_t
quoted(char *line, size_t len, size_t size, const char *s, size_t n)
{
	size_t i;

	if (len + 3 >= size)
		return len;
	line[len++] = '"';
	if (s == NULL || n == 0)
		line[len++] = '-';
	for (i = 0; s != NULL && i < n && len + 4 < size; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			line[len++] = '\\';
		line[len++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	line[len++] = '"';
	line[len] = '\0';
	return len;
}

void
log_access(const char *addr, const char *rl, size_t rl_len, int status,
           long long bytes, const char *ref, size_t ref_len,
           const char *ua, size_t ua_len, long long us)
{
	char line[4096], when[32];
	size_t len;

	log_date(now_s(), 1, when);
	len = (size_t)snprintf(line, sizeof line, "%.64s - - [%s] ", addr, when);
	sanitize(line, len);
	len = quoted(line, len, sizeof line - 64, rl, rl_len);
	len += (size_t)snprintf(line + len, sizeof line - len, " %d %lld ",
	                        status, bytes);
	len = quoted(line, len, sizeof line - 40, ref, ref_len);
	line[len++] = ' ';
	len = quoted(line, len, sizeof line - 32, ua, ua_len);
	len += (size_t)snprintf(line + len, sizeof line - len, " %lld", us);
	emit(LOG_INFO, "", line, len);
}
