/**
 * Live on demand (cloud/PROTOCOL.md §5, `cmd` of type `live`): the cloud asks a camera to stream a
 * channel's live segments whatever its storage plan, as a lease: "stream until now + forS" on the
 * camera's clock (no clock agreement needed). A lease only ever extends the streaming (the camera
 * keeps the latest end it was given), so several cloud instances with viewers of one camera cannot
 * cut each other short; the camera stops by itself when the last lease runs out — a cloud that
 * died or lost its viewers cannot leave it streaming.
 */
import { isChannel } from "./ids.js";

/** Longest lease a camera takes: a longer one counts as this. */
export const MAX_LIVE_LEASE_S = 300;

export interface LiveLease {
	channel: number;
	forS: number;
}

export const liveCommand = (lease: LiveLease): string => JSON.stringify({ type: "live", channel: lease.channel, forS: lease.forS });

/** A `cmd` object → its live lease, or undefined when it is not one (or malformed: ignored). */
export function liveLeaseOf(command: Record<string, unknown>): LiveLease | undefined {
	if (command.type !== "live" || !isChannel(command.channel)) return undefined;
	const forS = command.forS;
	if (typeof forS !== "number" || !Number.isFinite(forS) || forS < 0) return undefined;
	return { channel: command.channel, forS: Math.min(forS, MAX_LIVE_LEASE_S) };
}

/**
 * A segment uploaded only because of a lease — the plan alone would not upload it — carries
 * `?live=1` (§3.2): the cloud keeps it for live view, then drops it instead of recording it.
 */
export const liveOnlyQuery = (liveOnly: boolean): string => (liveOnly ? "?live=1" : "");
export const isLiveOnly = (query: { get(name: string): string | null }): boolean => query.get("live") === "1";

/** The camera's side: each channel's lease end (ms on its own clock). */
export class LiveLeases {
	#ends = new Map<number, number>();

	/** Takes a lease received at `now`; true when it extended the channel's streaming. */
	take(lease: LiveLease, now: number): boolean {
		const end = now + lease.forS * 1000;
		if (end <= (this.#ends.get(lease.channel) ?? 0)) return false;
		this.#ends.set(lease.channel, end);
		return true;
	}

	/** Whether `channel` streams live at `now`. */
	active(channel: number, now: number): boolean {
		return (this.#ends.get(channel) ?? 0) > now;
	}

	/** Milliseconds until the next lease ends (undefined: none running) — when to look again. */
	nextEnd(now: number): number | undefined {
		let next: number | undefined;
		for (const end of this.#ends.values()) if (end > now && (next === undefined || end < next)) next = end;
		return next === undefined ? undefined : next - now;
	}
}

/**
 * LL-HLS parts (PROTOCOL.md §3.2): a camera streams each segment as fragments (moof + mdat) of at
 * most this long — its muxer cuts before a frame that would carry the fragment past it (Fmp4Muxer
 * `fragment: "parts"`) — and the cloud lists each fragment as an `EXT-X-PART` (PART-TARGET) while
 * the segment is still being uploaded. 200 ms is three frames at 15 fps, five at 25.
 */
export const PART_TARGET_MS = 200;
