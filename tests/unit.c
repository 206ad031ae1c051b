/*
 * unit.c - unit tests for http.c: the request-head parser, the path
 * normaliser, the percent decoder, the chunked decoder, the date functions
 * and the response serializer.
 *
 * Every input is copied so that it ends right before a PROT_NONE page, so
 * that a read past its end faults instead of passing unnoticed; buffers the
 * code under test writes to get the same treatment.  No framework: a failed
 * check prints file:line, and the runner ends with one line
 * "N passed, M failed" counting checks, and exits 1 if any failed.
 *
 * Build: cc -std=c11 -Wall -Wextra -Werror -g -fsanitize=address,undefined
 *        -I. tests/unit.c http.c -o tests/unit
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http.h"

/* ------------------------------------------------------------------ */
/* Checks */

static int npassed, nfailed;
static const char *ctx; /* what a table-driven check is looking at */

static int
check(int ok, const char *file, int line, const char *what)
{
	if (ok) {
		npassed++;
		return 1;
	}
	nfailed++;
	printf("%s:%d: check failed: %s", file, line, what);
	if (ctx != NULL)
		printf(" [%s]", ctx);
	printf("\n");
	return 0;
}

static int
check_int(long long got, long long want, const char *file, int line,
          const char *what)
{
	char msg[256];

	if (got == want)
		return check(1, file, line, what);
	snprintf(msg, sizeof msg, "%s == %lld, want %lld", what, got, want);
	return check(0, file, line, msg);
}

static int
check_mem(const char *got, size_t got_len, const char *want, const char *file,
          int line, const char *what)
{
	char msg[256];
	size_t want_len = strlen(want);

	if (got != NULL && got_len == want_len && memcmp(got, want, want_len) == 0)
		return check(1, file, line, what);
	snprintf(msg, sizeof msg, "%s == \"%.*s\", want \"%s\"", what,
	         got == NULL ? 6 : (int)(got_len > 80 ? 80 : got_len),
	         got == NULL ? "(null)" : got, want);
	return check(0, file, line, msg);
}

#define CHECK(c) check((c) != 0, __FILE__, __LINE__, #c)
#define CHECK_INT(got, want) \
	check_int((long long)(got), (long long)(want), __FILE__, __LINE__, #got)
#define CHECK_MEM(got, len, want) \
	check_mem((got), (len), (want), __FILE__, __LINE__, #got)

/* A string literal as pointer and length (it may hold NUL bytes). */
#define S(lit) lit, sizeof lit - 1

/* ------------------------------------------------------------------ */
/* Guard pages */

struct guard {
	char *map;
	size_t size;
};

static struct guard slots[4];
static size_t pagesz;

/* n writable bytes ending right before a PROT_NONE page. */
static char *
guarded_space(int slot, size_t n)
{
	struct guard *g = &slots[slot];
	size_t need = (n + pagesz - 1) / pagesz * pagesz + pagesz;

	if (g->size < need) {
		if (g->map != NULL)
			munmap(g->map, g->size);
		g->map = mmap(NULL, need, PROT_READ | PROT_WRITE,
		              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (g->map == MAP_FAILED ||
		    mprotect(g->map + need - pagesz, pagesz, PROT_NONE) != 0) {
			perror("mmap");
			exit(2);
		}
		g->size = need;
	}
	return g->map + g->size - pagesz - n;
}

/* A copy of s[0..n) that ends right before a PROT_NONE page. */
static char *
guarded(int slot, const char *s, size_t n)
{
	char *p = guarded_space(slot, n);

	memcpy(p, s, n);
	return p;
}

enum { G_IN, G_OUT, G_AUX, G_AUX2 };

/* ------------------------------------------------------------------ */
/* Request parser helpers */

static struct request req;
static int st;

/* Parse s[0..n) placed against a guard page; req points into that copy
 * until the next call. */
static int
parse(const char *s, size_t n)
{
	char *p = guarded(G_IN, s, n);

	st = 0;
	return http_parse_request(p, n, &req, &st);
}

static int
parse_str(const char *s)
{
	return parse(s, strlen(s));
}

static const struct header *
hdr(const char *name)
{
	return http_header(&req, name, NULL);
}

/* A scratch buffer for long inputs. */
static char big[3 * MAX_HEAD];
static size_t big_len;

static void
big_reset(void)
{
	big_len = 0;
}

static void
big_add(const char *s)
{
	size_t n = strlen(s);

	if (big_len + n > sizeof big) {
		fprintf(stderr, "unit: scratch buffer too small\n");
		exit(2);
	}
	memcpy(big + big_len, s, n);
	big_len += n;
}

static void
big_fill(char c, size_t n)
{
	if (big_len + n > sizeof big) {
		fprintf(stderr, "unit: scratch buffer too small\n");
		exit(2);
	}
	memset(big + big_len, c, n);
	big_len += n;
}

/* ------------------------------------------------------------------ */
/* Valid requests */

static void
test_get(void)
{
	const char in[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n"
	                  "User-Agent: t\r\n\r\n";

	CHECK_INT(parse(S(in)), sizeof in - 1);
	CHECK_INT(req.method, M_GET);
	CHECK_MEM(req.method_s, req.method_len, "GET");
	CHECK_MEM(req.target, req.target_len, "/index.html");
	CHECK_MEM(req.path, req.path_len, "/index.html");
	CHECK_INT(strlen(req.path), req.path_len);
	CHECK_INT(req.minor, 1);
	CHECK_INT(req.nheaders, 2);
	CHECK_MEM(req.headers[0].name, req.headers[0].name_len, "Host");
	CHECK_MEM(req.headers[1].value, req.headers[1].value_len, "t");
	CHECK(req.host == &req.headers[0]);
	CHECK_MEM(req.host_s, req.host_len, "example.com");
	CHECK(req.query == NULL);
	CHECK_INT(req.query_len, 0);
	CHECK_INT(req.content_length, -1);
	CHECK_INT(req.chunked, 0);
	CHECK_INT(req.keep_alive, 1);
	CHECK_INT(req.expect_continue, 0);
	CHECK_INT(st, 0);
}

static void
test_methods(void)
{
	static const struct {
		const char *m;
		enum method want;
	} t[] = {
		{"GET", M_GET}, {"HEAD", M_HEAD}, {"POST", M_POST},
		{"OPTIONS", M_OPTIONS}, {"PUT", M_PUT}, {"DELETE", M_DELETE},
		{"PATCH", M_PATCH}, {"TRACE", M_TRACE}, {"BREW", M_OTHER},
		{"get", M_OTHER}, {"GETS", M_OTHER}, {"GE", M_OTHER},
	};
	char in[128];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ctx = t[i].m;
		snprintf(in, sizeof in, "%s / HTTP/1.1\r\nHost: a\r\n\r\n", t[i].m);
		CHECK_INT(parse_str(in), strlen(in));
		CHECK_INT(req.method, t[i].want);
		CHECK_MEM(req.method_s, req.method_len, t[i].m);
	}
	ctx = NULL;
}

static void
test_post_content_length(void)
{
	const char in[] = "POST /cgi-bin/x HTTP/1.1\r\nHost: a\r\n"
	                  "Content-Length: 5\r\n\r\nhello";

	CHECK_INT(parse(S(in)), sizeof in - 1 - 5);
	CHECK_INT(req.method, M_POST);
	CHECK_INT(req.content_length, 5);
	CHECK_INT(req.chunked, 0);

	/* RFC 9110 §8.6: a list of identical values is one value. */
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\n"
	                "Content-Length: 7, 7\r\nContent-Length: 7\r\n\r\n") > 0);
	CHECK_INT(req.content_length, 7);
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\n"
	                "Content-Length: 0\r\n\r\n") > 0);
	CHECK_INT(req.content_length, 0);
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\n"
	                "Content-Length: 007\r\n\r\n") > 0);
	CHECK_INT(req.content_length, 7);
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\n"
	                "Content-Length: 9223372036854775799\r\n\r\n") > 0);
	CHECK_INT(req.content_length, 9223372036854775799LL);
}

