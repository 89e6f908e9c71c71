// The OTA slot record's I/O-free core (hosts/ota-core), shared by the Linux host and the ESP32-S3
// host: its C test plain and under ASan + UBSan, and a -Werror build for a Cortex-M4 (no ESP-IDF
// here: as far as these machines can check the board's copy).
import test from "ava";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { root } from "../_host.mjs";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "ivxs-ota-core-"));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const sources = ["hosts/ota-core/ivxs_ota_core.c", "hosts/ota-core/tests/ota_core_test.c"];

for (const [name, flags] of [["plain", ["-O2"]], ["sanitized", ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]]]) {
	test(`the record's core passes its C test (${name})`, async (t) => {
		const program = join(dir, `ota-core-${name}`);
		await exec("gcc", ["-std=c11", "-Wall", "-Wextra", "-Werror", ...flags, "-Ihosts/ota-core", ...sources, "-o", program], { cwd: root });
		const { stdout } = await exec(program);
		t.is(stdout.trim(), "ok");
	});
}

test("the record's core compiles for Cortex-M4 with -Wall -Wextra -Werror", async (t) => {
	const object = join(dir, "ota-core-arm.o");
	await exec("arm-none-eabi-gcc", ["-std=c11", "-mcpu=cortex-m4", "-mthumb", "-Os", "-Wall", "-Wextra", "-Werror", "-c", sources[0], "-o", object], { cwd: root });
	const { stdout } = await exec("arm-none-eabi-size", [object]);
	t.log(stdout.trim().split("\n").pop());
	t.pass();
});
