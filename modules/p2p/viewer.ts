/**
 * A viewer of the camera's P2P API on XS (tests, tools; issue 14 §4 builds the Node library and
 * the command-line viewer on the same wire): connects with the cloud's ticket and psk, opens a
 * stream with its params, sends commands, talkback. One session, one UDP socket.
 */
import { Channel, Endpoint, Event, Kind, MAX_COMMAND, Status } from "p2p";
import Timer from "timer";
import { decodeAddress, encodeAddress } from "./address.js";
import { openUdp, type UdpSocket } from "./udp.js";
import { decodeControl, encodeControl } from "./control.js";
import { P2pCodes, P2pError } from "./errors.js";
import { Ticker } from "./ticker.js";
import { Checks } from "./checks.js";

export interface ViewerOptions {
	/** The camera's UDP address (or given to connect(), after choosePath: checks.ts). */
	address?: string;
	port?: number;
	/** The cloud's ticket and psk (or given to connect(), when the socket had to exist first: checks.ts). */
	ticket?: ArrayBuffer | ArrayBufferView;
	psk?: ArrayBuffer | ArrayBufferView;
	monotonic: () => number;
	/** A media frame, in order; `lost` frames before it were given up. */
	onFrame?(bytes: ArrayBuffer, info: { key: boolean; timestamp: number; lost: number }): void;
	/** The session ended (status 0, or a negative p2p status). */
	onClosed?(status: number): void;
	/**
	 * PEER_ADDR_CHANGED, nothing to do: "camera", its address changed and the transport validated
	 * the new one (the session moved there); "viewer", the camera saw this end at a new address.
	 */
	onMoved?(who: "camera" | "viewer"): void;
	/** Bytes of talkback the viewer holds unsent (default 64 KiB). */
	voiceBytes?: number;
}

type Waiter = { resolve(value: ArrayBuffer): void; reject(error: Error): void };

/** A request's place among those waiting: its kind (app request or control) and id. */
const waitKey = (kind: number, id: number): number => kind * 0x10000 + id;

export class P2PViewer {
	#o: ViewerOptions;
	#endpoint: Endpoint;
	#socket: UdpSocket;
	#camera: Uint8Array | undefined;
	/** STUN on this socket: gathering candidates and connectivity checks (checks.ts). */
	readonly checks: Checks;
	#session = -1;
	#connected = false;
	#closed = false;
	#waiting = new Map<number, Waiter>();
	#nextId = 1;
	#nextControl = 0;
	#ticker = new Ticker(() => this.#endpoint.tick(this.#now()), () => !this.#closed);
	#connect: { resolve(): void; reject(error: Error): void } | undefined;
	#voiceFrames = 0;
	/** Drop every datagram that arrives while true (tests: a link that stops). */
	paused = false;

