// `npm start`: the whole system on one machine with the embedded defaults —
// the cloud (local disk, embedded MQTT broker), a camera registered for it,
// and the Linux camera app on the XS host playing the sample clip (capture →
// GOP ring → cloud storage + snapshots). Prints the console address and how
// to sign in; open it and watch the camera live and recorded.
//
//   npm start                              everything, until Ctrl-C
//   npm start -- --seconds 20              stop after 20 s and say what the cloud stored
//   npm start -- --cloud-only              just the cloud (and the camera's device file, printed)
//   npm start -- --camera-only --device F  just the camera, against the cloud in device file F
//   options: --port N (8080), --data DIR (ivxs-data), --event-every S (60: a motion event)
//
// Everything it keeps is under --data: the cloud's folder, the device file and the
// admin password of the first start. Under CI (CI=true) it runs 20 s unless told.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { root } from "./build.mjs";
import { addDevice, cloudCli as cli, listeningUrl } from "./cloud-cli.mjs";
import { helpIfAsked } from "./usage.mjs";

const usage = "usage: npm start -- [--seconds N] [--port N] [--data DIR] [--event-every S] [--cloud-only | --camera-only --device FILE]";

function parse(args) {
	const o = { port: 8080, data: "ivxs-data", seconds: process.env.CI === "true" ? 20 : 0, eventEvery: 60, cloudOnly: false, cameraOnly: false, device: undefined };
	for (let i = 0; i < args.length; i++) {
		const arg = args[i];
		const value = () => {
			if (i + 1 >= args.length) throw new Error(`${arg} needs a value\n${usage}`);
			return args[++i];
		};
		if (arg === "--port") o.port = Number(value());
		else if (arg === "--data") o.data = value();
		else if (arg === "--seconds") o.seconds = Number(value());
		else if (arg === "--event-every") o.eventEvery = Number(value());
		else if (arg === "--cloud-only") o.cloudOnly = true;
		else if (arg === "--camera-only") o.cameraOnly = true;
		else if (arg === "--device") o.device = value();
		else throw new Error(`unknown option ${arg}\n${usage}`);
	}
	if (!(o.port >= 0 && o.port < 65536) || !(o.seconds >= 0) || !(o.eventEvery >= 0)) throw new Error(`bad number\n${usage}`);
	if (o.cloudOnly && o.cameraOnly) throw new Error(`--cloud-only and --camera-only exclude each other\n${usage}`);
	if (o.cameraOnly && !o.device) throw new Error(`--camera-only needs --device FILE (id, secret, cloud URL, channels: see modules/app/device-file.ts)\n${usage}`);
	return o;
}

helpIfAsked(process.argv.slice(2), import.meta.url);
let options;
try {
	options = parse(process.argv.slice(2));
}
catch (error) {
	console.error(error.message);
	process.exit(2);
}

const data = resolve(root, options.data);
const cloudData = join(data, "cloud");
const children = new Set();
let stopping = false;

function start(command, args, { onLine } = {}) {
	const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { IVXS_CLOUD_LOG_LEVEL: "warn", IVXS_CLOUD_P2P_LOOPBACK: "1", ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? "64" } });
	children.add(child);
	let rest = "";
	child.stdout.setEncoding("utf8");
	child.stdout.on("data", (chunk) => {
		rest += chunk;
		const lines = rest.split("\n");
		rest = lines.pop();
		for (const line of lines) onLine?.(line);
	});
	child.stderr.pipe(process.stderr);
	child.on("exit", () => children.delete(child));
	return child;
}

function stopAll(code) {
	if (stopping) return;
	stopping = true;
	for (const child of children) child.kill("SIGTERM");
	const timer = setTimeout(() => process.exit(code), 10_000);
	const check = setInterval(() => {
		if (children.size) return;
		clearInterval(check);
		clearTimeout(timer);
		process.exit(code);
	}, 100);
}
process.once("SIGINT", () => stopAll(0));
process.once("SIGTERM", () => stopAll(0));

/** The demo camera's device file: registered in the cloud's metadata the first time. */
function demoDevice(cloudUrl) {
	const file = join(data, "device.json");
	if (existsSync(file)) return file;
	let id, secret;
	try {
		({ id, secret } = addDevice(cloudData, "demo-cam", "Demo camera (sample clip)"));
	}
	catch (error) {
		console.error(`npm start: could not register the demo camera:\n${error.message}\n(an old ${cloudData} may already have demo-cam: remove ${data} to start afresh)`);
		process.exit(1);
	}
	writeFileSync(file, JSON.stringify({
		id, secret, cloud: cloudUrl,
		channels: [{ video: "fixtures/media/h264-main-640x480.h264", codec: "h264", audio: "fixtures/media/aac-lc-16k-mono.aac", g711: "fixtures/media/pcm-8k-mono.s16", stills: "fixtures/media/stills" }],
	}, null, 2) + "\n", { mode: 0o600 });
	return file;
}

