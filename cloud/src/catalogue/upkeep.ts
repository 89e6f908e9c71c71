// What retention and the object sweep need of the catalogue: its devices, the
// drops (rows marked deleted, their object keys and sizes collected for the
// tombstones), each device's oldest items and bytes kept, what the next
// assembly will need, the rows to forget, and whether a live row still reads
// an object. Statements are prepared per run.
import { distinctValues, type Db } from "../meta/db.js";

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
export const devicesWithSegments = (db: Db): string[] => distinctValues(db, "segments", "device");

/** Marks segments deleted; collects their object keys and (when given) the files they were in. */
function dropSegments(db: Db, where: string, args: unknown[], now: number, keys: DroppedKeys, files?: Set<number>): number {
	for (const row of db.prepare(`SELECT key, bytes, file_id FROM segments WHERE deleted IS NULL AND ${where}`).all(...args) as { key: string; bytes: number; file_id: number | null }[]) {
		// A segment not yet in a file is its whole object; one in a file is part of the file's.
		addDropped(keys, row.key, row.file_id === null ? row.bytes : 0);
		if (row.file_id !== null) files?.add(row.file_id);
	}
	return db.prepare(`UPDATE segments SET deleted = ? WHERE deleted IS NULL AND ${where}`).run(now, ...args).changes;
}

/** A device's segments that ended by `cutoff` (start_ms < cutoff narrows the index range; end_ms decides). */
export const dropSegmentsBefore = (db: Db, device: string, cutoff: number, now: number, keys: DroppedKeys, files: Set<number>): number =>
	dropSegments(db, "device = ? AND start_ms < ? AND end_ms <= ?", [device, cutoff, cutoff], now, keys, files);

export const dropFileSegments = (db: Db, fileId: number, now: number, keys: DroppedKeys): number => dropSegments(db, "file_id = ?", [fileId], now, keys);

/** Marks segment `id` as uploaded for live view only: it goes at the first retention pass after `expires`. */
export function markLiveOnly(db: Db, id: number, expires: number): void {
	db.prepare("INSERT INTO live_only (segment, expires) VALUES (?, ?) ON CONFLICT DO NOTHING").run(id, expires);
}

/** Drops the live-only segments whose time is up (and forgets their marks). */
export function dropExpiredLiveOnly(db: Db, now: number, keys: DroppedKeys, files: Set<number>): number {
	const dropped = dropSegments(db, "id IN (SELECT segment FROM live_only WHERE expires <= ?)", [now], now, keys, files);
	db.prepare("DELETE FROM live_only WHERE expires <= ?").run(now);
	return dropped;
}

export const dropSegment = (db: Db, id: number, now: number, keys: DroppedKeys): number => dropSegments(db, "id = ?", [id], now, keys);

/** Marks deleted those of `ids` (files that just lost segments) none of whose segments is live any more. */
export function dropEmptyFiles(db: Db, ids: Set<number>, now: number, keys: DroppedKeys): number {
	const check = db.prepare(`SELECT key, bytes FROM files f WHERE id = ? AND deleted IS NULL AND state = 'done'
		AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.file_id = f.id AND s.deleted IS NULL)`);
	const mark = db.prepare("UPDATE files SET deleted = ? WHERE id = ?");
	let dropped = 0;
	for (const id of ids) {
		const file = check.get(id) as { key: string; bytes: number } | undefined;
		if (!file) continue;
		mark.run(now, id);
		addDropped(keys, file.key, file.bytes);
		dropped++;
	}
	return dropped;
}

/** A device's oldest live assembled file. */
export const oldestFile = (db: Db, device: string): Oldest | undefined =>
	db.prepare("SELECT id, start_ms AS time, bytes FROM files WHERE device = ? AND deleted IS NULL AND state = 'done' ORDER BY start_ms, id LIMIT 1").get(device) as Oldest | undefined;

/** A device's oldest live segment not yet in a file. */
export const oldestUnassembledSegment = (db: Db, device: string): Oldest | undefined =>
	db.prepare(`SELECT id, start_ms AS time, bytes FROM segments INDEXED BY segments_unassembled
		WHERE device = ? AND deleted IS NULL AND file_id IS NULL ORDER BY start_ms, id LIMIT 1`).get(device) as Oldest | undefined;

/**
 * Bytes the live recordings occupy, per device (assembled files, and segments
 * not yet in a file), and the largest window (of `lengthMs`) not yet in a
 * file: what the next assembly writes while its segments still exist. One
 * pass over the unassembled segments serves both.
 */
export function recordedUsage(db: Db, lengthMs: number): { byDevice: Map<string, number>; largestWindow: number } {
	const byDevice = new Map<string, number>();
	const add = (device: string, n: number) => byDevice.set(device, (byDevice.get(device) ?? 0) + n);
	for (const row of db.prepare("SELECT device, SUM(bytes) AS n FROM files WHERE deleted IS NULL AND state = 'done' GROUP BY device").all() as { device: string; n: number }[])
		add(row.device, row.n);
	let largestWindow = 0;
	for (const row of db.prepare(`SELECT device, SUM(bytes) AS n FROM segments WHERE deleted IS NULL AND file_id IS NULL
		GROUP BY device, channel, stream, start_ms - start_ms % ?`).all(lengthMs) as { device: string; n: number }[]) {
		add(row.device, row.n);
		largestWindow = Math.max(largestWindow, row.n);
	}
	return { byDevice, largestWindow };
}

/** Forgets segment and file rows deleted at or before `before`; returns how many. */
export function forgetDeletedRecordings(db: Db, before: number): number {
	let forgotten = 0;
	for (const table of ["segments", "files"]) forgotten += db.prepare(`DELETE FROM ${table} WHERE deleted IS NOT NULL AND deleted <= ?`).run(before).changes;
	return forgotten;
}

/** Whether a live segment or file still points at `key` (then the object must stay). */
export const recordingUses = (db: Db, key: string): boolean =>
	["segments", "files"].some((table) => db.prepare(`SELECT 1 FROM ${table} WHERE key = ? AND deleted IS NULL LIMIT 1`).get(key) !== undefined);
