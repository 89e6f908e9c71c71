import test from "ava";
import { accessUnitInfo, accessUnitSpansJs, AU_INFO, scanNalUnitsJs, useNativeAnnexB } from "../../modules/media/annexb.js";
import { BitstreamError, MuxerStateError, NoKeyFrameError, TimestampError, TruncatedError } from "../../modules/media/errors.js";
import { FlvMuxer } from "../../modules/media/flv-muxer.js";
import { Fmp4Muxer } from "../../modules/media/fmp4-muxer.js";
import { AudioTrack, VideoTrack } from "../../modules/media/track.js";
import { adts, annexB, capture, concat, h264Au, h264Slice, h265Au, h265Slice, hex, H264_AUD, H265_AUD } from "./_media-helpers.js";

interface Frame {
  video: boolean;
  data: Uint8Array;
  ms: number;
}

/** 3 GOPs of 10 video frames at 40 ms, and audio frames at 64 ms, in time order. */
function stream(codec: "h264" | "h265"): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0, a = 0; i < 30; i++) {
    frames.push({ video: true, data: codec === "h264" ? h264Au(i % 10 === 0, i) : h265Au(i % 10 === 0, i), ms: i * 40 });
    while (a * 64 < (i + 1) * 40) frames.push({ video: false, data: adts(12 + (a % 5), 8, 1, a), ms: a++ * 64 });
  }
  return frames;
}

function bytes(chunks: Uint8Array[][]): number[] {
  return Array.from(concat(chunks.flat()));
}

for (const codec of ["h264", "h265"] as const) {
  test(`${codec}: one track feeding both muxers writes what each muxer writes from raw frames`, (t) => {
    const frames = stream(codec);
    const raw = [capture(), capture()];
    const f0 = new Fmp4Muxer({ video: codec, audio: true, sink: raw[0].sink });
    const l0 = new FlvMuxer({ video: codec, audio: true, sink: raw[1].sink });
    const shared = [capture(), capture()];
    const f1 = new Fmp4Muxer({ video: codec, audio: true, sink: shared[0].sink });
    const l1 = new FlvMuxer({ video: codec, audio: true, sink: shared[1].sink });
    const vt = new VideoTrack({ codec });
    const at = new AudioTrack();
    for (const fr of frames) {
      if (fr.video) {
        f0.writeVideo(fr.data, fr.ms);
        l0.writeVideo(fr.data, fr.ms);
        const u = vt.process(fr.data, fr.ms);
        f1.writeVideoUnit(u);
        l1.writeVideoUnit(u);
      } else {
        t.is(f0.writeAudio(fr.data, fr.ms), l0.writeAudio(fr.data, fr.ms));
        const u = at.process(fr.data, fr.ms);
        f1.writeAudioUnit(u);
        l1.writeAudioUnit(u);
      }
    }
    for (const m of [f0, l0, f1, l1]) m.end();
    t.deepEqual(bytes(shared[0].chunks), bytes(raw[0].chunks));
    t.deepEqual(bytes(shared[1].chunks), bytes(raw[1].chunks));
    t.deepEqual(shared[0].infos, raw[0].infos);
  });

  test(`${codec}: with capture's AU info word the output is the same`, (t) => {
    const frames = stream(codec).filter((f) => f.video);
    const a = capture();
    const b = capture();
    const ma = new Fmp4Muxer({ video: codec, sink: a.sink });
    const mb = new Fmp4Muxer({ video: codec, sink: b.sink });
    for (const fr of frames) {
      ma.writeVideo(fr.data, fr.ms);
      mb.writeVideo(fr.data, fr.ms, fr.ms, accessUnitInfo(codec, fr.data));
    }
    ma.end();
    mb.end();
    t.deepEqual(bytes(b.chunks), bytes(a.chunks));
  });
}

