/*
 * XS binding of the P2P transport core (native/p2p/p2p.js). The core is
 * p2p_*.c; this file adapts it to JS: options, status codes as exceptions,
 * datagrams and frames as ArrayBuffers, sessions as slot numbers.
 *
 * Callbacks: every function that can make the core call back (input, tick,
 * connect, command, closeSession) takes the JS handler as its second
 * argument ({ send, event, frame, command } methods) and the core calls it
 * synchronously, inside that call. Nothing is remembered between calls, so
 * the garbage collector owns every lifetime: the endpoint's destructor frees
 * the core, closes the ring readers and lets go of the rings (it holds a
 * counted reference on each attached ring, so a Ring collected in the same
 * sweep is freed after its reader). An exception in a handler is fatal
 * (ivxs_uncaught), as in every ivxs callback: it must not unwind through the
 * core.
 *
 * Every function checks its host object against the endpoint's hooks.
 */
#include "xsmc.h"
#include "ivxs_bytes.h"
#include "ivxs_host.h"
#include "ivxs_kit.h"
#include "modring.h"
#include "moduplink.h"
#include "p2p.h"
#include "p2p_queue_source.h"
#include "p2p_ring_source.h"
#include "ivxs_random.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>


#define kMaxSessions 64

typedef struct {
	ivxs_p2p_ring_source source;
	void *ring;                 /* ivxs_ring_hold token, NULL when nothing is attached */
	ivxs_p2p_queue_source queue;   /* or frames the app pushes (arena NULL when not attached) */
} Attached;

/* An address send() names by slot, and whether its datagrams go straight to the handler's
 * socket (the handler said so for this slot: not relayed), with the IPv4 address (network order)
 * and port (host order) parsed once. */
typedef struct {
	ivxs_p2p_addr addr;
	uint8_t direct;
	uint8_t ipv4[4];
	uint16_t port;
} AddressSlot;

typedef struct {
	ivxs_p2p *p2p;
	xsMachine *the;
	xsSlot *handler;            /* the current call's handler argument (NULL outside calls) */
	uint32_t sessions;
	Attached attached[kMaxSessions];
	size_t footprint;
	/* The addresses send() names by slot (two a session: a viewer's and the one it moves to): a
	 * handler decodes each once, when its slot is new, rather than hashing and comparing its bytes
	 * in JS for every datagram (~27 k instructions each on the 32-bit host: bench board_cpu).
	 * Taken round-robin when none matches: a reused slot is new again. */
	uint32_t addressSlots;
	uint32_t nextSlot;
	/* Datagrams written to the handler's socket in C (ivxs_udp_send), those the system refused, and
	 * those read from it and input in C (receive()). */
	uint32_t sentDirect, refusedDirect, receivedDirect;
	void *uplink;               /* the viewers' uplink shared (ivxs_uplink_hold token), or NULL */
	AddressSlot slots[];
} P2PRecord;

static ivxs_mem_counter gP2PMemory = { "p2p", 0, 0, NULL };

void xs_p2p_destructor(void *data);
static const xsHostHooks kP2PHooks = { xs_p2p_destructor, NULL, NULL };

static void detach(P2PRecord *r, uint32_t session)
{
	Attached *a = &r->attached[session];
	ivxs_p2p_session *s = ivxs_p2p_session_at(r->p2p, session);
	if (s)
		ivxs_p2p_attach_frames(s, NULL);
	if (a->ring) {
		ivxs_p2p_ring_source_close(&a->source);
		ivxs_ring_unhold(&a->ring);
	}
	if (a->queue.arena)
		ivxs_p2p_queue_source_close(&a->queue);
}

/* Queue sources take a frame's time when the session takes it: keep their clock current. */
static void setNow(P2PRecord *r, uint32_t now)
{
	uint32_t i;
	for (i = 0; i < r->sessions; i++)
		r->attached[i].queue.now = now;
}

static void destroyRecord(P2PRecord *r)
{
	uint32_t i;
	for (i = 0; i < r->sessions; i++)
		detach(r, i);
	ivxs_p2p_destroy(&r->p2p);   /* (its sessions leave the uplink) */
	ivxs_uplink_unhold(&r->uplink);
	if (r->footprint)
		ivxs_mem_add(&gP2PMemory, -(int64_t)r->footprint);
	r->footprint = 0;
}

void xs_p2p_destructor(void *data)
{
	P2PRecord *r = data;
	if (!r)
		return;
	destroyRecord(r);
	free(r);
}

static P2PRecord *getRecord(xsMachine *the)
{
	P2PRecord *r = ivxs_handle_get(the, &xsArg(0), &kP2PHooks, "p2p", "endpoint");
	if (!r->p2p)
		ivxs_error(IVXS_ECLOSED, "p2p: closed");
	return r;
}

/* Ring codes come through where a ring source failed. */
static const ivxs_status_entry *const kStatusTables[] = { ivxs_p2p_statuses, ivxs_ring_statuses, NULL };

static void throwStatus(xsMachine *the, int status)
{
	if (status == IVXS_P2P_EARG || status == IVXS_P2P_ETICKET_FORMAT)
		ivxs_throw_status(the, XS_TYPE_ERROR, "p2p", status, kStatusTables);
	if (status == IVXS_P2P_ETOOBIG || status == IVXS_P2P_EFULL)
		ivxs_throw_status(the, XS_RANGE_ERROR, "p2p", status, kStatusTables);
	ivxs_throw_status(the, XS_UNKNOWN_ERROR, "p2p", status, kStatusTables);
}

#define kMaxSafeInteger IVXS_MAX_SAFE_INTEGER

