// The metadata store: SQLite (better-sqlite3) in WAL mode, so several service
// instances on one host can share one file. Each concern (devices, segments,
// events, …) declares its own tables with `defineMigrations` (meta/migrations.ts)
// and is the one module that writes SQL for them (cloud/README.md, "Layout");
// `openDatabase` applies the missing migrations, in order, in one transaction.
// The owners reach it through the async layer (meta/sql.ts, sqlite-sql.ts);
// across hosts PostgreSQL replaces it (METADATA_URL, meta/open-sql.ts).
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { fsyncPath } from "../storage/fsync.js";
import { dirname } from "node:path";
import { MIGRATIONS_TABLE, RECORD_STEP, pendingSteps } from "./migrations.js";
import type { Sql } from "./sql.js";

export type Db = Database.Database;
export { defineMigrations } from "./migrations.js";

/** Applies the migrations `db` lacks, in one transaction (meta/migrations.ts). */
export function migrate(db: Db): void {
	db.transaction(() => {
		db.exec(MIGRATIONS_TABLE);
		const applied = new Map((db.prepare("SELECT owner, version FROM schema_migrations").all() as { owner: string; version: number }[]).map((row) => [row.owner, row.version]));
		for (const step of pendingSteps(applied)) {
			db.exec(step.sql);
			for (const [table, column, declaration] of missingColumns(db, step.columns)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${declaration}`);
			db.prepare(RECORD_STEP).run(step.owner, step.version, Date.now());
		}
	}).immediate();
}

// `columns` keys are "table.column".
function missingColumns(db: Db, columns: Record<string, string>): [string, string, string][] {
	return Object.entries(columns).map(([name, declaration]) => [...name.split("."), declaration] as [string, string, string])
		.filter(([table, column]) => !(db.pragma(`table_info(${table})`) as { name: string }[]).some((row) => row.name === column));
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
	migrate(db);
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
export async function distinctValues(sql: Sql, table: string, column: string, where = "deleted IS NULL"): Promise<string[]> {
	return (await sql.all<{ v: string }>(`WITH RECURSIVE d(v) AS (
			SELECT MIN(${column}) FROM ${table} WHERE ${where}
			UNION ALL SELECT (SELECT MIN(${column}) FROM ${table} WHERE ${where} AND ${column} > d.v) FROM d WHERE d.v IS NOT NULL)
		SELECT v FROM d WHERE v IS NOT NULL`)).map((row) => row.v);
}
