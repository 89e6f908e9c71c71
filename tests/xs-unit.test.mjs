// Runs every TypeScript unit-test file on the XS host too (ava runs the same
// compiled files under Node directly), plus the XS-only tests of native
// modules. Each XS result becomes one ava test. ava wants tests declared
// synchronously, so the XS runs happen (quickly) while this file loads.
import test from "ava";
import { spawnSync } from "node:child_process";
import { hostBinary, root, xsTestKeys } from "./_host.mjs";

const files = xsTestKeys();

test("there are tests to run on XS", (t) => {
	t.true(files.length > 0);
});

for (const key of files) {
	const result = spawnSync(hostBinary, ["ivxs/test-runner", "--", key], { cwd: root, encoding: "utf8", timeout: 120_000 });
	const lines = (result.stdout ?? "").split("\n");
	const tests = lines.filter((l) => l.startsWith("@@ivxs-test ")).map((l) => JSON.parse(l.slice(12)));
	const doneLine = lines.find((l) => l.startsWith("@@ivxs-done "));
	const done = doneLine ? JSON.parse(doneLine.slice(12)) : undefined;
	const name = key.replace(/^tests\//, "");
	test(`xs › ${name} › ran to completion`, (t) => {
		t.truthy(done, `no summary from the XS host (exit ${result.status}${result.signal ? ", " + result.signal : ""}):\n${result.stderr}`);
		t.falsy(done?.loadError, done?.loadError);
		t.true(tests.length > 0, "no tests registered");
	});
	for (const r of tests) {
		test(`xs › ${name} › ${r.title}`, (t) => {
			for (const line of r.logs ?? []) t.log(line);
			if (r.ok) t.pass();
			else t.fail(r.error);
		});
	}
}
