/* upload: POST a file to a CGI program on 127.0.0.1, the way the upload
 * workload needs it measured.
 *
 *   upload PORT PATH FILE BODY_OUT SECONDS
 *
 * Sends "POST PATH HTTP/1.1" with the file's Content-Length (no Expect:
 * 100-continue, Connection: close), then the file itself with
 * sendfile(2), reads the response (while sending, as curl does) to the
 * end of the connection, writes its body (the chunked coding removed) to
 * BODY_OUT, and prints
 * "STATUS BYTES_SENT SECONDS" as curl's -w '%{http_code} %{size_upload}
 * %{time_total}' would; the time runs from before the connect to the
 * end of the response.  curl reads the file into its own buffer and
 * writes it to the socket, two copies of every byte on the client's
 * core, and on two cores that capped every server at about the same
 * rate; sendfile leaves the client almost nothing to do, so the servers'
 * own work decides.  Killed by SIGALRM after SECONDS (no output: the
 * transfer failed). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX 65536

static char resp[RESP_MAX + 1];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Remove the chunked coding from body[0..len) in place; its new length. */
static size_t
unchunk(char *body, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		char *end;
		unsigned long n = strtoul(body + in, &end, 16);
		char *crlf = strstr(end, "\r\n");

		if (crlf == NULL || n == 0 || (size_t)(crlf + 2 - body) + n > len)
			break;
		in = (size_t)(crlf + 2 - body);
		memmove(body + out, body + in, n);
		out += n;
		in += n + 2;
	}
	return out;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char head[512], *body;
	struct stat st;
	off_t sent = 0, size;
	size_t have = 0, blen;
	ssize_t n;
	double t0;
	FILE *out;
	int fd, s, status = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: upload PORT PATH FILE BODY_OUT SECONDS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)atoi(argv[5]));
	if ((fd = open(argv[3], O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
		perror(argv[3]);
		return 1;
	}
	size = st.st_size;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = snprintf(head, sizeof head,
	             "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n"
	             "Content-Type: application/octet-stream\r\n"
	             "Content-Length: %lld\r\nConnection: close\r\n\r\n",
	             argv[2], argv[1], (long long)st.st_size);
	t0 = now_s();
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    write(s, head, (size_t)n) != n) {
		perror("upload: connect");
		return 1;
	}
	/* Send and read at once, as curl does: a server may answer before
	 * it has read the whole body (413), or close with some of it unread,
	 * and its answer must not be lost behind the sending. */
	fcntl(s, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		if (sent < size)
			p.events |= POLLOUT;
		if (poll(&p, 1, -1) < 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(s, resp + have, RESP_MAX - have);
			if (n > 0 && (have += (size_t)n) < RESP_MAX)
				continue;
			if (n < 0 && errno == EAGAIN)
				continue;
			break; /* the end, an error, or no more room */
		}
		if ((p.revents & POLLOUT) &&
		    sendfile(s, fd, &sent, (size_t)(size - sent)) <= 0 &&
		    errno != EAGAIN)
			size = sent; /* the server stopped reading */
	}
	resp[have] = '\0';
	sscanf(resp, "HTTP/1.%*d %d", &status);
	body = strstr(resp, "\r\n\r\n");
	blen = body ? have - (size_t)(body + 4 - resp) : 0;
	if (body != NULL) {
		*body = '\0';
		body += 4;
		/* the field name matched without regard to case */
		for (char *p = resp; (p = strchr(p, '\n')) != NULL; p++) {
			char *eol = strchr(p + 1, '\r'), *c;
			if (strncasecmp(p + 1, "transfer-encoding:", 18) == 0 &&
			    (c = strstr(p + 19, "chunked")) != NULL &&
			    (eol == NULL || c < eol))
				blen = unchunk(body, blen);
		}
	}
	if ((out = fopen(argv[4], "w")) == NULL ||
	    (blen > 0 && fwrite(body, blen, 1, out) != 1) || fclose(out) != 0) {
		perror(argv[4]);
		return 1;
	}
	printf("%03d %lld %.6f\n", status, (long long)sent, now_s() - t0);
	return 0;
}
