// Query parameters of the viewer endpoints, checked once: times (unix ms or
// ISO 8601 with a zone), durations, ranges with a cap, list limits. Every
// refusal is a 400 that names the parameter and says what was expected.
import { HttpError } from "../http/router.js";

export const hourMs = 3600_000;
export const dayMs = 24 * hourMs;
export const maxListMs = 31 * dayMs;

// Years 2000..2200: anything outside is a mistake, not a recording.
const minTime = Date.UTC(2000, 0, 1), maxTime = Date.UTC(2200, 0, 1);
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A time parameter in unix ms; `fallback` when absent (undefined fallback: required). */
export function timeParam(url: URL, name: string, fallback?: number): number {
	const text = url.searchParams.get(name);
	if (text === null || text === "") {
		if (fallback === undefined) throw new HttpError(400, `${name} is required (unix ms or an ISO 8601 time with a zone)`);
		return fallback;
	}
	if (url.searchParams.getAll(name).length > 1) throw new HttpError(400, `${name} is given more than once`);
	let ms: number;
	if (/^[0-9]{1,16}$/.test(text)) ms = Number(text);
	else if (isoDateTime.test(text)) ms = Date.parse(text);
	else throw new HttpError(400, `${name} must be unix ms or an ISO 8601 time with a zone, not ${JSON.stringify(text.slice(0, 64))}`);
	if (!Number.isFinite(ms) || ms < minTime || ms >= maxTime) throw new HttpError(400, `${name} ${JSON.stringify(text.slice(0, 64))} is not a time between 2000 and 2200`);
	return Math.floor(ms);
}

/** [start, end) from `start` and `end`, end after start, at most `maxMs` long; defaults: the last `defaultMs` before now. */
export function rangeParams(url: URL, maxMs: number, defaultMs?: number, now = Date.now()): { start: number; end: number } {
	const end = timeParam(url, "end", defaultMs === undefined ? undefined : now);
	const start = timeParam(url, "start", defaultMs === undefined ? undefined : end - defaultMs);
	if (end <= start) throw new HttpError(400, "end must be after start");
	if (end - start > maxMs) throw new HttpError(400, `the range is ${describeMs(end - start)}, more than the ${describeMs(maxMs)} allowed here`);
	return { start, end };
}

/** A positive duration in seconds (decimals allowed) → ms, at most maxMs. */
export function durationParam(url: URL, name: string, maxMs: number): number {
	const text = url.searchParams.get(name);
	const seconds = text !== null && /^[0-9]{1,9}(\.[0-9]{1,6})?$/.test(text) ? Number(text) : NaN;
	if (!(seconds > 0) || seconds * 1000 > maxMs) throw new HttpError(400, `${name} must be a positive number of seconds, at most ${maxMs / 1000}`);
	return Math.round(seconds * 1000);
}

/** `limit` in 1..10000, default 1000. */
export function limitParam(url: URL): number {
	const text = url.searchParams.get("limit");
	if (text === null) return 1000;
	const limit = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
	if (!(limit >= 1 && limit <= 10000)) throw new HttpError(400, "limit must be an integer in 1..10000");
	return limit;
}

function describeMs(ms: number): string {
	return ms % dayMs === 0 && ms > dayMs ? `${ms / dayMs} d` : ms % hourMs === 0 ? `${ms / hourMs} h` : `${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")} s`;
}

export const iso = (ms: number) => new Date(ms).toISOString();
