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
 * The Annex-B rules in C (native/annexb: module "annexb" on XS), with the contracts of
 * scanNalUnitsJs and accessUnitSpansJs: triples, or a negative error code. XS runs the byte
 * loop ~100x slower than C, so the platform layer installs them once at start
 * (useNativeAnnexB); Node keeps the JS reference.
 */
export type NativeNalScanner = (data: Uint8Array) => number[] | number;
export type NativeAccessUnits = (data: Uint8Array, codec: VideoCodec) => number[] | number;
export interface NativeAnnexB {
  scan: NativeNalScanner;
  accessUnits: NativeAccessUnits;
}
let nativeScanner: NativeNalScanner | undefined;
let nativeAccessUnits: NativeAccessUnits | undefined;

/**
 * Installs the C rules (the "annexb" module: `import * as annexb from "annexb"`), or with
 * undefined removes them. The one way to switch the media layer to C: called once by the
 * platform layer at start.
 */
export function useNativeAnnexB(native: NativeAnnexB | undefined): void {
  nativeScanner = native?.scan;
  nativeAccessUnits = native?.accessUnits;
}

// Error codes of native/annexb/annexb.h, in order from -301 (annexb's range, native/common/ivxs_status.h).
const NATIVE_ERRORS: ReadonlyArray<() => Error> = Object.freeze([
  () => new EmptyFrameError("empty Annex-B buffer"),
  () => new BitstreamError("no start code found"),
  () => new BitstreamError("garbage before first start code"),
  () => new BitstreamError("empty NAL unit between start codes"),
  () => new TruncatedError("start code at end of data"),
  () => new BitstreamError("forbidden_zero_bit set in NAL header"),
  () => new BitstreamError("too many NAL units"),
  () => new BitstreamError("invalid NAL unit header"),
  () => new BitstreamError("unknown codec"),
]);

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

/** NAL unit type from the header at data[at] (the one place the header's layout is read in JS). */
export function nalType(codec: VideoCodec, data: Uint8Array, at = 0): number {
  return codec === "h264" ? data[at] & 0x1f : (data[at] >> 1) & 0x3f;
}

/** True for VCL (slice) NAL units. */
export function isVcl(codec: VideoCodec, type: number): boolean {
  return codec === "h264" ? type >= 1 && type <= 5 : type < 32;
}

/** Bits of the AU info word (IVXS_AU_INFO_* in native/annexb/annexb.h). */
// (frozen tables: preloaded on a board they stay in flash — the XS linker warns of any that is not)
export const AU_INFO = Object.freeze({
  KEY: 1 << 0, PARAMS: 1 << 1, VCL: 1 << 2, VPS: 1 << 3, SPS: 1 << 4, PPS: 1 << 5, AUD: 1 << 6, SEI: 1 << 7,
  COUNT_SHIFT: 8, COUNT_MASK: 0xff << 8, VCL_TYPE_SHIFT: 16, VCL_TYPE_MASK: 0x3f << 16, H265: 1 << 22,
} as const);

/**
 * A key-frame NAL (the one at data[start, end)): an IDR slice (H.264 type 5) or an IRAP picture (H.265 types 16–23) of the
 * base layer (nuh_layer_id 0: a picture of another layer does not make the AU a random-access
 * point for a single-layer decoder).
 */
export function isKeyNal(codec: VideoCodec, data: Uint8Array, start = 0, end = data.length): boolean {
  const t = nalType(codec, data, start);
  if (codec === "h264") return t === 5;
  return t >= 16 && t <= 23 && (data[start] & 1) === 0 && (end - start < 2 || (data[start + 1] >> 3) === 0);
}

/**
 * What one NAL means for access-unit grouping (the rules of native/annexb/annexb.c, which
 * cites the standards): valid, VCL, key, and whether it starts an AU after a VCL NAL.
 * Bytes the NAL does not have read as zero.
 */
