/*
 * fastcgi.c - the FastCGI 1.0 front end, Responder role.
 *
 * A connection carries requests one after the other: BEGIN_REQUEST, the
 * FCGI_PARAMS stream (ended by an empty record), the FCGI_STDIN stream
 * (likewise), answered with FCGI_STDOUT (and FCGI_STDERR with
 * --script-stderr front) and END_REQUEST carrying the script's exit
 * status.  With FCGI_KEEP_CONN the connection then waits for the next
 * request, otherwise cgid closes it (§3.5, §5.1).
 *
 * Alongside: management records are answered (FCGI_GET_VALUES, §4.1;
 * anything else with requestId 0 gets FCGI_UNKNOWN_TYPE, §4.2), a role
 * other than Responder gets FCGI_UNKNOWN_ROLE, a BEGIN_REQUEST while a
 * request is active gets FCGI_CANT_MPX_CONN (§5.5: cgid does not
 * multiplex), records of other request ids are ignored (§3.3), and
 * ABORT_REQUEST, or the front server closing the connection, stops the
 * script (§5.4).  Records are parsed by fcgi_parse_record in wire.c; a
 * record the protocol does not allow closes the connection, and the log
 * says why.
 *
 * Without CONTENT_LENGTH, the FCGI_STDIN stream is read whole into a
 * file before the script starts (front.c), so that the script is told
 * the body's length (RFC 3875 §4.1.2; a Responder reads at most
 * CONTENT_LENGTH bytes of FCGI_STDIN, §6.2).
 *
 * Input is read into one buffer that holds at least one record of the
 * largest size (64 KiB of content and 255 of padding), and a record is
 * consumed only once it has been handled, so the body can be handed to
 * the engine piecewise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "front.h"

/* What a record means for the request. */
enum event { EV_NONE, EV_BEGIN, EV_PARAMS, EV_STDIN, EV_ABORT };

static struct fcgi {
	struct conn c;             /* descriptors, conn_write */
	char in[2 * FCGI_MAX_RECORD];
	size_t start, end;         /* input not yet consumed */
	int eof;                   /* the front server closed its side */
	int broken;                /* a protocol error: close */
	int running;               /* a script runs: replies are queued */
	unsigned id;               /* the active request, 0 for none */
	int keep;                  /* FCGI_KEEP_CONN */
	int params_done, stdin_done, aborted, stderr_sent;
	char params[MAX_PARAMS_BYTES];
	size_t plen;
	size_t stdin_off;          /* bytes of the current STDIN record taken */
	long long stdin_total, content_length;
	char pend[FCGI_PENDING];   /* management replies queued while running */
	size_t pend_len;
	char out[FCGI_MAX_RECORD]; /* one record being written */
} fc;

static struct params ps;

/* A protocol error: log why (with a number when arg >= 0), then close. */
static void
broken(const char *why, int arg)
{
	if (arg >= 0)
		log_error("FastCGI: %s %d", why, arg);
	else
		log_error("FastCGI: %s", why);
	fc.broken = 1;
}

/*
 * The next whole record of the input, not yet consumed: 1; 0 when none is
 * complete and none arrives within timeout_ms (or, idle between requests,
 * when the listener stops); -1 at the end of the input, on an error, or
 * when a record is invalid.
 */
static int
peek(struct fcgi_record *r, int timeout_ms, int idle)
{
	ssize_t n;
	int k;

	for (;;) {
		k = fcgi_parse_record(fc.in + fc.start, fc.end - fc.start, r);
		if (k > 0)
			return 1;
		if (k == -1) {
			broken("record of version", (unsigned char)fc.in[fc.start]);
			return -1;
		}
		if (fc.eof)
			return -1;
		if (sizeof fc.in - fc.end < FCGI_MAX_RECORD) {
			memmove(fc.in, fc.in + fc.start, fc.end - fc.start);
			fc.end -= fc.start;
			fc.start = 0;
		}
		n = read(fc.c.rfd, fc.in + fc.end, sizeof fc.in - fc.end);
		if (n > 0) {
			fc.end += (size_t)n;
			continue;
		}
		if (n == 0) {
			fc.eof = 1;
			if (fc.end > fc.start)
				broken("connection closed inside a record", -1);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			log_error("FastCGI: read: %s", strerror(errno));
			fc.eof = 1;
			return -1;
		}
		if (timeout_ms <= 0)
			return 0;
		if ((idle ? wait_idle(fc.c.rfd, timeout_ms)
		          : wait_fd(fc.c.rfd, POLLIN, timeout_ms)) <= 0)
			return 0;
	}
}

