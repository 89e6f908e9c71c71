// Whether an object is still read by a live row — a recording (catalogue) or a
// picture (snapshots) — and the sweep that deletes tombstoned objects whose
// grace ran out (storage/tombstones.ts), unless a live row points at the key again.
import type { CloudContext } from "../context.js";
import type { Sql } from "../meta/sql.js";
import { clearTombstone, dueTombstones, tombstone } from "../storage/tombstones.js";
import { recordingUses, type DroppedKeys } from "../catalogue/index.js";
import { snapshotUses } from "../snapshots/store.js";

/** Whether a live row still points at `key` (then the object must stay). */
export const objectInUse = async (sql: Sql, key: string): Promise<boolean> => await recordingUses(sql, key) || await snapshotUses(sql, key);

/** Tombstones the dropped objects no live row reads any more, due at `due` (inside the dropping transaction `tx`). */
export async function tombstoneDropped(tx: Sql, keys: DroppedKeys, due: number): Promise<void> {
	for (const [key, bytes] of keys) if (!await objectInUse(tx, key)) await tombstone(tx, key, due, bytes);
}

/** Deletes the objects whose grace ran out; returns how many. */
export async function sweepTombstones(ctx: CloudContext, now: number, limit = 1000): Promise<number> {
	const { sql } = ctx;
	let deleted = 0;
	const due = await dueTombstones(sql, now, limit);
	// The rows that dropped these objects are on the disk before the objects go (a power loss
	// must not bring back a live row whose object is gone).
	if (due.length) await sql.durable();
	for (const key of due) {
		if (!await objectInUse(sql, key)) {
			await ctx.store.delete(key);
			deleted++;
		}
		await clearTombstone(sql, key, now);
	}
	if (deleted) ctx.metrics.inc("ivxs_objects_deleted_total", "Objects deleted after their grace period", {}, deleted);
	return deleted;
}
