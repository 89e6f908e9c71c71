/**
 * The camera's WebRTC endpoint: every WebRTC viewer a WebRtcSession (session.ts) fed live video
 * from the channel's ring, on the P2P transport's own UDP socket (P2P.carry: the same port, host,
 * server-reflexive and relayed candidates, NAT openings and TURN relay as the native viewers — one
 * stack, two wires). RFC 7983's first byte tells the wires apart: DTLS records (20–25; the native
 * transport's packets start 0x5X), RTP/RTCP (128–191), and a STUN check whose USERNAME names one of
 * our sessions' ufrags (random, one per session) are this endpoint's; DTLS and RTCP then find their
 * session by the address its checks came from — a stranger's packet finds none and costs a map
 * lookup, nothing more (no state, no answer).
 *
 * Bounds on what a viewer drives (issue 28 §6): checks answered per session per second
 * (CHECKS_PER_SECOND, before the HMAC is computed); a session that is not connected within
 * CONNECT_MS, that lost consent (session.ts) or that closed is ended and its reader slot given back.
 * How many sessions at once is the caller's (`places`): the viewer limit counts both wires.
 *
 * A viewer starts at the ring's newest key frame, and a PLI or FIR (its decoder lost the picture)
 * sends that key frame again at once (at most once per REWIND_MS); a reader the ring overtook (a
 * slow path) waits for the next key frame rather than send a broken picture.
 */
import Timer from "timer";
import { Codec, RingReader, FrameType, type Frame, type Ring } from "ring";
import { channelMaxMessage, type DtlsIdentity } from "webrtc";
import { randomBytes } from "p2p";
import type { Datagram } from "../p2p/udp.js";
import { datagramKind } from "../p2p/demux.js";
import { PeerMap } from "../p2p/address.js";
import type { HmacSha1 } from "../p2p/stun.js";
import { placeOf } from "../p2p/checks.js";
import type { Candidate } from "../protocol/signal.js";
import { RateGate } from "../net/rate-gate.js";
import { Rights } from "../protocol/ticket.js";
import { CommandChannels, type CommandReply } from "./datachannel.js";
import { checkedUfrag } from "./ice.js";
import { chooseCodec, chooseH264, parseIceFragment, parseOffer, transportCcOf, twccExtensionOf, writeAnswer, writeIceFragment, type SdpCandidate } from "./sdp.js";
import { MAX_FRAGMENT_BYTES } from "../protocol/webrtc-signal.js";
import { WebRtcSession, sendScratch } from "./session.js";

/** A session must complete ICE and DTLS within this long of its offer (a ticket's life). */
export const CONNECT_MS = 30_000;
/** A session whose viewer sent no check within this long of the answer gives its place back: a
 * browser checks within a round trip of taking the answer (its candidates were gathered before the
 * offer went), so an offer posted and never used holds a place for seconds, not CONNECT_MS. */
export const ICE_START_MS = 8000;
/** Checks answered per session per second (browsers send a few a second per pair while connecting). */
export const CHECKS_PER_SECOND = 40;
/** A viewer restarts ICE at most this often (each costs a gathering: NAT openings, relay permissions). */
export const RESTART_MS = 2000;
/** A viewer's key frame requests rewind to the ring's newest key frame at most this often. */
export const REWIND_MS = 1000;
/** A viewer may send ahead this many seconds of its rate — its part of the uplink, or what its path takes (a key frame may take it below zero: the frames after it wait). */
const BURST_S = 1;
/** When the path (its TWCC feedback) is what limits a viewer: the burst its allowance holds — a
 * frame is sent at once, so its link's queue takes the burst (a quarter second of a home line's
 * rate is a queue any router holds). */
const PATH_BURST_S = 0.25;
/** What a frame costs on the wire beyond its bytes, per packet: RTP header, SRTP tag, UDP and IPv4. */
const PACKET_OVERHEAD = 12 + 10 + 8 + 20;
/** A payload's bytes on the wire: with each packet's headers (RTP, TWCC, SRTP's tag, UDP, IPv4). */
const onTheWire = (bytes: number) => bytes + PACKET_OVERHEAD * Math.ceil(bytes / 1100);
/** How long a video frame may wait for the viewer's allowance (its path or its part of the
 * uplink) before it and the rest of its GOP are skipped, less the queue at the path's bottleneck
 * (what it would wait there too): the native transport's media deadline (native/p2p: 600 ms).
 * Waiting paces the stream at the path's rate; skipping at once lost a GOP whenever a key frame's
 * burst or the congestion control's probing cycle (its rate 0.75x for a round trip) had spent the
 * allowance — the p2p bench's webrtc entry, 1.25x links. The bottleneck's queue counts because on a
 * link thinner than the stream waiting alone kept the sender at the path's rate for good, and the
 * queue it kept stood (min RTT 1,023 ms on the NAT tests' 150 kbit/s hop; skipping drains it). */
