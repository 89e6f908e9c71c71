/*
 * Descriptor-level socket primitives for the ECMA-419 socket classes, which
 * are written in JS on top (modules/embedded/io/socket/ *.js). Non-blocking
 * IPv4 sockets; readiness comes from the host loop through watch().
 */
#define _GNU_SOURCE
#include "xsmc.h"
#include "xsHost.h"
#include "host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define kMaxFd 1024

typedef struct {
	xsSlot callback;
	int watching;
} WatchRecord;

static WatchRecord gWatches[kMaxFd];

static void toAddress(xsMachine *the, xsSlot *address, int port, struct sockaddr_in *out)
{
	const char *text;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	if (port < 0 || port > 65535)
		xsRangeError("invalid port");
	out->sin_port = htons((uint16_t)port);
	if (xsmcTypeOf(*address) == xsUndefinedType) {
		out->sin_addr.s_addr = htonl(INADDR_ANY);
		return;
	}
	text = xsmcToString(*address);
	if (!strcmp(text, "localhost"))
		text = "127.0.0.1";
	if (inet_pton(AF_INET, text, &out->sin_addr) != 1)
		xsRangeError("invalid address");
}

static void throwErrno(xsMachine *the, const char *what, int fd)
{
	int error = errno;
	if (fd >= 0)
		close(fd);
	xsUnknownError("%s: %s", what, strerror(error));
}

static int checkFd(xsMachine *the, xsSlot *slot)
{
	int fd = xsmcToInteger(*slot);
	if (fd < 0 || fd >= kMaxFd)
		xsRangeError("invalid socket");
	return fd;
}

static int newSocket(xsMachine *the, int type)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		throwErrno(the, "socket", -1);
	if (fd >= kMaxFd) {
		close(fd);
		xsRangeError("too many sockets");
	}
	return fd;
}

/* udp(address, port) -> fd */
void xs_socket_udp(xsMachine *the)
{
	struct sockaddr_in sin;
	int fd;
	toAddress(the, &xsArg(0), xsmcToInteger(xsArg(1)), &sin);
	fd = newSocket(the, SOCK_DGRAM);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		throwErrno(the, "bind", fd);
	xsmcSetInteger(xsResult, fd);
}

/* connect(address, port, nodelay) -> fd (connection in progress) */
void xs_socket_connect(xsMachine *the)
{
	struct sockaddr_in sin;
	int fd, one = 1;
	if (xsmcTypeOf(xsArg(0)) == xsUndefinedType)
		xsRangeError("address required");
	toAddress(the, &xsArg(0), xsmcToInteger(xsArg(1)), &sin);
	fd = newSocket(the, SOCK_STREAM);
	if (xsmcTest(xsArg(2)))
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS)
		throwErrno(the, "connect", fd);
	xsmcSetInteger(xsResult, fd);
}

/* listen(address, port, backlog) -> fd */
void xs_socket_listen(xsMachine *the)
{
	struct sockaddr_in sin;
	int fd, one = 1;
	toAddress(the, &xsArg(0), xsmcToInteger(xsArg(1)), &sin);
	fd = newSocket(the, SOCK_STREAM);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		throwErrno(the, "bind", fd);
	if (listen(fd, xsmcToInteger(xsArg(2))) < 0)
		throwErrno(the, "listen", fd);
	xsmcSetInteger(xsResult, fd);
}

/* accept(fd) -> fd, or undefined when none is pending */
void xs_socket_accept(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0));
	int client = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (client < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
			return;
		throwErrno(the, "accept", -1);
	}
	if (client >= kMaxFd) {
		close(client);
		return;
	}
	xsmcSetInteger(xsResult, client);
}

/* available(fd) -> bytes readable now */
void xs_socket_available(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0)), count = 0;
	if (ioctl(fd, FIONREAD, &count) < 0)
		count = 0;
	xsmcSetInteger(xsResult, count);
}

/* recvfrom(fd) -> ArrayBuffer with .address and .port, or undefined */
void xs_socket_recvfrom(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0)), size = 0;
	struct sockaddr_in from;
	socklen_t fromLength = sizeof(from);
	char text[INET_ADDRSTRLEN];
	ssize_t got;
	void *data;
	xsmcVars(1);
	if (ioctl(fd, FIONREAD, &size) < 0)
		size = 0;
	xsmcSetArrayBuffer(xsResult, NULL, size > 0 ? size : 1);
	data = xsmcToArrayBuffer(xsResult);
	got = recvfrom(fd, data, size > 0 ? (size_t)size : 1, 0, (struct sockaddr *)&from, &fromLength);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			xsmcSetUndefined(xsResult);
			return;
		}
		throwErrno(the, "recvfrom", -1);
	}
	xsmcSetArrayBufferLength(xsResult, (xsIntegerValue)got);
	inet_ntop(AF_INET, &from.sin_addr, text, sizeof(text));
	xsmcSetString(xsVar(0), text);
	xsmcSet(xsResult, xsID("address"), xsVar(0));
	xsmcSetInteger(xsVar(0), ntohs(from.sin_port));
	xsmcSet(xsResult, xsID("port"), xsVar(0));
}

