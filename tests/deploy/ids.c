/* A CGI program that needs nothing but the kernel (built with -static):
 * its user, groups, resource limits and directory, one NAME=VALUE a line,
 * for a root that holds nothing else (--chroot). */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static void
limit(const char *name, int res)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) < 0) {
		printf("limit-%s=error\n", name);
		return;
	}
	printf("limit-%s=", name);
	if (rl.rlim_cur == RLIM_INFINITY)
		printf("unlimited ");
	else
		printf("%llu ", (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		printf("unlimited\n");
	else
		printf("%llu\n", (unsigned long long)rl.rlim_max);
}

int
main(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[64];
	char cwd[4096];
	const char *root = getenv("DOCUMENT_ROOT");
	int i, n;

	printf("Content-Type: text/plain\r\n\r\n");
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	printf("uids=%u %u %u\n", (unsigned)ru, (unsigned)eu, (unsigned)su);
	printf("gids=%u %u %u\n", (unsigned)rg, (unsigned)eg, (unsigned)sg);
	n = getgroups(64, groups);
	printf("groups=");
	for (i = 0; i < n; i++)
		printf("%s%u", i ? " " : "", (unsigned)groups[i]);
	printf("\n");
	limit("cpu", RLIMIT_CPU);
	limit("as", RLIMIT_AS);
	limit("nofile", RLIMIT_NOFILE);
	limit("nproc", RLIMIT_NPROC);
	printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
	printf("document-root=%s\n", root ? root : "");
	printf("etc-passwd=%s\n", access("/etc/passwd", F_OK) == 0 ? "present" : "absent");
	return 0;
}
