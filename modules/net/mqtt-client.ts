/**
 * An MQTT 3.1.1 client for the camera's control channel (cloud/PROTOCOL.md §5).
 *
 * - CONNECT with client id, user name and password (a string, bytes, or a function called at
 *   each connect: the cloud's password is signed with the time), a last will, keep-alive.
 * - QoS 0 and 1 both ways. A QoS 1 publish resolves on its PUBACK; until then it stays in the
 *   outbox (at most `maxOutbox` messages), and after a reconnect it is sent again with DUP set.
 *   Incoming QoS 1 messages are acknowledged after onMessage returned.
 * - Keep-alive: a PINGREQ when nothing was sent for `keepAlive` seconds; no byte from the broker
 *   for `pingTimeout` after it, and the connection is declared dead (TimeoutError "keepalive").
 * - Reconnect: exponential backoff with jitter (`reconnect.minDelay` doubling to `maxDelay`, each
 *   wait drawn between half and all of it, so a fleet of cameras does not return in step); after
 *   each CONNACK every subscription is made again (retained messages, e.g. the plan, arrive again).
 * - Errors: every loss reaches onDisconnect(error) with a NetError subclass; a refused CONNACK is
 *   a ConnectRejectedError with the broker's return code.
 */
import Timer from "timer";
import { backoffDelay } from "./backoff.js";
import { utf8Decode, utf8Encode } from "./bytes.js";
import { Connection, type ConnectionEvents, type ConnectionOptions } from "./connection.js";
import { AbortedError, LimitError, NetError, ProtocolError, TimeoutError } from "./errors.js";
import {
	checkFilter, checkTopic, CONNACK_REASONS, DISCONNECT, encodeConnect, encodePuback, encodePublish, encodeSubscribe,
	encodeUnsubscribe, markDuplicate, type Packet, PacketDecoder, PacketType, PINGREQ, type QoS, type Will,
} from "./mqtt-packets.js";

export type { QoS, Will } from "./mqtt-packets.js";

/** The broker refused the CONNECT (CONNACK return code 1–5). */
export class ConnectRejectedError extends NetError {
	readonly returnCode: number;
	override name = "ConnectRejectedError";
	constructor(returnCode: number) {
		super("rejected", `MQTT broker refused the connection: ${CONNACK_REASONS[returnCode] ?? `return code ${returnCode}`}`);
		this.returnCode = returnCode;
	}
}

export interface MessageInfo { qos: number; retain: boolean; dup: boolean }

export interface MqttClientOptions extends ConnectionOptions {
	clientId: string;
	username?: string;
	/** A fixed password, or a function called for each CONNECT (a signature with the time in it). */
	password?: string | Uint8Array | (() => string | Uint8Array);
	will?: Will;
	/** Seconds (default 60); 0 turns keep-alive off. */
	keepAlive?: number;
	/** Milliseconds to wait for any byte after a PINGREQ (default: half the keep-alive, at most 10 s). */
	pingTimeout?: number;
	cleanSession?: boolean;
	/** false: no reconnecting. Delays in milliseconds (defaults 1 s doubling to 60 s). */
	reconnect?: false | { minDelay?: number; maxDelay?: number };
	/** Most QoS 1 messages waiting for their PUBACK (default 32); more is a LimitError. */
	maxOutbox?: number;
	/** Most bytes of a packet from the broker (default 64 KiB). */
	maxPacketBytes?: number;
	onConnect?: (sessionPresent: boolean) => void;
	onMessage?: (topic: string, payload: Uint8Array, info: MessageInfo) => void;
	/** The connection was lost or could not be made; `willRetry` says whether a reconnect is scheduled. */
	onDisconnect?: (error: NetError, willRetry: boolean) => void;
}

interface Pending { resolve: (value?: any) => void; reject: (error: NetError) => void }
/** A QoS 1 publish until its PUBACK: its packet encoded once (the caller's bytes copied into it), sent
 * again as it is after a reconnect with DUP set. */
interface Outgoing extends Pending { packet: Uint8Array; sent: boolean }

/** The waiter of a packet nobody waits on (#post). */
const UNHEARD: Pending = Object.freeze({ resolve() {}, reject() {} });

const enum State { Idle, Connecting, Connected, Waiting, Closed }

export class MqttClient implements ConnectionEvents {
	#options: MqttClientOptions;
	#state = State.Idle;
	#connection: Connection | undefined;
	#decoder: PacketDecoder | undefined;
	#nextId = 1;
	#outbox = new Map<number, Outgoing>();          // QoS 1 publishes until PUBACK, in send order
	#acks = new Map<number, Pending & { kind: PacketType }>();   // SUBACK / UNSUBACK waiters
	#subscriptions = new Map<string, QoS>();
	#queue: Uint8Array[] = [];                       // packets waiting for the socket
	#waiters: Pending[] = [];                        // each queued packet's sender, in the same order
	#flushing = false;
	#attempt = 0;
	#retryTimer: Timer | undefined;
	#pingTimer: Timer | undefined;
	#lastSent = 0;
	#lastReceived = 0;
	#pingSentAt = 0;
	#connected: Pending | undefined;

