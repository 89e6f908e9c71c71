import test from "ava";
import { FlvMuxer } from "../../modules/media/flv-muxer.js";
import { MediaError, NoKeyFrameError, TimestampError } from "../../modules/media/errors.js";
import { adts, capture, concat, h264Au, h265Au, H264_PPS_1080, H264_SPS_1080, parseFlv } from "./_media-helpers.js";

test("H.264 + AAC: header, sequence headers, tags with timestamps", (t) => {
  const cap = capture();
  const m = new FlvMuxer({ video: "h264", audio: true, sink: cap.sink });
  m.writeVideo(h264Au(true, 1), 1000);
  m.writeAudio(adts(10), 1010);
  m.writeVideo(h264Au(false, 2), 1040);
  m.end();
  const tags = parseFlv(concat(cap.chunks.flat()));
  t.deepEqual(tags.map((x) => x.type), [9, 9, 8, 8, 9, 9]);
  t.deepEqual(Array.from(tags[0].body.subarray(0, 6)), [0x17, 0, 0, 0, 0, 1]);
  t.deepEqual(Array.from(tags[1].body.subarray(0, 5)), [0x17, 1, 0, 0, 0]);
  t.is(tags[1].size, 5 + 4 + 40);
  t.deepEqual(Array.from(tags[2].body), [0xaf, 0, 0x14, 0x08]);
  t.is(tags[3].ts, 10);
  t.is(tags[3].size, 12);
  t.is(tags[4].ts, 40);
  t.is(tags[4].body[0], 0x27);
  t.deepEqual(Array.from(tags[5].body), [0x17, 2, 0, 0, 0]);
});

test("composition time and extended timestamps", (t) => {
  const cap = capture();
  const m = new FlvMuxer({ video: "h264", sink: cap.sink, maxJumpMs: 2e7 });
  m.writeVideo(h264Au(true, 1), 80, 0);
  m.writeVideo(h264Au(false, 2), 0x1000000 + 5, 0x1000000);
  const tags = parseFlv(concat(cap.chunks.flat()));
  t.deepEqual(Array.from(tags[1].body.subarray(2, 5)), [0, 0, 80]);
  t.is(tags[2].ts, 0x1000000);
  t.deepEqual(Array.from(tags[2].body.subarray(2, 5)), [0, 0, 5]);
});

test("H.265 uses the enhanced FLV ExVideoTagHeader with FourCC hvc1", (t) => {
  const cap = capture();
  const m = new FlvMuxer({ video: "h265", sink: cap.sink, maxJumpMs: 2e7 });
  m.writeVideo(h265Au(true, 1), 0);
  m.writeVideo(h265Au(false, 2), 80, 40);
  m.end();
  const tags = parseFlv(concat(cap.chunks.flat()));
  const fourcc = (b: Uint8Array) => String.fromCharCode(b[1], b[2], b[3], b[4]);
  t.is(tags[0].body[0], 0x90); // ExHeader | key | SequenceStart
  t.is(fourcc(tags[0].body), "hvc1");
  t.is(tags[0].body[5], 1); // configurationVersion
  t.is(tags[1].body[0], 0x93); // key | CodedFramesX
  t.is(tags[2].body[0], 0xa1); // inter | CodedFrames
  t.deepEqual(Array.from(tags[2].body.subarray(5, 8)), [0, 0, 40]);
  t.is(tags[3].body[0], 0x92); // SequenceEnd
});

test("FLV payloads are subarrays and a new SPS writes a new sequence header", (t) => {
  const cap = capture();
  const m = new FlvMuxer({ video: "h264", sink: cap.sink });
  const au = h264Au(true, 1);
  m.writeVideo(au, 0);
  t.true(cap.chunks[0].some((c) => c.buffer === au.buffer));
  m.writeVideo(h264Au(true, 2), 40);
  t.false(cap.infos[1].sequenceHeader as boolean);
  m.writeVideo(h264Au(true, 3, H264_SPS_1080, H264_PPS_1080), 80);
  t.true(cap.infos[2].sequenceHeader as boolean);
  const tags = parseFlv(concat(cap.chunks.flat()));
  t.deepEqual(tags.map((x) => x.body[1]), [0, 1, 1, 0, 1]);
});

test("FLV rejects bad frames and continues", (t) => {
  const cap = capture();
  const m = new FlvMuxer({ video: "h264", audio: true, sink: cap.sink });
  t.false(m.writeAudio(adts(10), 0));
  t.throws(() => m.writeVideo(h264Au(false, 1), 0), { instanceOf: NoKeyFrameError });
  m.writeVideo(h264Au(true, 1), 0);
  t.throws(() => m.writeVideo(h264Au(false, 1), 0), { instanceOf: TimestampError });
  t.throws(() => m.writeAudio(adts(0), 0), { instanceOf: MediaError });
  m.writeVideo(h264Au(false, 2), 40);
  m.writeAudio(adts(3), 41);
  const tags = parseFlv(concat(cap.chunks.flat()));
  t.is(tags.length, 5);
});

test("the sink's info and usual chunks array are the muxer's, right while the sink runs (valid until it returns)", (t) => {
  const seen: unknown[] = [];
  const copies: unknown[] = [];
  const arrays: Uint8Array[][] = [];
  const m = new FlvMuxer({
    video: "h264", audio: true, sink: (chunks, info) => { arrays.push(chunks); seen.push(info); copies.push({ ...info }); },
  });
  m.writeVideo(h264Au(true, 1), 1000);
  m.writeAudio(adts(10), 1010);
  m.writeVideo(h264Au(false, 2), 1040);
  const inter = arrays[2].slice();
  m.writeAudio(adts(11), 1074);
  m.end();
  t.is(new Set(seen).size, 1);
  // The usual tags (no file or sequence header before them) share one array, rewritten.
  t.is(arrays[3], arrays[2]);
  t.is(inter.length, 3);
  t.is(arrays[3].length, 3);
  t.is(arrays[3][1].length, 11);
  t.not(inter[1], arrays[3][1]);
  t.deepEqual(copies, [
    { type: "flv", fileHeader: true, sequenceHeader: true, track: "video", key: true, timestampMs: 0 },
    { type: "flv", fileHeader: false, sequenceHeader: true, track: "audio", key: true, timestampMs: 10 },
    { type: "flv", fileHeader: false, sequenceHeader: false, track: "video", key: false, timestampMs: 40 },
    { type: "flv", fileHeader: false, sequenceHeader: false, track: "audio", key: true, timestampMs: 74 },
    { type: "flv", fileHeader: false, sequenceHeader: false, track: "end", key: false, timestampMs: 40 },
  ]);
});
