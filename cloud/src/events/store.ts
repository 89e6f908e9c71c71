// The events table, and what removal does with it: a removed device's events go with it.
import { defineSchema, type Db } from "../meta/db.js";

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

/** Deletes every event of a removed device; returns how many. */
export const forgetDeviceEvents = (db: Db, device: string): number => db.prepare("DELETE FROM events WHERE device = ?").run(device).changes;
