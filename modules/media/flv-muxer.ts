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
 * Errors and start rules are those of the fMP4 muxer (see errors.ts, timeline.ts).
 */
import type { VideoCodec } from "./annexb.js";
import { parseAdtsFrame } from "./aac.js";
import { audioConfigFor, type AudioConfig } from "./audio.js";
import { MuxerStateError, NoKeyFrameError } from "./errors.js";
import { checkTimestamps, type TimelineOptions } from "./timeline.js";
import { analyzeAccessUnit, configForKeyFrame, type VideoConfig } from "./video.js";

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

function tagHeader(b: Uint8Array, type: number, dataSize: number, ts: number): void {
  b[0] = type;
  b[1] = (dataSize >>> 16) & 0xff;
  b[2] = (dataSize >>> 8) & 0xff;
  b[3] = dataSize & 0xff;
  const t = ts >>> 0;
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

/** A complete tag (header + body + PreviousTagSize) for a small body that is copied in. */
function smallTag(type: number, ts: number, body: Uint8Array): Uint8Array {
  const t = new Uint8Array(11 + body.length + 4);
  tagHeader(t, type, body.length, ts);
  t.set(body, 11);
  u32(t, 11 + body.length, 11 + body.length);
  return t;
}

export class FlvMuxer {
  private readonly opts: FlvMuxerOptions;
  private readonly sink: FlvSink;
  private headerWritten = false;
  private ended = false;
  private origin: number | undefined;
  private videoConfig: VideoConfig | undefined;
  private audioConfig: AudioConfig | undefined;
  private videoStarted = false;
  private audioStarted = false;
  private lastVideoDtsMs: number | undefined;
  private lastAudioMs: number | undefined;
  private lastVideoTs = 0;

  constructor(opts: FlvMuxerOptions) {
    if (!opts.video && !opts.audio) throw new MuxerStateError("muxer needs a video or an audio track");
    this.opts = opts;
    this.sink = opts.sink;
  }

  private fileHeader(chunks: Uint8Array[]): boolean {
    if (this.headerWritten) return false;
    this.headerWritten = true;
    const h = new Uint8Array(13);
    h.set([0x46, 0x4c, 0x56, 1, (this.opts.audio ? 4 : 0) | (this.opts.video ? 1 : 0), 0, 0, 0, 9, 0, 0, 0, 0]);
    chunks.push(h);
    return true;
  }

  private videoSequenceHeader(c: VideoConfig, ts: number): Uint8Array {
    const d = c.decoderConfig;
    if (c.codec === "h264") {
      const body = new Uint8Array(5 + d.length);
      body[0] = 0x17;
      body[1] = 0; // AVC sequence header; CompositionTime 0
      body.set(d, 5);
      return smallTag(TAG_VIDEO, ts, body);
    }
    const body = new Uint8Array(5 + d.length);
    body[0] = 0x80 | (1 << 4) | 0; // ExHeader, key frame, SequenceStart
    body.set(HVC1, 1);
    body.set(d, 5);
    return smallTag(TAG_VIDEO, ts, body);
  }

  /** Adds one Annex-B access unit; see Fmp4Muxer.writeVideo for the rules. */
  writeVideo(au: Uint8Array, ptsMs: number, dtsMs: number = ptsMs): void {
    if (this.ended) throw new MuxerStateError("muxer has ended");
    const codec = this.opts.video;
    if (!codec) throw new MuxerStateError("muxer has no video track");
    const frame = analyzeAccessUnit(codec, au);
    if (!this.videoStarted && !frame.key) throw new NoKeyFrameError("video must start with a key frame");
    const config = frame.key ? configForKeyFrame(codec, frame, this.videoConfig) : this.videoConfig!;
    checkTimestamps(ptsMs, dtsMs, this.origin, this.lastVideoDtsMs, this.opts);
    // --- validated: commit ---
    const origin = this.origin ?? dtsMs;
    this.origin = origin;
    this.lastVideoDtsMs = dtsMs;
    const ts = Math.round(dtsMs - origin);
    const cts = Math.round(ptsMs - origin) - ts;
    this.lastVideoTs = ts;
    const chunks: Uint8Array[] = [];
    const fileHeader = this.fileHeader(chunks);
    const seq = config !== this.videoConfig;
    if (seq) chunks.push(this.videoSequenceHeader(config, ts));
    this.videoConfig = config;
    this.videoStarted = true;

    const nals = frame.nals;
    const hevc = codec === "h265";
    const exX = hevc && cts === 0; // CodedFramesX: no CompositionTime field
    const vh = exX ? 5 : hevc ? 8 : 5;
    const dataSize = vh + frame.sampleSize;
    const head = new Uint8Array(11 + vh + 4 * nals.length + 4);
    tagHeader(head, TAG_VIDEO, dataSize, ts);
    const frameType = frame.key ? 1 : 2;
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
    // First NAL length shares the header view; the others are 4-byte views of the same buffer.
    u32(head, o, nals[0].length);
    chunks.push(head.subarray(0, o + 4), nals[0]);
    o += 4;
    for (let i = 1; i < nals.length; i++) {
      u32(head, o, nals[i].length);
      chunks.push(head.subarray(o, o + 4), nals[i]);
      o += 4;
    }
    u32(head, o, 11 + dataSize);
    chunks.push(head.subarray(o, o + 4));
    this.sink(chunks, { type: "flv", fileHeader, sequenceHeader: seq, track: "video", key: frame.key, timestampMs: ts });
  }

  /** Adds one ADTS frame; returns false when dropped before the video track started. */
  writeAudio(adts: Uint8Array, ptsMs: number): boolean {
    if (this.ended) throw new MuxerStateError("muxer has ended");
    if (!this.opts.audio) throw new MuxerStateError("muxer has no audio track");
    const { header, payload } = parseAdtsFrame(adts);
    if (this.opts.video && !this.videoStarted) return false;
    if (!this.audioStarted && this.origin !== undefined && Number.isFinite(ptsMs) && ptsMs < this.origin) return false;
    const config = audioConfigFor(header, this.audioConfig);
    checkTimestamps(ptsMs, ptsMs, this.origin, this.lastAudioMs, this.opts);
    // --- validated: commit ---
    const origin = this.origin ?? ptsMs;
    this.origin = origin;
    this.lastAudioMs = ptsMs;
    this.audioStarted = true;
    const ts = Math.round(ptsMs - origin);
    const chunks: Uint8Array[] = [];
    const fileHeader = this.fileHeader(chunks);
    const seq = config !== this.audioConfig;
    if (seq) {
      const body = new Uint8Array(2 + config.asc.length);
      body[0] = 0xaf;
      body[1] = 0;
      body.set(config.asc, 2);
      chunks.push(smallTag(TAG_AUDIO, ts, body));
    }
    this.audioConfig = config;
    const head = new Uint8Array(11 + 2 + 4);
    tagHeader(head, TAG_AUDIO, 2 + payload.length, ts);
    head[11] = 0xaf;
    head[12] = 1;
    u32(head, 13, 11 + 2 + payload.length);
    chunks.push(head.subarray(0, 13), payload, head.subarray(13, 17));
    this.sink(chunks, { type: "flv", fileHeader, sequenceHeader: seq, track: "audio", key: true, timestampMs: ts });
    return true;
  }

  /** Writes the video end-of-sequence tag (if video was written); further writes throw. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.videoConfig) return;
    const body = this.videoConfig.codec === "h264"
      ? new Uint8Array([0x17, 2, 0, 0, 0])
      : new Uint8Array([0x80 | (1 << 4) | 2, HVC1[0], HVC1[1], HVC1[2], HVC1[3]]);
    this.sink([smallTag(TAG_VIDEO, this.lastVideoTs, body)], {
      type: "flv", fileHeader: false, sequenceHeader: false, track: "end", key: false, timestampMs: this.lastVideoTs,
    });
  }
}
