// The portable C of every native module compiles for a 32-bit microcontroller
// (Cortex-M4, newlib headers, -Werror) with no OS underneath: no ESP-IDF here,
// so this is as far as these machines can check the device build. Portable
// means the module's core files not named *_linux.c (scripts/native-modules.mjs);
// a file with a Linux part fences it with #ifdef __linux__ (native/capture).
//
// It must also need no library calls for atomics: a Cortex-M4 does 1, 2 and
// 4-byte atomics in line (LDREX/STREX), so an undefined __atomic_* or __sync_*
// symbol means an atomic the core cannot do lock-free there — a 64-bit
// _Atomic becomes calls to __atomic_load_8 and friends, which a board's
// runtime implements by masking interrupts or with a lock, if at all.
// Code size is logged.
import test from "ava";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { nativeModules } from "../scripts/native-modules.mjs";
import { root } from "./_host.mjs";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "ivxs-arm-"));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

// A file whose code is behind a build's switch is compiled with it on: srtp_engine.c is SRTP on a
// chip's engines, which the ESP32-S3 board's manifest turns on (hosts/esp32s3/manifest.json).
const SWITCHES = { "native/webrtc/srtp_engine.c": ["-DIVXS_SRTP_ENGINE=1"] };

const compiled = new Map();
// Compiles a file once for every test that asks; resolves with the object's path.
function compile(m, file) {
	if (!compiled.has(file)) {
		const object = join(dir, `${m.specifier.replace(/\W/g, "_")}-${basename(file, ".c")}.o`);
		// A module that links a system library (p2p, webrtc: mbedTLS) finds its headers in Debian's
		// /usr/include, searched after newlib's own, with mbedTLS configured as a board's SDK
		// would (no POSIX threads: tests/mcu/mbedtls_mcu_config.h); a board's SDK brings its copy.
		const system = m.libs.length ? ["-idirafter", "/usr/include", `-DMBEDTLS_USER_CONFIG_FILE="${join(root, "tests/mcu/mbedtls_mcu_config.h")}"`] : [];
		compiled.set(file, exec("arm-none-eabi-gcc", ["-std=c11", "-mcpu=cortex-m4", "-mthumb", "-Os", "-Wall", "-Wextra", "-Werror",
			...m.includes.map((i) => `-I${i}`), ...system, ...(SWITCHES[file] ?? []), "-c", file, "-o", object], { cwd: root }).then(() => object));
	}
	return compiled.get(file);
}

const modules = nativeModules();

test("every native module's portable files are found", (t) => {
	t.true(modules.length > 0);
	for (const m of modules) t.true(m.portable.length > 0 || m.ownCore.length === 0, `${m.folder}: no portable C`);
});

for (const m of modules) {
	for (const file of m.portable) {
		test(`${file} compiles for Cortex-M4 with -Wall -Wextra -Werror`, async (t) => {
			const object = await compile(m, file);
			const { stdout } = await exec("arm-none-eabi-size", [object]);
			const [text] = stdout.trim().split("\n")[1].trim().split(/\s+/).map(Number);
			t.log(`${file}: ${text} bytes of code`);
			t.true(text > 0);
		});

		test(`${file} needs no library calls for atomics on Cortex-M4`, async (t) => {
			const { stdout } = await exec("arm-none-eabi-nm", ["-u", await compile(m, file)]);
			const calls = stdout.split("\n").map((line) => line.trim().split(/\s+/).pop()).filter((name) => /^__(atomic|sync)_/.test(name));
			t.deepEqual(calls, [], `${file} calls ${calls.join(", ")}: an atomic that is not lock-free on a Cortex-M4`);
		});
	}
}
