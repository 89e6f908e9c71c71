// Test helper: Debian's mosquitto on a free port with a temporary config (the
// external broker of the scale tests), stopped and removed at teardown; one on a
// given port that can be SIGKILLed and started again (the soak's broker); and a
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

/**
 * True when an MQTT broker answers a CONNECT on `port` with a CONNACK (a TCP
 * connect alone is not enough: another test's server may hold the port).
 */
const answersMqtt = (port) => new Promise((resolve) => {
	const socket = connect(port, "127.0.0.1");
	const done = (value) => {
		socket.destroy();
		resolve(value);
	};
	socket.setTimeout(2000, () => done(false));
	socket.once("error", () => done(false));
	socket.once("data", (chunk) => done(chunk[0] === 0x20));
	// CONNECT, MQTT 3.1.1, clean session, keep-alive 60 s, client id "probe".
	socket.once("connect", () => socket.write(Buffer.from([0x10, 17, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 5, 0x70, 0x72, 0x6f, 0x62, 0x65])));
});

/**
 * One mosquitto on `port`, its config in `dir` (`extra`: more config lines; anonymous access,
 * no persistence: a restart forgets retained messages as a crashed broker's would), every stderr
 * chunk to `onLog`: `start()` resolves once it answers a CONNECT (rejects if it exited or stayed
 * silent 5 s), `stop()` (SIGTERM) and `kill9()` resolve once it is gone; `start()` again runs it on
 * the same port. The tests' brokers (below) and the soak's (scripts/soak/broker.mjs).
 */
export function mosquittoOn(port, dir, { extra = "", onLog = () => {} } = {}) {
	if (!mosquittoBinary) throw new Error("mosquitto is not installed (node scripts/test-deps.mjs installs it)");
	const config = join(dir, "mosquitto.conf");
	let broker;
	const running = () => broker && broker.exitCode === null && broker.signalCode === null;
	const end = (signal) => new Promise((resolve) => {
		if (!running()) return resolve();
		broker.once("exit", resolve);
		broker.kill(signal);
	});
	return {
		url: `mqtt://127.0.0.1:${port}`,
		get pid() { return running() ? broker.pid : undefined; },
		async start() {
			// max_packet_size: the embedded broker's cap after sign-in (cloud/README.md, "Under attack").
			writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_packet_size 32768\nlog_dest stderr\nlog_type error\n${extra}`);
			const child = broker = spawn(mosquittoBinary, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
			let log = "";
			child.stderr.on("data", (chunk) => {
				log += chunk;
				onLog(chunk);
			});
			const exited = new Promise((resolve) => child.once("exit", () => resolve(false)));
			// Ours answers, or it exited (the port was taken again before it bound).
			const up = await eventually(() => Promise.race([exited, answersMqtt(port)]).then((ok) => ok || child.exitCode !== null), 5000).catch(() => false);
			if (!up || child.exitCode !== null) throw new Error(`mosquitto did not answer on ${port}: ${log}`);
		},
		stop: () => end("SIGTERM"),
		kill9: () => end("SIGKILL"),
	};
}

/** Starts mosquitto (`extra(dir)`: more config lines) on a free port; resolves with its mqtt:// URL. */
export async function startMosquitto(t, extra = (dir) => "") {
	if (!mosquittoBinary) throw new Error("mosquitto is not installed (node scripts/test-deps.mjs installs it)");
	const dir = mkdtempSync(join(tmpdir(), "ivxs-mosquitto-"));
	// Started as root, mosquitto drops to its own user: let it read its files here.
	chmodSync(dir, 0o755);
	let broker;
	t.teardown(async () => {
		await broker?.stop();
		rmSync(dir, { recursive: true, force: true });
	});
	for (let attempt = 1; ; attempt++) {
		broker = mosquittoOn(await freePort(), dir, { extra: extra(dir) });
		try {
			await broker.start();
			break;
		}
		catch (error) {
			await broker.stop();
			if (attempt === 5) throw error;
		}
	}
	brokers.set(broker.url, { start: broker.start, stop: broker.stop });
	return broker.url;
}
