// Test helper: Debian's mosquitto on a free port with a temporary config (the
// external broker of the scale tests), stopped and removed at teardown; and a
// free port. Import as "./_mosquitto.mjs".
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./_mqtt.mjs";

const mosquittoBinary = ["mosquitto", "/usr/sbin/mosquitto"].find((path) => /mosquitto version/.test(spawnSync(path, ["-h"], { encoding: "utf8" }).stdout ?? ""));

export const freePort = () => new Promise((resolve) => {
	const server = createServer().listen(0, "127.0.0.1", () => {
		const { port } = server.address();
		server.close(() => resolve(port));
	});
});

// The running brokers by URL, so a test can stop and restart one (same port, same config).
export const brokers = new Map();

/** Starts mosquitto (`extra(dir)`: more config lines); resolves with its mqtt:// URL. */
export async function startMosquitto(t, extra = (dir) => "") {
	if (!mosquittoBinary) throw new Error("mosquitto is not installed (node scripts/test-deps.mjs installs it)");
	const dir = mkdtempSync(join(tmpdir(), "ivxs-mosquitto-"));
	// Started as root, mosquitto drops to its own user: let it read its files here.
	chmodSync(dir, 0o755);
	const port = await freePort();
	const config = join(dir, "mosquitto.conf");
	// max_packet_size: the embedded broker's cap after sign-in (cloud/README.md, "Under attack").
	writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_packet_size 32768\nlog_dest stderr\nlog_type error\n${extra(dir)}`);
	const url = `mqtt://127.0.0.1:${port}`;
	let broker;
	const start = async () => {
		broker = spawn(mosquittoBinary, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
		let log = "";
		broker.stderr.on("data", (chunk) => (log += chunk));
		await eventually(() => new Promise((resolve) => {
			const socket = connect(port, "127.0.0.1", () => {
				socket.destroy();
				resolve(true);
			}).once("error", () => resolve(false));
		}), 5000).catch(() => {
			throw new Error(`mosquitto did not listen on ${port}: ${log}`);
		});
	};
	const stop = () => new Promise((resolve) => {
		if (broker.exitCode !== null) return resolve();
		broker.once("exit", resolve);
		broker.kill("SIGTERM");
	});
	t.teardown(async () => {
		await stop();
		rmSync(dir, { recursive: true, force: true });
	});
	await start();
	brokers.set(url, { start, stop });
	return url;
}