/* sendto(fd, buffer, address, port) */
void xs_socket_sendto(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0));
	struct sockaddr_in to;
	void *data;
	xsUnsignedValue size;
	xsmcGetBufferReadable(xsArg(1), &data, &size);
	toAddress(the, &xsArg(2), xsmcToInteger(xsArg(3)), &to);
	if (sendto(fd, data, size, 0, (struct sockaddr *)&to, sizeof(to)) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		throwErrno(the, "sendto", -1);
}

/* read(fd, count) -> ArrayBuffer (may be shorter), undefined when nothing
 * is readable, null at end of stream */
void xs_socket_read(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0));
	int count = xsmcToInteger(xsArg(1));
	ssize_t got;
	if (count <= 0)
		xsRangeError("invalid count");
	xsmcSetArrayBuffer(xsResult, NULL, count);
	got = recv(fd, xsmcToArrayBuffer(xsResult), (size_t)count, 0);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			xsmcSetUndefined(xsResult);
			return;
		}
		throwErrno(the, "read", -1);
	}
	if (got == 0) {
		xsmcSetNull(xsResult);
		return;
	}
	xsmcSetArrayBufferLength(xsResult, (xsIntegerValue)got);
}

/* write(fd, buffer, offset) -> bytes written (0 when the kernel is full) */
void xs_socket_write(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0));
	int offset = xsmcToInteger(xsArg(2));
	void *data;
	xsUnsignedValue size;
	ssize_t put;
	xsmcGetBufferReadable(xsArg(1), &data, &size);
	if (offset < 0 || (xsUnsignedValue)offset > size)
		xsRangeError("invalid offset");
	put = send(fd, (uint8_t *)data + offset, size - (xsUnsignedValue)offset, MSG_NOSIGNAL);
	if (put < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			xsmcSetInteger(xsResult, 0);
			return;
		}
		throwErrno(the, "write", -1);
	}
	xsmcSetInteger(xsResult, (xsIntegerValue)put);
}

/* error(fd) -> pending socket error text, or undefined */
void xs_socket_error(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0)), error = 0;
	socklen_t length = sizeof(error);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
		error = errno;
	if (error)
		xsmcSetString(xsResult, strerror(error));
}

/* local(fd) -> port */
void xs_socket_local_port(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0));
	struct sockaddr_in sin;
	socklen_t length = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &length) < 0)
		throwErrno(the, "getsockname", -1);
	xsmcSetInteger(xsResult, ntohs(sin.sin_port));
}

static void onReady(void *ctx, int fd, int events)
{
	xsMachine *the = ivxs_the();
	(void)ctx;
	if (!gWatches[fd].watching)
		return;
	xsBeginHost(the);
	{
		xsSlot callback = gWatches[fd].callback;
		xsTry {
			xsmcVars(1);
			xsmcSetInteger(xsVar(0), ((events & POLLIN) ? 1 : 0) | ((events & POLLOUT) ? 2 : 0) | ((events & (POLLERR | POLLHUP)) ? 4 : 0));
			xsCallFunction1(callback, xsGlobal, xsVar(0));
		}
		xsCatch {
			ivxs_uncaught(the);
		}
	}
	xsEndHost(the);
}

static void unwatch(xsMachine *the, int fd)
{
	if (gWatches[fd].watching) {
		ivxs_loop_unwatch(fd);
		xsForget(gWatches[fd].callback);
		gWatches[fd].watching = 0;
	}
}

/* watch(fd, mask, callback(mask)): mask 1 readable, 2 writable; 0 stops. */
void xs_socket_watch(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0));
	int mask = xsmcToInteger(xsArg(1));
	int events = ((mask & 1) ? POLLIN : 0) | ((mask & 2) ? POLLOUT : 0);
	if (!events) {
		unwatch(the, fd);
		return;
	}
	if (gWatches[fd].watching)
		xsForget(gWatches[fd].callback);
	gWatches[fd].callback = xsArg(2);
	xsRemember(gWatches[fd].callback);
	gWatches[fd].watching = 1;
	if (ivxs_loop_watch(fd, events, onReady, NULL) < 0) {
		unwatch(the, fd);
		xsRangeError("too many watched sockets");
	}
}

void xs_socket_close(xsMachine *the)
{
	int fd = checkFd(the, &xsArg(0));
	unwatch(the, fd);
	close(fd);
}
