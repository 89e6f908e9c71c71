// The SQLite engine of the async layer (meta/sql.ts): better-sqlite3
// underneath, synchronous and prepared once per statement (meta/db.ts
// `statement`). One connection, so transactions are serialised: while one is
// open (it may await between its statements), every other call waits for it,
// as SQLite's one writer would make another connection wait.
// Every owner goes through this layer, so no statement can land inside
// another caller's open transaction.
import { commitsDurable, statement, type Db } from "./db.js";
import type { Param, Sql } from "./sql.js";

export class SqliteSql implements Sql {
	readonly engine = "sqlite";
	#db: Db;
	#tail: Promise<unknown> | undefined;

	constructor(db: Db) {
		this.#db = db;
	}

	get db(): Db {
		return this.#db;
	}

	async all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
		while (this.#tail) await this.#tail;
		return this.#direct.all<T>(sql, params);
	}

	async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
		while (this.#tail) await this.#tail;
		return this.#direct.get<T>(sql, params);
	}

	async run(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
		while (this.#tail) await this.#tail;
		return this.#direct.run(sql, params);
	}

	async query(sql: string): Promise<void> {
		while (this.#tail) await this.#tail;
		this.#db.exec(sql);
	}

	// One connection: every transaction runs alone, whatever its options.
	async transaction<T>(body: (tx: Sql) => Promise<T>): Promise<T> {
		while (this.#tail) await this.#tail;
		// From the check above to setting #tail nothing pauses: no other call slips in.
		const done = this.#inTransaction(body);
		const tail = this.#tail = done.then(() => undefined, () => undefined);
		try {
			return await done;
		} finally {
			if (this.#tail === tail) this.#tail = undefined;
		}
	}

	durable(): Promise<void> {
		return commitsDurable(this.#db);
	}

	async close(): Promise<void> {
		while (this.#tail) await this.#tail;
		this.#db.close();
	}

	async #inTransaction<T>(body: (tx: Sql) => Promise<T>): Promise<T> {
		this.#db.exec("BEGIN IMMEDIATE");
		try {
			const result = await body(this.#direct);
			this.#db.exec("COMMIT");
			return result;
		} catch (error) {
			if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
			throw error;
		}
	}

	// What a transaction's body runs: straight on the connection (it holds it).
	#direct: Sql = {
		engine: "sqlite",
		all: async <T>(sql: string, params: readonly Param[] = []) => statement(this.#db, sql).all(...params) as T[],
		get: async <T>(sql: string, params: readonly Param[] = []) => statement(this.#db, sql).get(...params) as T | undefined,
		run: async (sql: string, params: readonly Param[] = []) => ({ changes: statement(this.#db, sql).run(...params).changes }),
		query: async (sql: string) => void this.#db.exec(sql),
		transaction: () => Promise.reject(new Error("transactions do not nest")),
		durable: () => commitsDurable(this.#db),
		close: () => Promise.reject(new Error("close the engine, not a transaction")),
	};
}
