/**
 * ICE connectivity checks as WebRTC peers send them (RFC 8445 §7.2, RFC 8489): Binding requests
 * and responses with short-term credentials — USERNAME "<the receiver's ufrag>:<the sender's>",
 * MESSAGE-INTEGRITY under the receiver's ice-pwd, FINGERPRINT last — PRIORITY, the role with its
 * tie-breaker, USE-CANDIDATE to nominate. The STUN wire is modules/p2p/stun.ts's; this file holds
 * only ICE's rules over it. A check that is not for us, or whose integrity fails, gets no answer:
 * nothing is sent back to a stranger (a Binding request is an amplification vector).
 */
import {
	HEADER, StunType, XOR_MAPPED_ADDRESS, fingerprintValid, integrityValid, isStun, parseStun, signedMessage, xorAddress,
	type HmacSha1, type StunMessage,
} from "../p2p/stun.js";
import { asciiBytes, asciiText } from "../protocol/ascii.js";

export const IceAttribute = Object.freeze({ username: 0x0006, priority: 0x0024, useCandidate: 0x0025, iceControlled: 0x8029, iceControlling: 0x802a });

/** The longest USERNAME read: two ufrags of RFC 8839's 256 characters and the colon. */
const MAX_USERNAME = 513;

export interface IceCredentials {
	ufrag: string;
	pwd: string;
}

export interface CheckParams {
	id: Uint8Array;                /** 12 random bytes (transaction-id.ts) */
	local: IceCredentials;
	remote: IceCredentials;
	priority: number;              /** the prflx priority this candidate would have (RFC 8445 §7.1.1) */
	controlling: boolean;
	tieBreaker: Uint8Array;        /** 8 random bytes, one per agent */
	nominate?: boolean;            /** USE-CANDIDATE (controlling agent only) */
}

/** A connectivity check to the peer: integrity under the peer's password, FINGERPRINT last. */
export function iceCheck(p: CheckParams, hmacSha1: HmacSha1): Uint8Array {
	if (p.id.length !== 12 || p.tieBreaker.length !== 8) throw new RangeError("ice: a transaction id is 12 bytes, a tie-breaker 8");
	const priority = new Uint8Array(4);
	new DataView(priority.buffer).setUint32(0, p.priority >>> 0);
	const attributes: Array<[number, Uint8Array]> = [
		[IceAttribute.username, asciiBytes(`${p.remote.ufrag}:${p.local.ufrag}`)],
		[IceAttribute.priority, priority],
		[p.controlling ? IceAttribute.iceControlling : IceAttribute.iceControlled, p.tieBreaker],
	];
	if (p.nominate && p.controlling) attributes.push([IceAttribute.useCandidate, new Uint8Array(0)]);
	return signedMessage(StunType.bindingRequest, p.id, attributes, asciiBytes(p.remote.pwd), hmacSha1, true);
}

export interface AnsweredCheck {
	/** The success response to send back to where the check came from. */
	response: Uint8Array;
	/** The peer's ufrag (USERNAME's second half). */
	remoteUfrag: string;
	priority: number;
	nominated: boolean;
	role: "controlling" | "controlled" | undefined;
	tieBreaker: Uint8Array | undefined;
}

/**
 * A peer's check to us, answered: undefined (send nothing) unless it is a Binding request whose
 * FINGERPRINT matches, whose USERNAME starts with our ufrag and whose MESSAGE-INTEGRITY holds
 * under our password. The response carries the address it came from (XOR-MAPPED-ADDRESS),
 * integrity under our password and a FINGERPRINT.
 */
export function answerCheck(datagram: Uint8Array, local: IceCredentials, from: { address: string; port: number }, hmacSha1: HmacSha1,
	parsed?: StunMessage): AnsweredCheck | undefined {
	if (!isStun(datagram) || !fingerprintValid(datagram)) return undefined;
	const m = parsed ?? parseStun(datagram);   // (the caller's parse of this datagram, when it has one: checkedRequest)
	if (!m || m.type !== StunType.bindingRequest) return undefined;
	const username = m.attribute(IceAttribute.username);
	const colon = username ? receiverLength(username) : -1;
	if (colon < 0 || asciiText(username!.subarray(0, colon)) !== local.ufrag) return undefined;
	const key = asciiBytes(local.pwd);
	if (!integrityValid(datagram, key, hmacSha1)) return undefined;
	const mapped = xorAddress(from.address, from.port);
	if (!mapped) return undefined;
	const priority = m.attribute(IceAttribute.priority);
	const controlling = m.attribute(IceAttribute.iceControlling), controlled = m.attribute(IceAttribute.iceControlled);
	const tieBreaker = controlling ?? controlled;
	return {
		response: signedMessage(StunType.bindingSuccess, datagram.subarray(8, HEADER), [[XOR_MAPPED_ADDRESS, mapped]], key, hmacSha1, true),
		remoteUfrag: asciiText(username!.subarray(colon + 1)),
		priority: priority && priority.length === 4 ? priority[0] * 0x1000000 + ((priority[1] << 16) | (priority[2] << 8) | priority[3]) : 0,
		nominated: m.has(IceAttribute.useCandidate),
		role: controlling ? "controlling" : controlled ? "controlled" : undefined,
		tieBreaker: tieBreaker?.length === 8 ? tieBreaker : undefined,
	};
}

/** The length of USERNAME's first half (the receiver's ufrag: up to its colon), or -1 when it has none
 * or is longer than any USERNAME read. */
function receiverLength(username: Uint8Array): number {
	return username.length > MAX_USERNAME ? -1 : username.indexOf(0x3a);
}

/** A Binding request parsed, and the ufrag it names as its receiver's (USERNAME's first half),
 * unverified: only to find which session's password to check it under (answerCheck then takes the
 * parse) — undefined when it is no such request. */
export function checkedRequest(datagram: Uint8Array): { ufrag: string; message: StunMessage } | undefined {
	const message = parseStun(datagram);
	const username = message?.type === StunType.bindingRequest ? message.attribute(IceAttribute.username) : undefined;
	const colon = username ? receiverLength(username) : -1;
	return colon > 0 ? { ufrag: asciiText(username!.subarray(0, colon)), message: message! } : undefined;
}

/** The peer's success response to our check `id` (hex): the address it saw us at, or undefined
 * when it is not that response, or its integrity under the peer's password or its FINGERPRINT fails. */
export function checkResponse(datagram: Uint8Array, id: string, remote: IceCredentials, hmacSha1: HmacSha1): { address: string; port: number } | undefined {
	if (!fingerprintValid(datagram) || !integrityValid(datagram, asciiBytes(remote.pwd), hmacSha1)) return undefined;
	const m = parseStun(datagram);
	return m && m.type === StunType.bindingSuccess && m.id === id ? m.mapped : undefined;
}

/** RFC 8445 §5.1.2.1 priority of a candidate of `type` (the prflx one a check carries: 110). */
export function candidatePriority(type: "host" | "prflx" | "srflx" | "relay", localPreference = 65535, component = 1): number {
	const typePreference = { host: 126, prflx: 110, srflx: 100, relay: 0 }[type];
	return typePreference * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}
