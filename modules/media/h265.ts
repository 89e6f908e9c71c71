/**
 * H.265 / HEVC: NAL types, SPS parsing (ITU-T H.265 7.3.2.2, 7.3.3, 7.3.7, E.2.1), the codec
 * string of ISO/IEC 14496-15 Annex E (e.g. "hvc1.1.6.L93.B0") and the
 * HEVCDecoderConfigurationRecord (14496-15 8.3.3.1): the MP4 `hvcC` payload and the
 * enhanced-FLV HEVC sequence start.
 */
import { BitReader, removeEmulationPrevention } from "./bit-reader.js";
import { nalType } from "./annexb.js";
import { BitstreamError, TruncatedError, UnsupportedError } from "./errors.js";
import { checkNalLengths, checkStopBit, parseVuiHead } from "./h264.js";

export const H265_NAL = Object.freeze({
  BLA_W_LP: 16,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA: 21,
  RSV_IRAP_23: 23,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  EOS: 36,
  EOB: 37,
  FILLER: 38,
  PREFIX_SEI: 39,
  SUFFIX_SEI: 40,
} as const);

export interface H265Sps {
  profileSpace: number;
  tierFlag: number;
  profileIdc: number;
  profileCompatibilityFlags: number; // 32 bits, unsigned
  constraintIndicatorFlags: Uint8Array; // 6 bytes
  levelIdc: number;
  maxSubLayers: number;
  temporalIdNesting: boolean;
  /** sps_video_parameter_set_id: the VPS this SPS needs. */
  vpsId: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  codedWidth: number;
  codedHeight: number;
  /** Display size after the conformance window. */
  width: number;
  height: number;
  /** Frames per second from VUI timing (time_scale / num_units_in_tick), if present. */
  frameRate?: number;
}

const MAX_DPB_SIZE = 16;

/** scaling_list_data() (7.3.4) with the ranges of 7.4.5. */
function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.flag()) {
        r.ueMax(sizeId === 3 ? matrixId / 3 : matrixId, "scaling_list_pred_matrix_id_delta");
      } else {
        const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
        if (sizeId > 1) r.seRange(-7, 247, "scaling_list_dc_coef_minus8");
        for (let i = 0; i < coefNum; i++) r.seRange(-128, 127, "scaling_list_delta_coef");
      }
    }
  }
}

/** sub_layer_hrd_parameters() (E.2.3). */
function skipSubLayerHrd(r: BitReader, cpbCnt: number, subPic: boolean): void {
  for (let i = 0; i < cpbCnt; i++) {
    r.ueMax(2 ** 32 - 2, "bit_rate_value_minus1");
    r.ueMax(2 ** 32 - 2, "cpb_size_value_minus1");
    if (subPic) {
      r.ueMax(2 ** 32 - 2, "cpb_size_du_value_minus1");
      r.ueMax(2 ** 32 - 2, "bit_rate_du_value_minus1");
    }
    r.skip(1); // cbr_flag
  }
}

/** hrd_parameters(1, maxSubLayersMinus1) (E.2.2) with the ranges of E.3.2. */
function skipHrd(r: BitReader, maxSubLayersMinus1: number): void {
  const nal = r.flag();
  const vcl = r.flag();
  let subPic = false;
  if (nal || vcl) {
    subPic = r.flag();
    if (subPic) r.skip(19); // tick_divisor_minus2 .. dpb_output_delay_du_length_minus1
    r.skip(8); // bit_rate_scale, cpb_size_scale
    if (subPic) r.skip(4); // cpb_size_du_scale
    r.skip(15); // initial_cpb_removal_delay_length_minus1 .. dpb_output_delay_length_minus1
  }
  for (let i = 0; i <= maxSubLayersMinus1; i++) {
    const general = r.flag();
    const withinCvs = general ? true : r.flag();
    let lowDelay = false;
    if (withinCvs) r.ueMax(2047, "elemental_duration_in_tc_minus1");
    else lowDelay = r.flag();
    const cpbCnt = lowDelay ? 1 : r.ueMax(31, "cpb_cnt_minus1") + 1;
    if (nal) skipSubLayerHrd(r, cpbCnt, subPic);
    if (vcl) skipSubLayerHrd(r, cpbCnt, subPic);
  }
}

/**
 * vui_parameters() (E.2.1) with the constraints of E.3.1: reserved aspect_ratio_idc (17..254),
 * chroma sample location types above 5, zero timing values, out-of-range bitstream restriction
 * fields. Every field is read, so an SPS cut short is a TruncatedError as in a decoder.
 */
