// Types for the Moddable SDK modules ivxs/platform uses that @moddable/typings
// lacks (SDK 8.2.3: modules/crypt/digest/crypt.js, modules/crypt/etc/hmac.js).
declare module "crypt" {
	type Bytes = string | ArrayBuffer | ArrayBufferView;
	export class Digest {
		constructor(type: "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512" | "MD5");
		write(data: Bytes): void;
		/** The digest; the context is spent until reset(). */
		close(): ArrayBuffer;
		reset(): void;
		readonly blockSize: number;
		readonly outputSize: number;
	}
}
declare module "hmac" {
	import type { Digest } from "crypt";
	type Bytes = string | ArrayBuffer | ArrayBufferView;
	export default class HMAC {
		constructor(digest: Digest, key: ArrayBuffer, bitlen?: number);
		update(...data: Bytes[]): void;
		close(): ArrayBuffer;
		reset(): void;
	}
}
