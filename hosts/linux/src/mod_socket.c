/*
 * Socket primitives for the ECMA-419 socket classes, which are written in JS
 * on top (modules/embedded/io/socket/ *.js). Non-blocking IPv4 sockets;
 * readiness comes from the host loop through watch().
 *
 * A socket is a host object (hooks gSocketHooks), never a descriptor number:
 * JS cannot name another object's descriptor, close() is idempotent and
 * cancels the watch, and garbage collection closes a socket nobody holds.
 * While watched, the object and its callback are remembered (the loop can
 * still call it), as Moddable's sockets are while open.
 * Module "ivxs/socket-native" is internal: only the host's modules import it.
 *
 * A UDP socket bound to every address answers a peer from the address the
 * peer's datagrams came to (IP_PKTINFO), as ICE requires of a check's response
 * (RFC 8445 §7.3.1.1: its source is where the request was received). Left to
 * routing, a check sent to the camera's 127.0.0.1 or to its second interface
 * would be answered from another address, and the viewer drops the response
 * as a mismatch. The peers are kept in a small table (direct-mapped: a peer
 * whose slot another took is answered as routing says, as before).
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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* A peer and the local address its last datagram came to (network order). */
typedef struct {
	uint32_t peer, local;
	uint16_t port;
} ReplyFrom;
#define kReplyFromSlots 32   /* a power of 2 */

typedef struct {
	int fd;
	ReplyFrom *replies;  /* a UDP socket bound to every address: where to answer each peer from */
	int watching;       /* self and callback remembered */
	int adopted;        /* an accepted connection taken by a TCP object */
	int datagram;       /* a UDP socket: what ivxs_udp_send takes */
	xsSlot self;
	xsSlot callback;
} SocketRecord;

static void xs_socket_destructor(void *data);
static const xsHostHooks gSocketHooks = { xs_socket_destructor, NULL, NULL };
static ivxs_mem_counter gSocketMemory = { "socket", 0, 0, NULL };

static void xs_socket_destructor(void *data)
{
	SocketRecord *record = data;
	if (!record)
		return;
	if (record->watching)
		ivxs_loop_unwatch(record->fd);   /* machine teardown: forgetting is moot */
	close(record->fd);
	if (record->replies)
		ivxs_mem_add(&gSocketMemory, -(int64_t)(kReplyFromSlots * sizeof(ReplyFrom)));
	ivxs_mem_add(&gSocketMemory, -(int64_t)sizeof(SocketRecord));
	free(record->replies);
	free(record);
}

static SocketRecord *getSocket(xsMachine *the, xsSlot *slot)
{
	return ivxs_handle_open(the, slot, &gSocketHooks, NULL, "socket");
}

/* The descriptor of an open socket object, for other host modules (TLS); validated as above. */
int ivxs_socket_fd(xsMachine *the, xsSlot *slot)
{
	return getSocket(the, slot)->fd;
}

/* address, then port (both may run JS); the address text is used at once. */
static void toAddress(xsMachine *the, xsSlot *address, xsSlot *port, struct sockaddr_in *out)
{
	const char *text;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)ivxs_to_int(the, port, 0, 65535, "port"));
	if (xsmcTypeOf(*address) == xsUndefinedType) {
		out->sin_addr.s_addr = htonl(INADDR_ANY);
		return;
	}
	text = xsmcToString(*address);
	if (!strcmp(text, "localhost"))
		text = "127.0.0.1";
	if (!ivxs_parse_ipv4(text, strlen(text), (uint8_t *)&out->sin_addr.s_addr))
		ivxs_range_error(IVXS_EARG, "invalid address");
}

/* The one errno -> code rule of the sockets: thrown by the calls, and handed
 * to onError by error() (what may be NULL: strerror's text alone). */
static void throwError(xsMachine *the, int error, const char *what)
{
	const char *prefix = what ? what : "", *colon = what ? ": " : "";
	if (error == ECONNREFUSED)
		ivxs_error(IVXS_HOST_EREFUSED, "%s%s%s", prefix, colon, strerror(error));
	if (error == ECONNRESET || error == EPIPE)
		ivxs_error(IVXS_HOST_ERESET, "%s%s%s", prefix, colon, strerror(error));
	ivxs_error(IVXS_HOST_ESYSTEM, "%s%s%s", prefix, colon, strerror(error));
}

