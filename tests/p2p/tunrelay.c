/*
 * tunrelay — carries IP packets between two TUN devices, each in its own
 * network namespace, and the link emulator's UDP relay (tests/p2p/link.mjs),
 * so that TCP (or any IP traffic) crosses the same link model as UDP does.
 *
 *     tunrelay <netns A> <netns B> <relay port A> <relay port B>
 *
 * For each side it enters the named namespace (/run/netns/<name>), creates a
 * TUN device "ivxsp2p" there (IFF_TUN | IFF_NO_PI: raw IP packets), returns to
 * its own namespace and opens a UDP socket on 127.0.0.1 connected to the
 * relay's face for that side. A packet read from TUN A is sent as one datagram
 * to relay face A; a datagram from face A is written to TUN A; same for B.
 * It prints "ready <udp port A> <udp port B>" and runs until stdin closes
 * (the harness's pipe: when the harness dies, the devices go with it, because
 * non-persistent TUN devices vanish when their last descriptor closes).
 *
 * Linux only, needs CAP_NET_ADMIN and CAP_SYS_ADMIN (setns). A test tool, not
 * device code: it may allocate and print freely.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define kDeviceName "ivxsp2p"
#define kMaxPacket 65536
#define kSocketBuffer (4 << 20)

typedef struct {
	int tun;
	int udp;
	unsigned short port;
	unsigned long tunToUdp, udpToTun, sendFailed, writeFailed;
} Side;

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "tunrelay: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
	return -1;
}

/* Creates the TUN device inside netns `name`, then returns to `home`. */
static int openTun(const char *name, int home)
{
	char path[256];
	int ns = -1, fd = -1, result = -1;
	struct ifreq ifr;

	if (snprintf(path, sizeof path, "/run/netns/%s", name) >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		fail("netns name", name);
		goto done;
	}
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0) { fail("open", path); goto done; }
	if (setns(ns, CLONE_NEWNET) < 0) { fail("setns", path); goto done; }
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) fail("open", "/dev/net/tun");
	else {
		memset(&ifr, 0, sizeof ifr);
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		strncpy(ifr.ifr_name, kDeviceName, IFNAMSIZ - 1);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) fail("TUNSETIFF in", name);
		else result = fd, fd = -1;
	}
	/* Back home whatever happened: the UDP sockets belong to the harness's namespace. */
	if (setns(home, CLONE_NEWNET) < 0) {
		fail("setns back", NULL);
		if (result >= 0) close(result);
		result = -1;
	}
done:
	if (fd >= 0) close(fd);
	if (ns >= 0) close(ns);
	return result;
}

static int openUdp(unsigned short relayPort, unsigned short *boundPort)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int size = kSocketBuffer;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) return fail("socket", NULL);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) goto error;
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) goto error;
	*boundPort = ntohs(a.sin_port);
	a.sin_port = htons(relayPort);
	/* Connected: only the relay's face is heard, anything else is refused by the kernel. */
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) goto error;
	return fd;
error:
	fail("udp socket", NULL);
	close(fd);
	return -1;
}

static int parsePort(const char *s, unsigned short *port)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0 || v > 65535) return -1;
	*port = (unsigned short)v;
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char packet[kMaxPacket];
	Side sides[2];
	unsigned short relayPorts[2];
	int home = -1, status = 1, i;

	memset(sides, 0, sizeof sides);
	sides[0].tun = sides[0].udp = sides[1].tun = sides[1].udp = -1;
	if (argc != 5 || parsePort(argv[3], &relayPorts[0]) || parsePort(argv[4], &relayPorts[1])) {
		fprintf(stderr, "usage: tunrelay <netns A> <netns B> <relay port A> <relay port B>\n");
		return 2;
	}
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0) { fail("open", "/proc/self/ns/net"); goto done; }
	for (i = 0; i < 2; i++) {
		sides[i].tun = openTun(argv[1 + i], home);
		if (sides[i].tun < 0) goto done;
		sides[i].udp = openUdp(relayPorts[i], &sides[i].port);
		if (sides[i].udp < 0) goto done;
	}
	printf("ready %u %u\n", sides[0].port, sides[1].port);
	fflush(stdout);

	for (;;) {
		struct pollfd p[5];
		for (i = 0; i < 2; i++) {
			p[2 * i].fd = sides[i].tun;
			p[2 * i + 1].fd = sides[i].udp;
			p[2 * i].events = p[2 * i + 1].events = POLLIN;
		}
		p[4].fd = STDIN_FILENO;
		p[4].events = POLLIN;
		if (poll(p, 5, -1) < 0) {
			if (errno == EINTR) continue;
			fail("poll", NULL);
			goto done;
		}
		if (p[4].revents) {
			/* Anything on stdin, or its end: the harness is done (or gone). */
			ssize_t n = read(STDIN_FILENO, packet, sizeof packet);
			if (n <= 0 || p[4].revents & (POLLHUP | POLLERR)) break;
		}
		for (i = 0; i < 2; i++) {
			Side *s = &sides[i];
			if (p[2 * i].revents & POLLIN) {
				ssize_t n = read(s->tun, packet, sizeof packet);
				if (n > 0) {
					/* A full socket buffer loses the packet, like a full NIC queue would. */
					if (send(s->udp, packet, (size_t)n, MSG_DONTWAIT) == n) s->tunToUdp++;
					else s->sendFailed++;
				}
			}
			if (p[2 * i + 1].revents & (POLLIN | POLLERR)) {
				ssize_t n = recv(s->udp, packet, sizeof packet, MSG_DONTWAIT);
				if (n > 0) {
					if (write(s->tun, packet, (size_t)n) == n) s->udpToTun++;
					else s->writeFailed++;
				}
			}
		}
	}
	status = 0;
	fprintf(stderr, "tunrelay: a: %lu out %lu in (%lu/%lu failed); b: %lu out %lu in (%lu/%lu failed)\n",
		sides[0].tunToUdp, sides[0].udpToTun, sides[0].sendFailed, sides[0].writeFailed,
		sides[1].tunToUdp, sides[1].udpToTun, sides[1].sendFailed, sides[1].writeFailed);
done:
	for (i = 0; i < 2; i++) {
		if (sides[i].tun >= 0) close(sides[i].tun);
		if (sides[i].udp >= 0) close(sides[i].udp);
	}
	if (home >= 0) close(home);
	return status;
}
