/*
 * file.c - paths beneath the document root, and static documents.
 *
 * Every lookup is made relative to the root's descriptor with openat2(2)
 * and RESOLVE_BENEATH, so neither ".." (already removed by the parser) nor
 * a symbolic link can lead out of the root.  Where openat2 is missing
 * (kernels before 5.6), the resolved path is checked against the root's
 * canonical path instead.
 *
 * Documents carry Last-Modified and a strong ETag, answer conditional
 * requests (RFC 9110 §13) and single byte ranges (RFC 9110 §14), and are
 * sent with sendfile(2).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "cgi.h"
#include "file.h"

/* Without openat2: the path is resolved in full and checked against the
 * root's canonical path.  Out of line, so that its two PATH_MAX buffers do
 * not deepen the stack of every lookup. */
static int __attribute__((noinline))
open_checked(int dir_fd, const char *name, int flags)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *base;
	size_t rl;

	/* only for the roots' descriptors */
	if (dir_fd != cfg.root_fd && dir_fd != cfg.base_fd) {
		errno = EXDEV;
		return -1;
	}
	base = dir_fd == cfg.root_fd ? cfg.root_real : cfg.base_real;
	if (snprintf(path, sizeof path, "%s/%s", base, name) >=
	    (int)sizeof path || realpath(path, real) == NULL)
		return -1;
	rl = strlen(base);
	if (strncmp(real, base, rl) != 0 ||
	    (real[rl] != '/' && real[rl] != '\0' && rl > 1)) {
		errno = EXDEV;
		return -1;
	}
	return open(real, flags | O_CLOEXEC);
}

int
open_beneath(int dir_fd, const char *name, int flags)
{
	/* initialized, so kept in .data with the other small flags rather
	 * than alone on a page of .bss that would cost a fault to touch */
	static int have_openat2 = 1;
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (have_openat2) {
		fd = (int)syscall(SYS_openat2, dir_fd, name, &how, sizeof how);
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		have_openat2 = 0;
	}
	return open_checked(dir_fd, name, flags);
}

void
file_release(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->dir_fd >= 0 && t->dir_fd != cfg.root_fd)
		close(t->dir_fd);
	t->fd = t->dir_fd = -1;
}

int
file_index(char *path, size_t *len, struct target *t)
{
	static const char *const index[] = {"index.html", "index.cgi"};
	size_t i, n, pl = *len;
	int status = S_NOT_FOUND;

	for (i = 0; i < 2 && status != 0; i++) {
		n = strlen(index[i]);
		if (pl + n >= MAX_PATH)
			break;
		memcpy(path + pl, index[i], n + 1);
		/* index.cgi only where it would run, never as a document */
		if (i == 1 && !cgi_selected(path, pl + n))
			continue;
		status = file_resolve(path, t);
		if (status == 0 && (!S_ISREG(t->st.st_mode) ||
		                    t->path_info[0] != '\0'))
			status = S_NOT_FOUND;
		/* a failed lookup may hold the directories it opened, which
		 * the next one would lose */
		if (status != 0)
			file_release(t);
		else
			*len = pl + n;
	}
	if (status != 0)
		path[pl] = '\0';
	return status;
}

int
file_resolve(const char *path, struct target *t)
{
	const char *p = path + 1, *e;
	size_t rl = 0, n;
	int fd;

	t->fd = -1;
	t->dir_fd = cfg.root_fd;
	t->readable = 0;
	t->path_info = "";
	t->body = NULL;
	strcpy(t->rel, ".");
	t->name = t->rel;
	t->script_len = 1;
	if (*p == '\0')
		return fstat(cfg.root_fd, &t->st) < 0 ? S_INTERNAL_SERVER_ERROR : 0;

	while (*p != '\0') {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		/* Hidden elements are not served, but for RFC 8615 names. */
		if (p[0] == '.' && !(p == path + 1 && n == 11 &&
		                     memcmp(p, ".well-known", 11) == 0))
			return S_NOT_FOUND;
		if (rl + n + 2 > sizeof t->rel)
			return S_NOT_FOUND;
		if (rl > 0)
			t->rel[rl++] = '/';
		memcpy(t->rel + rl, p, n);
		t->rel[rl + n] = '\0';
		/* The last element is opened for reading at once, which saves
		 * reopening a document; a directory on the way, or a program
		 * that may be run but not read, is looked at through O_PATH. */
		fd = -1;
		if (e == NULL) {
			fd = open_beneath(cfg.root_fd, t->rel,
			                  O_RDONLY | O_NONBLOCK | O_NOCTTY);
			t->readable = fd >= 0;
		}
		if (fd < 0 && (e != NULL || errno == EACCES || errno == EPERM))
			fd = open_beneath(cfg.root_fd, t->rel, O_PATH);
		if (fd < 0)
			return errno == EACCES ? S_FORBIDDEN : S_NOT_FOUND;
		if (t->fd >= 0) {
			if (t->dir_fd != cfg.root_fd)
				close(t->dir_fd);
			t->dir_fd = t->fd;
		}
		t->fd = fd;
		t->name = t->rel + rl;
		rl += n;
		if (fstat(fd, &t->st) < 0)
			return S_NOT_FOUND;
		t->script_len = (size_t)(p + n - path);
		if (S_ISREG(t->st.st_mode)) {
			t->path_info = p + n;
			return 0;
		}
		if (!S_ISDIR(t->st.st_mode))
			return S_FORBIDDEN;
		if (e == NULL)
			break;
		p = e + 1;
	}
	t->script_len = strlen(path);
	return 0;
}

