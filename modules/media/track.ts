/**
 * The track stage: "process once, mux many" (mediamtx's format processor → outputs split).
 *
 * A VideoTrack turns each Annex-B access unit into a VideoUnit once — NAL split, key-frame and
 * parameter-set analysis (a changed SPS/PPS/VPS at a key frame gives a new VideoConfig), the
 * timestamp rules of timeline.ts — and any number of muxers consume that unit
 * (`writeVideoUnit`). An AudioTrack does the same for ADTS frames (AudioUnit, `writeAudioUnit`).
 * Video units and configurations are immutable once returned: muxers keep them (fMP4 holds a
 * GOP), compare configurations by identity, and copy no payload (`nals` and `payload` are views
 * of the input, which must stay unchanged while a muxer holds them). An AudioTrack returns one
 * unit object per track, rewritten by each `process`: an AudioUnit is valid until the track's
 * next `process` (an object literal costs XS ~600 instructions a property); consumers keep its
 * fields (fMP4 keeps `payload` and `config`), never the unit.
 *
 * `process` either returns a unit and advances the track, or throws a MediaError and changes
 * nothing. A video track starts at a key frame with its parameter sets (NoKeyFrameError /
 * MissingParameterSetError before).
 *
 * Frames from capture carry `info`, capture's classification of the access unit (the AU info
 * word, IVXS_AU_INFO_* of native/annexb/annexb.h). With it the track skips what capture already
 * knows: a single-NAL access unit without parameter sets (the usual inter frame) is not scanned
 * again. Without it (or for another codec) the track scans. The word is trusted: pass only what
 * capture produced for this very buffer.
 */
import { adtsFrameLength, adtsHeaderLength, parseAdtsFrame } from "./aac.js";
import { AU_INFO, loneVclNal, type VideoCodec } from "./annexb.js";
import { audioConfigFor, type AudioConfig } from "./audio.js";
import { NoKeyFrameError } from "./errors.js";
import { checkTimelineOptions, checkTimestamps, MAX_TIMESTAMP_MS, type TimelineOptions } from "./timeline.js";
import { analyzeAccessUnit, configForKeyFrame, type VideoConfig } from "./video.js";

// Info words that let the track skip the scan: one VCL NAL, no parameter set; or an AUD and
// one VCL NAL (what encoders that write AUDs emit for every inter frame).
const INFO_ONE_NAL = 1 << AU_INFO.COUNT_SHIFT;
const INFO_TWO_NALS = 2 << AU_INFO.COUNT_SHIFT;
const INFO_FAST_MASK = AU_INFO.COUNT_MASK | AU_INFO.VCL | AU_INFO.VPS | AU_INFO.SPS | AU_INFO.PPS | AU_INFO.AUD | AU_INFO.H265;

export interface VideoUnit {
  /** NAL units of the sample (subarrays of the input): no parameter sets, no AUD. */
  readonly nals: Uint8Array[];
  /** Sum over `nals` of 4 + length: the sample size with 4-byte length prefixes. */
  readonly sampleSize: number;
  readonly key: boolean;
  /** The configuration in force for this unit (a new object when a key frame changed it). */
  readonly config: VideoConfig;
  readonly ptsMs: number;
  readonly dtsMs: number;
  /** DTS jumped by more than maxJumpMs (onJump "discontinuity"). */
  readonly discontinuity: boolean;
}

/** One per AudioTrack, rewritten by each `process`: valid until the track's next call. */
export interface AudioUnit {
  /** Raw AAC frame (subarray of the ADTS input, header stripped). */
  readonly payload: Uint8Array;
  readonly config: AudioConfig;
  readonly ptsMs: number;
  readonly discontinuity: boolean;
}

export interface VideoTrackOptions extends TimelineOptions {
  codec: VideoCodec;
}

export type AudioTrackOptions = TimelineOptions;

/** RangeError unless `codec` is one a VideoTrack takes. */
export function checkVideoCodec(codec: unknown): asserts codec is VideoCodec {
  if (codec !== "h264" && codec !== "h265") throw new RangeError(`video codec must be "h264" or "h265", got ${String(codec)}`);
}

export class VideoTrack {
  readonly codec: VideoCodec;
  #maxJump: number;
  #discontinuity: boolean;
  #config: VideoConfig | undefined;
  #lastDtsMs: number | undefined;
  #undoConfig: VideoConfig | undefined;
  #undoDtsMs: number | undefined;
  #fastInfo: number;
  #fastAudInfo: number;

  constructor(opts: VideoTrackOptions) {
    checkVideoCodec(opts.codec);
    checkTimelineOptions(opts);
    this.codec = opts.codec;
    this.#maxJump = opts.maxJumpMs ?? 10000;
    this.#discontinuity = opts.onJump === "discontinuity";
    this.#fastInfo = INFO_ONE_NAL | AU_INFO.VCL | (opts.codec === "h265" ? AU_INFO.H265 : 0);
    this.#fastAudInfo = INFO_TWO_NALS | AU_INFO.VCL | AU_INFO.AUD | (opts.codec === "h265" ? AU_INFO.H265 : 0);
  }

  /** The configuration of the last key frame (undefined before the first). */
  get config(): VideoConfig | undefined {
    return this.#config;
  }

