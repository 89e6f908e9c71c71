/**
 * ISO BMFF boxes for fragmented MP4 (ISO/IEC 14496-12, 14496-14, 14496-15): the init segment
 * (ftyp + moov with empty sample tables + mvex) and the moof/mdat header of a fragment.
 * Sample payloads are never copied: `fragmentChunks` returns one small header buffer sliced into
 * views plus the caller's NAL / AAC subarrays.
 */
import { ByteWriter } from "./byte-writer.js";
import type { AudioConfig } from "./audio.js";
import { bytesEqual, type VideoConfig } from "./video.js";

export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;
export const VIDEO_TIMESCALE = 90000;

const MATRIX = Object.freeze([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]);

function matrix(w: ByteWriter): void {
  for (const v of MATRIX) w.u32(v);
}

function videoSampleEntry(w: ByteWriter, v: VideoConfig): void {
  const e = w.begin(v.codec === "h264" ? "avc1" : "hvc1");
  w.zeros(6).u16(1); // reserved, data_reference_index
  w.u16(0).u16(0).zeros(12); // pre_defined, reserved, pre_defined
  w.u16(v.width).u16(v.height);
  w.u32(0x00480000).u32(0x00480000).u32(0).u16(1); // resolutions, reserved, frame_count
  w.zeros(32); // compressorname
  w.u16(0x0018).u16(0xffff); // depth, pre_defined = -1
  const c = w.begin(v.codec === "h264" ? "avcC" : "hvcC");
  w.bytes(v.decoderConfig);
  w.end(c);
  w.end(e);
}

function audioSampleEntry(w: ByteWriter, a: AudioConfig): void {
  const e = w.begin("mp4a");
  w.zeros(6).u16(1);
  w.zeros(8); // reserved
  w.u16(a.channels).u16(16).u16(0).u16(0);
  w.u32(a.sampleRate <= 0xffff ? a.sampleRate * 65536 : 0);
  // esds: ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo, SLConfigDescriptor
  const esds = w.beginFull("esds", 0, 0);
  const ascLen = a.asc.length;
  const dcdLen = 13 + 2 + ascLen;
  const esLen = 3 + 2 + dcdLen + 3;
  w.u8(0x03).u8(esLen).u16(AUDIO_TRACK_ID).u8(0);
  w.u8(0x04).u8(dcdLen).u8(0x40).u8(0x15).u24(0).u32(0).u32(0);
  w.u8(0x05).u8(ascLen).bytes(a.asc);
  w.u8(0x06).u8(1).u8(0x02);
  w.end(esds);
  w.end(e);
}

function trak(w: ByteWriter, id: number, video: VideoConfig | undefined, audio: AudioConfig | undefined): void {
  const t = w.begin("trak");
  const tkhd = w.beginFull("tkhd", 0, 3);
  w.u32(0).u32(0).u32(id).u32(0).u32(0); // creation, modification, track_ID, reserved, duration
  w.zeros(8).u16(0).u16(0).u16(audio ? 0x0100 : 0).u16(0);
  matrix(w);
  w.u32(video ? video.width * 65536 : 0).u32(video ? video.height * 65536 : 0);
  w.end(tkhd);
  const mdia = w.begin("mdia");
  const mdhd = w.beginFull("mdhd", 0, 0);
  w.u32(0).u32(0).u32(video ? VIDEO_TIMESCALE : audio!.sampleRate).u32(0);
  w.u16(0x55c4).u16(0); // language "und"
  w.end(mdhd);
  const hdlr = w.beginFull("hdlr", 0, 0);
  w.u32(0).fourcc(video ? "vide" : "soun").zeros(12);
  const name = video ? "VideoHandler" : "SoundHandler";
  for (let i = 0; i < name.length; i++) w.u8(name.charCodeAt(i));
  w.u8(0);
  w.end(hdlr);
  const minf = w.begin("minf");
  if (video) {
    const vmhd = w.beginFull("vmhd", 0, 1);
    w.u16(0).zeros(6);
    w.end(vmhd);
  } else {
    const smhd = w.beginFull("smhd", 0, 0);
    w.u16(0).u16(0);
    w.end(smhd);
  }
  const dinf = w.begin("dinf");
  const dref = w.beginFull("dref", 0, 0);
  w.u32(1);
  w.end(w.beginFull("url ", 0, 1));
  w.end(dref);
  w.end(dinf);
  const stbl = w.begin("stbl");
  const stsd = w.beginFull("stsd", 0, 0);
  w.u32(1);
  if (video) videoSampleEntry(w, video);
  else audioSampleEntry(w, audio!);
  w.end(stsd);
  const stts = w.beginFull("stts", 0, 0);
  w.u32(0);
  w.end(stts);
  const stsc = w.beginFull("stsc", 0, 0);
  w.u32(0);
  w.end(stsc);
  const stsz = w.beginFull("stsz", 0, 0);
  w.u32(0).u32(0);
  w.end(stsz);
  const stco = w.beginFull("stco", 0, 0);
  w.u32(0);
  w.end(stco);
  w.end(stbl);
  w.end(minf);
  w.end(mdia);
  w.end(t);
}

