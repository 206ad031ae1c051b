/*
 * cgi.h - the CGI/1.1 engine (RFC 3875): which paths are scripts, the
 * environment, the spawn, the script's response header block and the
 * relay between a front end and the script.
 *
 * The engine knows nothing of HTTP framing: a front end (HTTP here; SCGI
 * or FastCGI beside it) builds the environment, hands over the body
 * through a read callback, and turns the parsed header block and the body
 * bytes into its own protocol through the callbacks of struct cgi_front.
 */
#ifndef CGI_H
#define CGI_H

#include <stddef.h>
#include <sys/types.h>

#include "cgid.h"
#include "http.h"

/* An environment built from scratch into one bounded buffer (§4.1). */
struct env {
	char *vars[MAX_ENV + 1];
	int n;
	size_t used;
	int overflow;
	int configured;            /* env_add_config done: --env names win */
	int skipped;               /* the last env_add was such a name */
	char buf[MAX_ENV_BYTES];
};

void env_init(struct env *e);
/* Add NAME=VALUE; value of vlen bytes.  Sets overflow when full. */
void env_add(struct env *e, const char *name, const char *value, size_t vlen);
void env_adds(struct env *e, const char *name, const char *value);
/* Append value to the last entry added, a repeated request header:
 * after ", " ("; " for HTTP_COOKIE). */
void env_join(struct env *e, const char *value, size_t vlen);
/* The standard's and the administrator's fixed variables. */
void env_add_config(struct env *e);

struct conn;
struct target;
/* The meta-variables of an HTTP request for the script at t (§4.1). */
void cgi_env_http(struct env *e, const struct request *req,
                  const struct conn *c, const struct target *t);

/* The interpreter configured for a file name, or NULL. */
const char *cgi_interpreter(const char *name, size_t len);
/* May the file run as a program?  0, or the status (403; 500 as root
 * without --allow-root) with the reason in *why. */
struct stat;
int cgi_permitted(const struct stat *st, int interpreted, const char **why);
/* Every signal to its default action (a listener does it once at its
 * start; a process for one connection in the child it starts). */
void cgi_signals_default(void);
/* Is the URL path prefix naming a file a CGI program by configuration? */
int cgi_selected(const char *urlpath, size_t len);

/* The script's response header block (RFC 3875 §6.2, §6.3). */
struct cgi_head {
	int status;                /* from Status:, 0 if absent */
	const char *reason;        /* its reason phrase, may be empty */
	size_t reason_len;
	const char *location;      /* Location value or NULL */
	size_t location_len;
	const char *content_type;
	size_t content_type_len;
	long long content_length;  /* -1: none */
	struct header fields[MAX_CGI_HEADERS]; /* everything else, in order */
	size_t nfields;
	const char *reason_bad;    /* why the block was rejected */
};

/* Parse a header block from buf: length of the block including its empty
 * line, -2 incomplete, -1 invalid (h->reason_bad says why).  Pure. */
int cgi_parse_head(const char *buf, size_t len, struct cgi_head *h);

/* A field of the script's that describes a connection (RFC 9110
 * §7.6.1) and is not passed on. */
int cgi_hop_by_hop(const struct header *h);
/* §6.2.2: is the block a local redirect?  Then its path is copied to dst
 * (MAX_PATH bytes) and 1 returned; 0 if not; -1 if it is too long. */
int cgi_local_redirect(const struct cgi_head *h, char *dst);
/* The response the block makes, in HTTP mode and the front modes alike:
 * its status; whether a body may follow (*no_body: none for HEAD, 1xx,
 * 204, 205 and 304); and the Content-Length to send (*length, -1 for
 * none; 0 for a 205). */
int cgi_answer(const struct cgi_head *h, int head, int *no_body,
               long long *length);
/* Of n more body bytes from the script, how many fit in the Content-Length
 * it declared (-1: none, all fit); *written counts all it wrote.  Logs
 * once when it writes more. */
size_t cgi_body_part(long long declared, long long *written, size_t n);

/* Output of the relay towards the front end. */
struct obuf {
	char *p;
	size_t len, size;
};

/* What a front end does with a script's response. */
struct cgi_front {
	void *ctx;
	int in_fd;                 /* where the body comes from, -1 for none */
	int out_fd;                /* where the response goes */
	/* Read up to n body bytes; 0 when the body is complete, -1 on error,
	 * -2 when nothing is available yet, -5 when the peer ended its side
	 * before the body's end (it may still read an answer). */
	ssize_t (*body_read)(void *ctx, char *buf, size_t n);
	/* Optional: move body bytes into the script's stdin pipe fd without
	 * a copy through user space; returns as body_read, and -3 when it
	 * cannot (body_read is used from then on).  -2 means the input is
	 * empty or the pipe is full, -4 that the pipe is full; -1 with errno
	 * EPIPE, the script closed its input. */
	ssize_t (*splice_in)(void *ctx, int fd);
	/* The header block is parsed: decide and serialize the head into o.
	 * Returns 0 to go on, 1 for a local redirect (the front keeps the
	 * Location), or a 5xx status to answer instead. */
	int (*head)(void *ctx, const struct cgi_head *h, struct obuf *o);
	/* Frame body bytes into o (o has room for n + 32).  Returns 1 once
	 * the body is complete: the script wrote its Content-Length. */
	int (*body)(void *ctx, const char *p, size_t n, struct obuf *o);
	/* The body ended (complete != 0) or was cut short. */
	void (*end)(void *ctx, int complete, struct obuf *o);
	/* Answer an error status when nothing was sent yet. */
	void (*error)(void *ctx, int status);
	/* Optional: the script's stderr bytes towards the front end (o has
	 * room for n + 64); when NULL, stderr goes to the log line by line. */
	void (*err)(void *ctx, const char *p, size_t n, struct obuf *o);
	int watch_hangup;          /* end the script when in_fd hangs up */
	long long body_len;        /* the request body's length, 0 if unknown */
	/* Optional: called while no body is being relayed (the body ended,
	 * or there was none), once as soon as that is so, then whenever
	 * in_fd is readable; o is empty.  A multiplexing front end reads its
	 * control messages here (FastCGI's ABORT_REQUEST), those it read
	 * along with the body too.
	 * Returns 0 to go on, 1 to stop the script, 2 to stop watching. */
	int (*input)(void *ctx, struct obuf *o);
	int exit_status;           /* out: wait status of the script, -1 */
	size_t unsent;             /* out: bytes of o that could not be sent */
};

/* The script to run. */
struct cgi_script {
	int dir_fd;                /* its directory (the working directory) */
	const char *name;          /* file name in that directory (argv[0]) */
	const char *log_name;      /* how the log names it (SCRIPT_NAME) */
	const char *query;         /* for ISINDEX arguments (§4.4), may be NULL */
	size_t query_len;
	int stdin_fd;              /* a prepared body file, or -1 to relay */
	int nph;                   /* a non-parsed header script: its output
	                              is relayed as it is (§5) */
	const char *interpreter;   /* run the file with this program, or NULL */
};

/* Result of cgi_run. */
enum cgi_result {
	CGI_DONE,                  /* response complete; connection reusable */
	CGI_CLOSE,                 /* response sent or cut; close connection */
	CGI_REDIRECT,              /* local redirect requested */
};

/* The script running now, for a SIGTERM handler to end its group. */
extern volatile pid_t cgi_running;

enum cgi_result cgi_run(const struct cgi_script *s, char *const envp[],
                        struct cgi_front *f);

#endif
