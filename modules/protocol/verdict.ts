/**
 * What the camera does with the cloud's answer to an upload (cloud/PROTOCOL.md §3.2's table,
 * and §4 for snapshots): one table for the device and the simulator. Which answers mean "not
 * now" (answersLater) serves the OTA download too (modules/ota/updater.ts).
 */
import { SHA256_HEX } from "./ids.js";
import { cloudTimeOfAnswer } from "./signing.js";

/** A plain frozen object (not a const enum): importable by name from XS, Node and Moddable builds alike. */
export const Verdict = Object.freeze({
	/** 201 stored, 200 already stored (a retry): free it. */
	Stored: 0,
	/** No answer (status 0: the connection failed), 408, 429, 5xx (503 shutting down, 507 storage full: the segment stays in the ring), or a 401 carrying the cloud's clock: send it again (signed afresh). */
	Retry: 1,
	/** 404: no init for this stream: PUT the init, then this again. */
	ReInit: 2,
	/** 400, 403, 409, 413, a 401 without the cloud's clock, …: drop it. */
	Refused: 3,
} as const);
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** An answer that says "not now" whatever was asked: none (status 0), 408, 429 or 5xx. The same
 * request can succeed later — an upload (§3.2) and an OTA download (§7) alike. */
export const answersLater = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500;

/** The verdict on `status`; `cloudTime`: the answer carried X-Ivxs-Time (the clock was off). */
export function verdictOf(status: number, cloudTime: boolean): Verdict {
	if (status === 200 || status === 201) return Verdict.Stored;
	if (status === 404) return Verdict.ReInit;
	if (status === 401) return cloudTime ? Verdict.Retry : Verdict.Refused;
	if (answersLater(status)) return Verdict.Retry;
	return Verdict.Refused;
}

/** The verdict on an answer whose header names are lower case (modules/net's and Node's alike). */
export const verdictOfAnswer = (answer: { status: number; headers: Record<string, unknown> }): Verdict =>
	verdictOf(answer.status, cloudTimeOfAnswer(answer) !== undefined);

/**
 * A 409 that is not about the clock (no X-Ivxs-Time): the cloud holds other bytes under this seq,
 * or the segment's time overlaps a neighbour (§3.2). Under the seq of a segment that went out whole
 * and got no answer, it means the cloud holds that one — which one, when several went out whole
 * under it unanswered, its X-Ivxs-Stored-Sha256 says (storedSha256Of).
 */
export const holdsOtherBytes = (answer: { status: number; headers: Record<string, unknown> }): boolean =>
	answer.status === 409 && cloudTimeOfAnswer(answer) === undefined;

/** On a 409 for other bytes under a segment's seq: the SHA-256 (hex) of the bytes the cloud holds there (§3.2). */
export const STORED_SHA256 = "X-Ivxs-Stored-Sha256";
const STORED_SHA256_KEY = STORED_SHA256.toLowerCase();

/** The hash a 409 says the cloud holds under the seq (header names lower case), or undefined. */
export function storedSha256Of(answer: { status: number; headers: Record<string, unknown> }): string | undefined {
	const hash = answer.headers[STORED_SHA256_KEY];
	return answer.status === 409 && typeof hash === "string" && SHA256_HEX.test(hash) ? hash : undefined;
}