function parseVui(r: BitReader, sps: H265Sps, maxSubLayersMinus1: number): void {
  parseVuiHead(r);
  r.skip(3); // neutral_chroma_indication, field_seq, frame_field_info_present
  if (r.flag()) {
    // default display window
    r.ue();
    r.ue();
    r.ue();
    r.ue();
  }
  if (r.flag()) {
    const unitsInTick = r.u(32);
    const timeScale = r.u(32);
    if (unitsInTick === 0 || timeScale === 0) throw new BitstreamError("vui_num_units_in_tick and vui_time_scale must be greater than 0");
    sps.frameRate = timeScale / unitsInTick;
    if (r.flag()) r.ueMax(2 ** 32 - 2, "vui_num_ticks_poc_diff_one_minus1");
    if (r.flag()) skipHrd(r, maxSubLayersMinus1);
  }
  if (r.flag()) {
    r.skip(3); // tiles_fixed_structure, motion_vectors_over_pic_boundaries, restricted_ref_pic_lists
    r.ueMax(4095, "min_spatial_segmentation_idc");
    r.ueMax(16, "max_bytes_per_pic_denom");
    r.ueMax(16, "max_bits_per_min_cu_denom");
    r.ueMax(15, "log2_max_mv_length_horizontal");
    r.ueMax(15, "log2_max_mv_length_vertical");
  }
}

