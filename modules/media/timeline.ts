/**
 * Timestamp rules of the track stage (track.ts) and the numeric limits every muxer option obeys.
 * Input timestamps are milliseconds (Numbers, may be fractional).
 *
 * Per track, a frame is rejected with TimestampError when:
 *  - a timestamp is not a finite number or lies beyond ±MAX_TIMESTAMP_MS,
 *  - PTS < DTS, or PTS - DTS > maxJumpMs,
 *  - DTS is not after the track's previous DTS (backwards, or equal),
 *  - DTS - previous DTS > maxJumpMs (default 10 000 ms) and jumps are "error" (default).
 * With `onJump: "discontinuity"` such a jump is accepted and the unit is marked as a
 * discontinuity: the fMP4 muxer closes the current fragment (its last sample gets the previous
 * duration) and starts a new one at the new time; the FLV muxer simply writes the new timestamps.
 * Each muxer also fixes its own stream origin (its first accepted frame); its output times are
 * relative to it.
 */
import { TimestampError } from "./errors.js";

export interface TimelineOptions {
  /** Largest accepted gap between consecutive frames of a track, ms. Default 10 000. */
  maxJumpMs?: number;
  /** What a larger gap is: an error (default) or a discontinuity. */
  onJump?: "error" | "discontinuity";
}

/**
 * Largest maxJumpMs, fragment or flush duration (ms): the longest span a 32-bit sample duration
 * holds at 96 kHz, the highest AAC sample rate (fMP4 `trun` durations are u32). About 12.4 h.
 */
export const MAX_DURATION_MS = Math.floor(0xffffffff / 96);

/**
 * Largest |timestamp| (ms), 2^45 (about 1,115 years): a difference of two timestamps times the
 * highest timescale (96 kHz) stays an exact integer Number (< 2^53), as the 64-bit
 * baseMediaDecodeTime of `tfdt` needs.
 */
export const MAX_TIMESTAMP_MS = 2 ** 45;

/** Checks an optional duration option: undefined, or a finite number in (0, MAX_DURATION_MS]. */
export function checkDurationOption(name: string, v: unknown, allowZero = false): void {
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (v === 0 && !allowZero) || v > MAX_DURATION_MS) {
    throw new RangeError(`${name} must be a number in ${allowZero ? "[0" : "(0"}, ${MAX_DURATION_MS}] ms, got ${String(v)}`);
  }
}

/** Validates the timeline options; throws RangeError naming the option. */
export function checkTimelineOptions(opts: TimelineOptions): void {
  checkDurationOption("maxJumpMs", opts.maxJumpMs, true);
  if (opts.onJump !== undefined && opts.onJump !== "error" && opts.onJump !== "discontinuity") {
    throw new RangeError(`onJump must be "error" or "discontinuity", got ${String(opts.onJump)}`);
  }
}

/**
 * Validates the timestamps of one frame against the track's previous DTS; returns true when the
 * frame follows a (tolerated) jump. `maxJump` and `discontinuity` are the checked options.
 */
export function checkTimestamps(
  ptsMs: number, dtsMs: number, lastDtsMs: number | undefined, maxJump: number, discontinuity: boolean,
): boolean {
  // One comparison per bound also rejects NaN (every comparison with NaN is false).
  if (!(ptsMs >= -MAX_TIMESTAMP_MS && ptsMs <= MAX_TIMESTAMP_MS && dtsMs >= -MAX_TIMESTAMP_MS && dtsMs <= MAX_TIMESTAMP_MS)) {
    throw new TimestampError(ptsMs === ptsMs && dtsMs === dtsMs && Number.isFinite(ptsMs) && Number.isFinite(dtsMs)
      ? "timestamp beyond ±2^45 ms" : "timestamp is not a finite number");
  }
  if (ptsMs < dtsMs) throw new TimestampError("PTS before DTS");
  if (ptsMs - dtsMs > maxJump) throw new TimestampError("PTS - DTS larger than maxJumpMs");
  if (lastDtsMs === undefined) return false;
  if (dtsMs <= lastDtsMs) throw new TimestampError(dtsMs === lastDtsMs ? "timestamp repeated" : "timestamp went backwards");
  if (dtsMs - lastDtsMs > maxJump) {
    if (discontinuity) return true;
    throw new TimestampError("timestamp jumped by more than maxJumpMs");
  }
  return false;
}
