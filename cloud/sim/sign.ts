// The camera side of PROTOCOL.md §2, written from the document (not from the
// cloud's code): what the simulated camera, the load generator and the tests
// use to sign requests. A camera in XS implements the same few lines.
import { createHash, createHmac, randomBytes } from "node:crypto";

export const STREAMING = "STREAMING";

/** K_sign = HMAC-SHA256(key = UTF-8(secret), message = "ivxs device v1"). */
export const signingKey = (secret: string): Buffer => createHmac("sha256", secret).update("ivxs device v1").digest();

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
	/** Unix seconds; default now (plus `clockOffsetS`). */
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
	const bodyHash = typeof body === "string" && (body === STREAMING || /^[0-9a-f]{64}$/.test(body)) ? body : sha256Hex(body);
	const time = String(options.time ?? Math.floor(Date.now() / 1000));
	const nonce = options.nonce ?? randomBytes(16).toString("hex");
	const text = `IVXS-HMAC-SHA256\n${options.method}\n${options.path}\n${time}\n${nonce}\n${bodyHash}`;
	const signature = createHmac("sha256", key).update(text).digest("hex");
	return {
		headers: {
			authorization: `IVXS-HMAC-SHA256 Device=${options.device}, Time=${time}, Nonce=${nonce}, Signature=${signature}`,
			"x-ivxs-content-sha256": bodyHash,
		},
		signature,
		key,
	};
}

/** The trailers that close a streamed body signed with `signature`. */
export function streamTrailers(key: Buffer, signature: string, bodyHashHex: string): Record<string, string> {
	return {
		"X-Ivxs-Content-Sha256": bodyHashHex,
		"X-Ivxs-Trailer-Signature": createHmac("sha256", key).update(`${signature}\n${bodyHashHex}`).digest("hex"),
	};
}

/** The headers announcing a streamed body (add the signed headers). */
export const streamingHeaders = { "transfer-encoding": "chunked", trailer: "X-Ivxs-Content-Sha256, X-Ivxs-Trailer-Signature" } as const;
