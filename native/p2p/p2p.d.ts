declare module "p2p" {
	import type { Ring } from "ring";
	export const MTU: 1200;
	export const ADDRESS_BYTES: 31;
	export const TICKET_BYTES: 76;
	export const PSK_BYTES: 32;
	export const MAX_COMMAND: 16384;
	export const Rights: Readonly<{ live: 1; playback: 2; talk: 4; command: 8 }>;
	export const Channel: Readonly<{ command: 0; media: 1; voice: 2 }>;
	export const Kind: Readonly<{ request: 1; reply: 2; control: 3; controlReply: 4 }>;
	export const Event: Readonly<{ connected: 1; closed: 2; addrChanged: 3; watermarkLow: 4; watermarkWarn: 5; watermarkHigh: 6 }>;
	export const Status: Readonly<Record<string, number>>;
	export type Bytes = ArrayBuffer | ArrayBufferView;
	export interface Handler {
		/** A datagram out. With a `sendBuffer` that holds it, `datagram` is that buffer and `length`
		 * its bytes: valid during the call only (send or copy them then); else a new ArrayBuffer.
		 * With an `addressBuffer` too, `address` is that buffer and `addressLength` its bytes (same rule),
		 * and `slot` names that address until a call says it is `fresh` again: a handler may decode an
		 * address once, when fresh, and look it up by slot after (slots are 0 … 2 × maxSessions − 1). */
		send?(address: ArrayBuffer, datagram: ArrayBuffer, length?: number, addressLength?: number, slot?: number, fresh?: boolean): unknown;   // true (the boolean): see socket
		/** Where a slot's datagrams go once send() returned true for it (true only with a slot):
		 * written in C to this UDP socket's host object (embedded:io/socket/udp's `native`), no
		 * send() call, until reroute(). Read at each datagram; when it is not an open socket, send() again. */
		socket?: object;
		/** Where send's datagrams are copied instead of a new ArrayBuffer each (MTU bytes hold every one). */
		sendBuffer?: ArrayBuffer;
		/** Where send's addresses are copied, with a sendBuffer (ADDRESS_BYTES hold every one). */
		addressBuffer?: ArrayBuffer;
		event?(session: number, event: number, arg: number): void;
		frame?(session: number, channel: number, bytes: ArrayBuffer, timestamp: number, key: boolean, lost: number): void;
		command?(session: number, kind: number, id: number, bytes: ArrayBuffer): void;
	}
	export interface Options {
		role: "camera" | "viewer";
		deviceSecret?: Bytes;
		deviceId?: string;
		maxSessions?: number;
		deadlineMs?: number;
		/** a frame being repaired after a loss may be kept this long while the camera is not behind the link (default deadlineMs × 4/3) */
		deadlineMaxMs?: number;
		rxFrameBytes?: number;
		keepAlive?: { intervalS: number; attempts: number };
		low?: number;
		warn?: number;
		high?: number;
		/** DATA's version (native/p2p/PROTOCOL.md): a camera's, the one it takes when its viewer offers it
		 * (5: ChaCha20-Poly1305; 6: AES-128-CTR + HMAC-SHA-256, for a chip's AES and SHA engines; default:
		 * the build's, 6 on the ESP32-S3); a viewer's, the highest it offers (default 6: both) */
		version?: 5 | 6;
	}
	export interface ChannelStats {
		sendBuffered: number; instRate: number; avgRate: number; ackedBytes: number;
		framesSent: number; framesGivenUp: number; framesTorn: number; framesSkipped: number; retransmits: number;
	}
	export interface SessionStats {
		srttMs: number; minRttMs: number; rtoMs: number; bandwidth: number; pacingRate: number;
		packetsSent: number; packetsReceived: number; packetsLost: number; droppedAuth: number; droppedReplay: number;
		rights: number; footprintBytes: number; viewerId: string;
		/** DATA's version: 5 (ChaCha20-Poly1305) or 6 (AES-128-CTR + HMAC-SHA-256) */
		version: number;
		/** The peer's address bytes, where the session sends now (it follows a validated move): modules/p2p/address.ts decodes them. */
		peer: ArrayBuffer;
	}
	export function mintTicket(secret: Bytes, deviceId: string, viewerId: string, rights: number, expiryS: number): [ArrayBuffer, ArrayBuffer];
	/** Whether a datagram is this wire's, by its first byte (read in place: no view made). */
	export function isPacket(datagram: Bytes, length?: number): boolean;
	/** 1 … 64 bytes from the platform's random source (getrandom, esp_fill_random). */
	export function randomBytes(count: number): ArrayBuffer;
	export class Endpoint {
		constructor(options: Options, handler: Handler);
		setUnixTime(seconds: number): void;
		/** length: the datagram is the first `length` bytes of `datagram` (a reused receive buffer). */
		input(address: Bytes, datagram: Bytes, now: number, length?: number): number;
		/** Reads `socket` (a UDP socket's `native`) in C until a datagram it does not take itself (it
		 * takes its packets from the addresses send() answered true for): that datagram's length, left
		 * in `into` with its source in `from` (6 bytes: IPv4 address, port; network order), or -1 when
		 * none waits. Another wire's peers take theirs in C too: `takers`, an Array of a wire's peers each (WebRTC's feed
		 * entries: native/common/ivxs_kit.h ivxs_link_take). */
		receive(socket: object, into: ArrayBuffer, from: Uint8Array, now: number, takers?: ReadonlyArray<readonly unknown[]>): number;
		tick(now: number): number;
		connect(address: Bytes, ticket: Bytes, psk: Bytes, now: number): number;
		command(session: number, kind: number, id: number, bytes: Bytes, now: number): number;
		attachRing(session: number, ring: Ring, timeOffsetMs?: number): void;
		attachQueue(session: number, capacity: number, slots?: number): void;
		pushFrame(session: number, bytes: Bytes, key?: boolean, timestamp?: number, flags?: number): number;
		setWatermarks(low: number, warn: number, high: number): void;
		/** Camera role: its sessions' packets take their parts of `uplink` (undefined: none). */
		shareUplink(uplink: Uplink | undefined): void;
		detach(session: number): void;
		closeSession(session: number, now: number): void;
		channelStats(session: number, channel: number): ChannelStats;
		sessionStats(session: number): SessionStats;
		/** Every slot takes send() again (an address send() answered true for may now need a relay). */
		reroute(): void;
		/** Datagrams written to the handler's socket in C, those the system refused, and those receive() input in C. */
		directStats(): { sent: number; refused: number; received: number };
		close(): void;
	}
	export default Endpoint;
	/** The camera's uplink for its viewers, on every wire (native/p2p/uplink.h): a budget (bytes/s;
	 * 0: none, the start) the viewers of the endpoints and WebRTC feeds sharing it take max-min fair
	 * parts of. */
	export class Uplink {
		constructor(now: number);
		setRate(bytesPerSecond: number, now: number): void;
		/** The budget, each viewer's part (the level) and the viewers sharing it. */
		figures(): { rate: number; level: number; viewers: number };
	}
	/** An Uplink's host object, for native modules whose viewers share it (webrtc's feeds). */
	export function nativeUplink(uplink: Uplink): object;
	/** The `code` of this module's errors, by short name: e.g. codes.EBUSY is its IVXS_<MODULE>_EBUSY (native/common/README.md). */
	export const codes: Readonly<Record<string, string>>;
}
