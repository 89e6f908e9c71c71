/*
 * `node bench/run.mjs cloud_multi` — ingest with one and with two cloud instances behind HAProxy
 * on this machine (issue 16 §3: the second instance should add close to a core's worth).
 *
 *   for n in 1 2:
 *     n × UV_THREADPOOL_SIZE=64 taskset -c <i> node build/node/cloud/src/cli.js serve --host 127.0.0.1 --port 0 \
 *         --data build/bench/cloud-multi/data      (instance i on core i; one data folder and SQLite file,
 *                                                   as instances on one host share them; TRUSTED_PROXIES=127.0.0.1;
 *                                                   IVXS_BENCH_METADATA=postgres: IVXS_CLOUD_METADATA_URL, a
 *                                                   PostgreSQL cluster of the bench's own, as on several hosts)
 *     haproxy -f build/bench/cloud-multi/haproxy.cfg -db   (cloud/tests/_haproxy.mjs: the README's configuration)
 *     node build/node/cloud/sim/load.js --cloud <haproxy> --devices devices.json --cameras N --seconds 12 --stream m<n>s<N>
 *         for N = 250, 500, 750, 1000, … (stops at the first step with a late or failed segment)
 *
 * The load generator and HAProxy are not pinned: with two instances on a two-core machine they
 * share the instances' cores, so "ratio" is a floor of what a second host adds (their CPU is
 * reported per step). Per camera: the instances' CPU summed (% of one core) / N at the largest
 * step passed, and HAProxy's; and both shapes' at the largest step both passed (the same load).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { round, sleep } from "../lib.mjs";
import { benchData, cpuPercent, hasTaskset, procStat, runGenerator, startCloudProcess } from "../cloud/process.mjs";

export async function benchCloudMulti({ root, log = () => {}, steps = [250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000], seconds = 12, metadata = process.env.IVXS_BENCH_METADATA ?? "sqlite" } = {}) {
	const { startHaproxy } = await import(pathToFileURL(join(root, "cloud/tests/_haproxy.mjs")).href);
	// The instances share the SQLite file of the data folder, or (IVXS_BENCH_METADATA=postgres)
	// a PostgreSQL cluster of the bench's own (cloud/tests/_postgres.mjs), as on several hosts.
	const stops = [];
	const metadataUrl = metadata === "postgres" ? await (await import(pathToFileURL(join(root, "cloud/tests/_postgres.mjs")).href)).postgresFor({ teardown: (stop) => stops.push(stop) }) : undefined;
	try {
		return await rampBoth({ root, log, steps, seconds, startHaproxy, metadataUrl });
	}
	finally {
		for (const stop of stops) stop();
	}
}

async function rampBoth({ root, log, steps, seconds, startHaproxy, metadataUrl }) {
	const { work, data, devicesFile } = await benchData({ root, name: "cloud-multi", count: Math.max(...steps), metadataUrl });
	const taskset = hasTaskset();
	if (!taskset) log("cloud_multi: taskset missing: the instances are NOT pinned to a core each");
	const env = {
		UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? "64",
		IVXS_CLOUD_MAX_CONNECTIONS: "16384", IVXS_CLOUD_TRUSTED_PROXIES: "127.0.0.1",
		...(metadataUrl ? { IVXS_CLOUD_METADATA_URL: metadataUrl } : {}),
	};
	const ramp = async (count) => {
		const instances = [];
		for (let core = 0; core < count; core++) instances.push(await startCloudProcess({ root, data, taskset, core, env }));
		const haproxy = await startHaproxy(join(work, "haproxy.cfg"), instances.map(({ url }) => Number(new URL(url).port)));
		const pids = [...instances.map(({ pid }) => pid), haproxy.pid];
		await sleep(1000);
		const results = [];
		let best;
		try {
			for (const cameras of steps) {
				const before = pids.map(procStat);
				const load = await runGenerator([join(root, "build/node/cloud/sim/load.js"), "--cloud", haproxy.url, "--devices", devicesFile, "--cameras", String(cameras), "--seconds", String(seconds), "--stream", `m${count}s${cameras}`], taskset, null);
				const cpu = pids.map((pid, i) => cpuPercent(before[i], procStat(pid)));
				const step = {
					cameras, passed: load.failed === 0 && load.late === 0 && load.stored === load.requests,
					instances_cpu_percent_of_one_core: cpu.slice(0, count).map((c) => round(c, 1)),
					haproxy_cpu_percent: round(cpu[count], 1), generator_cpu_percent: load.generator_cpu_percent,
					segments: load.requests, stored: load.stored, late: load.late, failed: load.failed, errors: load.errors, latency_ms: load.latency_ms,
				};
				results.push(step);
				log(`cloud_multi: ${count} instance(s), ${cameras} cameras: ${step.passed ? "ok" : "FAILED"}, instances CPU ${step.instances_cpu_percent_of_one_core.join(" + ")} %, HAProxy ${step.haproxy_cpu_percent} %, generator ${step.generator_cpu_percent} %, p99 ${load.latency_ms.p99} ms, late ${load.late}, failed ${load.failed}`);
				if (!step.passed) break;
				best = step;
			}
		}
		finally {
			await haproxy.stop();
			for (const instance of instances) await instance.stop();
		}
		const cloudCpu = best ? best.instances_cpu_percent_of_one_core.reduce((a, b) => a + b, 0) : 0;
		return {
			instances: count, cameras: best?.cameras ?? 0,
			cpu_percent_per_camera: best ? round(cloudCpu / best.cameras, 4) : null,
			haproxy_cpu_percent_per_camera: best ? round(best.haproxy_cpu_percent / best.cameras, 4) : null,
			steps: results,
		};
	};
	const one = await ramp(1);
	const two = await ramp(2);
	rmSync(data, { recursive: true, force: true });
	const ratio = one.cameras ? round(two.cameras / one.cameras, 2) : null;
	// The same load on both shapes: what the second instance costs per camera (metadata shared between processes).
	const common = Math.min(one.cameras, two.cameras);
	const perCamera = (shape) => {
		const step = shape.steps.find((s) => s.cameras === common);
		return step ? round(step.instances_cpu_percent_of_one_core.reduce((a, b) => a + b, 0) / common, 4) : null;
	};
	return {
		one_instance: one, two_instances: two, ratio,
		added_cameras: two.cameras - one.cameras,
		cpu_percent_per_camera_same_load: { cameras: common, one_instance: perCamera(one), two_instances: perCamera(two) },
		pinned_with_taskset: taskset, metadata: metadataUrl ? "postgres" : "sqlite",
		target: "two instances ingest >= 1.7x the cameras of one (a second core's worth, less HAProxy's and the generator's share of the two cores)",
		meets: ratio !== null && ratio >= 1.7,
	};
}
