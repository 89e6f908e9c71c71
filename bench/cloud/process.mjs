/*
 * The cloud benchmarks' processes: the cloud (build/node/cloud/src/cli.js serve) pinned to core 0
 * and a load generator pinned to core 1 with taskset, so the generator never takes the cloud's
 * core; the cloud's CPU and memory read from /proc.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export function hasTaskset() {
	try {
		execFileSync("taskset", ["-c", "0", "true"]);
		return true;
	}
	catch {
		return false;
	}
}

/** [command, args] running node with `args`, on `core` when taskset is there. */
export const pinned = (core, args, taskset) => (taskset ? ["taskset", ["-c", String(core), process.execPath, ...args]] : [process.execPath, args]);

/** CPU ticks (utime + stime), when they were read, and memory of a process. */
export function procStat(pid) {
	const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
	const status = readFileSync(`/proc/${pid}/status`, "utf8");
	const kib = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1]);
	// utime and stime are fields 14 and 15 (1-based, counting pid and comm): 12, 13 after ") ".
	return { ticks: Number(fields[11]) + Number(fields[12]), at: performance.now(), rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM") };
}

/** % of one core a process used between two procStat readings (100 ticks a second). */
export const cpuPercent = (before, after) => (100 * (after.ticks - before.ticks)) / 100 / ((after.at - before.at) / 1000);

/**
 * Starts the cloud on `core` (default 0) with its data in `data`: { url, pid, stop }. `cloudDir`
 * is the compiled cloud (default build/node/cloud; another build measures another version);
 * `nodeArgs` go to node (e.g. --cpu-prof).
 */
export async function startCloudProcess({ root, data, taskset, core = 0, cloudDir = join(root, "build/node/cloud"), env = {}, nodeArgs = [] }) {
	const [cmd, args] = pinned(core, [...nodeArgs, join(cloudDir, "src/cli.js"), "serve", "--host", "127.0.0.1", "--port", "0", "--data", data], taskset);
	const cloud = spawn(cmd, args, { env: { ...process.env, IVXS_CLOUD_LOG_LEVEL: "error", ...env }, stdio: ["ignore", "pipe", "inherit"] });
	const url = await new Promise((resolve, reject) => {
		let out = "";
		cloud.stdout.on("data", (chunk) => {
			out += chunk;
			const match = /ivxs cloud: (http:\/\/\S+)/.exec(out);
			if (match) resolve(match[1]);
		});
		cloud.once("exit", (code) => reject(new Error(`cloud exited (${code}) before listening`)));
	});
	const stop = async () => {
		cloud.kill("SIGTERM");
		await new Promise((resolve) => (cloud.exitCode !== null ? resolve() : cloud.once("exit", resolve)));
	};
	return { url, pid: cloud.pid, stop };
}

/** Runs a generator (node `args`) on core 1 (`core`: another, or null for any); resolves with the last JSON line it printed. */
export function runGenerator(args, taskset, core = 1) {
	const [cmd, gargs] = core === null ? [process.execPath, args] : pinned(core, args, taskset);
	return new Promise((resolve, reject) => {
		const generator = spawn(cmd, gargs, { stdio: ["ignore", "pipe", "inherit"] });
		let text = "";
		generator.stdout.on("data", (c) => (text += c));
		generator.once("exit", (code) => (code === 0 ? resolve(JSON.parse(text.trim().split("\n").pop())) : reject(new Error(`load generator exited ${code}`))));
	});
}

/**
 * A fresh folder build/bench/<name> with the cloud's data folder in it and `count` devices
 * (load00000, …) registered in its metadata — the SQLite file in that folder, or the
 * PostgreSQL database `metadataUrl` — : { work, data, devicesFile } (the generator's devices).
 */
export async function benchData({ root, name, count, metadataUrl }) {
	const work = join(root, "build/bench", name);
	const data = join(work, "data");
	rmSync(work, { recursive: true, force: true });
	mkdirSync(data, { recursive: true });
	const build = (path) => pathToFileURL(join(root, "build/node/cloud", path)).href;
	const { openSql } = await import(build("src/meta/open-sql.js"));
	const { addDevice } = await import(build("src/devices/registry.js"));
	const sql = await openSql(metadataUrl ?? join(data, "metadata.sqlite"));
	const devices = await sql.transaction(async (tx) => {
		const added = [];
		for (let i = 0; i < count; i++) added.push(await addDevice(tx, { id: `load${String(i).padStart(5, "0")}` }));
		return added;
	});
	await sql.close();
	const devicesFile = join(work, "devices.json");
	writeFileSync(devicesFile, JSON.stringify(devices.map(({ id, secret }) => ({ id, secret }))));
	return { work, data, devicesFile };
}
