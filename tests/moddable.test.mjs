// Moddable builds, checked without the Moddable SDK (which CI cannot build; their
// TypeScript: tests/moddable-tsc.test.mjs):
// the manifests say what mcconfig/mcrun 8.2.3 were measured to need (see
// hosts/moddable/README.md), and the Moddable host's VM wake-up (post.c)
// is tested as a portable core, plain and under ThreadSanitizer and ASan.
import test from "ava";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative, resolve } from "node:path";
import { root } from "./_host.mjs";
import { modManifest, modulesFor, platforms, readJson, rootManifest, sourceOf } from "./_moddable.mjs";

// Moddable's own modules the app and its platform layer may import (from the SDK's manifests;
// ecdsa, curve and ecp: its crypt, which its TLS uses for certificates).
const moddableModules = new Set(["timer", "file", "mc/config", "time", "preference", "crypt", "hmac", "modules", "ecdsa", "curve", "ecp"]);
// Modules of the headless Linux host only.
const linuxOnly = ["ivxs/file", "ivxs/host", "ivxs/crypto", "ivxs/socket-native", "ivxs/tls-native"];
const boardManifestPath = rootManifest.platforms["esp32/esp32s3"].include;
const boardManifest = readJson(boardManifestPath);

function importsOf(file, { typesToo = true } = {}) {
	const text = readFileSync(file, "utf8");
	return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s([^;]*?)from\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"/g)]
		.filter((m) => typesToo || !/^type\s/.test(m[1] ?? "")).map((m) => m[2] ?? m[3]);
}

// A module's name in a platform's map (a wildcard's folder + the file's name).
function specifierOf(modules, file) {
	const base = file.replace(/\.(d\.ts|ts|js)$/, "");
	for (const [specifier, path] of Object.entries(modules)) {
		if (specifier === "*" || typeof path !== "string") continue;
		if (specifier.endsWith("/*") && dirname(base) === path.slice(0, -2)) return specifier.slice(0, -1) + base.slice(path.length - 1);
		if (path === base) return specifier;
	}
	return undefined;
}

// Every module a platform's app reaches, following relative imports; bare
// specifiers must be in the platform's module map or be Moddable's own.
function checkApp(t, platform) {
	const modules = modulesFor(rootManifest, ".", platform);
	const main = { ...rootManifest.creation, ...rootManifest.platforms[platform].creation }.main;
	t.truthy(main, `${platform}: creation.main is set`);
	t.truthy(modules[main], `${platform}: its main module "${main}" is in its module map`);
	const wildcardDirs = Object.entries(modules).filter(([s]) => s.endsWith("/*")).map(([, p]) => p.slice(0, -1));
	const seen = new Set(), bare = new Set();
	const visit = (file) => {
		if (seen.has(file)) return;
		seen.add(file);
		const runtime = new Set(importsOf(file, { typesToo: false }));
		for (const specifier of importsOf(file)) {
			if (specifier.startsWith(".")) {
				const target = sourceOf(resolve(dirname(file), specifier).replace(/\.js$/, ""));
				t.truthy(target, `${relative(root, file)}: ${specifier} exists`);
				t.true(wildcardDirs.some((dir) => target.startsWith(dir)) || Object.values(modules).some((p) => sourceOf(p) === target),
					`${relative(root, file)}: ${specifier} is built by the ${platform} manifest`);
				// XS resolves a relative import against the importer's module name, not its file.
				const importer = specifierOf(modules, file);
				if (importer && runtime.has(specifier)) {
					const named = posix.normalize(posix.join(posix.dirname(importer), specifier.replace(/\.js$/, "")));
					t.is(specifierOf(modules, target), named, `${platform}: "${importer}" imports ${specifier}, which XS looks up as "${named}"`);
				}
				visit(target);
			}
			else bare.add(specifier);
		}
	};
	visit(sourceOf(modules[main]));
	for (const specifier of ["ivxs/platform", "ivxs/platform-ota"]) if (modules[specifier]) visit(sourceOf(modules[specifier]));
	for (const specifier of bare)
		t.true(specifier in modules || moddableModules.has(specifier) || specifier.startsWith("embedded:"),
			`${platform}: "${specifier}" (imported by its app) is in its module map`);
	return { modules, bare, files: seen };
}

