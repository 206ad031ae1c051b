/*
 * front.h - cgid behind a front server (nginx, lighttpd, Apache): the part
 * of the SCGI and FastCGI front ends that does not depend on the framing.
 *
 * The front server has parsed the HTTP request and sends its CGI
 * meta-variables as parameters.  front_request() finds the script they
 * name beneath ROOT, builds the environment from them through the same
 * filters as in HTTP mode, runs the script with the CGI engine and turns
 * its response into the header block front servers expect ("Status: 200
 * OK", then the other fields, then the body).  scgi.c and fastcgi.c only
 * frame bytes.
 */
#ifndef FRONT_H
#define FRONT_H

#include <stddef.h>
#include <sys/types.h>

#include "cgi.h"
#include "wire.h"

struct front {
	/* Set by the protocol module. */
	void *proto;
	int in_fd, out_fd;
	/* The request body, as the engine's body_read; NULL for none. */
	ssize_t (*body_read)(void *proto, char *buf, size_t n);
	/* Optional, as the engine's input and err callbacks. */
	int (*input)(void *proto, struct obuf *o);
	void (*err)(void *proto, const char *p, size_t n, struct obuf *o);
	/* Frame n response bytes into o (room for n + 32); n == 0 ends the
	 * response. */
	void (*frame)(void *proto, const char *p, size_t n, struct obuf *o);
	/* Write n response bytes framed, at once; n == 0 ends the response.
	 * Returns -1 when the front server cannot be written to. */
	int (*send)(void *proto, const char *p, size_t n);
	long long content_length;  /* request body length; -1 unknown (the
	                              body is then spooled, and this set) */
	int watch_hangup;          /* as the engine's: end the script when
	                              in_fd hangs up */

	/* Set by front_request. */
	int status;                /* status answered, 0 for none */
	int exit_status;           /* wait status of the script, -1 */
	int in_sync;               /* every byte written was a whole frame */
	int body_fd;               /* the spooled body, or -1 */
	long long bytes_out;       /* response body bytes */
};

/*
 * Serve the request whose parameters are ps.  Returns 0 when a complete
 * response was written (the connection may carry another request), -1
 * when the response is incomplete; then fr->in_sync tells whether the
 * stream itself is still whole.
 */
int front_request(struct front *fr, const struct params *ps);

/* The connection loops (scgi.c, fastcgi.c), called by cgid.c. */
void scgi_serve(int rfd, int wfd);
void fastcgi_serve(int rfd, int wfd);

#endif
