// An I/O-free C core and its C test (which prints "ok"), as the board's cores are checked where no
// board tools are: the test plain and under ASan + UBSan, and the core alone built for a Cortex-M4
// with -Wall -Wextra -Werror (a 32-bit microcontroller's compiler, as far as these machines go).
import test from "ava";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { root } from "./_host.mjs";

const exec = promisify(execFile);

/** Registers the three tests: `what` names the core, `core` its .c, `check` its test's .c, `include` its header's folder. */
export function cCoreTests(what, { core, check, include }) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-c-core-"));
	test.after.always(() => rmSync(dir, { recursive: true, force: true }));
	for (const [name, flags] of [["plain", ["-O2"]], ["sanitized", ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]]]) {
		test(`${what} passes its C test (${name})`, async (t) => {
			const program = join(dir, `test-${name}`);
			await exec("gcc", ["-std=c11", "-Wall", "-Wextra", "-Werror", ...flags, `-I${include}`, core, check, "-o", program], { cwd: root });
			const { stdout } = await exec(program);
			t.is(stdout.trim(), "ok");
		});
	}
	test(`${what} compiles for Cortex-M4 with -Wall -Wextra -Werror`, async (t) => {
		const object = join(dir, "core-arm.o");
		await exec("arm-none-eabi-gcc", ["-std=c11", "-mcpu=cortex-m4", "-mthumb", "-Os", "-Wall", "-Wextra", "-Werror", "-c", core, "-o", object], { cwd: root });
		const { stdout } = await exec("arm-none-eabi-size", [object]);
		t.log(stdout.trim().split("\n").pop());
		t.pass();
	});
}