test("manifest: every platform builds the one camera app, through the platform layer", (t) => {
	t.is(rootManifest.creation.main, "app/camera");
	for (const platform of platforms) {
		t.is(rootManifest.platforms[platform].creation?.main, undefined, `${platform}: no app of its own`);
		const { modules, bare, files } = checkApp(t, platform);
		t.is(relative(root, modules["app/camera"]), "modules/app/camera");
		t.is(relative(root, modules["ivxs/platform"]), "modules/app/platform/moddable");
		t.true(bare.has("ivxs/platform") && bare.has("capture"));
		for (const name of linuxOnly) t.false(bare.has(name), `${platform}: the app does not import "${name}"`);
		t.false([...files].some((f) => /modules\/app\/(main|feed)\.ts$/.test(f)), "the file demo is not built");
	}
	t.deepEqual(rootManifest.platforms.lin.config.args, ["--device", "ivxs-data/device.json"], "mcsim: the device file of npm start -- --cloud-only");
});

// Everything a preloaded module imports is preloaded too, run by the XS linker. The SDK's lin
// `preference` reads its file in its class initialiser (File fails in the linker: an empty cache
// baked into the image, "Preference.#cache: not frozen"), and at run time JSON.stringify refuses
// that preloaded cache: nothing saved, the file truncated. Measured with mcsim 8.2.3: a device
// file provisioned on lin was gone at the next start. The platform layer loads it at first use.
test("manifest: the preloaded platform layer loads preference at first use, never imports it", (t) => {
	t.true(rootManifest.preload.includes("ivxs/platform"));
	t.false(importsOf(join(root, "modules/app/platform/moddable.ts")).includes("preference"), "no import of \"preference\"");
	t.regex(readFileSync(join(root, "modules/app/platform/moddable.ts"), "utf8"), /Modules\.importNow\("preference"\)/);
	t.true(rootManifest.include.includes("$(MODDABLE)/modules/base/modules/manifest.json"), "the SDK's modules module (importNow) is built");
});

test("manifest: the board's capture is native/capture with its board files (the flash clip source, the FreeRTOS runner), without Linux-only modules", (t) => {
	const { modules } = checkApp(t, "esp32/esp32s3");
	t.is(relative(root, modules.capture), "native/capture/capture");
	for (const name of linuxOnly) t.false(name in modules, `esp32: no module "${name}"`);
	const capture = modules["*"].filter((p) => p.includes("/native/capture/")).map((p) => relative(root, p));
	t.true(capture.includes("native/capture/clip_source_esp32") && capture.includes("native/capture/capture_thread_esp32"));
	t.false(capture.some((p) => p.endsWith("_linux")), "no Linux source on boards");
	t.regex(readFileSync(join(root, "README.md"), "utf8"), /flash partition/, "the README says where a board's frames come from");
});

