// Muxing cost on XS: run by bench/run.mjs as
//   build/bin/ivxs -m bench/xs -m build/ts -m build/mods mux-bench -- <iterations> [warmup]
// Prints one JSON line: { h264: BenchResult, h265: BenchResult, h264VideoOnly, h265VideoOnly }.
// The A/V cases also carry `feed`: the demo's shape measured on ring frames (mux-feed-bench.js:
// the real capture's frames and info words, through the app's MuxerFeed into both muxers).
// Paths are relative to the cwd (the repo root).
import { readFile } from "ivxs/file";
import { argv } from "ivxs/host";
import { BENCH_MUX_CASES, benchMux } from "modules/media/bench-mux";
import * as annexb from "annexb";
import { useNativeAnnexB } from "modules/media/annexb";
import { captureFrames, feedFrames } from "mux-feed-bench";

const dir = "fixtures/media/";
const loaded = new Map();
const load = (name) => {
	if (!name) return new Uint8Array(0);
	if (!loaded.has(name)) loaded.set(name, new Uint8Array(readFile(dir + name)));
	return loaded.get(name);
};

export default async function main() {
	useNativeAnnexB(annexb);   // as the app does on XS: Annex-B rules in C
	const args = argv();
	const iterations = Number(args[0]) || 20;
	const warmup = args.length > 1 ? Number(args[1]) : 2;
	const result = { engine: "xs", iterations };
	for (const [name, videoFile, audioFile, codec] of BENCH_MUX_CASES) {
		const video = load(videoFile), audio = load(audioFile);
		if (warmup > 0) benchMux(video, audio, warmup, codec, 15);
		result[name] = benchMux(video, audio, iterations, codec, 15);
		if (audio.length > 0) {
			const { frames } = await captureFrames(codec);
			if (warmup > 0) feedFrames(codec, frames, warmup);
			result[name].feed = feedFrames(codec, frames, iterations);
		}
	}
	trace(JSON.stringify(result) + "\n");
}
