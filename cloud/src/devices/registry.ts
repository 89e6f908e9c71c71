// The device registry: id, secret, name, channels. The secret is kept (the
// cloud derives the signing and ticket keys from it) and shown only once, when
// the device is added.
import { randomBytes } from "node:crypto";
import { defineMigrations, statement, type Db } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";
import { DEVICE_ID, isDeviceId, isSecret, MAX_CHANNELS, SECRET_LENGTH } from "../../../modules/protocol/ids.js";

defineMigrations("devices", [`
CREATE TABLE IF NOT EXISTS devices (
	id TEXT PRIMARY KEY,
	secret TEXT NOT NULL,
	name TEXT NOT NULL,
	channels INTEGER NOT NULL DEFAULT 1,
	created INTEGER NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0
);`,
	// 2: a time zone per device (IANA name; the console shows the camera's times in it).
	"ALTER TABLE devices ADD COLUMN time_zone TEXT",
]);

export interface Device {
	id: string;
	secret: string;
	name: string;
	channels: number;
	created: number;
	disabled: boolean;
	/** The camera's IANA time zone (shown by the console), or null. */
	timeZone: string | null;
}

export class DeviceError extends Error {
	override name = "DeviceError";
}


export function addDevice(db: Db, options: { id: string; name?: string; channels?: number; secret?: string }): Device {
	const { id, name = options.id, channels = 1 } = options;
	if (!isDeviceId(id)) throw new DeviceError(`device id must match ${DEVICE_ID.source}`);
	if (typeof name !== "string" || name.length < 1 || name.length > 128) throw new DeviceError("device name must be 1..128 characters");
	if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) throw new DeviceError(`channels must be 1..${MAX_CHANNELS}`);
	const secret = options.secret ?? randomBytes(24).toString("base64url");
	if (!isSecret(secret)) throw new DeviceError(`secret must be ${SECRET_LENGTH.min}..${SECRET_LENGTH.max} characters`);
	const device = { id, secret, name, channels, created: Date.now(), disabled: false, timeZone: null };
	const result = db.prepare("INSERT OR IGNORE INTO devices (id, secret, name, channels, created) VALUES (?, ?, ?, ?, ?)").run(id, secret, name, channels, device.created);
	if (result.changes === 0) throw new DeviceError(`device ${id} already exists`);
	return device;
}

const fromRow = ({ time_zone, ...row }: any): Device => ({ ...row, disabled: !!row.disabled, timeZone: time_zone ?? null });

/** An IANA zone name Intl knows ("Europe/Paris", "UTC"). */
export function isTimeZone(zone: unknown): zone is string {
	if (typeof zone !== "string" || zone.length < 1 || zone.length > 64) return false;
	try {
		new Intl.DateTimeFormat("en", { timeZone: zone });
		return true;
	}
	catch {
		return false;
	}
}

/** Renames a device and/or sets its time zone (null clears it); throws DeviceError on a bad value. */
export function updateDevice(db: Db, id: string, change: { name?: unknown; timeZone?: unknown }): Device | undefined {
	const { name, timeZone } = change;
	if (name !== undefined && (typeof name !== "string" || name.length < 1 || name.length > 128)) throw new DeviceError("device name must be 1..128 characters");
	if (timeZone !== undefined && timeZone !== null && !isTimeZone(timeZone)) throw new DeviceError("timeZone must be an IANA time zone name (e.g. Europe/Paris) or null");
	db.transaction(() => {
		if (name !== undefined) db.prepare("UPDATE devices SET name = ? WHERE id = ?").run(name, id);
		if (timeZone !== undefined) db.prepare("UPDATE devices SET time_zone = ? WHERE id = ?").run(timeZone, id);
	})();
	return findDevice(db, id);
}

// Per request (every device request and viewer check): prepared once.
const FIND_DEVICE = "SELECT * FROM devices WHERE id = ?";

export function findDevice(db: Db, id: string): Device | undefined {
	const row = statement(db, FIND_DEVICE).get(id);
	return row ? fromRow(row) : undefined;
}

/**
 * Whether `device` (as a request authenticated it) is still registered: not removed, and not
 * removed and added again under its id meanwhile (a new registration has a new secret).
 */
export const stillRegistered = (db: Db, device: Device): boolean => findDevice(db, device.id)?.secret === device.secret;

/** `findDevice` on the async data layer (meta/sql.ts), for the owners already there. */
export async function loadDevice(sql: Sql, id: string): Promise<Device | undefined> {
	const row = await sql.get(FIND_DEVICE, [id]);
	return row ? fromRow(row) : undefined;
}

export function listDevices(db: Db): Device[] {
	return db.prepare("SELECT * FROM devices ORDER BY id").all().map(fromRow);
}

export function removeDevice(db: Db, id: string): boolean {
	return db.prepare("DELETE FROM devices WHERE id = ?").run(id).changes > 0;
}
