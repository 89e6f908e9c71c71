/*
 * `node bench/run.mjs xs_heap` (a section of bench/run.mjs):
 * xs_heap — XS heap figures on this 64-bit host and on the 32-bit one (build/bin/ivxs-m32,
 *    gcc -m32, built here if needed: hosts/linux/Makefile VARIANT=m32). A board's XS is 32-bit
 *    (slots half the size), so the m32 figures are the ones to compare with a device:
 *      demo:  build/bin/ivxs{,-m32} --memory-report modules/app/main -- --seconds 5 --out build/bench/demo-<bits>
 *             ("XS heap peak" = chunks peak + slots peak, as the demo prints it, and the
 *             --memory-report line at exit)
 *      hello: build/bin/ivxs{,-m32} --memory-report -m tests/host/apps -m build/mods hello
 *    Reported only (no target); m32_over_m64 = 32-bit figure / 64-bit figure.
 */
import { spawnSync } from "node:child_process";
import { relative } from "node:path";
import { buildHost } from "../../scripts/build.mjs";
import { IVXS, OUT, log, root, round } from "../lib.mjs";

// "ivxs memory (exit): xs chunks N (peak N), xs slots N (peak N), xs reserved N (peak N), xs preloaded N, xs collections N, <native> N (peak N)…"
function parseMemoryReport(stderr) {
	const line = stderr.split("\n").find((l) => l.startsWith("ivxs memory (exit):"));
	if (!line) throw new Error(`no --memory-report line in: ${JSON.stringify(stderr.slice(-300))}`);
	const out = {};
	for (const [, name, bytes, peak] of line.matchAll(/([\w ]+?) (\d+) \(peak (\d+)\)/g)) {
		const key = name.trim().replace(/^xs /, "xs_").replace(/\W/g, "_");
		out[key] = Number(bytes);
		out[`${key}_peak`] = Number(peak);
	}
	return out;
}

function xsHeap(binary, bits, seconds) {
	const demo = spawnSync(binary, ["--memory-report", "modules/app/main", "--", "--seconds", String(seconds),
		"--out", `${OUT}/demo-${bits}`], { cwd: root, encoding: "utf8", timeout: (seconds + 30) * 1000 });
	if (demo.status !== 0) throw new Error(`${binary} demo exited ${demo.status}: ${demo.stderr.trim().slice(-300)}`);
	const peak = demo.stdout.match(/XS heap peak (\d+) bytes/);
	if (!peak) throw new Error(`${binary} demo: no "XS heap peak" line`);
	const hello = spawnSync(binary, ["--memory-report", "-m", "tests/host/apps", "-m", "build/mods", "hello"],
		{ cwd: root, encoding: "utf8", timeout: 30000 });
	if (hello.status !== 0) throw new Error(`${binary} hello exited ${hello.status}: ${hello.stderr.trim()}`);
	return { binary, demo: { xs_heap_peak: Number(peak[1]), ...parseMemoryReport(demo.stderr) }, hello: parseMemoryReport(hello.stderr) };
}

export function benchXsHeap(seconds = 5) {
	log("xs_heap: building the 32-bit host (make -C hosts/linux VARIANT=m32)");
	const t0 = Date.now();
	const host32 = relative(root, buildHost("m32", { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" }));
	const buildSeconds = round((Date.now() - t0) / 1000, 1);
	log(`xs_heap: the demo for ${seconds} s and the hello app, on 64 and 32 bits`);
	const m64 = xsHeap(IVXS, 64, seconds);
	const m32 = xsHeap(host32, 32, seconds);
	const ratio = (a, b) => Object.fromEntries(Object.entries(a).filter(([k]) => /^xs_/.test(k) && b[k] > 0).map(([k, v]) => [k, round(v / b[k])]));
	return {
		measure: `bytes; demo: ${seconds} s of modules/app/main (xs_heap_peak = chunks peak + slots peak, as the demo prints); hello: tests/host/apps/hello.js; both from --memory-report at exit`,
		m64, m32,
		m32_over_m64: { demo: ratio(m32.demo, m64.demo), hello: ratio(m32.hello, m64.hello) },
		m32_make_seconds: buildSeconds,
		target: "none (reported only): the 32-bit figures are what a board's XS needs",
	};
}
