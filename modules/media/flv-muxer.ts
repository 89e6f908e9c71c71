/**
 * Streaming FLV muxer for live P2P viewing: FLV header, sequence headers, video/audio tags and
 * PreviousTagSize fields, emitted through `sink(chunks, info)` as a scatter list (small header
 * views + subarrays of the caller's NAL units / AAC payloads; nothing is copied).
 *
 * Tag layout (FLV spec v10.1, E.4): TagType u8, DataSize u24, Timestamp u24 (low bits),
 * TimestampExtended u8 (bits 24..31), StreamID u24 = 0, data, then PreviousTagSize u32.
 * Timestamps are the DTS in ms relative to the stream origin (wrapping at 2^32 ms);
 * CompositionTime is PTS - DTS in ms (SI24).
 *
 * H.264 (legacy FLV, CodecID 7): VideoTagHeader = FrameType(4 bits: 1 key, 2 inter) | CodecID,
 * AVCPacketType (0 sequence header = AVCDecoderConfigurationRecord, 1 NALUs, 2 end of sequence),
 * CompositionTime SI24; NALUs carry 4-byte big-endian lengths.
 *
 * H.265 (enhanced RTMP/FLV, veovera "Enhanced RTMP" v1): the first byte is
 * IsExHeader(1 bit = 1) | FrameType(3 bits) | PacketType(4 bits), followed by the FourCC "hvc1".
 * PacketType 0 = SequenceStart (body: HEVCDecoderConfigurationRecord), 1 = CodedFrames (body:
 * CompositionTime SI24 + length-prefixed NALUs), 2 = SequenceEnd (no body), 3 = CodedFramesX
 * (like CodedFrames with CompositionTime 0 omitted; used whenever PTS == DTS).
 *
 * AAC: SoundFormat 10 header byte 0xAF, AACPacketType 0 = AudioSpecificConfig, 1 = raw frame
 * (ADTS header stripped).
 *
 * A changed SPS/PPS(/VPS) at a key frame, or a changed AAC config, writes a new sequence header
 * before the frame. No onMetaData script tag is written (decoders use the sequence headers).
 * Errors and start rules are those of the fMP4 muxer (see errors.ts, timeline.ts), and so are
 * the two ways in: raw frames (`writeVideo`/`writeAudio`, through the muxer's own tracks) or
 * units of shared tracks (`writeVideoUnit`/`writeAudioUnit`, see track.ts). What a tag cannot
 * hold is refused before anything is written: a tag body over 16 MiB - 1 (DataSize is 24 bits,
 * UnsupportedError) and PTS - DTS beyond ±2^23 ms (CompositionTime is SI24, TimestampError).
 */
import type { VideoCodec } from "./annexb.js";
import type { AudioConfig } from "./audio.js";
import { TimestampError, UnsupportedError } from "./errors.js";
import type { TimelineOptions } from "./timeline.js";
import { MuxerInput } from "./muxer-input.js";
import type { AudioUnit, VideoUnit } from "./track.js";
import type { VideoConfig } from "./video.js";

export interface FlvInfo {
  type: "flv";
  /** The chunks start with the 13-byte FLV file header (first output only). */
  fileHeader: boolean;
  /** A sequence header tag (AVC/HEVC config or AAC config) precedes the frame tag. */
  sequenceHeader: boolean;
  track: "video" | "audio" | "end";
  key: boolean;
  /** FLV timestamp of the frame tag, ms. */
  timestampMs: number;
}

/**
 * Called synchronously for every output. `info` is one object per muxer, rewritten for each
 * call, and so is the `chunks` array of the usual tag: both are valid until the sink returns
 * (copy what you need to keep; XS pays ~600 instructions a property or element for a literal).
 * The views in `chunks` stay valid (slab bytes are never rewritten; payloads are the input's).
 */
export type FlvSink = (chunks: Uint8Array[], info: FlvInfo) => void;

