/**
 * A viewer's rate of something it asks the camera (commands, opening a playback or a talkback):
 * `perSecond` on average, `burst` at once — the RateGate rule (modules/net/rate-gate.ts) per viewer,
 * on the monotonic clock. Holds only viewers whose allowance is not whole again: no unbounded map.
 */
import { RateGate } from "../net/rate-gate.js";

export interface Rate {
	perSecond: number;
	burst: number;
}

export class Pace {
	readonly #gate: RateGate;
	readonly #now: () => number;

	/** `now`: monotonic ms. */
	constructor(rate: Rate, now: () => number) {
		this.#gate = new RateGate(rate.burst, 1000 / rate.perSecond);
		this.#now = now;
	}

	/** True when `peer` may have one more now (and it is counted). */
	take(peer: string): boolean {
		const now = this.#now();
		this.#gate.prune(now);
		return this.#gate.take(peer, now) === 0;
	}
}
