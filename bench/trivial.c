/* trivial: the least a per-connection server can do, as a yardstick for
 * the cost of starting cgid.  It reads one request from fd 0 and writes a
 * fixed response of about the size of cgid's answer for index.html to
 * fd 1, then exits. */
#include <string.h>
#include <unistd.h>

#define HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" \
	"Content-Length: 1024\r\nConnection: close\r\n\r\n"

int
main(void)
{
	static char out[sizeof HEAD - 1 + 1024];
	char req[4096];
	size_t have = 0;
	ssize_t r;

	while (have < sizeof req - 1 &&
	       (r = read(0, req + have, sizeof req - 1 - have)) > 0) {
		have += (size_t)r;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	memcpy(out, HEAD, sizeof HEAD - 1);
	memset(out + sizeof HEAD - 1, 'x', 1024);
	return write(1, out, sizeof out) == (ssize_t)sizeof out ? 0 : 1;
}
