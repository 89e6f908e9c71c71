/**
 * When to tick a wire's endpoint (the native transport's, camera and viewer alike; the WebRTC
 * viewers' feeds, all in one call): at the delay its tick() returned,
 * and at once when asked (a datagram, a push, the ring's wake-up) — but never from inside a call
 * into the endpoint (a callback): such a request runs when that call has returned.
 *
 * With `drain`, a tick first reads what waits on the socket, unless the socket's own read asked
 * for it (`run(true)`): a busy event loop runs its due timers and other wake-ups (the ring's)
 * before the socket's (Moddable's ESP32 loop runs timers first), and a tick then judged the
 * packets in flight by ACKs still unread — on the emulated S3 with 4 viewers at 1 Mbit/s the
 * camera took a third of its packets for lost by timeout, sent them again and slowed down, and
 * every viewer lost frames (issue 54).
 */
import Timer from "timer";

export class Ticker {
	#step: () => number;
	#live: () => boolean;
	#inside = 0;
	#again = false;
	/** One timer for the ticker's life (a timer and a callback made each tick were garbage on XS):
	 * rescheduled to each delay, unscheduled while none is asked, cleared by stop(). It repeats at
	 * the delay it was given (at least 1 ms) until rescheduled: a host that reschedules a one-shot
	 * timer from inside its own callback drops it (Moddable's frees a one-shot once its callback
	 * returns; mcsim's fires a rescheduled timer twice unless its first delay is its interval). */
	#timer: unknown;
	readonly #fire = (): void => this.run();
	#drain: (() => void) | undefined;
	#draining = false;

	/** step: one tick, returns the milliseconds until the next (< 0: none until asked); live: false
	 * once closed; drain: reads the datagrams waiting (its reads' run(true) tick after it). */
	constructor(step: () => number, live: () => boolean, drain?: () => void) {
		this.#step = step;
		this.#live = live;
		this.#drain = drain;
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

	/** Ticks now, or right after the call under way; `read`: the socket was read just now (no drain). */
	run(read = false): void {
		if (!this.#live()) return this.#idle();
		if (this.#inside || this.#draining) {
			this.#again = true;
			return;
		}
		if (!read && this.#drain) {
			this.#draining = true;
			try {
				this.#drain();
			}
			finally {
				this.#draining = false;
			}
			if (!this.#live()) return this.#idle();
		}
		let wait: number;
		do {
			this.#again = false;
			wait = this.enter(this.#step);
		} while (this.#again && this.#live());
		if (!this.#live() || wait < 0) return this.#idle();
		const ms = Math.max(1, wait);
		if (this.#timer === undefined) this.#timer = Timer.set(this.#fire, ms, ms);
		else Timer.schedule(this.#timer as never, ms, ms);
	}

	/** No tick until asked: the timer unscheduled, kept. */
	#idle(): void {
		if (this.#timer !== undefined) Timer.schedule(this.#timer as never);
	}

	/** Asks for a tick once the call under way has returned. */
	request(): void {
		if (this.#inside) this.#again = true;
		else this.run();
	}

	/** Ticks no more until run again (its timer given back). */
	stop(): void {
		if (this.#timer !== undefined) Timer.clear(this.#timer as never);
		this.#timer = undefined;
	}
}
