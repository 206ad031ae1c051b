/*
 * front.c - one request from a front server (SCGI or FastCGI): which
 * script, with which environment, and the CGI response in the form front
 * servers read.
 *
 * The script.  SCRIPT_FILENAME names it when the front sends it; it must
 * lie beneath cgid's ROOT.  Otherwise DOCUMENT_ROOT (beneath ROOT, or
 * ROOT itself when absent) and SCRIPT_NAME name it.  The path is walked
 * beneath ROOT with file_resolve(), so symbolic links cannot lead out, and
 * when the front sends no PATH_INFO the walk splits PATH_INFO off as in
 * HTTP mode (RFC 3875 §4.1.5, §4.1.13).  The same rules as in HTTP mode
 * then decide: --cgi-dir/--cgi-ext select the program, and it must be a
 * regular file, executable, writable by its owner alone (403 otherwise).
 *
 * The body.  With a CONTENT_LENGTH it is relayed to the program as it
 * comes; without one (FastCGI, a front that does not know the length)
 * it is spooled into a file first, so that the program can be told its
 * length (spool_body).
 *
 * The environment (RFC 3875 §4.1) is built from scratch.  The front's
 * parameters are its meta-variables and pass, but for: the variables cgid
 * sets itself (the script's names and paths, CONTENT_LENGTH, PATH,
 * GATEWAY_INTERFACE, SERVER_SOFTWARE, --env and --pass-env names),
 * activation variables, and the request headers that HTTP mode does not
 * pass either (HTTP_PROXY, HTTP_AUTHORIZATION, HTTP_CONTENT_*).  Names
 * must be usable as environment names.  Request headers arrive as HTTP_*
 * parameters, so a client can never set a variable that only the front
 * server may set.
 *
 * The response.  Front servers read a CGI-style header block (nginx and
 * lighttpd both parse "Status:"), so the script's block is re-serialized
 * with the Status line first, hop-by-hop fields dropped, and the body
 * bounded by the script's Content-Length.  A local redirect (§6.2.2) is
 * served here, as in HTTP mode: the new path is run as a GET (a HEAD stays
 * a HEAD), or sent as a document when it is not a CGI program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "file.h"
#include "front.h"

/* What a local redirect changes in the request (§6.2.2). */
struct redirect {
	const char *uri;           /* the Location, for REQUEST_URI */
	char path[MAX_PATH];       /* decoded and normalised path */
	const char *query;
	size_t query_len;
};

/* The engine's callbacks for one script run. */
struct run {
	struct front *fr;
	long long declared;        /* script's Content-Length, or -1 */
	long long written;         /* body bytes the script wrote */
	int head_sent;
	int complete;              /* the response was ended */
	int error;                 /* status the engine wants answered */
	char *redirect;            /* Location of a local redirect */
	int head;                  /* the request is a HEAD */
	int no_body;               /* the response has none (RFC 9110 §6.4.1) */
};

static int
is(const struct param *p, const char *name)
{
	return p->name_len == strlen(name) && memcmp(p->name, name, p->name_len) == 0;
}

static int
has_prefix(const struct param *p, const char *prefix)
{
	size_t n = strlen(prefix);

	return p->name_len >= n && memcmp(p->name, prefix, n) == 0;
}

/* A non-empty parameter, or NULL. */
static const struct param *
get(const struct params *ps, const char *name)
{
	const struct param *p = params_get(ps, name);

	return p != NULL && p->value_len > 0 ? p : NULL;
}

static int
is_head(const struct params *ps)
{
	const struct param *m = get(ps, "REQUEST_METHOD");

	return m != NULL && m->value_len == 4 && memcmp(m->value, "HEAD", 4) == 0;
}

