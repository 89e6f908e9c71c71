import test from "ava";
import { Fmp4Muxer, type FragmentInfo } from "../../modules/media/fmp4-muxer.js";
import {
  BitstreamError, MediaError, MissingParameterSetError, MuxerStateError, NoKeyFrameError, TimestampError,
} from "../../modules/media/errors.js";
import {
  adts, annexB, capture, concat, findBox, h264Au, h264Slice, h265Au, H264_PPS_1080, H264_SPS_1080, parseBoxes,
} from "./_media-helpers.js";

function u32(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o);
}

test("video+audio: init segment then one fragment per GOP", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", audio: true, sink: cap.sink });
  for (let i = 0; i < 30; i++) {
    m.writeVideo(h264Au(i % 10 === 0, i), i * 40);
    if (i % 2 === 0) t.true(m.writeAudio(adts(20), i * 40));
  }
  m.end();
  t.deepEqual(cap.infos.map((x) => x.type), ["init", "fragment", "fragment", "fragment"]);
  t.is(cap.infos[0].codecs, "avc1.4d4016,mp4a.40.2");
  const init = concat(cap.chunks[0]);
  const boxes = parseBoxes(init);
  t.deepEqual(boxes.map((b) => b.type), ["ftyp", "moov"]);
  t.truthy(findBox(boxes, ["moov", "trak", "mdia", "minf", "stbl", "stsd"]));
  t.truthy(findBox(boxes, ["moov", "mvex", "trex"]));
  t.is(findBox(boxes, ["moov"])!.children!.filter((b) => b.type === "trak").length, 2);
  const frag = concat(cap.chunks[1]);
  const fb = parseBoxes(frag);
  t.deepEqual(fb.map((b) => b.type), ["moof", "mdat"]);
  t.is(findBox(fb, ["moof"])!.children!.filter((b) => b.type === "traf").length, 2);
  t.is(cap.infos[1].videoSamples, 10);
  t.is(cap.infos[1].durationMs, 400);
  t.true(cap.infos[1].key as boolean);
});

test("payloads are not copied: NAL and AAC chunks are subarrays of the inputs", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", audio: true, sink: cap.sink });
  const v0 = h264Au(true, 1);
  const v1 = h264Au(false, 2);
  const a0 = adts(30);
  m.writeVideo(v0, 0);
  m.writeAudio(a0, 0);
  m.writeVideo(v1, 40);
  m.end();
  const frag = cap.chunks[cap.chunks.length - 1];
  t.true(frag.some((c) => c.buffer === v0.buffer));
  t.true(frag.some((c) => c.buffer === v1.buffer));
  t.true(frag.some((c) => c.buffer === a0.buffer && c.byteOffset === 7 && c.length === 30));
  for (const c of frag) {
    if (c.buffer !== v0.buffer && c.buffer !== v1.buffer && c.buffer !== a0.buffer) t.true(c.length < 400);
  }
});

test("trun carries sizes, durations, sync flags and the data offset", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", sink: cap.sink });
  m.writeVideo(h264Au(true, 1), 0);
  m.writeVideo(h264Au(false, 2), 40);
  m.writeVideo(h264Au(false, 3), 80);
  m.flush();
  const frag = concat(cap.chunks[1]);
  const boxes = parseBoxes(frag);
  const trun = findBox(boxes, ["moof", "traf", "trun"])!;
  const p = trun.start + 8;
  t.is(u32(frag, p) & 0xffffff, 0x000701);
  t.is(u32(frag, p + 4), 3);
  const dataOffset = u32(frag, p + 8);
  t.is(dataOffset, findBox(boxes, ["moof"])!.size + 8);
  t.deepEqual([u32(frag, p + 12), u32(frag, p + 16), u32(frag, p + 20)], [3600, 44, 0x02000000]);
  t.deepEqual([u32(frag, p + 24), u32(frag, p + 28), u32(frag, p + 32)], [3600, 24, 0x01010000]);
  t.is(u32(frag, p + 36), 3600); // last sample: previous duration
  t.is(u32(frag, dataOffset), 40); // first NAL length prefix
  t.is(frag[dataOffset + 4], 0x65);
});

test("composition offsets are written for B-frames", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", sink: cap.sink });
  m.writeVideo(h264Au(true, 1), 40, 0);
  m.writeVideo(h264Au(false, 2), 120, 40);
  m.writeVideo(h264Au(false, 3), 80, 80);
  m.end();
  const frag = concat(cap.chunks[1]);
  const trun = findBox(parseBoxes(frag), ["moof", "traf", "trun"])!;
  const p = trun.start + 8;
  t.is(u32(frag, p) & 0x800, 0x800);
  t.deepEqual([u32(frag, p + 24), u32(frag, p + 40), u32(frag, p + 56)], [3600, 7200, 0]);
});

