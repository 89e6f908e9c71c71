// What one client can make a password check cost. A check runs scrypt (~50 ms
// of a core, 16 MiB) on libuv's thread pool, which file reads and writes share:
// - each client address (net/client-address.ts) has a bucket of attempts,
//   refilled at a steady rate (429 with Retry-After when it is empty);
// - at most `passwordCheckConcurrency` checks run at once, a short queue waits,
//   and beyond it the answer is 503 with Retry-After (many addresses at once);
// - wrong passwords lock a user name out from one address only, so an attacker
//   cannot lock `admin` out for everyone.
// The buckets and the lockouts live in the shared metadata, so N instances
// behind a balancer give an address one budget, not N; a row is forgotten once
// it says no more than no row would (a full bucket, a lapsed window), so an
// attacker with many names or addresses grows the tables only while it is spending.
// The cap on checks at once is per instance: it guards this process's thread pool.
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";
import { defineMigrations } from "../meta/db.js";
import type { Sql } from "../meta/sql.js";

// A bucket as its "theoretical arrival time" (GCRA): the time at which it would be
// full again. One column, integer arithmetic, and one atomic statement per attempt.
defineMigrations("sign_in", [`
CREATE TABLE IF NOT EXISTS sign_in_buckets (
	key TEXT PRIMARY KEY,
	full_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_buckets_full_at ON sign_in_buckets (full_at);
CREATE TABLE IF NOT EXISTS sign_in_failures (
	key TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	since INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_failures_since ON sign_in_failures (since);`]);

/** Attempts per key: `burst` at once, then one every `60 / perMinute` s (shared by every instance on `sql`). */
export class TokenBuckets {
	#sql: Sql;
	#burst: number;
	#msPerToken: number;

	constructor(sql: Sql, burst: number, perMinute: number) {
		this.#sql = sql;
		this.#burst = burst;
		this.#msPerToken = Math.max(1, Math.round(60_000 / perMinute));
	}

	/** Takes one attempt: 0 when allowed, else the seconds until the next one is. */
	async take(key: string, now = Date.now()): Promise<number> {
		const t = this.#msPerToken, limit = this.#burst * t;
		// Allowed while the bucket, one more attempt spent, would be full again within burst × interval.
		const taken = await this.#sql.run(`INSERT INTO sign_in_buckets (key, full_at) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET full_at = CASE WHEN sign_in_buckets.full_at > ? THEN sign_in_buckets.full_at ELSE ? END + ?
			WHERE CASE WHEN sign_in_buckets.full_at > ? THEN sign_in_buckets.full_at ELSE ? END + ? <= ?`,
		[key, now + t, now, now, t, now, now, t, now + limit]);
		if (taken.changes === 1) return 0;
		const row = await this.#sql.get<{ full_at: number | string }>("SELECT full_at FROM sign_in_buckets WHERE key = ?", [key]);
		const fullAt = Number(row?.full_at ?? now);
		return Math.max(1, Math.ceil((fullAt + t - limit - now) / 1000));
	}

	/** Forgets the buckets full again by `now` (the same as none); returns how many. */
	async forgetFull(now = Date.now()): Promise<number> {
		return (await this.#sql.run("DELETE FROM sign_in_buckets WHERE full_at <= ?", [now])).changes;
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
	#sql: Sql;

	constructor(sql: Sql) {
		this.#sql = sql;
	}

	async retryAfterS(key: string, now = Date.now()): Promise<number> {
		const row = await this.#sql.get<{ failures: number | string; since: number | string }>("SELECT failures, since FROM sign_in_failures WHERE key = ? AND since > ?", [key, now - guessWindowMs]);
		return row && Number(row.failures) >= guessLimit ? Math.ceil((Number(row.since) + guessWindowMs - now) / 1000) : 0;
	}

	/** Counts a failure (a new window when the last one lapsed), in one statement. */
	async fail(key: string, now = Date.now()): Promise<void> {
		const lapsed = now - guessWindowMs;
		await this.#sql.run(`INSERT INTO sign_in_failures (key, failures, since) VALUES (?, 1, ?)
			ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN sign_in_failures.since <= ? THEN 1 ELSE sign_in_failures.failures + 1 END,
			since = CASE WHEN sign_in_failures.since <= ? THEN ? ELSE sign_in_failures.since END`, [key, now, lapsed, lapsed, now]);
	}

	async forget(key: string): Promise<void> {
		await this.#sql.run("DELETE FROM sign_in_failures WHERE key = ?", [key]);
	}

	/** Forgets the windows lapsed by `now`; returns how many. */
	async forgetLapsed(now = Date.now()): Promise<number> {
		return (await this.#sql.run("DELETE FROM sign_in_failures WHERE since <= ?", [now - guessWindowMs])).changes;
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
