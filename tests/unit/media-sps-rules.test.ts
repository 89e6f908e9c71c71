// What H.264 7.4.2.1.1 / E.2.1 and H.265 7.4.3.2.1 / E.3.1 forbid in an SPS is refused
// (found by comparing bit-flipped fixture SPS with ffmpeg: tests/media/sps-oracle.test.mjs).
import test from "ava";
import { BitstreamError, MissingParameterSetError, TruncatedError } from "../../modules/media/errors.js";
import { parseH264Sps } from "../../modules/media/h264.js";
import { parseH265Sps } from "../../modules/media/h265.js";
import { configForKeyFrame } from "../../modules/media/video.js";
import { h264Pps, h264Slice, H265_PPS, H265_SPS_640, H265_VPS_640, nalFromBits, ueBits } from "./_media-helpers.js";

const u = (v: number, n: number) => v.toString(2).padStart(n, "0");
const se = (v: number) => ueBits(v <= 0 ? -2 * v : 2 * v - 1);

interface H264Fields {
  refFrames?: number;
  vui?: string;
}

/** A Baseline 320x240 H.264 SPS (poc type 2), with optional VUI bits and `extra` bits before the stop bit. */
function h264Sps(f: H264Fields = {}, extra = ""): Uint8Array {
  const bits = u(66, 8) + u(0xc0, 8) + u(30, 8) + ueBits(0) + ueBits(0) + ueBits(2) + ueBits(f.refFrames ?? 1) + "0" +
    ueBits(19) + ueBits(14) + "1" + "1" + "0" + (f.vui === undefined ? "0" : "1" + f.vui) + extra;
  return nalFromBits([0x67], bits);
}

// VUI pieces: aspect ratio, then nothing else present, unless given.
const vui = (parts: { aspect?: number; chromaLoc?: [number, number]; timing?: [number, number]; restriction?: number[] }) =>
  (parts.aspect === undefined ? "0" : "1" + u(parts.aspect, 8) + (parts.aspect === 255 ? u(4, 16) + u(3, 16) : "")) +
  "0" + "0" + // overscan, video signal type
  (parts.chromaLoc ? "1" + ueBits(parts.chromaLoc[0]) + ueBits(parts.chromaLoc[1]) : "0") +
  (parts.timing ? "1" + u(parts.timing[0], 32) + u(parts.timing[1], 32) + "1" : "0") +
  "0" + "0" + "0" + // nal hrd, vcl hrd, pic_struct
  (parts.restriction ? "1" + "1" + parts.restriction.map(ueBits).join("") : "0");

test("H.264: the built SPS and its legal VUI variants are accepted", (t) => {
  t.is(parseH264Sps(h264Sps()).width, 320);
  t.is(parseH264Sps(h264Sps({ vui: vui({ aspect: 255 }) })).sarWidth, 4);
  t.is(parseH264Sps(h264Sps({ vui: vui({ aspect: 16, chromaLoc: [5, 5] }) })).sarWidth, 2);
  t.is(parseH264Sps(h264Sps({ vui: vui({ timing: [1, 50] }) })).frameRate, 25);
  t.is(parseH264Sps(h264Sps({ refFrames: 16, vui: vui({ restriction: [2, 1, 16, 16, 16, 16] }) })).height, 240);
});

const H264_BAD: [string, Uint8Array, RegExp][] = [
  ["reserved aspect_ratio_idc 17", h264Sps({ vui: vui({ aspect: 17 }) }), /aspect_ratio_idc 17 is reserved/],
  ["reserved aspect_ratio_idc 254", h264Sps({ vui: vui({ aspect: 254 }) }), /aspect_ratio_idc 254 is reserved/],
  ["chroma_sample_loc_type 6", h264Sps({ vui: vui({ chromaLoc: [6, 0] }) }), /chroma_sample_loc_type_top_field/],
  ["time_scale 0", h264Sps({ vui: vui({ timing: [1, 0] }) }), /time_scale/],
  ["num_units_in_tick 0", h264Sps({ vui: vui({ timing: [0, 50] }) }), /num_units_in_tick/],
  ["max_num_ref_frames 17", h264Sps({ refFrames: 17 }), /max_num_ref_frames/],
  ["max_num_reorder_frames > max_dec_frame_buffering", h264Sps({ vui: vui({ restriction: [2, 1, 16, 16, 3, 2] }) }), /max_num_reorder_frames/],
  ["max_dec_frame_buffering < max_num_ref_frames", h264Sps({ refFrames: 4, vui: vui({ restriction: [2, 1, 16, 16, 0, 2] }) }), /max_dec_frame_buffering/],
  ["max_bytes_per_pic_denom 17", h264Sps({ vui: vui({ restriction: [17, 1, 16, 16, 0, 1] }) }), /max_bytes_per_pic_denom/],
];

for (const [name, sps, message] of H264_BAD) {
  test(`H.264: ${name} is refused`, (t) => {
    t.throws(() => parseH264Sps(sps), { instanceOf: BitstreamError, message });
  });
}

test("H.264: a VUI cut short is a TruncatedError", (t) => {
  const whole = h264Sps({ vui: vui({ timing: [1, 50], restriction: [2, 1, 16, 16, 0, 1] }) });
  t.throws(() => parseH264Sps(whole.subarray(0, whole.length - 3)), { instanceOf: TruncatedError });
});

