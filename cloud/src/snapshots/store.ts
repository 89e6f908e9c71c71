// The snapshots table: one row per picture, its object stored byte-identical.
// The one owner of its SQL: the snapshots routes, the devices list (latest
// picture), and retention (drops by age and size, the bytes kept).
import { defineMigrations, distinctValues, type Db } from "../meta/db.js";
import { addDropped, type DroppedKeys, type Oldest } from "../catalogue/index.js";
import type { Sql } from "../meta/sql.js";

defineMigrations("snapshots", [`
CREATE TABLE IF NOT EXISTS snapshots (
	device TEXT NOT NULL,
	channel INTEGER NOT NULL,
	time_ms INTEGER NOT NULL,
	key TEXT NOT NULL,
	bytes INTEGER NOT NULL,
	deleted INTEGER,
	PRIMARY KEY (device, channel, time_ms)
);
CREATE INDEX IF NOT EXISTS snapshots_live_age ON snapshots (device, time_ms) WHERE deleted IS NULL;
CREATE INDEX IF NOT EXISTS snapshots_live_time ON snapshots (time_ms) WHERE deleted IS NULL;
CREATE INDEX IF NOT EXISTS snapshots_live_key ON snapshots (key) WHERE deleted IS NULL;
CREATE INDEX IF NOT EXISTS snapshots_deleted ON snapshots (deleted) WHERE deleted IS NOT NULL;`]);

export interface SnapshotRow {
	time_ms: number;
	key: string;
	bytes: number;
	deleted: number | null;
}

/** The picture of a channel at `time` (deleted or not). */
export function snapshotAt(db: Db, device: string, channel: number, time: number): SnapshotRow | undefined {
	return db.prepare("SELECT time_ms, key, bytes, deleted FROM snapshots WHERE device = ? AND channel = ? AND time_ms = ?").get(device, channel, time) as SnapshotRow | undefined;
}

/** Stores (or replaces, undeleted) the picture of a channel at `time`. */
export function putSnapshot(db: Db, device: string, channel: number, time: number, key: string, bytes: number): void {
	db.prepare(`INSERT INTO snapshots (device, channel, time_ms, key, bytes) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (device, channel, time_ms) DO UPDATE SET key = excluded.key, bytes = excluded.bytes, deleted = NULL`)
		.run(device, channel, time, key, bytes);
}

export function latestSnapshot(db: Db, device: string, channel: number): SnapshotRow | undefined {
	return db.prepare("SELECT time_ms, key, bytes, deleted FROM snapshots WHERE device = ? AND channel = ? AND deleted IS NULL ORDER BY time_ms DESC LIMIT 1")
		.get(device, channel) as SnapshotRow | undefined;
}

/** The newest live picture of any channel of a device. */
export function latestOfDevice(db: Db, device: string): { channel: number; time_ms: number } | undefined {
	return db.prepare("SELECT channel, time_ms FROM snapshots WHERE device = ? AND deleted IS NULL ORDER BY time_ms DESC LIMIT 1").get(device) as { channel: number; time_ms: number } | undefined;
}

/** Live pictures of a channel in [start, end), oldest first, at most `limit`. */
export function listSnapshots(db: Db, device: string, channel: number, start: number, end: number, limit: number): SnapshotRow[] {
	return db.prepare(`SELECT time_ms, bytes FROM snapshots WHERE device = ? AND channel = ? AND deleted IS NULL AND time_ms >= ? AND time_ms < ?
		ORDER BY time_ms LIMIT ?`).all(device, channel, start, end, limit) as SnapshotRow[];
}

// Retention.

export const devicesWithSnapshots = (db: Db): string[] => distinctValues(db, "snapshots", "device");

function dropSnapshots(db: Db, where: string, args: unknown[], now: number, keys: DroppedKeys): number {
	for (const { key, bytes } of db.prepare(`SELECT key, bytes FROM snapshots WHERE deleted IS NULL AND ${where}`).all(...args) as { key: string; bytes: number }[]) addDropped(keys, key, bytes);
	return db.prepare(`UPDATE snapshots SET deleted = ? WHERE deleted IS NULL AND ${where}`).run(now, ...args).changes;
}

export const dropSnapshotsBefore = (db: Db, device: string, cutoff: number, now: number, keys: DroppedKeys): number =>
	dropSnapshots(db, "device = ? AND time_ms < ?", [device, cutoff], now, keys);

/** A picture is named by its device, channel and time (its key): no row id, which PostgreSQL lacks. */
export type OldestSnapshot = Omit<Oldest, "id"> & { channel: number };

export const dropSnapshot = (db: Db, device: string, { channel, time }: OldestSnapshot, now: number, keys: DroppedKeys): number =>
	dropSnapshots(db, "device = ? AND channel = ? AND time_ms = ?", [device, channel, time], now, keys);

/** A device's oldest live picture. */
export const oldestSnapshot = (db: Db, device: string): OldestSnapshot | undefined =>
	db.prepare("SELECT channel, time_ms AS time, bytes FROM snapshots WHERE device = ? AND deleted IS NULL ORDER BY time_ms, channel LIMIT 1").get(device) as OldestSnapshot | undefined;

/** Bytes of the live pictures of each device (the one full pass the upkeep makes, on purpose). */
export const snapshotBytesByDevice = (db: Db): Map<string, number> =>
	new Map((db.prepare("SELECT device, SUM(bytes) AS n FROM snapshots WHERE deleted IS NULL GROUP BY device").all() as { device: string; n: number }[]).map((row) => [row.device, row.n]));

export const forgetDeletedSnapshots = (db: Db, before: number): number =>
	db.prepare("DELETE FROM snapshots WHERE deleted IS NOT NULL AND deleted <= ?").run(before).changes;

/** A removed device's pictures: its rows go at once, their keys are added to `keys` (for the tombstones); returns how many. */
export function forgetDeviceSnapshots(db: Db, device: string, keys: DroppedKeys): number {
	for (const { key, bytes } of db.prepare("SELECT key, CASE WHEN deleted IS NULL THEN bytes ELSE 0 END AS bytes FROM snapshots WHERE device = ?").all(device) as { key: string; bytes: number }[])
		addDropped(keys, key, bytes);
	return db.prepare("DELETE FROM snapshots WHERE device = ?").run(device).changes;
}

export const snapshotUses = (db: Db, key: string): boolean => db.prepare("SELECT 1 FROM snapshots WHERE key = ? AND deleted IS NULL LIMIT 1").get(key) !== undefined;

/**
 * Of the `{ channel, time }` moments given, those with a live picture taken at exactly that time:
 * an event's still (PROTOCOL §5). One range read over the index led by device.
 */
export async function picturesAt(sql: Sql, device: string, moments: readonly { channel: number; time: number }[]): Promise<Set<string>> {
	const found = new Set<string>();
	if (!moments.length) return found;
	const times = moments.map((moment) => moment.time);
	const rows = await sql.all<{ channel: number; time_ms: number }>("SELECT channel, time_ms FROM snapshots WHERE device = ? AND deleted IS NULL AND time_ms >= ? AND time_ms <= ?",
		[device, Math.min(...times), Math.max(...times)]);
	const wanted = new Set(moments.map((moment) => `${moment.channel}/${moment.time}`));
	for (const row of rows) if (wanted.has(`${Number(row.channel)}/${Number(row.time_ms)}`)) found.add(`${Number(row.channel)}/${Number(row.time_ms)}`);
	return found;
}
