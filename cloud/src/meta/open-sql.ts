// Opens the metadata store a METADATA_URL names: postgres://… (several
// hosts), else a SQLite file (the embedded default). Either way the
// migrations this code declares are applied before it returns.
import { isPostgresUrl, MIGRATION_LOCK, postgresDdl } from "./dialect.js";
import { openDatabase } from "./db.js";
import { MIGRATIONS_TABLE, RECORD_STEP, pendingSteps } from "./migrations.js";
import { PostgresSql } from "./postgres-sql.js";
import type { Sql } from "./sql.js";
import { SqliteSql } from "./sqlite-sql.js";


/** The store a configuration names: metadataUrl when set, else the SQLite file. */
export const metadataOf = (config: { metadataUrl: string; metadataFile: string }): string => config.metadataUrl || config.metadataFile;

export async function openSql(url: string, options: { durable?: boolean } = {}): Promise<Sql> {
	if (!isPostgresUrl(url)) return new SqliteSql(openDatabase(url, options));
	const sql = new PostgresSql(url);
	try {
		await migratePostgres(sql);
	} catch (error) {
		await sql.close();
		throw error;
	}
	return sql;
}

// SQLite's databases are migrated as they open (meta/db.ts, synchronously);
// PostgreSQL's never existed before versioning, so there are no `columns` to add.
async function migratePostgres(sql: Sql): Promise<void> {
	await sql.transaction(async (tx) => {
		await tx.get(MIGRATION_LOCK.postgres);
		await tx.query(postgresDdl(MIGRATIONS_TABLE));
		const applied = new Map((await tx.all<{ owner: string; version: number }>("SELECT owner, version FROM schema_migrations")).map((row) => [row.owner, row.version]));
		for (const step of pendingSteps(applied)) {
			await tx.query(postgresDdl(step.sql));
			await tx.run(RECORD_STEP, [step.owner, step.version, Date.now()]);
		}
	});
}
