/**
 * A TURN client (RFC 8656) on the P2P socket, for a camera no direct path reaches (behind a
 * symmetric NAT): one allocation on the TURN server (coturn), permissions for the viewers'
 * addresses, and the transport's datagrams to and from those viewers in ChannelData messages
 * (§12: a 4-byte header, written into one reused buffer) once a channel is bound to the viewer's
 * address and port — the first datagrams, while its ChannelBind is under way, go wrapped in Send
 * indications (a STUN message built per datagram: ~36 bytes more on the wire and a few KB of
 * garbage on XS each, which a relayed viewer at 1 Mbit/s would pay 100 times a second). The relayed address is the camera's `relay` candidate; a viewer just sends to it.
 * Long-term credentials (RFC 8489 §9.2) as the cloud mints them (the TURN REST API scheme): the
 * key is MD5(username ":" realm ":" password), each request carries MESSAGE-INTEGRITY (HMAC-SHA1).
 * Once the key is known, every success answer must carry a valid MESSAGE-INTEGRITY under it (an
 * answer without one is dropped as if lost: anyone who can send from the server's address could
 * forge it). The allocation is refreshed at half its lifetime; permissions (300 s on the server,
 * RFC 8656 §9) every 4 minutes, but only those in use — asked for again, or carrying datagrams —
 * in the last 300 s: the rest lapse (modules/p2p/README.md "Bounds"). A refresh the server answers
 * 437 (Allocation Mismatch: it has no allocation for us — it restarted, or ours expired) forgets the
 * allocation, so the next offer allocates again instead of handing out a dead relayed address.
 * Channels: numbers 0x4000 … 0x4000 + MAX_CHANNELS − 1, one per viewer address and port, never
 * given to another peer within an allocation (the server keeps a number from other peers 5 minutes
 * past its binding's 10: simpler never to); refreshed every CHANNEL_REFRESH_MS while used, and
 * taken as lapsed CHANNEL_TRUST_MS after its last binding (Send indications then, and the same
 * number bound again). A refused ChannelBind leaves that peer on Send indications.
 */
import Timer from "timer";
import { asciiText, stringBytes } from "../protocol/ascii.js";
import { toHex } from "../protocol/hex.js";
import { integrityValid, parseStun, signedMessage, stunMessage, xorAddress, xorAddressOf } from "./stun.js";
import { transactionId } from "./transaction-id.js";
import { PeerMap } from "./address.js";
import type { Datagram } from "./udp.js";

const Method = Object.freeze({ allocate: 0x003, refresh: 0x004, send: 0x006, data: 0x007, createPermission: 0x008, channelBind: 0x009 });
const Attr = Object.freeze({
	username: 0x0006, errorCode: 0x0009, channelNumber: 0x000c, lifetime: 0x000d, xorPeerAddress: 0x0012, data: 0x0013,
	realm: 0x0014, nonce: 0x0015, xorRelayedAddress: 0x0016, requestedTransport: 0x0019,
});
// Message type = method with the class bits (methods here are < 16): request, indication, success, error.
const request = (method: number) => method;
const indication = (method: number) => method | 0x010;
const success = (method: number) => method | 0x100;
const failure = (method: number) => method | 0x110;
/** The server keeps a permission 300 s (RFC 8656 §9); we refresh those in use every 240 s. */
export const PERMISSION_LIFETIME_MS = 300_000;
export const PERMISSION_REFRESH_MS = 240_000;
/** Peer addresses permitted at once: 8 candidates for each of 8 viewers; the least recently used goes first. */
export const MAX_PERMISSIONS = 64;
const TRIES = 7, RETRY_MS = 250;
/** Channels (RFC 8656 §12): bound 600 s on the server; ours refreshed every 300 s while used, and
 * trusted for 540 s after a binding (a refresh lost or late must not send into a lapsed channel). */
