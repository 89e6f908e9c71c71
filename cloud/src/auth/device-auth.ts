// Device request authentication (PROTOCOL.md §2): an HMAC-SHA256 signature
// with the device's K_sign over method, path and query, time, nonce and the
// body hash. The body itself is checked by the route once it has been read
// (`verifyTrailers`): a fixed body against the signed hash, a streamed one
// against its signed trailers. Nonces go into the shared metadata, so a
// replay is refused by every instance, not only the one that saw it first.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";
import { findDevice, type Device } from "../devices/registry.js";
import { deviceSigningKey, hmacHex, hmacSha256 } from "./device-keys.js";
import { CLOUD_TIME, CONTENT_SHA256, isBodyHash, parseAuthorization, SCHEME, STREAMING, stringToSign, TRAILER_SIGNATURE, trailerSignature as trailerSignatureOf } from "../../../modules/protocol/signing.js";
import { SHA256_HEX } from "../../../modules/protocol/ids.js";

export { stringToSign };

defineMigrations("device_nonces", [`
CREATE TABLE IF NOT EXISTS device_nonces (
	device TEXT NOT NULL,
	nonce TEXT NOT NULL,
	expires INTEGER NOT NULL,
	PRIMARY KEY (device, nonce)
) WITHOUT ROWID;`]);

const header = (name: string) => name.toLowerCase();

export interface DeviceAuth {
	device: Device;
	/** The request's nonce (the time exchange signs its answer over it). */
	nonce: string;
	/** The signed X-Ivxs-Content-Sha256: the body's hex SHA-256, or "STREAMING". */
	bodyHash: string;
	/** After the body was read whole: throws 401 unless `hashHex` (its SHA-256) is the signed one (or, streamed, the signed trailer's). */
	verifyTrailers(hashHex: string): void;
}

