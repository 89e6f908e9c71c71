// The 32-bit host (build/bin/ivxs-m32, gcc -m32 from Debian's gcc-multilib).
// A board's XS has 32-bit pointers, and its slots are half the size of this
// machine's: the 32-bit host's memory figures are the ones that compare with a
// device, and pointer-width bugs (size_t, printf formats, casts) show up here.
// The host's, the demo's, the XS tests (tests/unit and tests/xs-only through
// the XS test runner) and others run again on it, unchanged, from the other
// files of this folder; here, what is particular to 32 bits.
import test from "ava";
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { build, root, runHost } from "../_host.mjs";
import { tempDir } from "../host/_apps.mjs";
import { host32 } from "./_host32.mjs";

const host64 = join(build, "bin", "ivxs");

test("m32: the 32-bit host is an ELF32 x86 program", (t) => {
	const header = readFileSync(host32).subarray(0, 20);
	t.is(header.toString("latin1", 1, 4), "ELF");
	t.is(header[4], 1, "EI_CLASS: ELFCLASS32");
	t.is(header.readUInt16LE(18), 3, "e_machine: EM_386");
});

// XS heap peak of a 2 s demo run, from the demo's own summary line.
async function demoHeapPeak(t, binary) {
	const out = tempDir(t);
	const { code, stdout, stderr } = await runHost(["modules/app/main", "--", "--seconds", "2", "--out", out], { binary });
	t.is(code, 0, stderr);
	return Number(stdout.match(/XS heap peak (\d+) bytes/)[1]);
}

test("m32: the demo's XS heap is smaller on 32 bits than on 64 (what a board would need)", async (t) => {
	const peak64 = await demoHeapPeak(t, host64);
	const peak32 = await demoHeapPeak(t, host32);
	t.log(`demo XS heap peak: ${peak64} bytes on 64 bits, ${peak32} bytes on 32 bits`);
	t.true(peak32 < peak64 * 0.9, `${peak32} is not smaller than ${peak64}`);
});

test("m32: snapshots are tied to the architecture: each host refuses the other's", async (t) => {
	const dir = tempDir(t);
	const apps = ["-m", join(root, "tests/host/apps"), "-m", join(build, "mods")];
	for (const [writer, reader] of [[host64, host32], [host32, host64]]) {
		const file = join(dir, "hello.xss");
		const written = await runHost([...apps, "-w", file, "-p", "timer", "hello"], { binary: writer });
		t.is(written.code, 0, written.stderr);
		t.is((await runHost(["-s", file], { binary: writer })).code, 0);
		const { code, signal, stderr } = await runHost(["-s", file], { binary: reader });
		t.is(signal, null);
		t.is(code, 2, stderr);
		t.is(stderr.trim().split("\n").length, 1, stderr);
	}
});

test("m32: files past 2 GiB: the 32-bit host reads one's head, refuses the whole, appends to it (64-bit file offsets)", async (t) => {
	// A recording on a 32-bit Linux camera passes 2 GiB within hours. The file
	// is sparse: 3 GiB long, four bytes stored.
	const dir = tempDir(t);
	const big = join(dir, "big.bin");
	writeFileSync(big, "head");
	truncateSync(big, 3 * 2 ** 30);
	writeFileSync(join(dir, "bigfile.js"), `import { FileWriter, readFile } from "ivxs/file";
export default function () {
	trace(String.fromCharCode(...new Uint8Array(readFile(${JSON.stringify(big)}, { maxBytes: 4 }))) + "\\n");
	try { readFile(${JSON.stringify(big)}); } catch (e) { trace(e.message + "\\n"); }
	const writer = new FileWriter(${JSON.stringify(big)}, { truncate: false });
	writer.write(new Uint8Array([1, 2, 3]));
	writer.close();
	trace("appended\\n");
}
`);
	const { code, stdout, stderr } = await runHost(["-m", dir, "-m", join(build, "mods"), "bigfile"]);
	t.is(code, 0, stderr);
	t.is(stdout, `head\nread: ${big}: more than 256 MiB: read a part (maxBytes)\nappended\n`);
	t.is(statSync(big).size, 3 * 2 ** 30 + 3);
});

test("m32: a --heap-limit beyond the 32-bit address space is refused, not truncated", async (t) => {
	// 4096m would become 0 ("no limit") in a 32-bit size_t, 5000m 904 MiB.
	for (const size of ["4096m", "5000m", "4194304k"]) {
		const { code, stderr } = await runHost(["--heap-limit", size, "-m", join(root, "tests/host/apps"), "-m", join(build, "mods"), "hello"]);
		t.is(code, 2, `${size}: ${stderr}`);
		t.regex(stderr, new RegExp(`invalid --heap-limit ${size}`));
	}
	const { code } = await runHost(["--heap-limit", "1g", "-m", join(root, "tests/host/apps"), "-m", join(build, "mods"), "hello"]);
	t.is(code, 0);
});

test("m32: without gcc-multilib the 32-bit build stops with one line naming the Debian package", async (t) => {
	// A compiler that cannot do -m32, as gcc without gcc-multilib; a scratch
	// build folder, so the real one is not touched. Run asynchronously: the
	// other tests of this file watch host processes in real time.
	const dir = tempDir(t);
	const cc = join(dir, "cc");
	writeFileSync(cc, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -m32 ] && { echo 'fatal error: bits/libc-header-start.h: No such file or directory' >&2; exit 1; }; done\nexec gcc \"$@\"\n");
	chmodSync(cc, 0o755);
	mkdirSync(join(dir, "build/gen"), { recursive: true });
	copyFileSync(join(build, "gen/natives.mk"), join(dir, "build/gen/natives.mk"));
	const error = await t.throwsAsync(promisify(execFile)("make", ["-s", "-C", join(root, "hosts/linux"), "VARIANT=m32", `CC=${cc}`,
		`BUILD=${join(dir, "build")}`, `XS=${join(build, "xs")}`, `ROOT=${root}`]));
	t.regex(error.stderr, /install Debian's gcc-multilib \(apt-get install gcc-multilib\)/);
	t.notRegex(error.stderr, /libc-header-start/);
});
