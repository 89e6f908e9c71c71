// Storage plans (PROTOCOL.md §5): one per device, kept in the metadata with a
// revision, and published retained on ivxs/<id>/plan so a camera that
// (re)connects gets the current one from the broker without asking.
import type { CloudContext } from "../context.js";
import { defineMigrations, type Db } from "../meta/db.js";
import { HttpError } from "../http/router.js";
import { findDevice } from "../devices/registry.js";
import { topicOf } from "./topics.js";
import { applyPlan, defaultPlan, PlanError, type Plan } from "../../../modules/protocol/plan.js";

defineMigrations("plans", [`
CREATE TABLE IF NOT EXISTS plans (
	device TEXT PRIMARY KEY,
	plan TEXT NOT NULL,
	rev INTEGER NOT NULL,
	updated INTEGER NOT NULL
);`]);

/** A new device's plan: all its channels (the schema and defaults are the protocol's). */
export { defaultPlan };

/**
 * A plan from `current` with `change` applied (a partial plan: the keys it
 * names), checked by the protocol's one validator; a refusal is a 400 saying
 * what is wrong. `push` follows the mode (continuous pushes; none and event wait) unless given.
 */
export function mergePlan(current: Omit<Plan, "rev">, change: Record<string, unknown>, deviceChannels: number): Omit<Plan, "rev"> {
	try {
		return applyPlan(current, change, { channels: deviceChannels, strict: true });
	}
	catch (error) {
		if (error instanceof PlanError) throw new HttpError(400, error.message);
		throw error;
	}
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

export function deletePlan(db: Db, device: string): number {
	return db.prepare("DELETE FROM plans WHERE device = ?").run(device).changes;
}