static void throwErrno(xsMachine *the, const char *what, int fd)
{
	int error = errno;
	if (fd >= 0)
		close(fd);
	throwError(the, error, what);
}

static int newSocket(xsMachine *the, int type)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		throwErrno(the, "socket", -1);
	return fd;
}

/* xsResult = a new socket object owning fd (closed here if that fails). */
static void wrap(xsMachine *the, int fd)
{
	SocketRecord *record;
	xsResult = xsNewHostObject(NULL);
	xsSetHostHooks(xsResult, &gSocketHooks);
	record = calloc(1, sizeof(SocketRecord));
	if (!record) {
		close(fd);
		ivxs_error(IVXS_ENOMEM, "no memory");
	}
	record->fd = fd;
	ivxs_mem_register(&gSocketMemory);
	ivxs_mem_add(&gSocketMemory, sizeof(SocketRecord));
	xsmcSetHostData(xsResult, record);
}

/* udp(address, port) -> socket */
void xs_socket_udp(xsMachine *the)
{
	SocketRecord *record;
	struct sockaddr_in sin;
	int fd;
	toAddress(the, &xsArg(0), &xsArg(1), &sin);
	fd = newSocket(the, SOCK_DGRAM);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		throwErrno(the, "bind", fd);
	wrap(the, fd);
	record = xsmcGetHostData(xsResult);
	record->datagram = 1;
	if (sin.sin_addr.s_addr == htonl(INADDR_ANY)) {
		int one = 1;
		/* without the table (no memory, no IP_PKTINFO) it answers as routing says */
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == 0 && (record->replies = calloc(kReplyFromSlots, sizeof(ReplyFrom))))
			ivxs_mem_add(&gSocketMemory, kReplyFromSlots * sizeof(ReplyFrom));
	}
}

static ReplyFrom *replySlot(SocketRecord *record, const struct sockaddr_in *peer)
{
	uint32_t h = ntohl(peer->sin_addr.s_addr) * 2654435761u ^ ntohs(peer->sin_port) * 40503u;
	return &record->replies[(h ^ (h >> 16)) & (kReplyFromSlots - 1)];
}

/* connect(address, port, nodelay) -> socket (connection in progress) */
void xs_socket_connect(xsMachine *the)
{
	struct sockaddr_in sin;
	int fd, one = 1;
	if (xsmcTypeOf(xsArg(0)) == xsUndefinedType)
		ivxs_range_error(IVXS_EARG, "address required");
	toAddress(the, &xsArg(0), &xsArg(1), &sin);
	fd = newSocket(the, SOCK_STREAM);
	if (xsmcTest(xsArg(2)))
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS)
		throwErrno(the, "connect", fd);
	wrap(the, fd);
}

/* listen(address, port, backlog) -> socket */
void xs_socket_listen(xsMachine *the)
{
	struct sockaddr_in sin;
	int fd, one = 1;
	int backlog = ivxs_to_int(the, &xsArg(2), 1, 4096, "backlog");
	toAddress(the, &xsArg(0), &xsArg(1), &sin);
	fd = newSocket(the, SOCK_STREAM);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		throwErrno(the, "bind", fd);
	if (listen(fd, backlog) < 0)
		throwErrno(the, "listen", fd);
	wrap(the, fd);
}

/* accept(listener) -> socket, or undefined when none is pending */
void xs_socket_accept(xsMachine *the)
{
	SocketRecord *listener = getSocket(the, &xsArg(0));
	int client = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (client < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
			return;
		throwErrno(the, "accept", -1);
	}
	wrap(the, client);
}

/* adopt(socket) -> socket: an accepted connection for a TCP object (once). */
void xs_socket_adopt(xsMachine *the)
{
	SocketRecord *record = getSocket(the, &xsArg(0));
	int type = 0, listening = 0;
	socklen_t length = sizeof(type);
	getsockopt(record->fd, SOL_SOCKET, SO_TYPE, &type, &length);
	length = sizeof(listening);
	getsockopt(record->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length);
	if (type != SOCK_STREAM || listening)
		ivxs_type_error(IVXS_EARG, "not an accepted connection");
	if (record->adopted)
		ivxs_type_error(IVXS_EARG, "connection already taken");
	record->adopted = 1;
	xsResult = xsArg(0);
}

