/**
 * Annex-B byte streams (ITU-T H.264/H.265 Annex B): start-code scanning, NAL splitting and
 * access-unit grouping. NAL units come back as subarrays of the input (no copies).
 *
 * Accepted: 3-byte (00 00 01) and 4-byte (00 00 00 01) start codes, leading zero bytes before the
 * first start code, trailing zero bytes after a NAL (they are trimmed).
 * Rejected (see errors.ts): empty input (EmptyFrameError); no start code or non-zero bytes before
 * the first one (BitstreamError "garbage before first start code"); two start codes with nothing
 * between them (BitstreamError); a start code at the very end (TruncatedError); a NAL whose
 * forbidden_zero_bit is set (BitstreamError).
 */
import { BitstreamError, EmptyFrameError, TruncatedError } from "./errors.js";

export type VideoCodec = "h264" | "h265";

/** Index of the first byte of the next 00 00 01 at or after `from`, or -1. */
export function findStartCode(data: Uint8Array, from: number): number {
  const n = data.length;
  let i = data.indexOf(0, from);
  while (i !== -1 && i + 2 < n) {
    if (data[i + 1] !== 0) {
      i = data.indexOf(0, i + 2);
    } else if (data[i + 2] === 1) {
      return i;
    } else if (data[i + 2] === 0) {
      i += 1;
    } else {
      i = data.indexOf(0, i + 3);
    }
  }
  return -1;
}

/**
 * A scanner in C (native/annexb, module "annexb" on XS) with the same contract as
 * scanNalUnitsJs, returning the triples or a negative error code. XS runs the byte loop
 * ~100x slower than C, so an XS app installs it at start; Node keeps the JS version.
 */
export type NativeNalScanner = (data: Uint8Array) => number[] | number;
let nativeScanner: NativeNalScanner | undefined;

/** Installs (or, with undefined, removes) the native scanner. */
export function useNativeScanner(scanner: NativeNalScanner | undefined): void {
  nativeScanner = scanner;
}

// Error codes of native/annexb/annexb.h, in order from -301 (annexb's range, native/common/ivxs_status.h).
const NATIVE_ERRORS: ReadonlyArray<() => Error> = [
  () => new EmptyFrameError("empty Annex-B buffer"),
  () => new BitstreamError("no start code found"),
  () => new BitstreamError("garbage before first start code"),
  () => new BitstreamError("empty NAL unit between start codes"),
  () => new TruncatedError("start code at end of data"),
  () => new BitstreamError("forbidden_zero_bit set in NAL header"),
  () => new BitstreamError("too many NAL units"),
  () => new BitstreamError("invalid NAL unit header"),
  () => new BitstreamError("unknown codec"),
];

function nativeError(code: number): Error {
  return (NATIVE_ERRORS[-code - 301] ?? (() => new BitstreamError(`Annex-B scan failed (${code})`)))();
}

/**
 * Scans an Annex-B buffer. Returns a flat list of triples
 * [startCodeOffset, nalStart, nalEnd] (nalEnd exclusive, trailing zeros trimmed).
 * The start-code offset includes a leading zero byte of a 4-byte start code.
 */
export function scanNalUnits(data: Uint8Array): number[] {
  if (nativeScanner) {
    const result = nativeScanner(data);
    if (typeof result !== "number") return result;
    throw nativeError(result);
  }
  return scanNalUnitsJs(data);
}

/** The JS scanner (the reference the C one is tested against). */
export function scanNalUnitsJs(data: Uint8Array): number[] {
  const n = data.length;
  if (n === 0) throw new EmptyFrameError("empty Annex-B buffer");
  let sc = findStartCode(data, 0);
  if (sc === -1) throw new BitstreamError("no start code found");
  for (let i = 0; i < sc; i++) {
    if (data[i] !== 0) throw new BitstreamError("garbage before first start code");
  }
  const out: number[] = [];
  while (sc !== -1) {
    const start = sc + 3;
    const next = findStartCode(data, start);
    let end = next === -1 ? n : next;
    while (end > start && data[end - 1] === 0) end--;
    if (end === start) {
      if (next === -1) throw new TruncatedError("start code at end of data");
      throw new BitstreamError("empty NAL unit between start codes");
    }
    if ((data[start] & 0x80) !== 0) throw new BitstreamError("forbidden_zero_bit set in NAL header");
    const scOffset = sc > 0 && data[sc - 1] === 0 && (out.length === 0 || out[out.length - 1] < sc) ? sc - 1 : sc;
    out.push(scOffset, start, end);
    sc = next;
  }
  return out;
}

/** Splits an Annex-B buffer into NAL units (subarrays of `data`, start codes removed). */
export function splitNalUnits(data: Uint8Array): Uint8Array[] {
  const spans = scanNalUnits(data);
  const nals: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += 3) nals.push(data.subarray(spans[i + 1], spans[i + 2]));
  return nals;
}

/** NAL unit type of the first header byte(s). */
export function nalType(codec: VideoCodec, nal: Uint8Array): number {
  return codec === "h264" ? nal[0] & 0x1f : (nal[0] >> 1) & 0x3f;
}

/** True for VCL (slice) NAL units. */
export function isVcl(codec: VideoCodec, type: number): boolean {
  return codec === "h264" ? type >= 1 && type <= 5 : type < 32;
}

/**
 * Access-unit grouping in C (native/annexb accessUnits on XS): triples [start, end, info] or a
 * negative error code, the same contract as accessUnitSpansJs.
 */
export type NativeAccessUnits = (data: Uint8Array, codec: VideoCodec) => number[] | number;
let nativeAccessUnits: NativeAccessUnits | undefined;

