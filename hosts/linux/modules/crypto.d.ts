// The host's crypto is what ivxs/platform promises an app (modules/app/platform.d.ts, the one
// declaration of Digest, sha256 and hmacSha256), plus an incremental HMAC.
declare module "ivxs/crypto" {
	export { Digest, sha256, hmacSha256, hmacSha1, md5, type Bytes, type Data } from "ivxs/platform";
	import type { Bytes, Data } from "ivxs/platform";
	export class HMAC {
		constructor(key: Bytes, algorithm?: "SHA256" | "SHA1");
		update(data: Data): this;
		digest(): ArrayBuffer;
		close(): void;
	}
}