	constructor(options: ViewerOptions) {
		this.#o = options;
		if (options.address !== undefined) this.#camera = encodeAddress(options.address, options.port ?? 0);
		this.#endpoint = new Endpoint({ role: "viewer" }, {
			send: (to, datagram) => {
				const { address, port } = decodeAddress(to);
				this.#socket.write(datagram, address, port);
			},
			event: (_session, event, arg) => {
				if (event === Event.connected) {
					this.#connected = true;
					this.#connect?.resolve();
				}
				else if (event === Event.closed) this.#end(arg);
				else if (event === Event.addrChanged) this.#o.onMoved?.(arg ? "viewer" : "camera");
			},
			frame: (_session, channel, bytes, timestamp, key, lost) => {
				if (channel === Channel.media) this.#o.onFrame?.(bytes, { key, timestamp, lost });
			},
			command: (_session, kind, id, bytes) => {
				if (kind !== Kind.reply && kind !== Kind.controlReply) return;
				const key = waitKey(kind === Kind.reply ? Kind.request : Kind.control, id);
				const waiter = this.#waiting.get(key);
				this.#waiting.delete(key);
				waiter?.resolve(bytes);
			},
		});
		this.checks = new Checks((bytes, address, port) => this.#socket.write(bytes, address, port), () => this.#o.monotonic());
		this.#socket = openUdp({
			onReadable: () => {
				let packet;
				while ((packet = this.#socket.read())) {
					if (this.paused || this.#closed || this.checks.take(packet)) continue;
					const from = encodeAddress(packet.address, packet.port);
					this.#ticker.enter(() => this.#endpoint.input(from, packet!, this.#now()));
				}
				this.#ticker.run();
			},
		});
	}

	/** The UDP port the viewer's socket is bound to (its host candidates' port). */
	get port(): number {
		return this.#socket.port;
	}

	/** Resolves once the camera accepted the ticket; rejects with its status when it did not. */
	connect(to?: { address: string; port: number; ticket?: ArrayBuffer | ArrayBufferView; psk?: ArrayBuffer | ArrayBufferView }): Promise<void> {
		if (to) this.#camera = encodeAddress(to.address, to.port);
		const camera = this.#camera, ticket = to?.ticket ?? this.#o.ticket, psk = to?.psk ?? this.#o.psk;
		if (!camera || !ticket || !psk) return Promise.reject(new P2pError(P2pCodes.EARG, "connect needs the camera's address, the ticket and the psk"));
		return new Promise((resolve, reject) => {
			this.#connect = { resolve, reject };
			this.#session = this.#ticker.enter(() => this.#endpoint.connect(camera, ticket, psk, this.#now()));
			this.#ticker.run();
		});
	}

	/** Opens the stream: resolves when the camera said "ok", rejects with a P2pError(code) when not. */
	async open(params: string): Promise<void> {
		await this.#control(`open media ${params}`);
	}

	async stop(): Promise<void> {
		await this.#control("close media");
	}

	/** A command (≤ 16 KiB); resolves with the camera's reply. */
	command(bytes: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> {
		if (bytes.byteLength > MAX_COMMAND) throw new P2pError(P2pCodes.ETOOBIG, `a command is at most ${MAX_COMMAND} bytes`);
		return this.#request(Kind.request, this.#nextId++ & 0xffff, bytes);
	}

	/** Starts talkback; voice() then queues audio frames, endTalk() ends it. */
	async talk(params: string): Promise<void> {
		await this.#control(`open voice ${params}`);
		this.#endpoint.attachQueue(this.#session, this.#o.voiceBytes ?? 64 * 1024);
		this.#voiceFrames = 0;
	}

	/** One talkback frame: 0, or Status.again (the queue is full: later). */
	voice(bytes: ArrayBuffer | ArrayBufferView, timestamp = 0): number {
		const status = this.#endpoint.pushFrame(this.#session, bytes, true, timestamp % 2 ** 32);
		if (status === 0) this.#voiceFrames++;
		this.#ticker.run();
		return status;
	}

	/** Ends talkback after every frame queued was delivered or given up (the camera then gets the
	 * empty data that marks the end). */
	async endTalk(): Promise<void> {
		for (let i = 0; i < 500; i++) {
			const s = this.#endpoint.channelStats(this.#session, Channel.voice);
			if (s.framesSent + s.framesGivenUp + s.framesTorn + s.framesSkipped >= this.#voiceFrames) break;
			await new Promise((resolve) => Timer.set(resolve, 10));
		}
		this.#endpoint.detach(this.#session);
		await this.#control("close voice");
	}

	/** The transport's figures of the session (path RTT, rates; §4's once-a-second line), the
	 * camera's address it sends to now (it follows the camera's validated move) and the packets'
	 * version (5: ChaCha20-Poly1305, 6: AES-128-CTR + HMAC-SHA-256; native/p2p/PROTOCOL.md). */
	stats(): { srttMs: number; received: number; lost: number; camera: { address: string; port: number }; version: number } {
		const s = this.#endpoint.sessionStats(this.#session);
		return { srttMs: s.srttMs, received: s.packetsReceived, lost: s.packetsLost, camera: decodeAddress(s.peer), version: s.version };
	}

	close(): void {
		if (this.#closed) return;
		if (this.#session >= 0 && !this.#closed && this.#connected) this.#endpoint.closeSession(this.#session, this.#now());
		this.#end(0);
	}

	#end(status: number): void {
		const first = !this.#closed;
		this.#closed = true;
		this.#connect?.reject(new P2pError(P2pCodes.ECLOSED, `the camera refused or closed the session (${status})`));
		this.#connect = undefined;
		for (const waiter of this.#waiting.values()) waiter.reject(new P2pError(P2pCodes.ECLOSED, "session closed"));
		this.#waiting.clear();
		this.#ticker.stop();
		if (!first) return;
		// after the callback that closed it has returned
		Timer.set(() => {
			this.checks.close();
			this.#socket.close();
			this.#endpoint.close();
			this.#o.onClosed?.(status);
		}, 0);
	}

	async #control(message: string): Promise<void> {
		const reply = decodeControl(await this.#request(Kind.control, this.#nextControl++ & 0xffff, encodeControl(message)));
		if (reply?.op !== "ok") throw new P2pError(reply?.op === "no" ? reply.text : P2pCodes.EARG, `camera refused "${message}" (${reply?.text ?? "?"})`);
	}

	#request(kind: number, id: number, bytes: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> {
		if (this.#closed || !this.#connected) return Promise.reject(new P2pError(P2pCodes.ECLOSED, "not connected"));
		return new Promise((resolve, reject) => {
			this.#waiting.set(waitKey(kind, id), { resolve, reject });
			const attempt = () => {
				if (this.#closed) return;
				if (this.#ticker.enter(() => this.#endpoint.command(this.#session, kind, id, bytes, this.#now())) === Status.again) Timer.set(attempt, 5);
				else this.#ticker.run();
			};
			attempt();
		});
	}

	#now(): number {
		return Math.floor(this.#o.monotonic());
	}
}