/*
 * The listener's cache of small documents.  A document it answers is
 * kept in memory with its status and used again only while nothing it
 * was read from can have changed, so that a file written, replaced,
 * renamed, removed or made unreadable is seen at the next request, as
 * if it were opened again.  Two ways tell:
 * - Events, for a connection the listener holds: inotify(7) watches on
 *   the file and on every directory from the root down to it, and
 *   /proc/self/mountinfo for mounts.  The listener polls them after its
 *   connections (file_cache_fds) and forgets every copy at the first
 *   event (file_cache_forget), before it reads a request.  A held
 *   connection that poll found ready had its request begin before poll
 *   looked at the watches, so every change whose system call returned
 *   before the request began is seen, with no system call of its own.
 *   What raises no event (a write through Linux AIO, a splice into the
 *   file before Linux 6.4, a zfs rollback, a change made directly in a
 *   layer of an overlayfs) is caught by a stat at least every
 *   DOC_CACHE_RECHECK_MS.
 * - A stat, for a new connection (whose request may have come after
 *   poll looked) and for a copy whose watches could not be set (no /proc
 *   in a chroot, a directory that may be searched but not read, the
 *   user's inotify limits): fstatat(2) of the same path beneath the root
 *   must give the same device, inode, mode, size, modification and
 *   change times.  One system call instead of the openat2, fstat, pread
 *   and close of a lookup.  It may follow a symbolic link that now leads
 *   out of the root, but only to the very file that was read beneath it.
 * A write changes the change time, which nobody can set; a file changed
 * in the last DOC_CACHE_SETTLE seconds is not kept, so that a write
 * within the same tick of the file system's clock, which would leave the
 * time as it was, cannot follow the read unseen.  Only files on local
 * file systems that the kernel writes are kept (local_fs); a path with
 * a symbolic link in it is kept only with the stat check.
 */
struct cached {
	struct stat st;
	int watched;               /* events tell of changes, not a stat */
	long long checked;         /* ms: its last stat */
	char path[DOC_CACHE_PATH]; /* the request path; "" for a free entry */
	char body[SMALL_DOC];
};

static struct cached *cache;     /* DOC_CACHE entries, mapped on first use */
static unsigned cache_next;      /* the entry to take next, in turn */

/* The type of fd's file system (statfs(2) f_type), 0 if unknown. */
static unsigned
fs_type(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 ? (unsigned)sf.f_type : 0;
}

/* Whether fd's file system is one whose stat shows every change of a
 * file in its change time: a local one that the kernel writes (statfs(2)
 * f_type values).  Not a network or FUSE one, which may answer from an
 * attribute cache, nor a read-only image (squashfs, erofs, iso9660),
 * whose times come from the image: another image mounted in its place
 * may hold other bytes under the same inode, size and times. */
static int
local_fs(int fd)
{
	static const unsigned local[] = {
		0xef53,                /* ext2, ext3, ext4 */
		0x58465342,            /* xfs */
		0x9123683e,            /* btrfs */
		0xf2f52010,            /* f2fs */
		0x2fc12fc1,            /* zfs */
		0x01021994, 0x858458f6, /* tmpfs, ramfs */
		0x794c7630,            /* overlayfs (routers, containers) */
		0x24051905, 0x72b6,    /* ubifs, jffs2 (flash) */
	};
	unsigned type = fs_type(fd);
	size_t i;

	for (i = 0; i < sizeof local / sizeof local[0]; i++)
		if (type == local[i])
			return 1;
	return 0;
}

/* Field by field: the padding of struct stat is not always set. */
static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_mode == b->st_mode && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

#ifndef CGID_NO_WATCH
static int watch_fd = -1;        /* inotify: the kept files, their directories */
static int mounts_fd = -1;       /* /proc/self/mountinfo; -2: none to be had */
static int wds[DOC_CACHE_WATCHES]; /* the watches set */
static int nwds;

/* Watch name for mask; 0, or -1 when it cannot be watched. */
static int
watch(const char *name, unsigned mask)
{
	int wd = inotify_add_watch(watch_fd, name, mask), i;

	if (wd < 0)
		return -1;
	for (i = 0; i < nwds && wds[i] != wd; i++)
		;
	if (i == nwds)
		wds[nwds++] = wd;
	return 0;
}

