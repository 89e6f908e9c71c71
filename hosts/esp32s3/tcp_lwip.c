/*
 * embedded:io/socket/tcp on ESP32 boards (tcp_socket.js): ECMA-419's TCP client socket on lwIP's raw
 * API. The connection's pcb has one owner, lwIP's thread: its callbacks run there, and every call of
 * the VM's that touches the pcb is sent there (tcpip_api_call: the VM thread waits for it). What the
 * two threads share (the received pbufs, what happened, the room to write) is guarded by one lock.
 *
 * Received segments wait in a fixed ring of kHeld pbufs (when it is full lwIP keeps the segment and
 * offers it again; TCP's window bounds what comes); a segment is acknowledged to the peer
 * (tcp_recved) once the app has read it all, so a slow reader slows the sender instead of growing
 * a queue. The VM is woken by ivxs_loop_post's fixed slots. Nothing is allocated per segment.
 *
 * A socket opened with a TLS session (tls_socket.js: open's `secure`) carries it (tls_lwip.c): the
 * session reads the stream and writes its records through tcp_lwip.h, and what the JS calls read,
 * write and hears is its plaintext.
 *
 * Written against lwIP 2.1's raw API; run in the emulated S3 (`npm run board -- test`,
 * `bench board_s3`): the camera's TLS connections to the cloud (MQTT, uploads) are carried on it.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "modInstrumentation.h"   /* the SDK's figures: sockets, bytes read and written */
#include "tcp_lwip.h"

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/priv/tcpip_priv.h"   /* tcpip_api_call: run a function on lwIP's thread and wait */
#include "freertos/FreeRTOS.h"

#include <stdlib.h>
#include <string.h>

#define kHeld 16   /* a power of 2: segments received and not yet read */
#define kPrefix "tcp"

enum { kOutput = 8 };   /* this file's: what was written in the VM's turn goes out (deliver) */

struct Tcp {
	xsMachine *the;
	xsSlot callback;          /* remembered while open */
	struct tcp_pcb *pcb;      /* lwIP's thread only: NULL once lwIP freed it (failed) or close() */
	uint16_t offset;          /* VM thread only: bytes of held[head] already read */
	uint32_t unacknowledged;  /* VM thread only: bytes read, not yet given to tcp_recved */
	uint8_t closed;           /* VM thread only: the record is freed when the wake-up under way arrives */
	Tls *tls;                 /* VM thread only: the TLS session it carries, or NULL */
	/* shared, under gLock */
	struct pbuf *held[kHeld];
	uint32_t head, tail;      /* read, received: counts (the segments are [head, tail) mod kHeld) */
	uint32_t waiting;         /* bytes received and not yet read */
	uint16_t room;            /* what tcp_write takes now */
	uint8_t happened;         /* kReadable | kWritable | kFailed | kOutput, not yet delivered */
	uint8_t posted;           /* a wake-up is under way */
	uint8_t connected;
	uint8_t ended;            /* the peer closed its side */
	err_t error;              /* lwIP's, ERR_OK while none */
};

static portMUX_TYPE gLock = portMUX_INITIALIZER_UNLOCKED;
static void xs_ivxs_tcp_destructor(void *data);
static const xsHostHooks kTcpHooks = { xs_ivxs_tcp_destructor, NULL, NULL };
static ivxs_mem_counter gTcpMemory = { "tcp socket", 0, 0, NULL };

/* ---- lwIP's thread ---- */

static void deliver(void *ctx);

/* Any thread: marks what happened and wakes the VM once for all of it; 0 when the wake-up could
 * not be posted (the post slots are full: the connection's next event tries again). */
static int trigger(Tcp *tcp, uint8_t what)
{
	int post = 0;
	portENTER_CRITICAL(&gLock);
	tcp->happened |= what;
	if (!tcp->posted)
		post = tcp->posted = 1;
	portEXIT_CRITICAL(&gLock);
	if (post && ivxs_loop_post(deliver, tcp) < 0) {
		portENTER_CRITICAL(&gLock);
		tcp->posted = 0;
		portEXIT_CRITICAL(&gLock);
		return 0;
	}
	return 1;
}

