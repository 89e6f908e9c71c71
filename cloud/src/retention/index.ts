// Retention: recordings and snapshots older than the device plan's
// retentionDays (7 without a plan) go, and then, while the whole store is over
// config.maxTotalBytes, the oldest recordings and snapshots of any device go.
// Deleting marks rows (segments.deleted, files.deleted, snapshots.deleted) and
// tombstones objects: they are deleted after the grace period, so a playback
// in progress and the URLs already handed out keep working. A recording file
// goes once all its segments have.
import type { CloudContext } from "../context.js";
import type { Db } from "../meta/db.js";
import { graceMs, tombstone } from "../storage/tombstones.js";
import * as catalogue from "../catalogue/index.js";
import * as snapshots from "../snapshots/store.js";
import { readPlan } from "../control/plans.js";
import { holdLease, leaseMs, leaseName } from "../recordings/lease.js";
import { objectInUse } from "./objects.js";

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
	try {
		const days = readPlan(db, device)?.retentionDays;
		return typeof days === "number" && Number.isFinite(days) && days > 0 ? days : defaultRetentionDays;
	}
	catch {
		return defaultRetentionDays;
	}
}

/** Bytes the live rows occupy: assembled files, segments not yet in a file, snapshots. */
export function storedBytes(db: Db): number {
	return catalogue.recordedBytes(db) + snapshots.snapshotBytes(db);
}

/** One pass (when this instance holds the upkeep lease); `now` is injectable for tests. */
export function runRetention(ctx: CloudContext, now = Date.now()): RetentionResult | undefined {
	const { db } = ctx;
	if (!holdLease(db, leaseName, ctx.instanceId, now, leaseMs)) return undefined;
	const result: RetentionResult = { segments: 0, files: 0, snapshots: 0 };
	const count = (kind: keyof RetentionResult, reason: string, n: number) => {
		result[kind] += n;
		if (n) ctx.metrics.inc("ivxs_retention_deleted_total", "Rows deleted by retention (objects follow after the grace period)", { kind, reason }, n);
	};
	const due = now + graceMs(ctx);

	db.transaction(() => {
		const keys = new Set<string>();
		// By age, per device.
		const devices = new Set([...catalogue.devicesWithSegments(db), ...snapshots.devicesWithSnapshots(db)]);
		const files = new Set<number>();
		for (const device of devices) {
			const cutoff = now - retentionDaysOf(db, device) * dayMs;
			count("segments", "age", catalogue.dropSegmentsBefore(db, device, cutoff, now, keys, files));
			count("snapshots", "age", snapshots.dropSnapshotsBefore(db, device, cutoff, now, keys));
		}
		count("files", "age", catalogue.dropEmptyFiles(db, files, now, keys));

		// By the total size cap: the oldest first, a whole file at a time (a
		// file's object is only freed with its last segment).
		const cap = ctx.config.maxTotalBytes;
		let excess = cap > 0 ? storedBytes(db) - cap : 0;
		for (let n = 0; excess > 0 && n < capBatch; n++) {
			const file = catalogue.oldestFile(db);
			const segment = catalogue.oldestUnassembledSegment(db);
			const snapshot = snapshots.oldestSnapshot(db);
			const oldest = [file, segment, snapshot].filter((item): item is catalogue.Oldest => item !== undefined).sort((a, b) => a.time - b.time)[0];
			if (!oldest) break;
			if (oldest === file) {
				count("segments", "size", catalogue.dropFileSegments(db, oldest.id, now, keys));
				count("files", "size", catalogue.dropEmptyFiles(db, new Set([oldest.id]), now, keys));
			}
			else if (oldest === segment) count("segments", "size", catalogue.dropSegment(db, oldest.id, now, keys));
			else count("snapshots", "size", snapshots.dropSnapshot(db, oldest.id, now, keys));
			excess -= oldest.bytes;
		}

		for (const key of keys) if (!objectInUse(db, key)) tombstone(db, key, due);
	}).immediate();
	return result;
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
		purged = catalogue.forgetDeletedRecordings(db, before) + snapshots.forgetDeletedSnapshots(db, before);
	}).immediate();
	if (purged) ctx.metrics.inc("ivxs_retention_purged_rows_total", "Rows of deleted recordings and snapshots forgotten after their grace");
	return purged;
}

export function install(ctx: CloudContext): void {
	ctx.metrics.gauge("ivxs_stored_bytes", "Bytes of recordings and snapshots kept (live rows)", () => storedBytes(ctx.db));
	ctx.every(retentionEveryMs, () => {
		if (runRetention(ctx)) purgeDeletedRows(ctx);
	});
}
