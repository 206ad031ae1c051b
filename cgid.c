/*
 * cgid - a small web server for documents and CGI programs, started by a
 * super-server for each connection, or listening itself.
 *
 * cgid.c: the entry point.  It reads the options, finds how the connection
 * arrived (activation), and runs the connection loop: read a request head,
 * decide, answer, and go on while the connection persists.
 *
 * Activation, in order (no flag needed):
 *   1. LISTEN_PID is ours and LISTEN_FDS names fds from 3 (systemd): a
 *      connected fd 3 is served (Accept=yes); listening ones are accepted
 *      from (Accept=no).
 *   2. fd 0 is a socket, or PROTO is set (UCSPI): a connected fd 0 is
 *      served, reading fd 0 and writing fd 1 (inetd nowait, systemd
 *      StandardInput=socket, tcpserver); a listening fd 0 is accepted
 *      from (inetd wait).
 *   3. -l [ADDR:]PORT or -l unix:PATH: bind and listen, then accept.
 * In the accepting modes every connection gets a child of its own.
 *
 * The connection speaks HTTP/1.1 (below), or with --protocol scgi or
 * fastcgi it comes from a front server (scgi.c, fastcgi.c, front.c); the
 * activation modes are the same for all three.
 *
 * Exit status: 0 on a normal end, 1 on a failure while setting up (the
 * root, a socket), 2 on a usage error.  Only this file exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgi.h"
#include "conn.h"
#include "file.h"
#include "front.h"
#include "http.h"

struct config cfg;

/* '\t' stands for the padding to the descriptions' column (a new line
 * first when the option is longer), and an option's line starts without
 * its indent: print_text puts both back. */
static const char usage[] =
"usage: cgid [OPTIONS] ROOT\n"
"Serve documents and CGI programs from ROOT, over the connection a\n"
"super-server passes (fd 0 or fd 3), or on addresses given with -l.\n"
"\n"
"-l, --listen [ADDR:]PORT\tbind and listen (repeatable); ADDR is IPv4 or [IPv6]\n"
"-l, --listen unix:PATH\tlisten on a Unix socket (a stale one is replaced)\n"
"--socket-mode MODE\tpermissions of -l unix: sockets (default 0660)\n"
#ifndef CGID_NO_FRONTS
"--protocol PROTO\thttp (default), scgi or fastcgi: the protocol of\n"
"\tthe connections (scgi, fastcgi: from a front server)\n"
"--script-stderr DEST\tfastcgi: a script's stderr to the \"log\" (default)\n"
"\tor to the \"front\" server as FCGI_STDERR\n"
#endif
"--cgi-dir PREFIX\tURL prefix of CGI programs (repeatable; default\n"
"\t/cgi-bin/; \"none\" for no prefix)\n"
"--cgi-ext .EXT\tfile name ending of CGI programs (repeatable;\n"
"\tdefault .cgi; \"none\" for no ending)\n"
"--log DEST\tFILE, \"stderr\", \"syslog\" or \"none\" (default: stderr\n"
"\tunless it is the client socket, else syslog)\n"
"--max-body BYTES\tlargest request body (default 1073741824)\n"
"--cgi-timeout SECONDS\tlongest run of a CGI program (default 300)\n"
"--cgi-idle-timeout SECONDS\tlongest silence of a CGI program (default 60)\n"
"--interpreter .EXT=PROGRAM\trun files ending in .EXT with PROGRAM (repeatable)\n"
"--allow-writable-scripts\trun group- or world-writable programs too\n"
"--pass-authorization\tgive scripts the Authorization field and AUTH_TYPE\n"
"--https\tTLS is terminated in front: HTTPS=on for scripts\n"
#ifndef CGID_NO_LISTING
"--list-dirs\tlist directories that have no index\n"
#endif
"--gzip-static\tsend FILE.gz to clients that accept gzip\n"
#ifndef CGID_NO_VHOSTS
"--vhosts\tserve ROOT/HOST/ for each Host field\n"
#endif
"--user USER[:GROUP]\tdrop to USER (and GROUP) before serving\n"
"--chroot DIR\tchroot to DIR first (ROOT is then inside it)\n"
"--allow-root\tlet scripts run as root\n"
"--limit NAME=VALUE\tlimit for scripts: cpu (seconds), as (bytes),\n"
"\tnofile, nproc; 0 for none (repeatable)\n"
"--max-connections N\tconnections served at once when accepting\n"
"\t(default 256; more wait in the backlog)\n"
"--grace SECONDS\ttime open connections get on SIGTERM (default 10)\n"
"--idle-exit SECONDS\texit when no connection came for that long\n"
"--env NAME=VALUE\tadd a variable to every CGI environment\n"
"--pass-env NAME\tpass cgid's variable NAME to CGI programs\n"
"-h, --help\tshow this help\n"
"-V, --version\tshow the version\n";

/* Write text to stdout, its tabs turned into the columns of a help
 * page; in blocks through a buffer of its own (write(2), no stdio). */
static void
print_text(const char *text)
{
	char out[1024];
	size_t n = 0;
	int col = 0;

	for (const char *p = text; *p != '\0'; p++) {
		/* one byte of text adds at most 29 */
		if (n > sizeof out - 32) {
			write(1, out, n);
			n = 0;
		}
		if (col == 0 && *p == '-') {
			/* "  -x, --long" or "      --long" */
			int indent = p[1] == '-' ? 6 : 2;
			for (; col < indent; col++)
				out[n++] = ' ';
		}
		if (*p != '\t') {
			out[n++] = *p;
			col = *p == '\n' ? 0 : col + 1;
			continue;
		}
		if (col >= 28) {
			out[n++] = '\n';
			col = 0;
		}
		for (; col < 28; col++)
			out[n++] = ' ';
	}
	write(1, out, n);
}

/* Errors of the start go to stderr, or to the log where stderr is the
 * client's socket (syslog until --log is read). */
static void
die_status(int status, const char *what, const char *arg)
{
	const char *sep = arg ? ": " : "";

	if (arg == NULL)
		arg = "";
	if (log_stderr_ok()) {
		char msg[1024];
		int n = snprintf(msg, sizeof msg, "cgid: %s%s%s\n%s", what,
		                 sep, arg, status == 2 ? "Try 'cgid --help'.\n" : "");
		if (n > 0)
			write(2, msg, (size_t)n < sizeof msg ? (size_t)n
			                                     : sizeof msg - 1);
	} else
		log_error("%s%s%s", what, sep, arg);
	exit(status);
}

static void
die_usage(const char *what, const char *arg)
{
	die_status(2, what, arg);
}

static void
die(const char *what, const char *arg)
{
	die_status(1, what, arg);
}

/* ---- The HTTP front end of the CGI engine ---- */

struct http_cgi {
	struct conn *c;
	struct request *req;
	long long body_left;       /* request body bytes not yet read */
	int no_body;               /* response carries no body */
	int chunked;               /* response framed with chunks */
	long long declared;        /* script's Content-Length, or -1 */
	long long written;         /* body bytes the script wrote */
	int close;                 /* the connection ends after this */
	char *redirect;            /* local redirect target (MAX_PATH) */
};

static ssize_t
hc_body_read(void *ctx, char *buf, size_t n)
{
	struct http_cgi *hc = ctx;

	return conn_read_body(hc->c, buf, n, &hc->body_left);
}

#ifndef CGID_NO_SPLICE
static ssize_t
hc_splice_in(void *ctx, int fd)
{
	struct http_cgi *hc = ctx;

	return conn_splice_body(hc->c, fd, &hc->body_left);
}
#else
#define hc_splice_in NULL /* the body is copied (a size-first build) */
#endif

