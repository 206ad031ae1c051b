/*
 * scgi.c - libFuzzer target for scgi_parse, the SCGI request header.
 *
 * Invariants checked, beyond not crashing:
 *  - the result is -1 (with a reason), -2, or a length within the input
 *    that ends with the netstring's ',';
 *  - a parsed header has CONTENT_LENGTH first with the value returned,
 *    SCGI=1, names that wire_name_ok accepts, each once but for HTTP_
 *    ones (a repeated request header), and names and
 *    values inside the netstring and NUL-terminated;
 *  - encoding the parsed pairs again gives the same bytes (the netstring
 *    is canonical), when all were kept (no more than MAX_PARAMS);
 *  - every shorter prefix of a header is incomplete (-2), and bytes
 *    after it (the body) do not change the result;
 *  - an invalid input stays invalid whatever follows it.
 *
 * Build: make fuzz/scgi (links wire.c alone).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static struct params ps, again;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	long long cl, cl2, v = 0;
	char *enc, *more;
	size_t i, j, n;
	int r, r2;

	r = scgi_parse(in, size, &ps, &cl);
	ASSERT(r == -1 || r == -2 || (r > 0 && (size_t)r <= size));
	ASSERT((r == -1) == (ps.reason != NULL));

	/* whatever follows an invalid or complete header changes nothing */
	more = malloc(size + 3);
	ASSERT(more != NULL);
	memcpy(more, in, size);
	memcpy(more + size, "7:,", 3);
	r2 = scgi_parse(more, size + 3, &again, &cl2);
	if (r == -1)
		ASSERT(r2 == -1);
	if (r > 0)
		ASSERT(r2 == r && cl2 == cl && again.n == ps.n);
	free(more);
	if (r <= 0)
		return 0;

	ASSERT(in[r - 1] == ',');
	ASSERT(ps.n >= 2 && ps.n <= MAX_PARAMS && (!ps.over || ps.n == MAX_PARAMS));
	ASSERT(ps.p[0].name_len == 14 &&
	       memcmp(ps.p[0].name, "CONTENT_LENGTH", 14) == 0);
	for (i = 0; i < ps.p[0].value_len; i++)
		v = v * 10 + (ps.p[0].value[i] - '0');
	ASSERT(cl == v && cl >= 0);
	ASSERT(params_get(&ps, "SCGI") != NULL);
	for (i = 0; i < ps.n; i++) {
		const struct param *p = &ps.p[i];
		ASSERT(p->name > in && p->value + p->value_len < in + r - 1);
		ASSERT(p->name[p->name_len] == '\0' && p->value[p->value_len] == '\0');
		ASSERT(wire_name_ok(p->name, p->name_len));
		for (j = 0; j < i; j++)
			ASSERT(ps.p[j].name_len != p->name_len ||
			       memcmp(ps.p[j].name, p->name, p->name_len) != 0 ||
			       (p->name_len >= 5 && memcmp(p->name, "HTTP_", 5) == 0));
	}

	/* shorter prefixes are incomplete */
	ASSERT(scgi_parse(in, (size_t)r - 1, &again, &cl2) == -2);
	ASSERT(scgi_parse(in, (size_t)r / 2, &again, &cl2) == -2);

	/* the same bytes from the pairs, when all were kept */
	if (ps.over)
		return 0;
	enc = malloc((size_t)r + 1);
	ASSERT(enc != NULL);
	n = 0;
	for (i = 0; i < ps.n; i++) {
		memcpy(enc + n, ps.p[i].name, ps.p[i].name_len + 1);
		n += ps.p[i].name_len + 1;
		memcpy(enc + n, ps.p[i].value, ps.p[i].value_len + 1);
		n += ps.p[i].value_len + 1;
	}
	{
		char len[16];
		int k = snprintf(len, sizeof len, "%zu:", n);
		ASSERT(k > 0 && (size_t)k + n + 1 == (size_t)r);
		ASSERT(memcmp(in, len, (size_t)k) == 0);
		ASSERT(memcmp(in + k, enc, n) == 0);
	}
	free(enc);
	return 0;
}
