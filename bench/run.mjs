/*
 * ivxs benchmarks: `npm run bench` (= node scripts/build.mjs --quiet && node bench/run.mjs); one or more
 * sections only: `node bench/run.mjs xs_heap capture`.
 * Prints ONE JSON object on stdout; progress goes to stderr. Run from anywhere (it chdirs to the
 * repo root). Every ratio is against a baseline measured in the same run. Each figure carries
 * "target" and a boolean "meets"; "all_meet" at the end ANDs them.
 *
 * Figures and the exact commands behind them:
 *
 * C benchmarks (bench/<module>_bench.c) are compiled with their module's C core as
 * native/modules.txt defines it (scripts/native-modules.mjs: the folder's .c files minus the
 * mod*.c binding, plus the cores of the modules it uses), e.g. for the ring:
 *      gcc -std=c11 -D_GNU_SOURCE -O2 -pthread -Inative/ring bench/ring_bench.c native/ring/ring.c \
 *          -o build/bench/ring_bench
 *
 * 1. ring — the GOP ring's cost per frame vs memcpy of the same bytes (bench/ring_bench.c;
 *    1 KiB and 64 KiB frames; best of 5 repetitions inside the program):
 *      build/bench/ring_bench            (3 times; per case the run with the median ratio)
 *    Loss-free ("phases", what the targets apply to): push ns and read + validate ns per frame
 *    (one reader, no frame lost: checked), ratio = memcpy_ns / (push_ns + read_validate_ns).
 *    Targets: ratio >= 0.5 (1 KiB), >= 0.85 (64 KiB). Also reported, never held against a
 *    target: "bounded" (writer + 3 concurrent readers, the harness holds the writer back so no
 *    frame is lost) and "lossy" (the writer never waits; readers that fall behind lose frames,
 *    which flatters the ratio: reported with its "lost" count).
 *
 * 2. host_start — time from spawn() to the first stdout chunk of the hello app
 *    (tests/host/apps/hello.js, first line "hello from ivxs"), 50 runs each (+3 warm-up), interleaved:
 *      source:   build/bin/ivxs -m tests/host/apps -m build/mods hello
 *      snapshot: build/bin/ivxs -m tests/host/apps -m build/mods -w build/bench/hello.xss -p timer hello
 *                (written once per run), then  build/bin/ivxs -s build/bench/hello.xss
 *      baseline: /bin/true, spawn() to exit.
 *    Median and p90 in ms, and median minus the baseline median (the Node spawn overhead).
 *    Target: snapshot median <= 10 ms (judged on the raw median, baseline NOT subtracted).
 *
 * 3. idle_rss — VmRSS / VmHWM from /proc/<pid>/status of the host running the idle app
 *    (tests/host/apps/idle.js: prints "ready", then idles), read ~300 ms after "ready", then killed:
 *      source:   build/bin/ivxs -m tests/host/apps -m build/mods idle
 *      snapshot: build/bin/ivxs -m tests/host/apps -m build/mods -w build/bench/idle.xss -p timer idle
 *                then  build/bin/ivxs -s build/bench/idle.xss
 *      baseline: sleep 5 (read ~300 ms after spawn).
 *    3 runs each, median. Target: VmRSS <= 8 MiB (8192 kB) from source and from snapshot.
 *
 * 4. mux — muxing cost on XS (bench/xs/mux-bench.js -> modules/media/bench-mux benchMux()) on
 *    fixtures/media/h264-main-640x480.h264 and h265-main-640x480.h265 (60 video frames each,
 *    15 fps) with aac-lc-16k-mono.aac (64 audio frames), and the same video with no audio:
 *      build/bin/ivxs -m bench/xs -m build/ts -m build/mods mux-bench -- <iterations> <warmup>
 *    Baseline: the same benchMux() in this Node process (build/ts/modules/media/bench-mux.js).
 *    Best of 3 (separate XS processes; 3 in-process Node repetitions). benchMux's *UsPerFrame
 *    divides by ALL frames (video + audio); the target is per VIDEO frame, so it is judged on the
 *    video-only runs (us per video frame, worst of fMP4/FLV and H.264/H.265). The A/V stream's
 *    cost per video frame (all its muxing time / 60) is reported too.
 *    The demo's shape (issue 6 §3): each frame through one VideoTrack/AudioTrack (track.ts), the
 *    unit fed to both muxers, with and without capture's AU info word; its A/V cost per video
 *    frame is judged too. On XS the judged figure ("with info") is measured on ring frames: the
 *    fixtures go through the real capture (C splitters, their info words) into a ring, and the
 *    frames read back are fed through the app's MuxerFeed (modules/app/feed.ts) into both muxers
 *    whose sinks count bytes (bench/xs/mux-feed-bench.js, called by mux-bench.js). Node has no
 *    ring: its "with info" figure is benchMux's loop with accessUnitInfo's words. The same XS shape is
 *    also reported in CPU time (xs_cpu_with_info: user + sys of
 *      build/bin/ivxs -m bench/xs -m build/ts -m build/mods mux-feed-bench -- <codec> 500
 *    minus the same with 0 iterations, from bash's `times`; best of 3), which a loaded machine
 *    disturbs far less than wall time. The target is judged on the wall-time figure.
 *    Targets: <= 50 us per video frame on XS (video-only, each muxer); <= 10 us per video frame
 *    on XS for A/V into both muxers through the track stage (with the info word);
 *    payloadBytesCopied == 0 (every case, both engines).
 *
 * 5. capture — capture thread CPU (bench/capture_bench.c, if present, with capture's core):
 *      build/bench/capture_bench [$IVXS_CAPTURE_BENCH_ARGS]   (cwd = repo root; env
 *          IVXS_FIXTURES=<repo>/fixtures/media)
 *    (3 s real-time paced H.264+AAC: thread CPU per media second; 20000 frames unpaced: CPU per
 *    frame; Annex-B splitter MB/s; run.mjs sets IVXS_BENCH_SECONDS=10.) Its JSON is included as
 *    is, plus "pacing": worst push lateness over the 10 s, target <= 5 ms. Thread CPU has no
 *    target (reported only).
 *    Missing source -> {"skipped": ...}.
 *
 * 6. xs_heap — XS heap figures on this 64-bit host and on the 32-bit one (build/bin/ivxs-m32,
 *    gcc -m32, built here if needed: hosts/linux/Makefile VARIANT=m32). A board's XS is 32-bit
 *    (slots half the size), so the m32 figures are the ones to compare with a device:
 *      demo:  build/bin/ivxs{,-m32} --memory-report modules/app/main -- --seconds 5 --out build/bench/demo-<bits>
 *             ("XS heap peak" = chunks peak + slots peak, as the demo prints it, and the
 *             --memory-report line at exit)
 *      hello: build/bin/ivxs{,-m32} --memory-report -m tests/host/apps -m build/mods hello
 *    Reported only (no target); m32_over_m64 = 32-bit figure / 64-bit figure.
 *
 * 7. p2p — live video over each transport of bench/p2p/transports.mjs (TCP and the native/p2p transport) across emulated
 *    links (tests/p2p: two network namespaces with TUN devices joined by the link emulator; needs
 *    root): the 15 fps fixture looped for 10 s per link, 60 ms RTT with 0/2/5 % random and 5 %
 *    bursty loss at 1.25x the stream, 0.8x, 5 % loss uncapped. Frame latency p50/p95/p99, on time
 *    (<= 400 ms), goodput: see bench/p2p/run.mjs. Judged only once a "udp" transport is listed.
 *    Not root (no namespaces) -> {"skipped": ...}.
 * 8. cloud_latency — live latency to Chromium: capture (the simulated camera's wall clock, carried
 *    as EXT-X-PROGRAM-DATE-TIME) to the frame on screen in the console's live view, median and p95
 *    over 20 s, against hls.js defaults playing the same playlist in the same page
 *    (bench/cloud-latency/run.mjs; also runnable alone). Target: median <= 2000 ms.
 * 9. cloud — cameras one cloud process ingests on one core (bench/cloud/ingest.mjs, its header).
 * 10. cs — cloud storage on the camera: the Linux camera app (modules/app/camera, modules/cs,
 *    modules/snapshot) on the XS host against a cloud started in this process, one fresh device per
 *    run with its plan PUT by the admin, ~2 min (bench/cs/run.mjs; its header has the details):
 *      /usr/bin/time -f '%U %S %M' -o build/bench/cs/<run>.time build/bin/ivxs modules/app/camera -- \
 *          --device build/bench/cs/<run>.json --seconds N --summary [--memory-probe 4] [--event-every 7.7]
 *    with video = build/bench/cs-1mbit-640x480-15fps.h264 (ffmpeg libx264 1 Mbit/s CBR, 640x480,
 *    15 fps, GOP 15, made once) + fixtures/media/aac-lc-16k-mono.aac + fixtures/media/stills.
 *    upload_cpu: the camera's CPU (utime + stime, /proc/<pid>/stat, steady state) uploading every
 *      frame (plan continuous, 2-s segments, 20 s) minus the same app with plan mode "none"
 *      (capture + ring + snapshots, nothing uploaded): ms of CPU per second of video and % of a
 *      core. Reported (no target); meets = framesLost 0 and ffprobe decodes exactly the frames
 *      uploaded from what the cloud stored.
 *    heap: cloud storage's XS heap = upload run − none run, live (after a forced GC: camera
 *      --memory-probe) and peak/in-use (SIGUSR1 reports, with garbage), on the 64-bit host and
 *      the 32-bit one (build/bin/ivxs-m32, 12-s runs side by side); native ring bytes reported.
 *      Target: live cost <= 32 KiB (judged on m32 when it builds).
 *    event_to_playable: plan event (preRollS 2, postRollS 4), events every 7.7 s for 29 s: from
 *      the event's time (GET /v1/devices/{id}/events) to the cloud's commit of the segment holding
 *      it (ingest segmentEvents), median; segmentS 2 (judged) and 1; also to the clip's first
 *      (pre-roll) segment. Target: median <= 2000 ms.
 *    snapshot: bytes the cloud stored / the JPEG's bytes, and the PUT body on the wire (counting
 *      TCP proxy) / the JPEG's bytes. Target: 1.0 (binary body, no base64).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildHost } from "../scripts/build.mjs";
import { nativeModules } from "../scripts/native-modules.mjs";
import { benchP2p } from "./p2p/run.mjs";
import { benchCloudLatency } from "./cloud-latency/run.mjs";
import { benchCloud } from "./cloud/ingest.mjs";
import { benchCs } from "./cs/run.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
const IVXS = "build/bin/ivxs";
const OUT = "build/bench";
const log = (message) => process.stderr.write(`[bench] ${message}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 3) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
	const s = sorted(xs);
	const n = s.length;
	return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const p90 = (xs) => { const s = sorted(xs); return s[Math.max(0, Math.ceil(0.9 * s.length) - 1)]; };
const started = Date.now();

function run(cmd, args, { timeout = 120000, env } = {}) {
	return execFileSync(cmd, args, { cwd: root, encoding: "utf8", timeout, env: env ?? process.env,
		stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 << 20 });
}

// The JSON object a program printed: all of stdout, or the last parseable {...} that runs to the
// end of stdout (one line or pretty-printed over many).
function lastJson(text) {
	const t = text.trim();
	try { return JSON.parse(t); } catch { /* look for a trailing object */ }
	for (let i = t.lastIndexOf("{"); i >= 0; i = i > 0 ? t.lastIndexOf("{", i - 1) : -1) {
		if (i > 0 && t[i - 1] !== "\n") continue;
		try { return JSON.parse(t.slice(i)); } catch { /* keep looking */ }
	}
	throw new Error(`no JSON object at the end of stdout: ${JSON.stringify(t.slice(-200))}`);
}