/*
 * Watch path (beneath the root) and each directory above it up to the
 * root, then check that the path still names the file st describes:
 * what changed before a watch was set shows in that stat, what changes
 * after it is an event.  Each element is watched without following a
 * symbolic link (a directory must be one), so that a link in the path,
 * whose target would change unwatched, fails.  Returns 1 when every
 * watch is set and the file is the same.
 */
static int
watch_path(const char *path, const struct stat *st)
{
	enum {
		DIR_EVENTS = IN_CREATE | IN_DELETE | IN_MOVED_FROM |
		             IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF |
		             IN_MOVE_SELF | IN_ONLYDIR,
		FILE_EVENTS = IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF |
		              IN_MOVE_SELF | IN_DONT_FOLLOW,
	};
	char name[24 + DOC_CACHE_PATH];
	struct stat now;
	size_t len = strlen(path), at, depth = 1;
	int base, fd;

	if (mounts_fd == -1) {
		fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
		/* a file of that name not on procfs tells nothing, and then
		 * neither does /proc/self/fd */
		if (fd >= 0 && fs_type(fd) != 0x9fa0) {
			close(fd);
			fd = -1;
		}
		mounts_fd = fd >= 0 ? fd : -2;
	}
	if (watch_fd == -1 && mounts_fd >= 0)
		watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (watch_fd < 0)
		return 0;
	for (at = 0; at < len; at++)
		depth += path[at] == '/';
	if (nwds + depth > DOC_CACHE_WATCHES)
		file_cache_forget();
	/* the root by its descriptor; ".../N/" follows it, for it is one */
	base = snprintf(name, sizeof name, "/proc/self/fd/%d", cfg.root_fd);
	if (base < 0 || (size_t)base + len >= sizeof name)
		return 0;
	memcpy(name + base, path, len + 1);
	for (at = 0; at < len; at++) {
		if (path[at] != '/')
			continue;
		name[base + at + (at == 0)] = '\0';
		if (watch(name, at == 0 ? DIR_EVENTS
		                        : DIR_EVENTS | IN_DONT_FOLLOW) < 0)
			return 0;
		name[base + at + (at == 0)] = path[at + (at == 0)];
	}
	return watch(name, FILE_EVENTS) == 0 &&
	       fstatat(cfg.root_fd, path + 1, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	       same_file(&now, st);
}

/* Whether copy e needs a stat before this use: it is not watched, the
 * request is not a held connection's, or the last stat is
 * DOC_CACHE_RECHECK_MS old.  Notes the time of the stat it asks for. */
static int
needs_stat(struct cached *e, int trust_events)
{
	long long now = now_ms();

	if (trust_events && e->watched &&
	    now - e->checked < DOC_CACHE_RECHECK_MS)
		return 0;
	e->checked = now;
	return 1;
}

int
file_cache_fds(struct pollfd *p)
{
	int n = 0;

	if (watch_fd >= 0)
		p[n++] = (struct pollfd){.fd = watch_fd, .events = POLLIN};
	/* mountinfo(5) shows a change of the mounts as POLLPRI */
	if (mounts_fd >= 0)
		p[n++] = (struct pollfd){.fd = mounts_fd, .events = POLLPRI};
	return n;
}

void
file_cache_forget(void)
{
	char events[4096];
	unsigned i;

	for (i = 0; cache != NULL && i < DOC_CACHE; i++)
		cache[i].path[0] = '\0';
	/* The watches go (each removal is an event), then the events are
	 * read: whatever they told of, no copy is left.  (Closing the
	 * descriptor would wait for the kernel's grace period, 10-25 ms.) */
	while (nwds > 0)
		inotify_rm_watch(watch_fd, wds[--nwds]);
	while (watch_fd >= 0 && read(watch_fd, events, sizeof events) > 0)
		;
}

#else
/* The router build (size before speed) checks every copy with a stat. */
#define watch_path(path, st) 0
#define needs_stat(e, trust_events) ((void)(trust_events), 1)

int
file_cache_fds(struct pollfd *p)
{
	(void)p;
	return 0;
}

void
file_cache_forget(void)
{
}
#endif

int
file_cached(const char *path, struct target *t, int trust_events)
{
	struct cached *e;
	struct stat st;
	size_t i, len = strlen(path);
	const char *slash;

	if (cache == NULL || len >= DOC_CACHE_PATH)
		return 0;
	for (i = 0; i < DOC_CACHE; i++)
		if (memcmp(cache[i].path, path, len + 1) == 0)
			break;
	if (i == DOC_CACHE)
		return 0;
	e = &cache[i];
	if (needs_stat(e, trust_events) &&
	    (fstatat(cfg.root_fd, path + 1, &st, 0) < 0 ||
	     !same_file(&st, &e->st))) {
		e->path[0] = '\0';
		return 0;
	}
	t->fd = -1;
	t->dir_fd = cfg.root_fd;
	t->readable = 1;
	t->st = e->st;
	memcpy(t->rel, path + 1, len);
	slash = strrchr(t->rel, '/');
	t->name = slash ? slash + 1 : t->rel;
	t->script_len = len;
	t->path_info = "";
	t->body = e->body;
	return 1;
}

void
file_cache_put(const char *path, const struct target *t)
{
	struct cached *e;
	size_t len = strlen(path);

	/* only a path that names the file as it is (no "//" in it) */
	if (!t->readable || !S_ISREG(t->st.st_mode) ||
	    t->st.st_size > SMALL_DOC || len >= DOC_CACHE_PATH ||
	    strcmp(t->rel, path + 1) != 0 ||
	    t->st.st_ctim.tv_sec > now_s() - DOC_CACHE_SETTLE ||
	    !local_fs(t->fd))
		return;
	if (cache == NULL) {
		cache = mmap(NULL, DOC_CACHE * sizeof *cache,
		             PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		             -1, 0);
		if (cache == MAP_FAILED) {
			cache = NULL;
			return;
		}
		/* a child has no use for it: fork copies none of it */
		madvise(cache, DOC_CACHE * sizeof *cache, MADV_DONTFORK);
	}
	e = &cache[cache_next++ % DOC_CACHE];
	e->path[0] = '\0';
	/* watched before it is read: a write after the read is an event */
	e->watched = watch_path(path, &t->st);
	if (pread(t->fd, e->body, (size_t)t->st.st_size, 0) != t->st.st_size)
		return;
	e->st = t->st;
	if (e->watched)
		e->checked = now_ms();  /* watch_path's stat */
	memcpy(e->path, path, len + 1);
}

void
file_cache_drop(void)
{
	cache = NULL;          /* not mapped in a child (MADV_DONTFORK) */
#ifndef CGID_NO_WATCH
	if (watch_fd >= 0)
		close(watch_fd);
	if (mounts_fd >= 0)
		close(mounts_fd);
	watch_fd = mounts_fd = -1;
#endif
}

/* Extension and media type pairs (see http_pair). */
static const char mime[] =
	"html\0text/html; charset=utf-8\0"
	"htm\0text/html; charset=utf-8\0"
	"css\0text/css; charset=utf-8\0"
	"js\0text/javascript; charset=utf-8\0"
	"mjs\0text/javascript; charset=utf-8\0"
	"json\0application/json\0"
	"txt\0text/plain; charset=utf-8\0"
	"md\0text/markdown; charset=utf-8\0"
	"csv\0text/csv; charset=utf-8\0"
	"xml\0application/xml\0"
	"svg\0image/svg+xml\0"
	"png\0image/png\0"
	"jpg\0image/jpeg\0"
	"jpeg\0image/jpeg\0"
	"gif\0image/gif\0"
	"webp\0image/webp\0"
	"avif\0image/avif\0"
	"ico\0image/vnd.microsoft.icon\0"
	"pdf\0application/pdf\0"
	"wasm\0application/wasm\0"
	"woff\0font/woff\0"
	"woff2\0font/woff2\0"
	"ttf\0font/ttf\0"
	"otf\0font/otf\0"
	"mp3\0audio/mpeg\0"
	"ogg\0audio/ogg\0"
	"wav\0audio/wav\0"
	"mp4\0video/mp4\0"
	"webm\0video/webm\0"
	"zip\0application/zip\0"
	"gz\0application/gzip\0"
	"tar\0application/x-tar\0";

/* Look ext up in /etc/mime.types ("type ext ext ..." lines), read once
 * and only when the built-in table has no answer. */
static const char *
system_mime(const char *ext)
{
	static char types[MAX_MIME_TYPES_FILE + 1], found[128];
	static int loaded;
	size_t el = strlen(ext);
	char *line, *p, *end;
	int fd;
	ssize_t n;

	if (!loaded) {
		loaded = 1;
		fd = open("/etc/mime.types", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, types, MAX_MIME_TYPES_FILE);
			types[n > 0 ? n : 0] = '\0';
			close(fd);
		}
	}
	for (line = types; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (*line == '#')
			continue;
		for (p = line; p < end && *p != ' ' && *p != '\t'; p++)
			;
		size_t tl = (size_t)(p - line);
		while (p < end) {
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			char *w = p;
			while (p < end && *p != ' ' && *p != '\t')
				p++;
			if ((size_t)(p - w) == el && strncasecmp(w, ext, el) == 0 &&
			    tl + 16 < sizeof found) {
				memcpy(found, line, tl);
				found[tl] = '\0';
				/* RFC 6838 §4.2.1: text types want a charset */
				if (strncmp(found, "text/", 5) == 0)
					memcpy(found + tl, "; charset=utf-8", 16);
				return found;
			}
		}
	}
	return NULL;
}

