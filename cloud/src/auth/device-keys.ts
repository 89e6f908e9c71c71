// Keys derived from a device's secret (labels and rule: modules/protocol/keys.ts),
// and the node:crypto HMAC the protocol package is given in Node (the cloud, the
// simulator, the tests). The secret itself never goes on the wire.
import { createHmac } from "node:crypto";
import { type Bytes, type HmacSha256, signingKey } from "../../../modules/protocol/keys.js";

const binary = (data: Bytes) => (data instanceof ArrayBuffer ? new Uint8Array(data) : data);

export const hmacSha256: HmacSha256 = (key, data) => {
	const mac = createHmac("sha256", binary(key));
	for (const part of (Array.isArray(data) ? data : [data]) as Bytes[]) mac.update(binary(part));
	return mac.digest();
};

export const hmacHex = (key: Bytes, data: Bytes | readonly Bytes[]): string => Buffer.from(hmacSha256(key, data) as Uint8Array).toString("hex");

export const deviceSigningKey = (secret: string): Buffer => Buffer.from(signingKey(hmacSha256, secret));
