/*
 * wire.c - pure parsers and builders for the SCGI request header and the
 * FastCGI 1.0 record and name-value pair (see wire.h).
 *
 * Strictness is the point: a front server that speaks the protocol sends
 * nothing these functions refuse, so whatever they refuse is a broken or
 * hostile peer, and the connection is closed (scgi.c, fastcgi.c).
 */
#include <string.h>

#include "wire.h"

int
wire_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f ||
		    name[i] == '=')
			return 0;
	return 1;
}

const struct param *
params_find(const struct params *ps, const char *name, size_t nl)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (ps->p[i].name_len == nl && memcmp(ps->p[i].name, name, nl) == 0)
			return &ps->p[i];
	return NULL;
}

const struct param *
params_get(const struct params *ps, const char *name)
{
	return params_find(ps, name, strlen(name));
}

static int
is_name(const struct param *p, const char *name)
{
	return p->name_len == strlen(name) && memcmp(p->name, name, p->name_len) == 0;
}

static int
fail(struct params *ps, const char *why)
{
	ps->reason = why;
	return -1;
}

/* Add p to ps unless the name is there already; a request header's
 * HTTP_ name may come again (nginx sends a field that the client repeated
 * once per line, and the values are joined as in HTTP mode).  Past
 * MAX_PARAMS a parameter is not kept, and ps->over tells: the block is
 * well formed, the request too large (431, as in HTTP mode). */
static int
params_add(struct params *ps, const struct param *p)
{
	if ((p->name_len < 5 || memcmp(p->name, "HTTP_", 5) != 0) &&
	    params_find(ps, p->name, p->name_len) != NULL)
		return fail(ps, "parameter name given twice");
	if (ps->n == MAX_PARAMS)
		ps->over = 1;
	else
		ps->p[ps->n++] = *p;
	return 0;
}

/*
 * SCGI, "Request format": netstring = length ":" headers ",", where the
 * length has no leading zeros (the netstring rule: one encoding for each
 * string) and headers = 1*(name NUL value NUL).
 */
int
scgi_parse(const char *buf, size_t len, struct params *ps,
           long long *content_length)
{
	size_t i = 0, n = 0, start, end, s;
	const struct param *cl, *scgi;
	struct param p;
	long long v = 0;

	ps->n = 0;
	ps->over = 0;
	ps->reason = NULL;
	*content_length = -1;
	for (;;) {
		if (i == len)
			return -2;
		if (buf[i] == ':')
			break;
		if (buf[i] < '0' || buf[i] > '9')
			return fail(ps, "netstring length is not a number");
		if (i > 0 && n == 0)
			return fail(ps, "netstring length with a leading zero");
		n = n * 10 + (size_t)(buf[i] - '0');
		if (n > MAX_PARAMS_BYTES)
			return fail(ps, "SCGI header block too large");
		i++;
	}
	if (i == 0)
		return fail(ps, "netstring without a length");
	start = i + 1;
	end = start + n;
	if (len < end + 1)
		return -2;
	if (buf[end] != ',')
		return fail(ps, "netstring not ended by ','");
	if (n == 0 || buf[end - 1] != '\0')
		return fail(ps, "SCGI header block not ended by NUL");

	for (s = start; s < end;) {
		const char *nul = memchr(buf + s, '\0', end - s);
		p.name = buf + s;
		p.name_len = (size_t)(nul - p.name);
		s += p.name_len + 1;
		if (s == end)
			return fail(ps, "SCGI header name without a value");
		nul = memchr(buf + s, '\0', end - s);
		p.value = buf + s;
		p.value_len = (size_t)(nul - p.value);
		s += p.value_len + 1;
		if (!wire_name_ok(p.name, p.name_len))
			return fail(ps, "invalid SCGI header name");
		if (params_add(ps, &p) < 0)
			return -1;
	}

	/* "The first request header must have the name CONTENT_LENGTH" */
	cl = &ps->p[0];
	if (!is_name(cl, "CONTENT_LENGTH"))
		return fail(ps, "first SCGI header is not CONTENT_LENGTH");
	if (cl->value_len == 0 || cl->value_len > 18)
		return fail(ps, "invalid CONTENT_LENGTH");
	for (i = 0; i < cl->value_len; i++) {
		if (cl->value[i] < '0' || cl->value[i] > '9')
			return fail(ps, "invalid CONTENT_LENGTH");
		v = v * 10 + (cl->value[i] - '0');
	}
	/* "... a header with the name SCGI and a value of 1" */
	scgi = params_get(ps, "SCGI");
	if (scgi == NULL || scgi->value_len != 1 || scgi->value[0] != '1')
		return fail(ps, "no SCGI header with the value 1");
	*content_length = v;
	return (int)(end + 1);
}

/* FastCGI 1.0 §3.3: version, type, requestId (2), contentLength (2),
 * paddingLength, reserved. */