	constructor(options: MqttClientOptions) {
		if (!options || typeof options.clientId !== "string" || typeof options.address !== "string")
			throw new TypeError("MqttClient needs { address, port, clientId }");
		const keepAlive = options.keepAlive ?? 60;
		if (!(keepAlive >= 0 && keepAlive <= 65535)) throw new RangeError("keepAlive must be 0–65535 s");
		if (options.will) {
			checkTopic(options.will.topic);
			if (options.will.qos !== undefined && options.will.qos !== 0 && options.will.qos !== 1) throw new RangeError("will QoS must be 0 or 1");
		}
		this.#options = options;
	}

	get connected(): boolean { return this.#state === State.Connected; }
	/** QoS 1 messages not yet acknowledged by the broker. */
	get outboxSize(): number { return this.#outbox.size; }

	/** Starts connecting; resolves at the first CONNACK. Without reconnect, rejects when that fails. */
	connect(): Promise<void> {
		if (this.#state === State.Closed) return Promise.reject(new AbortedError("client closed"));
		if (this.#state === State.Connected) return Promise.resolve();
		const promise = new Promise<void>((resolve, reject) => { this.#connected = { resolve, reject }; });
		promise.catch(() => {});
		if (this.#state === State.Idle) this.#open();
		return promise;
	}

	/**
	 * Publishes. QoS 0: resolves when handed to the socket (rejected while disconnected: nothing
	 * is kept). QoS 1: resolves at the PUBACK; kept across reconnects.
	 */
	publish(topic: string, payload: string | Uint8Array, { qos = 0 as QoS, retain = false } = {}): Promise<void> {
		const topicBytes = checkTopic(topic);
		const bytes = typeof payload === "string" ? utf8Encode(payload) : payload;
		if (qos !== 0 && qos !== 1) return Promise.reject(new RangeError("QoS must be 0 or 1"));
		if (this.#state === State.Closed) return Promise.reject(new AbortedError("client closed"));
		if (!qos) {
			if (this.#state !== State.Connected) return Promise.reject(new NetError("offline", "not connected (QoS 0 messages are not kept)"));
			return this.#send(encodePublish(topicBytes, bytes, 0, retain, false, 0));
		}
		if (this.#outbox.size >= (this.#options.maxOutbox ?? 32)) return Promise.reject(new LimitError(`more than ${this.#options.maxOutbox ?? 32} QoS 1 messages unacknowledged`));
		const id = this.#id();
		return new Promise<void>((resolve, reject) => {
			const message: Outgoing = { packet: encodePublish(topicBytes, bytes, 1, retain, false, id), sent: false, resolve, reject };
			this.#outbox.set(id, message);
			if (this.#state === State.Connected) this.#sendPublish(message);
		});
	}

	/** Subscribes (remembered: made again after each reconnect); resolves with the granted QoS per filter (0x80: refused). */
	subscribe(filters: string | readonly string[], qos: QoS = 1): Promise<number[]> {
		const list = typeof filters === "string" ? [filters] : filters;
		const encoded = list.map((f) => ({ filter: checkFilter(f), qos }));
		if (qos !== 0 && qos !== 1) return Promise.reject(new RangeError("QoS must be 0 or 1"));
		if (this.#state === State.Closed) return Promise.reject(new AbortedError("client closed"));
		for (const f of list) this.#subscriptions.set(f, qos);
		if (this.#state !== State.Connected) return Promise.resolve(list.map(() => qos));   // made at the next CONNACK
		return this.#request(PacketType.SUBACK, (id) => encodeSubscribe(id, encoded));
	}

	unsubscribe(filters: string | readonly string[]): Promise<void> {
		const list = typeof filters === "string" ? [filters] : filters;
		const encoded = list.map(checkFilter);
		for (const f of list) this.#subscriptions.delete(f);
		if (this.#state !== State.Connected) return Promise.resolve();
		return this.#request(PacketType.UNSUBACK, (id) => encodeUnsubscribe(id, encoded));
	}

	/** Disconnects cleanly (DISCONNECT: the broker drops the will) and stops reconnecting. */
	async close(): Promise<void> {
		if (this.#state === State.Closed) return;
		const connection = this.#connection;
		if (this.#state === State.Connected && connection) {
			try {
				await this.#send(DISCONNECT);
			}
			catch {
				// Closing anyway.
			}
		}
		this.#shutdown(new AbortedError("client closed"), State.Closed);
	}

	#id(): number {
		// Packet ids 1–65535, skipping any still in use.
		for (;;) {
			const id = this.#nextId;
			this.#nextId = id === 65535 ? 1 : id + 1;
			if (!this.#outbox.has(id) && !this.#acks.has(id)) return id;
		}
	}

	#request<T>(kind: PacketType, encode: (id: number) => Uint8Array): Promise<T> {
		const id = this.#id();
		return new Promise<T>((resolve, reject) => {
			this.#acks.set(id, { kind, resolve, reject });
			this.#post(encode(id));
		});
	}

	#open(): void {
		this.#state = State.Connecting;
		this.#decoder = new PacketDecoder(this.#options.maxPacketBytes ?? 65536);
		try {
			this.#connection = new Connection(this.#options, this);
		}
		catch (error) {
			this.#lost(error as NetError);
			return;
		}
		// Until CONNACK, the connect timeout covers the whole handshake.
		this.#connection.setIdleTimeout(this.#options.connectTimeout ?? 10_000, "connect");
	}

	/** @internal (ConnectionEvents) */
	connectionOpened(): void { this.#sendConnect(); }
	/** @internal (ConnectionEvents) */
	connectionData(bytes: Uint8Array): void { this.#data(bytes); }
	/** @internal (ConnectionEvents) */
	connectionClosed(error: NetError): void { this.#lost(error); }

	#sendConnect(): void {
		const o = this.#options;
		const password = typeof o.password === "function" ? o.password() : o.password;
		let packet: Uint8Array;
		try {
			packet = encodeConnect({ clientId: o.clientId, keepAlive: o.keepAlive ?? 60, cleanSession: o.cleanSession ?? true, username: o.username, password, will: o.will });
		}
		catch (error) {
			return this.#lost(new ProtocolError(`cannot encode CONNECT: ${(error as Error).message}`));
		}
		this.#post(packet);
	}

	// The sender waits beside the packet, not on it: a packet may be a constant (PINGREQ,
	// DISCONNECT), which a board's preload freezes.
	#send(packet: Uint8Array): Promise<void> {
		return new Promise<void>((resolve, reject) => this.#post(packet, { resolve, reject }));
	}

	/** Queues a packet; without a waiter, one nobody waits on (what its loss means is handled where
	 * it is lost: an unacknowledged publish goes again after the reconnect, a request's answer times
	 * out) — no promise made for it: every publish and PUBACK goes this way. */
	#post(packet: Uint8Array, waiter: Pending = UNHEARD): void {
		this.#queue.push(packet);
		this.#waiters.push(waiter);
		this.#flush();
	}

	// Everything queued goes out in one send (a scatter list of packets).
	async #flush(): Promise<void> {
		if (this.#flushing) return;
		this.#flushing = true;
		while (this.#queue.length && this.#connection && !this.#connection.closed) {
			const batch = this.#queue, waiters = this.#waiters;
			this.#queue = [];
			this.#waiters = [];
			this.#lastSent = Date.now();
			try {
				await this.#connection.send(batch);
				for (const w of waiters) w.resolve();
			}
			catch (error) {
				for (const w of waiters) w.reject(error as NetError);
			}
		}
		this.#flushing = false;
	}

	#sendPublish(message: Outgoing): void {
		if (message.sent) markDuplicate(message.packet);
		message.sent = true;
		this.#post(message.packet);   // a failed send is resent after the reconnect
	}

	#data(bytes: Uint8Array): void {
		this.#lastReceived = Date.now();
		try {
			this.#decoder!.push(bytes, (packet) => this.#packet(packet));
		}
		catch (error) {
			this.#connection?.close();
			this.#lost(error instanceof NetError ? error : new ProtocolError(String((error as Error)?.message ?? error)));
		}
	}

	#packet(packet: Packet): void {
		if (this.#state !== State.Connected && packet.type !== PacketType.CONNACK) throw new ProtocolError(`MQTT packet type ${packet.type} before CONNACK`);
		switch (packet.type) {
		case PacketType.CONNACK:
			if (this.#state === State.Connected) throw new ProtocolError("second CONNACK");
			if (packet.returnCode) throw new ConnectRejectedError(packet.returnCode);
			return this.#ready(packet.sessionPresent);
		case PacketType.PUBLISH: {
			if (packet.qos > 1) throw new ProtocolError("QoS 2 PUBLISH on a QoS ≤ 1 subscription");
			try {
				this.#options.onMessage?.(packet.topic, packet.payload, { qos: packet.qos, retain: packet.retain, dup: packet.dup });
			}
			finally {
				if (packet.qos === 1) this.#post(encodePuback(packet.id));
			}
			return;
		}
		case PacketType.PUBACK: {
			const message = this.#outbox.get(packet.id);
			if (!message) return;   // a late PUBACK for a resent message
			this.#outbox.delete(packet.id);
			return message.resolve();
		}
		case PacketType.SUBACK:
		case PacketType.UNSUBACK: {
			const waiter = this.#acks.get(packet.id);
			if (!waiter || waiter.kind !== packet.type) return;
			this.#acks.delete(packet.id);
			return waiter.resolve(packet.type === PacketType.SUBACK ? packet.granted : undefined);
		}
		case PacketType.PINGRESP:
			return;
		}
	}

	#ready(sessionPresent: boolean): void {
		this.#state = State.Connected;
		this.#attempt = 0;
		const keepAlive = this.#options.keepAlive ?? 60;
		this.#connection!.setIdleTimeout(0);
		if (keepAlive) {
			this.#pingSentAt = 0;
			this.#pingTimer = Timer.repeat(() => this.#keepAlive(), Math.max(100, Math.min(keepAlive * 250, 5000)));
		}
		// Subscriptions again (a clean session forgot them; the plan is retained and comes back),
		// then the unacknowledged QoS 1 messages, in order, with DUP set where they went out before.
		if (this.#subscriptions.size) {
			const filters = [...this.#subscriptions].map(([filter, qos]) => ({ filter: checkFilter(filter), qos }));
			this.#request(PacketType.SUBACK, (id) => encodeSubscribe(id, filters)).catch(() => {});
		}
		for (const message of this.#outbox.values()) this.#sendPublish(message);
		const connected = this.#connected;
		this.#connected = undefined;
		connected?.resolve();
		this.#options.onConnect?.(sessionPresent);
	}

	#keepAlive(): void {
		const now = Date.now();
		const keepAliveMs = (this.#options.keepAlive ?? 60) * 1000;
		const timeout = this.#options.pingTimeout ?? Math.min(keepAliveMs / 2, 10_000);
		if (this.#pingSentAt && this.#lastReceived < this.#pingSentAt && now - this.#pingSentAt >= timeout) {
			this.#connection?.close();
			return this.#lost(new TimeoutError("keepalive", `no answer from the MQTT broker ${timeout} ms after a PINGREQ`));
		}
		if (this.#pingSentAt && this.#lastReceived >= this.#pingSentAt) this.#pingSentAt = 0;
		if (!this.#pingSentAt && now - this.#lastSent >= keepAliveMs) {
			this.#pingSentAt = now;
			this.#post(PINGREQ);
		}
	}

	#lost(error: NetError): void {
		if (this.#state === State.Closed || this.#state === State.Waiting) return;
		const reconnect = this.#options.reconnect;
		const retry = reconnect !== false;
		this.#shutdown(error, retry ? State.Waiting : State.Idle);
		if (!retry) {
			const connected = this.#connected;
			this.#connected = undefined;
			connected?.reject(error);
		}
		this.#options.onDisconnect?.(error, retry);
		if (!retry || (this.#state as State) !== State.Waiting) return;   // onDisconnect may have closed the client
		const delay = backoffDelay(this.#attempt++, reconnect?.minDelay ?? 1000, reconnect?.maxDelay ?? 60_000, Math.random());
		this.#retryTimer = Timer.set(() => {
			this.#retryTimer = undefined;
			if (this.#state === State.Waiting) this.#open();
		}, delay);
	}

	// Drops the connection and what was tied to it; the outbox and the subscriptions stay.
	#shutdown(error: NetError, next: State): void {
		this.#state = next;
		if (this.#pingTimer !== undefined) Timer.clear(this.#pingTimer);
		this.#pingTimer = undefined;
		const connection = this.#connection;
		this.#connection = undefined;
		connection?.close(error);
		const waiters = this.#waiters;   // swapped, not splice(0) (see http-client.ts)
		this.#queue = [];
		this.#waiters = [];
		for (const w of waiters) w.reject(error);
		for (const waiter of this.#acks.values()) waiter.reject(error);
		this.#acks.clear();
		if (next === State.Closed) {
			if (this.#retryTimer !== undefined) Timer.clear(this.#retryTimer);
			this.#retryTimer = undefined;
			for (const message of this.#outbox.values()) message.reject(error);
			this.#outbox.clear();
			const connected = this.#connected;
			this.#connected = undefined;
			connected?.reject(error);
		}
	}
}

/** Decodes a message payload as UTF-8 JSON (the cloud's control messages). */
export function jsonPayload(payload: Uint8Array): unknown {
	return JSON.parse(utf8Decode(payload));
}
