// Flatness: the least-squares slope of a resource over the last two thirds of the run, per minute.

/** Slope (units per minute) of `points` [{ t (ms), v }]; undefined with fewer than 4 points. */
export function slopePerMinute(points) {
	if (points.length < 4) return undefined;
	const t0 = points[0].t;
	return leastSquaresSlope(points.map((p) => (p.t - t0) / 60_000), points.map((p) => p.v));
}

/** The least-squares slope of ys over xs (undefined when the xs do not vary). */
export function leastSquaresSlope(xs, ys) {
	const mx = mean(xs), my = mean(ys);
	let num = 0, den = 0;
	for (let i = 0; i < xs.length; i++) {
		num += (xs[i] - mx) * (ys[i] - my);
		den += (xs[i] - mx) ** 2;
	}
	return den ? num / den : undefined;
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** A process's first seconds (start-up, caches and connections filling) are not its slope. */
export const WARMUP_MS = 30_000;

/**
 * The samples of the last two thirds of [start, end] of one process: of the one (`pid`) with the most
 * samples there once its first WARMUP_MS are left out (after a kill -9 and restart, the longer-lived).
 */
export function lastTwoThirds(samples, start, end) {
	const from = start + (end - start) / 3;
	const firstSeen = new Map();
	for (const s of samples) if (!firstSeen.has(s.pid)) firstSeen.set(s.pid, s.t);
	const byPid = new Map();
	for (const s of samples) {
		if (s.t < from || s.pid === undefined || s.t < firstSeen.get(s.pid) + WARMUP_MS) continue;
		if (!byPid.has(s.pid)) byPid.set(s.pid, []);
		byPid.get(s.pid).push(s);
	}
	return [...byPid.values()].sort((a, b) => b.length - a.length)[0] ?? [];
}
