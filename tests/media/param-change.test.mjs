import test from "ava";
import { concatBytes, ffmpegDecode, ffprobe, media, mux, parseFlv, parseMp4, videoFrames, writeTmp, cleanup } from "./_media.mjs";

test.after.always(cleanup);

function joined(codec, ext) {
  const a = videoFrames(`${codec}-main-640x480.${ext}`, codec);
  const b = videoFrames(`${codec}-main-320x240.${ext}`, codec);
  const off = a[a.length - 1].dts + 1000 / 15;
  return { a, b, all: [...a, ...b.map((f) => ({ au: f.au, pts: f.pts + off, dts: f.dts + off }))] };
}

for (const [codec, ext, ff] of [["h264", "h264", "h264"], ["h265", "h265", "hevc"]]) {
  test(`fMP4 ${codec}: a resolution change mid-stream emits a new init segment`, (t) => {
    const { a, b, all } = joined(codec, ext);
    const { infos } = mux(media.Fmp4Muxer, { video: codec }, all);
    const inits = infos.filter((x) => x.info.type === "init");
    t.is(inits.length, 2);
    t.deepEqual(inits.map((x) => [x.info.width, x.info.height]), [[640, 480], [320, 240]]);
    // Each init segment with the fragments after it is a playable file on its own.
    const groups = [];
    for (const x of infos) {
      if (x.info.type === "init") groups.push([]);
      groups[groups.length - 1].push(...x.chunks);
    }
    const counts = [a.length, b.length];
    groups.forEach((g, i) => {
      const { samples } = parseMp4(concatBytes(g));
      t.is(samples.get(1).length, counts[i]);
      const file = writeTmp(`change-${codec}-${i}.mp4`, g);
      const s = ffprobe(file)[0];
      t.is(s.codec_name, ff);
      t.is(s.nb_read_frames, counts[i]);
      t.is(s.width, i === 0 ? 640 : 320);
      t.is(ffmpegDecode(file), "");
    });
  });

  test(`FLV ${codec}: a resolution change mid-stream writes a new sequence header`, (t) => {
    const { all } = joined(codec, ext);
    const { chunks, infos } = mux(media.FlvMuxer, { video: codec }, all);
    t.is(infos.filter((x) => x.info.sequenceHeader).length, 2);
    const tags = parseFlv(concatBytes(chunks));
    const seq = codec === "h264"
      ? tags.filter((x) => x.type === 9 && x.body[1] === 0)
      : tags.filter((x) => x.type === 9 && (x.body[0] & 0x0f) === 0);
    t.is(seq.length, 2);
    if (codec === "h264") {
      const file = writeTmp("change-h264.flv", chunks);
      t.is(ffprobe(file)[0].nb_read_frames, all.length);
    }
  });
}
