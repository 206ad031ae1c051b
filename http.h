/*
 * http.h - HTTP/1.x message syntax (RFC 9110, RFC 9112): the status
 * vocabulary, a pure request-head parser, the path normaliser, the chunked
 * decoder and the response serializer.  Nothing here does I/O or allocates.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cgid.h"

/* The one status vocabulary (RFC 9110 §15); reasons in http.c. */
enum status {
	S_CONTINUE = 100,
	S_OK = 200,
	S_NO_CONTENT = 204,
	S_PARTIAL_CONTENT = 206,
	S_MOVED_PERMANENTLY = 301,
	S_FOUND = 302,
	S_NOT_MODIFIED = 304,
	S_BAD_REQUEST = 400,
	S_FORBIDDEN = 403,
	S_NOT_FOUND = 404,
	S_METHOD_NOT_ALLOWED = 405,
	S_REQUEST_TIMEOUT = 408,
	S_LENGTH_REQUIRED = 411,
	S_PRECONDITION_FAILED = 412,
	S_CONTENT_TOO_LARGE = 413,
	S_URI_TOO_LONG = 414,
	S_RANGE_NOT_SATISFIABLE = 416,
	S_EXPECTATION_FAILED = 417,
	S_HEADERS_TOO_LARGE = 431,
	S_INTERNAL_SERVER_ERROR = 500,
	S_NOT_IMPLEMENTED = 501,
	S_BAD_GATEWAY = 502,
	S_SERVICE_UNAVAILABLE = 503,
	S_GATEWAY_TIMEOUT = 504,
	S_VERSION_NOT_SUPPORTED = 505,
};

/* Is c a tchar, a byte of a token (RFC 9110 §5.6.2)? */
int http_is_tchar(unsigned char c);

/* Reason phrase for a status, or NULL for a code not in the table. */
const char *http_reason(int status);
/* In PAIRS, "key\0value\0" strings ending with an empty key: the value
 * of KEY (compared without case), or NULL. */
const char *http_pair(const char *pairs, const char *key);

struct header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

enum method {
	M_OTHER, M_GET, M_HEAD, M_POST, M_OPTIONS, M_PUT, M_DELETE, M_PATCH,
	M_CONNECT, M_TRACE,
};

/*
 * A parsed request head.  Every pointer points into the caller's buffer,
 * except path, which holds the decoded and normalised path ("*" in the
 * asterisk-form, empty for CONNECT, whose target is host:port).
 */
struct request {
	const char *method_s;
	size_t method_len;
	enum method method;
	const char *target;        /* request-target as sent */
	size_t target_len;
	int minor;                 /* HTTP/1.minor */
	struct header headers[MAX_HEADERS];
	size_t nheaders;

	/* Filled by http_parse_request from the fields above. */
	const char *query;         /* after '?', raw, not terminated */
	size_t query_len;          /* 0 and query == NULL: no '?' */
	const struct header *host; /* the Host field, NULL if none */
	const char *host_s;        /* authority of absolute form, else Host */
	size_t host_len;
	long long content_length;  /* -1: none; -2: none, and the Content-Type
	                              * is not its own (a local redirect) */
	int chunked;               /* Transfer-Encoding: chunked */
	int keep_alive;            /* persistence after this exchange (§9.3) */
	int expect_continue;       /* Expect: 100-continue */
	const char *reason;        /* why a request was rejected, for the log */
	size_t path_len;
	char path[MAX_PATH];       /* percent-decoded, dot-segments removed;
	                              last, as the largest and least touched */
};

/*
 * Parse one request head from buf[0..len).  Returns the head's length in
 * bytes (> 0), -2 when the head is incomplete, or -1 when the request is
 * invalid: then *status holds the status to answer and req->reason why.
 * An incomplete head that can no longer fit the limits is invalid.
 */
int http_parse_request(const char *buf, size_t len, struct request *req,
                       int *status);

/* Find a header by case-insensitive name; start at *pos, update it. */
const struct header *http_header(const struct request *req, const char *name,
                                 size_t *pos);

/* Does the comma-separated list in v contain token tok (case-insensitive)? */
int http_list_has(const char *v, size_t len, const char *tok);

/*
 * Percent-decode path[0..len) once and remove dot-segments (RFC 3986
 * §5.2.4) into out (size outsz, at least 2).  Rejects %00, an encoded '/',
 * bad escapes and control bytes.  The result starts with '/' and has no
 * "." or ".." segment and no empty segment.  Returns its length, -2 when
 * out has no room for it (and nothing is wrong with its bytes), or -1.
 */
int http_normalize_path(const char *path, size_t len, char *out, size_t outsz);

/* Decode %XX escapes of s[0..len) into out (in place allowed); -1 on a bad
 * escape or a decoded NUL. */
int http_percent_decode(const char *s, size_t len, char *out);

/*
 * The chunked transfer coding (RFC 9112 §7.1), decoded in place.
 * http_chunked_decode decodes buf[0..*len) and sets *len to the number of
 * data bytes now at the start of buf.  Returns -2 while more input is
 * wanted (all of buf was consumed), -1 on a syntax error or limit (reason
 * set), or, once the message ends (last chunk and trailer section), the
 * number of bytes of buf consumed: the bytes after that (a pipelined
 * request) are left where they were, after the data.
 */
struct chunked {
	int state;
	uint64_t remaining;        /* data bytes left in the current chunk */
	size_t line;               /* bytes of the current size/trailer line */
	int ntrailers;
	const char *reason;
};
ssize_t http_chunked_decode(struct chunked *c, char *buf, size_t *len);

/*
 * A response head, decided once and serialized once.  Date, Server,
 * Connection, Content-Length and Transfer-Encoding come from the fields;
 * anything else goes in headers.
 */
#define MAX_RESP_HEADERS (MAX_CGI_HEADERS + 8)
struct response {
	int status;
	const char *reason;        /* NULL: from the table */
	size_t reason_len;
	struct header headers[MAX_RESP_HEADERS];
	size_t nheaders;
	long long content_length;  /* -1: unknown */
	int chunked;               /* body sent with the chunked coding */
	int close;                 /* Connection: close */
	int has_server;            /* a Server header is among headers */
	char scratch[512];         /* storage for formatted header values */
	size_t scratch_used;
};

void http_response_init(struct response *r, int status);
/* Add a header; value copied to scratch when copy is set.  -1 if full. */
int http_add_header(struct response *r, const char *name, const char *value,
                    size_t value_len, int copy);
int http_add_headerf(struct response *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Serialize the head (status line, fields, blank line) into buf.
 * Returns its length, or -1 when it does not fit. */
int http_serialize(const struct response *r, int minor, time_t now, char *buf,
                   size_t size);

/* UTC broken-down time without touching the time zone. */
void http_gmtime(time_t t, struct tm *tm);
/* The IMF-fixdate of t (RFC 9110 §5.6.7) into buf (at least 30 bytes). */
size_t http_date(time_t t, char *buf);
/* v in base 10 or 16 (lower case digits), as %llu or %llx would print
 * it, into buf (room for 20 digits, no NUL added); returns the digits. */
size_t http_num(char *buf, unsigned long long v, unsigned base);
/* Parse an HTTP-date in any of the three formats; -1 if invalid.  now:
 * the current time, against which a two-digit year is placed. */
time_t http_parse_date(const char *s, size_t len, time_t now);

/* A small HTML error page for status into buf; returns its length. */
int http_error_body(int status, char *buf, size_t size);

#endif
