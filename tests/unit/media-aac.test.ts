import test from "ava";
import { aacCodecString, audioSpecificConfig, parseAdtsFrame, parseAdtsHeader, splitAdtsFrames } from "../../modules/media/aac.js";
import { AdtsError, EmptyFrameError, TruncatedError, UnsupportedError } from "../../modules/media/errors.js";
import { adts, concat } from "./_media-helpers.js";

test("ADTS header gives AudioSpecificConfig and codec string", (t) => {
  const h = parseAdtsHeader(adts(10, 8, 1));
  t.is(h.objectType, 2);
  t.is(h.sampleRate, 16000);
  t.is(h.channelConfig, 1);
  t.is(h.frameLength, 17);
  t.deepEqual(Array.from(audioSpecificConfig(h)), [0x14, 0x08]);
  t.is(aacCodecString(h), "mp4a.40.2");
  const h44 = parseAdtsHeader(adts(10, 4, 2));
  t.deepEqual(Array.from(audioSpecificConfig(h44)), [0x12, 0x10]);
});

test("ADTS payload is a subarray without the header", (t) => {
  const f = adts(5);
  const { payload } = parseAdtsFrame(f);
  t.is(payload.buffer, f.buffer);
  t.is(payload.byteOffset, 7);
  t.is(payload.length, 5);
});

test("ADTS frames are split from a stream", (t) => {
  const s = concat([adts(3), adts(9), adts(1)]);
  t.deepEqual(splitAdtsFrames(s).map((f) => f.length), [10, 16, 8]);
});

test("bad ADTS input gets documented errors", (t) => {
  const bad = adts(5);
  bad[0] = 0xfe;
  t.throws(() => parseAdtsFrame(bad), { instanceOf: AdtsError, message: "ADTS bad syncword" });
  t.throws(() => parseAdtsFrame(new Uint8Array(0)), { instanceOf: EmptyFrameError });
  t.throws(() => parseAdtsFrame(adts(5).subarray(0, 4)), { instanceOf: TruncatedError });
  t.throws(() => parseAdtsFrame(adts(5).subarray(0, 10)), { instanceOf: TruncatedError });
  t.throws(() => parseAdtsFrame(concat([adts(5), new Uint8Array(2)])), { instanceOf: AdtsError });
  t.throws(() => parseAdtsFrame(adts(0)), { instanceOf: EmptyFrameError });
  t.throws(() => parseAdtsFrame(adts(5, 13)), { instanceOf: AdtsError });
  t.throws(() => parseAdtsFrame(adts(5, 8, 0)), { instanceOf: UnsupportedError });
  const short = adts(5);
  short[4] = 0;
  short[5] = 0x1f; // frame_length 0
  t.throws(() => parseAdtsFrame(short), { instanceOf: AdtsError });
  t.throws(() => splitAdtsFrames(concat([adts(3), adts(9).subarray(0, 12)])), { instanceOf: TruncatedError });
});
