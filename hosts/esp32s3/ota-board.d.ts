declare module "ivxs/ota-board" {
	/** Decides the boot (a pending slot's trial, a failed trial's rollback) and maps the chosen slot's
	 * mod archive: its modules, app/camera first, are found before the firmware's. The slot mapped,
	 * or "" (none installed, or not an archive XS takes). Once per boot, before the main module. */
	export function map(): "" | "a" | "b";
	/** The record as the boot left it (hosts/ota-core's fields); `trial`: this boot is one. */
	export function status(): {
		active: string; activeVersion: string; pending: string; pendingVersion: string;
		trialSlot: string; trialVersion: string; result: string; reason: string;
		failedVersion: string; failures: number; deadline: number; trial: boolean;
	};
	/** A written, verified slot boots next ("" takes a pending one back); throws when NVS refuses. */
	export function stage(slot: "" | "a" | "b", version: string, deadlineSeconds: number): void;
	/** The trial slot becomes the active one; the trial's timer stops. */
	export function confirm(): void;
	/** The trial failed: the record rolls back now (the reason kept); restart() boots the previous slot. */
	export function fail(reason: string): void;
	/** esp_restart(): the board's supervisor (ivxs/platform's exit()). */
	export function restart(): void;
}