static double integerIn(xsMachine *the, xsSlot *slot, double min, double max, const char *name)
{
	return ivxs_integer(the, slot, min, max, "p2p", name);
}

/* Milliseconds of any origin: taken modulo 2^32 (the core's clock wraps). */
static uint32_t nowArg(xsMachine *the, int i)
{
	return ivxs_clock_ms(the, &xsArg(i), "p2p", "time");
}

static uint32_t sessionArg(xsMachine *the, P2PRecord *r, int i)
{
	return (uint32_t)integerIn(the, &xsArg(i), 0, r->sessions - 1, "session");
}

static ivxs_p2p_session *openSession(xsMachine *the, P2PRecord *r, int i)
{
	ivxs_p2p_session *s = ivxs_p2p_session_at(r->p2p, sessionArg(the, r, i));
	if (!s)
		ivxs_error(IVXS_EARG, "p2p: no such session");
	return s;
}

/* Bytes of a buffer argument (ArrayBuffer or view): taken last, used at once. */
static const uint8_t *bytesArg(xsMachine *the, xsSlot *slot, size_t *size)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferReadable(*slot, &data, &length);
	*size = length;
	return data;
}

/* An optional byte count at argument i (undefined: -1, all of the buffer): the first bytes of a
 * reused buffer, read without a view made for them. Read before the buffer's address is taken
 * (a conversion may run JS); checked against its size by withLength. */
static xsIntegerValue lengthArg(xsMachine *the, int i)
{
	xsIntegerValue length;
	if (xsmcArgc <= i || xsmcTypeOf(xsArg(i)) == xsUndefinedType)
		return -1;
	length = xsmcToInteger(xsArg(i));
	if (length < 0)
		ivxs_range_error(IVXS_EARG, "p2p: negative length %d", (int)length);
	return length;
}

static size_t withLength(xsMachine *the, xsIntegerValue length, size_t size)
{
	if (length < 0)
		return size;
	if ((size_t)length > size)
		ivxs_range_error(IVXS_EARG, "p2p: length %d past the buffer's %d bytes", (int)length, (int)size);
	return (size_t)length;
}

static void addressArg(xsMachine *the, xsSlot *slot, ivxs_p2p_addr *out)
{
	size_t size;
	const uint8_t *bytes = bytesArg(the, slot, &size);
	if (size > sizeof(out->bytes))
		ivxs_range_error(IVXS_EARG, "p2p: address longer than %d bytes", (int)sizeof(out->bytes));
	memset(out, 0, sizeof(*out));
	out->len = (uint8_t)size;
	memcpy(out->bytes, bytes, size);
}

/* ---------------------------------------------------------------- callbacks into JS */

/* Calls handler[name] of the current call's handler with xsVar(1 … argc) of the calling host
 * function; its result in xsVar(0) (undefined when it has none). */
static void callHandler(P2PRecord *r, const char *name, int argc)
{
	xsMachine *the = r->the;
	if (!r->handler)
		return;
	xsmcGet(xsVar(0), *r->handler, xsID(name));
	if (xsmcTypeOf(xsVar(0)) == xsUndefinedType)
		return;   /* the handler does not want these */
	xsTry {
		if (argc == 2)
			xsVar(0) = xsCallFunction2(xsVar(0), *r->handler, xsVar(1), xsVar(2));
		else if (argc == 3)
			xsVar(0) = xsCallFunction3(xsVar(0), *r->handler, xsVar(1), xsVar(2), xsVar(3));
		else if (argc == 4)
			xsVar(0) = xsCallFunction4(xsVar(0), *r->handler, xsVar(1), xsVar(2), xsVar(3), xsVar(4));
		else
			xsVar(0) = xsCallFunction6(xsVar(0), *r->handler, xsVar(1), xsVar(2), xsVar(3), xsVar(4), xsVar(5), xsVar(6));
	}
	xsCatch {
		ivxs_uncaught(the);
	}
}

/* An ArrayBuffer of at least `size` bytes in *slot. */
static int holds(xsMachine *the, xsSlot *slot, size_t size)
{
	return xsmcTypeOf(*slot) == xsReferenceType && xsmcIsInstanceOf(*slot, xsArrayBufferPrototype)
		&& (size_t)xsmcGetArrayBufferLength(*slot) >= size;
}

/* The slot of `to` in the record's address slots; *fresh when it was not there (it is now). */
static uint32_t addressSlot(P2PRecord *r, const ivxs_p2p_addr *to, int *fresh)
{
	uint32_t i;
	for (i = 0; i < r->addressSlots; i++)
		if (r->slots[i].addr.len == to->len && !memcmp(r->slots[i].addr.bytes, to->bytes, to->len)) {
			*fresh = 0;
			return i;
		}
	i = r->nextSlot;
	r->nextSlot = (i + 1) % r->addressSlots;
	r->slots[i].addr = *to;
	r->slots[i].direct = 0;
	*fresh = 1;
	return i;
}

/* The IPv4 address and port of an address as the transport names it (the JS side's
 * encodeAddress: dotted decimal, then the port, big-endian); 0 when it is another form (IPv6, a
 * test's name): those always take the handler's path. */
static int parseAddress(const ivxs_p2p_addr *a, uint8_t ipv4[4], uint16_t *port)
{
	if (a->len < 2 || !ivxs_parse_ipv4((const char *)a->bytes, a->len - 2u, ipv4))
		return 0;
	*port = (uint16_t)ivxs_get16(a->bytes + a->len - 2);
	return 1;
}

/* Whether a datagram is this wire's, by its first byte (PROTOCOL.md: the socket is shared with
 * STUN, TURN and WebRTC, whose first bytes never carry the version). */
static int isPacket(const uint8_t *data, size_t size)
{
	return size > 0 && IVXS_P2P_IS_VERSION(data[0] >> 4);
}

