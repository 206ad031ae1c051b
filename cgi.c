/*
 * cgi.c - the CGI/1.1 engine (RFC 3875).
 *
 *   cgi_selected     which files are programs (--cgi-dir, --cgi-ext)
 *   env_*            the environment, built from scratch (§4.1)
 *   cgi_parse_head   the script's header block (§6.2, §6.3), pure
 *   cgi_run          spawn the script and relay body and output
 *
 * The child's order is fixed: new session (so the whole process group can
 * be killed), dup2 onto 0/1/2, close the rest, chdir to the script's
 * directory, execve, _exit(127).  The parent relays with one poll loop:
 * request body to the script's stdin, its stdout to the front end, its
 * stderr to the log line by line, and watches the clock and the child.
 * Nothing of the script's output is sent before its whole header block
 * has been read and validated.  Output already framed for the front end
 * is still sent when the script is stopped (unless the front end is the
 * reason), so that a front end with several requests per connection
 * (FastCGI) keeps its stream whole.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgi.h"
#include "conn.h"
#include "file.h"

void
env_init(struct env *e)
{
	e->n = 0;
	e->used = 0;
	e->overflow = 0;
	e->configured = e->skipped = 0;
	e->vars[0] = NULL;
}

/* Does an --env option name this variable? */
static int
set_by_option(const char *name, size_t nl)
{
	int i;

	for (i = 0; i < cfg.n_extra_env; i++)
		if (strncmp(cfg.extra_env[i], name, nl) == 0 &&
		    cfg.extra_env[i][nl] == '=')
			return 1;
	return 0;
}

void
env_add(struct env *e, const char *name, const char *value, size_t vlen)
{
	size_t nl = strlen(name);
	char *p;

	/* a variable --env sets is the option's alone (one entry: shells
	 * and other languages would take different ones of two) */
	e->skipped = e->configured && set_by_option(name, nl);
	if (e->skipped)
		return;
	if (e->n == MAX_ENV || e->used + nl + vlen + 2 > sizeof e->buf) {
		e->overflow = 1;
		return;
	}
	p = e->buf + e->used;
	memcpy(p, name, nl);
	p[nl] = '=';
	memcpy(p + nl + 1, value, vlen);
	p[nl + 1 + vlen] = '\0';
	e->used += nl + vlen + 2;
	e->vars[e->n++] = p;
	e->vars[e->n] = NULL;
}

void
env_join(struct env *e, const char *value, size_t vlen)
{
	char *end;

	if (e->skipped)
		return;
	if (e->n == 0 || e->used + 2 + vlen > sizeof e->buf) {
		e->overflow = 1;
		return;
	}
	end = e->buf + e->used - 1; /* the last entry's '\0' */
	/* RFC 9110 §5.3; Cookie's own separator, RFC 6265 §5.4 */
	memcpy(end, strncmp(e->vars[e->n - 1], "HTTP_COOKIE=", 12) ? ", " : "; ",
	       2);
	memcpy(end + 2, value, vlen);
	end[2 + vlen] = '\0';
	e->used += 2 + vlen;
}

void
env_adds(struct env *e, const char *name, const char *value)
{
	env_add(e, name, value, strlen(value));
}

void
env_add_config(struct env *e)
{
	int i, has_path = 0;

	env_adds(e, "GATEWAY_INTERFACE", "CGI/1.1");      /* §4.1.4 */
	env_adds(e, "SERVER_SOFTWARE", SERVER_SOFTWARE);  /* §4.1.17 */
	for (i = 0; i < cfg.n_extra_env; i++) {
		const char *eq = strchr(cfg.extra_env[i], '=');
		char name[MAX_ENV_NAME];
		size_t nl = (size_t)(eq - cfg.extra_env[i]);
		if (nl >= sizeof name)
			continue;
		memcpy(name, cfg.extra_env[i], nl);
		name[nl] = '\0';
		if (strcmp(name, "PATH") == 0)
			has_path = 1;
		env_adds(e, name, eq + 1);
	}
	if (!has_path)
		env_adds(e, "PATH", SAFE_PATH);
	e->configured = 1;
}

/*
 * §4.1.18: each request header as HTTP_NAME, upper case, '-' as '_'.
 * Repeated fields are joined with ", " (Cookie with "; ").  Not exported:
 * Content-Length and Content-Type (their own variables), Transfer-Encoding
 * (the body a script reads is decoded, §4.2), Authorization
 * and Proxy-Authorization (credentials stay with the server), Proxy
 * (httpoxy: it would become HTTP_PROXY), and names holding '_', which
 * could pose as another name.
 */