  /**
   * Analyses one Annex-B access unit (`dtsMs` defaults to `ptsMs`; `info` is capture's AU info
   * word, optional). Throws a MediaError and changes nothing when the unit is rejected.
   */
  process(au: Uint8Array, ptsMs: number, dtsMs?: number, info?: number): VideoUnit {
    if (dtsMs === undefined) dtsMs = ptsMs;
    // The usual frame (PTS = DTS, a little after the last one, within range) skips the full
    // timestamp rules: XS pays for every call.
    const last = this.#lastDtsMs;
    const jump = ptsMs === dtsMs && last !== undefined && dtsMs > last && dtsMs - last <= this.#maxJump && dtsMs <= MAX_TIMESTAMP_MS
      ? false
      : checkTimestamps(ptsMs, dtsMs, last, this.#maxJump, this.#discontinuity);
    let config = this.#config;
    const fast = info === undefined || config === undefined ? 0 : info & INFO_FAST_MASK;
    if (fast !== 0 && (fast === this.#fastInfo || fast === this.#fastAudInfo)) {
      // One VCL NAL (after an AUD) right after the AU's first start code (capture's AUs begin
      // with it); anything unexpected goes to the full analysis.
      const nal = loneVclNal(this.codec, au, fast === this.#fastAudInfo);
      if (nal !== undefined) {
        this.#commit(config!, dtsMs);
        return { nals: [nal], sampleSize: 4 + nal.length, key: (info! & AU_INFO.KEY) !== 0, config: config!, ptsMs, dtsMs, discontinuity: jump };
      }
    }
    const frame = analyzeAccessUnit(this.codec, au);
    if (frame.key) config = configForKeyFrame(this.codec, frame, config);
    else if (config === undefined) throw new NoKeyFrameError("video must start with a key frame");
    this.#commit(config, dtsMs);
    return { nals: frame.nals, sampleSize: frame.sampleSize, key: frame.key, config, ptsMs, dtsMs, discontinuity: jump };
  }

  // --- validated: commit ---
  #commit(config: VideoConfig, dtsMs: number): void {
    this.#undoConfig = this.#config;
    this.#undoDtsMs = this.#lastDtsMs;
    this.#config = config;
    this.#lastDtsMs = dtsMs;
  }

  /** Takes back the last `process` (a muxer that owns this track refused the unit). */
  undo(): void {
    this.#config = this.#undoConfig;
    this.#lastDtsMs = this.#undoDtsMs;
  }
}

export class AudioTrack {
  #maxJump: number;
  #discontinuity: boolean;
  #config: AudioConfig | undefined;
  #lastMs: number | undefined;
  #undoConfig: AudioConfig | undefined;
  #undoMs: number | undefined;
  // Header bytes 1, 2 and the top bits of 3 of the last frame: equal bytes, same config.
  #b1 = -1;
  #b2 = -1;
  #b3 = -1;
  // The ADTS header length those bytes give (aac.ts's rule, taken once, not per frame: on XS
  // a call costs about as much as the whole fast path's byte checks).
  #headerLength = 7;
  // The unit handed out by every `process`, rewritten (valid until the next call, see above).
  readonly #unit: { -readonly [K in keyof AudioUnit]: AudioUnit[K] } = { payload: new Uint8Array(0), config: undefined!, ptsMs: 0, discontinuity: false };

  constructor(opts: AudioTrackOptions = {}) {
    checkTimelineOptions(opts);
    this.#maxJump = opts.maxJumpMs ?? 10000;
    this.#discontinuity = opts.onJump === "discontinuity";
  }

  get config(): AudioConfig | undefined {
    return this.#config;
  }

  /** Analyses one complete ADTS frame. Throws a MediaError and changes nothing when rejected. */
  process(adts: Uint8Array, ptsMs: number): AudioUnit {
    const last = this.#lastMs;
    const jump = last !== undefined && ptsMs > last && ptsMs - last <= this.#maxJump && ptsMs <= MAX_TIMESTAMP_MS
      ? false
      : checkTimestamps(ptsMs, ptsMs, last, this.#maxJump, this.#discontinuity);
    let config = this.#config;
    let payload: Uint8Array;
    const n = adts.length;
    // Fast path: the same fixed header as the last frame (validated then), one raw data block,
    // frame_length equal to the input; anything else goes through the full parser.
    const b1 = this.#b1;
    const headerLength = this.#headerLength;
    const b3 = adts[3];
    if (n > headerLength && adts[0] === 0xff && adts[1] === b1 && adts[2] === this.#b2 &&
      (b3 & 0xc0) === this.#b3 && (adts[6] & 3) === 0 &&
      adtsFrameLength(adts) === n) {
      payload = new Uint8Array(adts.buffer, adts.byteOffset + headerLength, n - headerLength); // as `nal` above
    } else {
      const frame = parseAdtsFrame(adts);
      config = audioConfigFor(frame.header, config);
      payload = frame.payload;
      this.#b1 = adts[1];
      this.#b2 = adts[2];
      this.#b3 = b3 & 0xc0;
      this.#headerLength = adtsHeaderLength(adts[1]);
    }
    // --- validated: commit ---
    this.#undoConfig = this.#config;
    this.#undoMs = last;
    this.#config = config;
    this.#lastMs = ptsMs;
    const u = this.#unit;
    u.payload = payload;
    u.config = config!;
    u.ptsMs = ptsMs;
    u.discontinuity = jump;
    return u;
  }

  undo(): void {
    this.#config = this.#undoConfig;
    this.#lastMs = this.#undoMs;
    this.#b1 = -1; // the next frame takes the full path
  }
}
