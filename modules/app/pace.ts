/**
 * A viewer's rate of something it asks the camera (commands, opening a playback or a talkback):
 * `perSecond` on average, `burst` at once — GCRA, per viewer the time its allowance is whole
 * again. Holds only viewers heard from within the last burst's span: no unbounded map.
 */
export interface Rate {
	perSecond: number;
	burst: number;
}

export class Pace {
	readonly #rate: Rate;
	readonly #now: () => number;
	readonly #wholeAt = new Map<string, number>();

	/** `now`: monotonic ms. */
	constructor(rate: Rate, now: () => number) {
		this.#rate = rate;
		this.#now = now;
	}

	/** True when `peer` may have one more now (and it is counted). */
	take(peer: string): boolean {
		const now = this.#now(), interval = 1000 / this.#rate.perSecond;
		for (const [p, at] of this.#wholeAt) if (at <= now) this.#wholeAt.delete(p);
		const next = Math.max(this.#wholeAt.get(peer) ?? now, now) + interval;
		if (next - now > this.#rate.burst * interval) return false;
		this.#wholeAt.set(peer, next);
		return true;
	}
}