/* What tcp_write takes now: the send buffer's bytes, as far as the segment queue holds them — a
 * copied write queues a pbuf for the tail of the last segment and one per new segment, of the MSS
 * tcp_write cuts at. A write of the room never meets ERR_MEM for the queue's length (a TLS record
 * cut in two would break the stream). */
static uint16_t roomOf(struct tcp_pcb *pcb)
{
	int segments = (int)TCP_SND_QUEUELEN - (int)tcp_sndqueuelen(pcb) - 1;
	uint32_t half = (uint32_t)pcb->snd_wnd_max / 2, mss = pcb->mss;
	uint32_t fits;
	if (half && half < mss)
		mss = half;   /* tcp_write's cut for a peer with a small window */
	fits = segments > 0 ? (uint32_t)segments * mss : 0;
	return fits < tcp_sndbuf(pcb) ? (uint16_t)fits : tcp_sndbuf(pcb);
}

static err_t connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	Tcp *tcp = arg;
	(void)err;   /* always ERR_OK: a failed connect comes to failed() */
	portENTER_CRITICAL(&gLock);
	tcp->connected = 1;
	tcp->room = roomOf(pcb);
	portEXIT_CRITICAL(&gLock);
	trigger(tcp, kWritable);
	return ERR_OK;
}

static err_t received(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	Tcp *tcp = arg;
	(void)pcb;
	if (!p) {
		portENTER_CRITICAL(&gLock);
		tcp->ended = 1;
		portEXIT_CRITICAL(&gLock);
		trigger(tcp, kFailed);
		return ERR_OK;
	}
	if (err != ERR_OK) {
		pbuf_free(p);
		return ERR_OK;
	}
	portENTER_CRITICAL(&gLock);
	if (tcp->tail - tcp->head == kHeld) {
		portEXIT_CRITICAL(&gLock);
		return ERR_MEM;   /* lwIP keeps p and offers it again (its fast timer, or the next segment) */
	}
	tcp->held[tcp->tail % kHeld] = p;
	tcp->tail++;
	tcp->waiting += p->tot_len;
	portEXIT_CRITICAL(&gLock);
	modInstrumentationAdjust(NetworkBytesRead, p->tot_len);
	trigger(tcp, kReadable);
	return ERR_OK;
}

static err_t sent(void *arg, struct tcp_pcb *pcb, u16_t length)
{
	Tcp *tcp = arg;
	(void)length;
	portENTER_CRITICAL(&gLock);
	tcp->room = roomOf(pcb);
	portEXIT_CRITICAL(&gLock);
	trigger(tcp, kWritable);
	return ERR_OK;
}

/* lwIP freed the pcb (reset, no answer, aborted). */
static void failed(void *arg, err_t err)
{
	Tcp *tcp = arg;
	tcp->pcb = NULL;
	portENTER_CRITICAL(&gLock);
	tcp->error = err;
	portEXIT_CRITICAL(&gLock);
	trigger(tcp, kFailed);
}

/* The calls the VM thread sends to lwIP's. */
typedef struct {
	struct tcpip_api_call_data call;   /* first: lwIP's */
	Tcp *tcp;
	ip_addr_t address;
	u16_t port;
	u8_t nodelay;
	const void *data;
	u16_t size;
	uint32_t acknowledge;
	unsigned freeing;                  /* pbufs read to their end, from held[head] */
	err_t err;
	uint16_t room;
} Call;

static void detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

static err_t doConnect(struct tcpip_api_call_data *data)
{
	Call *call = (Call *)data;
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb)
		return call->err = ERR_MEM;
	tcp_arg(pcb, call->tcp);
	tcp_recv(pcb, received);
	tcp_sent(pcb, sent);
	tcp_err(pcb, failed);
	if (call->nodelay)
		tcp_nagle_disable(pcb);
	call->err = tcp_connect(pcb, &call->address, call->port, connected);
	if (call->err != ERR_OK) {
		detach(pcb);
		if (tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
		return call->err;
	}
	call->tcp->pcb = pcb;
	return ERR_OK;
}

