/**
 * The signed time exchange of cloud/PROTOCOL.md §2.1: how a camera whose clock is off (or unset)
 * learns the cloud's. The camera signs `GET /v1/devices/{id}/time` as any request (the cloud
 * waives the time window for it, nothing else); the cloud answers the time and an HMAC with the
 * device's K_sign over the time and the request's own nonce. A man in the middle cannot forge the
 * answer (no key), cannot replay an old one (its nonce is not the one the camera waits for), and
 * cannot hold a fresh one back for long (the camera refuses an answer whose round trip exceeds
 * MAX_TIME_ROUND_TRIP_MS, and half the round trip bounds the error of what it adopts).
 */
import { toHex } from "./hex.js";
import type { Bytes, HmacSha256 } from "./keys.js";

/** The first line of what the answer's signature covers: no other string K_sign signs starts so. */
export const TIME_SCHEME = "IVXS-TIME";
/** An answer that took longer than this (ms, the camera's own clock) is not adopted. */
export const MAX_TIME_ROUND_TRIP_MS = 10_000;

/**
 * How far (ms) the wall clock may move under a stream: further (the cloud's time learnt, a clock
 * set by hand), and the stream ends — its epoch would put segments in the future, or run time
 * backwards within it — and the next segment begins a stream on the new clock.
 */
export const CLOCK_JUMP_MS = 60_000;

/** CONNACK return codes 4 (bad user name or password) and 5 (not authorized, §5): the sign-in was refused — a clock more than 300 s off, among others. */
export const isSignInRefused = (returnCode: unknown): boolean => returnCode === 4 || returnCode === 5;

export const cloudTimePath = (device: string): string => `/v1/devices/${device}/time`;

/** What the answer's signature covers: four lines joined by "\n", no trailing newline. */
export const cloudTimeToSign = (device: string, nonce: string, time: number): string => `${TIME_SCHEME}\n${device}\n${nonce}\n${time}`;

export interface CloudTimeAnswer {
	/** The cloud's clock, unix ms. */
	time: number;
	/** hex HMAC-SHA256(K_sign, cloudTimeToSign(device, the request's nonce, time)). */
	signature: string;
}

/** The cloud's answer to the request whose Authorization carried `nonce`. */
export const cloudTimeAnswer = (hmac: HmacSha256, key: Bytes, device: string, nonce: string, time: number): CloudTimeAnswer =>
	({ time, signature: toHex(hmac(key, cloudTimeToSign(device, nonce, time))) });

/** The cloud's time (unix ms) from an answer body, or undefined unless it is signed for this device and `nonce`. */
export function verifiedCloudTime(hmac: HmacSha256, key: Bytes, device: string, nonce: string, body: unknown): number | undefined {
	if (!body || typeof body !== "object") return undefined;
	const { time, signature } = body as Record<string, unknown>;
	if (!Number.isSafeInteger(time) || (time as number) < 0 || typeof signature !== "string") return undefined;
	return cloudTimeAnswer(hmac, key, device, nonce, time as number).signature === signature ? time as number : undefined;
}

/** When the time request went and its answer came (monotonic ms), and the device's wall clock (unix ms) at the answer. */
export interface RoundTrip {
	sent: number;
	received: number;
	wall: number;
}

/**
 * The offset (ms) to add to the camera's wall clock from the answer (`status`, parsed `body`) to
 * its time request signed with `nonce`. Throws when the answer may not be adopted: the clock then
 * stays as it was.
 */
export function offsetOfCloudTime(hmac: HmacSha256, key: Bytes, device: string, nonce: string, answer: { status: number; body: unknown }, trip: RoundTrip): number {
	if (answer.status !== 200) throw new Error(`cloud time: the cloud answered ${answer.status}`);
	const time = verifiedCloudTime(hmac, key, device, nonce, answer.body);
	if (time === undefined) throw new Error("cloud time: the answer is not signed for this request");
	const offset = cloudClockOffset(time, trip);
	if (offset === undefined) throw new Error(`cloud time: the answer took ${trip.received - trip.sent} ms`);
	return offset;
}

/**
 * The offset (ms) to add to the camera's wall clock: the cloud's time stood at the middle of the
 * round trip; undefined when the round trip is too long or runs backwards.
 */
export function cloudClockOffset(cloudTime: number, trip: RoundTrip): number | undefined {
	const roundTrip = trip.received - trip.sent;
	if (!(roundTrip >= 0 && roundTrip <= MAX_TIME_ROUND_TRIP_MS)) return undefined;
	return Math.round(cloudTime + roundTrip / 2 - trip.wall);
}
