/*
 * cgid.h - every limit and default of cgid in one place, the run-time
 * configuration shared by the modules, and the logging interface.
 *
 * A limit that a client or a script can hit is a named constant here;
 * the README and cgid.8 list them with the status each one produces.
 */
#ifndef CGID_H
#define CGID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define CGID_VERSION "0.1.0"
#define SERVER_SOFTWARE "cgid/" CGID_VERSION

/* Request head (RFC 9112 §2.3, §3, §5). */
#define MAX_REQUEST_LINE 8192     /* longer request line: 414 */
#define MAX_HEAD 16384            /* whole head incl. request line: 431 */
#define MAX_HEADERS 100           /* header fields per request: 431 */
#define MAX_PATH 4096             /* decoded path and its NUL, longer: 414 */

/* Request body. */
#define DEFAULT_MAX_BODY (1LL << 30) /* --max-body default: 1 GiB, 413 past it */
#define MAX_CHUNK_LINE 1024       /* chunk-size line incl. extensions: 400 */

/* Persistent connections (RFC 9112 §9). */
#define MAX_REQUESTS_PER_CONN 1000

/* Timeouts, in milliseconds. */
#define TIMEOUT_HEAD_MS 10000     /* first byte to end of head (slowloris): 408 */
#define TIMEOUT_IDLE_MS 5000      /* keep-alive wait for the next request: close */
#define TIMEOUT_IO_MS 30000       /* no progress reading a body or writing: close */
#define TIMEOUT_BODY_MS 10000     /* a request body gets this long, plus ... */
#define BODY_MIN_RATE 500         /* ... a second per this many bytes: 408 */
#define DEFAULT_CGI_TIMEOUT 300   /* --cgi-timeout default, seconds: 504 */
#define DEFAULT_CGI_IDLE 60       /* --cgi-idle-timeout default, seconds: 504 */
#define CGI_LINGER_MS 2000        /* output pipe held open after the script exits */
#define CGI_KILL_GRACE_MS 1000    /* SIGTERM to SIGKILL */

/* The accepting (long-running) mode. */
#define DEFAULT_MAX_CONNECTIONS 256 /* --max-connections: more wait in the backlog */
#define DEFAULT_GRACE 10          /* --grace: seconds open connections get on SIGTERM */
#define LISTEN_BACKLOG 511
#define DEFER_ACCEPT_S 1          /* -l: a silent connection is accepted after
                                     this long anyway (TCP_DEFER_ACCEPT) */

/* Resource limits for scripts (--limit NAME=VALUE), 0 = unlimited. */
#define DEFAULT_LIMIT_AS (1LL << 30)  /* address space, bytes */
#define DEFAULT_LIMIT_NOFILE 1024     /* open files */
#define DEFAULT_LIMIT_NPROC 1024      /* processes of the scripts' user, cgid's
                                         own per-connection processes included */
                                      /* cpu: the --cgi-timeout */

/* CGI. */
#define MAX_CGI_HEAD 16384        /* script's header block: 502 past it */
#define MAX_CGI_HEADERS 64        /* header fields from a script: 502 */
#define MAX_ENV 256               /* environment entries for a script */
#define MAX_ENV_BYTES 65536       /* environment bytes for a script */
#define MAX_ENV_HEADER_NAME 64    /* a longer request header name: not passed */
#define MAX_LOCAL_REDIRECTS 8     /* RFC 3875 §6.2.2 chains: 500 past it */
#define MAX_EXTRA_ENV 64          /* --env and --pass-env options */
#define MAX_ENV_NAME 128          /* --env, --pass-env name: this long, exit 2 */
#define MAX_CGI_RULES 16          /* --cgi-dir and --cgi-ext options */
#define MAX_LISTEN 16             /* -l options and passed listening sockets */

/* Documents. */
#define MAX_MIME_TYPES_FILE 131072 /* bytes of /etc/mime.types read */
#define MAX_LISTING 262144        /* bytes of a directory listing page */
#define MAX_LISTING_ENTRIES 4096  /* entries shown in a listing */
#define DOC_CACHE 64              /* small documents the listener keeps (-l) */
#define DOC_CACHE_PATH 256        /* their longest request path */
#define DOC_CACHE_SETTLE 2        /* s: a file changed since is not kept */
#define DOC_CACHE_RECHECK_MS 1000 /* a watched copy's stat, at least so often */
#define DOC_CACHE_WATCHES 256     /* inotify watches before all are removed */

