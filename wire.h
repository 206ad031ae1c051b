/*
 * wire.h - the wire formats of the front servers, parsed and built by
 * pure functions: the SCGI request header (a netstring of NUL-terminated
 * name/value strings) and the FastCGI 1.0 record and name-value pair.
 *
 * Nothing here does I/O or allocates; parsed names and values point into
 * the caller's buffer.  Parsers return the number of bytes consumed (> 0),
 * -2 when the input is incomplete, or -1 when it is invalid (with a reason
 * for the log), as the HTTP parser does.  scgi.c and fastcgi.c do the I/O;
 * the fuzz targets link this file alone.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>

#include "cgid.h"

/* One parameter from the front server (a CGI meta-variable). */
struct param {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct params {
	struct param p[MAX_PARAMS];
	size_t n;
	int over;                  /* more than MAX_PARAMS: the rest were
	                              parsed, not kept */
	const char *reason;        /* why the block was rejected */
};

/* Is name[0..len) acceptable as a parameter name: printable ASCII bytes
 * other than '=' (it becomes an environment variable's name), at least
 * one?  Its length is bounded by the block's alone: which names are too
 * long to pass on is for the environment to decide, as in HTTP mode. */
int wire_name_ok(const char *name, size_t len);

/* Find a parameter by exact name (the first of a repeated HTTP_ one);
 * NULL when absent. */
const struct param *params_find(const struct params *ps, const char *name,
                                size_t nl);
const struct param *params_get(const struct params *ps, const char *name);

/*
 * SCGI (Neil Schemenauer's protocol document, "Request format"): the
 * request starts with a netstring whose content is a sequence of
 * NUL-terminated strings, name and value alternating.  The first name is
 * CONTENT_LENGTH (decimal digits, required even when 0), a name SCGI with
 * the value "1" is required, and no name may appear twice.  Returns the
 * length of the netstring including its ',' (the body follows it);
 * *content_length gets the body's length.
 */
int scgi_parse(const char *buf, size_t len, struct params *ps,
               long long *content_length);

/* FastCGI 1.0 (§8): record types, roles, flags and statuses. */
enum {
	FCGI_VERSION_1 = 1,
	FCGI_BEGIN_REQUEST = 1,
	FCGI_ABORT_REQUEST = 2,
	FCGI_END_REQUEST = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6,
	FCGI_STDERR = 7,
	FCGI_DATA = 8,
	FCGI_GET_VALUES = 9,
	FCGI_GET_VALUES_RESULT = 10,
	FCGI_UNKNOWN_TYPE = 11,
	FCGI_RESPONDER = 1,
	FCGI_KEEP_CONN = 1,
	FCGI_REQUEST_COMPLETE = 0,
	FCGI_CANT_MPX_CONN = 1,
	FCGI_OVERLOADED = 2,
	FCGI_UNKNOWN_ROLE = 3,
};

#define FCGI_HEADER_LEN 8

/* A record (§3.3): header, contentLength bytes of content, padding. */
struct fcgi_record {
	int type;
	unsigned id;               /* requestId; 0 for management records */
	const char *content;
	size_t content_len;
	size_t padding_len;
};

/* Parse one record; returns its whole length (header, content, padding).
 * Invalid: a version other than 1. */
int fcgi_parse_record(const char *buf, size_t len, struct fcgi_record *r);

/*
 * One name-value pair (§3.4): two lengths of 1 byte (high bit clear) or
 * 4 bytes (high bit set, 31 bits), then the name and the value.  Invalid:
 * a name that wire_name_ok refuses, a length over MAX_PARAMS_BYTES.
 */
int fcgi_parse_pair(const char *buf, size_t len, struct param *p);

/* A whole FCGI_PARAMS stream: every pair complete, no name twice (the
 * first MAX_PARAMS kept).  Returns 0, or -1 with ps->reason. */
int fcgi_parse_params(const char *buf, size_t len, struct params *ps);

/* Write a record header into out (8 bytes). */
void fcgi_put_header(char *out, int type, unsigned id, size_t content_len,
                     size_t padding_len);
/* Append a name-value pair to out[0..size); returns its length, 0 when it
 * does not fit. */
size_t fcgi_put_pair(char *out, size_t size, const char *name, size_t nl,
                     const char *value, size_t vl);
/* A whole FCGI_END_REQUEST record (16 bytes) into out. */
void fcgi_put_end_request(char *out, unsigned id, unsigned app_status,
                          int protocol_status);
/* Padding that aligns a record of n content bytes to 8 bytes (§3.3). */
size_t fcgi_padding(size_t n);

#endif
