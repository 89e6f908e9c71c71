/**
 * Streaming fragmented-MP4 muxer: H.264/H.265 Annex-B access units and AAC ADTS frames in,
 * init segments and moof+mdat fragments out through `sink(chunks, info)`. No seeking, no files,
 * no payload copies: chunks are small header views plus subarrays of the caller's buffers, so
 * the caller must keep input buffers unchanged until the sink has consumed the chunks (the sink
 * is called synchronously from writeVideo, writeAudio, flush and end).
 *
 * Timing: video timescale 90 kHz (ms * 90), audio timescale = sample rate. Each track holds one
 * frame back until the next frame gives its duration; a fragment's last frame (at flush()/end(),
 * a discontinuity, or an audio config change) gets the previous duration, or the duration passed
 * to flush(). Composition offsets (PTS - DTS) are written only when some sample needs one.
 *
 * Fragmenting: "gop" (default) cuts before every video key frame (audio-only: every
 * fragmentDurationMs); "duration" cuts at the first frame once the fragment reaches
 * fragmentDurationMs; "parts" cuts before every key frame and before a frame that would carry the
 * fragment past fragmentDurationMs (judged by the last frame interval), so fragments stay within
 * it — LL-HLS parts (modules/protocol PART_TARGET_MS). A change of parameter sets (video) or AudioSpecificConfig (audio) closes the
 * fragment and the next fragment is preceded by a new init segment.
 *
 * Start: with a video track, the first video frame must be a key frame with parameter sets
 * (NoKeyFrameError / MissingParameterSetError otherwise) and audio frames before it are dropped
 * (writeAudio returns false). Any thrown MediaError rejects only that frame.
 *
 * Input: `writeVideo`/`writeAudio` take raw frames and run them through the muxer's own tracks
 * (track.ts); `writeVideoUnit`/`writeAudioUnit` take units a shared VideoTrack/AudioTrack made
 * once for several muxers (the track's maxJumpMs/onJump then apply, not the muxer's).
 * Options are range-checked (RangeError): durations in (0, MAX_DURATION_MS] ms (a sample
 * duration must fit the 32-bit `trun` field at 96 kHz), maxJumpMs in [0, MAX_DURATION_MS].
 * Decode times go into 64-bit `tfdt` boxes; a fragment is cut before its `mdat` would pass 2 GiB
 * (the 32-bit signed data offsets of `trun`).
 */
import type { VideoCodec } from "./annexb.js";
import type { AudioConfig } from "./audio.js";
import { TimestampError } from "./errors.js";
import {
  fragmentChunks, initSegment, VIDEO_TIMESCALE, type AudioRun, type VideoRun,
} from "./mp4-boxes.js";
import { checkDurationOption } from "./timeline.js";
import { MuxerInput, type MuxerInputOptions } from "./muxer-input.js";
import type { AudioUnit, VideoUnit } from "./track.js";
import type { VideoConfig } from "./video.js";

export interface InitInfo {
  type: "init";
  /** Comma-separated codec strings, video first, e.g. "avc1.4d401e,mp4a.40.2". */
  codecs: string;
  width?: number;
  height?: number;
  sampleRate?: number;
}

export interface FragmentInfo {
  type: "fragment";
  sequence: number;
  /** Start and duration in ms relative to the stream origin (video track when present). */
  startMs: number;
  durationMs: number;
  /** The fragment starts with a video key frame (always true for audio-only). */
  key: boolean;
  videoSamples: number;
  audioSamples: number;
}

export type Fmp4Sink = (chunks: Uint8Array[], info: InitInfo | FragmentInfo) => void;

export interface Fmp4MuxerOptions extends MuxerInputOptions {
  /** Video codec; omit for audio-only. */
  video?: VideoCodec;
  /** AAC (ADTS input) track. */
  audio?: boolean;
  sink: Fmp4Sink;
  fragment?: "gop" | "duration" | "parts";
  /** Target fragment duration (duration mode, and audio-only streams). Default 1000 ms. */
  fragmentDurationMs?: number;
  /** The first fragment's `mfhd` sequence number (default 1), for a muxer that continues a stream. */
  firstSequence?: number;
}


// Largest mdat payload of one fragment: trun's data_offset is a signed 32-bit field.
const MAX_FRAGMENT_BYTES = 0x7fffffff - 0x10000;
const U32_MAX = 0xffffffff;
// XS looks a method up through the Math object's property list on every call.
const round = Math.round;