test("duration mode cuts fragments by time", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", sink: cap.sink, fragment: "duration", fragmentDurationMs: 200 });
  for (let i = 0; i < 20; i++) m.writeVideo(h264Au(i === 0, i), i * 40);
  m.end();
  const frags = cap.infos.filter((x) => x.type === "fragment");
  t.is(frags.length, 4);
  t.deepEqual(frags.map((f) => f.videoSamples), [5, 5, 5, 5]);
  t.false(frags[1].key as boolean);
});

test("parts mode keeps every fragment within the target and cuts before each key frame (LL-HLS parts)", (t) => {
  // Frame intervals: 40 ms (25 fps), 66.7 (15 fps), 83.3 (12 fps), 100 (10 fps): a 200-ms target.
  for (const [interval, frames] of [[40, 5], [1000 / 15, 3], [1000 / 12, 2], [100, 2]]) {
    const cap = capture();
    const m = new Fmp4Muxer({ video: "h264", sink: cap.sink, fragment: "parts", fragmentDurationMs: 200 });
    // A key frame every 1 s, as a camera's segment starts.
    const perSecond = Math.round(1000 / interval);
    for (let i = 0; i < 3 * perSecond; i++) m.writeVideo(h264Au(i % perSecond === 0, i), i * interval);
    m.end();
    const frags = cap.infos.filter((x) => x.type === "fragment") as unknown as FragmentInfo[];
    t.true(frags.every((f) => f.durationMs <= 200 + 1e-6), `${interval} ms: ${frags.map((f) => f.durationMs).join(" ")}`);
    t.is(frags[0].videoSamples, frames, `${interval} ms: frames in a fragment`);
    // Every key frame starts a fragment, and only the fragments it starts are marked key.
    t.deepEqual(frags.filter((f) => f.key).map((f) => f.startMs), [0, 1, 2].map((s) => Math.round(s * perSecond * interval)));
  }
});

test("parts mode on an audio-only stream: fragments within the target", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ audio: true, sink: cap.sink, fragment: "parts", fragmentDurationMs: 200 });
  for (let i = 0; i < 20; i++) t.true(m.writeAudio(adts(10 + i), i * 64));
  m.end();
  const frags = cap.infos.filter((x) => x.type === "fragment");
  t.deepEqual(frags.map((f) => f.audioSamples), [3, 3, 3, 3, 3, 3, 2]);
});

test("audio-only stream uses the sample rate as timescale", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ audio: true, sink: cap.sink, fragmentDurationMs: 640 });
  for (let i = 0; i < 25; i++) t.true(m.writeAudio(adts(10 + i), i * 64));
  m.end();
  t.is(cap.infos[0].codecs, "mp4a.40.2");
  t.is(cap.infos[0].sampleRate, 16000);
  const frags = cap.infos.filter((x) => x.type === "fragment");
  t.deepEqual(frags.map((f) => f.audioSamples), [10, 10, 5]);
  t.is(frags[1].startMs, 640);
});

test("H.265 video gets an hvc1 sample entry", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h265", sink: cap.sink });
  m.writeVideo(h265Au(true, 1), 0);
  m.writeVideo(h265Au(false, 2), 40);
  m.end();
  t.is(cap.infos[0].codecs, "hvc1.1.6.L90.90");
  const init = concat(cap.chunks[0]);
  const stsd = findBox(parseBoxes(init), ["moov", "trak", "mdia", "minf", "stbl", "stsd"])!;
  t.is(String.fromCharCode(...Array.from(init.subarray(stsd.start + 20, stsd.start + 24))), "hvc1");
});

test("stream must start with a key frame carrying parameter sets", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", audio: true, sink: cap.sink });
  t.false(m.writeAudio(adts(10), 0));
  t.throws(() => m.writeVideo(h264Au(false, 1), 0), { instanceOf: NoKeyFrameError });
  t.throws(() => m.writeVideo(annexB([h264Slice(true, 10, 1)]), 0), { instanceOf: MissingParameterSetError });
  m.writeVideo(h264Au(true, 2), 10);
  m.writeVideo(h264Au(false, 3), 50);
  m.end();
  t.is(cap.infos.length, 2);
});

