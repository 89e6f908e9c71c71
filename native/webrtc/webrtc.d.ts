declare module "webrtc" {
	/** The RTP packets of one Annex-B access unit (the last with the marker bit): codec 1 H.264 (RFC 6184), 2 H.265 (RFC 7798). */
	export function packetize(accessUnit: ArrayBuffer, codec: 1 | 2, ssrc: number, seq: number, payloadType: number, mtu: number, timestamp: number): ArrayBuffer[];
	/** Where an unprotected RTP packet's payload lies (past the header, before padding); undefined: not RTP. */
	export function rtpPayload(buffer: ArrayBuffer, length: number): { start: number; end: number; payloadType: number } | undefined;
	/** The viewer's SRTCP (the first `length` bytes of `buffer`, as it came) read for its feed's `entry` in C: gated
	 * (RTCP_PER_SECOND, before the HMAC), opened in a copy with the entry's fromViewer, acted on — its transport-wide
	 * feedback to the entry's cc, a PLI/FIR a key frame request (it may wait for the repair of the key frame the viewer was
	 * sent), its report's figures and round trip (timed by `wall`, Unix ms at its arrival) in the feed's stats; while the
	 * feed sends, its NACKs answered from the ring and its receiver reference time (RFC 3611 §4.4) answered by the sender
	 * reports. RtcpGot flags, or -1: dropped or refused (forged, replayed, damaged), counted. */
	export function readRtcp(entry: FeedEntry, buffer: ArrayBuffer, length: number, now: number, wall: number): number;
	export const RTCP_PER_SECOND: 50;
	export const RtcpGot: { readonly keyFrame: 1; readonly report: 2 };
	/** What the link's socket read in C (a viewer reached straight: its RTCP taken there, with no JS) did for the feeds of
	 * `entries` since the last call, cleared: FeedsFed bits — a feedback read (the feeds' turn), a read that failed (its
	 * error in its entry). */
	export function fedFeeds(entries: FeedEntry[]): number;
	export const FeedsFed: { readonly feedback: 1; readonly failed: 2 };
	/** One viewer's transport-wide congestion control (native/webrtc/twcc.h): the native transport's CC fed by the viewer's TWCC feedback. */
	export class TransportCc {
		/** `extensionId`: the SDP's a=extmap id (1–14); `now` ms of any origin (a clock since boot: any non-negative
		 * safe integer, taken modulo 2^32 by the congestion control, whose clock wraps), as every `now` given with it. */
		constructor(extensionId: number, now: number);
		/** Bytes a second the viewer's path takes now (the CC's pacing rate); while it is stalled (a packet unreported for 500 ms or more) the rate last measured, halved as the viewer's silence goes on, then 0 but for a probe (native/webrtc/twcc.h). */
		rate(now: number): number;
		/** Whether `bytes` (0–65535) more may go at `now` by the congestion control's window (its bytes unreported against it), or on a stalled path while it may still send (native/webrtc/twcc.h). */
		open(bytes: number, now: number): boolean;
		readonly stats: { packets: number; feedbacks: number; refused: number; received: number; lost: number; unknown: number; expired: number;
			/** Unreported before a feedback's base: the feedback that reported them was lost. */
			missed: number;
			/** The bottleneck bandwidth measured, bytes/s. */
			bandwidth: number;
			/** The smoothed round trip by the feedback (its queueing and the viewer's wait before reporting in it), ms; 0 before one. */
			srtt: number; minRtt: number; inFlight: number };
	}
	export const SRTP_TAG_BYTES: 10;
	export const SRTCP_TRAILER_BYTES: 14;
	/** One direction of an SRTP association (AES_CM_128_HMAC_SHA1_80): packets protected and unprotected in place. */
	export class Srtp {
		/** rtcpOnly: a context for SRTCP alone (its RTP keys not kept: protect/unprotect throw IVXS_WEBRTC_ECRYPTO). */
		constructor(masterKey: ArrayBuffer, masterSalt: ArrayBuffer, rtcpOnly?: boolean);
		/** The protected length; the buffer needs SRTP_TAG_BYTES of room after `length`. */
		protect(buffer: ArrayBuffer, length: number): number;
		/** The RTP packet's length; throws IVXS_WEBRTC_EAUTH / _EREPLAY / _EPACKET and leaves the context as it was. */
		unprotect(buffer: ArrayBuffer, length: number): number;
		protectRtcp(buffer: ArrayBuffer, length: number): number;
		unprotectRtcp(buffer: ArrayBuffer, length: number): number;
		close(): void;
	}
	/** Where an RtpFeed's packets go (read at each call): with `socket` (the host's UDP socket object:
	 * the viewer is reached straight) written to it from C to `address` (IPv4 as a 32-bit number) and
	 * `port`; without, each copied into `buffer` and handed to `send` (a TURN relay) — what it throws
	 * is thrown by the call once the feed is done. */
	export interface FeedPath {
		readonly socket: unknown;
		address: number;
		port: number;
		buffer: ArrayBuffer;
		send(buffer: ArrayBuffer, length: number): void;
		/** Told when the feed gave up a frame the packetizer could not walk (its status code). */
		unwalkable?(code: string): void;
	}
	/** What an RtpFeed sent and decided (native/webrtc/rtp_wire.h, native/p2p/feed.h). */
	export interface FeedStats {
		/** Video frames sent whole, audio frames sent; video frames skipped for the allowance (and the rest of their GOP). */
		frames: number; audioFrames: number; skipped: number;
		/** Frames the ring overwrote while they went out; frames the packetizer could not walk (damaged at their source). */
		torn: number; unwalkable: number;
		/** Times the ring overtook the feed's reader; times it went back to the ring's newest key frame. */
		gaps: number; rewinds: number;
		/** RTP packets and payload bytes per stream (the sender reports'), and every byte sent. */
		packets: number; payloadBytes: number; audioPackets: number; audioPayloadBytes: number; bytes: number;
		/** Packets NACKed; resent; not resent: past RESENDS_PER_SECOND, past the allowance, gone from the history or the ring, asked again within a round trip. */
		nacks: number; resent: number; resendsRefused: number; resendsUnaffordable: number; resendsGone: number; resendsRepeated: number;
		/** NACKs that got no resend; packets the path did not take; video frames waiting for the allowance; sender reports sent (one a stream each time). */
		unrepaired: number; refused: number; waiting: number; senderReports: number;
		/** A resend went within the round trip; a key frame went out since the last gap or skip. */
		repairing: boolean; keyed: boolean;
		/** The viewer's RTCP: packets read, refused (forged, replayed, damaged), dropped past RTCP_PER_SECOND; key frame
		 * requests, and those that came while the key frame they would send again was being repaired (no rewind); of
		 * `rtcp`, those read as the link's socket was read (a viewer reached straight: no JS). */
		rtcp: number; refusedRtcp: number; droppedRtcp: number; keyFrameRequests: number; keyFrameRequestsInRepair: number; rtcpTaken: number;
		/** From its last report on the video: the round trip (-1: none yet), the share lost lately, the jitter. */
		rttMs: number; fractionLost: number; jitterMs: number;
	}
	/** Access units a NACK may reach back to; packets resent a second at most; G.711 bytes in one audio packet (rtp_wire.h). */
	export const HISTORY_FRAMES: 32;
	export const RESENDS_PER_SECOND: 50;
	export const AUDIO_PACKET_BYTES: 160;
	/** One viewer's video and G.711 audio sent from the ring in C: the viewer core's frame policy,
	 * allowance and pacing over the WebRTC wire — JS calls it per event, never per frame or packet. */
	/** A feed as tickFeeds and readRtcp take it (RtpFeed.entry()): its slots FEED_SEND_UNTIL and FEED_ERROR are the caller's to read and set. */
	export type FeedEntry = unknown[] & { readonly __feedEntry: unique symbol };
	export const FEED_SEND_UNTIL: 4;
	export const FEED_ERROR: 5;
	/** Every feed of `entries` ticked in one call, from the last (one call at a push to the ring for every viewer): the ms until
	 * the soonest wants another tick (-1: when a frame or a feedback comes); `wall` as RtpFeed.tick's; counts[0]: how many threw,
	 * each its error in its entry. */
	export function tickFeeds(entries: FeedEntry[], now: number, wall: number, counts: number[]): number;
	export class RtpFeed {
		/** From the ring's newest key frame; `audio.codec` the ring's G.711 track (Codec.pcmu / pcma); `twccId` 0: no TWCC. */
		constructor(ring: import("ring").Ring, video: { codec: 1 | 2; ssrc: number; seq: number; payloadType: number },
			audio: { codec: number; ssrc: number; seq: number; payloadType: number; counted: boolean } | undefined, twccId: number, now: number);
		/** What the ring holds and the allowance lets go, sent, and the sender reports when due (a second apart; `wall`: Unix
		 * ms, their clock): ms until it wants another tick (-1: when the ring is pushed to or a feedback comes). */
		tick(srtp: Srtp, cc: TransportCc | undefined, path: FeedPath, now: number, wall: number): number;
		/** This feed as tickFeeds and readRtcp take it: sending while `now` is before entry[FEED_SEND_UNTIL] (the viewer's
		 * consent, kept by the session), what its tick throws put in entry[FEED_ERROR]; the viewer's RTCP opened with
		 * `fromViewer` (its SRTCP keys). */
		entry(srtp: Srtp, cc: TransportCc | undefined, path: FeedPath, fromViewer: Srtp): FeedEntry;
		/** The viewer takes its part of the camera's viewers' uplink (p2p's Uplink) from now on (undefined: none). */
		shareUplink(uplink: import("p2p").Uplink | undefined, now: number): void;
		/** The viewer's RTCP packets read so far (its keys proved: it finished the handshake). */
		readonly heard: number;
		stats(cc: TransportCc | undefined, now: number): FeedStats;
		close(): void;
	}
	/** The camera's DTLS identity: a P-256 key and its self-signed certificate (DER), made once at provisioning and kept. */
	export class DtlsIdentity {
		static create(): { key: ArrayBuffer; certificate: ArrayBuffer };
		constructor(key: ArrayBuffer, certificate: ArrayBuffer);
		/** SHA-256 of the certificate: the SDP's a=fingerprint. */
		readonly fingerprint: ArrayBuffer;
		close(): void;
	}
	export const DtlsRole: Readonly<{ server: 0; client: 1 }>;
	export const DtlsState: Readonly<{ handshaking: 0; connected: 1; closed: 2 }>;
	/** One viewer's DTLS-SRTP session (RFC 5764): the peer's certificate must hash to `remoteFingerprint`. */
	export class DtlsSession {
		constructor(identity: DtlsIdentity, role: 0 | 1, remoteFingerprint: ArrayBuffer, now: number);
		input(datagram: ArrayBuffer, now: number): { state: number; send: ArrayBuffer[] };
		tick(now: number): { state: number; send: ArrayBuffer[] };
		readonly deadline: number;
		/** The peer has finished the handshake (its SRTCP authenticated): mbedTLS's context and its record buffers go. */
		settle(): void;
		srtpKeys(): { localKey: ArrayBuffer; localSalt: ArrayBuffer; remoteKey: ArrayBuffer; remoteSalt: ArrayBuffer };
		/** A DataChannel on the session (the SDP's a=sctp-port each side), opened by the viewer's INIT once DTLS is up. */
		openChannel(localPort: number, remotePort: number, now: number): void;
		/** ChannelState: none (-1), listening, established, closed. */
		readonly channelState: number;
		/** The DataChannel's messages that arrived since the last call. */
		messages(): Array<{ stream: number; ppid: number; data: ArrayBuffer }>;
		/** A message on `stream` (ordered, reliable): the datagrams to send now. Throws EFULL, ECLOSED, EMTU. */
		sendMessage(stream: number, ppid: number, bytes: ArrayBuffer, now: number): ArrayBuffer[];
		close(): void;
	}
	export const ChannelState: Readonly<{ none: -1; listening: 0; established: 1; closed: 2 }>;
	/** The largest message a viewer may send on a DataChannel (the answer's a=max-message-size). */
	export function channelMaxMessage(): number;
	/** Payload protocol identifiers (RFC 8831 §8). */
	/** `reset` is not a wire PPID: a stream the viewer reset (its DataChannel closed, RFC 8831 §6.7), an empty message. */
	export const Ppid: Readonly<{ reset: 0; dcep: 50; string: 51; binary: 53; stringEmpty: 56; binaryEmpty: 57 }>;
	/** The `code` of this module's errors, by short name: e.g. codes.EAUTH is IVXS_WEBRTC_EAUTH (native/common/README.md). */
	export const codes: Readonly<Record<string, string>>;
}
