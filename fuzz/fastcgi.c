/*
 * fastcgi.c - libFuzzer target for the FastCGI record and name-value
 * pair parsers (fcgi_parse_record, fcgi_parse_pair, fcgi_parse_params).
 *
 * The input is read as a stream of records, as fastcgi.c reads it.
 * Invariants checked, beyond not crashing:
 *  - a record's length is its header, content and padding, within the
 *    input; its header built again with fcgi_put_header is the same but
 *    for the reserved byte; any shorter prefix is incomplete (-2), and
 *    only a version other than 1 is invalid;
 *  - the content of each record, and the whole input, parsed as a
 *    FCGI_PARAMS stream: on success every pair lies inside it, names pass
 *    wire_name_ok and appear once (HTTP_ ones may repeat: a request
 *    header the client repeated), and encoding the pairs again with
 *    fcgi_put_pair and parsing that gives the same pairs;
 *  - a single pair: its length is within the input and every shorter
 *    prefix is incomplete.
 *
 * Build: make fuzz/fastcgi (links wire.c alone).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static struct params ps, again;

static void
check_params(const char *in, size_t len)
{
	size_t i, j, n = 0, size = 2 * len + 8 * MAX_PARAMS + 8;
	char *enc;

	if (fcgi_parse_params(in, len, &ps) < 0) {
		ASSERT(ps.reason != NULL);
		return;
	}
	ASSERT(ps.n <= MAX_PARAMS && (!ps.over || ps.n == MAX_PARAMS) &&
	       ps.reason == NULL);
	enc = malloc(size);
	ASSERT(enc != NULL);
	for (i = 0; i < ps.n; i++) {
		const struct param *p = &ps.p[i];
		ASSERT(p->name >= in && p->value + p->value_len <= in + len);
		ASSERT(p->name + p->name_len == p->value);
		ASSERT(wire_name_ok(p->name, p->name_len));
		for (j = 0; j < i; j++)
			ASSERT(ps.p[j].name_len != p->name_len ||
			       memcmp(ps.p[j].name, p->name, p->name_len) != 0 ||
			       (p->name_len >= 5 && memcmp(p->name, "HTTP_", 5) == 0));
		j = fcgi_put_pair(enc + n, size - n, p->name, p->name_len,
		                  p->value, p->value_len);
		ASSERT(j > 0);
		n += j;
	}
	ASSERT(n <= len); /* a canonical encoding is never longer */
	ASSERT(fcgi_parse_params(enc, n, &again) == 0 && again.n == ps.n);
	for (i = 0; i < ps.n; i++)
		ASSERT(again.p[i].name_len == ps.p[i].name_len &&
		       again.p[i].value_len == ps.p[i].value_len &&
		       memcmp(again.p[i].name, ps.p[i].name, ps.p[i].name_len) == 0 &&
		       memcmp(again.p[i].value, ps.p[i].value, ps.p[i].value_len) == 0);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct fcgi_record r;
	struct param p;
	char hdr[FCGI_HEADER_LEN];
	size_t off = 0;
	int k;

	/* one pair at the start */
	k = fcgi_parse_pair(in, size, &p);
	ASSERT(k == -1 || k == -2 || (k > 0 && (size_t)k <= size));
	if (k > 0) {
		ASSERT(p.value + p.value_len == in + k);
		ASSERT(fcgi_parse_pair(in, (size_t)k - 1, &p) == -2);
	}

	/* the whole input as one FCGI_PARAMS stream */
	check_params(in, size);

	/* the input as records */
	while (off < size) {
		k = fcgi_parse_record(in + off, size - off, &r);
		ASSERT(k == -1 || k == -2 || k >= FCGI_HEADER_LEN);
		if (k == -1) {
			ASSERT(data[off] != FCGI_VERSION_1);
			break;
		}
		if (k == -2) {
			ASSERT(size - off < FCGI_HEADER_LEN ||
			       size - off < FCGI_HEADER_LEN + r.content_len +
			                    r.padding_len);
			break;
		}
		ASSERT((size_t)k == FCGI_HEADER_LEN + r.content_len + r.padding_len);
		ASSERT((size_t)k <= size - off && (size_t)k <= FCGI_MAX_RECORD);
		ASSERT(r.content == in + off + FCGI_HEADER_LEN);
		ASSERT(r.type >= 0 && r.type <= 255 && r.id <= 0xffff);
		fcgi_put_header(hdr, r.type, r.id, r.content_len, r.padding_len);
		ASSERT(memcmp(hdr, in + off, FCGI_HEADER_LEN - 1) == 0);
		ASSERT(fcgi_parse_record(in + off, (size_t)k - 1, &r) == -2);
		fcgi_parse_record(in + off, (size_t)k, &r);
		if (r.type == FCGI_PARAMS || r.type == FCGI_GET_VALUES)
			check_params(r.content, r.content_len);
		off += (size_t)k;
	}
	return 0;
}
