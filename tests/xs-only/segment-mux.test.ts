// Cloud storage's segment muxer (modules/cs/segment-mux.ts, over native/fmp4 in C) against the
// media layer's fMP4 muxer in JS (modules/media: VideoTrack/AudioTrack → Fmp4Muxer, "parts") on
// the same ring frames: the fixture clips through the real capture (its AU info words), and the
// same frames pushed again with a jump in time, without audio, or with a malformed frame among
// them. Every init and fragment must be the same bytes, at the same start, with the same verdicts
// — frame by frame (`add`), and with the frames between key frames read in C (`pump`).
import test from "ava";
import { Codec, FrameType, Ring, RingReader } from "ring";
import type { Frame } from "ring";
import type { PumpCounts } from "fmp4";
import { Capture } from "capture";
import Timer from "timer";
import { SegmentMux, Took } from "../../modules/cs/segment-mux.js";
import { PART_TARGET_MS } from "../../modules/protocol/live.js";
import { AudioTrack, Fmp4Muxer, MediaError, VideoTrack, type VideoCodec, type VideoConfig } from "../../modules/media/index.js";

const files: Record<string, string> = { h264: "fixtures/media/h264-main-640x480.h264", h265: "fixtures/media/h265-main-640x480.h265", aud: "fixtures/media/h264-aud-10s-320x240.h264" };
const wait = (ms: number) => new Promise((resolve) => Timer.set(resolve, ms));

interface Clip { ring: Ring; frames: Frame[] }

async function captureFrames(codec: VideoCodec, file = files[codec]): Promise<Clip> {
	const ring = new Ring({ arenaBytes: 4 * 1024 * 1024, maxFrames: 1024 });
	const capture = new Capture({ ring, video: file, audio: "fixtures/media/aac-lc-16k-mono.aac", codec, fps: 15, pace: "fast", once: true, startTime: 1000 });
	const reader = new RingReader(ring, { at: "time", time: 0 });
	capture.start();
	const frames: Frame[] = [];
	for (let i = 0; i < 400 && capture.stats().running; i++) {
		for (let f = reader.read(); f; f = reader.read()) frames.push(f);
		await wait(5);
	}
	for (let f = reader.read(); f; f = reader.read()) frames.push(f);
	reader.close();
	return { ring, frames };
}

/** The frames pushed into a ring of their own as `change` makes them (undefined: left out). */
function again(frames: Frame[], change: (frame: Frame, i: number) => { timestamp: number; data: Uint8Array } | undefined): Clip {
	const ring = new Ring({ arenaBytes: 4 * 1024 * 1024, maxFrames: 1024 });
	const reader = new RingReader(ring, { at: "time", time: 0 });
	frames.forEach((f, i) => {
		const changed = change(f, i);
		if (changed) ring.push(f.type, f.codec, f.key, changed.timestamp, changed.data.slice(), f.info);
	});
	const out: Frame[] = [];
	for (let f = reader.read(); f; f = reader.read()) out.push(f);
	return { ring, frames: out };
}

interface Muxed { outputs: { init: boolean; bytes: number[]; startMs: number }[]; took: number[] }

const flat = (chunks: Uint8Array[]) => {
	const bytes: number[] = [];
	for (const c of chunks) for (let i = 0; i < c.length; i++) bytes.push(c[i]);
	return bytes;
};

const outputsOf = (mux: SegmentMux) => mux.outputs.map((o) => ({ init: o.init, bytes: flat(o.chunks), startMs: o.startMs }));

function viaC({ ring, frames }: Clip, codec: VideoCodec | undefined, audio: boolean, audioless = false): Muxed {
	const mux = new SegmentMux({ ring, video: codec, audio, originMs: frames[0].timestamp, firstSequence: 7 });
	const took = frames.map((f) => mux.add(f, audioless));
	mux.flush();
	return { took, outputs: outputsOf(mux) };
}

/** The same frames read again from the ring: the first and every frame pump() stops at given to
 * `add`, the others read and muxed in C; the verdicts as the recorder tallies them. */
function viaPump({ ring, frames }: Clip, codec: VideoCodec | undefined, audio: boolean, audioless = false): Muxed {
	const mux = new SegmentMux({ ring, video: codec, audio, originMs: frames[0].timestamp, firstSequence: 7 });
	const reader = new RingReader(ring, { at: "time", time: frames[0].timestamp });
	const counts: PumpCounts = { taken: 0, skipped: 0, ignored: 0, rejected: 0, read: 0, timestamp: 0, seq: 0 };
	const took: number[] = [];
	const tally = () => {
		for (let i = 0; i < counts.taken; i++) took.push(Took.Written);
		for (let i = 0; i < counts.skipped; i++) took.push(Took.Skipped);
		for (let i = 0; i < counts.ignored; i++) took.push(Took.Ignored);
		for (let i = 0; i < counts.rejected; i++) took.push(Took.Rejected);
		if (counts.read !== counts.taken + counts.skipped + counts.ignored + counts.rejected) throw new Error(`pump read ${counts.read} frames, tallied otherwise`);
	};
	let frame = reader.read();
	while (frame) {
		took.push(mux.add(frame, audioless));
		for (;;) {   // (pump stops at each fragment made)
			const made = mux.outputs.length;
			frame = mux.pump(reader, Infinity, Infinity, Infinity, audioless, counts);
			tally();
			if (frame || mux.outputs.length === made) break;
		}
		if (!frame) frame = reader.read();
	}
	reader.close();
	mux.flush();
	return { took, outputs: outputsOf(mux) };
}

