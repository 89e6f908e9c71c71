/*
 * udp_socket.h on the `lin` simulator (mcsim): a non-blocking POSIX socket, polled by a Moddable timer
 * every kPollMs (lin has no descriptor watch for modules; the SDK's own socket polls too, but
 * takes one datagram per 20-ms tick: a camera with four viewers hears several hundred a second).
 * When the socket is readable the binding's callback runs, and JS reads everything waiting.
 */
#include "xsmc.h"
#include "modTimer.h"
#include "udp_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define kPollMs 5

struct ivxs_udp_platform {
	int fd;
	int error;   /* SO_ERROR taken when poll reported one, until error() reads it */
	modTimer timer;
	ivxs_udp_socket *socket;
};

static void poll_(modTimer timer, void *refcon, int refconSize)
{
	ivxs_udp_platform *platform = *(ivxs_udp_platform **)refcon;
	struct pollfd p = { platform->fd, POLLIN, 0 };
	(void)timer;
	(void)refconSize;
	if (poll(&p, 1, 0) <= 0)
		return;
	if (p.revents & POLLERR) {
		socklen_t size = sizeof(platform->error);
		getsockopt(platform->fd, SOL_SOCKET, SO_ERROR, &platform->error, &size);
	}
	/* the callback may close the socket: nothing of the platform is touched after it */
	ivxs_udp_ready(platform->socket, (p.revents & POLLIN ? IVXS_UDP_READABLE : 0) | (platform->error ? IVXS_UDP_ERROR : 0));
}

ivxs_udp_platform *ivxs_udp_platform_open(ivxs_udp_socket *owner, uint32_t address, uint16_t port, const char **why)
{
	struct sockaddr_in at;
	ivxs_udp_platform *platform = calloc(1, sizeof(*platform));
	if (!platform) {
		*why = "no memory";
		return NULL;
	}
	platform->socket = owner;
	platform->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&at, 0, sizeof(at));
	at.sin_family = AF_INET;
	at.sin_addr.s_addr = address;
	at.sin_port = port;
	if (platform->fd < 0 || bind(platform->fd, (struct sockaddr *)&at, sizeof(at)) < 0) {
		*why = strerror(errno);
		if (platform->fd >= 0)
			close(platform->fd);
		free(platform);
		return NULL;
	}
	platform->timer = modTimerAdd(kPollMs, kPollMs, poll_, &platform, sizeof(platform));
	return platform;
}

void ivxs_udp_platform_close(ivxs_udp_platform *platform)
{
	modTimerRemove(platform->timer);
	close(platform->fd);
	free(platform);
}

uint16_t ivxs_udp_platform_port(ivxs_udp_platform *platform)
{
	struct sockaddr_in at;
	socklen_t size = sizeof(at);
	if (getsockname(platform->fd, (struct sockaddr *)&at, &size) < 0)
		return 0;
	return at.sin_port;
}

int ivxs_udp_platform_take(ivxs_udp_platform *platform, void *data, size_t capacity, uint32_t *address, uint16_t *port)
{
	struct sockaddr_in from;
	socklen_t size = sizeof(from);
	ssize_t got = recvfrom(platform->fd, data, capacity, MSG_TRUNC, (struct sockaddr *)&from, &size);
	if (got < 0)
		return -1;   /* EAGAIN; a queued ICMP error (ECONNREFUSED) costs the read nothing either */
	*address = from.sin_addr.s_addr;
	*port = from.sin_port;
	return (int)got;
}

int ivxs_udp_platform_send(ivxs_udp_platform *platform, const void *data, size_t size, uint32_t address, uint16_t port)
{
	struct sockaddr_in to;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = address;
	to.sin_port = port;
	if (sendto(platform->fd, data, size, 0, (struct sockaddr *)&to, sizeof(to)) >= 0 || errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	return -1;
}

const char *ivxs_udp_platform_error(ivxs_udp_platform *platform)
{
	int error = platform->error;
	platform->error = 0;
	return error ? strerror(error) : NULL;
}