/** Parses an SPS NAL unit (with its 2-byte header). Throws TruncatedError / BitstreamError. */
export function parseH265Sps(nal: Uint8Array): H265Sps {
  if (nal.length < 16) throw new TruncatedError("H.265 SPS too short");
  if (nalType("h265", nal) !== H265_NAL.SPS) throw new BitstreamError("not an H.265 SPS");
  const rbsp = removeEmulationPrevention(nal);
  const r = new BitReader(rbsp, 2);
  const vpsId = r.u(4);
  const maxSubLayersMinus1 = r.u(3);
  if (maxSubLayersMinus1 > 6) throw new BitstreamError("sps_max_sub_layers_minus1 out of range");
  const temporalIdNesting = r.flag();
  // profile_tier_level(1, maxSubLayersMinus1)
  const profileSpace = r.u(2);
  if (profileSpace !== 0) throw new BitstreamError(`general_profile_space ${profileSpace} is reserved`);
  const tierFlag = r.u(1);
  const profileIdc = r.u(5);
  const profileCompatibilityFlags = r.u(32);
  const ptlByte = r.bitPosition >> 3; // byte aligned here (2 + 1 + 1 + 4 bytes)
  if (ptlByte + 7 > rbsp.length) throw new TruncatedError("H.265 SPS too short");
  const constraintIndicatorFlags = rbsp.slice(ptlByte, ptlByte + 6);
  r.skip(48);
  const levelIdc = r.u(8);
  const subProfile: boolean[] = [];
  const subLevel: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subProfile.push(r.flag());
    subLevel.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subProfile[i]) r.skip(88);
    if (subLevel[i]) r.skip(8);
  }
  const spsId = r.ueMax(15, "sps_seq_parameter_set_id");
  const chromaFormatIdc = r.ueMax(3, "chroma_format_idc");
  let separateColourPlane = false;
  if (chromaFormatIdc === 3) separateColourPlane = r.flag();
  const codedWidth = r.ueMax(16888, "pic_width_in_luma_samples");
  const codedHeight = r.ueMax(16888, "pic_height_in_luma_samples");
  if (codedWidth === 0 || codedHeight === 0) throw new BitstreamError("zero picture size");
  let width = codedWidth;
  let height = codedHeight;
  if (r.flag()) {
    const left = r.ue();
    const right = r.ue();
    const top = r.ue();
    const bottom = r.ue();
    const chromaArray = separateColourPlane ? 0 : chromaFormatIdc;
    const subW = chromaArray === 1 || chromaArray === 2 ? 2 : 1;
    const subH = chromaArray === 1 ? 2 : 1;
    width = codedWidth - subW * (left + right);
    height = codedHeight - subH * (top + bottom);
    if (width <= 0 || height <= 0) throw new BitstreamError("conformance window larger than picture");
  }
  const bitDepthLuma = r.ueMax(8, "bit_depth_luma_minus8") + 8;
  const bitDepthChroma = r.ueMax(8, "bit_depth_chroma_minus8") + 8;
  const log2MaxPocLsb = r.ueMax(12, "log2_max_pic_order_cnt_lsb_minus4") + 4;
  const orderingInfo = r.flag();
  let maxDecMinus1 = 0;
  for (let i = orderingInfo ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    // MaxDpbSize is at most 16 (A.4.2); each sub-layer's values are at least the previous ones.
    const dec = r.ueMax(MAX_DPB_SIZE - 1, "sps_max_dec_pic_buffering_minus1");
    const reorder = r.ueMax(dec, "sps_max_num_reorder_pics");
    r.ueMax(2 ** 32 - 2, "sps_max_latency_increase_plus1");
    if (dec < maxDecMinus1) throw new BitstreamError("sps_max_dec_pic_buffering_minus1 decreasing across sub-layers");
    maxDecMinus1 = dec;
    if (reorder > dec) throw new BitstreamError("sps_max_num_reorder_pics out of range");
  }
  // Block sizes (7.4.3.2.1 and A.3): CtbLog2SizeY 4..6, MinTbLog2SizeY < MinCbLog2SizeY,
  // MaxTbLog2SizeY <= Min(CtbLog2SizeY, 5), the picture a whole number of minimum coding blocks.
  const minCb = r.ueMax(3, "log2_min_luma_coding_block_size_minus3") + 3;
  const ctb = minCb + r.ueMax(3, "log2_diff_max_min_luma_coding_block_size");
  if (ctb < 4 || ctb > 6) throw new BitstreamError(`CtbLog2SizeY out of range: ${ctb}`);
  if (codedWidth % (1 << minCb) !== 0 || codedHeight % (1 << minCb) !== 0) {
    throw new BitstreamError("picture size not a multiple of the minimum coding block");
  }
  const minTb = r.ueMax(minCb - 3, "log2_min_luma_transform_block_size_minus2") + 2;
  r.ueMax(Math.min(ctb, 5) - minTb, "log2_diff_max_min_luma_transform_block_size");
  r.ueMax(ctb - minTb, "max_transform_hierarchy_depth_inter");
  r.ueMax(ctb - minTb, "max_transform_hierarchy_depth_intra");
  if (r.flag() && r.flag()) skipScalingListData(r);
  r.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (r.flag()) {
    // PCM samples cannot be deeper than the picture's, nor PCM blocks outside the CB range.
    r.uMax(4, bitDepthLuma - 1, "pcm_sample_bit_depth_luma_minus1");
    r.uMax(4, bitDepthChroma - 1, "pcm_sample_bit_depth_chroma_minus1");
    const minPcm = r.ueMax(Math.min(ctb, 5) - 3, "log2_min_pcm_luma_coding_block_size_minus3") + 3;
    if (minPcm < Math.min(minCb, 5)) throw new BitstreamError("log2_min_pcm_luma_coding_block_size out of range");
    r.ueMax(Math.min(ctb, 5) - minPcm, "log2_diff_max_min_pcm_luma_coding_block_size");
    r.skip(1); // pcm_loop_filter_disabled_flag
  }
  const numStRps = r.ueMax(64, "num_short_term_ref_pic_sets");
  const numDeltaPocs: number[] = [];
  for (let i = 0; i < numStRps; i++) {
    let interPred = false;
    if (i !== 0) interPred = r.flag();
    if (interPred) {
      r.skip(1); // delta_rps_sign
      r.ueMax(2 ** 15 - 1, "abs_delta_rps_minus1");
      const ref = numDeltaPocs[i - 1];
      let count = 0;
      for (let j = 0; j <= ref; j++) {
        const used = r.flag();
        const useDelta = used ? true : r.flag();
        if (useDelta) count++;
      }
      if (count > maxDecMinus1) throw new BitstreamError("short-term reference picture set larger than the DPB");
      numDeltaPocs.push(count);
    } else {
      const neg = r.ueMax(maxDecMinus1, "num_negative_pics");
      const pos = r.ueMax(maxDecMinus1 - neg, "num_positive_pics");
      for (let j = 0; j < neg + pos; j++) {
        r.ueMax(2 ** 15 - 1, "delta_poc_minus1");
        r.skip(1);
      }
      numDeltaPocs.push(neg + pos);
    }
  }
  if (r.flag()) {
    const numLt = r.ueMax(32, "num_long_term_ref_pics_sps");
    for (let i = 0; i < numLt; i++) r.skip(log2MaxPocLsb + 1);
  }
  r.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  const sps: H265Sps = {
    profileSpace, tierFlag, profileIdc, profileCompatibilityFlags, constraintIndicatorFlags, levelIdc,
    maxSubLayers: maxSubLayersMinus1 + 1, temporalIdNesting, vpsId, spsId, chromaFormatIdc, bitDepthLuma,
    bitDepthChroma, codedWidth, codedHeight, width, height,
  };
  if (r.flag()) parseVui(r, sps, maxSubLayersMinus1);
  if (!r.flag()) checkStopBit(r); // sps_extension_present_flag: extensions are not parsed
  return sps;
}

