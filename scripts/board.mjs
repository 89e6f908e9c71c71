// `npm run board -- <command>`: the ESP32-S3 camera, built with the real board tools and run in
// Espressif's emulator.
//
//   doctor [--json]          whether this machine has the tools a board build and its emulator
//                            take, each found or missing with how a board developer gets it. Exit 0
//                            when all are there, 1 when any is missing, 2 on a usage mistake.
//   build [--board] [--release]
//                            the camera app for esp32/esp32s3 (mcconfig, release with the SDK's
//                            instrumentation, ESP-IDF) → build/board/<image>/flash.bin, the whole
//                            flash (bootloader, partition table, the app). The default image is the
//                            emulator's (hosts/esp32s3/emulator: Ethernet instead of Wi-Fi, the
//                            console on UART0, 16 MB with the sample clip in its clip partitions);
//                            --board builds a board's (8 MB, the SDK's Wi-Fi), flashed with
//                            ESP-IDF's tools. --release: without the SDK's instrumentation and its
//                            xsbug link, as a product ships (→ build/board/<image>-release; bench
//                            board_s3 counts the instructions there). The build's log: build.log
//                            in that folder.
//   run [--seconds N] [--device FILE] [--release]
//                            boots the emulator image (--release: build --release's) in QEMU (-M esp32s3, 8 MB PSRAM, the OpenCores
//                            Ethernet on QEMU's user network: the host is 10.0.2.2) from a fresh copy
//                            of the built flash; the console on stdout. Without --seconds it runs
//                            until interrupted. --device: the camera's device file (the one `npm
//                            start -- --cloud-only` prints), provisioned into the flash's NVS as
//                            the app reads it on a board (modules/app/provisioning.ts); a cloud or
//                            MQTT address on the host's loopback becomes 10.0.2.2, where the
//                            emulator reaches it, and its channels the one that plays the clip.
//   test                     the emulator image end to end: a cloud on this machine, a camera
//                            registered in it and provisioned into the image, booted until it has
//                            its address, its clip capturing, its clock, its plan and its control
//                            channel (or a panic, or 4 minutes); then 20 s of cloud storage, which
//                            ffprobe must decode whole (the clip's channel, and a second channel: the
//                            camera source's test pattern through esp_h264's encoder), while a native and a WebRTC viewer watch,
//                            then the web console's live view in Chromium (scripts/board-chromium.mjs);
//                            the first snapshot; then an update of the app layer rolled out by the cloud and confirmed
//                            after the board's restart, and a bad one rolled back by the board
//                            (scripts/board-ota.mjs). Exit 0 when every check passed; it fails, never skips,
//                            when a tool is missing. Not part of `npm test` (a fresh machine has
//                            none of the tools).
//
// The tools are the ones a board developer already has — none is installed by `npm run setup`, and
// none comes from npm or Debian:
//   MODDABLE                the Moddable SDK, its tools built (mcconfig), which pins the ESP-IDF it
//                           takes (build/devices/esp32/manifest.json EXPECTED_ESP_IDF: v6.0)
//   IDF_PATH                ESP-IDF at that version, a git tree (mcconfig checks `git describe`)
//   xtensa-esp32s3-elf-gcc  the S3's compiler, by the name mcconfig calls it, on PATH
//   python3 modules         what IDF's build imports: esptool, kconfgen (esp-idf-kconfig); and
//                           esp_idf_nvs_partition_gen, which writes the device file into NVS
//   cmake, ninja            IDF's build
//   qemu-system-xtensa      Espressif's QEMU with the esp32s3 machine and its OpenCores Ethernet
//                           (open_eth): the board emulated, for `run`
// Online, `xs-dev setup --device esp32` installs the SDK, ESP-IDF and its toolchain, and
// `python $IDF_PATH/tools/idf_tools.py install qemu-xtensa` the emulator (hosts/esp32s3/README.md).
import { spawn, spawnSync } from "node:child_process";
import { closeSync, copyFileSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { BAD_VERSION, GOOD_VERSION, TRIAL_DEADLINE_S, otaReleases, otaRoundTrip } from "./board-ota.mjs";
import { CLOUD_NAME, boardCloud, eachLine, nameServer, snapshotCheck, watch, watchWebRtc } from "./board-world.mjs";
import { componentsCheck, linkComponents } from "./board-components.mjs";
import { root } from "./build.mjs";
import { helpIfAsked } from "./usage.mjs";

const usage = "usage: npm run board -- doctor [--json] | build [--board] [--release] | run [--seconds N] [--device FILE] [--release] | test";
const args = process.argv.slice(2);

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

	const python = run("python3", ["-c", "import esptool, kconfgen, esp_idf_nvs_partition_gen; print(esptool.__version__)"], { env });
	out.push(python?.ok ? found("python3 modules", `esptool ${python.out}, kconfgen, esp_idf_nvs_partition_gen`)
		: missing("python3 modules", "esptool, kconfgen (esp-idf-kconfig) or esp_idf_nvs_partition_gen cannot be imported by python3", "source $IDF_PATH/export.sh: it activates ESP-IDF's Python environment, which has them all"));

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
	out.push(componentsCheck(env));   // the camera source's ESP-IDF components (scripts/board-components.mjs)
	return out;
}

/** The two images `build` makes: the emulator's (the default) and a board's. */
const IMAGES = {
	// 16 MB of flash: the board's layout, then the clip partitions (hosts/esp32s3/emulator)
	emulator: { manifest: "hosts/esp32s3/emulator/manifest.json", name: "emulator", overlay: "hosts/esp32s3/emulator/sdkconfig.defaults", partitions: "hosts/esp32s3/emulator/partitions.csv", flash: "16MB" },
	board: { manifest: "manifest.json", name: "ivxs", flash: "8MB" },   // hosts/esp32s3/sdkconfig: the camera boards' flash
};
const PSRAM = "8M";   // the camera boards' PSRAM
const BOARD_PARTITIONS = "hosts/esp32s3/partitions.csv";

