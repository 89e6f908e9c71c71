// Objects are never deleted at once: the row that pointed at one is repointed
// or marked deleted, and the object goes on a list with a due time. Until then
// a playback in progress (a `get` that resolved its keys, a signed or
// presigned URL already handed out) keeps reading it. The sweep
// (retention/objects.ts) deletes due objects unless a live row points at the key again.
// Each keeps its object's size: what is pending deletion still fills the disk,
// and the size cap and the free-space floor count it (retention/room.ts).
import { defineMigrations, type Db } from "../meta/db.js";
import type { CloudContext } from "../context.js";

defineMigrations("tombstones", [{ sql: `
CREATE TABLE IF NOT EXISTS tombstones (
	key TEXT PRIMARY KEY,
	due INTEGER NOT NULL,
	bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tombstones_due ON tombstones (due);`, columns: { "tombstones.bytes": "INTEGER NOT NULL DEFAULT 0" } }]);

/** How long a dropped object stays readable: the configured grace, and at least a playback URL's lifetime. */
export function graceMs(ctx: Pick<CloudContext, "config">): number {
	return Math.max(ctx.config.deleteGraceS, ctx.config.urlLifetimeS) * 1000;
}

/** Queues `key` (an object of `bytes`) for deletion at `due` (call inside the transaction that drops the last reference). */
export function tombstone(db: Db, key: string, due: number, bytes = 0): void {
	db.prepare("INSERT INTO tombstones (key, due, bytes) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET due = MAX(due, excluded.due), bytes = MAX(bytes, excluded.bytes)")
		.run(key, due, bytes);
}

/** Bytes of the objects queued for deletion (still on the disk). */
export const pendingBytes = (db: Db): number => (db.prepare("SELECT SUM(bytes) AS n FROM tombstones").get() as { n: number | null }).n ?? 0;

/**
 * Makes objects due at `now` (the soonest due first) until those due hold at
 * least `bytes`, or none is left: their grace is cut short when room is
 * needed. Returns the bytes due at `now` (the next sweep frees them).
 */
export function shortenGrace(db: Db, bytes: number, now: number, limit = 10_000): number {
	let due = (db.prepare("SELECT SUM(bytes) AS n FROM tombstones WHERE due <= ?").get(now) as { n: number | null }).n ?? 0;
	const cut = db.prepare("UPDATE tombstones SET due = ? WHERE key = ?");
	for (const row of db.prepare("SELECT key, bytes FROM tombstones WHERE due > ? ORDER BY due LIMIT ?").all(now, limit) as { key: string; bytes: number }[]) {
		if (due >= bytes) break;
		cut.run(now, row.key);
		due += row.bytes;
	}
	return due;
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