/* The address slot whose datagrams go straight to the socket for this source (IPv4 address and
 * port, network order), or NULL. */
static AddressSlot *directSlot(P2PRecord *r, const uint8_t from[6])
{
	uint16_t port = (uint16_t)ivxs_get16(from + 4);
	uint32_t i;
	for (i = 0; i < r->addressSlots; i++) {
		AddressSlot *a = &r->slots[i];
		if (a->direct && a->port == port && !memcmp(a->ipv4, from, 4))
			return a;
	}
	return NULL;
}

/* A datagram out: handler.send(address, datagram). A handler with a `sendBuffer` (an
 * ArrayBuffer) that holds it gets it copied there instead, as send(address, sendBuffer, length),
 * and with an `addressBuffer` too the address is copied there, as send(addressBuffer, sendBuffer,
 * length, addressLength, slot, fresh): valid during the call only, and no new ArrayBuffer a
 * datagram for the collector (~1.2 KB and ~0.1 KB each, hundreds a second with viewers: bench
 * board_memory). `slot` names the address for the endpoint's life until a call says it is `fresh`
 * again (addressSlot). The buffers' bytes are taken after both property reads (a getter may run
 * JS) and not kept past the copies.
 *
 * When that send() returns true, the slot's later datagrams skip JS: they are written to the
 * handler's `socket` (the host's UDP socket object, its `native`) by ivxs_udp_send, as long as it
 * is an open socket — ~11 k instructions of JS a datagram saved on the 32-bit host (bench
 * board_cpu). The handler answers true only for an address it sends to straight (not through a
 * TURN relay), and calls reroute() when that changes. */
static void onSend(void *ctx, const ivxs_p2p_addr *to, const uint8_t *data, size_t size)
{
	P2PRecord *r = ctx;
	xsMachine *the = r->the;
	if (r->handler) {
		int fresh;
		uint32_t slot = addressSlot(r, to, &fresh);
		if (r->slots[slot].direct) {
			int sent;
			xsmcGet(xsVar(1), *r->handler, xsID("socket"));
			sent = ivxs_udp_send(the, &xsVar(1), r->slots[slot].ipv4, r->slots[slot].port, data, size);
			if (sent != IVXS_UDP_NO_SOCKET) {
				if (sent)
					r->refusedDirect++;
				else
					r->sentDirect++;
				return;
			}
			r->slots[slot].direct = 0;   /* no socket now: the handler's path decides again */
		}
		xsmcGet(xsVar(2), *r->handler, xsID("sendBuffer"));
		xsmcGet(xsVar(1), *r->handler, xsID("addressBuffer"));
		if (holds(the, &xsVar(2), size)) {
			memcpy(xsmcToArrayBuffer(xsVar(2)), data, size);
			xsmcSetInteger(xsVar(3), (xsIntegerValue)size);
			if (holds(the, &xsVar(1), to->len)) {
				AddressSlot *a = &r->slots[slot];
				memcpy(xsmcToArrayBuffer(xsVar(1)), to->bytes, to->len);
				xsmcSetInteger(xsVar(4), (xsIntegerValue)to->len);
				xsmcSetInteger(xsVar(5), (xsIntegerValue)slot);
				xsmcSetBoolean(xsVar(6), fresh);
				callHandler(r, "send", 6);
				/* (the slot still names `to`: the handler's JS sent nothing through this endpoint) */
				if (xsmcTypeOf(xsVar(0)) == xsBooleanType && xsmcTest(xsVar(0))
						&& a->addr.len == to->len && !memcmp(a->addr.bytes, to->bytes, to->len))
					a->direct = (uint8_t)parseAddress(to, a->ipv4, &a->port);
				return;
			}
			xsmcSetArrayBuffer(xsVar(1), (void *)to->bytes, to->len);
			callHandler(r, "send", 3);
			return;
		}
	}
	xsmcSetArrayBuffer(xsVar(1), (void *)to->bytes, to->len);
	xsmcSetArrayBuffer(xsVar(2), (void *)data, (xsUnsignedValue)size);
	callHandler(r, "send", 2);
}

static void onEvent(void *ctx, ivxs_p2p_session *s, ivxs_p2p_event ev, int arg)
{
	P2PRecord *r = ctx;
	xsMachine *the = r->the;
	int index = ivxs_p2p_session_index(s);
	/* a closed session's ring reader goes with it */
	if (ev == IVXS_P2P_EV_CLOSED && index >= 0 && (uint32_t)index < r->sessions && r->attached[index].ring) {
		ivxs_p2p_ring_source_close(&r->attached[index].source);
		ivxs_ring_unhold(&r->attached[index].ring);
	}
	if (ev == IVXS_P2P_EV_CLOSED && index >= 0 && (uint32_t)index < r->sessions && r->attached[index].queue.arena)
		ivxs_p2p_queue_source_close(&r->attached[index].queue);
	xsmcSetInteger(xsVar(1), index);
	xsmcSetInteger(xsVar(2), (xsIntegerValue)ev);
	xsmcSetInteger(xsVar(3), arg);
	callHandler(r, "event", 3);
}

static void onFrame(void *ctx, ivxs_p2p_session *s, int channel, const uint8_t *data, uint32_t size, uint32_t ts, int key,
		uint32_t lost)
{
	P2PRecord *r = ctx;
	xsMachine *the = r->the;
	xsmcSetInteger(xsVar(1), ivxs_p2p_session_index(s));
	xsmcSetInteger(xsVar(2), channel);
	xsmcSetArrayBuffer(xsVar(3), (void *)data, size);
	xsmcSetNumber(xsVar(4), (double)ts);
	xsmcSetBoolean(xsVar(5), key);
	xsmcSetNumber(xsVar(6), (double)lost);
	callHandler(r, "frame", 6);
}