/* Output buffering. */
#define IO_BUF 65536              /* relay buffer between script and client */
#define SMALL_DOC 8192            /* documents sent in one write with their head */
#define CGI_PIPE_SIZE 1048576     /* a script's stdin and stdout pipes */
#define SPLICE_MAX 1048576        /* bytes moved by one splice(2) call */

/* Front servers: SCGI and FastCGI (scgi.c, fastcgi.c, wire.c). */
#define MAX_PARAMS 512            /* parameters in one request: 431 */
#define MAX_PARAMS_BYTES 65536    /* the whole parameter block: close */
#define MAX_PARAM_NAME 128        /* a longer parameter name: not passed */
#define FCGI_MAX_CONTENT 65535    /* FastCGI record content (§3.3) */
#define FCGI_MAX_RECORD (8 + 65535 + 255) /* header, content, padding */
#define FCGI_PENDING 1024         /* queued management replies: close past it */
#define FCGI_ADVERTISED_CONNS 64  /* FCGI_MAX_CONNS/FCGI_MAX_REQS answered */
#define TIMEOUT_FRONT_IDLE_MS 120000 /* FCGI_KEEP_CONN: wait for the next request */
#define DEFAULT_SOCKET_MODE 0660  /* --socket-mode default for -l unix:PATH */

#define SAFE_PATH "/usr/local/bin:/usr/bin:/bin"

/* The protocol spoken on the connection (--protocol). */
enum protocol { PROTO_HTTP, PROTO_SCGI, PROTO_FASTCGI };

/* The configuration, set once by cgid.c before any connection. */
struct config {
	enum protocol protocol;
	int stderr_to_front;       /* FastCGI: script stderr as FCGI_STDERR */
	const char *root;          /* document root as given */
	int root_fd;               /* O_PATH descriptor of the root */
	const char *root_real;     /* its canonical absolute path: base_real,
	                              or the virtual host's */
	const char *cgi_dirs[MAX_CGI_RULES];
	int n_cgi_dirs;
	const char *cgi_exts[MAX_CGI_RULES];
	int n_cgi_exts;
	const char *extra_env[MAX_EXTRA_ENV]; /* "NAME=VALUE" */
	int n_extra_env;
	struct {
		const char *ext, *path;
	} interp[MAX_CGI_RULES];   /* --interpreter .EXT=PATH */
	int n_interp;
	long long max_body;
	int cgi_timeout;           /* seconds */
	int cgi_idle_timeout;      /* seconds */
	int https;                 /* TLS is terminated in front of us */
	int pass_auth;             /* Authorization reaches scripts */
	int allow_writable;        /* group/world-writable scripts may run */
	int list_dirs;             /* directories without an index are listed */
	int gzip_static;           /* FILE.gz for clients accepting gzip */
	int vhosts;                /* ROOT/HOST/ per Host field */
	long long limit_cpu, limit_as, limit_nofile, limit_nproc;
	int allow_root;            /* scripts may run as root */
	int max_connections;
	int grace;
	int idle_exit;             /* seconds without connections, 0 = never */
	int base_fd;               /* ROOT; root_fd is the virtual host's */
	int one_connection;        /* this process serves one connection from
	                              its start: see clock_read, spawn */
	char base_real[MAX_PATH];  /* last: a short path shares the page of
	                              the fields above */
};

extern struct config cfg;

/* log.c: one line per event; never written to a client socket. */
enum log_dest { LOG_TO_STDERR, LOG_TO_FILE, LOG_TO_SYSLOG, LOG_TO_NONE };
int log_open(const char *dest, int client_fd);
/* fd 2 is no socket but a Unix one (under inetd it is the client's) */
int log_stderr_ok(void);
/* --log FILE: open it again (after it was moved away), same descriptor */
void log_reopen(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_script(const char *script, const char *line, size_t len);
/* One access log line: the Combined Log Format (the request line rl as
 * it arrived, the referrer, the user agent; NULL or empty: "-") and the
 * duration in microseconds. */
void log_access(const char *addr, const char *rl, size_t rl_len, int status,
                long long bytes, const char *ref, size_t ref_len,
                const char *ua, size_t ua_len, long long us);
/* Is anything logged at all (--log none)? */
int log_enabled(void);
/* UTC time as "2026-01-31T23:59:59Z " (clf = 0) or in the Common Log
 * Format, "31/Jan/2026:23:59:59 +0000" (clf = 1); buf holds 32 bytes. */
size_t log_date(time_t t, int clf, char *buf);

#endif