test("manifest: PSRAM, flash and partitions for the ESP32-S3 board", (t) => {
	const dir = dirname(boardManifestPath);
	t.is(boardManifest.defines?.ring?.psram, 1, "the board manifest puts the ring's arena in PSRAM");
	// A platform's include is merged before the manifest that includes it, so a
	// root value would win over the board's.
	t.is(rootManifest.defines?.ring?.psram, undefined, "the root manifest does not set ring.psram");
	t.is(rootManifest.platforms["esp32/esp32s3"].defines?.ring?.psram, undefined);
	// build paths in an included manifest resolve against its own folder; "?=": the environment's
	// SDKCONFIGPATH wins when set (npm run board -- build points it at the emulator's lines).
	const sdkconfigDir = join(root, dir, boardManifest.build["SDKCONFIGPATH ?="]);
	const partitions = join(root, dir, boardManifest.build["PARTITIONS_FILE ?="]);
	t.true(existsSync(join(sdkconfigDir, "sdkconfig.defaults")), `${relative(root, sdkconfigDir)}/sdkconfig.defaults exists`);
	t.true(existsSync(partitions), `${relative(root, partitions)} exists`);
	const options = new Map(readFileSync(join(sdkconfigDir, "sdkconfig.defaults"), "utf8").split("\n")
		.filter((l) => /^CONFIG_/.test(l)).map((l) => l.split("=")));
	t.is(options.get("CONFIG_SPIRAM"), "y");
	// Moddable's base sets FLASHSIZE_4MB=y; mcconfig merges by name, so a
	// different size must switch 4MB off or both stay set.
	const sizes = [...options].filter(([name, value]) => /^CONFIG_ESPTOOLPY_FLASHSIZE_\d+MB$/.test(name) && value === "y");
	t.is(sizes.length, 1, "one flash size");
	const flashBytes = Number(sizes[0][0].match(/(\d+)MB$/)[1]) * 1024 * 1024;
	if (flashBytes !== 4 * 1024 * 1024) t.is(options.get("CONFIG_ESPTOOLPY_FLASHSIZE_4MB"), "n");
	// Lines Moddable 8.2.3's esp32s3 base file holds only as comments
	// ("# NAME=y"): mcconfig matches ours against the comment and keeps it commented.
	for (const name of ["CONFIG_SPIRAM_USE_CAPS_ALLOC"]) t.false(options.has(name), `${name} would be dropped by mcconfig`);
	let end = 0, mods = 0;
	const slots = new Map();
	for (const line of readFileSync(partitions, "utf8").split("\n")) {
		if (!line.trim() || line.startsWith("#")) continue;
		const [name, type, subtype, offset, size] = line.split(",").map((s) => s.trim());
		end = Math.max(end, Number(offset) + Number(size));
		if (type === "0x40" && subtype === "1") mods++;
		if (/^xs_[ab]$/.test(name)) slots.set(name, { type, size: Number(size) });
	}
	t.true(end <= flashBytes, `partitions end at ${end}, within ${flashBytes} bytes of flash`);
	// The OTA slots: data partitions, so the SDK's embedded:storage/flash opens them by label (its
	// open() looks a name up among data partitions; "xs" is Moddable's 0x40/1 question, which
	// ota_slots.c answers with the running slot). No 0x40/1 partition: the wrap chooses.
	t.is(mods, 0, "no partition Moddable would map by itself (0x40/1)");
	t.deepEqual([...slots.keys()].sort(), ["xs_a", "xs_b"], "two app-layer slots");
	for (const [name, slot] of slots) {
		t.is(slot.type, "data", `${name} is a data partition`);
		t.is(slot.size, 0x100000, `${name}: 1 MiB`);
	}
});

test("manifest: strip [] for mods, and a mod manifest that builds the app layer with mcrun", (t) => {
	t.deepEqual(rootManifest.strip, [], "mods need every language feature the host would strip");
	for (const [name, section] of Object.entries(rootManifest.platforms)) t.is(section.strip, undefined, `${name}: no strip of its own`);
	t.is(boardManifest.strip, undefined);
	const includes = [modManifest.include].flat();
	t.true(includes.includes("$(MODDABLE)/examples/manifest_mod.json"));
	for (const platform of platforms) {
		const modules = modulesFor(modManifest, "modules/app/mod", platform);
		const host = modulesFor(rootManifest, ".", platform);
		t.deepEqual(modules["*"], [], `${platform}: a mod has no native code`);
		const main = { ...rootManifest.creation, ...rootManifest.platforms[platform].creation }.main;
		t.is(modules[main], host[main], `${platform}: the mod ships the host's main module, which it overrides`);
		for (const [specifier, path] of Object.entries(modules)) {
			if (specifier === "*" || path.endsWith(".d.ts")) continue;   // types only: the host has the module
			t.true(specifier.startsWith("app/") && host[specifier] === path, `${platform}: "${specifier}" is an app module the mod overrides`);
		}
	}
});