/* RFC 3875 §6.2: decide the response from the script's header block. */
static int
hc_head(void *ctx, const struct cgi_head *h, struct obuf *o)
{
	struct http_cgi *hc = ctx;
	struct request *req = hc->req;
	struct response r;
	long long length;
	size_t i;
	int n, status;

	/* §6.2.2: a local redirect is answered as a new GET (or HEAD) */
	if ((n = cgi_local_redirect(h, hc->redirect)) != 0)
		return n > 0 ? 1 : S_BAD_GATEWAY;
	status = cgi_answer(h, req->method == M_HEAD, &hc->no_body, &length);
	http_response_init(&r, status);
	if (h->status && h->reason_len > 0) {
		r.reason = h->reason;
		r.reason_len = h->reason_len;
	}
	if (h->content_type)
		http_add_header(&r, "Content-Type", h->content_type,
		                h->content_type_len, 0);
	if (h->location)
		http_add_header(&r, "Location", h->location, h->location_len, 0);
	for (i = 0; i < h->nfields; i++) {
		const struct header *f = &h->fields[i];
		/* Date is cgid's own, like the connection's fields */
		if (cgi_hop_by_hop(f) ||
		    (f->name_len == 4 && strncasecmp(f->name, "Date", 4) == 0))
			continue;
		if (f->name_len == 6 && strncasecmp(f->name, "Server", 6) == 0)
			r.has_server = 1;
		if (r.nheaders == MAX_RESP_HEADERS)
			return S_BAD_GATEWAY;
		r.headers[r.nheaders++] = *f;
	}
	hc->declared = h->content_length;
	r.content_length = length;
	if (!hc->no_body && length < 0) {
		if (req->minor == 1 && req->keep_alive)
			r.chunked = hc->chunked = 1;
		else    /* the end of the body is the end of the connection */
			hc->close = 1;
	}
	/* A body the script has not read yet cannot be skipped reliably. */
	if (hc->body_left > 0)
		hc->close = 1;
	r.close = hc->close || !req->keep_alive;
	hc->close = hc->c->close = r.close;
	n = http_serialize(&r, req->minor, now_s(), o->p + o->len,
	                   o->size - o->len);
	if (n < 0) {
		log_error("script's response head too large");
		return S_BAD_GATEWAY;
	}
	o->len += (size_t)n;
	hc->c->status = status;
	return 0;
}

