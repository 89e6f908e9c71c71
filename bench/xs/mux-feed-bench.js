// The demo's shape on XS (issue 6 §3), timed alone: the fixtures go through the real capture
// (C file source, access-unit and ADTS splitters: the info word is capture's) into a ring; the
// ring frames are read once, then fed `iterations` times through the app's MuxerFeed
// (modules/app/feed: one VideoTrack/AudioTrack, each unit to an fMP4 and an FLV muxer whose
// sinks count the bytes), with new tracks and muxers each time.
//   build/bin/ivxs -m bench/xs -m build/ts -m build/mods mux-feed-bench -- <codec> <iterations> [warmup]
// Prints one JSON line. `iterations` 0 does the set-up alone: the difference of two runs'
// instruction counts (valgrind --tool=callgrind) is the cost of the iterations.
import { argv, exit, nowMicroseconds } from "ivxs/host";
import { FrameType, Ring, RingReader } from "ring";
import { Capture } from "capture";
import Timer from "timer";
import * as annexb from "annexb";
import { useNativeAnnexB } from "modules/media/annexb";
import { Fmp4Muxer } from "modules/media/fmp4-muxer";
import { FlvMuxer } from "modules/media/flv-muxer";
import { MuxerFeed } from "modules/app/feed";

const files = { h264: "fixtures/media/h264-main-640x480.h264", h265: "fixtures/media/h265-main-640x480.h265" };
const wait = (ms) => new Promise((resolve) => Timer.set(resolve, ms));

/** The fixture clip (video + AAC) through the real capture: its ring, and every frame as a ring reader returns them. */
export async function captureFrames(codec) {
	const ring = new Ring({ arenaBytes: 4 * 1024 * 1024, maxFrames: 1024 });
	const capture = new Capture({ ring, video: files[codec], audio: "fixtures/media/aac-lc-16k-mono.aac", codec, fps: 15, pace: "fast", once: true, startTime: 1000 });
	const reader = new RingReader(ring, { at: "time", time: 0 });
	capture.start();
	const frames = [];
	for (let i = 0; i < 400 && capture.stats().running; i++) {
		for (let f = reader.read(); f; f = reader.read()) frames.push(f);
		await wait(5);
	}
	for (let f = reader.read(); f; f = reader.read()) frames.push(f);
	const stats = capture.stats();
	if (reader.lost !== 0 || stats.running || stats.error) throw new Error(`capture: lost ${reader.lost}, running ${stats.running}, ${stats.error ?? ""}`);
	reader.close();
	return { ring, frames };
}

/** Feeds `frames` `iterations` times; returns µs per video frame and the bytes per iteration. */
export function feedFrames(codec, frames, iterations) {
	let bytes = 0;
	const count = (chunks) => {
		for (let i = 0; i < chunks.length; i++) bytes += chunks[i].length;
	};
	let rejected = 0;
	const t0 = nowMicroseconds();
	for (let n = 0; n < iterations; n++) {
		const fmp4 = new Fmp4Muxer({ video: codec, audio: true, onJump: "discontinuity", sink: count });
		const flv = new FlvMuxer({ video: codec, audio: true, sink: count });
		const feeder = new MuxerFeed(codec, [fmp4, flv], () => { rejected++; });
		for (let i = 0; i < frames.length; i++) feeder.feed(frames[i]);
		fmp4.end();
		flv.end();
	}
	const us = nowMicroseconds() - t0;
	if (rejected) throw new Error(`${rejected} frames rejected`);
	let videoFrames = 0;
	for (const f of frames) if (f.type === FrameType.video) videoFrames++;
	return { videoFrames, audioFrames: frames.length - videoFrames, usPerVideoFrame: iterations ? us / (iterations * videoFrames) : 0, bytesPerIteration: iterations ? bytes / iterations : 0 };
}

export default async function main() {
	useNativeAnnexB(annexb);
	const args = argv();
	const codec = args[0] === "h265" ? "h265" : "h264";
	const iterations = Number(args[1] ?? 100);
	const warmup = Number(args[2] ?? 0);
	const { frames } = await captureFrames(codec);
	if (warmup > 0) feedFrames(codec, frames, warmup);
	trace(JSON.stringify({ engine: "xs", codec, iterations, ...feedFrames(codec, frames, iterations) }) + "\n");
	exit(0);
}
