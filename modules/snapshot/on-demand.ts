/**
 * Stills out of schedule (cloud/PROTOCOL.md §5): a viewer's "snapshot now" and an event's still,
 * on both cameras (the XS app and the simulator). A peer can ask as often as it likes, so the
 * camera takes at most one such still per channel at a time and none closer than
 * MIN_STILL_GAP_MS to the last it started; a request it drops is counted, never queued.
 */
import { MIN_STILL_GAP_MS } from "../protocol/still.js";

/** Takes a still of `channel` and uploads it as the snapshot at `time` (unix ms). */
export type StillUpload = (channel: number, time: number) => Promise<void>;

export interface StillCounts {
	ok: number;
	failed: number;
	/** Requests dropped: one of the channel was running, or the last started less than the gap before. */
	dropped: number;
}

export class StillsOnDemand {
	#upload: StillUpload;
	#now: () => number;
	#gapMs: number;
	#last = new Map<number, number>();
	#running = new Set<number>();
	#counts: StillCounts = { ok: 0, failed: 0, dropped: 0 };

	/** `now`: ms on a steady clock (the gap is measured on it). */
	constructor(upload: StillUpload, now: () => number, gapMs = MIN_STILL_GAP_MS) {
		this.#upload = upload;
		this.#now = now;
		this.#gapMs = gapMs;
	}

	/** Asks for a still of `channel` stamped `time`; false when it was dropped. Never rejects. */
	take(channel: number, time: number): boolean {
		const now = this.#now();
		const last = this.#last.get(channel);
		if (this.#running.has(channel) || (last !== undefined && now - last < this.#gapMs)) {
			this.#counts.dropped++;
			return false;
		}
		this.#last.set(channel, now);
		this.#running.add(channel);
		let result: Promise<void>;
		try {
			result = Promise.resolve(this.#upload(channel, time));
		}
		catch (error) {
			result = Promise.reject(error);
		}
		result.then(() => this.#counts.ok++, () => this.#counts.failed++).then(() => this.#running.delete(channel));
		return true;
	}

	counts(): StillCounts {
		return { ...this.#counts };
	}
}
