/**
 * Timestamp rules shared by the muxers. Input timestamps are milliseconds (Numbers, may be
 * fractional). The first accepted frame fixes the stream origin; output times are relative to it.
 *
 * Per track, a frame is rejected with TimestampError when:
 *  - a timestamp is not a finite number, or is before the origin,
 *  - PTS < DTS, or PTS - DTS > maxJumpMs,
 *  - DTS is not after the track's previous DTS (backwards, or equal),
 *  - DTS - previous DTS > maxJumpMs (default 10 000 ms) and jumps are "error" (default).
 * With `onJump: "discontinuity"` such a jump is accepted: the fMP4 muxer closes the current
 * fragment (its last sample gets the previous duration) and starts a new one at the new time;
 * the FLV muxer simply writes the new timestamps.
 */
import { TimestampError } from "./errors.js";

export interface TimelineOptions {
  /** Largest accepted gap between consecutive frames of a track, ms. Default 10 000. */
  maxJumpMs?: number;
  /** What a larger gap is: an error (default) or a discontinuity. */
  onJump?: "error" | "discontinuity";
}

/** Validates timestamps of one frame; returns true when the frame follows a (tolerated) jump. */
export function checkTimestamps(
  ptsMs: number, dtsMs: number, origin: number | undefined, lastDtsMs: number | undefined, opts: TimelineOptions,
): boolean {
  if (!Number.isFinite(ptsMs) || !Number.isFinite(dtsMs)) throw new TimestampError("timestamp is not a finite number");
  const maxJump = opts.maxJumpMs ?? 10000;
  if (ptsMs < dtsMs) throw new TimestampError("PTS before DTS");
  if (ptsMs - dtsMs > maxJump) throw new TimestampError("PTS - DTS larger than maxJumpMs");
  if (origin !== undefined && dtsMs < origin) throw new TimestampError("timestamp before stream origin");
  if (lastDtsMs === undefined) return false;
  if (dtsMs <= lastDtsMs) throw new TimestampError(dtsMs === lastDtsMs ? "timestamp repeated" : "timestamp went backwards");
  if (dtsMs - lastDtsMs > maxJump) {
    if (opts.onJump === "discontinuity") return true;
    throw new TimestampError("timestamp jumped by more than maxJumpMs");
  }
  return false;
}
