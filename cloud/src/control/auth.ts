// Device sign-in on the control channel (PROTOCOL.md §5): user name = client
// id = device id, password = "<unix s>:<nonce hex>:<hex HMAC-SHA256(K_sign,
// "MQTT\n<id>\n<unix s>\n<nonce>")>". Checked like a signed HTTP request: the
// time within the accepted skew, the nonce never seen before for this device
// within twice the skew (kept in the metadata, so instances sharing it share
// the replay window), the HMAC with the device's signing key.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { CloudContext } from "../context.js";
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";
import { deviceSigningKey, hmacSha256 } from "../auth/device-keys.js";
import { mqttPassword as signedPassword, mqttToSign, parseMqttPassword } from "../../../modules/protocol/signing.js";
import { findDevice, type Device } from "../devices/registry.js";

defineMigrations("mqtt_nonces", [`
CREATE TABLE IF NOT EXISTS mqtt_nonces (
	device TEXT NOT NULL,
	nonce TEXT NOT NULL,
	time INTEGER NOT NULL,
	PRIMARY KEY (device, nonce)
);
CREATE INDEX IF NOT EXISTS mqtt_nonces_time ON mqtt_nonces (time);`]);

/** The CONNECT password a device sends (what a camera computes; used by the simulators and tests). */
export function mqttPassword(id: string, secret: string, timeS = Math.floor(Date.now() / 1000), nonce = randomBytes(16).toString("hex")): string {
	return signedPassword(hmacSha256, deviceSigningKey(secret), id, timeS, nonce);
}

export class DeviceAuthError extends Error {
	override name = "DeviceAuthError";
}

/** The device, or a DeviceAuthError saying why not (logged, never sent: CONNACK carries only a code). */
export async function checkMqttPassword(ctx: CloudContext, clientId: string, username: string | undefined, password: string, now = Date.now()): Promise<Device> {
	if (username !== clientId) throw new DeviceAuthError("user name and client id must both be the device id");
	const device = await findDevice(ctx.sql, clientId);
	if (!device) throw new DeviceAuthError("unknown device");
	if (device.disabled) throw new DeviceAuthError("device disabled");
	const fields = parseMqttPassword(password);
	if (!fields) throw new DeviceAuthError("password is not <unix s>:<nonce hex>:<hmac hex>");
	const { time, nonce, signature } = fields;
	const skewS = ctx.config.signatureSkewS;
	if (Math.abs(Number(time) - now / 1000) > skewS) throw new DeviceAuthError(`time ${time} is more than ${skewS} s from the cloud's clock`);
	const want = Buffer.from(hmacSha256(deviceSigningKey(device.secret), mqttToSign(device.id, Number(time), nonce)) as Uint8Array);
	if (!timingSafeEqual(want, Buffer.from(signature, "hex"))) throw new DeviceAuthError("signature does not match");
	if (!await rememberNonce(ctx.sql, device.id, nonce, now, skewS)) throw new DeviceAuthError("nonce already used (replay)");
	return device;
}

/** Records a sign-in's nonce; false when the device already used it (within twice the skew). Exported for the contract suite. */
export async function rememberNonce(sql: Sql, device: string, nonce: string, now: number, skewS: number): Promise<boolean> {
	await sql.run("DELETE FROM mqtt_nonces WHERE time < ?", [now - 2 * skewS * 1000]);
	return (await sql.run("INSERT INTO mqtt_nonces (device, nonce, time) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [device, nonce, now])).changes === 1;
}
