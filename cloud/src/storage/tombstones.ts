// Objects are never deleted at once: the row that pointed at one is repointed
// or marked deleted, and the object goes on a list with a due time. Until then
// a playback in progress (a `get` that resolved its keys, a signed or
// presigned URL already handed out) keeps reading it. The sweep
// (retention/objects.ts) deletes due objects unless a live row points at the key again.
import { defineSchema, type Db } from "../meta/db.js";
import type { CloudContext } from "../context.js";

defineSchema("tombstones", `
CREATE TABLE IF NOT EXISTS tombstones (
	key TEXT PRIMARY KEY,
	due INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_due ON tombstones (due);`);

/** How long a dropped object stays readable: the configured grace, and at least a playback URL's lifetime. */
export function graceMs(ctx: Pick<CloudContext, "config">): number {
	return Math.max(ctx.config.deleteGraceS, ctx.config.urlLifetimeS) * 1000;
}

/** Queues `key` for deletion at `due` (call inside the transaction that drops the last reference). */
export function tombstone(db: Db, key: string, due: number): void {
	db.prepare("INSERT INTO tombstones (key, due) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET due = MAX(due, excluded.due)").run(key, due);
}

export const isTombstoned = (db: Db, key: string): boolean => db.prepare("SELECT 1 FROM tombstones WHERE key = ?").get(key) !== undefined;

/** The keys due by `now`, the most overdue first. */
export function dueTombstones(db: Db, now: number, limit: number): string[] {
	return (db.prepare("SELECT key FROM tombstones WHERE due <= ? ORDER BY due LIMIT ?").all(now, limit) as { key: string }[]).map((row) => row.key);
}

/** Takes `key` off the list (it was deleted, or is read again), unless it was queued again for later than `now`. */
export function clearTombstone(db: Db, key: string, now: number): void {
	db.prepare("DELETE FROM tombstones WHERE key = ? AND due <= ?").run(key, now);
}
