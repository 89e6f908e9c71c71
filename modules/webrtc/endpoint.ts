/**
 * The camera's WebRTC endpoint: every WebRTC viewer a WebRtcSession (session.ts) fed live video
 * from the channel's ring, on the camera's link (modules/p2p/link.ts: the same port, host,
 * server-reflexive and relayed candidates, NAT openings and TURN relay as the native viewers — one
 * stack, two wires). RFC 7983's first byte tells the wires apart: DTLS records (20–25; the native
 * transport's packets start 0x5X or 0x6X), RTP/RTCP (128–191), and a STUN check whose USERNAME names one of
 * our sessions' ufrags (random, one per session) are this endpoint's; DTLS and RTCP then find their
 * session by the address its checks came from — a stranger's packet finds none and costs a map
 * lookup, nothing more (no state, no answer).
 *
 * Bounds on what a viewer drives (issue 28 §6): checks answered per session per second
 * (CHECKS_PER_SECOND, before the HMAC is computed); a session that is not connected within
 * CONNECT_MS, that lost consent (session.ts) or that closed is ended and its reader slot given back.
 * How many sessions at once is the caller's (`places`): the viewer limit counts both wires.
 *
 * A viewer's media is its session's feed, in C (native/webrtc's RtpFeed over the viewer core,
 * native/p2p/feed.h): it starts at the ring's newest key frame, a PLI or FIR (its decoder lost the
 * picture) sends that key frame again at once (at most once a second), and a feed the ring
 * overtook (a slow path) waits for the next key frame rather than send a broken picture. The
 * endpoint runs the feeds, all in one call into C (tickFeeds) on the native transport's driver
 * (ticker.ts): when the ring is pushed to (one wake-up reader for all of them), when a viewer's
 * RTCP was read (its feedback, a key frame request: the feed's, in C — `peers`: taken as the link's
 * socket is read while the viewer is reached straight), and when the soonest delay they asked for
 * has passed.
 */
import Timer from "timer";
import { RingReader, type Ring } from "ring";
import { FEED_ERROR, FeedsFed, channelMaxMessage, fedFeeds, tickFeeds, type DtlsIdentity, type FeedEntry } from "webrtc";
import { randomBytes, type Uplink } from "p2p";
import type { Datagram } from "../p2p/udp.js";
import type { WirePeers } from "../p2p/link.js";
import { datagramKind, DatagramKind } from "../p2p/demux.js";
import { PeerMap } from "../p2p/address.js";
import type { HmacSha1, StunMessage } from "../p2p/stun.js";
import { placeOf } from "../p2p/checks.js";
import { Ticker } from "../p2p/ticker.js";
import type { Candidate } from "../protocol/signal.js";
import { RateGate } from "../net/rate-gate.js";
import { Rights } from "../protocol/ticket.js";
import { CommandChannels, type CommandChannelsOptions, type CommandReply } from "./datachannel.js";
import { checkedRequest } from "./ice.js";
import { WebRtcRefusal, answered, described, negotiate } from "./negotiate.js";
import { parseIceFragment, parseOffer, writeAnswer, writeIceFragment, type SdpCandidate } from "./sdp.js";
import { MAX_FRAGMENT_BYTES } from "../protocol/webrtc-signal.js";
import { WebRtcSession } from "./session.js";

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
/** How often sessions are looked after: DTLS retransmissions, timeouts, consent. */
const TICK_MS = 50;
/** H.264 profile_idc the camera's stream is (the sample clip and the board's encoder: Main). */
const H264_PROFILE = 77;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export { WebRtcRefusal };

