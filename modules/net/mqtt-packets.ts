/**
 * MQTT 3.1.1 packets (OASIS standard, 2014): encoding of what a client sends and an incremental
 * decoder of what a broker sends. No sockets and no clocks, so it runs the same under Node and XS.
 * Packets a broker may not send to a client (CONNECT, SUBSCRIBE, …) and malformed ones are
 * ProtocolErrors; a packet larger than the decoder's limit is a LimitError (a broker cannot make
 * the camera allocate what it likes).
 */
import { utf8Decode, utf8Encode } from "./bytes.js";
import { LimitError, ProtocolError } from "./errors.js";

export const enum PacketType {
	CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, PUBREC = 5, PUBREL = 6, PUBCOMP = 7,
	SUBSCRIBE = 8, SUBACK = 9, UNSUBSCRIBE = 10, UNSUBACK = 11, PINGREQ = 12, PINGRESP = 13, DISCONNECT = 14,
}

export type QoS = 0 | 1;

export interface Will {
	topic: string;
	payload: string | Uint8Array;
	qos?: QoS;
	retain?: boolean;
}

export interface ConnectFields {
	clientId: string;
	keepAlive: number;       // seconds, 0–65535
	cleanSession: boolean;
	username?: string;
	password?: string | Uint8Array;
	will?: Will;
}

/** What the decoder hands out. `payload` is the packet's own buffer (it may be kept). */
export type Packet =
	| { type: PacketType.CONNACK; sessionPresent: boolean; returnCode: number }
	| { type: PacketType.PUBLISH; topic: string; payload: Uint8Array; qos: number; retain: boolean; dup: boolean; id: number }
	| { type: PacketType.PUBACK | PacketType.UNSUBACK; id: number }
	| { type: PacketType.SUBACK; id: number; granted: number[] }
	| { type: PacketType.PINGRESP };

/** The CONNACK return codes (§3.2.2.3), for messages. */
export const CONNACK_REASONS = ["accepted", "unacceptable protocol version", "client identifier rejected",
	"server unavailable", "bad user name or password", "not authorized"];

const MAX_REMAINING = 268_435_455;

function bytesOf(value: string | Uint8Array): Uint8Array {
	return value instanceof Uint8Array ? value : utf8Encode(value);
}

/** Sizes and writes one packet: fixed header + fields, each field a UTF-8 string, bytes or a u16. */
class Writer {
	bytes: Uint8Array;
	at: number;
	constructor(first: number, remaining: number) {
		if (remaining > MAX_REMAINING) throw new LimitError(`MQTT packet of ${remaining} bytes is over the protocol's limit`);
		let lengthBytes = 1;
		for (let n = remaining; n > 127; n >>= 7) lengthBytes++;
		this.bytes = new Uint8Array(1 + lengthBytes + remaining);
		this.bytes[0] = first;
		let n = remaining, at = 1;
		do {
			let digit = n % 128;
			n = Math.floor(n / 128);
			if (n > 0) digit |= 128;
			this.bytes[at++] = digit;
		} while (n > 0);
		this.at = at;
	}
	u8(value: number): void { this.bytes[this.at++] = value; }
	u16(value: number): void {
		this.bytes[this.at++] = value >> 8;
		this.bytes[this.at++] = value & 255;
	}
	string(value: Uint8Array): void {
		this.u16(value.byteLength);
		this.raw(value);
	}
	raw(value: Uint8Array): void {
		this.bytes.set(value, this.at);
		this.at += value.byteLength;
	}
}

function checkString(name: string, bytes: Uint8Array): Uint8Array {
	if (bytes.byteLength > 65535) throw new RangeError(`${name} longer than 65,535 bytes`);
	return bytes;
}

/** A topic to publish to: non-empty, no wildcards (§4.7). */
export function checkTopic(topic: string): Uint8Array {
	// (no regular expression: XS compiles a literal's at each evaluation, and a topic is checked at every publish)
	if (typeof topic !== "string" || !topic.length || topic.includes("#") || topic.includes("+") || topic.includes("\u0000")) throw new TypeError(`bad topic ${JSON.stringify(topic)}`);
	return checkString("topic", bytesOf(topic));
}