/** The clip the emulator's channel plays (fixtures/media/README.md: Main, 15 fps, 4 s; AAC-LC), written
 * into its clip partitions by `build`; a device file's channels become this one (deviceForEmulator). */
export const CLIP = { video: "fixtures/media/h264-main-640x480.h264", audio: "fixtures/media/aac-lc-16k-mono.aac", stills: "fixtures/media/stills", codec: "h264", fps: 15, width: 640, height: 480 };
export const CLIP_CHANNEL = { video: "clip", audio: "clip_audio", stills: "clip_stills", codec: CLIP.codec, fps: CLIP.fps };
/** `test`'s second channel: the camera source's test pattern through esp_h264's encoder (native/capture/sensor_source_esp32.c). */
export const PATTERN_CHANNEL = { channel: 1, device: "pattern", width: 320, height: 240, fps: 5 };
/** An image's folder: `variant` "instrument" (mcconfig -i: the SDK's per-second figures and its
 * xsbug link) or "release" (as a product ships). */
const out = (image, variant = "instrument") => join(root, "build/board", variant === "release" ? `${image}-release` : image);

/** ESP-IDF's build folder of an image, as mcconfig lays it out (the app's binary: xs_esp32.bin). */
export const idfBuildDir = (image, env = process.env, variant = "instrument") => join(env.MODDABLE ?? "", "build/tmp/esp32/esp32s3", variant, IMAGES[image].name, "xsProj-esp32s3/build");

/** Prints what is missing (of the tools `needed` names) and exits 1, or returns when all are there. */
function needTools(needed) {
	const absent = checks().filter((r) => !r.ok && needed(r.what));
	if (!absent.length) return;
	for (const r of absent) console.error(`board: missing ${r.what}: ${r.detail}\n  → ${r.fix}`);
	console.error("board: `npm run board -- doctor` lists every tool; hosts/esp32s3/README.md says how to get them");
	process.exit(1);
}

/** Runs a tool, its output to `log`; a line of progress on stdout now and then. Resolves with its exit code. */
function logged(command, argv, options, log) {
	return new Promise((resolve) => {
		const child = spawn(command, argv, { ...options, stdio: ["ignore", "pipe", "pipe"] });
		let last = 0, tail = [];
		const line = (text) => {
			log.write(`${text}\n`);
			tail = [...tail.slice(-30), text];
			const step = /^\[(\d+)\/(\d+)\]/.exec(text);
			const now = Date.now();
			if ((step && now - last > 15_000) || /^# (xsl|mcrez|Built)/.test(text)) {
				last = now;
				console.log(`board: ${step ? `ESP-IDF ${step[1]}/${step[2]}` : text.slice(2)}`);
			}
		};
		eachLine(child.stdout, line);
		eachLine(child.stderr, line);
		child.on("error", (error) => resolve({ code: 127, tail: [error.message] }));
		child.on("close", (code) => resolve({ code, tail }));
	});
}

/**
 * ESP-IDF 6.0's Mbed TLS is Espressif's fork, whose PSA core hands SHA, HMAC and AES to the chip's
 * engines (its driver descriptions: tf-psa-crypto/scripts/data_files/driver_jsons/esp_*.json).
 * ESP-IDF's esp_config.h takes Mbed TLS's own SHA-256 and HMAC out whenever the engines are on, so
 * with upstream TF-PSA-Crypto in the fork's place PSA answers NOT_SUPPORTED for HMAC-SHA-256 (the P2P
 * tickets) — measured in the emulator. Such a tree builds with the engines off: the sdkconfig lines
 * to add (none for the fork).
 */
export function cryptoEngineLines(idfPath) {
	const fork = join(idfPath ?? "", "components/mbedtls/mbedtls/tf-psa-crypto/scripts/data_files/driver_jsons/esp_sha_driver.json");
	return existsSync(fork) ? [] : ["# upstream TF-PSA-Crypto (no dispatch to the S3's engines): board.mjs cryptoEngineLines", "CONFIG_MBEDTLS_HARDWARE_SHA=n", "CONFIG_MBEDTLS_HARDWARE_AES=n"];
}

