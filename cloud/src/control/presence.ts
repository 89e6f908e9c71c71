// Presence and status from the devices: ivxs/+/presence (retained, and the
// last will says offline when a connection dies) and ivxs/+/status
// (retained). Kept in the metadata so every instance answers from it; on the
// async data layer (meta/sql.ts), but for `forgetPresence`, which runs inside
// device removal's (still synchronous) transaction.
import type { CloudContext } from "../context.js";
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";
import { findDevice } from "../devices/registry.js";
import { ensurePlan } from "./plans.js";
import { everyDevice, MAX_RETAINED_BYTES, parseTopic } from "./topics.js";

defineMigrations("presence", [`
CREATE TABLE IF NOT EXISTS presence (
	device TEXT PRIMARY KEY,
	online INTEGER NOT NULL,
	since INTEGER NOT NULL,
	status TEXT
);`]);

export interface Presence {
	online: boolean;
	since: number;
	status: unknown;
}

export async function presenceOf(sql: Sql, device: string): Promise<Presence | undefined> {
	const row = await sql.get<any>("SELECT * FROM presence WHERE device = ?", [device]);
	return row ? { online: !!row.online, since: row.since, status: row.status ? JSON.parse(row.status) : null } : undefined;
}

const json = (payload: Buffer): Record<string, unknown> | undefined => {
	try {
		const value = JSON.parse(payload.toString("utf8"));
		return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
	}
	catch {
		return undefined;
	}
};

export async function followPresence(ctx: CloudContext): Promise<void> {
	const bus = ctx.bus!;
	// Stored one after the other in the order received (an "offline" last will
	// must not overtake the "online" before it); the bus does not wait, failures are logged.
	let stored = Promise.resolve();
	const store = (kind: string, work: () => Promise<void>) =>
		stored = stored.then(work).catch((error) => ctx.log.error({ err: error }, `device ${kind} not stored`));
	await bus.subscribe(everyDevice("presence"), (topic, payload) => {
		const device = parseTopic(topic)?.device;
		if (!device || !payload.length) return;
		const message = json(payload);
		if (!message || typeof message.online !== "boolean") return void ctx.log.warn({ device, topic }, "presence message is not { online: bool }");
		store("presence", () => recordPresence(ctx, device, message.online as boolean));
	});
	await bus.subscribe(everyDevice("status"), (topic, payload) => {
		const device = parseTopic(topic)?.device;
		if (!device || !payload.length || payload.length > MAX_RETAINED_BYTES) return;
		const message = json(payload);
		if (message) store("status", () => recordStatus(ctx.sql, device, message));
	});
}

async function recordPresence(ctx: CloudContext, device: string, online: boolean): Promise<void> {
	if (!await findDevice(ctx.sql, device)) return;
	// `since` changes only when the state does (a repeated "online" keeps it).
	await ctx.sql.run(`INSERT INTO presence (device, online, since) VALUES (?, ?, ?)
		ON CONFLICT (device) DO UPDATE SET since = CASE WHEN presence.online = excluded.online THEN presence.since ELSE excluded.since END, online = excluded.online`,
		[device, online ? 1 : 0, Date.now()]);
	ctx.log.info({ device, online }, "device presence");
	// A device added from the CLI gets its default plan when it first shows up.
	if (online) ensurePlan(ctx, device).catch((error) => ctx.log.error({ err: error, device }, "default plan not published"));
}

async function recordStatus(sql: Sql, device: string, message: Record<string, unknown>): Promise<void> {
	if (!await findDevice(sql, device)) return;
	await sql.run(`INSERT INTO presence (device, online, since, status) VALUES (?, 1, ?, ?)
		ON CONFLICT (device) DO UPDATE SET status = excluded.status`, [device, Date.now(), JSON.stringify(message)]);
}

/** Every device offline since `now` (the embedded broker starts or stops: nobody is connected). */
export async function allOffline(sql: Sql, now: number): Promise<void> {
	await sql.run("UPDATE presence SET online = 0, since = ? WHERE online = 1", [now]);
}

export async function forgetPresence(tx: Sql, device: string): Promise<number> {
	return (await tx.run("DELETE FROM presence WHERE device = ?", [device])).changes;
}

export async function onlineCount(sql: Sql): Promise<number> {
	return (await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM presence WHERE online = 1"))!.n;
}
