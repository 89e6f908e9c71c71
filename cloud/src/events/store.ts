// The events table, and what retention does with it: an event goes when its time is older than the
// device's retention (as its recordings do); nothing else ever deletes events.
import { defineSchema, distinctValues, type Db } from "../meta/db.js";

defineSchema("events", `
CREATE TABLE IF NOT EXISTS events (
	device TEXT NOT NULL,
	channel INTEGER NOT NULL,
	id TEXT NOT NULL,
	time_ms INTEGER NOT NULL,
	bits INTEGER NOT NULL,
	received INTEGER NOT NULL,
	UNIQUE (device, id)
);
CREATE INDEX IF NOT EXISTS events_time ON events (device, time_ms);`);

/** The devices with events (a skip scan over the index led by device). */
export const devicesWithEvents = (db: Db): string[] => distinctValues(db, "events", "device", "1");

/** Deletes a device's events before `cutoff`; returns how many. */
export const dropEventsBefore = (db: Db, device: string, cutoff: number): number =>
	db.prepare("DELETE FROM events WHERE device = ? AND time_ms < ?").run(device, cutoff).changes;
