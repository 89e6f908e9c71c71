/**
 * STUN Binding (RFC 8489) as far as P2P needs it: a request, its success response carrying
 * XOR-MAPPED-ADDRESS (IPv4), and telling a STUN message from a transport packet on the same
 * socket (RFC 7983: STUN's first byte is 0…3, ours is 0x3X; and the magic cookie). Used to learn a
 * server-reflexive address from a STUN server (coturn) and for connectivity checks between the
 * camera and a viewer: each side answers Binding requests on its P2P socket (checks.ts).
 */
export const MAGIC_COOKIE = 0x2112a442;
export const StunType = Object.freeze({ bindingRequest: 0x0001, bindingSuccess: 0x0101 });
const XOR_MAPPED_ADDRESS = 0x0020;
const HEADER = 20;

export interface StunMessage {
	type: number;
	/** The transaction id, 24 hex characters. */
	id: string;
	/** XOR-MAPPED-ADDRESS of a success response (IPv4 only). */
	mapped?: { address: string; port: number };
}

const view = (bytes: ArrayBuffer | Uint8Array) => (bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");

/** Whether a datagram is a STUN message (never one of the transport's packets). */
export function isStun(datagram: ArrayBuffer | Uint8Array): boolean {
	const b = view(datagram);
	if (b.length < HEADER || b[0] > 3 || (b.length & 3)) return false;
	const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
	return d.getUint32(4) === MAGIC_COOKIE && d.getUint16(2) + HEADER === b.length;
}

function header(type: number, id: Uint8Array, length: number): Uint8Array {
	const out = new Uint8Array(HEADER + length);
	const d = new DataView(out.buffer);
	d.setUint16(0, type);
	d.setUint16(2, length);
	d.setUint32(4, MAGIC_COOKIE);
	out.set(id, 8);
	return out;
}

/** A Binding request with a random transaction id. */
export function bindingRequest(): { bytes: Uint8Array; id: string } {
	const id = new Uint8Array(12);
	for (let i = 0; i < 12; i++) id[i] = Math.floor(Math.random() * 256);
	return { bytes: header(StunType.bindingRequest, id, 0), id: hex(id) };
}

/** The success response to `request`: the address and port the request came from. */
export function bindingSuccess(request: ArrayBuffer | Uint8Array, address: string, port: number): Uint8Array | undefined {
	const parts = address.split(".").map(Number);
	if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;   // IPv4 only
	const out = header(StunType.bindingSuccess, view(request).subarray(8, HEADER), 12);
	const d = new DataView(out.buffer);
	d.setUint16(HEADER, XOR_MAPPED_ADDRESS);
	d.setUint16(HEADER + 2, 8);
	d.setUint8(HEADER + 5, 1);   // IPv4
	d.setUint16(HEADER + 6, port ^ (MAGIC_COOKIE >>> 16));
	d.setUint32(HEADER + 8, (((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) ^ MAGIC_COOKIE) >>> 0);
	return out;
}

/** A STUN message's type, transaction id and (success) mapped address; undefined when malformed. */
export function parseStun(datagram: ArrayBuffer | Uint8Array): StunMessage | undefined {
	const b = view(datagram);
	if (!isStun(b)) return undefined;
	const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
	const message: StunMessage = { type: d.getUint16(0), id: hex(b.subarray(8, HEADER)) };
	for (let at = HEADER; at + 4 <= b.length;) {
		const type = d.getUint16(at), length = d.getUint16(at + 2);
		if (at + 4 + length > b.length) return undefined;
		if (type === XOR_MAPPED_ADDRESS && length === 8 && d.getUint8(at + 5) === 1) {
			const a = (d.getUint32(at + 8) ^ MAGIC_COOKIE) >>> 0;
			message.mapped = { address: `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`, port: d.getUint16(at + 6) ^ (MAGIC_COOKIE >>> 16) };
		}
		at += 4 + ((length + 3) & ~3);
	}
	return message;
}
