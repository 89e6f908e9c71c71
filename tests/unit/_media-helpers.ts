// Synthetic media data for the media unit tests (XS-compatible: no Node APIs, no file reads).

export function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const SC4 = new Uint8Array([0, 0, 0, 1]);
const SC3 = new Uint8Array([0, 0, 1]);

/** Annex-B from NAL units, alternating 4- and 3-byte start codes. */
export function annexB(nals: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  nals.forEach((n, i) => parts.push(i % 2 === 0 ? SC4 : SC3, n));
  return concat(parts);
}

// x264, Main, 640x480, 15 fps (VUI timing).
export const H264_SPS_640 = hex("674d4016da0280f6c044000003000400000300783c58ba80");
export const H264_PPS_640 = hex("68ef3c80");
// x264, High, 1920x1080 (coded 1088, cropped), 25 fps.
export const H264_SPS_1080 = hex("67640028acb200f0044fcb80880000030008000003019078c19240");
export const H264_PPS_1080 = hex("68ebc3cb22c0");
// x265, Main, 640x480, 15 fps.
export const H265_VPS_640 = hex("40010c01ffff01600000030090000003000003005a928090");
export const H265_SPS_640 = hex("42010101600000030090000003000003005aa0050201e16592a4932bc05a020000030002000003001e10");
export const H265_PPS = hex("4401c172b46240");
// x265, Main, 650x370 (coded 656x376, conformance window), 30 fps.
export const H265_SPS_ODD = hex("42010101600000030090000003000003005aa005220179c9265959a4932bc05a020000030002000003003c10");
// x265, Main, 1920x1080, 25 fps.
export const H265_VPS_1080 = hex("40010c01ffff016000000300900000030000030078959809");
export const H265_SPS_1080 = hex("420101016000000300900000030000030078a003c08010e596566924caf0168080000003008000000c84");

export const H264_AUD = hex("0910");
export const H265_AUD = hex("460150");

/** A fake slice NAL: valid header, first_mb_in_slice = 0, arbitrary payload. */
export function h264Slice(idr: boolean, size: number, seed: number): Uint8Array {
  const n = new Uint8Array(size);
  n[0] = idr ? 0x65 : 0x41;
  n[1] = 0x88;
  for (let i = 2; i < size; i++) n[i] = ((i * 31 + seed * 7) & 0xff) | 1; // never 0: no start-code emulation
  return n;
}

export function h265Slice(irap: boolean, size: number, seed: number): Uint8Array {
  const n = new Uint8Array(size);
  n[0] = irap ? 0x26 : 0x02; // IDR_W_RADL (19) or TRAIL_R (1)
  n[1] = 0x01;
  n[2] = 0xaf; // first_slice_segment_in_pic_flag = 1
  for (let i = 3; i < size; i++) n[i] = ((i * 13 + seed * 5) & 0xff) | 1;
  return n;
}

export function h264Au(key: boolean, seed: number, sps = H264_SPS_640, pps = H264_PPS_640): Uint8Array {
  return key ? annexB([H264_AUD, sps, pps, h264Slice(true, 40, seed)]) : annexB([H264_AUD, h264Slice(false, 20, seed)]);
}

export function h265Au(key: boolean, seed: number): Uint8Array {
  return key ? annexB([H265_VPS_640, H265_SPS_640, H265_PPS, h265Slice(true, 40, seed)]) : annexB([h265Slice(false, 20, seed)]);
}

/** One ADTS frame (AAC-LC, no CRC) with `payload` bytes of data (written from ISO/IEC 14496-3, not with aac.ts: an oracle). */
export function adts(payloadSize: number, sampleRateIndex = 8, channels = 1, seed = 0): Uint8Array {
  const len = 7 + payloadSize;
  const f = new Uint8Array(len);
  f[0] = 0xff;
  f[1] = 0xf1;
  f[2] = (1 << 6) | (sampleRateIndex << 2) | (channels >> 2);
  f[3] = ((channels & 3) << 6) | (len >> 11);
  f[4] = (len >> 3) & 0xff;
  f[5] = ((len & 7) << 5) | 0x1f;
  f[6] = 0xfc;
  for (let i = 7; i < len; i++) f[i] = (i + seed) & 0xff;
  return f;
}

