import test from "ava";
import { accessUnitInfo, accessUnitSpansJs, AU_INFO, isKeyNal, splitAccessUnits } from "../../modules/media/annexb.js";
import { analyzeAccessUnit } from "../../modules/media/video.js";
import { annexB, concat, h264Au, h264Slice, h265Au, h265Slice, H264_AUD, H265_AUD, H265_PPS, H265_SPS_640, H265_VPS_640 } from "./_media-helpers.js";

// One Annex-B truth in JS (annexb.ts, checked against native/annexb): the key-frame rule, the
// info word of one access unit, the fast path of the track stage. These tests hold every user
// (video.ts, the track, the benchmark, the simulator) to it.

/** An H.265 IRAP slice (IDR_W_RADL) of layer `layer` (nuh_layer_id). */
function h265IrapOnLayer(layer: number): Uint8Array {
  const n = h265Slice(true, 30, 3);
  n[0] = (n[0] & 0xfe) | (layer >> 5);
  n[1] = ((layer & 0x1f) << 3) | 1;
  return n;
}

test("an H.265 IRAP slice is a key NAL on layer 0 only", (t) => {
  t.true(isKeyNal("h265", h265IrapOnLayer(0)));
  t.false(isKeyNal("h265", h265IrapOnLayer(1)));
  t.false(isKeyNal("h265", h265IrapOnLayer(32)));
  t.false(isKeyNal("h265", h265Slice(false, 20, 1)));
  t.true(isKeyNal("h264", h264Slice(true, 20, 1)));
  t.false(isKeyNal("h264", h264Slice(false, 20, 1)));
});

test("an H.265 access unit whose IRAP slice is on a non-zero layer is not a key frame", (t) => {
  // Layer 0 inter picture plus the IRAP of an enhancement layer: no random-access point.
  const au = annexB([H265_AUD, h265Slice(false, 20, 2), h265IrapOnLayer(1)]);
  t.false(analyzeAccessUnit("h265", au).key);
  t.is(accessUnitInfo("h265", au) & AU_INFO.KEY, 0);
  const spans = accessUnitSpansJs(au, "h265");
  t.is(spans.length, 3);
  t.is(spans[2] & AU_INFO.KEY, 0);
  // The same IRAP on layer 0 is a key frame everywhere.
  const key = annexB([H265_VPS_640, H265_SPS_640, H265_PPS, h265IrapOnLayer(0)]);
  t.true(analyzeAccessUnit("h265", key).key);
  t.is(accessUnitInfo("h265", key) & AU_INFO.KEY, AU_INFO.KEY);
});

test("accessUnitInfo of each access unit is the grouping's info word (PARAMS and layers included)", (t) => {
  const streams = {
    h264: concat([h264Au(true, 1), h264Au(false, 2), annexB([h264Slice(false, 20, 3)]), h264Au(true, 4)]),
    h265: concat([h265Au(true, 1), h265Au(false, 2), annexB([H265_AUD, h265Slice(false, 20, 3), h265IrapOnLayer(2)]), h265Au(true, 4)]),
  } as const;
  for (const codec of ["h264", "h265"] as const) {
    const stream = streams[codec];
    const spans = accessUnitSpansJs(stream, codec);
    const aus = splitAccessUnits(stream, codec);
    t.is(aus.length, spans.length / 3);
    let params = 0;
    aus.forEach((au, i) => {
      const info = accessUnitInfo(codec, au);
      t.is(info, spans[i * 3 + 2], `${codec} AU ${i}`);
      if (info & AU_INFO.PARAMS) params++;
    });
    t.is(params, 2, `${codec}: both key frames carry their parameter sets`);
  }
});
