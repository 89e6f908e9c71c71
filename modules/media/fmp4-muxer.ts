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
 * fragmentDurationMs. A change of parameter sets (video) or AudioSpecificConfig (audio) closes the
 * fragment and the next fragment is preceded by a new init segment.
 *
 * Start: with a video track, the first video frame must be a key frame with parameter sets
 * (NoKeyFrameError / MissingParameterSetError otherwise) and audio frames before it are dropped
 * (writeAudio returns false). Any thrown MediaError rejects only that frame.
 */
import type { VideoCodec } from "./annexb.js";
import { parseAdtsFrame } from "./aac.js";
import { audioConfigFor, type AudioConfig } from "./audio.js";
import { MuxerStateError, NoKeyFrameError, TimestampError } from "./errors.js";
import {
  fragmentChunks, initSegment, VIDEO_TIMESCALE, type AudioSample, type TrackRun, type VideoSample,
} from "./mp4-boxes.js";
import { checkTimestamps, type TimelineOptions } from "./timeline.js";
import { analyzeAccessUnit, configForKeyFrame, type VideoConfig } from "./video.js";

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

export interface Fmp4MuxerOptions extends TimelineOptions {
  /** Video codec; omit for audio-only. */
  video?: VideoCodec;
  /** AAC (ADTS input) track. */
  audio?: boolean;
  sink: Fmp4Sink;
  fragment?: "gop" | "duration";
  /** Target fragment duration (duration mode, and audio-only streams). Default 1000 ms. */
  fragmentDurationMs?: number;
}

interface HeldVideo {
  sample: VideoSample;
  dts: number;
}

interface HeldAudio {
  sample: AudioSample;
  dts: number;
}

export class Fmp4Muxer {
  private readonly opts: Fmp4MuxerOptions;
  private readonly sink: Fmp4Sink;
  private origin: number | undefined;
  private ended = false;
  private sequence = 0;
  // configuration
  private videoConfig: VideoConfig | undefined;
  private audioConfig: AudioConfig | undefined;
  private initVideo: VideoConfig | undefined;
  private initAudio: AudioConfig | undefined;
  private initWritten = false;
  // video track
  private videoStarted = false;
  private lastVideoDtsMs: number | undefined;
  private heldVideo: HeldVideo | undefined;
  private videoRun: TrackRun<VideoSample> | undefined;
  private videoRunDuration = 0;
  private lastVideoDuration = 0;
  // audio track
  private audioStarted = false;
  private lastAudioMs: number | undefined;
  private heldAudio: HeldAudio | undefined;
  private audioRun: TrackRun<AudioSample> | undefined;
  private audioRunDuration = 0;
  private lastAudioDuration = 0;

  constructor(opts: Fmp4MuxerOptions) {
    if (!opts.video && !opts.audio) throw new MuxerStateError("muxer needs a video or an audio track");
    this.opts = opts;
    this.sink = opts.sink;
  }

  /**
   * Adds one Annex-B access unit. `dtsMs` defaults to `ptsMs` (no B-frames).
   * Throws a MediaError and ignores the frame when it is malformed or out of order.
   */
  writeVideo(au: Uint8Array, ptsMs: number, dtsMs: number = ptsMs): void {
    if (this.ended) throw new MuxerStateError("muxer has ended");
    const codec = this.opts.video;
    if (!codec) throw new MuxerStateError("muxer has no video track");
    const frame = analyzeAccessUnit(codec, au);
    if (!this.videoStarted && !frame.key) throw new NoKeyFrameError("video must start with a key frame");
    const config = frame.key ? configForKeyFrame(codec, frame, this.videoConfig) : this.videoConfig!;
    const jump = checkTimestamps(ptsMs, dtsMs, this.origin, this.lastVideoDtsMs, this.opts);
    const origin = this.origin ?? dtsMs;
    const dts = Math.round((dtsMs - origin) * 90);
    const cts = Math.round((ptsMs - origin) * 90) - dts;
    const held = this.heldVideo;
    if (held && dts <= held.dts) throw new TimestampError("timestamp not increasing at 90 kHz");
    // --- validated: commit ---
    this.origin = origin;
    this.lastVideoDtsMs = dtsMs;
    if (held) {
      this.heldVideo = undefined;
      this.pushVideo(held, jump ? this.lastVideoDuration || this.defaultVideoDuration() : dts - held.dts);
    }
    const configChanged = config !== this.videoConfig;
    if (jump || (configChanged && (this.initWritten || this.videoRun))) {
      this.flushRuns();
    } else if (this.videoRun) {
      const mode = this.opts.fragment ?? "gop";
      if (mode === "gop" ? frame.key : this.videoRunDuration >= (this.opts.fragmentDurationMs ?? 1000) * 90) {
        this.flushRuns();
      }
    }
    this.videoConfig = config;
    this.videoStarted = true;
    this.heldVideo = { sample: { nals: frame.nals, size: frame.sampleSize, duration: 0, cts, key: frame.key }, dts };
  }

