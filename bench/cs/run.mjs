/*
 * `node bench/run.mjs cs` — cloud storage on the camera (modules/cs, modules/snapshot) as the
 * Linux camera app runs it (modules/app/camera on build/bin/ivxs) against a cloud started in
 * this process (build/node/cloud/src/server.js, disk storage, embedded MQTT, data under
 * build/bench/cs/cloud). Each run is a fresh device, its plan PUT by the admin
 * (PUT /v1/devices/{id}/plan, cloud/API.md) before the camera starts, then:
 *
 *   /usr/bin/time -f '%U %S %M' -o build/bench/cs/<run>.time build/bin/ivxs modules/app/camera -- \
 *       --device build/bench/cs/<run>.json --seconds N --summary [--memory-probe 4] [--event-every 7.7]
 *
 * The device file's channel: video = build/bench/cs-1mbit-640x480-15fps.h264 (640x480, 15 fps,
 *   16 s, a key frame a second: bench/lib.mjs ensureClip's recipe — the noise keeps the encoder at
 *   its 1 Mbit/s: the clip's measured rate is reported),
 *   audio = fixtures/media/aac-lc-16k-mono.aac, stills = fixtures/media/stills.
 *
 * Runs: "none" (plan mode none: capture + ring + snapshots, nothing uploaded; the baseline; its
 * HTTP goes through a counting TCP proxy) then "continuous" (the same for the same 20 s, every
 * frame uploaded in 2-s segments), both with --memory-probe 4; "none_m32" and "continuous_m32"
 * (the same pair for 12 s on build/bin/ivxs-m32, side by side: heap figures only); "event" and
 * "event_1s" (plan mode event, preRollS 2, postRollS 4, segmentS 2 resp. 1; --event-every 7.7 for
 * 29 s: events at about 7.8, 15.4 and 23.2 s — not on the clip's 1-s key frame grid — each clip
 * over before the camera stops). About 2 minutes in all.
 *
 * Figures:
 * 1. upload_cpu — the camera process's CPU (utime + stime of /proc/<pid>/stat) over its steady
 *    state (from 4 s after start to 1 s before its end), per second, in the continuous run minus
 *    the none run: ms of CPU per second of 1 Mbit/s video uploaded (real time: one second of
 *    video per second) and % of one core. Also the whole process's user + sys from /usr/bin/time.
 *    Data check: framesLost == 0, ffprobe's count of what the cloud stored == the camera's
 *    framesUploaded, and lastSeq − firstSeq + 1 == framesUploaded (no frame skipped). Target:
 *    none given by the issue: reported; meets = the data check.
 * 2. heap — cloud storage's XS heap: upload run − none run of the XS heap (chunks + slots) that
 *    is live after a forced collection (camera --memory-probe 4: collectGarbage() then memory()
 *    every 4 s; median), and of the peak and in-use figures of the host's SIGUSR1 memory report,
 *    sampled every second from outside (these include the garbage XS keeps until its heap is
 *    full, so they measure the collector's slack as much as cloud storage). On the 64-bit host
 *    and on the 32-bit one (a board's XS: slots half the size). The ring is native memory
 *    (summary `native.ring`), reported apart. Target: live cost <= 32 KiB (the ring plus at
 *    most 32 KiB for cloud storage), judged on the 32-bit host when it builds.
 * 3. event_to_playable — per event: the event's time (GET /v1/devices/{id}/events: the camera's
 *    clock) to the moment the cloud committed (object stored and row inserted: the ingest's
 *    segmentEvents "segment") the first segment whose [start_ms, end_ms) holds the event time;
 *    also to the commit of the clip's first (pre-roll) segment. Segments are streamed as they are
 *    cut and a segment ends at the first key frame after segmentS, so the segment holding the
 *    event commits when it ends: up to segmentS after the event. Median over the events, for
 *    segmentS 2 (judged) and 1. Target: median <= 2000 ms.
 * 4. snapshot — bytes the cloud stored for a snapshot / bytes of the JPEG it is (matched
 *    byte-for-byte against fixtures/media/stills/*.jpg), and the request's body bytes on the wire
 *    (the counting proxy: the bytes after the headers, Content-Length long) / the JPEG's bytes;
 *    the headers are reported. Target: 1.0 for both (a binary body, no base64).
 * 5. segment_request — what one segment's HTTP request costs the camera on XS, the uploader's
 *    path without the muxer: bench/xs/segment-request-bench.js on the 32-bit host under callgrind
 *    against bench/cs/segment-answerer.mjs (a loopback server answering as the cloud's ingest):
 *    the signed PUT, ten 200-ms fragments of 1 Mbit/s video (a 2-s segment's LL-HLS parts: a
 *    moof-sized view and a 25,000-byte mdat each) written and hashed, the signed trailers, the
 *    201 read. XS bytes allocated per request on the 32-bit host (memory().allocated: what a
 *    board's collector takes back; cloud storage makes one a segment per channel) and
 *    instructions per request under callgrind on the 64-bit host (the process's, SHA-256 of the
 *    body included), 60 requests minus 10. Target: <= 20 KiB a request.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { once } from "node:events";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { buildHost } from "../../scripts/build.mjs";
import { inProcessCloud } from "../in-process-cloud.mjs";
import { cpuTicks, ensureClip, median, round, sleep, TICK_MS, xsBenchRun } from "../lib.mjs";

export const CLIP = "build/bench/cs-1mbit-640x480-15fps.h264";
const CLIP_SECONDS = 16, CLIP_FPS = 15;
/** The 1 Mbit/s camera stream (made once; its path): cloud storage's here, the board's in board_s3. */
export const mbitClip = (log) => ({ path: ensureClip(CLIP, { size: "640x480", fps: CLIP_FPS, seconds: CLIP_SECONDS, gop: CLIP_FPS }, log), fps: CLIP_FPS });
const AUDIO = "fixtures/media/aac-lc-16k-mono.aac";
const STILLS = "fixtures/media/stills";

