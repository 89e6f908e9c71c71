/*
 * What the benchmark sections share: the repo root, the host binary and the output folder, a
 * logger on stderr, statistics and rounding, running a program, reading its JSON, and compiling a
 * C benchmark.
 *
 * C benchmarks (bench/<module>_bench.c) are compiled with their module's C core as
 * native/modules.txt defines it (scripts/native-modules.mjs: the folder's .c files minus the
 * mod*.c binding, plus the cores of the modules it uses; their folders and native/common on the
 * include path; their system libraries), e.g. for the ring:
 *      gcc -std=c11 -D_GNU_SOURCE -O2 -pthread -Inative/ring -Inative/common bench/ring_bench.c \
 *          native/ring/ring.c -o build/bench/ring_bench
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { nativeModules } from "../scripts/native-modules.mjs";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const IVXS = "build/bin/ivxs";
export const OUT = "build/bench";
export const log = (message) => process.stderr.write(`[bench] ${message}\n`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const TICK_MS = 1000 / 100;   // CLK_TCK (getconf CLK_TCK) is 100 on Linux
/** A process's CPU so far, utime + stime in clock ticks (/proc/<pid>/stat fields 14, 15); undefined once it is gone. */
export function cpuTicks(pid) {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
		return Number(fields[11]) + Number(fields[12]);
	}
	catch {
		return undefined;
	}
}
export const round = (x, d = 3) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);
export const sorted = (xs) => [...xs].sort((a, b) => a - b);
export const median = (xs) => {
	if (!xs.length) return null;
	const s = sorted(xs);
	const n = s.length;
	return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
export const p90 = (xs) => { const s = sorted(xs); return s[Math.max(0, Math.ceil(0.9 * s.length) - 1)]; };
export function run(cmd, args, { timeout = 120000, env } = {}) {
	return execFileSync(cmd, args, { cwd: root, encoding: "utf8", timeout, env: env ?? process.env,
		stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 << 20 });
}

// The JSON object a program printed: all of stdout, or the last parseable {...} that runs to the
// end of stdout (one line or pretty-printed over many).
export function lastJson(text) {
	const t = text.trim();
	try { return JSON.parse(t); } catch { /* look for a trailing object */ }
	for (let i = t.lastIndexOf("{"); i >= 0; i = i > 0 ? t.lastIndexOf("{", i - 1) : -1) {
		if (i > 0 && t[i - 1] !== "\n") continue;
		try { return JSON.parse(t.slice(i)); } catch { /* keep looking */ }
	}
	throw new Error(`no JSON object at the end of stdout: ${JSON.stringify(t.slice(-200))}`);
}

// Compiles bench/<module>_bench.c with the module's C core; returns the program's path.
export function compileBench(specifier) {
	const m = nativeModules().find((x) => x.specifier === specifier);
	if (!m) throw new Error(`${specifier} is not in native/modules.txt`);
	const program = `${OUT}/${specifier}_bench`;
	log(`${specifier}: compiling bench/${specifier}_bench.c with ${m.core.join(" ")}`);
	run("gcc", ["-std=c11", "-D_GNU_SOURCE", "-O2", "-pthread", ...m.includes.map((i) => `-I${i}`),
		`bench/${specifier}_bench.c`, ...m.core, "-o", program, ...m.libs]);
	return program;
}

// A 1 Mbit/s H.264 test clip (testsrc2 with moving noise, so the encoder spends its whole rate
// like a camera's sensor noise makes it), made once by ffmpeg and cached at `path` (under
// build/bench): no B frames, a key frame every `gop` frames, an AUD per access unit (ffmpeg's
// arguments: `args` below).
// The same bytes on every run and machine: one encoder thread (x264's threads made another clip
// at every encode), and the noise's seed named rather than its default; so what a bench measures
// on it compares across runs and trees (p2p_sim is deterministic given its clip). The recipe is
// kept beside the clip (<path>.recipe): a clip made by another recipe is made again.
export function ensureClip(path, { size, fps, seconds, gop }, logTo = log) {
	const file = join(root, path), recipeFile = `${file}.recipe`;
	const args = ["-f", "lavfi", "-i", `testsrc2=size=${size}:rate=${fps}:duration=${seconds}`, "-vf", "noise=alls=12:allf=t:all_seed=1",
		"-c:v", "libx264", "-threads", "1", "-pix_fmt", "yuv420p", "-profile:v", "main", "-preset", "veryfast", "-bf", "0", "-g", String(gop), "-keyint_min", String(gop),
		"-sc_threshold", "0", "-b:v", "1M", "-maxrate", "1M", "-bufsize", "1M", "-x264-params", "aud=1", "-f", "h264"];
	const recipe = JSON.stringify(args);
	if (existsSync(file) && statSync(file).size > 0 && existsSync(recipeFile) && readFileSync(recipeFile, "utf8") === recipe) return file;
	logTo(`encoding ${path} with ffmpeg`);
	mkdirSync(dirname(file), { recursive: true });   // a section run alone on a fresh checkout: no build/bench yet
	execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, `${file}.tmp`], { stdio: ["ignore", "inherit", "inherit"] });
	renameSync(`${file}.tmp`, file);
	writeFileSync(recipeFile, recipe);
	return file;
}