static void onCommand(void *ctx, ivxs_p2p_session *s, int kind, uint16_t id, const uint8_t *data, uint32_t size)
{
	P2PRecord *r = ctx;
	xsMachine *the = r->the;
	xsmcSetInteger(xsVar(1), ivxs_p2p_session_index(s));
	xsmcSetInteger(xsVar(2), kind);
	xsmcSetInteger(xsVar(3), id);
	xsmcSetArrayBuffer(xsVar(4), (void *)data, size);
	callHandler(r, "command", 4);
}

#define ENTER_VARS 7   /* the callbacks' slots: xsVar(0 … 6) */

/* Sets the handler for the duration of a call that may call back (its `vars` slots declared);
 * returns the previous one. */
static xsSlot *enterWith(xsMachine *the, P2PRecord *r, int vars)
{
	xsSlot *previous = r->handler;
	xsmcVars(vars);
	r->the = the;
	r->handler = &xsArg(1);
	return previous;
}

static xsSlot *enter(xsMachine *the, P2PRecord *r)
{
	return enterWith(the, r, ENTER_VARS);
}

/* After a call into the core: the handler of an outer call again, and the module's memory
 * counter follows the endpoint's footprint — the command windows come and go with commands
 * (sessions are allocated with the endpoint), so the counter's peak is the worst case seen. */
static void leave(P2PRecord *r, xsSlot *previous)
{
	ivxs_p2p_stats st;
	size_t footprint;
	r->handler = previous;
	if (!r->p2p)
		return;
	ivxs_p2p_stats_get(r->p2p, &st);
	footprint = st.footprint_bytes + sizeof(P2PRecord);
	if (footprint != r->footprint)
		ivxs_mem_add(&gP2PMemory, (int64_t)footprint - (int64_t)r->footprint);
	r->footprint = footprint;
}

/* ---------------------------------------------------------------- functions */

/* The numeric options of create(): name, range, the config field they set. */
static const struct {
	const char *name;
	double min, max;
	size_t field;
} kOptions[] = {
	{ "maxSessions", 1, kMaxSessions, offsetof(ivxs_p2p_config, max_sessions) },
	{ "deadlineMs", 1, 60000, offsetof(ivxs_p2p_config, deadline_ms) },
	{ "deadlineMaxMs", 1, 80000, offsetof(ivxs_p2p_config, deadline_max_ms) },
	{ "rxFrameBytes", 1, IVXS_P2P_MAX_FRAME_CHUNKS * IVXS_P2P_CHUNK, offsetof(ivxs_p2p_config, rx_frame_bytes) },
	{ "low", 0, UINT32_MAX, offsetof(ivxs_p2p_config, low) },
	{ "warn", 0, UINT32_MAX, offsetof(ivxs_p2p_config, warn) },
	{ "high", 0, UINT32_MAX, offsetof(ivxs_p2p_config, high) },
	{ "version", IVXS_P2P_VERSION, IVXS_P2P_VERSION_AES, offsetof(ivxs_p2p_config, version) },
};

/* create({ role: "camera" | "viewer", deviceSecret, deviceId, maxSessions, deadlineMs, deadlineMaxMs,
 *   keepAlive: { intervalS, attempts } (either 0: off), low, warn, high, rxFrameBytes, version }) -> native */