static void
consume(const struct fcgi_record *r)
{
	fc.start += FCGI_HEADER_LEN + r->content_len + r->padding_len;
	if (fc.start == fc.end)
		fc.start = fc.end = 0;
}

/* A reply record: written at once, or queued while a script runs (the
 * engine owns the output then; fc_input hands the queue over). */
static void
reply(const char *p, size_t n)
{
	if (fc.running) {
		if (fc.pend_len + n > sizeof fc.pend) {
			broken("too many management records during a request", -1);
			return;
		}
		memcpy(fc.pend + fc.pend_len, p, n);
		fc.pend_len += n;
	} else if (conn_write(&fc.c, p, n) < 0) {
		fc.broken = 1;
	}
}

static void
reply_end_request(unsigned id, unsigned app_status, int protocol_status)
{
	char rec[FCGI_HEADER_LEN + 8];

	fcgi_put_end_request(rec, id, app_status, protocol_status);
	reply(rec, sizeof rec);
}

/* §4.1 FCGI_GET_VALUES: answer the variables we know, omit the rest;
 * §4.2: any other management record is of an unknown type. */
static void
management(const struct fcgi_record *r)
{
	char rec[FCGI_HEADER_LEN + 256 + 8], num[16];
	size_t bl = 0, off = 0, pad;
	struct param p;
	int k;

	if (r->type != FCGI_GET_VALUES) {
		fcgi_put_header(rec, FCGI_UNKNOWN_TYPE, 0, 8, 0);
		memset(rec + FCGI_HEADER_LEN, 0, 8);
		rec[FCGI_HEADER_LEN] = (char)r->type;
		reply(rec, FCGI_HEADER_LEN + 8);
		return;
	}
	/* §4.1 FCGI_MAX_CONNS, FCGI_MAX_REQS (one request per connection):
	 * a listener serves --max-connections at once, the rest wait in its
	 * backlog; a process started for one connection cannot know what
	 * starts it (systemd's MaxConnections= is 64 by default) */
	snprintf(num, sizeof num, "%d",
	         !cfg.one_connection && cfg.max_connections < FCGI_ADVERTISED_CONNS
	         ? cfg.max_connections : FCGI_ADVERTISED_CONNS);
	while (off < r->content_len &&
	       (k = fcgi_parse_pair(r->content + off, r->content_len - off, &p)) > 0) {
		const char *v = NULL;
		off += (size_t)k;
		if (p.name_len == 14 && memcmp(p.name, "FCGI_MAX_CONNS", 14) == 0)
			v = num;
		else if (p.name_len == 13 && memcmp(p.name, "FCGI_MAX_REQS", 13) == 0)
			v = num;
		else if (p.name_len == 15 && memcmp(p.name, "FCGI_MPXS_CONNS", 15) == 0)
			v = "0";
		if (v != NULL)
			bl += fcgi_put_pair(rec + FCGI_HEADER_LEN + bl, 256 - bl,
			                    p.name, p.name_len, v, strlen(v));
	}
	pad = fcgi_padding(bl);
	fcgi_put_header(rec, FCGI_GET_VALUES_RESULT, 0, bl, pad);
	memset(rec + FCGI_HEADER_LEN + bl, 0, pad);
	reply(rec, FCGI_HEADER_LEN + bl + pad);
}

/* What record r means, whatever the phase; replies to what needs none
 * of the request's state. */
static enum event
handle(const struct fcgi_record *r)
{
	if (r->id == 0) {
		management(r);
		return EV_NONE;
	}
	switch (r->type) {
	case FCGI_BEGIN_REQUEST:
		if (r->content_len != 8) {
			broken("BEGIN_REQUEST body of length", (int)r->content_len);
			return EV_NONE;
		}
		if (fc.id == 0)
			return EV_BEGIN;
		if (r->id == fc.id) {
			broken("second BEGIN_REQUEST for request", (int)r->id);
			return EV_NONE;
		}
		reply_end_request(r->id, 0, FCGI_CANT_MPX_CONN);
		return EV_NONE;
	case FCGI_ABORT_REQUEST:
	case FCGI_PARAMS:
	case FCGI_STDIN:
	case FCGI_DATA:
		/* §3.3: records of a request that is not active are ignored */
		if (fc.id == 0 || r->id != fc.id || r->type == FCGI_DATA)
			return EV_NONE;
		return r->type == FCGI_ABORT_REQUEST ? EV_ABORT
		       : r->type == FCGI_PARAMS ? EV_PARAMS : EV_STDIN;
	case FCGI_END_REQUEST:
	case FCGI_STDOUT:
	case FCGI_STDERR:
	case FCGI_GET_VALUES:
	case FCGI_GET_VALUES_RESULT:
	case FCGI_UNKNOWN_TYPE:
		/* §3.3: "While a request ID R is inactive, the application
		 * ignores records with requestId == R, except for
		 * FCGI_BEGIN_REQUEST records"; for the active request, a
		 * record the application sends, not the Web server, breaks
		 * the protocol */
		if (fc.id == 0 || r->id != fc.id)
			return EV_NONE;
		broken("unexpected record of type", r->type);
		return EV_NONE;
	default:
		management(r); /* FCGI_UNKNOWN_TYPE */
		return EV_NONE;
	}
}

