// Versioned schema migrations. Each owner of tables (catalogue, users, …)
// declares its migrations in order, at module top level; the database keeps
// the version each owner reached in `schema_migrations`, and opening a
// database applies what is missing, in declaration order, in one transaction.
// A migration once released is never edited: a change is a new one appended.
//
// Migration 1 of every owner is the schema as it stood before versioning
// (CREATE … IF NOT EXISTS, so a database made by that version is adopted as
// it is); its `columns` ("table.column" → declaration) are the columns that
// version added to older databases by hand, added here when missing.

export type Migration = string | { sql: string; columns: Record<string, string> };

type Owner = { owner: string; migrations: readonly Migration[] };
const owners: Owner[] = [];

/** Registers `owner`'s migrations (1, 2, … in order); call once at module top level. */
export function defineMigrations(owner: string, migrations: readonly Migration[]): void {
	if (!owners.some((entry) => entry.owner === owner)) owners.push({ owner, migrations });
}

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
	owner TEXT PRIMARY KEY,
	version INTEGER NOT NULL,
	applied INTEGER NOT NULL
)`;

export class MigrationError extends Error {
	override name = "MigrationError";
}

export type Step = { owner: string; version: number; sql: string; columns: Record<string, string> };

/**
 * The steps to bring a database whose owners reached `applied` (owner →
 * version) up to this code, in order. Throws when the database is newer
 * than the code for one of its owners: running old code on it could
 * corrupt what the newer code wrote.
 */
export function pendingSteps(applied: ReadonlyMap<string, number>): Step[] {
	const steps: Step[] = [];
	for (const { owner, migrations } of owners) {
		const from = applied.get(owner) ?? 0;
		if (from > migrations.length) throw new MigrationError(`the database's "${owner}" tables are at version ${from}, newer than this code (${migrations.length}): upgrade the service`);
		migrations.slice(from).forEach((migration, index) => {
			const { sql, columns } = typeof migration === "string" ? { sql: migration, columns: {} } : migration;
			steps.push({ owner, version: from + index + 1, sql, columns });
		});
	}
	return steps;
}

export const RECORD_STEP = "INSERT INTO schema_migrations (owner, version, applied) VALUES (?, ?, ?) ON CONFLICT (owner) DO UPDATE SET version = excluded.version, applied = excluded.applied";