export interface FlvMuxerOptions extends TimelineOptions {
  video?: VideoCodec;
  audio?: boolean;
  sink: FlvSink;
}

// XS looks a method up through the Math object's property list on every call.
const round = Math.round;
const TAG_AUDIO = 8;
const TAG_VIDEO = 9;
const HVC1 = Object.freeze([0x68, 0x76, 0x63, 0x31]);
const HVC1_U32 = 0x68766331;
const MAX_DATA_SIZE = 0xffffff;
const MAX_CTS = 0x7fffff;

// Small per-tag headers are carved out of shared append-only slabs: one allocation and one
// DataView per 4 KiB instead of one buffer per tag (XS pays per allocation). A slab is never
// written again once carved, so the views handed to sinks stay valid as long as they are held.
// The first slab is made at run time, on the first tag: a buffer made while a Moddable build
// preloads this module would live in flash, read-only.
const SLAB_BYTES = 4096;
// Views are made with `new Uint8Array(slabBuffer, …)`: on XS a third cheaper than `subarray`,
// which looks up the species constructor.
let slab = new Uint8Array(0);
let slabBuffer = slab.buffer;
let slabView = new DataView(slabBuffer);
let slabUsed = SLAB_BYTES;

/** Reserves `n` bytes (n <= SLAB_BYTES) of the current slab; returns their offset in `slab`. */
function carve(n: number): number {
  if (slabUsed + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabBuffer = slab.buffer;
    slabView = new DataView(slabBuffer);
    slabUsed = 0;
  }
  const p = slabUsed;
  slabUsed += n;
  return p;
}

/**
 * Writes the 11-byte tag header at `p` of the slab and the first byte after it (`next`).
 * Timestamps wrap at 2^32 ms: the low 24 bits, then TimestampExtended (bits 24..31).
 */
function tagHeader(dv: DataView, p: number, type: number, dataSize: number, ts: number, next: number): void {
  const t = ts >>> 0;
  dv.setUint32(p, (type << 24) | dataSize);
  dv.setUint32(p + 4, timestampWord(t));
  dv.setUint32(p + 8, next); // StreamID 0 (3 bytes), then `next`
}

/** The tag's Timestamp (low 24 bits) then TimestampExtended (bits 24..31) as one word. × 256, not
 * << 8: XS shifts in C's int, where a timestamp past 2^23 ms (2.3 h) << 8 is undefined behaviour. */
function timestampWord(ts: number): number {
  const t = ts >>> 0;
  return (t & 0xffffff) * 256 + (t >>> 24);
}

/** A 4-byte big-endian number (NAL length, PreviousTagSize) as its own chunk. */
function u32Chunk(v: number): Uint8Array {
  const p = carve(4);
  slabView.setUint32(p, v);
  return new Uint8Array(slabBuffer, p, 4);
}

/** A complete tag (header + body + PreviousTagSize) for a small body that is copied in. */
function smallTag(type: number, ts: number, body: Uint8Array): Uint8Array {
  const t = new Uint8Array(11 + body.length + 4);
  const dv = new DataView(t.buffer);
  dv.setUint32(0, (type << 24) | body.length);
  dv.setUint32(4, timestampWord(ts));
  t.set(body, 11);
  dv.setUint32(11 + body.length, 11 + body.length);
  return t;
}

/** Body size of the video sequence header tag for `c`. */
function videoSequenceHeaderSize(c: VideoConfig): number {
  return 5 + c.decoderConfig.length;
}

export class FlvMuxer extends MuxerInput {
  readonly #sink: FlvSink;
  #headerWritten = false;
  #videoConfig: VideoConfig | undefined;
  #audioConfig: AudioConfig | undefined;
  #videoStarted = false;
  #audioStarted = false;
  #lastVideoTs = 0;
  // One info object rewritten per tag: an object literal costs XS ~600 instructions a property.
  // The chunks of the usual tag (header, payload, PreviousTagSize), rewritten per tag.
  readonly #three: Uint8Array[] = [slab, slab, slab];
  readonly #info: FlvInfo = { type: "flv", fileHeader: false, sequenceHeader: false, track: "video", key: false, timestampMs: 0 };

