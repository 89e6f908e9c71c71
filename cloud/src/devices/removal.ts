// A removed device leaves nothing behind: a device added again under its id
// (or anyone granted it) must see none of the old one's recordings, pictures,
// events, gaps, plan or presence. One transaction deletes every row keyed by
// the device, each through the module that owns its table, and puts the
// objects those rows pointed at on the tombstone list (storage/tombstones.ts):
// they are deleted after the grace, so a signed or presigned URL handed out
// before stops at the row (404) and a playback already reading is not cut.
// Nonces stay until they expire (minutes): they only refuse replays.
import type { Config } from "../config.js";
import type { Sql } from "../meta/sql.js";
import { deviceLock, forgetDeviceRecordings, type DroppedKeys } from "../catalogue/index.js";
import { forgetDeviceSnapshots } from "../snapshots/store.js";
import { forgetDeviceEvents } from "../events/store.js";
import { forgetDeviceGaps } from "../gaps/store.js";
import { forgetDevice as forgetGrants } from "../users/store.js";
import { forgetPresence } from "../control/presence.js";
import { forgetDeviceRollouts } from "../releases/store.js";
import { deletePlan } from "../control/plans.js";
import { graceMs, tombstone } from "../storage/tombstones.js";
import { addDevice, DeviceError, findDevice, removeDevice, type Device } from "./registry.js";

export interface Purged {
	/** Whether the device itself was registered. */
	device: boolean;
	/** Rows deleted besides the device's own. */
	rows: number;
	/** Objects put on the tombstone list. */
	objects: number;
}

/** Deletes the device and everything of it (objects after the grace); works on leftovers of a device already gone too. */
export function purgeDevice(sql: Sql, config: Config, id: string, now = Date.now()): Promise<Purged> {
	return sql.transaction((tx) => purge(tx, config, id, now), { lock: deviceLock(id) });
}

async function purge(tx: Sql, config: Config, id: string, now: number): Promise<Purged> {
	const device = await removeDevice(tx, id);
	const keys: DroppedKeys = new Map();
	let rows = await forgetDeviceRecordings(tx, id, keys) + await forgetDeviceSnapshots(tx, id, keys);
	for (const forget of [forgetDeviceEvents, forgetDeviceGaps, forgetGrants, forgetPresence, deletePlan, forgetDeviceRollouts]) rows += await forget(tx, id);
	const due = now + graceMs({ config });
	for (const [key, bytes] of keys) await tombstone(tx, key, due, bytes);
	return { device, rows, objects: keys.size };
}

/**
 * Adds a device whose id is new to the registry, after purging whatever an
 * earlier device of that id left (a removal by an older version, a row an
 * upload in flight wrote after the removal): the new device starts empty.
 */
export function addFreshDevice(sql: Sql, config: Config, options: Parameters<typeof addDevice>[1], now = Date.now()): Promise<Device> {
	const { id } = options;
	return sql.transaction(async (tx) => {
		// An id addDevice refuses purges nothing: the transaction rolls back with its error.
		if (typeof id === "string") {
			if (await findDevice(tx, id)) throw new DeviceError(`device ${id} already exists`);
			await purge(tx, config, id, now);
		}
		return addDevice(tx, options);
	}, typeof id === "string" ? { lock: deviceLock(id) } : {});
}