static void
env_add_headers(struct env *e, const struct request *req)
{
	char name[5 + MAX_ENV_HEADER_NAME + 1];
	size_t i, j, k;

	for (i = 0; i < req->nheaders; i++) {
		const struct header *h = &req->headers[i];
		int seen = 0;
		if (h->name_len > MAX_ENV_HEADER_NAME ||
		    memchr(h->name, '_', h->name_len) ||
		    (h->name_len == 14 && strncasecmp(h->name, "Content-Length", 14) == 0) ||
		    (h->name_len == 12 && strncasecmp(h->name, "Content-Type", 12) == 0) ||
		    (!cfg.pass_auth && h->name_len == 13 &&
		     strncasecmp(h->name, "Authorization", 13) == 0) ||
		    (h->name_len == 5 && strncasecmp(h->name, "Proxy", 5) == 0) ||
		    (h->name_len == 17 &&
		     strncasecmp(h->name, "Transfer-Encoding", 17) == 0) ||
		    (h->name_len == 19 &&
		     strncasecmp(h->name, "Proxy-Authorization", 19) == 0))
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = req->headers[j].name_len == h->name_len &&
			       strncasecmp(req->headers[j].name, h->name,
			                   h->name_len) == 0;
		if (seen)
			continue; /* joined with its first occurrence */
		memcpy(name, "HTTP_", 5);
		for (k = 0; k < h->name_len; k++) {
			char ch = h->name[k];
			name[5 + k] = ch == '-' ? '_' : (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
		}
		name[5 + k] = '\0';
		/* RFC 9112 §3.2.2: with an absolute-form target the
		 * authority stands for Host, which is ignored (host_s). */
		if (h->name_len == 4 && strncasecmp(h->name, "Host", 4) == 0)
			env_add(e, name, req->host_s, req->host_len);
		else
			env_add(e, name, h->value, h->value_len);
		for (j = i + 1; j < req->nheaders && !e->overflow; j++) {
			const struct header *r = &req->headers[j];
			if (r->name_len == h->name_len &&
			    strncasecmp(r->name, h->name, h->name_len) == 0)
				env_join(e, r->value, r->value_len);
		}
	}
}

void
cgi_env_http(struct env *e, const struct request *req, const struct conn *c,
             const struct target *t)
{
	const struct header *h;
	char buf[2 * MAX_PATH + 16];
	const char *host = req->host_s;
	size_t host_len = req->host_len;

	env_init(e);
	env_add_config(e);
	env_adds(e, "SERVER_PROTOCOL", req->minor ? "HTTP/1.1" : "HTTP/1.0");
	env_add(e, "REQUEST_METHOD", req->method_s, req->method_len);
	env_add(e, "REQUEST_URI", req->target, req->target_len);
	/* §4.1.7: QUERY_STRING is set, even empty, and never decoded. */
	env_add(e, "QUERY_STRING", req->query ? req->query : "", req->query_len);
	/* §4.1.13, §4.1.5: SCRIPT_NAME and the decoded PATH_INFO. */
	env_add(e, "SCRIPT_NAME", req->path, t->script_len);
	if (t->path_info[0] != '\0') {
		env_adds(e, "PATH_INFO", t->path_info);
		/* §4.1.6: PATH_TRANSLATED maps PATH_INFO onto the root. */
		snprintf(buf, sizeof buf, "%s%s", cfg.root_real, t->path_info);
		env_adds(e, "PATH_TRANSLATED", buf);
	}
	snprintf(buf, sizeof buf, "%s/%s", cfg.root_real, t->rel);
	env_adds(e, "SCRIPT_FILENAME", buf);
	env_adds(e, "DOCUMENT_ROOT", cfg.root_real);
	/* §4.1.14: SERVER_NAME from Host without its port, else (none, or
	 * an empty name: RFC 9112 §3.2) our address. */
	if (host != NULL) {
		const char *colon = NULL;
		size_t i;
		for (i = 0; i < host_len; i++)
			if (host[i] == ':')
				colon = host + i;
			else if (host[i] == ']')
				colon = NULL;
		if (colon != NULL)
			host_len = (size_t)(colon - host);
	}
	if (host != NULL && host_len > 0) {
		env_add(e, "SERVER_NAME", host, host_len);
	} else if (strchr(c->ep.local_addr, ':') != NULL) {
		/* §4.1.14: an IPv6 address in brackets, as in a URI */
		char v6[sizeof c->ep.local_addr + 2];
		int n = snprintf(v6, sizeof v6, "[%s]", c->ep.local_addr);
		env_add(e, "SERVER_NAME", v6, (size_t)n);
	} else {
		env_adds(e, "SERVER_NAME", c->ep.local_addr);
	}
	env_adds(e, "SERVER_ADDR", c->ep.local_addr);
	env_adds(e, "SERVER_PORT", c->ep.local_port);
	env_adds(e, "REMOTE_ADDR", c->ep.remote_addr);
	/* §4.1.9: no name lookup is made, so REMOTE_HOST is the address. */
	env_adds(e, "REMOTE_HOST", c->ep.remote_addr);
	env_adds(e, "REMOTE_PORT", c->ep.remote_port);
	env_adds(e, "REQUEST_SCHEME", cfg.https ? "https" : "http");
	if (cfg.https)
		env_adds(e, "HTTPS", "on");
	/* §4.1.1: cgid authenticates nobody, so AUTH_TYPE is the scheme the
	 * client sent, and only when credentials are passed on at all;
	 * REMOTE_USER (§4.1.11) is never set. */
	if (cfg.pass_auth && (h = http_header(req, "Authorization", NULL))) {
		size_t sl = 0;
		while (sl < h->value_len && h->value[sl] != ' ')
			sl++;
		env_add(e, "AUTH_TYPE", h->value, sl);
	}
	/* php-cgi refuses to run without it (its force-redirect guard). */
	env_adds(e, "REDIRECT_STATUS", "200");
	/* §4.1.2: only when the request has a body. */
	if (req->content_length >= 0) {
		snprintf(buf, sizeof buf, "%lld", req->content_length);
		env_adds(e, "CONTENT_LENGTH", buf);
	}
	/* §4.1.3: "The server MUST set this meta-variable if an HTTP
	 * Content-Type field is present", with a body or without; but not
	 * for the GET a local redirect makes (-2), whose request it is
	 * not. */
	if (req->content_length != -2 &&
	    (h = http_header(req, "Content-Type", NULL)) != NULL)
		env_add(e, "CONTENT_TYPE", h->value, h->value_len);
	env_add_headers(e, req);
}

const char *
cgi_interpreter(const char *name, size_t len)
{
	int i;
	size_t n;

	for (i = 0; i < cfg.n_interp; i++) {
		n = strlen(cfg.interp[i].ext);
		if (len > n && strncmp(name + len - n, cfg.interp[i].ext, n) == 0)
			return cfg.interp[i].path;
	}
	return NULL;
}

int
cgi_permitted(const struct stat *st, int interpreted, const char **why)
{
	/* A program runs only when it is executable (or has an interpreter)
	 * and only its owner may change it: a group- or world-writable one
	 * could be anybody's code. */
	if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		return S_FORBIDDEN;
	}
	if (!interpreted && !(st->st_mode & S_IXUSR)) {
		*why = "not executable";
		return S_FORBIDDEN;
	}
	if (!cfg.allow_writable && (st->st_mode & (S_IWGRP | S_IWOTH))) {
		*why = "group or world writable";
		return S_FORBIDDEN;
	}
	/* it would run as root whoever runs it */
	if ((st->st_mode & S_ISUID) && st->st_uid == 0 && !cfg.allow_root) {
		*why = "setuid root";
		return S_FORBIDDEN;
	}
	/* decided here, before a 100 Continue invites the body (the
	 * effective uid by getresuid(2), which --user's check imports
	 * anyway) */
	uid_t ruid, euid, suid;
	if (getresuid(&ruid, &euid, &suid) == 0 && euid == 0 && !cfg.allow_root) {
		*why = "refusing to run a script as root (use --user, or "
		       "--allow-root)";
		return S_INTERNAL_SERVER_ERROR;
	}
	return 0;
}

