// Cloud storage's segment muxer (modules/cs/segment-mux.ts, over native/fmp4 in C) against the
// media layer's fMP4 muxer in JS (modules/media: VideoTrack/AudioTrack → Fmp4Muxer, "parts") on
// the same ring frames: the fixture clips through the real capture (its AU info words), and the
// same frames pushed again with a jump in time, without audio, or with a malformed frame among
// them. Every init and fragment must be the same bytes, at the same start, with the same verdicts.
import test from "ava";
import { Codec, FrameType, Ring, RingReader } from "ring";
import type { Frame } from "ring";
import { Capture } from "capture";
import Timer from "timer";
import { SegmentMux, Took } from "../../modules/cs/segment-mux.js";
import { PART_TARGET_MS } from "../../modules/protocol/live.js";
import { AudioTrack, Fmp4Muxer, MediaError, VideoTrack, type VideoCodec, type VideoConfig } from "../../modules/media/index.js";

const files = { h264: "fixtures/media/h264-main-640x480.h264", h265: "fixtures/media/h265-main-640x480.h265" };
const wait = (ms: number) => new Promise((resolve) => Timer.set(resolve, ms));

async function captureFrames(codec: VideoCodec): Promise<Frame[]> {
	const ring = new Ring({ arenaBytes: 4 * 1024 * 1024, maxFrames: 1024 });
	const capture = new Capture({ ring, video: files[codec], audio: "fixtures/media/aac-lc-16k-mono.aac", codec, fps: 15, pace: "fast", once: true, startTime: 1000 });
	const reader = new RingReader(ring, { at: "time", time: 0 });
	capture.start();
	const frames: Frame[] = [];
	for (let i = 0; i < 400 && capture.stats().running; i++) {
		for (let f = reader.read(); f; f = reader.read()) frames.push(f);
		await wait(5);
	}
	for (let f = reader.read(); f; f = reader.read()) frames.push(f);
	reader.close();
	return frames;
}

/** The frames pushed into a ring of their own as `change` makes them (undefined: left out). */
function again(frames: Frame[], change: (frame: Frame, i: number) => { timestamp: number; data: Uint8Array } | undefined): Frame[] {
	const ring = new Ring({ arenaBytes: 4 * 1024 * 1024, maxFrames: 1024 });
	const reader = new RingReader(ring, { at: "time", time: 0 });
	frames.forEach((f, i) => {
		const changed = change(f, i);
		if (changed) ring.push(f.type, f.codec, f.key, changed.timestamp, changed.data.slice(), f.info);
	});
	const out: Frame[] = [];
	for (let f = reader.read(); f; f = reader.read()) out.push(f);
	return out;
}

interface Muxed { outputs: { init: boolean; bytes: number[]; startMs: number }[]; took: number[] }

const flat = (chunks: Uint8Array[]) => {
	const bytes: number[] = [];
	for (const c of chunks) for (let i = 0; i < c.length; i++) bytes.push(c[i]);
	return bytes;
};

function viaC(codec: VideoCodec | undefined, audio: boolean, frames: Frame[], audioless = false): Muxed {
	const mux = new SegmentMux({ video: codec, audio, originMs: frames[0].timestamp, firstSequence: 7 });
	const took = frames.map((f) => mux.add(f, audioless));
	mux.flush();
	return { took, outputs: mux.outputs.map((o) => ({ init: o.init, bytes: flat(o.chunks), startMs: o.startMs })) };
}

/** The same in JS, as cloud storage muxed before native/fmp4. */
function viaJs(codec: VideoCodec | undefined, audio: boolean, frames: Frame[], audioless = false): Muxed {
	const outputs: Muxed["outputs"] = [];
	const muxer = new Fmp4Muxer({
		video: codec, audio, originMs: frames[0].timestamp, firstSequence: 7, fragment: "parts", fragmentDurationMs: PART_TARGET_MS,
		sink: (chunks, info) => { outputs.push({ init: info.type === "init", bytes: flat(chunks), startMs: info.type === "fragment" ? info.startMs : 0 }); },
	});
	const video = codec ? new VideoTrack({ codec, onJump: "discontinuity" }) : undefined;
	const track = audio ? new AudioTrack({ onJump: "discontinuity" }) : undefined;
	let config: VideoConfig | undefined;
	const took = frames.map((frame) => {
		try {
			if (frame.type === FrameType.video && video) {
				const unit = video.process(frame.data, frame.timestamp, frame.timestamp, frame.info);
				if (config && unit.key && unit.config !== config) return Took.NewConfig;
				config = unit.config;
				muxer.writeVideoUnit(unit);
				return Took.Written;
			}
			if (frame.type === FrameType.audio && track && frame.codec === Codec.aac) {
				if (audioless) return Took.Skipped;
				muxer.writeAudioUnit(track.process(frame.data, frame.timestamp));
				return Took.Written;
			}
			return Took.Ignored;
		}
		catch (error) {
			if (!(error instanceof MediaError)) throw error;
			return Took.Rejected;
		}
	});
	muxer.flush();
	return { took, outputs };
}