  constructor(opts: FlvMuxerOptions) {
    super(opts);
    this.#sink = opts.sink;
  }


  #fileHeader(chunks: Uint8Array[]): boolean {
    if (this.#headerWritten) return false;
    this.#headerWritten = true;
    const h = new Uint8Array(13);
    h.set([0x46, 0x4c, 0x56, 1, (this.audio ? 4 : 0) | (this.video ? 1 : 0), 0, 0, 0, 9, 0, 0, 0, 0]);
    chunks.push(h);
    return true;
  }

  #videoSequenceHeader(c: VideoConfig, ts: number): Uint8Array {
    const d = c.decoderConfig;
    const body = new Uint8Array(videoSequenceHeaderSize(c));
    if (c.codec === "h264") {
      body[0] = 0x17;
      body[1] = 0; // AVC sequence header; CompositionTime 0
    } else {
      body[0] = 0x80 | (1 << 4) | 0; // ExHeader, key frame, SequenceStart
      body.set(HVC1, 1);
    }
    body.set(d, 5);
    return smallTag(TAG_VIDEO, ts, body);
  }

  #emit(chunks: Uint8Array[], fileHeader: boolean, seq: boolean, track: FlvInfo["track"], key: boolean, ts: number): void {
    const info = this.#info;
    info.fileHeader = fileHeader;
    info.sequenceHeader = seq;
    info.track = track;
    info.key = key;
    info.timestampMs = ts;
    this.#sink(chunks, info);
  }

  /** Adds one video unit from a VideoTrack (shared with other muxers). */
  writeVideoUnit(u: VideoUnit): void {
    const origin = this.videoOrigin(u, this.#videoStarted);
    const config = u.key ? u.config : this.#videoConfig!;
    const ts = round(u.dtsMs - origin);
    const cts = round(u.ptsMs - origin) - ts;
    if (cts > MAX_CTS) throw new TimestampError("PTS - DTS beyond the 24-bit FLV CompositionTime");
    const hevc = this.video === "h265";
    const exX = hevc && cts === 0; // CodedFramesX: no CompositionTime field
    const vh = exX ? 5 : hevc ? 8 : 5;
    const dataSize = vh + u.sampleSize;
    if (dataSize > MAX_DATA_SIZE) throw new UnsupportedError(`video frame of ${u.sampleSize} bytes exceeds an FLV tag`);
    const seq = config !== this.#videoConfig;
    if (seq && videoSequenceHeaderSize(config) > MAX_DATA_SIZE) throw new UnsupportedError("parameter sets exceed an FLV tag");
    // --- validated: commit ---
    this.origin = origin;
    this.#lastVideoTs = ts;
    let pre: Uint8Array[] | undefined;
    const fileHeader = !this.#headerWritten;
    if (fileHeader || seq) {
      pre = [];
      this.#fileHeader(pre);
      if (seq) pre.push(this.#videoSequenceHeader(config, ts));
    }
    this.#videoConfig = config;
    this.#videoStarted = true;

    const nals = u.nals;
    const nal0 = nals[0];
    // Tag header, video tag header and the first NAL length in one slab view, PreviousTagSize
    // right after it (one carve); each further NAL gets a 4-byte length chunk.
    const frameType = u.key ? 1 : 2;
    const headSize = 11 + vh + 4;
    const p = carve(headSize + 4);
    const dv = slabView;
    if (hevc) {
      tagHeader(dv, p, TAG_VIDEO, dataSize, ts, 0x80 | (frameType << 4) | (exX ? 3 : 1));
      dv.setUint32(p + 12, HVC1_U32);
      if (!exX) dv.setUint32(p + 16, (cts & 0xffffff) * 256); // SI24 (then the NAL length's first byte, rewritten below); not << 8: a negative cts is undefined behaviour in XS's C
    } else {
      tagHeader(dv, p, TAG_VIDEO, dataSize, ts, (frameType << 4) | 7);
      dv.setUint32(p + 12, ((1 << 24) | (cts & 0xffffff)) >>> 0); // AVC NALU, CompositionTime SI24
    }
    dv.setUint32(p + headSize - 4, nal0.length);
    dv.setUint32(p + headSize, 11 + dataSize);
    const head = new Uint8Array(slabBuffer, p, headSize);
    const tail = new Uint8Array(slabBuffer, p + headSize, 4);
    let chunks: Uint8Array[];
    if (pre === undefined && nals.length === 1) {
      chunks = this.#three; // the usual tag: the muxer's array, no literal, no pushes
      chunks[0] = head;
      chunks[1] = nal0;
      chunks[2] = tail;
    } else {
      chunks = pre ?? [];
      chunks.push(head, nal0);
      for (let i = 1; i < nals.length; i++) chunks.push(u32Chunk(nals[i].length), nals[i]);
      chunks.push(tail);
    }
    const info = this.#info; // inline #emit: XS pays per call
    info.fileHeader = fileHeader;
    info.sequenceHeader = seq;
    info.track = "video";
    info.key = u.key;
    info.timestampMs = ts;
    this.#sink(chunks, info);
  }

  /** Adds one audio unit from an AudioTrack (shared with other muxers); see writeAudio. */
  writeAudioUnit(u: AudioUnit): boolean {
    const origin = this.audioOrigin(u, this.#videoStarted, this.#audioStarted);
    if (origin === undefined) return false;
    const payload = u.payload;
    // --- validated: commit ---
    this.origin = origin;
    this.#audioStarted = true;
    const ts = round(u.ptsMs - origin);
    const config = u.config;
    const seq = config !== this.#audioConfig;
    const fileHeader = !this.#headerWritten;
    let pre: Uint8Array[] | undefined;
    if (fileHeader || seq) {
      pre = [];
      this.#fileHeader(pre);
      if (seq) {
        const body = new Uint8Array(2 + config.asc.length);
        body[0] = 0xaf;
        body[1] = 0;
        body.set(config.asc, 2);
        pre.push(smallTag(TAG_AUDIO, ts, body));
      }
    }
    this.#audioConfig = config;
    const p = carve(13 + 4);
    const dv = slabView;
    const size = payload.length;
    tagHeader(dv, p, TAG_AUDIO, 2 + size, ts, 0xaf);
    dv.setUint32(p + 13, 13 + size); // PreviousTagSize
    slab[p + 12] = 1; // AAC raw
    const head = new Uint8Array(slabBuffer, p, 13);
    const tail = new Uint8Array(slabBuffer, p + 13, 4);
    let chunks: Uint8Array[];
    if (pre === undefined) {
      chunks = this.#three;
      chunks[0] = head;
      chunks[1] = payload;
      chunks[2] = tail;
    } else {
      chunks = pre;
      chunks.push(head, payload, tail);
    }
    const info = this.#info; // inline #emit: XS pays per call
    info.fileHeader = fileHeader;
    info.sequenceHeader = seq;
    info.track = "audio";
    info.key = true;
    info.timestampMs = ts;
    this.#sink(chunks, info);
    return true;
  }

  /** Writes the video end-of-sequence tag (if video was written); further writes throw. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.#videoConfig) return;
    const body = this.#videoConfig.codec === "h264"
      ? new Uint8Array([0x17, 2, 0, 0, 0])
      : new Uint8Array([0x80 | (1 << 4) | 2, HVC1[0], HVC1[1], HVC1[2], HVC1[3]]);
    this.#emit([smallTag(TAG_VIDEO, this.#lastVideoTs, body)], false, false, "end", false, this.#lastVideoTs);
  }
}
