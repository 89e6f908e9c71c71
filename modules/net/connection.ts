/**
 * One stream connection over an ECMA-419 socket (TCP, or a TLS socket with the same interface),
 * shared by the HTTP and MQTT clients: connect and idle timeouts, writes of scatter lists with
 * backpressure, reads handed to a consumer, and every failure turned into one NetError, reported
 * once.
 *
 * Writes: `send(pieces, lead)` hands each view to the socket as it is (a view is split into
 * subarrays when it is larger than the room the socket reports — never copied into a joined
 * buffer) and resolves once the socket took the last byte; the rest waits for onWritable. One send
 * at a time; the list is held, not copied, until then. `post()` is the same send without a
 * promise, for a writer whose failures reach it through connectionClosed anyway: a promise costs
 * XS ~0.5 KB of garbage, and the camera writes a fragment of each segment five times a second.
 *
 * An address that is not an IPv4 literal is a DNS name, resolved at each connection (so a cloud
 * that moves is followed at the next reconnect) by the host's ECMA-419 resolver
 * (`embedded:network/dns/resolver`: the system's on Linux and mcsim, lwIP's on a board); the
 * connect timeout covers the lookup too, and a name that does not resolve fails the connection
 * with a ResolveError, which the clients retry as any failure to connect.
 */
import Resolver from "embedded:network/dns/resolver";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import { ipv4Octets } from "../protocol/candidate-address.js";
import type { Chunks } from "./bytes.js";
import { AbortedError, ChangedError, NetError, ResolveError, TimeoutError } from "./errors.js";
import { socketFailure } from "./socket-failure.js";

// A promise's resolving functions, taken by an executor that is one function for all promises: it
// runs within the Promise constructor, so the caller reads them right after (a closure per send is
// XS garbage; the camera sends a fragment of each segment five times a second).
let resolveOf: (() => void) | undefined, rejectOf: ((error: NetError) => void) | undefined;
const keepFunctions = (resolve: () => void, reject: (error: NetError) => void): void => {
	resolveOf = resolve;
	rejectOf = reject;
};

/** What a sender looks at when the socket took a send's last byte (an object the sender already
 * is, not a closure per send): false says its views changed meanwhile. */
export interface SendCheck {
	sent(): boolean;
}

/** The ECMA-419 socket interface the clients need (TCP, TLS). */
export interface StreamSocket {
	read(count?: number): ArrayBuffer | number | undefined;
	write(buffer: Uint8Array): number | void;
	close(): void;
}
export type SocketConstructor = new (options: Record<string, unknown>) => StreamSocket;

export interface ConnectionOptions {
	/** An IPv4 literal or a DNS name. */
	address: string;
	port: number;
	/** Another socket class with the TCP interface (e.g. a TLS socket); default embedded:io/socket/tcp. */
	socket?: SocketConstructor;
	/** More options for the socket's constructor (e.g. `secure` for TLS). */
	socketOptions?: Record<string, unknown>;
	/** Milliseconds to establish the connection (default 10 s). */
	connectTimeout?: number;
}

/**
 * What a connection reports to its owner. The clients implement it with methods of their own
 * (not closures made per connection: each would cost the XS heap about 350 bytes).
 */
export interface ConnectionEvents {
	connectionOpened(): void;
	/** Bytes from the peer: a view valid during the call only. */
	connectionData(bytes: Uint8Array): void;
	/** The connection failed or the peer closed it; called once, the connection is closed. */
	connectionClosed(error: NetError): void;
}

const NO_PIECES: Chunks = Object.freeze([]);
/** typeof's answer, held once: on XS every evaluation of a string literal is a new string, and this
 * one was compared after every write. */
const NUMBER = "number";

export class Connection {
	#socket: StreamSocket | undefined;
	/** While a DNS name is looked up: the lookup, and the options the socket is then made with. */
	#resolver: Resolver | undefined;
	#pending: ConnectionOptions | undefined;
	#closed = false;
	#events: ConnectionEvents;
	#connected = false;
	#writable = 0;
	/** What send() is writing: `lead`, then `pieces`; the index (-1: lead) and the bytes of it written. */
	#lead: Uint8Array | undefined;
	#pieces: Chunks = NO_PIECES;
	#piece = 0;
	#offset = 0;
	/** A send is in progress; `#check` looks at it when the socket took the last byte. */
	#busy = false;
	#check: SendCheck | undefined;
	/** Made only for a caller that waits for the send (send(), whenSent()). */
	#done: Promise<void> | undefined;
	#resolve: (() => void) | undefined;
	#reject: ((error: NetError) => void) | undefined;
	/** The failure the connection was closed with, if it was. */
	#closedWith: NetError | undefined;
	#timer: Timer | undefined;
	#timeoutPhase = "";
	#idleMs = 0;
	#lastActivity = 0;
	readonly address: string;
	readonly port: number;