export const MAX_CHANNELS = 64;
export const CHANNEL_REFRESH_MS = 300_000;
export const CHANNEL_TRUST_MS = 540_000;
const FIRST_CHANNEL = 0x4000;
const CHANNEL_HEADER = 4;
/** The largest datagram sent as ChannelData (larger ones go in Send indications). */
const CHANNEL_MTU = 1500;
/** RFC 8656 §7.2's default, when a success answer names none. */
const DEFAULT_LIFETIME_S = 600;

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
type Answer = NonNullable<ReturnType<typeof parseStun>>;
/** A request in flight; `key`: it was authenticated, so its success answer must be too. */
interface Pending { resolve(message: Answer | undefined): void; timer: unknown; key: Uint8Array | undefined }
/** A permitted peer address: when the server last granted it, and when we last used it. */
interface Permission { grantedAt: number; usedAt: number }
/** A channel to a peer: bound when the server last said so (`boundAt`), and whether a ChannelBind is under way. */
interface Channel { number: number; address: string; port: number; boundAt: number; usedAt: number; binding: boolean; refused: boolean }

const text = (bytes: Uint8Array | undefined) => (bytes ? asciiText(bytes) : "");

export class TurnError extends Error {
	override name = "TurnError";
	/** The server's ERROR-CODE when it refused (RFC 8489 §14.8), else undefined. */
	readonly status: number | undefined;
	constructor(message: string, status?: number) {
		super(message);
		this.status = status;
	}
}
/** The server holds no allocation for this client's address (RFC 8656 §7.2, §7.3). */
const ALLOCATION_MISMATCH = 437;

export class TurnClient {
	#server: TurnServer;
	#write: Write;
	#crypto: TurnCrypto;
	#realm = new Uint8Array(0);
	#nonce = new Uint8Array(0);
	#key: Uint8Array | undefined;
	#pending = new Map<string, Pending>();
	#permitted = new Map<string, Permission>();
	/** Channels by peer address, then port (no key made per datagram), and by number − FIRST_CHANNEL. */
	#channels = new PeerMap<Channel>();
	#byNumber: Channel[] = [];
	/** ChannelData is written here: header, then the datagram (one buffer for all sends). */
	readonly #out = new Uint8Array(CHANNEL_HEADER + CHANNEL_MTU);
	#outView: Uint8Array | undefined;
	#timers: unknown[] = [];
	#closed = false;
	#allocating: Promise<{ address: string; port: number }> | undefined;
	#now: () => number;
	#log: (message: string) => void;
	/** The relayed address (after allocate() succeeded; never from a failed or closed one). */
	relayed: { address: string; port: number } | undefined;
	/** Success answers dropped for a missing or wrong MESSAGE-INTEGRITY. */
	forged = 0;

	/** `log`: a channel's first binding and a refused one (once per viewer address, not per datagram). */
	constructor(server: TurnServer, write: Write, crypto: TurnCrypto, now: () => number = Date.now, log: (message: string) => void = () => {}) {
		this.#server = server;
		this.#write = write;
		this.#crypto = crypto;
		this.#now = now;
		this.#log = log;
	}

	/** Newer credentials for the same server (the cloud mints them per offer; they expire). */
	useCredentials(server: TurnServer): void {
		if (server.address !== this.#server.address || server.port !== this.#server.port) return;
		if (server.username !== this.#server.username) this.#key = undefined;
		this.#server = server;
	}

	/** Allocates a relayed address (once; calls while it is under way share it); resolves with it.
	 * A malformed answer is a TurnError, and a failed or closed allocation keeps nothing. */
	allocate(): Promise<{ address: string; port: number }> {
		if (this.relayed) return Promise.resolve(this.relayed);
		return this.#allocating ??= this.#allocate().finally(() => {
			this.#allocating = undefined;
		});
	}

