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
import type { Sql } from "../meta/sql.js";
import { graceMs } from "../storage/tombstones.js";
import * as catalogue from "../catalogue/index.js";
import * as snapshots from "../snapshots/store.js";
import * as events from "../events/store.js";
import * as gaps from "../gaps/store.js";
import { readPlan } from "../control/plans.js";
import { holdLease, leaseMs, leaseName } from "../recordings/lease.js";
import { tombstoneDropped } from "./objects.js";
import { sweepOrphans } from "./orphans.js";
import { countRoom, makeRoom, usageOf, type Usage } from "./room.js";
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
export async function retentionDaysOf(sql: Sql, device: string): Promise<number> {
	try {
		const days = (await readPlan(sql, device))?.retentionDays;
		return typeof days === "number" && Number.isFinite(days) && days > 0 ? days : defaultRetentionDays;
	}
	catch {
		return defaultRetentionDays;
	}
}

/** One pass (when this instance holds the upkeep lease); `now` is injectable for tests. */
export async function runRetention(ctx: CloudContext, now = Date.now()): Promise<RetentionResult | undefined> {
	if (!await holdLease(ctx.sql, leaseName, ctx.instanceId, now, leaseMs)) return undefined;
	const result: RetentionResult = { segments: 0, files: 0, snapshots: 0, events: 0, gaps: 0 };
	const count = (kind: keyof RetentionResult, n: number) => {
		result[kind] += n;
		if (n) ctx.metrics.inc("ivxs_retention_deleted_total", "Rows deleted by retention (objects follow after the grace period)", { kind, reason: "age" }, n);
	};

	// One transaction, so the counts are added once it committed (PostgreSQL may run it again).
	const counted = await ctx.sql.transaction(async (tx) => {
		const counts: RetentionResult = { segments: 0, files: 0, snapshots: 0, events: 0, gaps: 0 };
		const keys: catalogue.DroppedKeys = new Map();
		// By age, per device.
		const devices = new Set([...await catalogue.devicesWithSegments(tx), ...await snapshots.devicesWithSnapshots(tx), ...await events.devicesWithEvents(tx), ...await gaps.devicesWithGaps(tx)]);
		const files = new Set<number>();
		for (const device of devices) {
			const cutoff = now - await retentionDaysOf(tx, device) * dayMs;
			counts.segments += await catalogue.dropSegmentsBefore(tx, device, cutoff, now, keys, files);
			counts.snapshots += await snapshots.dropSnapshotsBefore(tx, device, cutoff, now, keys);
			counts.events += await events.dropEventsBefore(tx, device, cutoff);
			counts.gaps += await gaps.dropGapsBefore(tx, device, cutoff);
		}
		// Live-only segments (uploaded for a viewer, not for the plan) once past their live use.
		counts.segments += await catalogue.dropExpiredLiveOnly(tx, now, keys, files);
		counts.files += await catalogue.dropEmptyFiles(tx, files, now, keys);
		// What the age rule dropped counts as pending from here on.
		await tombstoneDropped(tx, keys, now + graceMs(ctx));
		keys.clear();

		// By the total size cap.
		const cap = ctx.config.maxTotalBytes;
		const usage = cap > 0 ? await usageOf(ctx, tx) : undefined;
		const excess = usage ? usage.counted - cap : 0;
		const bySize = usage && excess > 0 ? await makeRoom(ctx, tx, excess, now, keys, "size", usage.byDevice) : undefined;
		if (bySize) await tombstoneDropped(tx, keys, now + graceMs(ctx));
		return { counts, bySize };
	});
	for (const kind of Object.keys(result) as (keyof RetentionResult)[]) count(kind, counted.counts[kind]);
	if (counted.bySize) {
		countRoom(ctx, counted.bySize);
		for (const kind of ["segments", "files", "snapshots"] as const) result[kind] += counted.bySize[kind];
	}
	return result;
}

/**
 * Forgets rows deleted more than a day past their grace (their objects are
 * gone by then), so the metadata stays bounded by the retention. Returns how many.
 */
export async function purgeDeletedRows(ctx: CloudContext, now = Date.now()): Promise<number> {
	const before = now - graceMs(ctx) - dayMs;
	const purged = await ctx.sql.transaction(async (tx) => await catalogue.forgetDeletedRecordings(tx, before) + await snapshots.forgetDeletedSnapshots(tx, before));
	if (purged) ctx.metrics.inc("ivxs_retention_purged_rows_total", "Rows of deleted recordings and snapshots forgotten after their grace");
	return purged;
}

export function install(ctx: CloudContext): void {
	// One account for both gauges of a scrape.
	let usage: { at: number; of: Promise<Usage> } | undefined;
	const current = () => (usage && Date.now() - usage.at < 1000 ? usage : usage = { at: Date.now(), of: usageOf(ctx, ctx.sql) }).of;
	ctx.metrics.gaugeAsync("ivxs_stored_bytes", "Bytes of recordings and snapshots kept (live rows)", async () => (await current()).live);
	ctx.metrics.gaugeAsync("ivxs_counted_bytes", "Bytes the size cap counts: live rows, objects pending deletion, the next assembly's file", async () => (await current()).counted);
	ctx.every(retentionEveryMs, async () => {
		if (!await runRetention(ctx)) return;
		await purgeDeletedRows(ctx);
		await sweepOrphans(ctx);
	});
	ctx.every(floorEveryMs, async () => void await keepFloor(ctx));
}
