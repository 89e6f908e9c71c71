import test from "ava";
import { BitReader, removeEmulationPrevention } from "../../modules/media/bit-reader.js";
import { findStartCode, splitAccessUnits, splitNalUnits, nalType } from "../../modules/media/annexb.js";
import { avcCodecString, buildAvcDecoderConfig, parseH264Sps } from "../../modules/media/h264.js";
import { buildHevcDecoderConfig, hevcCodecString, parseH265Sps } from "../../modules/media/h265.js";
import { analyzeAccessUnit, configForKeyFrame } from "../../modules/media/video.js";
import {
  BitstreamError, EmptyFrameError, MediaError, MissingParameterSetError, TruncatedError,
} from "../../modules/media/errors.js";
import {
  annexB, concat, h264Au, h264Slice, H264_AUD, H264_PPS_1080, H264_PPS_640, H264_SPS_1080, H264_SPS_640,
  h265Au, H265_PPS, H265_SPS_1080, H265_SPS_ODD, H265_SPS_640, H265_VPS_640, hex,
} from "./_media-helpers.js";

test("bit reader reads fixed-width fields and exp-Golomb codes", (t) => {
  // 1 | 010 | 011 | 00100 | 00101 | 0001000 -> ue: 0,1,2,3,4,7
  const r = new BitReader(new Uint8Array([0b10100110, 0b01000010, 0b10001000]));
  t.is(r.ue(), 0);
  t.is(r.ue(), 1);
  t.is(r.ue(), 2);
  t.is(r.ue(), 3);
  t.is(r.ue(), 4);
  t.is(r.ue(), 7);
  const s = new BitReader(new Uint8Array([0b01001110, 0xff, 0xff, 0xff, 0xff]));
  t.is(s.se(), 1); // 010 -> 1
  t.is(s.se(), -1); // 011 -> 2 -> -1
  t.is(s.u(2), 0b10);
  t.is(s.u(32), 0xffffffff);
  t.is(s.bitsLeft, 0);
});

test("bit reader throws TruncatedError past the end", (t) => {
  const r = new BitReader(new Uint8Array([0xff]));
  r.u(8);
  t.throws(() => r.bit(), { instanceOf: TruncatedError });
  t.throws(() => new BitReader(new Uint8Array([0, 0, 0, 0, 0])).ue(), { instanceOf: BitstreamError });
  t.throws(() => new BitReader(new Uint8Array([0, 0])).ue(), { instanceOf: TruncatedError });
});

test("emulation prevention bytes are removed", (t) => {
  t.deepEqual(Array.from(removeEmulationPrevention(hex("6700000301000003000203"))), Array.from(hex("670000010000000203")));
  const clean = hex("6742001e");
  t.is(removeEmulationPrevention(clean), clean);
});

test("start codes of 3 and 4 bytes are found", (t) => {
  t.is(findStartCode(hex("aa000001bb"), 0), 1);
  t.is(findStartCode(hex("00000001bb"), 0), 1);
  t.is(findStartCode(hex("aa0000020001"), 0), -1);
  const nals = splitNalUnits(hex("0000000167aa0000016801000000000165bbcc00"));
  t.deepEqual(nals.map((n) => Array.from(n)), [[0x67, 0xaa], [0x68, 0x01], [0x65, 0xbb, 0xcc]]);
});

test("NAL units are subarrays of the input", (t) => {
  const au = h264Au(true, 1);
  const nals = splitNalUnits(au);
  t.is(nals.length, 4);
  for (const n of nals) t.is(n.buffer, au.buffer);
  t.deepEqual(nals.map((n) => nalType("h264", n)), [9, 7, 8, 5]);
});

test("malformed Annex-B input gets documented errors", (t) => {
  t.throws(() => splitNalUnits(new Uint8Array(0)), { instanceOf: EmptyFrameError });
  t.throws(() => splitNalUnits(hex("1234")), { instanceOf: BitstreamError, message: "no start code found" });
  t.throws(() => splitNalUnits(hex("ff0000016588")), { instanceOf: BitstreamError, message: "garbage before first start code" });
  t.throws(() => splitNalUnits(hex("000001000001658800")), { instanceOf: BitstreamError });
  t.throws(() => splitNalUnits(hex("00000165880000000001")), { instanceOf: TruncatedError });
  t.throws(() => splitNalUnits(hex("00000185aa")), { instanceOf: BitstreamError, message: "forbidden_zero_bit set in NAL header" });
  t.notThrows(() => splitNalUnits(hex("0000000001658800")));
});

test("access units are split at AUD, parameter sets and first slices", (t) => {
  const stream = concat([h264Au(true, 1), h264Au(false, 2), h264Au(false, 3), h264Au(true, 4)]);
  const aus = splitAccessUnits(stream, "h264");
  t.is(aus.length, 4);
  t.deepEqual(Array.from(aus[1]), Array.from(h264Au(false, 2)));
  const noAud = concat([annexB([H264_SPS_640, H264_PPS_640, h264Slice(true, 10, 1)]), annexB([h264Slice(false, 10, 2)])]);
  t.is(splitAccessUnits(noAud, "h264").length, 2);
  const h265 = concat([h265Au(true, 1), h265Au(false, 2), h265Au(false, 3)]);
  t.is(splitAccessUnits(h265, "h265").length, 3);
});

test("H.264 SPS: Main 640x480 with VUI frame rate", (t) => {
  const s = parseH264Sps(H264_SPS_640);
  t.is(s.profileIdc, 77);
  t.is(s.levelIdc, 22);
  t.is(s.chromaFormatIdc, 1);
  t.is(s.width, 640);
  t.is(s.height, 480);
  t.is(s.frameRate, 15);
  t.is(avcCodecString(s), "avc1.4d4016");
});

