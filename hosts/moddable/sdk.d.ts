// Types for the Moddable SDK modules ivxs/platform uses that @moddable/typings
// lacks (SDK 8.2.3: modules/crypt/digest/crypt.js, modules/crypt/etc/hmac.js, and
// ECMA-419 flash storage, whose SDK typings are typings/embedded/storage/flash.d.ts).
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
declare module "embedded:storage/flash" {
	export interface Flash {
		close(): void;
		/** Erases blocks start … end - 1 (default start + 1). */
		eraseBlock(start: number, end?: number): void;
		read(byteLength: number, byteOffset: number): ArrayBuffer;
		write(buffer: ArrayBuffer | Uint8Array | Uint8ClampedArray | DataView, byteOffset: number): void;
		status(): { size: number; blockLength: number; blocks: number };
		format: "buffer";
	}
	const FlashStorage: {
		/** A partition by label ("xs": the first 0x40/1 mod partition; "running", "nextota"; else a data partition). */
		open(options: { path: string; mode?: "r" | "r+" }): Flash;
	};
	export default FlashStorage;
}
