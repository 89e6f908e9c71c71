/**
 * A TURN client (RFC 8656) on the P2P socket, for a camera no direct path reaches (behind a
 * symmetric NAT): one allocation on the TURN server (coturn), permissions for the viewers'
 * addresses, and the transport's datagrams to and from those viewers wrapped in Send and Data
 * indications. The relayed address is the camera's `relay` candidate; a viewer just sends to it.
 * Long-term credentials (RFC 8489 §9.2) as the cloud mints them (the TURN REST API scheme): the
 * key is MD5(username ":" realm ":" password), each request carries MESSAGE-INTEGRITY (HMAC-SHA1).
 * Refreshed before they lapse: the allocation at half its lifetime, permissions every 4 minutes.
 */
import Timer from "timer";
import { asciiText } from "../protocol/ascii.js";
import { hex, parseStun, stunMessage, xorAddress, xorAddressOf } from "./stun.js";
import type { Datagram } from "./udp.js";

const Method = Object.freeze({ allocate: 0x003, refresh: 0x004, send: 0x006, data: 0x007, createPermission: 0x008 });
const Attr = Object.freeze({
	username: 0x0006, messageIntegrity: 0x0008, errorCode: 0x0009, lifetime: 0x000d, xorPeerAddress: 0x0012, data: 0x0013,
	realm: 0x0014, nonce: 0x0015, xorRelayedAddress: 0x0016, requestedTransport: 0x0019,
});
// Message type = method with the class bits (methods here are < 16): request, indication, success, error.
const request = (method: number) => method;
const indication = (method: number) => method | 0x010;
const success = (method: number) => method | 0x100;
const failure = (method: number) => method | 0x110;
const PERMISSION_REFRESH_MS = 240_000;
const TRIES = 7, RETRY_MS = 250;

export interface TurnServer {
	address: string;
	port: number;
	username: string;
	password: string;
}
export interface TurnCrypto {
	hmacSha1(key: Uint8Array, data: Uint8Array): ArrayBuffer;
	md5(data: string): ArrayBuffer;
}
type Write = (bytes: Uint8Array, address: string, port: number) => void;
interface Pending { resolve(message: ReturnType<typeof parseStun>): void; timer: unknown }

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
const text = (bytes: Uint8Array | undefined) => (bytes ? asciiText(bytes) : "");

export class TurnError extends Error {
	override name = "TurnError";
}

export class TurnClient {
	#server: TurnServer;
	#write: Write;
	#crypto: TurnCrypto;
	#realm = new Uint8Array(0);
	#nonce = new Uint8Array(0);
	#key: Uint8Array | undefined;
	#pending = new Map<string, Pending>();
	#permitted = new Set<string>();
	#timers: unknown[] = [];
	#closed = false;
	/** The relayed address (after allocate()). */
	relayed: { address: string; port: number } | undefined;

	constructor(server: TurnServer, write: Write, crypto: TurnCrypto) {
		this.#server = server;
		this.#write = write;
		this.#crypto = crypto;
	}

