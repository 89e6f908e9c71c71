/**
 * One WebRTC viewer of the camera on one UDP socket (RFC 7983's demultiplexing: STUN, DTLS,
 * SRTP/SRTCP by their first byte): ICE-lite answers to the viewer's checks (ice.ts: only checks for
 * our ufrag under our password get one), DTLS-SRTP as the server (native/webrtc's DtlsSession, only
 * with the address ICE checked), and its video and audio sent as SRTP from the ring (`watch`).
 *
 * Consent (RFC 7675, as a lite agent can keep it): the viewer's checks keep coming (browsers send
 * one every few seconds); with none for CONSENT_MS the camera stops sending to it — a viewer that
 * left, or an address someone else now holds, gets no more media.
 *
 * Media is C's (`watch`: native/webrtc's RtpFeed — the viewer core's frame policy, allowance and
 * pacing, native/p2p/feed.h, over the WebRTC wire, native/webrtc/rtp_wire.h): frames are read from
 * the ring, packetized, numbered, protected and sent there, ticked with every viewer's by the
 * endpoint (`feedEntry`: tickFeeds; `feed` ticks it alone) when the ring was pushed to or a feedback
 * came. The viewer's RTCP is its feed's, read in C (readRtcp: gated, its TWCC feedback, its NACKs
 * answered, its key frame requests, its reports) — from a viewer reached straight as the link's
 * socket is read, with no JS (the endpoint's `peers`); through a relay, handed over here. This
 * session runs per event — a check, a DTLS record, a voice packet — never per frame.
 * Its packets go straight to the socket from C while the viewer is reached straight (`straight`),
 * else through `send` (a TURN relay).
 *
 * Talkback: when the answer took the viewer's audio (G.711), its SRTP packets are unprotected and
 * their payloads given to `talk` in order, at most VOICE_PER_SECOND (dropped before the HMAC past it).
 *
 * Congestion: when the answer numbers the video transport-wide (TWCC), the viewer's feedback drives
 * the native transport's congestion control (native/webrtc/twcc.h), and `pathRate` says what its
 * path takes — the feed skips whole frames past it. Audio is numbered with the video only when the
 * answer agreed it (a browser gives PCMU no transport-cc feedback otherwise).
 *
 * Loss: a packet the viewer NACKs (RFC 4585 §6.2.1) is made again from the ring and resent as it
 * was (same SSRC and number: no RTX stream, which the answer does not offer), within the bounds of
 * native/webrtc/rtp_wire.h: HISTORY_FRAMES (webrtc) units back, RESENDS_PER_SECOND, the viewer's allowance,
 * once a round trip — a viewer's NACK flood costs the camera's uplink no more than that.
 */
import { Codec, type Ring } from "ring";
import type { Uplink } from "p2p";
import { DtlsRole, DtlsSession, DtlsState, FEED_SEND_UNTIL, RtpFeed, Srtp, TransportCc, readRtcp, rtpPayload, type DtlsIdentity, type FeedEntry, type FeedPath, type FeedStats } from "webrtc";
import type { HmacSha1, StunMessage } from "../p2p/stun.js";
import { nextDue } from "../net/rate-gate.js";
import { RECEIVE_BYTES } from "../p2p/udp.js";
import { datagramKind, DatagramKind } from "../p2p/demux.js";
import { LogGate } from "../net/log-gate.js";
import { answerCheck, type IceCredentials } from "./ice.js";
import { ipv4Octets } from "../protocol/candidate-address.js";

