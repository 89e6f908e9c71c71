// `npm run board -- doctor`: whether this machine has the tools an ESP32-S3 build and its emulator
// take, each found or missing with how a board developer gets it. Exit 0 when all are there, 1 when
// any is missing (each says why and what to do), 2 on a usage mistake.
//
// The tools are the ones a board developer already has — none is installed by `npm run setup`, and
// none comes from npm or Debian:
//   MODDABLE                the Moddable SDK, its tools built (mcconfig), which pins the ESP-IDF it
//                           takes (build/devices/esp32/manifest.json EXPECTED_ESP_IDF: v6.0)
//   IDF_PATH                ESP-IDF at that version, a git tree (mcconfig checks `git describe`)
//   xtensa-esp32s3-elf-gcc  the S3's compiler, by the name mcconfig calls it, on PATH
//   python3 modules         what IDF's build imports: esptool, kconfgen (esp-idf-kconfig)
//   cmake, ninja            IDF's build
//   qemu-system-xtensa      Espressif's QEMU with the esp32s3 machine and its OpenCores Ethernet
//                           (open_eth): the board emulated, for `run` and `test`
// Online, `xs-dev setup --device esp32` installs the SDK, ESP-IDF and its toolchain, and
// `python $IDF_PATH/tools/idf_tools.py install qemu-xtensa` the emulator (hosts/esp32s3/README.md).
//
//   npm run board -- doctor [--json]
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { helpIfAsked } from "./usage.mjs";

const usage = "usage: npm run board -- doctor [--json]";
const args = process.argv.slice(2);
helpIfAsked(args, import.meta.url);

const SETUP = "`xs-dev setup --device esp32` (npm i -g xs-dev) installs the Moddable SDK, ESP-IDF and its toolchain";

/** A command's stdout and status, or null when it cannot be run at all (not on PATH). */
function run(command, argv, options = {}) {
	const result = spawnSync(command, argv, { encoding: "utf8", timeout: 20_000, ...options });
	if (result.error) return null;
	return { ok: result.status === 0, out: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() };
}

const found = (what, detail) => ({ what, ok: true, detail });
const missing = (what, detail, fix) => ({ what, ok: false, detail, fix });

/** The ESP-IDF the SDK at `moddable` expects ("v6.0"), or null. */
function expectedIdf(moddable) {
	try {
		return JSON.parse(readFileSync(join(moddable, "build/devices/esp32/manifest.json"), "utf8")).build?.EXPECTED_ESP_IDF ?? null;
	} catch {
		return null;
	}
}

/** "v6.0" and "v6.0.1" name the same release line as Moddable's versionCheck.py compares them:
 * major and minor equal. */
const sameLine = (expected, given) => {
	const parts = (v) => v.replace(/^v/, "").split(/[.-]/).map(Number);
	const [e, g] = [parts(expected), parts(given)];
	return e[0] === g[0] && e[1] === g[1];
};