test("H.264 SPS: High 1080p applies frame cropping", (t) => {
  const s = parseH264Sps(H264_SPS_1080);
  t.is(s.profileIdc, 100);
  t.is(s.codedHeight, 1088);
  t.is(s.width, 1920);
  t.is(s.height, 1080);
  t.is(s.frameRate, 25);
  t.is(avcCodecString(s), "avc1.640028");
  const rec = buildAvcDecoderConfig([H264_SPS_1080], [H264_PPS_1080], s);
  t.deepEqual(Array.from(rec.subarray(0, 6)), [1, 0x64, 0x00, 0x28, 0xff, 0xe1]);
  t.is(rec.length, 7 + 2 + H264_SPS_1080.length + 2 + H264_PPS_1080.length + 4);
});

test("H.264 SPS: truncated or corrupt SPS throws MediaError", (t) => {
  t.throws(() => parseH264Sps(H264_SPS_640.subarray(0, 3)), { instanceOf: TruncatedError });
  t.throws(() => parseH264Sps(H264_SPS_640.subarray(0, 6)), { instanceOf: TruncatedError });
  t.throws(() => parseH264Sps(H264_PPS_640), { instanceOf: MediaError });
});

test("H.265 SPS: Main 640x480, codec string per 14496-15 Annex E", (t) => {
  const s = parseH265Sps(H265_SPS_640);
  t.is(s.profileIdc, 1);
  t.is(s.tierFlag, 0);
  t.is(s.levelIdc, 90);
  t.is(s.profileCompatibilityFlags, 0x60000000);
  t.is(s.width, 640);
  t.is(s.height, 480);
  t.is(s.chromaFormatIdc, 1);
  t.is(s.frameRate, 15);
  t.is(hevcCodecString(s), "hvc1.1.6.L90.90");
  // Flag 31 reversed is the top bit: on XS, a shift there would be C's undefined behaviour.
  t.is(hevcCodecString({ ...s, profileCompatibilityFlags: 0x60000001 }), "hvc1.1.80000006.L90.90");
});

test("H.265 SPS: the conformance window crops the coded size", (t) => {
  const o = parseH265Sps(H265_SPS_ODD);
  t.is(o.codedWidth, 656);
  t.is(o.codedHeight, 376);
  t.is(o.width, 650);
  t.is(o.height, 370);
  t.is(o.frameRate, 30);
  const s = parseH265Sps(H265_SPS_1080);
  t.is(s.width, 1920);
  t.is(s.height, 1080);
  t.is(s.frameRate, 25);
  t.is(hevcCodecString(s), "hvc1.1.6.L120.90");
  t.throws(() => parseH265Sps(H265_SPS_1080.subarray(0, 20)), { instanceOf: TruncatedError });
});

test("HEVC decoder configuration record carries VPS, SPS and PPS arrays", (t) => {
  const s = parseH265Sps(H265_SPS_640);
  const rec = buildHevcDecoderConfig([H265_VPS_640], [H265_SPS_640], [H265_PPS], s);
  t.is(rec[0], 1);
  t.is(rec[1], 1); // profile space 0, tier 0, profile 1
  t.is(rec[12], 90);
  t.is(rec[21] & 3, 3); // lengthSizeMinusOne
  t.is(rec[22], 3);
  t.is(rec[23], 0x80 | 32);
  t.is(rec.length, 23 + 3 * 5 + H265_VPS_640.length + H265_SPS_640.length + H265_PPS.length);
});

test("access unit analysis drops parameter sets and AUDs from the sample", (t) => {
  const f = analyzeAccessUnit("h264", h264Au(true, 1));
  t.true(f.key);
  t.is(f.nals.length, 1);
  t.is(f.sampleSize, 4 + 40);
  t.is(f.sps.length, 1);
  t.is(f.pps.length, 1);
  const p = analyzeAccessUnit("h264", h264Au(false, 1));
  t.false(p.key);
  t.is(p.nals.length, 1);
  const h = analyzeAccessUnit("h265", h265Au(true, 1));
  t.true(h.key);
  t.is(h.vps.length, 1);
  t.throws(() => analyzeAccessUnit("h264", annexB([H264_AUD, H264_SPS_640])), { instanceOf: BitstreamError });
  t.throws(() => analyzeAccessUnit("h264", annexB([H264_AUD, hex("65")])), { instanceOf: TruncatedError });
});

test("parameter set changes produce a new configuration", (t) => {
  const a = configForKeyFrame("h264", analyzeAccessUnit("h264", h264Au(true, 1)), undefined);
  t.is(a.width, 640);
  t.is(a.codecString, "avc1.4d4016");
  const same = configForKeyFrame("h264", analyzeAccessUnit("h264", h264Au(true, 2)), a);
  t.is(same, a);
  const bare = configForKeyFrame("h264", analyzeAccessUnit("h264", annexB([h264Slice(true, 9, 1)])), a);
  t.is(bare, a);
  const b = configForKeyFrame("h264", analyzeAccessUnit("h264", h264Au(true, 3, H264_SPS_1080, H264_PPS_1080)), a);
  t.not(b, a);
  t.is(b.height, 1080);
  t.throws(() => configForKeyFrame("h264", analyzeAccessUnit("h264", annexB([h264Slice(true, 9, 1)])), undefined), {
    instanceOf: MissingParameterSetError,
  });
});