static void
test_chunked_request(void)
{
	const char in[] = "POST / HTTP/1.1\r\nHost: a\r\n"
	                  "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";

	CHECK_INT(parse(S(in)), strstr(in, "\r\n\r\n") + 4 - in);
	CHECK_INT(req.chunked, 1);
	CHECK_INT(req.content_length, -1);
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\n"
	                "Transfer-Encoding: CHUNKED\r\n\r\n") > 0);
	CHECK_INT(req.chunked, 1);
}

static void
test_pipelined(void)
{
	const char in[] = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
	                  "GET /two?x HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n";
	int n, m;

	n = parse(S(in));
	CHECK_INT(n, strstr(in, "GET /two") - in);
	CHECK_MEM(req.path, req.path_len, "/one");
	CHECK_INT(req.keep_alive, 1);
	if (n <= 0)
		return;
	m = parse(in + n, sizeof in - 1 - (size_t)n);
	CHECK_INT(m, sizeof in - 1 - (size_t)n);
	CHECK_MEM(req.path, req.path_len, "/two");
	CHECK_MEM(req.query, req.query_len, "x");
	CHECK_MEM(req.host_s, req.host_len, "b");
	CHECK_INT(req.keep_alive, 0);
}

static void
test_absolute_form(void)
{
	CHECK(parse_str("GET http://example.org:8080/a/./b?x=1 HTTP/1.1\r\n"
	                "Host: other\r\n\r\n") > 0);
	CHECK_MEM(req.host_s, req.host_len, "example.org:8080");
	CHECK_MEM(req.path, req.path_len, "/a/b");
	CHECK_MEM(req.query, req.query_len, "x=1");
	CHECK_MEM(req.target, req.target_len, "http://example.org:8080/a/./b?x=1");

	CHECK(parse_str("GET HTTP://Example.org HTTP/1.1\r\nHost: x\r\n\r\n") > 0);
	CHECK_MEM(req.host_s, req.host_len, "Example.org");
	CHECK_MEM(req.path, req.path_len, "/");

	CHECK(parse_str("GET http://h?q HTTP/1.1\r\nHost: x\r\n\r\n") > 0);
	CHECK_MEM(req.host_s, req.host_len, "h");
	CHECK_MEM(req.path, req.path_len, "/");
	CHECK_MEM(req.query, req.query_len, "q");

	CHECK(parse_str("GET https://[::1]:8443/x HTTP/1.1\r\nHost: x\r\n\r\n") > 0);
	CHECK_MEM(req.host_s, req.host_len, "[::1]:8443");
	CHECK_MEM(req.path, req.path_len, "/x");

	/* HTTP/1.0 needs no Host; the authority stands in for it. */
	CHECK(parse_str("GET http://h/p HTTP/1.0\r\n\r\n") > 0);
	CHECK_MEM(req.host_s, req.host_len, "h");
	CHECK(req.host == NULL);
}

