// Whether an object is still read by a live row — a recording (catalogue) or a
// picture (snapshots) — and the sweep that deletes tombstoned objects whose
// grace ran out (storage/tombstones.ts), unless a live row points at the key again.
import type { CloudContext } from "../context.js";
import { commitsDurable, type Db } from "../meta/db.js";
import { clearTombstone, dueTombstones, tombstone } from "../storage/tombstones.js";
import { recordingUses, type DroppedKeys } from "../catalogue/index.js";
import { snapshotUses } from "../snapshots/store.js";

/** Whether a live row still points at `key` (then the object must stay). */
export const objectInUse = (db: Db, key: string): boolean => recordingUses(db, key) || snapshotUses(db, key);

/** Tombstones the dropped objects no live row reads any more, due at `due` (inside the dropping transaction). */
export function tombstoneDropped(db: Db, keys: DroppedKeys, due: number): void {
	for (const [key, bytes] of keys) if (!objectInUse(db, key)) tombstone(db, key, due, bytes);
}

/** Deletes the objects whose grace ran out; returns how many. */
export async function sweepTombstones(ctx: CloudContext, now: number, limit = 1000): Promise<number> {
	let deleted = 0;
	const due = dueTombstones(ctx.db, now, limit);
	// The rows that dropped these objects are on the disk before the objects go (a power loss
	// must not bring back a live row whose object is gone).
	if (due.length) await commitsDurable(ctx.db);
	for (const key of due) {
		if (!objectInUse(ctx.db, key)) {
			await ctx.store.delete(key);
			deleted++;
		}
		clearTombstone(ctx.db, key, now);
	}
	if (deleted) ctx.metrics.inc("ivxs_objects_deleted_total", "Objects deleted after their grace period", {}, deleted);
	return deleted;
}
