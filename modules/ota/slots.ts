/**
 * What a host gives OTA (its `ota` in ivxs/platform, platform.d.ts): the slot record and the file
 * and crypto services the updater uses. Types only, here rather than in platform.d.ts so that
 * modules/ota compiles on Moddable builds too, where "ivxs/platform" is platform/moddable.ts
 * (which has no slots yet).
 */
/** The host's slot record: which slot runs, which waits for its trial, how the last ended. */
export interface OtaRecord {
	active: string; activeVersion: string; pending: string; pendingVersion: string;
	trialSlot: string; trialVersion: string; result: string; reason: string;
	failedVersion: string; failures: number; deadline: number;
	/** This boot is a trial. */
	trial: boolean;
	/** The data folder: slots live in <folder>/ota/a and /b. */
	folder: string;
}
export interface OtaWriter {
	readonly written: number;
	write(chunks: (ArrayBuffer | ArrayBufferView)[]): void;
	truncate(length: number): void;
	sync(): void;
	close(): void;
}
export interface OtaSlots {
	/** What payload this host takes: compiled modules (Linux) or a mod archive (boards). */
	readonly kind: "ivxs-modules" | "xsa";
	status(): OtaRecord;
	stage(slot: "" | "a" | "b", version: string, deadlineSeconds?: number): void;
	confirm(): void;
	fail(reason: string): void;
	/** The host ABI bundles must name (16 hex digits). */
	abi(): string;
	sha256(data: Uint8Array): ArrayBuffer;
	/** ECDSA P-256 with SHA-256 over message (public key 65 bytes, signature r || s). */
	verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
	digest(): { update(data: Uint8Array): unknown; digest(): ArrayBuffer; close(): void };
	readFile(path: string, options?: { maxBytes?: number; offset?: number }): ArrayBuffer;
	fileSize(path: string): number | undefined;
	openWriter(path: string, append: boolean): OtaWriter;
	makeDirectory(path: string): void;
	removeTree(path: string): void;
	rename(from: string, to: string): void;
	replaceFile(path: string, data: Uint8Array): void;
}
