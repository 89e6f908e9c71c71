// The metadata store: SQLite (better-sqlite3) in WAL mode, so several service
// instances on one host can share one file. Each concern (devices, segments,
// events, …) declares its own tables with `defineSchema` and is the one module
// that writes SQL for them (cloud/README.md, "Layout"); `openDatabase` runs
// every declared schema, in declaration order, inside one transaction.
// At scale across hosts this is the part a deployment replaces (PostgreSQL):
// the modules use plain SQL through this one handle.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { fsyncPath } from "../storage/fsync.js";
import { dirname } from "node:path";

export type Db = Database.Database;

const schemas: { name: string; sql: string; columns: Record<string, string> }[] = [];

/**
 * Registers `CREATE TABLE IF NOT EXISTS …` statements; call at module top
 * level. `columns` (name → declaration) are added to table `name` when a
 * database made before them lacks them.
 */
export function defineSchema(name: string, sql: string, columns: Record<string, string> = {}): void {
	if (!schemas.some((schema) => schema.name === name)) schemas.push({ name, sql, columns });
}

const durableFiles = new WeakMap<Db, string>();

/** Resolves once the commits made so far on `db` would survive a power loss (see openDatabase). */
export function commitsDurable(db: Db): Promise<void> {
	const wal = durableFiles.get(db);
	return wal ? fsyncPath(wal) : Promise.resolve();
}

/**
 * `durable` (the default): `commitsDurable(db)` resolves once every commit made
 * so far is on the disk — what an acknowledgement (the camera's 201) awaits.
 * SQLite runs WAL with synchronous=NORMAL (the WAL is fsynced before each
 * checkpoint, the database after it) and the WAL is fsynced on libuv's thread
 * pool, one fsync for all the commits made while the previous one ran
 * (storage/fsync.ts):
 * synchronous=FULL would fsync in every commit, on the event loop, one at a
 * time (measured: 3.5× fewer segments a second, bench/cloud/durability.mjs).
 * false: commitsDurable does nothing (measuring that cost; never for data that matters).
 */
export function openDatabase(file: string, { durable = true }: { durable?: boolean } = {}): Db {
	mkdirSync(dirname(file), { recursive: true });
	const db = new Database(file);
	db.pragma("journal_mode = WAL");
	db.pragma("synchronous = NORMAL");
	if (durable) durableFiles.set(db, `${file}-wal`);
	db.pragma("busy_timeout = 5000");
	db.pragma("foreign_keys = ON");
	db.transaction(() => {
		for (const schema of schemas) {
			db.exec(schema.sql);
			const has = new Set((db.pragma(`table_info(${schema.name})`) as { name: string }[]).map((column) => column.name));
			for (const [column, declaration] of Object.entries(schema.columns)) if (!has.has(column)) db.exec(`ALTER TABLE ${schema.name} ADD COLUMN ${column} ${declaration}`);
		}
	}).immediate();
	return db;
}

// Statements prepared once per database handle, for the queries run per request.
const prepared = new WeakMap<Db, Map<string, Database.Statement<any[]>>>();
export function statement(db: Db, sql: string): Database.Statement<any[]> {
	let map = prepared.get(db);
	if (!map) prepared.set(db, map = new Map());
	let stmt = map.get(sql);
	if (!stmt) map.set(sql, stmt = db.prepare(sql));
	return stmt;
}

/**
 * The distinct values of `column` among the rows of `table` that `where`
 * keeps (the live ones: deleted IS NULL), called by the table's owner: a skip
 * scan, one seek per value, over an index on those rows led by `column`.
 */
export function distinctValues(db: Db, table: string, column: string, where = "deleted IS NULL"): string[] {
	return (db.prepare(`WITH RECURSIVE d(v) AS (
			SELECT MIN(${column}) FROM ${table} WHERE ${where}
			UNION ALL SELECT (SELECT MIN(${column}) FROM ${table} WHERE ${where} AND ${column} > d.v) FROM d WHERE d.v IS NOT NULL)
		SELECT v FROM d WHERE v IS NOT NULL`).all() as { v: string }[]).map((row) => row.v);
}
