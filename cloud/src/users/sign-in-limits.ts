// What one client can make a password check cost. A check runs scrypt (~50 ms
// of a core, 16 MiB) on libuv's thread pool, which file reads and writes share:
// - each client address (net/client-address.ts) has a bucket of attempts,
//   refilled at a steady rate (429 with Retry-After when it is empty);
// - at most `passwordCheckConcurrency` checks run at once, a short queue waits,
//   and beyond it the answer is 503 with Retry-After (many addresses at once);
// - wrong passwords lock a user name out from one address only, so an attacker
//   cannot lock `admin` out for everyone.
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";

/** Attempts per key: `burst` at once, then one every `60 / perMinute` s. */
export class TokenBuckets {
	#burst: number;
	#msPerToken: number;
	#buckets = new Map<string, { tokens: number; at: number }>();

	constructor(burst: number, perMinute: number) {
		this.#burst = burst;
		this.#msPerToken = 60_000 / perMinute;
	}

	/** Takes one attempt: 0 when allowed, else the seconds until the next one is. */
	take(key: string, now = Date.now()): number {
		if (this.#buckets.size > 100_000) this.#forgetFull(now);
		const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
		bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) / this.#msPerToken);
		bucket.at = now;
		this.#buckets.set(key, bucket);
		if (bucket.tokens < 1) return Math.max(1, Math.ceil(((1 - bucket.tokens) * this.#msPerToken) / 1000));
		bucket.tokens -= 1;
		return 0;
	}

	/** A bucket refilled to the brim is the same as none. */
	#forgetFull(now: number) {
		for (const [key, bucket] of this.#buckets) if (bucket.tokens + (now - bucket.at) / this.#msPerToken >= this.#burst) this.#buckets.delete(key);
	}
}

/** Runs at most `concurrency` tasks at once; up to `queue` more wait, the rest are refused (503). */
export class Limiter {
	#concurrency: number;
	#queue: number;
	#running = 0;
	#waiting: (() => void)[] = [];

	constructor(concurrency: number, queue: number) {
		this.#concurrency = concurrency;
		this.#queue = queue;
	}

	async run<T>(task: () => Promise<T>): Promise<T> {
		if (this.#running >= this.#concurrency) {
			if (this.#waiting.length >= this.#queue) throw new HttpError(503, "too many sign-ins at once: try again shortly", { "retry-after": "1" });
			await new Promise<void>((resolve) => this.#waiting.push(resolve));
		}
		else this.#running++;
		try {
			return await task();
		}
		finally {
			// The slot passes to the next waiting task (or is freed).
			const next = this.#waiting.shift();
			if (next) next();
			else this.#running--;
		}
	}
}

// Password guessing: after 10 failures for one user name from one address
// within 15 minutes, that pair is refused (429) until the window ends.
const guessWindowMs = 15 * 60 * 1000, guessLimit = 10;

export class Guesses {
	#failures = new Map<string, { count: number; first: number }>();

	retryAfterS(key: string, now = Date.now()): number {
		const entry = this.#failures.get(key);
		if (!entry || now - entry.first >= guessWindowMs) return 0;
		return entry.count >= guessLimit ? Math.ceil((entry.first + guessWindowMs - now) / 1000) : 0;
	}

	fail(key: string, now = Date.now()): void {
		if (this.#failures.size > 100_000) for (const [k, e] of this.#failures) if (now - e.first >= guessWindowMs) this.#failures.delete(k);
		const entry = this.#failures.get(key);
		if (!entry || now - entry.first >= guessWindowMs) this.#failures.set(key, { count: 1, first: now });
		else entry.count++;
	}

	forget(key: string): void {
		this.#failures.delete(key);
	}
}

// Checks waiting beyond the running ones: at ~50 ms each, a second or two of queue.
const queuedChecks = 32;
const limiters = new WeakMap<CloudContext, Limiter>();

/** The instance's one limiter of password checks (sign-in and password changes share it). */
export function passwordChecks(ctx: CloudContext): Limiter {
	let limiter = limiters.get(ctx);
	if (!limiter) limiters.set(ctx, limiter = new Limiter(ctx.config.passwordCheckConcurrency, queuedChecks));
	return limiter;
}
