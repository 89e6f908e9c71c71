// `npm run cloud -- device add <id> [--name N] [--channels N]`, `device list`, `device remove <id>`.
import { type Command, withDatabase } from "../commands.js";
import { addDevice, DeviceError, listDevices, removeDevice } from "./registry.js";
import { forgetDevice } from "../users/store.js";
import { forgetPresence } from "../control/presence.js";
import { deletePlan } from "../control/plans.js";

export const device: Command = {
	usage: "add <id> [--name NAME] [--channels N] | list | remove <id>",
	run(config, args) {
		const [verb, id] = args;
		const flag = (name: string) => {
			const at = args.indexOf(`--${name}`);
			return at >= 0 ? args[at + 1] : undefined;
		};
		return withDatabase(config, "device", DeviceError, (db) => {
			if (verb === "add" && id) {
				const channels = flag("channels");
				const created = addDevice(db, { id, name: flag("name"), channels: channels === undefined ? undefined : Number(channels) });
				console.log(JSON.stringify({ id: created.id, secret: created.secret, name: created.name, channels: created.channels }));
				console.error(`device ${created.id} added; its secret is shown only now`);
				return 0;
			}
			if (verb === "list") {
				for (const d of listDevices(db)) console.log(`${d.id}\t${d.name}\t${d.channels} channel(s)${d.disabled ? "\tdisabled" : ""}`);
				return 0;
			}
			if (verb === "remove" && id) {
				if (!removeDevice(db, id)) {
					console.error(`no device ${id}`);
					return 1;
				}
				// Its grants, presence and plan go too (a device added again under that id starts afresh).
				// The retained plan on the broker stays until the next plan: only a running cloud can clear it.
				forgetDevice(db, id);
				forgetPresence(db, id);
				deletePlan(db, id);
				return 0;
			}
			console.error(`usage: npm run cloud -- device ${device.usage}`);
			return 2;
		});
	},
};
