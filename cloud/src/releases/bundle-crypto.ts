// node:crypto for OTA bundles (modules/protocol/bundle.ts's injected BundleCrypto): the cloud's
// check at upload, and through scripts/ota-node.mjs the offline signer and the tests. Keys travel
// as the uncompressed P-256 point in hex (modules/ota/FORMAT.md §Keys).
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { keyIdOf, type BundleCrypto } from "../../../modules/protocol/bundle.js";

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

/** A KeyObject (public or private) → its 65-byte point, hex. */
export function publicKeyHex(key: KeyObject): string {
	const { x, y } = (key.type === "public" ? key : createPublicKey(key)).export({ format: "jwk" });
	return `04${Buffer.from(x!, "base64url").toString("hex")}${Buffer.from(y!, "base64url").toString("hex")}`;
}

/** The 65-byte point → a KeyObject. */
export const publicKeyOf = (point: Uint8Array): KeyObject =>
	createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) }, format: "jwk" });

export const nodeBundleCrypto: BundleCrypto = {
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

/** Public key files ({ keyId, key }, as keygen writes them) → { keyId: key }; throws naming the file that is wrong. */
export function readPublicKeys(files: readonly string[]): Record<string, string> {
	const keys: Record<string, string> = {};
	for (const file of files) {
		let parsed: { keyId?: unknown; key?: unknown };
		try {
			parsed = JSON.parse(readFileSync(file, "utf8"));
		}
		catch (error) {
			throw new Error(`${file}: not a public key file (${(error as Error).message})`);
		}
		const { keyId, key } = parsed ?? {};
		if (typeof key !== "string" || !/^04[0-9a-f]{128}$/.test(key) || keyIdOf(Buffer.from(key, "hex"), nodeBundleCrypto) !== keyId)
			throw new Error(`${file}: not a P-256 public key file ({ "keyId", "key" } from npm run sign-release -- keygen), or its keyId is not its key's`);
		keys[keyId] = key;
	}
	return keys;
}
