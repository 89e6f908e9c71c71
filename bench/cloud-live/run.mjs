/*
 * `node bench/run.mjs cloud_live` — live viewers of ONE camera served by one cloud process on ONE
 * core (issue 16 §5: 1,000 viewers at p99 ≤ 500 ms of blocking-reload latency).
 *
 *   taskset -c 0 node build/node/cloud/src/cli.js serve --host 127.0.0.1 --port 0 --data build/bench/cloud-live/data
 *   taskset -c 1 node bench/cloud-live/viewers.mjs --cloud URL --device liveN --secret S \
 *       --playlist /v1/hls/liveN/0/live.m3u8?exp=…&user=viewer&sig=… --viewers N --seconds 15
 *   for N = 1 (the baseline), 100, 1000
 *
 * The cloud has core 0, the generator (the camera and every viewer, bench/cloud-live/viewers.mjs)
 * core 1: the two never share a core (the generator's own CPU is reported: near 100 % the figure
 * is the generator's limit). Each step is a fresh device (one 1-s segment a second) watched by N
 * viewers signed in as one non-admin user granted that device, each doing hls.js's low-latency
 * loop of blocking reloads (_HLS_msn = newest + 1). Latency = segment sent by the camera → a viewer
 * holds a playlist listing it (viewers.mjs). Reported per step: p50/p90/p99/max, deliveries (every
 * viewer should see every segment), the cloud's CPU over the step (% of one core) and per viewer
 * ((CPU at N − CPU at 1) / (N − 1)), its RSS. Ratio: p99 at 1,000 viewers over p99 at 1.
 *
 * The same generator measures another build of the cloud (e.g. the version before the in-memory
 * live playlist: compile that tree with `npx tsc -p cloud/tsconfig.json --outDir build/live-old`):
 *   node bench/cloud-live/run.mjs --cloud-build build/live-old/cloud [--steps 1,100,1000] [--seconds 15]
 * (`--cpu-prof DIR` writes the cloud's V8 CPU profile there.)
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { log as benchLog, root, round, sleep } from "../lib.mjs";
import { cpuPercent, hasTaskset, procStat, runGenerator, startCloudProcess } from "../cloud/process.mjs";

const viewerUser = "viewer";

export async function benchCloudLive({ log = benchLog, steps = [1, 100, 1000], seconds = 15, cloudDir = join(root, "build/node/cloud"), profileDir } = {}) {
	const work = join(root, "build/bench/cloud-live");
	const data = join(work, "data");
	rmSync(work, { recursive: true, force: true });
	mkdirSync(data, { recursive: true });
	const build = (path) => import(pathToFileURL(join(cloudDir, path)).href);
	const { openSql } = await build("src/meta/open-sql.js");
	const { addDevice } = await build("src/devices/registry.js");
	const { addUser, grantDevice } = await build("src/users/store.js");
	const { signUrl } = await build("src/auth/signed-url.js");
	// Devices, the viewer and its grants before the cloud starts; the playlist URLs signed with the
	// service key the cloud will read from the data folder (the cloud's own config for that folder:
	// where the key lives is its default, serviceKeyFile).
	const sql = await openSql(join(data, "metadata.sqlite"));
	await addUser(sql, viewerUser, "bench-viewer-password");
	const { loadConfig } = await build("src/config.js");
	const signing = { config: loadConfig({ dataDir: data }, {}) };
	const cameras = [];
	for (const viewers of steps) {
		const device = await addDevice(sql, { id: `live${viewers}` });
		await grantDevice(sql, viewerUser, device.id);
		cameras.push({ viewers, device, playlist: signUrl(signing, `/v1/hls/${device.id}/0/live.m3u8`, { user: viewerUser, admin: false }) });
	}
	await sql.close();
	const taskset = hasTaskset();
	if (!taskset) log("cloud_live: taskset missing: the cloud and the generator are NOT on separate cores");
	// Every viewer connects from 127.0.0.1: the per-address connection cap (meant for one household
	// or office) is raised to let them in.
	const env = { IVXS_CLOUD_MAX_CONNECTIONS_PER_ADDRESS: String(Math.max(...steps) + 64) };
	const cloud = await startCloudProcess({ root, data, taskset, cloudDir, env, nodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [] });
	await sleep(1000);
	const results = [];
	try {
		for (const { viewers, device, playlist } of cameras) {
			const before = procStat(cloud.pid);
			const load = await runGenerator([join(root, "bench/cloud-live/viewers.mjs"), "--cloud", cloud.url, "--device", device.id, "--secret", device.secret,
				"--playlist", playlist, "--viewers", String(viewers), "--seconds", String(seconds)], taskset);
			const after = procStat(cloud.pid);
			const step = { viewers, ...load, cloud_cpu_percent_of_one_core: round(cpuPercent(before, after), 1), cloud_rss_mib: round(after.rssKiB / 1024, 1) };
			delete step.seconds;
			results.push(step);
			log(`cloud_live: ${viewers} viewers: p50 ${load.latency_ms.p50} ms, p99 ${load.latency_ms.p99} ms, deliveries ${load.deliveries}/${load.deliveries_expected}, cloud CPU ${step.cloud_cpu_percent_of_one_core} %, generator CPU ${load.generator_cpu_percent} %`);
			await sleep(1000);
		}
	}
	finally {
		await cloud.stop();
	}
	rmSync(data, { recursive: true, force: true });
	const one = results.find((step) => step.viewers === 1), most = results[results.length - 1];
	const result = {
		cloud: cloudDir,
		pinned_with_taskset: taskset,
		viewers: most.viewers,
		p99_ms: most.latency_ms.p99,
		p50_ms: most.latency_ms.p50,
		target: "p99 <= 500 ms from a segment sent to every one of 1000 viewers holding it, cloud on one core",
		p99_ratio_vs_one_viewer: one ? round(most.latency_ms.p99 / Math.max(1, one.latency_ms.p99), 2) : null,
		cpu_percent_per_viewer: one && most.viewers > 1 ? round((most.cloud_cpu_percent_of_one_core - one.cloud_cpu_percent_of_one_core) / (most.viewers - 1), 4) : null,
		steps: results,
	};
	result.meets = most.viewers >= 1000 && most.latency_ms.p99 !== null && most.latency_ms.p99 <= 500 && most.deliveries >= 0.99 * most.deliveries_expected;
	return result;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(root, "bench/cloud-live/run.mjs")) {
	const args = process.argv.slice(2);
	const option = (name) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
	const options = {};
	if (option("cloud-build")) options.cloudDir = resolve(option("cloud-build"));
	if (option("steps")) options.steps = option("steps").split(",").map(Number);
	if (option("seconds")) options.seconds = Number(option("seconds"));
	if (option("cpu-prof")) options.profileDir = resolve(option("cpu-prof"));
	benchCloudLive(options).then((result) => console.log(JSON.stringify(result, null, 2)), (error) => {
		console.error(error);
		process.exitCode = 1;
	});
}