test("the info word's fast path still refuses a damaged NAL header", (t) => {
  const vt = new VideoTrack({ codec: "h264" });
  vt.process(h264Au(true, 1), 0);
  const info = AU_INFO.VCL | (1 << AU_INFO.COUNT_SHIFT) | (1 << AU_INFO.VCL_TYPE_SHIFT);
  const forbidden = h264Slice(false, 20, 2);
  forbidden[0] |= 0x80;
  t.throws(() => vt.process(annexB([forbidden]), 40, 40, info), { instanceOf: BitstreamError });
  t.throws(() => vt.process(new Uint8Array([0, 0, 0, 1, 0x41]), 40, 40, info), { instanceOf: TruncatedError });
  // An info word of another codec, or one that does not describe a lone VCL NAL, means a scan.
  const two = annexB([H264_AUD, h264Slice(false, 20, 3)]);
  const u = vt.process(two, 40, 40, info | AU_INFO.H265);
  t.is(u.nals.length, 1);
  t.is(u.nals[0][0], 0x41);
});

test.serial("with the info word, an AUD and one VCL NAL are not scanned again, and a damaged AUD still is", (t) => {
  let scans = 0;
  useNativeAnnexB({
    scan: (data) => {
      scans++;
      return scanNalUnitsJs(data);
    },
    accessUnits: accessUnitSpansJs,
  });
  try {
    for (const codec of ["h264", "h265"] as const) {
      const vt = new VideoTrack({ codec });
      const key = codec === "h264" ? h264Au(true, 1) : h265Au(true, 1);
      vt.process(key, 0, 0, accessUnitInfo(codec, key));
      const slice = codec === "h264" ? h264Slice(false, 20, 2) : h265Slice(false, 20, 2);
      const inter = annexB([codec === "h264" ? H264_AUD : H265_AUD, slice]);
      const info = accessUnitInfo(codec, inter);
      t.is(info & AU_INFO.AUD, AU_INFO.AUD);
      scans = 0;
      const u = vt.process(inter, 40, 40, info);
      t.is(scans, 0, `${codec}: no scan`);
      t.deepEqual(Array.from(u.nals[0]), Array.from(slice));
      t.is(u.sampleSize, 4 + slice.length);
      // An AUD one byte short: the track scans and refuses it as without the info word.
      const short = annexB([codec === "h264" ? hex("09") : hex("4601"), slice]);
      t.throws(() => vt.process(short, 80, 80, info), { instanceOf: TruncatedError });
      t.is(scans, 1, `${codec}: a damaged AUD is scanned`);
    }
  } finally {
    useNativeAnnexB(undefined);
  }
});

test("with the info word, AUD variants give what the full analysis gives", (t) => {
  for (const codec of ["h264", "h265"] as const) {
    const aud = codec === "h264" ? H264_AUD : H265_AUD;
    const slice = codec === "h264" ? h264Slice(false, 20, 2) : h265Slice(false, 20, 2);
    const sc3 = hex("000001");
    const sc4 = hex("00000001");
    const variants = [
      concat([sc4, aud, sc3, slice]),
      concat([sc4, aud, sc4, slice]),
      concat([sc3, aud, hex("00"), sc4, slice]), // trailing zero after the AUD
      concat([sc4, aud.subarray(0, aud.length - 1), hex("00"), sc3, slice]), // AUD's last byte 0
      concat([sc4, aud, hex("0000"), sc4, slice]),
      concat([sc4, aud, hex("000002"), sc3, slice]), // no start code where expected
      concat([sc4, aud, sc3]), // nothing after the AUD
    ];
    for (const [i, au] of variants.entries()) {
      const key = codec === "h264" ? h264Au(true, 1) : h265Au(true, 1);
      const withInfo = new VideoTrack({ codec });
      const without = new VideoTrack({ codec });
      withInfo.process(key, 0, 0, accessUnitInfo(codec, key));
      without.process(key, 0);
      const info = AU_INFO.VCL | AU_INFO.AUD | (2 << AU_INFO.COUNT_SHIFT) | (codec === "h265" ? AU_INFO.H265 : 0);
      let expected: unknown;
      try {
        const u = without.process(au, 40);
        expected = { nals: u.nals.map((n) => Array.from(n)), size: u.sampleSize };
      } catch (e) {
        expected = (e as Error).constructor.name;
      }
      let actual: unknown;
      try {
        const u = withInfo.process(au, 40, 40, info);
        actual = { nals: u.nals.map((n) => Array.from(n)), size: u.sampleSize };
      } catch (e) {
        actual = (e as Error).constructor.name;
      }
      t.deepEqual(actual, expected, `${codec} variant ${i}`);
    }
  }
});

