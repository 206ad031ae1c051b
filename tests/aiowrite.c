/*
 * aiowrite FILE BYTES: write BYTES at the start of FILE with Linux AIO
 * (io_submit), a write the kernel reports to no inotify watch.
 */
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	aio_context_t ctx = 0;
	struct iocb cb = {0}, *cbs[1] = {&cb};
	struct io_event ev;
	int fd;

	if (argc != 3 || (fd = open(argv[1], O_WRONLY)) < 0) {
		fprintf(stderr, "usage: aiowrite FILE BYTES\n");
		return 2;
	}
	cb.aio_fildes = (unsigned)fd;
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_buf = (unsigned long)argv[2];
	cb.aio_nbytes = strlen(argv[2]);
	if (syscall(SYS_io_setup, 1, &ctx) < 0 ||
	    syscall(SYS_io_submit, ctx, 1, cbs) != 1 ||
	    syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1 ||
	    ev.res != (long long)cb.aio_nbytes) {
		perror("aiowrite");
		return 1;
	}
	return 0;
}