int
cgi_selected(const char *urlpath, size_t len)
{
	int i;
	size_t n;

	if (cgi_interpreter(urlpath, len) != NULL)
		return 1;
	for (i = 0; i < cfg.n_cgi_dirs; i++) {
		n = strlen(cfg.cgi_dirs[i]);
		if (len > n && strncmp(urlpath, cfg.cgi_dirs[i], n) == 0)
			return 1;
	}
	for (i = 0; i < cfg.n_cgi_exts; i++) {
		n = strlen(cfg.cgi_exts[i]);
		if (len > n && strncmp(urlpath + len - n, cfg.cgi_exts[i], n) == 0)
			return 1;
	}
	return 0;
}

static int
head_fail(struct cgi_head *h, const char *why)
{
	h->reason_bad = why;
	return -1;
}

static int
field_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/*
 * RFC 3875 §6.2: CGI-Response = document-response | local-redir-response
 * | client-redir-response | client-redirdoc-response, each a header block
 * ended by an empty line.  Lines end in LF or CRLF (§6.3: "NL").
 */
int
cgi_parse_head(const char *buf, size_t len, struct cgi_head *h)
{
	const char *p = buf, *end = buf + len, *nl, *eol, *colon, *v, *ve;

	memset(h, 0, sizeof *h);
	h->content_length = -1;
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			if (len >= MAX_CGI_HEAD)
				return head_fail(h, "header block too large");
			return -2;
		}
		eol = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (eol == p) {
			if (p == buf)
				return head_fail(h, "empty header block");
			break;
		}
		if ((size_t)(nl + 1 - buf) > MAX_CGI_HEAD)
			return head_fail(h, "header block too large");
		for (colon = p; colon < eol && http_is_tchar((unsigned char)*colon);
		     colon++)
			;
		if (colon == p || colon == eol || *colon != ':')
			return head_fail(h, "malformed header line");
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		for (const char *q = v; q < ve; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				return head_fail(h, "control character in header");
		if (field_is(p, (size_t)(colon - p), "Status")) {
			/* §6.3.3: Status = 3digit SP reason-phrase */
			if (h->status != 0)
				return head_fail(h, "more than one Status");
			if (ve - v < 3 || v[0] < '1' || v[0] > '5' || v[1] < '0' ||
			    v[1] > '9' || v[2] < '0' || v[2] > '9' ||
			    (ve - v > 3 && v[3] != ' '))
				return head_fail(h, "invalid Status");
			h->status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
			/* a script answers once: no interim (1xx) responses */
			if (h->status < 200)
				return head_fail(h, "informational Status");
			h->reason = ve - v > 4 ? v + 4 : NULL;
			h->reason_len = ve - v > 4 ? (size_t)(ve - v - 4) : 0;
		} else if (field_is(p, (size_t)(colon - p), "Location")) {
			if (h->location != NULL)
				return head_fail(h, "more than one Location");
			if (ve == v)
				return head_fail(h, "empty Location");
			h->location = v;
			h->location_len = (size_t)(ve - v);
		} else if (field_is(p, (size_t)(colon - p), "Content-Type")) {
			if (h->content_type != NULL)
				return head_fail(h, "more than one Content-Type");
			/* §6.3.1: a media-type (RFC 9110 §8.3.1), never empty */
			if (ve == v)
				return head_fail(h, "empty Content-Type");
			h->content_type = v;
			h->content_type_len = (size_t)(ve - v);
		} else if (field_is(p, (size_t)(colon - p), "Content-Length")) {
			long long n = 0;
			if (h->content_length >= 0 || ve == v)
				return head_fail(h, "invalid Content-Length");
			for (const char *q = v; q < ve; q++) {
				if (*q < '0' || *q > '9' || n > (LLONG_MAX - 9) / 10)
					return head_fail(h, "invalid Content-Length");
				n = n * 10 + (*q - '0');
			}
			h->content_length = n;
		} else {
			if (h->nfields == MAX_CGI_HEADERS)
				return head_fail(h, "too many header fields");
			h->fields[h->nfields].name = p;
			h->fields[h->nfields].name_len = (size_t)(colon - p);
			h->fields[h->nfields].value = v;
			h->fields[h->nfields].value_len = (size_t)(ve - v);
			h->nfields++;
		}
		p = nl + 1;
	}
	/* §6.2: a response needs Content-Type, Location or Status. */
	if (h->status == 0 && h->location == NULL && h->content_type == NULL)
		return head_fail(h, "no Content-Type, Location or Status");
	return (int)(nl + 1 - buf);
}

