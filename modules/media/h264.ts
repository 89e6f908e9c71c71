/**
 * H.264 / AVC: NAL types, SPS parsing (ITU-T H.264 7.3.2.1.1, E.1.1), codec string
 * (RFC 6381: avc1.PPCCLL) and the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1),
 * which is both the MP4 `avcC` payload and the FLV AVC sequence header.
 */
import { BitReader, removeEmulationPrevention } from "./bit-reader.js";
import { nalType } from "./annexb.js";
import { BitstreamError, TruncatedError, UnsupportedError } from "./errors.js";

export const H264_NAL = Object.freeze({
  SLICE: 1,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  END_OF_SEQUENCE: 10,
  END_OF_STREAM: 11,
  FILLER: 12,
} as const);

export interface H264Sps {
  profileIdc: number;
  constraintFlags: number; // the byte after profile_idc
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  frameMbsOnly: boolean;
  codedWidth: number;
  codedHeight: number;
  /** Display size after frame cropping. */
  width: number;
  height: number;
  sarWidth: number;
  sarHeight: number;
  /** Frames per second from VUI timing (time_scale / (2 * num_units_in_tick)), if present. */
  frameRate?: number;
}

const SAR_TABLE: ReadonlyArray<readonly [number, number]> = Object.freeze(([
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
] as Array<[number, number]>).map((pair) => Object.freeze(pair)));

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.seRange(-128, 127, "delta_scale");
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/** Parses an SPS NAL unit (with its 1-byte header). Throws TruncatedError / BitstreamError. */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length < 4) throw new TruncatedError("H.264 SPS too short");
  if (nalType("h264", nal) !== H264_NAL.SPS) throw new BitstreamError("not an H.264 SPS");
  const r = new BitReader(removeEmulationPrevention(nal), 1);
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const spsId = r.ueMax(31, "seq_parameter_set_id");
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (
    profileIdc === 100 || profileIdc === 110 || profileIdc === 122 || profileIdc === 244 ||
    profileIdc === 44 || profileIdc === 83 || profileIdc === 86 || profileIdc === 118 ||
    profileIdc === 128 || profileIdc === 138 || profileIdc === 139 || profileIdc === 134 ||
    profileIdc === 135
  ) {
    chromaFormatIdc = r.ueMax(3, "chroma_format_idc");
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = r.ueMax(6, "bit_depth_luma_minus8") + 8;
    bitDepthChroma = r.ueMax(6, "bit_depth_chroma_minus8") + 8;
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      const count = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < count; i++) {
        if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.ueMax(12, "log2_max_frame_num_minus4");
  const pocType = r.ueMax(2, "pic_order_cnt_type");
  if (pocType === 0) {
    r.ueMax(12, "log2_max_pic_order_cnt_lsb_minus4");
  } else if (pocType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.seRange(-I32, I32, "offset_for_non_ref_pic");
    r.seRange(-I32, I32, "offset_for_top_to_bottom_field");
    const cycle = r.ueMax(255, "num_ref_frames_in_pic_order_cnt_cycle");
    for (let i = 0; i < cycle; i++) r.seRange(-I32, I32, "offset_for_ref_frame");
  }
  // MaxDpbFrames is at most 16 (A.3.1 h, A.3.2 f), whatever the level.
  const maxRefFrames = r.ueMax(MAX_DPB_FRAMES, "max_num_ref_frames");
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ueMax(1023, "pic_width_in_mbs_minus1") + 1;
  const heightMapUnits = r.ueMax(1023, "pic_height_in_map_units_minus1") + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  const codedWidth = widthMbs * 16;
  const codedHeight = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16;
  let width = codedWidth;
  let height = codedHeight;
  if (r.flag()) {
    const left = r.ue();
    const right = r.ue();
    const top = r.ue();
    const bottom = r.ue();
    const chromaArray = separateColourPlane ? 0 : chromaFormatIdc;
    const cropX = chromaArray === 0 ? 1 : chromaArray === 3 ? 1 : 2;
    const cropY = (chromaArray === 1 ? 2 : 1) * (frameMbsOnly ? 1 : 2);
    width = codedWidth - cropX * (left + right);
    height = codedHeight - cropY * (top + bottom);
    if (width <= 0 || height <= 0) throw new BitstreamError("frame cropping larger than picture");
  }
  const sps: H264Sps = {
    profileIdc, constraintFlags, levelIdc, spsId, chromaFormatIdc, bitDepthLuma, bitDepthChroma,
    frameMbsOnly, codedWidth, codedHeight, width, height, sarWidth: 1, sarHeight: 1,
  };
  if (r.flag()) parseVui(r, sps, maxRefFrames);
  checkStopBit(r);
  return sps;
}

