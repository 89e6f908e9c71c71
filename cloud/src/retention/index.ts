// Retention: recordings and snapshots older than the device plan's
// retentionDays (7 without a plan) go, and then, while the whole store is over
// config.maxTotalBytes, the oldest recordings and snapshots of any device go.
// Deleting marks rows (segments.deleted, files.deleted, snapshots.deleted) and
// tombstones objects: they are deleted after the grace period, so a playback
// in progress and the URLs already handed out keep working. A recording file
// goes once all its segments have.
import type { CloudContext } from "../context.js";
import type { Db } from "../meta/db.js";
import { graceMs, referenced, tableExists, tombstone } from "../storage/tombstones.js";
import { leaseMs, leaseName } from "../recordings/assemble.js";
import { holdLease } from "../recordings/lease.js";
import { ensureUpkeepIndexes } from "../recordings/indexes.js";

export const defaultRetentionDays = 7;
export const retentionEveryMs = 60_000;
const dayMs = 86_400_000;
/** Most rows deleted per run for the size cap (the next run continues). */
const capBatch = 10_000;

export interface RetentionResult {
	segments: number;
	files: number;
	snapshots: number;
}

/** The plan's retentionDays for `device`, or the default when there is no plan (or no plans part). */
export function retentionDaysOf(db: Db, device: string): number {
	if (!tableExists(db, "plans")) return defaultRetentionDays;
	const row = db.prepare("SELECT plan FROM plans WHERE device = ?").get(device) as { plan: string } | undefined;
	if (!row) return defaultRetentionDays;
	try {
		const days = JSON.parse(row.plan)?.retentionDays;
		return typeof days === "number" && Number.isFinite(days) && days > 0 ? days : defaultRetentionDays;
	}
	catch {
		return defaultRetentionDays;
	}
}

/** Bytes the live rows occupy: assembled files, segments not yet in a file, snapshots. */
export function storedBytes(db: Db): number {
	const sum = (table: string, sql: string) => (tableExists(db, table) ? (db.prepare(sql).get() as { n: number | null }).n ?? 0 : 0);
	return sum("files", "SELECT SUM(bytes) AS n FROM files WHERE deleted IS NULL AND state = 'done'")
		+ sum("segments", "SELECT SUM(bytes) AS n FROM segments WHERE deleted IS NULL AND file_id IS NULL")
		+ sum("snapshots", "SELECT SUM(bytes) AS n FROM snapshots WHERE deleted IS NULL");
}

/** One pass (when this instance holds the upkeep lease); `now` is injectable for tests. */
export function runRetention(ctx: CloudContext, now = Date.now()): RetentionResult | undefined {
	const { db } = ctx;
	if (!tableExists(db, "segments")) return undefined;
	if (!holdLease(db, leaseName, ctx.instanceId, now, leaseMs)) return undefined;
	const snapshots = tableExists(db, "snapshots");
	const result: RetentionResult = { segments: 0, files: 0, snapshots: 0 };
	const count = (kind: keyof RetentionResult, reason: string, n: number) => {
		result[kind] += n;
		if (n) ctx.metrics.inc("ivxs_retention_deleted_total", "Rows deleted by retention (objects follow after the grace period)", { kind, reason }, n);
	};
	const due = now + graceMs(ctx);

	db.transaction(() => {
		const keys = new Set<string>();
		// By age, per device.
		const devices = new Set(liveDevices(db, "segments"));
		if (snapshots) for (const device of liveDevices(db, "snapshots")) devices.add(device);
		const files = new Set<number>();
		for (const device of devices) {
			const cutoff = now - retentionDaysOf(db, device) * dayMs;
			// (start_ms < cutoff narrows the index range; end_ms decides.)
			count("segments", "age", dropSegments(db, "device = ? AND start_ms < ? AND end_ms <= ?", [device, cutoff, cutoff], now, keys, files));
			if (snapshots) count("snapshots", "age", dropSnapshots(db, "device = ? AND time_ms < ?", [device, cutoff], now, keys));
		}
		count("files", "age", dropEmptyFiles(db, files, now, keys));

		// By the total size cap: the oldest first, a whole file at a time (a
		// file's object is only freed with its last segment).
		const cap = ctx.config.maxTotalBytes;
		let excess = cap > 0 ? storedBytes(db) - cap : 0;
		for (let n = 0; excess > 0 && n < capBatch; n++) {
			const file = db.prepare("SELECT id, start_ms AS time, bytes FROM files WHERE deleted IS NULL AND state = 'done' ORDER BY start_ms, id LIMIT 1").get() as Oldest | undefined;
			const segment = db.prepare("SELECT id, start_ms AS time, bytes FROM segments WHERE deleted IS NULL AND file_id IS NULL ORDER BY start_ms, id LIMIT 1").get() as Oldest | undefined;
			const snapshot = snapshots ? db.prepare("SELECT rowid AS id, time_ms AS time, bytes FROM snapshots WHERE deleted IS NULL ORDER BY time_ms, rowid LIMIT 1").get() as Oldest | undefined : undefined;
			const oldest = [file, segment, snapshot].filter((item): item is Oldest => item !== undefined).sort((a, b) => a.time - b.time)[0];
			if (!oldest) break;
			if (oldest === file) {
				count("segments", "size", dropSegments(db, "file_id = ?", [oldest.id], now, keys));
				count("files", "size", dropEmptyFiles(db, new Set([oldest.id]), now, keys));
			}
			else if (oldest === segment) count("segments", "size", dropSegments(db, "id = ?", [oldest.id], now, keys));
			else count("snapshots", "size", dropSnapshots(db, "rowid = ?", [oldest.id], now, keys));
			excess -= oldest.bytes;
		}

		for (const key of keys) if (!referenced(db, key)) tombstone(db, key, due);
	}).immediate();
	return result;
}

