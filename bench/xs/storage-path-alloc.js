// What cloud storage's per-frame path allocates on XS, the garbage its collector takes back (bench
// mux, `xs_storage_path_allocation`): the fixture clip (video + AAC) through the real capture into a
// ring, then (1) a ring read of every frame (RingReader.read: the frame and its view), (2) every
// frame read in JS and given to a segment's muxer (modules/cs/segment-mux `add`: native/fmp4's
// fragmenter cutting LL-HLS parts, and the views of its fragments), and (3) the recorder's path: the
// first frame and each key frame read in JS and added, the frames between read and muxed in C
// (`pump`); a new SegmentMux per pass as per segment.
//   build/bin/ivxs-m32 -m bench/xs -m build/ts -m build/mods storage-path-alloc -- <codec> [passes]
// Prints one JSON line: XS bytes allocated (memory().allocated) per frame read, and per video
// frame muxed (its audio frames' share included), each over `passes` passes after a first.
import { argv, exit, memory } from "ivxs/host";
import { FrameType, RingReader } from "ring";
import { captureFrames } from "mux-feed-bench";
import { SegmentMux } from "modules/cs/segment-mux";

export default function main() {
	const [codec = "h264", passes = "5"] = argv();
	run(codec, Number(passes)).then((result) => {
		trace(`${JSON.stringify(result)}\n`);
		exit(0);
	}, (error) => {
		trace(`storage-path-alloc: ${error?.message ?? error}\n`);
		exit(1);
	});
}

async function run(codec, passes) {
	const { ring } = await captureFrames(codec);
	const readAll = () => {
		const reader = new RingReader(ring, { at: "time", time: 0 });
		const frames = [];
		const before = memory().allocated;
		for (let f = reader.read(); f; f = reader.read()) frames.push(f);
		const allocated = memory().allocated - before;
		reader.close();
		if (reader.lost) throw new Error(`ring read: ${reader.lost} lost`);
		return { frames, allocated };
	};
	const { frames } = readAll();
	// The array that keeps the frames grows as it is filled: measured alone, taken out.
	const arrayBefore = memory().allocated;
	const kept = [];
	for (let i = 0; i < frames.length; i++) kept.push(frames[i]);
	const arrayBytes = memory().allocated - arrayBefore;
	let readBytes = 0;
	for (let p = 0; p < passes; p++) readBytes += readAll().allocated - arrayBytes;
	let video = 0;
	for (const f of frames) if (f.type === FrameType.video) video++;
	const mux = () => {
		const segment = new SegmentMux({ ring, video: codec, audio: true, originMs: 1000, firstSequence: 1 });
		for (let i = 0; i < frames.length; i++) {
			segment.add(frames[i], false);
			segment.outputs.length = 0;   // (sent: the uploader takes them)
		}
		segment.flush();
		return segment.outputs.length;
	};
	mux();
	const before = memory().allocated;
	for (let p = 0; p < passes; p++) mux();
	const muxBytes = memory().allocated - before;
	const counts = { taken: 0, skipped: 0, ignored: 0, rejected: 0, read: 0, timestamp: 0, seq: 0 };
	const pumped = () => {
		const segment = new SegmentMux({ ring, video: codec, audio: true, originMs: 1000, firstSequence: 1 });
		const reader = new RingReader(ring, { at: "time", time: 0 });
		let taken = 0;
		for (let frame = reader.read(); frame;) {
			segment.add(frame, false);
			taken++;
			for (;;) {
				frame = segment.pump(reader, Infinity, Infinity, Infinity, false, counts);
				taken += counts.taken;
				if (frame || !segment.outputs.length) break;
				segment.outputs.length = 0;   // (sent: the uploader takes them)
			}
			segment.outputs.length = 0;
		}
		reader.close();
		segment.flush();
		if (taken !== frames.length) throw new Error(`pump: ${taken} of ${frames.length} frames`);
	};
	pumped();
	const pumpBefore = memory().allocated;
	for (let p = 0; p < passes; p++) pumped();
	const pumpBytes = memory().allocated - pumpBefore;
	return {
		frames: frames.length, video_frames: video, passes,
		ring_read_bytes_per_frame: Math.round(readBytes / (passes * frames.length)),
		segment_mux_bytes_per_video_frame: Math.round(muxBytes / (passes * video)),
		storage_path_bytes_per_video_frame: Math.round(pumpBytes / (passes * video)),
	};
}