const char *
file_mime(const char *name)
{
	const char *dot = strrchr(name, '.'), *t;

	if (dot != NULL && strchr(dot, '/') == NULL) {
		if ((t = http_pair(mime, dot + 1)) != NULL)
			return t;
		if (dot[1] != '\0' && (t = system_mime(dot + 1)) != NULL)
			return t;
	}
	return "application/octet-stream";
}

int
file_url_encode(const char *path, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char ch;

	/* RFC 3986 §3.3: pchar and '/' stay, the rest is percent-encoded */
	for (; *path; path++) {
		ch = (unsigned char)*path;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~!$&'()*+,;=:@/", ch)) {
			if (o + 1 >= size)
				return -1;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= size)
				return -1;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}

#ifndef CGID_NO_LISTING
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
addr_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return (x > y) - (x < y);
}

/*
 * The listing's entries are full: keep the first half of them in name
 * order, and the names' space they take, moved together at its start.
 * cut becomes the first name dropped (no later one can be listed).
 * Returns how many were dropped.
 */
static size_t
drop_later_half(char **e, size_t *n, char *names, size_t *nl, char *cut)
{
	size_t keep = *n / 2, i, l;

	qsort(e, *n, sizeof *e, name_cmp);
	strcpy(cut, e[keep]);
	/* in the order of their places, each moves down, never over one
	 * not moved yet */
	qsort(e, keep, sizeof *e, addr_cmp);
	for (*nl = 0, i = 0; i < keep; i++) {
		l = strlen(e[i]) + 1;
		memmove(names + *nl, e[i], l);
		e[i] = names + *nl;
		*nl += l;
	}
	l = *n - keep;
	*n = keep;
	return l;
}