function failure(e) {
	const stderr = e && e.stderr ? String(e.stderr).trim().split("\n").slice(-5).join("\n") : undefined;
	return { error: String(e && e.message ? e.message.split("\n")[0] : e), ...(stderr ? { stderr } : {}), meets: false };
}

// Compiles bench/<module>_bench.c with the module's C core; returns the program's path.
function compileBench(specifier) {
	const m = nativeModules().find((x) => x.specifier === specifier);
	if (!m) throw new Error(`${specifier} is not in native/modules.txt`);
	const program = `${OUT}/${specifier}_bench`;
	log(`${specifier}: compiling bench/${specifier}_bench.c with ${m.core.join(" ")}`);
	run("gcc", ["-std=c11", "-D_GNU_SOURCE", "-O2", "-pthread", ...m.includes.map((i) => `-I${i}`),
		`bench/${specifier}_bench.c`, ...m.core, "-o", program]);
	return program;
}

// ---------------------------------------------------------------- 1. ring
function benchRing() {
	const program = compileBench("ring");
	const reps = 3;
	log(`ring: running ${reps} times (~2 s each)`);
	const t0 = Date.now();
	const runs = [];
	for (let i = 0; i < reps; i++) runs.push(lastJson(run(program, [], { timeout: 150000 })));
	const targets = { ring_1k: 0.5, ring_64k: 0.85 };
	const out = { runs: reps, pick: "per case, the run with the median loss-free ratio (each run is best of 5 inside ring_bench)" };
	let meets = true;
	for (const [name, min] of Object.entries(targets)) {
		const list = runs.map((d) => d[name]).filter(Boolean);
		if (list.length !== reps) { out[name] = { error: "missing in ring_bench output", meets: false }; meets = false; continue; }
		const r = [...list].sort((a, b) => a.phases.ratio - b.phases.ratio)[reps >> 1];
		// Loss-free means it: a lost or invalid frame makes the figure void.
		const lossFree = r.phases.lost === 0 && r.phases.invalid === 0 && r.phases.reads === r.frames
			&& r.bounded.lost === 0 && r.bounded.invalid === 0;
		const ok = lossFree && r.phases.ratio >= min;
		out[name] = { ...r, ratio: r.phases.ratio, ratios_all: list.map((x) => x.phases.ratio), loss_free: lossFree,
			lossy_lost_fraction: round(r.lossy.lost / (r.frames * r.lossy.readers), 4),
			target: `loss-free ratio >= ${min}`, meets: ok };
		meets &&= ok;
	}
	out.seconds = round((Date.now() - t0) / 1000, 2);
	out.meets = meets;
	return out;
}

