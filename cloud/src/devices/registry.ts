// The device registry: id, secret, name, channels. The secret is kept (the
// cloud derives the signing and ticket keys from it) and shown only once, when
// the device is added.
import { randomBytes } from "node:crypto";
import { defineMigrations, statement, type Db } from "../meta/db.js";
import { DEVICE_ID, isDeviceId, isSecret, MAX_CHANNELS, SECRET_LENGTH } from "../../../modules/protocol/ids.js";

defineMigrations("devices", [`
CREATE TABLE IF NOT EXISTS devices (
	id TEXT PRIMARY KEY,
	secret TEXT NOT NULL,
	name TEXT NOT NULL,
	channels INTEGER NOT NULL DEFAULT 1,
	created INTEGER NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0
);`]);

export interface Device {
	id: string;
	secret: string;
	name: string;
	channels: number;
	created: number;
	disabled: boolean;
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
	const device = { id, secret, name, channels, created: Date.now(), disabled: false };
	const result = db.prepare("INSERT OR IGNORE INTO devices (id, secret, name, channels, created) VALUES (?, ?, ?, ?, ?)").run(id, secret, name, channels, device.created);
	if (result.changes === 0) throw new DeviceError(`device ${id} already exists`);
	return device;
}

const fromRow = (row: any): Device => ({ ...row, disabled: !!row.disabled });

// Per request (every device request and viewer check): prepared once.
export function findDevice(db: Db, id: string): Device | undefined {
	const row = statement(db, "SELECT * FROM devices WHERE id = ?").get(id);
	return row ? fromRow(row) : undefined;
}

export function listDevices(db: Db): Device[] {
	return db.prepare("SELECT * FROM devices ORDER BY id").all().map(fromRow);
}

export function removeDevice(db: Db, id: string): boolean {
	return db.prepare("DELETE FROM devices WHERE id = ?").run(id).changes > 0;
}