	async #allocate(): Promise<{ address: string; port: number }> {
		const answer = await this.#request(Method.allocate, [[Attr.requestedTransport, Uint8Array.of(17, 0, 0, 0)]]);
		const relayed = xorAddressOf(answer.attribute(Attr.xorRelayedAddress) ?? new Uint8Array(0));
		if (!relayed) throw new TurnError("the TURN server's allocation has no IPv4 relayed address");
		const lifetime = answer.attribute(Attr.lifetime);
		if (lifetime && lifetime.length !== 4) throw new TurnError(`the TURN server's LIFETIME is ${lifetime.length} bytes, not 4`);
		const lifetimeS = lifetime ? new DataView(lifetime.buffer, lifetime.byteOffset, 4).getUint32(0) : DEFAULT_LIFETIME_S;
		if (this.#closed) throw new TurnError("closed while allocating");
		this.#every(Math.max(30, lifetimeS / 2) * 1000, () => this.refreshAllocation());
		this.#every(PERMISSION_REFRESH_MS, () => this.refreshPermissions());
		this.#every(CHANNEL_REFRESH_MS, () => this.refreshChannels());
		return this.relayed = relayed;
	}

	/** The allocation's refresh (its timer's task, at half its lifetime): a 437 answer forgets it. */
	async refreshAllocation(): Promise<void> {
		try {
			await this.#request(Method.refresh, [[Attr.lifetime, Uint8Array.of(0, 0, 2, 88)]]);
		}
		catch (error) {
			if ((error as TurnError).status === ALLOCATION_MISMATCH) this.#forgetAllocation();
			throw error;
		}
	}

	/** The server has no allocation for us: nothing of it is kept, and no timer of it runs. */
	#forgetAllocation(): void {
		for (const timer of this.#timers) Timer.clear(timer as never);
		this.#timers = [];
		this.#permitted.clear();
		this.#channels.clear();
		this.#byNumber = [];
		this.relayed = undefined;
	}