static int
hc_body(void *ctx, const char *p, size_t n, struct obuf *o)
{
	struct http_cgi *hc = ctx;
	int full;

	/* RFC 9110 §9.3.2, §6.4.1: no body follows the head of an answer
	 * to HEAD, or of a 1xx, 204 or 304: the response is complete with
	 * its head, and what the script writes after it is discarded */
	if (hc->no_body)
		return 1;
	n = cgi_body_part(hc->declared, &hc->written, n);
	full = hc->declared >= 0 && hc->written >= hc->declared;
	if (hc->declared >= 0 && hc->written > hc->declared)
		hc->close = 1;  /* the script is out of step with its head */
	if (n == 0)
		return full;
	if (hc->chunked) {
		o->len += http_num(o->p + o->len, n, 16);
		memcpy(o->p + o->len, "\r\n", 2);
		o->len += 2;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	if (hc->chunked) {
		memcpy(o->p + o->len, "\r\n", 2);
		o->len += 2;
	}
	hc->c->bytes_out += (long long)n;
	return full;
}

static void
hc_end(void *ctx, int complete, struct obuf *o)
{
	struct http_cgi *hc = ctx;

	if (hc->no_body)
		return;
	if (hc->declared >= 0 && hc->written < hc->declared) {
		log_error("script output ended before its Content-Length");
		hc->close = 1;
		return;
	}
	if (hc->chunked && complete) {
		memcpy(o->p + o->len, "0\r\n\r\n", 5);
		o->len += 5;
	}
}

static void
hc_error(void *ctx, int status)
{
	struct http_cgi *hc = ctx;
	struct response r;

	http_response_init(&r, status);
	conn_respond_error(hc->c, hc->req, &r);
	hc->close = 1;
}

/* ---- Requests ---- */

static int
respond_status(struct conn *c, const struct request *req, int status)
{
	struct response r;

	http_response_init(&r, status);
	if (status == S_METHOD_NOT_ALLOWED)
		http_add_header(&r, "Allow", "GET, HEAD, OPTIONS", 18, 0);
	return conn_respond_error(c, req, &r);
}

/* Spool a chunked request body into an unlinked file (RFC 3875 §4.2
 * wants CONTENT_LENGTH): 0 with *fd the file (-1 for an empty body), or
 * the status to answer. */
static int
spool_chunked(struct conn *c, struct request *req, int *fd)
{
	struct chunked ch = {0};
	struct spool sp;
	ssize_t r;
	size_t len;
	int status;

	spool_start(&sp);
	for (;;) {
		if (c->end == c->start) {
			c->start = c->end = c->floor;
			r = spool_wait(&sp);
			r = r > 0 ? conn_fill(c, (int)r) : -1;
			if (r <= 0) {
				/* RFC 9112 §8: incomplete (400), or too slow */
				log_error(r == 0 ? "request body: client ended it early"
				                 : "request body: client failed, stalled "
				                   "or too slow");
				status = r == 0 ? S_BAD_REQUEST : S_REQUEST_TIMEOUT;
				goto fail;
			}
		}
		len = c->end - c->start;
		r = http_chunked_decode(&ch, c->buf + c->start, &len);
		if (r == -1) {
			log_error("bad chunked body: %s", ch.reason);
			status = S_BAD_REQUEST;
			goto fail;
		}
		/* a chunk announced larger than the room left is refused
		 * before its bytes come */
		status = spool_write(&sp, c->buf + c->start, len, ch.remaining);
		if (status != 0)
			goto fail;
		if (r >= 0) {
			c->start += (size_t)r;
			break;
		}
		c->start = c->end;
	}
	*fd = spool_done(&sp);
	req->content_length = sp.total;
	req->chunked = 0;
	return 0;
fail:
	close(sp.fd); /* -1 for none: harmless */
	return status;
}

static int __attribute__((noinline))
run_cgi(struct conn *c, struct request *req, struct target *t, char *redirect)
{
	static struct env env;
	struct http_cgi hc = {.c = c, .req = req, .declared = -1,
	                      .redirect = redirect};
	struct cgi_front f = {
		.ctx = &hc, .in_fd = c->rfd, .out_fd = c->wfd,
		.body_read = hc_body_read, .splice_in = hc_splice_in,
		.head = hc_head, .body = hc_body,
		.end = hc_end, .error = hc_error, .watch_hangup = c->is_socket,
		.exit_status = -1,
	};
	struct cgi_script s = {
		.dir_fd = t->dir_fd, .name = t->name, .query = req->query,
		.query_len = req->query_len, .stdin_fd = -1,
		.interpreter = cgi_interpreter(req->path, t->script_len),
	};
	char log_name[MAX_PATH];
	const char *why;
	int status;

	snprintf(log_name, sizeof log_name, "%.*s", (int)t->script_len, req->path);
	s.log_name = log_name;
	if ((status = cgi_permitted(&t->st, s.interpreter != NULL, &why)) != 0) {
		log_error("%s: %s", log_name, why);
		return respond_status(c, req, status);
	}
	if (req->content_length > cfg.max_body) {
		log_error("request body of %lld bytes over the limit",
		          req->content_length);
		return respond_status(c, req, S_CONTENT_TOO_LARGE);
	}
	/* RFC 9110 §10.1.1: invite the body only when the script runs. */
	if (req->expect_continue && (req->chunked || req->content_length > 0) &&
	    c->end == c->start &&
	    conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
		return -1;
	if (req->chunked && (status = spool_chunked(c, req, &s.stdin_fd)) != 0)
		return respond_status(c, req, status);
	hc.body_left = req->content_length > 0 && s.stdin_fd < 0
	               ? req->content_length : 0;
	if (hc.body_left == 0) {
		/* no body to relay: the script's stdin is at its end */
		f.body_read = NULL;
		f.splice_in = NULL;
	}
	f.body_len = hc.body_left;
	cgi_env_http(&env, req, c, t);
	if (env.overflow) {
		log_error("%s: environment too large", log_name);
		if (s.stdin_fd >= 0)
			close(s.stdin_fd);
		return respond_status(c, req, S_HEADERS_TOO_LARGE);
	}
	/* RFC 3875 §5: an "nph-" script writes the whole response itself,
	 * which is relayed as it comes, and the connection ends with it. */
	if (strncmp(t->name, "nph-", 4) == 0) {
		s.nph = 1;
		c->status = S_OK;
		hc.close = 1;
	}
	switch (cgi_run(&s, env.vars, &f)) {
	case CGI_REDIRECT:
		status = hc.body_left > 0 ? 1 : 0; /* body left: do not reuse */
		if (s.stdin_fd >= 0)
			close(s.stdin_fd);
		return status ? -3 : -2;
	case CGI_CLOSE:
		hc.close = 1;
		break;
	case CGI_DONE:
		break;
	}
	if (s.stdin_fd >= 0)
		close(s.stdin_fd);
	if (hc.close || hc.body_left > 0)
		return -1;
	return c->status;
}

#ifndef CGID_NO_VHOSTS
/* --vhosts: the root of this request is ROOT/HOST (lower case, no port). */
static int __attribute__((noinline))
select_vhost(const struct request *req)
{
	static char real[MAX_PATH];
	char name[256], path[MAX_PATH];
	size_t i, n = 0;
	int fd, v6 = 0;  /* 1: in an IPv6 literal's brackets, 2: after them */

	for (i = 0; req->host_s != NULL && i < req->host_len; i++) {
		char ch = req->host_s[i];
		/* the port follows the last ':', after an IPv6 literal's
		 * brackets (RFC 3986 §3.2.2) */
		if (ch == ':' && v6 != 1)
			break;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		if (ch == '[' && n == 0)
			v6 = 1;
		else if (ch == ']' && v6 == 1)
			v6 = 2;
		else if (v6 == 2 ||
		         !((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		           ch == '-' || (ch == ':' && v6 == 1) ||
		           (ch == '.' && n > 0 && name[n - 1] != '.')))
			return S_NOT_FOUND;
		if (n + 1 >= sizeof name)
			return S_NOT_FOUND;
		name[n++] = ch;
	}
	if (v6 == 1)
		return S_NOT_FOUND;
	/* "example.org." is example.org, named from the root of the DNS */
	if (n > 0 && name[n - 1] == '.')
		n--;
	name[n] = '\0';
	if (n == 0 || snprintf(path, sizeof path, "%s/%s", cfg.base_real, name) >=
	              (int)sizeof path)
		return S_NOT_FOUND;
	/* its path canonical, as ROOT's: lookups without openat2 compare
	 * resolved paths with it, and the host's directory may be a
	 * symbolic link within ROOT */
	fd = open_beneath(cfg.base_fd, name, O_PATH | O_DIRECTORY);
	if (fd < 0 || realpath(path, real) == NULL) {
		if (fd >= 0)
			close(fd);
		log_error("no virtual host %s", name);
		return S_NOT_FOUND;
	}
	if (cfg.root_fd != cfg.base_fd)
		close(cfg.root_fd);
	cfg.root_fd = fd;
	cfg.root_real = real;
	return 0;
}
#endif

/* A directory's URL ends in '/' (301, the query kept).  Out of line, as
 * are the other rare paths with a buffer of their own: the stack of every
 * request stays shallow, and touches fewer pages. */
static int __attribute__((noinline))
redirect_dir(struct conn *c, const struct request *req)
{
	struct response r;
	char loc[2 * MAX_PATH];

	http_response_init(&r, S_MOVED_PERMANENTLY);
	if (file_url_encode(req->path, loc, sizeof loc - 2) < 0)
		return respond_status(c, req, S_NOT_FOUND);
	snprintf(loc + strlen(loc), sizeof loc - strlen(loc), "/%s%.*s",
	         req->query ? "?" : "", (int)req->query_len,
	         req->query ? req->query : "");
	/* RFC 9110 §15.4.2: a 301 names its target in Location.  Not
	 * copied into the response's scratch space, which a long path or
	 * query would overflow (and the field be lost): loc outlives the
	 * answer. */
	http_add_header(&r, "Location", loc, strlen(loc), 0);
	return conn_respond_error(c, req, &r);
}

/* Serve the path of req: a document, a directory or a CGI program.
 * Returns the status, -1 when the connection must close, -2/-3 for a
 * local redirect (with -3, close afterwards). */
static int
dispatch(struct conn *c, struct request *req, char *redirect)
{
	struct target t;
	struct response r;
	int status, rc, listed = 0;

	/* RFC 9110 §9.3.6: a tunnel is a proxy's to open, and cgid is none
	 * (the parser let CONNECT through in its authority form alone) */
	if (req->method == M_CONNECT)
		return respond_status(c, req, S_NOT_IMPLEMENTED);
	if (req->path[0] == '*') {
		/* OPTIONS * (RFC 9110 §9.3.7) */
		http_response_init(&r, S_NO_CONTENT);
		http_add_header(&r, "Allow", "GET, HEAD, POST, OPTIONS", 24, 0);
		return conn_respond(c, req, &r, NULL, 0);
	}
#ifndef CGID_NO_VHOSTS
	if (cfg.vhosts && (status = select_vhost(req)) != 0)
		return respond_status(c, req, status);
#endif
	status = file_resolve(req->path, &t);
	if (status == 0 && S_ISDIR(t.st.st_mode)) {
		file_release(&t);
		if (req->path[req->path_len - 1] != '/')
			return redirect_dir(c, req);
		status = file_index(req->path, &req->path_len, &t);
		/* a listed directory is a resource like a document, with
		 * the same methods */
		if (status != 0)
			listed = cfg.list_dirs;
	}
	if (status != 0 && !listed) {
		file_release(&t);
		log_error("%.*s %s: %s", (int)req->method_len, req->method_s,
		          req->path,
		          status == S_NOT_FOUND ? "not found" : "forbidden");
		return respond_status(c, req, status);
	}
	if (!listed && cgi_selected(req->path, t.script_len)) {
		rc = run_cgi(c, req, &t, redirect);
		file_release(&t);
		return rc;
	}
	if (!listed && t.path_info[0] != '\0') {
		file_release(&t);
		return respond_status(c, req, S_NOT_FOUND);
	}
	switch (req->method) {
	case M_GET:
	case M_HEAD:
#ifndef CGID_NO_LISTING
		if (listed)
			rc = file_list(c, req);
		else
#endif
			rc = file_serve(c, req, &t, &r);
		break;
	case M_OPTIONS:
		http_response_init(&r, S_NO_CONTENT);
		http_add_header(&r, "Allow", "GET, HEAD, OPTIONS", 18, 0);
		rc = conn_respond(c, req, &r, NULL, 0);
		break;
	case M_OTHER:
		rc = respond_status(c, req, S_NOT_IMPLEMENTED);
		break;
	default:
		rc = respond_status(c, req, S_METHOD_NOT_ALLOWED);
		break;
	}
	file_release(&t);
	return rc;
}

/* One line per request; the request line is logged as it arrived. */
static void
access_log(const struct conn *c, const struct request *req, long long start_us)
{
	const struct header *ref, *ua;
	const char *rl = c->buf, *end = c->buf + c->end, *nl;

	if (!log_enabled())
		return;
	ref = req ? http_header(req, "Referer", NULL) : NULL;
	ua = req ? http_header(req, "User-Agent", NULL) : NULL;
	while (rl < end && (*rl == '\r' || *rl == '\n'))
		rl++;
	nl = memchr(rl, '\n', (size_t)(end - rl));
	if (nl == NULL)
		nl = end;
	if (nl > rl && nl[-1] == '\r')
		nl--;
	log_access(c->ep.remote_addr, rl, (size_t)(nl - rl), c->status,
	           c->bytes_out, ref ? ref->value : NULL, ref ? ref->value_len : 0,
	           ua ? ua->value : NULL, ua ? ua->value_len : 0,
	           now_us() - start_us);
}

/* -l: a pipe whose write end ([1]) only the listener keeps.  When it
 * stops it closes that end: the read end, which every child has (as
 * conn_stop_fd), then reads as at its end. */
static int stop_pipe[2] = {-1, -1};

/* One request on c.  Returns 1 when the connection persists. */
static int
handle_request(struct conn *c)
{
	static struct request req;
	static char redirect[MAX_PATH];
	long long start = now_us(), head_deadline = 0, idle_deadline = 0;
	int n, status, rc, redirects = 0;
	ssize_t got;
	size_t i;

	c->status = 0;
	c->close = 0;
	c->bytes_out = 0;
	c->floor = 0;
	conn_compact(c);
	for (;;) {
		n = http_parse_request(c->buf, c->end, &req, &status);
		if (n != -2)
			break;
		/* RFC 9112 §2.2: empty lines before a request are ignored
		 * (some clients send CRLF after a body) */
		for (i = 0; i < c->end && (c->buf[i] == '\r' || c->buf[i] == '\n');)
			i++;
		if (i == c->end)
			c->end = 0;
		if (c->end == 0 && c->nrequests > 0) {
			/* keep-alive: wait for the next request, then close;
			 * its time counts from its first byte.  The client
			 * needs a round trip to send it: wait, then read. */
			if (idle_deadline == 0)
				idle_deadline = now_us() + TIMEOUT_IDLE_MS * 1000LL;
			long long left = (idle_deadline - now_us()) / 1000;
			got = left > 0 && wait_idle(c->rfd, (int)left)
			      ? conn_fill(c, (int)left) : -1;
			start = now_us();
		} else {
			/* the head's time counts from start: the request's
			 * first read, or the end of the idle wait */
			long long left = TIMEOUT_HEAD_MS;

			if (head_deadline == 0)
				head_deadline = start + TIMEOUT_HEAD_MS * 1000LL;
			else
				left = (head_deadline - now_us()) / 1000;
			got = left > 0 ? conn_fill(c, (int)left) : -1;
			if (got < 0 && errno != ETIMEDOUT && left > 0)
				return 0;
			if (got < 0) {
				if (c->end > 0) {
					log_error("request head timed out");
					respond_status(c, NULL, S_REQUEST_TIMEOUT);
					access_log(c, NULL, start);
				}
				return 0;
			}
		}
		if (got <= 0) {
			if (c->end > 0)
				log_error("client closed in the request head");
			return 0;
		}
		if (head_deadline == 0)
			head_deadline = now_us() + TIMEOUT_HEAD_MS * 1000LL;
	}
	c->nrequests++;
	c->quiet = 0;
	if (n < 0) {
		log_error("%d %s: %s", status, http_reason(status), req.reason);
		respond_status(c, req.method_s ? &req : NULL, status);
		access_log(c, NULL, start);
		return 0;
	}
	c->start = c->floor = (size_t)n;
	c->quiet = !req.keep_alive && req.content_length <= 0 && !req.chunked;
	if (c->nrequests >= MAX_REQUESTS_PER_CONN)
		req.keep_alive = 0;
	for (;;) {
		rc = dispatch(c, &req, redirect);
		if (rc > -2)
			break;
		/* RFC 3875 §6.2.2: a local redirect is served as a new GET
		 * (or HEAD). */
		if (rc == -3)
			req.keep_alive = 0;
		if (++redirects > MAX_LOCAL_REDIRECTS) {
			log_error("too many local redirects");
			rc = respond_status(c, &req, S_INTERNAL_SERVER_ERROR);
			break;
		}
		{
			char *q = strchr(redirect, '?');
			size_t pl = q ? (size_t)(q - redirect) : strlen(redirect);
			int pn = http_normalize_path(redirect, pl, req.path,
			                             sizeof req.path);
			if (pn < 0) {
				log_error("invalid local redirect");
				rc = respond_status(c, &req, S_BAD_GATEWAY);
				break;
			}
			req.path_len = (size_t)pn;
			req.query = q ? q + 1 : NULL;
			req.query_len = q ? strlen(q + 1) : 0;
			req.target = redirect;
			req.target_len = strlen(redirect);
			/* a HEAD stays a HEAD: its answer has no body
			 * (RFC 9110 §9.3.2) */
			if (req.method != M_HEAD) {
				req.method = M_GET;
				req.method_s = "GET";
				req.method_len = 3;
			}
			/* no body, nor its Content-Type (-2: cgi.c) */
			req.content_length = -2;
			req.chunked = 0;
		}
	}
	access_log(c, &req, start);
	/* RFC 9112 §9.6: after "close", no further request is read */
	return rc >= 0 && req.keep_alive && !c->close;
}

/* This process's client connection. */
static struct conn conn;

/* Serve one connection to its end; conn is set up already when ready. */
static void
serve(int rfd, int wfd, int ready)
{
	struct conn *c = &conn;
	int one = 1;

	/* small responses and records go out at once (fails harmlessly on
	 * anything but TCP) */
	setsockopt(wfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifndef CGID_NO_FRONTS
	if (cfg.protocol == PROTO_SCGI) {
		scgi_serve(rfd, wfd);
		return;
	}
	if (cfg.protocol == PROTO_FASTCGI) {
		fastcgi_serve(rfd, wfd);
		return;
	}
#endif

	if (!ready)
		conn_init(c, rfd, wfd);
	while (handle_request(c))
		;
	if (c->is_socket && conn_must_linger(c))
		conn_linger(rfd, wfd);
}

/*
 * The listener answers a request for a small document itself, with no
 * fork, when that is safe and certain to be quick: the whole request
 * came in one read with nothing behind it, has no body, and names a
 * regular file of at most SMALL_DOC bytes that is no script (and no
 * FILE.gz may stand for it).  When the request lets the connection
 * persist, the listener holds the connection (struct held) and answers
 * its next request the same way, up to TIMEOUT_IDLE_MS after the last;
 * a request it does not answer goes, with the connection, to a child of
 * its own.  So a client fetching a page and its small parts costs no
 * process at all, and one listener wake-up answers every connection
 * that is ready (RFC 9112 §9.3).
 * The listener never waits on a client: it reads what is there, takes
 * only a file that fits the socket's send buffer with room to spare, and
 * a write that finds no room fails instead of waiting (and ends the
 * connection).  (It reads the file and writes the access log line
 * itself: a root on a slow network file system, or a stalled log reader,
 * holds it up as it would hold a child.)
 */
struct held {
	int fd;
	int nrequests;             /* answered on it; 0: a new connection */
	int sndbuf;                /* its socket's send buffer, once known */
	long long until;           /* ms: closed if no request comes by then
	                              (TIMEOUT_IDLE_MS after the last answer) */
	struct endpoints ep;
};

enum quick {
	QUICK_CHILD,               /* a child serves it: conn holds what was read */
	QUICK_DONE,                /* answered or ended: close it */
	QUICK_LINGER,              /* answered: a child closes it lingering */
	QUICK_HOLD,                /* answered: the listener holds it */
};

static enum quick
serve_quick(struct held *h)
{
	static struct request req;
	struct target t;
	struct response r;
	long long start = log_enabled() ? now_us() : 0;
	int n, status, rc;
	socklen_t len = sizeof h->sndbuf;
	ssize_t got;

	if (h->nrequests == 0)
		conn_init(&conn, h->fd, h->fd);
	else
		conn_resume(&conn, h->fd, &h->ep, h->nrequests);
	got = read(h->fd, conn.buf, sizeof conn.buf);
	if (got <= 0 && h->nrequests == 0)
		return QUICK_CHILD;
	if (got <= 0)
		return got < 0 && errno == EAGAIN ? QUICK_HOLD : QUICK_DONE;
	conn.end = (size_t)got;
	n = http_parse_request(conn.buf, conn.end, &req, &status);
	if (n != (int)got || req.content_length > 0 || req.chunked ||
	    (req.method != M_GET && req.method != M_HEAD) ||
	    req.path[0] != '/' || cfg.vhosts || cfg.gzip_static ||
	    cgi_selected(req.path, req.path_len))
		return QUICK_CHILD;
	/* the head takes well under 2 KiB; the rest is the kernel's margin */
	if (h->sndbuf == 0 &&
	    getsockopt(h->fd, SOL_SOCKET, SO_SNDBUF, &h->sndbuf, &len) < 0)
		return QUICK_CHILD;
	if (!file_cached(req.path, &t, h->nrequests > 0)) {
		if (file_resolve(req.path, &t) != 0 || !S_ISREG(t.st.st_mode) ||
		    t.path_info[0] != '\0' || t.st.st_size > SMALL_DOC) {
			file_release(&t);
			return QUICK_CHILD;
		}
		file_cache_put(req.path, &t);
	}
	if (t.st.st_size + 4096 > h->sndbuf) {
		file_release(&t);
		return QUICK_CHILD;
	}
	if (++conn.nrequests >= MAX_REQUESTS_PER_CONN)
		req.keep_alive = 0;
	conn.start = conn.floor = (size_t)n;
	conn.nowait = 1;
	conn.quiet = !req.keep_alive;
	rc = file_serve(&conn, &req, &t, &r);
	if (rc < 0)
		log_error("%s: no room for the response", req.path);
	file_release(&t);
	access_log(&conn, &req, start);
	if (rc >= 0 && req.keep_alive && !conn.close) {
		h->nrequests = conn.nrequests;
		h->ep = conn.ep;
		h->until = now_ms() + TIMEOUT_IDLE_MS;
		return QUICK_HOLD;
	}
	return conn_must_linger(&conn) ? QUICK_LINGER : QUICK_DONE;
}

/* ---- Accepting ---- */

/*
 * systemd's notification protocol (sd_notify(3)): one datagram to the
 * socket named by NOTIFY_SOCKET ('@' for the abstract namespace).  It is
 * a documented stable interface, so cgid speaks it without libsystemd.
 */
static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

static void
notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof notify_addr.sun_path)
		return;
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
notify(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof msg)
		sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL,
		       (struct sockaddr *)&notify_addr, notify_len);
}

static volatile sig_atomic_t children, stopping, reopen;
static pid_t *kids;              /* the open connections' processes */
static struct held *held;        /* the connections the listener holds */
static int nheld;

static void
on_sigchld(int sig)
{
	int saved = errno, i;
	pid_t pid;

	(void)sig;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (i = 0; i < cfg.max_connections; i++)
			if (kids[i] == pid) {
				kids[i] = 0;
				children--;
				break;
			}
	}
	errno = saved;
}

