// The cloud's command line (build/node/cloud/src/cli.js, `npm run cloud`) as the scripts that start
// a cloud of their own use it — `npm start`, the soak, `npm run board -- test`: where it is, the
// line that says it listens, and registering a camera.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { root } from "./build.mjs";

export const cloudCli = join(root, "build/node/cloud/src/cli.js");

/** The address in the server's "ivxs cloud: http://…" line, or undefined for any other line. */
export const listeningUrl = (line) => /^ivxs cloud: (https?:\/\/\S+)/.exec(line)?.[1];

/** Registers camera `id` in the cloud's data folder (`device add`): its { id, secret }. Throws
 * with what the command said when it refuses (an id already there, a bad folder). */
export function addDevice(dataDir, id, name, channels) {
	const run = spawnSync(process.execPath, [cloudCli, "device", "add", id, ...(name ? ["--name", name] : []), ...(channels ? ["--channels", String(channels)] : []), "--data", dataDir], { cwd: root, encoding: "utf8" });
	const line = run.stdout.split("\n").find((l) => l.startsWith("{"));
	if (run.status !== 0 || !line) throw new Error(`device add ${id}: ${(run.stderr || run.stdout).trim()}`);
	const { id: added, secret } = JSON.parse(line);
	return { id: added, secret };
}