void xs_p2p_create(xsMachine *the)
{
	ivxs_p2p_config c;
	ivxs_p2p_stats st;
	P2PRecord *r;
	double v;
	int status;
	size_t i;
	uint32_t sessions;
	uint8_t secret[64];
	memset(&c, 0, sizeof(c));
	ivxs_host_attach(the);
	xsmcVars(2);
	if (xsmcArgc < 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "p2p: options required");
	xsmcGet(xsVar(0), xsArg(0), xsID("role"));
	if (xsmcTypeOf(xsVar(0)) != xsStringType)
		ivxs_type_error(IVXS_EARG, "p2p: role must be \"camera\" or \"viewer\"");
	if (!strcmp(xsmcToString(xsVar(0)), "camera"))
		c.role = IVXS_P2P_SERVER;
	else if (!strcmp(xsmcToString(xsVar(0)), "viewer"))
		c.role = IVXS_P2P_CLIENT;
	else
		ivxs_type_error(IVXS_EARG, "p2p: role must be \"camera\" or \"viewer\"");
	for (i = 0; i < sizeof(kOptions) / sizeof(kOptions[0]); i++) {
		uint32_t *field = (uint32_t *)((uint8_t *)&c + kOptions[i].field);
		*field = (uint32_t)ivxs_option_integer(the, &xsArg(0), kOptions[i].name, &xsVar(0), kOptions[i].min,
				kOptions[i].max, *field, "p2p");
	}
	xsmcGet(xsVar(0), xsArg(0), xsID("keepAlive"));
	if (xsmcTypeOf(xsVar(0)) == xsReferenceType) {
		xsmcGet(xsVar(1), xsVar(0), xsID("intervalS"));
		v = integerIn(the, &xsVar(1), 0, 600, "keepAlive.intervalS");
		c.keepalive_interval_ms = (uint32_t)v * 1000;
		xsmcGet(xsVar(1), xsVar(0), xsID("attempts"));
		c.keepalive_attempts = (uint32_t)integerIn(the, &xsVar(1), 0, 100, "keepAlive.attempts");
		/* SPEC §2: either 0 disables it */
		c.keepalive_off = !c.keepalive_interval_ms || !c.keepalive_attempts;
	}
	if (c.role == IVXS_P2P_SERVER) {
		size_t size;
		const uint8_t *bytes;
		xsmcGet(xsVar(0), xsArg(0), xsID("deviceId"));
		if (xsmcTypeOf(xsVar(0)) != xsStringType || strlen(xsmcToString(xsVar(0))) > IVXS_P2P_ID_BYTES)
			ivxs_type_error(IVXS_EARG, "p2p: deviceId must be a string of at most 16 bytes");
		memcpy(c.device_id, xsmcToString(xsVar(0)), strlen(xsmcToString(xsVar(0))));
		xsmcGet(xsVar(0), xsArg(0), xsID("deviceSecret"));
		if (xsmcTypeOf(xsVar(0)) != xsReferenceType)
			ivxs_type_error(IVXS_EARG, "p2p: deviceSecret required");
		bytes = bytesArg(the, &xsVar(0), &size);
		if (!size || size > sizeof(secret))
			ivxs_range_error(IVXS_EARG, "p2p: deviceSecret of 1 to 64 bytes");
		memcpy(secret, bytes, size);
		c.device_secret = secret;
		c.device_secret_len = size;
	}
	sessions = c.role == IVXS_P2P_SERVER ? (c.max_sessions ? c.max_sessions : 4) : 1;
	r = calloc(1, sizeof(P2PRecord) + 2 * sessions * sizeof(AddressSlot));
	if (!r)
		ivxs_error(IVXS_ENOMEM, "p2p: no memory");
	r->addressSlots = 2 * sessions;
	c.cb.send = onSend;
	c.cb.event = onEvent;
	c.cb.frame = onFrame;
	c.cb.command = onCommand;
	c.cb.random = ivxs_random_bytes;
	c.cb.ctx = r;
	status = ivxs_p2p_create(&r->p2p, &c);
	memset(secret, 0, sizeof(secret));
	if (status) {
		free(r);
		throwStatus(the, status);
	}
	r->sessions = sessions;
	ivxs_p2p_stats_get(r->p2p, &st);
	r->footprint = st.footprint_bytes + sizeof(P2PRecord) + r->addressSlots * sizeof(AddressSlot);
	ivxs_mem_register(&gP2PMemory);
	ivxs_mem_add(&gP2PMemory, (int64_t)r->footprint);
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kP2PHooks);
	xsmcSetHostData(xsResult, r);
}

/* destroy(native): frees the core now (the object stays, closed). */
void xs_p2p_destroy(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	if (r->handler)
		ivxs_error(IVXS_P2P_ESTATE, "p2p: cannot close an endpoint from its own callback");
	destroyRecord(r);
}

/* setUnixTime(native, seconds) */
void xs_p2p_set_unix_time(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_set_unix_time(r->p2p, (uint64_t)integerIn(the, &xsArg(1), 0, kMaxSafeInteger, "time"));
}

/* reroute(native): every address takes the handler's send() again, which says anew whether it
 * goes straight to the socket (a peer moved behind a relay, or out from behind one). */
void xs_p2p_reroute(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	uint32_t i;
	for (i = 0; i < r->addressSlots; i++)
		r->slots[i].direct = 0;
}

/* directStats(native) -> { sent, refused, received }: datagrams written to the handler's socket
 * in C, refused by the system, and read from a socket and input in C. */
void xs_p2p_direct_stats(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	ivxs_set_number(xsResult, "sent", r->sentDirect, xsVar(0));
	ivxs_set_number(xsResult, "refused", r->refusedDirect, xsVar(0));
	ivxs_set_number(xsResult, "received", r->receivedDirect, xsVar(0));
}

/* A datagram into the core, inside a call that set the handler: copied first, since it lies in a
 * JS buffer that moves if a callback allocates (the core reads it before any callback). Its
 * status; IVXS_P2P_ETRUNC for one longer than the transport's MTU. */
static int inputCopy(P2PRecord *r, const ivxs_p2p_addr *from, const void *data, size_t size, uint32_t now)
{
	uint8_t copy[IVXS_P2P_MTU];
	if (size > sizeof(copy))
		return IVXS_P2P_ETRUNC;
	memcpy(copy, data, size);
	setNow(r, now);
	return ivxs_p2p_input(r->p2p, from, copy, size, now);
}

/* input(native, handler, address, datagram, now) -> status (0 or a negative code: dropped) */
void xs_p2p_input(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_addr from;
	uint32_t now = nowArg(the, 4);
	const uint8_t *data;
	size_t size;
	xsSlot *previous;
	xsIntegerValue length = lengthArg(the, 5);
	addressArg(the, &xsArg(2), &from);
	data = bytesArg(the, &xsArg(3), &size);
	size = withLength(the, length, size);
	previous = enter(the, r);
	xsmcSetInteger(xsResult, inputCopy(r, &from, data, size, now));
	leave(r, previous);
}

/* receive(native, handler, socket, into, from, now, takers) -> the length of a datagram left for
 * the caller, or -1 when none waits (IVXS_UDP_NO_SOCKET: `socket` is not an open UDP socket).
 * Reads the socket (a UDP socket's `native`) in C: the transport's packets from an address whose
 * datagrams go straight to it (send() answered true for its slot) are input here, with no JS a
 * datagram (~10 k instructions each on the 32-bit host, one ACK a packet sent: bench board_cpu),
 * and another wire's peers take theirs (`takers`, ivxs_link_take: WebRTC's viewers' RTCP). Every
 * other datagram — a relay's, STUN, a peer not known yet or moved behind a relay — is left in
 * `into` (an ArrayBuffer; a longer one is cut, its whole length returned) with its source in
 * `from` (6 bytes: IPv4 address and port, network order), and the caller decides as it would
 * have. `into` and `from` are taken again after each input or take (they may run JS or allocate). */