test("bad frames are rejected and the stream continues", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", audio: true, sink: cap.sink });
  m.writeVideo(h264Au(true, 1), 0);
  t.throws(() => m.writeVideo(new Uint8Array(0), 40), { instanceOf: MediaError });
  t.throws(() => m.writeVideo(concat([new Uint8Array([1, 2]), h264Au(false, 1)]), 40), { instanceOf: BitstreamError });
  t.throws(() => m.writeVideo(h264Au(false, 2), 0), { instanceOf: TimestampError });
  t.throws(() => m.writeVideo(h264Au(false, 2), -5), { instanceOf: TimestampError });
  t.throws(() => m.writeVideo(h264Au(false, 2), 20000), { instanceOf: TimestampError });
  t.throws(() => m.writeVideo(h264Au(false, 2), NaN), { instanceOf: TimestampError });
  t.throws(() => m.writeVideo(h264Au(false, 2), 30, 40), { instanceOf: TimestampError });
  m.writeVideo(h264Au(false, 2), 40);
  m.writeAudio(adts(10), 5);
  t.throws(() => m.writeAudio(adts(10), 5), { instanceOf: TimestampError });
  t.throws(() => m.writeAudio(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 70), { instanceOf: MediaError });
  m.writeAudio(adts(10), 69);
  m.end();
  t.throws(() => m.writeVideo(h264Au(false, 3), 80), { instanceOf: MuxerStateError });
  const frag = cap.infos[1];
  t.is(frag.videoSamples, 2);
  t.is(frag.audioSamples, 2);
});

test("a timestamp jump can be treated as a discontinuity", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", sink: cap.sink, maxJumpMs: 1000, onJump: "discontinuity" });
  m.writeVideo(h264Au(true, 1), 0);
  m.writeVideo(h264Au(false, 2), 40);
  m.writeVideo(h264Au(false, 3), 5000);
  m.writeVideo(h264Au(false, 4), 5040);
  m.end();
  const frags = cap.infos.filter((x) => x.type === "fragment");
  t.is(frags.length, 2);
  t.is(frags[0].durationMs, 80);
  t.is(frags[1].startMs, 5000);
});

test("changed parameter sets start a new init segment", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", sink: cap.sink });
  m.writeVideo(h264Au(true, 1), 0);
  m.writeVideo(h264Au(false, 2), 40);
  m.writeVideo(h264Au(true, 3), 80);
  m.writeVideo(h264Au(true, 4, H264_SPS_1080, H264_PPS_1080), 120);
  m.writeVideo(h264Au(false, 5), 160);
  m.end();
  t.deepEqual(cap.infos.map((x) => x.type), ["init", "fragment", "fragment", "init", "fragment"]);
  t.is(cap.infos[3].height, 1080);
  t.is(cap.infos[3].codecs, "avc1.640028");
});

test("a stream muxed part by part (originMs, firstSequence) gives the fragments of one muxer", (t) => {
  // Cloud storage muxes each uploaded segment with a muxer of its own, so that a resend re-read
  // from the ring is the same bytes: the parts must equal what one muxer makes of the stream.
  const frames = Array.from({ length: 30 }, (_, i) => ({ au: h264Au(i % 10 === 0, i), ms: 1000 + i * 40 }));
  const whole = capture();
  const one = new Fmp4Muxer({ video: "h264", sink: whole.sink });
  for (const f of frames) one.writeVideo(f.au, f.ms);
  one.end();
  const parts: Uint8Array[] = [];
  for (let start = 0; start < 30; start += 10) {
    const cap = capture();
    const m = new Fmp4Muxer({ video: "h264", sink: cap.sink, originMs: 1000, firstSequence: start / 10 + 1 });
    for (const f of frames.slice(start, start + 10)) m.writeVideo(f.au, f.ms);
    m.end();
    t.deepEqual(cap.infos.map((x) => x.type), ["init", "fragment"]);
    parts.push(concat(cap.chunks[1]));
  }
  t.deepEqual(parts, whole.chunks.slice(1).map(concat));
  const early = new Fmp4Muxer({ video: "h264", sink: capture().sink, originMs: 1000 });
  t.throws(() => early.writeVideo(h264Au(true, 0), 999), { instanceOf: TimestampError });
  t.throws(() => new Fmp4Muxer({ video: "h264", sink: () => {}, originMs: Number.NaN }), { instanceOf: RangeError });
  t.throws(() => new Fmp4Muxer({ video: "h264", sink: () => {}, firstSequence: 0 }), { instanceOf: RangeError });
});
