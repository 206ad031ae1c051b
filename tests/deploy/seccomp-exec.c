/*
 * seccomp-exec - run a program under a system call filter like the one
 * systemd builds for SystemCallFilter=, SystemCallErrorNumber=EPERM,
 * SystemCallArchitectures=native, RestrictAddressFamilies= and
 * MemoryDenyWriteExecute=yes, for the tests of the shipped units (where
 * systemd cannot run as PID 1).
 *
 *   seccomp-exec NUMBERS FAMILIES -- PROGRAM [ARGS...]
 *
 * NUMBERS is a file of the allowed system call numbers, one a line; every
 * other call fails with EPERM.  FAMILIES is a comma-separated list of the
 * address families socket(2) may create (e.g. 1,2,10); others fail with
 * EAFNOSUPPORT.  mmap with PROT_WRITE|PROT_EXEC, and mprotect or
 * pkey_mprotect with PROT_EXEC, fail with EPERM.  A call of another
 * architecture than the program's own fails with EPERM.  The caller must
 * have set no_new_privs (setpriv --no-new-privs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define ARCH AUDIT_ARCH_I386
#else
#error "seccomp-exec: unknown architecture"
#endif

#define MAX_PROG 4000

static struct sock_filter prog[MAX_PROG];
static unsigned short len;

static void
emit(unsigned short code, unsigned int k, unsigned char jt, unsigned char jf)
{
	if (len == MAX_PROG) {
		fprintf(stderr, "seccomp-exec: filter too long\n");
		exit(125);
	}
	prog[len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

#define LOAD(off) emit(BPF_LD | BPF_W | BPF_ABS, (off), 0, 0)
#define RET(v) emit(BPF_RET | BPF_K, (v), 0, 0)
#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define NR offsetof(struct seccomp_data, nr)
#define ARG(i) offsetof(struct seccomp_data, args[i]) /* low half (LE) */

/* if (A & mask) == mask: return EPERM; A is reloaded with the nr after */
static void
deny_flags(unsigned int nr, int arg, unsigned int mask)
{
	emit(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 4);
	LOAD(ARG(arg));
	emit(BPF_ALU | BPF_AND | BPF_K, mask, 0, 0);
	emit(BPF_JMP | BPF_JEQ | BPF_K, mask, 0, 1);
	RET(ERRNO(EPERM));
	LOAD(NR);
}

int
main(int argc, char **argv)
{
	struct sock_fprog fp;
	unsigned long n;
	char line[64], *fam, *end;
	FILE *f;

	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: seccomp-exec NUMBERS FAMILIES -- PROGRAM [ARGS...]\n");
		return 125;
	}
	/* the architecture, then no x32 calls */
	LOAD(offsetof(struct seccomp_data, arch));
	emit(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
	RET(ERRNO(EPERM));
	LOAD(NR);
#ifdef __x86_64__
	emit(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
	RET(ERRNO(EPERM));
#endif
	/* MemoryDenyWriteExecute=yes */
	deny_flags(SYS_mmap, 2, PROT_WRITE | PROT_EXEC);
	deny_flags(SYS_mprotect, 2, PROT_EXEC);
#ifdef SYS_pkey_mprotect
	deny_flags(SYS_pkey_mprotect, 2, PROT_EXEC);
#endif
	/* RestrictAddressFamilies= */
	emit(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 0);
	{
		unsigned short at = (unsigned short)(len - 1), k;
		unsigned long fams[16];
		int nf = 0;

		for (fam = strtok(argv[2], ","); fam && nf < 16; fam = strtok(NULL, ","))
			fams[nf++] = strtoul(fam, NULL, 10);
		/* jf of the nr test skips the family block */
		prog[at].jf = (unsigned char)(1 + nf + 2);
		LOAD(ARG(0));
		for (k = 0; k < nf; k++)
			emit(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)fams[k],
			     (unsigned char)(nf - k), 0);
		RET(ERRNO(EAFNOSUPPORT));
		RET(SECCOMP_RET_ALLOW);
	}
	/* SystemCallFilter=: the allowed numbers */
	f = fopen(argv[1], "r");
	if (f == NULL) {
		perror(argv[1]);
		return 125;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		n = strtoul(line, &end, 10);
		if (end == line)
			continue;
		emit(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)n, 0, 1);
		RET(SECCOMP_RET_ALLOW);
	}
	fclose(f);
	/* SystemCallErrorNumber=EPERM */
	RET(ERRNO(EPERM));

	fp.len = len;
	fp.filter = prog;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0) {
		perror("seccomp-exec: PR_SET_SECCOMP");
		return 125;
	}
	execv(argv[4], argv + 4);
	perror(argv[4]);
	return 127;
}
