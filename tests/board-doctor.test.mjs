// `npm run board -- doctor` (scripts/board.mjs): each tool an ESP32-S3 build and its emulator take is
// found or named missing with how to get it, and the exit code says whether all are there. The
// tools themselves are not on a fresh machine (they come online: xs-dev, ESP-IDF's idf_tools.py), so
// the found case runs against stand-ins that answer as the real tools do: a Moddable tree, an
// ESP-IDF git tree tagged with its version, and programs on PATH.
import test from "ava";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./_host.mjs";

const BASE_PATH = "/usr/bin:/bin";

function doctor(env, args = ["doctor"]) {
	const r = spawnSync(process.execPath, [join(root, "scripts/board.mjs"), ...args], { encoding: "utf8", env: { PATH: BASE_PATH, HOME: tmpdir(), ...env } });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A machine with the board's tools: `idfTag` ESP-IDF's version, `esp32s3`: whether QEMU has the machine. */
function standIns(t, { idfTag = "v6.0", esp32s3 = true } = {}) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-board-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const bin = join(dir, "bin");
	mkdirSync(bin);
	const tool = (name, script) => {
		writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
		chmodSync(join(bin, name), 0o755);
	};
	tool("xtensa-esp32s3-elf-gcc", 'echo "xtensa-esp32s3-elf-gcc (crosstool-NG esp-15.2.0) 15.2.0"');
	tool("python3", "echo 5.2.0");
	tool("cmake", 'echo "cmake version 3.30.2"');
	tool("ninja", "echo 1.12.1");
	tool("qemu-system-xtensa", [
		'case "$*" in',
		`"-machine help") echo "Supported machines are:"; echo "esp32                Espressif ESP32 machine (default)"; ${esp32s3 ? 'echo "esp32s3              Espressif ESP32S3 machine"' : ":"} ;;`,
		'*model=help*) echo "Available NIC models for this configuration:"; echo "open_eth" ;;',
		"esac",
	].join("\n"));
	const moddable = join(dir, "moddable");
	mkdirSync(join(moddable, "build/bin/lin/release"), { recursive: true });
	writeFileSync(join(moddable, "build/bin/lin/release/mcconfig"), "");
	mkdirSync(join(moddable, "build/devices/esp32"), { recursive: true });
	writeFileSync(join(moddable, "build/devices/esp32/manifest.json"), JSON.stringify({ build: { EXPECTED_ESP_IDF: "v6.0" } }));
	const idf = join(dir, "esp-idf");
	mkdirSync(join(idf, "tools/cmake"), { recursive: true });
	writeFileSync(join(idf, "tools/cmake/project.cmake"), "");
	const git = (...a) => spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...a], { cwd: idf, encoding: "utf8" });
	git("init", "-q");
	git("add", ".");
	git("commit", "-q", "-m", "ESP-IDF");
	git("tag", "-a", "-m", idfTag, idfTag);   // annotated, as ESP-IDF's are (`git describe` reads only those)
	return { PATH: `${bin}:${BASE_PATH}`, MODDABLE: moddable, IDF_PATH: idf };
}

