// Objects are never deleted at once: the row that pointed at one is repointed
// or marked deleted, and the object goes on a list with a due time. Until then
// a playback in progress (a `get` that resolved its keys, a signed or
// presigned URL already handed out) keeps reading it. The sweep deletes due
// objects unless a live row points at the key again.
import { defineSchema, type Db } from "../meta/db.js";
import type { CloudContext } from "../context.js";

defineSchema("tombstones", `
CREATE TABLE IF NOT EXISTS tombstones (
	key TEXT PRIMARY KEY,
	due INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_due ON tombstones (due);`);

/** How long a dropped object stays readable: the configured grace, and at least a playback URL's lifetime. */
export function graceMs(ctx: CloudContext): number {
	return Math.max(ctx.config.deleteGraceS, ctx.config.urlLifetimeS) * 1000;
}

/** Queues `key` for deletion at `due` (call inside the transaction that drops the last reference). */
export function tombstone(db: Db, key: string, due: number): void {
	db.prepare("INSERT INTO tombstones (key, due) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET due = MAX(due, excluded.due)").run(key, due);
}

/** Whether another part's table is there (the snapshots and plans parts may be absent). */
export const tableExists = (db: Db, name: string): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

/** Whether a live row still points at `key` (then the object must stay). */
export function referenced(db: Db, key: string): boolean {
	const live = (table: string) => tableExists(db, table) && db.prepare(`SELECT 1 FROM ${table} WHERE key = ? AND deleted IS NULL LIMIT 1`).get(key) !== undefined;
	return live("segments") || live("files") || live("snapshots");
}

/** Deletes the objects whose grace ran out; returns how many. */
export async function sweepTombstones(ctx: CloudContext, now: number, limit = 1000): Promise<number> {
	const due = ctx.db.prepare("SELECT key FROM tombstones WHERE due <= ? ORDER BY due LIMIT ?").all(now, limit) as { key: string }[];
	let deleted = 0;
	for (const { key } of due) {
		if (!referenced(ctx.db, key)) {
			await ctx.store.delete(key);
			deleted++;
		}
		ctx.db.prepare("DELETE FROM tombstones WHERE key = ? AND due <= ?").run(key, now);
	}
	if (deleted) ctx.metrics.inc("ivxs_objects_deleted_total", "Objects deleted after their grace period", {}, deleted);
	return deleted;
}