static void
on_sigterm(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
on_sighup(int sig)
{
	(void)sig;
	reopen = 1;
}

/* Remove held connection i (the last one takes its place); returns its
 * descriptor. */
static int
take_held(int i)
{
	int fd = held[i].fd;

	held[i] = held[--nheld];
	return fd;
}

/* The held connection idle longest (nheld > 0). */
static int
idlest_held(void)
{
	int j, k = 0;

	for (j = 1; j < nheld; j++)
		if (held[j].until < held[k].until)
			k = j;
	return k;
}

/*
 * Give connection fd to a child of its own, to serve (conn holds what
 * serve_quick read) or to close lingering, or close it.  The child keeps
 * no descriptor of the listener's: neither its sockets nor the other
 * connections, which would otherwise stay open as long as it runs.
 */
static void
hand_over(int fd, enum quick how, const int *fds, int n, const sigset_t *mask)
{
	pid_t pid;
	int i;

	if (how == QUICK_DONE) {
		close(fd);
		return;
	}
	/* (its SIGCHLD waits for ppoll: the child is recorded first) */
	pid = fork();
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sigprocmask(SIG_SETMASK, mask, NULL);
		for (i = 0; i < n; i++)
			close(fds[i]);
		for (i = 0; i < nheld; i++)
			close(held[i].fd);
		if (notify_fd >= 0)
			close(notify_fd);
		close(stop_pipe[1]);
		file_cache_drop();
		if (how == QUICK_LINGER)
			conn_linger(fd, fd);
		else
			serve(fd, fd, cfg.protocol == PROTO_HTTP);
		_exit(0);
	}
	close(fd);
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		return;
	}
	for (i = 0; i < cfg.max_connections; i++)
		if (kids[i] == 0) {
			kids[i] = pid;
			break;
		}
	children++;
}

