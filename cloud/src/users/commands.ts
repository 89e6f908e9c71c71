// `npm run cloud -- user add <name> [--admin] [--password P]`, `user grant <name> <device>`,
// `user revoke <name> <device>`, `user list`, `token add <name>`.
import { type Command, withDatabase } from "../commands.js";
import { addToken, addUser, findUser, grantDevice, listUsers, randomPassword, removeUser, revokeDevice, setPassword, UserError } from "./store.js";

export const user: Command = {
	usage: "add <name> [--admin] [--password P] | password <name> [--password P] | remove <name> | grant <name> <device> | revoke <name> <device> | list",
	run(config, args) {
		const [verb, name, device] = args;
		const at = args.indexOf("--password");
		const given = at >= 0 ? args[at + 1] : undefined;
		const password = given ?? randomPassword();
		return withDatabase(config, "user", UserError, (db) => {
			if (verb === "add" && name) {
				addUser(db, name, password, args.includes("--admin"));
				console.log(JSON.stringify({ user: name, admin: args.includes("--admin"), ...(given ? {} : { password }) }));
				if (!given) console.error(`user ${name} added; the password is shown only now`);
				return 0;
			}
			// A forgotten password (the first admin's, say): set a new one; every session ends.
			if (verb === "password" && name) {
				if (!findUser(db, name)) throw new UserError(`no user ${name}`);
				setPassword(db, name, password);
				console.log(JSON.stringify({ user: name, ...(given ? {} : { password }) }));
				return 0;
			}
			if (verb === "remove" && name) {
				if (removeUser(db, name)) return 0;
				throw new UserError(`no user ${name}`);
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
		return withDatabase(config, "user", UserError, (db) => {
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
