// The P2P transport (native/p2p): an encrypted, congestion-controlled UDP
// transport whose portable C core (p2p.h) sends media straight from the GOP
// ring. The wire format is native/p2p/PROTOCOL.md.
//
// Endpoint is a plain class over a native host object (not `class X @ "…"`):
// XS cannot put a class with a host destructor into a heap snapshot, and apps
// preload this module into one. The core never keeps a callback: every call
// that may call back passes the handler, and the core calls it inside that
// call (send, event, frame, command).
import { nativeRing } from "ring";

function create(options) @ "xs_p2p_create";
function destroy(p2p) @ "xs_p2p_destroy";
function setUnixTime(p2p, seconds) @ "xs_p2p_set_unix_time";
function input(p2p, handler, address, datagram, now, length) @ "xs_p2p_input";
function receive(p2p, handler, socket, into, from, now, takers) @ "xs_p2p_receive";
function tick(p2p, handler, now) @ "xs_p2p_tick";
function connect(p2p, handler, address, ticket, psk, now) @ "xs_p2p_connect";
function command(p2p, handler, session, kind, id, bytes, now) @ "xs_p2p_command";
function attachRing(p2p, session, ring, timeOffsetMs) @ "xs_p2p_attach_ring";
function detach(p2p, session) @ "xs_p2p_detach";
function attachQueue(p2p, session, capacity, slots) @ "xs_p2p_attach_queue";
function pushFrame(p2p, session, bytes, key, timestamp, flags) @ "xs_p2p_push_frame";
function setWatermarks(p2p, low, warn, high) @ "xs_p2p_set_watermarks";
function shareUplink(p2p, uplink) @ "xs_p2p_share_uplink";
function createUplink(now) @ "xs_uplink_create";
function setUplinkRate(uplink, rate, now) @ "xs_uplink_set_rate";
function uplinkFigures(uplink) @ "xs_uplink_figures";
function closeSession(p2p, handler, session, now) @ "xs_p2p_close_session";
function channelStats(p2p, session, channel) @ "xs_p2p_channel_stats";
function sessionStats(p2p, session) @ "xs_p2p_session_stats";
function reroute(p2p) @ "xs_p2p_reroute";
function directStats(p2p) @ "xs_p2p_direct_stats";
// mintTicket(deviceSecret, deviceId, viewerId, rights, expiryS) -> [ticket, psk]:
// what the cloud does (PROTOCOL.md "Tickets"); for tests and tools.
export function mintTicket(secret, deviceId, viewerId, rights, expiryS) @ "xs_p2p_mint_ticket";
// isPacket(datagram, length) -> whether it is this wire's by its first byte (the socket is shared with
// STUN, TURN and WebRTC: PROTOCOL.md), read in place.
export function isPacket(datagram, length) @ "xs_p2p_is_packet";
// randomBytes(count) -> ArrayBuffer of 1 … 64 bytes from the platform's random source (STUN/TURN
// transaction ids: modules/p2p/stun.ts).
export function randomBytes(count) @ "xs_p2p_random_bytes";

export const MTU = 1200;
/** The longest address the transport takes (ivxs_p2p_addr). */
export const ADDRESS_BYTES = 31;
export const TICKET_BYTES = 76;
export const PSK_BYTES = 32;
export const MAX_COMMAND = 16384;

export const Rights = Object.freeze({ live: 1, playback: 2, talk: 4, command: 8 });
export const Channel = Object.freeze({ command: 0, media: 1, voice: 2 });
export const Kind = Object.freeze({ request: 1, reply: 2, control: 3, controlReply: 4 });
export const Event = Object.freeze({
	connected: 1, closed: 2, addrChanged: 3, watermarkLow: 4, watermarkWarn: 5, watermarkHigh: 6,
});
// Status codes of the core (ivxs_p2p_strerror): input() returns them for dropped datagrams,
// command() returns again (-414) when the buffer is full; the others are thrown (see codes).
export const Status = Object.freeze({
	ok: 0, arg: -401, nomem: -402, crypto: -403, ticketForged: -404, ticketExpired: -405, ticketDevice: -406,
	ticketFormat: -407, trunc: -408, replay: -409, auth: -410, noSession: -411, full: -412, state: -413,
	again: -414, tooBig: -415, version: -416, closed: -417, rights: -418, proto: -419, timeout: -420, weakKey: -421,
});

