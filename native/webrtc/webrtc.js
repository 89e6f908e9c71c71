// The camera's WebRTC wire (native/webrtc): SRTP/SRTCP contexts (AES_CM_128_HMAC_SHA1_80 over
// mbedTLS) and H.264 / H.265 RTP packetization of an access unit. README.md says what is built
// and what is to come.
//
// Srtp is a plain class over a native host object (not `class X @ "…"`): XS cannot put a class
// with a host destructor into a heap snapshot, and apps preload this module into one.
import { nativeRing } from "ring";
import { nativeUplink } from "p2p";

function create(key, salt, rtcpOnly) @ "xs_webrtc_srtp_create";
function apply(srtp, op, buffer, length) @ "xs_webrtc_srtp";
function close(srtp) @ "xs_webrtc_srtp_close";

function createCc(extensionId, now) @ "xs_webrtc_cc_create";
function ccRate(cc, now) @ "xs_webrtc_cc_rate";
function ccOpen(cc, bytes, now) @ "xs_webrtc_cc_open";
function ccStats(cc) @ "xs_webrtc_cc_stats";
function rtcpRead(entry, buffer, length, now, wall) @ "xs_webrtc_rtcp_read";
function feedsFed(entries) @ "xs_webrtc_feeds_fed";
function createFeed(ring, codec, videoSsrc, videoSeq, videoPt, audioCodec, audioSsrc, audioSeq, audioPt, audioCounted, twccId, now) @ "xs_webrtc_feed_create";
function feedTick(feed, srtp, cc, path, now) @ "xs_webrtc_feed_tick";
function feedsTick(entries, now, out) @ "xs_webrtc_feeds_tick";
function feedShareUplink(feed, uplink, now) @ "xs_webrtc_feed_share_uplink";
function feedHeard(feed) @ "xs_webrtc_feed_heard";
function feedStats(feed, cc, now) @ "xs_webrtc_feed_stats";
function feedClose(feed) @ "xs_webrtc_feed_close";

function createIdentity() @ "xs_webrtc_identity_create";
function openIdentity(key, certificate) @ "xs_webrtc_identity_open";
function identityFingerprint(identity) @ "xs_webrtc_identity_fingerprint";
function closeIdentity(identity) @ "xs_webrtc_identity_close";
function openDtls(identity, role, remoteFingerprint, now) @ "xs_webrtc_dtls_open";
function dtlsStep(session, datagram, now) @ "xs_webrtc_dtls_step";
function dtlsDeadline(session) @ "xs_webrtc_dtls_deadline";
function dtlsSettle(session) @ "xs_webrtc_dtls_settle";
function dtlsKeys(session) @ "xs_webrtc_dtls_keys";
function closeDtls(session) @ "xs_webrtc_dtls_close";
function dtlsOpenChannel(session, localPort, remotePort, now) @ "xs_webrtc_dtls_open_channel";
function dtlsMessages(session) @ "xs_webrtc_dtls_messages";
function dtlsSendMessage(session, stream, ppid, bytes, now) @ "xs_webrtc_dtls_send_message";
function dtlsChannelState(session) @ "xs_webrtc_dtls_channel_state";

// packetize(accessUnit, codec, ssrc, seq, payloadType, mtu, timestamp): the RTP packets
// (ArrayBuffers) of one Annex-B access unit; codec 1 H.264 (RFC 6184), 2 H.265 (RFC 7798).
export function packetize(accessUnit, codec, ssrc, seq, payloadType, mtu, timestamp) @ "xs_webrtc_packetize";