// The Moddable C: every header a listed C file includes is found (mcconfig adds
// -I only for folders whose .h a modules entry names), and files on xsmc.h use
// no name xsmc.h poisons (list from the SDK 8.2.3's xsmc.h).
const poisoned = ("xsTypeOf xsIsCallable xsToBoolean xsToInteger xsToUnsigned xsToNumber xsToString xsToStringBuffer xsArrayBuffer "
	+ "xsArrayBufferResizable xsGetArrayBufferData xsSetArrayBufferData xsToArrayBuffer xsGetArrayBufferLength xsGetArrayBufferMaxLength "
	+ "xsSetArrayBufferLength xsIsInstanceOf xsToReference xsHas xsHasIndex xsGet xsGetAt xsGetIndex xsSet xsSetAt xsSetIndex xsDefine "
	+ "xsDelete xsDeleteAt xsTest xsGetHostBufferLength xsPetrifyHostBuffer xsSetHostBuffer xsGetHostData xsSetHostData "
	+ "xsGetHostDataValidate xsGetHostChunk xsSetHostChunk xsGetHostChunkValidate xsVars").split(" ");

function repoHeaders(dir = root, out = new Map()) {
	for (const name of readdirSync(dir)) {
		// stand-ins for the SDK's and ESP-IDF's headers (hosts/esp32s3/tests) are not ours to name
		if (name === "node_modules" || name === "build" || name === "stand-ins" || name.startsWith(".")) continue;
		const path = join(dir, name);
		if (statSync(path).isDirectory()) repoHeaders(path, out);
		else if (name.endsWith(".h")) out.set(name, [...(out.get(name) ?? []), path]);
	}
	return out;
}