static err_t doWrite(struct tcpip_api_call_data *data)
{
	Call *call = (Call *)data;
	struct tcp_pcb *pcb = call->tcp->pcb;
	if (!pcb)
		return call->err = ERR_CLSD;
	/* queued, not sent: the writes of one VM turn go out together (doOutput), in full segments */
	call->err = tcp_write(pcb, call->data, call->size, TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE);
	/* kept here, on lwIP's thread: a sent() after it sees a later room than this one */
	call->room = roomOf(pcb);
	portENTER_CRITICAL(&gLock);
	call->tcp->room = call->room;
	portEXIT_CRITICAL(&gLock);
	return call->err;
}

static err_t doOutput(struct tcpip_api_call_data *data)
{
	Call *call = (Call *)data;
	if (call->tcp->pcb)
		tcp_output(call->tcp->pcb);
	return ERR_OK;
}

/* Frees the segments read to their end and acknowledges what was read. */
static err_t doAcknowledge(struct tcpip_api_call_data *data)
{
	Call *call = (Call *)data;
	Tcp *tcp = call->tcp;
	uint32_t i;
	for (i = 0; i < call->freeing; i++)
		pbuf_free(tcp->held[(tcp->head + i) % kHeld]);
	while (tcp->pcb && call->acknowledge) {
		u16_t some = call->acknowledge > 0xFFFF ? 0xFFFF : (u16_t)call->acknowledge;
		tcp_recved(tcp->pcb, some);
		call->acknowledge -= some;
	}
	return ERR_OK;
}

/* No callback after it; the pcb is let go (FIN sent, or reset), the segments held are freed. */
static err_t doClose(struct tcpip_api_call_data *data)
{
	Call *call = (Call *)data;
	Tcp *tcp = call->tcp;
	if (tcp->pcb) {
		detach(tcp->pcb);
		if (tcp_close(tcp->pcb) != ERR_OK)
			tcp_abort(tcp->pcb);
		tcp->pcb = NULL;
	}
	for (; tcp->head != tcp->tail; tcp->head++)
		pbuf_free(tcp->held[tcp->head % kHeld]);
	return ERR_OK;
}

/* ---- the VM thread ---- */

static void release(Tcp *tcp, int notify)
{
	Call call = { .tcp = tcp };
	int later;
	if (tcp->tls) {
		ivxs_tls_free(tcp->tls, notify);   /* its close_notify queued ahead of the FIN */
		tcp->tls = NULL;
	}
	tcpip_api_call(doClose, &call.call);
	portENTER_CRITICAL(&gLock);
	later = tcp->posted;
	portEXIT_CRITICAL(&gLock);
	tcp->closed = 1;
	ivxs_mem_add(&gTcpMemory, -(int64_t)sizeof(*tcp));
	modInstrumentationAdjust(NetworkSockets, -1);
	if (!later)
		free(tcp);
}

/* Machine teardown (an open socket is held by its remembered callback until close()). */
static void xs_ivxs_tcp_destructor(void *data)
{
	if (data)
		release(data, 0);
}

/* The room a write takes: the stream's, or the plaintext that fits it sealed. */
static uint32_t roomFor(Tcp *tcp, uint16_t room)
{
	return tcp->tls ? ivxs_tls_room(tcp->tls, room) : room;
}

/* The VM turn's end: a TLS session's gathered plaintext sealed, then what is queued sent. -1 when
 * the session failed sealing it. */
static int output(Tcp *tcp)
{
	Call call = { .tcp = tcp };
	int failed = 0;
	if (tcp->tls) {
		failed = ivxs_tls_flush(tcp->tls);
		portENTER_CRITICAL(&gLock);
		tcp->happened &= ~kOutput;   /* the records it queued go out now */
		portEXIT_CRITICAL(&gLock);
	}
	tcpip_api_call(doOutput, &call.call);
	return failed;
}

