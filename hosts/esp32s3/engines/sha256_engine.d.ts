// ivxs/sha256 (Moddable builds): SHA-256 in the shape of the SDK's crypt Digest — the S3's
// accelerator on boards (sha256_engine.js), the SDK's Digest on mcsim (hosts/moddable/sha256_sdk.js).
export default class Sha256 {
	/** Hashes a string's UTF-8 bytes, or an ArrayBuffer's or a view's bytes. */
	write(data: string | ArrayBuffer | ArrayBufferView): void;
	/** The digest of everything written (32 bytes); the digest then starts over. */
	close(): ArrayBuffer;
	reset(): void;
}