async function build(rest) {
	const image = rest.includes("--board") ? "board" : "emulator";
	const variant = rest.includes("--release") ? "release" : "instrument";
	if (rest.some((a) => a !== "--board" && a !== "--release")) usageError(`unknown option for build: ${rest.join(" ")}`);
	needTools((what) => what !== "qemu-system-xtensa");
	const { manifest, name, overlay, partitions, flash: flashSize } = IMAGES[image];
	const dir = out(image, variant);
	mkdirSync(dir, { recursive: true });
	const env = { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` };
	// mcconfig reads one sdkconfig.defaults of the app's (SDKCONFIGPATH): the board's, then the
	// emulator's lines, which win (hosts/esp32s3/emulator/sdkconfig.defaults), then what this ESP-IDF
	// tree needs (cryptoEngineLines).
	const config = join(dir, "sdkconfig");
	mkdirSync(config, { recursive: true });
	const engines = cryptoEngineLines(env.IDF_PATH);
	if (engines.length) console.log("board: this ESP-IDF's Mbed TLS is upstream TF-PSA-Crypto, without Espressif's dispatch to the S3's SHA and AES engines: the image takes Mbed TLS's own SHA, HMAC and AES");
	writeFileSync(join(config, "sdkconfig.defaults"), [readFileSync(join(root, "hosts/esp32s3/sdkconfig/sdkconfig.defaults"), "utf8"),
		overlay ? readFileSync(join(root, overlay), "utf8") : "", ...engines].join("\n"));
	env.SDKCONFIGPATH = config;
	if (partitions) {
		// the board's partition table, then the image's own rows (the manifest's "PARTITIONS_FILE ?=")
		env.PARTITIONS_FILE = join(dir, "partitions.csv");
		writeFileSync(env.PARTITIONS_FILE, [readFileSync(join(root, BOARD_PARTITIONS), "utf8"), readFileSync(join(root, partitions), "utf8")].join("\n"));
	}
	// mcconfig adds the objects to the archive ESP-IDF links (`ar crs`), so the member of a C file
	// since renamed or removed would stay and be linked, its symbols before the new file's: the
	// archive is made afresh from this manifest's objects.
	rmSync(join(env.MODDABLE, "build/bin/esp32/esp32s3", variant, name, "xs_esp32s3.a"), { force: true });
	linkComponents(dirname(idfBuildDir(image, env, variant)), env);   // the camera source's components, offline
	const logPath = join(dir, "build.log");
	const log = createWriteStream(logPath);
	console.log(`board: building the ${image} image${variant === "release" ? " (release)" : ""} (mcconfig, then ESP-IDF: minutes; log ${logPath})`);
	const started = Date.now();
	const made = await logged("mcconfig", ["-m", ...(variant === "release" ? [] : ["-i"]), "-t", "build", "-p", "esp32/esp32s3", manifest], { cwd: root, env }, log);
	log.end();
	if (made.code !== 0) {
		console.error(made.tail.slice(-15).join("\n"));
		console.error(`board: the build failed (mcconfig exit ${made.code}); the whole log: ${logPath}`);
		process.exit(1);
	}
	// ESP-IDF's build folder: its flash_args name each part and its offset.
	const idfBuild = idfBuildDir(image, env, variant);
	// mcconfig's makefile ignores the exit of ESP-IDF's build (`-cd …; idf.py build`): ESP-IDF says
	// "Project build complete" when it built (the binary's age says nothing: ninja relinks nothing when
	// no object changed, a change to a comment)
	const app = join(idfBuild, "xs_esp32.bin");
	if (!existsSync(app) || !made.tail.some((line) => line.startsWith("Project build complete"))) {
		console.error(made.tail.filter((l) => /error|FAILED/i.test(l)).slice(-10).join("\n"));
		console.error(`board: ESP-IDF's build failed${existsSync(app) ? "" : ` (no ${app})`}; the whole log: ${logPath}`);
		process.exit(1);
	}
	const flash = join(dir, "flash.bin");
	const merged = spawnSync("python3", ["-m", "esptool", "--chip", "esp32s3", "merge-bin", "--pad-to-size", flashSize, "-o", flash, "@flash_args"], { cwd: idfBuild, env, encoding: "utf8" });
	if (merged.status !== 0) {
		console.error(`board: esptool merge-bin failed in ${idfBuild}: ${(merged.stderr || merged.stdout).trim().split("\n").slice(-5).join("\n")}`);
		process.exit(1);
	}
	if (image === "emulator") {
		writeEfuse(dir, env);
		for (const [label, file, bytes] of clipPartitions()) writeClip(flash, label, file, bytes);
	}
	const runIt = variant === "release" ? "node bench/run.mjs board_s3" : "npm run board -- run";
	console.log(`board: ${flash} (${flashSize} flash) built in ${Math.round((Date.now() - started) / 1000)} s${image === "emulator" ? `; run it: ${runIt}` : "; flash it with ESP-IDF: esptool.py write_flash 0 " + flash}`);
}

/** What the cloud kept of the test pattern's channel: its H.264 from the board's encoder, ffprobe
 * decoding every frame, at the size asked, with no frame missing between segments. */
async function patternCheck(data, id, readStored) {
	const r = await readStored(data, id, PATTERN_CHANNEL.channel);
	const segments = r.runs.reduce((sum, run) => sum + run.segments, 0), holes = r.runs.reduce((sum, run) => sum + run.holes, 0);
	const samples = r.streams.reduce((sum, st) => sum + st.samples, 0), decoded = r.streams.reduce((sum, st) => sum + st.decoded, 0);
	const complaints = r.streams.flatMap((st) => st.errors);
	const ok = segments >= 2 && samples > 0 && decoded === samples && !holes && !complaints.length;
	return { ok, summary: `the test pattern through esp_h264's encoder (channel ${PATTERN_CHANNEL.channel}, ${PATTERN_CHANNEL.width}x${PATTERN_CHANNEL.height} at ${PATTERN_CHANNEL.fps} fps): ${segments} segments, ${samples} frames, ffprobe decoded ${decoded}, ${holes} missing between segments${complaints.length ? `; ffprobe: ${complaints[0]}` : ""}` };
}

/** The emulated chip's eFuses: the image `idf.py qemu` makes for an S3 (a chip revision the image
 * accepts), taken from the ESP-IDF at IDF_PATH. */
function writeEfuse(dir, env) {
	const script = "import sys; sys.path.insert(0, sys.argv[1]); from idf_py_actions.qemu_ext import QEMU_TARGETS; sys.stdout.buffer.write(QEMU_TARGETS['esp32s3'].default_efuse)";
	const r = spawnSync("python3", ["-c", script, join(env.IDF_PATH, "tools")], { env, maxBuffer: 1 << 20 });
	if (r.status !== 0 || !r.stdout.length) {
		console.error(`board: could not read ESP-IDF's emulator eFuses (${String(r.stderr).trim().split("\n").pop()})`);
		process.exit(1);
	}
	writeFileSync(join(dir, "efuse.bin"), r.stdout);
}

