// The PostgreSQL engine of the async layer (meta/sql.ts): a pg Pool; each
// transaction holds one client and runs SERIALIZABLE — what the owners rely on
// from SQLite's one writer (leases, tombstones, retention) — and is run again
// when PostgreSQL reports a serialization failure; or, named by its options,
// after a lock and at another isolation (a segment's insert: sql.ts).
import pg from "pg";
import { numberedPlaceholders } from "./dialect.js";
import type { Param, Sql, TransactionOptions } from "./sql.js";

// 64-bit integers (times in ms, sizes, counts) and sums read as numbers, as
// SQLite gives them (exact up to 2^53).
const INT8 = 20, NUMERIC = 1700;
const types = {
	getTypeParser: ((oid: number, format?: "text" | "binary") =>
		oid === INT8 || oid === NUMERIC ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

// serialization_failure, deadlock_detected
const RETRY_CODES = new Set(["40001", "40P01"]);
// Retried after a random pause that doubles (5 ms … 640 ms): retried at once, transactions that
// collided collide again in step (12 at once exhausted 10 immediate retries under load).
const RETRIES = 16;
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** Math.min(attempt, 7)));

type Queryable = pg.Pool | pg.PoolClient;

export class PostgresSql implements Sql {
	readonly engine = "postgres";
	#pool: pg.Pool;

	constructor(url: string, { max = 10 }: { max?: number } = {}) {
		this.#pool = new pg.Pool({ connectionString: url, max, types });
	}

	all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
		return rows<T>(this.#pool, sql, params);
	}

	async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
		return (await rows<T>(this.#pool, sql, params))[0];
	}

	run(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
		return changes(this.#pool, sql, params);
	}

	async query(sql: string): Promise<void> {
		await this.#pool.query(sql);
	}

	async transaction<T>(body: (tx: Sql) => Promise<T>, { lock, isolation = "serializable" }: TransactionOptions = {}): Promise<T> {
		const client = await this.#pool.connect();
		let locked = false;
		try {
			if (lock !== undefined) {
				await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [lock]);
				locked = true;
			}
			for (let attempt = 1; ; attempt++) {
				await client.query(isolation === "serializable" ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN ISOLATION LEVEL READ COMMITTED");
				try {
					const result = await body(onClient(client));
					await client.query("COMMIT");
					return result;
				} catch (error) {
					await client.query("ROLLBACK");
					if (!RETRY_CODES.has((error as { code?: string }).code ?? "") || attempt === RETRIES) throw error;
					await backoff(attempt);
				}
			}
		} finally {
			// A client whose unlock failed is dropped (its session, and so the lock, ends).
			const unlocked = !locked || await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lock!]).then(() => true, () => false);
			client.release(!unlocked);
		}
	}

	// A COMMIT returns once its WAL is flushed (synchronous_commit on, PostgreSQL's default).
	durable(): Promise<void> {
		return Promise.resolve();
	}

	close(): Promise<void> {
		return this.#pool.end();
	}
}

// The SQL as PostgreSQL numbers its parameters, translated once per statement.
const translated = new Map<string, string>();
function numbered(sql: string): string {
	let text = translated.get(sql);
	if (text === undefined) translated.set(sql, text = numberedPlaceholders(sql));
	return text;
}

async function rows<T>(on: Queryable, sql: string, params: readonly Param[]): Promise<T[]> {
	return (await on.query({ text: numbered(sql), values: params as Param[] })).rows as T[];
}

async function changes(on: Queryable, sql: string, params: readonly Param[]): Promise<{ changes: number }> {
	return { changes: (await on.query({ text: numbered(sql), values: params as Param[] })).rowCount ?? 0 };
}

function onClient(client: pg.PoolClient): Sql {
	return {
		engine: "postgres",
		all: (sql, params = []) => rows(client, sql, params),
		get: async (sql, params = []) => (await rows<any>(client, sql, params))[0],
		run: (sql, params = []) => changes(client, sql, params),
		query: async (sql) => void await client.query(sql),
		transaction: () => Promise.reject(new Error("transactions do not nest")),
		durable: () => Promise.resolve(),
		close: () => Promise.reject(new Error("close the engine, not a transaction")),
	};
}