static void deliver(void *ctx)
{
	Tcp *tcp = ctx;
	xsMachine *the = tcp->the;
	uint8_t what;
	uint16_t room;
	portENTER_CRITICAL(&gLock);
	tcp->posted = 0;
	what = tcp->happened;
	tcp->happened = 0;
	room = tcp->room;
	if (tcp->waiting)
		what &= ~kFailed;   /* told once every byte before it has been read (ivxs_tcp_take) */
	portEXIT_CRITICAL(&gLock);
	if (tcp->closed) {
		free(tcp);
		return;
	}
	if (what & kOutput) {
		if (output(tcp))
			what |= kFailed;
		what &= ~kOutput;
	}
	if (what && tcp->tls) {
		what = ivxs_tls_step(tcp->tls, what);   /* handshake steps and records in: what its plaintext saw */
		portENTER_CRITICAL(&gLock);
		room = tcp->room;   /* after the records the step wrote */
		portEXIT_CRITICAL(&gLock);
	}
	if (!what)
		return;
	/* the callback may close the socket (and free the record): nothing of tcp after it */
	xsBeginHost(the);
	{
		xsTry {
			xsCallFunction2(tcp->callback, xsUndefined, xsInteger(what), xsInteger(roomFor(tcp, room)));
		}
		xsCatch {
			ivxs_uncaught(the);
		}
	}
	xsEndHost(the);
}

static Tcp *getTcp(xsMachine *the)
{
	return ivxs_handle_open(the, &xsArg(0), &kTcpHooks, kPrefix, "TCP socket");
}

/* The session for open's `secure` ({ host, certificates: [DER buffers] }), before connecting: a bad
 * certificate or host name throws here. */
static Tls *secureSession(xsMachine *the, Tcp *tcp, xsSlot *secure)
{
	char host[254], why[128];
	xsIntegerValue count, i;
	Tls *tls;
	xsmcVars(2);
	xsmcGet(xsVar(0), *secure, xsID("host"));
	if (xsmcTypeOf(xsVar(0)) != xsStringType || !*xsmcToString(xsVar(0)) || strlen(xsmcToString(xsVar(0))) >= sizeof(host))
		ivxs_type_error(IVXS_EARG, "tls: host must be the name the server's certificate carries");
	xsmcToStringBuffer(xsVar(0), host, sizeof(host));
	xsmcGet(xsVar(0), *secure, xsID("certificates"));
	if (!xsmcIsInstanceOf(xsVar(0), xsArrayPrototype))
		ivxs_type_error(IVXS_EARG, "tls: certificates must be an array of DER certificates");
	xsmcGet(xsVar(1), xsVar(0), xsID("length"));
	count = xsmcToInteger(xsVar(1));
	if (count < 1 || count > 16)
		ivxs_range_error(IVXS_EARG, "tls: 1 to 16 trusted certificates (the server is always verified), not %d", (int)count);
	tls = ivxs_tls_new(tcp, host, why, sizeof(why));
	if (!tls)
		ivxs_error(IVXS_HOST_ETLS, "tls: %s", why);
	xsTry {
		for (i = 0; i < count; i++) {
			void *der;
			xsUnsignedValue size;
			xsmcGetIndex(xsVar(1), xsVar(0), i);
			if (xsmcTypeOf(xsVar(1)) != xsReferenceType)
				ivxs_type_error(IVXS_EARG, "tls: certificates[%d] is not a buffer", (int)i);
			xsmcGetBufferReadable(xsVar(1), &der, &size);
			if (ivxs_tls_trust(tls, der, size, why, sizeof(why)))   /* copies: no JS runs meanwhile */
				ivxs_range_error(IVXS_EARG, "tls: certificates[%d]: %s", (int)i, why);
		}
	}
	xsCatch {
		ivxs_tls_free(tls, 0);
		xsThrow(xsException);
	}
	return tls;
}

/* open(address, port, nodelay, callback, secure?) -> socket: connecting; the callback hears
 * kWritable once connected (with `secure`, once its TLS handshake is done), or kFailed */