test("doctor on a machine without the board's tools: each named missing with how to get it, exit 1", (t) => {
	const r = doctor({});
	t.log(r.out);
	t.is(r.code, 1, r.err);
	for (const what of ["MODDABLE", "IDF_PATH", "xtensa-esp32s3-elf-gcc", "qemu-system-xtensa"])
		t.regex(r.out, new RegExp(`^MISSING\\s+${what}\\b`, "m"), what);
	t.regex(r.out, /xs-dev setup --device esp32/);
	t.regex(r.out, /idf_tools\.py install qemu-xtensa/);
	t.regex(r.out, /missing: the board's build and emulator need them all/);
});

test("doctor with every tool: all present, exit 0; --json lists them", (t) => {
	const env = standIns(t);
	const r = doctor(env);
	t.log(r.out);
	t.is(r.code, 0, r.out + r.err);
	t.regex(r.out, /all 8 present/);
	t.regex(r.out, /IDF_PATH\s+.*\(ESP-IDF v6\.0\)/);
	t.regex(r.out, /MODDABLE\s+.*expects ESP-IDF v6\.0/);
	const json = JSON.parse(doctor(env, ["doctor", "--json"]).out);
	t.deepEqual(json.map((c) => [c.what, c.ok]), [["MODDABLE", true], ["IDF_PATH", true], ["xtensa-esp32s3-elf-gcc", true], ["python3 modules", true], ["cmake", true], ["ninja", true], ["qemu-system-xtensa", true], ["IDF components", true]]);
});

test("doctor tells an ESP-IDF of another line and a QEMU without the S3 from the right ones", (t) => {
	const wrong = doctor(standIns(t, { idfTag: "v5.4.1", esp32s3: false }));
	t.log(wrong.out);
	t.is(wrong.code, 1);
	t.regex(wrong.out, /^MISSING\s+IDF_PATH\s+.* is ESP-IDF v5\.4\.1; the SDK expects v6\.0/m);
	t.regex(wrong.out, /^MISSING\s+qemu-system-xtensa\s+has no esp32s3 machine/m);
	t.is(doctor(standIns(t, { idfTag: "v6.0.1" })).code, 0, "a patch release of the same line is the same line");
});

test("board: a usage mistake exits 2 with the usage; --help prints the header", (t) => {
	const r = doctor({}, ["flash"]);
	t.is(r.code, 2);
	t.regex(r.err, /usage: npm run board -- doctor/);
	const help = doctor({}, ["--help"]);
	t.is(help.code, 0);
	t.regex(help.out, /xtensa-esp32s3-elf-gcc/);
});

test("board run: a device file's cloud and MQTT addresses on the host's loopback become 10.0.2.2, where the emulator reaches the host, others stay; its channels the clip's", async (t) => {
	const { deviceForEmulator } = await import("../scripts/board.mjs");
	const moved = JSON.parse(deviceForEmulator(JSON.stringify({ id: "cam", secret: "s", cloud: "http://127.0.0.1:8080", mqtt: "mqtt://localhost:1883", channels: [] })));
	t.is(moved.cloud, "http://10.0.2.2:8080");
	t.is(moved.mqtt, "mqtt://10.0.2.2:1883");
	const { CLIP_CHANNEL } = await import("../scripts/board.mjs");
	t.deepEqual(moved.channels, [CLIP_CHANNEL], "its channels: the one that plays the image's clip partitions");
	t.is(JSON.parse(deviceForEmulator(JSON.stringify({ cloud: "https://cloud.example.com" }))).cloud, "https://cloud.example.com");
	t.is(JSON.parse(deviceForEmulator(JSON.stringify({ cloud: "http://127.0.0.10:80" }))).cloud, "http://127.0.0.10:80", "only the loopback address itself");
	t.throws(() => deviceForEmulator("[]"), { message: /not a device file/ });
	t.throws(() => deviceForEmulator("{"));
});

test("board: the partitions the build and run write (NVS, the clip) are read from the partition tables; a clip partition's header, a stills partition's", async (t) => {
	const { partition, clipImage, clipPartitions, stillsImage } = await import("../scripts/board.mjs");
	t.deepEqual(partition("nvs"), { offset: 0x9000, size: 0x6000 });
	t.deepEqual(partition("clip"), { offset: 0x800000, size: 0x400000 });
	t.throws(() => partition("nope"), { message: /no partition nope/ });
	const image = clipImage(Buffer.from([0, 0, 0, 1, 0x65]));
	t.is(image.subarray(0, 8).toString("latin1"), "IVXSCLIP");
	t.is(image.readUInt32LE(8), 5);
	t.is(image.readUInt32LE(12), 0);
	t.deepEqual([...image.subarray(16)], [0, 0, 0, 1, 0x65]);
	const stills = stillsImage([Buffer.from([0xff, 0xd8, 0xff, 0xd9]), Buffer.from([1, 2, 3])]);
	t.is(stills.subarray(0, 8).toString("latin1"), "IVXSSTIL");
	t.is(stills.readUInt32LE(8), 2, "how many");
	t.is(stills.readUInt32LE(16), 4, "each still after its length");
	t.is(stills.readUInt32LE(24), 3);
	t.is(stills.length, 16 + 4 + 4 + 4 + 3);
	const parts = clipPartitions();
	t.deepEqual(parts.map(([label]) => label), ["clip", "clip_audio", "clip_stills"]);
	for (const [label, file, bytes] of parts) t.true(bytes.length <= partition(label).size, `${file} fits ${label}`);
	t.true(parts[2][2].readUInt32LE(8) >= 4, "the sample clip's stills");
});

test("board build and run: a usage mistake exits 2 and says what was wrong, before any tool is looked for", (t) => {
	for (const [argv, said] of [[["build", "--bogus"], /unknown option for build/], [["run", "--seconds", "0"], /whole number of seconds/], [["run", "--device"], /a device file/], [["flash"], /unknown command: flash/]]) {
		const r = doctor({}, argv);
		t.is(r.code, 2, argv.join(" "));
		t.regex(r.err, said);
	}
	const r = doctor({}, ["run", "--device", "/nonexistent/device.json"]);
	t.is(r.code, 2);
	t.regex(r.err, /--device \/nonexistent\/device.json: ENOENT/);
});

test("board test: the emulator's console passes once every check's line has come, and fails at a panic", async (t) => {
	const { bootProgress, BOOT_CHECKS } = await import("../scripts/board.mjs");
	const lines = ["I (360) main_task: Calling app_main()", "Ethernet: IP address 10.0.2.15", "camera cam: 1 channel(s) capturing; cloud http://10.0.2.2:8090",
		"camera cam: control: clock set by the cloud's time (moved 1 ms)", "camera cam: plan rev 1: continuous, uploading, snapshots every 300 s", "camera cam: control channel connected"];
	const good = bootProgress();
	lines.forEach((line) => good.line(line));
	t.true(good.passed);
	t.deepEqual(Object.keys(good.at).sort(), BOOT_CHECKS.map((c) => c.what).sort());
	const partial = bootProgress();
	[lines[0], lines[5], lines[1]].forEach((line) => partial.line(line));
	t.false(partial.done, "until every line has come");
	t.is(Object.keys(partial.at).length, 3);
	const panicked = bootProgress();
	[lines[0], "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled."].forEach((line) => panicked.line(line));
	t.true(panicked.done);
	t.false(panicked.passed);
	t.regex(panicked.failure, /Guru Meditation/);
});

test("board test fails, never skips, when the tools are missing", (t) => {
	const r = doctor({}, ["test"]);
	t.is(r.code, 1);
	t.regex(r.err, /board: missing MODDABLE/);
});

test("board build: an ESP-IDF whose Mbed TLS is upstream TF-PSA-Crypto (no dispatch to the S3's engines) builds with the engines off; Espressif's fork keeps them", async (t) => {
	const { cryptoEngineLines } = await import("../scripts/board.mjs");
	const idf = mkdtempSync(join(tmpdir(), "ivxs-idf-"));
	t.teardown(() => rmSync(idf, { recursive: true, force: true }));
	t.deepEqual(cryptoEngineLines(idf).filter((l) => !l.startsWith("#")), ["CONFIG_MBEDTLS_HARDWARE_SHA=n", "CONFIG_MBEDTLS_HARDWARE_AES=n"]);
	const jsons = join(idf, "components/mbedtls/mbedtls/tf-psa-crypto/scripts/data_files/driver_jsons");
	mkdirSync(jsons, { recursive: true });
	writeFileSync(join(jsons, "esp_sha_driver.json"), "{}");
	t.deepEqual(cryptoEngineLines(idf), []);
});

test("board test: the SDK's per-second figures are read by name, only while recording", async (t) => {
	const { instrumentFigures } = await import("../scripts/board.mjs");
	const f = instrumentFigures();
	f.line("instruments key: Network bytes written,System bytes free,Chunk used,Chunk available,Slot used,Slot available,Garbage collections");
	f.line("instruments: 5000,900000,1,2,3,4,9");   // before recording: not counted
	t.is(f.summary(), undefined);
	f.on();
	f.line("instruments: 20000,800000,100,147456,150000,212976,1");
	f.line("instruments: 40000,700000,120,147456,140000,212976,0");
	f.off();
	f.line("instruments: 1,1,999999,147456,999999,212976,50");
	t.is(f.summary(), "XS chunks peak 120 of 147456 bytes, slots peak 150000 of 212976, 0.5 collections/s; C heap free ≥ 700000 bytes; 30 kB/s written to TCP sockets (the SDK's count) (2 s)");
});

test("board test: a key line that ESP-IDF's log cut into is put together again; a key that does not match the values is not used", async (t) => {
	const { instrumentFigures } = await import("../scripts/board.mjs");
	const f = instrumentFigures();
	f.on();
	f.line("instruments key: Network bytes written,System bytes free,Chunk usedI (446) main_task: Returned from app_main()");
	f.line(",Chunk available,Slot used,Sl");
	f.line("I (1006) esp_eth.netif.netif_glue: 52:54:00:12:34:56");
	f.line("ot available,Garbage collections");
	f.line("instruments: 20000,800000,100,147456,150000,212976,1");
	t.is(f.summary(), "XS chunks peak 100 of 147456 bytes, slots peak 150000 of 212976, 1.0 collections/s; C heap free ≥ 800000 bytes; 20 kB/s written to TCP sockets (the SDK's count) (1 s)");
	const g = instrumentFigures();
	g.on();
	g.line("instruments key: Network bytes written,System bytes freeI (446) main_task: Returned from app_main()");
	g.line("instruments: 20000,800000,100,147456,150000,212976,1");
	t.is(g.summary(), undefined, "two names for seven values: no figures rather than wrong ones");
});

test("board_s3: the board's figures give instructions per second over the window, split by the tasks' busy time, and the least internal RAM free; cut lines are skipped", async (t) => {
	const { boardFigures } = await import("../bench/board-s3/board-figures.mjs");
	const f = boardFigures();
	f.line("instructions: 500,1,1");   // before recording: not counted
	t.is(f.values(), undefined);
	f.on();
	f.line("instructions: 1000,100,50");
	f.line("memory: 90000,80000,7000000,6900000,8000000");
	f.line("task times: IDLE0=900,IDLE1=950,main=100,tiT=0");
	f.line("instructions: 2000,1100I (2100) esp_netif: something");   // another task's output inside the line
	f.line("memory: 70000,60000,6000000,I (2100) esp_netif: something");
	f.line("instructions: 3000,2100,1050");
	f.line("memory: 85000,60000,6500000,5900000,8000000");
	f.line("task times: IDLE0=2000,IDLE1=2000,main=400,tiT=100,new=100");
	f.off();
	f.line("instructions: 9000,999999,999999");
	f.line("memory: 1,1,1,1,8000000");
	t.deepEqual(f.values(), { seconds: 2, perS: 1500, coresPerS: [1000, 500], byTask: { main: 900, tiT: 300, new: 300 }, internalFree: 85000, psramUsed: 1500000 });
});
