// ivxs/platform has one contract (modules/app/platform.d.ts) and one implementation per host:
// both must export every name it declares. The Moddable one cannot run in CI (no SDK), so this
// reads the sources; tests/xs-only/platform.test.ts runs the Linux one.
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./_host.mjs";

const read = (path) => readFileSync(join(root, path), "utf8");

function exportsOf(text) {
	const names = new Set();
	for (const [, name] of text.matchAll(/^export\s+(?:declare\s+)?(?:function|class|const|let)\s+(\w+)/gm)) names.add(name);
	for (const [, list] of text.matchAll(/^export\s*\{([^}]*)\}/gm))
		for (const item of list.split(",")) names.add(item.trim().split(/\s+as\s+/).pop());
	return names;
}

const contract = new Set([...read("modules/app/platform.d.ts").matchAll(/^\texport\s+(?:function|class|const)\s+(\w+)/gm)].map((m) => m[1]));

test("the contract declares what the camera app needs from a host", (t) => {
	for (const name of ["readFile", "Preference", "Digest", "sha256", "hmacSha256", "TLSSocket", "now", "monotonic", "argv", "exit", "memory", "collectGarbage", "log"])
		t.true(contract.has(name), name);
});

for (const path of ["modules/app/platform/linux.js", "modules/app/platform/moddable.ts"]) {
	test(`${path} exports every name of the contract`, (t) => {
		const names = exportsOf(read(path));
		t.deepEqual([...contract].filter((name) => !names.has(name)), []);
	});
}

test("the camera app reaches the host only through ivxs/platform and the modules every host has", (t) => {
	const app = ["camera", "channel", "device-file", "provisioning"].map((name) => read(`modules/app/${name}.ts`)).join("\n");
	const imports = new Set([...app.matchAll(/^import[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]).filter((s) => !s.startsWith(".")));
	t.deepEqual([...imports].sort(), ["annexb", "capture", "ivxs/platform", "ring", "timer"]);
});
