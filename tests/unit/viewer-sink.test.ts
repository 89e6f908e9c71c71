import test from "ava";
import { ViewerSink } from "../../modules/app/viewer-sink.js";
import { adts, concat, h264Au, parseBoxes } from "./_media-helpers.js";

/** The top-level boxes the sink wrote, and how many tracks each moov names. */
function written(chunks: Uint8Array[]): { types: string[]; tracks: number[] } {
  const boxes = parseBoxes(concat(chunks));
  return { types: boxes.map((b) => b.type), tracks: boxes.filter((b) => b.type === "moov").map((b) => b.children!.filter((c) => c.type === "trak").length) };
}

const frame = (bytes: Uint8Array) => bytes.slice().buffer;

test("audio first heard after a fragment's worth of video: one init segment, naming both tracks", (t) => {
  const chunks: Uint8Array[] = [];
  const sink = new ViewerSink({ codec: "h264", audio: true }, "fmp4", (c) => chunks.push(...c));
  // a key frame and 300 ms of video (15 fps) arrive before the first audio frame, as behind a
  // large key frame on a slow path; the audio then comes at its own times
  for (let i = 0; i < 6; i++) sink.frame(frame(h264Au(i === 0, i)), 1000 + i * 66);
  for (let i = 0; i < 20; i++) {
    sink.frame(frame(adts(20, 8, 1, i)), 1000 + i * 64);
    if (i >= 6) sink.frame(frame(h264Au(false, i)), 1000 + i * 66);
  }
  sink.end();
  const { types, tracks } = written(chunks);
  t.is(types.filter((x) => x === "moov").length, 1);
  t.deepEqual(tracks, [2]);
  t.is(types[0], "ftyp");
  t.is(sink.written, 6 + 20 + 14);
  t.is(sink.refused, 0);
});

test("the next video a GOP after the first key frame, the first audio after it: still one init naming both tracks", (t) => {
  const chunks: Uint8Array[] = [];
  const sink = new ViewerSink({ codec: "h264", audio: true }, "fmp4", (c) => chunks.push(...c));
  // the frames between the first two key frames skipped by the camera (the emulated S3's start)
  sink.frame(frame(h264Au(true, 0)), 5000);
  sink.frame(frame(h264Au(true, 1)), 6000);
  sink.frame(frame(adts(20, 8, 1, 0)), 6056);
  for (let i = 1; i < 10; i++) {
    sink.frame(frame(h264Au(false, i + 1)), 6000 + i * 66);
    sink.frame(frame(adts(20, 8, 1, i)), 6056 + i * 64);
  }
  sink.end();
  t.deepEqual(written(chunks).tracks, [2]);
  t.is(sink.refused, 0);
});

test("no audio within 3 s of video: the video goes on alone (a later audio track brings a new init)", (t) => {
  const chunks: Uint8Array[] = [];
  const sink = new ViewerSink({ codec: "h264", audio: true }, "fmp4", (c) => chunks.push(...c));
  for (let i = 0; i < 50; i++) sink.frame(frame(h264Au(i % 15 === 0, i)), i * 66);
  // held back until 3 s of it had come, then written
  t.deepEqual(written(chunks).tracks, [1]);
  t.is(sink.written, 50);
  sink.end();
});

test("a channel without audio: nothing held back", (t) => {
  const chunks: Uint8Array[] = [];
  const sink = new ViewerSink({ codec: "h264", audio: false }, "fmp4", (c) => chunks.push(...c));
  for (let i = 0; i < 4; i++) sink.frame(frame(h264Au(i === 0, i)), i * 66);
  t.is(sink.written, 4);
  t.deepEqual(written(chunks).tracks, [1]);
  sink.end();
});

test("audio before the first video frame has no place in the file: counted apart, not as written", (t) => {
  const chunks: Uint8Array[] = [];
  const sink = new ViewerSink({ codec: "h264", audio: true }, "fmp4", (c) => chunks.push(...c));
  for (let i = 0; i < 3; i++) sink.frame(frame(adts(20, 8, 1, i)), 1000 + i * 64);
  for (let i = 0; i < 4; i++) sink.frame(frame(h264Au(i === 0, i)), 1200 + i * 66);
  sink.frame(frame(adts(20, 8, 1, 3)), 1200 + 3 * 64);
  sink.end();
  t.is(sink.unplaced, 3);
  t.is(sink.written, 4 + 1);
  t.is(sink.refused, 0);
});
