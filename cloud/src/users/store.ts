// Console users, their device grants, browser sessions and API tokens. Only
// hashes are stored: passwords with scrypt (slow on purpose, salted), session
// ids and API tokens with SHA-256 (they are 256-bit random, so a fast hash is
// enough and a stolen database does not hand out live credentials).
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from "node:crypto";
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";
import { findDevice } from "../devices/registry.js";

// "user" is quoted: a reserved word in PostgreSQL (the same column in SQLite).
defineMigrations("users", [`
CREATE TABLE IF NOT EXISTS users (
	name TEXT PRIMARY KEY,
	hash TEXT NOT NULL,
	admin INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
	"user" TEXT NOT NULL,
	device TEXT NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY ("user", device)
);
CREATE INDEX IF NOT EXISTS grants_device ON grants (device);
CREATE TABLE IF NOT EXISTS sessions (
	hash TEXT PRIMARY KEY,
	"user" TEXT NOT NULL,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
	hash TEXT PRIMARY KEY,
	"user" TEXT NOT NULL,
	created INTEGER NOT NULL
);`,
// 2: a name's link epoch, in every signed URL it signs (auth/signed-url.ts) and bumped when the
// account is removed or its password set: its links end, and a new account of the same name starts
// past them. Kept after removal for that reason; absent: 0.
`CREATE TABLE IF NOT EXISTS link_epochs (
	name TEXT PRIMARY KEY,
	epoch INTEGER NOT NULL
);`]);

export interface User {
	name: string;
	admin: boolean;
	created: number;
}

/** A user as credentials find it: with the epoch its signed URLs carry. */
export interface Account extends User {
	linkEpoch: number;
}

export class UserError extends Error {
	override name = "UserError";
}

export const userNamePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const sessionLifetimeMs = 14 * 24 * 3600 * 1000;

// scrypt N=2^14, r=8, p=1: ~50 ms and 16 MiB per check on this machine's cores.
const scryptParams = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function hashPassword(password: string): string {
	const salt = randomBytes(16);
	const hash = scryptSync(password.normalize("NFC"), salt, 32, scryptParams);
	return `scrypt$${scryptParams.N}$${scryptParams.r}$${scryptParams.p}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** Asynchronous (scrypt runs on the thread pool, not on the event loop). */
export async function checkPassword(password: string, stored: string): Promise<boolean> {
	const [kind, n, r, p, salt, hash] = stored.split("$");
	if (kind !== "scrypt" || !hash) return false;
	const want = Buffer.from(hash, "base64");
	const got = await new Promise<Buffer>((resolve, reject) => scrypt(password.normalize("NFC"), Buffer.from(salt, "base64"), want.length,
		{ N: Number(n), r: Number(r), p: Number(p), maxmem: scryptParams.maxmem }, (error, key) => (error ? reject(error) : resolve(key))));
	return timingSafeEqual(got, want);
}

export const randomPassword = () => randomBytes(12).toString("base64url");

export async function addUser(sql: Sql, name: string, password: string, admin = false): Promise<User> {
	if (typeof name !== "string" || !userNamePattern.test(name)) throw new UserError(`user name must match ${userNamePattern.source}`);
	if (typeof password !== "string" || password.length < 8 || password.length > 1024) throw new UserError("password must be 8..1024 characters");
	const user = { name, admin, created: Date.now() };
	const result = await sql.run("INSERT INTO users (name, hash, admin, created) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", [name, hashPassword(password), admin ? 1 : 0, user.created]);
	if (result.changes === 0) throw new UserError(`user ${name} already exists`);
	return user;
}

const fromRow = (row: any): User => ({ name: row.name, admin: !!row.admin, created: row.created });
const accountOf = (row: any): Account => ({ ...fromRow(row), linkEpoch: Number(row.link_epoch) });
/** The columns of an Account, from `users u`; joined with `accountJoin`. */
const accountColumns = "u.*, COALESCE(e.epoch, 0) AS link_epoch";
const accountJoin = "LEFT JOIN link_epochs e ON e.name = u.name";

/** Ends every signed URL `name` signed (inside the caller's transaction). */
async function bumpLinkEpoch(tx: Sql, name: string): Promise<void> {
	await tx.run("INSERT INTO link_epochs (name, epoch) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET epoch = link_epochs.epoch + 1", [name]);
}

/** A new password; every session of the user but `keepSession` (a cookie value) ends, and every signed URL it signed. */
export async function setPassword(sql: Sql, name: string, password: string, keepSession?: string): Promise<void> {
	if (typeof password !== "string" || password.length < 8 || password.length > 1024) throw new UserError("password must be 8..1024 characters");
	const hash = hashPassword(password);
	await sql.transaction(async (tx) => {
		if ((await tx.run("UPDATE users SET hash = ? WHERE name = ?", [hash, name])).changes > 0) await bumpLinkEpoch(tx, name);
		await tx.run(`DELETE FROM sessions WHERE "user" = ? AND hash <> ?`, [name, keepSession ? sha256(keepSession) : ""]);
	});
}

/** The user and everything that speaks for it: grants, sessions, tokens, signed URLs. */
export function removeUser(sql: Sql, name: string): Promise<boolean> {
	return sql.transaction(async (tx) => {
		for (const table of ["grants", "sessions", "tokens"]) await tx.run(`DELETE FROM ${table} WHERE "user" = ?`, [name]);
		const removed = (await tx.run("DELETE FROM users WHERE name = ?", [name])).changes > 0;
		if (removed) await bumpLinkEpoch(tx, name);
		return removed;
	});
}

export async function findUser(sql: Sql, name: string): Promise<(Account & { hash: string }) | undefined> {
	const row = await sql.get<any>(`SELECT ${accountColumns} FROM users u ${accountJoin} WHERE u.name = ?`, [name]);
	return row ? { ...accountOf(row), hash: row.hash } : undefined;
}

export async function listUsers(sql: Sql): Promise<User[]> {
	return (await sql.all("SELECT * FROM users ORDER BY name")).map(fromRow);
}

export async function countUsers(sql: Sql): Promise<number> {
	return (await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM users"))!.n;
}

export async function grantDevice(sql: Sql, user: string, device: string): Promise<void> {
	if (!await findUser(sql, user)) throw new UserError(`no user ${user}`);
	if (!await findDevice(sql, device)) throw new UserError(`no device ${device}`);
	await sql.run(`INSERT INTO grants ("user", device, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, [user, device, Date.now()]);
}