/** Instructions a callgrind run executed, all threads: its output file's `totals:` (or `summary:`) line. */
export function callgrindTotal(file) {
	const line = readFileSync(file, "utf8").split("\n").find((l) => l.startsWith("totals:") || l.startsWith("summary:"));
	if (!line) throw new Error(`${file}: no totals line`);
	return Number(line.split(/\s+/)[1]);
}

/** One run of the bench/xs script `script` with `args` on an XS host (default the 32-bit one, a
 * board's sizes) under callgrind (the whole process's instructions; its output in `outDir`), or
 * without it (`callgrind: false`: no instructions), and the JSON line it prints (the one whose
 * first key is `key`). */
export function xsBenchRun(root, outDir, script, args, key, { host = "build/bin/ivxs-m32", callgrind = true } = {}) {
	mkdirSync(join(root, outDir), { recursive: true });
	const out = join(root, outDir, `${script}-${args.join("-")}.callgrind`);
	const command = [join(root, host), "-m", "bench/xs", "-m", "build/ts", "-m", "build/mods", script, "--", ...args.map(String)];
	const run = callgrind ? spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, ...command], { cwd: root, encoding: "utf8", timeout: 600_000 })
		: spawnSync(command[0], command.slice(1), { cwd: root, encoding: "utf8", timeout: 600_000 });
	const line = (run.stdout + run.stderr).split("\n").find((l) => l.startsWith(`{"${key}"`));
	if (run.status !== 0 || !line) throw new Error(`${script} ${args.join(" ")}: ${run.stdout}${run.stderr.slice(-500)}`);
	return { ...(callgrind ? { instructions: callgrindTotal(out) } : {}), ...JSON.parse(line) };
}

/**
 * A callgrind run's instructions per function, from `callgrind_annotate` (every function, no
 * source annotation): [{ instructions, file, fn, object }], self cost, or inclusive with
 * `inclusive` (callees counted in: then a recursive function's cost repeats and nothing sums to the total).
 * `fn` without callgrind's recursion-depth suffix (fxMarkInstance'2 → fxMarkInstance); `file` is
 * "???" where the object has no line information (libc here, PLT stubs).
 */
export function callgrindFunctions(file, { inclusive = false } = {}) {
	const text = run("callgrind_annotate", ["--auto=no", "--threshold=100", `--inclusive=${inclusive ? "yes" : "no"}`, file], { timeout: 300000 });
	const rows = [];
	for (const line of text.split("\n")) {
		// "138,791,610 (15.40%)  ???:mbedtls_internal_sha256_process [/usr/lib/…/libmbedcrypto.so.2.28.3]"
		const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*):([^:\s]+?)(?:'\d+)?(?: \[(.*)\])?$/.exec(line);
		if (m) rows.push({ instructions: Number(m[1].replaceAll(",", "")), file: m[2], fn: m[3], object: m[4] ?? "???" });
	}
	return rows;
}

/**
 * Who calls each function in a callgrind run, and for how many of its instructions: Map fn →
 * Map caller fn → instructions (callgrind_annotate's caller tree, inclusive cost through that
 * caller; names as callgrindFunctions gives them). It names what a stripped library's static
 * functions are: Debian's mbedTLS has no symbol for GCM's GHASH (`gcm_mult`), only its callers.
 */
export function callgrindCallers(file) {
	const text = run("callgrind_annotate", ["--auto=no", "--threshold=100", "--tree=caller", file], { timeout: 300000 });
	const callers = new Map();
	let pending = [];
	for (const line of text.split("\n")) {
		// "829,779,660 (25.51%)  < ???:mbedtls_gcm_update (565,245x) [/usr/lib/…]" then "880,217,186 (27.06%)  *  ???:0x0002f0d0 [/usr/lib/…]"
		const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+([<*])\s+(?:.*):([^:\s]+?)(?:'\d+)?(?: \(\d[\d,]*x\))?(?: \[.*\])?$/.exec(line);
		if (!m) {
			if (!line.trim()) pending = [];
			continue;
		}
		if (m[2] === "<") pending.push([m[3], Number(m[1].replaceAll(",", ""))]);
		else {
			const costs = callers.get(m[3]) ?? new Map();
			for (const [caller, instructions] of pending) costs.set(caller, (costs.get(caller) ?? 0) + instructions);
			callers.set(m[3], costs);
			pending = [];
		}
	}
	return callers;
}