int
cgi_hop_by_hop(const struct header *h)
{
	/* RFC 9110 §7.6.1: they describe a connection, not a response */
	static const char names[][18] = {
		"Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer",
		"Upgrade", "Proxy-Connection",
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == h->name_len &&
		    strncasecmp(h->name, names[i], h->name_len) == 0)
			return 1;
	return 0;
}

int
cgi_local_redirect(const struct cgi_head *h, char *dst)
{
	/* §6.2.2: a Location holding an absolute path, and nothing else.
	 * A fragment is the client's to resolve (RFC 3986 §3.5), so a path
	 * with one goes to the client as a redirect. */
	if (h->location == NULL || h->location[0] != '/' ||
	    (h->location_len >= 2 && h->location[1] == '/') || h->status != 0 ||
	    memchr(h->location, '#', h->location_len) != NULL ||
	    h->content_type != NULL || h->nfields != 0 || h->content_length >= 0)
		return 0;
	if (h->location_len >= MAX_PATH) {
		log_error("local redirect too long");
		return -1;
	}
	memcpy(dst, h->location, h->location_len);
	dst[h->location_len] = '\0';
	return 1;
}

int
cgi_answer(const struct cgi_head *h, int head, int *no_body, long long *length)
{
	/* §6.2.3, §6.2.4: a client redirect is 302 unless Status says */
	int status = h->status ? h->status : h->location ? S_FOUND : S_OK;
	int bodiless = status < 200 || status == 204 || status == 304;

	/* RFC 9110 §6.4.1: what the script writes after the head of such a
	 * response is dropped.  §8.6: a HEAD keeps the length a GET would
	 * have; none goes in a 1xx or 204, nor in a 304, where it would have
	 * to be the length of the 200 it stands for, which cannot be checked
	 * (and a cache could take a wrong one for the stored response's). */
	*length = bodiless ? -1 : h->content_length;
	/* §15.3.6: nor has a 205 content, but it is framed as any response
	 * is (RFC 9112 §6.3): with Content-Length: 0 */
	if (status == 205) {
		bodiless = 1;
		*length = 0;
	}
	*no_body = head || bodiless;
	return status;
}

size_t
cgi_body_part(long long declared, long long *written, size_t n)
{
	long long before = *written;

	*written += (long long)n;
	if (declared < 0 || *written <= declared)
		return n;
	if (before <= declared)
		log_error("script wrote more than its Content-Length");
	return before < declared ? (size_t)(declared - before) : 0;
}

/* §4.4: a query without an unencoded '=' gives the command line. */
static int
isindex_args(const char *q, size_t len, char *buf, size_t size, char **argv,
             int max)
{
	size_t i, s = 0, o = 0;
	int argc = 0, n;

	if (q == NULL || len == 0 || memchr(q, '=', len) != NULL || len >= size)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && q[i] != '+')
			continue;
		if (argc == max)
			return 0;
		n = http_percent_decode(q + s, i - s, buf + o);
		if (n < 0)
			return 0;
		argv[argc++] = buf + o;
		o += (size_t)n;
		buf[o++] = '\0';
		s = i + 1;
	}
	return argc;
}

/* Reap the script if it exits within ms milliseconds. */
static int
wait_exit(pid_t pid, int *wstatus, int ms)
{
	long long until = now_ms() + ms;

	do {
		if (waitpid(pid, wstatus, WNOHANG) == pid)
			return 1;
		poll(NULL, 0, 5);
	} while (now_ms() < until);
	return 0;
}

/* Signal the script's whole process group; reap the script.  No process
 * of a request outlives it unless it left the group on purpose. */
static void
kill_group(pid_t pid, int *exited, int *wstatus)
{
	if (!*exited) {
		kill(-pid, SIGTERM);
		*exited = wait_exit(pid, wstatus, CGI_KILL_GRACE_MS);
	}
	kill(-pid, SIGKILL);
	if (!*exited && waitpid(pid, wstatus, 0) == pid)
		*exited = 1;
}

/* Hand complete lines of the script's stderr to the log; a line longer
 * than the buffer (size) in pieces, and with flush what is left. */
static void
relay_stderr(const struct cgi_script *s, char *ebuf, size_t size,
             size_t *elen, int flush)
{
	char *p = ebuf, *nl;
	size_t left = *elen;

	while ((nl = memchr(p, '\n', left)) != NULL) {
		log_script(s->log_name, p, (size_t)(nl - p));
		left -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	if (left > 0 && (flush || left == size)) {
		log_script(s->log_name, p, left);
		left = 0;
	}
	memmove(ebuf, p, left);
	*elen = left;
}

volatile pid_t cgi_running;

/* SIGTERM (or SIGINT, SIGHUP) to a process running a script ends the
 * script's group too: it is in a session of its own, which no signal to
 * us reaches. */
static void
on_sigterm(int sig)
{
	pid_t pid = cgi_running;

	(void)sig;
	if (pid > 0)
		kill(-pid, SIGKILL);
	_exit(1);
}

/*
 * A large body moves through a pipe of CGI_PIPE_SIZE: fewer, larger
 * transfers: a request body known to be larger than IO_BUF, a response
 * once a read has filled rbuf.
 * The kernel charges the pages to the user, and past
 * pipe-user-pages-soft (64 MiB by default) the user's new pipes get only
 * two pages: slower, never wrong (partial writes and EAGAIN are handled
 * everywhere).  Fails harmlessly past fs.pipe-max-size.
 */
static void
grow_pipe(int fd)
{
	fcntl(fd, F_SETPIPE_SZ, CGI_PIPE_SIZE);
}

/* Send what is left of o (bounded by TIMEOUT_IO_MS without progress). */
static void
flush_out(int fd, struct obuf *o, size_t *off)
{
	ssize_t n;

	while (*off < o->len) {
		n = sendto(fd, o->p + *off, o->len - *off, MSG_NOSIGNAL | MSG_DONTWAIT,
		           NULL, 0);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, o->p + *off, o->len - *off);
		if (n > 0)
			*off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, TIMEOUT_IO_MS) > 0)
			continue;
		else
			return;
	}
}