// The last init segments built, by configuration pair: a camera's streams and clips repeat the
// same configuration, and building the box tree costs XS ~150 µs. An entry is found by comparing
// every input buildInitSegment reads (sameVideo, sameAudio).
const INIT_CACHE_SIZE = 4;
/** The init segments built last, with the configurations they were built for. */
const initCache: { video: VideoConfig | undefined; audio: AudioConfig | undefined; bytes: Uint8Array }[] = [];

/** Whether two video configurations give the same init segment (what buildInitSegment reads of
 * them). Compared where they lie: a key made of them as text was garbage on XS every segment. */
function sameVideo(a: VideoConfig | undefined, b: VideoConfig | undefined): boolean {
  if (a === b) return true;
  return !!a && !!b && a.codec === b.codec && a.width === b.width && a.height === b.height && bytesEqual(a.decoderConfig, b.decoderConfig);
}

function sameAudio(a: AudioConfig | undefined, b: AudioConfig | undefined): boolean {
  if (a === b) return true;
  return !!a && !!b && a.sampleRate === b.sampleRate && a.channels === b.channels && bytesEqual(a.asc, b.asc);
}

/** ftyp + moov for the given tracks (video id 1, audio id 2); do not modify the result. */
export function initSegment(video: VideoConfig | undefined, audio: AudioConfig | undefined): Uint8Array {
  for (let i = 0; i < initCache.length; i++) {
    const entry = initCache[i];
    if (sameVideo(entry.video, video) && sameAudio(entry.audio, audio)) return entry.bytes;
  }
  const bytes = buildInitSegment(video, audio);
  if (initCache.length >= INIT_CACHE_SIZE) initCache.pop();
  initCache.unshift({ video, audio, bytes });
  return bytes;
}

function buildInitSegment(video: VideoConfig | undefined, audio: AudioConfig | undefined): Uint8Array {
  const w = new ByteWriter(1024);
  const ftyp = w.begin("ftyp");
  w.fourcc("iso5").u32(512).fourcc("iso5").fourcc("iso6").fourcc("mp41");
  w.end(ftyp);
  const moov = w.begin("moov");
  const mvhd = w.beginFull("mvhd", 0, 0);
  w.u32(0).u32(0).u32(1000).u32(0); // creation, modification, timescale, duration
  w.u32(0x00010000).u16(0x0100).zeros(10);
  matrix(w);
  w.zeros(24).u32(3); // pre_defined, next_track_ID
  w.end(mvhd);
  if (video) trak(w, VIDEO_TRACK_ID, video, undefined);
  if (audio) trak(w, AUDIO_TRACK_ID, undefined, audio);
  const mvex = w.begin("mvex");
  for (const id of [video ? VIDEO_TRACK_ID : 0, audio ? AUDIO_TRACK_ID : 0]) {
    if (id === 0) continue;
    const trex = w.beginFull("trex", 0, 0);
    w.u32(id).u32(1).u32(0).u32(0).u32(0);
    w.end(trex);
  }
  w.end(mvex);
  w.end(moov);
  return w.finish().slice();
}

/** What a video sample needs from its unit (track.ts VideoUnit has it). */
export interface VideoSampleData {
  readonly nals: readonly Uint8Array[];
  /** Sum over `nals` of 4 + length. */
  readonly sampleSize: number;
  readonly key: boolean;
}

/**
 * The video samples of one fragment: units and, per sample, duration and composition offset.
 * The first `count` entries of the arrays are the fragment's (a muxer reuses the arrays).
 */
export interface VideoRun {
  baseDts: number;
  count: number;
  samples: VideoSampleData[];
  durations: number[];
  cts: number[];
}

/** The audio samples of one fragment: raw AAC payloads and their durations (first `count`). */
export interface AudioRun {
  baseDts: number;
  count: number;
  payloads: Uint8Array[];
  durations: number[];
}

const SYNC_FLAGS = 0x02000000; // sample_depends_on = 2 (no dependencies)
const NON_SYNC_FLAGS = 0x01010000; // sample_depends_on = 1, sample_is_non_sync_sample = 1
const MOOF = 0x6d6f6f66;
const MFHD = 0x6d666864;
const TRAF = 0x74726166;
const TFHD = 0x74666864;
const TFDT = 0x74666474;
const TRUN = 0x7472756e;
const MDAT = 0x6d646174;

/** Writes box header `size`/`type`, then version/flags when `vf` is given; returns the next offset. */
function box(dv: DataView, p: number, size: number, type: number, vf = -1): number {
  dv.setUint32(p, size);
  dv.setUint32(p + 4, type);
  if (vf < 0) return p + 8;
  dv.setUint32(p + 8, vf);
  return p + 12;
}

