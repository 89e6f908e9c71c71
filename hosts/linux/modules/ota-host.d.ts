declare module "ivxs/ota-host" {
	export interface OtaRecord {
		/** "", "a" or "b": the confirmed slot ("" = the build's own modules) and its version. */
		active: string; activeVersion: string;
		/** A written, verified slot waiting for the next boot. */
		pending: string; pendingVersion: string;
		/** The slot on trial (set while this boot or an unfinished one tries it). */
		trialSlot: string; trialVersion: string;
		/** How the last update ended: "", "confirmed" or "rolled-back" (with its reason). */
		result: string; reason: string;
		/** The version whose trials failed and how many times in a row. */
		failedVersion: string; failures: number;
		/** Seconds a trial has to confirm before the host's watchdog ends it. */
		deadline: number;
		/** This boot is a trial. */
		trial: boolean;
		/** The host's data folder (slots live in <folder>/ota/a and /b). */
		folder: string;
	}
	export function status(): OtaRecord;
	export function stage(slot: "" | "a" | "b", version: string, deadlineSeconds?: number): void;
	export function confirm(): void;
	export function fail(reason: string): void;
}