/** A partition by name, of the board's partition table (and the emulator's rows): { offset, size } in bytes. */
export function partition(name, tables = [BOARD_PARTITIONS, IMAGES.emulator.partitions]) {
	const row = tables.flatMap((table) => readFileSync(join(root, table), "utf8").split("\n"))
		.map((line) => line.split(",").map((cell) => cell.trim())).find((cells) => cells[0] === name);
	if (!row) throw new Error(`${tables.join(", ")}: no partition ${name}`);
	return { offset: Number(row[3]), size: Number(row[4]) };
}

/** A clip partition's bytes (native/capture/clip_source_esp32.c reads them): "IVXSCLIP", the
 * stream's length (u32, little-endian), 4 zero bytes, the stream. */
export function clipImage(stream) {
	const head = Buffer.alloc(16);
	head.write("IVXSCLIP", 0, "latin1");
	head.writeUInt32LE(stream.length, 8);
	return Buffer.concat([head, stream]);
}

/** Writes a clip partition's bytes (clipImage's) into the flash image at `flash`. */
function writeClip(flash, label, file, bytes) {
	const { offset, size } = partition(label);
	if (bytes.length > size) throw new Error(`${file} does not fit partition ${label} (${bytes.length} > ${size} bytes)`);
	writeAt(flash, offset, bytes);
}

/** The emulator image's clip partitions, [label, source, bytes]: the sample clip's video, audio and stills. */
export function clipPartitions() {
	return [[CLIP_CHANNEL.video, CLIP.video, clipImage(readFileSync(join(root, CLIP.video)))], [CLIP_CHANNEL.audio, CLIP.audio, clipImage(readFileSync(join(root, CLIP.audio)))],
		[CLIP_CHANNEL.stills, CLIP.stills, stillsImage(clipStills())]];
}

/** The sample clip's stills, one JPEG per second of it, in order. */
function clipStills() {
	return readdirSync(join(root, CLIP.stills)).filter((name) => /\.jpe?g$/i.test(name)).sort().map((name) => readFileSync(join(root, CLIP.stills, name)));
}

/** A stills partition's bytes (clip_source_esp32.c reads them): "IVXSSTIL", how many (u32,
 * little-endian), 4 zero bytes, then each JPEG after its length (u32, little-endian), in order. */
export function stillsImage(jpegs) {
	const head = Buffer.alloc(16);
	head.write("IVXSSTIL", 0, "latin1");
	head.writeUInt32LE(jpegs.length, 8);
	return Buffer.concat([head, ...jpegs.flatMap((jpeg) => {
		const length = Buffer.alloc(4);
		length.writeUInt32LE(jpeg.length);
		return [length, jpeg];
	})]);
}

/** Writes `bytes` into the flash image at `offset`. */
function writeAt(flash, offset, bytes) {
	const fd = openSync(flash, "r+");
	try {
		writeSync(fd, bytes, 0, bytes.length, offset);
	}
	finally {
		closeSync(fd);
	}
}

/** The device file as the emulated camera takes it: its text, with a cloud or MQTT address on the
 * host's loopback moved to 10.0.2.2 (QEMU's user network: the host; an https cloud's certificate
 * must name that address), and a CA file's text in place of its path (read by `readText`; the
 * host's files are not on the board). Throws on a file that is not a device file's JSON. */
export function deviceForEmulator(text, readText = (path) => readFileSync(path, "utf8")) {
	const device = JSON.parse(text);
	if (typeof device !== "object" || device === null || typeof device.cloud !== "string") throw new Error("not a device file (no \"cloud\" address): see modules/app/device-file.ts");
	for (const key of ["cloud", "mqtt"])
		if (typeof device[key] === "string") device[key] = device[key].replace(/^(\w+:\/\/)(127\.0\.0\.1|localhost)(?=[:/]|$)/, "$110.0.2.2");
	if (typeof device.ca === "string" && !device.ca.trimStart().startsWith("-----BEGIN")) device.ca = readText(device.ca);
	// the host's files are not on the emulated board: its clip partitions are (channel 0); a board
	// camera's channel ("device": "pattern" or "camera") stays as it is
	const channels = Array.isArray(device.channels) ? device.channels : [];
	const cameras = channels.filter((c) => c?.device === "pattern" || c?.device === "camera");
	device.channels = [...(cameras.length < channels.length || !cameras.length ? [CLIP_CHANNEL] : []), ...cameras];
	return JSON.stringify(device);
}

/** Writes the device file into the NVS partition of the flash image at `flash`: the preference
 * `ivxs`/`device` (a blob), made by ESP-IDF's NVS partition generator. */
function provision(flash, deviceText, dir, env) {
	const { offset, size } = partition("nvs");
	const blob = join(dir, "device.json"), csv = join(dir, "nvs.csv"), image = join(dir, "nvs.bin");
	writeFileSync(blob, deviceText, { mode: 0o600 });
	// the domain and key modules/app/provisioning.ts reads, as the SDK's preference module keeps them
	writeFileSync(csv, `key,type,encoding,value\nivxs,namespace,,\ndevice,file,binary,${blob}\n`);
	const made = spawnSync("python3", ["-m", "esp_idf_nvs_partition_gen", "generate", csv, image, `0x${size.toString(16)}`], { env, encoding: "utf8" });
	if (made.status !== 0) {
		console.error(`board: ESP-IDF's NVS partition generator failed: ${(made.stderr || made.stdout).trim().split("\n").slice(-3).join("\n")}\n  → it comes with ESP-IDF's Python environment (esp-idf-nvs-partition-gen): source $IDF_PATH/export.sh`);
		process.exit(1);
	}
	writeAt(flash, offset, readFileSync(image));
}