/* The request body: FCGI_STDIN content, up to its empty record. */
static ssize_t
fc_body_read(void *proto, char *buf, size_t n)
{
	struct fcgi_record r;
	enum event ev;
	size_t m;
	int k;

	(void)proto;
	for (;;) {
		if (fc.stdin_done)
			return 0;
		k = peek(&r, 0, 0);
		if (k == 0)
			return -2;
		if (k < 0)
			return -1;
		ev = handle(&r);
		if (fc.broken)
			return -1;
		if (ev == EV_ABORT) {
			consume(&r);
			log_error("FastCGI: request %u aborted by the front server",
			          fc.id);
			fc.aborted = 1;
			return -1;
		}
		if (ev == EV_PARAMS) {
			broken("FCGI_PARAMS after the end of the stream", -1);
			return -1;
		}
		if (ev != EV_STDIN) {
			consume(&r);
			continue;
		}
		if (r.content_len == 0) {
			consume(&r);
			fc.stdin_done = 1;
			if (fc.content_length >= 0 &&
			    fc.stdin_total != fc.content_length) {
				log_error("FastCGI: %lld bytes of FCGI_STDIN for a "
				          "CONTENT_LENGTH of %lld", fc.stdin_total,
				          fc.content_length);
				fc.broken = 1;
				return -1;
			}
			return 0;
		}
		m = r.content_len - fc.stdin_off;
		if (m > n)
			m = n;
		memcpy(buf, r.content + fc.stdin_off, m);
		fc.stdin_off += m;
		if (fc.stdin_off == r.content_len) {
			consume(&r);
			fc.stdin_off = 0;
		}
		fc.stdin_total += (long long)m;
		/* without CONTENT_LENGTH the body is spooled, and the spool
		 * holds it to --max-body (front.c) */
		if (fc.content_length >= 0 && fc.stdin_total > fc.content_length) {
			log_error("FastCGI: FCGI_STDIN longer than CONTENT_LENGTH");
			fc.broken = 1;
			return -1;
		}
		return (ssize_t)m;
	}
}

/* While the script runs and no body is being relayed: what the front
 * server sends now, or sent along with the body, is management, the rest
 * of a body the script did not read, or an ABORT_REQUEST.  The end of the
 * connection aborts too. */
static int
fc_input(void *proto, struct obuf *o)
{
	struct fcgi_record r;
	enum event ev;
	int k;

	(void)proto;
	for (;;) {
		k = peek(&r, 0, 0);
		if (k == 0)
			break;
		if (k < 0) {
			if (!fc.broken)
				log_error("FastCGI: the front server closed the "
				          "connection during request %u", fc.id);
			fc.aborted = 1;
			return 1;
		}
		ev = handle(&r);
		if (ev == EV_ABORT) {
			log_error("FastCGI: request %u aborted by the front server",
			          fc.id);
			fc.aborted = 1;
		} else if (ev == EV_PARAMS) {
			broken("FCGI_PARAMS after the end of the stream", -1);
		} else if (ev == EV_STDIN) {
			/* a body the script did not read: dropped */
			fc.stdin_off = 0;
			if (r.content_len == 0)
				fc.stdin_done = 1;
		}
		consume(&r);
		if (fc.broken || fc.aborted)
			return 1;
	}
	memcpy(o->p + o->len, fc.pend, fc.pend_len);
	o->len += fc.pend_len;
	fc.pend_len = 0;
	return 0;
}

