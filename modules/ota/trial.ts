/**
 * The trial boot of a new app layer: the app confirms it once every health check passes
 * (cloud reachable, capture running, uploads going — the app chooses), within `withinS` seconds;
 * otherwise the host's record rolls back now and the app ends so the next boot runs the
 * previous slot. The host's watchdog (hosts/linux/src/ota.c) covers what JS cannot: a hang, a
 * crash, an exception at boot.
 */
import type { OtaRecord, OtaSlots } from "./slots.js";
import type { OtaReport } from "../protocol/ota.js";

export type { OtaReport };

/** The record as a report (before any download of this run). */
export function reportOf(record: OtaRecord): OtaReport {
	if (record.trial) return { version: record.trialVersion, slot: record.trialSlot, state: "trial" };
	const base = { version: record.activeVersion, slot: record.active };
	if (record.pending) return { ...base, state: "staged", target: record.pendingVersion };
	if (record.result === "rolled-back") return { ...base, state: "rolled-back", reason: record.reason, target: record.failedVersion };
	if (record.result === "confirmed") return { ...base, state: "confirmed" };
	return { ...base, state: "idle" };
}

export interface TrialOptions {
	slots: OtaSlots;
	/** Named checks, all of which must hold at once to confirm. */
	checks: Record<string, () => boolean>;
	/** Seconds the checks have (default: the record's deadline less 10 %, so JS answers before the watchdog). */
	withinS?: number;
	timer: { repeat(callback: () => void, interval: number): unknown; clear(timer: unknown): void };
	monotonic: () => number;
	report: (report: OtaReport) => void;
	/** The trial failed and the record is rolled back: the app should end (the host restarts it). */
	onFailed: (reason: string) => void;
	/** How often the checks run (ms, default 500). */
	everyMs?: number;
}

/** Starts the trial's checks when this boot is a trial; reports the record either way. */
export function superviseTrial(o: TrialOptions): void {
	const record = o.slots.status();
	o.report(reportOf(record));
	if (!record.trial) return;
	const withinMs = (o.withinS ?? Math.max(1, Math.floor(record.deadline * 0.9))) * 1000;
	const started = o.monotonic();
	const timer = o.timer.repeat(() => {
		const failing = Object.keys(o.checks).filter((name) => {
			try {
				return !o.checks[name]();
			}
			catch {
				return true;
			}
		});
		if (!failing.length) {
			o.timer.clear(timer);
			o.slots.confirm();
			o.report({ version: record.trialVersion, slot: record.trialSlot, state: "confirmed" });
			return;
		}
		if (o.monotonic() - started < withinMs) return;
		o.timer.clear(timer);
		const reason = `health check failed within ${withinMs / 1000} s: ${failing.join(", ")}`;
		o.slots.fail(reason);
		const after = o.slots.status();
		o.report({ version: after.activeVersion, slot: after.active, state: "rolled-back", reason, target: record.trialVersion });
		o.onFailed(reason);
	}, o.everyMs ?? 500);
}
