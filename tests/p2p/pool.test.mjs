// The benchmark pools a lossy link's repetitions (bench/p2p/run.mjs pool()): figures over all
// their frames, and each run's own value as the spread.
import test from "ava";
import { pool } from "../../bench/p2p/run.mjs";

function run(latencies, decodable, extra = {}) {
	const onTime = latencies.filter((x) => x <= 400).length;
	const sortedLatencies = [...latencies].sort((a, b) => a - b);
	const r = { decodable_on_time_share: decodable / latencies.length, on_time_share: onTime / latencies.length,
		latency_ms: { p50: sortedLatencies[Math.ceil(latencies.length / 2) - 1], p95: Number.isFinite(sortedLatencies.at(-1)) ? sortedLatencies.at(-1) : null },
		goodput_kbps: 100, cpu_ms_per_mbit: 10, sender: {}, ...extra };
	Object.defineProperty(r, "trace", { value: { latencies, onTime, decodable, frames: latencies.length } });
	return r;
}

test("one run is its own figure", (t) => {
	const r = run([100, 200], 2);
	t.is(pool([r]), r);
});

test("repetitions pool their frames; the spread is each run's own value; a frame never received is infinitely late", (t) => {
	const p = pool([run([100, 200, 300, 500], 2, { cpu_ms_per_mbit: 8 }), run([100, 100, Infinity, Infinity], 1, { cpu_ms_per_mbit: 12 })]);
	t.is(p.runs, 2);
	t.is(p.frames, 8);
	t.is(p.decodable_on_time_share, 0.375);
	t.is(p.on_time_share, 0.625);
	t.deepEqual(p.latency_ms, { p50: 200, p95: null, p99: null, max: null });
	t.is(p.cpu_ms_per_mbit, 10);
	t.deepEqual(p.spread.decodable_on_time_share, [0.25, 0.5]);
	t.deepEqual(p.spread.p95, [500, null]);
	t.deepEqual(p.spread.cpu_ms_per_mbit, [8, 12]);
	t.is(p.per_run.length, 2);
});
