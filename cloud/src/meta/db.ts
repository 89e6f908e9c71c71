// The metadata store: SQLite (better-sqlite3) in WAL mode, so several service
// instances on one host can share one file. Each concern (devices, segments,
// events, …) declares its own tables with `defineSchema`; `openDatabase` runs
// every declared schema, in declaration order, inside one transaction.
// At scale across hosts this is the part a deployment replaces (PostgreSQL):
// the modules use plain SQL through this one handle.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type Db = Database.Database;

const schemas: { name: string; sql: string }[] = [];

/** Registers `CREATE TABLE IF NOT EXISTS …` statements; call at module top level. */
export function defineSchema(name: string, sql: string): void {
	if (!schemas.some((schema) => schema.name === name)) schemas.push({ name, sql });
}

export function openDatabase(file: string): Db {
	mkdirSync(dirname(file), { recursive: true });
	const db = new Database(file);
	db.pragma("journal_mode = WAL");
	db.pragma("synchronous = NORMAL");
	db.pragma("busy_timeout = 5000");
	db.pragma("foreign_keys = ON");
	db.transaction(() => {
		for (const schema of schemas) db.exec(schema.sql);
	}).immediate();
	return db;
}