/** A topic filter: wildcards only as whole levels, # only last (§4.7.1). */
export function checkFilter(filter: string): Uint8Array {
	if (typeof filter !== "string" || !filter.length || filter.includes("\u0000")) throw new TypeError(`bad topic filter ${JSON.stringify(filter)}`);
	const levels = filter.split("/");
	levels.forEach((level, i) => {
		if ((level.includes("+") && level !== "+") || (level.includes("#") && (level !== "#" || i !== levels.length - 1)))
			throw new TypeError(`bad topic filter ${JSON.stringify(filter)}`);
	});
	return checkString("topic filter", bytesOf(filter));
}

export function encodeConnect(fields: ConnectFields): Uint8Array {
	const id = checkString("client id", bytesOf(fields.clientId));
	if (!(fields.keepAlive >= 0 && fields.keepAlive <= 65535)) throw new RangeError("keepAlive must be 0–65535 s");
	const will = fields.will;
	const willTopic = will ? checkTopic(will.topic) : undefined;
	const willPayload = will ? checkString("will payload", bytesOf(will.payload)) : undefined;
	const user = fields.username !== undefined ? checkString("user name", bytesOf(fields.username)) : undefined;
	const pass = fields.password !== undefined ? checkString("password", bytesOf(fields.password)) : undefined;
	if (pass && !user) throw new TypeError("a password needs a user name (MQTT 3.1.1 §3.1.2.9)");
	let flags = fields.cleanSession ? 0x02 : 0;
	if (will) flags |= 0x04 | ((will.qos ?? 0) << 3) | (will.retain ? 0x20 : 0);
	if (user) flags |= 0x80;
	if (pass) flags |= 0x40;
	const size = 10 + 2 + id.byteLength + (will ? 4 + willTopic!.byteLength + willPayload!.byteLength : 0) +
		(user ? 2 + user.byteLength : 0) + (pass ? 2 + pass.byteLength : 0);
	const w = new Writer(0x10, size);
	w.u16(4);
	w.u8(0x4d); w.u8(0x51); w.u8(0x54); w.u8(0x54);   // "MQTT"
	w.u8(4);                                             // protocol level 3.1.1
	w.u8(flags);
	w.u16(fields.keepAlive);
	w.string(id);
	if (will) {
		w.string(willTopic!);
		w.string(willPayload!);
	}
	if (user) w.string(user);
	if (pass) w.string(pass);
	return w.bytes;
}

/** PUBLISH. The payload is copied into the packet: MQTT payloads here are small JSON. */
export function encodePublish(topic: Uint8Array, payload: Uint8Array, qos: QoS, retain: boolean, dup: boolean, id: number): Uint8Array {
	const w = new Writer(0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0), 2 + topic.byteLength + (qos ? 2 : 0) + payload.byteLength);
	w.string(topic);
	if (qos) w.u16(id);
	w.raw(payload);
	return w.bytes;
}

/** Marks an encoded PUBLISH as sent before (DUP, §3.3.1.1): a QoS 1 message resent after a reconnect. */
export function markDuplicate(packet: Uint8Array): void {
	packet[0] |= 0x08;
}

export function encodePuback(id: number): Uint8Array {
	const w = new Writer(0x40, 2);
	w.u16(id);
	return w.bytes;
}

export function encodeSubscribe(id: number, filters: readonly { filter: Uint8Array; qos: QoS }[]): Uint8Array {
	let size = 2;
	for (const f of filters) size += 3 + f.filter.byteLength;
	const w = new Writer(0x82, size);
	w.u16(id);
	for (const f of filters) {
		w.string(f.filter);
		w.u8(f.qos);
	}
	return w.bytes;
}

export function encodeUnsubscribe(id: number, filters: readonly Uint8Array[]): Uint8Array {
	let size = 2;
	for (const f of filters) size += 2 + f.byteLength;
	const w = new Writer(0xa2, size);
	w.u16(id);
	for (const f of filters) w.string(f);
	return w.bytes;
}

export const PINGREQ = new Uint8Array([0xc0, 0]);
export const DISCONNECT = new Uint8Array([0xe0, 0]);