/*
 * Accept connections; answer small documents here (serve_quick) and
 * fork a child for everything else.  At most max_connections are open,
 * children and held connections together; past that the listeners are
 * not polled and new connections wait in the kernel's backlog, unless
 * a held connection, idle between requests, can be closed to make room
 * (the one idle longest; RFC 9112 §9.5 lets a server close an idle
 * connection at any time).  SIGTERM stops accepting, closes the held
 * connections, has the children close theirs when idle between requests
 * (stop_pipe) and gives them the grace period.  --idle-exit
 * ends the process when nothing has happened for that long.
 */
static void
accept_loop(const int *fds, int n)
{
	static struct pollfd *p;  /* as kids and held: until the exit */
	struct sigaction sa = {0};
	struct timespec ts;
	sigset_t held_sigs, waitmask;
	long long served = 0, reported_served = 0, last = now_ms();
	long long accept_logged = 0;  /* accept's errors: one line a second */
	static const int handled[4] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};
	long long watchdog_ms = 0, next_dog = 0, now, wake;
	const char *v;
	int i, fd, nw, reported = 0, one = 1, was_open = 0;
	struct held h;
	enum quick how;

	if (n < 1 || n > MAX_LISTEN)
		return;
	pipe2(stop_pipe, O_CLOEXEC);  /* Linux sets both or neither */
	conn_stop_fd = stop_pipe[0];
	kids = calloc((size_t)cfg.max_connections, sizeof *kids);
	held = calloc((size_t)cfg.max_connections, sizeof *held);
	p = calloc((size_t)(n + cfg.max_connections + 2), sizeof *p);
	if (kids == NULL || held == NULL || p == NULL)
		die("out of memory", NULL);
	notify_init();
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = on_sigterm;
	sa.sa_flags = 0;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* SIGHUP: the log file was rotated (the listener does not stop) */
	sa.sa_handler = on_sighup;
	sigaction(SIGHUP, &sa, NULL);
	/* SIGCHLD and SIGTERM are handled only while the loop waits: one
	 * that came between the loop's checks and poll would otherwise be
	 * handled before poll and leave it asleep (no STATUS=, no stop, and
	 * with every slot taken, no more accepting). */
	sigemptyset(&held_sigs);
	for (i = 0; i < 4; i++)
		sigaddset(&held_sigs, handled[i]);
	sigprocmask(SIG_BLOCK, &held_sigs, &waitmask);
	/* and while it waits they are open, even if our parent blocked them */
	for (i = 0; i < 4; i++)
		sigdelset(&waitmask, handled[i]);
	for (i = 0; i < n; i++) {
		p[i].fd = fds[i];
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	}
	/* sd_watchdog_enabled(3): WATCHDOG_USEC, for us if WATCHDOG_PID is */
	if ((v = getenv("WATCHDOG_USEC")) != NULL &&
	    ((v = getenv("WATCHDOG_PID")) == NULL ||
	     strtoll(v, NULL, 10) == (long)getpid()))
		watchdog_ms = strtoll(getenv("WATCHDOG_USEC"), NULL, 10) / 2000;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	notify("READY=1\nSTATUS=accepting connections");

	while (!stopping) {
		if (reopen) {
			reopen = 0;
			log_reopen();
		}
		if (children + nheld != reported || served != reported_served) {
			reported = children + nheld;
			reported_served = served;
			notify("STATUS=%d open, %lld served", reported, served);
		}
		now = now_ms();
		wake = -1;
		if (watchdog_ms > 0) {
			if (now >= next_dog) {
				notify("WATCHDOG=1");
				next_dog = now + watchdog_ms;
			}
			wake = next_dog;
		}
		/* --idle-exit counts from the end of the last connection
		 * (the first round after it: its SIGCHLD wakes the loop) */
		if (children + nheld > 0 || was_open)
			last = now;
		was_open = children + nheld > 0;
		if (cfg.idle_exit > 0 && !was_open) {
			if (now - last >= cfg.idle_exit * 1000LL) {
				log_info("no connection for %d s: exiting", cfg.idle_exit);
				break;
			}
			if (wake < 0 || last + cfg.idle_exit * 1000LL < wake)
				wake = last + cfg.idle_exit * 1000LL;
		}
		for (i = nheld - 1; i >= 0; i--)
			if (held[i].until <= now)
				close(take_held(i));
			else if (wake < 0 || held[i].until < wake)
				wake = held[i].until;
		/* a long --idle-exit is more milliseconds than an int holds */
		if (wake >= 0 && wake < now)
			wake = now;
		ts.tv_sec = wake < 0 ? 0 : (time_t)((wake - now) / 1000);
		ts.tv_nsec = wake < 0 ? 0 : (wake - now) % 1000 * 1000000L;
		for (i = 0; i < n; i++)
			p[i].events = children + nheld < cfg.max_connections ||
			              nheld > 0 ? POLLIN : 0;
		for (i = 0; i < nheld; i++) {
			p[n + i].fd = held[i].fd;
			p[n + i].events = POLLIN;
		}
		/* the cache's watches last: see file_cached */
		nw = file_cache_fds(p + n + nheld);
		if (ppoll(p, (nfds_t)(n + nheld + nw),
		          wake < 0 ? NULL : &ts, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			break;
		}
		for (i = n + nheld; i < n + nheld + nw; i++)
			if (p[i].revents != 0)
				file_cache_forget();
		/* backwards: take_held moves the last one, already seen, into
		 * the place of the one it takes */
		for (i = nheld - 1; i >= 0 && !stopping; i--) {
			if (p[n + i].revents == 0)
				continue;
			last = now_ms();
			how = serve_quick(&held[i]);
			if (how != QUICK_HOLD)
				hand_over(take_held(i), how, fds, n, &waitmask);
		}
		for (i = 0; i < n && !stopping; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			/* full, with no idle connection to close: the rest
			 * wait in the backlog (one poll may find several
			 * listeners ready) */
			if (children + nheld >= cfg.max_connections && nheld == 0)
				break;
			fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0 && (errno == EMFILE || errno == ENFILE) &&
			    nheld > 0) {
				/* out of descriptors: the held connections
				 * make way, the one idle longest first */
				close(take_held(idlest_held()));
				i--;
				continue;
			}
			if (fd < 0) {
				if (errno != EAGAIN && errno != EINTR &&
				    errno != ECONNABORTED &&
				    now_ms() - accept_logged >= 1000) {
					log_error("accept: %s", strerror(errno));
					accept_logged = now_ms();
				}
				if (errno == EMFILE || errno == ENFILE ||
				    errno == ENOBUFS || errno == ENOMEM)
					poll(NULL, 0, 100);
				continue;
			}
			last = now_ms();
			served++;
			/* room: the held connection idle longest */
			if (children + nheld >= cfg.max_connections && nheld > 0)
				close(take_held(idlest_held()));
			h = (struct held){.fd = fd};
			how = cfg.protocol == PROTO_HTTP ? serve_quick(&h)
			                                 : QUICK_CHILD;
			if (how == QUICK_HOLD) {
				/* small responses go out at once */
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				           sizeof one);
				held[nheld++] = h;
				continue;
			}
			hand_over(fd, how, fds, n, &waitmask);
		}
	}

	/* Stop: no new connections, no more requests on the held ones or on
	 * the children's (idle between requests); the children get the
	 * grace period to finish the requests they serve. */
	sigprocmask(SIG_SETMASK, &waitmask, NULL);
	notify("STOPPING=1\nSTATUS=stopping, %d open", (int)children);
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(stop_pipe[1]);
	while (nheld > 0)
		close(take_held(nheld - 1));
	for (long long until = now_ms() + cfg.grace * 1000LL;
	     children > 0 && now_ms() < until;)
		poll(NULL, 0, 20);
	if (children > 0) {
		log_error("%d connections still open after %d s: ending them",
		          (int)children, cfg.grace);
		/* kids[] is the SIGCHLD handler's too */
		sigprocmask(SIG_BLOCK, &held_sigs, NULL);
		for (i = 0; i < cfg.max_connections; i++)
			if (kids[i] > 0)
				kill(kids[i], SIGTERM);
		sigprocmask(SIG_SETMASK, &waitmask, NULL);
		for (long long until = now_ms() + 2000;
		     children > 0 && now_ms() < until;)
			poll(NULL, 0, 20);
	}
}