export interface WebRtcSessionOptions<Owner = unknown> {
	/** Whose session it is (the endpoint's record of the viewer): handed to each callback below, so
	 * one function serves every session (a closure per session costs the camera's heap per viewer). */
	owner?: Owner;
	identity: DtlsIdentity;
	/** The viewer's certificate's SHA-256 (its SDP's a=fingerprint). */
	remoteFingerprint: Uint8Array;
	/** Our ICE credentials (the answer's a=ice-ufrag, a=ice-pwd). */
	local: IceCredentials;
	/** `transportCc`: the header extension id the answer numbers video packets with (the viewer's
	 * TWCC feedback then drives the congestion control: pathRate). */
	video: { payloadType: number; ssrc: number; codec: 1 | 2; transportCc?: number };
	/** The camera's audio to the viewer (G.711 frames from the ring, each in one packet), when the answer sends it. */
	/** `counted`: its packets are numbered transport-wide with the video's (the answer agreed TWCC on
	 * audio under the same extension id), so the viewer's feedback, and the path rate, include them. */
	audio?: { payloadType: number; ssrc: number; counted?: boolean };
	send(bytes: Uint8Array, address: string, port: number): void;
	now(): number;
	/** Unix ms: the sender reports' NTP time (the feed's, in C: native/webrtc/rtp_wire.h) and the round
	 * trip's, on the clock the ring's frames are stamped with (default Date.now). */
	wallClock?(): number;
	hmacSha1: HmacSha1;
	/** The viewer's microphone, when the answer took its audio (talkback): the payload type agreed,
	 * and each packet's payload (G.711: a byte a sample) in the order it came. */
	talk?: { payloadType: number; voice(payload: ArrayBuffer, owner: Owner): void };
	/** The offer's DataChannel, kept by the answer: SCTP on `port` (ours, the answer's a=sctp-port)
	 * from `remotePort` (the offer's), each message that arrives to `message` (datachannel.ts). */
	channel?: { port: number; remotePort: number; message(stream: number, ppid: number, data: ArrayBuffer, owner: Owner): void };
	/** The viewer's RTCP came through JS and was read (its path may take more now): the feeds' turn. */
	onFeedback?(owner: Owner): void;
	/** The host's UDP socket object when datagrams to address:port go straight to it (not through a
	 * TURN relay): the feed's packets are written to it from C. Absent or undefined: through `send`. */
	straight?(address: string, port: number): unknown;
	log?(message: string, owner: Owner): void;
}

/** No check from the viewer for this long: its consent has expired (RFC 7675 §5.1: 30 s). */
export const CONSENT_MS = 30_000;
/** The viewer's DTLS records read in any second at most (each costs a decryption, and once
 * connected carries its DataChannel's SCTP: commands, a few packets each), a burst of as many;
 * past this they are dropped unread. A handshake takes about ten. */
export const DTLS_PER_SECOND = 100;
/** The viewer's RTP read in any second at most (each costs an HMAC), a burst of as many: its
 * microphone sends 50 a second (20-ms packets); past this they are dropped unread. */
export const VOICE_PER_SECOND = 100;
/** The feed's packets handed to `send` (through a relay) are copied into a buffer this large: one
 * packet with its SRTP tag and TWCC's extension (native/webrtc/rtp_wire.h), and room to spare. */
const FEED_PACKET_BYTES = 1500;
/** That buffer: one for every session, made with the first packet that needs it (each packet is
 * handed on by `send` before the next is copied). */
let relayPacket: ArrayBuffer | undefined;
/** A stream's first RTP sequence number: random (RFC 3550 §5.1), in the lower half (no wrap soon). */
const randomSeq = (): number => Math.floor(Math.random() * 0x8000);
/** An IPv4 address as a 32-bit number (the feed's straight sends take it so), or 0: not a dotted quad. */
const ipv4Of = (address: string): number => {
	const o = ipv4Octets(address);
	return o ? ((o[0] * 256 + o[1]) * 256 + o[2]) * 256 + o[3] : 0;
};
/** What came in and the session did. */
const newCounts = () => ({ checks: 0, refusedChecks: 0, dtls: 0,
	/** The viewer's RTP: packets given to talk, and those not (no talk, forged, past VOICE_PER_SECOND, another payload type). */
	voice: 0, refusedVoice: 0, droppedVoice: 0,
	/** The viewer's DTLS records past DTLS_PER_SECOND, dropped unread. */
	droppedDtls: 0,
	/** ICE restarts (the viewer's path changed). */
	restarts: 0,
	/** Datagrams longer than RECEIVE_BYTES, dropped unread. */
	oversized: 0 });
