// The events table, and what removal and retention do with it: a removed
// device's events go with it; an event goes when its time is older than the device's
// retention (as its recordings do).
import { defineMigrations, distinctValues, type Db } from "../meta/db.js";

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
export const forgetDeviceEvents = (db: Db, device: string): number => db.prepare("DELETE FROM events WHERE device = ?").run(device).changes;

/** The devices with events (a skip scan over the index led by device). */
export const devicesWithEvents = (db: Db): string[] => distinctValues(db, "events", "device", "1");

/** Deletes a device's events before `cutoff`; returns how many. */
export const dropEventsBefore = (db: Db, device: string, cutoff: number): number =>
	db.prepare("DELETE FROM events WHERE device = ? AND time_ms < ?").run(device, cutoff).changes;