static int receiveDirect(xsMachine *the, P2PRecord *r, uint32_t now)
{
	for (;;) {
		uint8_t source[6];
		void *data, *from;
		xsUnsignedValue capacity, fromSize;
		AddressSlot *slot;
		int length;
		xsmcGetBufferWritable(xsArg(4), &from, &fromSize);
		xsmcGetBufferWritable(xsArg(3), &data, &capacity);
		if (fromSize < 6)
			return -1;   /* (checked before the first read: only a callback's resize gets here) */
		/* nothing from here to the input runs JS: data and from stay where they are */
		length = ivxs_udp_receive(the, &xsArg(2), data, capacity, source);
		if (length < 0)
			return length;
		slot = (size_t)length <= IVXS_P2P_MTU && (size_t)length <= capacity && isPacket(data, (size_t)length)
			? directSlot(r, source) : NULL;
		if (!slot) {
			if ((size_t)length <= capacity && ivxs_link_take(the, &xsArg(6), &xsArg(2), source, data, (size_t)length, now, ENTER_VARS))
				continue;
			memcpy(from, source, 6);
			return length;
		}
		inputCopy(r, &slot->addr, data, (size_t)length, now);
		r->receivedDirect++;
	}
}

void xs_p2p_receive(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	uint32_t now = nowArg(the, 5);
	xsSlot *previous;
	void *from;
	xsUnsignedValue fromSize;
	xsmcGetBufferWritable(xsArg(4), &from, &fromSize);
	if (fromSize < 6)
		ivxs_range_error(IVXS_EARG, "p2p: receive's from needs 6 bytes");
	previous = enterWith(the, r, ENTER_VARS + IVXS_LINK_TAKE_VARS + 3);
	xsTry {
		xsmcSetInteger(xsResult, receiveDirect(the, r, now));
	}
	xsCatch {
		leave(r, previous);   /* the socket's read threw (a system error): the caller sees it */
		xsThrow(xsException);
	}
	leave(r, previous);
}

/* tick(native, handler, now) -> milliseconds until it wants to run again */
void xs_p2p_tick(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	uint32_t now = nowArg(the, 2), wait;
	xsSlot *previous = enter(the, r);
	setNow(r, now);
	wait = ivxs_p2p_tick(r->p2p, now);
	leave(r, previous);
	xsmcSetInteger(xsResult, (xsIntegerValue)wait);
}

/* connect(native, handler, address, ticket, psk, now) -> session */
void xs_p2p_connect(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_addr to;
	ivxs_p2p_session *s = NULL;
	uint8_t ticket[IVXS_P2P_TICKET_BYTES], psk[IVXS_P2P_PSK_BYTES];
	uint32_t now = nowArg(the, 5);
	const uint8_t *bytes;
	size_t size;
	xsSlot *previous;
	int status;
	addressArg(the, &xsArg(2), &to);
	bytes = bytesArg(the, &xsArg(3), &size);
	if (size != sizeof(ticket))
		ivxs_type_error(IVXS_P2P_ETICKET_FORMAT, "p2p: a ticket is %d bytes", IVXS_P2P_TICKET_BYTES);
	memcpy(ticket, bytes, size);
	bytes = bytesArg(the, &xsArg(4), &size);
	if (size != sizeof(psk))
		ivxs_type_error(IVXS_EARG, "p2p: a psk is %d bytes", IVXS_P2P_PSK_BYTES);
	memcpy(psk, bytes, size);
	previous = enter(the, r);
	status = ivxs_p2p_connect(r->p2p, &to, ticket, sizeof(ticket), psk, now, &s);
	leave(r, previous);
	memset(psk, 0, sizeof(psk));
	if (status)
		throwStatus(the, status);
	xsmcSetInteger(xsResult, ivxs_p2p_session_index(s));
}

/* command(native, handler, session, kind, id, bytes, now) -> 0, or EAGAIN (-414): no room now */
void xs_p2p_command(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_session *s = openSession(the, r, 2);
	int kind = (int)integerIn(the, &xsArg(3), IVXS_P2P_REQUEST, IVXS_P2P_CONTROL_REPLY, "kind");
	uint16_t id = (uint16_t)integerIn(the, &xsArg(4), 0, 65535, "id");
	uint32_t now = nowArg(the, 6);
	const uint8_t *bytes;
	size_t size;
	xsSlot *previous = enter(the, r);
	int status;
	bytes = bytesArg(the, &xsArg(5), &size);
	if (size > IVXS_P2P_MAX_COMMAND) {
		leave(r, previous);
		ivxs_range_error(IVXS_P2P_ETOOBIG, "p2p: a command is at most %d bytes", IVXS_P2P_MAX_COMMAND);
	}
	/* the core copies the bytes before it calls back */
	setNow(r, now);
	status = ivxs_p2p_command(s, kind, id, bytes, (uint32_t)size, now);
	leave(r, previous);
	if (status && status != IVXS_P2P_EAGAIN)
		throwStatus(the, status);
	xsmcSetInteger(xsResult, status);
}

/* attachRing(native, session, ring (native), timeOffsetMs): the session's outgoing
 * frames come from the ring's newest key frame on, zero-copy; frame.time_ms =
 * ring timestamp + timeOffsetMs (the clock of `now`). */