	/** Newer credentials for the same server (the cloud mints them per offer; they expire). */
	useCredentials(server: TurnServer): void {
		if (server.address !== this.#server.address || server.port !== this.#server.port) return;
		if (server.username !== this.#server.username) this.#key = undefined;
		this.#server = server;
	}

	/** Allocates a relayed address (once); resolves with it. */
	async allocate(): Promise<{ address: string; port: number }> {
		if (this.relayed) return this.relayed;
		const answer = await this.#request(Method.allocate, [[Attr.requestedTransport, Uint8Array.of(17, 0, 0, 0)]]);
		const relayed = xorAddressOf(answer.attributes.get(Attr.xorRelayedAddress) ?? new Uint8Array(0));
		if (!relayed) throw new TurnError("the TURN server's allocation has no IPv4 relayed address");
		this.relayed = relayed;
		const lifetimeS = new DataView((answer.attributes.get(Attr.lifetime) ?? Uint8Array.of(0, 0, 2, 88)).slice().buffer).getUint32(0);
		this.#every(Math.max(30, lifetimeS / 2) * 1000, () => this.#request(Method.refresh, [[Attr.lifetime, Uint8Array.of(0, 0, 2, 88)]]));
		this.#every(PERMISSION_REFRESH_MS, () => this.#permit([...this.#permitted]));
		return relayed;
	}

	/** Lets these addresses (their IPs: TURN permissions ignore ports) send to the relayed address. */
	async permit(addresses: readonly string[]): Promise<void> {
		const fresh = addresses.filter((a) => !this.#permitted.has(a) && xorAddress(a, 0));
		if (!fresh.length) return;
		await this.#permit(fresh);
		for (const a of fresh) this.#permitted.add(a);
	}

	/** A datagram to a peer, through the relay (a Send indication). */
	send(bytes: Uint8Array, address: string, port: number): void {
		const peer = xorAddress(address, port);
		if (!peer || this.#closed) return;
		this.#write(stunMessage(indication(Method.send), this.#id(), [[Attr.xorPeerAddress, peer], [Attr.data, bytes]]), this.#server.address, this.#server.port);
	}

	/**
	 * A datagram from the socket: false when it is not from the TURN server, or not an answer to
	 * this client; true when it was (consumed); else the relayed datagram, with the peer as its source.
	 */
	take(packet: Datagram): boolean | Datagram {
		if (packet.address !== this.#server.address || packet.port !== this.#server.port) return false;
		const message = parseStun(packet);
		if (!message) return true;
		if (message.type === indication(Method.data)) {
			const peer = xorAddressOf(message.attributes.get(Attr.xorPeerAddress) ?? new Uint8Array(0));
			const data = message.attributes.get(Attr.data);
			if (!peer || !data) return true;
			return Object.assign(data.slice().buffer, peer) as Datagram;
		}
		const pending = this.#pending.get(message.id);
		// Not an answer to us: a Binding answer of the same server as a STUN server (checks.ts: a
		// camera that moved learns its new server-reflexive address there), or a late one.
		if (!pending) return false;
		this.#pending.delete(message.id);
		Timer.clear(pending.timer as never);
		pending.resolve(message);
		return true;
	}

	close(): void {
		this.#closed = true;
		for (const timer of this.#timers) Timer.clear(timer as never);
		for (const pending of this.#pending.values()) {
			Timer.clear(pending.timer as never);
			pending.resolve(undefined);
		}
		this.#pending.clear();
	}

	#permit(addresses: string[]): Promise<unknown> {
		return this.#request(Method.createPermission, addresses.map((a) => [Attr.xorPeerAddress, xorAddress(a, 0)!] as [number, Uint8Array]));
	}

	#every(ms: number, task: () => Promise<unknown>): void {
		this.#timers.push(Timer.repeat(() => {
			task().catch(() => {});   // the next round tries again; a lapsed allocation ends its sessions by keep-alive
		}, ms));
	}

	#id(): Uint8Array {
		const id = new Uint8Array(12);
		for (let i = 0; i < 12; i++) id[i] = Math.floor(Math.random() * 256);
		return id;
	}

	/** A request, authenticated once the server told its realm and nonce (a 401 or a stale 438 asks again once). */
	async #request(method: number, attributes: Array<[number, Uint8Array]>): Promise<NonNullable<ReturnType<typeof parseStun>>> {
		for (let round = 0; round < 3; round++) {
			const answer = await this.#exchange(method, attributes);
			if (!answer) throw new TurnError(`no answer from the TURN server ${this.#server.address}:${this.#server.port}`);
			if (answer.type === success(method)) return answer;
			const error = answer.attributes.get(Attr.errorCode);
			const code = error && error.length >= 4 ? error[2] * 100 + error[3] : 0;
			if (answer.type !== failure(method) || (code !== 401 && code !== 438)) throw new TurnError(`TURN ${method} refused: ${code} ${text(error?.subarray(4))}`);
			this.#realm = answer.attributes.get(Attr.realm)?.slice() ?? this.#realm;
			this.#nonce = answer.attributes.get(Attr.nonce)?.slice() ?? this.#nonce;
			this.#key = new Uint8Array(this.#crypto.md5(`${this.#server.username}:${text(this.#realm)}:${this.#server.password}`));
		}
		throw new TurnError("the TURN server refused the credentials");
	}

	#exchange(method: number, attributes: Array<[number, Uint8Array]>): Promise<ReturnType<typeof parseStun>> {
		const id = this.#id();
		const all: Array<[number, Uint8Array]> = [...attributes];
		if (this.#key) all.push([Attr.username, ascii(this.#server.username)], [Attr.realm, this.#realm], [Attr.nonce, this.#nonce]);
		let bytes = stunMessage(request(method), id, all);
		if (this.#key) {
			// MESSAGE-INTEGRITY covers the message with its length counting the attribute itself (24 bytes).
			const covered = stunMessage(request(method), id, [...all, [Attr.messageIntegrity, new Uint8Array(20)]]);
			const mac = new Uint8Array(this.#crypto.hmacSha1(this.#key, covered.subarray(0, covered.length - 24)));
			bytes = covered;
			bytes.set(mac, covered.length - 20);
		}
		if (this.#closed) return Promise.resolve(undefined);
		return new Promise((resolve) => {
			let left = TRIES;
			const pending: Pending = { resolve, timer: undefined };
			const send = () => {
				if (!left--) {
					this.#pending.delete(hex(id));
					return resolve(undefined);
				}
				this.#write(bytes, this.#server.address, this.#server.port);
				pending.timer = Timer.set(send, RETRY_MS);
			};
			this.#pending.set(hex(id), pending);
			send();
		});
	}
}

