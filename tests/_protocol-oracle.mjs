// The tests' one independent implementation of the device protocol, written from
// cloud/PROTOCOL.md (§1 keys, §2 signed requests, §5 MQTT password) and
// native/p2p/PROTOCOL.md ("Tickets") with node:crypto — not from modules/protocol,
// which it checks (tests/protocol-oracle.test.mjs), and which the fake servers of
// tests/net and the brokers of cloud/tests verify devices with.
import { createHmac } from "node:crypto";

const hmac = (key, ...parts) => {
	const mac = createHmac("sha256", key);
	for (const part of parts) mac.update(part);
	return mac.digest();
};

/** §1: K_sign = HMAC-SHA256(key = UTF-8(secret), message = "ivxs device v1"). */
export const kSign = (secret) => hmac(secret, "ivxs device v1");

/** §2: the six lines of S, joined by "\n". */
export const stringToSign = (method, pathAndQuery, time, nonce, contentSha256) =>
	`IVXS-HMAC-SHA256\n${method}\n${pathAndQuery}\n${time}\n${nonce}\n${contentSha256}`;

export const signature = (secret, method, pathAndQuery, time, nonce, contentSha256) =>
	hmac(kSign(secret), stringToSign(method, pathAndQuery, time, nonce, contentSha256)).toString("hex");

export const trailerSignature = (secret, signatureHex, bodySha256) => hmac(kSign(secret), `${signatureHex}\n${bodySha256}`).toString("hex");

/** §2's Authorization value → its fields, or undefined. */
export function parseAuthorization(value) {
	const match = /^IVXS-HMAC-SHA256 Device=([a-z0-9][a-z0-9_-]{0,63}), Time=(\d+), Nonce=([0-9a-f]{16,64}), Signature=([0-9a-f]{64})$/.exec(value ?? "");
	return match && { device: match[1], time: match[2], nonce: match[3], signature: match[4] };
}

/** §2.1: the cloud's answer to a time request signed with `nonce`: { time, signature over "IVXS-TIME\n<id>\n<nonce>\n<time>" }. */
export const cloudTimeAnswer = (secret, id, nonce, timeMs) => ({ time: timeMs, signature: hmac(kSign(secret), `IVXS-TIME\n${id}\n${nonce}\n${timeMs}`).toString("hex") });

/** §5: `<unix s>:<nonce>:<hex HMAC-SHA256(K_sign, "MQTT\n<id>\n<unix s>\n<nonce>")>`. */
export const mqttPassword = (secret, id, time, nonce) => `${time}:${nonce}:${hmac(kSign(secret), `MQTT\n${id}\n${time}\n${nonce}`).toString("hex")}`;

/** Whether `password` is a valid §5 password of device `id`, now (± 300 s). */
export function mqttPasswordValid(secret, id, password, nowS = Date.now() / 1000) {
	const [time, nonce] = String(password).split(":");
	return /^\d+$/.test(time ?? "") && /^[0-9a-f]{16,64}$/.test(nonce ?? "") && Math.abs(nowS - Number(time)) <= 300
		&& mqttPassword(secret, id, time, nonce) === password;
}

/** native/p2p/PROTOCOL.md: a 76-byte ticket and its psk; ids are ASCII, zero-padded to 16. */
export function mintTicket(deviceSecret, deviceId, viewerId, rights, expiry) {
	const kt = hmac(deviceSecret, "ivxs p2p ticket v1");
	const body = Buffer.alloc(44);
	body[0] = 1;
	body[1] = rights;
	body.writeBigUInt64BE(BigInt(expiry), 4);
	Buffer.from(deviceId, "ascii").copy(body, 12);
	Buffer.from(viewerId, "ascii").copy(body, 28);
	const mac = hmac(kt, body);
	return { ticket: Buffer.concat([body, mac]), psk: hmac(kt, "ivxs p2p psk v1", mac) };
}
