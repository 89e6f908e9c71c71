/**
 * Keys derived from a device's secret (cloud/PROTOCOL.md §1, native/p2p/PROTOCOL.md "Tickets"):
 * HMAC-SHA256 with the secret's UTF-8 bytes as the key and a fixed label as the message. Each use
 * has its own label, so a key leaked from one use does not serve another.
 *
 * Hashing is injected: the device passes its host's crypto (ivxs/crypto, the SDK's crypt), the
 * cloud and the simulator node:crypto. This package never hashes in JS.
 */
import { bytesOf } from "./hex.js";

export type Bytes = string | Uint8Array | ArrayBuffer;
/** HMAC-SHA256 of `data` (a string is UTF-8; a list is hashed part by part, as one message). */
export type HmacSha256 = (key: Bytes, data: Bytes | readonly Bytes[]) => ArrayBuffer | Uint8Array;

/** K_sign: signs HTTP requests (§2) and the MQTT password (§5). */
export const SIGNING_KEY_LABEL = "ivxs device v1";
/** K_ticket: the MAC of P2P viewer tickets. */
export const TICKET_KEY_LABEL = "ivxs p2p ticket v1";
/** The ticket's pre-shared key: HMAC(K_ticket, this label || the ticket's MAC). */
export const PSK_LABEL = "ivxs p2p psk v1";

export const signingKey = (hmac: HmacSha256, secret: string): Uint8Array => bytesOf(hmac(secret, SIGNING_KEY_LABEL));
export const ticketKey = (hmac: HmacSha256, secret: Bytes): Uint8Array => bytesOf(hmac(secret, TICKET_KEY_LABEL));
