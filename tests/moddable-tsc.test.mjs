// Every Moddable build's TypeScript, type-checked as the SDK's tools would (CI has no
// SDK): the camera app for each platform from manifest.json, and the app-layer mod from
// modules/app/mod/manifest.json — each with only the module map its manifest gives and
// the compiler options mcconfig/mcrun use (hosts/moddable/sdk-tsc.json). Our own
// tsconfig.json sees every declaration at once, so it passed twice while the real build
// failed: modules/ota importing types that ivxs/platform has only on the Linux host, and
// the mod not mapping "p2p".
import test from "ava";
import { execFile } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { root } from "./_host.mjs";
import { manifestName, modManifest, platforms, rootManifest, sdkTsconfig } from "./_moddable.mjs";

const tsc = join(root, "node_modules/typescript/bin/tsc");
// npm's @moddable/typings 5.6.0 has implicit anys that the SDK 8.2.3's own typings no longer
// have: errors inside the stand-in are not the app's. Every other error counts (the SDK's tsc
// runs without skipLibCheck, so our .d.ts files are checked too).
const standIn = realpathSync(join(root, "node_modules/@moddable/typings"));
const appErrors = (output) => output.split(/\n(?=\S)/).filter((e) => /error TS\d+/.test(e))
	.filter((e) => !realpathSync(resolve(root, e.slice(0, e.indexOf("(")))).startsWith(standIn + "/"));

const builds = [[rootManifest, "."], [modManifest, "modules/app/mod"]]
	.flatMap(([manifest, dir]) => platforms.map((platform) => [manifest, dir, platform]));

for (const [manifest, dir, platform] of builds) {
	test(`${manifestName(dir)} -p ${platform}: its TypeScript compiles under the SDK's settings`, async (t) => {
		const config = sdkTsconfig(manifest, dir, platform);
		t.true(config.files.length > 0);
		const temp = mkdtempSync(join(tmpdir(), "ivxs-sdk-tsc-"));
		t.teardown(() => rmSync(temp, { recursive: true, force: true }));
		writeFileSync(join(temp, "tsconfig.json"), JSON.stringify(config));
		const result = await promisify(execFile)(process.execPath, [tsc, "-p", join(temp, "tsconfig.json"), "--pretty", "false"], { cwd: root })
			.then(({ stdout }) => ({ code: 0, stdout }), (error) => ({ code: error.code, stdout: error.stdout }));
		const errors = appErrors(result.stdout);
		t.deepEqual(errors, [], `tsc found errors:\n${errors.join("\n")}`);
		if (!errors.length) t.true(result.code === 0 || /error TS/.test(result.stdout), `tsc failed: ${result.stdout}`);
		t.log(`${config.files.length} modules checked`);
	});
}

// The board's OTA slots (issue 15) are the esp32s3 build's only: mcsim has no flash module.
test("the board's OTA slots are type-checked in the esp32s3 build, mcsim's stand-in in the lin build", (t) => {
	const files = (platform) => sdkTsconfig(rootManifest, ".", platform).files.map((f) => relative(root, f));
	const board = ["moddable-ota", "flash-slots", "flash-payload", "board-records"].map((n) => `modules/app/platform/${n}.ts`);
	for (const file of board) {
		t.true(files("esp32/esp32s3").includes(file), `esp32/esp32s3: ${file}`);
		t.false(files("lin").includes(file), `lin: ${file}`);
	}
	t.true(files("lin").includes("modules/app/platform/moddable-no-ota.ts"));
});
