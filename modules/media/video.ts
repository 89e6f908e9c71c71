/**
 * Codec-neutral view of an H.264/H.265 access unit and of the decoder configuration derived
 * from its parameter sets, shared by the fMP4 and FLV muxers.
 *
 * Samples keep every NAL except parameter sets (SPS/PPS/VPS — they live in avcC/hvcC and the
 * sequence headers) and access unit delimiters. Parameter sets are only taken from key frames
 * (IDR for H.264, IRAP for H.265); a key frame whose parameter sets differ byte-wise from the
 * current configuration starts a new configuration (new init segment / FLV sequence header).
 */
import { isKeyNal, nalType, scanNalUnits, type VideoCodec } from "./annexb.js";
import { BitstreamError, MissingParameterSetError, TruncatedError } from "./errors.js";
import { avcCodecString, buildAvcDecoderConfig, H264_NAL, h264PpsIds, parseH264Sps } from "./h264.js";
import { buildHevcDecoderConfig, H265_NAL, h265PpsIds, h265VpsId, hevcCodecString, parseH265Sps } from "./h265.js";

export interface VideoFrame {
  /** NAL units stored in the sample (subarrays of the input). */
  nals: Uint8Array[];
  /** Sum over `nals` of 4 + length: the sample size with 4-byte length prefixes. */
  sampleSize: number;
  key: boolean;
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

/** A decoder configuration: frozen, shared by tracks and muxers (compared by identity). */
export interface VideoConfig {
  readonly codec: VideoCodec;
  readonly vps: readonly Uint8Array[];
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
  readonly width: number;
  readonly height: number;
  readonly frameRate?: number;
  /** RFC 6381 / 14496-15 codec string. */
  readonly codecString: string;
  /** avcC / hvcC payload (AVC/HEVCDecoderConfigurationRecord); do not modify. */
  readonly decoderConfig: Uint8Array;
}

const NONE: Uint8Array[] = [];
Object.freeze(NONE);

/** `list` with `nal` added unless a byte-equal one is there (a new list when `list` is NONE). */
function pushUnique(list: Uint8Array[], nal: Uint8Array): Uint8Array[] {
  for (let i = 0; i < list.length; i++) if (bytesEqual(list[i], nal)) return list; // for-of allocates on XS
  if (list === NONE) return [nal];
  list.push(nal);
  return list;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function listsEqual(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!bytesEqual(a[i], b[i])) return false;
  return true;
}

/**
 * Splits and classifies one Annex-B access unit. Throws EmptyFrameError, BitstreamError
 * (garbage, forbidden bit, no slice) or TruncatedError (NAL shorter than its header).
 */
export function analyzeAccessUnit(codec: VideoCodec, au: Uint8Array): VideoFrame {
  const spans = scanNalUnits(au);
  // Parameter-set lists are made only when the unit has some (most have none).
  const frame: VideoFrame = { nals: [], sampleSize: 0, key: false, vps: NONE, sps: NONE, pps: NONE };
  const nals = frame.nals;
  const h264 = codec === "h264";
  let sampleSize = 0;
  let slices = 0;
  for (let i = 0; i < spans.length; i += 3) {
    const start = spans[i + 1];
    const length = spans[i + 2] - start;
    const t = nalType(codec, au, start);
    if (h264) {
      if (length < 2 && t !== H264_NAL.END_OF_SEQUENCE && t !== H264_NAL.END_OF_STREAM) {
        throw new TruncatedError("H.264 NAL unit truncated");
      }
      if (t >= 1 && t <= 5) {
        slices++;
        if (isKeyNal(codec, au, start, start + length)) frame.key = true;
      } else if (t === H264_NAL.SPS) {
        frame.sps = pushUnique(frame.sps, au.subarray(start, start + length));
        continue;
      } else if (t === H264_NAL.PPS) {
        frame.pps = pushUnique(frame.pps, au.subarray(start, start + length));
        continue;
      } else if (t === H264_NAL.AUD) continue;
    } else {
      if (length < 2) throw new TruncatedError("H.265 NAL header truncated");
      if (length < 3 && t !== H265_NAL.EOS && t !== H265_NAL.EOB) throw new TruncatedError("H.265 NAL unit truncated");
      if (t < 32) {
        slices++;
        if (isKeyNal(codec, au, start, start + length)) frame.key = true;
      } else if (t === H265_NAL.VPS) {
        frame.vps = pushUnique(frame.vps, au.subarray(start, start + length));
        continue;
      } else if (t === H265_NAL.SPS) {
        frame.sps = pushUnique(frame.sps, au.subarray(start, start + length));
        continue;
      } else if (t === H265_NAL.PPS) {
        frame.pps = pushUnique(frame.pps, au.subarray(start, start + length));
        continue;
      } else if (t === H265_NAL.AUD) continue;
    }
    nals.push(au.subarray(start, start + length));
    sampleSize += 4 + length;
  }
  if (slices === 0) throw new BitstreamError("access unit without a slice NAL unit");
  frame.sampleSize = sampleSize;
  return frame;
}

/**
 * Returns the configuration for a key frame: `current` when the frame carries no parameter sets
 * or the same ones, otherwise a new configuration (parameter sets missing from the frame are
 * taken from `current`). Throws MissingParameterSetError when some set is known from neither,
 * and TruncatedError / BitstreamError for a malformed SPS.
 */
export function configForKeyFrame(codec: VideoCodec, frame: VideoFrame, current: VideoConfig | undefined): VideoConfig {
  const vps = codec === "h265" && frame.vps.length > 0 ? frame.vps : current ? current.vps : [];
  const sps = frame.sps.length > 0 ? frame.sps : current ? current.sps : [];
  const pps = frame.pps.length > 0 ? frame.pps : current ? current.pps : [];
  if (current && sameSets(current, codec, vps, sps, pps)) return current;
  // A camera's streams repeat their configuration: a recent one with the same sets is reused
  // (configurations are frozen, so tracks and muxers can share them).
  for (let i = 0; i < recent.length; i++) if (sameSets(recent[i], codec, vps, sps, pps)) return recent[i];
  const config = newConfig(codec, vps, sps, pps);
  if (recent.length >= RECENT_CONFIGS) recent.pop();
  recent.unshift(config);
  return config;
}

const RECENT_CONFIGS = 4;
const recent: VideoConfig[] = [];

function sameSets(c: VideoConfig, codec: VideoCodec, vps: readonly Uint8Array[], sps: readonly Uint8Array[], pps: readonly Uint8Array[]): boolean {
  return c.codec === codec && listsEqual(vps, c.vps) && listsEqual(sps, c.sps) && listsEqual(pps, c.pps);
}

function freeze(c: VideoConfig): VideoConfig {
  Object.freeze(c.vps);
  Object.freeze(c.sps);
  Object.freeze(c.pps);
  return Object.freeze(c);
}

/** Every PPS must refer to an SPS of the configuration (else the stream cannot be decoded). */
function checkReferences(spsIds: number[], ppsSpsIds: number[]): void {
  for (const id of ppsSpsIds) {
    if (spsIds.indexOf(id) < 0) throw new MissingParameterSetError(`PPS refers to SPS ${id}, which is missing`);
  }
}

function newConfig(codec: VideoCodec, vps: readonly Uint8Array[], sps: readonly Uint8Array[], pps: readonly Uint8Array[]): VideoConfig {
  if (sps.length === 0 || pps.length === 0 || (codec === "h265" && vps.length === 0)) {
    throw new MissingParameterSetError(codec === "h265" ? "key frame without VPS/SPS/PPS" : "key frame without SPS/PPS");
  }
  // Parameter sets are stored in the config and outlive the access unit: copy these few bytes.
  const own = (l: readonly Uint8Array[]) => l.map((n) => n.slice());
  if (codec === "h264") {
    const info = parseH264Sps(sps[0]);
    checkReferences(sps.map((n) => (n === sps[0] ? info.spsId : parseH264Sps(n).spsId)), pps.map((n) => h264PpsIds(n).spsId));
    const s = own(sps);
    const p = own(pps);
    return freeze({
      codec, vps: [], sps: s, pps: p, width: info.width, height: info.height, frameRate: info.frameRate,
      codecString: avcCodecString(info), decoderConfig: buildAvcDecoderConfig(s, p, info),
    });
  }
  const info = parseH265Sps(sps[0]);
  const spsInfo = sps.map((n) => (n === sps[0] ? info : parseH265Sps(n)));
  checkReferences(spsInfo.map((x) => x.spsId), pps.map((n) => h265PpsIds(n).spsId));
  const vpsIds = vps.map(h265VpsId);
  for (const x of spsInfo) {
    if (vpsIds.indexOf(x.vpsId) < 0) throw new MissingParameterSetError(`SPS refers to VPS ${x.vpsId}, which is missing`);
  }
  const v = own(vps);
  const s = own(sps);
  const p = own(pps);
  return freeze({
    codec, vps: v, sps: s, pps: p, width: info.width, height: info.height, frameRate: info.frameRate,
    codecString: hevcCodecString(info), decoderConfig: buildHevcDecoderConfig(v, s, p, info),
  });
}
