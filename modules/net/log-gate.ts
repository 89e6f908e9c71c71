/**
 * A log line a peer can provoke at will (a refused packet, a message that did not go, an exception
 * it caused) is written at most `burst` times per `windowMs`; the rest are counted, and the first
 * line of a later window says how many were held back. A flood of bad packets costs a counter, not
 * a line each (17,035 lines, 2.7 MB, in 16 s of one viewer's DataChannel flood before it). Pure:
 * Node and XS.
 */
export class LogGate {
	readonly #log: (message: string) => void;
	readonly #now: () => number;
	readonly #burst: number;
	readonly #windowMs: number;
	#windowAt = -Infinity;
	#written = 0;
	/** Lines held back in all (and since the last one written). */
	held = 0;
	#heldNow = 0;

	/** `now`: monotonic ms. */
	constructor(log: (message: string) => void, now: () => number, burst = 5, windowMs = 10_000) {
		this.#log = log;
		this.#now = now;
		this.#burst = burst;
		this.#windowMs = windowMs;
	}

	/** `message` written, unless this window's lines are spent (then counted). */
	log(message: string): void {
		const at = this.#now();
		if (at - this.#windowAt >= this.#windowMs) {
			this.#windowAt = at;
			this.#written = 0;
		}
		if (this.#written >= this.#burst) {
			this.held++;
			this.#heldNow++;
			return;
		}
		this.#written++;
		const held = this.#heldNow;
		this.#heldNow = 0;
		this.#log(held ? `${message} (and ${held} line(s) like it held back)` : message);
	}
}
