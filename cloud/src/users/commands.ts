// `npm run cloud -- user add <name> [--admin] [--password P]`, `user grant <name> <device>`,
// `user revoke <name> <device>`, `user list`, `token add <name>`.
import type { Command } from "../commands.js";
import { openDatabase } from "../meta/db.js";
import { addToken, addUser, grantDevice, listUsers, randomPassword, revokeDevice, UserError } from "./store.js";

function withDb(config: Parameters<Command["run"]>[0], work: (db: ReturnType<typeof openDatabase>) => number): number {
	const db = openDatabase(config.metadataFile);
	try {
		return work(db);
	}
	catch (error) {
		if (error instanceof UserError) {
			console.error(`user: ${error.message}`);
			return 1;
		}
		throw error;
	}
	finally {
		db.close();
	}
}

export const user: Command = {
	usage: "add <name> [--admin] [--password P] | grant <name> <device> | revoke <name> <device> | list",
	run(config, args) {
		const [verb, name, device] = args;
		return withDb(config, (db) => {
			if (verb === "add" && name) {
				const at = args.indexOf("--password");
				const given = at >= 0 ? args[at + 1] : undefined;
				const password = given ?? randomPassword();
				addUser(db, name, password, args.includes("--admin"));
				console.log(JSON.stringify({ user: name, admin: args.includes("--admin"), ...(given ? {} : { password }) }));
				if (!given) console.error(`user ${name} added; the password is shown only now`);
				return 0;
			}
			if (verb === "grant" && name && device) {
				grantDevice(db, name, device);
				return 0;
			}
			if (verb === "revoke" && name && device) {
				if (revokeDevice(db, name, device)) return 0;
				console.error(`user ${name} had no grant on ${device}`);
				return 1;
			}
			if (verb === "list") {
				for (const u of listUsers(db)) console.log(`${u.name}${u.admin ? "\tadmin" : ""}`);
				return 0;
			}
			console.error(`usage: npm run cloud -- user ${user.usage}`);
			return 2;
		});
	},
};

export const token: Command = {
	usage: "add <user>",
	run(config, args) {
		const [verb, name] = args;
		return withDb(config, (db) => {
			if (verb === "add" && name) {
				console.log(addToken(db, name));
				console.error(`API token for ${name}: shown only now; send it as Authorization: Bearer <token>`);
				return 0;
			}
			console.error(`usage: npm run cloud -- token ${token.usage}`);
			return 2;
		});
	},
};