test("manifest: the C of Moddable builds finds its headers and uses xsmc forms", (t) => {
	const headers = repoHeaders();
	for (const platform of platforms) {
		const entries = modulesFor(rootManifest, ".", platform)["*"];
		const includeDirs = new Set(entries.filter((p) => existsSync(`${p}.h`)).map((p) => dirname(p)));
		for (const entry of entries) {
			t.true(existsSync(`${entry}.c`) || existsSync(`${entry}.h`), `${relative(root, entry)}: a .c or .h`);
			if (!existsSync(`${entry}.c`)) continue;
			const text = readFileSync(`${entry}.c`, "utf8");
			for (const [, header] of text.matchAll(/#include\s+"([^"]+)"/g)) {
				const inRepo = headers.get(header);
				if (!inRepo) continue;   // the SDK's or a generated header
				t.true(existsSync(join(dirname(entry), header)) || inRepo.some((p) => includeDirs.has(dirname(p))),
					`${platform}: ${relative(root, entry)}.c includes "${header}": its folder must be named by a modules entry`);
			}
			if (/#include\s+"xsmc\.h"/.test(text))
				for (const name of poisoned)
					t.false(new RegExp(`\\b${name}\\b`).test(text.replace(/\/\*[\s\S]*?\*\//g, "")), `${relative(root, entry)}.c uses ${name}, which xsmc.h poisons`);
		}
	}
});

// ---- hosts/moddable/post.c: the VM wake-up, allocation-free and non-blocking ----
const postSources = ["hosts/moddable/tests/post_test.c", "hosts/moddable/post.c"];
const cflags = ["-std=c11", "-D_GNU_SOURCE", "-g", "-Wall", "-Wextra", "-Werror", "-pthread", "-Inative/common", "-Ihosts/moddable",
	"-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc"];
const variants = [
	["plain", ["-O2"]],
	["ThreadSanitizer", ["-O1", "-fsanitize=thread"]],
	["AddressSanitizer + UBSan", ["-O1", "-fsanitize=address,undefined", "-fno-sanitize=alignment", "-fno-sanitize-recover=all"]],
];

for (const [name, flags] of variants) {
	test(`post.c: its C tests pass (${name})`, (t) => {
		const dir = mkdtempSync(join(tmpdir(), "ivxs-post-"));
		t.teardown(() => rmSync(dir, { recursive: true, force: true }));
		const binary = join(dir, "post_test");
		execFileSync("gcc", [...cflags, ...flags, ...postSources, "-o", binary], { cwd: root });
		const output = execFileSync(binary, { encoding: "utf8", timeout: 120_000 });
		t.log(output.trim().split("\n").filter((l) => l.startsWith("  ")).join("\n"));
		t.regex(output, /^5 passed, 0 failed$/m);
	});
}

test("post.c compiles for Cortex-M4 with no library calls (no malloc, no atomic helpers)", (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-post-arm-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const object = join(dir, "post.o");
	execFileSync("arm-none-eabi-gcc", ["-std=c11", "-mcpu=cortex-m4", "-mthumb", "-Os", "-Wall", "-Wextra", "-Werror",
		"-Inative/common", "-Ihosts/moddable", "-c", "hosts/moddable/post.c", "-o", object], { cwd: root });
	const undefinedSymbols = execFileSync("arm-none-eabi-nm", ["-u", object], { encoding: "utf8" }).trim();
	t.is(undefinedSymbols, "", "post.o calls nothing outside itself");
});

// The board's sockets compiled against Debian's lwIP 2.1.3 headers (liblwip-dev: scripts/test-deps.mjs),
// the board's own headers stood in for (hosts/esp32s3/tests/stand-ins/README.md); limits.h first:
// Debian's lwIP port would otherwise declare its own ssize_t over glibc's. What each calls, undefined.
function compileOnLwip(t, file, includes = []) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-lwip-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const object = join(dir, "socket.o");
	execFileSync("gcc", ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-include", "limits.h", "-include", "stddef.h", ...includes,
		"-Ihosts/esp32s3/tests/stand-ins", "-Ihosts/moddable", "-Inative/common", "-I/usr/include/lwip",
		"-c", file, "-o", object], { cwd: root });
	return execFileSync("nm", ["-u", object], { encoding: "utf8" }).split("\n").map((l) => l.trim().split(/\s+/).pop()).filter(Boolean);
}

test("the board's UDP socket (hosts/esp32s3/udp_lwip.c) compiles against lwIP 2.1.3's headers, warning-free", (t) => {
	const calls = compileOnLwip(t, "hosts/esp32s3/udp_lwip.c");
	t.false(calls.includes("malloc") || calls.includes("realloc"), "calloc and free once a socket; nothing per datagram");
	t.true(calls.includes("udp_recv") && calls.includes("ivxs_loop_post"), "lwIP's raw API, woken through the allocation-free post");
});

test("the board's TCP socket (hosts/esp32s3/tcp_lwip.c) compiles against lwIP 2.1.3's and XS's headers, warning-free", (t) => {
	// its binding is in the same file: the engine's own headers (build/xs, as the Linux host builds)
	const calls = compileOnLwip(t, "hosts/esp32s3/tcp_lwip.c", ["-Ibuild/xs/includes", "-Ibuild/xs/platforms"]);
	t.false(calls.includes("malloc") || calls.includes("realloc"), "calloc and free once a socket; nothing per segment");
	t.true(calls.includes("tcpip_api_call"), "every call on the connection's pcb runs on lwIP's thread");
	t.true(calls.includes("tcp_recved") && calls.includes("ivxs_loop_post"), "segments acknowledged as read; woken through the allocation-free post");
});