  /**
   * Adds one complete ADTS frame (header stripped in the output). Returns false when the frame
   * was dropped because the video track has not started yet (or it precedes the stream origin
   * before any audio was accepted). Throws a MediaError and ignores the frame when malformed.
   */
  writeAudio(adts: Uint8Array, ptsMs: number): boolean {
    if (this.ended) throw new MuxerStateError("muxer has ended");
    if (!this.opts.audio) throw new MuxerStateError("muxer has no audio track");
    const { header, payload } = parseAdtsFrame(adts);
    if (this.opts.video && !this.videoStarted) return false;
    if (!this.audioStarted && this.origin !== undefined && Number.isFinite(ptsMs) && ptsMs < this.origin) return false;
    const config = audioConfigFor(header, this.audioConfig);
    const configChanged = config !== this.audioConfig;
    const jump = checkTimestamps(ptsMs, ptsMs, this.origin, this.lastAudioMs, this.opts);
    const origin = this.origin ?? ptsMs;
    const dts = Math.round(((ptsMs - origin) * config.sampleRate) / 1000);
    const held = this.heldAudio;
    if (held && !configChanged && dts <= held.dts) throw new TimestampError("timestamp not increasing at audio rate");
    // --- validated: commit ---
    this.origin = origin;
    this.lastAudioMs = ptsMs;
    if (held) {
      this.heldAudio = undefined;
      const exact = !jump && !configChanged;
      this.pushAudio(held, exact ? dts - held.dts : this.lastAudioDuration || header.samplesPerFrame);
    }
    if (jump || (configChanged && (this.initWritten || this.audioRun))) {
      this.flushRuns();
    } else if (!this.opts.video && this.audioRun &&
      this.audioRunDuration * 1000 >= (this.opts.fragmentDurationMs ?? 1000) * config.sampleRate) {
      this.flushRuns();
    }
    this.audioConfig = config;
    this.audioStarted = true;
    this.heldAudio = { sample: { payload, duration: 0 }, dts };
    return true;
  }

  /**
   * Ends the current fragment now, including the held-back frames; their duration is
   * `durationMs` when given, else the previous frame's duration.
   */
  flush(durationMs?: number): void {
    if (this.ended) return;
    const hv = this.heldVideo;
    if (hv) {
      this.heldVideo = undefined;
      const d = durationMs !== undefined && durationMs > 0 ? Math.round(durationMs * 90) : this.lastVideoDuration || this.defaultVideoDuration();
      this.pushVideo(hv, d);
    }
    const ha = this.heldAudio;
    if (ha) {
      this.heldAudio = undefined;
      const rate = this.audioConfig!.sampleRate;
      const d = durationMs !== undefined && durationMs > 0 ? Math.round((durationMs * rate) / 1000) : this.lastAudioDuration || 1024;
      this.pushAudio(ha, d);
    }
    this.flushRuns();
  }

  /** Flushes and ends the stream; further writes throw MuxerStateError. */
  end(durationMs?: number): void {
    if (this.ended) return;
    this.flush(durationMs);
    this.ended = true;
  }

  private defaultVideoDuration(): number {
    const fps = this.videoConfig?.frameRate;
    return fps && fps > 0 && fps < 1000 ? Math.round(VIDEO_TIMESCALE / fps) : 3600;
  }

  private pushVideo(h: HeldVideo, duration: number): void {
    h.sample.duration = duration;
    this.lastVideoDuration = duration;
    if (!this.videoRun) {
      this.videoRun = { baseDts: h.dts, samples: [] };
      this.videoRunDuration = 0;
    }
    this.videoRun.samples.push(h.sample);
    this.videoRunDuration += duration;
  }

  private pushAudio(h: HeldAudio, duration: number): void {
    h.sample.duration = duration;
    this.lastAudioDuration = duration;
    if (!this.audioRun) {
      this.audioRun = { baseDts: h.dts, samples: [] };
      this.audioRunDuration = 0;
    }
    this.audioRun.samples.push(h.sample);
    this.audioRunDuration += duration;
  }

  /** Writes the collected samples as one fragment (preceded by an init segment when needed). */
  private flushRuns(): void {
    const video = this.videoRun;
    const audio = this.audioRun;
    if (!video && !audio) return;
    this.videoRun = undefined;
    this.audioRun = undefined;
    if (!this.initWritten || this.initVideo !== this.videoConfig || this.initAudio !== this.audioConfig) {
      this.initWritten = true;
      this.initVideo = this.videoConfig;
      this.initAudio = this.audioConfig;
      const v = this.videoConfig;
      const a = this.audioConfig;
      const codecs: string[] = [];
      if (v) codecs.push(v.codecString);
      if (a) codecs.push(a.codecString);
      this.sink([initSegment(v, a)], {
        type: "init", codecs: codecs.join(","), width: v?.width, height: v?.height, sampleRate: a?.sampleRate,
      });
    }
    this.sequence++;
    const chunks = fragmentChunks(this.sequence, video, audio);
    const rate = this.audioConfig ? this.audioConfig.sampleRate : 1000;
    this.sink(chunks, {
      type: "fragment",
      sequence: this.sequence,
      startMs: video ? video.baseDts / 90 : (audio!.baseDts * 1000) / rate,
      durationMs: video ? this.videoRunDuration / 90 : (this.audioRunDuration * 1000) / rate,
      key: video ? video.samples[0].key : true,
      videoSamples: video ? video.samples.length : 0,
      audioSamples: audio ? audio.samples.length : 0,
    });
  }
}
