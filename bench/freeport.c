/* freeport: prints COUNT distinct TCP ports on 127.0.0.1 that nothing is
 * bound to, chosen below the usual ephemeral range so that no client
 * connection takes one before its server binds it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOW 20000
#define SPAN 12000

int
main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 1, found = 0, fds[64], i, p;
	int ports[64];

	if (count < 1 || count > 64) {
		fprintf(stderr, "usage: freeport [COUNT<=64]\n");
		return 2;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	p = LOW + rand() % SPAN;
	for (i = 0; i < SPAN && found < count; i++, p = LOW + (p - LOW + 1) % SPAN) {
		struct sockaddr_in a = {0};
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return 1;
		a.sin_family = AF_INET;
		a.sin_port = htons((unsigned short)p);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0) {
			fds[found] = fd;
			ports[found++] = p;
		} else {
			close(fd);
		}
	}
	if (found < count) {
		fprintf(stderr, "freeport: only %d free ports\n", found);
		return 1;
	}
	for (i = 0; i < found; i++) {
		close(fds[i]);
		printf("%d\n", ports[i]);
	}
	return 0;
}
