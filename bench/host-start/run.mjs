/*
 * `node bench/run.mjs host_start` (a section of bench/run.mjs):
 * host_start — time from spawn() to the first stdout chunk of the hello app
 *    (tests/host/apps/hello.js, first line "hello from ivxs"), 50 runs each (+3 warm-up), interleaved:
 *      source:   build/bin/ivxs -m tests/host/apps -m build/mods hello
 *      snapshot: build/bin/ivxs -m tests/host/apps -m build/mods -w build/bench/hello.xss -p timer hello
 *                (written once per run), then  build/bin/ivxs -s build/bench/hello.xss
 *      baseline: /bin/true, spawn() to exit.
 *    Median and p90 in ms, and median minus the baseline median (the Node spawn overhead).
 *    Target: snapshot median <= 10 ms (judged on the raw median, baseline NOT subtracted).
 */
import { spawn } from "node:child_process";
import { IVXS, OUT, log, median, p90, root, round, run } from "../lib.mjs";

// Resolves with ms from spawn() to the first stdout chunk (or to exit when untilExit).
function timeSpawn(cmd, args, { untilExit = false, expect } = {}) {
	return new Promise((resolvePromise, reject) => {
		const t0 = process.hrtime.bigint();
		const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
		let ms = null;
		let first = "";
		let stderr = "";
		child.stdout.on("data", (chunk) => {
			if (ms === null && !untilExit) {
				ms = Number(process.hrtime.bigint() - t0) / 1e6;
				first = chunk.toString();
			}
		});
		child.stderr.on("data", (chunk) => { stderr += chunk; });
		child.on("error", reject);
		child.on("exit", () => { if (untilExit) ms = Number(process.hrtime.bigint() - t0) / 1e6; });
		child.on("close", (code) => {
			if (code !== 0) return reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${stderr.trim()}`));
			if (ms === null) return reject(new Error(`${cmd} ${args.join(" ")}: no stdout`));
			if (expect && !first.startsWith(expect)) return reject(new Error(`first output ${JSON.stringify(first)}, expected ${JSON.stringify(expect)}`));
			resolvePromise(ms);
		});
	});
}

function stats(xs, base) {
	const m = median(xs);
	const o = { median_ms: round(m), p90_ms: round(p90(xs)), min_ms: round(Math.min(...xs)) };
	if (base !== undefined) o.median_minus_baseline_ms = round(m - base);
	return o;
}

export async function benchStart(runs = 50, warmup = 3) {
	log("host_start: writing build/bench/hello.xss");
	run(IVXS, ["-m", "tests/host/apps", "-m", "build/mods", "-w", `${OUT}/hello.xss`, "-p", "timer", "hello"]);
	const variants = {
		baseline_true: () => timeSpawn("/bin/true", [], { untilExit: true }),
		source: () => timeSpawn(IVXS, ["-m", "tests/host/apps", "-m", "build/mods", "hello"], { expect: "hello from ivxs" }),
		snapshot: () => timeSpawn(IVXS, ["-s", `${OUT}/hello.xss`], { expect: "hello from ivxs" }),
	};
	const names = Object.keys(variants);
	const times = Object.fromEntries(names.map((n) => [n, []]));
	log(`host_start: ${runs} runs each, interleaved (+${warmup} warm-up)`);
	for (let i = 0; i < runs + warmup; i++) {
		for (let k = 0; k < names.length; k++) {
			const name = names[(i + k) % names.length];   // rotate the order every round
			const ms = await variants[name]();
			if (i >= warmup) times[name].push(ms);
		}
	}
	const base = median(times.baseline_true);
	const snapshot = stats(times.snapshot, base);
	const target = 10;
	return {
		runs,
		measure: "spawn() to first stdout chunk (\"hello from ivxs\"); baseline: spawn() of /bin/true to exit",
		baseline_true: stats(times.baseline_true),
		source: stats(times.source, base),
		snapshot,
		snapshot_vs_source_median: round(snapshot.median_ms / median(times.source)),
		target: `snapshot median <= ${target} ms (raw, baseline not subtracted)`,
		meets: snapshot.median_ms <= target,
	};
}
