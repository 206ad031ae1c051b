/* big.cgi: writes N bytes of body in 64 KiB writes, for download tests.
 * N is the query string (a decimal number of bytes), else $BIG_BYTES,
 * else 1 GiB. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 65536

static long long
size_from(const char *s)
{
	char *end;
	long long n;

	if (s == NULL || *s == '\0')
		return -1;
	n = strtoll(s, &end, 10);
	return *end == '\0' && n >= 0 ? n : -1;
}

static int
put(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(void)
{
	static char buf[CHUNK];
	char head[128];
	long long n = size_from(getenv("QUERY_STRING"));
	int hl;

	if (n < 0)
		n = size_from(getenv("BIG_BYTES"));
	if (n < 0)
		n = 1LL << 30;
	memset(buf, 'x', sizeof buf);
	hl = snprintf(head, sizeof head,
	              "Content-Type: application/octet-stream\r\n"
	              "Content-Length: %lld\r\n\r\n", n);
	if (put(head, (size_t)hl) < 0)
		return 1;
	while (n > 0) {
		size_t k = n < CHUNK ? (size_t)n : CHUNK;
		if (put(buf, k) < 0)
			return 1;
		n -= (long long)k;
	}
	return 0;
}