void xs_ivxs_tcp_open(xsMachine *the)
{
	Call call = { 0 };
	char text[16];
	Tcp *tcp;
	if (xsmcTypeOf(xsArg(0)) != xsStringType)
		ivxs_type_error(IVXS_EARG, kPrefix ": address must be IPv4 text");
	xsmcToStringBuffer(xsArg(0), text, sizeof(text));
	if (!ipaddr_aton(text, &call.address) || !IP_IS_V4(&call.address))
		ivxs_range_error(IVXS_EARG, kPrefix ": invalid address %s", text);
	call.port = (u16_t)ivxs_to_int(the, &xsArg(1), 1, 65535, "port");
	call.nodelay = xsmcTest(xsArg(2));
	if (!xsmcIsInstanceOf(xsArg(3), xsFunctionPrototype))
		ivxs_type_error(IVXS_EARG, kPrefix ": callback is not a function");
	ivxs_host_attach(the);
	tcp = calloc(1, sizeof(*tcp));
	if (!tcp)
		ivxs_error(IVXS_ENOMEM, kPrefix ": no memory");
	tcp->the = the;
	if (xsmcArgc > 4 && xsmcTypeOf(xsArg(4)) != xsUndefinedType) {
		xsTry {
			tcp->tls = secureSession(the, tcp, &xsArg(4));
		}
		xsCatch {
			free(tcp);
			xsThrow(xsException);
		}
	}
	call.tcp = tcp;
	tcpip_api_call(doConnect, &call.call);
	if (call.err != ERR_OK) {
		if (tcp->tls)
			ivxs_tls_free(tcp->tls, 0);
		free(tcp);
		ivxs_error(IVXS_HOST_ESYSTEM, kPrefix ": cannot connect to %s:%d (lwIP error %d)", text, call.port, call.err);
	}
	ivxs_mem_register(&gTcpMemory);
	ivxs_mem_add(&gTcpMemory, sizeof(*tcp));
	modInstrumentationAdjust(NetworkSockets, +1);
	xsResult = xsNewHostObject(xs_ivxs_tcp_destructor);
	xsmcSetHostHooks(xsResult, &kTcpHooks);
	xsmcSetHostData(xsResult, tcp);
	tcp->callback = xsArg(3);
	xsRemember(tcp->callback);
}

/* close(socket): idempotent; a TLS session's close_notify goes ahead of the FIN */
void xs_ivxs_tcp_close(xsMachine *the)
{
	Tcp *tcp = ivxs_handle_get(the, &xsArg(0), &kTcpHooks, kPrefix, "TCP socket");
	if (!tcp)
		return;
	xsmcSetHostData(xsArg(0), NULL);
	xsForget(tcp->callback);
	release(tcp, 1);
}

uint32_t ivxs_tcp_waiting(Tcp *tcp)
{
	uint32_t waiting;
	portENTER_CRITICAL(&gLock);
	waiting = tcp->waiting;
	portEXIT_CRITICAL(&gLock);
	return waiting;
}

int ivxs_tcp_over(Tcp *tcp)
{
	int over;
	portENTER_CRITICAL(&gLock);
	over = tcp->error != ERR_OK || tcp->ended;
	portEXIT_CRITICAL(&gLock);
	return over;
}

void ivxs_tcp_again(Tcp *tcp, uint8_t what)
{
	trigger(tcp, what);
}

/* What the JS reads: the stream's bytes, or its TLS session's plaintext. */
static uint32_t readable(Tcp *tcp)
{
	return tcp->tls ? ivxs_tls_available(tcp->tls) : ivxs_tcp_waiting(tcp);
}

/* available(socket) -> bytes waiting to be read */
void xs_ivxs_tcp_available(xsMachine *the)
{
	xsmcSetInteger(xsResult, readable(getTcp(the)));
}

/* Copies count (<= waiting) bytes out; hands the segments read to their end back to lwIP. When
 * the last byte before a failure (or the peer's close) has been read, the failure is told. */
