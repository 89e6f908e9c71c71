// A rate limit per key, in memory (GCRA: each key's "theoretical arrival time"): `burst` at once,
// then one per `intervalMs`. The one rule for both ends: the cloud's P2P offers and candidate
// updates (cloud/src/p2p), what lives on one instance so nothing is shared (the cloud's sign-in
// buckets are in the metadata instead, cloud/src/users/sign-in-limits.ts: every instance sees
// them); the camera's commands and opens per viewer (modules/app/pace.ts). Pure: Node and XS.
export class RateGate {
	#due = new Map<string, number>();
	#burst: number;
	#intervalMs: number;

	constructor(burst: number, intervalMs: number) {
		this.#burst = burst;
		this.#intervalMs = intervalMs;
	}

	/** 0 when `key` may go now (then it is counted), else how many ms until it may. */
	take(key: string, now = Date.now()): number {
		const due = Math.max(this.#due.get(key) ?? now, now);
		const wait = due - now - (this.#burst - 1) * this.#intervalMs;
		if (wait > 0) return wait;
		this.#due.set(key, due + this.#intervalMs);
		return 0;
	}

	/** Drops the keys back to a full burst (what they hold says no more than no entry would). */
	prune(now = Date.now()): void {
		for (const [key, due] of this.#due) if (due <= now) this.#due.delete(key);
	}

	get size(): number {
		return this.#due.size;
	}
}
