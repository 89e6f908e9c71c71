import test from "ava";
import {
  audioFrames, concatBytes, expectedSample, ffmpegDecode, ffprobe, media, mux, parseMp4, videoFrames, writeTmp,
  cleanup,
} from "./_media.mjs";
import { initSegment } from "../../build/ts/modules/media/mp4-boxes.js";

test.after.always(cleanup);

const cases = [
  { name: "h264-aac", codec: "h264", file: "h264-main-640x480.h264", audio: true, codecs: "avc1.4d4016,mp4a.40.2", ff: "h264" },
  { name: "h265-aac", codec: "h265", file: "h265-main-640x480.h265", audio: true, codecs: "hvc1.1.6.L90.90,mp4a.40.2", ff: "hevc" },
  { name: "h264-only", codec: "h264", file: "h264-main-640x480.h264", audio: false, codecs: "avc1.4d4016", ff: "h264" },
  { name: "h265-only", codec: "h265", file: "h265-main-640x480.h265", audio: false, codecs: "hvc1.1.6.L90.90", ff: "hevc" },
  { name: "aac-only", audio: true, codecs: "mp4a.40.2" },
  { name: "h264-bframes", codec: "h264", file: "h264-bframes-320x240.h264", csv: "h264-bframes-320x240.ts.csv", audio: false, codecs: "avc1.4d400c", ff: "h264", w: 320, h: 240 },
];

for (const c of cases) {
  test(`fMP4 ${c.name}: mp4box sees the samples, codecs and timing of the input`, (t) => {
    const video = c.codec ? videoFrames(c.file, c.codec, 15, c.csv) : [];
    const audio = c.audio ? audioFrames() : [];
    const { chunks, infos } = mux(media.Fmp4Muxer, { video: c.codec, audio: c.audio }, video, audio);
    t.is(infos.filter((x) => x.info.type === "init").length, 1);
    t.is(infos[0].info.codecs, c.codecs);
    const bytes = concatBytes(chunks);
    const { info, samples } = parseMp4(bytes);
    t.true(info.isFragmented);
    const tracks = info.tracks;
    t.is(tracks.length, (c.codec ? 1 : 0) + (c.audio ? 1 : 0));
    if (c.codec) {
      const vt = tracks.find((x) => x.type === "video" || x.video);
      t.is(vt.codec, infos[0].info.codecs.split(",")[0]);
      t.is(vt.timescale, 90000);
      t.is(vt.track_width, c.w ?? 640);
      const vs = samples.get(vt.id);
      t.is(vs.length, video.length);
      let same = 0;
      for (let i = 0; i < vs.length; i++) {
        if (Buffer.compare(Buffer.from(vs[i].data), expectedSample(c.codec, video[i].au)) === 0) same++;
      }
      t.is(same, video.length, "sample bytes equal the input NAL units");
      t.is(vs.filter((s) => s.is_sync).length, video.filter((v) => media.analyzeAccessUnit(c.codec, v.au).key).length);
      const origin = video[0].dts;
      for (let i = 0; i < vs.length; i++) {
        t.is(vs[i].dts, Math.round((video[i].dts - origin) * 90));
        t.is(vs[i].cts, Math.round((video[i].pts - origin) * 90));
      }
      if (c.csv) t.true(vs.some((s) => s.cts !== s.dts), "B-frames have composition offsets");
    }
    if (c.audio) {
      const at = tracks.find((x) => x.codec.startsWith("mp4a"));
      t.is(at.timescale, 16000);
      const as = samples.get(at.id);
      t.is(as.length, audio.length);
      t.true(as.every((s, i) => Buffer.compare(Buffer.from(s.data), Buffer.from(media.parseAdtsFrame(audio[i].f).payload)) === 0));
      t.true(as.slice(0, -1).every((s) => s.duration === 1024));
    }
  });

  test(`fMP4 ${c.name}: ffprobe counts every frame and ffmpeg decodes without errors`, (t) => {
    const video = c.codec ? videoFrames(c.file, c.codec, 15, c.csv) : [];
    const audio = c.audio ? audioFrames() : [];
    const { chunks } = mux(media.Fmp4Muxer, { video: c.codec, audio: c.audio }, video, audio);
    const file = writeTmp(`${c.name}.mp4`, chunks);
    const streams = ffprobe(file);
    if (c.codec) {
      const v = streams.find((s) => s.codec_name === c.ff);
      t.truthy(v);
      t.is(v.nb_read_frames, video.length);
      t.is(v.width, c.w ?? 640);
      t.is(v.height, c.h ?? 480);
    }
    if (c.audio) {
      const a = streams.find((s) => s.codec_name === "aac");
      t.is(a.nb_read_frames, audio.length);
    }
    t.is(ffmpegDecode(file), "");
  });
}

test("fMP4 duration mode: fragments of ~500 ms, mp4box still sees every sample", (t) => {
  const video = videoFrames("h264-main-640x480.h264", "h264");
  const audio = audioFrames();
  const { chunks, infos } = mux(media.Fmp4Muxer, { video: "h264", audio: true, fragment: "duration", fragmentDurationMs: 500 }, video, audio);
  const frags = infos.filter((x) => x.info.type === "fragment");
  t.is(frags.length, 8);
  const { samples } = parseMp4(concatBytes(chunks));
  t.is(samples.get(1).length, video.length);
  t.is(samples.get(2).length, audio.length);
  t.is(ffmpegDecode(writeTmp("duration.mp4", chunks)), "");
});

test("initSegment: configurations equal where they lie share one init segment; each field it writes makes another", (t) => {
  const video = (decoderConfig, width = 640) => ({ codec: "h264", width, height: 480, decoderConfig: Uint8Array.from(decoderConfig) });
  const audio = (asc, sampleRate = 16000) => ({ objectType: 2, sampleRateIndex: 8, sampleRate, channels: 1, asc: Uint8Array.from(asc), codecString: "mp4a.40.2" });
  const first = initSegment(video([1, 100, 0, 31]), audio([0x14, 0x08]));
  // built anew by a track for the next segment: other objects, the same bytes
  t.is(initSegment(video([1, 100, 0, 31]), audio([0x14, 0x08])), first);
  for (const [what, other] of [
    ["a decoder configuration byte", initSegment(video([1, 100, 0, 32]), audio([0x14, 0x08]))],
    ["the width", initSegment(video([1, 100, 0, 31], 1280), audio([0x14, 0x08]))],
    ["the AudioSpecificConfig", initSegment(video([1, 100, 0, 31]), audio([0x14, 0x10]))],
    ["the sample rate", initSegment(video([1, 100, 0, 31]), audio([0x14, 0x08], 8000))],
    ["no audio track", initSegment(video([1, 100, 0, 31]), undefined)],
  ]) {
    t.not(other, first, what);
    t.false(Buffer.from(other).equals(Buffer.from(first)), what);
  }
  // a large record (an H.265 hvcC with long parameter sets) is cached too
  const large = new Array(700).fill(7);
  t.is(initSegment(video(large), undefined), initSegment(video(large), undefined));
});