void ivxs_tcp_take(Tcp *tcp, uint8_t *out, uint32_t count)
{
	Call call = { .tcp = tcp };
	uint32_t head, wanted = count;
	int failedNow;
	portENTER_CRITICAL(&gLock);
	head = tcp->head;
	portEXIT_CRITICAL(&gLock);
	while (count) {
		struct pbuf *p = tcp->held[(head + call.freeing) % kHeld];
		uint32_t use = p->tot_len - tcp->offset;
		if (use > count)
			use = count;
		pbuf_copy_partial(p, out, (u16_t)use, tcp->offset);
		out += use;
		count -= use;
		tcp->offset += use;
		if (tcp->offset == p->tot_len) {
			tcp->offset = 0;
			call.freeing++;
		}
	}
	tcp->unacknowledged += wanted;
	if (call.freeing) {
		call.acknowledge = tcp->unacknowledged;
		tcp->unacknowledged = 0;
		tcpip_api_call(doAcknowledge, &call.call);
	}
	portENTER_CRITICAL(&gLock);
	tcp->head += call.freeing;
	tcp->waiting -= wanted;
	failedNow = !tcp->waiting && (tcp->error != ERR_OK || tcp->ended);
	portEXIT_CRITICAL(&gLock);
	if (failedNow)
		trigger(tcp, kFailed);
}

/* The TLS session failed (a read or write): its error, the socket's failure told in the next turn. */
static void tlsFailed(xsMachine *the, Tcp *tcp)
{
	char text[256];
	int status = ivxs_tls_failure(tcp->tls, text, sizeof(text));
	trigger(tcp, kFailed);
	if (!status)
		ivxs_error(IVXS_HOST_ERESET, kPrefix ": connection closed by the peer");
	ivxs_error(status, "%s", text);
}

/* read(socket, undefined, count?) -> an ArrayBuffer of count bytes (all that wait), undefined when
 * none wait; read(socket, buffer) -> how many bytes were read into the buffer (as many as wait) */
void xs_ivxs_tcp_read(xsMachine *the)
{
	Tcp *tcp = getTcp(the);
	uint32_t waiting, count;
	void *out;
	xsUnsignedValue capacity;
	int into = xsmcTypeOf(xsArg(1)) != xsUndefinedType;
	int counted = xsmcArgc > 2 && xsmcTypeOf(xsArg(2)) != xsUndefinedType;
	/* conversions first: they may run JS */
	count = counted ? (uint32_t)ivxs_to_int(the, &xsArg(2), 1, 0x7FFFFFFF, "count") : 0;
	waiting = readable(tcp);
	if (into) {
		xsmcGetBufferWritable(xsArg(1), &out, &capacity);
		count = capacity < waiting ? (uint32_t)capacity : waiting;
		xsmcSetInteger(xsResult, count);
	}
	else {
		if (!waiting)
			return;
		if (!counted)
			count = waiting;
		else if (count > waiting)
			ivxs_range_error(IVXS_EARG, kPrefix ": read of %u bytes: %u wait", (unsigned)count, (unsigned)waiting);
		xsmcSetArrayBuffer(xsResult, NULL, count);
		xsmcGetBufferWritable(xsResult, &out, &capacity);
	}
	/* nothing below runs JS: out stays where it is */
	if (!count)
		return;
	if (!tcp->tls)
		ivxs_tcp_take(tcp, out, count);
	else if (ivxs_tls_read(tcp->tls, out, count))
		tlsFailed(the, tcp);
}

/* Queues size bytes with lwIP (lwIP copies them), to go out at the end of the VM's turn. */
static err_t queue(Tcp *tcp, const void *data, uint16_t size, uint16_t *room)
{
	Call call = { .tcp = tcp, .data = data, .size = size };
	tcpip_api_call(doWrite, &call.call);
	*room = call.room;
	if (call.err != ERR_OK)
		return call.err;
	modInstrumentationAdjust(NetworkBytesWritten, size);
	if (!trigger(tcp, kOutput))
		tcpip_api_call(doOutput, &call.call);   /* no wake-up to send it with: now */
	return ERR_OK;
}

/* 1 while the connection takes writes; the room tcp_write takes now in *room. */
static int writable(Tcp *tcp, uint16_t *room)
{
	int connected;
	portENTER_CRITICAL(&gLock);
	connected = tcp->connected && tcp->error == ERR_OK;
	*room = tcp->room;
	portEXIT_CRITICAL(&gLock);
	return connected;
}

