// Builds and runs the libFuzzer harness over the Annex-B core and capture's
// splitters (native/fuzz/splitters_fuzz.c). Used by tests/fuzz.test.mjs
// (a bounded number of inputs in `npm test`) and by `npm run fuzz`
// (IVXS_FUZZ_SECONDS, default 180; IVXS_FUZZ_JOBS, default 1).
// Needs Debian's clang 14 with libFuzzer: apt-get install clang libclang-rt-14-dev.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, "build", "fuzz");
export const binary = join(out, "splitters_fuzz");
const sources = ["native/fuzz/splitters_fuzz.c", "native/annexb/annexb.c", "native/capture/au_splitter.c",
	"native/capture/adts_splitter.c", "native/capture/capture_common.c"];
const missing = "the fuzz harness needs clang with libFuzzer: install the Debian packages clang and libclang-rt-14-dev " +
	"(apt-get install clang libclang-rt-14-dev)";

function findClang() {
	for (const cc of [process.env.IVXS_FUZZ_CC, "clang", "clang-14"].filter(Boolean)) {
		if (spawnSync(cc, ["--version"], { stdio: "ignore" }).status === 0) return cc;
	}
	throw new Error(`${missing}: no clang found`);
}

/** Compiles the harness when a source is newer than the binary; returns its path. */
export function buildFuzzer() {
	const cc = findClang();
	mkdirSync(out, { recursive: true });
	const inputs = [...sources, "native/annexb/annexb.h", "native/capture/capture.h", "native/ring/ring.h"].map((s) => join(root, s));
	const newest = Math.max(...inputs.map((p) => statSync(p).mtimeMs));
	if (existsSync(binary) && statSync(binary).mtimeMs >= newest) return binary;
	const result = spawnSync(cc, ["-std=c11", "-D_GNU_SOURCE", "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
		"-fno-sanitize-recover=all", "-DIVXS_CAPTURE_CORE_ONLY", "-Inative/annexb", "-Inative/capture", "-Inative/ring",
		...sources, "-o", binary], { cwd: root, encoding: "utf8" });
	if (result.status !== 0) {
		const text = `${result.stdout}${result.stderr}`;
		if (/libclang_rt\.fuzzer|fuzzer.*not found|cannot find.*fuzzer/i.test(text)) throw new Error(`${missing}\n${text}`);
		throw new Error(`building the fuzz harness failed:\n${text}`);
	}
	return binary;
}

// Seeds: the head of every fixture behind a header that picks codec, sizes and chunking.
function writeSeeds(dir) {
	mkdirSync(dir, { recursive: true });
	const media = join(root, "fixtures/media");
	const seeds = [
		["h264-main-640x480.h264", 0], ["h264-bframes-320x240.h264", 0], ["h264-main-320x240.h264", 0],
		["h264-aud-10s-320x240.h264", 0], ["h265-main-640x480.h265", 1], ["h265-main-320x240.h265", 1],
		["aac-lc-16k-mono.aac", 2],
	];
	let i = 0;
	for (const [file, mode] of seeds) {
		const bytes = readFileSync(join(media, file));
		for (const [maxAu, chunk, length] of [[0x0400, 6, 6000], [0x7fff, 12, 20000], [0x0010, 16, 3000]]) {
			const header = Buffer.from([mode, maxAu >> 8, maxAu & 0xff, i, i >> 8, 7, 9, chunk]);
			writeFileSync(join(dir, `seed-${i++}`), Buffer.concat([header, bytes.subarray(0, length)]));
		}
	}
}

/**
 * Runs the fuzzer: { runs } inputs or { seconds }. Resolves to { code, output, executions };
 * a crash or a failed check gives a non-zero code and the reproducer in build/fuzz/crashes.
 */
export function runFuzzer({ runs, seconds, jobs = 1 } = {}) {
	const corpus = join(out, "corpus");
	const seeds = join(out, "seeds");
	const crashes = join(out, "crashes");
	for (const d of [corpus, crashes]) mkdirSync(d, { recursive: true });
	writeSeeds(seeds);
	const args = [`-max_len=24000`, "-timeout=20", "-rss_limit_mb=2048", "-print_final_stats=1",
		`-artifact_prefix=${crashes}/`, corpus, seeds];
	if (runs !== undefined) args.unshift(`-runs=${runs}`);
	if (seconds !== undefined) args.unshift(`-max_total_time=${seconds}`);
	if (jobs > 1) args.unshift(`-jobs=${jobs}`, `-workers=${jobs}`);
	return new Promise((resolvePromise) => {
		const child = spawn(binary, args, { cwd: root, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=1", UBSAN_OPTIONS: "print_stacktrace=1" } });
		let output = "";
		child.stdout.on("data", (d) => { output += d; });
		child.stderr.on("data", (d) => { output += d; });
		child.on("close", (code, signal) => {
			const executions = Number(output.match(/stat::number_of_executed_units:\s*(\d+)/)?.[1] ?? 0);
			resolvePromise({ code: code ?? 128, signal, output, executions });
		});
	});
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	const seconds = Number(process.env.IVXS_FUZZ_SECONDS ?? 180);
	const jobs = Number(process.env.IVXS_FUZZ_JOBS ?? 1);
	try {
		buildFuzzer();
	}
	catch (error) {
		console.error(error.message);
		process.exit(2);
	}
	console.log(`fuzzing the Annex-B core and capture's splitters for ${seconds} s (IVXS_FUZZ_SECONDS)`);
	const { code, output, executions } = await runFuzzer({ seconds, jobs });
	console.log(output.split("\n").filter((l) => /^(#\d+\s+DONE|stat::|==\d+==|check failed|SUMMARY)/.test(l)).join("\n"));
	console.log(`${executions} inputs, exit ${code}${code ? " (reproducer in build/fuzz/crashes)" : ""}`);
	process.exit(code ? 1 : 0);
}