void xs_p2p_attach_ring(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_session *s = openSession(the, r, 1);
	uint32_t index = (uint32_t)ivxs_p2p_session_index(s);
	double offset = xsmcToNumber(xsArg(3));
	ivxs_p2p_frame_source src;
	void *token = NULL;
	ivxs_ring *ring;
	int status;
	if (!(offset >= -kMaxSafeInteger && offset <= kMaxSafeInteger) || offset != (double)(int64_t)offset)
		ivxs_range_error(IVXS_EARG, "p2p: invalid timeOffsetMs");
	ring = ivxs_ring_hold(the, &xsArg(2), &token);
	detach(r, index);
	status = ivxs_p2p_ring_source_init(&r->attached[index].source, ring, (int64_t)offset, &src);
	if (status) {
		ivxs_ring_unhold(&token);
		ivxs_error(IVXS_RING_EREADERS, "p2p: the ring has no free reader");
	}
	status = ivxs_p2p_attach_frames(s, &src);
	if (status) {
		ivxs_p2p_ring_source_close(&r->attached[index].source);
		ivxs_ring_unhold(&token);
		throwStatus(the, status);
	}
	r->attached[index].ring = token;
}

/* attachQueue(native, session, capacity, slots): the session's outgoing frames (camera: media,
 * viewer: voice) are what pushFrame() queues, copied into `capacity` bytes held until sent. */
void xs_p2p_attach_queue(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_session *s = openSession(the, r, 1);
	uint32_t index = (uint32_t)ivxs_p2p_session_index(s);
	uint32_t capacity = (uint32_t)integerIn(the, &xsArg(2), IVXS_P2P_CHUNK, 64 * 1024 * 1024, "capacity");
	uint32_t slots = (uint32_t)integerIn(the, &xsArg(3), 1, 65536, "slots");
	ivxs_p2p_frame_source src;
	int status;
	detach(r, index);
	status = ivxs_p2p_queue_source_init(&r->attached[index].queue, capacity, slots, NULL, &src);
	if (!status)
		status = ivxs_p2p_attach_frames(s, &src);
	if (status) {
		ivxs_p2p_queue_source_close(&r->attached[index].queue);
		throwStatus(the, status);
	}
}

/* pushFrame(native, session, bytes, key, timestampMs, flags) -> 0, or EAGAIN (-414): the queue
 * holds frames not sent yet where this one would go (try later) */
void xs_p2p_push_frame(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	uint32_t index = sessionArg(the, r, 1);
	int key = xsmcTest(xsArg(3));
	uint32_t ts = (uint32_t)(uint64_t)integerIn(the, &xsArg(4), 0, kMaxSafeInteger, "timestamp");
	uint8_t flags = (uint8_t)integerIn(the, &xsArg(5), 0, 255, "flags");
	const uint8_t *bytes;
	size_t size;
	int status;
	if (!r->attached[index].queue.arena)
		ivxs_error(IVXS_P2P_ESTATE, "p2p: no queue attached to this session");
	bytes = bytesArg(the, &xsArg(2), &size);
	if (size > UINT32_MAX)
		ivxs_range_error(IVXS_P2P_ETOOBIG, "p2p: frame too large");
	status = ivxs_p2p_queue_source_push(&r->attached[index].queue, bytes, (uint32_t)size, key, ts, flags);
	if (status && status != IVXS_P2P_EAGAIN)
		throwStatus(the, status);
	xsmcSetInteger(xsResult, status);
}

/* setWatermarks(native, low, warn, high) */
void xs_p2p_set_watermarks(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	uint32_t low = (uint32_t)integerIn(the, &xsArg(1), 0, UINT32_MAX, "low");
	uint32_t warn = (uint32_t)integerIn(the, &xsArg(2), 0, UINT32_MAX, "warn");
	uint32_t high = (uint32_t)integerIn(the, &xsArg(3), 0, UINT32_MAX, "high");
	int status = ivxs_p2p_set_watermarks(r->p2p, low, warn, high);
	if (status)
		ivxs_range_error(IVXS_P2P_EARG, "p2p: watermarks must be all 0, or 0 < low <= warn <= high");
}

/* shareUplink(native, uplink): its sessions take their parts of the viewers' uplink (an Uplink's
 * host object; undefined: none) */
void xs_p2p_share_uplink(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	void *token = NULL, *before;
	ivxs_uplink *u = xsmcTypeOf(xsArg(1)) == xsUndefinedType ? NULL : ivxs_uplink_hold(the, &xsArg(1), &token);
	if (ivxs_p2p_share_uplink(r->p2p, u)) {
		ivxs_uplink_unhold(&token);
		ivxs_range_error(IVXS_P2P_EARG, "p2p: an uplink is the camera's (server role)");
	}
	before = r->uplink;
	r->uplink = token;
	ivxs_uplink_unhold(&before);
}

/* detach(native, session) */
void xs_p2p_detach(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	detach(r, sessionArg(the, r, 1));
}

/* closeSession(native, handler, session, now) */
void xs_p2p_close_session(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_session *s = openSession(the, r, 2);
	uint32_t now = nowArg(the, 3);
	xsSlot *previous = enter(the, r);
	setNow(r, now);
	ivxs_p2p_close(s, now);
	leave(r, previous);
}

typedef struct {
	const char *name;
	uint64_t value;
} Field;

/* xsResult = { name: value, ... } */
static void fields(xsMachine *the, const Field *f, size_t n)
{
	size_t i;
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	for (i = 0; i < n; i++)
		ivxs_set_number(xsResult, f[i].name, (double)f[i].value, xsVar(0));
}

