// The snapshots table: one row per picture, its object stored byte-identical.
// The one owner of its SQL: the snapshots routes, the devices list (latest
// picture), and retention (drops by age and size, the bytes kept).
import { defineMigrations, distinctValues } from "../meta/db.js";
import type { Param, Sql } from "../meta/sql.js";
import { addDropped, type DroppedKeys, type Oldest } from "../catalogue/index.js";

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
export function snapshotAt(sql: Sql, device: string, channel: number, time: number): Promise<SnapshotRow | undefined> {
	return sql.get<SnapshotRow>("SELECT time_ms, key, bytes, deleted FROM snapshots WHERE device = ? AND channel = ? AND time_ms = ?", [device, channel, time]);
}

/** Stores (or replaces, undeleted) the picture of a channel at `time`. */
export async function putSnapshot(sql: Sql, device: string, channel: number, time: number, key: string, bytes: number): Promise<void> {
	await sql.run(`INSERT INTO snapshots (device, channel, time_ms, key, bytes) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (device, channel, time_ms) DO UPDATE SET key = excluded.key, bytes = excluded.bytes, deleted = NULL`, [device, channel, time, key, bytes]);
}

export function latestSnapshot(sql: Sql, device: string, channel: number): Promise<SnapshotRow | undefined> {
	return sql.get<SnapshotRow>("SELECT time_ms, key, bytes, deleted FROM snapshots WHERE device = ? AND channel = ? AND deleted IS NULL ORDER BY time_ms DESC LIMIT 1", [device, channel]);
}

/** The newest live picture of any channel of a device. */
export function latestOfDevice(sql: Sql, device: string): Promise<{ channel: number; time_ms: number } | undefined> {
	return sql.get("SELECT channel, time_ms FROM snapshots WHERE device = ? AND deleted IS NULL ORDER BY time_ms DESC LIMIT 1", [device]);
}

/** Live pictures of a channel in [start, end), oldest first, at most `limit`. */
export function listSnapshots(sql: Sql, device: string, channel: number, start: number, end: number, limit: number): Promise<SnapshotRow[]> {
	return sql.all<SnapshotRow>(`SELECT time_ms, bytes FROM snapshots WHERE device = ? AND channel = ? AND deleted IS NULL AND time_ms >= ? AND time_ms < ?
		ORDER BY time_ms LIMIT ?`, [device, channel, start, end, limit]);
}

// Retention.

export const devicesWithSnapshots = (sql: Sql): Promise<string[]> => distinctValues(sql, "snapshots", "device");

async function dropSnapshots(tx: Sql, where: string, args: Param[], now: number, keys: DroppedKeys): Promise<number> {
	for (const { key, bytes } of await tx.all<{ key: string; bytes: number }>(`SELECT key, bytes FROM snapshots WHERE deleted IS NULL AND ${where}`, args)) addDropped(keys, key, bytes);
	return (await tx.run(`UPDATE snapshots SET deleted = ? WHERE deleted IS NULL AND ${where}`, [now, ...args])).changes;
}

export const dropSnapshotsBefore = (tx: Sql, device: string, cutoff: number, now: number, keys: DroppedKeys): Promise<number> =>
	dropSnapshots(tx, "device = ? AND time_ms < ?", [device, cutoff], now, keys);

/** A picture is named by its device, channel and time (its key): no row id, which PostgreSQL lacks. */
export type OldestSnapshot = Omit<Oldest, "id"> & { channel: number };

export const dropSnapshot = (tx: Sql, device: string, { channel, time }: OldestSnapshot, now: number, keys: DroppedKeys): Promise<number> =>
	dropSnapshots(tx, "device = ? AND channel = ? AND time_ms = ?", [device, channel, time], now, keys);

/** A device's oldest live picture. */
export const oldestSnapshot = (sql: Sql, device: string): Promise<OldestSnapshot | undefined> =>
	sql.get<OldestSnapshot>("SELECT channel, time_ms AS time, bytes FROM snapshots WHERE device = ? AND deleted IS NULL ORDER BY time_ms, channel LIMIT 1", [device]);

/** Bytes of the live pictures of each device (the one full pass the upkeep makes, on purpose). */
export const snapshotBytesByDevice = async (sql: Sql): Promise<Map<string, number>> =>
	new Map((await sql.all<{ device: string; n: number }>("SELECT device, SUM(bytes) AS n FROM snapshots WHERE deleted IS NULL GROUP BY device")).map((row) => [row.device, row.n]));

export const forgetDeletedSnapshots = async (tx: Sql, before: number): Promise<number> =>
	(await tx.run("DELETE FROM snapshots WHERE deleted IS NOT NULL AND deleted <= ?", [before])).changes;

/** A removed device's pictures: its rows go at once, their keys are added to `keys` (for the tombstones); returns how many. */
export async function forgetDeviceSnapshots(tx: Sql, device: string, keys: DroppedKeys): Promise<number> {
	for (const { key, bytes } of await tx.all<{ key: string; bytes: number }>("SELECT key, CASE WHEN deleted IS NULL THEN bytes ELSE 0 END AS bytes FROM snapshots WHERE device = ?", [device]))
		addDropped(keys, key, bytes);
	return (await tx.run("DELETE FROM snapshots WHERE device = ?", [device])).changes;
}

export const snapshotUses = async (sql: Sql, key: string): Promise<boolean> => await sql.get("SELECT 1 FROM snapshots WHERE key = ? AND deleted IS NULL LIMIT 1", [key]) !== undefined;

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
