/* sink.cgi: reads CONTENT_LENGTH bytes of request body (or to the end of
 * input when there is none) and prints how many it read, for upload tests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	static char buf[65536];
	const char *cl = getenv("CONTENT_LENGTH");
	long long want = cl != NULL && *cl != '\0' ? atoll(cl) : -1, got = 0;
	char out[128];
	int n;

	while (want < 0 || got < want) {
		size_t k = sizeof buf;
		ssize_t r;
		if (want >= 0 && want - got < (long long)k)
			k = (size_t)(want - got);
		r = read(0, buf, k);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	n = snprintf(out, sizeof out, "Content-Type: text/plain\r\n\r\n%lld\n",
	             got);
	return write(1, out, (size_t)n) == n ? 0 : 1;
}