/* channelStats(native, session, channel) -> { sendBuffered, instRate, avgRate, ackedBytes, ... } */
void xs_p2p_channel_stats(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_session *s = openSession(the, r, 1);
	ivxs_p2p_channel_stats st;
	int channel = (int)integerIn(the, &xsArg(2), 0, IVXS_P2P_CHANNELS - 1, "channel");
	ivxs_p2p_channel_stats_get(s, channel, &st);
	{
		const Field f[] = {
			{ "sendBuffered", st.send_buffered }, { "instRate", st.inst_rate }, { "avgRate", st.avg_rate },
			{ "ackedBytes", st.acked_bytes }, { "framesSent", st.frames_sent }, { "framesGivenUp", st.frames_given_up },
			{ "framesTorn", st.frames_torn }, { "framesSkipped", st.frames_skipped }, { "retransmits", st.retransmits },
		};
		fields(the, f, sizeof(f) / sizeof(f[0]));
	}
}

/* sessionStats(native, session) -> { srttMs, ..., rights, version, footprintBytes, viewerId, peer } */
void xs_p2p_session_stats(xsMachine *the)
{
	P2PRecord *r = getRecord(the);
	ivxs_p2p_session *s = openSession(the, r, 1);
	ivxs_p2p_session_stats st;
	ivxs_p2p_session_stats_get(s, &st);
	{
		const Field f[] = {
			{ "srttMs", st.srtt_ms }, { "minRttMs", st.min_rtt_ms }, { "rtoMs", st.rto_ms }, { "bandwidth", st.bandwidth },
			{ "pacingRate", st.pacing_rate }, { "packetsSent", st.packets_sent }, { "packetsReceived", st.packets_received },
			{ "packetsLost", st.packets_lost }, { "droppedAuth", st.dropped_auth }, { "droppedReplay", st.dropped_replay },
			{ "rights", st.rights }, { "version", st.version }, { "footprintBytes", st.footprint_bytes },
		};
		fields(the, f, sizeof(f) / sizeof(f[0]));
	}
	{
		/* the ticket's viewer id: ASCII, zero-padded to 16 bytes */
		char id[IVXS_P2P_ID_BYTES + 1];
		int i;
		for (i = 0; i < IVXS_P2P_ID_BYTES; i++)
			id[i] = st.viewer_id[i] < 0x80 ? (char)st.viewer_id[i] : '?';
		id[IVXS_P2P_ID_BYTES] = 0;
		xsmcSetString(xsVar(0), id);
		xsmcSet(xsResult, xsID("viewerId"), xsVar(0));
	}
	/* the peer's address bytes (as send() gets them): the path type is judged from it (modules/p2p/path.ts) */
	xsmcSetArrayBuffer(xsVar(0), st.peer.bytes, st.peer.len);
	xsmcSet(xsResult, xsID("peer"), xsVar(0));
}

/* isPacket(datagram, length?) -> whether its first byte is this wire's (version << 4 | type: PROTOCOL.md);
 * no other protocol sharing the socket starts so (STUN 0–3, DTLS 20–63, TURN channels 64–79,
 * RTP/RTCP 128–191). Read in place: the camera tests every datagram it hears, with no view made. */
void xs_p2p_is_packet(xsMachine *the)
{
	size_t size;
	xsIntegerValue length = lengthArg(the, 1);
	const uint8_t *bytes = bytesArg(the, &xsArg(0), &size);
	size = withLength(the, length, size);
	xsmcSetBoolean(xsResult, isPacket(bytes, size));
}

/* randomBytes(count) -> ArrayBuffer of 1 … 64 bytes from the transport's random source (getrandom,
 * esp_fill_random): STUN and TURN transaction ids (modules/p2p), which Math.random would make guessable. */
void xs_p2p_random_bytes(xsMachine *the)
{
	uint8_t bytes[64];
	size_t count = (size_t)integerIn(the, &xsArg(0), 1, sizeof(bytes), "count");
	if (ivxs_random_bytes(NULL, bytes, count))
		throwStatus(the, IVXS_P2P_ECRYPTO);
	xsmcSetArrayBuffer(xsResult, bytes, count);
}

/* mintTicket(secret, deviceId, viewerId, rights, expiryS) -> [ticket, psk] (ArrayBuffers) */
void xs_p2p_mint_ticket(xsMachine *the)
{
	ivxs_p2p_ticket t;
	uint8_t ticket[IVXS_P2P_TICKET_BYTES], psk[IVXS_P2P_PSK_BYTES], secret[64];
	const uint8_t *bytes;
	size_t size;
	int i, status;
	memset(&t, 0, sizeof(t));
	xsmcVars(1);
	for (i = 1; i <= 2; i++) {
		const char *id;
		if (xsmcTypeOf(xsArg(i)) != xsStringType || strlen(xsmcToString(xsArg(i))) > IVXS_P2P_ID_BYTES)
			ivxs_type_error(IVXS_EARG, "p2p: ids are strings of at most 16 bytes");
		id = xsmcToString(xsArg(i));
		memcpy(i == 1 ? t.device_id : t.viewer_id, id, strlen(id));
	}
	t.rights = (uint32_t)integerIn(the, &xsArg(3), 0, 15, "rights");
	t.expiry_s = (uint64_t)integerIn(the, &xsArg(4), 0, kMaxSafeInteger, "expiry");
	bytes = bytesArg(the, &xsArg(0), &size);
	if (!size || size > sizeof(secret))
		ivxs_range_error(IVXS_EARG, "p2p: a secret of 1 to 64 bytes");
	memcpy(secret, bytes, size);
	status = ivxs_p2p_ticket_mint(secret, size, &t, ticket, psk);
	memset(secret, 0, sizeof(secret));
	if (status)
		throwStatus(the, status);
	xsResult = xsNewArray(2);
	xsmcSetArrayBuffer(xsVar(0), ticket, sizeof(ticket));
	xsmcSetIndex(xsResult, 0, xsVar(0));
	xsmcSetArrayBuffer(xsVar(0), psk, sizeof(psk));
	xsmcSetIndex(xsResult, 1, xsVar(0));
}