/**
 * The RBSP's stop bit must follow the last field, then zero bits to the byte boundary: a field
 * read past it (a damaged length or flag earlier on) is what decoders report as an overread.
 * Whole bytes after it are not looked at.
 */
export function checkStopBit(r: BitReader): void {
  if (r.bit() !== 1) throw new BitstreamError("rbsp_stop_one_bit missing: fields run past the end of the SPS");
  while ((r.bitPosition & 7) !== 0) {
    if (r.bit() !== 0) throw new BitstreamError("rbsp_alignment_zero_bit is not 0");
  }
}

const I32 = 2 ** 31 - 1;
const MAX_DPB_FRAMES = 16;

/**
 * The start both standards' VUI share (H.264 E.1.1, H.265 E.2.1): aspect ratio (17..254
 * reserved), overscan, video signal type, chroma sample locations (0..5). Returns the sample
 * aspect ratio when one is given.
 */
export function parseVuiHead(r: BitReader): [number, number] | undefined {
  let sar: [number, number] | undefined;
  if (r.flag()) {
    const idc = r.u(8);
    if (idc === 255) sar = [r.u(16), r.u(16)];
    else if (idc >= SAR_TABLE.length) throw new BitstreamError(`aspect_ratio_idc ${idc} is reserved`);
    else if (idc > 0) sar = [SAR_TABLE[idc][0], SAR_TABLE[idc][1]];
  }
  if (r.flag()) r.skip(1); // overscan_appropriate_flag
  if (r.flag()) {
    r.skip(4); // video_format, video_full_range_flag
    if (r.flag()) r.skip(24); // colour description
  }
  if (r.flag()) {
    r.ueMax(5, "chroma_sample_loc_type_top_field");
    r.ueMax(5, "chroma_sample_loc_type_bottom_field");
  }
  return sar;
}

/** hrd_parameters() (E.1.2) with the ranges of E.2.2. */
function skipHrd(r: BitReader): void {
  const cpbCnt = r.ueMax(31, "cpb_cnt_minus1") + 1;
  r.skip(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCnt; i++) {
    r.ueMax(2 ** 32 - 2, "bit_rate_value_minus1");
    r.ueMax(2 ** 32 - 2, "cpb_size_value_minus1");
    r.skip(1); // cbr_flag
  }
  r.skip(20); // initial_cpb_removal_delay_length_minus1 .. time_offset_length
}

/**
 * vui_parameters() (E.1.1) with the constraints of E.2.1: reserved aspect_ratio_idc (17..254),
 * chroma sample location types above 5, zero timing values, out-of-range bitstream restriction
 * fields. Every field is read, so an SPS cut short is a TruncatedError as in a decoder.
 */
function parseVui(r: BitReader, sps: H264Sps, maxRefFrames: number): void {
  const sar = parseVuiHead(r);
  if (sar) {
    sps.sarWidth = sar[0];
    sps.sarHeight = sar[1];
  }
  if (r.flag()) {
    const unitsInTick = r.u(32);
    const timeScale = r.u(32);
    if (unitsInTick === 0 || timeScale === 0) throw new BitstreamError("num_units_in_tick and time_scale must be greater than 0");
    sps.frameRate = timeScale / (2 * unitsInTick);
    r.skip(1); // fixed_frame_rate_flag
  }
  const nalHrd = r.flag();
  if (nalHrd) skipHrd(r);
  const vclHrd = r.flag();
  if (vclHrd) skipHrd(r);
  if (nalHrd || vclHrd) r.skip(1); // low_delay_hrd_flag
  r.skip(1); // pic_struct_present_flag
  if (r.flag()) {
    // bitstream_restriction
    r.skip(1); // motion_vectors_over_pic_boundaries_flag
    r.ueMax(16, "max_bytes_per_pic_denom");
    r.ueMax(16, "max_bits_per_mb_denom");
    r.ueMax(16, "log2_max_mv_length_horizontal");
    r.ueMax(16, "log2_max_mv_length_vertical");
    const reorder = r.ueMax(MAX_DPB_FRAMES, "max_num_reorder_frames");
    const buffering = r.ueMax(MAX_DPB_FRAMES, "max_dec_frame_buffering");
    if (reorder > buffering) throw new BitstreamError("max_num_reorder_frames larger than max_dec_frame_buffering");
    if (buffering < maxRefFrames) throw new BitstreamError("max_dec_frame_buffering smaller than max_num_ref_frames");
  }
}

