/**
 * The seed's P2P API on the camera (SPEC §2, seed 001 iv_avt_p2p_*), over the transport's XS
 * binding (native/p2p: Endpoint) on one UDP socket. modules/p2p/README.md is the reference:
 * callbacks, events, limits, error codes, and what is not there yet.
 *
 * One endpoint timer: it ticks the transport when the transport asks (the delay tick()
 * returns), after every datagram, push and ring wake-up (the transport does not poll its
 * sources), and every 10 ms while a channel is fed by onSendGet (one timer per endpoint, not
 * per channel). Live from the ring is fed in C, zero-copy: the app writes no onSendGet for it.
 * A tick first reads what waits on the socket (ticker.ts's drain: a tick must not judge packets
 * in flight by ACKs still unread), except the tick that reading itself asks for.
 */
import { Channel, Endpoint, Event, Kind, ADDRESS_BYTES, MAX_COMMAND, MTU, Rights, Status, isPacket, type Handler, Uplink } from "p2p";
import { RingReader, type Ring } from "ring";
import Timer from "timer";
import { AddressBook, decodeAddress } from "./address.js";
import { Link, type NativeWire } from "./link.js";
import { MAX_SESSIONS } from "./limits.js";
import { decodeControl, encodeControl, type ControlKind } from "./control.js";
import { P2pCodes, P2pError } from "./errors.js";
import { parseStreamParams, queryPairs, type StreamParams } from "./params.js";
import { Ticker } from "./ticker.js";
import type { Candidate, PathType, WatermarkLevel } from "../protocol/signal.js";

/** The seed's iv_avt_event_e, same numbers. */
export const P2PEvent = Object.freeze({
	peerReady: 0, peerConnectFail: 1, peerError: 2, peerAddrChanged: 3,
	watermarkLow: 4, watermarkWarn: 5, watermarkHigh: 6,
});

/** onSendGet's period, per open channel (the seed's 10 ms). */
export const PULL_MS = 10;

export type Handle = unknown;
/** What onSendGet returns: nothing now, bytes (one independent chunk), or a frame. */
export type Chunk = undefined | null | ArrayBuffer | ArrayBufferView | { data: ArrayBuffer | ArrayBufferView; key?: boolean; timestamp?: number };

export interface P2PCallbacks {
	/** A viewer asks for a stream: `params` "action=live" or "action=playback&start=…&end=…"
	 * (checked before this is called), `peer` the viewer's id (the cloud's ticket). Returns the
	 * channel's handle (any value not already in use), or undefined/null to refuse. */
	onSendInit?(params: string, peer: string): Handle;
	/** Every 10 ms per open channel not fed from the ring, while it is below `high`. */
	onSendGet?(handle: Handle): Chunk;
	/** Not in the seed: whether a live channel onSendInit opened is fed by onSendGet (a C
	 * firmware's own stream: its send_get_cb) rather than straight from the ring. Default: the ring. */
	pullsLive?(handle: Handle): boolean;
	/** The channel closed (viewer left, error, exit). */
	onSendStop?(handle: Handle): void;
	/** P2PEvent; `handle` is the channel's for watermark events, else undefined. */
	onEvent?(event: number, handle: Handle): void;
	/** A viewer starts talkback; returns its handle, or undefined/null to refuse. */
	onRecvInit?(params: string, peer: string): Handle;
	/** Talkback audio in order; an empty `data` (byteLength 0) marks the end. */
	onRecvVoice?(handle: Handle, data: ArrayBuffer): void;
	/** A viewer's command (≤ 16 KiB); returns the reply (≤ 16 KiB). Must not block. An empty
	 * reply (undefined, null, 0 bytes) closes the viewer's channel. `rights`: its ticket's
	 * (Rights bits): the app refuses a command whose right is missing (not in the seed). False: no
	 * reply, the channel stays (a command dropped over the viewer's rate). */
	onCommand?(command: ArrayBuffer, peer: string, rights: number): ArrayBuffer | ArrayBufferView | string | undefined | null | false;
	/** The seed's p2p_keep_alive_cfg: either 0 disables it. Default 5 s × 3. */
	keepAlive?: { intervalS: number; attempts: number };
}

