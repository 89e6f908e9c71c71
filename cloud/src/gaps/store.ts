// The gaps table, and what removal and retention do with it: a removed
// device's gaps go with it; a gap goes when its end is older than the device's
// retention (as its recordings do).
import { defineMigrations, distinctValues } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";

defineMigrations("gaps", [`
CREATE TABLE IF NOT EXISTS gaps (
	device TEXT NOT NULL,
	channel INTEGER NOT NULL,
	from_ms INTEGER NOT NULL,
	to_ms INTEGER NOT NULL,
	frames INTEGER NOT NULL,
	reason TEXT NOT NULL,
	received INTEGER NOT NULL,
	UNIQUE (device, channel, from_ms, to_ms, reason)
);
CREATE INDEX IF NOT EXISTS gaps_to ON gaps (device, to_ms);`]);

/** Deletes every gap of a removed device; returns how many. */
export const forgetDeviceGaps = async (tx: Sql, device: string): Promise<number> => (await tx.run("DELETE FROM gaps WHERE device = ?", [device])).changes;

/** The devices with gaps (a skip scan over the index led by device). */
export const devicesWithGaps = (sql: Sql): Promise<string[]> => distinctValues(sql, "gaps", "device", "TRUE");

/** Deletes a device's gaps before `cutoff`; returns how many. */
export const dropGapsBefore = async (tx: Sql, device: string, cutoff: number): Promise<number> =>
	(await tx.run("DELETE FROM gaps WHERE device = ? AND to_ms < ?", [device, cutoff])).changes;
