// The device registry: id, secret, name, channels. The secret is kept (the
// cloud derives the signing and ticket keys from it) and shown only once, when
// the device is added.
import { randomBytes } from "node:crypto";
import { defineMigrations } from "../meta/db.js";
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


export async function addDevice(sql: Sql, options: { id: string; name?: string; channels?: number; secret?: string }): Promise<Device> {
	const { id, name = options.id, channels = 1 } = options;
	if (!isDeviceId(id)) throw new DeviceError(`device id must match ${DEVICE_ID.source}`);
	if (typeof name !== "string" || name.length < 1 || name.length > 128) throw new DeviceError("device name must be 1..128 characters");
	if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) throw new DeviceError(`channels must be 1..${MAX_CHANNELS}`);
	const secret = options.secret ?? randomBytes(24).toString("base64url");
	if (!isSecret(secret)) throw new DeviceError(`secret must be ${SECRET_LENGTH.min}..${SECRET_LENGTH.max} characters`);
	const device = { id, secret, name, channels, created: Date.now(), disabled: false, timeZone: null };
	const result = await sql.run("INSERT INTO devices (id, secret, name, channels, created) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", [id, secret, name, channels, device.created]);
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
export async function updateDevice(sql: Sql, id: string, change: { name?: unknown; timeZone?: unknown }): Promise<Device | undefined> {
	const { name, timeZone } = change;
	if (name !== undefined && (typeof name !== "string" || name.length < 1 || name.length > 128)) throw new DeviceError("device name must be 1..128 characters");
	if (timeZone !== undefined && timeZone !== null && !isTimeZone(timeZone)) throw new DeviceError("timeZone must be an IANA time zone name (e.g. Europe/Paris) or null");
	await sql.transaction(async (tx) => {
		if (name !== undefined) await tx.run("UPDATE devices SET name = ? WHERE id = ?", [name as string, id]);
		if (timeZone !== undefined) await tx.run("UPDATE devices SET time_zone = ? WHERE id = ?", [timeZone as string | null, id]);
	});
	return findDevice(sql, id);
}

export async function findDevice(sql: Sql, id: string): Promise<Device | undefined> {
	const row = await sql.get("SELECT * FROM devices WHERE id = ?", [id]);
	return row ? fromRow(row) : undefined;
}

/**
 * Whether `device` (as a request authenticated it) is still registered: not removed, and not
 * removed and added again under its id meanwhile (a new registration has a new secret).
 */
export const stillRegistered = async (sql: Sql, device: Device): Promise<boolean> => (await findDevice(sql, device.id))?.secret === device.secret;

export async function listDevices(sql: Sql): Promise<Device[]> {
	return (await sql.all("SELECT * FROM devices ORDER BY id")).map(fromRow);
}

export async function removeDevice(tx: Sql, id: string): Promise<boolean> {
	return (await tx.run("DELETE FROM devices WHERE id = ?", [id])).changes > 0;
}