export interface P2POptions {
	deviceId: string;
	deviceSecret: ArrayBuffer | ArrayBufferView;
	/** UDP port to bind (0: any) and address (default all): the link the transport opens (link.ts). */
	port?: number;
	address?: string;
	/** Live view straight from this ring (action=live), without onSendGet. */
	ring?: Ring;
	/** The clock of the ring's timestamps, ms (default Date.now: capture stamps wall-clock). */
	ringClock?: () => number;
	/** Viewers at once: 1 … MAX_SESSIONS.linux (default 4 = a board's). */
	maxSessions?: number;
	/** Places left for viewers on all the camera's wires, a newly connected one counted (default:
	 * maxSessions less this transport's sessions): a viewer is refused when it is below 0. */
	places?: () => number;
	/** Bytes an onSendGet-fed channel holds unsent (default 256 KiB; the watermarks live below it). */
	queueBytes?: number;
	/** Monotonic ms (the transport's clock) and Unix seconds (ticket expiry). */
	monotonic: () => number;
	unixTime?: () => number;
	log?: (message: string) => void;
}

interface SendChannel { handle: Handle; session: Session; params: StreamParams; fromRing: boolean; high: boolean; level: WatermarkLevel; carry?: Chunk }
interface RecvChannel { handle: Handle; session: Session }
/** `refused`: over the viewer limit (both wires), closed on the next turn; nothing it asks is done meanwhile. */
interface Session { index: number; peer: string; rights: number; media?: SendChannel; voice?: RecvChannel; outbox: Array<[number, number, Uint8Array]>; refused?: boolean }

const EMPTY = new ArrayBuffer(0);