/* Before Linux 5.9 (no close_range): close every descriptor above 2 that
 * /proc/self/fd names, read again until none is left, or without /proc
 * each below the soft limit (at most 65536).  Ours are all close-on-exec:
 * what this finds came from our parent.  Only system calls, for the child
 * of vfork. */
static void
close_inherited(const struct rlimit *nofile)
{
	char buf[1024];
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n, off, closed = 1;
	unsigned short reclen;

	if (dir < 0) {
		for (int fd = 3; fd < 65536 && (rlim_t)fd < nofile->rlim_cur; fd++)
			close(fd);
		return;
	}
	while (closed && lseek(dir, 0, SEEK_SET) == 0)
		for (closed = 0;
		     (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0;)
			/* struct linux_dirent64: inode 8 bytes, offset 8,
			 * record length 2, type 1, then the name */
			for (off = 0; off < n; off += reclen) {
				const char *name = buf + off + 19;
				char *end;
				long long fd = strtoll(name, &end, 10);

				memcpy(&reclen, buf + off + 16, sizeof reclen);
				if (*end == '\0' && end != name && fd > 2 &&
				    fd != dir && close((int)fd) == 0)
					closed = 1;
			}
	close(dir);
}

/* Every signal back to its default action: exec keeps those ignored, by
 * us (SIGPIPE) or by whoever started us, and programs expect none.  By
 * system call: libc refuses to set the signals it reserves (32 and up),
 * which a starter can leave ignored all the same.  A kernel sigaction
 * of zeros is SIG_DFL, no flags, an empty mask. */
void
cgi_signals_default(void)
{
	static unsigned long dfl[8];  /* zeros, in .bss: no room in the file */

	for (int sig = NSIG; --sig > 0;)
		syscall(SYS_rt_sigaction, sig, dfl, NULL, (NSIG - 1) / 8);
}

/* Start the script: vfork, and in the child only system calls on its own
 * descriptors and state (RFC 3875 §7.2: the script's directory). */
static pid_t
spawn(const struct cgi_script *s, int in, int out, int err, char **argv,
      char *const envp[])
{
	pid_t pid = vfork();
	sigset_t none;

	if (pid != 0)
		return pid;
	setsid();
	struct rlimit nofile = {1024, 1024};
	getrlimit(RLIMIT_NOFILE, &nofile);  /* before --limit nofile */
	/* Resource limits bound what one script can take (0: none).  One
	 * that cannot be set is above the hard limit we were started with
	 * (only root may raise it) or above the kernel's (nofile past
	 * fs.nr_open): the limit in force is tighter, and stays. */
	static const int res[4] = {RLIMIT_CPU, RLIMIT_AS, RLIMIT_NOFILE,
	                           RLIMIT_NPROC};
	const long long val[4] = {cfg.limit_cpu, cfg.limit_as,
	                          cfg.limit_nofile, cfg.limit_nproc};
	for (int i = 0; i < 4; i++) {
		struct rlimit rl = {(rlim_t)val[i], (rlim_t)val[i]};
		if (val[i] > 0)
			setrlimit(res[i], &rl);
	}
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	/* chdir through the directory's descriptor, then close the rest */
	if (fchdir(s->dir_fd) < 0)
		_exit(127);
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		close_inherited(&nofile);
	/* no signal ignored, ours (SIGPIPE) or those of whoever started us
	 * (exec keeps what is ignored); a listener has set the latter back
	 * once at its start */
	if (cfg.one_connection)
		cgi_signals_default();
	else
		signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(s->interpreter ? s->interpreter : s->name, argv, envp);
	_exit(127);
}

enum cgi_result
cgi_run(const struct cgi_script *s, char *const envp[], struct cgi_front *f)
{
	static int handlers;
	sigset_t term;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	int child_in, pidfd = -1, exited = 0, wstatus = 0, head_done = 0;
	int in_ready = 1, body_eof = 0, watch_input = 2, client_gone = 0, r, hr, i;
	/* splicing the body: the stdin pipe may be full; pipes grown */
	int pipe_full = 0, splice_in = f->splice_in != NULL;
	int out_grown = 0;
	enum cgi_result result = CGI_DONE;
	char *argv[67], argbuf[MAX_PATH];
	char hbuf[MAX_CGI_HEAD], ibuf[IO_BUF], rbuf[IO_BUF - 64], obuf_mem[IO_BUF];
	char ebuf[1024];
	size_t hlen = 0, ilen = 0, ioff = 0, ooff = 0, elen = 0;
	size_t o_tried = 0;        /* o.len at the last write to the client */
	int cli_ready = 0;         /* the client's socket polled writable */
	struct obuf o = {obuf_mem, 0, sizeof obuf_mem};
	struct cgi_head h;
	/* last_out: the script's last sign of life for the idle clock:
	 * output read, body bytes taken, or its pending output sent */
	long long start = now_ms(), last_out = start, last_write = start;
	long long last_try = start;  /* the last write to the client tried */
	int full = 0;                /* the Content-Length written */
	long long last_in = start, body_bytes = 0;
	long long exit_time = 0, out_eof = 0, deadline = start + (long long)cfg.cgi_timeout * 1000;
	long long idle_ms = (long long)cfg.cgi_idle_timeout * 1000;
	pid_t pid;
	ssize_t n;

	if (pipe2(err, O_CLOEXEC) < 0)
		goto spawn_fail;
	if (pipe2(out, O_CLOEXEC) < 0)
		goto spawn_fail;
	if (s->stdin_fd >= 0) {
		child_in = s->stdin_fd;
		body_eof = 1;
	} else {
		if (pipe2(in, O_CLOEXEC) < 0)
			goto spawn_fail;
		child_in = in[0];
		if (f->body_read == NULL)
			body_eof = 1;
	}
	/* argv[0] is the file name; an interpreter gets it as argv[1]. */
	i = 0;
	if (s->interpreter != NULL)
		argv[i++] = (char *)s->interpreter;
	argv[i++] = (char *)s->name;
	argv[i + isindex_args(s->query, s->query_len, argbuf, sizeof argbuf,
	                      argv + i, 63)] = NULL;

	if (!handlers) {
		/* set up at the first script: a document needs none */
		signal(SIGTERM, on_sigterm);
		signal(SIGINT, on_sigterm);
		signal(SIGHUP, on_sigterm);
		/* ignored by whoever started us, SIGCHLD would leave no
		 * child to wait for: no script's exit would be seen */
		signal(SIGCHLD, SIG_DFL);
		handlers = 1;
	}
	/* held until cgi_running names the script (the child unblocks
	 * them before its exec) */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGHUP);
	sigprocmask(SIG_BLOCK, &term, NULL);
	pid = spawn(s, child_in, out[1], err[1], argv, envp);
	if (pid > 0)
		cgi_running = pid;
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	if (pid < 0)
		goto spawn_fail;
	close(out[1]);
	close(err[1]);
	if (in[0] >= 0)
		close(in[0]);
	out[1] = err[1] = in[0] = -1;
	if (body_eof && in[1] >= 0) {
		close(in[1]);
		in[1] = -1;
	}
	if (in[1] >= 0) {
		fcntl(in[1], F_SETFL, O_NONBLOCK);
		if (f->body_len > IO_BUF)
			grow_pipe(in[1]);
	}
	if (out[0] >= 0)
		fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		struct pollfd p[7];
		int np = 0, i_in = -1, i_pipe = -1, i_out = -1, i_cli = -1,
		    i_err = -1, i_pid = -1, i_hup = -1, i_ctl = -1;
		long long now = now_ms(), wake, finish_at = 0;

		/* Response towards the client: new output is written at once,
		 * as the socket mostly has room; what does not fit waits for
		 * POLLOUT (which a client that does not read never gives),
		 * and is tried again every second: POLLOUT comes only once
		 * half of the socket's queue has left, which can take longer
		 * than TIMEOUT_IO_MS for a client that reads slowly, while
		 * any room it makes takes bytes. */
		if (o.len > ooff && (o.len != o_tried || cli_ready ||
		                     now - last_try >= 1000)) {
			last_try = now;
			n = sendto(f->out_fd, o.p + ooff, o.len - ooff,
			           MSG_NOSIGNAL | MSG_DONTWAIT, NULL, 0);
			if (n < 0 && errno == ENOTSOCK)
				n = write(f->out_fd, o.p + ooff, o.len - ooff);
			if (n > 0) {
				ooff += (size_t)n;
				last_write = now;
				/* output is read again: the script's silence
				 * is counted from now (it may have waited on
				 * a full pipe meanwhile) */
				if (ooff == o.len) {
					ooff = o.len = 0;
					last_out = now;
				}
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				log_error("%s: client went away", s->log_name);
				result = CGI_CLOSE;
				client_gone = 1;
				goto done;
			}
			o_tried = o.len;
		}
		cli_ready = 0;
		/* Request body towards the script: spliced from the client
		 * into the pipe, or read into ibuf and written from there. */
		while (in[1] >= 0 && ilen == ioff && in_ready && !pipe_full &&
		       !body_eof) {
			if (splice_in) {
				n = f->splice_in(f->ctx, in[1]);
				if (n == -3) {
					splice_in = 0;
					continue;
				}
			} else {
				n = f->body_read(f->ctx, ibuf, sizeof ibuf);
				if (n > 0) {
					ilen = (size_t)n;
					ioff = 0;
				}
			}
			if (n > 0) {
				/* a script reading its body is not silent */
				last_in = last_out = now_ms();
				body_bytes += n;
			} else if (n == 0) {
				body_eof = 1;
			} else if (n == -2 || n == -4) {
				/* -2: which side blocks is not known: wait for
				 * both; -4: for the pipe */
				in_ready = n == -4;
				pipe_full = splice_in;
			} else if (n == -5 && !head_done) {
				/* RFC 9112 §8: an incomplete request; a client
				 * that only shut down its side reads the 400 */
				log_error("%s: client ended the request body early",
				          s->log_name);
				f->error(f->ctx, S_BAD_REQUEST);
				result = CGI_CLOSE;
				goto done;
			} else if (n != -5 && errno == EPIPE && splice_in) {
				/* the script stopped reading its input (what
				 * the client still has to send, the front end
				 * counts and does not take for a request) */
				close(in[1]);
				in[1] = -1;
			} else {
				log_error("%s: client closed during the request body",
				          s->log_name);
				result = CGI_CLOSE;
				client_gone = 1;
				goto done;
			}
		}
		if (in[1] >= 0 && ilen == ioff && body_eof) {
			close(in[1]);
			in[1] = -1;
		}

		if (in[1] >= 0 && (ilen > ioff || pipe_full)) {
			i_pipe = np;
			p[np++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
		}
		if (in[1] >= 0 && ilen == ioff && !in_ready) {
			i_in = np;
			p[np++] = (struct pollfd){.fd = f->in_fd, .events = POLLIN};
		} else if (in[1] < 0 && f->input != NULL && f->in_fd >= 0 &&
		           watch_input && o.len == ooff) {
			i_ctl = np;
			p[np++] = (struct pollfd){.fd = f->in_fd, .events = POLLIN};
		}
		if (o.len > ooff) {
			i_cli = np;
			p[np++] = (struct pollfd){.fd = f->out_fd, .events = POLLOUT};
		} else if (out[0] >= 0) {
			i_out = np;
			p[np++] = (struct pollfd){.fd = out[0], .events = POLLIN};
		}
		if (err[0] >= 0 &&
		    (f->err == NULL || o.size - o.len >= sizeof ebuf + 64)) {
			i_err = np;
			p[np++] = (struct pollfd){.fd = err[0], .events = POLLIN};
		}
		/* a hang-up matters only while the response is not complete */
		if (in[1] < 0 && f->watch_hangup && f->in_fd >= 0 && out[0] >= 0) {
			i_hup = np;
			p[np++] = (struct pollfd){.fd = f->in_fd, .events = POLLRDHUP};
		}
		if (!exited && pidfd >= 0) {
			i_pid = np;
			p[np++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		}
		if (out[0] < 0 && o.len == ooff) {
			/* The response is complete: give the script a moment to
			 * exit and its stderr to drain, then end the group. */
			long long since = exited ? exit_time : out_eof;
			if ((exited && err[0] < 0) || now - since >= CGI_LINGER_MS)
				break;
			finish_at = since + CGI_LINGER_MS;
		}

		/* The clocks: total, idle output, slow client, linger. */
		wake = deadline;
		if (i_in >= 0 && !pipe_full) {
			/* the client stopped sending the body it announced, or
			 * sends it slower than BODY_MIN_RATE on average */
			long long body_end = start + TIMEOUT_BODY_MS +
			                     body_bytes * 1000 / BODY_MIN_RATE;
			if (body_end < last_in + TIMEOUT_IO_MS && now >= body_end) {
				log_error("%s: request body too slow", s->log_name);
				if (!head_done)
					f->error(f->ctx, S_REQUEST_TIMEOUT);
				result = CGI_CLOSE;
				goto done;
			}
			if (body_end < wake)
				wake = body_end;
			if (now - last_in >= TIMEOUT_IO_MS) {
				log_error("%s: request body timed out", s->log_name);
				if (!head_done)
					f->error(f->ctx, S_REQUEST_TIMEOUT);
				result = CGI_CLOSE;
				goto done;
			}
			if (last_in + TIMEOUT_IO_MS < wake)
				wake = last_in + TIMEOUT_IO_MS;
		}
		if (finish_at != 0 && finish_at < wake)
			wake = finish_at;
		/* the front end may hold input it read along with the body
		 * (FastCGI records after FCGI_STDIN): looked at as soon as
		 * the body is done, then when more comes */
		if (i_ctl >= 0 && watch_input > 1)
			wake = now;
		if (o.len > ooff) {
			if (now - last_write >= TIMEOUT_IO_MS) {
				log_error("%s: client stopped reading", s->log_name);
				result = CGI_CLOSE;
				client_gone = 1;
				goto done;
			}
			if (last_write + TIMEOUT_IO_MS < wake)
				wake = last_write + TIMEOUT_IO_MS;
			if (last_try + 1000 < wake)
				wake = last_try + 1000;
		} else if (out[0] < 0 || full) {
			/* the output is complete: the linger clock applies */
		} else if (!exited && now - last_out >= idle_ms) {
			log_error("%s: no output for %d s", s->log_name,
			          cfg.cgi_idle_timeout);
			goto timeout;
		} else if (!exited && last_out + idle_ms < wake) {
			wake = last_out + idle_ms;
		}
		if (now >= deadline) {
			log_error("%s: timed out after %d s", s->log_name,
			          cfg.cgi_timeout);
			goto timeout;
		}
		if ((exited || full) && out[0] >= 0 && o.len == ooff) {
			/* The script exited, or wrote the whole body its head
			 * announced, and its output stays open (held by a
			 * background child, or by the script itself).  What is
			 * in the pipe is read first (the clock starts again at
			 * each read); then the body ends as if at EOF, and the
			 * group is killed once the rest of the response is out
			 * (within the linger that starts there). */
			long long since = last_out > exit_time ? last_out
			                                       : exit_time;
			if (now - since >= CGI_LINGER_MS) {
				log_error("%s: output still open after %s",
				          s->log_name, exited ? "the script exited"
				          : "its response ended");
				if (!head_done)
					goto no_head;
				close(out[0]);
				out[0] = -1;
				f->end(f->ctx, 1, &o);
				out_eof = since;
				continue;
			}
			if (since + CGI_LINGER_MS < wake)
				wake = since + CGI_LINGER_MS;
		}
		if (pidfd < 0 && now + 50 < wake)
			wake = now + 50; /* no pidfd: look at the child often */

		if (poll(p, (nfds_t)np, (int)(wake - now)) < 0 && errno != EINTR)
			goto done;

		if ((pidfd < 0 || (i_pid >= 0 && p[i_pid].revents)) && !exited &&
		    waitpid(pid, &wstatus, WNOHANG) == pid) {
			exited = 1;
			exit_time = now_ms();
		}
		if (i_in >= 0 && p[i_in].revents)
			in_ready = 1;
		if (i_cli >= 0 && p[i_cli].revents)
			cli_ready = 1;
		if (i_hup >= 0 && p[i_hup].revents) {
			log_error("%s: client went away", s->log_name);
			result = CGI_CLOSE;
			client_gone = 1;
			goto done;
		}
		if (i_ctl >= 0 && (p[i_ctl].revents || watch_input > 1)) {
			watch_input = 1;
			r = f->input(f->ctx, &o);
			if (r == 1) {
				result = CGI_CLOSE;
				goto done;
			}
			if (r == 2)
				watch_input = 0;
		}
		if (i_pipe >= 0 && p[i_pipe].revents && ilen == ioff) {
			pipe_full = 0;
		} else if (i_pipe >= 0 && p[i_pipe].revents) {
			n = write(in[1], ibuf + ioff, ilen - ioff);
			if (n > 0) {
				ioff += (size_t)n;
				last_out = now_ms();
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				/* the script stopped reading its input: the
				 * bytes taken from the client for it are
				 * dropped, and the connection may go on
				 * (RFC 9112 §9.6: a close follows a response
				 * that says so) */
				close(in[1]);
				in[1] = -1;
			}
		}
		if (i_err >= 0 && p[i_err].revents) {
			n = read(err[0], ebuf + elen, sizeof ebuf - elen);
			if (n > 0 && f->err != NULL) {
				f->err(f->ctx, ebuf, (size_t)n, &o);
			} else if (n > 0) {
				elen += (size_t)n;
				relay_stderr(s, ebuf, sizeof ebuf, &elen, 0);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				relay_stderr(s, ebuf, sizeof ebuf, &elen, 1);
				close(err[0]);
				err[0] = -1;
			}
		}
		if (i_out >= 0 && p[i_out].revents) {
			if (!head_done && !s->nph)
				n = read(out[0], hbuf + hlen, sizeof hbuf - hlen);
			else
				/* o may hold stderr frames of this round */
				n = read(out[0], rbuf, o.size - o.len - 64 < sizeof rbuf
				                       ? o.size - o.len - 64 : sizeof rbuf);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				close(out[0]);
				out[0] = -1;
				if (!head_done) {
					/* wait a little for its exit status */
					if (!exited)
						exited = wait_exit(pid, &wstatus,
						                   CGI_LINGER_MS);
					goto no_head;
				}
				f->end(f->ctx, 1, &o);
				out_eof = now_ms();
				continue;
			}
			last_out = now_ms();
			/* §5: a non-parsed header script's output is the
			 * response, its head sent with its first bytes: until
			 * then, as for any script, nothing is sent and an
			 * error can still be answered */
			head_done |= s->nph;
			if (head_done) {
				if (!out_grown && (size_t)n == sizeof rbuf) {
					grow_pipe(out[0]);
					out_grown = 1;
				}
				full |= f->body(f->ctx, rbuf, (size_t)n, &o);
				continue;
			}
			hlen += (size_t)n;
			r = cgi_parse_head(hbuf, hlen, &h);
			if (r == -2)
				continue;
			if (r == -1) {
				log_error("%s: bad header block: %s", s->log_name,
				          h.reason_bad);
				f->error(f->ctx, S_BAD_GATEWAY);
				result = CGI_CLOSE;
				goto done;
			}
			switch ((hr = f->head(f->ctx, &h, &o))) {
			case 0:
				break;
			case 1:
				result = CGI_REDIRECT;
				goto done;
			default:
				f->error(f->ctx, hr);
				result = CGI_CLOSE;
				goto done;
			}
			head_done = 1;
			/* even with no bytes after the head: a Content-Length
			 * of 0 is complete there */
			full |= f->body(f->ctx, hbuf + r, hlen - (size_t)r, &o);
		}
	}
	goto done;

no_head:
	if (exited && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127 && hlen == 0)
		log_error("%s: could not be executed", s->log_name);
	else if (exited && (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) &&
	         hlen == 0)
		log_error("%s: exited with status %d before any output",
		          s->log_name,
		          WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
		                             : 128 + WTERMSIG(wstatus));
	else
		log_error("%s: %s", s->log_name,
		          hlen == 0 ? "no output" : "incomplete header block");
	f->error(f->ctx, hlen == 0 && exited &&
	                 (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
	                 ? S_INTERNAL_SERVER_ERROR : S_BAD_GATEWAY);
	result = CGI_CLOSE;
	goto done;

timeout:
	if (!head_done)
		f->error(f->ctx, S_GATEWAY_TIMEOUT);
	result = CGI_CLOSE;
done:
	relay_stderr(s, ebuf, sizeof ebuf, &elen, 1);
	kill_group(pid, &exited, &wstatus);
	cgi_running = 0;
	f->exit_status = exited ? wstatus : -1;
	if (!client_gone)
		flush_out(f->out_fd, &o, &ooff);
	f->unsent = o.len - ooff;
	if (pidfd >= 0)
		close(pidfd);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	return result;

spawn_fail:
	log_error("%s: cannot start: %s", s->log_name, strerror(errno));
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	f->unsent = 0;
	f->error(f->ctx, S_INTERNAL_SERVER_ERROR);
	return CGI_CLOSE;
}
