// The capture binding's own checks, driven through its native functions by a
// host app (native/capture/tests/apps/capture-binding.js): every function
// refuses a host object of another binding (a Ring's) and non-objects with a
// TypeError, never reinterpreting it; still() returns an ArrayBuffer of the
// JPEG's exact size (plain, not resized).
import test from "ava";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { build, root, runHost } from "./_host.mjs";

const run = runHost(["-m", "native/capture/tests/apps", "-m", join(build, "mods"), "capture-binding"], { cwd: root });

test("every capture function refuses what is not a Capture with a TypeError", async (t) => {
	const { code, stdout, stderr } = await run;
	t.is(code, 0, stderr);
	for (const name of ["start", "stats", "still", "close"]) {
		for (const what of ["ring host object", "plain object", "undefined"]) {
			t.true(stdout.includes(`${name}(${what}): TypeError: ${name}: capture: not a Capture\n`), `${name}(${what}):\n${stdout}`);
		}
	}
	t.regex(stdout, /^stats\(capture\): boolean$/m);
	t.regex(stdout, /^close twice: undefined$/m);
	t.regex(stdout, /^stats after close: Error: stats: capture: closed$/m);
});

test("still() returns exactly the JPEG's bytes in a plain ArrayBuffer", async (t) => {
	const { stdout } = await run;
	const sizes = readdirSync(join(root, "fixtures/media/stills")).map((f) => statSync(join(root, "fixtures/media/stills", f)).size);
	const m = stdout.match(/^still bytes: (\d+) resizable (\w+) soi (\w+) eoi (\w+)$/m);
	t.truthy(m, stdout);
	t.true(sizes.includes(Number(m[1])), `${m[1]} is one still's size (${sizes})`);
	t.deepEqual(m.slice(2), ["false", "true", "true"]);
});