function bytesOf(value: ArrayBuffer | ArrayBufferView | string): Uint8Array {
	if (typeof value === "string") return encodeControl(value);
	if (value instanceof ArrayBuffer) return new Uint8Array(value);
	return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** The endpoint's life. Numbers, not strings: on XS every evaluation of a string literal in a
 * module's code copies it into a new chunk (preloaded modules too), and the ticker asks whether
 * it is live several times a tick (on the Linux host with 4 viewers, a quarter of the camera's
 * garbage: hosts/linux/README.md "Memory"). */
const enum State { New, Ready, Exited }

export class P2P {
	#o: P2POptions;
	#cb: P2PCallbacks | undefined;
	#state = State.New;
	#endpoint: Endpoint | undefined;
	#link: Link | undefined;
	#wake: RingReader | undefined;
	#sessions = new Map<number, Session>();
	#channels = new Map<Handle, SendChannel>();
	#voices = new Map<Handle, RecvChannel>();
	#ticker = new Ticker(() => {
		this.#flush();
		return this.#endpoint!.tick(this.#now());
	}, () => this.#state === State.Ready, () => this.#link?.receive());
	#pullTimer: unknown;
	/** The senders' encoded addresses, looked up per datagram rather than made again. */
	readonly #peers = new AddressBook();
	/** Some session's outbox may hold a reply (#flush). */
	#outboxed = false;
	readonly #sendBuffer = new ArrayBuffer(MTU);
	/** The endpoint's handler (its `socket` set once the socket is open, cleared when it closes). */
	#handler: Handler | undefined;
	readonly #addressBytes = new Uint8Array(ADDRESS_BYTES);
	/** The addresses the transport names by slot, each decoded once: when its slot is fresh. */
	readonly #bySlot: Array<{ readonly address: string; readonly port: number } | undefined> = [];
	/** The address the transport names by `slot`, decoded from the address buffer when fresh. */
	#slotAddress(slot: number, fresh: boolean, length: number): { readonly address: string; readonly port: number } {
		const known = this.#bySlot[slot];
		if (known && !fresh) return known;
		return this.#bySlot[slot] = decodeAddress(this.#addressBytes.slice(0, length).buffer);
	}
	/** A datagram from `from` into the endpoint (through the ticker): the first `length` bytes of #inputBytes. */
	readonly #input = (from: Uint8Array, length: number): void => {
		this.#endpoint!.input(from, this.#inputBytes!, this.#now(), length);
	};
	#inputBytes: ArrayBuffer | undefined;
	/** The socket read through the endpoint (udp.ts's ReadInto): the transport's packets from peers
	 * it sends to straight are input in C, with no JS a datagram (~10 k instructions each on the
	 * 32-bit host, an ACK for every packet sent: bench board_cpu), and so are the other wires' peers'
	 * that take theirs in C (the link's takers); the rest come back to #receive. */
	readonly #readInto = (into: ArrayBuffer, from: Uint8Array): number =>
		this.#ticker.enter(this.#endpointReceive, into, from);
	readonly #endpointReceive = (into: ArrayBuffer, from: Uint8Array): number =>
		this.#endpoint!.receive(this.#link!.native!, into, from, this.#now(), this.#link!.takers);
	/** The transport on the link: it reads first, and takes what no other wire or STUN claimed. */
	readonly #onLink: NativeWire = {
		readInto: this.#readInto,
		// tickets expire in wall-clock time: the clock the hellos are checked against
		receiving: () => this.#setUnixTime(),
		input: (bytes, length, address, port) => {
			this.#inputBytes = bytes;
			this.#ticker.enter(this.#input, this.#peers.encode(address, port), length);
		},
		received: () => {
			this.#inputBytes = undefined;
			this.#ticker.run(true);
		},
		reroute: () => this.#endpoint?.reroute(),
	};
	/** The levels setWatermarks set, for the session report ([0, 0, 0]: off). */
	#watermarks: [number, number, number] = [0, 0, 0];
	#uplink: Uplink | undefined;

	constructor(options: P2POptions) {
		if (!options || typeof options.monotonic !== "function") throw new P2pError(P2pCodes.EARG, "options need { deviceId, deviceSecret, monotonic }");
		const { maxSessions = MAX_SESSIONS.board, queueBytes = 256 * 1024 } = options;
		if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new P2pError(P2pCodes.EARG, "maxSessions must be an integer ≥ 1");
		if (maxSessions > MAX_SESSIONS.linux) throw new P2pError(P2pCodes.EFULL, `at most ${MAX_SESSIONS.linux} viewers at once`);
		if (!Number.isInteger(queueBytes) || queueBytes < 4096 || queueBytes > 16 * 1024 * 1024) throw new P2pError(P2pCodes.EARG, "queueBytes must be an integer from 4 KiB to 16 MiB");
		this.#o = { ...options, maxSessions, queueBytes };
	}

	/** The UDP port viewers reach (after init). */
	get port(): number {
		return this.#link?.port ?? 0;
	}

	/** The link the transport is on (after init): its socket, STUN checks, relay and paths, which
	 * the camera's other wires share. */
	get link(): Link {
		if (!this.#link) throw new P2pError(P2pCodes.ESTATE, "link before init");
		return this.#link;
	}

	/** Viewers connected now (sessions().length without their figures). */
	get sessionCount(): number {
		return this.#state === State.Ready ? this.#sessions.size : 0;
	}

	/** Whether the viewer `peer` has a session open now (sessions() without their figures). */
	watches(peer: string): boolean {
		for (const session of this.#sessions.values()) if (session.peer === peer) return true;
		return false;
	}

	/** Datagrams on the link whose handling threw, each dropped alone (link.ts). */
	get datagramErrors(): number {
		return this.#link?.datagramErrors ?? 0;
	}

	/** The seed's iv_avt_p2p_init. PEER_READY follows once the socket is bound. */
	init(callbacks: P2PCallbacks): void {
		if (this.#state !== State.New) throw new P2pError(P2pCodes.ESTATE, this.#state === State.Ready ? "init called twice" : "init after exit");
		if (!callbacks || typeof callbacks !== "object") throw new P2pError(P2pCodes.EARG, "init needs the callbacks");
		for (const name of ["onSendInit", "onSendGet", "pullsLive", "onSendStop", "onEvent", "onRecvInit", "onRecvVoice", "onCommand"] as const)
			if (callbacks[name] !== undefined && typeof callbacks[name] !== "function") throw new P2pError(P2pCodes.EARG, `${name} must be a function`);
		if (callbacks.onSendInit && !callbacks.onSendGet && !this.#o.ring) throw new P2pError(P2pCodes.EARG, "onSendInit without onSendGet or a ring: nothing would feed the channels");
		if (callbacks.onRecvInit && !callbacks.onRecvVoice) throw new P2pError(P2pCodes.EARG, "onRecvInit without onRecvVoice");
		const keepAlive = callbacks.keepAlive ?? { intervalS: 5, attempts: 3 };
		if (!Number.isInteger(keepAlive.intervalS) || !Number.isInteger(keepAlive.attempts) || keepAlive.intervalS < 0 || keepAlive.intervalS > 255 || keepAlive.attempts < 0 || keepAlive.attempts > 10)
			throw new P2pError(P2pCodes.EARG, "keepAlive is { intervalS: 0 … 255, attempts: 0 … 10 } (either 0: off)");
		this.#endpoint = new Endpoint({
			role: "camera", deviceId: this.#o.deviceId, deviceSecret: this.#o.deviceSecret as ArrayBuffer,
			maxSessions: this.#o.maxSessions, keepAlive,
		}, this.#handler = {
			// Datagrams and their addresses come in these buffers, sent at once (the relay copies
			// what it wraps): no new ArrayBuffer a datagram (native/p2p's Handler).
			sendBuffer: this.#sendBuffer,
			addressBuffer: this.#addressBytes.buffer as ArrayBuffer,
			// The socket the endpoint writes to itself, in C, for addresses send() answers true for.
			socket: undefined,
			send: (to, datagram, length, toLength, slot, fresh) => {
				// (no slot only when the buffers cannot hold a datagram or its address: never with these)
				const { address, port } = slot === undefined ? decodeAddress(to) : this.#slotAddress(slot, fresh!, toLength!);
				try {
					this.#link!.write(length === undefined ? datagram : this.#sendBuffer, address, port, length);
				}
				catch (error) {
					this.#log(`send to ${address}:${port}: ${(error as Error).message}`);
				}
				// A peer reached straight: its later datagrams go from C to the socket with no call
				// here (~11 k instructions each on the 32-bit host; the link's reroute takes it back).
				return slot !== undefined && !this.#link!.isRelayed(address, port);
			},
			event: (session, event, arg) => this.#onTransportEvent(session, event, arg),
			frame: (session, channel, bytes) => {
				const voice = this.#sessions.get(session)?.voice;
				if (channel === Channel.voice && voice) this.#call("onRecvVoice", voice.handle, bytes);
			},
			command: (session, kind, id, bytes) => this.#onCommand(session, kind, id, bytes),
		});
		this.#uplink = new Uplink(this.#now());
		this.#endpoint.shareUplink(this.#uplink);
		this.#cb = callbacks;
		this.#state = State.Ready;
		try {
			this.#link = new Link({
				address: this.#o.address, port: this.#o.port ?? 0, monotonic: this.#o.monotonic, log: this.#o.log,
				onError: () => this.#call("onEvent", P2PEvent.peerError, undefined),
			});
			this.#link.attachNative(this.#onLink);
			this.#handler!.socket = this.#link.native;
			if (this.#o.ring) this.#wake = new RingReader(this.#o.ring, { at: "live", onReadable: () => this.#ticker.run() });
		}
		catch (error) {
			this.exit();
			throw error;
		}
		this.#setUnixTime();
		Timer.set(() => this.#state === State.Ready && this.#call("onEvent", P2PEvent.peerReady, undefined), 0);
	}

	/** The seed's iv_avt_p2p_exit: every channel stops (onSendStop, talkback's empty data). */
	exit(): void {
		if (this.#state !== State.Ready) throw new P2pError(P2pCodes.ESTATE, this.#state === State.Exited ? "exit called twice" : "exit before init");
		if (this.#ticker.inside) throw new P2pError(P2pCodes.ESTATE, "exit from a callback (call it after the callback returned)");
		for (const session of [...this.#sessions.values()]) {
			this.#endSession(session);
			this.#endpoint!.closeSession(session.index, this.#now());
		}
		this.#state = State.Exited;
		this.#ticker.stop();
		if (this.#pullTimer !== undefined) Timer.clear(this.#pullTimer as never);
		this.#pullTimer = undefined;
		this.#wake?.close();
		const { sent, refused, received } = this.#endpoint!.directStats();
		if (sent || refused || received) this.#log(`${sent} datagrams written straight to the socket${refused ? ` (${refused} refused by the system)` : ""}, ${received} read from it`);
		this.#link?.close();
		this.#endpoint!.close();
		this.#wake = this.#handler = undefined;
	}

	/** The seed's iv_avt_p2p_set_buf_watermark, bytes unsent per channel: above warn one WARN
	 * event, above high one HIGH and onSendGet stops for that channel, below low one LOW and it
	 * resumes. All 0: no events (the app watches sendBuffered itself). Else 0 < low ≤ warn ≤ high. */
	setWatermarks(low: number, warn: number, high: number): void {
		const endpoint = this.#ready("setWatermarks");
		for (const value of [low, warn, high])
			if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new P2pError(P2pCodes.EARG, "watermarks are byte counts 0 … 2^32-1");
		if ((low || warn || high) && !(low > 0 && low <= warn && warn <= high)) throw new P2pError(P2pCodes.EARG, "watermarks must be all 0, or 0 < low ≤ warn ≤ high");
		endpoint.setWatermarks(low, warn, high);
		this.#watermarks = [low, warn, high];
		if (!high) for (const channel of this.#channels.values()) { channel.high = false; channel.level = "normal"; }
	}

	/** The camera's viewers' uplink budget (after init; its rate 0, none, until set): every viewer's
	 * packets (live, playback, repairs, commands) take their parts of it, and so do the other wires'
	 * viewers that share it (WebRTC's feeds) — max-min fair (native/p2p/uplink.h), each viewer's
	 * congestion control inside its part. Not in the seed: how the camera shares its uplink with
	 * cloud storage (modules/app/uplink-share.ts). */
	get uplink(): Uplink {
		if (!this.#uplink) throw new P2pError(P2pCodes.ESTATE, "uplink before init");
		return this.#uplink;
	}

	/** The seed's iv_avt_p2p_get_send_buf: bytes of the channel not sent yet. */
	sendBuffered(handle: Handle): number {
		const channel = this.#channel(handle, "sendBuffered");
		return this.#endpoint!.channelStats(channel.session.index, Channel.media).sendBuffered;
	}

	/** The seed's iv_avt_p2p_get_send_status: instantaneous send rate and bytes/s acknowledged over
	 * the last second (both bytes/s), total bytes acknowledged. */
	sendStats(handle: Handle): { instRate: number; avgRate: number; ackedBytes: number } {
		const channel = this.#channel(handle, "sendStats");
		const { instRate, avgRate, ackedBytes } = this.#endpoint!.channelStats(channel.session.index, Channel.media);
		return { instRate, avgRate, ackedBytes };
	}

	/** Our candidates on the link (Link.gather): PEER_CONNECT_FAIL when STUN servers were given and
	 * none answered — the seed's "could not reach the STUN/rendezvous server". */
	async gather(addresses: readonly string[], stun: ReadonlyArray<{ address: string; port: number }>): Promise<Candidate[]> {
		this.#ready("gather");
		const { candidates, reached } = await this.#link!.gather(addresses, stun);
		if (stun.length && !reached && this.#state === State.Ready) this.#call("onEvent", P2PEvent.peerConnectFail, undefined);
		return candidates;
	}

	/** Closes the sessions of a viewer id (the cloud ended them: a revoked grant); how many. */
	end(peer: string): number {
		this.#ready("end");
		let n = 0;
		for (const session of [...this.#sessions.values()])
			if (session.peer === peer) {
				this.#close(session);
				n++;
			}
		this.#ticker.run();
		return n;
	}

	/** Ends a session here and has the transport close it (the caller runs the ticker). */
	#close(session: Session): void {
		this.#endSession(session);
		this.#ticker.enter(() => this.#endpoint!.closeSession(session.index, this.#now()));
	}

	/** Per viewer: who, its stream and talkback, the transport's figures (the console, §4). */
	sessions(): Array<{ peer: string; media?: StreamParams; talk: boolean; srttMs: number; footprintBytes: number; avgRate: number; bandwidth: number; sendBuffered: number; path: PathType; address: string; port: number; watermarks: [number, number, number]; level: WatermarkLevel }> {
		if (this.#state !== State.Ready) return [];
		return [...this.#sessions.values()].map((s) => {
			const { srttMs, footprintBytes, peer, bandwidth } = this.#endpoint!.sessionStats(s.index);
			const { avgRate, sendBuffered } = s.media ? this.#endpoint!.channelStats(s.index, Channel.media) : { avgRate: 0, sendBuffered: 0 };
			// where the session sends now (it follows a move), judged against what the viewer offered
			const { address, port } = decodeAddress(peer);
			const path = this.#link!.pathTo(s.peer, address, port);
			return { peer: s.peer, media: s.media?.params, talk: !!s.voice, srttMs, footprintBytes, avgRate, bandwidth, sendBuffered, path, address, port, watermarks: [...this.#watermarks] as [number, number, number], level: s.media?.level ?? "normal" };
		});
	}

	#ready(what: string): Endpoint {
		if (this.#state !== State.Ready) throw new P2pError(P2pCodes.ESTATE, `${what} ${this.#state === State.Exited ? "after exit" : "before init"}`);
		return this.#endpoint!;
	}

	#channel(handle: Handle, what: string): SendChannel {
		this.#ready(what);
		const channel = this.#channels.get(handle);
		if (!channel) throw new P2pError(P2pCodes.EHANDLE, `${what}: not the handle of an open channel`);
		return channel;
	}

	#now(): number {
		return Math.floor(this.#o.monotonic());
	}

	#log(message: string): void {
		this.#o.log?.(`p2p: ${message}`);
	}

	#setUnixTime(): void {
		this.#endpoint!.setUnixTime(Math.floor(this.#o.unixTime ? this.#o.unixTime() : Date.now() / 1000));
	}

	/** An app callback; an exception in it is logged, never unwound through the transport. */
	#call<K extends "onSendInit" | "onSendGet" | "pullsLive" | "onSendStop" | "onEvent" | "onRecvInit" | "onRecvVoice" | "onCommand">(name: K, ...args: unknown[]): unknown {
		const fn = this.#cb?.[name] as ((...a: unknown[]) => unknown) | undefined;
		if (!fn) return undefined;
		try {
			return fn.apply(this.#cb, args);
		}
		catch (error) {
			this.#log(`${name} threw: ${(error as Error).message}`);
			return undefined;
		}
	}

	/** Replies that found the command buffer full go out as soon as it has room (every tick:
	 * the sessions are walked only while some reply waits — an iterator a tick is garbage on XS). */
	#flush(): void {
		if (!this.#outboxed) return;
		let waiting = 0;
		for (const session of this.#sessions.values()) {
			while (session.outbox.length) {
				const [kind, id, bytes] = session.outbox[0];
				if (this.#ticker.enter(() => this.#endpoint!.command(session.index, kind, id, bytes, this.#now())) === Status.again) break;
				session.outbox.shift();
			}
			waiting += session.outbox.length;
		}
		this.#outboxed = waiting > 0;
	}

	#send(session: Session, kind: number, id: number, bytes: Uint8Array): void {
		session.outbox.push([kind, id, bytes]);
		this.#outboxed = true;
		if (!this.#ticker.inside) this.#flush();
		else this.#ticker.request();
	}

	#onTransportEvent(index: number, event: number, arg: number): void {
		if (event === Event.connected) {
			const stats = this.#endpoint!.sessionStats(index);
			const peer = stats.viewerId.replace(/\0+$/, "");
			const session: Session = { index, peer, rights: stats.rights, outbox: [] };
			this.#sessions.set(index, session);
			const places = this.#o.places?.() ?? this.#o.maxSessions! - this.#sessions.size;
			if (places < 0) {
				// the transport admits up to maxSessions of its own; the camera's other wires' viewers count too.
				// Closed on the next turn (not inside the transport's event); until then its requests go
				// unanswered — no stream opens — and only this session closes (the same viewer may watch
				// in another one).
				session.refused = true;
				this.#log(`viewer ${peer} refused: every place is taken (${this.#sessions.size - 1} viewer(s) here, the rest on the camera's other wires)`);
				Timer.set(() => {
					if (this.#state !== State.Ready || this.#sessions.get(index) !== session) return;
					this.#close(session);
					this.#ticker.run();
				}, 0);
				return;
			}
			this.#log(`viewer ${peer} connected`);
		}
		else if (event === Event.closed) {
			const session = this.#sessions.get(index);
			if (session) this.#endSession(session);
		}
		else if (event === Event.addrChanged) this.#call("onEvent", P2PEvent.peerAddrChanged, undefined);
		else if (event >= Event.watermarkLow && event <= Event.watermarkHigh && arg === Channel.media) {
			const media = this.#sessions.get(index)?.media;
			if (!media) return;
			// pulling stops above high and resumes below low (the transport counts the crossings)
			if (event === Event.watermarkHigh) media.high = true;
			if (event === Event.watermarkLow) media.high = false;
			media.level = event === Event.watermarkLow ? "normal" : event === Event.watermarkWarn ? "warn" : "high";
			this.#call("onEvent", event === Event.watermarkLow ? P2PEvent.watermarkLow : event === Event.watermarkWarn ? P2PEvent.watermarkWarn : P2PEvent.watermarkHigh, media.handle);
		}
	}

	#endSession(session: Session): void {
		this.#sessions.delete(session.index);
		this.#stopMedia(session);
		this.#stopVoice(session);
	}

	#stopMedia(session: Session): void {
		const media = session.media;
		if (!media) return;
		session.media = undefined;
		this.#channels.delete(media.handle);
		if (this.#sessions.has(session.index)) this.#endpoint!.detach(session.index);
		this.#updatePull();
		this.#call("onSendStop", media.handle);
	}

	#stopVoice(session: Session): void {
		const voice = session.voice;
		if (!voice) return;
		session.voice = undefined;
		this.#voices.delete(voice.handle);
		this.#call("onRecvVoice", voice.handle, EMPTY);   // talkback ends with empty data
	}

	#onCommand(index: number, kind: number, id: number, bytes: ArrayBuffer): void {
		const session = this.#sessions.get(index);
		if (!session || session.refused) return;
		if (kind === Kind.control) {
			const answer = this.#control(session, bytes);
			this.#send(session, Kind.controlReply, id, encodeControl(answer));
			return;
		}
		if (kind !== Kind.request) return;
		if (!this.#cb?.onCommand) return;
		const reply = this.#call("onCommand", bytes, session.peer, session.rights) as ArrayBuffer | ArrayBufferView | string | undefined | null | false;
		if (reply === false) return;
		const out = reply === undefined || reply === null ? undefined : bytesOf(reply);
		if (!out || !out.length) {
			// the seed: an empty reply means the channel is closed
			this.#endSession(session);
			this.#endpoint!.closeSession(index, this.#now());
			return;
		}
		if (out.length > MAX_COMMAND) {
			this.#log(`onCommand's reply is ${out.length} bytes, over ${MAX_COMMAND} (${P2pCodes.ETOOBIG}): not sent`);
			return;
		}
		this.#send(session, Kind.reply, id, out.slice());
	}

	/** A control request: "ok", or "no <code>". */
	#control(session: Session, bytes: ArrayBuffer): string {
		const message = decodeControl(bytes);
		if (!message || (message.op !== "open" && message.op !== "close")) return `no ${P2pCodes.EARG}`;
		const kind = message.kind as ControlKind;
		if (message.op === "close") {
			if (kind === "media") this.#stopMedia(session);
			else this.#stopVoice(session);
			return "ok";
		}
		try {
			return kind === "media" ? this.#openMedia(session, message.text) : this.#openVoice(session, message.text);
		}
		catch (error) {
			const code = (error as P2pError).code ?? P2pCodes.EARG;
			this.#log(`viewer ${session.peer}: open ${kind} refused: ${(error as Error).message}`);
			return `no ${code}`;
		}
	}

	#openMedia(session: Session, text: string): string {
		if (session.media) throw new P2pError(P2pCodes.ESTATE, "a stream is already open");
		const params = parseStreamParams(text);
		if (!(session.rights & (params.action === "live" ? Rights.live : Rights.playback))) throw new P2pError(P2pCodes.ERIGHTS, `the ticket does not allow ${params.action}`);
		const ringLive = params.action === "live" && !!this.#o.ring;
		if (!ringLive && !this.#cb?.onSendGet) throw new P2pError(P2pCodes.ESTATE, `nothing feeds action=${params.action}`);
		const handle = this.#cb?.onSendInit ? this.#call("onSendInit", text, session.peer) : ringLive ? Object.freeze({ params: text, peer: session.peer }) : undefined;
		if (handle === undefined || handle === null) throw new P2pError(P2pCodes.ECLOSED, "refused by onSendInit");
		if (this.#channels.has(handle) || this.#voices.has(handle)) throw new P2pError(P2pCodes.EHANDLE, "onSendInit returned a handle already in use");
		const fromRing = ringLive && !(this.#cb?.onSendGet && this.#cb.pullsLive && this.#call("pullsLive", handle));
		const endpoint = this.#endpoint!;
		if (fromRing) endpoint.attachRing(session.index, this.#o.ring!, this.#now() - Math.floor((this.#o.ringClock ?? Date.now)()));
		else endpoint.attachQueue(session.index, this.#o.queueBytes!);
		const channel: SendChannel = { handle, session, params, fromRing, high: false, level: "normal" };
		session.media = channel;
		this.#channels.set(handle, channel);
		this.#updatePull();
		this.#ticker.request();
		return "ok";
	}

	#openVoice(session: Session, text: string): string {
		if (session.voice) throw new P2pError(P2pCodes.ESTATE, "talkback is already open");
		queryPairs(text);   // a query string, the app reads it
		if (!(session.rights & Rights.talk)) throw new P2pError(P2pCodes.ERIGHTS, "the ticket does not allow talkback");
		const handle = this.#call("onRecvInit", text, session.peer);
		if (handle === undefined || handle === null) throw new P2pError(P2pCodes.ECLOSED, "refused by onRecvInit");
		if (this.#channels.has(handle) || this.#voices.has(handle)) throw new P2pError(P2pCodes.EHANDLE, "onRecvInit returned a handle already in use");
		session.voice = { handle, session };
		this.#voices.set(handle, session.voice);
		return "ok";
	}

	/** The 10 ms pull runs while a channel is fed by onSendGet. */
	#updatePull(): void {
		const need = this.#state === State.Ready && [...this.#channels.values()].some((c) => !c.fromRing);
		if (need && this.#pullTimer === undefined) this.#pullTimer = Timer.repeat(() => this.#pull(), PULL_MS);
		else if (!need && this.#pullTimer !== undefined) {
			Timer.clear(this.#pullTimer as never);
			this.#pullTimer = undefined;
		}
	}

	#pull(): void {
		let pushed = false;
		for (const channel of [...this.#channels.values()]) {
			if (channel.fromRing || channel.high || this.#channels.get(channel.handle) !== channel) continue;
			// a chunk the queue had no room for goes first; onSendGet is not asked meanwhile
			const chunk = channel.carry ?? this.#call("onSendGet", channel.handle) as Chunk;
			channel.carry = undefined;
			if (chunk === undefined || chunk === null || this.#channels.get(channel.handle) !== channel) continue;
			const frame = ArrayBuffer.isView(chunk) || chunk instanceof ArrayBuffer ? { data: chunk, key: true, timestamp: 0 } : chunk;
			const data = frame && (frame.data instanceof ArrayBuffer || ArrayBuffer.isView(frame.data)) ? frame.data : undefined;
			if (!data) {
				this.#log(`onSendGet returned neither bytes nor { data } (${P2pCodes.EARG}): dropped`);
				continue;
			}
			if (!data.byteLength) continue;
			const ts = Number.isSafeInteger(frame.timestamp) && frame.timestamp! >= 0 ? frame.timestamp! % 2 ** 32 : 0;
			let status: number;
			try {
				status = this.#endpoint!.pushFrame(channel.session.index, data, frame.key ?? true, ts);
			}
			catch (error) {
				this.#log(`onSendGet's chunk refused: ${(error as Error).message} (${(error as P2pError).code})`);
				continue;
			}
			if (status === Status.again) channel.carry = chunk;
			else pushed = true;
		}
		if (pushed) this.#ticker.run();
	}
}
