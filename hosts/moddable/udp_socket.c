/*
 * embedded:io/socket/udp on Moddable builds (udp_socket.js): the binding, over a platform's datagram
 * socket (udp_socket.h). A socket is a host object validated against its hooks; while open, the host
 * remembers the JS callback (which holds the object), as the SDK's sockets remember theirs.
 * Nothing here allocates per datagram except read(), the ECMA-419 call that returns a new
 * ArrayBuffer; readInto() fills the caller's buffers.
 */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "udp_socket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ivxs_udp_socket {
	xsMachine *the;
	xsSlot callback;   /* remembered while open */
	ivxs_udp_platform *platform;
};

#define kPrefix "udp"
/* read()'s datagrams, as the SDK's lin socket: a longer one is cut (readInto reports its length) */
#define kReadBytes 2048

static void xs_ivxs_udp_destructor(void *data);
static const xsHostHooks kUdpHooks = { xs_ivxs_udp_destructor, NULL, NULL };
static ivxs_mem_counter gUdpMemory = { "socket", 0, 0, NULL };

static void freeSocket(ivxs_udp_socket *socket)
{
	ivxs_udp_platform_close(socket->platform);
	ivxs_mem_add(&gUdpMemory, -(int64_t)sizeof(*socket));
	free(socket);
}

/* Machine teardown (an open socket is held by its remembered callback until close()). */
static void xs_ivxs_udp_destructor(void *data)
{
	if (data)
		freeSocket(data);
}

static ivxs_udp_socket *getSocket(xsMachine *the)
{
	return ivxs_handle_open(the, &xsArg(0), &kUdpHooks, kPrefix, "UDP socket");
}

/* Dotted-quad IPv4 text (or "localhost") to network order; RangeError otherwise. */
static uint32_t parseAddress(xsMachine *the, xsSlot *slot)
{
	const char *text = xsmcToString(*slot);
	uint32_t address;
	if (!strcmp(text, "localhost"))
		text = "127.0.0.1";
	if (!ivxs_parse_ipv4(text, strlen(text), (uint8_t *)&address))
		ivxs_range_error(IVXS_EARG, kPrefix ": invalid address");
	return address;
}

static uint16_t networkPort(int port)
{
	uint8_t bytes[2] = { (uint8_t)(port >> 8), (uint8_t)port };
	uint16_t out;
	memcpy(&out, bytes, 2);
	return out;
}

static int hostPort(uint16_t port)
{
	uint8_t bytes[2];
	memcpy(bytes, &port, 2);
	return bytes[0] << 8 | bytes[1];
}

/* open(address, port, callback) -> socket */
void xs_ivxs_udp_open(xsMachine *the)
{
	uint32_t address = 0;
	int port = ivxs_to_int(the, &xsArg(1), 0, 65535, "port");
	const char *why = "no socket";
	ivxs_udp_socket *socket;
	if (xsmcTypeOf(xsArg(0)) != xsUndefinedType)
		address = parseAddress(the, &xsArg(0));
	if (!xsmcIsInstanceOf(xsArg(2), xsFunctionPrototype))
		ivxs_type_error(IVXS_EARG, kPrefix ": callback is not a function");
	ivxs_host_attach(the);
	socket = calloc(1, sizeof(*socket));
	if (!socket)
		ivxs_error(IVXS_ENOMEM, kPrefix ": no memory");
	socket->platform = ivxs_udp_platform_open(socket, address, networkPort(port), &why);
	if (!socket->platform) {
		free(socket);
		ivxs_error(IVXS_HOST_ESYSTEM, kPrefix ": %s", why);
	}
	ivxs_mem_register(&gUdpMemory);
	ivxs_mem_add(&gUdpMemory, sizeof(*socket));
	socket->the = the;
	xsResult = xsNewHostObject(xs_ivxs_udp_destructor);
	xsmcSetHostHooks(xsResult, &kUdpHooks);
	xsmcSetHostData(xsResult, socket);
	socket->callback = xsArg(2);
	xsRemember(socket->callback);
}

/* close(socket): idempotent (a closed socket is left as it is) */
void xs_ivxs_udp_close(xsMachine *the)
{
	ivxs_udp_socket *socket = ivxs_handle_get(the, &xsArg(0), &kUdpHooks, kPrefix, "UDP socket");
	if (!socket)
		return;
	xsmcSetHostData(xsArg(0), NULL);
	xsForget(socket->callback);
	freeSocket(socket);
}

void xs_ivxs_udp_port(xsMachine *the)
{
	xsmcSetInteger(xsResult, hostPort(ivxs_udp_platform_port(getSocket(the)->platform)));
}

