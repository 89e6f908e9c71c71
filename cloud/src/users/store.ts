// Console users, their device grants, browser sessions and API tokens. Only
// hashes are stored: passwords with scrypt (slow on purpose, salted), session
// ids and API tokens with SHA-256 (they are 256-bit random, so a fast hash is
// enough and a stolen database does not hand out live credentials).
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from "node:crypto";
import { defineMigrations, statement, type Db } from "../meta/db.js";
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
);`]);

export interface User {
	name: string;
	admin: boolean;
	created: number;
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

export function addUser(db: Db, name: string, password: string, admin = false): User {
	if (typeof name !== "string" || !userNamePattern.test(name)) throw new UserError(`user name must match ${userNamePattern.source}`);
	if (typeof password !== "string" || password.length < 8 || password.length > 1024) throw new UserError("password must be 8..1024 characters");
	const user = { name, admin, created: Date.now() };
	const result = db.prepare("INSERT OR IGNORE INTO users (name, hash, admin, created) VALUES (?, ?, ?, ?)").run(name, hashPassword(password), admin ? 1 : 0, user.created);
	if (result.changes === 0) throw new UserError(`user ${name} already exists`);
	return user;
}

const fromRow = (row: any): User => ({ name: row.name, admin: !!row.admin, created: row.created });

/** A new password; every session of the user but `keepSession` (a cookie value) ends. */
export function setPassword(db: Db, name: string, password: string, keepSession?: string): void {
	if (typeof password !== "string" || password.length < 8 || password.length > 1024) throw new UserError("password must be 8..1024 characters");
	const hash = hashPassword(password);
	db.transaction(() => {
		db.prepare("UPDATE users SET hash = ? WHERE name = ?").run(hash, name);
		db.prepare("DELETE FROM sessions WHERE user = ? AND hash != ?").run(name, keepSession ? sha256(keepSession) : "");
	})();
}

/** The user and everything that speaks for it: grants, sessions, tokens. */
export function removeUser(db: Db, name: string): boolean {
	return db.transaction(() => {
		for (const table of ["grants", "sessions", "tokens"]) db.prepare(`DELETE FROM ${table} WHERE user = ?`).run(name);
		return db.prepare("DELETE FROM users WHERE name = ?").run(name).changes > 0;
	})();
}

export function findUser(db: Db, name: string): (User & { hash: string }) | undefined {
	const row = statement(db, "SELECT * FROM users WHERE name = ?").get(name) as any;
	return row ? { ...fromRow(row), hash: row.hash } : undefined;
}

export function listUsers(db: Db): User[] {
	return db.prepare("SELECT * FROM users ORDER BY name").all().map(fromRow);
}

export function countUsers(db: Db): number {
	return (db.prepare("SELECT COUNT(*) AS n FROM users").get() as { n: number }).n;
}

export function grantDevice(db: Db, user: string, device: string): void {
	if (!findUser(db, user)) throw new UserError(`no user ${user}`);
	if (!findDevice(db, device)) throw new UserError(`no device ${device}`);
	db.prepare("INSERT OR IGNORE INTO grants (user, device, created) VALUES (?, ?, ?)").run(user, device, Date.now());
}

export function revokeDevice(db: Db, user: string, device: string): boolean {
	return db.prepare("DELETE FROM grants WHERE user = ? AND device = ?").run(user, device).changes > 0;
}

export function isGranted(db: Db, user: string, device: string): boolean {
	return !!statement(db, "SELECT 1 FROM grants WHERE user = ? AND device = ?").get(user, device);
}

/** The devices granted to `user`, by id. */
export function grantedDevices(db: Db, user: string): string[] {
	return (db.prepare("SELECT device FROM grants WHERE user = ? ORDER BY device").all(user) as { device: string }[]).map((row) => row.device);
}

/** Every grant, by device. */
export function listGrants(db: Db): { user: string; device: string }[] {
	return db.prepare("SELECT user, device FROM grants ORDER BY device").all() as { user: string; device: string }[];
}

/** Drops a device's grants (the device was removed); returns how many. */
export function forgetDevice(db: Db, device: string): number {
	return db.prepare("DELETE FROM grants WHERE device = ?").run(device).changes;
}

/** A new session: returns the cookie value (shown to the browser only). */
export function createSession(db: Db, user: string, now = Date.now()): string {
	const id = randomBytes(32).toString("base64url");
	db.prepare("DELETE FROM sessions WHERE expires < ?").run(now);
	db.prepare("INSERT INTO sessions (hash, user, created, expires) VALUES (?, ?, ?, ?)").run(sha256(id), user, now, now + sessionLifetimeMs);
	return id;
}

export function sessionUser(db: Db, id: string, now = Date.now()): User | undefined {
	const row = statement(db, "SELECT u.* FROM sessions s JOIN users u ON u.name = s.user WHERE s.hash = ? AND s.expires > ?").get(sha256(id), now);
	return row ? fromRow(row) : undefined;
}

export function deleteSession(db: Db, id: string): void {
	db.prepare("DELETE FROM sessions WHERE hash = ?").run(sha256(id));
}

/** A new API token for `user`: returned once, stored hashed. */
export function addToken(db: Db, user: string): string {
	if (!findUser(db, user)) throw new UserError(`no user ${user}`);
	const token = `ivxs_${randomBytes(32).toString("base64url")}`;
	db.prepare("INSERT INTO tokens (hash, user, created) VALUES (?, ?, ?)").run(sha256(token), user, Date.now());
	return token;
}

export function tokenUser(db: Db, token: string): User | undefined {
	const row = statement(db, "SELECT u.* FROM tokens t JOIN users u ON u.name = t.user WHERE t.hash = ?").get(sha256(token));
	return row ? fromRow(row) : undefined;
}