/** Decodes packets from a byte stream split anywhere. */
export class PacketDecoder {
	#maxPacketBytes: number;
	#header = new Uint8Array(5);
	#headerLength = 0;
	#body: Uint8Array | undefined;
	#bodyAt = 0;
	#failed = false;

	constructor(maxPacketBytes = 65536) {
		this.#maxPacketBytes = maxPacketBytes;
	}

	/** Feeds bytes; calls onPacket for each whole packet. Throws on a malformed or oversized one (then stays failed). */
	push(bytes: Uint8Array, onPacket: (packet: Packet) => void): void {
		if (this.#failed) throw new ProtocolError("MQTT decoder used after an error");
		let at = 0;
		try {
			while (at < bytes.length) {
				if (!this.#body) {
					this.#header[this.#headerLength++] = bytes[at++];
					if (this.#headerLength === 1) continue;
					const last = this.#header[this.#headerLength - 1];
					if (last & 128) {
						if (this.#headerLength === 5) throw new ProtocolError("MQTT remaining length longer than 4 bytes");
						continue;
					}
					let remaining = 0;
					for (let i = this.#headerLength - 1; i >= 1; i--) remaining = remaining * 128 + (this.#header[i] & 127);
					if (remaining + this.#headerLength > this.#maxPacketBytes)
						throw new LimitError(`MQTT packet of ${remaining + this.#headerLength} bytes over the limit of ${this.#maxPacketBytes}`);
					this.#body = new Uint8Array(remaining);
					this.#bodyAt = 0;
				}
				const n = Math.min(this.#body.length - this.#bodyAt, bytes.length - at);
				this.#body.set(bytes.subarray(at, at + n), this.#bodyAt);
				this.#bodyAt += n;
				at += n;
				if (this.#bodyAt === this.#body.length) {
					const packet = this.#decode(this.#header[0], this.#body);
					this.#body = undefined;
					this.#headerLength = 0;
					onPacket(packet);
				}
			}
		}
		catch (error) {
			this.#failed = true;
			throw error;
		}
	}

	#decode(first: number, body: Uint8Array): Packet {
		const type = first >> 4, flags = first & 15;
		const u16 = (at: number) => {
			if (at + 2 > body.length) throw new ProtocolError(`MQTT packet type ${type} truncated`);
			return (body[at] << 8) | body[at + 1];
		};
		const exact = (length: number) => {
			if (body.length !== length) throw new ProtocolError(`MQTT packet type ${type} has ${body.length} bytes, not ${length}`);
		};
		switch (type) {
		case PacketType.CONNACK:
			exact(2);
			if (flags || body[0] > 1) throw new ProtocolError("malformed CONNACK");
			return { type, sessionPresent: body[0] === 1, returnCode: body[1] };
		case PacketType.PUBLISH: {
			const qos = (flags >> 1) & 3;
			if (qos === 3) throw new ProtocolError("PUBLISH with QoS 3");
			const topicLength = u16(0);
			if (2 + topicLength > body.length) throw new ProtocolError("PUBLISH topic runs past the packet");
			const topic = utf8Decode(body.subarray(2, 2 + topicLength));
			let at = 2 + topicLength, id = 0;
			if (qos) {
				id = u16(at);
				at += 2;
				if (!id) throw new ProtocolError("PUBLISH with packet id 0");
			}
			return { type, topic, payload: body.subarray(at), qos, retain: !!(flags & 1), dup: !!(flags & 8), id };
		}
		case PacketType.PUBACK:
		case PacketType.UNSUBACK:
			exact(2);
			if (flags) throw new ProtocolError(`malformed packet type ${type}`);
			return { type, id: u16(0) };
		case PacketType.SUBACK: {
			if (flags || body.length < 3) throw new ProtocolError("malformed SUBACK");
			const granted = Array.prototype.slice.call(body, 2) as number[];
			for (const code of granted) if (code > 2 && code !== 0x80) throw new ProtocolError(`SUBACK return code ${code}`);
			return { type, id: u16(0), granted };
		}
		case PacketType.PINGRESP:
			exact(0);
			return { type };
		default:
			throw new ProtocolError(`MQTT packet type ${type} is not one a broker sends to a client`);
		}
	}
}