export class Fmp4Muxer extends MuxerInput {
  readonly #sink: Fmp4Sink;
  readonly #gop: boolean;
  readonly #parts: boolean;
  readonly #fragmentDuration: number;
  #sequence = 0;
  // configuration
  #videoConfig: VideoConfig | undefined;
  #audioConfig: AudioConfig | undefined;
  #initVideo: VideoConfig | undefined;
  #initAudio: AudioConfig | undefined;
  #initWritten = false;
  // video track
  #videoStarted = false;
  // The last unit waits for the next one to give its duration (no per-frame object: XS pays per
  // allocation, and the unit already holds what the sample needs).
  #heldVideo: VideoUnit | undefined;
  #heldVideoDts = 0;
  #heldVideoCts = 0;
  // The fragment's samples; the arrays are kept from fragment to fragment (on XS a growing array
  // reallocates, and the fragment's record would be one more object per GOP). Entries past
  // `count` are the last fragments' until overwritten: at most a GOP of units held a while longer.
  readonly #videoRun: VideoRun = { baseDts: 0, count: 0, samples: [], durations: [], cts: [] };
  #videoRunDuration = 0;
  #lastVideoDuration = 0;
  // audio track
  #audioStarted = false;
  #heldAudio: Uint8Array | undefined;
  #heldAudioDts = 0;
  readonly #audioRun: AudioRun = { baseDts: 0, count: 0, payloads: [], durations: [] };
  #audioRunDuration = 0;
  #lastAudioDuration = 0;
  // mdat bytes of the runs (held samples included)
  #runBytes = 0;

  constructor(opts: Fmp4MuxerOptions) {
    super(opts);
    if (opts.fragment !== undefined && opts.fragment !== "gop" && opts.fragment !== "duration" && opts.fragment !== "parts") {
      throw new RangeError(`fragment must be "gop", "duration" or "parts", got ${String(opts.fragment)}`);
    }
    checkDurationOption("fragmentDurationMs", opts.fragmentDurationMs);
    this.#sink = opts.sink;
    this.#gop = (opts.fragment ?? "gop") === "gop";
    this.#parts = opts.fragment === "parts";
    this.#fragmentDuration = opts.fragmentDurationMs ?? 1000;
    const first = opts.firstSequence ?? 1;
    if (!Number.isInteger(first) || first < 1 || first > U32_MAX) throw new RangeError(`firstSequence must be an integer in [1, 2^32 - 1], got ${String(first)}`);
    this.#sequence = first - 1;
  }

