// Test helper: the real `npm run cloud` process (build/node/cloud/src/cli.js)
// on a free port, for what only a process shows (signals, exit codes, stdout).
import { spawn } from "node:child_process";
import { join } from "node:path";

export const cli = join(import.meta.dirname, "../../build/node/cloud/src/cli.js");

/** Starts `cli.js serve …args`; resolves with { child, url, output(), exited } once it listens. */
export function serveCloud(t, args, env = {}) {
	const child = spawn(process.execPath, [cli, "--host", "127.0.0.1", "--port", "0", ...args], {
		stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, IVXS_CLOUD_LOG_LEVEL: "warn", ...env },
	});
	t.teardown(() => child.exitCode === null && child.kill("SIGKILL"));
	let out = "";
	child.stdout.on("data", (chunk) => (out += chunk));
	child.stderr.on("data", (chunk) => (out += chunk));
	const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
	return new Promise((resolve, reject) => {
		const look = () => {
			const match = /ivxs cloud: (https?:\/\/\S+)/.exec(out);
			if (match) resolve({ child, url: match[1], output: () => out, exited });
		};
		child.stdout.on("data", look);
		exited.then(({ code }) => reject(new Error(`cloud exited (${code}) before listening: ${out}`)));
	});
}