/** traf header (tfhd with default-base-is-moof, tfdt v1 with a 64-bit time); returns the trun offset. */
function trafHead(dv: DataView, p: number, trafSize: number, trackId: number, baseDts: number): number {
  p = box(dv, p, trafSize, TRAF);
  p = box(dv, p, 16, TFHD, 0x020000);
  dv.setUint32(p, trackId);
  p = box(dv, p + 4, 20, TFDT, 0x01000000);
  const hi = Math.floor(baseDts / 4294967296);
  dv.setUint32(p, hi);
  dv.setUint32(p + 4, baseDts - hi * 4294967296);
  return p + 8;
}

/**
 * moof + mdat of one fragment as a scatter list: one header view (moof + mdat header), then per
 * video NAL a 4-byte length view and the NAL itself, then the AAC payloads. Fields are written
 * straight through one DataView (the sizes are known up front): this runs per fragment on XS.
 */
export function fragmentChunks(
  sequence: number, video: VideoRun | undefined, audio: AudioRun | undefined,
): Uint8Array[] {
  let nalCount = 0;
  let videoBytes = 0;
  let audioBytes = 0;
  let useCts = false;
  let negativeCts = false;
  const vs = video ? video.samples : undefined;
  const as = audio ? audio.payloads : undefined;
  const vn = video ? video.count : 0;
  const an = audio ? audio.count : 0;
  if (vs) {
    const cts = video!.cts;
    for (let i = 0; i < vn; i++) {
      nalCount += vs[i].nals.length;
      videoBytes += vs[i].sampleSize;
      if (cts[i] !== 0) {
        useCts = true;
        if (cts[i] < 0) negativeCts = true;
      }
    }
  }
  if (as) for (let i = 0; i < an; i++) audioBytes += as[i].length;
  const videoTrun = vs ? 20 + vn * (useCts ? 16 : 12) : 0;
  const audioTrun = as ? 20 + an * 8 : 0;
  const videoTraf = vs ? 8 + 16 + 20 + videoTrun : 0;
  const audioTraf = as ? 8 + 16 + 20 + audioTrun : 0;
  const moofSize = 8 + 16 + videoTraf + audioTraf;
  const headerSize = moofSize + 8;
  const buf = new Uint8Array(headerSize + nalCount * 4);
  const dv = new DataView(buf.buffer);
  let p = box(dv, 0, moofSize, MOOF);
  p = box(dv, p, 16, MFHD, 0);
  dv.setUint32(p, sequence);
  p += 4;
  if (vs) {
    p = trafHead(dv, p, videoTraf, VIDEO_TRACK_ID, video!.baseDts);
    const flags = 0x000001 | 0x000100 | 0x000200 | 0x000400 | (useCts ? 0x000800 : 0);
    p = box(dv, p, videoTrun, TRUN, (negativeCts ? 0x01000000 : 0) | flags);
    dv.setUint32(p, vn);
    dv.setInt32(p + 4, headerSize);
    p += 8;
    const durations = video!.durations;
    const cts = video!.cts;
    for (let i = 0; i < vn; i++) {
      const s = vs[i];
      dv.setUint32(p, durations[i]);
      dv.setUint32(p + 4, s.sampleSize);
      dv.setUint32(p + 8, s.key ? SYNC_FLAGS : NON_SYNC_FLAGS);
      if (useCts) {
        dv.setInt32(p + 12, cts[i]);
        p += 16;
      } else {
        p += 12;
      }
    }
  }
  if (as) {
    p = trafHead(dv, p, audioTraf, AUDIO_TRACK_ID, audio!.baseDts);
    p = box(dv, p, audioTrun, TRUN, 0x000001 | 0x000100 | 0x000200);
    dv.setUint32(p, an);
    dv.setInt32(p + 4, headerSize + videoBytes);
    p += 8;
    const durations = audio!.durations;
    for (let i = 0; i < an; i++) {
      dv.setUint32(p, durations[i]);
      dv.setUint32(p + 4, as[i].length);
      p += 8;
    }
  }
  p = box(dv, p, 8 + videoBytes + audioBytes, MDAT);
  const ab = buf.buffer;
  const chunks: Uint8Array[] = [new Uint8Array(ab, 0, headerSize)];
  if (vs) {
    for (let i = 0; i < vn; i++) {
      const nals = vs[i].nals;
      for (let j = 0; j < nals.length; j++) {
        const nal = nals[j];
        dv.setUint32(p, nal.length);
        chunks.push(new Uint8Array(ab, p, 4), nal); // cheaper than subarray on XS
        p += 4;
      }
    }
  }
  if (as) for (let i = 0; i < an; i++) chunks.push(as[i]);
  return chunks;
}