/* available(socket) -> bytes readable now */
void xs_socket_available(xsMachine *the)
{
	int fd = getSocket(the, &xsArg(0))->fd, count = 0;
	if (ioctl(fd, FIONREAD, &count) < 0)
		count = 0;
	xsmcSetInteger(xsResult, count);
}

/* The next datagram into data (at most capacity bytes; a longer one is cut: MSG_TRUNC gives its
 * whole length), its source in *from, the local address it came to kept for replies (IP_PKTINFO).
 * Its length, or -1 when none waits. */
static ssize_t receive(xsMachine *the, SocketRecord *record, void *data, size_t capacity, struct sockaddr_in *from)
{
	union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))]; } control;
	struct iovec iov = { data, capacity };
	struct msghdr message;
	struct cmsghdr *c;
	ssize_t got;
	memset(&message, 0, sizeof(message));
	message.msg_name = from;
	message.msg_namelen = sizeof(*from);
	message.msg_iov = &iov;
	message.msg_iovlen = 1;
	message.msg_control = record->replies ? control.bytes : NULL;
	message.msg_controllen = record->replies ? sizeof(control.bytes) : 0;
	got = recvmsg(record->fd, &message, MSG_TRUNC);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		throwErrno(the, "recvfrom", -1);
	}
	for (c = record->replies ? CMSG_FIRSTHDR(&message) : NULL; c; c = CMSG_NXTHDR(&message, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo info;
			ReplyFrom *slot = replySlot(record, from);
			memcpy(&info, CMSG_DATA(c), sizeof(info));
			slot->peer = from->sin_addr.s_addr;
			slot->port = from->sin_port;
			slot->local = info.ipi_addr.s_addr;
		}
	return got;
}

/* recvfrom(socket) -> ArrayBuffer with .address and .port, or undefined */
void xs_socket_recvfrom(xsMachine *the)
{
	SocketRecord *record = getSocket(the, &xsArg(0));
	int size = 0;
	struct sockaddr_in from;
	char text[INET_ADDRSTRLEN];
	ssize_t got;
	xsmcVars(1);
	if (ioctl(record->fd, FIONREAD, &size) < 0)
		size = 0;
	xsmcSetArrayBuffer(xsResult, NULL, size > 0 ? size : 1);
	got = receive(the, record, xsmcToArrayBuffer(xsResult), size > 0 ? (size_t)size : 1, &from);
	if (got < 0) {
		xsmcSetUndefined(xsResult);
		return;
	}
	if (got > size)   /* FIONREAD gave the next datagram's size: only an empty one reads past it */
		got = size > 0 ? size : 0;
	xsmcSetArrayBufferLength(xsResult, (xsIntegerValue)got);
	inet_ntop(AF_INET, &from.sin_addr, text, sizeof(text));
	xsmcSetString(xsVar(0), text);
	xsmcSet(xsResult, xsID("address"), xsVar(0));
	xsmcSetInteger(xsVar(0), ntohs(from.sin_port));
	xsmcSet(xsResult, xsID("port"), xsVar(0));
}

/* receive() with its source as 6 bytes (IPv4 address and port, network order): recvinto's and
 * ivxs_udp_receive's. */
static int receiveInto(xsMachine *the, SocketRecord *record, void *data, size_t capacity, uint8_t from[6])
{
	struct sockaddr_in source;
	ssize_t got = receive(the, record, data, capacity, &source);
	if (got >= 0) {
		memcpy(from, &source.sin_addr.s_addr, 4);
		memcpy(from + 4, &source.sin_port, 2);
	}
	return got > INT32_MAX ? INT32_MAX : (int)got;
}

/* recvinto(socket, buffer, from) -> the next datagram's length, or -1 when none waits. Its bytes go
 * into buffer (ArrayBuffer; a longer datagram is cut, its whole length returned), its source into
 * from (6 bytes: IPv4 address and port, network order). Nothing allocated per datagram: the
 * camera hears hundreds a second (issue 29: the ArrayBuffer, its address string and two properties
 * per datagram were ~40 % of what the app allocated with 4 viewers). */
