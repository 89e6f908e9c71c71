// The host itself — XS engine, loop, bindings, native modules — built with
// AddressSanitizer + UBSan (build/bin/ivxs-sanitize) and run through the XS
// tests of the native modules, the TypeScript unit tests (XS runs our shifts and conversions in C,
// where an overflowing << is undefined behaviour), the host apps and the demo.
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nativeModules } from "../scripts/native-modules.mjs";
import { build, buildHostVariant, runHost, xsTestKeys } from "./_host.mjs";

const binary = buildHostVariant("sanitize");

const run = (args) => runHost(args, {
	binary,
	timeoutMs: 240_000,
	env: { ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS: "print_stacktrace=1:halt_on_error=1" },
});

/** `stdout`: shown with a wrong exit code too (an XS test runner says there which test failed). */
function clean(t, { code, signal, stderr }, expectedCode = 0, stdout = "") {
	t.false(/AddressSanitizer|LeakSanitizer|runtime error:/.test(stderr), stderr.slice(-4000));
	t.is(signal, null);
	t.is(code, expectedCode, `${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
}

for (const key of xsTestKeys()) {
	test(`sanitized host: ${key.replace("tests/", "")}`, async (t) => {
		const result = await run(["ivxs/test-runner", "--", key]);
		clean(t, result, 0, result.stdout);
		t.regex(result.stdout, /@@ivxs-done \{"passed":\d+,"failed":0\}/);
	});
}

for (const app of ["timers", "udp", "tcp-echo", "hello", "hostile-json", "internal-import"]) {
	test(`sanitized host: the ${app} app`, async (t) => {
		clean(t, await run(["-m", "tests/host/apps", "-m", join(build, "mods"), app]));
	});
}

test("sanitized host: an uncaught exception exits cleanly with its report", async (t) => {
	const result = await run(["-m", "tests/host/apps", "-m", join(build, "mods"), "throws"]);
	clean(t, result, 1);
	t.regex(result.stderr, /uncaught exception: TypeError: boom/);
});

test("sanitized host: the demo records 2 s, and boots from a snapshot", async (t) => {
	const out = mkdtempSync(join(tmpdir(), "ivxs-san-"));
	t.teardown(() => rmSync(out, { recursive: true, force: true }));
	const source = await run(["modules/app/main", "--", "--seconds", "2", "--out", out]);
	clean(t, source);
	t.regex(source.stdout, /rejected 0, torn 0/);
	const snapshot = join(out, "app.xss");
	const preload = ["timer", ...nativeModules().map((m) => m.specifier)].join(",");
	clean(t, await run(["-w", snapshot, "-p", preload, "modules/app/main"]));
	clean(t, await run(["-s", snapshot, "--", "--seconds", "1", "--out", out]));
});