	constructor(options: ConnectionOptions, events: ConnectionEvents) {
		this.#events = events;
		this.address = options.address;
		this.port = options.port;
		this.#arm("connect", options.connectTimeout ?? 10_000);
		try {
			if (ipv4Octets(options.address)) this.#socket = Connection.#open(this, options, options.address);
			else {
				this.#pending = options;
				this.#resolver = new Resolver({ host: options.address, target: this, onResolved: Connection.#resolvedCallback, onError: Connection.#unresolvedCallback });
			}
		}
		catch (error) {
			this.#stopTimer();
			this.#closed = true;
			throw this.#pending ? new ResolveError(`${options.address}: ${(error as Error).message}`, error) : socketFailure(`${options.address}:${options.port}`, error, false);
		}
	}

	static #open(connection: Connection, options: ConnectionOptions, address: string): StreamSocket {
		const Socket = options.socket ?? (TCP as unknown as SocketConstructor);
		return new Socket(Connection.#socketOptions(connection, options, address));
	}

	// One set of callbacks for every connection, reaching theirs through the ECMA-419 `target`
	// option: a closure costs XS about 350 bytes (64-bit), and this runs on a microcontroller.
	static #readableCallback(this: { target: Connection }, count: number): void { this.target.#readable(count); }
	static #writableCallback(this: { target: Connection }, count: number): void { this.target.#onWritable(count); }
	static #errorCallback(this: { target: Connection }, error?: unknown): void {
		const connection = this.target;
		connection.#fail(socketFailure(`${connection.address}:${connection.port}`, error, connection.#connected));
	}
	static #resolvedCallback(this: Resolver, address: unknown): void { (this.target as Connection).#resolved(address); }
	static #unresolvedCallback(this: Resolver, error: unknown): void { (this.target as Connection).#resolved(undefined, error); }

	#resolved(address: unknown, error?: unknown): void {
		const options = this.#pending;
		this.#pending = undefined;
		this.#resolver = undefined;
		if (this.#closed || !options) return;
		// (a resolver's answer is checked like any input: what opens the socket is a dotted quad)
		if (typeof address !== "string" || !ipv4Octets(address)) {
			const why = error instanceof Error && error.message ? error.message : typeof address === "string" ? `not an IPv4 address: ${address.slice(0, 40)}` : "no IPv4 address";
			return this.#fail(new ResolveError(`${this.address}: cannot resolve the name (${why})`, error));
		}
		try {
			this.#socket = Connection.#open(this, options, address);
		}
		catch (failure) {
			this.#fail(socketFailure(`${this.address} (${address}):${this.port}`, failure, false));
		}
	}

	static #socketOptions(connection: Connection, options: ConnectionOptions, address: string): Record<string, unknown> {
		return {
			...options.socketOptions,
			address,
			port: options.port,
			nodelay: true,
			target: connection,
			onReadable: Connection.#readableCallback,
			onWritable: Connection.#writableCallback,
			onError: Connection.#errorCallback,
		};
	}

	get connected(): boolean { return this.#connected; }
	get closed(): boolean { return this.#closed; }
	/** Whether a send() is waiting for the socket. */
	get sending(): boolean { return this.#busy; }

	/**
	 * Fails the connection when neither side moved a byte for `ms` (0: never). The timer is
	 * re-armed lazily: activity only stamps a time, so a busy connection costs no timer calls.
	 */
	setIdleTimeout(ms: number, phase = "idle"): void {
		this.#idleMs = ms;
		this.#lastActivity = Date.now();
		if (!this.#connected) return;
		this.#stopTimer();
		if (ms > 0) this.#arm(phase, ms);
	}

	/**
	 * Hands `lead` (if any) and the views to the socket in order; resolves when it took the last
	 * byte. The list must stay unchanged until then: it is held, not copied (a segment's every
	 * fragment comes here, and XS pays for every array). `check.sent()`, when given, runs at that
	 * moment, before the promise settles: false fails the connection (ChangedError) — for views of
	 * a ring that a writer may have overwritten while the socket read them.
	 */
	send(pieces: Chunks, lead?: Uint8Array, check?: SendCheck): Promise<void> {
		if (this.#closed) return Promise.reject(this.#closedBy());
		if (this.#busy) return Promise.reject(new Error("a send is already in progress"));
		// The promise before the send: a socket with room takes it all (and `check` may fail it) within post().
		const done = this.#waitFor();
		this.post(pieces, lead, check);
		return done;
	}

	/** send() without its promise: the end, or the failure through connectionClosed, is all the caller learns. */
	post(pieces: Chunks, lead?: Uint8Array, check?: SendCheck): void {
		if (this.#closed) throw this.#closedBy();
		if (this.#busy) throw new Error("a send is already in progress");
		this.#busy = true;
		this.#check = check;
		this.#lead = lead;
		this.#pieces = pieces;
		this.#piece = lead ? -1 : 0;
		this.#offset = 0;
		if (this.#connected) this.#pump();
	}

	/** Resolves when the send in progress is done (at once when none is); rejects if the connection fails first. */
	whenSent(): Promise<void> {
		if (!this.#busy) return this.#closed ? Promise.reject(this.#closedBy()) : Promise.resolve();
		return this.#done ?? this.#waitFor();
	}

	/** The send's promise, its functions kept (by keepFunctions: no closure per send). */
	#waitFor(): Promise<void> {
		const done = this.#done = new Promise<void>(keepFunctions);
		this.#resolve = resolveOf;
		this.#reject = rejectOf;
		resolveOf = rejectOf = undefined;
		return done;
	}

	/** Why the connection is closed, for a send asked of it after. */
	#closedBy(): NetError {
		return this.#closedWith ?? new AbortedError("connection closed");
	}

	/** The send in progress is over: its waiter (if any) told. */
	#settle(error: NetError | undefined): void {
		const resolve = this.#resolve, reject = this.#reject;
		this.#busy = false;
		this.#check = undefined;
		this.#done = this.#resolve = this.#reject = undefined;
		this.#lead = undefined;
		this.#pieces = NO_PIECES;
		if (error) reject?.(error);
		else resolve?.();
	}

	/** Closes now; a pending send is rejected with `error` (no connectionClosed for a close the owner asked for). */
	close(error?: NetError): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#closedWith = error;
		const socket = this.#socket;
		this.#socket = undefined;
		this.#connected = false;
		this.#stopTimer();
		this.#resolver?.close();
		this.#resolver = undefined;
		this.#pending = undefined;
		socket?.close();
		if (this.#busy) this.#settle(error ?? new AbortedError("connection closed"));
	}

	#fail(error: NetError): void {
		if (this.#closed) return;
		this.close(error);
		this.#events.connectionClosed(error);
	}

	#arm(phase: string, ms: number): void {
		this.#timeoutPhase = phase;
		this.#timer = Timer.set(() => this.#expired(), ms);
	}

	#stopTimer(): void {
		if (this.#timer !== undefined) Timer.clear(this.#timer);
		this.#timer = undefined;
	}

	#expired(): void {
		this.#timer = undefined;
		if (this.#timeoutPhase !== "connect") {
			const left = this.#lastActivity + this.#idleMs - Date.now();
			if (left > 0) return this.#arm(this.#timeoutPhase, left);
		}
		const what = this.#timeoutPhase === "connect" ? "connecting to" : `no data for ${this.#idleMs} ms from`;
		this.#fail(new TimeoutError(this.#timeoutPhase, `${what} ${this.address}:${this.port}`));
	}

	#readable(count: number): void {
		const socket = this.#socket;
		if (!socket) return;
		this.#lastActivity = Date.now();
		const data = socket.read(count);
		if (data instanceof ArrayBuffer && data.byteLength) this.#events.connectionData(new Uint8Array(data));
	}

	#onWritable(count: number): void {
		if (!this.#socket) return;
		this.#writable = count;
		if (!this.#connected) {
			this.#connected = true;
			this.#stopTimer();
			this.setIdleTimeout(this.#idleMs, this.#timeoutPhase === "connect" ? "idle" : this.#timeoutPhase);
			this.#events.connectionOpened();
			if (!this.#socket) return;
		}
		this.#pump();
	}

	#pump(): void {
		const socket = this.#socket;
		while (socket && this.#busy && this.#writable > 0) {
			const index = this.#piece;
			if (index >= this.#pieces.length) break;
			const piece = index < 0 ? this.#lead! : this.#pieces[index];
			const offset = this.#offset;
			let view = piece;
			if (piece.byteLength - offset > this.#writable) {
				// Only what fits now; the rest is written from the same piece later.
				view = piece.subarray(offset, offset + this.#writable);
				this.#offset = offset + this.#writable;
			}
			else {
				if (offset) view = piece.subarray(offset);
				this.#piece = index + 1;
				this.#offset = 0;
			}
			if (!view.byteLength) continue;
			this.#lastActivity = Date.now();
			let room: number | void;
			try {
				room = socket.write(view);
			}
			catch (error) {
				return this.#fail(socketFailure(`${this.address}:${this.port}`, error, true));
			}
			this.#writable = typeof room === NUMBER ? room as number : this.#writable - view.byteLength;
		}
		if (socket && this.#busy && this.#piece >= this.#pieces.length) {
			if (this.#check && !this.#check.sent()) return this.#fail(new ChangedError("the bytes changed while they were sent"));
			this.#settle(undefined);
		}
	}
}
