// Muxing cost on XS: run by bench/run.mjs as
//   build/bin/ivxs -m bench/xs -m build/ts -m build/mods mux-bench -- <iterations> [warmup]
// Prints one JSON line: { h264: BenchResult, h265: BenchResult, h264VideoOnly, h265VideoOnly }.
// The A/V cases also carry `feed`: the demo's shape measured on ring frames (mux-feed-bench.js:
// the real capture's frames and info words, through the app's MuxerFeed into both muxers).
// Paths are relative to the cwd (the repo root).
import { readFile } from "ivxs/file";
import { argv } from "ivxs/host";
import { benchMux } from "modules/media/bench-mux";
import * as annexb from "annexb";
import { useNativeAnnexB } from "modules/media/annexb";
import { captureFrames, feedFrames } from "mux-feed-bench";

const dir = "fixtures/media/";
const load = (name) => new Uint8Array(readFile(dir + name));

export default async function main() {
	useNativeAnnexB(annexb);   // as the app does on XS: Annex-B rules in C
	const args = argv();
	const iterations = Number(args[0]) || 20;
	const warmup = args.length > 1 ? Number(args[1]) : 2;
	const h264 = load("h264-main-640x480.h264");
	const h265 = load("h265-main-640x480.h265");
	const aac = load("aac-lc-16k-mono.aac");
	const none = new Uint8Array(0);
	const cases = [
		["h264", h264, aac, "h264"],
		["h265", h265, aac, "h265"],
		["h264VideoOnly", h264, none, "h264"],
		["h265VideoOnly", h265, none, "h265"],
	];
	const result = { engine: "xs", iterations };
	for (const [name, video, audio, codec] of cases) {
		if (warmup > 0) benchMux(video, audio, warmup, codec, 15);
		result[name] = benchMux(video, audio, iterations, codec, 15);
		if (audio.length > 0) {
			const frames = await captureFrames(codec);
			if (warmup > 0) feedFrames(codec, frames, warmup);
			result[name].feed = feedFrames(codec, frames, iterations);
		}
	}
	trace(JSON.stringify(result) + "\n");
}