/** Installs (or, with undefined, removes) the native access-unit grouping. */
export function useNativeAccessUnits(grouping: NativeAccessUnits | undefined): void {
  nativeAccessUnits = grouping;
}

/** Bits of the AU info word (IVXS_AU_INFO_* in native/annexb/annexb.h). */
export const AU_INFO = {
  KEY: 1 << 0, PARAMS: 1 << 1, VCL: 1 << 2, VPS: 1 << 3, SPS: 1 << 4, PPS: 1 << 5, AUD: 1 << 6, SEI: 1 << 7,
  COUNT_SHIFT: 8, VCL_TYPE_SHIFT: 16, H265: 1 << 22,
} as const;

/**
 * What one NAL means for access-unit grouping (the rules of native/annexb/annexb.c, which
 * cites the standards): valid, VCL, key, and whether it starts an AU after a VCL NAL.
 * Bytes the NAL does not have read as zero.
 */
function classifyNal(codec: VideoCodec, nal: Uint8Array): { type: number; valid: boolean; vcl: boolean; key: boolean; startsAu: boolean } {
  const b1 = nal.length > 1 ? nal[1] : 0;
  const b2 = nal.length > 2 ? nal[2] : 0;
  if (codec === "h264") {
    const t = nal[0] & 0x1f;
    const slice = t === 1 || t === 2 || t === 5; // partitions B/C (3, 4) carry slice_id instead
    return {
      type: t, valid: (nal[0] & 0x80) === 0, vcl: t >= 1 && t <= 5, key: t === 5,
      startsAu: slice ? (b1 & 0x80) !== 0 : (t >= 6 && t <= 9) || (t >= 14 && t <= 18),
    };
  }
  const t = (nal[0] >> 1) & 0x3f;
  const layer = ((nal[0] & 1) << 5) | (b1 >> 3);
  let startsAu = false;
  if (layer === 0) {
    startsAu = t < 32 ? (b2 & 0x80) !== 0 // first_slice_segment_in_pic_flag
      : (t >= 32 && t <= 35) || t === 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
  }
  return {
    type: t, valid: (nal[0] & 0x80) === 0 && nal.length >= 2 && (b1 & 0x07) !== 0,
    vcl: t < 32, key: t >= 16 && t <= 23 && layer === 0, startsAu,
  };
}

function addToInfo(codec: VideoCodec, info: number, count: number, type: number, vcl: boolean, key: boolean): number {
  if (vcl && !(info & AU_INFO.VCL)) info |= AU_INFO.VCL | (type << AU_INFO.VCL_TYPE_SHIFT);
  if (key) info |= AU_INFO.KEY;
  if (codec === "h264") {
    info |= type === 7 ? AU_INFO.SPS : type === 8 ? AU_INFO.PPS : type === 9 ? AU_INFO.AUD : type === 6 ? AU_INFO.SEI : 0;
    if ((info & AU_INFO.SPS) && (info & AU_INFO.PPS)) info |= AU_INFO.PARAMS;
  } else {
    info |= type === 32 ? AU_INFO.VPS : type === 33 ? AU_INFO.SPS : type === 34 ? AU_INFO.PPS
      : type === 35 ? AU_INFO.AUD : type === 39 || type === 40 ? AU_INFO.SEI : 0;
    if ((info & AU_INFO.VPS) && (info & AU_INFO.SPS) && (info & AU_INFO.PPS)) info |= AU_INFO.PARAMS;
  }
  return (info & ~(0xff << AU_INFO.COUNT_SHIFT)) | (Math.min(count, 255) << AU_INFO.COUNT_SHIFT);
}

/**
 * The access units of a whole stream as triples [start, end, info] (the JS reference the C
 * grouping is tested against). The first AU starts at 0; each later one at its first start code;
 * a trailing group with no picture is returned too (info without AU_INFO.VCL).
 */
export function accessUnitSpansJs(stream: Uint8Array, codec: VideoCodec): number[] {
  const spans = scanNalUnitsJs(stream);
  const out: number[] = [];
  const empty = codec === "h265" ? AU_INFO.H265 : 0;
  let auStart = 0;
  let info = empty;
  let count = 0;
  for (let i = 0; i < spans.length; i += 3) {
    const c = classifyNal(codec, stream.subarray(spans[i + 1], spans[i + 2]));
    if (!c.valid) throw new BitstreamError("invalid NAL unit header");
    if ((info & AU_INFO.VCL) && c.startsAu) {
      out.push(auStart, spans[i], info);
      auStart = spans[i];
      info = empty;
      count = 0;
    }
    info = addToInfo(codec, info, ++count, c.type, c.vcl, c.key);
  }
  out.push(auStart, stream.length, info);
  return out;
}

/** Access-unit spans in C when installed (XS), else in JS. */
export function accessUnitSpans(stream: Uint8Array, codec: VideoCodec): number[] {
  if (nativeAccessUnits) {
    const result = nativeAccessUnits(stream, codec);
    if (typeof result !== "number") return result;
    throw nativeError(result);
  }
  return accessUnitSpansJs(stream, codec);
}

/**
 * Splits a whole elementary stream into access units (subarrays of `stream`, each starting with
 * its first start code). Used by tests, tools and the benchmark; a camera delivers access units.
 */
export function splitAccessUnits(stream: Uint8Array, codec: VideoCodec): Uint8Array[] {
  const spans = accessUnitSpans(stream, codec);
  const aus: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += 3) aus.push(stream.subarray(spans[i], spans[i + 1]));
  return aus;
}
