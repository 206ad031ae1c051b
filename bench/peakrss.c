/* peakrss: the peak resident set size of the per-connection processes
 * of a server.
 *
 *   peakrss PARENT_PID NAME SECONDS
 *
 * Watches the processes called NAME whose parent is PARENT_PID (the
 * socket activator or the listening server, whose children serve one
 * connection each) and reads VmHWM, the kernel's high-water mark of the
 * resident set, from /proc/PID/status about every 2 ms while each lives.
 * VmHWM only grows, so the last reading before a process exits is its
 * peak (to within the last 2 ms of its life).  Stops once every process
 * seen has exited, after SECONDS, or on SIGTERM/SIGINT, and prints
 * "PEAK_KIB PROCESSES_SEEN". */
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXP 256
#define MAXIGN 65536

static volatile sig_atomic_t stop;
static long ignored[MAXIGN], seen[MAXIGN];
static int nignored, nseen;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
member(const long *set, int n, long pid)
{
	for (int i = 0; i < n; i++)
		if (set[i] == pid)
			return 1;
	return 0;
}

/* 1 if PID is a child of PARENT called NAME, 0 if it is another child of
 * PARENT (perhaps not yet past its exec), -1 if it is no child of PARENT. */
static int
classify(long pid, long parent, const char *name)
{
	char path[64], buf[512], *rp;
	FILE *f;
	long ppid;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* pid (comm) state ppid ... ; comm may hold spaces and parens */
	rp = strrchr(buf, ')');
	if (rp == NULL || sscanf(rp + 1, " %*c %ld", &ppid) != 1)
		return 0;
	if (ppid != parent)
		return -1;
	*rp = '\0';
	rp = strchr(buf, '(');
	return rp != NULL && strcmp(rp + 1, name) == 0;
}

/* VmHWM of PID in KiB, or -1 once it is gone (or a zombie). */
static long
hwm(long pid)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0) {
			v = atol(line + 6);
			break;
		}
	fclose(f);
	return v;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long parent, pids[MAXP], peak = 0;
	int npids = 0, i, k;
	struct timespec tick = {0, 1000000};
	double limit, start = now();

	if (argc != 4 || (parent = atol(argv[1])) <= 0 ||
	    (limit = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: peakrss PARENT_PID NAME SECONDS\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop && now() - start < limit) {
		int before = nseen;
		DIR *d = opendir("/proc");
		struct dirent *e;

		if (d == NULL)
			return 1;
		while ((e = readdir(d)) != NULL) {
			long pid;
			if (!isdigit((unsigned char)e->d_name[0]))
				continue;
			pid = atol(e->d_name);
			if (member(ignored, nignored, pid) ||
			    member(seen, nseen, pid))
				continue;
			switch (classify(pid, parent, argv[2])) {
			case -1:
				if (nignored < MAXIGN)
					ignored[nignored++] = pid;
				break;
			case 1:
				if (npids < MAXP && nseen < MAXIGN) {
					pids[npids++] = pid;
					seen[nseen++] = pid;
				}
				break;
			}
		}
		closedir(d);
		if (nseen > 0 && nseen == before && npids == 0)
			break;
		/* Follow the known ones closely for 50 ms before looking for
		 * new ones; with none known yet, look again after 1 ms. */
		for (k = 0; k < (npids > 0 ? 50 : 1) && !stop; k++) {
			for (i = 0; i < npids; i++) {
				long v = hwm(pids[i]);
				if (v < 0) {
					pids[i--] = pids[--npids];
					continue;
				}
				if (v > peak)
					peak = v;
			}
			nanosleep(&tick, NULL);
			if (npids > 0)
				nanosleep(&tick, NULL);
		}
	}
	printf("%ld %d\n", peak, nseen);
	return 0;
}