	/** Lets these addresses (their IPs: TURN permissions ignore ports) send to the relayed address;
	 * an address already permitted counts as in use (refreshed while it is). */
	async permit(addresses: readonly string[]): Promise<void> {
		const now = this.#now();
		const fresh = [];
		for (const a of new Set(addresses)) {
			const known = this.#permitted.get(a);
			if (known) known.usedAt = now;
			else if (xorAddress(a, 0)) fresh.push(a);
		}
		if (!fresh.length) return;
		await this.#permit(fresh);
		for (const a of fresh) {
			this.#permitted.set(a, { grantedAt: now, usedAt: now });
			if (this.#permitted.size > MAX_PERMISSIONS) this.#permitted.delete(this.#leastRecentlyUsed());
		}
	}

	/** The addresses permitted now (their permissions are on the server). */
	get permitted(): string[] {
		return [...this.#permitted.keys()];
	}

	/** A datagram to a peer, through the relay: ChannelData on its bound channel, else a Send
	 * indication (and its channel bound for the next ones). */
	send(bytes: Uint8Array, address: string, port: number): void {
		if (this.#closed) return;
		const now = this.#now();
		this.#used(address);
		const channel = this.#channels.get(address, port);
		if (channel && now - channel.boundAt < CHANNEL_TRUST_MS && bytes.length <= CHANNEL_MTU) {
			channel.usedAt = now;
			const out = this.#out, length = CHANNEL_HEADER + bytes.length;
			out[0] = channel.number >> 8;
			out[1] = channel.number & 0xff;
			out[2] = bytes.length >> 8;
			out[3] = bytes.length & 0xff;
			out.set(bytes, CHANNEL_HEADER);
			if (this.#outView?.length !== length) this.#outView = out.subarray(0, length);
			this.#write(this.#outView, this.#server.address, this.#server.port);
			return;
		}
		const peer = xorAddress(address, port);
		if (!peer) return;
		if (!channel) this.#bindNew(address, port);
		else if (!channel.binding && !channel.refused) void this.#bind(channel);   // lapsed: bound again
		this.#write(stunMessage(indication(Method.send), transactionId(), [[Attr.xorPeerAddress, peer], [Attr.data, bytes]]), this.#server.address, this.#server.port);
	}

	/** A channel for a peer not seen before, while numbers are left (after them: Send indications). */
	#bindNew(address: string, port: number): void {
		if (!this.relayed || this.#byNumber.length >= MAX_CHANNELS) return;
		const channel: Channel = { number: FIRST_CHANNEL + this.#byNumber.length, address, port, boundAt: -Infinity, usedAt: this.#now(), binding: false, refused: false };
		this.#byNumber.push(channel);
		this.#channels.set(address, port, channel);
		void this.#bind(channel);
	}

	/** ChannelBind for `channel` (new, lapsed, or refreshed); a refusal leaves its peer on Send indications. */
	async #bind(channel: Channel): Promise<void> {
		const peer = xorAddress(channel.address, channel.port);
		if (!peer || channel.binding) return;
		channel.binding = true;
		const asked = this.#now();
		try {
			await this.#request(Method.channelBind, [[Attr.channelNumber, Uint8Array.of(channel.number >> 8, channel.number & 0xff, 0, 0)], [Attr.xorPeerAddress, peer]]);
			if (channel.boundAt === -Infinity) this.#log(`TURN channel 0x${channel.number.toString(16)} bound to ${channel.address}:${channel.port}`);
			channel.boundAt = asked;
		}
		catch (error) {
			if (!this.#closed) this.#log(`TURN refused a channel to ${channel.address}:${channel.port} (${(error as Error).message}): Send indications carry its datagrams`);
			channel.refused = true;
			channel.boundAt = -Infinity;
		}
		finally {
			channel.binding = false;
		}
	}

	/** The 300-s timer's task: channels used since their last binding are bound again (a refresh). */
	async refreshChannels(): Promise<void> {
		const due = this.#byNumber.filter((c) => !c.refused && c.usedAt >= c.boundAt && c.boundAt > -Infinity);
		await Promise.all(due.map((c) => this.#bind(c)));
	}

	/** The channels bound now: peer "address:port" → number (for tests and the console). */
	get channels(): Record<string, number> {
		const out: Record<string, number> = {};
		for (const c of this.#byNumber) if (this.#now() - c.boundAt < CHANNEL_TRUST_MS) out[`${c.address}:${c.port}`] = c.number;
		return out;
	}

	/** Whether datagrams from `address`:`port` are the TURN server's (take() is for those). */
	serves(address: string, port: number): boolean {
		return address === this.#server.address && port === this.#server.port;
	}

	/**
	 * A datagram from the socket: false when it is not from the TURN server, or not an answer to
	 * this client; true when it was (consumed); else the relayed datagram, with the peer as its source.
	 */
	take(packet: Datagram): boolean | Datagram {
		if (!this.serves(packet.address, packet.port)) return false;
		const relayed = this.#channelData(packet);
		if (relayed !== undefined) return relayed;
		const message = parseStun(packet);
		if (!message) return true;
		if (message.type === indication(Method.data)) {
			const peer = xorAddressOf(message.attribute(Attr.xorPeerAddress) ?? new Uint8Array(0));
			const data = message.attribute(Attr.data);
			if (!peer || !data) return true;
			this.#used(peer.address);
			return Object.assign(data.slice().buffer, peer) as Datagram;
		}
		const pending = this.#pending.get(message.id);
		// Not an answer to us: a Binding answer of the same server as a STUN server (checks.ts: a
		// camera that moved learns its new server-reflexive address there), or a late one.
		if (!pending) return false;
		// An authenticated request's success answer is authenticated too, else it is dropped (the
		// request is sent again): the server's 401/438 error answers carry none.
		if (pending.key && (message.type & 0x110) === 0x100 && !integrityValid(packet, pending.key, this.#crypto.hmacSha1)) {
			this.forged++;
			return true;
		}
		this.#pending.delete(message.id);
		Timer.clear(pending.timer as never);
		pending.resolve(message);
		return true;
	}

	/** ChannelData from the server (first byte 0x40 … 0x4F, RFC 9443 §3): the datagram, from its
	 * channel's peer; true (consumed, dropped) when no channel of ours has that number or the
	 * length is past the datagram; undefined when it is not ChannelData. */
	#channelData(packet: Datagram): boolean | Datagram | undefined {
		if (packet.byteLength < CHANNEL_HEADER) return undefined;
		const head = new Uint8Array(packet, 0, CHANNEL_HEADER);
		if ((head[0] & 0xf0) !== 0x40) return undefined;
		const channel = this.#byNumber[((head[0] << 8) | head[1]) - FIRST_CHANNEL];
		const length = (head[2] << 8) | head[3];
		if (!channel || length > packet.byteLength - CHANNEL_HEADER) return true;
		channel.usedAt = this.#now();
		return Object.assign(packet.slice(CHANNEL_HEADER, CHANNEL_HEADER + length), { address: channel.address, port: channel.port }) as Datagram;
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

	/** The 240-s timer's task: the permissions used in the last 300 s are refreshed, the rest
	 * forgotten (the server lets them lapse). */
	async refreshPermissions(): Promise<void> {
		const now = this.#now();
		const keep = [];
		for (const [address, permission] of this.#permitted) {
			if (now - permission.usedAt < PERMISSION_LIFETIME_MS) keep.push(address);
			else this.#permitted.delete(address);
		}
		if (!keep.length) return;
		await this.#permit(keep);
		for (const address of keep) {
			const permission = this.#permitted.get(address);
			if (permission) permission.grantedAt = now;
		}
	}

	#used(address: string): void {
		const permission = this.#permitted.get(address);
		if (permission) permission.usedAt = this.#now();
	}

	#leastRecentlyUsed(): string {
		let oldest = "", at = Infinity;
		for (const [address, { usedAt }] of this.#permitted) if (usedAt < at) [oldest, at] = [address, usedAt];
		return oldest;
	}

	#every(ms: number, task: () => Promise<unknown>): void {
		this.#timers.push(Timer.repeat(() => {
			task().catch(() => {});   // the next round tries again; a lapsed allocation ends its sessions by keep-alive
		}, ms));
	}

	/** A request, authenticated once the server told its realm and nonce (a 401 or a stale 438 asks again once). */
	async #request(method: number, attributes: Array<[number, Uint8Array]>): Promise<Answer> {
		for (let round = 0; round < 3; round++) {
			const answer = await this.#exchange(method, attributes);
			if (!answer) throw new TurnError(`no answer from the TURN server ${this.#server.address}:${this.#server.port}`);
			if (answer.type === success(method)) return answer;
			const error = answer.attribute(Attr.errorCode);
			// ERROR-CODE: class (3 bits) × 100 + number (RFC 8489 §14.8)
			const code = error && error.length >= 4 ? (error[2] & 7) * 100 + error[3] : 0;
			if (answer.type !== failure(method) || (code !== 401 && code !== 438)) throw new TurnError(`TURN ${method} refused: ${code} ${text(error?.subarray(4))}`, code || undefined);
			this.#realm = answer.attribute(Attr.realm)?.slice() ?? this.#realm;
			this.#nonce = answer.attribute(Attr.nonce)?.slice() ?? this.#nonce;
			// (USERNAME is UTF-8, RFC 8489 §14.3, as the key's text is hashed: a name past ASCII keeps both alike)
			this.#key = new Uint8Array(this.#crypto.md5(`${this.#server.username}:${text(this.#realm)}:${this.#server.password}`));
		}
		throw new TurnError("the TURN server refused the credentials");
	}

	#exchange(method: number, attributes: Array<[number, Uint8Array]>): Promise<Answer | undefined> {
		const id = transactionId();
		const key = this.#key;
		const bytes = key
			? signedMessage(request(method), id, [...attributes, [Attr.username, stringBytes(this.#server.username)], [Attr.realm, this.#realm], [Attr.nonce, this.#nonce]], key, this.#crypto.hmacSha1)
			: stunMessage(request(method), id, attributes);
		if (this.#closed) return Promise.resolve(undefined);
		return new Promise((resolve) => {
			let left = TRIES;
			const pending: Pending = { resolve, timer: undefined, key };
			const send = () => {
				if (!left--) {
					this.#pending.delete(toHex(id));
					return resolve(undefined);
				}
				this.#write(bytes, this.#server.address, this.#server.port);
				pending.timer = Timer.set(send, RETRY_MS);
			};
			this.#pending.set(toHex(id), pending);
			send();
		});
	}
}

