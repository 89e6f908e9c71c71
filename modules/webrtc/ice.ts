/**
 * ICE connectivity checks as WebRTC peers send them (RFC 8445 §7.2, RFC 8489): Binding requests
 * and responses with short-term credentials — USERNAME "<the receiver's ufrag>:<the sender's>",
 * MESSAGE-INTEGRITY under the receiver's ice-pwd, FINGERPRINT last — PRIORITY, the role with its
 * tie-breaker, USE-CANDIDATE to nominate. The STUN wire is modules/p2p/stun.ts's; this file holds
 * only ICE's rules over it. A check that is not for us, or whose integrity fails, gets no answer:
 * nothing is sent back to a stranger (a Binding request is an amplification vector).
 */
import {
	HEADER, StunType, XOR_MAPPED_ADDRESS, fingerprintValid, integrityValid, isStun, parseStun, signedMessage, withFingerprint, xorAddress,
	type HmacSha1, type StunMessage,
} from "../p2p/stun.js";
import { asciiBytes } from "../protocol/ascii.js";

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
	return withFingerprint(signedMessage(StunType.bindingRequest, p.id, attributes, asciiBytes(p.remote.pwd), hmacSha1));
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
	const username = m.attributes.get(IceAttribute.username);
	if (!username || username.length > MAX_USERNAME) return undefined;
	const name = String.fromCharCode(...username);
	const colon = name.indexOf(":");
	if (colon < 0 || name.slice(0, colon) !== local.ufrag) return undefined;
	if (!integrityValid(datagram, asciiBytes(local.pwd), hmacSha1)) return undefined;
	const mapped = xorAddress(from.address, from.port);
	if (!mapped) return undefined;
	const priority = m.attributes.get(IceAttribute.priority);
	const controlling = m.attributes.get(IceAttribute.iceControlling), controlled = m.attributes.get(IceAttribute.iceControlled);
	const response = withFingerprint(signedMessage(StunType.bindingSuccess, datagram.subarray(8, HEADER), [[XOR_MAPPED_ADDRESS, mapped]], asciiBytes(local.pwd), hmacSha1));
	return {
		response,
		remoteUfrag: name.slice(colon + 1),
		priority: priority && priority.length === 4 ? new DataView(priority.buffer, priority.byteOffset, 4).getUint32(0) : 0,
		nominated: m.attributes.has(IceAttribute.useCandidate),
		role: controlling ? "controlling" : controlled ? "controlled" : undefined,
		tieBreaker: (controlling ?? controlled)?.length === 8 ? (controlling ?? controlled) : undefined,
	};
}

/** A Binding request parsed, and the ufrag it names as its receiver's (USERNAME's first half),
 * unverified: only to find which session's password to check it under (answerCheck then takes the
 * parse) — undefined when it is no such request. */
export function checkedRequest(datagram: Uint8Array): { ufrag: string; message: StunMessage } | undefined {
	const message = parseStun(datagram);
	const username = message?.type === StunType.bindingRequest ? message.attributes.get(IceAttribute.username) : undefined;
	if (!username || username.length > MAX_USERNAME) return undefined;
	const colon = username.indexOf(0x3a);
	return colon > 0 ? { ufrag: String.fromCharCode(...username.subarray(0, colon)), message: message! } : undefined;
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