void xs_socket_recvinto(xsMachine *the)
{
	SocketRecord *record = getSocket(the, &xsArg(0));
	void *data, *source;
	xsUnsignedValue capacity, sourceSize;
	xsmcGetBufferWritable(xsArg(2), &source, &sourceSize);
	if (sourceSize < 6)
		ivxs_range_error(IVXS_EARG, "recvinto: from needs 6 bytes");
	xsmcGetBufferWritable(xsArg(1), &data, &capacity);
	/* nothing below runs JS: data and source stay where they are */
	xsmcSetInteger(xsResult, receiveInto(the, record, data, capacity, source));
}

/* ivxs_host.h: the next datagram for C (native/p2p), the socket checked against its hooks. */
int ivxs_udp_receive(xsMachine *the, xsSlot *socket, void *data, size_t capacity, uint8_t from[6])
{
	SocketRecord *record = ivxs_host_data(the, socket, &gSocketHooks);
	if (!record || !record->datagram)
		return IVXS_UDP_NO_SOCKET;
	return receiveInto(the, record, data, capacity, from);
}

/* A datagram to `to` from the local address `from` (IP_PKTINFO's source). sendmsg's result. */
static ssize_t sendFrom(int fd, const void *data, size_t size, const struct sockaddr_in *to, uint32_t from)
{
	union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))]; } control;
	struct in_pktinfo info;
	struct iovec iov = { (void *)data, size };
	struct msghdr message;
	struct cmsghdr *c;
	memset(&control, 0, sizeof(control));
	memset(&info, 0, sizeof(info));
	info.ipi_spec_dst.s_addr = from;
	memset(&message, 0, sizeof(message));
	message.msg_name = (void *)to;
	message.msg_namelen = sizeof(*to);
	message.msg_iov = &iov;
	message.msg_iovlen = 1;
	message.msg_control = control.bytes;
	message.msg_controllen = sizeof(control.bytes);
	c = CMSG_FIRSTHDR(&message);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(c), &info, sizeof(info));
	return sendmsg(fd, &message, 0);
}

/* One datagram to `to`, from the local address the peer last wrote to when the socket is bound to
 * every address: 0, or -1 with errno (EAGAIN, a full buffer, counts as sent: UDP may drop). */
