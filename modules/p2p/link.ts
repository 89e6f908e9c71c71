/**
 * The camera's link: the one UDP socket its viewer wires share — the native transport (camera-p2p.ts),
 * WebRTC (modules/webrtc/endpoint.ts), and any wire after them — and what makes it reachable: STUN
 * (Binding answers and connectivity checks, checks.ts), a TURN relay (turn.ts), the paths' rules
 * (path.ts). What arrives is told apart by its first byte (RFC 7983: demux.ts); what a wire
 * sends goes through `write`, through the relay to a peer whose last datagram came through it.
 *
 * The native transport reads the socket ahead of everything else (`NativeWire.readInto`): its packets
 * from peers it reaches straight are input in C, with no JS a datagram, and so are the other wires'
 * that take theirs in C (`WirePeers`: WebRTC's viewers' RTCP). The rest come here: relayed
 * ones are unwrapped, each other wire is offered what is not the transport's and claims its own, STUN
 * checks take theirs, and what is left goes to the transport (which counts what it cannot read).
 */
import { PeerMap } from "./address.js";
import { datagramKind, DatagramKind } from "./demux.js";
import { Checks, gather } from "./checks.js";
import { MAX_SESSIONS } from "./limits.js";
import { pathType } from "./path.js";
import { TurnClient, type TurnCrypto, type TurnServer } from "./turn.js";
import { openUdp, type Datagram, type ReadInto, type UdpSocket } from "./udp.js";
import type { Candidate, PathType } from "../protocol/signal.js";
import { LogGate } from "../net/log-gate.js";

/** A wire beside the transport: offered each datagram that is not the transport's (relayed ones
 * unwrapped), with its kind by RFC 7983 (demux.ts) and its source: the first `length` bytes of
 * `bytes` — the socket's receive buffer, read into again by the next datagram: a wire copies what
 * it keeps (most of them read it where it lies: a viewer's RTCP, a dozen a second, opened in C). */
export type WireTake = (bytes: ArrayBuffer, kind: DatagramKind | undefined, length: number, address: string, port: number) => boolean;

/** A wire's peers whose datagrams C takes as the socket is read, before any JS (native/p2p's
 * receive: native/common/ivxs_kit.h's ivxs_link_take): `peers`, the wire's own Array of them (read
 * at each datagram, never copied), each an Array whose first element is a host object that takes
 * its own; `received` after each read of the socket (what C took may want the wire's turn). */
export interface WirePeers {
	readonly peers: readonly unknown[];
	received(): void;
}

/** The native transport on the link. */
export interface NativeWire {
	/** Reads the socket ahead of the link: the transport's own packets from peers it reaches straight
	 * stay in C; the rest come back (udp.ts ReadInto). */
	readInto: ReadInto;
	/** Before a batch of datagrams is read. */
	receiving(): void;
	/** A datagram for the transport: the first `length` bytes of `bytes`, from address:port. */
	input(bytes: ArrayBuffer, length: number, address: string, port: number): void;
	/** After a batch. */
	received(): void;
	/** The peers reached through the relay changed: its sends straight from C are checked again. */
	reroute(): void;
}

export interface LinkOptions {
	/** UDP port to bind (0: any) and address (default all). */
	port?: number;
	address?: string;
	/** Monotonic ms (checks, the relay). */
	monotonic: () => number;
	log?: (message: string) => void;
	/** The socket failed. */
	onError?: () => void;
}

export class Link {
	#o: LinkOptions;
	#socket: UdpSocket | undefined;
	#checks: Checks;
	#relay: TurnClient | undefined;
	/** Peers whose last datagram came through the relay: answered through it. */
	#relayed = new PeerMap<true>(4 * MAX_SESSIONS.linux);
	/** What each announced viewer offered (by viewer id), and our own addresses: a session's path type (path.ts). */
	#offered = new Map<string, readonly Candidate[]>();
	#hosts: readonly string[] = [];
	#native: NativeWire | undefined;
	#wires: WireTake[] = [];
	/** The other wires' peers taken in C (their `peers` lists), and those wires. */
	#takers: Array<readonly unknown[]> = [];
	#inC: WirePeers[] = [];
	/** A relayed datagram's view of the caller's buffer (the last kept: most datagrams are full). */
	#viewOf: Uint8Array | undefined;
	/** Datagrams whose handling threw (each dropped alone: the socket, the other viewers and the app go on), logged through a gate. */
	datagramErrors = 0;
	readonly #errorLog: LogGate;
	/** A read of the socket is under way (#receive). */
	#reading = false;

