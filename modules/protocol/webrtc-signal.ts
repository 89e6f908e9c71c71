/**
 * WebRTC signalling through the control channel (cloud/PROTOCOL.md §5 "WebRTC signalling"): the
 * cloud hands a camera a viewer's SDP offer in a `cmd` of type `webrtc` (the session id, the offer,
 * the rights the viewer's grant gives); the camera answers on its `p2p` topic with its SDP answer
 * (`webrtc-answer`) or says why not. The session then lives on the camera's WebRTC socket (ICE-lite,
 * DTLS-SRTP: modules/webrtc); `p2p-end` (signal.ts) ends it as it ends a native one — one kind of
 * viewer, two wires, one session id space and one list. A viewer whose path changed restarts ICE
 * (WHEP's PATCH): the cloud hands the camera its new credentials and candidates as an SDP fragment
 * (`webrtc-restart`), the camera answers with its own (`webrtc-answer` with `fragment`); DTLS and
 * SRTP carry on.
 */
import { p2pMessageOf, SESSION_ID, stunServersOf, turnServersOf, type StunServer, type TurnServer } from "./signal.js";
import { Rights } from "./ticket.js";
import { pattern } from "./pattern.js";

/** The largest SDP offer a camera is handed (and its parser reads: modules/webrtc/sdp.ts), bytes: a
 * browser's is 4–10 KiB with every codec it knows. */
export const MAX_SDP_BYTES = 32 * 1024;
/** The longest reason a camera gives for not answering (as for a native answer's `error`). */
const MAX_ERROR = 200;
/** Every right a ticket can carry: the cloud sends those the viewer's grant gives. */
const ALL_RIGHTS = Rights.live | Rights.playback | Rights.talk | Rights.command;

export interface WebRtcOffer {
	session: string;
	sdp: string;
	/** Ticket rights bits (ticket.ts `Rights`): what the session may do. */
	rights: number;
	/** Where the camera learns its server-reflexive address and allocates a relayed one, as for a native offer (signal.ts). */
	stun: StunServer[];
	turn: TurnServer[];
	/** The viewer's account, opaque (accountTag): the camera holds at most its share of places for
	 * one account's offers (modules/webrtc/endpoint.ts); absent, the offer is its own account. */
	account?: string;
}

/** An account as a camera sees it: opaque, bounded, the same for every offer of one user. */
export const ACCOUNT_TAG = pattern(/^[0-9a-f]{16}$/);

export interface WebRtcAnswer {
	session: string;
	/** The camera's SDP answer; absent with `error` when it cannot serve this viewer now. */
	sdp?: string;
	/** To an ICE restart: the camera's new credentials and candidates (an SDP fragment). */
	fragment?: string;
	error?: string;
}

export const webrtcOfferCommand = (offer: WebRtcOffer): string => JSON.stringify({ type: "webrtc", session: offer.session, sdp: offer.sdp, rights: offer.rights, stun: offer.stun, turn: offer.turn, account: offer.account });

/** A `cmd` object → a viewer's WebRTC offer, or undefined when it is not one (or malformed: ignored). */
export function webrtcOfferOf(command: Record<string, unknown>): WebRtcOffer | undefined {
	const { type, session, sdp, rights, account } = command;
	if (type !== "webrtc" || typeof session !== "string" || !SESSION_ID.test(session)) return undefined;
	if (typeof sdp !== "string" || !sdp.length || sdp.length > MAX_SDP_BYTES) return undefined;
	if (typeof rights !== "number" || !Number.isInteger(rights) || rights < 0 || (rights & ~ALL_RIGHTS)) return undefined;
	if (account !== undefined && (typeof account !== "string" || !ACCOUNT_TAG.test(account))) return undefined;
	const stun = stunServersOf(command.stun ?? []), turn = turnServersOf(command.turn ?? []);
	return stun && turn && { session, sdp, rights, stun, turn, ...(account !== undefined ? { account } : {}) };
}

/** A viewer's ICE restart for an answered session: its new ICE credentials and candidates (an SDP
 * fragment, RFC 8840: what WHEP's PATCH carries), and where the camera gathers, as for an offer. */
export interface WebRtcRestart {
	session: string;
	fragment: string;
	stun: StunServer[];
	turn: TurnServer[];
}
/** The largest ICE fragment either way, bytes (credentials and a few candidates). */
export const MAX_FRAGMENT_BYTES = 4096;

export const webrtcRestartCommand = (r: WebRtcRestart): string => JSON.stringify({ type: "webrtc-restart", session: r.session, fragment: r.fragment, stun: r.stun, turn: r.turn });

/** A `cmd` object → a viewer's ICE restart, or undefined when it is not one (or malformed: ignored). */
export function webrtcRestartOf(command: Record<string, unknown>): WebRtcRestart | undefined {
	const { type, session, fragment } = command;
	if (type !== "webrtc-restart" || typeof session !== "string" || !SESSION_ID.test(session)) return undefined;
	if (typeof fragment !== "string" || !fragment.length || fragment.length > MAX_FRAGMENT_BYTES) return undefined;
	const stun = stunServersOf(command.stun ?? []), turn = turnServersOf(command.turn ?? []);
	return stun && turn && { session, fragment, stun, turn };
}

export const webrtcAnswer = (answer: WebRtcAnswer): string => JSON.stringify({ type: "webrtc-answer", ...answer });

/** A camera's `p2p` message → its WebRTC answer, or undefined when it is not one or is malformed
 * (an answer carries exactly one of `sdp`, `fragment`, `error`). */
export function webrtcAnswerOf(text: string): WebRtcAnswer | undefined {
	if (text.length > MAX_SDP_BYTES + 1024) return undefined;
	const value = p2pMessageOf(text);
	if (value?.type !== "webrtc-answer") return undefined;
	const { session, sdp, fragment, error } = value;
	if (typeof session !== "string" || !SESSION_ID.test(session)) return undefined;
	if (sdp !== undefined && (typeof sdp !== "string" || !sdp.startsWith("v=0\r\n") || sdp.length > MAX_SDP_BYTES)) return undefined;
	if (fragment !== undefined && (typeof fragment !== "string" || !fragment.startsWith("a=") || fragment.length > MAX_FRAGMENT_BYTES)) return undefined;
	if (error !== undefined && (typeof error !== "string" || !error.length || error.length > MAX_ERROR)) return undefined;
	if ([sdp, fragment, error].filter((v) => v !== undefined).length !== 1) return undefined;
	return sdp !== undefined ? { session, sdp } : fragment !== undefined ? { session, fragment } : { session, error: error as string };
}
