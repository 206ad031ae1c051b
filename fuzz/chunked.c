/*
 * chunked.c - libFuzzer target for http_chunked_decode.
 *
 * The first input byte picks a split point; the rest is decoded in one
 * call, in two calls split at that point, and one byte per call.  All three
 * must agree on the outcome, the bytes consumed and the data; the data is
 * never longer than the input, and bytes after the end of the message are
 * left in place.
 *
 * Build: clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -I.
 *        fuzz/chunked.c http.c -o fuzz/chunked
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

struct result {
	ssize_t r;       /* -1, -2, or input bytes consumed */
	char *data;
	size_t len;
	const char *reason;
};

/* Decode in[0..n) in pieces: first `first` bytes, then `step` at a time. */
static void
decode(const char *in, size_t n, size_t first, size_t step, struct result *res)
{
	struct chunked c;
	size_t off = 0, piece = first, len;
	ssize_t r = -2;
	char *p;

	memset(&c, 0, sizeof c);
	res->data = malloc(n + 1);
	res->len = 0;
	ASSERT(res->data != NULL);
	while (off < n) {
		if (piece > n - off)
			piece = n - off;
		p = malloc(piece + 1);
		ASSERT(p != NULL);
		memcpy(p, in + off, piece);
		len = piece;
		r = http_chunked_decode(&c, p, &len);
		ASSERT(r == -1 || r == -2 || (r >= 1 && (size_t)r <= piece));
		ASSERT(len <= piece && res->len + len <= n);
		memcpy(res->data + res->len, p, len);
		res->len += len;
		if (r >= 0) {
			/* what follows the message is untouched */
			ASSERT(memcmp(p + r, in + off + (size_t)r,
			              piece - (size_t)r) == 0);
			ASSERT(res->len <= off + (size_t)r);
			r += (ssize_t)off;
		}
		free(p);
		if (r != -2)
			break;
		off += piece;
		piece = step;
	}
	res->r = r;
	res->reason = c.reason;
	ASSERT((r == -1) == (c.reason != NULL));
}

static void
same(const struct result *a, const struct result *b)
{
	ASSERT(a->r == b->r);
	if (a->r == -1) {
		ASSERT(strcmp(a->reason, b->reason) == 0);
		return;
	}
	ASSERT(a->len == b->len && memcmp(a->data, b->data, a->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result one, two, bytes;
	const char *in;
	size_t n, k;

	if (size == 0)
		return 0;
	in = (const char *)data + 1;
	n = size - 1;
	k = n ? data[0] % (n + 1) : 0;

	decode(in, n, n, n, &one);
	ASSERT(one.len <= n);
	decode(in, n, k, n, &two);
	same(&one, &two);
	decode(in, n, 1, 1, &bytes);
	same(&one, &bytes);
	free(one.data);
	free(two.data);
	free(bytes.data);
	return 0;
}
