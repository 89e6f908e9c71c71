// The camera side of PROTOCOL.md §2 for Node: what the simulated camera, the
// load generator and the tests use to sign requests. The rules (string to
// sign, header and trailer formats, key label) are the protocol package's,
// the same the camera in XS signs with; this file gives it node:crypto.
import { createHash, randomBytes } from "node:crypto";
import { deviceSigningKey, hmacSha256 } from "../src/auth/device-keys.js";
import { CONTENT_SHA256, isBodyHash, signRequest as sign, STREAMING, TRAILERS, trailerSignature } from "../../modules/protocol/signing.js";

export { STREAMING };

/** K_sign (modules/protocol/keys.ts). */
export const signingKey = deviceSigningKey;

export const sha256Hex = (body: Uint8Array | string): string => createHash("sha256").update(body).digest("hex");

export interface SignOptions {
	device: string;
	/** K_sign (see signingKey) or the secret it is derived from. */
	key: Buffer | string;
	method: string;
	/** Path and query exactly as they go in the request line, e.g. "/v1/devices/cam1/…?epoch=1". */
	path: string;
	/** The body's bytes, its hex SHA-256, or STREAMING. Default: an empty body. */
	body?: Uint8Array | string;
	/** Unix seconds; default the machine's now (the simulated camera passes its own clock: Uploader.now()). */
	time?: number;
	nonce?: string;
}

export interface Signed {
	headers: { authorization: string; "x-ivxs-content-sha256": string };
	signature: string;
	key: Buffer;
}

/** The two headers of a signed request. */
export function signRequest(options: SignOptions): Signed {
	const key = typeof options.key === "string" ? signingKey(options.key) : options.key;
	const body = options.body ?? "";
	const bodyHash = typeof body === "string" && isBodyHash(body) ? body : sha256Hex(body);
	const signed = sign(hmacSha256, key, {
		device: options.device, method: options.method, path: options.path, bodyHash,
		time: options.time ?? Math.floor(Date.now() / 1000), nonce: options.nonce ?? randomBytes(16).toString("hex"),
	});
	return { headers: { authorization: signed.authorization, "x-ivxs-content-sha256": bodyHash }, signature: signed.signature, key };
}

/** The trailers that close a streamed body signed with `signature`. */
export function streamTrailers(key: Buffer, signature: string, bodyHashHex: string): Record<string, string> {
	return { [CONTENT_SHA256]: bodyHashHex, [TRAILERS[1]]: trailerSignature(hmacSha256, key, signature, bodyHashHex) };
}

/** The headers announcing a streamed body (add the signed headers). */
export const streamingHeaders = { "transfer-encoding": "chunked", trailer: TRAILERS.join(", ") } as const;
