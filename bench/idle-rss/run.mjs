/*
 * `node bench/run.mjs idle_rss` (a section of bench/run.mjs):
 * idle_rss — VmRSS / VmHWM from /proc/<pid>/status of the host running the idle app
 *    (tests/host/apps/idle.js: prints "ready", then idles), read ~300 ms after "ready", then killed:
 *      source:   build/bin/ivxs -m tests/host/apps -m build/mods idle
 *      snapshot: build/bin/ivxs -m tests/host/apps -m build/mods -w build/bench/idle.xss -p timer idle
 *                then  build/bin/ivxs -s build/bench/idle.xss
 *      baseline: sleep 5 (read ~300 ms after spawn).
 *    3 runs each, median. Target: VmRSS <= 8 MiB (8192 kB) from source and from snapshot.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { IVXS, OUT, log, median, root, round, run, sleep } from "../lib.mjs";

function readStatus(pid) {
	const text = readFileSync(`/proc/${pid}/status`, "utf8");
	const kB = (key) => { const m = text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m")); return m ? Number(m[1]) : null; };
	return { VmRSS_kB: kB("VmRSS"), VmHWM_kB: kB("VmHWM"), RssAnon_kB: kB("RssAnon"), RssFile_kB: kB("RssFile") };
}

function measureRss(cmd, args, { ready, settleMs = 300, timeoutMs = 5000 } = {}) {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
		let done = false;
		let out = "";
		let stderr = "";
		let seen = false;
		const finish = (err, value) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			child.kill("SIGKILL");
			child.once("close", () => (err ? reject(err) : resolvePromise(value)));
		};
		const sample = async () => {
			await sleep(settleMs);
			try { finish(null, readStatus(child.pid)); } catch (e) { finish(e); }
		};
		const timer = setTimeout(() => finish(new Error(`${cmd}: no "${ready}" within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
		child.on("error", (e) => finish(e));
		child.stderr.on("data", (c) => { stderr += c; });
		child.stdout.on("data", (c) => {
			out += c;
			if (ready && !seen && out.includes(ready)) { seen = true; sample(); }
		});
		child.on("exit", (code) => { if (!done) finish(new Error(`${cmd} exited ${code} early: ${stderr.trim()}`)); });
		if (!ready) child.on("spawn", sample);
	});
}

export async function benchRss(runs = 3) {
	log("idle_rss: writing build/bench/idle.xss");
	run(IVXS, ["-m", "tests/host/apps", "-m", "build/mods", "-w", `${OUT}/idle.xss`, "-p", "timer", "idle"]);
	const variants = {
		baseline_sleep: () => measureRss("sleep", ["5"]),
		source: () => measureRss(IVXS, ["-m", "tests/host/apps", "-m", "build/mods", "idle"], { ready: "ready" }),
		snapshot: () => measureRss(IVXS, ["-s", `${OUT}/idle.xss`], { ready: "ready" }),
	};
	const samples = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
	log(`idle_rss: ${runs} runs each`);
	for (let i = 0; i < runs; i++)
		for (const [name, fn] of Object.entries(variants)) samples[name].push(await fn());
	const summarize = (list) => {
		const o = {};
		for (const key of Object.keys(list[0])) {
			const vals = list.map((s) => s[key]).filter((v) => v !== null);
			o[key] = vals.length ? median(vals) : null;
		}
		o.VmRSS_MiB = round(o.VmRSS_kB / 1024, 2);
		o.VmHWM_MiB = round(o.VmHWM_kB / 1024, 2);
		return o;
	};
	const limit = 8192;
	const result = { runs, measure: "median of runs; /proc/<pid>/status ~300 ms after \"ready\" (baseline: ~300 ms after spawn)" };
	for (const name of Object.keys(variants)) result[name] = summarize(samples[name]);
	for (const name of ["source", "snapshot"]) {
		result[name].minus_baseline_VmRSS_kB = result[name].VmRSS_kB - result.baseline_sleep.VmRSS_kB;
		result[name].meets = result[name].VmRSS_kB <= limit;
	}
	result.target = `VmRSS <= 8 MiB (${limit} kB), from source and from snapshot`;
	result.meets = result.source.meets && result.snapshot.meets;
	return result;
}