static int socket_mode = DEFAULT_SOCKET_MODE;
static const char *unix_paths[MAX_LISTEN]; /* -l unix: sockets bound */
static int n_unix;

/* -l unix:PATH.  A socket file left by an earlier run is removed, but
 * only when nothing answers on it; any other file is left alone. */
static int
listen_unix(const char *spec)
{
	const char *path = spec + 5;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd, probe;

	if (path[0] == '\0' || strlen(path) >= sizeof sun.sun_path)
		die_usage("invalid Unix socket path in --listen", spec);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode))
			die("not a socket", path);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0)
			die("socket in use", path);
		if (probe >= 0)
			close(probe);
		if (unlink(path) < 0)
			die(strerror(errno), path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket", strerror(errno));
	/* created with the final mode: no moment with wider permissions */
	old = umask((mode_t)(~socket_mode & 0777));
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		umask(old);
		die(strerror(errno), path);
	}
	umask(old);
	if (chmod(path, (mode_t)socket_mode) < 0 || listen(fd, LISTEN_BACKLOG) < 0)
		die(strerror(errno), path);
	unix_paths[n_unix++] = path;
	return fd;
}

static int
listen_on(const char *spec)
{
	char host[128] = "0.0.0.0";
	const char *port = spec, *colon = strrchr(spec, ':');
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, defer = DEFER_ACCEPT_S;
	char *end;
	long long pn;

	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec);
	memset(&ss, 0, sizeof ss);
	if (colon != NULL) {
		size_t hl = (size_t)(colon - spec);
		if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
			spec++;
			hl -= 2;
		}
		if (hl >= sizeof host)
			die_usage("invalid address", spec);
		memcpy(host, spec, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	pn = strtoll(port, &end, 10);
	if (*port == '\0' || *end != '\0' || pn < 0 || pn > 65535)
		die_usage("invalid port in --listen", spec);
	if (strchr(host, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)pn);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			die_usage("invalid address in --listen", spec);
		len = sizeof *in6;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)pn);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			die_usage("invalid address in --listen", spec);
		len = sizeof *in;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	/* tcp(7) TCP_DEFER_ACCEPT: a connection is accepted once its first
	 * bytes have come (the client speaks first), or after a second of
	 * silence.  The listener then finds the request there and can answer
	 * it without a fork, and a silent connection costs no process. */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0)
		die(strerror(errno), spec);
	return fd;
}

static int
is_listening(int fd)
{
	int v = 0;
	socklen_t l = sizeof v;

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v;
}

