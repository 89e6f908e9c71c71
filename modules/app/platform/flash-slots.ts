/**
 * The OTA slots (modules/ota/slots.ts) of a board whose app layer is a mod archive in one of two
 * flash partitions: slot a is "xs_a", slot b "xs_b" (hosts/esp32s3/partitions.csv). The payload
 * goes through flash-payload.ts, the small records through board-records.ts; the slot record,
 * crypto and ABI are the host's (moddable-ota.ts binds the SDK's; tests/ota/board-slots.test.mjs
 * binds fakes with NOR semantics).
 */
import type { OtaRecord, OtaSlots } from "../../ota/slots.js";
import { BoardRecords, type KeyValueStore } from "./board-records.js";
import { FlashPayload, type FlashStorage } from "./flash-payload.js";

export interface FlashSlotsHost {
	/** The slot record (hosts/esp32s3/ota_slots.c). */
	record: {
		status(): OtaRecord;
		stage(slot: "" | "a" | "b", version: string, deadlineSeconds: number): void;
		confirm(): void;
		fail(reason: string): void;
	};
	/** Opens a partition by label (embedded:storage/flash). */
	openFlash(path: string): FlashStorage;
	preference: KeyValueStore;
	abi(): string;
	sha256: OtaSlots["sha256"];
	verifyP256: OtaSlots["verifyP256"];
	digest: OtaSlots["digest"];
	/** Bytes between progress marks (default 64 KiB). */
	markEvery?: number;
}

export const SLOT_PARTITIONS = Object.freeze({ a: "xs_a", b: "xs_b" });

export function flashSlots(options: FlashSlotsHost): OtaSlots {
	const host = options;   // a const for the closures (XS: a preloaded closure keeps only consts)
	const records = () => new BoardRecords(host.preference);
	return Object.freeze({
		kind: "xsa" as const,
		status: () => host.record.status(),
		stage: (slot: "" | "a" | "b", version: string, deadlineSeconds?: number) => host.record.stage(slot, version, deadlineSeconds ?? 120),
		confirm: () => host.record.confirm(),
		fail: (reason: string) => host.record.fail(reason.slice(0, 199)),   // the record keeps 199 characters
		abi: () => host.abi(),
		sha256: (data: Uint8Array) => host.sha256(data),
		verifyP256: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => host.verifyP256(publicKey, message, signature),
		digest: () => host.digest(),
		readRecord: (name: string) => records().read(name),
		writeRecord: (name: string, text: string | undefined) => records().write(name, text),
		payload: (slot: "a" | "b") => new FlashPayload({
			open: () => host.openFlash(SLOT_PARTITIONS[slot]),
			records: records(),
			mark: `good-${slot}`,
			markEvery: host.markEvery,
		}),
	});
}