/** pic_parameter_set_id and seq_parameter_set_id of a PPS NAL unit (7.3.2.2). */
export function h264PpsIds(nal: Uint8Array): { ppsId: number; spsId: number } {
  const r = new BitReader(removeEmulationPrevention(nal), 1);
  return { ppsId: r.ueMax(255, "pic_parameter_set_id"), spsId: r.ueMax(31, "seq_parameter_set_id") };
}

/** Throws UnsupportedError when a NAL of `list` is longer than a 16-bit length field holds. */
export function checkNalLengths(box: string, kind: string, list: Uint8Array[]): void {
  for (const n of list) {
    if (n.length > 0xffff) throw new UnsupportedError(`${box} holds ${kind} units of at most 65535 bytes, got ${n.length}`);
  }
}

function hex2(v: number): string {
  return (v < 16 ? "0" : "") + v.toString(16);
}

/** RFC 6381 codec string, e.g. "avc1.4d401e". */
export function avcCodecString(sps: H264Sps): string {
  return "avc1." + hex2(sps.profileIdc) + hex2(sps.constraintFlags) + hex2(sps.levelIdc);
}

/** AVCDecoderConfigurationRecord with 4-byte NAL lengths. */
export function buildAvcDecoderConfig(spsList: Uint8Array[], ppsList: Uint8Array[], sps: H264Sps): Uint8Array {
  // The record's fields: numOfSequenceParameterSets is 5 bits, numOfPictureParameterSets 8 bits,
  // every length 16 bits. Refuse what it cannot hold rather than write a corrupt record.
  if (spsList.length > 31) throw new UnsupportedError(`avcC holds at most 31 SPS, got ${spsList.length}`);
  if (ppsList.length > 255) throw new UnsupportedError(`avcC holds at most 255 PPS, got ${ppsList.length}`);
  checkNalLengths("avcC", "SPS", spsList);
  checkNalLengths("avcC", "PPS", ppsList);
  const high = sps.profileIdc === 100 || sps.profileIdc === 110 || sps.profileIdc === 122 || sps.profileIdc === 144;
  let size = 7 + (high ? 4 : 0);
  for (const s of spsList) size += 2 + s.length;
  for (const p of ppsList) size += 2 + p.length;
  const out = new Uint8Array(size);
  let o = 0;
  out[o++] = 1;
  out[o++] = sps.profileIdc;
  out[o++] = sps.constraintFlags;
  out[o++] = sps.levelIdc;
  out[o++] = 0xff; // reserved 6 bits + lengthSizeMinusOne = 3
  out[o++] = 0xe0 | (spsList.length & 0x1f);
  for (const s of spsList) {
    out[o++] = s.length >> 8;
    out[o++] = s.length & 0xff;
    out.set(s, o);
    o += s.length;
  }
  out[o++] = ppsList.length & 0xff;
  for (const p of ppsList) {
    out[o++] = p.length >> 8;
    out[o++] = p.length & 0xff;
    out.set(p, o);
    o += p.length;
  }
  if (high) {
    out[o++] = 0xfc | sps.chromaFormatIdc;
    out[o++] = 0xf8 | (sps.bitDepthLuma - 8);
    out[o++] = 0xf8 | (sps.bitDepthChroma - 8);
    out[o++] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}