/*
 * inetd "wait" passes the listening socket as fd 0, 1 and 2.  Move it
 * above 2 and put /dev/null in its places: fds 0-2 must stay taken, or
 * a connection's pipes and directories would land there and be
 * overwritten when a script gets its standard descriptors.
 */
static int
listener_off_stdio(const char **log_dest)
{
	struct stat l, st;
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 3), null, i;

	if (fd < 0 || fstat(0, &l) < 0 ||
	    (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		die("cannot move the listening socket", strerror(errno));
	for (i = 0; i < 3; i++)
		if (fstat(i, &st) == 0 && st.st_dev == l.st_dev &&
		    st.st_ino == l.st_ino) {
			dup2(null, i);
			/* stderr was the socket: the log goes to syslog */
			if (i == 2 && *log_dest == NULL)
				*log_dest = "syslog";
		}
	close(null);
	return fd;
}

static int
is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* ---- Options ---- */

static long long
number(const char *s, const char *opt, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < 0 || v > max)
		die_usage("invalid value for", opt);
	return v;
}

/* --limit NAME=VALUE */
static void
set_limit(const char *arg)
{
	static const struct {
		const char *name;
		long long *v;
	} names[] = {
		{"cpu", &cfg.limit_cpu}, {"as", &cfg.limit_as},
		{"nofile", &cfg.limit_nofile}, {"nproc", &cfg.limit_nproc},
	};
	const char *eq = strchr(arg, '=');
	size_t i;

	for (i = 0; eq && i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == (size_t)(eq - arg) &&
		    strncmp(arg, names[i].name, (size_t)(eq - arg)) == 0) {
			*names[i].v = number(eq + 1, "--limit", LLONG_MAX);
			return;
		}
	die_usage("invalid --limit (cpu, as, nofile or nproc =VALUE)", arg);
}

/*
 * --user USER[:GROUP]: the order is setgroups, setresgid, setresuid, and
 * then a check that none of the old ids can be regained.
 */
struct ids {
	uid_t uid;
	gid_t gid;
};

/* Look the user up before any chroot: its passwd file is outside. */
static struct ids
lookup_user(const char *spec)
{
	char name[256];
	const char *colon = strchr(spec, ':');
	struct passwd *pw;
	struct group *gr;
	struct ids id;
	size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);

	if (nl == 0 || nl >= sizeof name || (colon != NULL && colon[1] == '\0'))
		die_usage("invalid --user", spec);
	memcpy(name, spec, nl);
	name[nl] = '\0';
	if ((pw = getpwnam(name)) == NULL)
		die("no such user", name);
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL)
			die("no such group", colon + 1);
		id.gid = gr->gr_gid;
	}
	endpwent();
	endgrent();
	return id;
}

static void
drop_privileges(struct ids id)
{
	uid_t uid = id.uid, ru, eu, su;
	gid_t gid = id.gid, rg, eg, sg;

	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		die("cannot change user", strerror(errno));
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid || (uid != 0 && setresuid(0, 0, 0) == 0))
		die("privileges were not dropped", NULL);
}

/*
 * The long options, one "VAL ARG NAME" each (ARG ':' for an argument,
 * ' ' for none), made into getopt_long's table on the stack at every
 * call: a table of pointers in the program would be relocated at every
 * start, and take nearly a kilobyte of the router build's 64 KiB.
 */
static const char long_options[] =
	"l:listen\0" "D:cgi-dir\0" "E:cgi-ext\0" "L:log\0" "B:max-body\0"
	"T:cgi-timeout\0" "I:cgi-idle-timeout\0" "i:interpreter\0"
	"W allow-writable-scripts\0" "A pass-authorization\0" "H https\0"
	"d list-dirs\0" "z gzip-static\0" "v vhosts\0" "u:user\0" "C:chroot\0"
	"r allow-root\0" "R:limit\0" "M:max-connections\0" "G:grace\0"
	"X:idle-exit\0" "e:env\0" "p:pass-env\0" "P:protocol\0"
	"S:script-stderr\0" "O:socket-mode\0" "h help\0" "V version\0";

static int __attribute__((noinline))
next_option(int argc, char **argv)
{
	struct option o[30] = {{0}};
	const char *s = long_options;
	int i;

	for (i = 0; *s != '\0'; i++, s += strlen(s) + 1)
		o[i] = (struct option){s + 2, s[1] == ':' ? required_argument
		                                          : no_argument, NULL, s[0]};
	/* ':' first: no messages of getopt's own, which would go to fd 2,
	 * but die_usage's */
	return getopt_long(argc, argv, ":l:hV", o, NULL);
}

