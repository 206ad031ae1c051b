/*
 * request.c - libFuzzer target for http_parse_request.
 *
 * Invariants: the result is -2, -1 or a head length in 1..len; on -1 the
 * status is one the parser may answer and a reason is set; on success the
 * path is empty (CONNECT), "*" or starts with '/' and holds no dot-segment,
 * no empty segment and no NUL or control byte, there are at most
 * MAX_HEADERS fields and every pointer lies within the head; the head
 * alone parses to the same length and a head cut short is incomplete.
 *
 * Build: clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -I.
 *        fuzz/request.c http.c -o fuzz/request
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static int
status_ok(int status)
{
	switch (status) {
	case S_BAD_REQUEST:
	case S_URI_TOO_LONG:
	case S_EXPECTATION_FAILED:
	case S_HEADERS_TOO_LARGE:
	case S_NOT_IMPLEMENTED:
	case S_VERSION_NOT_SUPPORTED:
		return 1;
	}
	return 0;
}

/* Does p[0..n) lie within buf[0..len)? */
static int
within(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

static void
check_path(const struct request *req)
{
	const char *p = req->path;
	size_t i, n = req->path_len;

	ASSERT(n < sizeof req->path && strlen(p) == n);
	if (req->method == M_CONNECT) {
		ASSERT(n == 0);
		return;
	}
	if (n == 1 && p[0] == '*') {
		ASSERT(req->method == M_OPTIONS);
		return;
	}
	ASSERT(n >= 1 && p[0] == '/');
	ASSERT(strstr(p, "//") == NULL);
	ASSERT(strstr(p, "/./") == NULL && strstr(p, "/../") == NULL);
	ASSERT(!(n >= 2 && memcmp(p + n - 2, "/.", 2) == 0));
	ASSERT(!(n >= 3 && memcmp(p + n - 3, "/..", 3) == 0));
	for (i = 0; i < n; i++)
		ASSERT((unsigned char)p[i] >= 0x20 && p[i] != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct request req, again;
	const char *buf = (const char *)data;
	int status = 0, status2 = 0, r, r2;
	size_t i;

	r = http_parse_request(buf, size, &req, &status);
	ASSERT(r == -2 || r == -1 || (r >= 1 && (size_t)r <= size));
	if (r == -2)
		return 0;
	if (r == -1) {
		ASSERT(status_ok(status) && http_reason(status) != NULL);
		ASSERT(req.reason != NULL);
		return 0;
	}
	ASSERT(status == 0 && req.reason == NULL);
	ASSERT(r <= MAX_HEAD);

	check_path(&req);
	ASSERT(req.nheaders <= MAX_HEADERS);
	ASSERT(within(req.method_s, req.method_len, buf, (size_t)r));
	ASSERT(within(req.target, req.target_len, buf, (size_t)r));
	for (i = 0; i < req.nheaders; i++) {
		const struct header *h = &req.headers[i];
		ASSERT(h->name_len > 0);
		ASSERT(within(h->name, h->name_len, buf, (size_t)r));
		ASSERT(within(h->value, h->value_len, buf, (size_t)r));
	}
	if (req.query != NULL)
		ASSERT(within(req.query, req.query_len, req.target,
		              req.target_len));
	else
		ASSERT(req.query_len == 0);
	if (req.host_s != NULL)
		ASSERT(within(req.host_s, req.host_len, buf, (size_t)r));
	ASSERT(req.minor == 0 || req.minor == 1);
	ASSERT(req.minor == 0 || req.host != NULL);
	ASSERT(req.content_length >= -1);
	ASSERT(!(req.chunked && req.content_length >= 0));
	ASSERT(!(req.chunked && req.minor == 0));
	ASSERT(req.keep_alive == 0 || req.keep_alive == 1);

	/* The head alone is the same head; cut short, it is incomplete. */
	r2 = http_parse_request(buf, (size_t)r, &again, &status2);
	ASSERT(r2 == r && again.path_len == req.path_len &&
	       memcmp(again.path, req.path, req.path_len) == 0);
	ASSERT(http_parse_request(buf, (size_t)r - 1, &again, &status2) == -2);
	ASSERT(http_parse_request(buf, (size_t)r / 2, &again, &status2) == -2);
	return 0;
}
