// The events table, and what removal and retention do with it: a removed
// device's events go with it; an event goes when its time is older than the device's
// retention (as its recordings do).
import { defineMigrations, distinctValues } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";

defineMigrations("events", [`
CREATE TABLE IF NOT EXISTS events (
	device TEXT NOT NULL,
	channel INTEGER NOT NULL,
	id TEXT NOT NULL,
	time_ms INTEGER NOT NULL,
	bits INTEGER NOT NULL,
	received INTEGER NOT NULL,
	UNIQUE (device, id)
);
CREATE INDEX IF NOT EXISTS events_time ON events (device, time_ms);`]);

/** Deletes every event of a removed device; returns how many. */
export const forgetDeviceEvents = async (tx: Sql, device: string): Promise<number> => (await tx.run("DELETE FROM events WHERE device = ?", [device])).changes;

/** The devices with events (a skip scan over the index led by device). */
export const devicesWithEvents = (sql: Sql): Promise<string[]> => distinctValues(sql, "events", "device", "TRUE");

/** Deletes a device's events before `cutoff`; returns how many. */
export const dropEventsBefore = async (tx: Sql, device: string, cutoff: number): Promise<number> =>
	(await tx.run("DELETE FROM events WHERE device = ? AND time_ms < ?", [device, cutoff])).changes;