export interface WebRtcEndpointOptions {
	identity: DtlsIdentity;
	ring: Ring;
	/** The camera's viewers' uplink (p2p's Uplink: its budget, shared with the other wires' viewers):
	 * each viewer's feed takes its part — sent whole frames while its part allows, a frame it cannot
	 * take skipped with every frame after it up to the next key frame it can (frame-aware: never a
	 * frame whose reference was not sent). None: no budget. */
	uplink?: Uplink;
	codec: "h264" | "h265";
	/** The ring's G.711 track (its law), sent to viewers whose offer receives audio; none: no audio goes out. */
	audio?: "pcmu" | "pcma";
	/** Sends on the carrying socket (through the relay where the viewer's datagrams came through it). */
	send(bytes: Uint8Array, address: string, port: number): void;
	/** The carrying socket's host object when datagrams to address:port go straight to it (not
	 * through the relay): the feeds write their packets to it from C. Absent: every packet through `send`. */
	straight?(address: string, port: number): unknown;
	/** How many more viewers the camera takes now (the viewer limit minus the sessions of both wires). */
	places(): number;
	/** The most sessions one account's offers may hold at once (default: unbounded): below the
	 * viewer limit, so one account re-posting offers cannot hold every place. */
	accountShare?: number;
	hmacSha1: HmacSha1;
	/** Milliseconds, monotonic. */
	now(): number;
	/** Unix ms on the clock the ring's frames are stamped with: the sender reports' and round trips'
	 * NTP time (default Date.now). */
	wallClock?(): number;
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
	session: WebRtcSession<Entry>;
	ufrag: string;
	since: number;
	/** When its answer was written (ICE_START_MS counts from there); undefined while the camera gathers. */
	answeredAt?: number;
	/** When it last restarted ICE. */
	restartedAt: number;
	/** Its feed runs (connected: the session watches the ring). */
	watching: boolean;
	/** Bytes sent when the figures were last taken, and when. */
	markBytes: number;
	markAt: number;
	/** Where #byPeer has it (its session's peer when last looked). */
	at?: { address: string; port: number };
	/** The answer sends it the ring's G.711 track: from its first picture on, whether the picture
	 * waits for a key frame after that or not (the sound carries on while the picture yields). */
	hears: boolean;
	/** The codec its voice comes in, when the answer took it (talkback). */
	voiceCodec?: string;
	/** The viewer's talkback, opened with its first voice packet; `talkOff`: refused, its voice is dropped. */
	talk?: unknown;
	talkOff?: boolean;
	/** Its DataChannels (commands), when the answer kept the offer's, and the grant's rights they are run with. */
	channels?: CommandChannels<Entry>;
	rights?: number;
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

/** The viewer's candidates the camera can use: all the offer kept (sdp.ts: UDP, IPv4) but prflx, which it learns from checks. */
const usable = (candidates: SdpCandidate[]): Candidate[] => candidates.filter((c) => c.type !== "prflx")
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
	/** The sessions whose feeds run, and their feeds as tickFeeds takes them (the same order). */
	#watching: Entry[] = [];
	#feeds: FeedEntry[] = [];
	/** How many feeds' ticks threw in the last tickFeeds. */
	readonly #feedFailures = [0];
	/** Every feed ticked in one call into C — at a push to the ring, a viewer's feedback or key frame
	 * request, and the soonest delay they asked for: the native transport's driver (ticker.ts). */
	readonly #feedTicker = new Ticker(() => this.#tickFeeds(), () => this.#feeds.length > 0);
	/** Wakes the feeds when the ring is pushed to (while any runs). */
	#wake: RingReader | undefined;
	#tick: unknown;
	/** Every session's sends (one function for all, not one each). */
	readonly #send = (bytes: Uint8Array, address: string, port: number): void => this.#o.send(bytes, address, port);
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
	 * its relay) and gives the camera's, for the answer. What is taken of the offer is negotiate.ts's
	 * (`rights`: the grant's — with talk, an offer that sends G.711 has the viewer's microphone go to
	 * the talkback). Throws WebRtcRefusal or SdpError (bounded).
	 */
	async offer(id: string, sdp: string, gather: (viewer: Candidate[]) => Promise<Candidate[]>, rights = Rights.live, account?: string): Promise<string> {
		if (this.#entries.has(id)) throw new WebRtcRefusal(`session ${id} already has an answer`);
		if (this.#o.places() <= 0) throw new WebRtcRefusal("the camera serves as many viewers as it can now");
		const share = this.#o.accountShare ?? Infinity;
		if (account !== undefined && [...this.#entries.values()].filter((e) => e.account === account).length >= share)
			throw new WebRtcRefusal(`this account holds ${share} of the camera's places, the most one account may: end one of its sessions first`);
		const offer = parseOffer(sdp);
		const terms = negotiate(offer, { codec: this.#o.codec, h264Profile: H264_PROFILE, audio: this.#o.audio, takesVoice: !!this.#o.voice?.takes, takesCommands: !!this.#o.command }, rights);
		const { video, audio, channel } = terms;
		const ssrc = new DataView(randomBytes(4)).getUint32(0) >>> 0 || 1;
		const audioSsrc = new DataView(randomBytes(4)).getUint32(0) >>> 0 || 2;
		const local = { ufrag: randomText(8), pwd: randomText(24) };
		// (what a viewer has not — an account, talk, a DataChannel — is left out, not set undefined:
		// every property present is a slot per viewer)
		const entry: Entry = { id, ufrag: local.ufrag, since: this.#o.now(), restartedAt: -Infinity, watching: false, markBytes: 0, markAt: this.#o.now(), hears: false, session: undefined as never };
		if (account !== undefined) entry.account = account;
		if (audio?.talks) entry.voiceCodec = audio.codec.name;
		entry.session = new WebRtcSession<Entry>({
			identity: this.#o.identity, remoteFingerprint: offer.fingerprint.bytes, local,
			video: { payloadType: video.codec.pt, ssrc, codec: this.#o.codec === "h264" ? 1 : 2, transportCc: video.transportCc },
			...(audio?.hears ? { audio: { payloadType: audio.codec.pt, ssrc: audioSsrc, counted: audio.counted } } : {}),
			send: this.#send, straight: this.#o.straight,
			now: this.#o.now, wallClock: this.#o.wallClock, hmacSha1: this.#o.hmacSha1,
			owner: entry, onFeedback: this.#fed, log: this.#sessionLog,
			...(audio?.talks ? { talk: { payloadType: audio.codec.pt, voice: this.#voice } } : {}),
			...(channel ? { channel: { port: channel.port, remotePort: channel.port, message: this.#channelMessage } } : {}),
		});
		entry.hears = !!audio?.hears;
		if (channel) {
			entry.rights = rights;
			entry.channels = new CommandChannels(this.#commands, entry);
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
			accept: answered(terms, ssrc, audioSsrc),
			dataChannel: channel ? { maxMessageSize: channelMaxMessage() } : undefined,
		});
		entry.answeredAt = this.#o.now();
		this.#o.log(`webrtc: viewer ${id} offered ${described(terms)}; answered with ${placeOf(candidates)}`);
		return answer;
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


	/** Ends a session now (the cloud's p2p-end, the viewer's WHEP DELETE); false when there is none. */
	end(id: string, why = "ended"): boolean {
		const entry = this.#entries.get(id);
		if (!entry) return false;
		this.#entries.delete(id);
		this.#byUfrag.delete(entry.ufrag);
		if (entry.at && this.#byPeer.get(entry.at.address, entry.at.port) === entry) this.#byPeer.delete(entry.at.address, entry.at.port);
		this.#unwatch(entry);
		if (entry.talk !== undefined) this.#o.voice!.voice(entry.talk, new ArrayBuffer(0));   // the talkback ends with the session
		const { frames, packets, bytes, senderReports, rtcp, rtcpTaken, rttMs, keyFrameRequests, keyFrameRequestsInRepair, nacks, resent, resendsRefused, resendsUnaffordable, resendsGone, resendsRepeated, skipped } = entry.session.media;
		const cc = entry.session.congestion;
		entry.session.close();
		this.#o.log(`webrtc: viewer ${id} ${why}: ${frames} frames, ${packets} packets, ${bytes} bytes; ${senderReports} sender reports, ${rtcp} RTCP packets read (${rtcpTaken} as the socket was read), round trip ${rttMs < 0 ? "unknown" : `${rttMs} ms`}, ${keyFrameRequests} key frame requests (${keyFrameRequestsInRepair} while their key frame was being repaired), ${nacks} NACKed (${resent} resent, ${resendsRepeated} again within the round trip, ${resendsGone} gone, ${resendsRefused} over the limit, ${resendsUnaffordable} over the path's allowance); ${skipped} frames skipped for the uplink or the path${cc ? `; congestion control: ${cc.feedbacks} feedbacks on ${cc.packets} packets (${cc.received} arrived, ${cc.lost} lost, ${cc.expired} never reported, ${cc.missed} in lost feedback), path ${Math.round(cc.bandwidth * 8 / 1000)} kbit/s, min RTT ${cc.minRtt} ms` : ""}${entry.channels ? `; ${entry.channels.stats.commands} commands (${entry.channels.stats.replies} answered)` : ""}`);
		if (!this.#entries.size) this.#stop();
		return true;
	}

	figures(): WebRtcFigures[] {
		const at = this.#o.now();
		return [...this.#entries.values()].map((entry) => {
			const { bytes, frames, audioFrames, keyFrameRequests, keyFrameRequestsInRepair, nacks, resent, resendsRefused, resendsUnaffordable, resendsGone, resendsRepeated, rttMs, fractionLost, skipped } = entry.session.media;
			const rate = at > entry.markAt ? Math.round((bytes - entry.markBytes) * 1000 / (at - entry.markAt)) : 0;
			entry.markBytes = bytes;
			entry.markAt = at;
			return { session: entry.id, connected: entry.session.connected, peer: entry.session.peer, rate, rttMs, fractionLost, frames, audioFrames, keyFrameRequests, keyFrameRequestsInRepair, nacks, resent, resendsRefused, resendsUnaffordable, resendsGone, resendsRepeated, talk: entry.talk !== undefined, skipped, pathRate: entry.session.pathRate(), bandwidth: entry.session.congestion?.bandwidth, commands: entry.channels?.stats.commands };
		});
	}

	close(): void {
		for (const id of [...this.#entries.keys()]) this.end(id, "closed with the endpoint");
		this.#stop();
	}

	#stop(): void {
		if (this.#tick !== undefined) Timer.clear(this.#tick as never);
		this.#tick = undefined;
		this.#feedTicker.stop();
		this.#wake?.close();
		this.#wake = undefined;
	}

	/** A datagram on the carrying socket — `datagram` itself, or the first `length` bytes of the link's
	 * receive buffer from `address`:`port` (link.ts WireTake: read where it lies, copied where kept):
	 * true when it is this wire's (handled or dropped here). */
	take(datagram: ArrayBuffer, kind = datagramKind(new Uint8Array(datagram)), length = datagram.byteLength,
		address = (datagram as Datagram).address, port = (datagram as Datagram).port): boolean {
		if (kind === undefined || kind === DatagramKind.native) return false;   // the native transport's, or nobody's
		let entry: Entry | undefined, check: StunMessage | undefined;
		if (kind === DatagramKind.stun) {
			const request = checkedRequest(new Uint8Array(datagram, 0, length));
			entry = request && this.#byUfrag.get(request.ufrag);
			check = request?.message;
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
			entry.session.receive(datagram, address, port, kind, length, check);
			if (kind === DatagramKind.stun) this.#placePeer(entry);
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
	readonly #voice = (payload: ArrayBuffer, entry: Entry): void => {
		const voice = this.#o.voice!;
		if (entry.talkOff) return;
		if (entry.talk === undefined) {
			let why = "none taken";
			try {
				entry.talk = voice.open(`codec=${entry.voiceCodec!.toLowerCase()}&rate=8000`, entry.id);
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
	};

	/** A message on the viewer's DataChannel: its commands'. */
	readonly #channelMessage = (stream: number, ppid: number, data: ArrayBuffer, entry: Entry): void => entry.channels!.message(stream, ppid, data);

	/** A session's log line, named by its viewer. */
	readonly #sessionLog = (message: string, entry: Entry): void => this.#o.log(`${message} (${entry.id})`);

	/** What every viewer's DataChannels do with its commands (handed its entry): the app's handler,
	 * with the grant's rights, answers them. */
	readonly #commands: CommandChannelsOptions<Entry> = {
		send: (stream, ppid, bytes, entry) => entry.session.sendMessage(stream, ppid, bytes),
		command: (bytes, entry) => this.#o.command!(bytes, entry.id, entry.rights!),
		// as the native wire: the handler's empty reply ends the viewer's session (after this message's turn)
		end: (why, entry) => Timer.set(() => this.end(entry.id, why), 0),
		log: this.#sessionLog,
	};

	/** Connected: the session's feed reads the ring from its newest key frame. */
	#watch(entry: Entry): void {
		this.#o.log(`webrtc: viewer ${entry.id} watches (connected in ${Math.round(this.#o.now() - entry.since)} ms)`);
		if (!this.#wake) {
			try {
				this.#wake = new RingReader(this.#o.ring, { at: "live", onReadable: this.#pushed });
			}
			catch (error) {   // no reader slot left: the viewer limit and the ring's slots disagree
				this.end(entry.id, `has no ring reader (${(error as Error).message})`);
				return;
			}
		}
		try {
			entry.session.watch(this.#o.ring, entry.hears ? this.#o.audio : undefined, this.#o.uplink);
		}
		catch (error) {
			this.end(entry.id, `has no ring reader (${(error as Error).message})`);
			return;
		}
		const feed = entry.session.feedEntry;
		if (!feed) return;   // (not connected: watch() made none)
		entry.watching = true;
		this.#watching.push(entry);
		this.#feeds.push(feed);
		this.#feedTicker.run();   // what the ring holds from its newest key frame goes now
	}

	/** Its feed no longer runs (the session closes it); the wake-up reader goes with the last. */
	#unwatch(entry: Entry): void {
		if (!entry.watching) return;
		entry.watching = false;
		const at = this.#watching.indexOf(entry);
		if (at >= 0) {
			this.#watching.splice(at, 1);
			this.#feeds.splice(at, 1);
		}
		if (!this.#watching.length) {
			this.#feedTicker.stop();
			this.#wake?.close();
			this.#wake = undefined;
		}
	}

	/** The ring was pushed to: the feeds' turn. */
	readonly #pushed = (): void => this.#feedTicker.run();

	/** A viewer's feedback came (its path may take more now): the feeds' turn. */
	readonly #fed = (): void => this.#feedTicker.run();

	/** Every feed's turn, in one call — its frames and, a second apart, its sender reports (on the wall
	 * clock the ring's frames are stamped with); one whose tick threw ends that viewer only (its
	 * session says why). The ms until the soonest wants another (-1: when the ring is pushed to or a
	 * feedback comes). */
	#tickFeeds(): number {
		const feeds = this.#feeds, failures = this.#feedFailures;
		let ms: number;
		try {
			ms = tickFeeds(feeds, Math.floor(this.#o.now()), this.#o.wallClock ? this.#o.wallClock() : Date.now(), failures);
		}
		catch (error) {   // (its arguments are this endpoint's: a fault here is ours, logged, never the host loop's)
			this.#o.log(`webrtc: the feeds' tick failed: ${(error as Error).message}`);
			return -1;
		}
		if (failures[0]) this.#feedsFailed();
		return ms;
	}

	/** The feeds whose tick or RTCP read threw (their errors in their entries) end their viewers. */
	#feedsFailed(): void {
		const feeds = this.#feeds;
		for (let i = feeds.length - 1; i >= 0; i--) {   // (from the last: a failed one leaves the lists)
			const error = feeds[i][FEED_ERROR];
			if (error === undefined) continue;
			feeds[i][FEED_ERROR] = undefined;   // (told once)
			const entry = this.#watching[i];
			entry.session.feedFailed(error);
			this.#fail(entry, entry.session.failed);
		}
	}

	/** The viewers whose RTCP C takes as the link's socket is read (link.ts WirePeers): every feed's
	 * entry (its path's last straight address is the one taken from); after a read, a feedback read
	 * is the feeds' turn, a read that threw ends its viewer. */
	readonly peers: WirePeers = {
		peers: this.#feeds,
		received: () => {
			const fed = fedFeeds(this.#feeds);
			if (fed & FeedsFed.failed) this.#feedsFailed();
			if (fed & FeedsFed.feedback) this.#feedTicker.run();
		},
	};

	/** Every TICK_MS: each session's time passes (its handshake's retransmissions),
	 * and one that failed, left, never connected or lost consent is ended. A walk of the map by
	 * forEach with one function (a spread or an iterator were garbage 20 times a second). */
	#look(): void {
		this.#lookAt = this.#o.now();
		this.#entries.forEach(this.#lookAtEntry);   // (forEach skips the entries ended meanwhile)
		this.#checks.prune(this.#lookAt);
	}

	#lookAt = 0;
	readonly #lookAtEntry = (entry: Entry): void => {
		const { session } = entry, at = this.#lookAt;
		session.tick();   // (contained: a failure shows in `failed`)
		if (session.failed) this.#fail(entry, session.failed);
		else if (session.closed) this.end(entry.id, "left");
		else if (!session.connected && at - entry.since > CONNECT_MS) this.end(entry.id, `did not connect within ${CONNECT_MS / 1000} s`);
		else if (!session.checks && entry.answeredAt !== undefined && at - entry.answeredAt > ICE_START_MS) this.end(entry.id, `sent no ICE check within ${ICE_START_MS / 1000} s of its answer: its place is given back`);
		else if (session.connected && !session.consented) this.end(entry.id, "lost consent (no check for 30 s)");
	};
}