/* n bytes as records of type into out; returns the length. */
static size_t
records(char *out, int type, const char *p, size_t n)
{
	size_t len = 0, m, pad;

	if (n == 0) {
		fcgi_put_header(out, type, fc.id, 0, 0);
		return FCGI_HEADER_LEN;
	}
	while (n > 0) {
		m = n > FCGI_MAX_CONTENT - 7 ? FCGI_MAX_CONTENT - 7 : n;
		pad = fcgi_padding(m);
		fcgi_put_header(out + len, type, fc.id, m, pad);
		memcpy(out + len + FCGI_HEADER_LEN, p, m);
		memset(out + len + FCGI_HEADER_LEN + m, 0, pad);
		len += FCGI_HEADER_LEN + m + pad;
		p += m;
		n -= m;
	}
	return len;
}

static void
fc_frame(void *proto, const char *p, size_t n, struct obuf *o)
{
	(void)proto;
	o->len += records(o->p + o->len, FCGI_STDOUT, p, n);
}

static int
fc_send(void *proto, const char *p, size_t n)
{
	size_t m;

	(void)proto;
	if (n == 0) /* the end of the stream */
		return conn_write(&fc.c, fc.out, records(fc.out, FCGI_STDOUT, p, 0));
	while (n > 0) {
		m = n > sizeof fc.out / 2 ? sizeof fc.out / 2 : n;
		if (conn_write(&fc.c, fc.out, records(fc.out, FCGI_STDOUT, p, m)) < 0)
			return -1;
		p += m;
		n -= m;
	}
	return 0;
}

static void
fc_err(void *proto, const char *p, size_t n, struct obuf *o)
{
	(void)proto;
	if (n == 0)
		return;
	o->len += records(o->p + o->len, FCGI_STDERR, p, n);
	fc.stderr_sent = 1;
}

/* §5.5 appStatus: the script's exit status (128 + signal when killed). */
static unsigned
app_status(int ws)
{
	if (ws == -1)
		return 0;
	if (WIFEXITED(ws))
		return (unsigned)WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + (unsigned)WTERMSIG(ws);
	return 0;
}

/* The parameters are complete: parse them and run the request.  Returns
 * 0 when END_REQUEST may follow, -1 to close. */
static int
run(void)
{
	const struct param *cl;
	struct front fr = {0};
	size_t i;
	int rc;

	if (fcgi_parse_params(fc.params, fc.plen, &ps) < 0) {
		broken(ps.reason, -1);
		return -1;
	}
	fc.content_length = -1;
	cl = params_get(&ps, "CONTENT_LENGTH");
	if (cl != NULL && cl->value_len > 0) {
		if (cl->value_len > 18) {
			broken("invalid CONTENT_LENGTH", -1);
			return -1;
		}
		fc.content_length = 0;
		for (i = 0; i < cl->value_len; i++) {
			if (cl->value[i] < '0' || cl->value[i] > '9') {
				broken("invalid CONTENT_LENGTH", -1);
				return -1;
			}
			fc.content_length = fc.content_length * 10 + (cl->value[i] - '0');
		}
	}
	fr.proto = &fc;
	fr.in_fd = fc.c.rfd;
	fr.out_fd = fc.c.wfd;
	fr.body_read = fc_body_read;
	fr.input = fc_input;
	fr.err = cfg.stderr_to_front ? fc_err : NULL;
	fr.frame = fc_frame;
	fr.send = fc_send;
	fr.content_length = fc.content_length;
	fc.running = 1;
	rc = front_request(&fr, &ps);
	fc.running = 0;
	if (fc.broken || !fr.in_sync || (rc < 0 && !fc.aborted))
		return -1;
	if (fc.aborted)
		fc.stdin_done = 1; /* §5.4: the request's streams end there */
	/* a body the script did not read may already be here: drop it */
	while (!fc.stdin_done && !fc.broken) {
		struct fcgi_record r;
		if (peek(&r, 0, 0) != 1)
			break;
		if (handle(&r) == EV_STDIN && r.content_len == 0)
			fc.stdin_done = 1;
		consume(&r);
	}
	if (fc.broken)
		return -1;
	if (fc.pend_len > 0 && conn_write(&fc.c, fc.pend, fc.pend_len) < 0)
		return -1;
	fc.pend_len = 0;
	if (fc.stderr_sent) {
		fcgi_put_header(fc.out, FCGI_STDERR, fc.id, 0, 0);
		if (conn_write(&fc.c, fc.out, FCGI_HEADER_LEN) < 0)
			return -1;
	}
	reply_end_request(fc.id, app_status(fr.exit_status), FCGI_REQUEST_COMPLETE);
	return fc.broken ? -1 : 0;
}

