// `npm run cloud -- device add <id> [--name N] [--channels N]`, `device list`, `device remove <id>`.
import { type Command, withSql } from "../commands.js";
import { DeviceError, listDevices } from "./registry.js";
import { addFreshDevice, purgeDevice } from "./removal.js";

export const device: Command = {
	usage: "add <id> [--name NAME] [--channels N] | list | remove <id>",
	run(config, args) {
		const [verb, id] = args;
		const flag = (name: string) => {
			const at = args.indexOf(`--${name}`);
			return at >= 0 ? args[at + 1] : undefined;
		};
		return withSql(config, "device", DeviceError, async (sql) => {
			if (verb === "add" && id) {
				const channels = flag("channels");
				const created = await addFreshDevice(sql, config, { id, name: flag("name"), channels: channels === undefined ? undefined : Number(channels) });
				console.log(JSON.stringify({ id: created.id, secret: created.secret, name: created.name, channels: created.channels }));
				console.error(`device ${created.id} added; its secret is shown only now`);
				return 0;
			}
			if (verb === "list") {
				for (const d of await listDevices(sql)) console.log(`${d.id}\t${d.name}\t${d.channels} channel(s)${d.disabled ? "\tdisabled" : ""}`);
				return 0;
			}
			if (verb === "remove" && id) {
				// Everything of it goes too (removal.ts): rows now, objects after the grace, deleted by
				// a running cloud's sweep. Retained messages on the broker need a running cloud: remove
				// through the API (DELETE /v1/devices/<id>) to clear them as well.
				const purged = await purgeDevice(sql, config, id);
				if (!purged.device && !purged.rows) {
					console.error(`no device ${id}`);
					return 1;
				}
				console.error(`device ${id} removed${purged.device ? "" : " (its leftovers)"}: ${purged.rows} rows; ${purged.objects} objects deleted after the grace period`);
				return 0;
			}
			console.error(`usage: npm run cloud -- device ${device.usage}`);
			return 2;
		});
	},
};