/* Append s to the listing, HTML-escaped when escape is set; what does
 * not fit below size (a reserve for the page's end is kept by the
 * caller) is cut. */
static void
page_put(char *buf, size_t *len, size_t size, const char *s, int escape)
{
	for (; *s; s++) {
		const char *e = !escape ? NULL : *s == '<' ? "&lt;" :
		                *s == '>' ? "&gt;" : *s == '&' ? "&amp;" :
		                *s == '"' ? "&quot;" : *s == '\'' ? "&#39;" : NULL;
		size_t n = e ? strlen(e) : 1;
		if (*len + n >= size)
			return;
		memcpy(buf + *len, e ? e : s, n);
		*len += n;
	}
}

static int etag_matches(const struct request *req, const char *name,
                        const char *etag, int weak);

int
file_list(struct conn *c, const struct request *req)
{
	static char page[MAX_LISTING], names[MAX_LISTING];
	static char *sorted[MAX_LISTING_ENTRIES];
	char href[3 * 256 + 8], entry[256 + 2], cut[256 + 2] = "";
	char link[MAX_PATH + 256];
	struct response r;
	struct dirent *d;
	size_t len = 0, nl = 0, n = 0, i, omitted = 0;
	DIR *dir;
	int fd;

	fd = open_beneath(cfg.root_fd, req->path[1] ? req->path + 1 : ".",
	                  O_RDONLY | O_DIRECTORY);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		http_response_init(&r, S_NOT_FOUND);
		return conn_respond_error(c, req, &r);
	}
	/* RFC 9110 §13.1.1, §13.1.2: a listing has a current representation
	 * but no entity-tag, so only "*" matches it: If-Match without it
	 * fails (412), If-None-Match with it holds (304) */
	http_response_init(&r, S_OK);
	if (etag_matches(req, "If-Match", "", 0) == 0)
		r.status = S_PRECONDITION_FAILED;
	else if (etag_matches(req, "If-None-Match", "", 1) == 1)
		r.status = S_NOT_MODIFIED;
	if (r.status != S_OK) {
		closedir(dir);
		return r.status == S_NOT_MODIFIED ? conn_respond(c, req, &r, NULL, 0)
		                                  : conn_respond_error(c, req, &r);
	}
	/* A directory with more entries than fit lists the first ones in
	 * name order: when the slots or the names' space run out, the
	 * later half in order is dropped, and no name from the first one
	 * dropped on is taken again. */
	while ((d = readdir(dir)) != NULL) {
		size_t l = strlen(d->d_name);
		int is_dir = d->d_type == DT_DIR;
		/* hidden elements are never served, nor are FIFOs, sockets
		 * and devices (403 or 404): none is listed */
		if (d->d_name[0] == '.' ||
		    (d->d_type != DT_DIR && d->d_type != DT_REG &&
		     d->d_type != DT_LNK && d->d_type != DT_UNKNOWN))
			continue;
		if (d->d_type == DT_LNK || d->d_type == DT_UNKNOWN) {
			/* listed as what a lookup finds, and not at all
			 * where it refuses (a link out of the root, or to
			 * nothing, or to no directory or regular file) */
			struct stat st;
			int lfd = snprintf(link, sizeof link, "%s%s",
			                   req->path + 1, d->d_name) <
			                  (int)sizeof link
			          ? open_beneath(cfg.root_fd, link, O_PATH) : -1;
			if (lfd < 0)
				continue;
			if (fstat(lfd, &st) < 0)
				st.st_mode = 0;
			close(lfd);
			if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
				continue;
			is_dir = S_ISDIR(st.st_mode);
		}
		memcpy(entry, d->d_name, l);
		if (is_dir)
			entry[l++] = '/';
		entry[l] = '\0';
		if (n == MAX_LISTING_ENTRIES || nl + l + 1 > sizeof names)
			omitted += drop_later_half(sorted, &n, names, &nl, cut);
		if (cut[0] != '\0' && strcmp(entry, cut) >= 0) {
			omitted++;
			continue;
		}
		memcpy(names + nl, entry, l + 1);
		sorted[n++] = names + nl;
		nl += l + 1;
	}
	closedir(dir);
	qsort(sorted, n, sizeof *sorted, name_cmp);
	/* the entries stop short of the end, which always fits */
	static const char tail[] = "</ul></body></html>\n";
	size_t room = sizeof page - sizeof tail - 64;

	page_put(page, &len, room, "<!DOCTYPE html>\n<html><head><title>Index of ", 0);
	page_put(page, &len, room, req->path, 1);
	page_put(page, &len, room, "</title></head><body><h1>Index of ", 0);
	page_put(page, &len, room, req->path, 1);
	page_put(page, &len, room, "</h1>\n<ul>\n", 0);
	for (i = 0; i < n; i++) {
		size_t before = len;
		if (file_url_encode(sorted[i], href, sizeof href) < 0)
			continue;
		/* "./" first: a name with ':' in its first segment would
		 * be read as a scheme, "javascript:" too (RFC 3986 §4.2) */
		page_put(page, &len, room, "<li><a href=\"./", 0);
		page_put(page, &len, room, href, 1);
		page_put(page, &len, room, "\">", 0);
		page_put(page, &len, room, sorted[i], 1);
		page_put(page, &len, room, "</a></li>\n", 0);
		if (len + 1 >= room || page[len - 1] != '\n') {
			len = before; /* an entry that does not fit is left out */
			omitted += n - i;
			break;
		}
	}
	if (omitted > 0) {
		/* the reserve of 64 bytes holds it */
		char more[64];
		snprintf(more, sizeof more, "<li>(%zu more not listed)</li>\n",
		         omitted);
		page_put(page, &len, sizeof page, more, 0);
	}
	page_put(page, &len, sizeof page, tail, 0);
	http_add_header(&r, "Content-Type", "text/html; charset=utf-8", 24, 0);
	r.content_length = (long long)len;
	return conn_respond(c, req, &r, page, len);
}
#endif