	constructor(options: LinkOptions) {
		this.#o = options;
		this.#errorLog = new LogGate((message) => this.#log(message), () => options.monotonic());
		this.#socket = openUdp({ address: options.address, port: options.port ?? 0, onReadable: () => this.#receive(), onError: () => options.onError?.() });
		this.#checks = new Checks((bytes, address, port) => this.write(bytes, address, port), () => options.monotonic());
	}

	/** The UDP port viewers reach. */
	get port(): number {
		return this.#socket?.port ?? 0;
	}

	/** The host's socket object, for native code that sends from C (native/p2p's handler.socket). */
	get native(): object | undefined {
		return this.#socket?.native;
	}

	/** STUN on this socket (checks.ts): Binding requests are answered; the app gathers candidates
	 * and sends connectivity checks with it. */
	get checks(): Checks {
		return this.#checks;
	}

	/** Reads every datagram waiting, as the socket's wake-up does (the transport's ticker, before
	 * a tick: ticker.ts); nothing from inside a read (a wire's handling of a datagram) — the read
	 * under way reads on. */
	receive(): void {
		if (!this.#reading) this.#receive();
	}

	/** The native transport's place on the link (one). */
	attachNative(wire: NativeWire): void {
		this.#native = wire;
	}

	/** Another wire on the link, until it closes; `inC`: its peers whose datagrams C takes. */
	attach(take: WireTake, inC?: WirePeers): void {
		this.#wires.push(take);
		if (!inC) return;
		this.#inC.push(inC);
		this.#takers.push(inC.peers);
	}

	/** The other wires' peers whose datagrams C takes as the native transport reads the socket (an
	 * Array of their `peers` lists: native/p2p's receive). */
	get takers(): ReadonlyArray<readonly unknown[]> {
		return this.#takers;
	}

	/** Our candidates on this socket (checks.ts `gather`): `reached`, how many STUN servers answered. */
	async gather(addresses: readonly string[], stun: ReadonlyArray<{ address: string; port: number }>): Promise<{ candidates: Candidate[]; reached: number }> {
		this.#hosts = [...addresses];
		return gather(this.#checks, addresses, this.port, stun);
	}

	/** The candidates a viewer offered (signalling, before it connects): its path type is judged
	 * against them. Kept for the latest 2 × MAX_SESSIONS.linux viewers. */
	viewerOffered(peer: string, candidates: readonly Candidate[]): void {
		this.#offered.delete(peer);
		this.#offered.set(peer, [...candidates]);
		if (this.#offered.size > 2 * MAX_SESSIONS.linux) this.#offered.delete(this.#offered.keys().next().value!);
	}

	/** A TURN allocation on this socket (once; later calls return it): viewers it permits are
	 * reached through it (turn.ts). `renew`: this end's address changed, so the server knows the
	 * old allocation by a 5-tuple that is gone — a new one replaces it. */
	relay(server: TurnServer, crypto: TurnCrypto, renew = false): TurnClient {
		if (renew) {
			this.#relay?.close();
			this.#relay = undefined;
			this.#relayed.clear();
		}
		return this.#relay ??= new TurnClient(server, (bytes, address, port) => this.#socket?.write(bytes, address, port), crypto, () => this.#o.monotonic(), (message) => this.#log(message));
	}

	/** Whether datagrams to address:port go through the relay (its last datagram came through it). */
	isRelayed(address: string, port: number): boolean {
		return !!this.#relay && this.#relayed.has(address, port);
	}

	/** The socket's host object when datagrams to address:port go straight to it — not through the
	 * relay — for native code that sends them from C (a wire's packets); undefined otherwise. */
	straight(address: string, port: number): object | undefined {
		return this.isRelayed(address, port) ? undefined : this.native;
	}

	/** The path to `address`:`port` of the viewer `peer` (its offered candidates, path.ts). */
	pathTo(peer: string, address: string, port: number): PathType {
		return pathType({ address, port }, {
			relayed: this.#relayed.has(address, port), offered: this.#offered.get(peer) ?? [],
			mapped: this.#checks.mappedBy(address, port), hosts: this.#hosts,
		});
	}

	/** A datagram to a peer (with length: the first length bytes of `bytes`): through the relay when
	 * the peer's last datagram came through it, else straight. */
	write(bytes: ArrayBuffer | Uint8Array, address: string, port: number, length?: number): void {
		if (this.isRelayed(address, port)) this.#relay!.send(length === undefined ? new Uint8Array(bytes) : this.#view(bytes as ArrayBuffer, length), address, port);
		else this.#socket?.write(bytes, address, port, length);
	}

	/** Closes the relay, the checks and the socket. */
	close(): void {
		this.#wires = [];
		this.#takers = [];
		this.#inC = [];
		this.#native = undefined;
		this.#checks.close();
		this.#relay?.close();
		this.#relay = undefined;
		this.#socket?.close();
		this.#socket = undefined;
	}

	#view(buffer: ArrayBuffer, length: number): Uint8Array {
		if (this.#viewOf?.buffer !== buffer || this.#viewOf.length !== length) this.#viewOf = new Uint8Array(buffer, 0, length);
		return this.#viewOf;
	}

	#log(message: string): void {
		this.#o.log?.(`p2p: ${message}`);
	}

	#receive(): void {
		const native = this.#native;
		this.#reading = true;
		try {
			this.#read(native);
		}
		finally {
			this.#reading = false;
		}
		native?.received();
		const inC = this.#inC;   // (indexed: an iterator is an object per read on XS)
		for (let i = 0; i < inC.length; i++) inC[i].received();
	}

	#read(native: NativeWire | undefined): void {
		native?.receiving();
		// A datagram becomes an object of its own only for the code that parses or keeps it: the
		// relay, another wire, STUN.
		for (let length; this.#socket && (length = this.#socket.receive(native?.readInto)) >= 0;) {
			// what one datagram provokes stays with it: the next are read, the app goes on
			try {
				this.#take(this.#socket, length);
			}
			catch (error) {
				this.datagramErrors++;
				this.#errorLog.log(`a datagram from ${this.#socket?.from.address}:${this.#socket?.from.port} was dropped: ${(error as Error).message}`);
			}
		}
	}

