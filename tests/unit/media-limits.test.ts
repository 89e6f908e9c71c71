import test from "ava";
import { Fmp4Muxer } from "../../modules/media/fmp4-muxer.js";
import { FlvMuxer } from "../../modules/media/flv-muxer.js";
import { MediaError, TimestampError, UnsupportedError } from "../../modules/media/errors.js";
import { MAX_DURATION_MS } from "../../modules/media/timeline.js";
import { AudioTrack, VideoTrack } from "../../modules/media/track.js";
import { configForKeyFrame } from "../../modules/media/video.js";
import {
  annexB, capture, concat, findBox, h264Pps, h264Au, h264Slice, h265Slice, H264_AUD, H264_PPS_640, H264_SPS_640, H265_PPS,
  H265_SPS_640, H265_VPS_640, parseBoxes, parseFlv,
} from "./_media-helpers.js";

function u32(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o);
}

/** A copy of `ps` grown to `size` bytes (non-zero filler: no start-code emulation, no trailing zero). */
function grown(ps: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size).fill(0x5a);
  out.set(ps);
  return out;
}

/** `count` distinct H.264 PPS (pic_parameter_set_id 0 .. count - 1). */
export function h264PpsList(count: number): Uint8Array[] {
  const list: Uint8Array[] = [];
  for (let i = 0; i < count; i++) list.push(h264Pps(i));
  return list;
}

const MUXERS = [
  ["fMP4", (sink: (c: Uint8Array[], i: any) => void) => new Fmp4Muxer({ video: "h264", sink })],
  ["FLV", (sink: (c: Uint8Array[], i: any) => void) => new FlvMuxer({ video: "h264", sink })],
] as const;

for (const [name, make] of MUXERS) {
  test(`${name}: parameter sets an avcC cannot hold are refused and change nothing`, (t) => {
    const cap = capture();
    const m = make(cap.sink);
    m.writeVideo(h264Au(true, 1), 0);
    const before = cap.chunks.length;
    // 32 distinct SPS (avcC: 5-bit count), an SPS of 64 KiB (16-bit length); 256 PPS (8-bit
    // count) below, without the muxer (an access unit of 258 NAL units is beyond the XS scanner
    // of this build; tests/media/limits.test.mjs feeds it to the muxers under Node).
    const spsList: Uint8Array[] = [];
    for (let i = 0; i < 32; i++) spsList.push(grown(H264_SPS_640, H264_SPS_640.length + 1 + i));
    const bad = [
      annexB([H264_AUD, ...spsList, H264_PPS_640, h264Slice(true, 40, 2)]),
      annexB([H264_AUD, grown(H264_SPS_640, 0x10000), H264_PPS_640, h264Slice(true, 40, 4)]),
    ];
    for (const au of bad) {
      const e = t.throws(() => m.writeVideo(au, 40), { instanceOf: UnsupportedError });
      t.regex(e!.message, /^avcC holds /);
    }
    t.is(cap.chunks.length, before, "nothing written for refused frames");
    // The limits themselves are accepted: 31 SPS, 255 PPS, a 65535-byte SPS.
    m.writeVideo(annexB([H264_AUD, ...spsList.slice(0, 31), H264_PPS_640, h264Slice(true, 40, 5)]), 40);
    m.writeVideo(annexB([H264_SPS_640, ...h264PpsList(254), h264Slice(true, 40, 6)]), 80);
    m.writeVideo(annexB([H264_AUD, grown(H264_SPS_640, 0xffff), H264_PPS_640, h264Slice(true, 40, 7)]), 120);
    m.writeVideo(h264Au(false, 8), 160);
    m.end();
    t.true(cap.chunks.length > before);
  });
}

test("avcC refuses more than 255 PPS", (t) => {
  const frame = { nals: [h264Slice(true, 40, 1)], sampleSize: 48, key: true, vps: [], sps: [H264_SPS_640], pps: h264PpsList(256) };
  const e = t.throws(() => configForKeyFrame("h264", frame, undefined), { instanceOf: UnsupportedError });
  t.regex(e!.message, /avcC holds at most 255 PPS, got 256/);
  frame.pps = h264PpsList(255);
  t.is(configForKeyFrame("h264", frame, undefined).pps.length, 255);
});

test("hvcC refuses a VPS/SPS/PPS longer than its 16-bit length field", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h265", sink: cap.sink });
  const irap = (sps: Uint8Array, seed: number) => annexB([H265_VPS_640, sps, H265_PPS, h265Slice(true, 40, seed)]);
  m.writeVideo(irap(H265_SPS_640, 1), 0);
  const e = t.throws(() => m.writeVideo(irap(grown(H265_SPS_640, 0x10000), 2), 40), { instanceOf: UnsupportedError });
  t.regex(e!.message, /hvcC holds SPS units of at most 65535 bytes/);
  m.writeVideo(irap(grown(H265_SPS_640, 0xffff), 3), 40);
  m.end();
  const inits = cap.infos.filter((x) => x.type === "init");
  t.is(inits.length, 2);
});

const BAD_DURATIONS: unknown[] = [NaN, Infinity, -1, 1e12, MAX_DURATION_MS + 1, "100"];

