/*
 * file.h - paths beneath the document root and static documents.
 */
#ifndef FILE_H
#define FILE_H

#include <poll.h>
#include <sys/stat.h>

#include "conn.h"
#include "http.h"

/* What a request path names beneath the root. */
struct target {
	int fd;                    /* descriptor of the file or directory:
	                              O_RDONLY when readable is set, else O_PATH */
	int readable;
	int dir_fd;                /* O_PATH descriptor of its directory */
	struct stat st;
	char rel[MAX_PATH];        /* path relative to the root ("." for it) */
	const char *name;          /* last element of rel */
	size_t script_len;         /* URL path prefix naming the file */
	const char *path_info;     /* the rest of the URL path, "" if none */
	const char *body;          /* the whole file in memory (fd is -1),
	                              from the listener's cache; or NULL */
};

/*
 * Walk path (normalised, starting with '/') beneath the root with one
 * lookup per element until a regular file or the end is reached
 * (RFC 3875 §4.1.5/§4.1.13 split).  Symbolic links may not lead out of
 * the root.  Returns 0, or the status to answer (404, 403).
 */
int file_resolve(const char *path, struct target *t);
void file_release(struct target *t);
/*
 * The index of the directory named by path[0..*len), which ends in '/'
 * (a buffer of MAX_PATH): its index.html, else its index.cgi where that
 * would run (never as a document).  Returns 0 with the index's name
 * appended to path, *len its new length and t resolved to it; or the
 * status of the last lookup (404 when none was made), with path[0..*len)
 * as it was and t released.
 */
int file_index(char *path, size_t *len, struct target *t);
/* Open name beneath the root's directory at dir_fd, no escape. */
int open_beneath(int dir_fd, const char *name, int flags);

/*
 * The listener's small documents in memory (-l).  file_cached fills t
 * for path from the cache and returns 1, or returns 0; trust_events is
 * set for a connection the listener held and poll found ready (its
 * request began before poll looked at file_cache_fds).  file_cache_put
 * keeps the regular file file_resolve found for path when it is fit.
 * file_cache_fds fills up to two pollfds to poll after all others;
 * when one shows an event, file_cache_forget forgets every copy.
 * file_cache_drop forgets the cache in a child.
 */
int file_cached(const char *path, struct target *t, int trust_events);
void file_cache_put(const char *path, const struct target *t);
int file_cache_fds(struct pollfd *p);
void file_cache_forget(void);
void file_cache_drop(void);

/* Answer a GET or HEAD for the regular file t; returns the status sent,
 * or -1 when the connection must be closed. */
int file_serve(struct conn *c, const struct request *req, struct target *t,
               struct response *r);
/* A listing of the directory req->path (--list-dirs). */
int file_list(struct conn *c, const struct request *req);
/* Percent-encode a path for a URL (RFC 3986 §3.3); -1 if it does not fit. */
int file_url_encode(const char *path, char *out, size_t size);
/* Content-Type for a file name. */
const char *file_mime(const char *name);

#endif