/** The built emulator image's folder (`variant` as out's), or undefined when it is not built. */
export function builtEmulatorImage(variant) {
	const dir = out("emulator", variant);
	return existsSync(join(dir, "flash.bin")) && existsSync(join(dir, "efuse.bin")) ? dir : undefined;
}

/** The built emulator image's folder, or exits 1 saying how to build it. */
function emulatorImage(variant) {
	const dir = builtEmulatorImage(variant);
	if (!dir) {
		console.error(`board: no emulator image in ${out("emulator", variant)}: npm run board -- build${variant === "release" ? " --release" : ""}`);
		process.exit(1);
	}
	return dir;
}

/** Starts QEMU on a fresh copy of the built flash (the emulator writes its flash: NVS, the OTA
 * slots), the device file provisioned when given, and `video` (an H.264 elementary stream's path,
 * at the sample clip's frame rate) in the clip's place when given; `fresh: false` boots the flash
 * as the last run left it. `stdio` as spawn takes it. */
function startEmulator(dir, deviceText, stdio, { fresh = true, video } = {}) {
	const flash = join(dir, "run-flash.bin");
	if (fresh) copyFileSync(join(dir, "flash.bin"), flash);
	if (fresh && deviceText) provision(flash, deviceText, dir, process.env);
	if (fresh && video) writeClip(flash, CLIP_CHANNEL.video, video, clipImage(readFileSync(video)));
	return spawn("qemu-system-xtensa", [
		"-M", "esp32s3", "-m", PSRAM, "-nographic",
		"-drive", `file=${flash},if=mtd,format=raw`,
		"-drive", `file=${join(dir, "efuse.bin")},if=none,format=raw,id=efuse`, "-global", "driver=nvram.esp32s3.efuse,property=drive,value=efuse",
		// as `idf.py qemu` runs it: the timer group's watchdog off (emulated time is not a board's)
		"-global", "driver=timer.esp32s3.timg,property=wdt_disable,value=true",
		"-nic", "user,model=open_eth",
	], { stdio });
}

/** The console's line when the chip resets itself (esp_restart: an update staged, a trial failed, a
 * fatal error). */
export const SOFTWARE_RESET = /^rst:0xc \(RTC_SW_CPU_RST\)/;
/** The console's line when a panic stops the chip: the emulator images' panic handler (Moddable's
 * debug and instrumented builds) waits for a debugger where a product's reboots the board. */
export const PANIC_HALT = /^Entering gdb stub now\./;

/**
 * The emulated board, its console's lines to `onLine`, restarts included. Espressif's QEMU does not
 * bring the app back after the S3's software reset: ESP-IDF boots again, app_main returns, and the
 * XS task never runs (seen with every restart, with and without an update). A restart is part of
 * the camera's life, so the board is power-cycled instead: when the console says the chip reset
 * itself, QEMU is stopped and started again on the flash as it is — a power-on reset, as the board
 * sees it (so a trial that panicked is rolled back as "no confirmation", the reason a board
 * without its reset reason gives). A panic that halts the chip for a debugger is power-cycled the
 * same way, as a product's panic handler reboots it (the panic's lines come first: a check that
 * watches for them still fails). `onRestart()` is told. Resolves `closed` when QEMU ends
 * otherwise (kill(), or it exits). `video`: startEmulator's. QEMU never outlives this process, however it ends (an exception,
 * `npm run board -- run | head` closing its output): a QEMU left behind burns a core or more.
 */
export function emulatedBoard(dir, deviceText, { onLine, onStderr, onRestart = () => {}, video }) {
	let qemu, cycling = false, closing = false, resolveClosed;
	const closed = new Promise((resolve) => (resolveClosed = resolve));
	const onExit = () => qemu.kill("SIGTERM");
	process.on("exit", onExit);
	closed.then(() => process.off("exit", onExit));
	const boot = (fresh) => {
		qemu = startEmulator(dir, deviceText, ["ignore", "pipe", "pipe"], { fresh, video });
		eachLine(qemu.stdout, (line) => {
			onLine(line);
			if ((SOFTWARE_RESET.test(line) || PANIC_HALT.test(line)) && !cycling && !closing) {
				cycling = true;
				onRestart();
				qemu.kill("SIGTERM");
			}
		});
		onStderr(qemu.stderr);
		qemu.on("error", (error) => onLine(`board: ${error.message}`));
		qemu.on("close", (code, signal) => {
			if (cycling && !closing) {
				cycling = false;
				return boot(false);
			}
			resolveClosed({ code, signal });
		});
	};
	boot(true);
	return { closed, kill() { closing = true; qemu.kill("SIGTERM"); } };
}

function runEmulator(rest) {
	let seconds, deviceFile, variant = "instrument";
	for (let i = 0; i < rest.length; i++) {
		if (rest[i] === "--release") variant = "release";
		else if (rest[i] === "--seconds" && /^\d+$/.test(rest[i + 1] ?? "") && Number(rest[i + 1]) > 0) seconds = Number(rest[++i]);
		else if (rest[i] === "--device" && rest[i + 1]) deviceFile = rest[++i];
		else usageError(`unknown option for run: ${rest[i]}${rest[i] === "--seconds" ? " (a whole number of seconds > 0)" : rest[i] === "--device" ? " (a device file)" : ""}`);
	}
	let deviceText;
	if (deviceFile) {
		try {
			deviceText = deviceForEmulator(readFileSync(deviceFile, "utf8"));
		}
		catch (error) {
			console.error(`board: --device ${deviceFile}: ${error.message}`);
			process.exit(2);
		}
	}
	needTools((what) => what === "qemu-system-xtensa");
	const board = emulatedBoard(emulatorImage(variant), deviceText, {
		onLine: (line) => console.log(line), onStderr: (stream) => stream.pipe(process.stderr),
		onRestart: () => console.log("board: the board restarted itself: power-cycling the emulator (QEMU does not run the app after a software reset)"),
	});
	const stop = () => board.kill();
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
	process.stdout.on("error", stop);   // the reader went away (EPIPE): the emulator with it
	const timer = seconds && setTimeout(() => { console.log(`\nboard: ${seconds} s: stopping the emulator`); stop(); }, seconds * 1000);
	board.closed.then(({ code, signal }) => {
		clearTimeout(timer);
		process.exit(signal === "SIGTERM" || code === 0 ? 0 : 1);
	});
}