test("numeric options are range-checked with a RangeError naming the option", (t) => {
  const sink = () => {};
  for (const v of BAD_DURATIONS) {
    for (const make of [
      () => new Fmp4Muxer({ video: "h264", sink, maxJumpMs: v as number }),
      () => new FlvMuxer({ video: "h264", sink, maxJumpMs: v as number }),
      () => new VideoTrack({ codec: "h264", maxJumpMs: v as number }),
      () => new AudioTrack({ maxJumpMs: v as number }),
    ]) {
      const e = t.throws(make, { instanceOf: RangeError });
      t.regex(e!.message, /maxJumpMs/);
    }
    const e = t.throws(() => new Fmp4Muxer({ video: "h264", sink, fragmentDurationMs: v as number }), { instanceOf: RangeError });
    t.regex(e!.message, /fragmentDurationMs/);
  }
  t.throws(() => new Fmp4Muxer({ video: "h264", sink, fragmentDurationMs: 0 }), { instanceOf: RangeError });
  t.throws(() => new Fmp4Muxer({ video: "h264", sink, fragment: "gops" as "gop" }), { instanceOf: RangeError });
  t.throws(() => new Fmp4Muxer({ video: "h264", sink, onJump: "ignore" as "error" }), { instanceOf: RangeError });
  t.throws(() => new VideoTrack({ codec: "vp8" as "h264" }), { instanceOf: RangeError });
  // The largest values are accepted.
  new Fmp4Muxer({ video: "h264", sink, maxJumpMs: MAX_DURATION_MS, fragmentDurationMs: MAX_DURATION_MS });
  new FlvMuxer({ audio: true, sink, maxJumpMs: 0 });
  t.pass();
});

test("flush(1e12) is refused before anything changes: no wrapped 32-bit duration", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", sink: cap.sink });
  m.writeVideo(h264Au(true, 1), 0);
  for (const v of BAD_DURATIONS.concat([0])) t.throws(() => m.flush(v as number), { instanceOf: RangeError });
  t.throws(() => m.end(1e12), { instanceOf: RangeError });
  t.is(cap.chunks.length, 0);
  m.flush(MAX_DURATION_MS);
  const frag = concat(cap.chunks[1]);
  const trun = findBox(parseBoxes(frag), ["moof", "traf", "trun"])!;
  t.is(u32(frag, trun.start + 20), MAX_DURATION_MS * 90); // sample_duration, exact
});

test("large gaps keep exact 32-bit durations and 64-bit decode times", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", sink: cap.sink, maxJumpMs: MAX_DURATION_MS, onJump: "discontinuity" });
  const gap = 40_000_000; // ms: 3.6e9 ticks at 90 kHz, beyond 2^31 but within 2^32
  m.writeVideo(h264Au(true, 1), 0);
  m.writeVideo(h264Au(false, 2), gap);
  m.writeVideo(h264Au(true, 3), 2 ** 44); // a discontinuity far away: tfdt needs 64 bits
  m.writeVideo(h264Au(false, 4), 2 ** 44 + 40);
  m.end();
  const frags = cap.chunks.filter((_, i) => cap.infos[i].type === "fragment").map((c) => concat(c));
  const trun0 = findBox(parseBoxes(frags[0]), ["moof", "traf", "trun"])!;
  t.is(u32(frags[0], trun0.start + 20), gap * 90);
  const tfdt = findBox(parseBoxes(frags[1]), ["moof", "traf", "tfdt"])!;
  const hi = u32(frags[1], tfdt.start + 12);
  const lo = u32(frags[1], tfdt.start + 16);
  t.is(hi * 2 ** 32 + lo, 2 ** 44 * 90);
});

test("timestamps beyond what the boxes hold are refused", (t) => {
  const cap = capture();
  const m = new Fmp4Muxer({ video: "h264", sink: cap.sink, onJump: "discontinuity" });
  m.writeVideo(h264Au(true, 1), 0);
  for (const ts of [1e17, -1e17, 2 ** 45 + 1]) t.throws(() => m.writeVideo(h264Au(false, 2), ts), { instanceOf: TimestampError });
  m.writeVideo(h264Au(false, 2), 2 ** 45);
  t.pass();
});

test("FLV refuses a composition time beyond its 24-bit field", (t) => {
  const cap = capture();
  const m = new FlvMuxer({ video: "h264", sink: cap.sink, maxJumpMs: 2e7 });
  const e = t.throws(() => m.writeVideo(h264Au(true, 1), 0x800000, 0), { instanceOf: TimestampError });
  t.regex(e!.message, /CompositionTime/);
  t.is(cap.chunks.length, 0);
  m.writeVideo(h264Au(true, 1), 0x7fffff, 0);
  const tags = parseFlv(concat(cap.chunks.flat()));
  t.deepEqual(Array.from(tags[1].body.subarray(2, 5)), [0x7f, 0xff, 0xff]);
});

test("every refusal is a MediaError or a RangeError, never a corrupt box", (t) => {
  // An audio track shares the same timestamp limits.
  const a = new AudioTrack();
  t.throws(() => a.process(new Uint8Array(0), 0), { instanceOf: MediaError });
  t.pass();
});
