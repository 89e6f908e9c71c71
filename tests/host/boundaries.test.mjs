// What the host accepts at its boundaries: hostile JSON, long paths, damaged
// snapshots, snapshot targets that are not regular files, internal modules.
import test from "ava";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runHost, root, build } from "../_host.mjs";
import { apps, app, tempDir } from "./_apps.mjs";

test("a JavaScript stack overflow is a catchable RangeError, twice, and the app goes on", async (t) => {
	const { code, signal, stdout, stderr } = await app("hostile-json");
	t.is(signal, null);
	t.is(code, 0, stderr);
	for (const round of [1, 2])
		for (const what of ["nested arrays", "nested objects", "reviver", "eval", "recursion", "apply", "spread"])
			t.true(stdout.includes(`round ${round} ${what}: RangeError: stack overflow\n`), `${round} ${what}:\n${stdout}`);
	t.true(stdout.endsWith("after: 3\njobs still run\n"), stdout);
});

test("a module nested deeper than the C stack allows is a syntax error with its line, not a crash", async (t) => {
	const dir = tempDir(t);
	writeFileSync(join(dir, "deep.js"), `export default ${"[".repeat(100000)}${"]".repeat(100000)};\n`);
	const { code, signal, stderr } = await runHost(["-m", dir, "deep"]);
	t.is(signal, null);
	t.is(code, 1);
	t.regex(stderr, /deep\.js:1: error: stack overflow\n/);
	t.regex(stderr, /SyntaxError: .*deep\.js: cannot parse module\n/);
});

test("an app cannot import the host's internal socket module; the ECMA-419 classes still can", async (t) => {
	const { code, stdout } = await app("internal-import");
	t.is(code, 0);
	t.regex(stdout, /^ivxs\/socket-native: ReferenceError: (\(host\): )?module ivxs\/socket-native is internal to the host\n\.\/ivxs\/socket-native: ReferenceError: (\(host\): )?module ivxs\/socket-native is internal to the host\n$/);
	t.is((await app("udp")).code, 0);
});

test("run from a long directory, the missing host function's sentence is whole", async (t) => {
	const dir = join(tempDir(t), "a-clone-in-a-rather-long-directory-name-0123456789-abcdefghij", "tests", "host", "apps");
	mkdirSync(dir, { recursive: true });
	copyFileSync(join(root, "tests/host/apps/missing-host.js"), join(dir, "missing-host.js"));
	t.true(dir.length > 60);
	const { code, stderr } = await runHost(["-m", dir, "-m", join(build, "mods"), "missing-host"]);
	t.is(code, 1);
	t.regex(stderr, /\.\.\.[^ ]*missing-host\.js: host function xs_not_linked is not linked into this host\n/);
	const missing = await runHost(["-m", dir, "-m", join(build, "mods"), "no/such/module/with/a/long/name/that/goes/on/and/on"]);
	t.is(missing.code, 1);
	t.regex(missing.stderr, /module not found: \.\.\.[^ ]* \(searched \.\.\.[^ ]* and more\)\n/);
});

test("a snapshot whose entry name is damaged is refused at boot, not later", async (t) => {
	const dir = tempDir(t);
	const good = join(dir, "good.xss");
	t.is((await app("hello", ["-w", good])).code, 0);
	const bytes = readFileSync(good);
	const at = bytes.indexOf("hello");
	t.true(at > 0 && at < 32);
	for (const [name, edit] of [["name", (b) => { b[at + 4] = 0x70; }], ["format", (b) => { b[8] ^= 1; }], ["checksum", (b) => { b[b.length - 1] ^= 1; }]]) {
		const damaged = Buffer.from(bytes);
		edit(damaged);
		const file = join(dir, `${name}.xss`);
		writeFileSync(file, damaged);
		const { code, stdout, stderr } = await runHost(["-s", file]);
		t.is(code, 2, `${name}: ${stderr}`);
		t.is(stdout, "", name);
		t.regex(stderr, /snapshot is corrupt \(checksum mismatch\)\n$/, name);
	}
});

test("-w writes only regular files: a FIFO, a directory or a device node is refused and left alone", async (t) => {
	const dir = tempDir(t);
	const fifo = join(dir, "fifo");
	execFileSync("mkfifo", [fifo]);
	const folder = join(dir, "folder");
	mkdirSync(folder);
	for (const target of [fifo, folder, "/dev/null"]) {
		const before = statSync(target);
		const { code, stderr } = await app("hello", ["-w", target]);
		t.is(code, 2, target);
		t.regex(stderr, /refusing to write the snapshot to .*: not a regular file\n$/, target);
		const after = statSync(target);
		t.is(after.mode, before.mode, target);
		t.is(after.ino, before.ino, target);
	}
	const stale = join(dir, "app.xss");
	execFileSync("mkfifo", [`${stale}.tmp`]);
	const { code, stderr } = await app("hello", ["-w", stale]);
	t.is(code, 2);
	t.regex(stderr, /not a regular file/);
});