test("a refused frame leaves the track as it was", (t) => {
  const vt = new VideoTrack({ codec: "h264" });
  t.throws(() => vt.process(h264Au(false, 1), 0), { instanceOf: NoKeyFrameError });
  const k = vt.process(h264Au(true, 1), 0);
  t.throws(() => vt.process(h264Au(false, 2), 0), { instanceOf: TimestampError });
  t.throws(() => vt.process(annexB([H264_AUD]), 40), { instanceOf: BitstreamError });
  const u = vt.process(h264Au(false, 2), 40);
  t.is(u.config, k.config);
  t.false(u.key);
  const at = new AudioTrack();
  at.process(adts(10), 0);
  t.throws(() => at.process(adts(10), 0), { instanceOf: TimestampError });
  t.is(at.process(adts(10), 64).payload.length, 10);
});

test("an AudioTrack hands out one unit object, rewritten by each process (valid until the next)", (t) => {
  const at = new AudioTrack();
  const first = at.process(adts(10), 0);
  const config = first.config;
  t.is(first.payload.length, 10);
  const second = at.process(adts(12), 64);
  t.is(second, first);
  t.is(second.payload.length, 12);
  t.is(second.ptsMs, 64);
  t.is(second.config, config);
  // A refused frame changes nothing, the unit included.
  t.throws(() => at.process(adts(10), 64), { instanceOf: TimestampError });
  t.is(second.ptsMs, 64);
  t.is(second.payload.length, 12);
});

test("a muxer refuses a unit of another codec, and units after end()", (t) => {
  const u = new VideoTrack({ codec: "h265" }).process(h265Au(true, 1), 0);
  const m = new Fmp4Muxer({ video: "h264", sink: () => {} });
  t.throws(() => m.writeVideoUnit(u), { instanceOf: MuxerStateError });
  const l = new FlvMuxer({ video: "h265", sink: () => {} });
  l.writeVideoUnit(u);
  l.end();
  t.throws(() => l.writeVideoUnit(u), { instanceOf: MuxerStateError });
});

test.serial("each access unit is scanned once for any number of muxers, and not at all with an info word", (t) => {
  let scans = 0;
  useNativeAnnexB({
    scan: (data) => {
      scans++;
      return scanNalUnitsJs(data);
    },
    accessUnits: accessUnitSpansJs,
  });
  try {
    const frames = stream("h264").filter((f) => f.video);
    const vt = new VideoTrack({ codec: "h264" });
    const muxers = [new Fmp4Muxer({ video: "h264", sink: () => {} }), new FlvMuxer({ video: "h264", sink: () => {} }),
      new Fmp4Muxer({ video: "h264", sink: () => {}, fragment: "duration" })];
    for (const fr of frames) {
      const u = vt.process(fr.data, fr.ms);
      for (const m of muxers) m.writeVideoUnit(u);
    }
    t.is(scans, frames.length);
    // Capture's info word: inter frames of one slice (no AUD, no parameter sets) are not scanned
    // again; key frames with their parameter sets are.
    const aus: Uint8Array[] = [];
    for (let i = 0; i < 30; i++) aus.push(i % 10 === 0 ? h264Au(true, i) : annexB([h264Slice(false, 20, i)]));
    const infos = aus.map((au) => accessUnitInfo("h264", au));
    scans = 0;
    const vt2 = new VideoTrack({ codec: "h264" });
    aus.forEach((au, i) => {
      const u = vt2.process(au, 2000 + i * 40, 2000 + i * 40, infos[i]);
      for (const m of muxers) m.writeVideoUnit(u);
    });
    t.is(scans, 3);
  } finally {
    useNativeAnnexB(undefined);
  }
});