/* Is the front's parameter passed to the script? */
static int
pass_param(const struct param *p, const struct redirect *rd)
{
	static const char *const ours[] = {
		/* set by cgid from the script it found */
		"SCRIPT_NAME", "SCRIPT_FILENAME", "DOCUMENT_ROOT", "PATH_INFO",
		"PATH_TRANSLATED", "CONTENT_LENGTH",
		/* env_add_config */
		"GATEWAY_INTERFACE", "SERVER_SOFTWARE", "PATH",
		/* activation: systemd, UCSPI; and the SCGI marker */
		"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET",
		"PROTO", "SCGI",
		/* request headers HTTP mode does not pass (httpoxy, the proxy's
		 * credentials, the body's own variables; the coding of a body
		 * the script reads decoded, RFC 3875 §4.2) */
		"HTTP_PROXY", "HTTP_PROXY_AUTHORIZATION", "HTTP_CONTENT_LENGTH",
		"HTTP_CONTENT_TYPE", "HTTP_TRANSFER_ENCODING",
	};
	size_t i;

	/* [A-Za-z_][A-Za-z0-9_]*: a name a shell and a script can use, of
	 * at most MAX_PARAM_NAME bytes; a request header's name of at most
	 * MAX_ENV_HEADER_NAME, as in HTTP mode */
	if ((p->name[0] >= '0' && p->name[0] <= '9') ||
	    p->name_len > (has_prefix(p, "HTTP_") ? 5 + MAX_ENV_HEADER_NAME
	                                         : MAX_PARAM_NAME))
		return 0;
	for (i = 0; i < p->name_len; i++) {
		char c = p->name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	if (memchr(p->value, '\0', p->value_len) != NULL)
		return 0;
	for (i = 0; i < sizeof ours / sizeof ours[0]; i++)
		if (is(p, ours[i]))
			return 0;
	if (has_prefix(p, "TCPREMOTE") || has_prefix(p, "TCPLOCAL") ||
	    has_prefix(p, "TCP6REMOTE") || has_prefix(p, "TCP6LOCAL"))
		return 0;
	/* credentials stay with the server, as in HTTP mode */
	if (is(p, "HTTP_AUTHORIZATION") && !cfg.pass_auth)
		return 0;
	if (is(p, "CONTENT_TYPE") && (p->value_len == 0 || rd != NULL))
		return 0;
	if (rd != NULL && (is(p, "REQUEST_METHOD") || is(p, "QUERY_STRING") ||
	                   is(p, "REQUEST_URI")))
		return 0;
	return 1;
}

/* v[0..len) into out (size > 0) with each run of '/' made one: a front
 * server's path may hold "//" (nginx with SCRIPT_FILENAME set to
 * "$document_root/$fastcgi_script_name", or merge_slashes off), which
 * names the same file (POSIX.1-2017 §4.13), and HTTP mode collapses it
 * in a request's path as well.  Returns the new length, -1 when it does
 * not fit. */
static int
squeeze(const char *v, size_t len, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (v[i] == '/' && n > 0 && out[n - 1] == '/')
			continue;
		if (n + 1 >= size)
			return -1;
		out[n++] = v[i];
	}
	out[n] = '\0';
	return (int)n;
}

/* The part of an absolute path v[0..len) below cgid's ROOT, into out;
 * -1 when v does not lie beneath ROOT. */
static int
below_root(const char *v, size_t len, char *out, size_t size)
{
	char buf[MAX_PATH];
	size_t rl = strlen(cfg.root_real);
	int n = squeeze(v, len, buf, sizeof buf);

	if (strcmp(cfg.root_real, "/") == 0)
		rl = 0;
	if (n < 0)
		return -1;
	len = (size_t)n;
	if (len < rl || memcmp(buf, cfg.root_real, rl) != 0 ||
	    (len > rl && buf[rl] != '/') || len - rl >= size)
		return -1;
	memcpy(out, buf + rl, len - rl);
	out[len - rl] = '\0';
	return 0;
}

/* A path from the front server must be plain: absolute, no NUL or
 * control byte, no "." or ".." element, no empty one but the last (a
 * PATH_INFO may end in '/', RFC 3875 §4.1.5). */