export function checks(env = process.env) {
	const out = [];
	const moddable = env.MODDABLE;
	let wanted = null;
	if (!moddable) out.push(missing("MODDABLE", "not set", `${SETUP}; or build it from source (its Linux guide) and export MODDABLE`));
	else if (!existsSync(join(moddable, "build/bin/lin/release/mcconfig")))
		out.push(missing("MODDABLE", `${moddable}: no build/bin/lin/release/mcconfig`, "build the SDK's tools: cd $MODDABLE/build/makefiles/lin && make"));
	else {
		wanted = expectedIdf(moddable);
		out.push(found("MODDABLE", `${moddable} (expects ESP-IDF ${wanted ?? "?"})`));
	}

	const idf = env.IDF_PATH;
	if (!idf) out.push(missing("IDF_PATH", "not set", `${SETUP}; or clone ESP-IDF ${wanted ?? "v6.0"} with its submodules, run its install.sh esp32s3 and source its export.sh`));
	else if (!existsSync(join(idf, "tools/cmake/project.cmake"))) out.push(missing("IDF_PATH", `${idf}: not an ESP-IDF tree (no tools/cmake/project.cmake)`, "point IDF_PATH at ESP-IDF's folder"));
	else {
		const described = run("git", ["describe", "--always", "--abbrev=0"], { cwd: idf });
		const version = described?.ok ? described.out.split("\n").pop() : null;
		if (!version) out.push(missing("IDF_PATH", `${idf}: \`git describe\` says nothing (mcconfig reads ESP-IDF's version from it)`, "use a git clone of ESP-IDF, as install.sh and xs-dev make"));
		else if (!/^v\d+\.\d+/.test(version)) out.push(missing("IDF_PATH", `${idf}: \`git describe\` gives ${version}, not a release tag (mcconfig reads ESP-IDF's version from it)`, `check out ${wanted ?? "v6.0"}: a release's tag`))
		else if (wanted && !sameLine(wanted, version)) out.push(missing("IDF_PATH", `${idf} is ESP-IDF ${version}; the SDK expects ${wanted}`, `check out ${wanted} (git checkout ${wanted} && git submodule update --init --recursive)`));
		else out.push(found("IDF_PATH", `${idf} (ESP-IDF ${version})`));
	}

	const gcc = run("xtensa-esp32s3-elf-gcc", ["--version"], { env });
	out.push(gcc?.ok ? found("xtensa-esp32s3-elf-gcc", gcc.out.split("\n")[0])
		: missing("xtensa-esp32s3-elf-gcc", "not on PATH", "source $IDF_PATH/export.sh (after $IDF_PATH/install.sh esp32s3), which puts ESP-IDF's toolchain on PATH"));

	const python = run("python3", ["-c", "import esptool, kconfgen; print(esptool.__version__)"], { env });
	out.push(python?.ok ? found("python3 modules", `esptool ${python.out}, kconfgen`)
		: missing("python3 modules", "esptool or kconfgen (esp-idf-kconfig) cannot be imported by python3", "source $IDF_PATH/export.sh: it activates ESP-IDF's Python environment, which has both"));

	for (const [tool, argv, fix] of [["cmake", ["--version"], "apt-get install cmake (ESP-IDF wants 3.22 or later)"], ["ninja", ["--version"], "apt-get install ninja-build"]]) {
		const r = run(tool, argv, { env });
		out.push(r?.ok ? found(tool, r.out.split("\n")[0]) : missing(tool, "not on PATH", fix));
	}

	const qemuFix = "python $IDF_PATH/tools/idf_tools.py install qemu-xtensa, then source $IDF_PATH/export.sh (Espressif's QEMU: upstream QEMU has no esp32s3 machine)";
	const machines = run("qemu-system-xtensa", ["-machine", "help"], { env });
	if (!machines?.ok) out.push(missing("qemu-system-xtensa", "not on PATH", qemuFix));
	else if (!/^esp32s3\s/m.test(machines.out)) out.push(missing("qemu-system-xtensa", "has no esp32s3 machine (not Espressif's QEMU)", qemuFix));
	else {
		const nics = run("qemu-system-xtensa", ["-M", "esp32s3", "-nic", "model=help"], { env });
		out.push(nics && /open_eth/.test(nics.out) ? found("qemu-system-xtensa", "esp32s3 machine, open_eth network")
			: missing("qemu-system-xtensa", "its esp32s3 machine has no open_eth network card", qemuFix));
	}
	return out;
}

function main() {
	const [command, ...rest] = args;
	const json = rest.includes("--json");
	if (command !== "doctor" || rest.some((a) => a !== "--json")) {
		console.error(command ? `board: unknown command or option: ${[command, ...rest].join(" ")}\n${usage}` : usage);
		process.exit(2);
	}
	const results = checks();
	if (json) console.log(JSON.stringify(results, null, 2));
	else {
		const width = Math.max(...results.map((r) => r.what.length));
		for (const r of results) {
			console.log(`${r.ok ? "ok     " : "MISSING"}  ${r.what.padEnd(width)}  ${r.detail}`);
			if (!r.ok) console.log(`         ${" ".repeat(width)}  → ${r.fix}`);
		}
		const absent = results.filter((r) => !r.ok).length;
		console.log(absent ? `\n${absent} of ${results.length} missing: the board's build and emulator need them all (hosts/esp32s3/README.md)` : `\nall ${results.length} present`);
	}
	process.exit(results.every((r) => r.ok) ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
