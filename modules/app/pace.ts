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

/** What a viewer's request over its rate gets: "go" (counted), "busy" (refuse it, once per wait),
 * "quiet" (drop it unanswered: it was told busy already and the wait is not over). */
export type PaceVerdict = "go" | "busy" | "quiet";

export class Pace {
	readonly #gate: RateGate;
	readonly #now: () => number;
	/** Viewers told busy, until when their wait lasts. */
	readonly #told = new Map<string, number>();

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

	/** As take(), but a viewer over its rate is told so once per wait: a flood past the rate costs
	 * the gate's check each, not a reply each (18,216 EBUSY replies in 16 s of one viewer's flood). */
	ask(peer: string): PaceVerdict {
		const now = this.#now();
		this.#gate.prune(now);
		for (const [told, until] of this.#told) if (until <= now) this.#told.delete(told);
		const wait = this.#gate.take(peer, now);
		if (!wait) return "go";
		if (this.#told.has(peer)) return "quiet";
		this.#told.set(peer, now + wait);
		return "busy";
	}
}
