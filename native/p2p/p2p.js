// The P2P transport (native/p2p): an encrypted, congestion-controlled UDP
// transport whose portable C core (p2p.h) sends media straight from the GOP
// ring. The XS binding comes with the P2P API; this module holds the
// protocol's constants (native/p2p/PROTOCOL.md), shared by the binding, the
// tests and the cloud, which mints tickets with the same derivation.

export const VERSION = 1;
export const MTU = 1200;
export const TICKET_BYTES = 76;
export const PSK_BYTES = 32;
export const MAX_COMMAND = 16384;

// Ticket MAC key: HMAC-SHA256(key = device secret, TICKET_LABEL);
// pre-shared key: HMAC-SHA256(ticket MAC key, PSK_LABEL + ticket MAC).
export const TICKET_LABEL = "ivxs p2p ticket v1";
export const PSK_LABEL = "ivxs p2p psk v1";

export const Rights = Object.freeze({ live: 1, playback: 2, talk: 4, command: 8 });
export const Channel = Object.freeze({ command: 0, media: 1, voice: 2 });
export const Event = Object.freeze({
	connected: 1, closed: 2, addrChanged: 3, watermarkLow: 4, watermarkWarn: 5, watermarkHigh: 6,
});

// Status codes of the core (ivxs_p2p_strerror), also the REJECT packet's code (negated).
export const Status = Object.freeze({
	ok: 0, arg: -1, nomem: -2, crypto: -3, ticketForged: -4, ticketExpired: -5, ticketDevice: -6,
	ticketFormat: -7, trunc: -8, replay: -9, auth: -10, noSession: -11, full: -12, state: -13,
	again: -14, tooBig: -15, version: -16, closed: -17, rights: -18, proto: -19, timeout: -20, weakKey: -21,
});
