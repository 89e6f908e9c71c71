// OTA releases and rollouts (issue 15; cloud/API.md "Releases"): the tables, and what device
// removal does with them (a removed device leaves every rollout).
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";

defineMigrations("releases", [`
CREATE TABLE IF NOT EXISTS releases (
	version TEXT PRIMARY KEY,
	app TEXT NOT NULL,
	abi TEXT NOT NULL,
	kind TEXT NOT NULL,
	payload_size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	rollback INTEGER NOT NULL,
	key_id TEXT NOT NULL,
	manifest TEXT NOT NULL,
	bundle_size INTEGER NOT NULL,
	added INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollouts (
	id TEXT PRIMARY KEY,
	version TEXT NOT NULL,
	stages TEXT NOT NULL,
	stage INTEGER NOT NULL,
	state TEXT NOT NULL,
	reason TEXT NOT NULL,
	failure_threshold REAL NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollout_devices (
	rollout TEXT NOT NULL,
	device TEXT NOT NULL,
	stage INTEGER NOT NULL,
	state TEXT NOT NULL,
	reason TEXT NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (rollout, device)
);
CREATE INDEX IF NOT EXISTS rollout_devices_device ON rollout_devices (device);`]);

/** Takes a removed device out of every rollout; returns how many rows. */
export const forgetDeviceRollouts = async (tx: Sql, device: string): Promise<number> => (await tx.run("DELETE FROM rollout_devices WHERE device = ?", [device])).changes;
