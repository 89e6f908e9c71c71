// Objects are never deleted at once: the row that pointed at one is repointed
// or marked deleted, and the object goes on a list with a due time. Until then
// a playback in progress (a `get` that resolved its keys, a signed or
// presigned URL already handed out) keeps reading it. The sweep
// (retention/objects.ts) deletes due objects unless a live row points at the key again.
// Each keeps its object's size: what is pending deletion still fills the disk,
// and the size cap and the free-space floor count it (retention/room.ts).
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";
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
export async function tombstone(tx: Sql, key: string, due: number, bytes = 0): Promise<void> {
	// The later due and the larger size of the two (CASE: SQLite's two-argument MAX is PostgreSQL's GREATEST).
	await tx.run(`INSERT INTO tombstones (key, due, bytes) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET
		due = CASE WHEN excluded.due > tombstones.due THEN excluded.due ELSE tombstones.due END,
		bytes = CASE WHEN excluded.bytes > tombstones.bytes THEN excluded.bytes ELSE tombstones.bytes END`, [key, due, bytes]);
}

/** Bytes of the objects queued for deletion (still on the disk). */
export const pendingBytes = async (sql: Sql): Promise<number> => (await sql.get<{ n: number | null }>("SELECT SUM(bytes) AS n FROM tombstones"))!.n ?? 0;

/**
 * Makes objects due at `now` (the soonest due first) until those due hold at
 * least `bytes`, or none is left: their grace is cut short when room is
 * needed. Returns the bytes due at `now` (the next sweep frees them).
 */
export async function shortenGrace(tx: Sql, bytes: number, now: number, limit = 10_000): Promise<number> {
	let due = (await tx.get<{ n: number | null }>("SELECT SUM(bytes) AS n FROM tombstones WHERE due <= ?", [now]))!.n ?? 0;
	for (const row of await tx.all<{ key: string; bytes: number }>("SELECT key, bytes FROM tombstones WHERE due > ? ORDER BY due LIMIT ?", [now, limit])) {
		if (due >= bytes) break;
		await tx.run("UPDATE tombstones SET due = ? WHERE key = ?", [now, row.key]);
		due += row.bytes;
	}
	return due;
}

export const isTombstoned = async (sql: Sql, key: string): Promise<boolean> => await sql.get("SELECT 1 FROM tombstones WHERE key = ?", [key]) !== undefined;

/** The keys due by `now`, the most overdue first. */
export async function dueTombstones(sql: Sql, now: number, limit: number): Promise<string[]> {
	return (await sql.all<{ key: string }>("SELECT key FROM tombstones WHERE due <= ? ORDER BY due LIMIT ?", [now, limit])).map((row) => row.key);
}

/** Takes `key` off the list (it was deleted, or is read again), unless it was queued again for later than `now`. */
export async function clearTombstone(sql: Sql, key: string, now: number): Promise<void> {
	await sql.run("DELETE FROM tombstones WHERE key = ? AND due <= ?", [key, now]);
}