/* Does the If-Match / If-None-Match list name, over all its lines (RFC
 * 9110 §5.3), match our entity-tag (§13.1.1, §13.1.2)?  -1 when the
 * request has no such field.  weak: compare ignoring W/ (If-None-Match),
 * else strong only. */
static int
etag_matches(const struct request *req, const char *name, const char *etag,
             int weak)
{
	const struct header *h;
	const char *p, *end, *s, *q;
	size_t el = strlen(etag), pos = 0;
	int found = -1;

	while ((h = http_header(req, name, &pos)) != NULL) {
		found = found > 0;
		for (p = h->value, end = p + h->value_len; p < end; p = q + 1) {
			while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			if (p == end)
				break;
			if (*p == '*')
				return 1;
			s = p;
			if (end - p > 2 && p[0] == 'W' && p[1] == '/') {
				p += 2;
				if (!weak)
					s = NULL;
			}
			/* §13.1.1, §13.1.2: "*" or #entity-tag.  A field that
			 * is no such list matches nothing, wherever in it the
			 * fault lies: a tag followed by more than OWS before
			 * the next comma ends no element (OWS is SP or HTAB, and
			 * no other control reaches here), and is not taken. */
			if (*p != '"' ||
			    (q = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL ||
			    (q + 1 < end && q[1] != ',' &&
			     (unsigned char)q[1] > ' '))
				return 0;
			if (s != NULL && (size_t)(q + 1 - p) == el &&
			    memcmp(p, etag, el) == 0)
				found = 1;
		}
	}
	return found;
}

/* The digits at p as a byte position; one past what an off_t holds
 * stands for "beyond any end" (LLONG_MAX). */
static const char *
range_pos(const char *p, const char *end, long long *v)
{
	for (*v = 0; p < end && *p >= '0' && *p <= '9'; p++)
		*v = *v > (LLONG_MAX - 9) / 10 ? LLONG_MAX : *v * 10 + (*p - '0');
	return p;
}

/* Parse a single "bytes=" range against size (RFC 9110 §14.1.2).
 * Returns 1 for a satisfiable range, 0 to ignore the field, -1 for 416. */
static int
parse_range(const char *v, size_t len, off_t size, off_t *from, off_t *to)
{
	const char *p = v, *end = v + len;
	long long a = -1, b = -1;

	if (len < 7 || strncasecmp(v, "bytes=", 6) != 0)
		return 0;
	p += 6;
	if (memchr(p, ',', (size_t)(end - p)))
		return 0; /* several ranges: we answer with the whole document */
	if (p < end && *p >= '0' && *p <= '9')
		p = range_pos(p, end, &a);
	if (p == end || *p++ != '-')
		return 0;
	if (p < end && *p >= '0' && *p <= '9')
		p = range_pos(p, end, &b);
	if (p != end || (a < 0 && b < 0))
		return 0;
	if (a < 0) {
		/* suffix-range: the last b bytes; one of an empty document
		 * is satisfiable but has no bytes to send (§14.1.1): the
		 * field is ignored and the whole, empty, document sent */
		if (b == 0)
			return -1;
		if (size == 0)
			return 0;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	if (b >= 0 && b < a)
		return 0; /* invalid range-spec: ignore the field */
	if (a >= size)
		return -1;
	*from = a;
	*to = b < 0 || b >= size ? size - 1 : b;
	return 1;
}

/* Is the weight among an Accept-Encoding element's parameters, p..end,
 * zero: "q=0", "q=0.0" to "q=0.000" (RFC 9110 §12.4.2)?  A weight is the
 * only parameter a coding has there (§12.5.3). */
static int
q_zero(const char *p, const char *end)
{
	if ((p = memchr(p, '=', (size_t)(end - p))) == NULL || ++p == end ||
	    *p != '0')
		return 0;
	while (++p < end && (*p == '0' || *p == '.'))
		;
	return p == end || *p == ' ' || *p == '\t';
}

/* Does Accept-Encoding admit gzip (RFC 9110 §12.5.3)?  gzip (or x-gzip,
 * §8.4.1.3) by name decides, over every element of every line; else "*",
 * which stands for the codings not named; a weight of 0 means not
 * acceptable. */
static int
accepts_gzip(const struct request *req)
{
	const struct header *h;
	size_t pos = 0, tl;
	const char *p, *end, *e, *t;
	int gzip = -1, any = -1;

	while ((h = http_header(req, "Accept-Encoding", &pos)) != NULL) {
		for (p = h->value, end = p + h->value_len; p < end; p = e + 1) {
			if ((e = memchr(p, ',', (size_t)(end - p))) == NULL)
				e = end;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			for (t = p; t < e && *t != ';' && *t != ' ' && *t != '\t'; t++)
				;
			tl = (size_t)(t - p);
			if ((tl == 4 && strncasecmp(p, "gzip", 4) == 0) ||
			    (tl == 6 && strncasecmp(p, "x-gzip", 6) == 0))
				gzip = gzip > 0 || !q_zero(t, e);
			else if (tl == 1 && *p == '*')
				any = !q_zero(t, e);
		}
	}
	return gzip >= 0 ? gzip : any > 0;
}

/* --gzip-static: FILE.gz stands for FILE when the client takes it.
 * Returns 0 without a twin, 1 with one the client does not take, 2 with
 * one it takes (then *fd is the twin's, *gz its status).  Out of line:
 * the name's buffer stays off the stack of every document. */
static int __attribute__((noinline))
gzip_twin(const struct request *req, const struct target *t, struct stat *gz,
          int *fd)
{
	char name[MAX_PATH + 4];
	int gfd, found = 0;

	if (snprintf(name, sizeof name, "%s.gz", t->rel) >= (int)sizeof name)
		return 0;
	gfd = open_beneath(cfg.root_fd, name, O_RDONLY | O_NONBLOCK);
	if (gfd >= 0 && fstat(gfd, gz) == 0 && S_ISREG(gz->st_mode)) {
		found = 1;
		if (accepts_gzip(req)) {
			*fd = gfd;
			return 2;
		}
	}
	if (gfd >= 0)
		close(gfd);
	return found;
}

/* The date of the field name, -1 for none.  RFC 9110 §13.1.3, §13.1.4:
 * a field on several lines is a list of dates (§5.3), which is no
 * HTTP-date, and must be ignored like any value that is none. */
static time_t
field_date(const struct request *req, const char *name, time_t now)
{
	size_t pos = 0;
	const struct header *h = http_header(req, name, &pos);

	if (h == NULL || http_header(req, name, &pos) != NULL)
		return -1;
	return http_parse_date(h->value, h->value_len, now);
}

int
file_serve(struct conn *c, const struct request *req, struct target *t,
           struct response *r)
{
	const struct header *h;
	struct stat gz;
	const struct stat *st = &t->st;
	int gzip = 0;
	char etag[80], lm[32];
	size_t n;
	time_t since, mtime, now;
	off_t from = 0, to;
	int fd, k, range = 0, rc = -1;

	/* file_resolve opened a document for reading; one it could not
	 * open so is not served */
	if (!t->readable) {
		http_response_init(r, S_FORBIDDEN);
		return conn_respond_error(c, req, r);
	}
	fd = t->fd;
	/* (a kept body has no twin: the listener sends --gzip-static
	 * requests to a child) */
	if (cfg.gzip_static && t->body == NULL &&
	    (gzip = gzip_twin(req, t, &gz, &fd)) == 2)
		st = &gz;
	/* "INODE-SIZE-MTIME.NS" in hex: a new version of the file changes
	 * it, and it is made without printf on every response */
	n = 0;
	etag[n++] = '"';
	n += http_num(etag + n, (unsigned long long)st->st_ino, 16);
	etag[n++] = '-';
	n += http_num(etag + n, (unsigned long long)st->st_size, 16);
	etag[n++] = '-';
	n += http_num(etag + n, (unsigned long long)st->st_mtim.tv_sec, 16);
	etag[n++] = '.';
	n += http_num(etag + n, (unsigned long long)st->st_mtim.tv_nsec, 16);
	etag[n++] = '"';
	etag[n] = '\0';
	/* RFC 9110 §8.8.2.1: never later than the response's Date; the
	 * conditions below compare the time sent */
	if ((mtime = st->st_mtim.tv_sec) > (now = now_s()))
		mtime = now;
	http_date(mtime, lm);

	to = st->st_size - 1;
	http_response_init(r, S_OK);
	/* RFC 9110 §13.2.2: the order of evaluation of preconditions. */
	if ((k = etag_matches(req, "If-Match", etag, 0)) >= 0) {
		if (k == 0)
			r->status = S_PRECONDITION_FAILED;
	} else if ((since = field_date(req, "If-Unmodified-Since", now)) != -1 &&
	           mtime > since) {
		r->status = S_PRECONDITION_FAILED;
	}
	if (r->status != S_OK) {
		/* 412 */
	} else if ((k = etag_matches(req, "If-None-Match", etag, 1)) >= 0) {
		if (k == 1)
			r->status = S_NOT_MODIFIED;
	} else if ((since = field_date(req, "If-Modified-Since", now)) != -1 &&
	           mtime <= since) {
		r->status = S_NOT_MODIFIED;
	}
	if (r->status == S_OK && req->method == M_GET &&
	    (h = http_header(req, "Range", NULL)) != NULL) {
		const struct header *ir = http_header(req, "If-Range", NULL);
		/* §13.1.5: the range only if If-Range holds our strong tag.
		 * A date would have to be a strong validator (§8.8.2.2: the
		 * document known not to have changed twice within that
		 * second), which a file's time cannot show: with a date,
		 * the whole document is sent. */
		if (ir == NULL || (ir->value_len == strlen(etag) &&
		                   memcmp(ir->value, etag, ir->value_len) == 0))
			range = parse_range(h->value, h->value_len, st->st_size,
			                    &from, &to);
	}
	if (r->status == S_PRECONDITION_FAILED) {
		if (fd != t->fd)
			close(fd);
		return conn_respond_error(c, req, r);
	}
	http_add_header(r, "Last-Modified", lm, strlen(lm), 1);
	http_add_header(r, "ETag", etag, strlen(etag), 1);
	if (gzip)
		http_add_header(r, "Vary", "Accept-Encoding", 15, 0);
	if (r->status == S_NOT_MODIFIED) {
		rc = conn_respond(c, req, r, NULL, 0);
		if (fd != t->fd)
			close(fd);
		return rc;
	}
	http_add_header(r, "Accept-Ranges", "bytes", 5, 0);
	if (range < 0) {
		if (fd != t->fd)
			close(fd);
		r->status = S_RANGE_NOT_SATISFIABLE;
		http_add_headerf(r, "Content-Range", "bytes */%lld",
		                 (long long)st->st_size);
		return conn_respond_error(c, req, r);
	}
	/* only on the bytes of FILE.gz: not on a 304 (§15.4.5) or the
	 * page of an error */
	if (gzip == 2)
		http_add_header(r, "Content-Encoding", "gzip", 4, 0);
	if (range > 0) {
		r->status = S_PARTIAL_CONTENT;
		http_add_headerf(r, "Content-Range", "bytes %lld-%lld/%lld",
		                 (long long)from, (long long)to,
		                 (long long)st->st_size);
	}
	{
		const char *type = file_mime(t->name);
		http_add_header(r, "Content-Type", type, strlen(type), 0);
	}
	r->content_length = st->st_size == 0 ? 0 : to - from + 1;
	if (t->body != NULL)
		rc = conn_respond(c, req, r, t->body + from,
		                  (size_t)r->content_length);
	else
		rc = conn_respond_file(c, req, r, fd, from, r->content_length);
	if (fd != t->fd)
		close(fd);
	return rc;
}