const WAIT_MS = 600;
/** Frames a viewer may have waiting at most (a second and more of video at 15–30 fps). */
const MAX_WAITING = 32;
/** The soonest a waiting frame is tried again (a timer a millisecond away would spin). */
const RETRY_MIN_MS = 5;
/** How often sessions are looked after: DTLS retransmissions, timeouts, consent. */
const TICK_MS = 50;
/** H.264 profile_idc the camera's stream is (the sample clip and the board's encoder: Main). */
const H264_PROFILE = 77;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Why an offer got no answer: the text goes back to the viewer through the cloud. */
export class WebRtcRefusal extends Error {
	override name = "WebRtcRefusal";
}

export interface WebRtcEndpointOptions {
	identity: DtlsIdentity;
	ring: Ring;
	codec: "h264" | "h265";
	/** The ring's G.711 track (its law), sent to viewers whose offer receives audio; none: no audio goes out. */
	audio?: "pcmu" | "pcma";
	/** Sends on the carrying socket (through the relay where the viewer's datagrams came through it). */
	send(bytes: Uint8Array, address: string, port: number): void;
	/** How many more viewers the camera takes now (the viewer limit minus the sessions of both wires). */
	places(): number;
	/** The most sessions one account's offers may hold at once (default: unbounded): below the
	 * viewer limit, so one account re-posting offers cannot hold every place. */
	accountShare?: number;
	hmacSha1: HmacSha1;
	/** Milliseconds, monotonic. */
	now(): number;
	log(message: string): void;
	/** Where a viewer's voice goes (the app's viewerVoice, modules/app/p2p-viewers.ts: the talkback folder, or a C firmware):
	 * `open` a talkback (`params`: codec=pcmu|pcma&rate=8000), or undefined when none is taken. */
	voice?: { readonly takes: boolean; open(params: string, peer: string): unknown; voice(handle: unknown, data: ArrayBuffer): void };
	/** A viewer's command on its DataChannel (the app's viewerCommands: the native wire's handler,
	 * rights and rate; `peer`: the session's id); none: an offered DataChannel is rejected. */
	command?(bytes: ArrayBuffer, peer: string, rights: number): CommandReply;
}

interface Entry {
	id: string;
	/** The viewer's account (the offer's, opaque), when the cloud named it. */
	account?: string;
	session: WebRtcSession;
	ufrag: string;
	since: number;
	/** When its answer was written (ICE_START_MS counts from there); undefined while the camera gathers. */
	answeredAt?: number;
	/** When it last restarted ICE. */
	restartedAt: number;
	reader?: RingReader;
	/** A key frame went out since the start, the last PLI or the last loss. */
	keyed: boolean;
	/** When the reader last went back to the ring's newest key frame (a viewer's PLI). */
	rewoundAt: number;
	/** The GOP of the last key frame it was sent, the session's unrepaired NACKs then, and the GOP of
	 * the newest video frame read from the ring (a rewind's key frame). */
	keyGop: number;
	unrepairedAtKey: number;
	readGop: number;
	/** Key frame requests that came while that key frame was being repaired (not rewound for). */
	requestsInRepair: number;
	/** Bytes sent when the figures were last taken, and when. */
	mark: { bytes: number; at: number };
	/** Under an uplink budget: the bytes it may still send (refilled at its part), when last refilled,
	 * and the frames it skipped (a frame its part could not take, and the frames after it to the next key frame). */
	allowance: { bytes: number; at: number };
	skipped: number;
	/** Where #byPeer has it (its session's peer when last looked). */
	at?: { address: string; port: number };
	/** Its last frame was skipped for the uplink: the ones after it up to a key frame are too. */
	starved: boolean;
	/** Video frames read from the ring that wait for its allowance, oldest first, and when each was
	 * read (its ring bytes are checked intact when sent: the ring may overwrite them meanwhile). */
	waiting: Frame[];
	waitingAt: number[];
	/** The timer that tries the waiting frames again when the allowance will have them. */
	retry?: unknown;
	/** The answer sends it the ring's G.711 track: from its first picture on (the session sent a
	 * whole frame), whether the picture waits for a key frame after that or not (the sound carries
	 * on while the picture yields). */
	hears: boolean;
	/** The viewer's talkback, opened with its first voice packet; `talkOff`: refused, its voice is dropped. */
	talk?: unknown;
	talkOff?: boolean;
	/** Its DataChannels (commands), when the answer kept the offer's. */
	channels?: CommandChannels;
}

