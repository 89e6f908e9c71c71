declare module "webrtc" {
	/** The RTP packets of one Annex-B access unit (the last with the marker bit): codec 1 H.264 (RFC 6184), 2 H.265 (RFC 7798). */
	export function packetize(accessUnit: ArrayBuffer, codec: 1 | 2, ssrc: number, seq: number, payloadType: number, mtu: number, timestamp: number): ArrayBuffer[];
	/** Where an unprotected RTP packet's payload lies (past the header, before padding); undefined: not RTP. */
	export function rtpPayload(buffer: ArrayBuffer, length: number): { start: number; end: number; payloadType: number } | undefined;
	/** A compound RTCP packet's feedback (after SRTCP): a key frame asked for `mediaSsrc` (PLI, FIR), the sequence numbers NACKed (at most 64), the viewer's report on it, and its receiver reference time (RFC 3611 §4.4: for senderReport to echo). */
	export function rtcpFeedback(buffer: ArrayBuffer, length: number, mediaSsrc: number, cc?: TransportCc, now?: number): { keyFrame: boolean; nacks: number[]; report?: RtcpReport; rrtr?: Rrtr };
	/** Bytes the extension adds to a packet: a sender whose packets are numbered is made with an MTU this much smaller. */
	export const TWCC_EXTENSION_BYTES: 8;
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
	/** A viewer's report block on our stream (RFC 3550 §6.4.1). */
	export interface RtcpReport {
		/** Lost since its previous report, /256. */
		fractionLost: number;
		cumulativeLost: number;
		/** Interarrival jitter, RTP timestamp units. */
		jitter: number;
		/** The middle 32 bits of the NTP time of the last sender report it had (0: none), and the time since (1/65536 s). */
		lastSr: number;
		delaySinceLastSr: number;
	}
	/** A viewer's receiver reference time report: its SSRC and the middle 32 bits of its NTP time. */
	export interface Rrtr {
		ssrc: number;
		lrr: number;
	}
	/** The camera's sender report (28 bytes) — then, given a viewer's receiver reference time and the ms it was held (≤ 60,000), the XR DLRR answering it (24 bytes) — in a buffer with room for the SRTCP trailer after it (content: byteLength − SRTCP_TRAILER_BYTES). */
	export function senderReport(ssrc: number, ntpSeconds: number, ntpFraction: number, rtpTimestamp: number, packets: number, octets: number, rrtrSsrc?: number, lrr?: number, heldMs?: number): ArrayBuffer;
	export const SRTP_TAG_BYTES: 10;
	export const SRTCP_TRAILER_BYTES: 14;
	/** One direction of an SRTP association (AES_CM_128_HMAC_SHA1_80): packets protected and unprotected in place. */
	export class Srtp {
		constructor(masterKey: ArrayBuffer, masterSalt: ArrayBuffer);
		/** The protected length; the buffer needs SRTP_TAG_BYTES of room after `length`. */
		protect(buffer: ArrayBuffer, length: number): number;
		/** The RTP packet's length; throws IVXS_WEBRTC_EAUTH / _EREPLAY / _EPACKET and leaves the context as it was. */
		unprotect(buffer: ArrayBuffer, length: number): number;
		protectRtcp(buffer: ArrayBuffer, length: number): number;
		unprotectRtcp(buffer: ArrayBuffer, length: number): number;
		close(): void;
	}
	/** The send path of one video stream: an access unit begun, then its packets written by `next`, as
	 * many as fit into `out`, back to back and each protected with `srtp`; their lengths in `lengths`. */
	export class RtpSender {
		/** `codec`: 1 H.264, 2 H.265 (access units), 0 audio (G.711 frames, each whole in one packet). */
		constructor(codec: 0 | 1 | 2, ssrc: number, seq: number, payloadType: number, mtu: number);
		/** The access unit (Annex-B) to send next: an ArrayBuffer or a ring frame's bytes, read where they are. */
		begin(accessUnit: ArrayBuffer | Uint8Array, timestamp: number): void;
		/** How many packets went into `out` (0: the access unit is done). The same access unit as begun.
		 * `more`: frames wait behind this one — its last packet is not marked app-limited to the CC. */
		next(accessUnit: ArrayBuffer | Uint8Array, srtp: Srtp, out: ArrayBuffer, lengths: Uint16Array, cc?: TransportCc, now?: number, more?: boolean): number;
		/** Packet `seq` of a unit sent earlier from `firstSeq` at `timestamp`, made again and protected
		 * into `out`: its length, 0 when the unit has no such packet (a NACK's resend). */
		resend(accessUnit: ArrayBuffer | Uint8Array, srtp: Srtp, out: ArrayBuffer, firstSeq: number, timestamp: number, seq: number, cc?: TransportCc, now?: number): number;
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
