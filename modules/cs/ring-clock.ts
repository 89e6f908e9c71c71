/**
 * Ring time ↔ wall clock for one channel's recorder. Ring timestamps are the producer's ms; wall
 * clock = ring time + an offset measured on the newest frame and then kept (measured again only
 * when the clocks jump by more than a second): event times and stream epochs must use the same
 * mapping, or a pre-roll comes out a few milliseconds short of what was asked.
 */
import type { Ring } from "ring";

export class RingClock {
	readonly #ring: Ring;
	readonly #clock: () => number;
	#offsetMs: number | undefined;

	/** `clock`: unix ms now. */
	constructor(ring: Ring, clock: () => number) {
		this.#ring = ring;
		this.#clock = clock;
	}

	/** Wall clock minus ring time, ms. */
	offset(): number {
		const stats = this.#ring.stats();
		if (!stats.framesHeld) return this.#offsetMs ?? 0;   // (a held frame may well be at time 0)
		const measured = this.#clock() - stats.newestTimestamp;
		if (this.#offsetMs === undefined || Math.abs(measured - this.#offsetMs) > 1000) this.#offsetMs = measured;
		return this.#offsetMs;
	}

	ringTime(wall: number): number {
		return wall - this.offset();
	}
}
