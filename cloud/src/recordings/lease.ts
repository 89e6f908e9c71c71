// One instance at a time does the storage upkeep (file assembly, retention,
// deleting tombstoned objects): a row in the shared metadata names the holder
// and when its claim runs out. The holder renews it on every run; another
// instance takes it over only after it expired, so an instance that died
// mid-work hands over within one lease period.
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";

defineMigrations("leases", [`
CREATE TABLE IF NOT EXISTS leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires INTEGER NOT NULL
);`]);

/** The lease of the storage upkeep (assembly, retention, deletions) and how long a claim lasts. */
export const leaseName = "storage";
export const leaseMs = 60_000;

/** Parameters: name, holder, expires, now (also run by the metadata contract suite on both engines). */
export const HOLD_LEASE = `INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
		WHERE leases.holder = excluded.holder OR leases.expires <= ?`;

/** Takes or renews the lease `name` for `holder` until now + ttlMs; false when another holder's lease is still running. */
export async function holdLease(sql: Sql, name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
	return (await sql.run(HOLD_LEASE, [name, holder, now + ttlMs, now])).changes === 1;
}

/** Whether `holder` holds `name` at `now` (checked inside the transaction that publishes work). */
export async function leaseHeld(sql: Sql, name: string, holder: string, now: number): Promise<boolean> {
	return await sql.get("SELECT 1 FROM leases WHERE name = ? AND holder = ? AND expires > ?", [name, holder, now]) !== undefined;
}

/** Gives the lease up (at shutdown), so another instance need not wait for it to expire. */
export async function releaseLease(sql: Sql, name: string, holder: string): Promise<void> {
	await sql.run("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder]);
}