/** Constant-time equality of two hex strings of the same expected length. */
function sameHex(a: string, b: string): boolean {
	const x = Buffer.from(a, "hex"), y = Buffer.from(b, "hex");
	return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function refuse(ctx: CloudContext, reason: string, message: string, headers: Record<string, string> = {}): never {
	ctx.metrics.inc("ivxs_device_auth_refused_total", "Device requests refused by authentication, by reason", { reason });
	throw new HttpError(401, message, { "www-authenticate": SCHEME, ...headers });
}

/**
 * The latest wall-clock time (unix ms) a device may give what it uploads (a segment's samples,
 * a snapshot): its clock may run ahead of the cloud's by the signature skew, no further.
 */
export const latestDeviceTime = (ctx: CloudContext): number => Date.now() + ctx.config.signatureSkewS * 1000;

/** X-Ivxs-Time, the cloud's clock (unix s): on an answer that says the device's clock is off (PROTOCOL.md §2, §3). */
export const cloudTimeHeader = (nowMs = Date.now()): Record<string, string> => ({ [header(CLOUD_TIME)]: String(Math.floor(nowMs / 1000)) });

/**
 * Checks the signature of a device request for `deviceIdFromPath`; 401 when it
 * is missing, stale, replayed or wrong, 403 when a valid device signs for
 * another device's path. The nonce is spent once the signature verifies.
 * `anyTime` (the time exchange, PROTOCOL §2.1): any signature time, no nonce spent — a replayed
 * request only gets the cloud's time signed over a nonce the camera no longer waits for.
 */
export async function authenticateDevice(ctx: CloudContext, req: IncomingMessage, url: URL, deviceIdFromPath: string, anyTime = false): Promise<DeviceAuth> {
	const authorization = req.headers.authorization;
	if (!authorization) refuse(ctx, "missing", `missing Authorization header (${SCHEME}, PROTOCOL.md §2)`);
	const fields = parseAuthorization(authorization!);
	if (!fields) refuse(ctx, "malformed", `malformed Authorization header: expected "${SCHEME} Device=<id>, Time=<unix s>, Nonce=<16..64 hex>, Signature=<64 hex>"`);
	const { device: deviceId, time, nonce, signature } = fields!;
	const bodyHash = req.headers[header(CONTENT_SHA256)];
	if (!isBodyHash(bodyHash))
		refuse(ctx, "malformed", "X-Ivxs-Content-Sha256 must be 64 lowercase hex digits or STREAMING");
	const nowS = Math.floor(Date.now() / 1000);
	const skew = ctx.config.signatureSkewS;
	if (!anyTime && Math.abs(nowS - Number(time)) > skew)
		refuse(ctx, "stale", `request time ${time} is more than ${skew} s from the cloud's clock (${nowS}); see X-Ivxs-Time`, cloudTimeHeader(nowS * 1000));
	const device = await findDevice(ctx.sql, deviceId);
	if (!device || device.disabled) refuse(ctx, "device", `unknown or disabled device ${deviceId}`);
	const key = deviceSigningKey(device!.secret);
	const pathAndQuery = req.url ?? url.pathname + url.search;
	const expected = hmacHex(key, stringToSign(req.method ?? "GET", pathAndQuery, time, nonce, bodyHash as string));
	if (!sameHex(expected, signature)) refuse(ctx, "signature", "signature does not match (check K_sign, the string to sign and the body hash)");
	// Spent only now: a forged request cannot burn a device's nonces.
	if (!anyTime && !await spendNonce(ctx.sql, deviceId, nonce, (Number(time) + skew + 1) * 1000)) refuse(ctx, "replay", "nonce already used (replayed request): sign every request with a fresh nonce");
	if (deviceId !== deviceIdFromPath) {
		ctx.metrics.inc("ivxs_device_auth_refused_total", "Device requests refused by authentication, by reason", { reason: "wrong-device" });
		throw new HttpError(403, `device ${deviceId} may not act for device ${deviceIdFromPath}`);
	}
	const streaming = bodyHash === STREAMING;
	if (streaming && req.headers["transfer-encoding"]?.toLowerCase() !== "chunked")
		throw new HttpError(400, "X-Ivxs-Content-Sha256: STREAMING needs Transfer-Encoding: chunked and the trailers of §2");
	return {
		device: device!,
		nonce,
		bodyHash: bodyHash as string,
		verifyTrailers(hashHex: string) {
			if (!streaming) {
				if (!sameHex(hashHex, bodyHash as string)) refuse(ctx, "body-hash", "body does not match X-Ivxs-Content-Sha256");
				return;
			}
			const trailerHash = req.trailers[header(CONTENT_SHA256)];
			const trailerSignature = req.trailers[header(TRAILER_SIGNATURE)];
			if (typeof trailerHash !== "string" || !SHA256_HEX.test(trailerHash) || typeof trailerSignature !== "string" || !SHA256_HEX.test(trailerSignature))
				refuse(ctx, "trailer", "streamed body without valid trailers X-Ivxs-Content-Sha256 and X-Ivxs-Trailer-Signature");
			if (!sameHex(hashHex, trailerHash)) refuse(ctx, "body-hash", "streamed body does not match its X-Ivxs-Content-Sha256 trailer");
			if (!sameHex(trailerSignatureOf(hmacSha256, key, signature, trailerHash), trailerSignature)) refuse(ctx, "trailer", "X-Ivxs-Trailer-Signature does not match");
		},
	};
}

/** Records a nonce; false when the device already used it (and it has not expired). */
export async function spendNonce(sql: Sql, device: string, nonce: string, expires: number): Promise<boolean> {
	return (await sql.run("INSERT INTO device_nonces (device, nonce, expires) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [device, nonce, expires])).changes === 1;
}

/** Drops nonces whose requests the time check refuses anyway (a scan a minute: no index to keep up per request). */
export async function purgeNonces(sql: Sql, now = Date.now()): Promise<number> {
	return (await sql.run("DELETE FROM device_nonces WHERE expires < ?", [now])).changes;
}
