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
import type { Sql } from "../meta/sql.js";
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

/** What one call of makeRoom did: the rows dropped, and the bytes whose grace it cut short. */
export interface Room extends Dropped {
	graceCut: number;
	reason: string;
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

/** `sql`: the engine, or the transaction that will act on the account. */
export async function usageOf(ctx: Pick<CloudContext, "config">, sql: Sql): Promise<Usage> {
	const { byDevice, largestWindow } = await catalogue.recordedUsage(sql, ctx.config.fileMinutes * 60_000);
	for (const [device, n] of await snapshots.snapshotBytesByDevice(sql)) byDevice.set(device, (byDevice.get(device) ?? 0) + n);
	const live = [...byDevice.values()].reduce((sum, n) => sum + n, 0);
	const pending = await pendingBytes(sql);
	return { byDevice, live, pending, assembly: largestWindow, counted: live + pending + largestWindow };
}

/**
 * Frees at least `bytes` (inside the transaction `tx`, holding the upkeep
 * lease): pending objects made due now, then live items dropped fairly, their
 * keys added to `keys` (the caller tombstones them). `usage`: the live bytes by
 * device (counted down as items go). Returns what it did, for `countRoom` once
 * the transaction committed (PostgreSQL may run it more than once).
 */
export async function makeRoom(ctx: Pick<CloudContext, "config">, tx: Sql, bytes: number, now: number, keys: catalogue.DroppedKeys, reason: string, usage?: Map<string, number>): Promise<Room> {
	usage ??= (await usageOf(ctx, tx)).byDevice;
	const due = await shortenGrace(tx, bytes, now);
	const dropped: Room = { segments: 0, files: 0, snapshots: 0, graceCut: Math.min(due, bytes), reason };
	let left = bytes - due;
	for (let n = 0; left > 0 && n < dropBatch && usage.size; n++) {
		let device = "", most = -1;
		for (const [name, used] of usage) if (used > most) [device, most] = [name, used];
		const file = await catalogue.oldestFile(tx, device);
		const segment = await catalogue.oldestUnassembledSegment(tx, device);
		const snapshot = await snapshots.oldestSnapshot(tx, device);
		const oldest = [file, segment, snapshot].filter((item) => item !== undefined).sort((a, b) => a.time - b.time)[0];
		if (!oldest) {
			usage.delete(device);
			continue;
		}
		if (file && oldest === file) {
			dropped.segments += await catalogue.dropFileSegments(tx, file.id, now, keys);
			dropped.files += await catalogue.dropEmptyFiles(tx, new Set([file.id]), now, keys);
		}
		else if (segment && oldest === segment) dropped.segments += await catalogue.dropSegment(tx, segment.id, now, keys);
		else if (snapshot) dropped.snapshots += await snapshots.dropSnapshot(tx, device, snapshot, now, keys);
		usage.set(device, most - oldest.bytes);
		left -= oldest.bytes;
	}
	return dropped;
}

/** Counts in the metrics what a committed makeRoom did. */
export function countRoom({ metrics }: Pick<CloudContext, "metrics">, { graceCut, reason, ...dropped }: Room): void {
	metrics.inc("ivxs_retention_grace_cut_bytes_total", "Bytes of deleted objects whose grace was cut short to make room, by reason", { reason }, graceCut);
	for (const kind of ["segments", "files", "snapshots"] as const)
		if (dropped[kind]) metrics.inc("ivxs_retention_deleted_total", "Rows deleted by retention (objects follow after the grace period)", { kind, reason }, dropped[kind]);
}