// ---------------------------------------------------------------- 2. host start
// Resolves with ms from spawn() to the first stdout chunk (or to exit when untilExit).
function timeSpawn(cmd, args, { untilExit = false, expect } = {}) {
	return new Promise((resolvePromise, reject) => {
		const t0 = process.hrtime.bigint();
		const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
		let ms = null;
		let first = "";
		let stderr = "";
		child.stdout.on("data", (chunk) => {
			if (ms === null && !untilExit) {
				ms = Number(process.hrtime.bigint() - t0) / 1e6;
				first = chunk.toString();
			}
		});
		child.stderr.on("data", (chunk) => { stderr += chunk; });
		child.on("error", reject);
		child.on("exit", () => { if (untilExit) ms = Number(process.hrtime.bigint() - t0) / 1e6; });
		child.on("close", (code) => {
			if (code !== 0) return reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${stderr.trim()}`));
			if (ms === null) return reject(new Error(`${cmd} ${args.join(" ")}: no stdout`));
			if (expect && !first.startsWith(expect)) return reject(new Error(`first output ${JSON.stringify(first)}, expected ${JSON.stringify(expect)}`));
			resolvePromise(ms);
		});
	});
}

function stats(xs, base) {
	const m = median(xs);
	const o = { median_ms: round(m), p90_ms: round(p90(xs)), min_ms: round(Math.min(...xs)) };
	if (base !== undefined) o.median_minus_baseline_ms = round(m - base);
	return o;
}

async function benchStart(runs = 50, warmup = 3) {
	log("host_start: writing build/bench/hello.xss");
	run(IVXS, ["-m", "tests/host/apps", "-m", "build/mods", "-w", `${OUT}/hello.xss`, "-p", "timer", "hello"]);
	const variants = {
		baseline_true: () => timeSpawn("/bin/true", [], { untilExit: true }),
		source: () => timeSpawn(IVXS, ["-m", "tests/host/apps", "-m", "build/mods", "hello"], { expect: "hello from ivxs" }),
		snapshot: () => timeSpawn(IVXS, ["-s", `${OUT}/hello.xss`], { expect: "hello from ivxs" }),
	};
	const names = Object.keys(variants);
	const times = Object.fromEntries(names.map((n) => [n, []]));
	log(`host_start: ${runs} runs each, interleaved (+${warmup} warm-up)`);
	for (let i = 0; i < runs + warmup; i++) {
		for (let k = 0; k < names.length; k++) {
			const name = names[(i + k) % names.length];   // rotate the order every round
			const ms = await variants[name]();
			if (i >= warmup) times[name].push(ms);
		}
	}
	const base = median(times.baseline_true);
	const snapshot = stats(times.snapshot, base);
	const target = 10;
	return {
		runs,
		measure: "spawn() to first stdout chunk (\"hello from ivxs\"); baseline: spawn() of /bin/true to exit",
		baseline_true: stats(times.baseline_true),
		source: stats(times.source, base),
		snapshot,
		snapshot_vs_source_median: round(snapshot.median_ms / median(times.source)),
		target: `snapshot median <= ${target} ms (raw, baseline not subtracted)`,
		meets: snapshot.median_ms <= target,
	};
}

// ---------------------------------------------------------------- 3. idle RSS
function readStatus(pid) {
	const text = readFileSync(`/proc/${pid}/status`, "utf8");
	const kB = (key) => { const m = text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m")); return m ? Number(m[1]) : null; };
	return { VmRSS_kB: kB("VmRSS"), VmHWM_kB: kB("VmHWM"), RssAnon_kB: kB("RssAnon"), RssFile_kB: kB("RssFile") };
}

function measureRss(cmd, args, { ready, settleMs = 300, timeoutMs = 5000 } = {}) {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
		let done = false;
		let out = "";
		let stderr = "";
		let seen = false;
		const finish = (err, value) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			child.kill("SIGKILL");
			child.once("close", () => (err ? reject(err) : resolvePromise(value)));
		};
		const sample = async () => {
			await sleep(settleMs);
			try { finish(null, readStatus(child.pid)); } catch (e) { finish(e); }
		};
		const timer = setTimeout(() => finish(new Error(`${cmd}: no "${ready}" within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
		child.on("error", (e) => finish(e));
		child.stderr.on("data", (c) => { stderr += c; });
		child.stdout.on("data", (c) => {
			out += c;
			if (ready && !seen && out.includes(ready)) { seen = true; sample(); }
		});
		child.on("exit", (code) => { if (!done) finish(new Error(`${cmd} exited ${code} early: ${stderr.trim()}`)); });
		if (!ready) child.on("spawn", sample);
	});
}

async function benchRss(runs = 3) {
	log("idle_rss: writing build/bench/idle.xss");
	run(IVXS, ["-m", "tests/host/apps", "-m", "build/mods", "-w", `${OUT}/idle.xss`, "-p", "timer", "idle"]);
	const variants = {
		baseline_sleep: () => measureRss("sleep", ["5"]),
		source: () => measureRss(IVXS, ["-m", "tests/host/apps", "-m", "build/mods", "idle"], { ready: "ready" }),
		snapshot: () => measureRss(IVXS, ["-s", `${OUT}/idle.xss`], { ready: "ready" }),
	};
	const samples = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
	log(`idle_rss: ${runs} runs each`);
	for (let i = 0; i < runs; i++)
		for (const [name, fn] of Object.entries(variants)) samples[name].push(await fn());
	const summarize = (list) => {
		const o = {};
		for (const key of Object.keys(list[0])) {
			const vals = list.map((s) => s[key]).filter((v) => v !== null);
			o[key] = vals.length ? median(vals) : null;
		}
		o.VmRSS_MiB = round(o.VmRSS_kB / 1024, 2);
		o.VmHWM_MiB = round(o.VmHWM_kB / 1024, 2);
		return o;
	};
	const limit = 8192;
	const result = { runs, measure: "median of runs; /proc/<pid>/status ~300 ms after \"ready\" (baseline: ~300 ms after spawn)" };
	for (const name of Object.keys(variants)) result[name] = summarize(samples[name]);
	for (const name of ["source", "snapshot"]) {
		result[name].minus_baseline_VmRSS_kB = result[name].VmRSS_kB - result.baseline_sleep.VmRSS_kB;
		result[name].meets = result[name].VmRSS_kB <= limit;
	}
	result.target = `VmRSS <= 8 MiB (${limit} kB), from source and from snapshot`;
	result.meets = result.source.meets && result.snapshot.meets;
	return result;
}

// ---------------------------------------------------------------- 4. mux
const MUX_CASES = ["h264", "h265", "h264VideoOnly", "h265VideoOnly"];
const VIDEO_FRAMES_KEY = "videoFrames";

// Best (minimum) of each timing field over repetitions; other fields from the first, checked equal.
function bestOf(reps) {
	const out = {};
	for (const name of MUX_CASES) {
		const list = reps.map((r) => r[name]);
		const o = { ...list[0] };
		for (const key of ["fmp4UsPerFrame", "flvUsPerFrame", "bothUsPerFrame", "bothInfoUsPerFrame"]) o[key] = Math.min(...list.map((r) => r[key]));
		o.payloadBytesCopied = Math.max(...list.map((r) => Math.abs(r.payloadBytesCopied)));
		if (o.feed) o.feed = { ...o.feed, usPerVideoFrame: Math.min(...list.map((r) => r.feed.usPerVideoFrame)) };
		out[name] = o;
	}
	return out;
}

function perVideoFrame(cases) {
	// video frame count = frames of the video-only case of the same codec
	const out = {};
	for (const codec of ["h264", "h265"]) {
		const av = cases[codec];
		const vo = cases[`${codec}VideoOnly`];
		const n = vo.frames;
		out[codec] = {
			[VIDEO_FRAMES_KEY]: n,
			audioFrames: av.frames - n,
			videoOnly_fmp4_us_per_video_frame: round(vo.fmp4UsPerFrame, 2),
			videoOnly_flv_us_per_video_frame: round(vo.flvUsPerFrame, 2),
			av_fmp4_us_per_frame: round(av.fmp4UsPerFrame, 2),
			av_flv_us_per_frame: round(av.flvUsPerFrame, 2),
			av_fmp4_us_per_video_frame: round((av.fmp4UsPerFrame * av.frames) / n, 2),
			av_flv_us_per_video_frame: round((av.flvUsPerFrame * av.frames) / n, 2),
			// The demo's shape: one track stage per frame feeding both muxers (issue 6 §3).
			av_both_muxers_us_per_video_frame: round((av.bothUsPerFrame * av.frames) / n, 2),
			// XS: ring frames from the real capture (its info words) through the app's MuxerFeed;
			// Node (no ring): the same loop over split frames with accessUnitInfo's words.
			av_both_muxers_with_info_us_per_video_frame: round(av.feed ? av.feed.usPerVideoFrame : (av.bothInfoUsPerFrame * av.frames) / n, 2),
			av_both_muxers_with_info_source: av.feed ? "ring frames from capture through MuxerFeed (bench/xs/mux-feed-bench.js)" : "benchMux, accessUnitInfo",
			payloadBytesCopied: Math.max(av.payloadBytesCopied, vo.payloadBytesCopied),
			headerBytes_av: av.headerBytes,
		};
	}
	return out;
}

// CPU time (user + sys, s) of one XS process, from the shell's `times` (its children's line).
function xsCpuSeconds(args) {
	const text = run("bash", ["-c", '"$@" > /dev/null; times', "bash", IVXS, ...args], { timeout: 120000 });
	const m = text.trim().split("\n").pop().match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
	if (!m) throw new Error(`no times output: ${JSON.stringify(text)}`);
	return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

// The demo's shape in CPU time, which a loaded machine disturbs far less than wall time:
// mux-feed-bench with `iterations` minus the same with 0 (capture and start-up), per video frame.
function muxFeedCpu(codec, iterations, reps) {
	const args = ["-m", "bench/xs", "-m", "build/ts", "-m", "build/mods", "mux-feed-bench", "--", codec];
	const per = [];
	for (let i = 0; i < reps; i++) {
		const base = xsCpuSeconds([...args, "0"]);
		per.push(((xsCpuSeconds([...args, String(iterations)]) - base) * 1e6) / (iterations * 60));
	}
	return round(Math.min(...per), 2);
}

async function benchMuxAll({ xsIterations = 100, xsWarmup = 5, xsReps = 3, nodeIterations = 1000, nodeReps = 3 } = {}) {
	const xsReps_ = [];
	for (let i = 0; i < xsReps; i++) {
		log(`mux: XS repetition ${i + 1}/${xsReps} (${xsIterations} iterations per case)`);
		const text = run(IVXS, ["-m", "bench/xs", "-m", "build/ts", "-m", "build/mods", "mux-bench", "--",
			String(xsIterations), String(xsWarmup)], { timeout: 90000 });
		xsReps_.push(lastJson(text));
	}
	log(`mux: Node baseline (${nodeIterations} iterations per case, ${nodeReps} repetitions)`);
	const { benchMux } = await import(pathToFileURL(join(root, "build/ts/modules/media/bench-mux.js")).href);
	const load = (name) => new Uint8Array(readFileSync(join(root, "fixtures/media", name)));
	const h264 = load("h264-main-640x480.h264");
	const h265 = load("h265-main-640x480.h265");
	const aac = load("aac-lc-16k-mono.aac");
	const none = new Uint8Array(0);
	const inputs = { h264: [h264, aac, "h264"], h265: [h265, aac, "h265"], h264VideoOnly: [h264, none, "h264"], h265VideoOnly: [h265, none, "h265"] };
	const nodeReps_ = [];
	for (const [, [v, a, c]] of Object.entries(inputs)) benchMux(v, a, 50, c, 15);   // JIT warm-up
	for (let i = 0; i < nodeReps; i++) {
		const rep = {};
		for (const [name, [v, a, c]] of Object.entries(inputs)) rep[name] = benchMux(v, a, nodeIterations, c, 15);
		nodeReps_.push(rep);
	}
	const xs = perVideoFrame(bestOf(xsReps_));
	const node = perVideoFrame(bestOf(nodeReps_));
	const ratio = {};
	for (const codec of ["h264", "h265"]) {
		ratio[codec] = {};
		for (const key of ["videoOnly_fmp4_us_per_video_frame", "videoOnly_flv_us_per_video_frame", "av_fmp4_us_per_frame", "av_flv_us_per_frame"])
			ratio[codec][key.replace(/_us_per.*/, "")] = round(xs[codec][key] / node[codec][key], 1);
	}
	const limit = 50;
	const worst = Math.max(...["h264", "h265"].flatMap((c) => [xs[c].videoOnly_fmp4_us_per_video_frame, xs[c].videoOnly_flv_us_per_video_frame]));
	const worstAv = Math.max(...["h264", "h265"].flatMap((c) => [xs[c].av_fmp4_us_per_video_frame, xs[c].av_flv_us_per_video_frame]));
	const worstAvAny = Math.max(...["h264", "h265"].flatMap((c) => [xs[c].av_fmp4_us_per_frame, xs[c].av_flv_us_per_frame]));
	const bothLimit = 10;
	const worstBoth = Math.max(...["h264", "h265"].map((c) => xs[c].av_both_muxers_with_info_us_per_video_frame));
	const worstBothNoInfo = Math.max(...["h264", "h265"].map((c) => xs[c].av_both_muxers_us_per_video_frame));
	const copied = Math.max(...["h264", "h265"].flatMap((c) => [xs[c].payloadBytesCopied, node[c].payloadBytesCopied]));
	log("mux: XS CPU time of the demo's shape (mux-feed-bench, 500 iterations minus 0, best of 3)");
	const cpu = { h264: muxFeedCpu("h264", 500, 3), h265: muxFeedCpu("h265", 500, 3), how: "CPU (user+sys) of mux-feed-bench, 500 iterations minus 0, per video frame, best of 3" };
	return {
		fixtures: { h264: "h264-main-640x480.h264", h265: "h265-main-640x480.h265", audio: "aac-lc-16k-mono.aac", fps: 15 },
		iterations: { xs: xsIterations, xs_repetitions: xsReps, node: nodeIterations, node_repetitions: nodeReps, pick: "best (min) per figure" },
		xs,
		node,
		xs_over_node: ratio,
		us_per_video_frame: {
			xs_worst_video_only: round(worst, 2),
			xs_worst_av_per_video_frame: round(worstAv, 2),
			xs_worst_av_per_any_frame: round(worstAvAny, 2),   // benchMux's own *UsPerFrame (video + audio frames): NOT the judged figure
			target: `<= ${limit} us per video frame on XS (worst of fMP4/FLV x H.264/H.265, video-only runs)`,
			meets: worst <= limit,
		},
		av_both_muxers_us_per_video_frame: {
			xs_worst_with_info: round(worstBoth, 2),
			xs_cpu_with_info: cpu,
			xs_worst_without_info: round(worstBothNoInfo, 2),
			node_worst_with_info: round(Math.max(...["h264", "h265"].map((c) => node[c].av_both_muxers_with_info_us_per_video_frame)), 2),
			target: `<= ${bothLimit} us of XS time per video frame, audio + video through one track stage into fMP4 and FLV (issue 6 §3)`,
			meets: worstBoth <= bothLimit,
		},
		payload_bytes_copied: { max: copied, target: "0 (all cases, XS and Node)", meets: copied === 0 },
		meets: worst <= limit && copied === 0 && worstBoth <= bothLimit,
	};
}

// ---------------------------------------------------------------- 5. capture
function benchCapture() {
	const src = "bench/capture_bench.c";
	if (!existsSync(join(root, src))) return { skipped: `${src} missing` };
	const program = compileBench("capture");
	const args = (process.env.IVXS_CAPTURE_BENCH_ARGS ?? "").split(/\s+/).filter(Boolean);
	log(`capture: running ${program} ${args.join(" ")}`);
	// Real-time pacing over the 10 s the media issue asks for (the C test allows 1 % of frames
	// past 5 ms on a busy machine; this is the strict figure).
	const env = { IVXS_BENCH_SECONDS: "10", ...process.env, IVXS_FIXTURES: join(root, "fixtures/media") };
	const data = lastJson(run(program, args, { timeout: 90000, env }));
	const pacing = {
		seconds: data.realtime?.wall_s,
		max_late_us: data.realtime?.max_late_us,
		target: "max lateness <= 5000 us over 10 s of real-time pacing",
		meets: data.realtime?.max_late_us <= 5000,
	};
	// Thread CPU had no target: reported, not judged.
	return { ...data, pacing, cpu_target: "none set (reported only)", meets: pacing.meets };
}

// ---------------------------------------------------------------- 6. XS heap, 64 and 32 bits
// "ivxs memory (exit): xs chunks N (peak N), xs slots N (peak N), xs reserved N (peak N), <native> N (peak N)…"
function parseMemoryReport(stderr) {
	const line = stderr.split("\n").find((l) => l.startsWith("ivxs memory (exit):"));
	if (!line) throw new Error(`no --memory-report line in: ${JSON.stringify(stderr.slice(-300))}`);
	const out = {};
	for (const [, name, bytes, peak] of line.matchAll(/([\w ]+?) (\d+) \(peak (\d+)\)/g)) {
		const key = name.trim().replace(/^xs /, "xs_").replace(/\W/g, "_");
		out[key] = Number(bytes);
		out[`${key}_peak`] = Number(peak);
	}
	return out;
}

function xsHeap(binary, bits, seconds) {
	const demo = spawnSync(binary, ["--memory-report", "modules/app/main", "--", "--seconds", String(seconds),
		"--out", `${OUT}/demo-${bits}`], { cwd: root, encoding: "utf8", timeout: (seconds + 30) * 1000 });
	if (demo.status !== 0) throw new Error(`${binary} demo exited ${demo.status}: ${demo.stderr.trim().slice(-300)}`);
	const peak = demo.stdout.match(/XS heap peak (\d+) bytes/);
	if (!peak) throw new Error(`${binary} demo: no "XS heap peak" line`);
	const hello = spawnSync(binary, ["--memory-report", "-m", "tests/host/apps", "-m", "build/mods", "hello"],
		{ cwd: root, encoding: "utf8", timeout: 30000 });
	if (hello.status !== 0) throw new Error(`${binary} hello exited ${hello.status}: ${hello.stderr.trim()}`);
	return { binary, demo: { xs_heap_peak: Number(peak[1]), ...parseMemoryReport(demo.stderr) }, hello: parseMemoryReport(hello.stderr) };
}

function benchXsHeap(seconds = 5) {
	log("xs_heap: building the 32-bit host (make -C hosts/linux VARIANT=m32)");
	const t0 = Date.now();
	const host32 = relative(root, buildHost("m32", { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" }));
	const buildSeconds = round((Date.now() - t0) / 1000, 1);
	log(`xs_heap: the demo for ${seconds} s and the hello app, on 64 and 32 bits`);
	const m64 = xsHeap(IVXS, 64, seconds);
	const m32 = xsHeap(host32, 32, seconds);
	const ratio = (a, b) => Object.fromEntries(Object.entries(a).filter(([k]) => /^xs_/.test(k) && b[k] > 0).map(([k, v]) => [k, round(v / b[k])]));
	return {
		measure: `bytes; demo: ${seconds} s of modules/app/main (xs_heap_peak = chunks peak + slots peak, as the demo prints); hello: tests/host/apps/hello.js; both from --memory-report at exit`,
		m64, m32,
		m32_over_m64: { demo: ratio(m32.demo, m64.demo), hello: ratio(m32.hello, m64.hello) },
		m32_make_seconds: buildSeconds,
		target: "none (reported only): the 32-bit figures are what a board's XS needs",
	};
}

// Share of all CPUs idle over `ms` (from /proc/stat): other load on the machine skews every figure.
async function cpuIdlePercent(ms = 500) {
	const read = () => {
		const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
		return { idle: f[3] + (f[4] || 0), total: f.reduce((a, b) => a + b, 0) };
	};
	const a = read();
	await sleep(ms);
	const b = read();
	return round((100 * (b.idle - a.idle)) / Math.max(1, b.total - a.total), 1);
}

// ---------------------------------------------------------------- main
async function main() {
	mkdirSync(join(root, OUT), { recursive: true });
	if (!existsSync(join(root, IVXS))) throw new Error(`${IVXS} missing: run node scripts/build.mjs first`);
	const result = {
		meta: {
			date: new Date().toISOString(),
			node: process.version,
			cpus: os.cpus().length,
			cpu: os.cpus()[0]?.model,
			loadavg_at_start: os.loadavg().map((x) => round(x, 2)),
			cpu_idle_percent_before: await cpuIdlePercent(),
		},
	};
	if (result.meta.cpu_idle_percent_before < 90)
		log(`warning: the machine is only ${result.meta.cpu_idle_percent_before}% idle: figures will be noisy`);
	const sections = [
		["ring", benchRing],
		["host_start", () => benchStart()],
		["idle_rss", () => benchRss()],
		["mux", () => benchMuxAll()],
		["capture", benchCapture],
		["xs_heap", () => benchXsHeap()],
		["p2p", () => benchP2p({ log })],
		["cloud_latency", () => benchCloudLatency()],
		["cloud", () => benchCloud({ root, log })], // bench/cloud/ingest.mjs
		["cs", () => benchCs({ root, log })], // bench/cs/run.mjs
	];
	// `node bench/run.mjs xs_heap capture` runs only those sections.
	const only = process.argv.slice(2);
	for (const name of only) if (!sections.some(([n]) => n === name)) throw new Error(`no section "${name}" (${sections.map(([n]) => n).join(", ")})`);
	if (only.length) sections.splice(0, sections.length, ...sections.filter(([n]) => only.includes(n)));
	for (const [name, fn] of sections) {
		const t0 = Date.now();
		try { result[name] = await fn(); } catch (e) { log(`${name}: FAILED: ${e.message}`); result[name] = failure(e); }
		log(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	}
	const verdicts = Object.fromEntries(sections.map(([n]) => [n, result[n].meets ?? null]));
	result.meets = verdicts;
	result.all_meet = Object.values(verdicts).every((v) => v === true || v === null);
	result.not_judged = Object.entries(verdicts).filter(([, v]) => v === null).map(([n]) => n);
	result.meta.seconds = round((Date.now() - started) / 1000, 1);
	result.meta.loadavg_at_end = os.loadavg().map((x) => round(x, 2));
	process.stdout.write(JSON.stringify(result, null, 2) + "\n");
}

main().catch((e) => { log(`fatal: ${e.stack ?? e}`); process.exitCode = 1; });
