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

export type FlvSink = (chunks: Uint8Array[], info: FlvInfo) => void;

export interface FlvMuxerOptions extends TimelineOptions {
  video?: VideoCodec;
  audio?: boolean;
  sink: FlvSink;
}

const TAG_AUDIO = 8;
const TAG_VIDEO = 9;
const HVC1 = [0x68, 0x76, 0x63, 0x31];
const MAX_DATA_SIZE = 0xffffff;
const MAX_CTS = 0x7fffff;

function tagHeader(b: Uint8Array, type: number, dataSize: number, ts: number): void {
  b[0] = type;
  b[1] = (dataSize >>> 16) & 0xff;
  b[2] = (dataSize >>> 8) & 0xff;
  b[3] = dataSize & 0xff;
  const t = ts >>> 0; // FLV timestamps wrap at 2^32 ms (TimestampExtended holds bits 24..31)
  b[4] = (t >>> 16) & 0xff;
  b[5] = (t >>> 8) & 0xff;
  b[6] = t & 0xff;
  b[7] = (t >>> 24) & 0xff;
  b[8] = 0;
  b[9] = 0;
  b[10] = 0;
}

function u32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** PreviousTagSize as its own 4-byte chunk. */
function tagSize(v: number): Uint8Array {
  const b = new Uint8Array(4);
  u32(b, 0, v);
  return b;
}

/** A complete tag (header + body + PreviousTagSize) for a small body that is copied in. */
function smallTag(type: number, ts: number, body: Uint8Array): Uint8Array {
  const t = new Uint8Array(11 + body.length + 4);
  tagHeader(t, type, body.length, ts);
  t.set(body, 11);
  u32(t, 11 + body.length, 11 + body.length);
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

  /** Adds one video unit from a VideoTrack (shared with other muxers). */
  writeVideoUnit(u: VideoUnit): void {
    const origin = this.videoOrigin(u, this.#videoStarted);
    const config = u.key ? u.config : this.#videoConfig!;
    const ts = Math.round(u.dtsMs - origin);
    const cts = Math.round(u.ptsMs - origin) - ts;
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
    const chunks: Uint8Array[] = [];
    const fileHeader = this.#fileHeader(chunks);
    if (seq) chunks.push(this.#videoSequenceHeader(config, ts));
    this.#videoConfig = config;
    this.#videoStarted = true;

    const nals = u.nals;
    // Tag header, video tag header and the first NAL length in one small buffer; each further
    // NAL gets a 4-byte length chunk; PreviousTagSize closes the tag.
    const head = new Uint8Array(11 + vh + 4);
    tagHeader(head, TAG_VIDEO, dataSize, ts);
    const frameType = u.key ? 1 : 2;
    let o = 11;
    if (hevc) {
      head[o++] = 0x80 | (frameType << 4) | (exX ? 3 : 1);
      head[o++] = HVC1[0];
      head[o++] = HVC1[1];
      head[o++] = HVC1[2];
      head[o++] = HVC1[3];
    } else {
      head[o++] = (frameType << 4) | 7;
      head[o++] = 1; // AVC NALU
    }
    if (!exX) {
      head[o++] = (cts >> 16) & 0xff;
      head[o++] = (cts >> 8) & 0xff;
      head[o++] = cts & 0xff;
    }
    u32(head, o, nals[0].length);
    chunks.push(head, nals[0]);
    for (let i = 1; i < nals.length; i++) chunks.push(tagSize(nals[i].length), nals[i]);
    chunks.push(tagSize(11 + dataSize));
    this.#sink(chunks, { type: "flv", fileHeader, sequenceHeader: seq, track: "video", key: u.key, timestampMs: ts });
  }

  /** Adds one audio unit from an AudioTrack (shared with other muxers); see writeAudio. */
  writeAudioUnit(u: AudioUnit): boolean {
    this.checkOpen(this.audio, "audio");
    if (this.video && !this.#videoStarted) return false;
    if (!this.#audioStarted && this.origin !== undefined && u.ptsMs < this.origin) return false;
    const origin = this.origin ?? u.ptsMs;
    if (u.ptsMs < origin) throw new TimestampError("timestamp before stream origin");
    const payload = u.payload;
    // --- validated: commit ---
    this.origin = origin;
    this.#audioStarted = true;
    const ts = Math.round(u.ptsMs - origin);
    const chunks: Uint8Array[] = [];
    const fileHeader = this.#fileHeader(chunks);
    const config = u.config;
    const seq = config !== this.#audioConfig;
    if (seq) {
      const body = new Uint8Array(2 + config.asc.length);
      body[0] = 0xaf;
      body[1] = 0;
      body.set(config.asc, 2);
      chunks.push(smallTag(TAG_AUDIO, ts, body));
    }
    this.#audioConfig = config;
    const head = new Uint8Array(11 + 2);
    tagHeader(head, TAG_AUDIO, 2 + payload.length, ts);
    head[11] = 0xaf;
    head[12] = 1;
    chunks.push(head, payload, tagSize(11 + 2 + payload.length));
    this.#sink(chunks, { type: "flv", fileHeader, sequenceHeader: seq, track: "audio", key: true, timestampMs: ts });
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
    this.#sink([smallTag(TAG_VIDEO, this.#lastVideoTs, body)], {
      type: "flv", fileHeader: false, sequenceHeader: false, track: "end", key: false, timestampMs: this.#lastVideoTs,
    });
  }
}
