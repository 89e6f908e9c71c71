// Administrative commands of `npm run cloud -- <command>`: they open the
// metadata store directly (no running service needed). Each returns an exit code.
import type { Config } from "./config.js";
import { device } from "./devices/commands.js";
import { metadataOf, openSql } from "./meta/open-sql.js";
import type { Sql } from "./meta/sql.js";
import { token, user } from "./users/commands.js";
import { release } from "./releases/commands.js";

export interface Command {
	usage: string;
	run(config: Config, args: string[]): Promise<number> | number;
}

export const commands: Record<string, Command> = { device, user, token, release };

type Refusal = new (...args: any[]) => Error;

/**
 * Runs `work` on the metadata store, closed after: a refusal (an instance of `Refusal`, the
 * module's own error) is printed as "<label>: <message>" and exits 1; anything else is thrown.
 */
export async function withSql(config: Config, label: string, Refusal: Refusal, work: (sql: Sql) => Promise<number>): Promise<number> {
	const sql = await openSql(metadataOf(config));
	try {
		return await work(sql);
	}
	catch (error) {
		return refused(label, Refusal, error);
	}
	finally {
		await sql.close();
	}
}

function refused(label: string, Refusal: Refusal, error: unknown): number {
	if (!(error instanceof Refusal)) throw error;
	console.error(`${label}: ${error.message}`);
	return 1;
}