type SessionCounts = ReturnType<typeof newCounts>;
/** What the session's stats hold before its feed sends anything. */
const NO_MEDIA: FeedStats = { frames: 0, audioFrames: 0, skipped: 0, torn: 0, unwalkable: 0, gaps: 0, rewinds: 0, packets: 0, payloadBytes: 0, audioPackets: 0,
	audioPayloadBytes: 0, bytes: 0, nacks: 0, resent: 0, resendsRefused: 0, resendsUnaffordable: 0, resendsGone: 0, resendsRepeated: 0, unrepaired: 0, refused: 0,
	waiting: 0, senderReports: 0, repairing: false, keyed: false,
	rtcp: 0, refusedRtcp: 0, droppedRtcp: 0, rtcpTaken: 0, keyFrameRequests: 0, keyFrameRequestsInRepair: 0, rttMs: -1, fractionLost: 0, jitterMs: 0 };

/**
 * The viewer as a session reaches it: the address its checks came from (`host`, `port`; moved by a
 * nominating check) and the path its feed's packets take (FeedPath, read by C at each call) —
 * straight from C to the socket while the options' `straight` gives it (IPv4, not relayed), else
 * through `send`. Its methods are the prototype's: a session makes no functions of its own.
 */
class ViewerPath implements FeedPath {
	host = "";
	port = 0;
	/** The host as a 32-bit number for C's straight sends (0: not IPv4). */
	address = 0;
	readonly #o: WebRtcSessionOptions;
	/** Lines the viewer's packets or frames can provoke at will, at most a few per window (made with the first). */
	#gatedLog: LogGate | undefined;

	constructor(o: WebRtcSessionOptions, host: string, port: number) {
		this.#o = o;
		this.moveTo(host, port);
	}

	moveTo(host: string, port: number): void {
		this.host = host;
		this.port = port;
		this.address = ipv4Of(host);
	}

	is(host: string, port: number): boolean {
		return this.host === host && this.port === port;
	}

	/** The host socket for sends straight from C to the viewer (IPv4, not relayed), or undefined
	 * (read at each call into the feed: the viewer moves, the relay comes and goes). */
	get socket(): unknown {
		return this.address && this.#o.straight ? this.#o.straight(this.host, this.port) : undefined;
	}

	get buffer(): ArrayBuffer {
		return relayPacket ??= new ArrayBuffer(FEED_PACKET_BYTES);
	}

	send(buffer: ArrayBuffer, length: number): void {
		this.#o.send(new Uint8Array(buffer, 0, length), this.host, this.port);
	}

	/** A frame damaged at its source (a stray start code, a NAL unit the MTU cannot hold): the viewer
	 * waits for the next key frame. */
	unwalkable(code: string): void {
		this.logGated(`webrtc: a frame the packetizer cannot walk, skipped to the next key frame (${code})`);
	}

	/** A line the viewer's packets or frames provoked: written unless this window's few are spent (LogGate). */
	logGated(message: string): void {
		const o = this.#o;
		(this.#gatedLog ??= new LogGate((line) => o.log?.(line, o.owner), () => o.now())).log(message);
	}
}

export class WebRtcSession<Owner = unknown> {
	readonly #o: WebRtcSessionOptions<Owner>;
	#dtls: DtlsSession;
	#srtp: Srtp | undefined;
	/** The viewer's SRTP and SRTCP (its keys): its feedback and its microphone are read. */
	#fromViewer: Srtp | undefined;
	/** Where the viewer's checks came from, once one came: where the session sends. */
	#peer: ViewerPath | undefined;
	/** The video's transport-wide congestion control, when the answer agreed it. */
	#cc: TransportCc | undefined;
	/** The media sent from the ring, once watching (its packets go by #peer), and the feed as the
	 * endpoint ticks it with every viewer's (tickFeeds): it sends while the viewer consents. */
	#feed: RtpFeed | undefined;
	#entry: FeedEntry | undefined;
	#failed = "";
	#closed = false;
	/** Our ICE credentials (the answer's; an ICE restart's since). */
	#local: IceCredentials;
	/** ICE restarted and no check under the new credentials has nominated a path yet. */
	#restarted = false;
	#consentAt = -Infinity;
	/** The viewer's RTCP proved it finished the handshake: DTLS's context was let go (settle). */
	#settled = false;
	/** What came in and the session did, for the log and the tests (`stats` adds what the feed sent). */
	readonly #counts = newCounts();
	/** When the viewer's next RTP and DTLS datagrams are due under VOICE_PER_SECOND and
	 * DTLS_PER_SECOND (RateGate's rule for one key: nextDue). */
	#voiceDue = -Infinity;
	#dtlsDue = -Infinity;