/** The same in JS, as cloud storage muxed before native/fmp4. */
function viaJs({ frames }: Clip, codec: VideoCodec | undefined, audio: boolean, audioless = false): Muxed {
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

function same(t: any, c: Muxed, js: Muxed, inOrder = true): void {
	const sorted = (took: number[]) => took.slice().sort();
	t.deepEqual(inOrder ? c.took : sorted(c.took), inOrder ? js.took : sorted(js.took), "the frames' verdicts");
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
		const clip = await captureFrames(codec);
		const first = clip.frames.findIndex((f) => f.type === FrameType.video && f.key);
		const from = { ring: clip.ring, frames: clip.frames.slice(first) };
		const js = viaJs(from, codec, true);
		same(t, viaC(from, codec, true), js);
		same(t, viaPump(from, codec, true), js, false);
	});
}

test("h264 with an AUD before every picture (capture's info word: the slice after it): the same bytes", async (t) => {
	const clip = await captureFrames("h264", files.aud);
	const first = clip.frames.findIndex((f) => f.type === FrameType.video && f.key);
	const from = { ring: clip.ring, frames: clip.frames.slice(first) };
	t.true(from.frames.some((f) => f.type === FrameType.video && !f.key && ((f.info >> 8) & 0xff) === 2), "inter frames of an AUD and a slice");
	const js = viaJs(from, "h264", true);
	same(t, viaC(from, "h264", true), js);
	same(t, viaPump(from, "h264", true), js, false);
});

test("h264 without its audio track, and audioless: the same bytes", async (t) => {
	const clip = await captureFrames("h264");
	const first = clip.frames.findIndex((f) => f.type === FrameType.video && f.key);
	const from = { ring: clip.ring, frames: clip.frames.slice(first) };
	for (const [audio, audioless] of [[false, false], [true, true]]) {
		const js = viaJs(from, "h264", audio, audioless);
		same(t, viaC(from, "h264", audio, audioless), js);
		same(t, viaPump(from, "h264", audio, audioless), js, false);
	}
});

test("a jump of 15 s in the middle (a discontinuity), a repeated time and a malformed frame: the same bytes and verdicts", async (t) => {
	const { frames } = await captureFrames("h264");
	const first = frames.findIndex((f) => f.type === FrameType.video && f.key);
	const jumped = again(frames.slice(first), (f, i) => {
		if (i === 40 && f.type === FrameType.video) return { timestamp: f.timestamp, data: new Uint8Array([0, 0, 0, 1, 0x80, 1, 2]) };   // forbidden bit
		return { timestamp: f.timestamp + (i >= 50 ? 15000 : 0), data: f.data };
	});
	same(t, viaC(jumped, "h264", true), viaJs(jumped, "h264", true));
	same(t, viaPump(jumped, "h264", true), viaJs(jumped, "h264", true), false);
	// a frame whose time repeats the one before it (of its track): refused, nothing changed
	const repeated = again(frames.slice(first), (f, i) => ({ timestamp: i === 20 ? frames[first + 18].timestamp : f.timestamp, data: f.data }));
	const c = viaC(repeated, "h264", true), js = viaJs(repeated, "h264", true);
	t.true(c.took.includes(Took.Rejected));
	same(t, c, js);
	same(t, viaPump(repeated, "h264", true), js, false);
});

test("audio before the first video frame is left out; a stream of AAC alone cuts parts by time", async (t) => {
	const { ring, frames } = await captureFrames("h264");
	const audioOnly = { ring, frames: frames.filter((f) => f.type === FrameType.audio) };
	same(t, viaC(audioOnly, undefined, true), viaJs(audioOnly, undefined, true));
	const first = frames.findIndex((f) => f.type === FrameType.video && f.key);
	const audioFirst = [...frames.slice(first).filter((f) => f.type === FrameType.audio).slice(0, 3), ...frames.slice(first)];
	const reordered = again(audioFirst, (f, i) => ({ timestamp: i < 3 ? frames[first].timestamp + i : f.timestamp + 10, data: f.data }));
	same(t, viaC(reordered, "h264", true), viaJs(reordered, "h264", true));
});