int
main(int argc, char **argv)
{
	const char *listen_specs[MAX_LISTEN], *log_dest = NULL, *v;
	const char *user = NULL, *chroot_dir = NULL;
	struct ids ids = {0, 0};
	int n_listen = 0, dirs_set = 0, exts_set = 0, ch, fd, i;
	int fds[MAX_LISTEN], nfds = 0, client = -1;

	/* fds 0-2 must be open, so that no file of ours becomes one (one
	 * poll tells which are not: POLLNVAL) */
	{
		struct pollfd std[3] = {{.fd = 0}, {.fd = 1}, {.fd = 2}};
		poll(std, 3, 0);
		for (fd = 0; fd < 3; fd++)
			if ((std[fd].revents & POLLNVAL) &&
			    open("/dev/null", O_RDWR) != fd)
				return 1;
	}

	cfg.max_body = DEFAULT_MAX_BODY;
	cfg.cgi_timeout = DEFAULT_CGI_TIMEOUT;
	cfg.cgi_idle_timeout = DEFAULT_CGI_IDLE;
	cfg.limit_as = DEFAULT_LIMIT_AS;
	cfg.limit_nofile = DEFAULT_LIMIT_NOFILE;
	cfg.limit_nproc = DEFAULT_LIMIT_NPROC;
	cfg.limit_cpu = -1;
	cfg.max_connections = DEFAULT_MAX_CONNECTIONS;
	cfg.grace = DEFAULT_GRACE;
	cfg.cgi_dirs[cfg.n_cgi_dirs++] = "/cgi-bin/";
	cfg.cgi_exts[cfg.n_cgi_exts++] = ".cgi";
	while ((ch = next_option(argc, argv)) != -1) {
		switch (ch) {
		case 'l':
			if (n_listen == MAX_LISTEN)
				die_usage("too many --listen options", NULL);
			listen_specs[n_listen++] = optarg;
			break;
		case 'D':
			if (!dirs_set++)
				cfg.n_cgi_dirs = 0;
			if (strcmp(optarg, "none") == 0)
				break;
			if (optarg[0] != '/' || cfg.n_cgi_dirs == MAX_CGI_RULES)
				die_usage("invalid --cgi-dir", optarg);
			cfg.cgi_dirs[cfg.n_cgi_dirs++] = optarg;
			break;
		case 'E':
			if (!exts_set++)
				cfg.n_cgi_exts = 0;
			if (strcmp(optarg, "none") == 0)
				break;
			if (optarg[0] == '\0' || strchr(optarg, '/') ||
			    cfg.n_cgi_exts == MAX_CGI_RULES)
				die_usage("invalid --cgi-ext", optarg);
			cfg.cgi_exts[cfg.n_cgi_exts++] = optarg;
			break;
		case 'L':
			log_dest = optarg;
			break;
		case 'B':
			cfg.max_body = number(optarg, "--max-body", LLONG_MAX);
			break;
		case 'T':
			cfg.cgi_timeout = (int)number(optarg, "--cgi-timeout", 86400);
			if (cfg.cgi_timeout == 0)
				die_usage("invalid value for", "--cgi-timeout");
			break;
		case 'W':
			cfg.allow_writable = 1;
			break;
		case 'A':
			cfg.pass_auth = 1;
			break;
		case 'H':
			cfg.https = 1;
			break;
		case 'd':
#ifdef CGID_NO_LISTING
			die_usage("not in this build (make FRONTS=no)", "--list-dirs");
#endif
			cfg.list_dirs = 1;
			break;
		case 'z':
			cfg.gzip_static = 1;
			break;
		case 'v':
#ifdef CGID_NO_VHOSTS
			die_usage("not in this build (make FRONTS=no)", "--vhosts");
#endif
			cfg.vhosts = 1;
			break;
		case 'r':
			cfg.allow_root = 1;
			break;
		case 'I':
			cfg.cgi_idle_timeout = (int)number(optarg,
			                                   "--cgi-idle-timeout", 86400);
			if (cfg.cgi_idle_timeout == 0)
				die_usage("invalid value for", "--cgi-idle-timeout");
			break;
		case 'i':
			v = strchr(optarg, '=');
			if (v == NULL || optarg[0] != '.' || v == optarg + 1 ||
			    v[1] != '/' || cfg.n_interp == MAX_CGI_RULES)
				die_usage("invalid --interpreter (.EXT=/PATH)", optarg);
			*(char *)v = '\0';
			cfg.interp[cfg.n_interp].ext = optarg;
			cfg.interp[cfg.n_interp++].path = v + 1;
			break;
		case 'u':
			user = optarg;
			break;
		case 'C':
			chroot_dir = optarg;
			break;
		case 'R':
			set_limit(optarg);
			break;
		case 'M':
			cfg.max_connections = (int)number(optarg, "--max-connections",
			                                  65536);
			if (cfg.max_connections == 0)
				die_usage("invalid value for", "--max-connections");
			break;
		case 'G':
			cfg.grace = (int)number(optarg, "--grace", 86400);
			break;
		case 'X':
			cfg.idle_exit = (int)number(optarg, "--idle-exit", 86400 * 365);
			break;
		case 'p':
			if (strlen(optarg) >= MAX_ENV_NAME)
				die_usage("invalid --pass-env", optarg);
			if ((v = getenv(optarg)) == NULL)
				break;
			{
				size_t len = strlen(optarg) + strlen(v) + 2;
				char *s = calloc(len, 1);  /* one allocator imported */
				if (s == NULL)
					die("out of memory", NULL);
				snprintf(s, len, "%s=%s", optarg, v);
				optarg = s; /* NAME=VALUE, as --env gives */
			}
			/* fall through */
		case 'e':
			v = strchr(optarg, '=');
			if (v == NULL || v == optarg || v - optarg >= MAX_ENV_NAME)
				die_usage("invalid --env", optarg);
			/* a name given again takes the new value in its old
			 * place: programs get it once, as shells and other
			 * languages would take different ones of two */
			for (i = 0; i < cfg.n_extra_env &&
			            strncmp(cfg.extra_env[i], optarg,
			                    (size_t)(v - optarg) + 1) != 0; i++)
				;
			if (i == MAX_EXTRA_ENV)
				die_usage("too many --env and --pass-env names", NULL);
			cfg.extra_env[i] = optarg;
			cfg.n_extra_env += i == cfg.n_extra_env;
			break;
		case 'P':
			if (strcmp(optarg, "http") == 0)
				cfg.protocol = PROTO_HTTP;
#ifndef CGID_NO_FRONTS
			else if (strcmp(optarg, "scgi") == 0)
				cfg.protocol = PROTO_SCGI;
			else if (strcmp(optarg, "fastcgi") == 0)
				cfg.protocol = PROTO_FASTCGI;
#endif
			else
				die_usage("invalid --protocol", optarg);
			break;
		case 'S':
			if (strcmp(optarg, "log") == 0)
				cfg.stderr_to_front = 0;
			else if (strcmp(optarg, "front") == 0)
				cfg.stderr_to_front = 1;
			else
				die_usage("invalid --script-stderr", optarg);
			break;
		case 'O': {
			char *end;
			long long m = strtoll(optarg, &end, 8);
			if (*optarg == '\0' || *end != '\0' || m < 0 || m > 0777)
				die_usage("invalid --socket-mode", optarg);
			socket_mode = (int)m;
			break;
		}
		case 'h':
			print_text(usage);
			return 0;
		case 'V':
			print_text("cgid " CGID_VERSION "\n");
			return 0;
		case ':':
			die_usage("option needs an argument", argv[optind - 1]);
			break;
		default:
			die_usage("invalid option", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		die_usage(optind < argc ? "too many arguments" : "missing ROOT",
		          NULL);
	cfg.root = argv[optind];
	if (cfg.limit_cpu < 0)
		cfg.limit_cpu = cfg.cgi_timeout;

	/* Activation: find the connection or the listening sockets. */
	v = getenv("LISTEN_PID");
	if (v != NULL && strtoll(v, NULL, 10) == (long)getpid() &&
	    (v = getenv("LISTEN_FDS")) != NULL) {
		int n = (int)strtoll(v, NULL, 10);
		if (n < 1 || n > MAX_LISTEN)
			die("unusable LISTEN_FDS", v);
		/* fds holds these and the -l sockets */
		if (n + n_listen > MAX_LISTEN)
			die("too many listening sockets", v);
		for (i = 0; i < n; i++) {
			fcntl(3 + i, F_SETFD, FD_CLOEXEC);
			if (is_listening(3 + i))
				fds[nfds++] = 3 + i;
			else if (client < 0 && is_socket(3 + i))
				client = 3 + i;
		}
	} else if (n_listen == 0 && (is_socket(0) || getenv("PROTO") != NULL)) {
		if (is_listening(0))
			fds[nfds++] = listener_off_stdio(&log_dest);
		else
			client = 0;
	}
	for (i = 0; i < n_listen; i++)
		fds[nfds++] = listen_on(listen_specs[i]);
	/* The activation variables are ours alone. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");

	if (log_open(log_dest, client) < 0)
		die(strerror(errno), log_dest);
	if (user != NULL)
		ids = lookup_user(user);
	/* --user: its sockets are the user's (and its group's) */
	for (i = 0; user != NULL && i < n_unix; i++)
		if (chown(unix_paths[i], ids.uid, ids.gid) < 0)
			die(strerror(errno), unix_paths[i]);
	if (chroot_dir != NULL && (chroot(chroot_dir) < 0 || chdir("/") < 0))
		die("cannot chroot", strerror(errno));
	/* openat(2) directly: musl's open(3) follows O_CLOEXEC with an
	 * F_SETFD of its own */
	cfg.base_fd = (int)syscall(SYS_openat, AT_FDCWD, cfg.root,
	                           O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* ROOT's canonical path.  A process for one connection takes it
	 * from the kernel (fchdir and getcwd, then to "/", where a server
	 * that opens nothing by a relative path from here on may as well
	 * be), rather than from realpath(3), which costs a readlink for
	 * every component of the path and its buffers a page of stack at
	 * every start; a listener keeps its directory for --log's
	 * reopening. */
	if (cfg.base_fd < 0 ||
	    (client >= 0 ? fchdir(cfg.base_fd) < 0 ||
	                   syscall(SYS_getcwd, cfg.base_real, MAX_PATH) <= 0 ||
	                   cfg.base_real[0] != '/' || chdir("/") < 0
	                 : realpath(cfg.root, cfg.base_real) == NULL))
		die("cannot use ROOT", cfg.root);
	cfg.root_fd = cfg.base_fd;
	cfg.root_real = cfg.base_real;
	if (user != NULL)
		drop_privileges(ids);
	/* a listener's children start programs: what was ignored by whoever
	 * started it is set back once here, not at every program's start */
	if (client >= 0)
		cfg.one_connection = 1;
	else
		cgi_signals_default();
	signal(SIGPIPE, SIG_IGN);

	if (client >= 0) {
		serve(client, client == 0 ? 1 : client, 0);
		return 0;
	}
	if (nfds == 0)
		die("no connection on fd 0 or 3 and no --listen given", NULL);
	accept_loop(fds, nfds);
	return 0;
}