/** pps_pic_parameter_set_id and pps_seq_parameter_set_id of a PPS NAL unit (7.3.2.3.1). */
export function h265PpsIds(nal: Uint8Array): { ppsId: number; spsId: number } {
  const r = new BitReader(removeEmulationPrevention(nal), 2);
  return { ppsId: r.ueMax(63, "pps_pic_parameter_set_id"), spsId: r.ueMax(15, "pps_seq_parameter_set_id") };
}

/** vps_video_parameter_set_id of a VPS NAL unit (its first 4 bits). */
export function h265VpsId(vps: Uint8Array): number {
  if (vps.length < 3) throw new TruncatedError("H.265 VPS too short");
  return vps[2] >> 4;
}

function hexUpper(v: number): string {
  return v.toString(16).toUpperCase();
}

/** ISO/IEC 14496-15 Annex E codec string, e.g. "hvc1.1.6.L93.B0". */
export function hevcCodecString(sps: H265Sps): string {
  const space = ["", "A", "B", "C"][sps.profileSpace];
  let reversed = 0;
  for (let i = 0; i < 32; i++) {
    // + 2^(31-i), not |= 1 << (31-i): XS shifts in C's int, where 1 << 31 is undefined behaviour.
    if (((sps.profileCompatibilityFlags >>> i) & 1) !== 0) reversed += 2 ** (31 - i);
  }
  let s = "hvc1." + space + sps.profileIdc + "." + hexUpper(reversed) + "." +
    (sps.tierFlag ? "H" : "L") + sps.levelIdc;
  const c = sps.constraintIndicatorFlags;
  let last = c.length;
  while (last > 0 && c[last - 1] === 0) last--;
  for (let i = 0; i < last; i++) s += "." + hexUpper(c[i]);
  return s;
}

/** HEVCDecoderConfigurationRecord with 4-byte NAL lengths and complete VPS/SPS/PPS arrays. */
export function buildHevcDecoderConfig(
  vpsList: Uint8Array[], spsList: Uint8Array[], ppsList: Uint8Array[], sps: H265Sps,
): Uint8Array {
  const arrays: [number, Uint8Array[]][] = [[H265_NAL.VPS, vpsList], [H265_NAL.SPS, spsList], [H265_NAL.PPS, ppsList]];
  // numNalus and nalUnitLength are 16-bit fields: refuse what the record cannot hold.
  for (const [type, list] of arrays) {
    const kind = type === H265_NAL.VPS ? "VPS" : type === H265_NAL.SPS ? "SPS" : "PPS";
    if (list.length > 0xffff) throw new UnsupportedError(`hvcC holds at most 65535 ${kind} units, got ${list.length}`);
    checkNalLengths("hvcC", kind, list);
  }
  let size = 23;
  for (const [, list] of arrays) {
    size += 3;
    for (const n of list) size += 2 + n.length;
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out[0] = 1;
  out[1] = (sps.profileSpace << 6) | (sps.tierFlag << 5) | sps.profileIdc;
  dv.setUint32(2, sps.profileCompatibilityFlags);
  out.set(sps.constraintIndicatorFlags, 6);
  out[12] = sps.levelIdc;
  dv.setUint16(13, 0xf000); // min_spatial_segmentation_idc = 0
  out[15] = 0xfc; // parallelismType = 0 (unknown)
  out[16] = 0xfc | sps.chromaFormatIdc;
  out[17] = 0xf8 | (sps.bitDepthLuma - 8);
  out[18] = 0xf8 | (sps.bitDepthChroma - 8);
  dv.setUint16(19, 0); // avgFrameRate unknown
  out[21] = (sps.maxSubLayers << 3) | ((sps.temporalIdNesting ? 1 : 0) << 2) | 3; // constantFrameRate 0, lengthSizeMinusOne 3
  out[22] = arrays.length;
  let o = 23;
  for (const [type, list] of arrays) {
    out[o++] = 0x80 | type; // array_completeness = 1
    dv.setUint16(o, list.length);
    o += 2;
    for (const n of list) {
      dv.setUint16(o, n.length);
      o += 2;
      out.set(n, o);
      o += n.length;
    }
  }
  return out;
}