function childOf(pid) {
	try {
		return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)[0]) || undefined;
	}
	catch {
		return undefined;
	}
}

// "ivxs memory (SIGUSR1): xs chunks 123 (peak 456), xs slots …, ring 789 (peak …), …"
function parseMemoryLine(line) {
	const m = /ivxs memory \(SIGUSR1\): xs chunks (\d+) \(peak (\d+)\), xs slots (\d+) \(peak (\d+)\)/.exec(line);
	if (!m) return undefined;
	const native = {};
	for (const n of line.slice(m.index + m[0].length).matchAll(/, ([\w.-]+) (-?\d+) \(peak (-?\d+)\)/g)) native[n[1]] = { bytes: Number(n[2]), peak: Number(n[3]) };
	return { chunks: Number(m[1]), chunksPeak: Number(m[2]), slots: Number(m[3]), slotsPeak: Number(m[4]), native };
}

/**
 * A TCP proxy to the cloud that keeps what clients sent (the camera's HTTP requests and its
 * MQTT): `requests()` parses the HTTP ones (Content-Length bodies).
 */
async function countingProxy(port) {
	const connections = [];
	const sockets = new Set();
	const server = net.createServer((client) => {
		const chunks = [];
		connections.push(chunks);
		const upstream = net.connect(port, "127.0.0.1");
		for (const [from, to] of [[client, upstream], [upstream, client]]) {
			sockets.add(from);
			from.on("error", () => to.destroy()).on("close", () => { to.destroy(); sockets.delete(from); });
			from.pipe(to);
		}
		client.on("data", (chunk) => chunks.push(chunk));
	});
	server.listen(0, "127.0.0.1");
	await once(server, "listening");
	return {
		port: server.address().port,
		close() {
			for (const s of sockets) s.destroy();
			server.close();
		},
		requests() {
			const out = [];
			for (const chunks of connections) {
				const data = Buffer.concat(chunks);
				if (!/^[A-Z]+ \//.test(data.subarray(0, 16).toString("latin1"))) continue;   // MQTT
				let at = 0;
				while (at < data.length) {
					const end = data.indexOf("\r\n\r\n", at);
					if (end < 0) break;
					const head = data.subarray(at, end).toString("latin1");
					const [requestLine, ...headers] = head.split("\r\n");
					const header = (name) => headers.find((h) => h.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
					const length = Number(header("content-length") ?? 0);
					if (header("transfer-encoding")) { out.push({ requestLine, chunked: true }); break; }
					const body = data.subarray(end + 4, end + 4 + length);
					out.push({ requestLine, headerBytes: end + 4 - at, contentLength: length, body });
					at = end + 4 + length;
				}
			}
			return out;
		},
	};
}

/** XS heap figures of an upload run against its no-upload baseline. */
function heapFigures(upload, none) {
	const side = (r) => ({
		after_gc: r.memory.after_gc, peak: r.memory.peak, summary_heap_peak: r.summary.heapPeak,
		in_use_median: r.memory.in_use_median, in_use_min: r.memory.in_use_min, in_use_max: r.memory.in_use_max,
		samples: r.memory.samples, native: r.summary.native,
	});
	return {
		cs_live_cost_bytes_after_gc: upload.memory.after_gc && none.memory.after_gc ? upload.memory.after_gc.median - none.memory.after_gc.median : undefined,
		cs_peak_cost_bytes: upload.memory.peak - none.memory.peak,
		cs_in_use_median_cost_bytes: upload.memory.in_use_median - none.memory.in_use_median,
		upload_run: side(upload), baseline_none: side(none),
	};
}

const SEGMENT_FRAGMENTS = 10, FRAGMENT_BYTES = 25_000, MOOF_BYTES = 200, REQUESTS_LONG = 60, REQUESTS_SHORT = 10;

/** Figure 5: a segment request's XS bytes allocated and instructions (long run minus short). */
export async function segmentRequest(root) {
	const server = spawn(process.execPath, [join(root, "bench/cs/segment-answerer.mjs"), String(SEGMENT_FRAGMENTS * (MOOF_BYTES + FRAGMENT_BYTES))], { stdio: ["ignore", "pipe", "inherit"] });
	try {
		const [line] = await once(server.stdout.setEncoding("utf8"), "data");
		const port = Number(line.trim());
		const perRequest = (options, figure) => {
			const runOf = (requests) => xsBenchRun(root, "build/bench/cs", "segment-request-bench", [port, requests, SEGMENT_FRAGMENTS, FRAGMENT_BYTES], "requests", options);
			const long = runOf(REQUESTS_LONG), short = runOf(REQUESTS_SHORT);
			return (long[figure] - short[figure]) / (long.requests - short.requests);
		};
		const allocated = perRequest({ callgrind: false }, "allocated");
		return {
			what: `a 2-s segment's signed HTTP request on XS (${REQUESTS_LONG} requests minus ${REQUESTS_SHORT}): ${SEGMENT_FRAGMENTS} fragments of ${MOOF_BYTES} + ${FRAGMENT_BYTES} bytes written and hashed, the trailers signed, the cloud's 201 read; XS bytes allocated on the 32-bit host (a board's sizes), instructions under callgrind on the 64-bit host (valgrind cannot run 32-bit programs on every kernel)`,
			allocated_bytes_per_request: Math.round(allocated),
			instructions_per_request: Math.round(perRequest({ host: "build/bin/ivxs" }, "instructions")),
			target: "<= 20 KiB of XS allocations a request",
			meets: allocated <= 20 * 1024,
		};
	}
	finally {
		server.kill();
	}
}

export async function benchCs({ root, log = () => {}, seconds = 20, eventSeconds = 29, eventEvery = 7.7, probeEvery = 4, m32Seconds = 12 } = {}) {
	for (const tool of ["ffmpeg", "ffprobe"]) {
		try { execFileSync(tool, ["-version"], { stdio: "ignore" }); }
		catch { return { skipped: `${tool} not found` }; }
	}
	if (!existsSync("/usr/bin/time")) return { skipped: "/usr/bin/time not found" };
	const clip = mbitClip(log).path;
	const clipBytes = statSync(clip).size;
	const work = join(root, "build/bench/cs");
	rmSync(work, { recursive: true, force: true });
	mkdirSync(work, { recursive: true });
	const dataDir = join(work, "cloud");
	const { cloud, built, api, addDevice } = await inProcessCloud(root, dataDir);
	const { segmentsBetween, streamOf } = await built("catalogue/index.js");
	// When each segment was committed (stored and its row inserted), as the cloud's live wait sees it.
	const committed = new Map();   // `${device}/${stream}/${seq}` -> ms
	const onSegment = (row) => committed.set(`${row.device}/${row.stream}/${row.seq}`, Date.now());
	cloud.ctx.segmentEvents.on("segment", onSegment);
	const cloudPort = Number(new URL(cloud.url).port);

	/** One camera run with a fresh device and `plan`; returns its figures. */
	async function run(name, plan, { runSeconds = seconds, args = [], proxy, host = "build/bin/ivxs" } = {}) {
		const device = await addDevice({ id: `bench-${name.replace(/_/g, "-")}` });
		const stored = await api(`/v1/devices/${device.id}/plan`, { method: "PUT", body: plan });
		const cloudUrl = proxy ? `http://127.0.0.1:${proxy.port}` : cloud.url;
		const file = join(work, `${name}.json`);
		writeFileSync(file, JSON.stringify({ id: device.id, secret: device.secret, cloud: cloudUrl, channels: [{ video: clip, codec: "h264", audio: AUDIO, stills: STILLS }] }, null, 2));
		const timeFile = join(work, `${name}.time`);
		log(`cs: ${name}: plan ${JSON.stringify(plan)} (rev ${stored.rev}), ${runSeconds} s on ${host}`);
		const child = spawn("/usr/bin/time", ["-f", "%U %S %M", "-o", timeFile, host, "modules/app/camera", "--", "--device", file, "--seconds", String(runSeconds), "--summary", ...args], { cwd: root });
		let stdout = "", stderr = "";
		const memory = [];
		child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
		child.stderr.setEncoding("utf8").on("data", (c) => {
			stderr += c;
			let nl;
			while ((nl = stderr.indexOf("\n")) >= 0) {
				const line = stderr.slice(0, nl);
				stderr = stderr.slice(nl + 1);
				const m = parseMemoryLine(line);
				if (m) memory.push({ at: Date.now() - started, ...m });
				else stdout += `[stderr] ${line}\n`;
			}
		});
		const exited = new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
		const started = Date.now();
		let pid;
		for (let i = 0; i < 100 && !pid; i++) { await sleep(10); pid = childOf(child.pid); }
		if (!pid) throw new Error(`${name}: no ${host} process under /usr/bin/time`);
		// CPU over the steady state: [start + 4 s, end − 1 s]; memory sampled every second.
		const window = { from: 4000, to: runSeconds * 1000 - 1000 };
		const cpu = {};
		let closed = false;
		void exited.then(() => { closed = true; });
		const sampler = (async () => {
			for (let t = 1000; !closed; t += 1000) {
				await sleep(Math.max(0, started + t - Date.now()));
				if (closed) break;
				const now = Date.now() - started;
				if (cpu.from === undefined && now >= window.from) cpu.from = { at: now, ticks: cpuTicks(pid) };
				if (now <= window.to) cpu.to = { at: now, ticks: cpuTicks(pid) };
				if (now < runSeconds * 1000 - 500) try { process.kill(pid, "SIGUSR1"); } catch {}
			}
		})();
		const timeout = setTimeout(() => child.kill("SIGKILL"), (runSeconds + 60) * 1000);
		const { code, signal } = await exited;
		clearTimeout(timeout);
		await sampler;
		const line = stdout.split("\n").find((l) => l.startsWith("@@camera "));
		const probes = stdout.split("\n").filter((l) => l.startsWith("@@memory ")).map((l) => JSON.parse(l.slice(9)));
		writeFileSync(join(work, `${name}.memory.json`), JSON.stringify({ samples: memory, probes }, null, 1));
		writeFileSync(join(work, `${name}.log`), stdout);
		if (code !== 0 || !line) throw new Error(`${name}: camera exited ${code ?? signal}${line ? "" : " without a summary"}: ${stdout.split("\n").slice(-8).join(" | ")}`);
		const summary = JSON.parse(line.slice(9));
		const [user, sys, maxRssKiB] = readFileSync(timeFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
		const steady = cpu.from && cpu.to && cpu.to.at > cpu.from.at
			? { ms_per_s: ((cpu.to.ticks - cpu.from.ticks) * TICK_MS) / ((cpu.to.at - cpu.from.at) / 1000), window_s: (cpu.to.at - cpu.from.at) / 1000 }
			: undefined;
		const inWindow = memory.filter((m) => m.at >= window.from && m.at <= window.to);
		return {
			name, device, plan: stored, summary, stdout, runSeconds,
			cpu: { steady, total_ms: Math.round((user + sys) * 1000), user_ms: Math.round(user * 1000), sys_ms: Math.round(sys * 1000), max_rss_kib: maxRssKiB },
			memory: {
				samples: memory.length,
				peak: Math.max(0, ...memory.map((m) => m.chunksPeak + m.slotsPeak)),
				in_use_median: median(inWindow.map((m) => m.chunks + m.slots)),
				in_use_min: inWindow.length ? Math.min(...inWindow.map((m) => m.chunks + m.slots)) : null,
				in_use_max: inWindow.length ? Math.max(...inWindow.map((m) => m.chunks + m.slots)) : null,
				native_last: memory.at(-1)?.native,
				after_gc: probes.length ? { median: median(probes.map((p) => p.heap)), min: Math.min(...probes.map((p) => p.heap)), max: Math.max(...probes.map((p) => p.heap)), probes: probes.length } : undefined,
			},
		};
	}

	/** What the cloud holds for a run's device: streams, segments, ffprobe's frame counts. */
	async function storedOf(device) {
		const { countFrames } = await import(pathToFileURL(join(root, "cloud/tests/_ingest.mjs")).href);
		const segments = await segmentsBetween(cloud.ctx.sql, device.id, 0, 0, Number.MAX_SAFE_INTEGER);
		const streams = [...new Set(segments.map((s) => s.stream))];
		const frames = { h264: 0, aac: 0 };
		for (const stream of streams) {
			const row = await streamOf(cloud.ctx.sql, device.id, 0, stream);
			const parts = [await cloud.ctx.store.get(row.init_key)];
			for (const s of segments.filter((x) => x.stream === stream)) parts.push((await cloud.ctx.store.get(s.key)).subarray(s.offset, s.offset + s.bytes));
			const counted = countFrames(Buffer.concat(parts));
			frames.h264 += counted.h264 ?? 0;
			frames.aac += counted.aac ?? 0;
		}
		const mediaMs = segments.reduce((n, s) => n + (s.end_ms - s.start_ms), 0);
		return { segments, streams, frames, mediaMs };
	}

	const results = {};
	let proxy;
	try {
		// --- 1 + 2 + 4: the none baseline (through the counting proxy), then continuous ---
		proxy = await countingProxy(cloudPort);
		const probe = ["--memory-probe", String(probeEvery)];
		const none = await run("none", { mode: "none" }, { proxy, args: probe });
		const requests = proxy.requests();
		proxy.close();
		proxy = undefined;
		const continuous = await run("continuous", { mode: "continuous", segmentS: 2 }, { args: probe });
		const stored = await storedOf(continuous.device);
		const stats = continuous.summary.channels["0"];
		const noneStats = none.summary.channels["0"];
		const framesCheck = {
			camera_uploaded: stats.framesUploaded, camera_lost: stats.framesLost,
			cloud_decoded: stored.frames.h264 + stored.frames.aac, cloud_h264: stored.frames.h264, cloud_aac: stored.frames.aac,
			ring_seq_span: stats.lastSeq - stats.firstSeq + 1, segments: stored.segments.length, streams: stored.streams.length,
			none_run_uploaded: noneStats.framesUploaded,
		};
		const dataOk = stats.framesLost === 0 && framesCheck.cloud_decoded === stats.framesUploaded && framesCheck.ring_seq_span === stats.framesUploaded
			&& noneStats.framesUploaded === 0 && stats.framesUploaded > 0;
		const videoS = stored.mediaMs / 1000;
		const csCpu = continuous.cpu.steady && none.cpu.steady ? continuous.cpu.steady.ms_per_s - none.cpu.steady.ms_per_s : undefined;
		const clipKbps = (clipBytes * 8) / CLIP_SECONDS / 1000;
		results.upload_cpu = {
			clip: { path: CLIP, kbit_per_s: round(clipKbps, 1), size: "640x480", fps: CLIP_FPS, gop_frames: CLIP_FPS, bytes: clipBytes },
			cs_cpu_ms_per_video_s: round(csCpu, 1),
			cs_cpu_percent_of_core: round(csCpu / 10, 2),
			cs_cpu_ms_per_mbit: round(csCpu / (clipKbps / 1000), 1),
			upload_run_cpu_ms_per_s: round(continuous.cpu.steady?.ms_per_s, 1),
			baseline_none_cpu_ms_per_s: round(none.cpu.steady?.ms_per_s, 1),
			steady_window_s: round(continuous.cpu.steady?.window_s, 2),
			whole_process: {
				upload_run: { ...continuous.cpu, steady: undefined, seconds: continuous.runSeconds },
				baseline_none: { ...none.cpu, steady: undefined, seconds: none.runSeconds },
				cs_cpu_ms_per_video_s: round((continuous.cpu.total_ms - none.cpu.total_ms) / videoS, 1),
			},
			video_seconds_uploaded: round(videoS, 2),
			bytes_uploaded: stats.bytesUploaded,
			upload_kbit_per_s: round((stats.bytesUploaded * 8) / videoS / 1000, 1),
			frames: framesCheck,
			framesLost: stats.framesLost,
			target: "none given (reported); meets = no frame lost and the cloud decodes exactly the frames uploaded",
			meets: dataOk,
			measure: "camera process utime+stime (/proc/<pid>/stat) over [4 s, end − 1 s], continuous run minus plan-none run (capture + ring + snapshots, no upload), one second of video per second",
		};
		// The same pair on the 32-bit host (a board's XS: slots half the size), side by side (heap
		// figures only: CPU is not taken from these runs).
		let m32;
		try {
			const host32 = relative(root, buildHost("m32", { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" }));
			const [n32, c32] = await Promise.all([
				run("none_m32", { mode: "none" }, { host: host32, runSeconds: m32Seconds, args: probe }),
				run("continuous_m32", { mode: "continuous", segmentS: 2 }, { host: host32, runSeconds: m32Seconds, args: probe }),
			]);
			const lost = c32.summary.channels["0"].framesLost;
			m32 = { host: host32, seconds: m32Seconds, ...heapFigures(c32, n32), framesLost: lost };
		}
		catch (error) {
			m32 = { skipped: `32-bit host: ${String(error.message).split("\n")[0]}` };
		}
		const m64 = { host: "build/bin/ivxs", seconds, ...heapFigures(continuous, none) };
		const judged = m32.cs_live_cost_bytes_after_gc !== undefined ? m32 : m64;
		results.heap = {
			cs_live_cost_bytes_after_gc: judged.cs_live_cost_bytes_after_gc,
			cs_peak_cost_bytes: judged.cs_peak_cost_bytes,
			judged_on: judged.host,
			m32, m64,
			ring_bytes: continuous.summary.native?.ring?.bytes ?? null,
			target: "cloud storage's live XS heap (chunks + slots after a forced GC, upload run − none run) <= 32768 bytes, on the 32-bit host (a board's XS) when it builds; the ring is native memory, reported apart",
			meets: judged.cs_live_cost_bytes_after_gc <= 32768,
			measure: "after_gc: camera --memory-probe 4 (collectGarbage() then memory(), every 4 s), median; peak and in_use: the host's SIGUSR1 memory report sampled every second from outside (peak = chunks peak + slots peak, as the summary's heapPeak; in_use = chunks + slots at the sample, median over [4 s, end − 1 s]); peak and in_use include the garbage waiting for the next collection (XS collects when its heap is full)",
		};
		// --- 4: snapshots (from the none run's proxy) ---
		const jpegs = readdirSync(join(root, STILLS)).filter((n) => n.endsWith(".jpg")).sort().map((n) => ({ name: n, bytes: readFileSync(join(root, STILLS, n)) }));
		const snapshotRequests = requests.filter((r) => /^PUT \/v1\/devices\/[^/]+\/channels\/\d+\/snapshots/.test(r.requestLine ?? ""));
		const rows = cloud.ctx.sql.db.prepare("SELECT time_ms, key, bytes FROM snapshots WHERE device = ? ORDER BY time_ms").all(none.device.id);
		const snaps = [];
		for (const row of rows) {
			const body = await cloud.ctx.store.get(row.key);
			const jpeg = jpegs.find((j) => j.bytes.equals(body));
			const request = snapshotRequests.find((r) => r.requestLine.includes(`time=${row.time_ms}`));
			snaps.push({
				jpeg: jpeg ? `${STILLS}/${jpeg.name}` : null, jpeg_bytes: jpeg?.bytes.length ?? null, stored_bytes: body.length,
				body_bytes_on_wire: request?.body?.length ?? null, content_length: request?.contentLength ?? null, header_bytes: request?.headerBytes ?? null,
				stored_over_jpeg: jpeg ? round(body.length / jpeg.bytes.length, 6) : null,
				wire_body_over_jpeg: jpeg && request?.body ? round(request.body.length / jpeg.bytes.length, 6) : null,
				body_is_the_jpeg: !!(jpeg && request?.body?.equals(jpeg.bytes)),
			});
		}
		const snapOk = snaps.length > 0 && snaps.every((s) => s.stored_over_jpeg === 1 && s.wire_body_over_jpeg === 1 && s.body_is_the_jpeg);
		results.snapshot = {
			snapshots: snaps.length, uploads_ok: none.summary.snapshots?.ok ?? null,
			stored_over_jpeg: snaps[0]?.stored_over_jpeg ?? null,
			wire_body_over_jpeg: snaps[0]?.wire_body_over_jpeg ?? null,
			wire_total_over_jpeg: snaps[0]?.header_bytes ? round((snaps[0].header_bytes + snaps[0].body_bytes_on_wire) / snaps[0].jpeg_bytes, 4) : null,
			details: snaps,
			target: "stored / JPEG == 1.0 and request body on the wire / JPEG == 1.0 (binary body, no base64); headers reported",
			meets: snapOk,
		};
		// --- 3: event → first playable ---
		const events = {};
		for (const [label, segmentS] of [["segment_2s", 2], ["segment_1s", 1]]) {
			const r = await run(label === "segment_2s" ? "event" : "event_1s", { mode: "event", preRollS: 2, postRollS: 4, segmentS }, { runSeconds: eventSeconds, args: ["--event-every", String(eventEvery)] });
			const list = await api(`/v1/devices/${r.device.id}/events?start=${Date.now() - 3_600_000}&end=${Date.now() + 60_000}`);
			const items = Array.isArray(list) ? list : list.events ?? list.items ?? [];
			const segments = await segmentsBetween(cloud.ctx.sql, r.device.id, 0, 0, Number.MAX_SAFE_INTEGER);
			const perEvent = items.map((e) => {
				const time = e.timeMs ?? Date.parse(e.time);
				const holding = segments.find((s) => s.start_ms <= time && time < s.end_ms);
				const at = holding && committed.get(`${r.device.id}/${holding.stream}/${holding.seq}`);
				const clipSegments = holding ? segments.filter((s) => s.stream === holding.stream) : [];
				const firstAt = clipSegments.length ? Math.min(...clipSegments.map((s) => committed.get(`${r.device.id}/${s.stream}/${s.seq}`) ?? Infinity)) : undefined;
				return {
					event_ms: time,
					to_holding_segment_committed_ms: at ? at - time : null,
					holding_segment: holding ? { start_ms: holding.start_ms - time, end_ms: holding.end_ms - time, seq: holding.seq } : null,
					to_clip_first_segment_committed_ms: Number.isFinite(firstAt) ? firstAt - time : null,
					clip: clipSegments.length ? { start_ms: clipSegments[0].start_ms - time, end_ms: clipSegments.at(-1).end_ms - time, segments: clipSegments.length } : null,
				};
			});
			const latencies = perEvent.map((e) => e.to_holding_segment_committed_ms).filter((x) => x !== null);
			const stats = r.summary.channels["0"];
			events[label] = {
				median_ms: median(latencies),
				max_ms: latencies.length ? Math.max(...latencies) : null,
				clip_first_segment_median_ms: median(perEvent.map((e) => e.to_clip_first_segment_committed_ms).filter((x) => x !== null)),
				events: items.length, events_with_a_segment: latencies.length,
				plan: { mode: "event", preRollS: 2, postRollS: 4, segmentS },
				framesLost: stats.framesLost, segments: stats.segmentsStored, streams: stats.streams,
				per_event: perEvent,
			};
		}
		const clips = events.segment_2s;
		results.event_to_playable = {
			median_ms: clips.median_ms,
			median_ms_segment_1s: events.segment_1s.median_ms,
			...events,
			target: "median <= 2000 ms from the event's time to the commit of the segment holding it (plan segmentS 2, the default; segmentS 1 reported too)",
			meets: clips.events_with_a_segment > 0 && clips.events_with_a_segment === clips.events && clips.median_ms <= 2000,
			measure: `camera app --event-every ${eventEvery} for ${eventSeconds} s; event time from GET /v1/devices/{id}/events; commit = the cloud's ingest segmentEvents "segment" (after the object is stored and its row inserted)`,
		};
	}
	finally {
		proxy?.close();
		cloud.ctx.segmentEvents.off("segment", onSegment);
		await cloud.stop();
	}
	results.segment_request = await segmentRequest(root);
	results.meets = ["upload_cpu", "heap", "event_to_playable", "snapshot", "segment_request"].every((k) => results[k]?.meets === true);
	rmSync(dataDir, { recursive: true, force: true });
	return results;
}