export interface Box {
  type: string;
  start: number;
  size: number;
  children?: Box[];
}

const CONTAINERS = ["moov", "trak", "mdia", "minf", "stbl", "mvex", "moof", "traf", "dinf"];

/**
 * Minimal ISO BMFF walker for structure checks: an independent oracle, written from ISO/IEC
 * 14496-12, on purpose not cloud/src/media/boxes.ts (and it runs on XS too).
 */
export function parseBoxes(b: Uint8Array, start = 0, end = b.length): Box[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Box[] = [];
  let p = start;
  while (p + 8 <= end) {
    const size = dv.getUint32(p);
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    if (size < 8 || p + size > end) throw new Error("bad box " + type);
    const box: Box = { type, start: p, size };
    if (CONTAINERS.indexOf(type) >= 0) box.children = parseBoxes(b, p + 8, p + size);
    out.push(box);
    p += size;
  }
  if (p !== end) throw new Error("trailing bytes");
  return out;
}

export function findBox(boxes: Box[], path: string[]): Box | undefined {
  let list: Box[] | undefined = boxes;
  let found: Box | undefined;
  for (const t of path) {
    found = list?.find((x) => x.type === t);
    if (!found) return undefined;
    list = found.children;
  }
  return found;
}

export interface Captured {
  chunks: Uint8Array[][];
  infos: { type: string; [k: string]: unknown }[];
}

export function capture(): Captured & { sink: (c: Uint8Array[], info: any) => void } {
  const c: Captured = { chunks: [], infos: [] };
  return { ...c, sink: (chunks: Uint8Array[], info: any) => { c.chunks.push(chunks.slice()); c.infos.push({ ...info }); } };
}

/** Strict FLV reader for the tests: every tag with its PreviousTagSize checked. */
export interface Tag {
  type: number;
  size: number;
  ts: number;
  body: Uint8Array;
}

export function parseFlv(b: Uint8Array): Tag[] {
  if (b[0] !== 0x46 || b[1] !== 0x4c || b[2] !== 0x56) throw new Error("no FLV header");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 9;
  if (dv.getUint32(p) !== 0) throw new Error("PreviousTagSize0");
  p += 4;
  const tags: Tag[] = [];
  while (p < b.length) {
    const size = (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
    const ts = b[p + 7] * 0x1000000 + ((b[p + 4] << 16) | (b[p + 5] << 8) | b[p + 6]);
    tags.push({ type: b[p], size, ts, body: b.subarray(p + 11, p + 11 + size) });
    if (dv.getUint32(p + 11 + size) !== 11 + size) throw new Error("PreviousTagSize");
    p += 11 + size + 4;
  }
  return tags;
}

/** NAL unit from a header byte and RBSP bits ("0"/"1"), with stop bit and emulation prevention. */
export function nalFromBits(header: number[], bits: string): Uint8Array {
  bits += "1";
  while (bits.length % 8 !== 0) bits += "0";
  const out: number[] = header.slice();
  let zeros = 0;
  for (let i = 0; i < bits.length; i += 8) {
    const b = parseInt(bits.slice(i, i + 8), 2);
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return new Uint8Array(out);
}

/** Exp-Golomb ue(v) as bits. */
export function ueBits(v: number): string {
  const s = (v + 1).toString(2);
  return "0".repeat(s.length - 1) + s;
}

/** An H.264 PPS with pic_parameter_set_id `id` referring to SPS 0 (otherwise x264's H264_PPS_640). */
export function h264Pps(id: number): Uint8Array {
  return nalFromBits([0x68], ueBits(id) + ueBits(0) + "10111100111100");
}
