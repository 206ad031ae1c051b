/*
 * conn.c - reading and writing one client connection with timeouts.
 *
 * The client descriptors are non-blocking; every wait goes through poll
 * with the timeout of the phase, so a client that stops sending or stops
 * reading can never hold a process forever.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

static void
addr_string(const struct sockaddr_storage *ss, char *addr, size_t alen,
            char *port, size_t plen)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, addr, (socklen_t)alen);
		snprintf(port, plen, "%u", ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		/* an IPv4 client on a dual-stack socket is reported as IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], addr,
			          (socklen_t)alen);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, addr, (socklen_t)alen);
		snprintf(port, plen, "%u", ntohs(in6->sin6_port));
	}
}

static void
copy_env(const char *name, char *dst, size_t size)
{
	const char *v = getenv(name);

	if (v != NULL && strlen(v) < size)
		memcpy(dst, v, strlen(v) + 1);
}

/* The state of a connection with nothing read yet. */
static void
conn_reset(struct conn *c, int rfd, int wfd, int nrequests)
{
	c->rfd = rfd;
	c->wfd = wfd;
	c->start = c->end = c->floor = 0;
	c->nrequests = nrequests;
	c->bytes_out = 0;
	c->nowait = 0;
}

void
conn_resume(struct conn *c, int fd, const struct endpoints *ep, int nrequests)
{
	conn_reset(c, fd, fd, nrequests);
	c->is_socket = 1;
	c->ep = *ep;
}

