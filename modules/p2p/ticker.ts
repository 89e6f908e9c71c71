/**
 * When to tick a transport endpoint (camera and viewer alike): at the delay its tick() returned,
 * and at once when asked (a datagram, a push, the ring's wake-up) — but never from inside a call
 * into the endpoint (a callback): such a request runs when that call has returned.
 */
import Timer from "timer";

export class Ticker {
	#step: () => number;
	#live: () => boolean;
	#inside = 0;
	#again = false;
	#timer: unknown;

	/** step: one tick, returns the milliseconds until the next; live: false once closed. */
	constructor(step: () => number, live: () => boolean) {
		this.#step = step;
		this.#live = live;
	}

	/** Runs a call into the endpoint (which may call back), with up to two arguments: a per-packet
	 * call passes its data rather than a closure over it (each closure is garbage on XS). */
	enter<T, A = undefined, B = undefined>(fn: (a: A, b: B) => T, a?: A, b?: B): T {
		this.#inside++;
		try {
			return fn(a as A, b as B);
		}
		finally {
			this.#inside--;
		}
	}

	get inside(): boolean {
		return this.#inside > 0;
	}

	/** Ticks now, or right after the call under way. */
	run(): void {
		if (!this.#live()) return;
		if (this.#inside) {
			this.#again = true;
			return;
		}
		let wait: number;
		do {
			this.#again = false;
			wait = this.enter(this.#step);
		} while (this.#again && this.#live());
		if (!this.#live()) return;
		if (this.#timer === undefined) this.#timer = Timer.set(() => {
			this.#timer = undefined;
			this.run();
		}, wait);
		else Timer.schedule(this.#timer as never, wait);
	}

	/** Asks for a tick once the call under way has returned. */
	request(): void {
		if (this.#inside) this.#again = true;
		else this.run();
	}

	stop(): void {
		if (this.#timer !== undefined) Timer.clear(this.#timer as never);
		this.#timer = undefined;
	}
}