test("H.264: fields that run past the RBSP stop bit are refused", (t) => {
  // A zero bit where the stop bit belongs: a decoder reads the fields past the SPS ("overread").
  t.throws(() => parseH264Sps(h264Sps({ vui: vui({ restriction: [2, 1, 16, 16, 0, 1] }) }, "0")), { instanceOf: BitstreamError, message: /rbsp_stop_one_bit/ });
  t.throws(() => parseH265Sps(h265Sps({}, "0")), { instanceOf: BitstreamError, message: /rbsp_stop_one_bit/ });
  const aligned = h264Sps();
  aligned[aligned.length - 1] |= 1; // a one among the alignment bits after the stop bit
  t.throws(() => parseH264Sps(aligned), { instanceOf: BitstreamError, message: /rbsp_alignment_zero_bit/ });
});

test("a PPS must refer to an SPS the configuration carries", (t) => {
  const frame = (pps: Uint8Array) => ({ nals: [h264Slice(true, 40, 1)], sampleSize: 48, key: true, vps: [], sps: [h264Sps()], pps: [pps] });
  t.is(configForKeyFrame("h264", frame(h264Pps(0)), undefined).width, 320);
  const other = nalFromBits([0x68], ueBits(0) + ueBits(3) + "10111100111100"); // seq_parameter_set_id 3
  t.throws(() => configForKeyFrame("h264", frame(other), undefined), { instanceOf: MissingParameterSetError, message: /SPS 3/ });
});

interface H265Fields {
  profileSpace?: number;
  width?: number;
  ctbDiff?: number;
  pcmLumaMinus1?: number;
  vui?: string;
  vpsId?: number;
}

/** A Main 640x480 H.265 SPS with PCM enabled (CTB 64, min CB 8), with optional VUI bits. */
function h265Sps(f: H265Fields = {}, extra = ""): Uint8Array {
  const bits = u(f.vpsId ?? 0, 4) + u(0, 3) + "1" +
    u(f.profileSpace ?? 0, 2) + "0" + u(1, 5) + u(0x60000000, 32) + "1001" + u(0, 44) + u(90, 8) +
    ueBits(0) + ueBits(1) + ueBits(f.width ?? 640) + ueBits(480) + "0" + ueBits(0) + ueBits(0) + ueBits(4) +
    "1" + ueBits(4) + ueBits(2) + ueBits(0) +
    ueBits(0) + ueBits(f.ctbDiff ?? 3) + ueBits(0) + ueBits(3) + ueBits(2) + ueBits(2) +
    "0" + "0" + "1" + "1" + u(f.pcmLumaMinus1 ?? 7, 4) + u(7, 4) + ueBits(0) + ueBits(1) + "0" +
    ueBits(0) + "0" + "1" + "1" + (f.vui === undefined ? "0" : "1" + f.vui) + "0" + extra;
  return nalFromBits([0x42, 0x01], bits);
}

// H.265 VUI: aspect ratio, then nothing else present.
const hvui = (aspect: number) => "1" + u(aspect, 8) + (aspect === 255 ? u(1, 16) + u(1, 16) : "") + "0" + "0" + "0" + "000" + "0" + "0" + "0";

test("H.265: the built SPS and the fixture SPS are accepted", (t) => {
  t.is(parseH265Sps(h265Sps()).width, 640);
  t.is(parseH265Sps(h265Sps({ pcmLumaMinus1: 7, vui: hvui(255) })).width, 640);
  t.is(parseH265Sps(H265_SPS_640).height, 480);
});

const H265_BAD: [string, Uint8Array, RegExp][] = [
  ["PCM luma bit depth beyond the picture's", h265Sps({ pcmLumaMinus1: 8 }), /pcm_sample_bit_depth_luma_minus1/],
  ["reserved aspect_ratio_idc 17", h265Sps({ vui: hvui(17) }), /aspect_ratio_idc 17 is reserved/],
  ["general_profile_space 1", h265Sps({ profileSpace: 1 }), /general_profile_space/],
  ["a width that is no multiple of the minimum coding block", h265Sps({ width: 644 }), /multiple of the minimum coding block/],
  ["a 128x128 CTB", h265Sps({ ctbDiff: 4 }), /log2_diff_max_min_luma_coding_block_size|CtbLog2SizeY/],
];

for (const [name, sps, message] of H265_BAD) {
  test(`H.265: ${name} is refused`, (t) => {
    t.throws(() => parseH265Sps(sps), { instanceOf: BitstreamError, message });
  });
}

test("H.265: an SPS must refer to a VPS the configuration carries", (t) => {
  const frame = (sps: Uint8Array) => ({ nals: [], sampleSize: 0, key: true, vps: [H265_VPS_640], sps: [sps], pps: [H265_PPS] });
  t.is(configForKeyFrame("h265", frame(H265_SPS_640), undefined).width, 640);
  t.throws(() => configForKeyFrame("h265", frame(h265Sps({ vpsId: 3 })), undefined), { instanceOf: MissingParameterSetError, message: /VPS 3/ });
});
