import test from "ava";
import { probeVideo } from "../../modules/media/probe.js";
import { nalType, scanNalUnits } from "../../modules/media/annexb.js";
import { H264_NAL } from "../../modules/media/h264.js";
import { BitstreamError, MissingParameterSetError } from "../../modules/media/errors.js";
import { concat, h264Au, h265Au } from "./_media-helpers.js";

test("probing an H.264 stream head gives size, frame rate and codec string", (t) => {
  const head = concat([h264Au(true, 1), h264Au(false, 2), h264Au(false, 3)]);
  t.deepEqual(probeVideo(head, "h264"), { codec: "h264", width: 640, height: 480, frameRate: 15, codecString: "avc1.4d4016" });
});

test("probing an H.265 stream head gives size and codec string", (t) => {
  const probe = probeVideo(concat([h265Au(true, 1), h265Au(false, 2)]), "h265");
  t.is(probe.width, 640);
  t.is(probe.height, 480);
  t.regex(probe.codecString, /^hvc1\.1\.6\.L\d+(\.[0-9A-F]{1,2})+$/i);
});

test("a head cut anywhere still probes, or says what is missing", (t) => {
  const stream = concat([h264Au(true, 1), h264Au(false, 2)]);
  for (let cut = 60; cut <= stream.length; cut++) {
    t.notThrows(() => probeVideo(stream.subarray(0, cut), "h264"), `cut at ${cut}`);
  }
  t.throws(() => probeVideo(h264Au(false, 5), "h264"), { instanceOf: MissingParameterSetError });
  t.throws(() => probeVideo(new Uint8Array([1, 2, 3, 4]), "h264"), { instanceOf: BitstreamError });
});

test("a head of a longer stream is trusted only with an SPS that ends before the head does (else: read more)", (t) => {
  const stream = concat([h264Au(true, 1), h264Au(false, 2)]);
  const spans = scanNalUnits(stream);   // [start code, NAL start, NAL end] each
  let sps = 0;
  while (nalType("h264", stream.subarray(spans[sps + 1], spans[sps + 2])) !== H264_NAL.SPS) sps += 3;
  const [spsStart, spsEnd] = [spans[sps + 1], spans[sps + 2]];
  for (const cut of [spsStart + 2, spsEnd - 1, spsEnd]) {
    t.throws(() => probeVideo(stream.subarray(0, cut), "h264", true), { instanceOf: MissingParameterSetError }, `cut at ${cut}`);
  }
  t.deepEqual(probeVideo(stream.subarray(0, spsEnd + 4), "h264", true), probeVideo(stream, "h264"), "the SPS, then the next start code");
  t.deepEqual(probeVideo(stream.subarray(0, spsEnd), "h264", false), probeVideo(stream, "h264"), "the whole stream ends there");
});
