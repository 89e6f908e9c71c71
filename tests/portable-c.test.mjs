// The portable C cores compile for a 32-bit microcontroller (Cortex-M4,
// newlib headers, -Werror) with no OS underneath: no ESP-IDF here, so this is
// as far as these machines can check the device build. Code size is logged.
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./_host.mjs";

const cores = [
	["ring", "native/ring/ring.c", []],
	["annexb", "native/annexb/annexb.c", []],
	["capture AU splitter", "native/capture/au_splitter.c", ["-DIVXS_CAPTURE_CORE_ONLY"]],
	["capture ADTS splitter", "native/capture/adts_splitter.c", ["-DIVXS_CAPTURE_CORE_ONLY"]],
	["capture pacing maths", "native/capture/capture_common.c", ["-DIVXS_CAPTURE_CORE_ONLY"]],
];

for (const [name, file, defines] of cores) {
	test(`${name} compiles for Cortex-M4 with -Wall -Wextra -Werror`, (t) => {
		const dir = mkdtempSync(join(tmpdir(), "ivxs-arm-"));
		t.teardown(() => rmSync(dir, { recursive: true, force: true }));
		const object = join(dir, "core.o");
		execFileSync("arm-none-eabi-gcc", ["-std=c11", "-mcpu=cortex-m4", "-mthumb", "-Os", "-Wall", "-Wextra", "-Werror",
			"-Inative/ring", "-Inative/capture", "-Inative/annexb", ...defines, "-c", file, "-o", object], { cwd: root });
		const [text] = execFileSync("arm-none-eabi-size", [object], { encoding: "utf8" }).trim().split("\n")[1].trim().split(/\s+/).map(Number);
		t.log(`${file}: ${text} bytes of code`);
		t.true(text > 0);
	});
}