function classifyNal(codec: VideoCodec, nal: Uint8Array): { type: number; valid: boolean; vcl: boolean; key: boolean; startsAu: boolean } {
  const b1 = nal.length > 1 ? nal[1] : 0;
  const b2 = nal.length > 2 ? nal[2] : 0;
  if (codec === "h264") {
    const t = nalType(codec, nal);
    const slice = t === 1 || t === 2 || t === 5; // partitions B/C (3, 4) carry slice_id instead
    return {
      type: t, valid: (nal[0] & 0x80) === 0, vcl: t >= 1 && t <= 5, key: isKeyNal(codec, nal),
      startsAu: slice ? (b1 & 0x80) !== 0 : (t >= 6 && t <= 9) || (t >= 14 && t <= 18),
    };
  }
  const t = nalType(codec, nal);
  const layer = ((nal[0] & 1) << 5) | (b1 >> 3);
  let startsAu = false;
  if (layer === 0) {
    startsAu = t < 32 ? (b2 & 0x80) !== 0 // first_slice_segment_in_pic_flag
      : (t >= 32 && t <= 35) || t === 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
  }
  return {
    type: t, valid: (nal[0] & 0x80) === 0 && nal.length >= 2 && (b1 & 0x07) !== 0,
    vcl: t < 32, key: isKeyNal(codec, nal), startsAu,
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

/**
 * The AU info word of one access unit (the whole buffer, as capture classifies a frame):
 * what native/annexb computes for it, from the same NAL rules. Throws what scanNalUnits throws.
 */
export function accessUnitInfo(codec: VideoCodec, au: Uint8Array): number {
  const spans = scanNalUnits(au);
  let info = codec === "h265" ? AU_INFO.H265 : 0;
  for (let i = 0; i < spans.length; i += 3) {
    const c = classifyNal(codec, au.subarray(spans[i + 1], spans[i + 2]));
    if (!c.valid) throw new BitstreamError("invalid NAL unit header");
    info = addToInfo(codec, info, i / 3 + 1, c.type, c.vcl, c.key);
  }
  return info;
}

/** Bytes of the start code at `at` (00 00 01 → 3, 00 00 00 01 → 4), or 0. */
export function startCodeLength(data: Uint8Array, at: number): number {
  if (data[at] !== 0 || data[at + 1] !== 0) return 0;
  const b2 = data[at + 2];
  return b2 === 1 ? 3 : b2 === 0 && data[at + 3] === 1 ? 4 : 0;
}

// An AUD is 2 (H.264) or 3 (H.265) bytes; its next start code is searched this far at most.
const AUD_SEARCH = 16;

/**
 * The fast path for an access unit known (from its info word) to hold one VCL NAL, after an
 * AUD when `afterAud`: that NAL as a view of `au` (start code and trailing zeros removed), or
 * undefined when the bytes are not laid out so (the caller then scans). Applies the scanner's
 * checks to the NAL: TruncatedError below the codec's header size, BitstreamError for the
 * forbidden bit.
 */
export function loneVclNal(codec: VideoCodec, au: Uint8Array, afterAud: boolean): Uint8Array | undefined {
  const minNal = codec === "h265" ? 3 : 2;
  let start = startCodeLength(au, 0);
  if (start !== 0 && afterAud) start = nalAfterAud(codec, au, start, minNal);
  if (start === 0) return undefined;
  let end = au.length;
  while (end > start && au[end - 1] === 0) end--;
  if (end - start < minNal) throw new TruncatedError("NAL unit truncated");
  if ((au[start] & 0x80) !== 0) throw new BitstreamError("forbidden_zero_bit set in NAL header");
  // A view made directly: on XS a third cheaper than `subarray` (no species lookup).
  return new Uint8Array(au.buffer, au.byteOffset + start, end - start);
}

/**
 * For an AUD at `start`: the offset of the NAL after it (past its start code), or 0 when the
 * bytes are not a well-formed AUD followed closely by a start code.
 */
function nalAfterAud(codec: VideoCodec, au: Uint8Array, start: number, minNal: number): number {
  const b = au[start];
  if (codec === "h264" ? (b & 0x9f) !== 9 : (b & 0xfe) !== 0x46) return 0;
  const n = au.length - 3;
  const last = start + AUD_SEARCH < n ? start + AUD_SEARCH : n;
  // The usual AUD (2 bytes in H.264, 3 in H.265) and a start code right after it: checked
  // where it must be (3–4 byte reads instead of ~10; XS pays ~340 instructions a read). When
  // this matches, no earlier start code exists, so the search below would find the same one.
  const p = start + minNal;
  if (au[p] === 0 && au[p + 1] === 0 && au[p - 1] !== 0) {
    if (au[p + 2] === 1 && p < last) return p + 3;
    if (au[p + 2] === 0 && au[p + 3] === 1 && p + 1 < last) return p + 4;
  }
  for (let i = start + 1; i < last; i++) {
    if (au[i] !== 0 || au[i + 1] !== 0 || au[i + 2] !== 1) continue;
    let end = i;
    while (au[end - 1] === 0) end--;
    return end - start >= minNal ? i + 3 : 0;
  }
  return 0;
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