void
fastcgi_serve(int rfd, int wfd)
{
	struct fcgi_record r;
	long long deadline;
	int nreq = 0, k, role, refused = 0;
	enum event ev;

	conn_init(&fc.c, rfd, wfd);
	fc.start = fc.end = 0;
	fc.eof = fc.broken = fc.running = 0;
	fc.id = 0;
	for (;;) {
		/* Between requests: wait for a BEGIN_REQUEST. */
		deadline = now_ms() + (nreq == 0 ? TIMEOUT_HEAD_MS
		                                 : TIMEOUT_FRONT_IDLE_MS);
		k = peek(&r, (int)(deadline - now_ms()), nreq > 0);
		if (k <= 0) {
			if (k == 0 && (nreq == 0 || fc.end > fc.start))
				log_error("FastCGI: no request within %lld s",
				          (nreq == 0 ? TIMEOUT_HEAD_MS
				                     : TIMEOUT_FRONT_IDLE_MS) / 1000LL);
			break;
		}
		ev = handle(&r);
		if (ev == EV_BEGIN) {
			role = (unsigned char)r.content[0] << 8 |
			       (unsigned char)r.content[1];
			if (role != FCGI_RESPONDER) {
				log_error("FastCGI: role %d is not Responder", role);
				reply_end_request(r.id, 0, FCGI_UNKNOWN_ROLE);
				ev = EV_NONE;
				/* §5.1: without FCGI_KEEP_CONN the connection
				 * ends with the answer to its request; with it,
				 * the connection is idle between requests from
				 * here on, as after any answered request */
				refused = !(r.content[2] & FCGI_KEEP_CONN) ||
				          ++nreq >= MAX_REQUESTS_PER_CONN;
			} else {
				fc.id = r.id;
				fc.keep = r.content[2] & FCGI_KEEP_CONN;
			}
		}
		consume(&r);
		if (fc.broken || refused)
			break;
		if (ev != EV_BEGIN)
			continue;

		/* The FCGI_PARAMS stream, bounded as a request head is. */
		fc.plen = 0;
		fc.params_done = fc.stdin_done = fc.aborted = fc.stderr_sent = 0;
		fc.stdin_off = 0;
		fc.stdin_total = 0;
		fc.pend_len = 0;
		deadline = now_ms() + TIMEOUT_HEAD_MS;
		while (!fc.params_done && !fc.aborted && !fc.broken) {
			k = peek(&r, (int)(deadline - now_ms()), 0);
			if (k <= 0) {
				if (!fc.broken)
					log_error("FastCGI: request %u: %s in FCGI_PARAMS",
					          fc.id, k == 0 ? "timed out"
					          : "connection closed");
				fc.broken = 1;
				break;
			}
			ev = handle(&r);
			if (ev == EV_PARAMS && r.content_len == 0) {
				fc.params_done = 1;
			} else if (ev == EV_PARAMS) {
				if (fc.plen + r.content_len > sizeof fc.params)
					broken("FCGI_PARAMS longer than", MAX_PARAMS_BYTES);
				else
					memcpy(fc.params + fc.plen, r.content, r.content_len);
				fc.plen += r.content_len;
			} else if (ev == EV_STDIN) {
				broken("FCGI_STDIN before the end of FCGI_PARAMS", -1);
			} else if (ev == EV_ABORT) {
				fc.aborted = 1;
			}
			consume(&r);
		}
		if (fc.broken)
			break;
		if (fc.aborted) {
			/* §5.4: what the front sent for the request came before
			 * its ABORT_REQUEST; nothing more comes after it.  The
			 * request is answered: with FCGI_KEEP_CONN the
			 * connection is idle between requests, as after any */
			reply_end_request(fc.id, 0, FCGI_REQUEST_COMPLETE);
			fc.id = 0;
			if (!fc.keep || fc.broken || ++nreq >= MAX_REQUESTS_PER_CONN)
				break;
			continue;
		}
		if (run() < 0)
			break;
		/* §5.1: with FCGI_KEEP_CONN the connection outlives the
		 * request; FCGI_STDIN still on its way for it is ignored as
		 * the record of a request no longer active (§3.3) */
		fc.id = 0;
		if (!fc.keep || fc.eof || fc.broken ||
		    ++nreq >= MAX_REQUESTS_PER_CONN)
			break;
	}
	if (fc.c.is_socket)
		conn_linger(rfd, wfd);
}
