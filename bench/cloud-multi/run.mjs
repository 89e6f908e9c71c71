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
 * Per step, for judging a figure from a shared machine: the load average before → after; each
 * instance's CPU ms per segment it stored (its /metrics), which depends little on the load; the
 * share of the time its event loop was runnable but waiting for a core (/proc/<pid>/schedstat:
 * other processes had the cores); and how often HAProxy marked an instance down — an overloaded
 * instance's accept queue fills, its /healthz check times out, and until it is back up HAProxy
 * answers 503 itself (the "failed" requests of an overloaded step; the instances' per-address
 * connection cap does not apply: HAProxy is a trusted proxy, counted only in MAX_CONNECTIONS).
 */
import { readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { round, sleep } from "../lib.mjs";
import { benchData, cpuPercent, hasTaskset, procStat, runGenerator, startCloudProcess } from "../cloud/process.mjs";

export async function benchCloudMulti({ root, log = () => {}, steps = [250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000], seconds = 12, metadata = process.env.IVXS_BENCH_METADATA ?? "sqlite" } = {}) {
	const { startHaproxy } = await import(pathToFileURL(join(root, "cloud/tests/_haproxy.mjs")).href);
	const { counterIn } = await import(pathToFileURL(join(root, "cloud/tests/_metrics.mjs")).href);
	// The instances share the SQLite file of the data folder, or (IVXS_BENCH_METADATA=postgres)
	// a PostgreSQL cluster of the bench's own (cloud/tests/_postgres.mjs), as on several hosts.
	const stops = [];
	const metadataUrl = metadata === "postgres" ? await (await import(pathToFileURL(join(root, "cloud/tests/_postgres.mjs")).href)).postgresFor({ teardown: (stop) => stops.push(stop) }) : undefined;
	try {
		return await rampBoth({ root, log, steps, seconds, startHaproxy, counterIn, metadataUrl });
	}
	finally {
		for (const stop of stops) stop();
	}
}

async function rampBoth({ root, log, steps, seconds, startHaproxy, counterIn, metadataUrl }) {
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
				const before = pids.map((pid) => ({ ...procStat(pid), queuedNs: runQueueNs(pid) }));
				const segmentsBefore = await segmentsOf(instances, counterIn);
				const downBefore = serversDown(haproxy.log());
				const load0 = loadavg()[0];
				const load = await runGenerator([join(root, "build/node/cloud/sim/load.js"), "--cloud", haproxy.url, "--devices", devicesFile, "--cameras", String(cameras), "--seconds", String(seconds), "--stream", `m${count}s${cameras}`], taskset, null);
				const after = pids.map(procStat);
				const waited = pids.map((pid, i) => runQueueWaitPercent(before[i], after[i], pid));
				const cpu = pids.map((_, i) => cpuPercent(before[i], after[i]));
				// What a segment costs, per instance: its CPU time over the segments it stored (its
				// /metrics), less sensitive to the machine's load than how many cameras pass.
				const stored = (await segmentsOf(instances, counterIn)).map((n, i) => n - segmentsBefore[i]);
				const msPerSegment = stored.map((n, i) => (n ? round(((after[i].ticks - before[i].ticks) * 10) / n, 2) : null));
				const step = {
					cameras, passed: load.failed === 0 && load.late === 0 && load.stored === load.requests,
					load_average: [round(load0, 1), round(loadavg()[0], 1)],
					instances_cpu_percent_of_one_core: cpu.slice(0, count).map((c) => round(c, 1)),
					instances_segments_stored: stored, instances_cpu_ms_per_segment: msPerSegment,
					// The event loop's thread ready to run but waiting for a core (other processes had it).
					instances_run_queue_wait_percent: waited.slice(0, count),
					haproxy_cpu_percent: round(cpu[count], 1), generator_cpu_percent: load.generator_cpu_percent,
					// HAProxy marked an instance down (its /healthz check timed out): what it answers then is its own 503.
					haproxy_servers_down: serversDown(haproxy.log()) - downBefore,
					segments: load.requests, stored: load.stored, late: load.late, failed: load.failed, errors: load.errors, latency_ms: load.latency_ms,
				};
				results.push(step);
				log(`cloud_multi: ${count} instance(s), ${cameras} cameras: ${step.passed ? "ok" : "FAILED"} (load average ${step.load_average.join(" → ")}), instances CPU ${step.instances_cpu_percent_of_one_core.join(" + ")} %, ${msPerSegment.join(" / ")} ms CPU per segment, event loop waiting for a core ${step.instances_run_queue_wait_percent.join(" / ")} % of the time, HAProxy ${step.haproxy_cpu_percent} %, generator ${step.generator_cpu_percent} %, p99 ${load.latency_ms.p99} ms, late ${load.late}, failed ${load.failed} ${JSON.stringify(load.errors)}, HAProxy marked an instance down ${step.haproxy_servers_down}×`);
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
			cpu_ms_per_segment: best ? best.instances_cpu_ms_per_segment : null,
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

/** Each instance's count of stored segments (its /metrics). */
const segmentsOf = (instances, counterIn) => Promise.all(instances.map(async ({ url }) => counterIn(await (await fetch(`${url}/metrics`)).text(), "ivxs_ingest_segments_total")));

/** How many times HAProxy's log says it marked a server down. */
const serversDown = (text) => text.match(/Server instances\/\S+ is DOWN/g)?.length ?? 0;

/** Nanoseconds the process's main thread (the event loop) spent runnable but waiting for a core (/proc/<pid>/schedstat, field 2). */
const runQueueNs = (pid) => Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[1]);
const runQueueWaitPercent = (before, after, pid) => round((100 * (runQueueNs(pid) - before.queuedNs) / 1e6) / (after.at - before.at), 1);