// handler: { send(address: ArrayBuffer, datagram: ArrayBuffer, length?: number, addressLength?: number, slot?: number, fresh?: boolean),
//   sendBuffer?: ArrayBuffer, addressBuffer?: ArrayBuffer,
//   event(session, event, arg),
//   frame(session, channel, bytes: ArrayBuffer, timestamp, key, lost), command(session, kind, id, bytes) }
// With a sendBuffer that holds the datagram, send gets it copied there and its length: the bytes
// are valid during the call only (send or copy them then). Without one, each datagram is new. With
// an addressBuffer too (and a sendBuffer), the address is copied there and its length given, then
// its slot, which names it until a call says it is fresh again (decode it once, then by slot).
// send returning true says the slot's later datagrams may skip it: they are written in C to
// handler.socket (a UDP socket's `native`, ivxs_udp_send) while it is an open socket — until
// reroute(), which a handler calls when an address it answered true for must take send() again
// (a peer now behind a TURN relay). The same slots' packets coming in may be read in C too: receive().
// Times are milliseconds of any origin (taken modulo 2^32).
export class Endpoint {
	#p2p;
	#handler;
	#rings = [];
	constructor(options, handler) {
		this.#p2p = create(options);
		this.#handler = handler;
	}
	setUnixTime(seconds) {
		setUnixTime(this.#p2p, seconds);
	}
	input(address, datagram, now, length) {
		return input(this.#p2p, this.#handler, address, datagram, now, length);
	}
	// Reads `socket` (a UDP socket's `native`) until a datagram this endpoint does not take itself:
	// its length, left in `into` with its source in `from` (6 bytes: IPv4 address and port, network
	// order), or -1 when none waits. Taken in C: its packets from the addresses send() answered
	// true for, and the datagrams of another wire's peers in `takers` (an Array of a wire's peers,
	// each a peer whose first element is a host object that takes its own in C: ivxs_kit.h's
	// ivxs_link_take — WebRTC's feed entries).
	receive(socket, into, from, now, takers) {
		return receive(this.#p2p, this.#handler, socket, into, from, now, takers);
	}
	tick(now) {
		return tick(this.#p2p, this.#handler, now);
	}
	connect(address, ticket, psk, now) {
		return connect(this.#p2p, this.#handler, address, ticket, psk, now);
	}
	command(session, kind, id, bytes, now) {
		return command(this.#p2p, this.#handler, session, kind, id, bytes, now);
	}
	// The session's outgoing frames (camera: media) from the ring, zero-copy.
	attachRing(session, ring, timeOffsetMs = 0) {
		attachRing(this.#p2p, session, nativeRing(ring), timeOffsetMs);
		this.#rings[session] = ring;
	}
	// The session's outgoing frames (camera: media, viewer: voice) are the ones pushFrame()
	// queues: copied into `capacity` bytes (at most `slots` frames not sent yet).
	attachQueue(session, capacity, slots = 256) {
		attachQueue(this.#p2p, session, capacity, slots);
		this.#rings[session] = undefined;
	}
	// 0, or Status.again when the queue has no room for it now (nothing queued is ever dropped).
	// A frame's deadline counts from when the session takes it, not from this push.
	pushFrame(session, bytes, key = true, timestamp = 0, flags = 0) {
		return pushFrame(this.#p2p, session, bytes, key, timestamp, flags);
	}
	// All 0: no events; else 0 < low <= warn <= high (RangeError otherwise).
	setWatermarks(low, warn, high) {
		setWatermarks(this.#p2p, low, warn, high);
	}
	// Camera role: its sessions' packets take their parts of `uplink` (an Uplink; undefined: none).
	shareUplink(uplink) {
		shareUplink(this.#p2p, uplink === undefined ? undefined : uplinkOf(uplink));
	}
	detach(session) {
		detach(this.#p2p, session);
		this.#rings[session] = undefined;
	}
	closeSession(session, now) {
		closeSession(this.#p2p, this.#handler, session, now);
	}
	channelStats(session, channel) {
		return channelStats(this.#p2p, session, channel);
	}
	sessionStats(session) {
		return sessionStats(this.#p2p, session);
	}
	reroute() {
		reroute(this.#p2p);
	}
	// { sent, refused, received }: datagrams written to handler.socket in C, those the system
	// refused, and those receive() read and input in C.
	directStats() {
		return directStats(this.#p2p);
	}
	close() {
		destroy(this.#p2p);
		this.#rings = [];
	}
}
Object.freeze(Endpoint.prototype);
export default Endpoint;

let uplinkOf;

// The camera's uplink for its viewers, on every wire (uplink.h): a budget in bytes/s (0: none, the
// start) that the viewers of the endpoints and WebRTC feeds sharing it take max-min fair parts of.
// figures(): { rate, level (each viewer's part), viewers }.
export class Uplink {
	#uplink;
	constructor(now) {
		this.#uplink = createUplink(now);
	}
	setRate(bytesPerSecond, now) {
		setUplinkRate(this.#uplink, bytesPerSecond, now);
	}
	figures() {
		return uplinkFigures(this.#uplink);
	}
	static {
		uplinkOf = (uplink) => {
			if (!(uplink instanceof Uplink)) throw new TypeError("p2p: not an Uplink");
			return uplink.#uplink;
		};
	}
}
Object.freeze(Uplink.prototype);

// For native modules whose viewers take their part of it (webrtc's feeds): the host object.
export function nativeUplink(uplink) {
	return uplinkOf(uplink);
}

// The `code` of the errors this module throws (native/common/README.md): match
// errors by code, never by message. The kit's own (IVXS_EARG, …) are in ivxs/codes (ring codes come through too: ring's codes).
export const codes = Object.freeze({
	EARG: "IVXS_P2P_EARG",
	ENOMEM: "IVXS_P2P_ENOMEM",
	ECRYPTO: "IVXS_P2P_ECRYPTO",
	ETICKET_FORGED: "IVXS_P2P_ETICKET_FORGED",
	ETICKET_EXPIRED: "IVXS_P2P_ETICKET_EXPIRED",
	ETICKET_DEVICE: "IVXS_P2P_ETICKET_DEVICE",
	ETICKET_FORMAT: "IVXS_P2P_ETICKET_FORMAT",
	ETRUNC: "IVXS_P2P_ETRUNC",
	EREPLAY: "IVXS_P2P_EREPLAY",
	EAUTH: "IVXS_P2P_EAUTH",
	ENOSESSION: "IVXS_P2P_ENOSESSION",
	EFULL: "IVXS_P2P_EFULL",
	ESTATE: "IVXS_P2P_ESTATE",
	EAGAIN: "IVXS_P2P_EAGAIN",
	ETOOBIG: "IVXS_P2P_ETOOBIG",
	EVERSION: "IVXS_P2P_EVERSION",
	ECLOSED: "IVXS_P2P_ECLOSED",
	ERIGHTS: "IVXS_P2P_ERIGHTS",
	EPROTO: "IVXS_P2P_EPROTO",
	ETIMEOUT: "IVXS_P2P_ETIMEOUT",
	EWEAKKEY: "IVXS_P2P_EWEAKKEY",
});
