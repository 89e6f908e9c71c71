/**
 * STUN Binding (RFC 8489) as far as P2P needs it: a request, its success response carrying
 * XOR-MAPPED-ADDRESS (IPv4), and telling a STUN message from a transport packet on the same
 * socket (RFC 7983: STUN's first byte is 0…3, ours is 0x5X or 0x6X (versions 5 and 6); and the magic cookie). Used to learn a
 * server-reflexive address from a STUN server (coturn) and for connectivity checks between the
 * camera and a viewer: each side answers Binding requests on its P2P socket (checks.ts).
 */
import { toHex } from "../protocol/hex.js";

export const MAGIC_COOKIE = 0x2112a442;
export const StunType = Object.freeze({ bindingRequest: 0x0001, bindingIndication: 0x0011, bindingSuccess: 0x0101 });
export const XOR_MAPPED_ADDRESS = 0x0020;
export const MESSAGE_INTEGRITY = 0x0008;
export const FINGERPRINT = 0x8028;
export const HEADER = 20;

const view = (bytes: ArrayBuffer | Uint8Array) => (bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
const get16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const put16 = (b: Uint8Array, at: number, value: number) => {
	b[at] = value >> 8;
	b[at + 1] = value;
};
const put32 = (b: Uint8Array, at: number, value: number) => {
	put16(b, at, value >>> 16);
	put16(b, at + 2, value & 0xffff);
};

/** Where the first attribute of `type` starts in a well-formed message of `length` bytes (its type
 * field), or -1. */
function attributeAt(b: Uint8Array, type: number, length = b.length): number {
	for (let at = HEADER; at + 4 <= length; at += 4 + ((get16(b, at + 2) + 3) & ~3))
		if (get16(b, at) === type) return at;
	return -1;
}

/** Whether the first `length` bytes of `b` have a STUN header: the first byte's range (RFC 7983), the
 * magic cookie, and the length field saying the rest. */
function headerAt(b: Uint8Array, length: number): boolean {
	return length >= HEADER && !(length & 3) && b[0] <= 3 && b[4] === 0x21 && b[5] === 0x12 && b[6] === 0xa4 && b[7] === 0x42 && get16(b, 2) + HEADER === length;
}

/** Whether every attribute of the message in the first `length` bytes of `b` lies within them. */
function attributesFit(b: Uint8Array, length: number): boolean {
	for (let at = HEADER; at + 4 <= length;) {
		const size = get16(b, at + 2);
		if (at + 4 + size > length) return false;
		at += 4 + ((size + 3) & ~3);
	}
	return true;
}

/**
 * A STUN message read where it lies: its type, and its attributes found when asked — a view into
 * the datagram, nothing copied and no table made (ICE's consent checks parse one every few seconds
 * a viewer, and a table of views was most of what they left to the collector).
 */
export class StunMessage {
	readonly type: number;
	/** The whole message (a view of the datagram: valid while the datagram's bytes are). */
	readonly bytes: Uint8Array;

	constructor(bytes: Uint8Array) {
		this.type = get16(bytes, 0);
		this.bytes = bytes;
	}

	/** The transaction id, 24 hex characters. */
	get id(): string {
		return toHex(this.bytes.subarray(8, HEADER));
	}

	/** The first attribute of `type`'s value (its padding not included), or undefined. */
	attribute(type: number): Uint8Array | undefined {
		const at = attributeAt(this.bytes, type);
		return at < 0 ? undefined : this.bytes.subarray(at + 4, at + 4 + get16(this.bytes, at + 2));
	}

	/** Whether it carries an attribute of `type`. */
	has(type: number): boolean {
		return attributeAt(this.bytes, type) >= 0;
	}

	/** XOR-MAPPED-ADDRESS (a success response's; IPv4 only), or undefined. */
	get mapped(): { address: string; port: number } | undefined {
		const value = this.attribute(XOR_MAPPED_ADDRESS);
		return value && xorAddressOf(value);
	}
}

/** Whether a datagram is a STUN message (never one of the transport's packets). */
export function isStun(datagram: ArrayBuffer | Uint8Array): boolean {
	// by length first, which needs no view: this runs for every datagram the P2P socket hears
	const length = datagram.byteLength;
	if (length < HEADER || (length & 3)) return false;
	return headerAt(view(datagram), length);
}

export function header(type: number, id: Uint8Array, length: number): Uint8Array {
	const out = new Uint8Array(HEADER + length);
	put16(out, 0, type);
	put16(out, 2, length);
	put32(out, 4, MAGIC_COOKIE);
	out.set(id, 8);
	return out;
}

/** A Binding request with transaction id `id` (12 random bytes: transaction-id.ts). */
export function bindingRequest(id: Uint8Array): { bytes: Uint8Array; id: string } {
	if (id.length !== 12) throw new RangeError("a STUN transaction id is 12 bytes");
	return { bytes: header(StunType.bindingRequest, id, 0), id: toHex(id) };
}

/** A Binding indication (RFC 8489 §3: no answer is sent to one; ICE's keepalive, RFC 8445 §11). */
export function bindingIndication(id: Uint8Array): Uint8Array {
	if (id.length !== 12) throw new RangeError("a STUN transaction id is 12 bytes");
	return header(StunType.bindingIndication, id, 0);
}

/** The success response to `request`: the address and port the request came from. */
export function bindingSuccess(request: ArrayBuffer | Uint8Array, address: string, port: number): Uint8Array | undefined {
	const mapped = xorAddress(address, port);   // IPv4 only
	return mapped && stunMessage(StunType.bindingSuccess, view(request).subarray(8, HEADER), [[XOR_MAPPED_ADDRESS, mapped]]);
}

/** Where a Binding success response to `request` (a message whose transaction id it answers)
 * carries its XOR-MAPPED-ADDRESS value (IPv4: 8 bytes), read in the first `length` bytes of `b` with
 * nothing made; -1: not such an answer, or malformed. */
export function mappedAnswerAt(b: Uint8Array, length: number, request: Uint8Array): number {
	if (!headerAt(b, length) || get16(b, 0) !== StunType.bindingSuccess || !attributesFit(b, length)) return -1;
	for (let i = 8; i < HEADER; i++) if (b[i] !== request[i]) return -1;
	const at = attributeAt(b, XOR_MAPPED_ADDRESS, length);
	return at >= 0 && get16(b, at + 2) === 8 && b[at + 5] === 1 ? at + 4 : -1;
}

/** A STUN message whose attributes all lie within it, read in place; undefined when malformed. */
export function parseStun(datagram: ArrayBuffer | Uint8Array): StunMessage | undefined {
	if (!isStun(datagram)) return undefined;
	const b = view(datagram);
	return attributesFit(b, b.length) ? new StunMessage(b) : undefined;
}

/** An XOR-…-ADDRESS value (IPv4) → address and port, or undefined. */
export function xorAddressOf(value: Uint8Array): { address: string; port: number } | undefined {
	if (value.length !== 8 || value[1] !== 1) return undefined;
	return { address: `${value[4] ^ 0x21}.${value[5] ^ 0x12}.${value[6] ^ 0xa4}.${value[7] ^ 0x42}`, port: get16(value, 2) ^ (MAGIC_COOKIE >>> 16) };
}

/** address:port as an XOR-…-ADDRESS value (IPv4), or undefined for another address. */
export function xorAddress(address: string, port: number): Uint8Array | undefined {
	const parts = address.split(".");
	if (parts.length !== 4) return undefined;
	const out = new Uint8Array(8);
	out[1] = 1;
	put16(out, 2, port ^ (MAGIC_COOKIE >>> 16));
	for (let i = 0; i < 4; i++) {
		const octet = Number(parts[i]);
		if (!(octet >= 0 && octet <= 255)) return undefined;
		out[4 + i] = octet ^ (MAGIC_COOKIE >>> (24 - 8 * i));
	}
	return out;
}

/** A message of `type` with transaction id `id` (12 bytes) and attributes in order, each padded to 4
 * bytes; `room` bytes more at its end, counted in its length (what signedMessage appends). */
export function stunMessage(type: number, id: Uint8Array, attributes: ReadonlyArray<[number, Uint8Array]>, room = 0): Uint8Array {
	let length = room;
	for (let i = 0; i < attributes.length; i++) length += 4 + ((attributes[i][1].length + 3) & ~3);
	const out = header(type, id, length);
	let at = HEADER;
	for (let i = 0; i < attributes.length; i++) {
		const attribute = attributes[i], value = attribute[1];
		put16(out, at, attribute[0]);
		put16(out, at + 2, value.length);
		out.set(value, at + 4);
		at += 4 + ((value.length + 3) & ~3);
	}
	return out;
}

export type HmacSha1 = (key: Uint8Array, data: Uint8Array) => ArrayBuffer;

const INTEGRITY_BYTES = 24;
const FINGERPRINT_BYTES = 8;

/** `stunMessage` with a MESSAGE-INTEGRITY (RFC 8489 §14.5) last: HMAC-SHA1 under `key` of the message
 * up to the attribute, its length field already counting the attribute (24 bytes). With `fingerprint`,
 * a FINGERPRINT after it. */
export function signedMessage(type: number, id: Uint8Array, attributes: ReadonlyArray<[number, Uint8Array]>, key: Uint8Array, hmacSha1: HmacSha1, fingerprint = false): Uint8Array {
	const out = stunMessage(type, id, attributes, INTEGRITY_BYTES + (fingerprint ? FINGERPRINT_BYTES : 0));
	const at = out.length - INTEGRITY_BYTES - (fingerprint ? FINGERPRINT_BYTES : 0);
	put16(out, 2, at + INTEGRITY_BYTES - HEADER);   // (what the MAC covers counts up to it)
	put16(out, at, MESSAGE_INTEGRITY);
	put16(out, at + 2, 20);
	out.set(new Uint8Array(hmacSha1(key, out.subarray(0, at))), at + 4);
	if (fingerprint) {
		put16(out, 2, out.length - HEADER);
		fingerprintAt(out, at + INTEGRITY_BYTES);
	}
	return out;
}

/** Whether a STUN datagram carries a MESSAGE-INTEGRITY valid under `key`, followed by nothing but a
 * FINGERPRINT (an attribute after it would not be covered). A malformed message is not valid. */
export function integrityValid(datagram: ArrayBuffer | Uint8Array, key: Uint8Array, hmacSha1: HmacSha1): boolean {
	const b = view(datagram);
	if (!isStun(b)) return false;
	const at = attributeAt(b, MESSAGE_INTEGRITY);
	if (at < 0 || at + INTEGRITY_BYTES > b.length || get16(b, at + 2) !== 20) return false;
	const after = b.length - (at + INTEGRITY_BYTES);
	if (after && !(after === FINGERPRINT_BYTES && get16(b, at + 24) === FINGERPRINT && get16(b, at + 26) === 4)) return false;
	const covered = b.slice(0, at);
	put16(covered, 2, at + INTEGRITY_BYTES - HEADER);
	const mac = new Uint8Array(hmacSha1(key, covered));
	let differ = mac.length ^ 20;
	for (let i = 0; i < 20; i++) differ |= mac[i] ^ b[at + 4 + i];
	return differ === 0;
}

/** CRC-32's remainders of the 16 nibbles (IEEE 802.3's reflected polynomial 0xEDB88320). A frozen
 * array of 16: what a preloaded module keeps in flash as it is (a Uint32Array cannot be frozen, and
 * 256 entries a byte would be 4 KB of slots there). */
const CRC_NIBBLES: readonly number[] = Object.freeze(Array.from({ length: 16 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 4; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
}));

/** CRC-32 (IEEE 802.3, the one zlib computes) of `bytes`' first `length`, for FINGERPRINT: a nibble at
 * a time (a bit at a time was four fifths of what a consent check cost on XS). */
function crc32(bytes: Uint8Array, length: number): number {
	let crc = 0xffffffff;
	for (let i = 0; i < length; i++) {
		crc ^= bytes[i];
		crc = (crc >>> 4) ^ CRC_NIBBLES[crc & 15];
		crc = (crc >>> 4) ^ CRC_NIBBLES[crc & 15];
	}
	return (crc ^ 0xffffffff) >>> 0;
}

const FINGERPRINT_XOR = 0x5354554e;

/** Writes a FINGERPRINT (RFC 8489 §14.7) at `at`, the message's last 8 bytes (its length field
 * already counts them): CRC-32 of the message before it XOR 0x5354554e. ICE's checks carry one (RFC
 * 8445 §7.2.2). */
function fingerprintAt(out: Uint8Array, at: number): void {
	put16(out, at, FINGERPRINT);
	put16(out, at + 2, 4);
	put32(out, at + 4, (crc32(out, at) ^ FINGERPRINT_XOR) >>> 0);
}

/** Whether a STUN datagram ends with a FINGERPRINT that matches it. */
export function fingerprintValid(datagram: ArrayBuffer | Uint8Array): boolean {
	const b = view(datagram);
	if (!isStun(b) || b.length < HEADER + FINGERPRINT_BYTES) return false;
	const at = b.length - FINGERPRINT_BYTES;
	// × 2^24, not << 24: XS's C shift of 192 by 24 is undefined behaviour (the sanitizer host says so)
	const value = b[at + 4] * 0x1000000 + ((b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]);
	return get16(b, at) === FINGERPRINT && get16(b, at + 2) === 4 && value === ((crc32(b, at) ^ FINGERPRINT_XOR) >>> 0);
}
