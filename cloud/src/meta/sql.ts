// The async data layer: one interface over the two metadata engines, SQLite
// (embedded, the default: meta/sqlite-sql.ts) and PostgreSQL (several hosts:
// meta/postgres-sql.ts). The owners write one set of SQL that both accept:
// `?` placeholders with positional parameters, `ON CONFLICT … DO …` rather
// than `INSERT OR IGNORE`, `RETURNING id` rather than the last row id, no
// rowid; the few differences live in meta/dialect.ts.

export type Param = string | number | null | Buffer;

/**
 * `lock`: transactions naming the same lock run one after another, each seeing
 * what the previous one committed (PostgreSQL: a session advisory lock taken
 * before BEGIN, so the snapshot comes after it; SQLite: every transaction is
 * alone already). `isolation` "read committed" (PostgreSQL only): for a hot
 * transaction whose lock orders it against every transaction it could
 * conflict with — SERIALIZABLE's predicate locks are per index page, so
 * transactions on neighbouring keys (other devices' segments) abort each other.
 */
export interface TransactionOptions {
	lock?: string;
	isolation?: "serializable" | "read committed";
}

export interface Sql {
	readonly engine: "sqlite" | "postgres";
	/** Rows of a query. */
	all<T = Record<string, unknown>>(sql: string, params?: readonly Param[]): Promise<T[]>;
	/** The first row of a query, or undefined. */
	get<T = Record<string, unknown>>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
	/** A statement that changes rows: how many it changed. */
	run(sql: string, params?: readonly Param[]): Promise<{ changes: number }>;
	/** Statements without parameters (a migration's DDL, several separated by `;`). */
	query(sql: string): Promise<void>;
	/**
	 * Runs `body` in one transaction that sees and commits as if alone (SQLite:
	 * one writer; PostgreSQL: SERIALIZABLE unless `options` say otherwise). PostgreSQL may run `body` again after
	 * a serialization failure: `body` acts only through `tx` until it returns.
	 */
	transaction<T>(body: (tx: Sql) => Promise<T>, options?: TransactionOptions): Promise<T>;
	/** Resolves once the commits made so far would survive a power loss (what an acknowledgement awaits). */
	durable(): Promise<void>;
	close(): Promise<void>;
}
