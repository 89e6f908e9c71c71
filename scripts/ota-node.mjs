// node:crypto for OTA bundles (modules/protocol/bundle.ts's injected BundleCrypto), for the
// signer and the tests. Keys travel as the uncompressed P-256 point in hex (FORMAT.md §Keys).
import { createHash, createPublicKey, verify } from "node:crypto";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** A KeyObject (public or private) → its 65-byte point, hex. */
export function publicKeyHex(key) {
	const { x, y } = (key.type === "public" ? key : createPublicKey(key)).export({ format: "jwk" });
	return `04${Buffer.from(x, "base64url").toString("hex")}${Buffer.from(y, "base64url").toString("hex")}`;
}

/** The 65-byte point → a KeyObject. */
export const publicKeyOf = (point) => createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) }, format: "jwk" });

export const nodeBundleCrypto = {
	sha256: (data) => new Uint8Array(createHash("sha256").update(data).digest()),
	verifyP256(point, message, signature) {
		if (point.length !== 65 || point[0] !== 4 || signature.length !== 64) return false;
		try {
			return verify("sha256", message, { key: publicKeyOf(point), dsaEncoding: "ieee-p1363" }, signature);
		}
		catch {
			return false;
		}
	},
};