/**
 * What `test` checks in the emulator's console: each a line that must come before TEST_LIMIT_S
 * (the plan and the control channel's connection come in either order); and what must never come.
 */
export const BOOT_CHECKS = [
	{ what: "ESP-IDF starts the app", line: /main_task: Calling app_main\(\)/ },
	{ what: "Ethernet address by DHCP", line: /^Ethernet: IP address \d+\.\d+\.\d+\.\d+/ },
	{ what: "the provisioned device file read, its channels capturing", line: /^camera [\w-]+: \d+ channel\(s\) capturing; cloud / },
	{ what: "the clock set from the cloud's time", line: /control: clock set by the cloud's time/ },
	{ what: "the plan taken", line: /: plan rev \d+: / },
	{ what: "the control channel connected", line: /: control channel connected/ },
];
/** XS's TypeErrors for a write to a frozen object (a preloaded module's constant on a board). */
const FROZEN_WRITE = /^Exception TypeError: .*(not extensible|read-only|not configurable)/;
export const BOOT_FAILURES = /Guru Meditation|abort\(\) was called|^ivxs: exit|Backtrace:|stack overflow|memory full/;
const TEST_LIMIT_S = 240;   // emulated boot to a connected camera takes ~10 s; QEMU on a loaded machine, more
const UPLOAD_S = 20;        // then cloud storage runs this long (2-s segments) before the cloud's store is read
const MIN_SEGMENTS = 3;
const VIEW_S = 10;          // the native and the WebRTC viewer watch this long, within the upload window

/** The SDK's per-second figures ("instruments key:" names them, each "instruments:" line is one
 * second's): while `on()`, the XS heap's peaks, the collections, the C heap's low point and the bytes
 * sent. `summary()` says them in one line, or undefined before any second was seen.
 * ESP-IDF's log lines from other tasks can cut into the key line (it is printed as the network
 * comes up): the text before a log line's "I (ms) " is kept, and the lines that follow it without a
 * log prefix continue it. A key whose names do not match a second's values in number is not used. */
export function instrumentFigures() {
	const LOG_PREFIX = /[IWEDV] \(\d+\) /;
	let names = [], key, seconds = 0, recording = false;
	const f = { chunkPeak: 0, chunks: 0, slotPeak: 0, slots: 0, collections: 0, systemLow: Infinity, written: 0 };
	const before = (text) => text.split(LOG_PREFIX)[0];
	return {
		line(text) {
			if (text.startsWith("instruments key: ")) key = before(text.slice(17));
			else if (text.startsWith("instruments: ")) {
				const values = text.slice(13).split(",").map(Number);
				if (key !== undefined) {
					const named = key.split(",");
					if (named.length === values.length) names = named;
					key = undefined;
				}
				if (!recording || names.length !== values.length || values.some(Number.isNaN)) return;
				const v = Object.fromEntries(values.map((x, i) => [names[i], x]));
				seconds++;
				f.chunkPeak = Math.max(f.chunkPeak, v["Chunk used"] ?? 0);
				f.chunks = Math.max(f.chunks, v["Chunk available"] ?? 0);   // the most XS had reserved (it grows its heaps)
				f.slotPeak = Math.max(f.slotPeak, v["Slot used"] ?? 0);
				f.slots = Math.max(f.slots, v["Slot available"] ?? 0);
				f.collections += v["Garbage collections"] ?? 0;
				f.systemLow = Math.min(f.systemLow, v["System bytes free"] ?? Infinity);
				f.written += v["Network bytes written"] ?? 0;
			}
			else if (key !== undefined && !/^[IWEDV] \(\d+\) /.test(text)) key += before(text);
		},
		on() { recording = true; },
		off() { recording = false; },
		/** The figures so far: { seconds, chunkPeak, chunks, slotPeak, slots, collections, systemLow, written }. */
		values() { return { seconds, ...f }; },
		summary() {
			if (!seconds) return undefined;
			return `XS chunks peak ${f.chunkPeak} of ${f.chunks} bytes, slots peak ${f.slotPeak} of ${f.slots}, ${(f.collections / seconds).toFixed(1)} collections/s; `
				+ `C heap free ≥ ${f.systemLow} bytes; ${Math.round(f.written / seconds / 1000)} kB/s written to TCP sockets (the SDK's count) (${seconds} s)`;
		},
	};
}

/** Checks the console's lines against BOOT_CHECKS: { passed, at: { what: ms }, failure } so far. */
export function bootProgress() {
	const started = Date.now(), at = {};
	let failure;
	const all = () => BOOT_CHECKS.every((check) => check.what in at);
	return {
		line(text) {
			if (!failure && BOOT_FAILURES.test(text)) failure = text.trim();
			for (const check of BOOT_CHECKS) if (!(check.what in at) && check.line.test(text)) at[check.what] = Date.now() - started;
		},
		get passed() { return all() && !failure; },
		get done() { return all() || !!failure; },
		at, get failure() { return failure; },
	};
}

/** The camera booted trusting a CA that did not sign the cloud's certificate: { ok, summary }, ok when
 * its console says the verification failed and it never took a plan (its console:
 * test-wrong-ca-console.log). */
async function wrongCaRefused(dir, world) {
	const device = deviceForEmulator(JSON.stringify({ id: world.id, secret: world.secret, cloud: world.cameraUrl, ca: world.wrongCa }));
	const consoleLog = createWriteStream(join(dir, "test-wrong-ca-console.log"));
	const progress = bootProgress();
	let refusal;
	const board = emulatedBoard(dir, device, {
		onLine(line) {
			consoleLog.write(`${line}\n`);
			progress.line(line);
			if (!refusal && /^camera [\w-]+: .*certificate verification failed/.test(line)) {
				refusal = line.trim();
				setTimeout(() => board.kill(), 2000);   // long enough for a plan it should not take
			}
		},
		onStderr: (stream) => stream.pipe(consoleLog, { end: false }),
	});
	const limit = setTimeout(() => board.kill(), 90_000);
	await board.closed;
	clearTimeout(limit);
	consoleLog.end();
	const took = "the plan taken" in progress.at;
	return { ok: !!refusal && !took, summary: took ? "it took a plan: the cloud was trusted" : refusal ? `refused: ${refusal.replace(/^camera [\w-]+: /, "")}` : "no refusal in 90 s" };
}

/** `test`: a cloud on this machine, a camera registered in it, the emulator image booted with its
 * device file; passes when the camera comes up through every BOOT_CHECKS line, uploads, serves two
 * viewers and a snapshot, takes an update and rolls a bad one back, and refuses a cloud its CA
 * did not sign. */
async function test(rest) {
	if (rest.length) usageError(`unknown option for test: ${rest.join(" ")}`);
	needTools(() => true);
	const dir = emulatorImage();
	// Two releases of the app layer for the OTA round trip, and the key the cloud and the camera trust.
	let releases, world;
	try {
		console.log("board: building two releases of the app layer (mcrun, sign-release)");
		releases = otaReleases(join(dir, "ota"), { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` });
		world = await boardCloud(dir, "test", { IVXS_CLOUD_OTA_KEYS: releases.pub }, 2);   // the clip's channel and the pattern's
	}
	catch (error) {
		console.error(`board test: FAILED — ${error.message}`);
		process.exit(1);
	}
	const { url, id, secret, data, stun, adminPassword, cookie, api } = world;
	// The camera knows its cloud by a name, which it resolves (hosts/resolve) through the DNS server
	// its device file names: one here, on this machine's port 53 (the camera's 10.0.2.2:53).
	let names;
	try {
		names = await nameServer({ [CLOUD_NAME]: "10.0.2.2" });
	}
	catch (error) {
		await world.stop();
		console.error(`board test: FAILED — ${error.message}`);
		process.exit(1);
	}
	const namedUrl = world.cameraUrl.replace(/^https:\/\/[^:/]+/, `https://${CLOUD_NAME}`);
	// its channels: the clip's, and the encoder's test pattern
	const device = deviceForEmulator(JSON.stringify({ id, secret, cloud: namedUrl, dns: ["10.0.2.2"], ca: world.ca, ota: { keys: { [releases.keyId]: releases.point }, deadline: TRIAL_DEADLINE_S }, channels: [CLIP_CHANNEL, PATTERN_CHANNEL] }));
	console.log(`board: cloud ${url} (the camera's: ${world.cameraUrl}); camera ${id} booting in the emulator (console: ${join(dir, "test-console.log")})`);
	const consoleLog = createWriteStream(join(dir, "test-console.log"));
	const progress = bootProgress(), figures = instrumentFigures();
	const ota = otaRoundTrip({ api, releases, failures: BOOT_FAILURES });
	let updating = false;   // from then on restarts are expected: the OTA round trip has its own checks
	let uploading, dying, viewing, browsing, updated;
	const board = emulatedBoard(dir, device, { onLine, onStderr: (stream) => stream.pipe(consoleLog, { end: false }),
		onRestart: () => updating && console.log("board: the board restarted itself: power-cycling the emulator (QEMU does not run the app after a software reset)") });
	function onLine(line) {
		consoleLog.write(`${line}\n`);
		if (updating) return ota.line(line);
		const before = Object.keys(progress.at).length;
		progress.line(line);
		figures.line(line);
		for (const what of Object.keys(progress.at).slice(before)) console.log(`  ✔ ${what} (${(progress.at[what] / 1000).toFixed(1)} s)`);
		if (progress.failure) dying ??= setTimeout(() => board.kill(), 3000);   // its register dump and backtrace to the log first
		else if (progress.passed && !uploading) {
			const uploaded = new Promise((resolve) => (uploading = setTimeout(resolve, UPLOAD_S * 1000)));
			console.log(`board: uploading for ${UPLOAD_S} s; a native and a WebRTC viewer watch for ${VIEW_S} s, then the web console in Chromium`);
			const bounded = (watching) => Promise.race([watching,
				new Promise((resolve) => setTimeout(resolve, (VIEW_S + 60) * 1000, { ok: false, summary: `still running ${VIEW_S + 60} s after it started` }))]);
			figures.on();
			viewing = Promise.all([bounded(watch(id, url, adminPassword, join(dir, "test-view.mp4"), join(dir, "test-view.log"), VIEW_S)),
				bounded(watchWebRtc(id, url, api, stun, VIEW_S, CLIP))]).finally(() => figures.off());
			// then a person in the web console (Chromium), alone: a third WebRTC-capable viewer at once
			// would be more than the issue's load
			browsing = viewing.then(async () => {
				const { watchInChromium } = await import("./board-chromium.mjs");
				return bounded(watchInChromium(url, adminPassword, id, VIEW_S, (VIEW_S * CLIP.fps) / 2, join(dir, "test-console-live.png")));
			});
			updated = Promise.all([uploaded, browsing]).then(() => {
				clearTimeout(limit);   // each step of the round trip has its own limit
				updating = true;
				console.log(`board: the cloud rolls out ${GOOD_VERSION}, then ${BAD_VERSION}, a release that throws as it loads`);
				return ota.run();
			}).finally(() => board.kill());
		}
	}
	const limit = setTimeout(() => board.kill(), TEST_LIMIT_S * 1000);
	await board.closed;
	clearTimeout(limit);
	clearTimeout(uploading);
	clearTimeout(dying);
	const viewed = await viewing;
	const browsed = await browsing;
	const updates = await updated;
	const snapshot = progress.passed ? await snapshotCheck(url, cookie, id, join(dir, "test-snapshot.jpg"), clipStills(), PATTERN_CHANNEL) : undefined;
	const untrusted = progress.passed ? await wrongCaRefused(dir, world) : undefined;
	await world.stop();
	await names.close();
	const asked = names.queries.filter((name) => name === CLOUD_NAME).length;
	const named = { ok: progress.passed && asked > 0, summary: `${CLOUD_NAME} asked of the device file's DNS server ${asked} time(s)${names.queries.length > asked ? ` (and ${[...new Set(names.queries.filter((name) => name !== CLOUD_NAME))].join(", ")})` : ""}` };
	for (const check of BOOT_CHECKS) if (!(check.what in progress.at)) console.log(`  ✘ ${check.what}`);
	if (progress.failure) console.log(`  ✘ the console said: ${progress.failure}`);
	let stored = false, encoded;
	if (progress.passed) {
		// What the cloud kept, read as the soak reads it: ffprobe over every stream.
		const { readStored } = await import("./soak/stored.mjs");
		const r = await readStored(data, id);
		const segments = r.runs.reduce((sum, run) => sum + run.segments, 0), holes = r.runs.reduce((sum, run) => sum + run.holes, 0);
		const samples = r.streams.reduce((sum, st) => sum + st.samples, 0), decoded = r.streams.reduce((sum, st) => sum + st.decoded, 0);
		const complaints = r.streams.flatMap((st) => st.errors);
		stored = segments >= MIN_SEGMENTS && decoded === samples && !holes && !complaints.length;
		console.log(`  ${stored ? "✔" : "✘"} cloud storage: ${segments} segments, ${samples} frames, ffprobe decoded ${decoded}, ${holes} missing between segments${complaints.length ? `; ffprobe: ${complaints[0]}` : ""}`);
		encoded = await patternCheck(data, id, readStored);
		console.log(`  ${encoded.ok ? "✔" : "✘"} ${encoded.summary}`);
	}
	const [native, webrtc] = viewed ?? [];
	if (native) console.log(`  ${native.ok ? "✔" : "✘"} a native viewer: ${native.summary}`);
	if (webrtc) console.log(`  ${webrtc.ok ? "✔" : "✘"} a WebRTC viewer (aiortc): ${webrtc.summary}`);
	if (browsed) console.log(`  ${browsed.ok ? "✔" : "✘"} Chromium: ${browsed.summary}`);
	if (snapshot) console.log(`  ${snapshot.ok ? "✔" : "✘"} a snapshot: ${snapshot.summary}`);
	if (figures.summary()) console.log(`  the SDK's figures while both watched and it uploaded: ${figures.summary()}`);
	for (const check of updates ?? []) console.log(`  ${check.ok ? "✔" : "✘"} OTA: ${check.what}`);
	if (untrusted) console.log(`  ${untrusted.ok ? "✔" : "✘"} a cloud whose certificate the camera's CA did not sign: ${untrusted.summary}`);
	console.log(`  ${named.ok ? "✔" : "✘"} the cloud by its name: ${named.summary}`);
	// The instrumented image reports every exception thrown, caught or not: a write to an object the
	// preload froze (a module's constant) fails only on boards, so it is looked for here.
	const frozen = readFileSync(join(dir, "test-console.log"), "utf8").split("\n").filter((line) => FROZEN_WRITE.test(line));
	console.log(`  ${frozen.length ? "✘" : "✔"} no write to a frozen (preloaded) object${frozen.length ? `: ${frozen.length} times, the first "${frozen[0].trim()}"` : ""}`);
	const passed = progress.passed && stored && !!encoded?.ok && !!native?.ok && !!webrtc?.ok && !!browsed?.ok && !!snapshot?.ok && updates?.length === 2 && updates.every((check) => check.ok) && !!untrusted?.ok && named.ok && !frozen.length;
	console.log(passed ? `\nboard test: passed — ${BOOT_CHECKS.length} checks in ${(Math.max(...Object.values(progress.at)) / 1000).toFixed(1)} s of wall time, then cloud storage over TLS (the clip's and the test pattern's), snapshots, three viewers, an update and a rollback, an untrusted cloud refused, the cloud reached by its name`
		: `\nboard test: FAILED (the console: ${join(dir, "test-console.log")}; the cloud: ${join(dir, "test-cloud.log")})`);
	process.exit(passed ? 0 : 1);
}

function usageError(message) {
	console.error(`board: ${message}\n${usage}`);
	process.exit(2);
}

function doctor(rest) {
	const json = rest.includes("--json");
	if (rest.some((a) => a !== "--json")) usageError(`unknown option for doctor: ${rest.join(" ")}`);
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

function main() {
	helpIfAsked(args, import.meta.url);   // here, not at load: bench/board-s3 imports this module
	const [command, ...rest] = args;
	if (command === "doctor") return doctor(rest);
	if (command === "build") return build(rest);
	if (command === "run") return runEmulator(rest);
	if (command === "test") return test(rest);
	console.error(command ? `board: unknown command: ${command}\n${usage}` : usage);
	process.exit(2);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
