/*
 * What "a 201 means the segment is on the disk" costs (part of `node bench/run.mjs cloud`).
 *
 * One cloud in this process per mode — durableWrites false (object fsynced, no folder fsync,
 * WAL not fsynced before the answer: the acknowledgement before) and true (the default: object
 * and its folders fsynced, the WAL fsynced — grouped, off the event loop — before the 201) — its data under build/bench (the repo's disk, not a
 * tmpfs, where fsync is free). A simulated camera (cloud/sim/uploader.ts) PUTs one stream's 2-s
 * segments of the fixtures (~35 KB): `segments` one after another (the latency a camera sees),
 * then as many again with 16 in flight (what the fsyncs cost in throughput). Reported per mode:
 * ms per segment (median and mean of the sequential run) and segments/s with 16 in flight; and
 * the difference, the cost of durability per segment.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import { median, round } from "../lib.mjs";

export async function benchDurability({ root, log = () => {}, segments = 150 } = {}) {
	const build = (path) => import(pathToFileURL(join(root, "build/node/cloud", path)).href);
	const { loadConfig } = await build("src/config.js");
	const { startCloud } = await build("src/server.js");
	const { addDevice } = await build("src/devices/registry.js");
	const { Uploader } = await build("sim/uploader.js");
	const { prepareSegments } = await build("sim/load.js");
	const media = prepareSegments(segments * 2);
	const modes = {};
	for (const durable of [false, true]) {
		const dataDir = join(root, "build/bench/cloud-durability", String(durable));
		rmSync(dataDir, { recursive: true, force: true });
		mkdirSync(dataDir, { recursive: true });
		const cloud = await startCloud(loadConfig({ host: "127.0.0.1", port: 0, dataDir, durableWrites: durable, minFreeBytes: 0 }, {}), pino({ level: "silent" }));
		const device = await addDevice(cloud.ctx.sql, { id: "bench-durable" });
		// Four connections each (the uploader's agent): four uploaders for 16 in flight.
		const uploaders = Array.from({ length: 4 }, () => new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret, maxAttempts: 1 }));
		const [uploader] = uploaders;
		try {
			if ((await uploader.putInit("s1", media.init, Date.now() - 3_600_000)).status !== 201) throw new Error("init refused");
			const put = async (seq, by = uploader) => {
				const answer = await by.sendFixed("PUT", by.path("s1", `segments/${seq}`), media.segments[seq].bytes);
				if (answer.status !== 201) throw new Error(`segment ${seq}: ${answer.status}`);
			};
			const each = [];
			for (let seq = 0; seq < segments; seq++) {
				const started = performance.now();
				await put(seq);
				each.push(performance.now() - started);
			}
			let next = segments;
			const started = performance.now();
			await Promise.all(Array.from({ length: 16 }, async (_, lane) => {
				while (next < 2 * segments) await put(next++, uploaders[lane % 4]);
			}));
			const seconds = (performance.now() - started) / 1000;
			modes[durable ? "durable" : "before"] = {
				ms_per_segment_median: round(median(each), 2),
				ms_per_segment_mean: round(each.reduce((a, b) => a + b, 0) / each.length, 2),
				segments_per_s_16_in_flight: round(segments / seconds, 1),
			};
			log(`cloud durability: ${durable ? "durable" : "before"}: ${JSON.stringify(modes[durable ? "durable" : "before"])}`);
		}
		finally {
			for (const each of uploaders) each.close();
			await cloud.stop();
			rmSync(dataDir, { recursive: true, force: true });
		}
	}
	return {
		segment_bytes_mean: Math.round(media.segments.slice(0, 2 * segments).reduce((n, s) => n + s.bytes.length, 0) / (2 * segments)),
		...modes,
		added_ms_per_segment: round(modes.durable.ms_per_segment_median - modes.before.ms_per_segment_median, 2),
		throughput_ratio_16_in_flight: round(modes.durable.segments_per_s_16_in_flight / modes.before.segments_per_s_16_in_flight, 3),
		note: "before: object fsynced, no folder fsync, WAL not fsynced before the 201; durable (the default): object and folders fsynced, WAL fsynced (grouped, on the thread pool) before the 201",
	};
}

// `node bench/cloud/durability.mjs`: this figure alone, as JSON.
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
	const { root, log } = await import("../lib.mjs");
	console.log(JSON.stringify(await benchDurability({ root, log }), null, 1));
}