static int sendDatagram(SocketRecord *record, const void *data, size_t size, struct sockaddr_in *to)
{
	ReplyFrom *slot = record->replies ? replySlot(record, to) : NULL;
	if (slot && slot->peer == to->sin_addr.s_addr && slot->port == to->sin_port && slot->local) {
		if (sendFrom(record->fd, data, size, to, slot->local) >= 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		slot->local = 0;   /* that address is gone (renumbered): answer as routing says */
	}
	if (sendto(record->fd, data, size, 0, (struct sockaddr *)to, sizeof(*to)) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	return 0;
}

/* sendto(socket, buffer, address, port, length?): to a peer heard from, from the address it wrote
 * to; with length, the buffer's first length bytes (a reused buffer sent with no view made for it) */
void xs_socket_sendto(xsMachine *the)
{
	SocketRecord *record = getSocket(the, &xsArg(0));
	struct sockaddr_in to;
	void *data;
	xsUnsignedValue size;
	int length = -1;
	/* address, port and length first: their conversions may run JS and move the buffer */
	toAddress(the, &xsArg(2), &xsArg(3), &to);
	if (xsmcArgc > 4 && xsmcTypeOf(xsArg(4)) != xsUndefinedType)
		length = ivxs_to_int(the, &xsArg(4), 0, 65535, "length");
	xsmcGetBufferReadable(xsArg(1), &data, &size);
	if (length >= 0) {
		if ((xsUnsignedValue)length > size)
			ivxs_range_error(IVXS_EARG, "sendto: length %d past the buffer's %u bytes", length, (unsigned)size);
		size = (xsUnsignedValue)length;
	}
	if (sendDatagram(record, data, size, &to) < 0)
		throwErrno(the, "sendto", -1);
}

/* ivxs_host.h: a datagram from C (native/p2p), the socket checked against its hooks. */
int ivxs_udp_send(xsMachine *the, xsSlot *socket, const uint8_t address[4], uint16_t port, const void *data, size_t size)
{
	SocketRecord *record = ivxs_host_data(the, socket, &gSocketHooks);
	struct sockaddr_in to;
	if (!record || !record->datagram)
		return IVXS_UDP_NO_SOCKET;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	memcpy(&to.sin_addr.s_addr, address, 4);
	to.sin_port = htons(port);
	return sendDatagram(record, data, size, &to) < 0 ? -1 : 0;
}

/* read(socket, count) -> ArrayBuffer (may be shorter), undefined when
 * nothing is readable, null at end of stream */
void xs_socket_read(xsMachine *the)
{
	int count = ivxs_to_int(the, &xsArg(1), 1, 64 * 1024 * 1024, "count");
	int fd = getSocket(the, &xsArg(0))->fd;
	ssize_t got;
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

/* write(socket, buffer, offset) -> bytes written (0 when the kernel is full) */
void xs_socket_write(xsMachine *the)
{
	int offset = ivxs_to_int(the, &xsArg(2), 0, INT32_MAX, "offset");   /* before the data pointer: may run JS */
	int fd = getSocket(the, &xsArg(0))->fd;
	void *data;
	xsUnsignedValue size;
	ssize_t put;
	xsmcGetBufferReadable(xsArg(1), &data, &size);
	if (offset < 0 || (xsUnsignedValue)offset > size)
		ivxs_range_error(IVXS_EARG, "invalid offset");
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

/* error(socket) -> the pending socket error (SO_ERROR) as an Error with its
 * code and strerror's text, for onError; undefined when there is none */
void xs_socket_error(xsMachine *the)
{
	int fd = getSocket(the, &xsArg(0))->fd, error = 0;
	socklen_t length = sizeof(error);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
		error = errno;
	if (!error)
		return;
	xsmcVars(1);
	xsTry {
		throwError(the, error, NULL);
	}
	xsCatch {
		xsResult = xsException;
		xsmcSetUndefined(xsException);
	}
	/* strerror's text alone: XS put this function's name before it */
	xsmcSetString(xsVar(0), strerror(error));
	xsmcSet(xsResult, xsID("message"), xsVar(0));
}

/* localPort(socket) -> port */
void xs_socket_local_port(xsMachine *the)
{
	int fd = getSocket(the, &xsArg(0))->fd;
	struct sockaddr_in sin;
	socklen_t length = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &length) < 0)
		throwErrno(the, "getsockname", -1);
	xsmcSetInteger(xsResult, ntohs(sin.sin_port));
}

static void onReady(void *ctx, int fd, int events)
{
	SocketRecord *record = ctx;
	xsMachine *the = ivxs_the();
	(void)fd;
	if (!record->watching)
		return;
	xsBeginHost(the);
	{
		xsSlot callback = record->callback;
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

static void unwatch(xsMachine *the, SocketRecord *record)
{
	if (record->watching) {
		ivxs_loop_unwatch(record->fd);
		xsForget(record->self);
		xsForget(record->callback);
		record->watching = 0;
	}
}

/* watch(socket, mask, callback(mask)): mask 1 readable, 2 writable; 0 stops. */
void xs_socket_watch(xsMachine *the)
{
	int mask = ivxs_to_int(the, &xsArg(1), 0, 3, "mask");
	SocketRecord *record = getSocket(the, &xsArg(0));
	int events = ((mask & 1) ? POLLIN : 0) | ((mask & 2) ? POLLOUT : 0);
	if (!events) {
		unwatch(the, record);
		return;
	}
	if (!xsmcIsInstanceOf(xsArg(2), xsFunctionPrototype))
		ivxs_type_error(IVXS_EARG, "callback must be a function");
	unwatch(the, record);
	record->self = xsArg(0);
	record->callback = xsArg(2);
	xsRemember(record->self);
	xsRemember(record->callback);
	record->watching = 1;
	if (ivxs_loop_watch(record->fd, events, onReady, record) < 0) {
		unwatch(the, record);
		ivxs_range_error(IVXS_HOST_ELIMIT, "too many watched sockets");
	}
}

/* close(socket): idempotent; cancels the watch, so no callback follows. */
void xs_socket_close(xsMachine *the)
{
	SocketRecord *record = ivxs_handle_get(the, &xsArg(0), &gSocketHooks, NULL, "socket");
	if (!record)
		return;
	unwatch(the, record);
	xsmcSetHostData(xsArg(0), NULL);
	xs_socket_destructor(record);
}
