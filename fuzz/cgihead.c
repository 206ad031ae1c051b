/*
 * cgihead.c - libFuzzer target for cgi_parse_head, the parser of a CGI
 * script's response header block (RFC 3875 §6.2, §6.3).
 *
 * Invariants: the result is -2, -1 or a block length in 1..len; on -1 a
 * reason is set.  On success the status is 0 or 100..599, there is a
 * Content-Type, a Location or a Status, every field name is a non-empty
 * token and every value lies within the block and holds no CR, LF or NUL,
 * there are at most MAX_CGI_HEADERS other fields, none of them one that
 * the parser keeps apart, and the Content-Length is -1 or a number.  The
 * block alone parses to the same result, and every shorter prefix of it
 * is incomplete (the relay parses its buffer again after each read), or
 * too large once it reaches MAX_CGI_HEAD.
 *
 * Build: clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -I.
 *        fuzz/cgihead.c cgi.c http.c conn.c file.c log.c -o fuzz/cgihead
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"

/* cgi.c and the modules it links against read the configuration. */
struct config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

/* Does p[0..n) lie within buf[0..len)? */
static int
within(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

static int
is_token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Text of the block: inside it, no CR, LF or NUL. */
static void
check_text(const char *v, size_t n, const char *buf, size_t len)
{
	size_t i;

	ASSERT(v != NULL && within(v, n, buf, len));
	for (i = 0; i < n; i++)
		ASSERT(v[i] != '\r' && v[i] != '\n' && v[i] != '\0');
}

/* A field value: text without leading or trailing whitespace. */
static void
check_value(const char *v, size_t n, const char *buf, size_t len)
{
	check_text(v, n, buf, len);
	if (n > 0)
		ASSERT(v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' &&
		       v[n - 1] != '\t');
}

static int
name_is(const struct header *f, const char *name)
{
	return strlen(name) == f->name_len &&
	       strncasecmp(f->name, name, f->name_len) == 0;
}

static void
check_head(const struct cgi_head *h, const char *buf, size_t len)
{
	size_t i, j;

	ASSERT(h->reason_bad == NULL);
	ASSERT(h->status == 0 || (h->status >= 100 && h->status <= 599));
	ASSERT(h->status != 0 || h->location != NULL || h->content_type != NULL);
	if (h->status == 0)
		ASSERT(h->reason == NULL && h->reason_len == 0);
	if (h->reason != NULL)
		check_text(h->reason, h->reason_len, buf, len);
	else
		ASSERT(h->reason_len == 0);
	if (h->location != NULL) {
		ASSERT(h->location_len > 0);
		check_value(h->location, h->location_len, buf, len);
	}
	if (h->content_type != NULL)
		check_value(h->content_type, h->content_type_len, buf, len);
	ASSERT(h->content_length >= -1);
	ASSERT(h->nfields <= MAX_CGI_HEADERS);
	for (i = 0; i < h->nfields; i++) {
		const struct header *f = &h->fields[i];
		ASSERT(f->name_len > 0 && within(f->name, f->name_len, buf, len));
		for (j = 0; j < f->name_len; j++)
			ASSERT(is_token_char((unsigned char)f->name[j]));
		/* the field ends at its colon */
		ASSERT(f->name + f->name_len < buf + len &&
		       f->name[f->name_len] == ':');
		ASSERT(!name_is(f, "Status") && !name_is(f, "Location") &&
		       !name_is(f, "Content-Type") &&
		       !name_is(f, "Content-Length"));
		check_value(f->value, f->value_len, buf, len);
	}
}

/* Two successful parses of the same bytes agree field by field. */
static void
same(const struct cgi_head *a, const struct cgi_head *b)
{
	size_t i;

	ASSERT(a->status == b->status && a->reason == b->reason &&
	       a->reason_len == b->reason_len);
	ASSERT(a->location == b->location && a->location_len == b->location_len);
	ASSERT(a->content_type == b->content_type &&
	       a->content_type_len == b->content_type_len);
	ASSERT(a->content_length == b->content_length);
	ASSERT(a->nfields == b->nfields);
	for (i = 0; i < a->nfields; i++)
		ASSERT(a->fields[i].name == b->fields[i].name &&
		       a->fields[i].name_len == b->fields[i].name_len &&
		       a->fields[i].value == b->fields[i].value &&
		       a->fields[i].value_len == b->fields[i].value_len);
}

/* A prefix of k bytes of an accepted block of r bytes. */
static void
check_prefix(const char *buf, size_t k, struct cgi_head *tmp)
{
	int r = cgi_parse_head(buf, k, tmp);

	if (k < MAX_CGI_HEAD)
		ASSERT(r == -2);
	else
		ASSERT(r == -1 && tmp->reason_bad != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cgi_head h, again;
	const char *buf = (const char *)data;
	size_t k;
	int r, r2;

	r = cgi_parse_head(buf, size, &h);
	ASSERT(r == -2 || r == -1 || (r >= 1 && (size_t)r <= size));
	if (r == -2) {
		ASSERT(size < MAX_CGI_HEAD);
		return 0;
	}
	if (r == -1) {
		ASSERT(h.reason_bad != NULL && h.reason_bad[0] != '\0');
		return 0;
	}
	/* the block ends with an empty line */
	ASSERT(buf[r - 1] == '\n');
	check_head(&h, buf, (size_t)r);

	/* The consumed prefix alone gives the same result. */
	r2 = cgi_parse_head(buf, (size_t)r, &again);
	ASSERT(r2 == r);
	same(&h, &again);

	/* Read in pieces, the block is incomplete until its last byte. */
	check_prefix(buf, (size_t)r - 1, &again);
	check_prefix(buf, (size_t)r / 2, &again);
	k = (size_t)(size > 0 ? data[0] : 0) % (size_t)r;
	check_prefix(buf, k, &again);
	return 0;
}
