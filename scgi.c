/*
 * scgi.c - the SCGI front end: one request per connection, as in Neil
 * Schemenauer's protocol document.
 *
 * The front server sends a netstring of NUL-separated name/value pairs
 * (parsed by scgi_parse in wire.c), then CONTENT_LENGTH bytes of body;
 * the answer is the script's response as a CGI-style header block with
 * Status first, then the body, and the end of the response is the end of
 * the connection.  A request that breaks the protocol (bad netstring,
 * missing CONTENT_LENGTH or SCGI, a name given twice) gets no answer: the
 * connection is closed and the reason logged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "front.h"

struct scgi {
	struct conn *c;
	long long body_left;       /* body bytes not yet read */
};

static ssize_t
scgi_body_read(void *proto, char *buf, size_t n)
{
	struct scgi *sc = proto;

	return conn_read_body(sc->c, buf, n, &sc->body_left);
}

/* The response is the bytes themselves; its end is the connection's. */
static void
scgi_frame(void *proto, const char *p, size_t n, struct obuf *o)
{
	(void)proto;
	if (n == 0)
		return;
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static int
scgi_send(void *proto, const char *p, size_t n)
{
	struct scgi *sc = proto;

	return n > 0 ? conn_write(sc->c, p, n) : 0;
}

void
scgi_serve(int rfd, int wfd)
{
	static struct conn c;
	static struct params ps;
	struct scgi sc = {&c, 0};
	struct front fr = {0};
	long long cl, deadline = now_ms() + TIMEOUT_HEAD_MS;
	ssize_t got;
	int n;

	conn_init(&c, rfd, wfd);
	for (;;) {
		n = scgi_parse(c.buf, c.end, &ps, &cl);
		if (n != -2)
			break;
		if (c.end == sizeof c.buf) {
			log_error("SCGI: header block larger than %zu bytes",
			          sizeof c.buf);
			return;
		}
		got = now_ms() < deadline ? conn_fill(&c, (int)(deadline - now_ms()))
		                          : -1;
		if (got <= 0) {
			if (c.end > 0 || got < 0)
				log_error("SCGI: %s in the request header",
				          got == 0 ? "connection closed"
				          : errno == ETIMEDOUT ? "timed out"
				          : "read error");
			return;
		}
	}
	if (n < 0) {
		log_error("SCGI: %s", ps.reason);
		return;
	}
	c.start = (size_t)n;
	sc.body_left = cl;
	fr.proto = &sc;
	fr.in_fd = rfd;
	fr.out_fd = wfd;
	fr.body_read = scgi_body_read;
	fr.frame = scgi_frame;
	fr.send = scgi_send;
	fr.content_length = cl;
	/* As in HTTP mode, a half-close counts as hanging up: a socket
	 * cannot tell it from a close, and neither nginx nor lighttpd shuts
	 * down its side after an SCGI request (nginx closes the connection
	 * when its client goes away). */
	fr.watch_hangup = c.is_socket;
	front_request(&fr, &ps);
	if (c.is_socket)
		conn_linger(rfd, wfd);
}