/* read(socket) -> ArrayBuffer with .address and .port, or undefined */
void xs_ivxs_udp_read(xsMachine *the)
{
	ivxs_udp_socket *socket = getSocket(the);
	uint8_t data[kReadBytes];
	uint32_t address;
	uint16_t port;
	char text[16];
	const uint8_t *octets = (const uint8_t *)&address;
	int length = ivxs_udp_platform_take(socket->platform, data, sizeof(data), &address, &port);
	if (length < 0)
		return;
	xsmcVars(1);
	xsmcSetArrayBuffer(xsResult, data, length > kReadBytes ? kReadBytes : length);
	snprintf(text, sizeof(text), "%u.%u.%u.%u", octets[0], octets[1], octets[2], octets[3]);
	xsmcSetString(xsVar(0), text);
	xsmcSet(xsResult, xsID("address"), xsVar(0));
	xsmcSetInteger(xsVar(0), hostPort(port));
	xsmcSet(xsResult, xsID("port"), xsVar(0));
}

/* The platform's next datagram, its source as 6 bytes (address, port: network order): readInto's
 * and ivxs_udp_receive's. */
static int takeInto(ivxs_udp_socket *socket, void *data, size_t capacity, uint8_t from[6])
{
	uint32_t address;
	uint16_t port;
	int length = ivxs_udp_platform_take(socket->platform, data, capacity, &address, &port);
	if (length >= 0) {
		memcpy(from, &address, 4);
		memcpy(from + 4, &port, 2);
	}
	return length;
}

/* readInto(socket, buffer, from) -> the next datagram's length (past buffer's: cut), -1 when none
 * waits; its source into from's first 6 bytes (address, port: network order) */
void xs_ivxs_udp_read_into(xsMachine *the)
{
	ivxs_udp_socket *socket = getSocket(the);
	void *data, *from;
	xsUnsignedValue capacity, fromSize;
	xsmcGetBufferWritable(xsArg(2), &from, &fromSize);
	if (fromSize < 6)
		ivxs_range_error(IVXS_EARG, kPrefix ": readInto's from needs 6 bytes");
	xsmcGetBufferWritable(xsArg(1), &data, &capacity);
	/* nothing below runs JS: data and from stay where they are */
	xsmcSetInteger(xsResult, takeInto(socket, data, capacity, from));
}

/* write(socket, buffer, address, port, byteLength?) */
void xs_ivxs_udp_write(xsMachine *the)
{
	ivxs_udp_socket *socket = getSocket(the);
	uint32_t address;
	int port, length = -1;
	void *data;
	xsUnsignedValue size;
	/* conversions first: they may run JS and move the buffer */
	address = parseAddress(the, &xsArg(2));
	port = ivxs_to_int(the, &xsArg(3), 0, 65535, "port");
	if (xsmcArgc > 4 && xsmcTypeOf(xsArg(4)) != xsUndefinedType)
		length = ivxs_to_int(the, &xsArg(4), 0, 65535, "byteLength");
	xsmcGetBufferReadable(xsArg(1), &data, &size);
	if (length >= 0) {
		if ((xsUnsignedValue)length > size)
			ivxs_range_error(IVXS_EARG, kPrefix ": byteLength %d past the buffer's %u bytes", length, (unsigned)size);
		size = (xsUnsignedValue)length;
	}
	if (ivxs_udp_platform_send(socket->platform, data, size, address, networkPort(port)) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, kPrefix ": send failed");
}

/* ivxs_host.h: a datagram from C (native/p2p), the socket checked against its hooks. */
int ivxs_udp_send(xsMachine *the, xsSlot *socket, const uint8_t address[4], uint16_t port, const void *data, size_t size)
{
	ivxs_udp_socket *s = ivxs_host_data(the, socket, &kUdpHooks);
	uint32_t networkAddress;
	if (!s)
		return IVXS_UDP_NO_SOCKET;
	memcpy(&networkAddress, address, 4);
	return ivxs_udp_platform_send(s->platform, data, size, networkAddress, networkPort(port)) < 0 ? -1 : 0;
}

/* ivxs_host.h: the next datagram for C (native/p2p), the socket checked against its hooks. */
int ivxs_udp_receive(xsMachine *the, xsSlot *socket, void *data, size_t capacity, uint8_t from[6])
{
	ivxs_udp_socket *s = ivxs_host_data(the, socket, &kUdpHooks);
	if (!s)
		return IVXS_UDP_NO_SOCKET;
	return takeInto(s, data, capacity, from);
}

/* error(socket) -> the pending error's text, or undefined */
void xs_ivxs_udp_error(xsMachine *the)
{
	const char *why = ivxs_udp_platform_error(getSocket(the)->platform);
	if (why)
		xsmcSetString(xsResult, (char *)why);
}

void ivxs_udp_ready(ivxs_udp_socket *socket, int mask)
{
	xsMachine *the = socket->the;
	xsBeginHost(the);
	{
		xsTry {
			xsCallFunction1(socket->callback, xsUndefined, xsInteger(mask));
		}
		xsCatch {
			ivxs_uncaught(the);
		}
	}
	xsEndHost(the);
}
