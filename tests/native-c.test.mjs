// The C cores' own test programs — every native/<module>/tests/*_test.c of the
// modules in native/modules.txt — built by native/Makefile plain, with
// AddressSanitizer + UBSan and 32-bit (gcc -m32), each run and its closing
// "N passed, N failed" line checked; one whose fake clock takes its start from
// IVXS_CLOCK_BASE runs at each of clockBases (0, 2^31 - 1 s, 2^32 - 1 s). A program that does not build fails its
// test with the compiler's message; a module with a C core and no test program
// fails too: nothing is skipped silently.
import test from "ava";
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { generate } from "../scripts/build.mjs";
import { cTestPrograms, clockBases, nativeModules } from "../scripts/native-modules.mjs";
import { build, root, runHost } from "./_host.mjs";

generate();   // build/gen/ctests.mk from native/modules.txt, as the build does
const modules = nativeModules();
const make = (targets) => ["-s", "-C", join(root, "native"), `BUILD=${build}`, `ROOT=${root}`, ...targets];
// Build everything once up front (two jobs, keep going past a failure); each
// test then asks make for its own program again, which is instant when it
// built and repeats the compiler's error when it did not.
spawnSync("make", make(["-k", "-j2"]), { stdio: "ignore" });

for (const m of modules) {
	test(`C core: ${m.specifier} has test programs`, (t) => {
		if (m.ownCore.length === 0 && !m.testsFolder) return t.pass();   // a binding with no core of its own
		t.truthy(m.testsFolder, `${m.folder} has a C core (${m.ownCore.join(", ")}) but no tests/ folder`);
		t.true(m.tests.length > 0, `${m.testsFolder} holds no *_test.c program`);
	});
}

const run = (binary, env = {}) => runHost([], {
	binary,
	timeoutMs: 240_000,
	env: { IVXS_FIXTURES: join(root, "fixtures/media"), ASAN_OPTIONS: "detect_leaks=1", UBSAN_OPTIONS: "print_stacktrace=1", ...env },
}).then(({ code, signal, stdout, stderr }) => ({ code, signal, output: stdout + stderr }));

// A program that takes its clock's start from IVXS_CLOCK_BASE (ivxs_test_clock_base) runs at
// every base of clockBases; the others once.
for (const { name, clock } of cTestPrograms(modules)) {
	for (const [variant, base] of ["plain", "sanitize", "m32"].flatMap((v) => (clock ? clockBases : [undefined]).map((b) => [v, b]))) {
		const title = base === undefined ? `C core: ${name} (${variant})` : `C core: ${name} (${variant}, clock from ${base} ms)`;
		test(title, async (t) => {
			const binary = join(build, "ctest", variant, name);
			try {
				await promisify(execFile)("make", make([binary]));
			}
			catch (error) {
				return t.fail(`${name} (${variant}) does not build:\n${error.stderr || error.message}`);
			}
			// The plain capture run checks real-time pacing over the full 10 s the
			// media issue asks for; the other runs keep the 2 s default.
			const env = name === "capture_test" && variant === "plain" ? { IVXS_PACING_SECONDS: "10" } : {};
			if (base !== undefined) env.IVXS_CLOCK_BASE = String(base);
			const { code, signal, output } = await run(binary, env);
			const summary = output.match(/^(\d+) passed, (\d+) failed$/m);
			t.truthy(summary, `no summary line:\n${output.slice(-3000)}`);
			t.log(summary?.[0]);
			if (base !== undefined) t.regex(output, new RegExp(`^clock base ${base} ms$`, "m"), "the program did not start its clock there");
			t.is(signal, null, output.slice(-3000));
			t.is(code, 0, output.slice(-3000));
			t.is(Number(summary?.[2]), 0, output.slice(-3000));
			t.true(Number(summary?.[1]) > 0);
		});
	}
}
