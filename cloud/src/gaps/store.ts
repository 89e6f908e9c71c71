// The gaps table, and what removal does with it: a removed device's gaps go with it.
import { defineSchema, type Db } from "../meta/db.js";

defineSchema("gaps", `
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
CREATE INDEX IF NOT EXISTS gaps_to ON gaps (device, to_ms);`);

/** Deletes every gap of a removed device; returns how many. */
export const forgetDeviceGaps = (db: Db, device: string): number => db.prepare("DELETE FROM gaps WHERE device = ?").run(device).changes;
