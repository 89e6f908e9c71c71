// Box limits through the muxers, for what the XS unit tests cannot feed (tests/unit/media-limits):
// a key frame with 256 PPS (258 NAL units), and an FLV sequence header beyond 16 MiB.
import test from "ava";
import { media } from "./_media.mjs";
import { h264Pps } from "../../build/ts/tests/unit/_media-helpers.js";

function ppsList(count) {
  return Array.from({ length: count }, (_, i) => h264Pps(i));
}

function annexB(nals) {
  const parts = [];
  for (const n of nals) parts.push(new Uint8Array([0, 0, 0, 1]), n);
  return new Uint8Array(Buffer.concat(parts));
}

const SPS = Uint8Array.from(Buffer.from("674d4016da0280f6c044000003000400000300783c58ba80", "hex"));
const slice = (seed) => new Uint8Array(40).map((_, i) => (i === 0 ? 0x65 : i === 1 ? 0x88 : ((i * 31 + seed) & 0xff) | 1));

for (const Kind of [media.Fmp4Muxer, media.FlvMuxer]) {
  test(`${Kind.name}: a key frame with 256 PPS is refused, 255 are written`, (t) => {
    const chunks = [];
    const m = new Kind({ video: "h264", sink: (c) => chunks.push(c) });
    m.writeVideo(annexB([SPS, ppsList(1)[0], slice(1)]), 0);
    const n = chunks.length;
    t.throws(() => m.writeVideo(annexB([SPS, ...ppsList(256), slice(2)]), 40), { instanceOf: media.UnsupportedError, message: /255 PPS/ });
    t.is(chunks.length, n);
    m.writeVideo(annexB([SPS, ...ppsList(255), slice(3)]), 40);
    m.end();
    t.true(chunks.length > n);
  });
}

test("FLV refuses parameter sets whose sequence header exceeds a tag (24-bit DataSize)", (t) => {
  const chunks = [];
  const m = new media.FlvMuxer({ video: "h264", sink: (c) => chunks.push(c) });
  // 2 SPS and 255 PPS of 65535 bytes: an avcC of 16.8 MB, more than a tag's 16 MiB - 1 (an
  // fMP4 box can hold it).
  const grow = (ps, fill) => { const b = new Uint8Array(0xffff).fill(fill); b.set(ps); return b; };
  const au = annexB([grow(SPS, 0x5a), grow(SPS, 0x5b), ...ppsList(255).map((p) => grow(p, 0x5a)), slice(1)]);
  t.throws(() => m.writeVideo(au, 0), { instanceOf: media.UnsupportedError, message: /exceed an FLV tag/ });
  t.is(chunks.length, 0);
  const f = new media.Fmp4Muxer({ video: "h264", sink: (c) => chunks.push(c) });
  f.writeVideo(au, 0);
  f.end();
  t.is(chunks.length, 2);
});
