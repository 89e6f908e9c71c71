// A rate limit per key, in memory (GCRA: each key's "theoretical arrival time"): `burst` at once,
// then one per `intervalMs`. The one rule for both ends: the cloud's P2P offers and candidate
// updates (cloud/src/p2p), what lives on one instance so nothing is shared (the cloud's sign-in
// buckets are in the metadata instead, cloud/src/users/sign-in-limits.ts: every instance sees
// them); the camera's commands and opens per viewer (modules/app/pace.ts); a WebRTC session's
// gates on its viewer's datagrams, one key each (nextDue: the due time kept as a number). Pure: Node and XS.
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
		const due = this.#due.get(key) ?? now;
		const next = nextDue(due, now, this.#burst, this.#intervalMs);
		if (next === undefined) return waitFor(due, now, this.#burst, this.#intervalMs);
		this.#due.set(key, next);
		return 0;
	}

	/** Drops the keys back to a full burst (what they hold says no more than no entry would). By
	 * forEach with one function: a camera prunes its gates 20 times a second, and an iterator and a
	 * [key, due] pair per key were garbage each time on XS. */
	prune(now = Date.now()): void {
		if (!this.#due.size) return;
		this.#pruneAt = now;
		this.#due.forEach(this.#pruneKey);
	}

	#pruneAt = 0;
	readonly #pruneKey = (due: number, key: string): void => {
		if (due <= this.#pruneAt) this.#due.delete(key);
	};

	get size(): number {
		return this.#due.size;
	}
}

/** How many ms until one more may go for a key due at `due` (≤ 0: now). */
const waitFor = (due: number, now: number, burst: number, intervalMs: number): number => Math.max(due, now) - now - (burst - 1) * intervalMs;

/**
 * The rule for a single key whose due time its owner keeps as a number (a session's gate on one
 * kind of datagram: no map, no object per gate): the key's due time after one more goes at `now`,
 * or undefined when none may go now. A key never taken is due at -Infinity.
 */
export function nextDue(due: number, now: number, burst: number, intervalMs: number): number | undefined {
	return waitFor(due, now, burst, intervalMs) > 0 ? undefined : Math.max(due, now) + intervalMs;
}