function startCloud() {
	return new Promise((resolvePromise) => {
		const passwordFile = join(data, "admin-password.txt");
		const cloud = start(process.execPath, [cli, "serve", "--port", String(options.port), "--host", "127.0.0.1", "--data", cloudData], {
			onLine(line) {
				const first = /sign in as "admin" with password (\S+)/.exec(line);
				if (first) writeFileSync(passwordFile, `${first[1]}\n`, { mode: 0o600 });
				const listening = listeningUrl(line);
				if (listening) resolvePromise(listening);
				else if (!first) console.log(line);
			},
		});
		cloud.on("exit", (code) => {
			if (stopping) return;
			console.error(`npm start: the cloud exited (${code}); is port ${options.port} taken? try --port N`);
			stopAll(1);
		});
		cloud.passwordFile = passwordFile;
	});
}

// The camera's supervisor: an OTA update restarts the camera (modules/ota/README.md) — exit 75
// (an update is staged: start its trial), 3 (its trial failed: start the previous version), or any
// failure while a trial is recorded (the next start rolls it back).
const restartCodes = new Set([75, 3]);
const trialRecorded = () => /^trial [ab]$/m.test(existsSync(join(data, "ota/state")) ? readFileSync(join(data, "ota/state"), "utf8") : "");

function startCamera(deviceFile) {
	// what viewers say (`npm run view -- demo-cam --talk FILE`) is written under the data folder
	// --p2p-loopback: the whole system runs on this machine, so a viewer may offer only 127.0.0.1
	const args = ["--data", data, "modules/app/camera", "--", "--device", deviceFile, "--summary", "--talkback", join(data, "talkback"), "--p2p-loopback"];
	if (options.seconds) args.push("--seconds", String(options.seconds));
	if (options.eventEvery) args.push("--event-every", String(options.eventEvery));
	return new Promise((resolvePromise) => {
		let summary;
		const run = () => {
			const camera = start(join(root, "build/bin/ivxs"), args, {
				onLine(line) {
					if (line.startsWith("@@camera ")) summary = JSON.parse(line.slice(9));
					else console.log(line);
				},
			});
			camera.on("exit", (code) => {
				if (!stopping && code !== 0 && (restartCodes.has(code) || trialRecorded())) {
					console.log(`npm start: the camera exited with ${code} (OTA): starting it again`);
					return void setTimeout(run, 500);
				}
				resolvePromise({ code, summary });
			});
		};
		run();
	});
}

mkdirSync(data, { recursive: true });
let cameraRun;
if (options.cameraOnly) {
	cameraRun = startCamera(resolve(options.device));
}
else {
	const url = await startCloud();
	const passwordFile = join(data, "admin-password.txt");
	const password = existsSync(passwordFile) ? readFileSync(passwordFile, "utf8").trim() : undefined;
	console.log("");
	console.log(`  ivxs is running — open the console: ${url}/`);
	console.log(`  sign in as "admin" with password ${password ?? "(printed at the first start; reset it with npm run cloud -- user password admin --data " + cloudData + ")"}`);
	// --cloud-only registers the camera too: its device file is what another host of the same
	// app needs (--camera-only, or mcsim: README "Board developers").
	const deviceFile = demoDevice(url);
	if (!options.cloudOnly) console.log(`  camera "demo-cam" plays the sample clip; device file ${deviceFile}`);
	else console.log(`  camera "demo-cam" is registered, not started; its device file: ${deviceFile}`);
	console.log(`  data: ${data}${options.seconds ? `; stopping after ${options.seconds} s` : "; Ctrl-C stops"}`);
	console.log("");
	if (!options.cloudOnly) cameraRun = startCamera(deviceFile);
	else if (options.seconds) setTimeout(() => stopAll(0), options.seconds * 1000);
}

if (cameraRun) {
	const { code, summary } = await cameraRun;
	if (stopping) process.exit(0);
	if (code !== 0) {
		console.error(`npm start: the camera exited with ${code}`);
		stopAll(code || 1);
	}
	else {
		const channels = Object.entries(summary?.channels ?? {});
		for (const [channel, s] of channels) {
			console.log(`camera channel ${channel}: ${s.segmentsStored} segments (${s.framesUploaded} frames, ${s.bytesUploaded} bytes) stored in the cloud, ${s.framesLost} frames lost`);
		}
		const stored = channels.reduce((n, [, s]) => n + s.segmentsStored, 0);
		if (!stored) console.error("npm start: the camera stored nothing in the cloud");
		stopAll(stored ? 0 : 1);
	}
}