function same(t: any, c: Muxed, js: Muxed): void {
	t.deepEqual(c.took, js.took, "the frames' verdicts");
	t.is(c.outputs.length, js.outputs.length, "outputs");
	for (let i = 0; i < Math.min(c.outputs.length, js.outputs.length); i++) {
		const a = c.outputs[i], b = js.outputs[i];
		if (a.init !== b.init || a.startMs !== b.startMs || a.bytes.length !== b.bytes.length || a.bytes.some((x, k) => x !== b.bytes[k])) {
			t.fail(`output ${i} (${b.init ? "init" : `fragment at ${b.startMs} ms`}): ${a.bytes.length} bytes at ${a.startMs} ms, not ${b.bytes.length} at ${b.startMs}`);
			return;
		}
	}
	t.true(c.outputs.filter((o) => !o.init).length > 5, "fragments made");
}

for (const codec of ["h264", "h265"] as VideoCodec[]) {
	test(`${codec} + AAC from capture: the same bytes as the JS muxer`, async (t) => {
		const frames = await captureFrames(codec);
		const first = frames.findIndex((f) => f.type === FrameType.video && f.key);
		same(t, viaC(codec, true, frames.slice(first)), viaJs(codec, true, frames.slice(first)));
	});
}

test("h264 without its audio track, and audioless: the same bytes", async (t) => {
	const frames = await captureFrames("h264");
	const first = frames.findIndex((f) => f.type === FrameType.video && f.key);
	same(t, viaC("h264", false, frames.slice(first)), viaJs("h264", false, frames.slice(first)));
	same(t, viaC("h264", true, frames.slice(first), true), viaJs("h264", true, frames.slice(first), true));
});

test("a jump of 15 s in the middle (a discontinuity), a repeated time and a malformed frame: the same bytes and verdicts", async (t) => {
	const frames = await captureFrames("h264");
	const first = frames.findIndex((f) => f.type === FrameType.video && f.key);
	const jumped = again(frames.slice(first), (f, i) => {
		if (i === 40 && f.type === FrameType.video) return { timestamp: f.timestamp, data: new Uint8Array([0, 0, 0, 1, 0x80, 1, 2]) };   // forbidden bit
		return { timestamp: f.timestamp + (i >= 50 ? 15000 : 0), data: f.data };
	});
	same(t, viaC("h264", true, jumped), viaJs("h264", true, jumped));
	// a frame whose time repeats the one before it (of its track): refused, nothing changed
	const repeated = again(frames.slice(first), (f, i, ) => ({ timestamp: i === 20 ? frames[first + 18].timestamp : f.timestamp, data: f.data }));
	const c = viaC("h264", true, repeated), js = viaJs("h264", true, repeated);
	t.true(c.took.includes(Took.Rejected));
	same(t, c, js);
});

test("audio before the first video frame is left out; a stream of AAC alone cuts parts by time", async (t) => {
	const frames = await captureFrames("h264");
	const audioOnly = frames.filter((f) => f.type === FrameType.audio);
	same(t, viaC(undefined, true, audioOnly), viaJs(undefined, true, audioOnly));
	const first = frames.findIndex((f) => f.type === FrameType.video && f.key);
	const audioFirst = [...frames.slice(first).filter((f) => f.type === FrameType.audio).slice(0, 3), ...frames.slice(first)];
	const reordered = again(audioFirst, (f, i) => ({ timestamp: i < 3 ? frames[first].timestamp + i : f.timestamp + 10, data: f.data }));
	same(t, viaC("h264", true, reordered), viaJs("h264", true, reordered));
});