export async function revokeDevice(sql: Sql, user: string, device: string): Promise<boolean> {
	return (await sql.run(`DELETE FROM grants WHERE "user" = ? AND device = ?`, [user, device])).changes > 0;
}

export async function isGranted(sql: Sql, user: string, device: string): Promise<boolean> {
	return !!await sql.get(`SELECT 1 FROM grants WHERE "user" = ? AND device = ?`, [user, device]);
}

/** The devices granted to `user`, by id. */
export async function grantedDevices(sql: Sql, user: string): Promise<string[]> {
	return (await sql.all<{ device: string }>(`SELECT device FROM grants WHERE "user" = ? ORDER BY device`, [user])).map((row) => row.device);
}

/** Every grant, by device. */
export function listGrants(sql: Sql): Promise<{ user: string; device: string }[]> {
	return sql.all(`SELECT "user", device FROM grants ORDER BY device`);
}

/** Drops a device's grants (inside device removal's transaction); returns how many. */
export async function forgetDevice(tx: Sql, device: string): Promise<number> {
	return (await tx.run("DELETE FROM grants WHERE device = ?", [device])).changes;
}

/** A new session: returns the cookie value (shown to the browser only). */
export async function createSession(sql: Sql, user: string, now = Date.now()): Promise<string> {
	const id = randomBytes(32).toString("base64url");
	await sql.run("DELETE FROM sessions WHERE expires < ?", [now]);
	await sql.run(`INSERT INTO sessions (hash, "user", created, expires) VALUES (?, ?, ?, ?)`, [sha256(id), user, now, now + sessionLifetimeMs]);
	return id;
}

export async function sessionUser(sql: Sql, id: string, now = Date.now()): Promise<Account | undefined> {
	const row = await sql.get(`SELECT ${accountColumns} FROM sessions s JOIN users u ON u.name = s."user" ${accountJoin} WHERE s.hash = ? AND s.expires > ?`, [sha256(id), now]);
	return row ? accountOf(row) : undefined;
}

export async function deleteSession(sql: Sql, id: string): Promise<void> {
	await sql.run("DELETE FROM sessions WHERE hash = ?", [sha256(id)]);
}

/** A new API token for `user`: returned once, stored hashed. */
export async function addToken(sql: Sql, user: string): Promise<string> {
	if (!await findUser(sql, user)) throw new UserError(`no user ${user}`);
	const token = `ivxs_${randomBytes(32).toString("base64url")}`;
	await sql.run(`INSERT INTO tokens (hash, "user", created) VALUES (?, ?, ?)`, [sha256(token), user, Date.now()]);
	return token;
}

export async function tokenUser(sql: Sql, token: string): Promise<Account | undefined> {
	const row = await sql.get(`SELECT ${accountColumns} FROM tokens t JOIN users u ON u.name = t."user" ${accountJoin} WHERE t.hash = ?`, [sha256(token)]);
	return row ? accountOf(row) : undefined;
}
