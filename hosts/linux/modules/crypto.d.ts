declare module "ivxs/crypto" {
	export type Bytes = string | ArrayBuffer | ArrayBufferView;
	/** A string (UTF-8), a buffer, or a scatter list of them. */
	export type Data = Bytes | readonly Bytes[];
	export class Digest {
		constructor(algorithm?: "SHA256");
		update(data: Data): this;
		/** The digest (32 bytes); the context starts over. */
		digest(): ArrayBuffer;
		close(): void;
	}
	export class HMAC {
		constructor(key: Bytes, algorithm?: "SHA256");
		update(data: Data): this;
		digest(): ArrayBuffer;
		close(): void;
	}
	export function sha256(data: Data): ArrayBuffer;
	export function hmacSha256(key: Bytes, data: Data): ArrayBuffer;
}
