/*
 * path.c - libFuzzer target for http_normalize_path and
 * http_percent_decode.
 *
 * Invariants of a normalised path: it starts with '/', has no "." or ".."
 * segment and no "//", holds no NUL or control byte, is no longer than the
 * input, and normalising it again (with '%' written as %25 so that it is
 * not decoded twice) gives it back unchanged.  A path with no room in
 * out (-2) is at least as long as out.
 *
 * Build: clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -I.
 *        fuzz/path.c http.c -o fuzz/path
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static void
check_normal(const char *p, size_t n)
{
	size_t i, seg;

	ASSERT(n >= 1 && p[0] == '/' && p[n] == '\0');
	for (i = 0; i < n; i++)
		ASSERT((unsigned char)p[i] >= 0x20 && p[i] != 0x7f);
	/* each segment: not empty (but the last), not ".", not ".." */
	for (seg = 1; seg <= n; seg = i + 1) {
		for (i = seg; i < n && p[i] != '/'; i++)
			;
		if (i == n && i == seg)
			break; /* a trailing slash */
		ASSERT(i > seg);
		ASSERT(!(i - seg == 1 && p[seg] == '.'));
		ASSERT(!(i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[MAX_PATH], again[MAX_PATH], enc[3 * MAX_PATH];
	static char dec[65536], dec2[65536];
	const char *in = (const char *)data;
	size_t i, e = 0;
	int r, r2, d;

	r = http_normalize_path(in, size, out, sizeof out);
	ASSERT(r >= -2 && r < (int)sizeof out);
	/* no room: each byte of out came from at least one of in */
	ASSERT(r != -2 || size >= sizeof out);
	if (r >= 0) {
		ASSERT((size_t)r <= size);
		check_normal(out, (size_t)r);
		for (i = 0; i < (size_t)r; i++) {
			if (out[i] == '%') {
				memcpy(enc + e, "%25", 3);
				e += 3;
			} else {
				enc[e++] = out[i];
			}
		}
		r2 = http_normalize_path(enc, e, again, sizeof again);
		ASSERT(r2 == r && memcmp(again, out, (size_t)r + 1) == 0);
	}

	/* percent-decoding: out of place and in place agree */
	if (size <= sizeof dec) {
		d = http_percent_decode(in, size, dec);
		ASSERT(d >= -1 && d <= (int)size);
		memcpy(dec2, in, size);
		ASSERT(http_percent_decode(dec2, size, dec2) == d);
		if (d >= 0) {
			ASSERT(memcmp(dec, dec2, (size_t)d) == 0);
			/* a NUL comes only from the input, never from %00 */
			if (memchr(in, '\0', size) == NULL)
				ASSERT(memchr(dec, '\0', (size_t)d) == NULL);
		}
	}
	return 0;
}
