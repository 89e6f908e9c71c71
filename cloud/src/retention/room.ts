// Making room: what the size cap, the free-space floor and an assembly that
// needs space call. The bytes on the disk are the live rows, the objects
// pending deletion (tombstoned, still readable for their grace) and what the
// next assembly writes before its segments go; all count.
//
// Room is made from what is already deleted first — the objects pending
// deletion, the soonest due first, their grace cut short (most are segment
// objects whose bytes also live on in an assembled file) — and only then from
// live recordings and pictures, fairly: the device keeping the most bytes
// loses its oldest item first, then again whoever keeps the most. A camera
// that floods the store, or stamps its segments in the future so that age
// retention never takes them, pays first; one tenant cannot evict another's
// history. (Ordering by arrival time instead would still let a heavy uploader
// evict every small camera's recordings.) Within a device, oldest media first.
import type { CloudContext } from "../context.js";
import { pendingBytes, shortenGrace } from "../storage/tombstones.js";
import * as catalogue from "../catalogue/index.js";
import * as snapshots from "../snapshots/store.js";

/** Most rows dropped per call (the next run continues). */
const dropBatch = 10_000;

export interface Dropped {
	segments: number;
	files: number;
	snapshots: number;
}

/** What is on the disk by the store's own account. */
export interface Usage {
	/** Live recordings and pictures, per device. */
	byDevice: Map<string, number>;
	/** Their total: the live rows. */
	live: number;
	/** Objects pending deletion (tombstoned, readable for their grace). */
	pending: number;
	/** What the next assembly writes before its segments go. */
	assembly: number;
	/** All three: what the size cap counts. */
	counted: number;
}

export function usageOf(ctx: CloudContext): Usage {
	const { db } = ctx;
	const { byDevice, largestWindow } = catalogue.recordedUsage(db, ctx.config.fileMinutes * 60_000);
	for (const [device, n] of snapshots.snapshotBytesByDevice(db)) byDevice.set(device, (byDevice.get(device) ?? 0) + n);
	const live = [...byDevice.values()].reduce((sum, n) => sum + n, 0);
	const pending = pendingBytes(db);
	return { byDevice, live, pending, assembly: largestWindow, counted: live + pending + largestWindow };
}

/**
 * Frees at least `bytes` (call inside a transaction, holding the upkeep
 * lease): pending objects made due now, then live items dropped fairly, their
 * keys added to `keys` (the caller tombstones them). `usage`: the live bytes by
 * device (counted down as items go). Returns the rows dropped.
 */
export function makeRoom(ctx: CloudContext, bytes: number, now: number, keys: catalogue.DroppedKeys, reason: string, usage = usageOf(ctx).byDevice): Dropped {
	const { db, metrics } = ctx;
	const dropped: Dropped = { segments: 0, files: 0, snapshots: 0 };
	const due = shortenGrace(db, bytes, now);
	metrics.inc("ivxs_retention_grace_cut_bytes_total", "Bytes of deleted objects whose grace was cut short to make room, by reason", { reason }, Math.min(due, bytes));
	let left = bytes - due;
	for (let n = 0; left > 0 && n < dropBatch && usage.size; n++) {
		let device = "", most = -1;
		for (const [name, used] of usage) if (used > most) [device, most] = [name, used];
		const file = catalogue.oldestFile(db, device);
		const segment = catalogue.oldestUnassembledSegment(db, device);
		const snapshot = snapshots.oldestSnapshot(db, device);
		const oldest = [file, segment, snapshot].filter((item) => item !== undefined).sort((a, b) => a.time - b.time)[0];
		if (!oldest) {
			usage.delete(device);
			continue;
		}
		if (file && oldest === file) {
			dropped.segments += catalogue.dropFileSegments(db, file.id, now, keys);
			dropped.files += catalogue.dropEmptyFiles(db, new Set([file.id]), now, keys);
		}
		else if (segment && oldest === segment) dropped.segments += catalogue.dropSegment(db, segment.id, now, keys);
		else if (snapshot) dropped.snapshots += snapshots.dropSnapshot(db, device, snapshot, now, keys);
		usage.set(device, most - oldest.bytes);
		left -= oldest.bytes;
	}
	for (const kind of ["segments", "files", "snapshots"] as const)
		if (dropped[kind]) metrics.inc("ivxs_retention_deleted_total", "Rows deleted by retention (objects follow after the grace period)", { kind, reason }, dropped[kind]);
	return dropped;
}