// rtpPayload(buffer, length): { start, end, payloadType } of an unprotected RTP packet (past the
// header, before padding), or undefined when it is not one.
export function rtpPayload(buffer, length) @ "xs_webrtc_rtp_payload";
// One viewer's transport-wide congestion control (native/webrtc/twcc.h): the RtpFeed numbers
// its packets under `extensionId` (the SDP's), receiveRtcp gives it the viewer's reports, and
// `rate(now)` says what the viewer's path takes, bytes/s (0: stalled) — the native transport's
// congestion control, fed by another wire.
let ccOf;
export class TransportCc {
	#cc;
	constructor(extensionId, now) { this.#cc = createCc(extensionId, now); }
	rate(now) { return ccRate(this.#cc, now); }
	open(bytes, now) { return ccOpen(this.#cc, bytes, now); }
	get stats() { return ccStats(this.#cc); }
	static {
		ccOf = (cc) => {
			if (!(cc instanceof TransportCc)) throw new TypeError("webrtc: not a TransportCc");
			return cc.#cc;
		};
	}
}
Object.freeze(TransportCc.prototype);

// Bytes SRTP adds to an RTP packet (its tag) and to an RTCP packet (E flag + index, and the tag).
export const SRTP_TAG_BYTES = 10;
export const SRTCP_TRAILER_BYTES = 14;

let srtpOf;
export class Srtp {
	#srtp;
	// One direction of a DTLS-SRTP association: its master key (16 bytes) and salt (14 bytes);
	// with rtcpOnly, for SRTCP alone (the RTP operations throw): a viewer that sends no media.
	constructor(masterKey, masterSalt, rtcpOnly = false) {
		this.#srtp = create(masterKey, masterSalt, rtcpOnly);
	}
	// Each works in place on `buffer` (an ArrayBuffer) holding the packet from offset 0, and
	// returns its new length; protecting needs room for the trailer after `length`.
	protect(buffer, length) { return apply(this.#srtp, 0, buffer, length); }
	unprotect(buffer, length) { return apply(this.#srtp, 1, buffer, length); }
	protectRtcp(buffer, length) { return apply(this.#srtp, 2, buffer, length); }
	unprotectRtcp(buffer, length) { return apply(this.#srtp, 3, buffer, length); }
	close() { close(this.#srtp); }
	static {
		srtpOf = (srtp) => {
			if (!(srtp instanceof Srtp)) throw new TypeError("webrtc: not an Srtp");
			return srtp.#srtp;
		};
	}
}
Object.freeze(Srtp.prototype);

// rtp_wire.h's bounds: access units a NACK may reach back to, packets resent a second at most,
// G.711 bytes in one audio packet.
export const HISTORY_FRAMES = 32;
export const RESENDS_PER_SECOND = 50;
export const AUDIO_PACKET_BYTES = 160;

// One viewer's video and G.711 audio sent from the ring in C (native/webrtc/rtp_wire.h over the
// viewer core, native/p2p/feed.h): frames read there from its newest key frame, chosen by the frame
// policy, paced, packetized, numbered for `cc`, protected with `srtp` and sent to `path` ({ socket,
// address, port, buffer, send }: modrtpwire.c) — JS runs per event, never per frame or packet.
// `tick` when the ring was pushed to, the viewer's feedback came or the delay it returned passed
// (-1: none), with `wall` (Unix ms) its sender reports' clock (rtp_wire.h: they go from C too).
// `video`: { codec (1 H.264, 2 H.265), ssrc, seq, payloadType }; `audio` (optional): { codec (the
// ring's: 4 PCMU, 5 PCMA), ssrc, seq, payloadType, counted }; `twccId`: 0 none. The viewer's RTCP
// is the feed's too (readRtcp, and the link's socket read in C); `heard`: how much of it was read.
export class RtpFeed {
	#feed;
	constructor(ring, video, audio, twccId, now) {
		this.#feed = createFeed(nativeRing(ring), video.codec, video.ssrc, video.seq, video.payloadType,
			audio?.codec ?? 0, audio?.ssrc ?? 0, audio?.seq ?? 0, audio?.payloadType ?? 0, !!audio?.counted, twccId, now);
	}
	tick(srtp, cc, path, now, wall) { return feedTick(this.#feed, srtpOf(srtp), cc === undefined ? undefined : ccOf(cc), path, now, wall); }
	// This feed as tickFeeds and readRtcp take it: [feed, srtp, cc, path, sendUntil, error, fromViewer]
	// — it sends while `now` is before entry[FEED_SEND_UNTIL] (the viewer's consent: the session keeps
	// it), what its tick throws lands in entry[FEED_ERROR], and the viewer's RTCP is opened with
	// fromViewer (its SRTCP keys).
	entry(srtp, cc, path, fromViewer) { return [this.#feed, srtpOf(srtp), cc === undefined ? undefined : ccOf(cc), path, 0, undefined, srtpOf(fromViewer)]; }
	shareUplink(uplink, now) { feedShareUplink(this.#feed, uplink === undefined ? undefined : nativeUplink(uplink), now); }
	get heard() { return feedHeard(this.#feed); }
	stats(cc, now) { return feedStats(this.#feed, cc === undefined ? undefined : ccOf(cc), now); }
	close() { feedClose(this.#feed); }
}
Object.freeze(RtpFeed.prototype);

// Every feed of `entries` (RtpFeed.entry()'s, kept by the caller) ticked in one call, from the last:
// one call at a push to the ring for all the viewers (`wall`: as tick's). Returns the ms until the soonest wants another
// (-1: when a frame or a feedback comes); counts[0]: how many threw (each its error in its entry).
export const FEED_SEND_UNTIL = 4;
export const FEED_ERROR = 5;
export function tickFeeds(entries, now, wall, counts) { return feedsTick(entries, now, wall, counts); }

// The viewer's SRTCP as it came (a compound packet, the first `length` bytes of `buffer`) read for
// its feed's `entry` in C — gated (RTCP_PER_SECOND, before the HMAC), opened in a copy with the
// entry's fromViewer, and acted on: its transport-wide feedback to the entry's cc, a PLI or FIR a
// key frame request (it may wait for the repair of the key frame the viewer was sent), its report's
// figures and round trip (timed by `wall`, Unix ms at its arrival) the feed's stats; while the feed
// sends, its NACKs answered from the ring and its receiver reference time (RFC 3611 §4.4) answered
// by the sender reports. RtcpGot flags, or -1: dropped or refused (forged, replayed, damaged).
export const RTCP_PER_SECOND = 50;
export const RtcpGot = Object.freeze({ keyFrame: 1, report: 2 });
export function readRtcp(entry, buffer, length, now, wall) { return rtcpRead(entry, buffer, length, now, wall); }
// What the link's socket read in C did for `entries`' feeds since the last call (cleared): FeedsFed bits.
export const FeedsFed = Object.freeze({ feedback: 1, failed: 2 });
export function fedFeeds(entries) { return feedsFed(entries); }

// The camera's DTLS identity: a P-256 key and its self-signed certificate (DER), made once at
// provisioning (DtlsIdentity.create()) and kept; `fingerprint` is the SDP's a=fingerprint (SHA-256).
let identityOf;
export class DtlsIdentity {
	#identity;
	static create() {
		const [key, certificate] = createIdentity();
		return { key, certificate };
	}
	constructor(key, certificate) {
		this.#identity = openIdentity(key, certificate);
	}
	get fingerprint() { return identityFingerprint(this.#identity); }
	close() { closeIdentity(this.#identity); }
	static {
		identityOf = (identity) => {
			if (!(identity instanceof DtlsIdentity)) throw new TypeError("webrtc: not a DtlsIdentity");
			return identity.#identity;
		};
	}
}
Object.freeze(DtlsIdentity.prototype);

export const DtlsRole = Object.freeze({ server: 0, client: 1 });
export const DtlsState = Object.freeze({ handshaking: 0, connected: 1, closed: 2 });
// A DataChannel's association (native/webrtc/sctp.h); `none`: the session carries none.
export const ChannelState = Object.freeze({ none: -1, listening: 0, established: 1, closed: 2 });
// The largest message a viewer may send on a DataChannel (the answer's a=max-message-size): C's
// bound, asked when needed (a preloaded module calls no host function while it loads: the XS linker runs it).
export function channelMaxMessage() @ "xs_webrtc_channel_max_message";
// Payload protocol identifiers (RFC 8831 §8): DCEP's, and a channel's string and binary messages.
export const Ppid = Object.freeze({ reset: 0, dcep: 50, string: 51, binary: 53, stringEmpty: 56, binaryEmpty: 57 });

// One viewer's DTLS-SRTP session: datagrams in with `input`, time with `tick`; each returns
// { state, send: [datagrams to send] }. A failed handshake throws (code EAUTH: the peer's
// certificate is not the SDP's; ECRYPTO), and again on every later call.
export class DtlsSession {
	#session;
	#identity;   // held: the session borrows it
	constructor(identity, role, remoteFingerprint, now) {
		this.#session = openDtls(identityOf(identity), role, remoteFingerprint, now);
		this.#identity = identity;
	}
	input(datagram, now) { const [state, ...send] = dtlsStep(this.#session, datagram, now); return { state, send }; }
	tick(now) { const [state, ...send] = dtlsStep(this.#session, undefined, now); return { state, send }; }
	// When tick is due next (ms, the caller's clock), or 0: nothing waits.
	get deadline() { return dtlsDeadline(this.#session); }
	// The peer has finished the handshake (its SRTCP authenticated): mbedTLS's context (its record
	// buffers) goes; application data goes on in the core's own records. Before connected: nothing.
	settle() { dtlsSettle(this.#session); }
	// A DataChannel on the session (the SDP's sctp-port each side), opened by the viewer's INIT once
	// DTLS is up; its SCTP packets are the session's application data, answered within input and tick.
	openChannel(localPort, remotePort, now) { dtlsOpenChannel(this.#session, localPort, remotePort, now); }
	get channelState() { return dtlsChannelState(this.#session); }
	// The messages that arrived: [{ stream, ppid, data }], each data its own ArrayBuffer.
	messages() {
		const flat = dtlsMessages(this.#session), out = [];
		for (let i = 0; i < flat.length; i += 3) out.push({ stream: flat[i], ppid: flat[i + 1], data: flat[i + 2] });
		return out;
	}
	// A message (ordered, reliable) on `stream`: the datagrams to send now. Throws EFULL (the viewer
	// has not acknowledged enough yet), ECLOSED, EMTU (over 16 KiB).
	sendMessage(stream, ppid, bytes, now) { return dtlsSendMessage(this.#session, stream, ppid, bytes, now); }
	// Once connected: the SRTP master keys and salts, ours (to protect) and the peer's (to unprotect).
	srtpKeys() {
		const [localKey, localSalt, remoteKey, remoteSalt] = dtlsKeys(this.#session);
		return { localKey, localSalt, remoteKey, remoteSalt };
	}
	close() { closeDtls(this.#session); this.#identity = undefined; }
}
Object.freeze(DtlsSession.prototype);

// The `code` of the errors this module throws (native/common/README.md): match
// errors by code, never by message. The kit's own (IVXS_EARG, …) are in ivxs/codes.
export const codes = Object.freeze({
	EPACKET: "IVXS_WEBRTC_EPACKET",
	EAUTH: "IVXS_WEBRTC_EAUTH",
	EREPLAY: "IVXS_WEBRTC_EREPLAY",
	ESTREAMS: "IVXS_WEBRTC_ESTREAMS",
	ECRYPTO: "IVXS_WEBRTC_ECRYPTO",
	EMTU: "IVXS_WEBRTC_EMTU",
	ECODEC: "IVXS_WEBRTC_ECODEC",
	EFULL: "IVXS_WEBRTC_EFULL",
	ECLOSED: "IVXS_WEBRTC_ECLOSED",
});