static int
plain_path(const char *p)
{
	const char *e;
	size_t n;

	if (p[0] != '/')
		return 0;
	for (e = p; *e; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f)
			return 0;
	while (*p == '/') {
		p++;
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if ((n == 0 && *p != '\0') || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
	}
	return 1;
}

/*
 * A body whose length the front server does not know (nginx with
 * fastcgi_request_buffering off and a chunked upload sends FastCGI no
 * CONTENT_LENGTH, and the FCGI_STDIN stream simply ends with its empty
 * record, FastCGI §3.3): RFC 3875 §4.1.2 and §4.2 want CONTENT_LENGTH
 * for a request with a body (as FastCGI §6.2 has a Responder read at
 * most CONTENT_LENGTH bytes of FCGI_STDIN), and many programs read
 * exactly that many bytes and nothing when it is missing.  So the whole
 * body is read first, into an unlinked file that becomes the program's
 * stdin, as HTTP mode does with a chunked body, and fr->content_length
 * is its length (0 for an empty body, which needs no file, and gets no
 * CONTENT_LENGTH, as a request without a body in HTTP mode).
 * Management records and ABORT_REQUEST are handled by body_read as
 * while a body is relayed.  Returns 0, the status to answer (413 past
 * --max-body, 408 when too slow), or -1 when the front server closed the
 * connection or aborted the request: no answer (after ABORT_REQUEST,
 * END_REQUEST alone, §5.4).
 */
static int
spool_body(struct front *fr, const char *log_name)
{
	char buf[IO_BUF];
	struct spool sp;
	ssize_t n;
	int status, left;

	spool_start(&sp);
	for (;;) {
		n = fr->body_read(fr->proto, buf, sizeof buf);
		if (n == 0)
			break;
		if (n > 0) {
			status = spool_write(&sp, buf, (size_t)n, 0);
			if (status != 0)
				goto fail;
			continue;
		}
		if (n != -2) {
			log_error("%s: the request body was cut short", log_name);
			status = -1;
			goto fail;
		}
		left = spool_wait(&sp);
		if (left <= 0 || wait_fd(fr->in_fd, POLLIN, left) <= 0) {
			log_error("%s: request body stalled or too slow", log_name);
			status = S_REQUEST_TIMEOUT;
			goto fail;
		}
	}
	fr->body_fd = spool_done(&sp);
	fr->content_length = sp.total;
	return 0;
fail:
	if (sp.fd >= 0)
		close(sp.fd);
	return status;
}

/*
 * A local redirect's path names the directory t, as HTTP mode serves one
 * (RFC 3875 §6.2.2: the server processes the new path as a request for
 * it): its index.html, else its index.cgi where that would run; a path
 * without its final '/' is answered 301, to the path with it.  path, of
 * length pl, is where rd->path lies beneath ROOT (file_index looks
 * there).  Returns 0 with t and rd->path naming the index, 1 for the
 * 301, or the status to answer.
 */
static int
redirect_index(struct redirect *rd, char *path, size_t pl, struct target *t)
{
	size_t rl = strlen(rd->path), len = pl;
	int status;

	file_release(t);
	if (rl == 0 || rd->path[rl - 1] != '/')
		return 1;
	status = file_index(path, &len, t);
	if (status != 0)
		return status;
	/* the index's name, after the redirect's path as well */
	if (rl + len - pl >= sizeof rd->path) {
		file_release(t);
		path[pl] = '\0';
		return S_NOT_FOUND;
	}
	memcpy(rd->path + rl, path + pl, len - pl + 1);
	path[pl] = '\0';
	return 0;
}

/*
 * Find the script (or, after a local redirect, the document) and build
 * its environment.  Returns 0, the status to answer, or -1 for no answer.
 * *doc is set when t names a document to send rather than a program to
 * run, and to 2 when a local redirect names a directory without its
 * final '/' (a 301 to answer).
 */
static int
prepare(struct front *fr, const struct params *ps, struct redirect *rd,
        struct env *e, struct target *t, char *log_name, int *doc,
        const char **interp)
{
	const struct param *sf = get(ps, "SCRIPT_FILENAME");
	const struct param *dr = get(ps, "DOCUMENT_ROOT");
	const struct param *sn = get(ps, "SCRIPT_NAME");
	const struct param *pi = get(ps, "PATH_INFO");
	const struct param *qs = params_get(ps, "QUERY_STRING");
	char prefix[MAX_PATH] = "", path[MAX_PATH], buf[2 * MAX_PATH + 16];
	static char joined[MAX_PATH], sn_buf[MAX_PATH];
	struct param sn_joined, sn_squeezed;
	const char *rest, *v, *why;
	size_t i, pl = 0, snl, rl, vl;
	int walk = pi == NULL, status;

	*doc = 0;
	t->fd = t->dir_fd = -1;
	if (ps->over) {
		log_error("more than %d parameters", MAX_PARAMS);
		return S_HEADERS_TOO_LARGE;
	}
	if ((sf && memchr(sf->value, '\0', sf->value_len)) ||
	    (dr && memchr(dr->value, '\0', dr->value_len)) ||
	    (sn && memchr(sn->value, '\0', sn->value_len)) ||
	    (pi && memchr(pi->value, '\0', pi->value_len))) {
		log_error("NUL byte in a path parameter");
		return S_BAD_REQUEST;
	}
	/* SCRIPT_NAME with each "//" made one, as the path it names (the
	 * PATH_INFO found in the path is split off it below) */
	if (sn != NULL) {
		int k = squeeze(sn->value, sn->value_len, sn_buf, sizeof sn_buf);
		if (k > 0) {
			sn_squeezed = *sn;
			sn_squeezed.value = sn_buf;
			sn_squeezed.value_len = (size_t)k;
			sn = &sn_squeezed;
		}
	}
	/* DOCUMENT_ROOT locates the script only without SCRIPT_FILENAME; a
	 * redirect's path is taken beneath it when it lies beneath ROOT */
	if (dr != NULL && below_root(dr->value, dr->value_len, prefix,
	                             sizeof prefix) < 0) {
		prefix[0] = '\0';
		if (sf == NULL && rd == NULL) {
			log_error("DOCUMENT_ROOT %.*s is not beneath %s",
			          (int)dr->value_len, dr->value, cfg.root_real);
			return S_FORBIDDEN;
		}
	}
	/* no trailing '/': a path starting with one is appended */
	for (pl = strlen(prefix); pl > 0 && prefix[pl - 1] == '/';)
		prefix[--pl] = '\0';
	if (rd != NULL) {
		pl = (size_t)snprintf(path, sizeof path, "%s%s", prefix, rd->path);
		walk = 1;
	} else if (sf != NULL) {
		if (below_root(sf->value, sf->value_len, path, sizeof path) < 0) {
			log_error("SCRIPT_FILENAME %.*s is not beneath %s",
			          (int)sf->value_len, sf->value, cfg.root_real);
			return S_FORBIDDEN;
		}
		pl = strlen(path);
	} else if (sn != NULL) {
		pl = (size_t)snprintf(path, sizeof path, "%s%.*s", prefix,
		                      (int)sn->value_len, sn->value);
	} else {
		log_error("the front server sent neither SCRIPT_FILENAME nor "
		          "SCRIPT_NAME");
		return S_INTERNAL_SERVER_ERROR;
	}
	if (pl >= sizeof path || !plain_path(path)) {
		log_error("unusable script path %.200s", path);
		return S_NOT_FOUND;
	}
	status = file_resolve(path, t);
	/* lighttpd, for a prefix such as "/cgi-bin/", names the element
	 * after it as the script and sends the rest as PATH_INFO: when that
	 * is a directory, the walk goes on into PATH_INFO, as HTTP mode's
	 * does (RFC 3875 §4.1.13: SCRIPT_NAME names the script itself,
	 * §4.1.5: PATH_INFO is what follows it) */
	if (status == 0 && S_ISDIR(t->st.st_mode) && !walk &&
	    pi->value[0] == '/' && pl + pi->value_len < sizeof path &&
	    (sn == NULL || sn->value_len + pi->value_len < sizeof joined)) {
		memcpy(path + pl, pi->value, pi->value_len);
		path[pl + pi->value_len] = '\0';
		if (sn != NULL) {
			memcpy(joined, sn->value, sn->value_len);
			memcpy(joined + sn->value_len, pi->value, pi->value_len);
			sn_joined = *sn;
			sn_joined.value = joined;
			sn_joined.value_len = sn->value_len + pi->value_len;
			sn = &sn_joined;
		}
		pi = NULL;
		walk = 1;
		file_release(t);
		status = plain_path(path) ? file_resolve(path, t) : S_NOT_FOUND;
	}
	if (status == 0 && S_ISDIR(t->st.st_mode) && rd != NULL &&
	    t->path_info[0] == '\0') {
		status = redirect_index(rd, path, pl, t);
		if (status == 1) {
			*doc = 2;
			return 0;
		}
	}
	if (status == 0 && S_ISDIR(t->st.st_mode))
		status = S_NOT_FOUND;
	if (status == 0 && t->path_info[0] != '\0' && !walk)
		status = S_NOT_FOUND;  /* PATH_INFO given: the path is the file */
	if (status != 0) {
		log_error("%s: %s", path,
		          status == S_NOT_FOUND ? "not found" : "forbidden");
		return status;
	}
	rest = t->path_info;

	/* SCRIPT_NAME (§4.1.13): the front's, less the PATH_INFO the walk
	 * found; for a redirect, the prefix of its path naming the file. */
	snprintf(buf, sizeof buf, "/%s", t->rel);
	if (rd != NULL) {
		snl = strlen(rd->path) - strlen(rest);
		snprintf(log_name, MAX_PATH, "%.*s", (int)snl, rd->path);
	} else if (sn != NULL) {
		snl = sn->value_len;
		if (walk && strlen(rest) <= snl &&
		    memcmp(sn->value + snl - strlen(rest), rest, strlen(rest)) == 0)
			snl -= strlen(rest);
		snprintf(log_name, MAX_PATH, "%.*s", (int)snl, sn->value);
	} else {
		snprintf(log_name, MAX_PATH, "%.*s", MAX_PATH - 1, buf);
	}

	if (!cgi_selected(buf, strlen(buf))) {
		if (rd != NULL && rest[0] == '\0') {
			*doc = 1;
			return 0;
		}
		log_error("%s: not a CGI program (--cgi-dir, --cgi-ext)", buf);
		return rd != NULL ? S_NOT_FOUND : S_FORBIDDEN;
	}
	/* As in HTTP mode: executable (or interpreted), and writable by its
	 * owner alone. */
	*interp = cgi_interpreter(buf, strlen(buf));
	if ((status = cgi_permitted(&t->st, *interp != NULL, &why)) != 0) {
		log_error("%s: %s", log_name, why);
		return status;
	}
	if (rd == NULL && fr->content_length > cfg.max_body) {
		log_error("request body of %lld bytes over the limit",
		          fr->content_length);
		return S_CONTENT_TOO_LARGE;
	}
	/* the length must be known before the program starts (RFC 3875
	 * §4.1.2) */
	if (rd == NULL && fr->content_length < 0 && fr->body_read != NULL &&
	    (status = spool_body(fr, log_name)) != 0)
		return status;

	env_init(e);
	env_add_config(e);
	for (i = 0; i < ps->n; i++) {
		const struct param *p = &ps->p[i], *q;
		char name[MAX_PARAM_NAME + 1]; /* as pass_param bounds it */
		if (!pass_param(p, rd) ||
		    params_find(ps, p->name, p->name_len) != p)
			continue; /* a repeated header: joined with its first */
		memcpy(name, p->name, p->name_len);
		name[p->name_len] = '\0';
		env_add(e, name, p->value, p->value_len);
		/* the values of a repeated header, joined as in HTTP mode */
		for (q = p + 1; q < ps->p + ps->n; q++)
			if (q->name_len == p->name_len &&
			    memcmp(q->name, p->name, p->name_len) == 0)
				env_join(e, q->value, q->value_len);
	}
	env_adds(e, "SCRIPT_NAME", log_name);
	rl = strlen(cfg.root_real);
	snprintf(buf, sizeof buf, "%s/%s", rl > 1 ? cfg.root_real : "", t->rel);
	env_adds(e, "SCRIPT_FILENAME", buf);
	if (dr != NULL)
		env_add(e, "DOCUMENT_ROOT", dr->value, dr->value_len);
	else
		env_adds(e, "DOCUMENT_ROOT", cfg.root_real);
	/* §4.1.5, §4.1.6: PATH_INFO (the front's, or what the walk left)
	 * and its mapping onto the document root */
	if (rd == NULL && pi != NULL) {
		v = pi->value;
		vl = pi->value_len;
	} else {
		v = rest;
		vl = strlen(rest);
	}
	if (vl > 0) {
		env_add(e, "PATH_INFO", v, vl);
		/* a DOCUMENT_ROOT may end in '/' (lighttpd's does), and
		 * PATH_INFO starts with one (§4.1.5) */
		for (i = dr != NULL ? dr->value_len : 0;
		     i > 0 && dr->value[i - 1] == '/'; i--)
			;
		if (dr != NULL)
			snprintf(buf, sizeof buf, "%.*s%.*s", (int)i, dr->value,
			         (int)vl, v);
		else
			snprintf(buf, sizeof buf, "%s%.*s", rl > 1 ? cfg.root_real : "",
			         (int)vl, v);
		env_adds(e, "PATH_TRANSLATED", buf);
	}
	if (rd != NULL) {
		/* as in HTTP mode, a HEAD stays a HEAD */
		env_adds(e, "REQUEST_METHOD", is_head(ps) ? "HEAD" : "GET");
		env_add(e, "QUERY_STRING", rd->query ? rd->query : "", rd->query_len);
		env_adds(e, "REQUEST_URI", rd->uri);
	} else {
		if (qs == NULL)
			env_adds(e, "QUERY_STRING", "");   /* §4.1.7: always set */
		if (fr->content_length > 0) {
			snprintf(buf, sizeof buf, "%lld", fr->content_length);
			env_adds(e, "CONTENT_LENGTH", buf);
		}
	}
	if (params_get(ps, "REDIRECT_STATUS") == NULL)
		env_adds(e, "REDIRECT_STATUS", "200");  /* as in HTTP mode */
	if (e->overflow) {
		log_error("%s: environment too large", log_name);
		return S_HEADERS_TOO_LARGE;
	}
	return 0;
}


/* Append "Name: value\r\n" to buf at *n; -1 when it does not fit. */
static int
put_field(char *buf, size_t size, size_t *n, const char *name, size_t nl,
          const char *value, size_t vl)
{
	if (*n + nl + vl + 4 > size)
		return -1;
	memcpy(buf + *n, name, nl);
	memcpy(buf + *n + nl, ": ", 2);
	memcpy(buf + *n + nl + 2, value, vl);
	memcpy(buf + *n + nl + 2 + vl, "\r\n", 2);
	*n += nl + vl + 4;
	return 0;
}

static ssize_t
run_body_read(void *ctx, char *buf, size_t n)
{
	struct run *r = ctx;

	return r->fr->body_read(r->fr->proto, buf, n);
}

static int
run_input(void *ctx, struct obuf *o)
{
	struct run *r = ctx;

	return r->fr->input(r->fr->proto, o);
}

static void
run_err(void *ctx, const char *p, size_t n, struct obuf *o)
{
	struct run *r = ctx;

	r->fr->err(r->fr->proto, p, n, o);
}

/* RFC 3875 §6.2: the script's header block, for the front server. */
static int
run_head(void *ctx, const struct cgi_head *h, struct obuf *o)
{
	struct run *r = ctx;
	char buf[MAX_CGI_HEAD + 512];
	size_t n = 0, i;
	const char *reason;
	long long length;
	int status;

	/* §6.2.2: a local redirect is served here as a new GET (or HEAD) */
	if ((status = cgi_local_redirect(h, r->redirect)) != 0)
		return status > 0 ? 1 : S_BAD_GATEWAY;
	/* as in HTTP mode; with no body, the stream ends after the head */
	status = cgi_answer(h, r->head, &r->no_body, &length);
	reason = http_reason(status);
	n = (size_t)snprintf(buf, sizeof buf, "Status: %d %.*s\r\n", status,
	                     h->status && h->reason_len > 0 ? (int)h->reason_len
	                     : (int)strlen(reason ? reason : "Unknown"),
	                     h->status && h->reason_len > 0 ? h->reason
	                     : reason ? reason : "Unknown");
	if (h->content_type != NULL &&
	    put_field(buf, sizeof buf, &n, "Content-Type", 12, h->content_type,
	              h->content_type_len) < 0)
		return S_BAD_GATEWAY;
	if (h->location != NULL &&
	    put_field(buf, sizeof buf, &n, "Location", 8, h->location,
	              h->location_len) < 0)
		return S_BAD_GATEWAY;
	if (length >= 0) {
		char cl[24];
		int k = snprintf(cl, sizeof cl, "%lld", length);
		if (put_field(buf, sizeof buf, &n, "Content-Length", 14, cl,
		              (size_t)k) < 0)
			return S_BAD_GATEWAY;
	}
	for (i = 0; i < h->nfields; i++) {
		const struct header *f = &h->fields[i];
		if (cgi_hop_by_hop(f))
			continue;
		if (put_field(buf, sizeof buf, &n, f->name, f->name_len, f->value,
		              f->value_len) < 0)
			return S_BAD_GATEWAY;
	}
	if (n + 2 > sizeof buf)
		return S_BAD_GATEWAY;
	memcpy(buf + n, "\r\n", 2);
	n += 2;
	r->declared = r->no_body ? -1 : h->content_length;
	r->fr->frame(r->fr->proto, buf, n, o);
	r->fr->status = status;
	r->head_sent = 1;
	return 0;
}

static int
run_body(void *ctx, const char *p, size_t n, struct obuf *o)
{
	struct run *r = ctx;

	/* as in HTTP mode (hc_body): a response without a body is complete
	 * with its head */
	if (r->no_body)
		return 1;
	n = cgi_body_part(r->declared, &r->written, n);
	if (n > 0) {
		r->fr->frame(r->fr->proto, p, n, o);
		r->fr->bytes_out += (long long)n;
	}
	return r->declared >= 0 && r->written >= r->declared;
}

static void
run_end(void *ctx, int complete, struct obuf *o)
{
	struct run *r = ctx;

	if (r->declared >= 0 && r->written < r->declared) {
		log_error("script output ended before its Content-Length");
		return;
	}
	if (complete) {
		r->fr->frame(r->fr->proto, NULL, 0, o);
		r->complete = 1;
	}
}

static void
run_error(void *ctx, int status)
{
	struct run *r = ctx;

	r->error = status;
}

/* Answer status with a small HTML page, its head alone for a HEAD
 * (RFC 9110 §9.3.2); 0, or -1 when the front server cannot be written
 * to. */
static int
answer(struct front *fr, int status, int head)
{
	char buf[1024], body[512];
	int bl = http_error_body(status, body, sizeof body);
	const char *reason = http_reason(status);
	int n;

	n = snprintf(buf, sizeof buf,
	             "Status: %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
	             "Content-Length: %d\r\n\r\n%.*s", status,
	             reason ? reason : "Unknown", bl, head ? 0 : bl, body);
	fr->status = status;
	fr->bytes_out += head ? 0 : bl;
	if (n < 0 || (size_t)n >= sizeof buf || fr->send(fr->proto, buf, (size_t)n) < 0 ||
	    fr->send(fr->proto, NULL, 0) < 0)
		return -1;
	return 0;
}

/* Send the document t (the target of a local redirect); its head alone
 * for a HEAD. */
static int
send_document(struct front *fr, const struct target *t, int head)
{
	char buf[IO_BUF / 2];
	struct stat st;
	off_t left;
	ssize_t n;
	int fd, k;

	fd = open_beneath(cfg.root_fd, t->rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return answer(fr, S_NOT_FOUND, head);
	}
	k = snprintf(buf, sizeof buf,
	             "Status: 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\n\r\n",
	             file_mime(t->name), (long long)st.st_size);
	fr->status = S_OK;
	if (fr->send(fr->proto, buf, (size_t)k) < 0)
		goto fail;
	for (left = head ? 0 : st.st_size; left > 0; left -= n) {
		n = read(fd, buf, left < (off_t)sizeof buf ? (size_t)left : sizeof buf);
		if (n <= 0 || fr->send(fr->proto, buf, (size_t)n) < 0)
			goto fail;
		fr->bytes_out += n;
	}
	close(fd);
	return fr->send(fr->proto, NULL, 0);
fail:
	close(fd);
	return -1;
}

/* A local redirect named a directory without its final '/': 301 to the
 * path with it, as HTTP mode answers (RFC 9110 §15.4.2: the target in
 * Location); 0, or -1 when the front server cannot be written to. */
static int
send_moved(struct front *fr, const struct redirect *rd, int head)
{
	char loc[3 * MAX_PATH], buf[4 * MAX_PATH + 128];
	int n;

	if (file_url_encode(rd->path, loc, sizeof loc - 1) < 0)
		return answer(fr, S_NOT_FOUND, head);
	n = snprintf(buf, sizeof buf, "Status: 301 Moved Permanently\r\n"
	             "Location: %s/%s%.*s\r\nContent-Length: 0\r\n\r\n", loc,
	             rd->query ? "?" : "", (int)rd->query_len,
	             rd->query ? rd->query : "");
	fr->status = S_MOVED_PERMANENTLY;
	if (n < 0 || (size_t)n >= sizeof buf ||
	    fr->send(fr->proto, buf, (size_t)n) < 0 ||
	    fr->send(fr->proto, NULL, 0) < 0)
		return -1;
	return 0;
}

/* Parse a local redirect's Location into rd (as HTTP mode does). */
static int
redirect_to(struct redirect *rd, const char *location)
{
	const char *q = strchr(location, '?');
	size_t pl = q ? (size_t)(q - location) : strlen(location);
	int n = http_normalize_path(location, pl, rd->path, sizeof rd->path);

	if (n < 0)
		return -1;
	rd->uri = location;
	rd->query = q ? q + 1 : NULL;
	rd->query_len = q ? strlen(q + 1) : 0;
	return 0;
}

/* One access log line, as in HTTP mode, from the front's description of
 * the request. */
static void
access_log(const struct front *fr, const struct params *ps, long long start)
{
	static const char *const names[] = {
		"REQUEST_METHOD", "REQUEST_URI", "SERVER_PROTOCOL",
	};
	const struct param *ip = get(ps, "REMOTE_ADDR");
	const struct param *ref = get(ps, "HTTP_REFERER");
	const struct param *ua = get(ps, "HTTP_USER_AGENT");
	char rl[3 * 1024], addr[64];
	size_t i, n = 0;

	if (!log_enabled())
		return;
	/* the request line rebuilt: "METHOD URI PROTOCOL" */
	for (i = 0; i < 3; i++) {
		const struct param *v = get(ps, names[i]);
		n += (size_t)snprintf(rl + n, sizeof rl - n, "%s%.*s", i ? " " : "",
		                      v ? (int)(v->value_len > 1000 ? 1000 : v->value_len) : 1,
		                      v ? v->value : "-");
	}
	snprintf(addr, sizeof addr, "%.*s", ip ? (int)ip->value_len : 1,
	         ip ? ip->value : "-");
	log_access(addr, rl, n, fr->status, fr->bytes_out,
	           ref ? ref->value : NULL, ref ? ref->value_len : 0,
	           ua ? ua->value : NULL, ua ? ua->value_len : 0, now_us() - start);
}

int
front_request(struct front *fr, const struct params *ps)
{
	static struct env env;
	static struct redirect rd;
	static char location[MAX_PATH];
	char log_name[MAX_PATH];
	struct target t;
	long long start = now_us();
	int redirects = 0, status, doc, rc = -1, head = is_head(ps);
	struct redirect *rdp = NULL;

	fr->status = 0;
	fr->exit_status = -1;
	fr->bytes_out = 0;
	fr->in_sync = 1;
	fr->body_fd = -1;
	for (;;) {
		struct run r = {fr, -1, 0, 0, 0, 0, location, head, 0};
		struct cgi_front f = {
			.ctx = &r, .in_fd = fr->in_fd, .out_fd = fr->out_fd,
			.body_read = fr->body_read && !rdp ? run_body_read : NULL,
			.head = run_head, .body = run_body, .end = run_end,
			.error = run_error, .err = fr->err ? run_err : NULL,
			.input = fr->input ? run_input : NULL,
			.watch_hangup = fr->watch_hangup, .exit_status = -1,
		};
		struct cgi_script s = {.stdin_fd = -1};
		const char *interp = NULL;
		enum cgi_result res;
		const struct param *qs = params_get(ps, "QUERY_STRING");

		status = prepare(fr, ps, rdp, &env, &t, log_name, &doc, &interp);
		if (status != 0) {
			file_release(&t);
			rc = status < 0 ? -1 : answer(fr, status, head);
			break;
		}
		if (doc == 2) {
			rc = send_moved(fr, rdp, head);
			break;
		}
		if (doc) {
			rc = send_document(fr, &t, head);
			file_release(&t);
			break;
		}
		s.dir_fd = t.dir_fd;
		s.name = t.name;
		s.log_name = log_name;
		s.query = rdp ? rdp->query : qs ? qs->value : NULL;
		s.query_len = rdp ? rdp->query_len : qs ? qs->value_len : 0;
		s.interpreter = interp;
		/* a spooled body is the program's stdin; a local redirect's
		 * GET has none */
		s.stdin_fd = rdp ? -1 : fr->body_fd;
		res = cgi_run(&s, env.vars, &f);
		file_release(&t);
		fr->exit_status = f.exit_status;
		if (f.unsent > 0) {
			fr->in_sync = 0;
			break;
		}
		if (res == CGI_REDIRECT) {
			if (++redirects > MAX_LOCAL_REDIRECTS) {
				log_error("too many local redirects");
				rc = answer(fr, S_INTERNAL_SERVER_ERROR, head);
				break;
			}
			if (redirect_to(&rd, location) < 0) {
				log_error("invalid local redirect");
				rc = answer(fr, S_BAD_GATEWAY, head);
				break;
			}
			rdp = &rd;
			continue;
		}
		if (r.error != 0 && !r.head_sent) {
			rc = answer(fr, r.error, head);
			break;
		}
		rc = r.complete ? 0 : -1;
		break;
	}
	if (fr->body_fd >= 0)
		close(fr->body_fd);
	if (rc < 0 && fr->status == 0)
		fr->status = S_BAD_GATEWAY; /* for the log: nothing answered */
	access_log(fr, ps, start);
	return rc;
}
