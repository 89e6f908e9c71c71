/**
 * The identifiers of cloud/PROTOCOL.md and their patterns (§1, §2, §3): what the device checks
 * before it signs, and what the cloud accepts in a path, a header or a topic.
 */

/** A device id (§1): lower case, 1..64 characters. */
import { pattern } from "./pattern.js";

export const DEVICE_ID = pattern(/^[a-z0-9][a-z0-9_-]{0,63}$/);
/** A stream id, chosen by the camera (§3). */
export const STREAM_ID = pattern(/^[A-Za-z0-9_-]{1,64}$/);
/** A nonce (§2, §5): fresh for every signed request and every MQTT connection. */
export const NONCE = pattern(/^[0-9a-f]{16,64}$/);
/** A SHA-256 or HMAC-SHA256 in lower-case hex (body hashes, signatures). */
export const SHA256_HEX = pattern(/^[0-9a-f]{64}$/);

/** Channels are numbered 0 … channels-1, at most this many (§1). */
export const MAX_CHANNELS = 64;
/** A device secret is a string of this many characters (§1). */
export const SECRET_LENGTH = Object.freeze({ min: 32, max: 256 } as const);

export const isDeviceId = (id: unknown): id is string => typeof id === "string" && DEVICE_ID.test(id);
export const isStreamId = (id: unknown): id is string => typeof id === "string" && STREAM_ID.test(id);
export const isNonce = (nonce: unknown): nonce is string => typeof nonce === "string" && NONCE.test(nonce);
export const isSecret = (secret: unknown): secret is string =>
	typeof secret === "string" && secret.length >= SECRET_LENGTH.min && secret.length <= SECRET_LENGTH.max;
/** A channel number of a device with `channels` channels. */
export const isChannel = (channel: unknown, channels: number = MAX_CHANNELS): channel is number =>
	typeof channel === "number" && Number.isInteger(channel) && channel >= 0 && channel < channels;
