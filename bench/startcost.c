/* startcost: the cost of one start of a per-connection server, from exec
 * to exit, on a connection whose request is already waiting.
 *
 *   startcost COUNT PROGRAM [ARGS...]
 *
 * For each of COUNT runs: make a socketpair, write one GET request (with
 * Connection: close) into it and shut down its writing side, start
 * PROGRAM with the other end as fd 0 and fd 1, and time from the spawn
 * to the reaping of the process.  Every response must begin with a 200
 * status line.  Prints "MEDIAN_US MIN_US MAX_US" over the runs that
 * follow a few untimed warm-up runs. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 10

extern char **environ;

static const char request[] =
	"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	"User-Agent: startcost\r\nConnection: close\r\n\r\n";

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
one_run(char **argv)
{
	posix_spawn_file_actions_t fa;
	char resp[512];
	size_t have = 0;
	ssize_t r;
	double t0, t1;
	int sv[2], st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("startcost: socketpair");
		exit(1);
	}
	if (write(sv[0], request, sizeof request - 1) !=
	    (ssize_t)(sizeof request - 1) || shutdown(sv[0], SHUT_WR) < 0) {
		perror("startcost: write");
		exit(1);
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	t0 = now_us();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		perror("startcost: spawn");
		exit(1);
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("startcost: waitpid");
		exit(1);
	}
	t1 = now_us();
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	while (have < sizeof resp - 1 &&
	       (r = read(sv[0], resp + have, sizeof resp - 1 - have)) > 0)
		have += (size_t)r;
	resp[have] = '\0';
	close(sv[0]);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    (strncmp(resp, "HTTP/1.1 200 ", 13) != 0 &&
	     strncmp(resp, "HTTP/1.0 200 ", 13) != 0)) {
		fprintf(stderr, "startcost: %s: bad run (status %d): %.60s\n",
		        argv[0], st, resp);
		exit(1);
	}
	return t1 - t0;
}

int
main(int argc, char **argv)
{
	double *t;
	long n, i;

	if (argc < 3 || (n = atol(argv[1])) < 1 || n > 1000000) {
		fprintf(stderr, "usage: startcost COUNT PROGRAM [ARGS...]\n");
		return 2;
	}
	t = malloc((size_t)n * sizeof *t);
	if (t == NULL)
		return 1;
	for (i = 0; i < WARMUP; i++)
		one_run(argv + 2);
	for (i = 0; i < n; i++)
		t[i] = one_run(argv + 2);
	qsort(t, (size_t)n, sizeof *t, cmp);
	printf("%.1f %.1f %.1f\n", n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2,
	       t[0], t[n - 1]);
	return 0;
}
