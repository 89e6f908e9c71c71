// Storage plans (PROTOCOL.md §5): one per device, kept in the metadata with a
// revision, and published retained on ivxs/<id>/plan so a camera that
// (re)connects gets the current one from the broker without asking.
import type { CloudContext } from "../context.js";
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";
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

export async function readPlan(sql: Sql, device: string): Promise<Plan | undefined> {
	const row = await sql.get<{ plan: string; rev: number }>("SELECT plan, rev FROM plans WHERE device = ?", [device]);
	return row ? { ...JSON.parse(row.plan), rev: row.rev } : undefined;
}

/** Stores a plan as the next revision (`expectRev`: refuse with 409 unless the current one is that). */
export function writePlan(sql: Sql, device: string, plan: Omit<Plan, "rev">, expectRev?: number): Promise<Plan> {
	return sql.transaction(async (tx) => {
		const current = await readPlan(tx, device);
		if (expectRev !== undefined && (current?.rev ?? 0) !== expectRev)
			throw new HttpError(409, `plan changed meanwhile: rev is ${current?.rev ?? 0}, not ${expectRev}`);
		const rev = (current?.rev ?? 0) + 1;
		const { rev: _drop, ...body } = plan as Plan;
		await tx.run("INSERT INTO plans (device, plan, rev, updated) VALUES (?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET plan = excluded.plan, rev = excluded.rev, updated = excluded.updated",
			[device, JSON.stringify(body), rev, Date.now()]);
		return { ...body, rev } as Plan;
	});
}

export async function publishPlan(ctx: CloudContext, device: string, plan: Plan): Promise<void> {
	if (!ctx.bus) throw new Error("control channel not connected");
	await ctx.bus.publish(topicOf(device, "plan"), JSON.stringify(plan), { retain: true, qos: 1 });
}

/** The device's plan; a new device gets the default one (stored and published). */
export async function ensurePlan(ctx: CloudContext, device: string): Promise<Plan | undefined> {
	const current = await readPlan(ctx.sql, device);
	if (current) return current;
	const found = await findDevice(ctx.sql, device);
	if (!found) return undefined;
	let plan: Plan;
	try {
		plan = await writePlan(ctx.sql, device, defaultPlan(found.channels), 0);
	}
	catch (error) {
		// Another instance wrote it first: that one publishes.
		if (error instanceof HttpError && error.status === 409) return readPlan(ctx.sql, device);
		throw error;
	}
	await publishPlan(ctx, device, plan);
	return plan;
}

/** The devices that have a stored plan. */
export async function plannedDevices(sql: Sql): Promise<string[]> {
	return (await sql.all<{ device: string }>("SELECT device FROM plans ORDER BY device")).map((row) => row.device);
}

export async function deletePlan(tx: Sql, device: string): Promise<number> {
	return (await tx.run("DELETE FROM plans WHERE device = ?", [device])).changes;
}
