/**
 * P2P viewer tickets (native/p2p/PROTOCOL.md "Tickets"; the camera checks them in
 * native/p2p/p2p_ticket.c): the 76-byte layout and its minting by the cloud, which hands the
 * viewer the ticket and its pre-shared key.
 */
import { bytesOf } from "./hex.js";
import { type Bytes, type HmacSha256, PSK_LABEL, ticketKey } from "./keys.js";

export const TICKET_VERSION = 1;
export const TICKET_BYTES = 76;
export const PSK_BYTES = 32;
/** Device and viewer ids in a ticket: 16 bytes (an ASCII id is zero-padded). */
export const TICKET_ID_BYTES = 16;
/** Byte offsets of the fields; bytes 0 … MAC-1 are what the MAC covers. */
export const TicketOffset = Object.freeze({ version: 0, rights: 1, reserved: 2, expiry: 4, device: 12, viewer: 28, mac: 44 });
/** Rights bits; other bits must be 0. */
export const Rights = Object.freeze({ live: 1, playback: 2, talk: 4, command: 8 });
const ALL_RIGHTS = 15;

export interface TicketFields {
	/** Rights bits (Rights). */
	rights: number;
	/** Unix seconds; the camera refuses the ticket at or after it. */
	expiryS: number;
	/** The camera's id: ASCII, or bytes, at most 16. */
	device: string | Uint8Array;
	/** Opaque to the camera (reported in its session stats): ASCII or bytes, at most 16. */
	viewer: string | Uint8Array;
}

function putId(into: Uint8Array, at: number, id: string | Uint8Array, what: string): void {
	const bytes = typeof id === "string" ? Uint8Array.from(id, (c) => c.charCodeAt(0)) : id;
	if (bytes.length > TICKET_ID_BYTES || (typeof id === "string" && /[^\x20-\x7e]/.test(id)))
		throw new RangeError(`a ticket's ${what} id is ASCII or bytes, at most ${TICKET_ID_BYTES}`);
	into.set(bytes, at);
}

/** The 44 bytes the MAC covers. */
export function ticketBody(fields: TicketFields): Uint8Array {
	const body = new Uint8Array(TicketOffset.mac);
	const { rights, expiryS } = fields;
	if (!Number.isInteger(rights) || rights < 0 || rights > ALL_RIGHTS) throw new RangeError("ticket rights are bits 0..3");
	if (!Number.isSafeInteger(expiryS) || expiryS < 0) throw new RangeError("ticket expiry is unix seconds");
	body[TicketOffset.version] = TICKET_VERSION;
	body[TicketOffset.rights] = rights;
	const view = new DataView(body.buffer);
	view.setUint32(TicketOffset.expiry, Math.floor(expiryS / 2 ** 32));
	view.setUint32(TicketOffset.expiry + 4, expiryS >>> 0);
	putId(body, TicketOffset.device, fields.device, "device");
	putId(body, TicketOffset.viewer, fields.viewer, "viewer");
	return body;
}

/** A ticket for one camera and its psk, from the camera's secret (the cloud's side). */
export function mintTicket(hmac: HmacSha256, secret: Bytes, fields: TicketFields): { ticket: Uint8Array; psk: Uint8Array } {
	const key = ticketKey(hmac, secret);
	const body = ticketBody(fields);
	const mac = bytesOf(hmac(key, body));
	const ticket = new Uint8Array(TICKET_BYTES);
	ticket.set(body);
	ticket.set(mac, TicketOffset.mac);
	return { ticket, psk: bytesOf(hmac(key, [PSK_LABEL, mac])).slice() };
}