interface Oldest {
	id: number;
	time: number;
	bytes: number;
}

/** The devices with live rows in `table`: a skip scan over the live-age index, one seek per device. */
function liveDevices(db: Db, table: "segments" | "snapshots"): string[] {
	return (db.prepare(`WITH RECURSIVE d(device) AS (
			SELECT MIN(device) FROM ${table} WHERE deleted IS NULL
			UNION ALL SELECT (SELECT MIN(device) FROM ${table} WHERE deleted IS NULL AND device > d.device) FROM d WHERE d.device IS NOT NULL)
		SELECT device FROM d WHERE device IS NOT NULL`).all() as { device: string }[]).map((row) => row.device);
}

/** Marks segments deleted; collects their object keys and (when given) the files they were in. */
function dropSegments(db: Db, where: string, args: unknown[], now: number, keys: Set<string>, files?: Set<number>): number {
	for (const row of db.prepare(`SELECT key, file_id FROM segments WHERE deleted IS NULL AND ${where}`).all(...args) as { key: string; file_id: number | null }[]) {
		keys.add(row.key);
		if (row.file_id !== null) files?.add(row.file_id);
	}
	return db.prepare(`UPDATE segments SET deleted = ? WHERE deleted IS NULL AND ${where}`).run(now, ...args).changes;
}

function dropSnapshots(db: Db, where: string, args: unknown[], now: number, keys: Set<string>): number {
	for (const { key } of db.prepare(`SELECT key FROM snapshots WHERE deleted IS NULL AND ${where}`).all(...args) as { key: string }[]) keys.add(key);
	return db.prepare(`UPDATE snapshots SET deleted = ? WHERE deleted IS NULL AND ${where}`).run(now, ...args).changes;
}

/** Marks deleted those of `ids` (files that just lost segments) none of whose segments is live any more. */
function dropEmptyFiles(db: Db, ids: Set<number>, now: number, keys: Set<string>): number {
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

/**
 * Forgets rows deleted more than a day past their grace (their objects are
 * gone by then), so the metadata stays bounded by the retention. Returns how many.
 */
export function purgeDeletedRows(ctx: CloudContext, now = Date.now()): number {
	const { db } = ctx;
	const before = now - graceMs(ctx) - dayMs;
	let purged = 0;
	db.transaction(() => {
		for (const table of ["segments", "files", "snapshots"]) {
			if (tableExists(db, table)) purged += db.prepare(`DELETE FROM ${table} WHERE deleted IS NOT NULL AND deleted <= ?`).run(before).changes;
		}
	}).immediate();
	if (purged) ctx.metrics.inc("ivxs_retention_purged_rows_total", "Rows of deleted recordings and snapshots forgotten after their grace");
	return purged;
}

export function install(ctx: CloudContext): void {
	ensureUpkeepIndexes(ctx.db);
	ctx.metrics.gauge("ivxs_stored_bytes", "Bytes of recordings and snapshots kept (live rows)", () => storedBytes(ctx.db));
	ctx.every(retentionEveryMs, () => {
		if (runRetention(ctx)) purgeDeletedRows(ctx);
	});
}
