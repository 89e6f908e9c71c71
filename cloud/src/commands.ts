// Administrative commands of `npm run cloud -- <command>`: they open the
// metadata store directly (no running service needed). Each returns an exit code.
import type { Config } from "./config.js";
import { device } from "./devices/commands.js";
import { openDatabase } from "./meta/db.js";
import { token, user } from "./users/commands.js";

export interface Command {
	usage: string;
	run(config: Config, args: string[]): Promise<number> | number;
}

export const commands: Record<string, Command> = { device, user, token };

/**
 * Runs `work` on the metadata store, closed after: a refusal (an instance of `Refusal`, the
 * module's own error) is printed as "<label>: <message>" and exits 1; anything else is thrown.
 */
export function withDatabase(config: Config, label: string, Refusal: new (...args: any[]) => Error, work: (db: ReturnType<typeof openDatabase>) => number): number {
	const db = openDatabase(config.metadataFile);
	try {
		return work(db);
	}
	catch (error) {
		if (error instanceof Refusal) {
			console.error(`${label}: ${error.message}`);
			return 1;
		}
		throw error;
	}
	finally {
		db.close();
	}
}
