/**
 * A STUN/TURN transaction id (RFC 8489 §6: 96 bits, uniformly random) from the platform's random
 * source (the transport's: getrandom, esp_fill_random). An off-path sender that could guess one
 * (Math.random's state) could answer a check or a TURN request in the server's place.
 */
import { randomBytes } from "p2p";

export const transactionId = (): Uint8Array => new Uint8Array(randomBytes(12));
