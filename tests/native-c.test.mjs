// The portable C cores' own test programs, built plain and with
// AddressSanitizer + UBSan (native/Makefile), each run and its closing
// "N passed, N failed" line checked.
import test from "ava";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { build, root, runHost } from "./_host.mjs";

execFileSync("make", ["-s", "-C", join(root, "native"), `BUILD=${build}`, "-j2"], { stdio: "inherit" });

const programs = ["ring_test", "capture_test", "annexb_test"].filter((name) => existsSync(join(build, "ctest", name)));

const run = (binary, env = {}) => runHost([], {
	binary,
	timeoutMs: 240_000,
	env: { IVXS_FIXTURES: join(root, "fixtures/media"), ASAN_OPTIONS: "detect_leaks=1", UBSAN_OPTIONS: "print_stacktrace=1", ...env },
}).then(({ code, signal, stdout, stderr }) => ({ code, signal, output: stdout + stderr }));

for (const name of programs) {
	for (const variant of ["", "-sanitize"]) {
		test(`C core: ${name}${variant}`, async (t) => {
			// The plain capture run checks real-time pacing over the full 10 s the
			// issue asks for; the sanitized run keeps the 2 s default.
			const env = name === "capture_test" && !variant ? { IVXS_PACING_SECONDS: "10" } : {};
			const { code, signal, output } = await run(join(build, "ctest", name + variant), env);
			const summary = output.match(/^(\d+) passed, (\d+) failed$/m);
			t.truthy(summary, `no summary line:\n${output.slice(-3000)}`);
			t.log(summary?.[0]);
			t.is(signal, null, output.slice(-3000));
			t.is(code, 0, output.slice(-3000));
			t.is(Number(summary?.[2]), 0, output.slice(-3000));
			t.true(Number(summary?.[1]) > 0);
		});
	}
}
