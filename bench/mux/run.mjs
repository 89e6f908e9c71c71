/*
 * `node bench/run.mjs mux` (a section of bench/run.mjs):
 * mux — muxing cost on XS (bench/xs/mux-bench.js -> modules/media/bench-mux benchMux()) on
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
 *    Reported beside them: what cloud storage's per-frame path allocates on the 32-bit host
 *    (xs_storage_path_allocation: a ring read per frame, a segment's SegmentMux per video frame fed
 *    by `add`, and the recorder's path per video frame — key frames read in JS, the rest read and
 *    muxed in C by `pump`, ring reads included;
 *      build/bin/ivxs-m32 -m bench/xs -m build/ts -m build/mods storage-path-alloc -- <codec> 5).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { IVXS, lastJson, log, root, round, run } from "../lib.mjs";

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

export async function benchMuxAll({ xsIterations = 100, xsWarmup = 5, xsReps = 3, nodeIterations = 1000, nodeReps = 3 } = {}) {
	const xsReps_ = [];
	for (let i = 0; i < xsReps; i++) {
		log(`mux: XS repetition ${i + 1}/${xsReps} (${xsIterations} iterations per case)`);
		const text = run(IVXS, ["-m", "bench/xs", "-m", "build/ts", "-m", "build/mods", "mux-bench", "--",
			String(xsIterations), String(xsWarmup)], { timeout: 90000 });
		xsReps_.push(lastJson(text));
	}
	log(`mux: Node baseline (${nodeIterations} iterations per case, ${nodeReps} repetitions)`);
	const { BENCH_MUX_CASES, benchMux } = await import(pathToFileURL(join(root, "build/ts/modules/media/bench-mux.js")).href);
	const load = (name) => (name ? new Uint8Array(readFileSync(join(root, "fixtures/media", name))) : new Uint8Array(0));
	// The XS run's cases (bench-mux.ts), so the ratios compare like with like.
	const inputs = Object.fromEntries(BENCH_MUX_CASES.map(([name, video, audio, codec]) => [name, [load(video), load(audio), codec]]));
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
	log("mux: what cloud storage's per-frame path allocates on the 32-bit host (storage-path-alloc)");
	const allocation = Object.fromEntries(["h264", "h265"].map((codec) =>
		[codec, lastJson(run("build/bin/ivxs-m32", ["-m", "bench/xs", "-m", "build/ts", "-m", "build/mods", "storage-path-alloc", "--", codec, "5"], { timeout: 120000 }))]));
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
		// Reported, not judged: the collector's share of issue 54's budget (bench board_memory has the whole app's).
		xs_storage_path_allocation: { ...allocation, how: "XS bytes allocated (memory().allocated) on build/bin/ivxs-m32 by a ring read per frame, per video frame by a segment's SegmentMux fed frame by frame (add: native/fmp4's parts and their views), and per video frame on the recorder's path (storage_path: key frames read and added in JS, the frames between read and muxed in C by pump, ring reads included), 5 passes after a first (bench/xs/storage-path-alloc.js)" },
		meets: worst <= limit && copied === 0 && worstBoth <= bothLimit,
	};
}
