/*
 * http.c - HTTP/1.x message syntax for cgid: the status table, the
 * request-head parser, the path normaliser, the chunked decoder and the
 * response serializer.
 *
 * Everything in this file is pure: it reads the caller's buffers, writes
 * the caller's structures, and does no I/O and no allocation, so that it
 * can be unit-tested against guard pages and fuzzed.  The parser follows
 * the shape of picohttpparser's interface: bytes consumed, -1 invalid,
 * -2 incomplete.
 *
 * Strictness (RFC 9112): a line ends in CRLF or, as §2.2 allows, a bare
 * LF; a bare CR, NUL or other control byte is an error; obs-fold and
 * whitespace before a field's colon are rejected with 400 (§5.1, §5.2).
 */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"

/* RFC 9110 §15: reason phrases, the only place they are written: pairs
 * of code and phrase, one string (no relocation, no padding). */
static const char reasons[] =
	"100\0Continue\0"
	"200\0OK\0"
	"201\0Created\0"
	"202\0Accepted\0"
	"204\0No Content\0"
	"206\0Partial Content\0"
	"301\0Moved Permanently\0"
	"302\0Found\0"
	"303\0See Other\0"
	"304\0Not Modified\0"
	"307\0Temporary Redirect\0"
	"308\0Permanent Redirect\0"
	"400\0Bad Request\0"
	"401\0Unauthorized\0"
	"403\0Forbidden\0"
	"404\0Not Found\0"
	"405\0Method Not Allowed\0"
	"408\0Request Timeout\0"
	"409\0Conflict\0"
	"410\0Gone\0"
	"411\0Length Required\0"
	"412\0Precondition Failed\0"
	"413\0Content Too Large\0"
	"414\0URI Too Long\0"
	"415\0Unsupported Media Type\0"
	"416\0Range Not Satisfiable\0"
	"417\0Expectation Failed\0"
	"422\0Unprocessable Content\0"
	"429\0Too Many Requests\0"
	"431\0Request Header Fields Too Large\0"
	"500\0Internal Server Error\0"
	"501\0Not Implemented\0"
	"502\0Bad Gateway\0"
	"503\0Service Unavailable\0"
	"504\0Gateway Timeout\0"
	"505\0HTTP Version Not Supported\0";

const char *
http_pair(const char *pairs, const char *key)
{
	for (const char *p = pairs; *p != '\0'; p += strlen(p) + 1) {
		int hit = strncasecmp(p, key, strlen(p) + 1) == 0;
		p += strlen(p) + 1;
		if (hit)
			return p;
	}
	return NULL;
}

const char *
http_reason(int status)
{
	char key[4];

	if (status < 100 || status > 999)
		return NULL;
	key[http_num(key, (unsigned)status, 10)] = '\0';
	return http_pair(reasons, key);
}

/* tchar, RFC 9110 §5.6.2. */
int
http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar / SP / HTAB, RFC 9110 §5.5 (obs-text allowed). */
static int
is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Find the end of the line starting at p.  Returns a pointer to the line
 * terminator (CR or LF), sets *next past it; NULL with *next == NULL when
 * the line is incomplete, NULL with *next == p on a bare CR.
 */
static const char *
line_end(const char *p, const char *end, const char **next)
{
	const char *q = memchr(p, '\n', (size_t)(end - p));

	*next = NULL;
	if (q == NULL)
		return NULL;
	*next = q + 1;
	if (q > p && q[-1] == '\r')
		return q - 1;
	return q;
}

static int
fail(struct request *req, int *status, int code, const char *why)
{
	*status = code;
	req->reason = why;
	return -1;
}

static const struct {
	char name[8];
	enum method m;
} methods[] = {
	{"GET", M_GET}, {"HEAD", M_HEAD}, {"POST", M_POST},
	{"OPTIONS", M_OPTIONS}, {"PUT", M_PUT}, {"DELETE", M_DELETE},
	{"PATCH", M_PATCH}, {"CONNECT", M_CONNECT}, {"TRACE", M_TRACE},
};

