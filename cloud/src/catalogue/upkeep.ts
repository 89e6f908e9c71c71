// What retention and the object sweep need of the catalogue: its devices, the
// drops (rows marked deleted, their object keys and sizes collected for the
// tombstones), each device's oldest items and bytes kept, what the next
// assembly will need, the rows to forget, and whether a live row still reads
// an object.
import { distinctValues } from "../meta/db.js";
import { indexedBy } from "../meta/dialect.js";
import type { Param, Sql } from "../meta/sql.js";

/** The oldest live item of a kind, for the size cap. */
export interface Oldest {
	id: number;
	time: number;
	bytes: number;
}

/** Object keys dropped, with their objects' sizes (0 when the object is a file another row still sizes). */
export type DroppedKeys = Map<string, number>;

/** Adds `key` (an object of `bytes`) to `keys`. */
export const addDropped = (keys: DroppedKeys, key: string, bytes: number): void => void keys.set(key, Math.max(keys.get(key) ?? 0, bytes));

/** The devices with live segments (a skip scan over the live-age index). */
export const devicesWithSegments = (sql: Sql): Promise<string[]> => distinctValues(sql, "segments", "device");

/** Marks segments deleted; collects their object keys and (when given) the files they were in. */
async function dropSegments(tx: Sql, where: string, args: Param[], now: number, keys: DroppedKeys, files?: Set<number>): Promise<number> {
	for (const row of await tx.all<{ key: string; bytes: number; file_id: number | null }>(`SELECT key, bytes, file_id FROM segments WHERE deleted IS NULL AND ${where}`, args)) {
		// A segment not yet in a file is its whole object; one in a file is part of the file's.
		addDropped(keys, row.key, row.file_id === null ? row.bytes : 0);
		if (row.file_id !== null) files?.add(row.file_id);
	}
	return (await tx.run(`UPDATE segments SET deleted = ? WHERE deleted IS NULL AND ${where}`, [now, ...args])).changes;
}

/** A device's segments that ended by `cutoff` (start_ms < cutoff narrows the index range; end_ms decides). */
export const dropSegmentsBefore = (tx: Sql, device: string, cutoff: number, now: number, keys: DroppedKeys, files: Set<number>): Promise<number> =>
	dropSegments(tx, "device = ? AND start_ms < ? AND end_ms <= ?", [device, cutoff, cutoff], now, keys, files);

export const dropFileSegments = (tx: Sql, fileId: number, now: number, keys: DroppedKeys): Promise<number> => dropSegments(tx, "file_id = ?", [fileId], now, keys);

/** Marks segment `id` as uploaded for live view only: it goes at the first retention pass after `expires`. */
export async function markLiveOnly(sql: Sql, id: number, expires: number): Promise<void> {
	await sql.run("INSERT INTO live_only (segment, expires) VALUES (?, ?) ON CONFLICT DO NOTHING", [id, expires]);
}

/** Drops the live-only segments whose time is up (and forgets their marks). */
export async function dropExpiredLiveOnly(tx: Sql, now: number, keys: DroppedKeys, files: Set<number>): Promise<number> {
	const dropped = await dropSegments(tx, "id IN (SELECT segment FROM live_only WHERE expires <= ?)", [now], now, keys, files);
	await tx.run("DELETE FROM live_only WHERE expires <= ?", [now]);
	return dropped;
}

export const dropSegment = (tx: Sql, id: number, now: number, keys: DroppedKeys): Promise<number> => dropSegments(tx, "id = ?", [id], now, keys);

/** Marks deleted those of `ids` (files that just lost segments) none of whose segments is live any more. */
export async function dropEmptyFiles(tx: Sql, ids: Set<number>, now: number, keys: DroppedKeys): Promise<number> {
	let dropped = 0;
	for (const id of ids) {
		const file = await tx.get<{ key: string; bytes: number }>(`SELECT key, bytes FROM files f WHERE id = ? AND deleted IS NULL AND state = 'done'
			AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.file_id = f.id AND s.deleted IS NULL)`, [id]);
		if (!file) continue;
		await tx.run("UPDATE files SET deleted = ? WHERE id = ?", [now, id]);
		addDropped(keys, file.key, file.bytes);
		dropped++;
	}
	return dropped;
}

/** A device's oldest live assembled file. */
export const oldestFile = (sql: Sql, device: string): Promise<Oldest | undefined> =>
	sql.get<Oldest>("SELECT id, start_ms AS time, bytes FROM files WHERE device = ? AND deleted IS NULL AND state = 'done' ORDER BY start_ms, id LIMIT 1", [device]);

/** A device's oldest live segment not yet in a file. */
export const oldestUnassembledSegment = (sql: Sql, device: string): Promise<Oldest | undefined> =>
	sql.get<Oldest>(`SELECT id, start_ms AS time, bytes FROM segments ${indexedBy(sql.engine, "segments_unassembled")}
		WHERE device = ? AND deleted IS NULL AND file_id IS NULL ORDER BY start_ms, id LIMIT 1`, [device]);

/**
 * Bytes the live recordings occupy, per device (assembled files, and segments
 * not yet in a file), and the largest window (of `lengthMs`) not yet in a
 * file: what the next assembly writes while its segments still exist. One
 * pass over the unassembled segments serves both.
 */
export async function recordedUsage(sql: Sql, lengthMs: number): Promise<{ byDevice: Map<string, number>; largestWindow: number }> {
	const byDevice = new Map<string, number>();
	const add = (device: string, n: number) => byDevice.set(device, (byDevice.get(device) ?? 0) + n);
	for (const row of await sql.all<{ device: string; n: number }>("SELECT device, SUM(bytes) AS n FROM files WHERE deleted IS NULL AND state = 'done' GROUP BY device"))
		add(row.device, row.n);
	let largestWindow = 0;
	for (const row of await sql.all<{ device: string; n: number }>(`SELECT device, SUM(bytes) AS n FROM segments WHERE deleted IS NULL AND file_id IS NULL
		GROUP BY device, channel, stream, start_ms - start_ms % ?`, [lengthMs])) {
		add(row.device, row.n);
		largestWindow = Math.max(largestWindow, row.n);
	}
	return { byDevice, largestWindow };
}

/** Forgets segment and file rows deleted at or before `before`; returns how many. */
export async function forgetDeletedRecordings(tx: Sql, before: number): Promise<number> {
	let forgotten = 0;
	for (const table of ["segments", "files"]) forgotten += (await tx.run(`DELETE FROM ${table} WHERE deleted IS NOT NULL AND deleted <= ?`, [before])).changes;
	return forgotten;
}

/** Whether a live segment or file still points at `key` (then the object must stay). */
export async function recordingUses(sql: Sql, key: string): Promise<boolean> {
	for (const table of ["segments", "files"]) if (await sql.get(`SELECT 1 FROM ${table} WHERE key = ? AND deleted IS NULL LIMIT 1`, [key])) return true;
	return false;
}