	constructor(o: WebRtcSessionOptions<Owner>) {
		this.#o = o;
		this.#local = o.local;
		const fp = o.remoteFingerprint;
		this.#dtls = new DtlsSession(o.identity, DtlsRole.server, Uint8Array.from(fp).buffer, Math.floor(o.now()));
		if (o.video.transportCc !== undefined) this.#cc = new TransportCc(o.video.transportCc, this.#now());
		if (o.channel) this.#dtls.openChannel(o.channel.port, o.channel.remotePort, Math.floor(o.now()));
	}

	/** What came in and what went out: the session's counts with the feed's (frames, packets, bytes,
	 * NACKs and their outcomes, the viewer's RTCP: rtp_wire.h, modrtpwire.c) — a new object at each
	 * read: the session keeps its own counts only, not a copy of the feed's. */
	get stats(): SessionCounts & FeedStats {
		return Object.assign({}, this.#counts, this.media);
	}

	/** The feed's figures alone, a new object at each read (the endpoint's figures, every report:
	 * no copy of the session's counts beside them). */
	get media(): FeedStats {
		return this.#feed?.stats(this.#cc, this.#now()) ?? NO_MEDIA;
	}

	/** Checks answered so far (the endpoint's look at whether ICE began, without the figures). */
	get checks(): number {
		return this.#counts.checks;
	}

	/**
	 * Connected: the media from the ring's newest key frame on, sent from C — by `feed`, or with every
	 * viewer's by the endpoint (`feedEntry`: tickFeeds) — when the ring was pushed to, its delay passed
	 * or a feedback came. `audio`: the ring's G.711 track the answer sends ("pcmu" | "pcma"), none: no audio;
	 * `uplink`: the camera's viewers' budget it takes its part of (none: no budget).
	 */
	watch(ring: Ring, audio: "pcmu" | "pcma" | undefined, uplink: Uplink | undefined): void {
		if (this.#feed || !this.#srtp || !this.#peer) return;
		const { payloadType, ssrc, codec, transportCc } = this.#o.video;
		const a = audio && this.#o.audio;
		this.#feed = new RtpFeed(ring, { codec, ssrc, seq: randomSeq(), payloadType },
			a ? { codec: audio === "pcma" ? Codec.pcma : Codec.pcmu, ssrc: a.ssrc, seq: randomSeq(), payloadType: a.payloadType, counted: !!a.counted } : undefined,
			transportCc ?? 0, this.#now());
		this.#feed.shareUplink(uplink, this.#now());
		this.#entry = this.#feed.entry(this.#srtp, this.#cc, this.#peer, this.#fromViewer!);
		this.#entry[FEED_SEND_UNTIL] = this.#sendUntil();
	}

	/** The feed as tickFeeds takes it, once watching. */
	get feedEntry(): FeedEntry | undefined {
		return this.#entry;
	}

	/** Until when the feed may send (ms of the session's clock): while the viewer consents; 0 once the
	 * session closed or failed. */
	#sendUntil(): number {
		return this.#closed || this.#failed || !this.#srtp || !this.#peer ? 0 : this.#consentAt + CONSENT_MS;
	}

	/** The endpoint's tick of the feed threw (its path's send, a protect that failed): this session's failure. */
	feedFailed(error: unknown): void {
		this.#fail(error as Error);
	}

	/** The feed's turn: what the ring holds and the allowance lets go is sent. The milliseconds until
	 * it wants another (-1: when the ring is pushed to or a feedback comes); a failure fails the session. */
	feed(): number {
		if (!this.#feed || !this.#sending()) return -1;
		try {
			return this.#feed.tick(this.#srtp!, this.#cc, this.#peer!, this.#now(), this.#wall());
		}
		catch (error) {
			this.#fail(error as Error);
			return -1;
		}
	}

	/** Whole milliseconds of the caller's clock (DTLS takes integers). */
	#now(): number {
		return Math.floor(this.#o.now());
	}

	get connected(): boolean {
		return this.#srtp !== undefined;
	}

	/** An ICE restart (the viewer's path changed): checks are answered under `local` from now on
	 * (the old credentials' are refused), and the next nominated one moves the session — DTLS and
	 * SRTP carry on over the new path. */
	restartIce(local: IceCredentials): void {
		this.#local = local;
		this.#restarted = true;
		this.#counts.restarts++;
	}

	/** Bytes a second the viewer's path takes now by its transport-wide feedback (0: stalled);
	 * undefined without it (the answer did not agree TWCC). */
	pathRate(): number | undefined {
		return this.#cc?.rate(this.#now());
	}

	/** The congestion control's counts (packets numbered, feedbacks, bandwidth measured…), when there is one. */
	get congestion(): TransportCc["stats"] | undefined {
		return this.#cc?.stats;
	}

	get failed(): string {
		return this.#failed;
	}

	/** The viewer said goodbye (DTLS close_notify). */
	get closed(): boolean {
		return this.#closed;
	}

	/** The viewer's checks still come (RFC 7675): media may go to it. */
	get consented(): boolean {
		return this.#now() - this.#consentAt < CONSENT_MS;
	}

	/** The DataChannel's association: ChannelState (none, listening, established, closed). */
	get channelState(): number {
		return this.#dtls.channelState;
	}

	/**
	 * A message to the viewer on its DataChannel's `stream` (ordered, reliable: the association
	 * keeps it until acknowledged). False when it cannot go: no channel or DTLS yet, the association
	 * closed, too large, or more waiting unacknowledged than the association holds (logged).
	 */
	sendMessage(stream: number, ppid: number, bytes: ArrayBuffer): boolean {
		if (!this.#srtp || this.#failed) return false;
		const peer = this.#peer!;
		try {
			for (const datagram of this.#dtls.sendMessage(stream, ppid, bytes, this.#now())) this.#o.send(new Uint8Array(datagram), peer.host, peer.port);
			return true;
		}
		catch (error) {
			peer.logGated(`webrtc: DataChannel message of ${bytes.byteLength} bytes not sent: ${(error as Error).message} (${(error as { code?: string }).code})`);
			return false;
		}
	}

	/** The address the session sends to (where the viewer's checks came from), once one came. */
	get peer(): { address: string; port: number } | undefined {
		const peer = this.#peer;
		return peer && { address: peer.host, port: peer.port };
	}

	/** Whether `address`:`port` is the path the session uses (its DTLS and SRTCP come from there). */
	isPeer(address: string, port: number): boolean {
		return !!this.#peer?.is(address, port);
	}

	/** A datagram from `address`:`port`: the first `length` bytes of `datagram` (a buffer the caller
	 * reads into again: what is kept of it is copied). One longer than the socket takes whole
	 * (RECEIVE_BYTES) is dropped unread, counted; whatever a datagram provokes fails this session only
	 * (`failed` says why: the endpoint ends it), never its caller. `kind`: its RFC 7983 kind when the
	 * caller has it; `check`: a STUN check as the caller parsed it (ice.ts checkedRequest). */
	receive(datagram: ArrayBuffer, address: string, port: number, kind = datagramKind(new Uint8Array(datagram)), length = datagram.byteLength,
		check?: StunMessage): void {
		if (length > RECEIVE_BYTES) {
			this.#counts.oversized++;
			return;
		}
		try {
			this.#receive(datagram, length, address, port, kind, check);
		}
		catch (error) {
			this.#fail(error as Error);
		}
	}

	#receive(datagram: ArrayBuffer, length: number, address: string, port: number, kind: DatagramKind | undefined, check: StunMessage | undefined): void {
		if (!length || this.#failed) return;
		if (kind === DatagramKind.stun) {   // a check
			const answered = answerCheck(new Uint8Array(datagram, 0, length), this.#local, { address, port }, this.#o.hmacSha1, check);
			if (!answered) {
				this.#counts.refusedChecks++;
				return;
			}
			this.#counts.checks++;
			this.#o.send(answered.response, address, port);
			// The viewer (controlling) nominates; before that, the first checked address serves. Once
			// DTLS began on a path the session stays on it: a check copied to another address (valid
			// integrity, a stranger's source) is answered but moves nothing. A viewer that moved
			// restarts ICE (restartIce): checks under the new credentials nominate its new path once.
			const pinned = this.#counts.dtls > 0 && !this.#restarted;
			if (!this.#peer || (answered.nominated && !pinned)) {
				if (this.#restarted && !this.isPeer(address, port)) this.#log(`webrtc: moved to ${address}:${port} (ICE restart)`);
				if (this.#peer) this.#peer.moveTo(address, port);
				else this.#peer = new ViewerPath(this.#o, address, port);
				if (answered.nominated) this.#restarted = false;
			}
			if (this.isPeer(address, port)) {
				this.#consentAt = this.#now();
				if (this.#entry) this.#entry[FEED_SEND_UNTIL] = this.#sendUntil();
			}
			return;
		}
		if (!this.isPeer(address, port)) return;   // not from the checked path
		if (kind === DatagramKind.dtls) {
			const due = nextDue(this.#dtlsDue, this.#now(), DTLS_PER_SECOND, 1000 / DTLS_PER_SECOND);
			if (due === undefined) {
				this.#counts.droppedDtls++;
				return;
			}
			this.#dtlsDue = due;
			this.#counts.dtls++;
			const record = datagram.slice(0, length);
			this.#step(() => this.#dtls.input(record, this.#now()));
		}
		else if (kind === DatagramKind.rtcp) this.#feedback(datagram, length);   // the viewer's SRTCP, read where it lies
		else if (kind === DatagramKind.rtp) this.#voice(datagram, length);   // its SRTP
	}

	/** The viewer's RTP: its microphone's packets, when the answer took them (talk). */
	#voice(datagram: ArrayBuffer, length: number): void {
		const talk = this.#o.talk;
		const packet = talk ? this.#unprotect(datagram, length) : "refused";
		if (typeof packet === "string") {
			if (packet === "dropped") this.#counts.droppedVoice++;
			else this.#counts.refusedVoice++;   // no talk, or forged, replayed or damaged
			return;
		}
		const payload = rtpPayload(packet.buffer, packet.length);
		if (!payload || payload.payloadType !== talk!.payloadType || payload.end <= payload.start) {
			this.#counts.refusedVoice++;   // (comfort noise, DTMF events: not the agreed codec)
			return;
		}
		this.#counts.voice++;
		talk!.voice(packet.buffer.slice(payload.start, payload.end), this.#o.owner as Owner);
	}

	/** A datagram of the viewer's SRTP unprotected with its keys, in a copy; or why not: "dropped"
	 * past VOICE_PER_SECOND (before the HMAC it would cost), "refused" before DTLS or when forged,
	 * replayed or damaged. */
	#unprotect(datagram: ArrayBuffer, length: number): { buffer: ArrayBuffer; length: number } | "dropped" | "refused" {
		const fromViewer = this.#fromViewer;
		if (!fromViewer) return "refused";
		const due = nextDue(this.#voiceDue, this.#now(), VOICE_PER_SECOND, 1000 / VOICE_PER_SECOND);
		if (due === undefined) return "dropped";
		this.#voiceDue = due;
		const buffer = datagram.slice(0, length);
		try {
			return { buffer, length: fromViewer.unprotect(buffer, length) };
		}
		catch {
			return "refused";
		}
	}

	/** The viewer's RTCP that came through JS (a relay's, or one the socket's read in C did not take),
	 * read for its feed in C all the same (readRtcp: gated, opened, acted on; what it said is in the
	 * feed's stats). Before the session watches, nothing reads it. */
	#feedback(datagram: ArrayBuffer, length: number): void {
		if (this.#entry && readRtcp(this.#entry, datagram, length, this.#now(), this.#wall()) >= 0) this.#o.onFeedback?.(this.#o.owner as Owner);
	}

	/** Time passing: the handshake's retransmissions (the sender reports are the feed's: its tick);
	 * once the viewer's SRTCP came (its keys prove it finished the handshake: it will not need our
	 * last flight again), mbedTLS's context (2 × 16 KiB of record buffers on Debian's build) goes. */
	tick(): void {
		if (this.#failed) return;
		const deadline = this.#dtls.deadline;
		if (deadline && this.#now() >= deadline) this.#step(() => this.#dtls.tick(this.#now()));
		if (!this.#settled && this.#feed?.heard) {
			this.#settled = true;
			this.#step(() => (this.#dtls.settle(), { state: DtlsState.connected, send: [] }));
		}
	}

	/** An exception a viewer's packet, report or timer provoked: this session's failure (logged once),
	 * never thrown into the endpoint, the socket or the host's loop. */
	#fail(error: Error): void {
		if (this.#failed) return;
		this.#failed = `${error.message}${(error as { code?: string }).code ? ` (${(error as { code?: string }).code})` : ""}`;
		if (this.#entry) this.#entry[FEED_SEND_UNTIL] = 0;
		this.#log(`webrtc: session failed: ${this.#failed}`);
	}

	#log(message: string): void {
		this.#o.log?.(message, this.#o.owner as Owner);
	}

	#wall(): number {
		return this.#o.wallClock ? this.#o.wallClock() : Date.now();
	}

	/** Whether media may go out: DTLS done, the viewer still there and consenting. */
	#sending(): boolean {
		return !!this.#srtp && !!this.#peer && !this.#closed && this.consented;
	}

	close(): void {
		if (this.#entry) this.#entry[FEED_SEND_UNTIL] = 0;
		this.#entry = undefined;
		this.#feed?.close();   // (before the SRTP it is lent)
		this.#feed = undefined;
		this.#srtp?.close();
		this.#fromViewer?.close();
		this.#dtls.close();
	}

	#step(run: () => { state: number; send: ArrayBuffer[] }): void {
		const peer = this.#peer!;
		let result;
		try {
			result = run();
		}
		catch (error) {
			this.#fail(error as Error);
			return;
		}
		for (const datagram of result.send) this.#o.send(new Uint8Array(datagram), peer.host, peer.port);
		if (result.state === DtlsState.closed && !this.#closed) {
			this.#closed = true;
			if (this.#entry) this.#entry[FEED_SEND_UNTIL] = 0;
			this.#log("webrtc: the viewer closed the session");
		}
		if (result.state === DtlsState.connected && !this.#srtp) {
			const keys = this.#dtls.srtpKeys();
			this.#srtp = new Srtp(keys.localKey, keys.localSalt);
			this.#fromViewer = new Srtp(keys.remoteKey, keys.remoteSalt, !this.#o.talk);   // its RTP keys only when its voice is taken
			this.#log("webrtc: DTLS-SRTP connected");
		}
		// the DataChannel's messages, after its answers went out (a reply may be sent from here)
		const channel = this.#o.channel;
		if (channel && result.state === DtlsState.connected) for (const { stream, ppid, data } of this.#dtls.messages()) channel.message(stream, ppid, data, this.#o.owner as Owner);
	}
}