  /** Adds one video unit from a VideoTrack (shared with other muxers). */
  writeVideoUnit(u: VideoUnit): void {
    const origin = this.videoOrigin(u, this.#videoStarted);
    // Parameter sets are taken from key frames only.
    const config = u.key ? u.config : this.#videoConfig!;
    const dts = round((u.dtsMs - origin) * 90);
    const cts = round((u.ptsMs - origin) * 90) - dts;
    if (cts > 0x7fffffff) throw new TimestampError("PTS - DTS beyond the 32-bit composition offset");
    const held = this.#heldVideo;
    const heldDts = this.#heldVideoDts;
    if (held && dts <= heldDts) throw new TimestampError("timestamp not increasing at 90 kHz");
    // A gap this muxer cannot write as one duration (units it refused in between) is a jump too.
    const jump = u.discontinuity || (held !== undefined && dts - heldDts > U32_MAX);
    // --- validated: commit ---
    this.origin = origin;
    if (held) {
      this.#heldVideo = undefined;
      this.#pushVideo(held, jump ? this.#lastVideoDuration || this.#defaultVideoDuration() : dts - heldDts);
    }
    const configChanged = config !== this.#videoConfig;
    if (jump || (configChanged && (this.#initWritten || this.#videoRun.count > 0)) || this.#runBytes + u.sampleSize > MAX_FRAGMENT_BYTES) {
      this.#flushRuns();
    } else if (this.#videoRun.count > 0) {
      if (this.#gop ? u.key
        : this.#parts ? u.key || this.#videoRunDuration + this.#lastVideoDuration > this.#fragmentDuration * 90
        : this.#videoRunDuration >= this.#fragmentDuration * 90) this.#flushRuns();
    }
    this.#videoConfig = config;
    this.#videoStarted = true;
    this.#runBytes += u.sampleSize;
    this.#heldVideo = u;
    this.#heldVideoDts = dts;
    this.#heldVideoCts = cts;
  }

  /** Adds one audio unit from an AudioTrack (shared with other muxers); see writeAudio. */
  writeAudioUnit(u: AudioUnit): boolean {
    const origin = this.audioOrigin(u, this.#videoStarted, this.#audioStarted);
    if (origin === undefined) return false;
    const config = u.config;
    const configChanged = config !== this.#audioConfig;
    const dts = round(((u.ptsMs - origin) * config.sampleRate) / 1000);
    const held = this.#heldAudio;
    const heldDts = this.#heldAudioDts;
    if (held && !configChanged && dts <= heldDts) throw new TimestampError("timestamp not increasing at audio rate");
    const jump = u.discontinuity || (held !== undefined && dts - heldDts > U32_MAX);
    // --- validated: commit ---
    this.origin = origin;
    if (held) {
      this.#heldAudio = undefined;
      this.#pushAudio(held, !jump && !configChanged ? dts - heldDts : this.#lastAudioDuration || 1024);
    }
    if (jump || (configChanged && (this.#initWritten || this.#audioRun.count > 0)) || this.#runBytes + u.payload.length > MAX_FRAGMENT_BYTES) {
      this.#flushRuns();
    } else if (!this.video && this.#audioRun.count > 0 &&
      (this.#parts ? (this.#audioRunDuration + this.#lastAudioDuration) * 1000 > this.#fragmentDuration * config.sampleRate
        : this.#audioRunDuration * 1000 >= this.#fragmentDuration * config.sampleRate)) {
      this.#flushRuns();
    }
    this.#audioConfig = config;
    this.#audioStarted = true;
    this.#runBytes += u.payload.length;
    this.#heldAudio = u.payload;
    this.#heldAudioDts = dts;
    return true;
  }

  /**
   * Ends the current fragment now, including the held-back frames; their duration is
   * `durationMs` when given (in (0, MAX_DURATION_MS], else RangeError), else the previous
   * frame's duration.
   */
  flush(durationMs?: number): void {
    checkDurationOption("flush duration", durationMs);
    if (this.ended) return;
    const hv = this.#heldVideo;
    if (hv) {
      this.#heldVideo = undefined;
      this.#pushVideo(hv, durationMs !== undefined ? Math.max(1, round(durationMs * 90)) : this.#lastVideoDuration || this.#defaultVideoDuration());
    }
    const ha = this.#heldAudio;
    if (ha) {
      this.#heldAudio = undefined;
      const rate = this.#audioConfig!.sampleRate;
      this.#pushAudio(ha, durationMs !== undefined ? Math.max(1, round((durationMs * rate) / 1000)) : this.#lastAudioDuration || 1024);
    }
    this.#flushRuns();
  }

  /** Flushes and ends the stream; further writes throw MuxerStateError. */
  end(durationMs?: number): void {
    checkDurationOption("end duration", durationMs);
    if (this.ended) return;
    this.flush(durationMs);
    this.ended = true;
  }


  #defaultVideoDuration(): number {
    const fps = this.#videoConfig?.frameRate;
    return fps && fps > 0 && fps < 1000 ? round(VIDEO_TIMESCALE / fps) : 3600;
  }

  #pushVideo(u: VideoUnit, duration: number): void {
    this.#lastVideoDuration = duration;
    const run = this.#videoRun;
    const i = run.count++;
    if (i === 0) {
      run.baseDts = this.#heldVideoDts;
      this.#videoRunDuration = 0;
    }
    run.samples[i] = u;
    run.durations[i] = duration;
    run.cts[i] = this.#heldVideoCts;
    this.#videoRunDuration += duration;
  }

  #pushAudio(payload: Uint8Array, duration: number): void {
    this.#lastAudioDuration = duration;
    const run = this.#audioRun;
    const i = run.count++;
    if (i === 0) {
      run.baseDts = this.#heldAudioDts;
      this.#audioRunDuration = 0;
    }
    run.payloads[i] = payload;
    run.durations[i] = duration;
    this.#audioRunDuration += duration;
  }

  /** Writes the collected samples as one fragment (preceded by an init segment when needed). */
  #flushRuns(): void {
    const vr = this.#videoRun;
    const ar = this.#audioRun;
    // The held samples stay: they start the next fragment.
    this.#runBytes = (this.#heldVideo ? this.#heldVideo.sampleSize : 0) + (this.#heldAudio ? this.#heldAudio.length : 0);
    const videoSamples = vr.count;
    const audioSamples = ar.count;
    if (videoSamples === 0 && audioSamples === 0) return;
    // The fragment is made first (from the runs, before they are emptied); a sink that throws
    // loses the fragment, as it loses its init segment.
    const video = videoSamples > 0 ? vr : undefined;
    const audio = audioSamples > 0 ? ar : undefined;
    // mfhd numbers are 32-bit: after 2^32 - 1 the count starts again at 1.
    const sequence = this.#sequence >= U32_MAX ? 1 : this.#sequence + 1;
    const chunks = fragmentChunks(sequence, video, audio);
    const key = video ? vr.samples[0].key : true;
    vr.count = 0;
    ar.count = 0;
    if (!this.#initWritten || this.#initVideo !== this.#videoConfig || this.#initAudio !== this.#audioConfig) {
      this.#initWritten = true;
      this.#initVideo = this.#videoConfig;
      this.#initAudio = this.#audioConfig;
      const v = this.#videoConfig;
      const a = this.#audioConfig;
      const codecs: string[] = [];
      if (v) codecs.push(v.codecString);
      if (a) codecs.push(a.codecString);
      this.#sink([initSegment(v, a)], {
        type: "init", codecs: codecs.join(","), width: v?.width, height: v?.height, sampleRate: a?.sampleRate,
      });
    }
    this.#sequence = sequence;
    const rate = this.#audioConfig ? this.#audioConfig.sampleRate : 1000;
    this.#sink(chunks, {
      type: "fragment",
      sequence: this.#sequence,
      startMs: video ? vr.baseDts / 90 : (ar.baseDts * 1000) / rate,
      durationMs: video ? this.#videoRunDuration / 90 : (this.#audioRunDuration * 1000) / rate,
      key,
      videoSamples,
      audioSamples,
    });
  }
}
