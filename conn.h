/*
 * conn.h - one client connection: its descriptors, its buffered input and
 * the addresses that the CGI environment and the log report, with reads
 * and writes bounded by timeouts.
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgid.h"
#include "http.h"

/* The two ends of a connection, as the CGI environment and the log show
 * them. */
struct endpoints {
	char remote_addr[64], remote_port[8];
	char local_addr[64], local_port[8];
};

struct conn {
	int rfd, wfd;              /* read and write side (UCSPI has two) */
	int is_socket;             /* wfd is a socket: sendfile, shutdown */
	size_t start, end;         /* buf[start, end) not yet consumed */
	size_t floor;              /* [0, floor) holds the current request's
	                              head, which compaction must keep */
	struct endpoints ep;
	int nrequests;
	int status;                /* status sent for the current request */
	long long bytes_out;       /* body bytes sent for the current response */
	int nowait;                /* writes fail rather than wait for room */
	int quiet;                 /* the last request asked for the end of
	                              the connection and had no body */
	int close;                 /* the response sent for the current
	                              request said Connection: close */
	char buf[IO_BUF];          /* input; last, so that a short request and
	                              the fields above share a page */
};

/* Fill in addresses from the socket, or from UCSPI variables. */
void conn_init(struct conn *c, int rfd, int wfd);
/* Take up again a socket that conn_init set up before and whose ends
 * were kept, with nothing read and nrequests answered: no system call. */
void conn_resume(struct conn *c, int fd, const struct endpoints *ep,
                 int nrequests);
/* Read more input; returns bytes read, 0 at EOF, -1 on error or when
 * timeout_ms passes without data (errno ETIMEDOUT). */
ssize_t conn_fill(struct conn *c, int timeout_ms);
/* Drop consumed input and move the rest down to the floor. */
void conn_compact(struct conn *c);
/* Read up to n bytes of a body of which *left remain, buffered input
 * first: bytes read, 0 when none remain, -2 when none are there yet, -5
 * when the client ended its side before the body's end, -1 when it
 * failed. */
ssize_t conn_read_body(struct conn *c, char *buf, size_t n, long long *left);
/* Move body bytes into the pipe pipe_fd without copying them through
 * user space: bytes moved, 0 when none remain, -2 when the client has
 * sent none or the pipe is full (splice does not say which), -4 when the
 * pipe is full, -5 as conn_read_body, -1 when the client failed (errno
 * EPIPE: the pipe's reader is gone), -3 when the descriptors cannot be spliced (use
 * conn_read_body). */
ssize_t conn_splice_body(struct conn *c, int pipe_fd, long long *left);
/*
 * A request body whose length nobody announced (a chunked body in HTTP
 * mode, a FastCGI body without CONTENT_LENGTH), spooled into an unlinked
 * file: RFC 3875 §4.1.2 and §4.2 want CONTENT_LENGTH for a request with
 * a body, and many programs read exactly that many bytes.  The file is
 * created with the first bytes, so an empty body needs none.
 */
struct spool {
	int fd;                    /* the file, -1 before the first bytes */
	long long start;           /* when the body began, in ms */
	long long total;           /* bytes spooled */
};
void spool_start(struct spool *sp);
/* How long the next read of the body may wait, in ms: TIMEOUT_IO_MS at
 * most, and the whole body gets TIMEOUT_BODY_MS plus a second per
 * BODY_MIN_RATE bytes; <= 0 when it is too slow (408). */
int spool_wait(const struct spool *sp);
/* Append n bytes of the body, of which at least more bytes are still
 * announced: 0, or (logged) 413 past cfg.max_body, 500 when the file
 * cannot be created or written. */
int spool_write(struct spool *sp, const char *p, size_t n, uint64_t more);
/* The body is complete: the file rewound for the program's stdin, or -1
 * when the body is empty. */
int spool_done(struct spool *sp);

/* Write all of p; -1 on error or no progress within TIMEOUT_IO_MS. */
int conn_write(struct conn *c, const void *p, size_t n);
/*
 * Serialize r once and send it with an optional body (omitted for HEAD).
 * Connection: close is added when the request does not persist.  Returns
 * r->status, or -1 when the client could not be written to.
 */
int conn_respond(struct conn *c, const struct request *req, struct response *r,
                 const char *body, size_t len);
/* The same with len bytes of fd from off as the body (a small one read
 * in behind the head, a larger one sent by sendfile). */
int conn_respond_file(struct conn *c, const struct request *req,
                      struct response *r, int fd, off_t off, off_t len);
/* The same with a small HTML page for r->status; errors close. */
int conn_respond_error(struct conn *c, const struct request *req,
                       struct response *r);
/* A lingering close: stop sending, then read what the client still
 * sends for up to a second, so that the last response is not reset. */
void conn_linger(int rfd, int wfd);
/* Whether the connection needs that lingering close: unless the client
 * has said it sends nothing more (c->quiet) and nothing more is there. */
int conn_must_linger(struct conn *c);
/* The monotonic clock in microseconds and in milliseconds; the time of
 * day in seconds.  With cfg.one_connection: read by system calls, not
 * the vDSO. */
long long now_us(void);
long long now_ms(void);
time_t now_s(void);
/* Wait until fd is ready for events; 1 ready, 0 timeout, -1 error.
 * Waiting for POLLOUT, the timeout runs from the last bytes that left
 * the socket's queue. */
int wait_fd(int fd, short events, int timeout_ms);
/* Between requests: wait up to timeout_ms for input on fd.  1 when it
 * came; 0 when none did, and at once when the listener stops (RFC 9112
 * §9.5: a connection idle between requests may be closed at any time),
 * unless input is there already.  conn_stop_fd: the read end of the
 * listener's stop pipe (-l), which reads as at its end once it stops;
 * -1 without one. */
extern int conn_stop_fd;
int wait_idle(int fd, int timeout_ms);

#endif
