/**
 * What both muxers share on their input side: option checks common to them, their own
 * VideoTrack/AudioTrack for raw frames (`writeVideo`/`writeAudio`), and the open/track checks of
 * `writeVideoUnit`/`writeAudioUnit`, which subclasses implement.
 */
import type { VideoCodec } from "./annexb.js";
import { MuxerStateError, NoKeyFrameError, TimestampError } from "./errors.js";
import { checkTimelineOptions, MAX_TIMESTAMP_MS, type TimelineOptions } from "./timeline.js";
import { AudioTrack, VideoTrack, checkVideoCodec, type AudioUnit, type VideoUnit } from "./track.js";

export interface MuxerInputOptions extends TimelineOptions {
  video?: VideoCodec;
  audio?: boolean;
  sink: unknown;
  /**
   * The stream's time 0, ms (default: the first accepted frame's DTS). A muxer that writes one
   * part of a longer stream (cloud storage muxes each uploaded segment on its own, so a resend
   * from the ring gives the same bytes) passes the stream's origin; an earlier frame is a
   * TimestampError.
   */
  originMs?: number;
}

export abstract class MuxerInput {
  protected readonly video: VideoCodec | undefined;
  protected readonly audio: boolean;
  protected ended = false;
  /** The stream origin (ms): the first accepted frame's DTS; output times are relative to it. */
  protected origin: number | undefined;
  // Made at the first raw frame: a muxer fed units (cloud storage, the live muxers) never needs them.
  #videoTrack: VideoTrack | undefined;
  #audioTrack: AudioTrack | undefined;
  readonly #timeline: TimelineOptions;

  constructor(opts: MuxerInputOptions) {
    if (!opts.video && !opts.audio) throw new MuxerStateError("muxer needs a video or an audio track");
    if (typeof opts.sink !== "function") throw new TypeError("sink must be a function");
    checkTimelineOptions(opts);
    if (opts.video) checkVideoCodec(opts.video);
    this.#timeline = { maxJumpMs: opts.maxJumpMs, onJump: opts.onJump };
    this.video = opts.video || undefined;
    this.audio = !!opts.audio;
    if (opts.originMs !== undefined) {
      if (typeof opts.originMs !== "number" || !(Math.abs(opts.originMs) <= MAX_TIMESTAMP_MS)) {
        throw new RangeError(`originMs must be a number within ±2^45 ms, got ${String(opts.originMs)}`);
      }
      this.origin = opts.originMs;
    }
  }

  /**
   * Adds one Annex-B access unit through the muxer's own track. `dtsMs` defaults to `ptsMs` (no
   * B-frames); `info` is capture's AU info word (track.ts), optional. Throws a MediaError and
   * ignores the frame when it is malformed or out of order.
   */
  writeVideo(au: Uint8Array, ptsMs: number, dtsMs: number = ptsMs, info?: number): void {
    this.checkOpen(this.video, "video");
    const track = this.#videoTrack ??= new VideoTrack({ ...this.#timeline, codec: this.video! });
    const unit = track.process(au, ptsMs, dtsMs, info);
    try {
      this.writeVideoUnit(unit);
    } catch (e) {
      track.undo(); // the frame is rejected as a whole
      throw e;
    }
  }

  /**
   * Adds one complete ADTS frame through the muxer's own track. Returns false when the frame was
   * dropped because the video track has not started yet (or it precedes the stream origin before
   * any audio was accepted). Throws a MediaError and ignores the frame when malformed.
   */
  writeAudio(adts: Uint8Array, ptsMs: number): boolean {
    this.checkOpen(this.audio, "audio");
    const track = this.#audioTrack ??= new AudioTrack(this.#timeline);
    const unit = track.process(adts, ptsMs);
    try {
      return this.writeAudioUnit(unit);
    } catch (e) {
      track.undo();
      throw e;
    }
  }

  /** Adds one video unit from a VideoTrack (shared with other muxers). */
  abstract writeVideoUnit(u: VideoUnit): void;

  /** Adds one audio unit from an AudioTrack (shared with other muxers); see writeAudio. */
  abstract writeAudioUnit(u: AudioUnit): boolean;

  /** Throws MuxerStateError after end() or for a track the muxer was not made with. */
  protected checkOpen(track: unknown, kind: string): void {
    if (this.ended) throw new MuxerStateError("muxer has ended");
    if (!track) throw new MuxerStateError(`muxer has no ${kind} track`);
  }

  /**
   * The checks every muxer makes on a video unit before using it: open, a video track of the
   * unit's codec, started at a key frame, not before the stream origin. Returns the origin
   * (the unit's DTS for the first frame); the caller commits it to `origin`.
   */
  protected videoOrigin(u: VideoUnit, started: boolean): number {
    if (this.ended || !this.video) this.checkOpen(this.video, "video"); // throws
    if (u.config.codec !== this.video) throw new MuxerStateError(`muxer video track is ${this.video}, unit is ${u.config.codec}`);
    if (!started && !u.key) throw new NoKeyFrameError("video must start with a key frame");
    const origin = this.origin ?? u.dtsMs;
    if (u.dtsMs < origin) throw new TimestampError("timestamp before stream origin");
    return origin;
  }

  /**
   * The same for an audio unit: open, an audio track; undefined when it is dropped (the video
   * track has not started, or it precedes the origin before any audio was accepted), else the
   * origin (the unit's PTS for the first frame), which the caller commits.
   */
  protected audioOrigin(u: AudioUnit, videoStarted: boolean, audioStarted: boolean): number | undefined {
    if (this.ended || !this.audio) this.checkOpen(this.audio, "audio"); // throws
    if (this.video && !videoStarted) return undefined;
    if (!audioStarted && this.origin !== undefined && u.ptsMs < this.origin) return undefined;
    const origin = this.origin ?? u.ptsMs;
    if (u.ptsMs < origin) throw new TimestampError("timestamp before stream origin");
    return origin;
  }
}