/* Request line, RFC 9112 §3. */
static int
parse_request_line(const char *p, const char *eol, struct request *req,
                   int *status)
{
	const char *s = p, *v;
	size_t i;

	while (p < eol && http_is_tchar((unsigned char)*p))
		p++;
	if (p == s || p == eol || *p != ' ')
		return fail(req, status, S_BAD_REQUEST, "malformed method");
	req->method_s = s;
	req->method_len = (size_t)(p - s);
	req->method = M_OTHER;
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strlen(methods[i].name) == req->method_len &&
		    memcmp(methods[i].name, s, req->method_len) == 0)
			req->method = methods[i].m;

	s = ++p;
	while (p < eol && (unsigned char)*p > ' ' && (unsigned char)*p < 0x7f)
		p++;
	if (p == s || p == eol || *p != ' ')
		return fail(req, status, S_BAD_REQUEST, "malformed request-target");
	req->target = s;
	req->target_len = (size_t)(p - s);

	v = ++p;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT (§2.3) */
	if (eol - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
	    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return fail(req, status, S_BAD_REQUEST, "malformed HTTP version");
	/* RFC 9110 §6.2: a higher minor version is processed as 1.1. */
	if (v[5] != '1')
		return fail(req, status, S_VERSION_NOT_SUPPORTED,
		            "unsupported HTTP major version");
	req->minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/* field-line, RFC 9112 §5. */
static int
parse_field(const char *p, const char *eol, struct request *req, int *status)
{
	const char *s = p, *ve;
	struct header *h;

	if (*p == ' ' || *p == '\t')
		return fail(req, status, S_BAD_REQUEST, "obs-fold in header");
	while (p < eol && http_is_tchar((unsigned char)*p))
		p++;
	if (p == eol || *p != ':') {
		if (p < eol && (*p == ' ' || *p == '\t'))
			return fail(req, status, S_BAD_REQUEST,
			            "whitespace before colon in header");
		return fail(req, status, S_BAD_REQUEST, "malformed header field");
	}
	if (p == s)
		return fail(req, status, S_BAD_REQUEST, "empty header name");
	if (req->nheaders == MAX_HEADERS)
		return fail(req, status, S_HEADERS_TOO_LARGE, "too many header fields");
	h = &req->headers[req->nheaders++];
	h->name = s;
	h->name_len = (size_t)(p - s);
	for (p++; p < eol && (*p == ' ' || *p == '\t'); p++)
		;
	for (ve = eol; ve > p && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	h->value = p;
	h->value_len = (size_t)(ve - p);
	for (; p < ve; p++)
		if (!is_value_char((unsigned char)*p))
			return fail(req, status, S_BAD_REQUEST,
			            "control character in header value");
	return 0;
}

static int
name_eq(const struct header *h, const char *name, size_t len)
{
	return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

/* h's name is the string literal lit (field names are case-insensitive,
 * RFC 9110 §5.1) */
#define name_is(h, lit) name_eq(h, lit, sizeof lit - 1)

const struct header *
http_header(const struct request *req, const char *name, size_t *pos)
{
	size_t i = pos ? *pos : 0, len = strlen(name);

	for (; i < req->nheaders; i++)
		if (name_eq(&req->headers[i], name, len)) {
			if (pos)
				*pos = i + 1;
			return &req->headers[i];
		}
	if (pos)
		*pos = i;
	return NULL;
}

/* Walk a #list (RFC 9110 §5.6.1): calls back with each trimmed element. */
static const char *
list_next(const char **p, const char *end, size_t *len)
{
	const char *s, *e;

	for (;;) {
		while (*p < end && (**p == ' ' || **p == '\t' || **p == ','))
			(*p)++;
		if (*p == end)
			return NULL;
		s = *p;
		while (*p < end && **p != ',')
			(*p)++;
		for (e = *p; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (e > s) {
			*len = (size_t)(e - s);
			return s;
		}
	}
}

int
http_list_has(const char *v, size_t len, const char *tok)
{
	const char *p = v, *e;
	size_t n, tl = strlen(tok);

	while ((e = list_next(&p, v + len, &n)) != NULL)
		if (n == tl && strncasecmp(e, tok, n) == 0)
			return 1;
	return 0;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6); -1 when invalid. */
static long long
parse_length(const char *s, size_t len)
{
	long long n = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || n > (LLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

/*
 * uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2-3.2.3): an
 * IP-literal of hex digits, colons and dots in brackets (no IPvFuture), or
 * a reg-name or IPv4address of unreserved, sub-delims and pct-encoded
 * characters; then, after a ':', a port of digits alone.  The host, the
 * port and the whole value may be empty (RFC 9112 §3.2).  Returns the
 * number of digits of the port, or -1 when invalid.
 */
static int
valid_host(const char *s, size_t len)
{
	size_t i = len, lit = len > 0 && *s == '[', pct = 0;
	unsigned char c;
	int port = 0;

	/* the port: digits after the last ':', which then ends the host */
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i > 0 && s[i - 1] == ':') {
		port = (int)(len - i);
		len = i - 1;
	}
	if (lit && (len < 3 || s[--len] != ']'))
		return -1;
	for (i = lit; i < len; i++) {
		c = (unsigned char)s[i];
		if (hexval(c) >= 0)
			continue;
		/* before pct come the two hex digits of a '%' */
		if (i < pct || ((lit || (unsigned)((c | 0x20) - 'a') >= 26) &&
		    (c == 0 || !strchr(lit ? ":." : "-._~!$&'()*+,;=%", c))))
			return -1;
		if (c == '%')
			pct = i + 3;
	}
	return pct <= len ? port : -1;
}

/* Framing and connection semantics of the parsed fields. */
static int
interpret(struct request *req, int *status)
{
	const struct header *h;
	size_t i, n;
	const char *p, *e, *last = NULL;
	size_t last_len = 0;
	int nte = 0, connection_close = 0, connection_keep = 0;

	req->content_length = -1;
	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (name_is(h, "Host")) {
			/* RFC 9112 §3.2: exactly one Host in HTTP/1.1. */
			if (req->host != NULL)
				return fail(req, status, S_BAD_REQUEST,
				            "more than one Host field");
			req->host = h;
			if (valid_host(h->value, h->value_len) < 0)
				return fail(req, status, S_BAD_REQUEST,
				            "invalid Host field");
		} else if (name_is(h, "Content-Length")) {
			/* RFC 9112 §6.3 item 5: differing values are an error. */
			long long cl = -1;
			p = h->value;
			while ((e = list_next(&p, h->value + h->value_len, &n))) {
				cl = parse_length(e, n);
				if (cl < 0)
					return fail(req, status, S_BAD_REQUEST,
					            "invalid Content-Length");
				if (req->content_length >= 0 &&
				    req->content_length != cl)
					return fail(req, status, S_BAD_REQUEST,
					            "differing Content-Length values");
				req->content_length = cl;
			}
			if (cl < 0)
				return fail(req, status, S_BAD_REQUEST,
				            "invalid Content-Length");
		} else if (name_is(h, "Transfer-Encoding")) {
			/* RFC 9112 §6.1: chunked is applied at most once, so
			 * it may not precede another coding. */
			int before = nte;
			p = h->value;
			while ((e = list_next(&p, h->value + h->value_len, &n))) {
				if (last_len == 7 &&
				    strncasecmp(last, "chunked", 7) == 0)
					return fail(req, status, S_BAD_REQUEST,
					            "chunked is not the final "
					            "transfer coding");
				last = e;
				last_len = n;
				nte++;
			}
			if (nte == before)
				return fail(req, status, S_BAD_REQUEST,
				            "empty Transfer-Encoding");
		} else if (name_is(h, "Connection")) {
			if (http_list_has(h->value, h->value_len, "close"))
				connection_close = 1;
			if (http_list_has(h->value, h->value_len, "keep-alive"))
				connection_keep = 1;
		} else if (name_is(h, "Expect")) {
			/* RFC 9110 §10.1.1; HTTP/1.0 expectations are ignored. */
			if (req->minor == 0)
				continue;
			/* Expect is a #list: empty elements are ignored
			 * (§5.6.1.2), so an empty field expects nothing */
			p = h->value;
			while ((e = list_next(&p, h->value + h->value_len, &n))) {
				if (n != 12 || strncasecmp(e, "100-continue", 12) != 0)
					return fail(req, status, S_EXPECTATION_FAILED,
					            "unsupported expectation");
				req->expect_continue = 1;
			}
		}
	}

	if (nte > 0) {
		/* RFC 9112 §6.1: chunked must be final; with Content-Length
		 * the message is a smuggling attempt and is rejected. */
		if (req->content_length >= 0)
			return fail(req, status, S_BAD_REQUEST,
			            "both Content-Length and Transfer-Encoding");
		if (req->minor == 0)
			return fail(req, status, S_BAD_REQUEST,
			            "Transfer-Encoding in HTTP/1.0");
		if (last_len != 7 || strncasecmp(last, "chunked", 7) != 0)
			return fail(req, status, S_BAD_REQUEST,
			            "chunked is not the final transfer coding");
		if (nte > 1)
			return fail(req, status, S_NOT_IMPLEMENTED,
			            "unsupported transfer coding");
		req->chunked = 1;
	}

	/* RFC 9112 §3.2: a 1.1 request without Host is rejected. */
	if (req->minor == 1 && req->host == NULL)
		return fail(req, status, S_BAD_REQUEST, "missing Host field");
	if (req->host_s == NULL && req->host != NULL) {
		req->host_s = req->host->value;
		req->host_len = req->host->value_len;
	}
	/* RFC 9112 §9.3: persistence. */
	req->keep_alive = req->minor == 1 ? !connection_close
	                                  : (connection_keep && !connection_close);
	return 0;
}

/* Split the request-target (RFC 9112 §3.2) into path and query. */
static int
parse_target(struct request *req, int *status)
{
	const char *t = req->target, *end = t + req->target_len, *path, *q;
	int n;

	/* authority-form, host and port, for CONNECT alone (§3.2.3), which
	 * is left without a path: cgid opens no tunnel, and answers 501 */
	if (req->method == M_CONNECT) {
		if (valid_host(t, req->target_len) <= 0)
			return fail(req, status, S_BAD_REQUEST,
			            "CONNECT without host:port");
		return 0;
	}
	if (req->target_len == 1 && *t == '*') {
		/* asterisk-form, OPTIONS only (§3.2.4) */
		if (req->method != M_OPTIONS)
			return fail(req, status, S_BAD_REQUEST,
			            "asterisk-form outside OPTIONS");
		memcpy(req->path, "*", 2);
		req->path_len = 1;
		return 0;
	}
	path = t;
	if (*t != '/') {
		/* absolute-form (§3.2.2): the authority replaces Host; it
		 * ends at '/', '?' or '#' (RFC 3986 §3.2). */
		size_t sl;
		if ((size_t)(end - t) > 7 && strncasecmp(t, "http://", 7) == 0)
			sl = 7;
		else if ((size_t)(end - t) > 8 && strncasecmp(t, "https://", 8) == 0)
			sl = 8;
		else
			return fail(req, status, S_BAD_REQUEST,
			            "unsupported request-target form");
		req->host_s = t + sl;
		for (path = req->host_s; path < end && *path != '/' && *path != '?' &&
		     *path != '#'; path++)
			if (*path == '@')
				return fail(req, status, S_BAD_REQUEST,
				            "userinfo in request-target");
		req->host_len = (size_t)(path - req->host_s);
		if (req->host_len == 0 ||
		    valid_host(req->host_s, req->host_len) < 0)
			return fail(req, status, S_BAD_REQUEST,
			            "invalid authority in request-target");
	}
	for (q = path; q < end && *q != '?'; q++)
		if (*q == '#')
			return fail(req, status, S_BAD_REQUEST,
			            "fragment in request-target");
	if (q == path) {
		/* an empty path is "/" (RFC 9112 §3.2.1) */
		memcpy(req->path, "/", 2);
		req->path_len = 1;
	} else {
		n = http_normalize_path(path, (size_t)(q - path), req->path,
		                        sizeof req->path);
		/* RFC 9110 §15.5.15: longer than cgid will interpret */
		if (n == -2)
			return fail(req, status, S_URI_TOO_LONG, "path too long");
		if (n < 0)
			return fail(req, status, S_BAD_REQUEST, "invalid path");
		req->path_len = (size_t)n;
	}
	if (q < end) {
		req->query = q + 1;
		req->query_len = (size_t)(end - q - 1);
		if (memchr(req->query, '#', req->query_len))
			return fail(req, status, S_BAD_REQUEST,
			            "fragment in request-target");
	}
	return 0;
}

int
http_parse_request(const char *buf, size_t len, struct request *req,
                   int *status)
{
	const char *p = buf, *end = buf + len, *eol, *next;
	int blanks = 0;

	memset(req, 0, offsetof(struct request, path));
	req->path[0] = '\0';
	req->path_len = 0;
	req->reason = NULL;
	*status = 0;

	/* §2.2: ignore empty lines before the request-line (a few). */
	while (p < end && (*p == '\r' || *p == '\n')) {
		if (*p == '\r' && (p + 1 == end || p[1] != '\n')) {
			if (p + 1 == end)
				return -2;
			return fail(req, status, S_BAD_REQUEST, "bare CR");
		}
		p += *p == '\r' ? 2 : 1;
		if (++blanks > 4)
			return fail(req, status, S_BAD_REQUEST,
			            "empty lines before request");
	}

	eol = line_end(p, end, &next);
	if (next == NULL) {
		if ((size_t)(end - p) >= MAX_REQUEST_LINE)
			return fail(req, status, S_URI_TOO_LONG,
			            "request line too long");
		return -2;
	}
	if ((size_t)(next - p) > MAX_REQUEST_LINE)
		return fail(req, status, S_URI_TOO_LONG, "request line too long");
	if (memchr(p, '\r', (size_t)(eol - p)) || memchr(p, '\0', (size_t)(eol - p)))
		return fail(req, status, S_BAD_REQUEST,
		            "control character in request line");
	if (parse_request_line(p, eol, req, status) < 0)
		return -1;

	for (p = next;;) {
		if (p == end)
			goto incomplete;
		eol = line_end(p, end, &next);
		if (next == NULL)
			goto incomplete;
		if (eol == p)
			break; /* the empty line ending the head */
		if (memchr(p, '\r', (size_t)(eol - p)))
			return fail(req, status, S_BAD_REQUEST, "bare CR in header");
		if (parse_field(p, eol, req, status) < 0)
			return -1;
		p = next;
	}
	if ((size_t)(next - buf) > MAX_HEAD)
		return fail(req, status, S_HEADERS_TOO_LARGE, "request head too large");
	if (parse_target(req, status) < 0 || interpret(req, status) < 0)
		return -1;
	return (int)(next - buf);

incomplete:
	if (len >= MAX_HEAD)
		return fail(req, status, S_HEADERS_TOO_LARGE, "request head too large");
	/* A partial line that already holds a bare CR is invalid now. */
	if (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		if (cr && cr + 1 < end)
			return fail(req, status, S_BAD_REQUEST, "bare CR in header");
	}
	return -2;
}

int
http_percent_decode(const char *s, size_t len, char *out)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (len - i < 3)
			return -1;
		h = hexval((unsigned char)s[i + 1]);
		l = hexval((unsigned char)s[i + 2]);
		if (h < 0 || l < 0 || (h == 0 && l == 0))
			return -1;
		out[o++] = (char)(h << 4 | l);
		i += 2;
	}
	return (int)o;
}

int
http_normalize_path(const char *path, size_t len, char *out, size_t outsz)
{
	size_t i, o = 0, seg;
	int h, l, full = 0;
	unsigned char c;

	if (len == 0 || path[0] != '/' || outsz < 2)
		return -1;
	/*
	 * Decode once and lay down segments; a segment is examined when its
	 * terminating '/' (or the end) is reached.  RFC 3986 §5.2.4: "." is
	 * dropped, ".." removes the previous segment; a ".." above the root
	 * is an error rather than being clamped silently.  Once out is full
	 * the rest is only checked, so that a long path is told from an
	 * invalid one.
	 */
	out[o++] = '/';
	seg = o;
	for (i = 1; i <= len; i++) {
		if (i == len || path[i] == '/') {
			size_t sl = o - seg;
			if (full || sl == 0) {
				/* full, or an empty segment: "//" collapses */
			} else if (sl == 1 && out[seg] == '.') {
				o = seg;
			} else if (sl == 2 && out[seg] == '.' && out[seg + 1] == '.') {
				if (seg == 1)
					return -1;
				o = seg - 1;
				while (out[o - 1] != '/')
					o--;
			} else if (i < len) {
				if (o + 1 >= outsz)
					full = 1;
				else
					out[o++] = '/';
			}
			seg = o;
			continue;
		}
		c = (unsigned char)path[i];
		if (c == '%') {
			if (len - i < 3)
				return -1;
			h = hexval((unsigned char)path[i + 1]);
			l = hexval((unsigned char)path[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = (unsigned char)(h << 4 | l);
			if (c == '/')
				return -1; /* an encoded slash would split a segment */
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1; /* includes %00 */
		if (o + 1 >= outsz)
			full = 1;
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return full ? -2 : (int)o;
}

/* Chunked decoder states (RFC 9112 §7.1). */
enum {
	C_SIZE0, C_SIZE, C_EXT_BWS, C_EXT, C_SIZE_LF, C_DATA, C_DATA_CR,
	C_DATA_LF, C_TRAILER0, C_TRAILER_NAME, C_TRAILER, C_TRAILER_LF,
	C_END_LF, C_DONE,
};

static ssize_t
chunk_fail(struct chunked *c, const char *why)
{
	c->reason = why;
	return -1;
}

ssize_t
http_chunked_decode(struct chunked *c, char *buf, size_t *len)
{
	size_t i = 0, o = 0, n = *len, take;
	unsigned char ch;
	int v;

	while (i < n) {
		if (c->state == C_DATA) {
			take = n - i;
			if (take > c->remaining)
				take = (size_t)c->remaining;
			memmove(buf + o, buf + i, take);
			o += take;
			i += take;
			c->remaining -= take;
			if (c->remaining == 0)
				c->state = C_DATA_CR;
			continue;
		}
		ch = (unsigned char)buf[i++];
		if (c->state != C_DATA_CR && c->state != C_DATA_LF &&
		    ++c->line > MAX_CHUNK_LINE)
			return chunk_fail(c, "chunk line too long");
		switch (c->state) {
		case C_SIZE0:
		case C_SIZE:
			v = hexval(ch);
			if (v >= 0) {
				if (c->remaining >> 60)
					return chunk_fail(c, "chunk size overflow");
				c->remaining = c->remaining << 4 | (uint64_t)v;
				c->state = C_SIZE;
				break;
			}
			if (c->state == C_SIZE0)
				return chunk_fail(c, "missing chunk size");
			if (ch == ';')
				c->state = C_EXT;
			else if (ch == ' ' || ch == '\t')
				c->state = C_EXT_BWS;
			else if (ch == '\r')
				c->state = C_SIZE_LF;
			else
				return chunk_fail(c, "invalid chunk size");
			break;
		case C_EXT_BWS:
			/* §7.1.1: chunk-ext = *( BWS ";" ... ): after the
			 * size, white space only before a ';' */
			if (ch == ';')
				c->state = C_EXT;
			else if (ch != ' ' && ch != '\t')
				return chunk_fail(c, "invalid chunk extension");
			break;
		case C_EXT:
			/* chunk-ext is ignored but must hold no control bytes. */
			if (ch == '\r')
				c->state = C_SIZE_LF;
			else if (!is_value_char(ch))
				return chunk_fail(c, "control character in chunk extension");
			break;
		case C_SIZE_LF:
			if (ch != '\n')
				return chunk_fail(c, "bare CR in chunk line");
			c->line = 0;
			c->state = c->remaining ? C_DATA : C_TRAILER0;
			break;
		case C_DATA_CR:
			if (ch != '\r')
				return chunk_fail(c, "missing CRLF after chunk data");
			c->state = C_DATA_LF;
			break;
		case C_DATA_LF:
			if (ch != '\n')
				return chunk_fail(c, "bare CR after chunk data");
			c->line = 0;
			c->state = C_SIZE0;
			break;
		case C_TRAILER0:
			/* start of a trailer line, or the final empty line */
			if (ch == '\r') {
				c->state = C_END_LF;
				break;
			}
			if (!http_is_tchar(ch))
				return chunk_fail(c, "malformed trailer field");
			if (++c->ntrailers > MAX_HEADERS)
				return chunk_fail(c, "too many trailer fields");
			c->state = C_TRAILER_NAME;
			break;
		case C_TRAILER_NAME:
			/* §7.1.2: a trailer line is a field line, name ':' */
			if (ch == ':')
				c->state = C_TRAILER;
			else if (!http_is_tchar(ch))
				return chunk_fail(c, "malformed trailer field");
			break;
		case C_TRAILER:
			/* trailer fields are checked for syntax and discarded */
			if (ch == '\r')
				c->state = C_TRAILER_LF;
			else if (!is_value_char(ch))
				return chunk_fail(c, "control character in trailer");
			break;
		case C_TRAILER_LF:
			if (ch != '\n')
				return chunk_fail(c, "bare CR in trailer");
			c->line = 0;
			c->state = C_TRAILER0;
			break;
		case C_END_LF:
			if (ch != '\n')
				return chunk_fail(c, "bare CR at end of chunked body");
			c->state = C_DONE;
			*len = o;
			return (ssize_t)i;
		default:
			return chunk_fail(c, "data after end of chunked body");
		}
	}
	*len = o;
	return -2;
}

void
http_response_init(struct response *r, int status)
{
	memset(r, 0, offsetof(struct response, scratch));
	r->status = status;
	r->content_length = -1;
	r->scratch_used = 0;
}

int
http_add_header(struct response *r, const char *name, const char *value,
                size_t value_len, int copy)
{
	struct header *h;

	if (r->nheaders == MAX_RESP_HEADERS)
		return -1;
	if (copy) {
		if (value_len >= sizeof r->scratch - r->scratch_used)
			return -1;
		memcpy(r->scratch + r->scratch_used, value, value_len);
		value = r->scratch + r->scratch_used;
		r->scratch_used += value_len;
	}
	h = &r->headers[r->nheaders++];
	h->name = name;
	h->name_len = strlen(name);
	h->value = value;
	h->value_len = value_len;
	return 0;
}

int
http_add_headerf(struct response *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof r->scratch - r->scratch_used;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->scratch + r->scratch_used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -1;
	r->scratch_used += (size_t)n;
	return http_add_header(r, name, r->scratch + r->scratch_used - n,
	                       (size_t)n, 0);
}

/* Append helpers for the serializer: they stop at the buffer's end. */
struct out {
	char *p;
	size_t len, size;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n > o->size) {
		o->len = o->size + 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* a string literal, without its NUL */
#define PUTS(o, s) put(o, s, sizeof s - 1)

size_t
http_num(char *buf, unsigned long long v, unsigned base)
{
	char tmp[20];
	size_t i = sizeof tmp;

	do
		tmp[--i] = "0123456789abcdef"[v % base];
	while ((v /= base) != 0);
	memcpy(buf, tmp + i, sizeof tmp - i);
	return sizeof tmp - i;
}

static void
putnum(struct out *o, unsigned long long v)
{
	char tmp[20];

	put(o, tmp, http_num(tmp, v, 10));
}

int
http_serialize(const struct response *r, int minor, time_t now, char *buf,
               size_t size)
{
	struct out o = {buf, 0, size};
	const char *reason = r->reason;
	size_t reason_len = r->reason_len, i;
	/* the Date field, made once a second (initialized: in .data with
	 * other small variables, not on a page of .bss of its own that a
	 * process serving one request would fault in) */
	static char date[32] = "Thu, 01 Jan 1970 00:00:00 GMT";
	static time_t date_at = -1;

	if (reason == NULL) {
		reason = http_reason(r->status);
		if (reason == NULL)
			reason = "Unknown";
		reason_len = strlen(reason);
	}
	/* RFC 9110 §6.2: we speak HTTP/1.1 to 1.0 and 1.1 clients alike. */
	PUTS(&o, "HTTP/1.1 ");
	putnum(&o, (unsigned)r->status);
	put(&o, " ", 1);
	put(&o, reason, reason_len);
	PUTS(&o, "\r\nDate: ");
	if (now != date_at) {
		http_date(now, date);
		date_at = now;
	}
	put(&o, date, 29);
	if (!r->has_server)
		PUTS(&o, "\r\nServer: " SERVER_SOFTWARE);
	for (i = 0; i < r->nheaders; i++) {
		PUTS(&o, "\r\n");
		put(&o, r->headers[i].name, r->headers[i].name_len);
		PUTS(&o, ": ");
		put(&o, r->headers[i].value, r->headers[i].value_len);
	}
	if (r->chunked) {
		PUTS(&o, "\r\nTransfer-Encoding: chunked");
	} else if (r->content_length >= 0) {
		PUTS(&o, "\r\nContent-Length: ");
		putnum(&o, (unsigned long long)r->content_length);
	}
	if (r->close)
		PUTS(&o, "\r\nConnection: close");
	else if (minor == 0)
		PUTS(&o, "\r\nConnection: keep-alive");
	PUTS(&o, "\r\n\r\n");
	return o.len > size ? -1 : (int)o.len;
}

static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void
http_gmtime(time_t t, struct tm *tm)
{
	long long dn, secs, era, doe, yoe, doy, mp, y;

	/* Civil date from dn since 1970-01-01 in the proleptic Gregorian
	 * calendar, by 400-year eras; glibc's gmtime_r would load the time
	 * zone file once, which a per-connection process need not pay. */
	dn = (long long)t / 86400;
	secs = (long long)t % 86400;
	if (secs < 0) {
		secs += 86400;
		dn--;
	}
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)(((dn % 7) + 11) % 7); /* 1970-01-01: Thursday */
	dn += 719468;                              /* from 0000-03-01 */
	era = (dn >= 0 ? dn : dn - 146096) / 146097;
	doe = dn - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	y = yoe + era * 400 + (mp >= 10);
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10);
	tm->tm_year = (int)(y - 1900);
}

/* v, 0-99, as two digits at p */
static void
two(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

size_t
http_date(time_t t, char *buf)
{
	struct tm tm;

	/* The format has a four-digit year: a time outside years 0-9999
	 * becomes the epoch or the last second of 9999. */
	if ((long long)t < -62167219200LL || (long long)t > 253402300799LL)
		t = t < 0 ? 0 : (time_t)253402300799LL;
	http_gmtime(t, &tm);
	/* RFC 9110 §5.6.7 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": no
	 * locale involved, and no printf on every response */
	memcpy(buf, days[tm.tm_wday % 7], 3);
	memcpy(buf + 3, ", 00 ", 5);
	two(buf + 5, tm.tm_mday);
	memcpy(buf + 8, months[tm.tm_mon % 12], 3);
	memcpy(buf + 11, " 0000 00:00:00 GMT", 19);
	two(buf + 12, (tm.tm_year + 1900) / 100);
	two(buf + 14, (tm.tm_year + 1900) % 100);
	two(buf + 17, tm.tm_hour);
	two(buf + 20, tm.tm_min);
	two(buf + 23, tm.tm_sec);
	return 29;
}

static int
month_index(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (memcmp(s, months[i], 3) == 0)
			return i;
	return -1;
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* RFC 9110 §5.6.7: IMF-fixdate, and the obsolete rfc850 and asctime forms;
 * now places an rfc850 date's two-digit year. */
time_t
http_parse_date(const char *s, size_t len, time_t now)
{
	char b[40];
	struct tm tm;
	const char *p;
	int y;

	if (len >= sizeof b)
		return -1;
	memcpy(b, s, len);
	b[len] = '\0';
	memset(&tm, 0, sizeof tm);
	if (len == 29 && b[3] == ',') {
		/* Sun, 06 Nov 1994 08:49:37 GMT */
		p = b + 5;
		tm.tm_mday = digits(p, 2);
		tm.tm_mon = month_index(p + 3);
		y = digits(p + 7, 4);
		p += 12;
		if (memcmp(b + 25, " GMT", 4) != 0)
			return -1;
	} else if (len == 24 && b[3] == ' ') {
		/* Sun Nov  6 08:49:37 1994 */
		tm.tm_mon = month_index(b + 4);
		tm.tm_mday = digits(b + 8 + (b[8] == ' '), b[8] == ' ' ? 1 : 2);
		y = digits(b + 20, 4);
		p = b + 11;
	} else if ((p = strchr(b, ',')) != NULL && strlen(p) == 24) {
		/* Sunday, 06-Nov-94 08:49:37 GMT */
		p += 2;
		tm.tm_mday = digits(p, 2);
		tm.tm_mon = month_index(p + 3);
		y = digits(p + 7, 2);
		/* §5.6.7: the year with these last two digits that is at
		 * most 50 years ahead of now (years of 365.2425 days); no
		 * digits stay an invalid year */
		if (y >= 0) {
			int last = 2020 + (int)(now / 31556952);
			y = last - (last - y) % 100;
		}
		p += 10;
		if (memcmp(p + 8, " GMT", 4) != 0)
			return -1;
	} else {
		return -1;
	}
	if (tm.tm_mday < 1 || tm.tm_mon < 0 || y < 1970 || p[2] != ':' ||
	    p[5] != ':')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_hour = digits(p, 2);
	tm.tm_min = digits(p + 3, 2);
	tm.tm_sec = digits(p + 6, 2);
	if (tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60 || tm.tm_mday > 31)
		return -1;
	return timegm(&tm);
}

int
http_error_body(int status, char *buf, size_t size)
{
	const char *reason = http_reason(status);
	int n;

	if (reason == NULL)
		reason = "Error";
	n = snprintf(buf, size,
	             "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
	             "<body><h1>%d %s</h1></body></html>\n",
	             status, reason, status, reason);
	return n < 0 || (size_t)n >= size ? 0 : n;
}