export interface WebRtcFigures {
	session: string;
	connected: boolean;
	/** Where the session sends (the address its checks came from), once known. */
	peer?: { address: string; port: number };
	/** Bytes/s sent since the previous figures. */
	rate: number;
	/** The round trip from the viewer's receiver reports (-1: none yet), and the share it lost lately. */
	rttMs: number;
	fractionLost: number;
	frames: number;
	/** G.711 frames sent (the audio track, when the viewer hears it). */
	audioFrames: number;
	keyFrameRequests: number;
	/** Of those, the ones that came while the key frame they would send again was being repaired (no rewind). */
	keyFrameRequestsInRepair: number;
	nacks: number;
	/** NACKed packets resent from the ring. */
	resent: number;
	/** NACKed packets not resent: over the resend limit, over the path's allowance, gone from the
	 * history or the ring, asked for again within the round trip of their last resend. */
	resendsRefused: number;
	resendsUnaffordable: number;
	resendsGone: number;
	resendsRepeated: number;
	/** The viewer's voice goes to a talkback now. */
	talk: boolean;
	/** Frames skipped for its part of the uplink or for what its path takes. */
	skipped: number;
	/** Bytes/s its path takes by its TWCC feedback (0: stalled), and the bottleneck bandwidth its
	 * congestion control measured; undefined without TWCC. */
	pathRate?: number;
	bandwidth?: number;
	/** Commands its DataChannel carried (undefined: it has none). */
	commands?: number;
}

/** The viewer's candidates the camera can use (UDP, IPv4; not prflx, which it learns from checks). */
const usable = (candidates: SdpCandidate[]): Candidate[] => candidates.filter((c) => c.protocol === "udp" && c.type !== "prflx" && /^\d+\.\d+\.\d+\.\d+$/.test(c.address))
	.map(({ type, address, port }) => ({ type: type as Candidate["type"], address, port }));

/** `count` characters from the platform's random source (ICE credentials: RFC 8839 §5.4). */
const randomText = (count: number): string => Array.from(new Uint8Array(randomBytes(count)), (b) => ALPHABET[b % ALPHABET.length]).join("");

export class WebRtcEndpoint {
	readonly #o: WebRtcEndpointOptions;
	#entries = new Map<string, Entry>();
	#byUfrag = new Map<string, Entry>();
	/** The sessions by the address their checks nominated (a session's datagrams come only from
	 * there): looked up per datagram without a key string, kept as checks move them. */
	#byPeer = new PeerMap<Entry>();
	#checks = new RateGate(CHECKS_PER_SECOND, 1000 / CHECKS_PER_SECOND);
	/** Where every session's packets are made (sends are synchronous: one buffer serves all). */
	#scratch = sendScratch();
	#tick: unknown;
	/** The WebRTC viewers' part of the camera's uplink, bytes/s (0: no budget): an equal part each. */
	#uplink = 0;
	/** Datagrams no session claimed (strangers, or a session already gone). */
	unclaimed = 0;
	/** Checks over a session's CHECKS_PER_SECOND: dropped unanswered. */
	checksDropped = 0;
	/** Viewers ended for a fault of their own — an exception their datagram, frame or timer provoked,
	 * a failed handshake: each ended that viewer only. */
	failures = 0;

	constructor(o: WebRtcEndpointOptions) {
		this.#o = o;
	}

	get size(): number {
		return this.#entries.size;
	}