static void
test_options_star(void)
{
	CHECK(parse_str("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	CHECK_INT(req.method, M_OPTIONS);
	CHECK_MEM(req.path, req.path_len, "*");
	CHECK(req.query == NULL);
}

/* RFC 9112 §3.2.3: CONNECT takes host:port, and nothing else, and is left
 * with no path. */
static void
test_connect(void)
{
	static const char *const t[] = {
		"example.com:443", "[::1]:443", "127.0.0.1:8080", "a:0",
	};
	char in[128];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ctx = t[i];
		snprintf(in, sizeof in, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
		         t[i], t[i]);
		CHECK_INT(parse_str(in), strlen(in));
		CHECK_INT(req.method, M_CONNECT);
		CHECK_MEM(req.target, req.target_len, t[i]);
		CHECK_INT(req.path_len, 0);
		CHECK_MEM(req.path, strlen(req.path), "");
		CHECK(req.query == NULL);
	}
	ctx = NULL;
}

static void
test_query(void)
{
	CHECK(parse_str("GET /a%20b/c?x=%41&y=/../z&&? HTTP/1.1\r\n"
	                "Host: a\r\n\r\n") > 0);
	CHECK_MEM(req.path, req.path_len, "/a b/c");
	CHECK_MEM(req.query, req.query_len, "x=%41&y=/../z&&?");

	CHECK(parse_str("GET /?  HTTP/1.1\r\nHost: a\r\n\r\n") < 0);
	CHECK(parse_str("GET /? HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	CHECK_MEM(req.path, req.path_len, "/");
	CHECK(req.query != NULL);
	CHECK_INT(req.query_len, 0);
}

static void
test_leading_empty_lines(void)
{
	const char in[] = "\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

	CHECK_INT(parse(S(in)), sizeof in - 1);
	CHECK_MEM(req.path, req.path_len, "/");
	CHECK_INT(parse_str("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	          strlen("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	/* more than a few: invalid */
	CHECK_INT(parse_str("\n\n\n\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), -1);
	CHECK_INT(st, 400);
	CHECK_INT(parse_str("\r\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), -1);
	CHECK_INT(st, 400);
}

static void
test_bare_lf(void)
{
	const char in[] = "GET /x HTTP/1.1\nHost: a\nX: y \n\nBODY";

	/* RFC 9112 §2.2: a bare LF ends a line. */
	CHECK_INT(parse(S(in)), sizeof in - 1 - 4);
	CHECK_MEM(hdr("x")->value, hdr("x")->value_len, "y");
	CHECK_INT(parse_str("GET /x HTTP/1.1\r\nHost: a\n\r\n"),
	          strlen("GET /x HTTP/1.1\r\nHost: a\n\r\n"));
}

static void
test_header_values(void)
{
	const struct header *h;
	size_t pos = 0;

	CHECK(parse_str("GET / HTTP/1.1\r\nHost:a\r\nX-A:  \t  v 1 \t \r\n"
	                "X-B:\r\nX-C: \t \r\nx-a: two\r\nX-D: caf\xc3\xa9\r\n"
	                "X-E: a\tb\r\n\r\n") > 0);
	CHECK_INT(req.nheaders, 7);
	CHECK_MEM(req.host_s, req.host_len, "a");
	h = http_header(&req, "X-A", &pos);
	CHECK(h != NULL);
	if (h != NULL)
		CHECK_MEM(h->value, h->value_len, "v 1");
	h = http_header(&req, "X-A", &pos);
	CHECK(h != NULL);
	if (h != NULL)
		CHECK_MEM(h->value, h->value_len, "two");
	CHECK(http_header(&req, "X-A", &pos) == NULL);
	CHECK_INT(pos, req.nheaders);
	CHECK_INT(hdr("X-B")->value_len, 0);
	CHECK_INT(hdr("x-c")->value_len, 0);
	CHECK_MEM(hdr("X-D")->value, hdr("X-D")->value_len, "caf\xc3\xa9");
	CHECK_MEM(hdr("X-E")->value, hdr("X-E")->value_len, "a\tb");
	CHECK(hdr("X") == NULL);
	CHECK(hdr("X-AA") == NULL);
}

static void
test_hosts(void)
{
	static const char *const t[] = {
		"example.com", "example.com:8080", "[::1]", "[::1]:80",
		"127.0.0.1:1", "a_b-c~d", "xn--caf-dma.example", "a%41",
		"", "a:", ":80", "[::ffff:192.0.2.1]:8080", "[FE80::a]",
		"!$&'()*+,;=.example", "a.:65535",
	};
	char in[128];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ctx = t[i];
		snprintf(in, sizeof in, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", t[i]);
		CHECK_INT(parse_str(in), strlen(in));
		CHECK_MEM(req.host_s, req.host_len, t[i]);
	}
	ctx = NULL;
}

static void
test_versions(void)
{
	CHECK(parse_str("GET / HTTP/1.0\r\n\r\n") > 0);
	CHECK_INT(req.minor, 0);
	CHECK_INT(req.keep_alive, 0);
	/* RFC 9110 §6.2: a higher minor version is handled as 1.1. */
	CHECK(parse_str("GET / HTTP/1.2\r\nHost: a\r\n\r\n") > 0);
	CHECK_INT(req.minor, 1);
	CHECK_INT(parse_str("GET / HTTP/1.9\r\n\r\n"), -1);
	CHECK_INT(st, 400); /* handled as 1.1, so Host is required */
}

static void
test_keep_alive(void)
{
	static const struct {
		const char *in;
		int keep;
	} t[] = {
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: te, close\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", 1},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", 1},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: x\r\n"
		 "Connection: close\r\n\r\n", 0},
		{"GET / HTTP/1.0\r\n\r\n", 0},
		{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
		{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1},
		{"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0},
		{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
		 "Connection: close\r\n\r\n", 0},
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ctx = t[i].in;
		CHECK(parse_str(t[i].in) > 0);
		CHECK_INT(req.keep_alive, t[i].keep);
	}
	ctx = NULL;
}

static void
test_expect(void)
{
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	                "Expect: 100-continue\r\n\r\n") > 0);
	CHECK_INT(req.expect_continue, 1);
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	                "Expect: 100-Continue\r\n\r\n") > 0);
	CHECK_INT(req.expect_continue, 1);
	/* RFC 9110 §10.1.1: an HTTP/1.0 request's Expect is ignored. */
	CHECK(parse_str("POST / HTTP/1.0\r\nContent-Length: 1\r\n"
	                "Expect: 100-continue\r\n\r\n") > 0);
	CHECK_INT(req.expect_continue, 0);
	CHECK(parse_str("GET / HTTP/1.0\r\nExpect: something\r\n\r\n") > 0);
	/* §5.6.1.2: Expect is a list, whose empty elements are ignored */
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	                "Expect: , 100-continue,\r\n\r\n") > 0);
	CHECK_INT(req.expect_continue, 1);
	CHECK(parse_str("POST / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n") > 0);
	CHECK_INT(req.expect_continue, 0);
}

static void
test_reason_reset(void)
{
	CHECK_INT(parse_str("GET / HTTP/1.1\r\n\r\n"), -1);
	CHECK(req.reason != NULL);
	CHECK(parse_str("GET / HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	CHECK(req.reason == NULL);
}

/* ------------------------------------------------------------------ */
/* Rejections */

static const struct {
	const char *in;
	size_t len;
	int status;
} bad[] = {
	/* control bytes (RFC 9112 §2.2) */
	{S("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400},
	{S("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), 400},
	{S("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\0\r\nHost: a\r\n\r\n"), 400},
	{S("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX\0: b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n"), 400},
	{S("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	/* request line shape (§3) */
	{S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400},
	{S("GET /\r\nHost: a\r\n\r\n"), 400},
	{S("GET\r\nHost: a\r\n\r\n"), 400},
	{S("GET / \r\nHost: a\r\n\r\n"), 400},
	{S("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n"), 400},
	/* version (§2.3) */
	{S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505},
	{S("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505},
	{S("GET / HTTP/3.1\r\nHost: a\r\n\r\n"), 505},
	{S("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/11.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.x\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/x.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / http/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTPS/1.1\r\nHost: a\r\n\r\n"), 400},
	/* fields (§5) */
	{S("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX y: b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nX(: b\r\n\r\n"), 400},
	/* Host (§3.2) */
	{S("GET / HTTP/1.1\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nX: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400},
	{S("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a#b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a|b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a^b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a`b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a\xc3\xa9\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: ex.com:http\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a:-1\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a: 80\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: ]x[\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a]\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a[b]\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: []\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [::1]:x\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [::1]]\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [[::1]\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [v1.x]\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a%\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a%4\r\n\r\n"), 400},
	{S("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n"), 400},
	{S("GET http://a/ HTTP/1.1\r\n\r\n"), 400},
	{S("GET http://a|b/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http://a:b:c/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http://ex.com:http/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http://]x[/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http://[::1/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	/* Content-Length (RFC 9110 §8.6, RFC 9112 §6.3) */
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	   "Transfer-Encoding: chunked\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	   "Content-Length: 5\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	   "Content-Length: 6\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 6\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1.0\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ,\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	   "Content-Length:\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	   "Content-Length: ,\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\n"
	   "Content-Length: 99999999999999999999\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\n"
	   "Content-Length: 9223372036854775808\r\n\r\n"), 400},
	/* Transfer-Encoding (RFC 9112 §6.1) */
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n"
	   "\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	   "Transfer-Encoding: gzip\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	   "Transfer-Encoding:\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n"
	   "\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	   "Transfer-Encoding: chunked\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n"
	   "\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n"),
	 400},
	{S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
	   "\r\n"), 501},
	{S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	   "Transfer-Encoding: chunked\r\n\r\n"), 501},
	/* Expect (RFC 9110 §10.1.1) */
	{S("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"), 417},
	{S("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n\r\n"), 417},
	/* request-target (§3.2) */
	{S("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /a?b#c HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET # HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT /a.txt HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT a: HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT [::1] HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT a:b:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT a:443/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT u@a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT http://a:443/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("CONNECT a:443 HTTP/1.1\r\n\r\n"), 400},
	{S("GET a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http:// HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http://u@h/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http://h#f HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http://h/#f HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /.. HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /a/../.. HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /a%2fb HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET /%0a HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{S("GET http://h/.. HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
};

static void
test_rejections(void)
{
	size_t i, k;
	char what[128];
	int r;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(what, sizeof what, "bad[%zu]", i);
		ctx = what;
		CHECK_INT(parse(bad[i].in, bad[i].len), -1);
		CHECK_INT(st, bad[i].status);
		CHECK(req.reason != NULL);
		/* every prefix: incomplete or invalid, and never a fault */
		for (k = 0; k < bad[i].len; k++) {
			r = parse(bad[i].in, k);
			if (!CHECK(r == -2 || (r == -1 && st >= 400 && st < 600)))
				break;
		}
	}
	ctx = NULL;
}

/* ------------------------------------------------------------------ */
/* Limits */

/* A request line of exactly n bytes (terminator included) made long with
 * the query, then a Host field. */
static void
long_request_line(size_t n, const char *eol)
{
	size_t fixed = strlen("GET /? HTTP/1.1") + strlen(eol);

	big_reset();
	big_add("GET /?");
	big_fill('q', n - fixed);
	big_add(" HTTP/1.1");
	big_add(eol);
	big_add("Host: a\r\n\r\n");
}

static void
test_limit_request_line(void)
{
	long_request_line(MAX_REQUEST_LINE, "\r\n");
	CHECK_INT(parse(big, big_len), big_len);
	CHECK_INT(req.query_len, MAX_REQUEST_LINE - strlen("GET /? HTTP/1.1\r\n"));
	long_request_line(MAX_REQUEST_LINE + 1, "\r\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 414);
	long_request_line(MAX_REQUEST_LINE, "\n");
	CHECK_INT(parse(big, big_len), big_len);
	long_request_line(MAX_REQUEST_LINE + 1, "\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 414);

	/* incomplete: 414 as soon as no terminator can keep it in bounds */
	big_reset();
	big_add("GET /?");
	big_fill('q', MAX_REQUEST_LINE);
	CHECK_INT(parse(big, MAX_REQUEST_LINE - 1), -2);
	CHECK_INT(parse(big, MAX_REQUEST_LINE), -1);
	CHECK_INT(st, 414);
	CHECK_INT(parse(big, MAX_REQUEST_LINE + 1), -1);
	CHECK_INT(st, 414);

	/* the decoded path: MAX_PATH includes its terminating NUL */
	big_reset();
	big_add("GET /");
	big_fill('p', MAX_PATH - 2);
	big_add(" HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse(big, big_len), big_len);
	CHECK_INT(req.path_len, MAX_PATH - 1);
	CHECK_INT(strlen(req.path), MAX_PATH - 1);
	/* one byte more: 414 (RFC 9110 §15.5.15), decoded or not */
	big_reset();
	big_add("GET /");
	big_fill('p', MAX_PATH - 1);
	big_add(" HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 414);
	big_reset();
	big_add("GET /");
	big_fill('p', MAX_PATH - 3);
	big_add("%41%42/x?q HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 414);
	/* too long before its dot-segments are removed */
	big_reset();
	big_add("GET /");
	big_fill('p', MAX_PATH);
	big_add("/../x HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 414);
	/* long in the request, short once decoded: served */
	big_reset();
	big_add("GET /");
	for (size_t i = 0; i < MAX_PATH / 2; i++)
		big_add("%41");
	big_add(" HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse(big, big_len), big_len);
	CHECK_INT(req.path_len, MAX_PATH / 2 + 1);
	/* too long and invalid, before or after the limit: 400 */
	big_reset();
	big_add("GET /%zz");
	big_fill('p', MAX_PATH);
	big_add(" HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 400);
	big_reset();
	big_add("GET /");
	big_fill('p', MAX_PATH);
	big_add("%00 HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 400);
	big_reset();
	big_add("GET /");
	big_fill('p', MAX_PATH);
	big_add("/a%2fb HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 400);
}

/* A head of exactly n bytes: request line, Host, one long field. */
static void
long_head(size_t n)
{
	size_t fixed = strlen("GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n");

	big_reset();
	big_add("GET / HTTP/1.1\r\nHost: a\r\nX: ");
	big_fill('v', n - fixed);
	big_add("\r\n\r\n");
}

static void
test_limit_head(void)
{
	long_head(MAX_HEAD);
	CHECK_INT(parse(big, big_len), MAX_HEAD);
	CHECK_INT(hdr("X")->value_len,
	          MAX_HEAD - strlen("GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n"));
	long_head(MAX_HEAD + 1);
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 431);
	/* incomplete */
	CHECK_INT(parse(big, MAX_HEAD - 1), -2);
	CHECK_INT(parse(big, MAX_HEAD), -1);
	CHECK_INT(st, 431);

	/* leading empty lines count toward the head */
	big_reset();
	big_add("\r\n");
	big_add("GET / HTTP/1.1\r\nHost: a\r\nX: ");
	big_fill('v', MAX_HEAD - big_len - 4);
	big_add("\r\n\r\n");
	CHECK_INT(big_len, MAX_HEAD);
	CHECK_INT(parse(big, big_len), MAX_HEAD);
	big_len -= 4;
	big_add("v\r\n\r\n");
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 431);

	/* a body after a head of the limit's size is not part of the head */
	long_head(MAX_HEAD);
	big_add("body");
	CHECK_INT(parse(big, big_len), MAX_HEAD);
}

static void
many_headers(size_t n)
{
	char line[64];
	size_t i;

	big_reset();
	big_add("GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 1; i < n; i++) {
		snprintf(line, sizeof line, "X-%zu: %zu\r\n", i, i);
		big_add(line);
	}
	big_add("\r\n");
}

static void
test_limit_headers(void)
{
	many_headers(MAX_HEADERS);
	CHECK_INT(parse(big, big_len), big_len);
	CHECK_INT(req.nheaders, MAX_HEADERS);
	CHECK_MEM(req.headers[MAX_HEADERS - 1].name,
	          req.headers[MAX_HEADERS - 1].name_len, "X-99");
	many_headers(MAX_HEADERS + 1);
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 431);
	many_headers(MAX_HEADERS + 50);
	CHECK_INT(parse(big, big_len), -1);
	CHECK_INT(st, 431);
}

/* ------------------------------------------------------------------ */
/* Incomplete input */

static const char *const good[] = {
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
	"GET / HTTP/1.0\r\n\r\n",
	"GET / HTTP/1.0\n\n",
	"\r\n\nGET / HTTP/1.1\nHost: a\r\n\n",
	("POST /cgi-bin/t HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n"
	 "Expect: 100-continue\r\n\r\n"),
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
	"GET http://h:1/p HTTP/1.1\r\nHost: a\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /x HTTP/1.1\r\nHost: a\r\nX:  v  \r\nY:\r\nConnection: close\r\n\r\n",
};

static void
check_prefixes(const char *in, size_t n)
{
	size_t k;
	int r;

	for (k = 0; k < n; k++) {
		r = parse(in, k);
		if (!CHECK_INT(r, -2))
			break;
	}
	CHECK_INT(parse(in, n), n);
}

static void
test_incomplete(void)
{
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ctx = good[i];
		check_prefixes(good[i], strlen(good[i]));
	}
	ctx = "request line at its limit";
	long_request_line(MAX_REQUEST_LINE, "\r\n");
	check_prefixes(big, big_len);
	ctx = "head at its limit";
	long_head(MAX_HEAD);
	check_prefixes(big, big_len);
	ctx = NULL;
}

/* ------------------------------------------------------------------ */
/* Path normalisation and percent-decoding */

static const struct {
	const char *in;
	const char *want; /* NULL: rejected */
} paths[] = {
	{"/", "/"},
	{"/a", "/a"},
	{"/a/./b/../c", "/a/c"},
	{"/a//b", "/a/b"},
	{"//a///b//", "/a/b/"},
	{"/%2e%2e/", NULL},
	{"/%2E%2E/x", NULL},
	{"/a/%2e%2e/b", "/b"},
	{"/a/.%2e/b", "/b"},
	{"/a/%2e/b", "/a/b"},
	{"/%00", NULL},
	{"/a%00b", NULL},
	{"/%2F", NULL},
	{"/a%2fb", NULL},
	{"/dir/", "/dir/"},
	{"/a/..", "/"},
	{"/a/../", "/"},
	{"/a/b/..", "/a/"},
	{"/a/b/../", "/a/"},
	{"/..", NULL},
	{"/../a", NULL},
	{"/a/../..", NULL},
	{"/a/../../b", NULL},
	{"/.", "/"},
	{"/./", "/"},
	{"/a/.", "/a/"},
	{"/./a/./", "/a/"},
	{"/...", "/..."},
	{"/.a/..b/a.", "/.a/..b/a."},
	{"/%G0", NULL},
	{"/%0G", NULL},
	{"/%4", NULL},
	{"/%", NULL},
	{"/a%", NULL},
	{"/%41%42%63", "/ABc"},
	{"/%25", "/%"},
	{"/%2541", "/%41"},
	{"/a%20b", "/a b"},
	{"/%c3%a9", "/\xc3\xa9"},
	{"/%0a", NULL},
	{"/%0D", NULL},
	{"/%1f", NULL},
	{"/%7f", NULL},
	{"/a\tb", NULL},
	{"/%3F%23", "/?#"},
	{"/a/b/c/../../d", "/a/d"},
	{"/a/b/c/../../../d", "/d"},
	{"/a//..", "/"},
	{"/a/.//../b", "/b"},
	{"a", NULL},
	{"", NULL},
	{"%2f", NULL},
	{"\\a", NULL},
};

static void
test_normalize(void)
{
	size_t i, n, want_len;
	char *in, *out;
	int r;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		ctx = paths[i].in;
		n = strlen(paths[i].in);
		in = guarded(G_IN, paths[i].in, n);
		out = guarded_space(G_OUT, MAX_PATH);
		r = http_normalize_path(in, n, out, MAX_PATH);
		if (paths[i].want == NULL) {
			CHECK_INT(r, -1);
			continue;
		}
		want_len = strlen(paths[i].want);
		CHECK_INT(r, want_len);
		if (r >= 0)
			CHECK_MEM(out, (size_t)r, paths[i].want);
		CHECK(r >= 0 && out[r] == '\0');
		/*
		 * An output buffer of exactly the size needed: out is also the
		 * working space, so a path whose dot-segments shrink it may
		 * not fit; one byte less never fits.  No write goes past it.
		 */
		out = guarded_space(G_OUT, want_len + 1);
		r = http_normalize_path(in, n, out, want_len + 1);
		CHECK(r == (int)want_len || r == -2);
		if (strpbrk(paths[i].in, ".%") == NULL)
			CHECK_INT(r, want_len);
		if (want_len < 2)
			continue;
		out = guarded_space(G_OUT, want_len);
		CHECK_INT(http_normalize_path(in, n, out, want_len), -2);
	}
	ctx = NULL;
	out = guarded_space(G_OUT, 1);
	CHECK_INT(http_normalize_path("/", 1, out, 1), -1);
	CHECK_INT(http_normalize_path("/", 1, out, 0), -1);
	/* past the room the rest is still checked: a bad byte is -1 */
	out = guarded_space(G_OUT, 3);
	CHECK_INT(http_normalize_path("/abc", 4, out, 3), -2);
	CHECK_INT(http_normalize_path("/abc/../d", 9, out, 3), -2);
	CHECK_INT(http_normalize_path("/abc%zz", 7, out, 3), -1);
	CHECK_INT(http_normalize_path("/abc/%2f", 8, out, 3), -1);
	CHECK_INT(http_normalize_path("/abc/%01", 8, out, 3), -1);
	CHECK_INT(http_normalize_path("/abc/\x7f", 6, out, 3), -1);
}

static void
test_percent_decode(void)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: rejected */
	} t[] = {
		{"", ""}, {"abc", "abc"}, {"a%20b", "a b"}, {"%2F%2f", "//"},
		{"%41%4a%4A", "AJJ"}, {"%25", "%"}, {"%ff", "\xff"},
		{"%00", NULL}, {"%", NULL}, {"%4", NULL}, {"a%4", NULL},
		{"%G0", NULL}, {"%0g", NULL}, {"%%41", NULL}, {"+", "+"},
	};
	size_t i, n;
	char *in, *out;
	int r;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ctx = t[i].in;
		n = strlen(t[i].in);
		in = guarded(G_IN, t[i].in, n);
		out = guarded_space(G_OUT, n);
		r = http_percent_decode(in, n, out);
		if (t[i].want == NULL) {
			CHECK_INT(r, -1);
			continue;
		}
		CHECK_INT(r, strlen(t[i].want));
		if (r >= 0)
			CHECK_MEM(out, (size_t)r, t[i].want);
		/* in place */
		r = http_percent_decode(in, n, in);
		if (r >= 0)
			CHECK_MEM(in, (size_t)r, t[i].want);
	}
	ctx = NULL;
}

/* ------------------------------------------------------------------ */
/* Chunked decoding */

struct dec {
	ssize_t r;       /* -1, -2, or input bytes consumed by the message */
	char data[512];  /* decoded data */
	size_t len;
	const char *reason;
};

/*
 * Decode in[0..n): a first piece of `first` bytes, then pieces of `step`
 * bytes, each piece alone against a guard page as a reader would get it.
 */
static void
decode(const char *in, size_t n, size_t first, size_t step, struct dec *d)
{
	struct chunked c;
	size_t off = 0, piece, len;
	char *p;
	ssize_t r = -2;

	memset(&c, 0, sizeof c);
	memset(d, 0, sizeof *d);
	piece = first;
	while (off < n) {
		if (piece > n - off)
			piece = n - off;
		p = guarded(G_AUX, in + off, piece);
		len = piece;
		r = http_chunked_decode(&c, p, &len);
		if (len > piece || d->len + len > sizeof d->data) {
			d->r = -3;
			return;
		}
		memcpy(d->data + d->len, p, len);
		d->len += len;
		if (r >= 0) {
			if ((size_t)r > piece ||
			    memcmp(p + r, in + off + (size_t)r, piece - (size_t)r) != 0) {
				/* what follows the body was not preserved */
				d->r = -4;
				return;
			}
			r += (ssize_t)off;
			break;
		}
		if (r == -1)
			break;
		off += piece;
		piece = step;
	}
	d->r = r;
	d->reason = c.reason;
}

static const struct {
	const char *in;
	size_t len;
	ssize_t r;         /* expected: -1, -2, or bytes consumed */
	const char *data;  /* expected data when r != -1 */
	size_t dlen;
} chunks[] = {
	{S("0\r\n\r\n"), 5, S("")},
	{S("5\r\nhello\r\n0\r\n\r\n"), 15, S("hello")},
	{S("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n"), 15, S("hello")},
	{S("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), 26, S("hello world")},
	{S("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n"), 35,
	 S("0123456789abcdefghij")},
	{S("00005\r\nhello\r\n000\r\n\r\n"), 21, S("hello")},
	{S("5;ext\r\nhello\r\n0\r\n\r\n"), 19, S("hello")},
	{S("5;a=b;c=\"d e\"\r\nhello\r\n0;x\r\n\r\n"), 29, S("hello")},
	{S("5 ; a = b\r\nhello\r\n0\r\n\r\n"), 23, S("hello")},
	{S("5\t;a\r\nhello\r\n0\r\n\r\n"), 18, S("hello")},
	{S("1\r\n\0\r\n0\r\n\r\n"), 11, S("\0")}, /* any byte is data */
	{S("5\r\nhello\r\n0\r\nX-T: 1\r\nY:2\r\n\r\nZ"), 28, S("hello")},
	{S("0\r\nTrailer: a\tb c\r\n\r\n"), 21, S("")},
	{S("0\r\nT:\r\n\r\n"), 9, S("")},
	/* incomplete */
	{S(""), -2, S("")},
	{S("5"), -2, S("")},
	{S("5\r"), -2, S("")},
	{S("5\r\nhel"), -2, S("hel")},
	{S("5\r\nhello"), -2, S("hello")},
	{S("5\r\nhello\r\n0\r\n"), -2, S("hello")},
	{S("5\r\nhello\r\n0\r\nT: v\r\n"), -2, S("hello")},
	{S("ffffffffffffffff\r\nabc"), -2, S("abc")},
	{S("0000000000000000000000001\r\nx"), -2, S("x")},
	/* invalid */
	/* RFC 9112 §7.1: every line of the chunked coding ends in CRLF; a
	 * bare LF, as some parsers take it and others do not, would let
	 * two of them disagree on where the body ends */
	{S("0\n\n"), -1, S("")},
	{S("5\nhello\r\n0\r\n\r\n"), -1, S("")},
	{S("5;a\nhello\r\n0\r\n\r\n"), -1, S("")},
	{S("5\r\nhello\n0\r\n\r\n"), -1, S("")},
	{S("0\r\nT: v\n\r\n"), -1, S("")},
	{S("0\r\n\n"), -1, S("")},
	{S("ffffffffffffffffff\r\n"), -1, S("")},
	{S("10000000000000000\r\n"), -1, S("")},
	{S("\r\n"), -1, S("")},
	{S(";a\r\n"), -1, S("")},
	{S("x\r\n"), -1, S("")},
	{S("-1\r\n"), -1, S("")},
	{S("0x5\r\n"), -1, S("")},
	{S("+5\r\nhello\r\n"), -1, S("")},
	{S(" 5\r\nhello\r\n"), -1, S("")},
	{S("5\rx\nhello\r\n"), -1, S("")},
	{S("5;a\rb\r\nhello\r\n0\r\n\r\n"), -1, S("")},
	{S("5;a\0b\r\nhello\r\n0\r\n\r\n"), -1, S("")},
	{S("5;a\x01\r\nhello\r\n0\r\n\r\n"), -1, S("")},
	{S("5\r\nhelloX\r\n0\r\n\r\n"), -1, S("")},
	{S("5\r\nhello\rX0\r\n\r\n"), -1, S("")},
	{S("5\r\nhello\r\r\n0\r\n\r\n"), -1, S("")},
	{S("5\r\nhello world\r\n"), -1, S("")},
	{S("0\r\n\rX"), -1, S("")},
	{S("0\r\n T: v\r\n\r\n"), -1, S("")},
	{S("0\r\n:v\r\n\r\n"), -1, S("")},
	{S("0\r\nT: a\rb\r\n\r\n"), -1, S("")},
	{S("0\r\nT: a\x01\r\n\r\n"), -1, S("")},
	{S("0\r\nT: a\0\r\n\r\n"), -1, S("")},
	/* §7.1.1: an extension begins with ';'; §7.1.2: a trailer line is
	 * a field line */
	{S("5 garbage\r\nhello\r\n0\r\n\r\n"), -1, S("")},
	{S("5 \r\nhello\r\n0\r\n\r\n"), -1, S("")},
	{S("5 x;a\r\nhello\r\n0\r\n\r\n"), -1, S("")},
	{S("0\r\nnot a field\r\n\r\n"), -1, S("")},
	{S("0\r\nT\r\n\r\n"), -1, S("")},
	{S("0\r\nT v: x\r\n\r\n"), -1, S("")},
};

static void
test_chunked(void)
{
	struct dec one, other;
	size_t i, k;
	char what[160];

	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		snprintf(what, sizeof what, "chunks[%zu]", i);
		ctx = what;
		decode(chunks[i].in, chunks[i].len, chunks[i].len, 1, &one);
		CHECK_INT(one.r, chunks[i].r);
		if (one.r == -1)
			CHECK(one.reason != NULL);
		if (chunks[i].r != -1)
			CHECK(one.len == chunks[i].dlen &&
			      memcmp(one.data, chunks[i].data, one.len) == 0);
		/* byte by byte, then split in two at every point */
		decode(chunks[i].in, chunks[i].len, 1, 1, &other);
		CHECK_INT(other.r, one.r);
		if (one.r != -1)
			CHECK(other.len == one.len &&
			      memcmp(other.data, one.data, one.len) == 0);
		for (k = 0; k <= chunks[i].len; k++) {
			decode(chunks[i].in, chunks[i].len, k, chunks[i].len, &other);
			if (!CHECK_INT(other.r, one.r))
				break;
			if (one.r != -1 &&
			    !CHECK(other.len == one.len &&
			           memcmp(other.data, one.data, one.len) == 0))
				break;
		}
	}
	ctx = NULL;
}

static void
test_chunked_misc(void)
{
	struct chunked c;
	char *p, buf[4 * MAX_CHUNK_LINE];
	size_t len, n;
	ssize_t r;

	/* consumed count and data in place; what follows stays put */
	memset(&c, 0, sizeof c);
	p = guarded(G_AUX, S("3\r\nabc\r\n0\r\n\r\nrest"));
	len = strlen("3\r\nabc\r\n0\r\n\r\nrest");
	r = http_chunked_decode(&c, p, &len);
	CHECK_INT(r, 13);
	CHECK_MEM(p, len, "abc");
	CHECK_MEM(p + r, 4, "rest");
	/* after the end, anything more is an error */
	len = 1;
	p = guarded(G_AUX, S("x"));
	CHECK_INT(http_chunked_decode(&c, p, &len), -1);

	/* the size line limit, extensions included */
	n = MAX_CHUNK_LINE - 3;
	buf[0] = '1';
	buf[1] = ';';
	memset(buf + 2, 'e', n - 2);
	memcpy(buf + n, "\r\nx\r\n0\r\n\r\n", 10);
	memset(&c, 0, sizeof c);
	p = guarded(G_AUX, buf, n + 10);
	len = n + 10;
	CHECK_INT(http_chunked_decode(&c, p, &len), n + 10);
	CHECK_MEM(p, len, "x");
	n = MAX_CHUNK_LINE - 1;
	memset(buf + 2, 'e', n - 2);
	memcpy(buf + n, "\r\nx\r\n0\r\n\r\n", 10);
	memset(&c, 0, sizeof c);
	p = guarded(G_AUX, buf, n + 10);
	len = n + 10;
	CHECK_INT(http_chunked_decode(&c, p, &len), -1);
	CHECK(c.reason != NULL);

	/* a trailer line has the same limit */
	memcpy(buf, "0\r\nT: ", 6);
	memset(buf + 6, 'v', 2 * MAX_CHUNK_LINE);
	memset(&c, 0, sizeof c);
	len = 6 + 2 * MAX_CHUNK_LINE;
	p = guarded(G_AUX, buf, len);
	CHECK_INT(http_chunked_decode(&c, p, &len), -1);

	/* trailer count */
	memset(&c, 0, sizeof c);
	p = guarded(G_AUX, S("0\r\n"));
	len = 3;
	CHECK_INT(http_chunked_decode(&c, p, &len), -2);
	for (n = 0; n < MAX_HEADERS; n++) {
		p = guarded(G_AUX, S("T: v\r\n"));
		len = 6;
		r = http_chunked_decode(&c, p, &len);
		if (!CHECK_INT(r, -2))
			break;
	}
	p = guarded(G_AUX, S("T: v\r\n"));
	len = 6;
	CHECK_INT(http_chunked_decode(&c, p, &len), -1);

	/* a chunk size near 2^64 wants data, and takes what comes */
	memset(&c, 0, sizeof c);
	p = guarded(G_AUX, S("fffffffffffffff0\r\n0123"));
	len = strlen("fffffffffffffff0\r\n0123");
	CHECK_INT(http_chunked_decode(&c, p, &len), -2);
	CHECK_MEM(p, len, "0123");
	CHECK(c.remaining == 0xfffffffffffffff0ULL - 4);
}

/* ------------------------------------------------------------------ */
/* Dates */

/* http_gmtime agrees with the C library over five centuries. */
static void
test_gmtime(void)
{
	long long t;
	struct tm a, b;

	for (t = -6000000000LL; t < 12000000000LL; t += 86400 * 7 + 3607) {
		time_t tt = (time_t)t;
		gmtime_r(&tt, &a);
		http_gmtime(tt, &b);
		CHECK(a.tm_year == b.tm_year && a.tm_mon == b.tm_mon &&
		      a.tm_mday == b.tm_mday && a.tm_wday == b.tm_wday &&
		      a.tm_hour == b.tm_hour && a.tm_min == b.tm_min &&
		      a.tm_sec == b.tm_sec);
	}
}

static void
test_dates(void)
{
	char buf[64];
	const time_t t = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	const time_t now = 1623233894; /* Wed, 09 Jun 2021 10:18:14 GMT */

	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 GMT"), now), t);
	CHECK_INT(http_parse_date(S("Sunday, 06-Nov-94 08:49:37 GMT"), now), t);
	CHECK_INT(http_parse_date(S("Sun Nov  6 08:49:37 1994"), now), t);
	CHECK_INT(http_parse_date(S("Thu, 01 Jan 1970 00:00:00 GMT"), now), 0);
	CHECK_INT(http_parse_date(S("Wed, 09 Jun 2021 10:18:14 GMT"), now),
	          1623233894);
	CHECK_INT(http_parse_date(S("Wednesday, 09-Jun-21 10:18:14 GMT"), now),
	          1623233894);
	CHECK_INT(http_parse_date(S("Wed Jun  9 10:18:14 2021"), now), 1623233894);
	CHECK_INT(http_parse_date(S("Wed Jun 19 10:18:14 2021"), now), 1624097894);
	CHECK_INT(http_parse_date(S("Fri, 31 Dec 9999 23:59:59 GMT"), now),
	          253402300799LL);

	/* RFC 9110 §5.6.7: an rfc850 year is at most 50 years ahead */
	CHECK_INT(http_parse_date(S("Wednesday, 01-Jan-70 00:00:00 GMT"), now),
	          3155760000LL);
	CHECK_INT(http_parse_date(S("Saturday, 01-Jan-72 00:00:00 GMT"), 0),
	          63072000);
	CHECK_INT(http_parse_date(S("Sunday, 06-Nov-94 08:49:37 GMT"),
	                          (time_t)4102444800LL), t + 3155760000LL);
	CHECK_INT(http_parse_date(S("Sunday, 06-Nov-x4 08:49:37 GMT"), now), -1);

	CHECK_INT(http_parse_date(S(""), now), -1);
	CHECK_INT(http_parse_date(S("garbage"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 UTC"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 GMTX"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 08:49:37"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Foo 1994 08:49:37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 00 Nov 1994 08:49:37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 32 Nov 1994 08:49:37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 24:49:37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 08:60:37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 08:49:61 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 08-49-37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 19x4 08:49:37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1969 08:49:37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 0\0 Nov 1994 08:49:37 GMT"), now), -1);
	CHECK_INT(http_parse_date(S("Sunday, 06-Nov-94 08:49:37 UTC"), now), -1);
	CHECK_INT(http_parse_date(S("Sun Nov  6 08:49:37 19944"), now), -1);
	CHECK_INT(http_parse_date(S("Sun Nov 6 08:49:37 1994"), now), -1);
	CHECK_INT(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 GMT and more "
	                            "text that is long"), now), -1);

	CHECK_INT(http_date(t, buf), 29);
	CHECK_MEM(buf, 29, "Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK_INT(http_date(0, buf), 29);
	CHECK_MEM(buf, 29, "Thu, 01 Jan 1970 00:00:00 GMT");
	CHECK_INT(http_parse_date(buf, 29, now), 0);
	CHECK_INT(http_date(1623233894, buf), 29);
	CHECK_INT(http_parse_date(buf, 29, now), 1623233894);
	CHECK_INT(http_date((time_t)253402300799LL, buf), 29);
	CHECK_MEM(buf, 29, "Fri, 31 Dec 9999 23:59:59 GMT");
	/* out of the four-digit range: still 29 bytes, never more */
	CHECK_INT(http_date((time_t)253402300800LL, buf), 29);
	CHECK_MEM(buf, 29, "Fri, 31 Dec 9999 23:59:59 GMT");
	CHECK_INT(http_date((time_t)1 << 62, buf), 29);
	CHECK_MEM(buf, 29, "Fri, 31 Dec 9999 23:59:59 GMT");
	CHECK_INT(http_date(-((time_t)1 << 62), buf), 29);
	CHECK_MEM(buf, 29, "Thu, 01 Jan 1970 00:00:00 GMT");
	CHECK_INT(http_date(-1, buf), 29);
	CHECK_MEM(buf, 29, "Wed, 31 Dec 1969 23:59:59 GMT");

	/* numbers as %llu and %llx print them (ETags, Content-Length) */
	CHECK_INT(http_num(buf, 0, 10), 1);
	CHECK_MEM(buf, 1, "0");
	CHECK_INT(http_num(buf, 0, 16), 1);
	CHECK_MEM(buf, 1, "0");
	CHECK_INT(http_num(buf, 1623233894, 16), 8);
	CHECK_MEM(buf, 8, "60c09566");
	CHECK_INT(http_num(buf, 18446744073709551615ULL, 10), 20);
	CHECK_MEM(buf, 20, "18446744073709551615");
	CHECK_INT(http_num(buf, 18446744073709551615ULL, 16), 16);
	CHECK_MEM(buf, 16, "ffffffffffffffff");
}

/* ------------------------------------------------------------------ */
/* The response serializer */

#define DATE_T 784111777
#define DATE_S "Sun, 06 Nov 1994 08:49:37 GMT"

static struct response resp;

/* Serialize into a buffer of exactly size bytes against a guard page. */
static int
serialize(int minor, size_t size, char **out)
{
	*out = guarded_space(G_OUT, size);
	return http_serialize(&resp, minor, DATE_T, *out, size);
}

static void
check_serialize(int minor, const char *want)
{
	size_t n = strlen(want), k;
	char *out;
	int r;

	r = serialize(minor, 4096, &out);
	CHECK_INT(r, n);
	if (r > 0)
		CHECK_MEM(out, (size_t)r, want);
	r = serialize(minor, n, &out);
	CHECK_INT(r, n);
	for (k = 0; k < n; k++)
		if (!CHECK_INT(serialize(minor, k, &out), -1))
			break;
}

static void
test_serialize(void)
{
	char *out;

	http_response_init(&resp, S_OK);
	resp.content_length = 5;
	check_serialize(1, "HTTP/1.1 200 OK\r\nDate: " DATE_S "\r\n"
	                   "Server: " SERVER_SOFTWARE "\r\n"
	                   "Content-Length: 5\r\n\r\n");
	check_serialize(0, "HTTP/1.1 200 OK\r\nDate: " DATE_S "\r\n"
	                   "Server: " SERVER_SOFTWARE "\r\n"
	                   "Content-Length: 5\r\nConnection: keep-alive\r\n\r\n");
	resp.close = 1;
	check_serialize(0, "HTTP/1.1 200 OK\r\nDate: " DATE_S "\r\n"
	                   "Server: " SERVER_SOFTWARE "\r\n"
	                   "Content-Length: 5\r\nConnection: close\r\n\r\n");
	check_serialize(1, "HTTP/1.1 200 OK\r\nDate: " DATE_S "\r\n"
	                   "Server: " SERVER_SOFTWARE "\r\n"
	                   "Content-Length: 5\r\nConnection: close\r\n\r\n");

	http_response_init(&resp, S_OK);
	resp.chunked = 1;
	resp.content_length = 99; /* chunked wins */
	CHECK_INT(http_add_header(&resp, "Content-Type", S("text/plain"), 0), 0);
	CHECK_INT(http_add_headerf(&resp, "X-N", "%d-%s", 42, "x"), 0);
	check_serialize(1, "HTTP/1.1 200 OK\r\nDate: " DATE_S "\r\n"
	                   "Server: " SERVER_SOFTWARE "\r\n"
	                   "Content-Type: text/plain\r\nX-N: 42-x\r\n"
	                   "Transfer-Encoding: chunked\r\n\r\n");

	http_response_init(&resp, S_NOT_FOUND);
	resp.content_length = 0;
	check_serialize(1, "HTTP/1.1 404 Not Found\r\nDate: " DATE_S "\r\n"
	                   "Server: " SERVER_SOFTWARE "\r\n"
	                   "Content-Length: 0\r\n\r\n");

	/* a script's own status line and Server header */
	http_response_init(&resp, 299);
	resp.reason = "Fine";
	resp.reason_len = 4;
	resp.has_server = 1;
	CHECK_INT(http_add_header(&resp, "Server", S("s/1"), 1), 0);
	check_serialize(1, "HTTP/1.1 299 Fine\r\nDate: " DATE_S "\r\n"
	                   "Server: s/1\r\n\r\n");
	http_response_init(&resp, 299);
	resp.content_length = 1234567890123LL;
	check_serialize(1, "HTTP/1.1 299 Unknown\r\nDate: " DATE_S "\r\n"
	                   "Server: " SERVER_SOFTWARE "\r\n"
	                   "Content-Length: 1234567890123\r\n\r\n");

	/* a clock far out of range still gives a 29-byte date */
	http_response_init(&resp, S_OK);
	out = guarded_space(G_OUT, 4096);
	CHECK_INT(http_serialize(&resp, 1, (time_t)1 << 62, out, 4096),
	          strlen("HTTP/1.1 200 OK\r\nDate: " DATE_S "\r\n"
	                 "Server: " SERVER_SOFTWARE "\r\n\r\n"));

	/* header storage limits */
	http_response_init(&resp, S_OK);
	while (resp.nheaders < MAX_RESP_HEADERS)
		if (!CHECK_INT(http_add_header(&resp, "X", S("v"), 0), 0))
			break;
	CHECK_INT(http_add_header(&resp, "X", S("v"), 0), -1);
	http_response_init(&resp, S_OK);
	CHECK_INT(resp.nheaders, 0);
	memset(big, 'v', sizeof resp.scratch);
	CHECK_INT(http_add_header(&resp, "X", big, sizeof resp.scratch, 1), -1);
	CHECK_INT(http_add_header(&resp, "X", big, sizeof resp.scratch - 1, 1), 0);
	CHECK_INT(http_add_headerf(&resp, "Y", "%s", "x"), -1);
	CHECK_INT(http_add_headerf(&resp, "Y", "%s", ""), 0);
	http_response_init(&resp, S_OK);
	CHECK_INT(http_add_headerf(&resp, "Y", "%*s", (int)sizeof resp.scratch,
	                           "x"), -1);
}

/* ------------------------------------------------------------------ */
/* Small helpers */

static void
test_misc(void)
{
	char body[512];
	int n;

	CHECK(strcmp(http_reason(200), "OK") == 0);
	CHECK(strcmp(http_reason(431), "Request Header Fields Too Large") == 0);
	CHECK(strcmp(http_reason(505), "HTTP Version Not Supported") == 0);
	CHECK(http_reason(299) == NULL);
	CHECK(http_reason(-1) == NULL);
	CHECK(http_reason(600) == NULL);
	CHECK(http_reason(100000) == NULL);
	CHECK(strcmp(http_reason(100), "Continue") == 0);
	CHECK(strcmp(http_reason(404), "Not Found") == 0);
	/* every code the server itself sends has its phrase */
	{
		static const int sent[] = {
			S_CONTINUE, S_OK, S_NO_CONTENT, S_PARTIAL_CONTENT,
			S_MOVED_PERMANENTLY, S_FOUND, S_NOT_MODIFIED,
			S_BAD_REQUEST, S_FORBIDDEN, S_NOT_FOUND,
			S_METHOD_NOT_ALLOWED, S_REQUEST_TIMEOUT,
			S_LENGTH_REQUIRED, S_PRECONDITION_FAILED,
			S_CONTENT_TOO_LARGE, S_URI_TOO_LONG,
			S_RANGE_NOT_SATISFIABLE, S_EXPECTATION_FAILED,
			S_HEADERS_TOO_LARGE, S_INTERNAL_SERVER_ERROR,
			S_NOT_IMPLEMENTED, S_BAD_GATEWAY,
			S_SERVICE_UNAVAILABLE, S_GATEWAY_TIMEOUT,
			S_VERSION_NOT_SUPPORTED,
		};
		for (size_t k = 0; k < sizeof sent / sizeof sent[0]; k++)
			CHECK(http_reason(sent[k]) != NULL);
	}
	/* key/value pairs: keys without case, values as written */
	CHECK(strcmp(http_pair("a\0one\0Bb\0two\0", "bB"), "two") == 0);
	CHECK(strcmp(http_pair("a\0one\0Bb\0two\0", "a"), "one") == 0);
	CHECK(http_pair("a\0one\0Bb\0two\0", "one") == NULL);
	CHECK(http_pair("a\0one\0", "") == NULL);
	CHECK(http_pair("", "a") == NULL);

	CHECK(http_list_has(S("close"), "close"));
	CHECK(http_list_has(S("a, Close ,b"), "close"));
	CHECK(http_list_has(S(",,\t close\t,"), "close"));
	CHECK(!http_list_has(S("closed"), "close"));
	CHECK(!http_list_has(S("clos"), "close"));
	CHECK(!http_list_has(S("a close"), "close"));
	CHECK(!http_list_has(S(""), "close"));
	CHECK(!http_list_has(S(" , ,"), "close"));

	n = http_error_body(404, body, sizeof body);
	CHECK(n > 0 && strstr(body, "404 Not Found") != NULL);
	CHECK_INT(http_error_body(404, body, 10), 0);
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{"get", test_get},
	{"methods", test_methods},
	{"post_content_length", test_post_content_length},
	{"chunked_request", test_chunked_request},
	{"pipelined", test_pipelined},
	{"absolute_form", test_absolute_form},
	{"options_star", test_options_star},
	{"connect", test_connect},
	{"query", test_query},
	{"leading_empty_lines", test_leading_empty_lines},
	{"bare_lf", test_bare_lf},
	{"header_values", test_header_values},
	{"hosts", test_hosts},
	{"versions", test_versions},
	{"keep_alive", test_keep_alive},
	{"expect", test_expect},
	{"reason_reset", test_reason_reset},
	{"rejections", test_rejections},
	{"limit_request_line", test_limit_request_line},
	{"limit_head", test_limit_head},
	{"limit_headers", test_limit_headers},
	{"incomplete", test_incomplete},
	{"normalize", test_normalize},
	{"percent_decode", test_percent_decode},
	{"chunked", test_chunked},
	{"chunked_misc", test_chunked_misc},
	{"dates", test_dates},
	{"gmtime", test_gmtime},
	{"serialize", test_serialize},
	{"misc", test_misc},
};

int
main(int argc, char **argv)
{
	size_t i;
	int j, run, tests_passed = 0, tests_failed = 0;

	pagesz = (size_t)sysconf(_SC_PAGESIZE);
	for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		/* optional arguments: names of the tests to run */
		run = argc < 2;
		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], tests[i].name) == 0)
				run = 1;
		if (run) {
			int before = nfailed;
			tests[i].fn();
			/* a test passes when every one of its checks does */
			if (nfailed == before)
				tests_passed++;
			else
				tests_failed++;
		}
	}
	printf("# %d checks passed, %d failed\n", npassed, nfailed);
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return nfailed ? 1 : 0;
}