void
conn_init(struct conn *c, int rfd, int wfd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct stat st;
	/* UCSPI (tcpserver): the addresses come in TCP* variables.  Only
	 * there: a listener's own environment says nothing of a client. */
	int ucspi = rfd == 0 && getenv("PROTO") != NULL;

	conn_reset(c, rfd, wfd, 0);
	strcpy(c->ep.remote_addr, "0.0.0.0");
	strcpy(c->ep.remote_port, "0");
	strcpy(c->ep.local_addr, "0.0.0.0");
	strcpy(c->ep.local_port, "0");
	c->is_socket = fstat(wfd, &st) == 0 && S_ISSOCK(st.st_mode);

	len = sizeof ss;
	if (getpeername(rfd, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
		addr_string(&ss, c->ep.remote_addr, sizeof c->ep.remote_addr,
		            c->ep.remote_port, sizeof c->ep.remote_port);
	else if (ucspi)
		copy_env("TCPREMOTEIP", c->ep.remote_addr, sizeof c->ep.remote_addr),
		copy_env("TCPREMOTEPORT", c->ep.remote_port, sizeof c->ep.remote_port);
	len = sizeof ss;
	if (getsockname(rfd, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
		addr_string(&ss, c->ep.local_addr, sizeof c->ep.local_addr,
		            c->ep.local_port, sizeof c->ep.local_port);
	else if (ucspi)
		copy_env("TCPLOCALIP", c->ep.local_addr, sizeof c->ep.local_addr),
		copy_env("TCPLOCALPORT", c->ep.local_port, sizeof c->ep.local_port);

	/* a socket's other status flags mean nothing: set O_NONBLOCK alone */
	fcntl(wfd, F_SETFL, (c->is_socket ? 0 : fcntl(wfd, F_GETFL)) | O_NONBLOCK);
	if (rfd != wfd) {
		/* inetd's fds 0 and 1 share one open file: set already */
		int fl = fcntl(rfd, F_GETFL);

		if (!(fl & O_NONBLOCK))
			fcntl(rfd, F_SETFL, fl | O_NONBLOCK);
	}
}

void
conn_linger(int rfd, int wfd)
{
	char sink[4096];
	long long until = now_us() + 1000000;

	if (shutdown(wfd, SHUT_WR) < 0)
		return;
	while (now_us() < until &&
	       wait_fd(rfd, POLLIN, (int)((until - now_us()) / 1000)) > 0 &&
	       read(rfd, sink, sizeof sink) > 0)
		;
}

/*
 * RFC 9112 §9.6: closing with unread input makes TCP reset the
 * connection, which can destroy a response the client has not read yet.
 * A client that sent "close" sends no further request, so after a
 * request without a body, with no more input buffered or arrived, a
 * plain close is safe and the connection's process ends at once rather
 * than waiting for the client to close its side.
 */
int
conn_must_linger(struct conn *c)
{
	char more;

	return !c->quiet || c->end > c->start ||
	       recv(c->rfd, &more, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * A process started for one connection reads the clock a few times in
 * its life, and a system call then costs less than the vDSO's first use
 * (two pages faulted in, and with musl a lookup of its symbols); the
 * listener and its children, which have those pages, take the vDSO.
 * The flag lives in cfg, whose page such a process has written anyway:
 * a variable of its own cost a page fault of its own.
 */

static void
clock_read(clockid_t id, struct timespec *ts)
{
	if (cfg.one_connection)
		syscall(SYS_clock_gettime, id, ts);
	else
		clock_gettime(id, ts);
}

long long
now_us(void)
{
	struct timespec ts;

	clock_read(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

time_t
now_s(void)
{
	struct timespec ts;

	clock_read(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

long long
now_ms(void)
{
	return now_us() / 1000;
}

int conn_stop_fd = -1;

/* Wait for events on fd, or for input on other (-1: none, poll skips
 * it): 1 when fd is ready, 0 when not (timeout, or other), -1 on an
 * error. */
static int
wait_either(int fd, short events, int other, int timeout_ms)
{
	struct pollfd p[2] = {{.fd = fd, .events = events},
	                      {.fd = other, .events = POLLIN}};
	int n;

	while ((n = poll(p, 2, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n == 0)
		errno = ETIMEDOUT;
	return n < 0 ? -1 : p[0].revents != 0;
}

/*
 * Waiting to write, what counts is that the client takes bytes: POLLOUT
 * comes only once half of the socket's queue has left, which can take
 * longer than the timeout for a client that reads slowly through a large
 * queue.  So every second the queue's fill (SIOCOUTQ) is read, and any
 * bytes that left it start the timeout again.
 */
int
wait_fd(int fd, short events, int timeout_ms)
{
	long long until = now_ms() + timeout_ms, left;
	int n, queued, last = -1;

	if (!(events & POLLOUT))
		return wait_either(fd, events, -1, timeout_ms);
	for (;;) {
		left = until - now_ms();
		n = wait_either(fd, events, -1, left <= 0 ? 0 : left < 1000
		                                                 ? (int)left : 1000);
		if (n != 0 || left <= 0)
			return n;
		if (ioctl(fd, SIOCOUTQ, &queued) == 0) {
			if (last >= 0 && queued < last)
				until = now_ms() + timeout_ms;
			last = queued;
		}
	}
}

int
wait_idle(int fd, int timeout_ms)
{
	return wait_either(fd, POLLIN, conn_stop_fd, timeout_ms) > 0;
}

ssize_t
conn_fill(struct conn *c, int timeout_ms)
{
	ssize_t n;

	if (c->end == sizeof c->buf)
		conn_compact(c);
	for (;;) {
		n = read(c->rfd, c->buf + c->end, sizeof c->buf - c->end);
		if (n >= 0) {
			c->end += (size_t)n;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || wait_fd(c->rfd, POLLIN, timeout_ms) <= 0)
			return -1;
	}
}

void
conn_compact(struct conn *c)
{
	if (c->start == c->floor)
		return;
	memmove(c->buf + c->floor, c->buf + c->start, c->end - c->start);
	c->end -= c->start - c->floor;
	c->start = c->floor;
}

ssize_t
conn_read_body(struct conn *c, char *buf, size_t n, long long *left)
{
	ssize_t r;

	if (*left == 0)
		return 0;
	if ((long long)n > *left)
		n = (size_t)*left;
	if (c->end > c->start) {
		/* what came with the head first */
		if (n > c->end - c->start)
			n = c->end - c->start;
		memcpy(buf, c->buf + c->start, n);
		c->start += n;
		*left -= (long long)n;
		return (ssize_t)n;
	}
	r = read(c->rfd, buf, n);
	if (r > 0) {
		*left -= r;
		return r;
	}
	if (r == 0)
		return -5;
	return errno == EAGAIN || errno == EINTR ? -2 : -1;
}

#ifndef CGID_NO_SPLICE
/* Splice results: bytes moved, or one of these. */
static ssize_t
splice_result(ssize_t r)
{
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EINTR)
		return -2;
	/* a descriptor that splice does not handle: copy instead */
	return errno == EINVAL || errno == ENOSYS ? -3 : -1;
}

ssize_t
conn_splice_body(struct conn *c, int pipe_fd, long long *left)
{
	size_t n = *left < SPLICE_MAX ? (size_t)*left : SPLICE_MAX;
	ssize_t r;

	if (*left == 0)
		return 0;
	if (c->end > c->start) {
		/* what came with the head goes first, by plain write */
		if (n > c->end - c->start)
			n = c->end - c->start;
		r = write(pipe_fd, c->buf + c->start, n);
		if (r > 0)
			c->start += (size_t)r;
		else if (r < 0 && errno == EAGAIN)
			return -4; /* the pipe is full; the client need not send */
	} else {
		r = splice(c->rfd, NULL, pipe_fd, NULL, n,
		           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (r == 0)
			return -5;
	}
	if (r > 0)
		*left -= r;
	return splice_result(r);
}
#endif

void
spool_start(struct spool *sp)
{
	sp->fd = -1;
	sp->start = now_ms();
	sp->total = 0;
}

int
spool_wait(const struct spool *sp)
{
	long long left = sp->start + TIMEOUT_BODY_MS +
	                 sp->total * 1000 / BODY_MIN_RATE - now_ms();

	return left > TIMEOUT_IO_MS ? TIMEOUT_IO_MS : (int)left;
}

int
spool_write(struct spool *sp, const char *p, size_t n, uint64_t more)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char tmpl[MAX_PATH];

	/* more announced than the room left is refused before it comes */
	if (n > (uint64_t)(cfg.max_body - sp->total) ||
	    more > (uint64_t)(cfg.max_body - sp->total) - n) {
		log_error("request body larger than %lld bytes", cfg.max_body);
		return S_CONTENT_TOO_LARGE;
	}
	if (n == 0)
		return 0;
	if (sp->fd < 0) {
		sp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (sp->fd < 0 &&
		    (size_t)snprintf(tmpl, sizeof tmpl, "%s/cgid-body-XXXXXX",
		                     dir) < sizeof tmpl) {
			sp->fd = mkostemp(tmpl, O_CLOEXEC);
			if (sp->fd >= 0)
				unlink(tmpl);
		}
		if (sp->fd < 0) {
			log_error("cannot create a file for the request body: %s",
			          strerror(errno));
			return S_INTERNAL_SERVER_ERROR;
		}
	}
	if (write(sp->fd, p, n) != (ssize_t)n) {
		log_error("cannot spool the request body: %s", strerror(errno));
		return S_INTERNAL_SERVER_ERROR;
	}
	sp->total += (long long)n;
	return 0;
}

int
spool_done(struct spool *sp)
{
	lseek(sp->fd, 0, SEEK_SET); /* none for an empty body: harmless */
	return sp->fd;
}

int
conn_write(struct conn *c, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = c->is_socket ? sendto(c->wfd, s, n, MSG_NOSIGNAL, NULL, 0)
		                 : write(c->wfd, s, n);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && !c->nowait &&
		    wait_fd(c->wfd, POLLOUT, TIMEOUT_IO_MS) > 0)
			continue;
		return -1;
	}
	return 0;
}

/* Send len bytes of fd from off: sendfile, or a copy where the kernel
 * cannot (kept out of line: the copy's buffer would otherwise deepen the
 * stack of every response). */
static int __attribute__((noinline))
conn_sendfile(struct conn *c, int fd, off_t off, off_t len)
{
	char buf[IO_BUF];
	ssize_t n;

	while (len > 0) {
		size_t want = len > (off_t)(1 << 30) ? (size_t)1 << 30 : (size_t)len;
		n = sendfile(c->wfd, fd, &off, want);
		if (n > 0) {
			len -= n;
			continue;
		}
		if (n == 0)
			return -1; /* the file shrank */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if (c->nowait ||
			    wait_fd(c->wfd, POLLOUT, TIMEOUT_IO_MS) <= 0)
				return -1;
			continue;
		}
		if (errno != EINVAL && errno != ENOSYS)
			return -1;
		/* no sendfile to this descriptor: copy */
		n = pread(fd, buf, len < (off_t)sizeof buf ? (size_t)len : sizeof buf,
		          off);
		if (n <= 0 || conn_write(c, buf, (size_t)n) < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * Serialize r once and send it with len bytes of body, from memory or
 * (fd >= 0) from fd at off.  A body that fits goes out with the head in
 * one write: one segment, and one wake-up of the client; a file's body
 * is read in behind the head when it is at most SMALL_DOC bytes, and
 * sent by sendfile otherwise.
 */
static int
respond(struct conn *c, const struct request *req, struct response *r,
        const char *body, size_t len, int fd, off_t off)
{
	char head[MAX_CGI_HEAD + 1024];
	int n;

	/* RFC 9112 §6.3, §9.6: a request body is read by CGI programs
	 * alone, whose responses are not made here; one left unread ends
	 * the connection, so that none of its bytes is taken for a request */
	if (req == NULL || !req->keep_alive || req->content_length > 0 ||
	    req->chunked)
		r->close = 1;
	n = http_serialize(r, req ? req->minor : 0, now_s(), head, sizeof head);
	if (n < 0) {
		/* only a script's oversized header block can get here */
		http_response_init(r, S_BAD_GATEWAY);
		r->close = 1;
		n = http_serialize(r, 0, now_s(), head, sizeof head);
	}
	c->status = r->status;
	c->close = r->close;
	if (req != NULL && req->method == M_HEAD)
		len = 0;
	c->bytes_out += (long long)len;
	if (len > 0 && (size_t)n + len <= sizeof head &&
	    (fd < 0 || (len <= SMALL_DOC &&
	                pread(fd, head + n, len, off) == (ssize_t)len))) {
		if (fd < 0)
			memcpy(head + n, body, len);
		n += (int)len;
		len = 0;
	}
	if (conn_write(c, head, (size_t)n) < 0 || (len > 0 &&
	    (fd < 0 ? conn_write(c, body, len)
	            : conn_sendfile(c, fd, off, (off_t)len)) < 0))
		return -1;
	return r->status;
}

int
conn_respond(struct conn *c, const struct request *req, struct response *r,
             const char *body, size_t len)
{
	return respond(c, req, r, body, len, -1, 0);
}

int
conn_respond_file(struct conn *c, const struct request *req,
                  struct response *r, int fd, off_t off, off_t len)
{
	return respond(c, req, r, NULL, (size_t)len, fd, off);
}

int
conn_respond_error(struct conn *c, const struct request *req,
                   struct response *r)
{
	char body[512];
	int n = http_error_body(r->status, body, sizeof body);

	/* An error ends the connection: the rest of the input is unread. */
	r->close = 1;
	r->content_length = n;
	http_add_header(r, "Content-Type", "text/html; charset=utf-8", 24, 0);
	return conn_respond(c, req, r, body, (size_t)n);
}
