import test from "ava";
import {
  audioFrames, concatBytes, expectedSample, ffmpegDecode, ffprobe, media, mux, parseFlv, videoFrames, writeTmp,
  cleanup,
} from "./_media.mjs";

test.after.always(cleanup);

test("FLV H.264+AAC: ffprobe counts every frame and ffmpeg decodes without errors", (t) => {
  const video = videoFrames("h264-main-640x480.h264", "h264");
  const audio = audioFrames();
  const { chunks } = mux(media.FlvMuxer, { video: "h264", audio: true }, video, audio);
  const file = writeTmp("h264-aac.flv", chunks);
  const streams = ffprobe(file);
  const v = streams.find((s) => s.codec_name === "h264");
  t.is(v.nb_read_frames, video.length);
  t.is(v.width, 640);
  t.is(v.height, 480);
  t.is(streams.find((s) => s.codec_name === "aac").nb_read_frames, audio.length);
  t.is(ffmpegDecode(file), "");
});

test("FLV H.264 with B-frames: composition times survive ffmpeg decoding", (t) => {
  const video = videoFrames("h264-bframes-320x240.h264", "h264", 15, "h264-bframes-320x240.ts.csv");
  const { chunks } = mux(media.FlvMuxer, { video: "h264" }, video);
  const tags = parseFlv(concatBytes(chunks)).filter((x) => x.type === 9 && x.body[1] === 1);
  t.true(tags.some((x) => (x.body[2] << 16 | x.body[3] << 8 | x.body[4]) > 0));
  const file = writeTmp("bframes.flv", chunks);
  t.is(ffprobe(file)[0].nb_read_frames, video.length);
  t.is(ffmpegDecode(file), "");
});

test("FLV tags carry the input NAL units byte for byte", (t) => {
  const video = videoFrames("h264-main-640x480.h264", "h264");
  const { chunks } = mux(media.FlvMuxer, { video: "h264" }, video);
  const frames = parseFlv(concatBytes(chunks)).filter((x) => x.type === 9 && x.body[1] === 1);
  t.is(frames.length, video.length);
  t.true(frames.every((f, i) => Buffer.compare(Buffer.from(f.body.subarray(5)), expectedSample("h264", video[i].au)) === 0));
  t.true(frames.every((f, i) => f.ts === Math.round(video[i].dts)));
});

// ffmpeg/ffprobe 5.1 (Debian) predates enhanced-FLV support (FFmpeg 6.x): it reads the
// ExVideoTagHeader as a legacy header ("Truncating packet", filter errors; ffprobe -count_frames
// even crashed here). So H.265 FLV is checked with our own reader; interop needs an
// enhanced-RTMP-aware player (newer FFmpeg, mpegts.js).
test("FLV H.265 (enhanced FLV): tags, FourCC hvc1, sequence start and coded frames", (t) => {
  const video = videoFrames("h265-main-640x480.h265", "h265");
  const audio = audioFrames();
  const { chunks } = mux(media.FlvMuxer, { video: "h265", audio: true }, video, audio);
  writeTmp("h265-aac.flv", chunks);
  const tags = parseFlv(concatBytes(chunks));
  const v = tags.filter((x) => x.type === 9);
  const fourcc = (b) => String.fromCharCode(b[1], b[2], b[3], b[4]);
  t.true(v.every((x) => (x.body[0] & 0x80) !== 0 && fourcc(x.body) === "hvc1"));
  t.is(v[0].body[0] & 0x0f, 0); // SequenceStart
  t.is(v[v.length - 1].body[0] & 0x0f, 2); // SequenceEnd
  const coded = v.filter((x) => (x.body[0] & 0x0f) === 3 || (x.body[0] & 0x0f) === 1);
  t.is(coded.length, video.length);
  t.true(coded.every((f, i) => {
    const off = (f.body[0] & 0x0f) === 1 ? 8 : 5;
    return Buffer.compare(Buffer.from(f.body.subarray(off)), expectedSample("h265", video[i].au)) === 0;
  }));
  t.is(coded.filter((f) => ((f.body[0] >> 4) & 7) === 1).length, 4);
  const hvcc = v[0].body.subarray(5);
  t.is(hvcc[0], 1);
  t.is(hvcc[22], 3);
  t.is(tags.filter((x) => x.type === 8).length, audio.length + 1);
});
