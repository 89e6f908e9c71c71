// Retention: recordings, snapshots, events and gaps older than the device
// plan's retentionDays (7 without a plan) go; then, while the bytes on the
// disk by the store's account (live rows, objects pending deletion, the next
// assembly's file) are over config.maxTotalBytes, room is made (room.ts:
// pending objects first, then fairly across devices). Deleting marks rows
// (segments.deleted, files.deleted, snapshots.deleted) and tombstones objects:
// they are deleted after the grace period, so a playback in progress and the
// URLs already handed out keep working — unless room is needed. A recording
// file goes once all its segments have. The free-space floor is floor.ts's.
import type { CloudContext } from "../context.js";
import type { Db } from "../meta/db.js";
import { graceMs } from "../storage/tombstones.js";
import * as catalogue from "../catalogue/index.js";
import * as snapshots from "../snapshots/store.js";
import * as events from "../events/store.js";
import * as gaps from "../gaps/store.js";
import { readPlan } from "../control/plans.js";
import { holdLease, leaseMs, leaseName } from "../recordings/lease.js";
import { tombstoneDropped } from "./objects.js";
import { makeRoom, usageOf, type Usage } from "./room.js";
import { floorEveryMs, keepFloor } from "./floor.js";

export const defaultRetentionDays = 7;
export const retentionEveryMs = 60_000;
const dayMs = 86_400_000;

export interface RetentionResult {
	segments: number;
	files: number;
	snapshots: number;
	events: number;
	gaps: number;
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

/** One pass (when this instance holds the upkeep lease); `now` is injectable for tests. */
export function runRetention(ctx: CloudContext, now = Date.now()): RetentionResult | undefined {
	const { db } = ctx;
	if (!holdLease(db, leaseName, ctx.instanceId, now, leaseMs)) return undefined;
	const result: RetentionResult = { segments: 0, files: 0, snapshots: 0, events: 0, gaps: 0 };
	const count = (kind: keyof RetentionResult, n: number) => {
		result[kind] += n;
		if (n) ctx.metrics.inc("ivxs_retention_deleted_total", "Rows deleted by retention (objects follow after the grace period)", { kind, reason: "age" }, n);
	};

	db.transaction(() => {
		const keys: catalogue.DroppedKeys = new Map();
		// By age, per device.
		const devices = new Set([...catalogue.devicesWithSegments(db), ...snapshots.devicesWithSnapshots(db), ...events.devicesWithEvents(db), ...gaps.devicesWithGaps(db)]);
		const files = new Set<number>();
		for (const device of devices) {
			const cutoff = now - retentionDaysOf(db, device) * dayMs;
			count("segments", catalogue.dropSegmentsBefore(db, device, cutoff, now, keys, files));
			count("snapshots", snapshots.dropSnapshotsBefore(db, device, cutoff, now, keys));
			count("events", events.dropEventsBefore(db, device, cutoff));
			count("gaps", gaps.dropGapsBefore(db, device, cutoff));
		}
		// Live-only segments (uploaded for a viewer, not for the plan) once past their live use.
		count("segments", catalogue.dropExpiredLiveOnly(db, now, keys, files));
		count("files", catalogue.dropEmptyFiles(db, files, now, keys));
		// What the age rule dropped counts as pending from here on.
		tombstoneDropped(db, keys, now + graceMs(ctx));
		keys.clear();

		// By the total size cap.
		const cap = ctx.config.maxTotalBytes;
		const usage = cap > 0 ? usageOf(ctx) : undefined;
		const excess = usage ? usage.counted - cap : 0;
		if (usage && excess > 0) {
			const dropped = makeRoom(ctx, excess, now, keys, "size", usage.byDevice);
			for (const kind of ["segments", "files", "snapshots"] as const) result[kind] += dropped[kind];
			tombstoneDropped(db, keys, now + graceMs(ctx));
		}
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
	// One account for both gauges of a scrape.
	let usage: { at: number; of: Usage } | undefined;
	const current = () => (usage && Date.now() - usage.at < 1000 ? usage : usage = { at: Date.now(), of: usageOf(ctx) }).of;
	ctx.metrics.gauge("ivxs_stored_bytes", "Bytes of recordings and snapshots kept (live rows)", () => current().live);
	ctx.metrics.gauge("ivxs_counted_bytes", "Bytes the size cap counts: live rows, objects pending deletion, the next assembly's file", () => current().counted);
	ctx.every(retentionEveryMs, () => {
		if (runRetention(ctx)) purgeDeletedRows(ctx);
	});
	ctx.every(floorEveryMs, async () => void await keepFloor(ctx));
}
