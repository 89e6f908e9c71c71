import test from "ava";
import { probeVideo } from "../../modules/media/probe.js";
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
