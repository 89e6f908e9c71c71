// Presence and status from the devices: ivxs/+/presence (retained, and the
// last will says offline when a connection dies) and ivxs/+/status
// (retained). Kept in the metadata so every instance answers from it.
import type { CloudContext } from "../context.js";
import { defineMigrations, statement, type Db } from "../meta/db.js";
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

export function presenceOf(db: Db, device: string): Presence | undefined {
	const row = statement(db, "SELECT * FROM presence WHERE device = ?").get(device) as any;
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
	await bus.subscribe(everyDevice("presence"), (topic, payload) => {
		const device = parseTopic(topic)?.device;
		if (!device || !payload.length) return;
		const message = json(payload);
		if (!message || typeof message.online !== "boolean") return void ctx.log.warn({ device, topic }, "presence message is not { online: bool }");
		if (!findDevice(ctx.db, device)) return;
		const now = Date.now();
		// `since` changes only when the state does (a repeated "online" keeps it).
		ctx.db.prepare(`INSERT INTO presence (device, online, since) VALUES (?, ?, ?)
			ON CONFLICT (device) DO UPDATE SET since = CASE WHEN online = excluded.online THEN since ELSE excluded.since END, online = excluded.online`)
			.run(device, message.online ? 1 : 0, now);
		ctx.log.info({ device, online: message.online }, "device presence");
		// A device added from the CLI gets its default plan when it first shows up.
		if (message.online) ensurePlan(ctx, device).catch((error) => ctx.log.error({ err: error, device }, "default plan not published"));
	});
	await bus.subscribe(everyDevice("status"), (topic, payload) => {
		const device = parseTopic(topic)?.device;
		if (!device || !payload.length || payload.length > MAX_RETAINED_BYTES) return;
		const message = json(payload);
		if (!message || !findDevice(ctx.db, device)) return;
		ctx.db.prepare(`INSERT INTO presence (device, online, since, status) VALUES (?, 1, ?, ?)
			ON CONFLICT (device) DO UPDATE SET status = excluded.status`).run(device, Date.now(), JSON.stringify(message));
	});
}

/** Every device offline since `now` (the embedded broker starts or stops: nobody is connected). */
export function allOffline(db: Db, now: number): void {
	db.prepare("UPDATE presence SET online = 0, since = ? WHERE online = 1").run(now);
}

export function forgetPresence(db: Db, device: string): number {
	return db.prepare("DELETE FROM presence WHERE device = ?").run(device).changes;
}

export function onlineCount(db: Db): number {
	return (db.prepare("SELECT COUNT(*) AS n FROM presence WHERE online = 1").get() as { n: number }).n;
}
