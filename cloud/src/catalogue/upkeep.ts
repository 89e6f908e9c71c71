// What retention and the object sweep need of the catalogue: its devices, the
// drops (rows marked deleted, their object keys collected for the
// tombstones), the oldest items, the bytes kept, the rows to forget, and
// whether a live row still reads an object. Statements are prepared per run.
import { liveValues, type Db } from "../meta/db.js";

/** The oldest live item of a kind, for the size cap. */
export interface Oldest {
	id: number;
	time: number;
	bytes: number;
}

/** The devices with live segments (a skip scan over the live-age index). */
export const devicesWithSegments = (db: Db): string[] => liveValues(db, "segments", "device");

/** Marks segments deleted; collects their object keys and (when given) the files they were in. */
function dropSegments(db: Db, where: string, args: unknown[], now: number, keys: Set<string>, files?: Set<number>): number {
	for (const row of db.prepare(`SELECT key, file_id FROM segments WHERE deleted IS NULL AND ${where}`).all(...args) as { key: string; file_id: number | null }[]) {
		keys.add(row.key);
		if (row.file_id !== null) files?.add(row.file_id);
	}
	return db.prepare(`UPDATE segments SET deleted = ? WHERE deleted IS NULL AND ${where}`).run(now, ...args).changes;
}

/** A device's segments that ended by `cutoff` (start_ms < cutoff narrows the index range; end_ms decides). */
export const dropSegmentsBefore = (db: Db, device: string, cutoff: number, now: number, keys: Set<string>, files: Set<number>): number =>
	dropSegments(db, "device = ? AND start_ms < ? AND end_ms <= ?", [device, cutoff, cutoff], now, keys, files);

export const dropFileSegments = (db: Db, fileId: number, now: number, keys: Set<string>): number => dropSegments(db, "file_id = ?", [fileId], now, keys);

export const dropSegment = (db: Db, id: number, now: number, keys: Set<string>): number => dropSegments(db, "id = ?", [id], now, keys);

/** Marks deleted those of `ids` (files that just lost segments) none of whose segments is live any more. */
export function dropEmptyFiles(db: Db, ids: Set<number>, now: number, keys: Set<string>): number {
	const check = db.prepare(`SELECT key FROM files f WHERE id = ? AND deleted IS NULL AND state = 'done'
		AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.file_id = f.id AND s.deleted IS NULL)`);
	const mark = db.prepare("UPDATE files SET deleted = ? WHERE id = ?");
	let dropped = 0;
	for (const id of ids) {
		const file = check.get(id) as { key: string } | undefined;
		if (!file) continue;
		mark.run(now, id);
		keys.add(file.key);
		dropped++;
	}
	return dropped;
}

export const oldestFile = (db: Db): Oldest | undefined =>
	db.prepare("SELECT id, start_ms AS time, bytes FROM files WHERE deleted IS NULL AND state = 'done' ORDER BY start_ms, id LIMIT 1").get() as Oldest | undefined;

export const oldestUnassembledSegment = (db: Db): Oldest | undefined =>
	db.prepare("SELECT id, start_ms AS time, bytes FROM segments WHERE deleted IS NULL AND file_id IS NULL ORDER BY start_ms, id LIMIT 1").get() as Oldest | undefined;

/** Bytes the live recordings occupy: assembled files, and segments not yet in a file. */
export function recordedBytes(db: Db): number {
	const sum = (sql: string) => (db.prepare(sql).get() as { n: number | null }).n ?? 0;
	return sum("SELECT SUM(bytes) AS n FROM files WHERE deleted IS NULL AND state = 'done'")
		+ sum("SELECT SUM(bytes) AS n FROM segments WHERE deleted IS NULL AND file_id IS NULL");
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
