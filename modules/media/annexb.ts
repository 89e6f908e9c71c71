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

// Error codes of native/annexb/annexb.h, in order from -1.
const NATIVE_ERRORS: ReadonlyArray<() => Error> = [
  () => new EmptyFrameError("empty Annex-B buffer"),
  () => new BitstreamError("no start code found"),
  () => new BitstreamError("garbage before first start code"),
  () => new BitstreamError("empty NAL unit between start codes"),
  () => new TruncatedError("start code at end of data"),
  () => new BitstreamError("forbidden_zero_bit set in NAL header"),
  () => new BitstreamError("too many NAL units in one access unit"),
];

/**
 * Scans an Annex-B buffer. Returns a flat list of triples
 * [startCodeOffset, nalStart, nalEnd] (nalEnd exclusive, trailing zeros trimmed).
 * The start-code offset includes a leading zero byte of a 4-byte start code.
 */
export function scanNalUnits(data: Uint8Array): number[] {
  if (nativeScanner) {
    const result = nativeScanner(data);
    if (typeof result !== "number") return result;
    throw (NATIVE_ERRORS[-result - 1] ?? (() => new BitstreamError(`Annex-B scan failed (${result})`)))();
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

/** True when this NAL starts a new access unit, given that a VCL NAL was already seen in the current one. */
function startsAccessUnit(codec: VideoCodec, nal: Uint8Array): boolean {
  const t = nalType(codec, nal);
  if (codec === "h264") {
    if (t >= 1 && t <= 5) return nal.length > 1 && (nal[1] & 0x80) !== 0; // first_mb_in_slice == 0
    return t === 6 || t === 7 || t === 8 || t === 9 || (t >= 14 && t <= 18);
  }
  if (t < 32) return nal.length > 2 && (nal[2] & 0x80) !== 0; // first_slice_segment_in_pic_flag
  return (t >= 32 && t <= 35) || t === 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
}

/**
 * Splits a whole elementary stream into access units (subarrays of `stream`, each starting with
 * its first start code). Used by tests, tools and the benchmark; a camera delivers access units.
 */
export function splitAccessUnits(stream: Uint8Array, codec: VideoCodec): Uint8Array[] {
  const spans = scanNalUnits(stream);
  const aus: Uint8Array[] = [];
  let auStart = 0;
  let seenVcl = false;
  for (let i = 0; i < spans.length; i += 3) {
    const nal = stream.subarray(spans[i + 1], spans[i + 2]);
    if (seenVcl && startsAccessUnit(codec, nal)) {
      aus.push(stream.subarray(auStart, spans[i]));
      auStart = spans[i];
      seenVcl = false;
    }
    if (isVcl(codec, nalType(codec, nal))) seenVcl = true;
  }
  aus.push(stream.subarray(auStart, stream.length));
  return aus;
}