int
fcgi_parse_record(const char *buf, size_t len, struct fcgi_record *r)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t total;

	if (len >= 1 && b[0] != FCGI_VERSION_1)
		return -1;
	if (len < FCGI_HEADER_LEN)
		return -2;
	r->type = b[1];
	r->id = (unsigned)b[2] << 8 | b[3];
	r->content_len = (size_t)b[4] << 8 | b[5];
	r->padding_len = b[6];
	r->content = buf + FCGI_HEADER_LEN;
	total = FCGI_HEADER_LEN + r->content_len + r->padding_len;
	if (len < total)
		return -2;
	return (int)total;
}

/* One length of a name-value pair: 1 byte, or 4 with the high bit set. */
static int
pair_length(const unsigned char *b, size_t len, size_t *out)
{
	if (len < 1)
		return -2;
	if (!(b[0] & 0x80)) {
		*out = b[0];
		return 1;
	}
	if (len < 4)
		return -2;
	*out = (size_t)(b[0] & 0x7f) << 24 | (size_t)b[1] << 16 |
	       (size_t)b[2] << 8 | b[3];
	return 4;
}

/* FastCGI 1.0 §3.4: FCGI_NameValuePair11 .. FCGI_NameValuePair44. */
int
fcgi_parse_pair(const char *buf, size_t len, struct param *p)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t nl, vl, off;
	int k;

	if ((k = pair_length(b, len, &nl)) < 0)
		return k;
	off = (size_t)k;
	if ((k = pair_length(b + off, len - off, &vl)) < 0)
		return k;
	off += (size_t)k;
	if (nl == 0 || nl > MAX_PARAMS_BYTES || vl > MAX_PARAMS_BYTES)
		return -1;
	if (len - off < nl)
		return -2;
	if (!wire_name_ok(buf + off, nl))
		return -1;
	if (len - off - nl < vl)
		return -2;
	p->name = buf + off;
	p->name_len = nl;
	p->value = buf + off + nl;
	p->value_len = vl;
	return (int)(off + nl + vl);
}

int
fcgi_parse_params(const char *buf, size_t len, struct params *ps)
{
	struct param p;
	size_t off = 0;
	int k;

	ps->n = 0;
	ps->over = 0;
	ps->reason = NULL;
	if (len > MAX_PARAMS_BYTES)
		return fail(ps, "FCGI_PARAMS stream too large");
	while (off < len) {
		k = fcgi_parse_pair(buf + off, len - off, &p);
		if (k == -2)
			return fail(ps, "FCGI_PARAMS stream ends inside a pair");
		if (k < 0)
			return fail(ps, "invalid name-value pair");
		if (params_add(ps, &p) < 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

void
fcgi_put_header(char *out, int type, unsigned id, size_t content_len,
                size_t padding_len)
{
	unsigned char *b = (unsigned char *)out;

	b[0] = FCGI_VERSION_1;
	b[1] = (unsigned char)type;
	b[2] = (unsigned char)(id >> 8);
	b[3] = (unsigned char)id;
	b[4] = (unsigned char)(content_len >> 8);
	b[5] = (unsigned char)content_len;
	b[6] = (unsigned char)padding_len;
	b[7] = 0;
}

static size_t
put_length(unsigned char *b, size_t n)
{
	if (n < 128) {
		b[0] = (unsigned char)n;
		return 1;
	}
	b[0] = (unsigned char)(n >> 24 | 0x80);
	b[1] = (unsigned char)(n >> 16);
	b[2] = (unsigned char)(n >> 8);
	b[3] = (unsigned char)n;
	return 4;
}

size_t
fcgi_put_pair(char *out, size_t size, const char *name, size_t nl,
              const char *value, size_t vl)
{
	unsigned char len[8];
	size_t k;

	if (nl > 0x7fffffff || vl > 0x7fffffff)
		return 0;
	k = put_length(len, nl);
	k += put_length(len + k, vl);
	if (size < k + nl + vl)
		return 0;
	memcpy(out, len, k);
	memcpy(out + k, name, nl);
	memcpy(out + k + nl, value, vl);
	return k + nl + vl;
}

/* §5.5: FCGI_EndRequestBody = appStatus (4), protocolStatus, reserved. */
void
fcgi_put_end_request(char *out, unsigned id, unsigned app_status,
                     int protocol_status)
{
	unsigned char *b = (unsigned char *)out + FCGI_HEADER_LEN;

	fcgi_put_header(out, FCGI_END_REQUEST, id, 8, 0);
	b[0] = (unsigned char)(app_status >> 24);
	b[1] = (unsigned char)(app_status >> 16);
	b[2] = (unsigned char)(app_status >> 8);
	b[3] = (unsigned char)app_status;
	b[4] = (unsigned char)protocol_status;
	b[5] = b[6] = b[7] = 0;
}

size_t
fcgi_padding(size_t n)
{
	return (8 - (n & 7)) & 7;
}
