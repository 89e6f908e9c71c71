// `--help` prints help and exits 0, for every command a user runs (issue 27 §7): before, the
// cloud's CLI rewrote `--help` to `serve --help` and started a server that never exited, and
// sign-release, start, view, demo and bench treated it as a mistake (exit 1 or 2).
import test from "ava";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");

const commands = [
	// [what the user types, the command it runs, text the help must show]
	["npm run cloud -- --help", ["node", "build/node/cloud/src/cli.js", "--help"], /npm run cloud -- user add/],
	["npm run cloud -- -h", ["node", "build/node/cloud/src/cli.js", "-h"], /npm run cloud -- \[serve\]/],
	["npm run cloud -- --port 9 --help", ["node", "build/node/cloud/src/cli.js", "--port", "9", "--help"], /npm run cloud -- \[serve\]/],
	["npm run cloud -- help", ["node", "build/node/cloud/src/cli.js", "help"], /npm run cloud -- release/],
	["npm run cloud -- user --help", ["node", "build/node/cloud/src/cli.js", "user", "--help"], /^usage: npm run cloud -- user add <name>/],
	["npm run sign-release -- --help", ["node", "scripts/sign-release.mjs", "--help"], /sign-release -- keygen --out DIR/],
	["npm run sign-release -- sign --help", ["node", "scripts/sign-release.mjs", "sign", "--help"], /--rotation FILE.json/],
	["npm start -- --help", ["node", "scripts/start.mjs", "--help"], /--camera-only --device F/],
	["npm run view -- --help", ["node", "scripts/view.mjs", "--help"], /--playback START END/],
	["npm run firmware -- --help", ["node", "scripts/firmware.mjs", "--help"], /--seconds 20 --event-at 5/],
	["the sample C firmware: --help", ["build/bin/iv_cs_sample", "--help"], /IVXS_DEVICE=device.json iv_cs_sample/],
	["npm run demo -- --help", ["node", "scripts/demo.mjs", "--help"], /--codec h264\|h265/],
	["npm run bench -- --help", ["node", "bench/run.mjs", "--help"], /ivxs benchmarks/],
	["npm run soak -- --help", ["node", "scripts/soak.mjs", "--help"], /--minutes N/],
	["npm run fuzz -- --help", ["node", "native/fuzz/run.mjs", "--help"], /IVXS_FUZZ_SECONDS/],
	["node scripts/build.mjs --help", ["node", "scripts/build.mjs", "--help"], /--variant sanitize\|m32/],
	["node scripts/test-deps.mjs --help", ["node", "scripts/test-deps.mjs", "--help"], /--check/],
	["the camera app: --help", ["build/bin/ivxs", "modules/app/camera", "--", "--help"], /usage: camera \[--device FILE/],
	["the XS host: --help", ["build/bin/ivxs", "--help"], /usage: ivxs \[options\] <entry>/],
];

for (const [typed, [command, ...args], shows] of commands) {
	test(`${typed} prints help and exits 0`, (t) => {
		const run = spawnSync(command, args, { cwd: root, encoding: "utf8", timeout: 20_000 });
		t.is(run.error, undefined, "it ends by itself");
		t.is(run.status, 0, run.stderr);
		t.regex(run.stdout, shows);
	});
}
