// Storage plans (PROTOCOL.md §5): one per device, kept in the metadata with a
// revision, and published retained on ivxs/<id>/plan so a camera that
// (re)connects gets the current one from the broker without asking.
import type { CloudContext } from "../context.js";
import { defineSchema, type Db } from "../meta/db.js";
import { HttpError } from "../http/router.js";
import { findDevice } from "../devices/registry.js";
import { topicOf } from "./topics.js";

defineSchema("plans", `
CREATE TABLE IF NOT EXISTS plans (
	device TEXT PRIMARY KEY,
	plan TEXT NOT NULL,
	rev INTEGER NOT NULL,
	updated INTEGER NOT NULL
);`);

export type Mode = "none" | "continuous" | "event";

export interface Plan {
	v: 1;
	rev: number;
	mode: Mode;
	/** SPEC §1 onStart (true) / onStop (false): whether the camera uploads now. */
	push: boolean;
	preRollS: number;
	postRollS: number;
	maxClipS: number;
	retentionDays: number;
	segmentS: number;
	snapshotIntervalS: number;
	channels: number[];
}

export const defaultPlan = (channels: number): Omit<Plan, "rev"> => ({
	v: 1, mode: "continuous", push: true, preRollS: 5, postRollS: 10, maxClipS: 300, retentionDays: 7,
	segmentS: 2, snapshotIntervalS: 300, channels: Array.from({ length: channels }, (_, i) => i),
});

const ranges: Record<string, [number, number]> = {
	preRollS: [0, 60], postRollS: [0, 600], maxClipS: [1, 3600], retentionDays: [1, 3650], segmentS: [1, 10], snapshotIntervalS: [60, 86400],
};
const editable = new Set([...Object.keys(ranges), "mode", "push", "channels", "rev", "v"]);

/**
 * A plan from `current` with `change` applied (a partial plan: the keys it
 * names), checked; throws HttpError 400 saying what is wrong. `push` follows
 * the mode (continuous pushes; none and event wait) unless given.
 */
export function mergePlan(current: Omit<Plan, "rev">, change: Record<string, unknown>, deviceChannels: number): Omit<Plan, "rev"> {
	for (const key of Object.keys(change)) if (!editable.has(key)) throw new HttpError(400, `unknown plan field "${key}"`);
	if (change.v !== undefined && change.v !== 1) throw new HttpError(400, "plan version v must be 1");
	const plan = { ...current };
	if (change.mode !== undefined) {
		if (change.mode !== "none" && change.mode !== "continuous" && change.mode !== "event") throw new HttpError(400, "mode must be none, continuous or event");
		plan.mode = change.mode;
		plan.push = change.mode === "continuous";
	}
	if (change.push !== undefined) {
		if (typeof change.push !== "boolean") throw new HttpError(400, "push must be true or false");
		plan.push = change.push;
	}
	for (const [key, [min, max]] of Object.entries(ranges)) {
		const value = change[key];
		if (value === undefined) continue;
		if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new HttpError(400, `${key} must be an integer in ${min}..${max}`);
		(plan as Record<string, unknown>)[key] = value;
	}
	if (change.channels !== undefined) {
		const channels = change.channels;
		if (!Array.isArray(channels) || channels.some((c) => !Number.isInteger(c) || c < 0 || c >= deviceChannels) || new Set(channels).size !== channels.length)
			throw new HttpError(400, `channels must be distinct channel numbers in 0..${deviceChannels - 1}`);
		plan.channels = [...channels].sort((a, b) => a - b);
	}
	if (plan.maxClipS < plan.preRollS + plan.postRollS) throw new HttpError(400, "maxClipS must be at least preRollS + postRollS");
	return plan;
}

export function readPlan(db: Db, device: string): Plan | undefined {
	const row = db.prepare("SELECT plan, rev FROM plans WHERE device = ?").get(device) as { plan: string; rev: number } | undefined;
	return row ? { ...JSON.parse(row.plan), rev: row.rev } : undefined;
}

/** Stores a plan as the next revision (`expectRev`: refuse with 409 unless the current one is that). */
export function writePlan(db: Db, device: string, plan: Omit<Plan, "rev">, expectRev?: number): Plan {
	return db.transaction(() => {
		const current = readPlan(db, device);
		if (expectRev !== undefined && (current?.rev ?? 0) !== expectRev)
			throw new HttpError(409, `plan changed meanwhile: rev is ${current?.rev ?? 0}, not ${expectRev}`);
		const rev = (current?.rev ?? 0) + 1;
		const { rev: _drop, ...body } = plan as Plan;
		db.prepare("INSERT INTO plans (device, plan, rev, updated) VALUES (?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET plan = excluded.plan, rev = excluded.rev, updated = excluded.updated")
			.run(device, JSON.stringify(body), rev, Date.now());
		return { ...body, rev };
	}).immediate();
}

export async function publishPlan(ctx: CloudContext, device: string, plan: Plan): Promise<void> {
	if (!ctx.bus) throw new Error("control channel not connected");
	await ctx.bus.publish(topicOf(device, "plan"), JSON.stringify(plan), { retain: true, qos: 1 });
}

/** The device's plan; a new device gets the default one (stored and published). */
export async function ensurePlan(ctx: CloudContext, device: string): Promise<Plan | undefined> {
	const current = readPlan(ctx.db, device);
	if (current) return current;
	const found = findDevice(ctx.db, device);
	if (!found) return undefined;
	let plan: Plan;
	try {
		plan = writePlan(ctx.db, device, defaultPlan(found.channels), 0);
	}
	catch (error) {
		// Another instance wrote it first: that one publishes.
		if (error instanceof HttpError && error.status === 409) return readPlan(ctx.db, device);
		throw error;
	}
	await publishPlan(ctx, device, plan);
	return plan;
}

/** The devices that have a stored plan. */
export function plannedDevices(db: Db): string[] {
	return (db.prepare("SELECT device FROM plans ORDER BY device").all() as { device: string }[]).map((row) => row.device);
}

export function deletePlan(db: Db, device: string): void {
	db.prepare("DELETE FROM plans WHERE device = ?").run(device);
}

/** The device is gone: its retained plan is cleared (an empty retained message). */
export async function forgetPlan(ctx: CloudContext, device: string): Promise<void> {
	deletePlan(ctx.db, device);
	await ctx.bus?.publish(topicOf(device, "plan"), "", { retain: true, qos: 1 });
}
