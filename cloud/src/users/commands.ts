// `npm run cloud -- user add <name> [--admin] [--password P]`, `user grant <name> <device>`,
// `user revoke <name> <device>`, `user list`, `token add <name>`.
import { type Command, withSql } from "../commands.js";
import { addToken, addUser, findUser, grantDevice, listUsers, randomPassword, removeUser, revokeDevice, setPassword, UserError } from "./store.js";

export const user: Command = {
	usage: "add <name> [--admin] [--password P] | password <name> [--password P] | remove <name> | grant <name> <device> | revoke <name> <device> | list",
	run(config, args) {
		const [verb, name, device] = args;
		const at = args.indexOf("--password");
		const given = at >= 0 ? args[at + 1] : undefined;
		const password = given ?? randomPassword();
		return withSql(config, "user", UserError, async (sql) => {
			if (verb === "add" && name) {
				await addUser(sql, name, password, args.includes("--admin"));
				console.log(JSON.stringify({ user: name, admin: args.includes("--admin"), ...(given ? {} : { password }) }));
				if (!given) console.error(`user ${name} added; the password is shown only now`);
				return 0;
			}
			// A forgotten password (the first admin's, say): set a new one; every session ends.
			if (verb === "password" && name) {
				if (!await findUser(sql, name)) throw new UserError(`no user ${name}`);
				await setPassword(sql, name, password);
				console.log(JSON.stringify({ user: name, ...(given ? {} : { password }) }));
				return 0;
			}
			if (verb === "remove" && name) {
				if (await removeUser(sql, name)) return 0;
				throw new UserError(`no user ${name}`);
			}
			if (verb === "grant" && name && device) {
				await grantDevice(sql, name, device);
				return 0;
			}
			if (verb === "revoke" && name && device) {
				if (await revokeDevice(sql, name, device)) return 0;
				console.error(`user ${name} had no grant on ${device}`);
				return 1;
			}
			if (verb === "list") {
				for (const u of (await listUsers(sql))) console.log(`${u.name}${u.admin ? "\tadmin" : ""}`);
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
		return withSql(config, "user", UserError, async (sql) => {
			if (verb === "add" && name) {
				console.log(await addToken(sql, name));
				console.error(`API token for ${name}: shown only now; send it as Authorization: Bearer <token>`);
				return 0;
			}
			console.error(`usage: npm run cloud -- token ${token.usage}`);
			return 2;
		});
	},
};
