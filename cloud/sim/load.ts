// The load generator: N simulated cameras against one cloud, each uploading
// one 2-s segment every 2 s (prepared once from the fixtures and shared: every
// camera has its own device and stream, so the same bytes are a valid stream
// for each), every request signed on its own (PROTOCOL.md §2). Prints one
// JSON line: requests, stored, late (not stored within the 2-s period),
// failures, latency percentiles, bytes sent. Each camera connects from its own
// loopback address (127.1.0.0, 127.1.0.1, …: Linux routes all of 127/8 to lo), as
// a fleet reaches the cloud from many addresses: a per-address limit sees one
// camera, not the whole load.
//
//   node build/node/cloud/sim/load.js --cloud URL --devices devices.json --cameras N --seconds S [--stream ID]
import { Agent, request } from "node:http";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { packageStream } from "./packager.js";
import { sha256Hex, signRequest, signingKey } from "./sign.js";
import { Verdict, verdictOf } from "../../modules/protocol/verdict.js";

export interface LoadOptions {
	cloud: string;
	devices: { id: string; secret: string }[];
	cameras: number;
	seconds: number;
	periodMs?: number;
	stream?: string;
}

export interface LoadResult {
	cameras: number;
	seconds: number;
	requests: number;
	stored: number;
	late: number;
	failed: number;
	errors: Record<string, number>;
	latency_ms: { p50: number; p90: number; p99: number; max: number };
	bytes_sent: number;
	/** Bodies the cloud answered 201 (inits and segments): what it should hold. */
	bytes_accepted: number;
	segment_bytes_mean: number;
	generator_cpu_percent: number;
}

/** 2-s segments (two 1-s GOPs each) and their hashes, enough for `count` periods. */
export function prepareSegments(count: number) {
	const { init, segments } = packageStream({ seconds: count * 2 });
	const pairs: { bytes: Buffer; hash: string }[] = [];
	for (let i = 0; i + 1 < segments.length; i += 2) {
		const bytes = Buffer.concat([segments[i].bytes, segments[i + 1].bytes]);
		pairs.push({ bytes, hash: sha256Hex(bytes) });
	}
	return { init, initHash: sha256Hex(init), segments: pairs };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : 0);

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
	const period = options.periodMs ?? 2000;
	const periods = Math.ceil((options.seconds * 1000) / period);
	const media = prepareSegments(periods);
	const url = new URL(options.cloud);
	const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
	const stream = options.stream ?? `load${Date.now()}`;
	const latencies: number[] = [];
	const errors: Record<string, number> = {};
	let requests = 0, stored = 0, late = 0, failed = 0, bytesSent = 0, bytesAccepted = 0;
	const send = (device: { id: string; key: Buffer; address?: string }, path: string, body: Buffer, hash: string) => new Promise<number>((resolve) => {
		const signed = signRequest({ device: device.id, key: device.key, method: "PUT", path, body: hash });
		const req = request({ host: url.hostname, port: url.port, method: "PUT", path, agent, localAddress: device.address, headers: { ...signed.headers, "content-length": body.length } }, (res) => {
			res.resume();
			res.on("end", () => resolve(res.statusCode ?? 0));
			res.on("error", () => resolve(0));
		});
		req.on("error", (error) => {
			errors[error.message] = (errors[error.message] ?? 0) + 1;
			resolve(0);
		});
		req.end(body);
	});
	const cpu0 = process.cpuUsage();
	const wall0 = performance.now();
	const epoch = Date.now() - 1000;
	const local = url.hostname === "127.0.0.1" || url.hostname === "localhost";
	const cameras = options.devices.slice(0, options.cameras).map((d, i) => ({ id: d.id, key: signingKey(d.secret), address: local ? cameraAddress(i) : undefined }));
	if (cameras.length < options.cameras) throw new Error(`only ${cameras.length} devices for ${options.cameras} cameras`);
	const start = performance.now() + 200;
	await Promise.all(cameras.map(async (camera, index) => {
		const base = `/v1/devices/${camera.id}/channels/0/streams/${stream}`;
		// Spread over the period, as independent cameras are.
		const offset = (index * period) / cameras.length;
		await sleepUntil(start + offset - period / 2);
		const status = await send(camera, `${base}/init?epoch=${epoch}`, media.init, media.initHash);
		if (status === 201) bytesAccepted += media.init.length;
		if (verdictOf(status, false) !== Verdict.Stored) {
			failed += periods;
			errors[`init ${status}`] = (errors[`init ${status}`] ?? 0) + 1;
			return;
		}
		const uploads: Promise<void>[] = [];
		for (let seq = 0; seq < periods; seq++) {
			await sleepUntil(start + offset + seq * period);
			const segment = media.segments[seq];
			const sent = performance.now();
			requests++;
			bytesSent += segment.bytes.length;
			uploads.push(send(camera, `${base}/segments/${seq}`, segment.bytes, segment.hash).then((code) => {
				const ms = performance.now() - sent;
				latencies.push(ms);
				if (code === 201) {
					stored++;
					bytesAccepted += segment.bytes.length;
					if (ms > period) late++;
				}
				else {
					failed++;
					errors[String(code)] = (errors[String(code)] ?? 0) + 1;
				}
			}));
		}
		await Promise.all(uploads);
	}));
	const cpu = process.cpuUsage(cpu0);
	const wall = performance.now() - wall0;
	agent.destroy();
	latencies.sort((a, b) => a - b);
	const round = (x: number) => Math.round(x * 10) / 10;
	return {
		cameras: options.cameras, seconds: options.seconds, requests, stored, late, failed, errors,
		latency_ms: { p50: round(percentile(latencies, 0.5)), p90: round(percentile(latencies, 0.9)), p99: round(percentile(latencies, 0.99)), max: round(latencies[latencies.length - 1] ?? 0) },
		bytes_sent: bytesSent + media.init.length * options.cameras,
		bytes_accepted: bytesAccepted,
		segment_bytes_mean: Math.round(media.segments.reduce((n, s) => n + s.bytes.length, 0) / media.segments.length),
		generator_cpu_percent: round((100 * (cpu.user + cpu.system)) / 1000 / wall),
	};
}

/** Camera `i`'s loopback address: 127.1.0.0 on, one per camera (65,536 per second octet). */
export const cameraAddress = (i: number): string => `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

if (process.argv[1]?.endsWith("/sim/load.js")) {
	const args = process.argv.slice(2);
	const get = (name: string) => {
		const i = args.indexOf(name);
		if (i < 0 || i + 1 >= args.length) throw new Error(`usage: load.js --cloud URL --devices devices.json --cameras N --seconds S [--stream ID] (missing ${name})`);
		return args[i + 1];
	};
	const devices = JSON.parse(readFileSync(get("--devices"), "utf8"));
	runLoad({ cloud: get("--cloud"), devices, cameras: Number(get("--cameras")), seconds: Number(get("--seconds")), stream: args.includes("--stream") ? get("--stream") : undefined })
		.then((result) => console.log(JSON.stringify(result)), (error) => {
			console.error(`load: ${error.message}`);
			process.exit(1);
		});
}
