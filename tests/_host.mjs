// Helpers for tests that run the XS host (build/bin/ivxs).
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildHost } from "../scripts/build.mjs";
import { cpuSeconds } from "../scripts/soak/proc.mjs";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const build = join(root, "build");

/** The host's --creation for a board's app machine: manifest.json's "creation" (chunk bytes, then
 * slots, initial and incremental), so the board profile and bench board_memory collect as a board does. */
export function boardCreation() {
	const { chunk, heap } = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8")).creation;
	return ["--creation", [chunk.initial, chunk.incremental, heap.initial, heap.incremental].join(",")];
}
export let hostBinary = join(build, "bin", "ivxs");

// Points runHost() and hostBinary at another build of the host from now on:
// tests/m32.test.mjs runs the host's test files again on the 32-bit host.
export function useHostBinary(path) {
	hostBinary = path;
}

// Builds a variant of the host (hosts/linux/Makefile: sanitize, m32),
// incrementally; returns its path, or throws with make's own message.
export function buildHostVariant(variant) {
	try {
		return buildHost(variant, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
	}
	catch (error) {
		throw new Error(`building the ${variant} host failed:\n${error.stderr || error.message}`);
	}
}

// Runs the host (or another test program: `binary`); resolves with
// { code, signal, stdout, stderr, cpuS, wallS }: cpuS is its CPU time (user + system, all
// threads) as last sampled, every 200 ms, before it ended. Kills it after timeoutMs (a test must
// never hang CI).
export function runHost(args, { timeoutMs = 60_000, env, cwd, onStdout, binary = hostBinary } = {}) {
	return new Promise((resolvePromise, reject) => {
		const started = Date.now();
		const child = spawn(binary, args, { cwd: cwd ?? root, env: { ...process.env, ...env } });
		let stdout = "", stderr = "", cpuS = 0;
		const sampler = setInterval(() => (cpuS = cpuSeconds(child.pid) ?? cpuS), 200);
		child.stdout.setEncoding("utf8");
		child.stderr.setEncoding("utf8");
		child.stdout.on("data", (chunk) => { stdout += chunk; onStdout?.(chunk, child); });
		child.stderr.on("data", (chunk) => { stderr += chunk; });
		const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
		child.on("error", reject);
		child.on("exit", () => clearInterval(sampler));
		child.on("close", (code, signal) => {
			clearTimeout(timer);
			clearInterval(sampler);
			resolvePromise({ code, signal, stdout, stderr, child, cpuS, wallS: (Date.now() - started) / 1000 });
		});
	});
}

// Compiled test files to run on XS, as module keys: the unit tests (also
// run under Node) and the XS-only tests of native modules.
export function xsTestKeys() {
	return ["unit", "xs-only"].flatMap((folder) => {
		const dir = join(build, "ts", "tests", folder);
		if (!existsSync(dir)) return [];
		return readdirSync(dir).filter((f) => f.endsWith(".test.js")).sort()
			.map((f) => relative(join(build, "ts"), join(dir, f)).replace(/\.js$/, ""));
	});
}

// Runs one XS test file (a module key such as "tests/net/http.test") with `config` as its JSON
// argument, logs every XS test's result on `t` (log lines starting "@@" are data for the caller,
// not logged) and fails `t` on any failure; returns the per-test results { title, ok, error, logs }.
export async function runXsTests(t, key, config) {
	const { code, signal, stdout, stderr } = await runHost(["ivxs/test-runner", "--", key, JSON.stringify(config)], { timeoutMs: 120_000 });
	const lines = stdout.split("\n");
	const results = lines.filter((l) => l.startsWith("@@ivxs-test ")).map((l) => JSON.parse(l.slice(12)));
	const doneLine = lines.find((l) => l.startsWith("@@ivxs-done "));
	const done = doneLine ? JSON.parse(doneLine.slice(12)) : undefined;
	t.truthy(done, `no summary from the XS host (exit ${code}${signal ? ", " + signal : ""}):\n${stderr}`);
	t.false(/AddressSanitizer|LeakSanitizer|runtime error:/.test(stderr), stderr.slice(-4000));   // tests/net-sanitized.test.mjs
	t.falsy(done?.loadError, done?.loadError);
	t.true(results.length > 0, "no tests ran");
	for (const r of results) {
		t.log(`${r.ok ? "✔" : "✘"} ${r.title}`);
		for (const line of r.logs ?? []) if (!line.startsWith("@@")) t.log(`    ${line}`);
	}
	const failed = results.filter((r) => !r.ok);
	t.deepEqual(failed.map((r) => `${r.title}: ${r.error}`), []);
	return results;
}
