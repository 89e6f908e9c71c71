/*
 * ivxs benchmarks: `npm run -s bench` (= node scripts/build.mjs --quiet && node bench/run.mjs); one
 * or more sections only: `node bench/run.mjs xs_heap capture`.
 * Prints ONE JSON object on stdout (npm's own banner goes to stdout too: hence `-s`); progress
 * goes to stderr. Run from anywhere (it chdirs to the repo root). Every ratio is against a
 * baseline measured in the same run. Each figure carries "target" and a boolean "meets";
 * "all_meet" at the end ANDs them ("not_judged": sections with no target).
 *
 * This file only runs the sections in order and gathers their objects; each section's module
 * documents its figures and the exact commands behind them (shared helpers: bench/lib.mjs):
 *   ring           the GOP ring's cost per frame vs memcpy             bench/ring/run.mjs (bench/ring_bench.c)
 *   host_start     spawn to first output, from source and snapshot     bench/host-start/run.mjs
 *   idle_rss       resident memory of the idle host                    bench/idle-rss/run.mjs
 *   mux            muxing cost on XS, and the demo's shape             bench/mux/run.mjs (bench/xs/*.js)
 *   capture        capture thread CPU and pacing                       bench/capture/run.mjs (bench/capture_bench.c)
 *   xs_heap        XS heap on the 64- and 32-bit hosts                 bench/xs-heap/run.mjs
 *   p2p            live video over native/p2p, TCP, KCP and SRT on      bench/p2p/run.mjs
 *                  emulated links: decodable on time, latency, CPU
 *   p2p_sim        the same links in virtual time (deterministic)      bench/p2p/sim.mjs (bench/p2p/p2p-sim.c)
 *   p2p_product    the camera app with 1, 4, 32 `npm run view` viewers: bench/p2p-product/run.mjs
 *                  request → first frame (direct, TURN), memory and CPU per viewer, the worst
 *                  case with commands, glass-to-glass at 60 ms RTT, total memory on m32
 *   cloud_latency  capture to the frame on screen in the console       bench/cloud-latency/run.mjs
 *   cloud          cameras one cloud process ingests on one core       bench/cloud/ingest.mjs
 *   cloud_live     live viewers of one camera on one core              bench/cloud-live/run.mjs (viewers.mjs)
 *   cloud_multi    ingest with 1 and 2 instances behind HAProxy        bench/cloud-multi/run.mjs
 *   cs             cloud storage on the camera: upload CPU, XS heap,   bench/cs/run.mjs
 *                  event to playable, snapshot bytes
 *   capi           the C sample firmware (libivxs) vs the camera app    bench/capi/run.mjs
 *                  on the same clip: instructions per second of video
 *   board_cpu      the camera app's instructions per second of video    bench/board-cpu/run.mjs
 *                  on the 32-bit host (cloud storage, + 1 and 4 viewers,
 *                  + events and stills, + 4 WebRTC viewers beside 4 native
 *                  ones; both streams): XS, collector, crypto, our C
 *   board_memory   the camera app's XS memory, collections per second   bench/board-memory/run.mjs
 *                  and bytes allocated per frame on the 32-bit host (the same loads, real time)
 *   board_s3       the camera app on the ESP32-S3 in Espressif's emulator   bench/board-s3/run.mjs
 *                  (needs the board's tools): Xtensa instructions, XS heap, collections, C heap per load
 *                  (storage, + native and WebRTC viewers), boot to first segment, flash
 *   webrtc         the camera's side of a DTLS-SRTP handshake: instructions  bench/webrtc/run.mjs
 *                  and the send path per video frame (C RtpSender vs the JS path)
 *   webrtc_product aiortc viewers through WHEP: request → first frame,      bench/webrtc/product.mjs
 *                  XS + C memory per viewer at 1, 4, 32, 1,000 connect/disconnect cycles
 *   webrtc_browser the console's live view in Chromium across the NAT      bench/webrtc/browser.mjs
 *                  tests' topologies: click → first frame (LAN, srflx, TURN)
 *   ota            a release to 100 simulated devices: time to 95 %     bench/ota/run.mjs
 *                  confirmed, bytes on the wire and on disk per bundle
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { IVXS, OUT, log, root, round, sleep } from "./lib.mjs";
import { benchCapture } from "./capture/run.mjs";
import { benchCloud } from "./cloud/ingest.mjs";
import { benchCloudLatency } from "./cloud-latency/run.mjs";
import { benchCloudLive } from "./cloud-live/run.mjs";
import { benchCloudMulti } from "./cloud-multi/run.mjs";
import { benchCapi } from "./capi/run.mjs";
import { benchBoardCpu } from "./board-cpu/run.mjs";
import { benchBoardMemory } from "./board-memory/run.mjs";
import { benchBoardS3 } from "./board-s3/run.mjs";
import { benchWebrtc } from "./webrtc/run.mjs";
import { benchWebrtcProduct } from "./webrtc/product.mjs";
import { benchWebrtcBrowser } from "./webrtc/browser.mjs";
import { benchCs } from "./cs/run.mjs";
import { benchOta } from "./ota/run.mjs";
import { benchStart } from "./host-start/run.mjs";
import { benchRss } from "./idle-rss/run.mjs";
import { benchMuxAll } from "./mux/run.mjs";
import { benchP2p } from "./p2p/run.mjs";
import { benchP2pProduct } from "./p2p-product/run.mjs";
import { benchP2pSim } from "./p2p/sim.mjs";
import { benchRing } from "./ring/run.mjs";
import { benchXsHeap } from "./xs-heap/run.mjs";
import { helpIfAsked } from "../scripts/usage.mjs";

helpIfAsked(process.argv.slice(2), import.meta.url);

process.chdir(root);
const started = Date.now();

function failure(e) {
	const stderr = e && e.stderr ? String(e.stderr).trim().split("\n").slice(-5).join("\n") : undefined;
	return { error: String(e && e.message ? e.message.split("\n")[0] : e), ...(stderr ? { stderr } : {}), meets: false };
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
		["ring", () => benchRing()],
		["host_start", () => benchStart()],
		["idle_rss", () => benchRss()],
		["mux", () => benchMuxAll()],
		["capture", () => benchCapture()],
		["xs_heap", () => benchXsHeap()],
		["p2p", () => benchP2p({ log })],
		["p2p_sim", () => benchP2pSim({ log })],
		["p2p_product", () => benchP2pProduct({ root, log })],
		["cloud_latency", () => benchCloudLatency()],
		["cloud", () => benchCloud({ root, log })],
		["cloud_live", () => benchCloudLive({ log })],
		["cloud_multi", () => benchCloudMulti({ root, log })],
		["cs", () => benchCs({ root, log })],
		["capi", () => benchCapi({ root })],
		["board_cpu", () => benchBoardCpu({ root, log })],
		["board_memory", () => benchBoardMemory({ root, log })],
		["board_s3", () => benchBoardS3({ log })],
		["webrtc", () => benchWebrtc({ root })],
		["webrtc_product", () => benchWebrtcProduct({ root, log })],
		["webrtc_browser", () => benchWebrtcBrowser({ root, log })],
		["ota", () => benchOta({ log })],
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
	// and exit once it is written: the whole run (2026-11-27) stayed up idle after its JSON — a
	// section leaves a handle open (no child, no socket; which one is not yet known)
	process.stdout.write(JSON.stringify(result, null, 2) + "\n", () => process.exit());
}

main().catch((e) => { log(`fatal: ${e.stack ?? e}`); process.exitCode = 1; });
