/**
 * STUN Binding (RFC 8489) as far as P2P needs it: a request, its success response carrying
 * XOR-MAPPED-ADDRESS (IPv4), and telling a STUN message from a transport packet on the same
 * socket (RFC 7983: STUN's first byte is 0…3, ours is 0x5X or 0x6X (versions 5 and 6); and the magic cookie). Used to learn a
 * server-reflexive address from a STUN server (coturn) and for connectivity checks between the
 * camera and a viewer: each side answers Binding requests on its P2P socket (checks.ts).
 */
export const MAGIC_COOKIE = 0x2112a442;
export const StunType = Object.freeze({ bindingRequest: 0x0001, bindingIndication: 0x0011, bindingSuccess: 0x0101 });
export const XOR_MAPPED_ADDRESS = 0x0020;
export const MESSAGE_INTEGRITY = 0x0008;
export const FINGERPRINT = 0x8028;
export const HEADER = 20;

export interface StunMessage {
	type: number;
	/** The transaction id, 24 hex characters. */
	id: string;
	/** XOR-MAPPED-ADDRESS of a success response (IPv4 only). */
	mapped?: { address: string; port: number };
	/** Every attribute by type (the first of a type), views into the datagram. */
	attributes: Map<number, Uint8Array>;
}

const view = (bytes: ArrayBuffer | Uint8Array) => (bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
export const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");

/** Whether a datagram is a STUN message (never one of the transport's packets). */
export function isStun(datagram: ArrayBuffer | Uint8Array): boolean {
	// by length first, which needs no view: this runs for every datagram the P2P socket hears
	const length = datagram.byteLength;
	if (length < HEADER || (length & 3)) return false;
	const b = view(datagram);
	if (b[0] > 3) return false;
	const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
	return d.getUint32(4) === MAGIC_COOKIE && d.getUint16(2) + HEADER === b.length;
}

export function header(type: number, id: Uint8Array, length: number): Uint8Array {
	const out = new Uint8Array(HEADER + length);
	const d = new DataView(out.buffer);
	d.setUint16(0, type);
	d.setUint16(2, length);
	d.setUint32(4, MAGIC_COOKIE);
	out.set(id, 8);
	return out;
}

/** A Binding request with transaction id `id` (12 random bytes: transaction-id.ts). */
export function bindingRequest(id: Uint8Array): { bytes: Uint8Array; id: string } {
	if (id.length !== 12) throw new RangeError("a STUN transaction id is 12 bytes");
	return { bytes: header(StunType.bindingRequest, id, 0), id: hex(id) };
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

/** A STUN message's type, transaction id and (success) mapped address; undefined when malformed. */
export function parseStun(datagram: ArrayBuffer | Uint8Array): StunMessage | undefined {
	if (!isStun(datagram)) return undefined;
	const b = view(datagram);
	const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
	const message: StunMessage = { type: d.getUint16(0), id: hex(b.subarray(8, HEADER)), attributes: new Map() };
	for (let at = HEADER; at + 4 <= b.length;) {
		const type = d.getUint16(at), length = d.getUint16(at + 2);
		if (at + 4 + length > b.length) return undefined;
		if (!message.attributes.has(type)) message.attributes.set(type, b.subarray(at + 4, at + 4 + length));
		at += 4 + ((length + 3) & ~3);
	}
	const mapped = message.attributes.get(XOR_MAPPED_ADDRESS);
	if (mapped) message.mapped = xorAddressOf(mapped);
	return message;
}

/** An XOR-…-ADDRESS value (IPv4) → address and port, or undefined. */
export function xorAddressOf(value: Uint8Array): { address: string; port: number } | undefined {
	if (value.length !== 8 || value[1] !== 1) return undefined;
	const d = new DataView(value.buffer, value.byteOffset, 8);
	const a = (d.getUint32(4) ^ MAGIC_COOKIE) >>> 0;
	return { address: `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`, port: d.getUint16(2) ^ (MAGIC_COOKIE >>> 16) };
}

/** address:port as an XOR-…-ADDRESS value (IPv4), or undefined for another address. */
export function xorAddress(address: string, port: number): Uint8Array | undefined {
	const parts = address.split(".").map(Number);
	if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
	const out = new Uint8Array(8);
	const d = new DataView(out.buffer);
	d.setUint8(1, 1);
	d.setUint16(2, port ^ (MAGIC_COOKIE >>> 16));
	// × 2^24, not << 24: XS's C shift of 192 by 24 is undefined behaviour (the sanitizer host says so).
	d.setUint32(4, ((parts[0] * 0x1000000 + ((parts[1] << 16) | (parts[2] << 8) | parts[3])) ^ MAGIC_COOKIE) >>> 0);
	return out;
}

/** A message of `type` with transaction id `id` (12 bytes) and attributes in order, each padded to 4 bytes. */
export function stunMessage(type: number, id: Uint8Array, attributes: ReadonlyArray<[number, Uint8Array]>): Uint8Array {
	let length = 0;
	for (const [, value] of attributes) length += 4 + ((value.length + 3) & ~3);
	const out = header(type, id, length);
	const d = new DataView(out.buffer);
	let at = HEADER;
	for (const [type, value] of attributes) {
		d.setUint16(at, type);
		d.setUint16(at + 2, value.length);
		out.set(value, at + 4);
		at += 4 + ((value.length + 3) & ~3);
	}
	return out;
}

export type HmacSha1 = (key: Uint8Array, data: Uint8Array) => ArrayBuffer;

/** `stunMessage` with a MESSAGE-INTEGRITY (RFC 8489 §14.5) last: HMAC-SHA1 under `key` of the message
 * up to the attribute, its length field already counting the attribute (24 bytes). */
export function signedMessage(type: number, id: Uint8Array, attributes: ReadonlyArray<[number, Uint8Array]>, key: Uint8Array, hmacSha1: HmacSha1): Uint8Array {
	const out = stunMessage(type, id, [...attributes, [MESSAGE_INTEGRITY, new Uint8Array(20)]]);
	out.set(new Uint8Array(hmacSha1(key, out.subarray(0, out.length - 24))), out.length - 20);
	return out;
}

/** Whether a STUN datagram carries a MESSAGE-INTEGRITY valid under `key`, followed by nothing but a
 * FINGERPRINT (an attribute after it would not be covered). A malformed message is not valid. */
export function integrityValid(datagram: ArrayBuffer | Uint8Array, key: Uint8Array, hmacSha1: HmacSha1): boolean {
	const b = view(datagram);
	if (!isStun(b)) return false;
	const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
	let at = HEADER;
	while (at + 4 <= b.length && d.getUint16(at) !== MESSAGE_INTEGRITY) at += 4 + ((d.getUint16(at + 2) + 3) & ~3);
	if (at + 24 > b.length || d.getUint16(at + 2) !== 20) return false;
	const after = b.length - (at + 24);
	if (after && !(after === 8 && d.getUint16(at + 24) === FINGERPRINT && d.getUint16(at + 26) === 4)) return false;
	const covered = b.slice(0, at);
	new DataView(covered.buffer).setUint16(2, at + 24 - HEADER);
	const mac = new Uint8Array(hmacSha1(key, covered));
	let differ = mac.length ^ 20;
	for (let i = 0; i < 20; i++) differ |= mac[i] ^ b[at + 4 + i];
	return differ === 0;
}

/** CRC-32 (IEEE 802.3, the one zlib computes), for FINGERPRINT: bit by bit, no table — a STUN
 * message is a few hundred bytes, and a table would be module state the board could not keep in
 * flash (the XS linker: "no const"). */
function crc32(bytes: Uint8Array): number {
	let crc = 0xffffffff;
	for (let i = 0; i < bytes.length; i++) {
		crc ^= bytes[i];
		for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
	}
	return (crc ^ 0xffffffff) >>> 0;
}

const FINGERPRINT_XOR = 0x5354554e;

/** `message` with a FINGERPRINT (RFC 8489 §14.7) appended: CRC-32 of the message before it, its
 * length field already counting the attribute, XOR 0x5354554e. ICE's checks carry one (RFC 8445 §7.2.2). */
export function withFingerprint(message: Uint8Array): Uint8Array {
	const out = new Uint8Array(message.length + 8);
	out.set(message);
	const d = new DataView(out.buffer);
	d.setUint16(2, out.length - HEADER);
	d.setUint16(message.length, FINGERPRINT);
	d.setUint16(message.length + 2, 4);
	d.setUint32(message.length + 4, (crc32(out.subarray(0, message.length)) ^ FINGERPRINT_XOR) >>> 0);
	return out;
}

/** Whether a STUN datagram ends with a FINGERPRINT that matches it. */
export function fingerprintValid(datagram: ArrayBuffer | Uint8Array): boolean {
	const b = view(datagram);
	if (!isStun(b) || b.length < HEADER + 8) return false;
	const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
	const at = b.length - 8;
	return d.getUint16(at) === FINGERPRINT && d.getUint16(at + 2) === 4 && d.getUint32(at + 4) === ((crc32(b.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0);
}