	/** A datagram of `length` bytes the socket read (in its buffer): the relay's, another wire's, a STUN answer, or the transport's. */
	#take(socket: UdpSocket, length: number): void {
		let { address, port } = socket.from;
		let packet: Datagram | undefined;
		if (this.#relay?.serves(address, port)) {
			const relayed = this.#relay.take(packet = socket.datagram(length));
			if (relayed === true) return;
			if (relayed) {
				({ address, port } = packet = relayed);
				if (!this.#relayed.has(address, port)) {
					this.#relayed.set(address, port, true);
					this.#native?.reroute();   // its datagrams must go through the relay now
				}
			}
		}
		else if (this.#relay && this.#relayed.has(address, port)) {
			this.#relayed.delete(address, port);
			this.#native?.reroute();
		}
		const bytes = packet ?? socket.receivedBytes;
		if (packet) length = packet.byteLength;
		// The transport's own packets skip the other wires' and STUN's tests: each made a view of
		// the datagram (~6 k instructions and garbage each).
		const kind = datagramKind(bytes, length);
		if (kind !== DatagramKind.native) {
			const where = packet ?? socket.received;
			const wires = this.#wires;   // (indexed: an array's iterator is an object per datagram on XS)
			for (let i = 0; i < wires.length; i++) if (wires[i](where, kind, length, address, port)) return;
			if (this.#checks.takeWatched(packet ? new Uint8Array(packet) : socket.receivedBytes, length, address, port)) return;
			if (this.#checks.take(packet ??= socket.datagram(length))) return;
		}
		this.#native?.input(packet ?? socket.received, length, address, port);
	}
}
