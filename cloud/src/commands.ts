// Administrative commands of `npm run cloud -- <command>`: they open the
// metadata store directly (no running service needed). Each returns an exit code.
import type { Config } from "./config.js";
import { device } from "./devices/commands.js";
import { token, user } from "./users/commands.js";

export interface Command {
	usage: string;
	run(config: Config, args: string[]): Promise<number> | number;
}

export const commands: Record<string, Command> = { device, user, token };
