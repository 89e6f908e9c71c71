/**
 * What a host gives OTA (its `ota` in ivxs/platform, platform.d.ts): the slot record, crypto, a
 * few small records and each slot's payload storage. Types only, here rather than in
 * platform.d.ts so that modules/ota compiles on every build (the Moddable builds' "ivxs/platform"
 * is platform/moddable.ts). Two implementations: files on the Linux host (file-slots.ts), flash
 * partitions on Moddable ESP32 builds (modules/app/platform/moddable-ota.ts).
 */
import type { PayloadKind } from "../protocol/bundle.js";

/** The host's slot record: which slot runs, which waits for its trial, how the last ended. */
export interface OtaRecord {
	active: string; activeVersion: string; pending: string; pendingVersion: string;
	trialSlot: string; trialVersion: string; result: string; reason: string;
	failedVersion: string; failures: number; deadline: number;
	/** This boot is a trial. */
	trial: boolean;
}

/** Writes a slot's payload in order from where it was opened. */
export interface PayloadWriter {
	write(bytes: Uint8Array): void;
	/** Everything written so far is durable (and, on flash, counted as good). */
	sync(): void;
	close(): void;
}

/** One slot's payload storage: a file on Linux, a flash partition on a board. Only ever the
 * slot that is not running (the updater's rule). */
export interface SlotPayload {
	/** The most payload bytes the slot can hold (a partition's size; Infinity for a file). */
	capacity(): number;
	/** Bytes of the download in progress known to be written (Linux: the file's length; flash:
	 * the last progress mark). Which download it is, is the updater's record. */
	good(): number;
	read(offset: number, length: number): Uint8Array;
	/** Writes from `offset` on: 0 (afresh, after clear()) or good() (a resume). */
	open(offset: number): PayloadWriter;
	/** Forgets what the slot holds (the next download begins afresh). */
	clear(): void;
	/** The whole, verified payload (`size` bytes) becomes what the slot boots: Linux unpacks its
	 * module archive into the slot's root; on a board the mod archive already lies where XS maps it. */
	install(size: number): void;
}

export interface OtaSlots {
	/** What payload this host takes: compiled modules (Linux) or a mod archive (boards). */
	readonly kind: PayloadKind;
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
	/** Small text records kept across power cuts, each read back whole or not at all: the
	 * updater's "keys" (rotations) and "download-a" / "download-b" (which download a slot holds). */
	readRecord(name: string): string | undefined;
	/** Replaces a record (undefined removes it). */
	writeRecord(name: string, text: string | undefined): void;
	payload(slot: "a" | "b"): SlotPayload;
}
