// The host's crypto is what ivxs/platform promises an app (modules/app/platform.d.ts, the one
// declaration of Digest, sha256 and hmacSha256), plus an incremental HMAC.
declare module "ivxs/crypto" {
	export { Digest, sha256, hmacSha256, hmacSha1, md5, type Bytes, type Data } from "ivxs/platform";
	import type { Bytes, Data } from "ivxs/platform";
	/** An ECDSA P-256 signature (r || s, 64 bytes) over a SHA-256 digest, against an uncompressed
	 * public key (65 bytes): true when it verifies (modules/ota/FORMAT.md). */
	export function ecdsaP256Verify(publicKey: ArrayBuffer | ArrayBufferView, digest: ArrayBuffer | ArrayBufferView, signature: ArrayBuffer | ArrayBufferView): boolean;
	export class HMAC {
		constructor(key: Bytes, algorithm?: "SHA256" | "SHA1");
		update(data: Data): this;
		digest(): ArrayBuffer;
		close(): void;
	}
}
