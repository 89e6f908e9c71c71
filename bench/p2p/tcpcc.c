/*
 * tcpcc.so — an LD_PRELOAD shim that sets the TCP congestion control of every
 * TCP socket a program connects to $IVXS_TCP_CC (setsockopt TCP_CONGESTION),
 * for the p2p benchmark's TCP sender (Node has no setsockopt).
 *
 * Why not the namespace's sysctl: outside the initial namespace only the
 * algorithms in net.ipv4.tcp_allowed_congestion_control (a global list, here
 * "reno bbr") may be the default, and changing that list changes the whole
 * machine. A socket option set with CAP_NET_ADMIN may pick any available one.
 * If the option cannot be set, or reads back different, the program stops
 * (exit 97): a baseline on the wrong algorithm must not pass silently.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int (*ConnectFn)(int, const struct sockaddr *, socklen_t);

int connect(int fd, const struct sockaddr *address, socklen_t length)
{
	static ConnectFn next = NULL;
	const char *want = getenv("IVXS_TCP_CC");
	int type = 0;
	socklen_t size = sizeof type;

	if (!next) next = (ConnectFn)dlsym(RTLD_NEXT, "connect");
	if (want && *want && address && (address->sa_family == AF_INET || address->sa_family == AF_INET6)
			&& getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM) {
		char got[32] = { 0 };
		socklen_t gotSize = sizeof got - 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, want, (socklen_t)strlen(want)) != 0
				|| getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, got, &gotSize) != 0 || strcmp(got, want) != 0) {
			fprintf(stderr, "tcpcc: cannot set TCP congestion control \"%s\" (got \"%s\")\n", want, got);
			_exit(97);
		}
	}
	return next(fd, address, length);
}
