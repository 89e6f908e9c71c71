/**
 * Signatures of cloud/PROTOCOL.md §2 (HTTP requests, streamed trailers) and §5 (the MQTT
 * password): the strings to sign, the header and password formats and their parsers. The HMAC
 * is injected (keys.ts), so the device, the cloud and the simulator sign with their own crypto
 * and the same text.
 */
import { toHex } from "./hex.js";
import { DEVICE_ID, NONCE, SHA256_HEX } from "./ids.js";
import type { Bytes, HmacSha256 } from "./keys.js";
import { pattern, type Pattern } from "./pattern.js";

export const SCHEME = "IVXS-HMAC-SHA256";
/** The X-Ivxs-Content-Sha256 of a body hashed while it is sent (then closed by the trailers). */
export const STREAMING = "STREAMING";
/** The hash of an empty body. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** How far (s) a signature's time may be from the cloud's clock; a 401 then carries X-Ivxs-Time. */
export const SIGNATURE_SKEW_S = 300;
export const CONTENT_SHA256 = "X-Ivxs-Content-Sha256";
export const TRAILER_SIGNATURE = "X-Ivxs-Trailer-Signature";
/** The trailers that close a streamed body, in this order. */
export const TRAILERS = [CONTENT_SHA256, TRAILER_SIGNATURE] as const;
/**
 * The header that carries the cloud's clock (unix s): on a 401 for a signature's time, and on a
 * 409 for an init epoch or a segment in the future. Unauthenticated: a hint that the camera's
 * clock is off, which it follows with the signed time exchange (cloud-time.ts), never adopts.
 */
export const CLOUD_TIME = "X-Ivxs-Time";

/** The cloud's clock (unix s) from an answer: only a 401 carrying X-Ivxs-Time says the signer's clock is off. */
export function cloudTimeOf(status: number, header: unknown): number | undefined {
	const time = Number(header);
	return status === 401 && typeof header === "string" && Number.isInteger(time) ? time : undefined;
}

const CLOUD_TIME_KEY = CLOUD_TIME.toLowerCase();
/** cloudTimeOf an answer whose header names are lower case (modules/net's and Node's alike). */
export const cloudTimeOfAnswer = (answer: { status: number; headers: Record<string, unknown> }): number | undefined =>
	cloudTimeOf(answer.status, answer.headers[CLOUD_TIME_KEY]);

/** The answer (any status; header names lower case) says the camera's clock is off: it carries X-Ivxs-Time. */
export const clockIsOff = (answer: { headers: Record<string, unknown> }): boolean => typeof answer.headers[CLOUD_TIME_KEY] === "string";

export interface AuthorizationFields {
	device: string;
	/** Unix seconds, as decimal digits. */
	time: string;
	nonce: string;
	signature: string;
}

/** The declared body hash: 64 hex digits or STREAMING. */
export const isBodyHash = (value: unknown): value is string => typeof value === "string" && (value === STREAMING || SHA256_HEX.test(value));

/**
 * The string to sign S (§2): six lines joined by "\n", no trailing newline. Made by concat, which
 * makes the one string: on XS a template literal or `+` makes a string per part, and the camera
 * signs every request (bench cs: segment_request).
 */
export function stringToSign(method: string, pathAndQuery: string, time: string | number, nonce: string, bodyHash: string): string {
	return SCHEME.concat("\n", method, "\n", pathAndQuery, "\n", String(time), "\n", nonce, "\n", bodyHash);
}

/** The Authorization value (§2): matched exactly, fields in this order. */
export const authorization = (f: AuthorizationFields): string =>
	SCHEME.concat(" Device=", f.device, ", Time=", f.time, ", Nonce=", f.nonce, ", Signature=", f.signature);   // (concat: see stringToSign)

const inner = (anchored: Pattern) => anchored.source.slice(1, -1);
const AUTHORIZATION = pattern(new RegExp(`^${SCHEME} Device=(${inner(DEVICE_ID)}), Time=(\\d{1,12}), Nonce=(${inner(NONCE)}), Signature=(${inner(SHA256_HEX)})$`));

/** The fields of an Authorization value, or undefined when it is not exactly the §2 form. */
export function parseAuthorization(header: string): AuthorizationFields | undefined {
	const match = AUTHORIZATION.exec(header);
	return match ? { device: match[1], time: match[2], nonce: match[3], signature: match[4] } : undefined;
}

/** What X-Ivxs-Trailer-Signature signs: the request's signature and the streamed body's hash. */
export const trailerToSign = (signature: string, bodySha256: string): string => signature.concat("\n", bodySha256);

/** The HMAC message of the MQTT password (§5). */
export const mqttToSign = (device: string, time: string | number, nonce: string): string => `MQTT\n${device}\n${time}\n${nonce}`;

/** The MQTT CONNECT password (§5): `<unix s>:<nonce>:<signature>`. */
export function mqttPassword(hmac: HmacSha256, key: Bytes, device: string, time: number, nonce: string): string {
	return `${time}:${nonce}:${toHex(hmac(key, mqttToSign(device, time, nonce)))}`;
}

const PASSWORD = pattern(new RegExp(`^(\\d{1,12}):(${inner(NONCE)}):(${inner(SHA256_HEX)})$`));

/** The fields of an MQTT password, or undefined when it is not in the §5 form. */
export function parseMqttPassword(password: string): { time: string; nonce: string; signature: string } | undefined {
	const match = PASSWORD.exec(password);
	return match ? { time: match[1], nonce: match[2], signature: match[3] } : undefined;
}

export interface SignedHeaders {
	/** The hex signature (the trailer signature of a streamed body covers it). */
	signature: string;
	authorization: string;
	contentSha256: string;
}

/** Signs one request (§2) with K_sign; `bodyHash` is the body's hex SHA-256 or STREAMING. */
export function signRequest(hmac: HmacSha256, key: Bytes, r: { device: string; method: string; path: string; time: number; nonce: string; bodyHash: string }): SignedHeaders {
	if (!NONCE.test(r.nonce)) throw new TypeError("a nonce must be 16 to 64 lower-case hex digits");
	const time = String(r.time);
	const signature = toHex(hmac(key, stringToSign(r.method, r.path, time, r.nonce, r.bodyHash)));
	return { signature, authorization: authorization({ device: r.device, time, nonce: r.nonce, signature }), contentSha256: r.bodyHash };
}

/** X-Ivxs-Trailer-Signature of a streamed body (§2). */
export const trailerSignature = (hmac: HmacSha256, key: Bytes, signature: string, bodySha256: string): string =>
	toHex(hmac(key, trailerToSign(signature, bodySha256)));