	/**
	 * The viewer's SDP offer → the camera's answer; the session then waits for the viewer's checks.
	 * `gather` gets the viewer's candidates (UDP, IPv4: to open the camera's NAT towards and permit on
	 * its relay) and gives the camera's, for the answer. `mayTalk` (the grant's talk right): an offer
	 * that sends audio in G.711 gets it taken (the answer's audio is recvonly), the viewer's
	 * microphone then goes to the talkback. Throws WebRtcRefusal or SdpError (bounded).
	 */
	async offer(id: string, sdp: string, gather: (viewer: Candidate[]) => Promise<Candidate[]>, rights = Rights.live, account?: string): Promise<string> {
		if (this.#entries.has(id)) throw new WebRtcRefusal(`session ${id} already has an answer`);
		if (this.#o.places() <= 0) throw new WebRtcRefusal("the camera serves as many viewers as it can now");
		const share = this.#o.accountShare ?? Infinity;
		if (account !== undefined && [...this.#entries.values()].filter((e) => e.account === account).length >= share)
			throw new WebRtcRefusal(`this account holds ${share} of the camera's places, the most one account may: end one of its sessions first`);
		const offer = parseOffer(sdp);
		const video = offer.media.find((m) => m.kind === "video" && (m.direction === "recvonly" || m.direction === "sendrecv"));
		if (!video) throw new WebRtcRefusal("the offer receives no video");
		const codec = this.#o.codec === "h264" ? chooseH264(video, H264_PROFILE)?.codec : chooseCodec(video, ["H265"]);
		if (!codec) throw new WebRtcRefusal(`the viewer takes no ${this.#o.codec.toUpperCase()} (this camera's stream)`);
		// its feedback on every packet (TWCC) drives the congestion control, when it offers it
		const transportCc = transportCcOf(video, codec);
		// Audio: browsers take and send PCMU and PCMA at 8 kHz beside Opus (RFC 7874). The camera sends
		// its ring's G.711 track to a viewer that receives audio (in that law), and takes the voice of
		// one that sends it when its grant gives talk (the talkback folder takes G.711); one codec both ways.
		const audio = offer.media.find((m) => m.kind === "audio");
		const law = this.#o.audio?.toUpperCase();
		const heard = audio && law && (audio.direction === "recvonly" || audio.direction === "sendrecv") ? chooseCodec(audio, [law]) : undefined;
		const receives = !!heard;
		const talks = !!audio && !!(rights & Rights.talk) && !!this.#o.voice?.takes && (audio.direction === "sendonly" || audio.direction === "sendrecv");
		const audioCodec = heard ?? (talks ? chooseCodec(audio!, ["PCMU", "PCMA"]) : undefined);
		const g711 = audioCodec?.clock === 8000 ? audioCodec : undefined;
		// the audio it hears numbered with the video for the congestion control, when its audio section
		// lists the TWCC extension under the video's id (one sequence space in the BUNDLE): its feedback
		// then counts audio too. (Not the codec's a=rtcp-fb: Chrome offers transport-cc only for Opus,
		// yet its receiver reports every packet that carries the extension.)
		const audioCounted = transportCc !== undefined && !!heard && !!g711 && twccExtensionOf(audio!) === transportCc;
		const voiceCodec = talks ? g711 : undefined;
		const audioSsrc = new DataView(randomBytes(4)).getUint32(0) >>> 0 || 2;
		const local = { ufrag: randomText(8), pwd: randomText(24) };
		const ssrc = new DataView(randomBytes(4)).getUint32(0) >>> 0 || 1;
		// A DataChannel carries commands (each checked against the grant's rights by the handler).
		const application = this.#o.command ? offer.media.find((m) => m.kind === "application" && m.sctpPort !== undefined) : undefined;
		const entry: Entry = { id, account, ufrag: local.ufrag, since: this.#o.now(), restartedAt: -Infinity, keyed: false, rewoundAt: -Infinity, keyGop: -1, unrepairedAtKey: 0, readGop: -1, requestsInRepair: 0, mark: { bytes: 0, at: this.#o.now() }, allowance: { bytes: Infinity, at: this.#o.now() }, skipped: 0, starved: false, waiting: [], waitingAt: [], hears: false, session: undefined as never };
		entry.session = new WebRtcSession({
			identity: this.#o.identity, remoteFingerprint: offer.fingerprint.bytes, local,
			video: { payloadType: codec.pt, ssrc, codec: this.#o.codec === "h264" ? 1 : 2, transportCc },
			...(receives && g711 ? { audio: { payloadType: g711.pt, ssrc: audioSsrc, counted: audioCounted } } : {}),
			send: (bytes, address, port) => this.#o.send(bytes, address, port),
			now: this.#o.now, hmacSha1: this.#o.hmacSha1,
			onKeyFrameRequest: () => this.#keyFrame(entry),
			onPaced: () => this.#sendWaiting(entry),
			affords: (bytes) => this.#spend(entry, bytes, PATH_BURST_S),
			talk: voiceCodec ? { payloadType: voiceCodec.pt, voice: (payload) => this.#voice(entry, voiceCodec.name, payload) } : undefined,
			channel: application ? { port: application.sctpPort!, remotePort: application.sctpPort!, message: (stream, ppid, data) => entry.channels!.message(stream, ppid, data) } : undefined,
			log: (message) => this.#o.log(`${message} (${id})`), scratch: this.#scratch,
		});
		entry.hears = receives && !!g711;
		if (application) {
			entry.channels = new CommandChannels({
				send: (stream, ppid, bytes) => entry.session.sendMessage(stream, ppid, bytes),
				command: (bytes) => this.#o.command!(bytes, id, rights),
				// as the native wire: the handler's empty reply ends the viewer's session (after this message's turn)
				end: (why) => Timer.set(() => this.end(id, why), 0),
				log: (message) => this.#o.log(`${message} (${id})`),
			});
		}
		// Its place is held while the camera gathers (another offer counts it).
		this.#entries.set(id, entry);
		this.#byUfrag.set(local.ufrag, entry);
		this.#tick ??= Timer.repeat(() => this.#look(), TICK_MS);
		let candidates: Candidate[];
		try {
			candidates = await gather(usable(offer.media.flatMap((m) => m.candidates)));
		}
		catch (error) {
			this.end(id, `not answered (${(error as Error).message})`);
			throw error;
		}
		if (this.#entries.get(id) !== entry) throw new WebRtcRefusal("the session ended while the camera gathered its candidates");
		if (!candidates.length) {
			this.end(id, "not answered (no candidate)");
			throw new WebRtcRefusal("the camera has no address to offer");
		}
		const answer = writeAnswer(offer, {
			sessionId: String(Math.floor(this.#o.now())), ice: local, fingerprint: new Uint8Array(this.#o.identity.fingerprint), iceLite: true, candidates,
			accept: {
				[video.mid]: { codec, ssrc, direction: "sendonly", transportCc },
				...(audio && g711 ? { [audio.mid]: { codec: g711, ssrc: audioSsrc, direction: entry.hears && voiceCodec ? "sendrecv" as const : entry.hears ? "sendonly" as const : "recvonly" as const, ...(audioCounted ? { transportCc } : {}) } } : {}),
			},
			dataChannel: application ? { maxMessageSize: channelMaxMessage() } : undefined,
		});
		entry.answeredAt = this.#o.now();
		this.#o.log(`webrtc: viewer ${id} offered ${codec.name}/${codec.pt}${entry.hears ? `, hears ${g711!.name}/${g711!.pt}` : ""}${voiceCodec ? ` and talks in ${voiceCodec.name}/${voiceCodec.pt}` : ""}${application ? ", commands on a DataChannel" : ""}${transportCc !== undefined ? `, congestion control by its TWCC feedback${audioCounted ? " (audio too)" : ""}` : ""}; answered with ${placeOf(candidates)}`);
		return answer;
	}

	/**
	 * The WebRTC viewers' share of the camera's uplink from now on, bytes/s (0: none, the default):
	 * each viewer gets an equal part and is sent whole frames while its part allows; a frame it
	 * cannot take is skipped with every frame after it up to the next key frame it can (frame-aware:
	 * never a frame whose reference was not sent). The app sets it (modules/app/uplink-share.ts).
	 */
	setUplink(bytesPerSecond: number): void {
		if (!Number.isSafeInteger(bytesPerSecond) || bytesPerSecond < 0) throw new RangeError("webrtc: an uplink budget is bytes/s ≥ 0");
		this.#uplink = bytesPerSecond;
	}

	/**
	 * A viewer's ICE restart (its path changed: WHEP's PATCH): `fragment` its new credentials and
	 * candidates; `gather` opens the camera's NAT towards them and permits them on its relay, and
	 * gives the camera's candidates. The session gets new credentials (checks under the old ones are
	 * refused from now on) and moves to the path the viewer nominates next; its DTLS and SRTP carry
	 * on. Returns the camera's new credentials and candidates as a fragment; throws WebRtcRefusal or
	 * SdpError (a fragment with no credentials is trickle, which an ICE-lite camera needs not).
	 */
	async restart(id: string, fragment: string, gather: (viewer: Candidate[]) => Promise<Candidate[]>): Promise<string> {
		const entry = this.#entries.get(id);
		if (!entry) throw new WebRtcRefusal(`no session ${id}`);
		const { ice, candidates: viewer } = parseIceFragment(fragment, MAX_FRAGMENT_BYTES);
		if (!ice) throw new WebRtcRefusal("a fragment without new ICE credentials is no restart (the camera's answer held all its candidates; an ICE-lite camera needs none of the viewer's)");
		const at = this.#o.now();
		if (at - entry.restartedAt < RESTART_MS) throw new WebRtcRefusal(`one ICE restart per ${RESTART_MS / 1000} s`);
		entry.restartedAt = at;
		const candidates = await gather(usable(viewer));
		if (this.#entries.get(id) !== entry) throw new WebRtcRefusal("the session ended while the camera gathered its candidates");
		const local = { ufrag: randomText(8), pwd: randomText(24) };
		this.#byUfrag.delete(entry.ufrag);
		entry.ufrag = local.ufrag;
		this.#byUfrag.set(local.ufrag, entry);
		entry.session.restartIce(local);
		this.#o.log(`webrtc: viewer ${id} restarted ICE; answered with ${placeOf(candidates)}`);
		return writeIceFragment(local, candidates);
	}

	/** Whether the session may send `bytes` now (then they are counted against it): within its part
	 * of the uplink and what its path takes by its TWCC feedback (the congestion control's rate, 0
	 * while the path is stalled), whichever is less — while its allowance is not below `floorS`
	 * seconds of that rate. A frame needs 0; a repair (a NACKed packet's resend) comes before new
	 * frames — without it the frame and the rest of its GOP are lost to the viewer — so it may take
	 * the allowance into debt down to PATH_BURST_S (the frames after it wait), never while the path
	 * is stalled. Refusing repairs whenever a frame's burst had spent the allowance left most of them
	 * unsent on a link near the stream's rate (the p2p bench's webrtc entry: 12 of 16 NACKs refused
	 * at 1.25x with bursty loss). */
	#spend(entry: Entry, bytes: number, floorS: number): boolean {
		const rate = this.#refill(entry);
		if (rate === Infinity) return true;
		if (rate === 0 || entry.allowance.bytes < -rate * floorS) return false;   // stalled, or over its part
		entry.allowance.bytes -= onTheWire(bytes);
		return true;
	}

	/** Audio the viewer was sent: it goes whatever the allowance says (the sound carries on while
	 * the picture waits), but its bytes count — the video after it waits for them. */
	#charge(entry: Entry, bytes: number): void {
		const rate = this.#refill(entry);
		if (rate !== Infinity && rate !== 0) entry.allowance.bytes -= onTheWire(bytes);
	}

	/** The viewer's allowance brought up to now; the rate it fills at (its part of the uplink, or
	 * the path's when that is less): 0 while the path is stalled, Infinity when nothing bounds it. */
	#refill(entry: Entry): number {
		const path = entry.session.pathRate();
		if (path === 0) return 0;
		const part = this.#uplink ? this.#uplink / this.#entries.size : Infinity;
		const rate = path === undefined ? part : Math.min(part, path);
		if (rate === Infinity) return rate;
		// a frame goes as one burst: what the path's queue holds bounds it, not a second of the rate
		const burst = path !== undefined && path <= part ? PATH_BURST_S : BURST_S;
		const at = this.#o.now(), allowance = entry.allowance;
		allowance.bytes = Math.min(rate * burst, allowance.bytes + (at - allowance.at) * rate / 1000);
		allowance.at = at;
		return rate;
	}

	/** Ends a session now (the cloud's p2p-end, the viewer's WHEP DELETE); false when there is none. */
	end(id: string, why = "ended"): boolean {
		const entry = this.#entries.get(id);
		if (!entry) return false;
		this.#entries.delete(id);
		this.#byUfrag.delete(entry.ufrag);
		if (entry.at && this.#byPeer.get(entry.at.address, entry.at.port) === entry) this.#byPeer.delete(entry.at.address, entry.at.port);
		entry.reader?.close();
		this.#unwait(entry);
		if (entry.talk !== undefined) this.#o.voice!.voice(entry.talk, new ArrayBuffer(0));   // the talkback ends with the session
		const { frames, packets, bytes, senderReports, rttMs, keyFrameRequests, nacks, resent, resendsRefused, resendsUnaffordable, resendsGone, resendsRepeated } = entry.session.stats;
		const cc = entry.session.congestion;
		entry.session.close();
		this.#o.log(`webrtc: viewer ${id} ${why}: ${frames} frames, ${packets} packets, ${bytes} bytes; ${senderReports} sender reports, round trip ${rttMs < 0 ? "unknown" : `${rttMs} ms`}, ${keyFrameRequests} key frame requests (${entry.requestsInRepair} while their key frame was being repaired), ${nacks} NACKed (${resent} resent, ${resendsRepeated} again within the round trip, ${resendsGone} gone, ${resendsRefused} over the limit, ${resendsUnaffordable} over the path's allowance); ${entry.skipped} frames skipped for the uplink or the path${cc ? `; congestion control: ${cc.feedbacks} feedbacks on ${cc.packets} packets (${cc.received} arrived, ${cc.lost} lost, ${cc.expired} never reported, ${cc.missed} in lost feedback), path ${Math.round(cc.bandwidth * 8 / 1000)} kbit/s, min RTT ${cc.minRtt} ms` : ""}${entry.channels ? `; ${entry.channels.stats.commands} commands (${entry.channels.stats.replies} answered)` : ""}`);
		if (!this.#entries.size) this.#stop();
		return true;
	}

	figures(): WebRtcFigures[] {
		const at = this.#o.now();
		return [...this.#entries.values()].map((entry) => {
			const { bytes, frames, audioFrames, keyFrameRequests, nacks, resent, resendsRefused, resendsUnaffordable, resendsGone, resendsRepeated, rttMs, fractionLost } = entry.session.stats;
			const rate = at > entry.mark.at ? Math.round((bytes - entry.mark.bytes) * 1000 / (at - entry.mark.at)) : 0;
			entry.mark = { bytes, at };
			return { session: entry.id, connected: entry.session.connected, peer: entry.session.peer, rate, rttMs, fractionLost, frames, audioFrames, keyFrameRequests, keyFrameRequestsInRepair: entry.requestsInRepair, nacks, resent, resendsRefused, resendsUnaffordable, resendsGone, resendsRepeated, talk: entry.talk !== undefined, skipped: entry.skipped, pathRate: entry.session.pathRate(), bandwidth: entry.session.congestion?.bandwidth, commands: entry.channels?.stats.commands };
		});
	}

	close(): void {
		for (const id of [...this.#entries.keys()]) this.end(id, "closed with the endpoint");
		this.#stop();
	}

	#stop(): void {
		if (this.#tick !== undefined) Timer.clear(this.#tick as never);
		this.#tick = undefined;
	}

	/** A datagram on the carrying socket: true when it is this wire's (handled or dropped here). */
	take(datagram: Datagram): boolean {
		const bytes = new Uint8Array(datagram);
		const kind = datagramKind(bytes);
		if (kind !== "stun" && kind !== "dtls" && kind !== "rtp") return false;   // the native transport's, or nobody's
		const { address, port } = datagram;
		let entry: Entry | undefined;
		if (kind === "stun") {
			const ufrag = checkedUfrag(bytes);
			entry = ufrag === undefined ? undefined : this.#byUfrag.get(ufrag);
			if (!entry) return false;   // a check of the native transport's, a STUN server's answer
			if (this.#checks.take(entry.id, this.#o.now())) {
				this.checksDropped++;
				return true;
			}
		}
		else {
			entry = this.#byPeer.get(address, port);
			if (entry && !entry.session.isPeer(address, port)) entry = undefined;
		}
		if (!entry) {
			this.unclaimed++;
			return true;
		}
		// what it throws ends this viewer (its reason logged), never the others, the socket or the
		// app (the session contains its own; this is what watching it provokes)
		const wasConnected = entry.session.connected;
		try {
			entry.session.receive(datagram, address, port);
			if (kind === "stun") this.#placePeer(entry);
			if (entry.session.failed) this.#fail(entry, entry.session.failed);
			else if (!wasConnected && entry.session.connected) this.#watch(entry);
		}
		catch (error) {
			this.#fail(entry, (error as Error).message);
		}
		return true;
	}

	/** Keeps #byPeer where the session's checks put its peer (a check may nominate another path). */
	#placePeer(entry: Entry): void {
		const at = entry.at;
		if (at && entry.session.isPeer(at.address, at.port)) return;
		if (at && this.#byPeer.get(at.address, at.port) === entry) this.#byPeer.delete(at.address, at.port);
		entry.at = entry.session.peer;
		if (entry.at) this.#byPeer.set(entry.at.address, entry.at.port, entry);
	}

	/** A viewer ended for a fault of its own (counted in `failures`). */
	#fail(entry: Entry, why: string): void {
		if (this.#entries.get(entry.id) !== entry) return;
		this.failures++;
		this.end(entry.id, `failed (${why})`);
	}

	/** A packet of the viewer's voice: into its talkback, opened with the first. */
	#voice(entry: Entry, codec: string, payload: ArrayBuffer): void {
		const voice = this.#o.voice!;
		if (entry.talkOff) return;
		if (entry.talk === undefined) {
			let why = "none taken";
			try {
				entry.talk = voice.open(`codec=${codec.toLowerCase()}&rate=8000`, entry.id);
			}
			catch (error) {
				why = (error as Error).message;
			}
			if (entry.talk === undefined) {
				entry.talkOff = true;
				this.#o.log(`webrtc: viewer ${entry.id}'s voice is dropped (${why})`);
				return;
			}
		}
		voice.voice(entry.talk, payload);
	}

	/** Connected: the session reads the ring from its newest key frame. */
	#watch(entry: Entry): void {
		this.#o.log(`webrtc: viewer ${entry.id} watches (connected in ${Math.round(this.#o.now() - entry.since)} ms)`);
		this.#read(entry);
	}

	/** The viewer lost its picture (PLI, FIR): the ring's newest key frame goes again at once — at
	 * most once per REWIND_MS (a viewer asking more often would make the camera send a key frame
	 * each time: it waits for the next one instead). Not while that key frame is the one it was last
	 * sent and its NACKs are being answered (every one since, the last within a round trip): a
	 * decoder asks when it has had nothing to show for a while (Chromium: 200 ms without a packet of
	 * the key frame), before the repair is back; sending the key frame and the frames since again
	 * would put a GOP's bytes behind the repair — on a thin link, seconds in its queue. */
	#keyFrame(entry: Entry): void {
		const { session } = entry;
		if (entry.keyed && entry.keyGop === entry.readGop && session.unrepaired === entry.unrepairedAtKey && session.repairing()) {
			entry.requestsInRepair++;
			return;
		}
		entry.keyed = false;
		const at = this.#o.now();
		if (!entry.reader || at - entry.rewoundAt < REWIND_MS) return;
		entry.rewoundAt = at;
		this.#read(entry);
	}

	/** A reader from the ring's newest key frame (replacing the session's): the frames from there go out. */
	#read(entry: Entry): void {
		const { session } = entry;
		entry.reader?.close();
		entry.reader = undefined;
		session.stopPacing();
		this.#unwait(entry);
		entry.keyed = false;
		let lost = 0;
		// the ring's callback: what sending this viewer's frames throws ends this viewer only
		const drain = () => {
			try {
				for (let frame = reader.read(); frame; frame = reader.read()) {
					if (reader.lost !== lost) {   // the ring overtook it: a gap in the picture
						lost = reader.lost;
						this.#unwait(entry);
						entry.keyed = false;
					}
					if (frame.type !== FrameType.video) {
						// the G.711 track, once the picture has begun (AAC is cloud storage's); it never waits,
						// but the video read before it goes first when it can
						if (entry.waiting.length) this.#sendWaiting(entry);
						if (entry.hears && session.stats.frames > 0 && frame.codec === (this.#o.audio === "pcma" ? Codec.pcma : Codec.pcmu) && session.sendAudio(frame.data, frame.timestamp))
							this.#charge(entry, frame.size);
						continue;
					}
					if (entry.waiting.length >= MAX_WAITING) this.#skipWaiting(entry);
					entry.readGop = frame.gop;
					entry.waiting.push(frame);
					entry.waitingAt.push(this.#o.now());
				}
				this.#sendWaiting(entry);
			}
			catch (error) {
				this.#fail(entry, (error as Error).message);
			}
		};
		let reader: RingReader;
		try {
			reader = new RingReader(this.#o.ring, { at: "live", onReadable: drain });
		}
		catch (error) {   // no reader slot left: the viewer limit and the ring's slots disagree
			this.end(entry.id, `has no ring reader (${(error as Error).message})`);
			return;
		}
		entry.reader = reader;
		drain();   // what the ring holds from its newest key frame goes now (the reader is woken by pushes only)
	}

	/** The viewer's waiting video frames, oldest first, while its allowance takes them; a frame
	 * that cannot go yet is tried again when the allowance will have refilled, unless it has waited
	 * WAIT_MS (then it is skipped, and the rest of its GOP with it: frame-aware, never a frame whose
	 * reference was not sent). */
	#sendWaiting(entry: Entry): void {
		const { waiting, waitingAt, session } = entry;
		while (waiting.length && !session.pacing) {   // (one frame paced out at a time: the session says when it is done)
			const frame = waiting[0];
			if (!entry.keyed && !frame.key) {
				if (entry.starved) entry.skipped++;
				this.#dropOldest(entry);
				continue;
			}
			if (!this.#spend(entry, frame.size, 0)) {
				if (this.#o.now() - waitingAt[0] < WAIT_MS - session.pathQueueMs()) {
					this.#retryLater(entry);
					return;
				}
				this.#skipWaiting(entry);
				continue;
			}
			entry.starved = false;
			this.#dropOldest(entry);
			// (the session checks the ring's intact(), not the reader's valid(): a NACK may reach the unit after this reader is replaced)
			entry.keyed = session.sendVideo(frame.data, frame.timestamp, waiting.length > 0);
			if (entry.keyed && frame.key) {
				entry.keyGop = frame.gop;
				entry.unrepairedAtKey = session.unrepaired;
			}
		}
	}

	/** The oldest waiting frame skipped for the viewer's allowance: the frames after it up to a key frame follow it. */
	#skipWaiting(entry: Entry): void {
		this.#dropOldest(entry);
		entry.starved = true;
		entry.keyed = false;
		entry.skipped++;
	}

	/** The oldest waiting frame off the list (sent or skipped). */
	#dropOldest(entry: Entry): void {
		entry.waiting.shift();
		entry.waitingAt.shift();
	}

	/** The waiting frames tried again once the allowance is back above 0 at its rate (a stalled path: in TICK_MS). */
	#retryLater(entry: Entry): void {
		if (entry.retry !== undefined) return;
		const rate = this.#refill(entry);
		const ms = rate > 0 && rate !== Infinity ? Math.ceil(-entry.allowance.bytes * 1000 / rate) : TICK_MS;
		entry.retry = Timer.set(() => {
			entry.retry = undefined;
			if (this.#entries.get(entry.id) !== entry) return;
			try {
				this.#sendWaiting(entry);
			}
			catch (error) {
				this.#fail(entry, (error as Error).message);
			}
		}, Math.min(WAIT_MS, Math.max(RETRY_MIN_MS, ms)));
	}

	/** Its waiting frames forgotten (a new reader, a gap, the end), and their timer. */
	#unwait(entry: Entry): void {
		entry.waiting.length = 0;
		entry.waitingAt.length = 0;
		if (entry.retry !== undefined) Timer.clear(entry.retry as never);
		entry.retry = undefined;
	}

	#look(): void {
		const at = this.#o.now();
		for (const entry of [...this.#entries.values()]) {
			const { session } = entry;
			session.tick();   // (contained: a failure shows in `failed`)
			if (session.failed) this.#fail(entry, session.failed);
			else if (session.closed) this.end(entry.id, "left");
			else if (!session.connected && at - entry.since > CONNECT_MS) this.end(entry.id, `did not connect within ${CONNECT_MS / 1000} s`);
			else if (!session.stats.checks && entry.answeredAt !== undefined && at - entry.answeredAt > ICE_START_MS) this.end(entry.id, `sent no ICE check within ${ICE_START_MS / 1000} s of its answer: its place is given back`);
			else if (session.connected && !session.consented) this.end(entry.id, "lost consent (no check for 30 s)");
		}
		this.#checks.prune(at);
	}
}