int ivxs_tcp_put(Tcp *tcp, const void *data, uint32_t size)
{
	uint16_t room;
	if (!writable(tcp, &room))
		return -1;
	if (size > room)
		size = room;
	if (!size)
		return 0;
	switch (queue(tcp, data, (uint16_t)size, &room)) {
	case ERR_OK: return (int)size;
	case ERR_MEM: return 0;   /* lwIP's segments: again when some were sent */
	default: return -1;
	}
}

/* write(socket, buffer) -> the room left; a buffer past the room is a RangeError (ECMA-419's "would
 * block": wait for onWritable) */
void xs_ivxs_tcp_write(xsMachine *the)
{
	Tcp *tcp = getTcp(the);
	void *data;
	xsUnsignedValue size;
	uint16_t room;
	uint32_t takes;
	err_t err;
	if (!writable(tcp, &room) || (tcp->tls && !ivxs_tls_open(tcp->tls)))
		ivxs_error(IVXS_ECLOSED, kPrefix ": not connected");
	takes = roomFor(tcp, room);
	xsmcGetBufferReadable(xsArg(1), &data, &size);
	if (size > takes)
		ivxs_range_error(IVXS_EARG, kPrefix ": write of %u bytes past the room (%u): wait for onWritable", (unsigned)size, (unsigned)takes);
	if (!size) {
		xsmcSetInteger(xsResult, takes);
		return;
	}
	/* no JS runs until the bytes are queued (copied by lwIP, or sealed by the session) */
	if (tcp->tls) {
		if (ivxs_tls_write(tcp->tls, data, (uint32_t)size))
			tlsFailed(the, tcp);
		/* sealed and sent at the turn's end; now when no wake-up could be posted */
		if (!trigger(tcp, kOutput) && output(tcp))
			tlsFailed(the, tcp);
		writable(tcp, &room);
		xsmcSetInteger(xsResult, roomFor(tcp, room));
		return;
	}
	err = queue(tcp, data, (u16_t)size, &room);
	if (err == ERR_CLSD)
		ivxs_error(IVXS_HOST_ERESET, kPrefix ": write on a closed connection");
	if (err != ERR_OK)
		ivxs_error(IVXS_HOST_ESYSTEM, kPrefix ": write failed (lwIP error %d)", err);
	xsmcSetInteger(xsResult, room);
}

/* failure(socket) -> the Error the socket failed with (its `code`: the binding kit's) */
void xs_ivxs_tcp_failure(xsMachine *the)
{
	Tcp *tcp = getTcp(the);
	const char *code = ivxs_code_of(IVXS_HOST_ESYSTEM), *text = "connection failed";
	char tlsText[256];
	int tlsStatus = tcp->tls ? ivxs_tls_failure(tcp->tls, tlsText, sizeof(tlsText)) : 0;
	err_t error;
	uint8_t wasConnected, ended;
	portENTER_CRITICAL(&gLock);
	error = tcp->error;
	wasConnected = tcp->connected;
	ended = tcp->ended;
	portEXIT_CRITICAL(&gLock);
	if (tlsStatus)
		code = ivxs_code_of(tlsStatus), text = tlsText;
	else if (error == ERR_RST && !wasConnected)
		code = ivxs_code_of(IVXS_HOST_EREFUSED), text = "connection refused";
	else if (error == ERR_RST)
		code = ivxs_code_of(IVXS_HOST_ERESET), text = "connection reset by the peer";
	else if (error == ERR_ABRT && !wasConnected)
		text = "no answer from the peer";
	else if (error == ERR_ABRT)
		code = ivxs_code_of(IVXS_HOST_ERESET), text = "connection aborted: the peer stopped answering";
	else if (error == ERR_OK && ended)
		code = ivxs_code_of(IVXS_HOST_ERESET), text = "connection closed by the peer";
	xsmcVars(1);
	xsTry {
		ivxs_throw(the, XS_UNKNOWN_ERROR, code, "%s", text);
	}
	xsCatch {
		xsResult = xsException;
		xsmcSetUndefined(xsException);
	}
	/* the text alone: XS may have put this function's name before it */
	xsmcSetString(xsVar(0), (char *)text);
	xsmcSet(xsResult, xsID("message"), xsVar(0));
}
