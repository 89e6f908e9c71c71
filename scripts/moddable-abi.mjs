#!/usr/bin/env node
// The host ABI of a Moddable build (modules/ota/FORMAT.md `abi`): what an app-layer mod binds to.
//
// A mod cannot carry native code: XS runs an archive's modules with no host-function table
// (xsModule.c passes hostsBuffer NULL), so a mod reaches the host only by name — module
// specifiers it imports (the host's preloaded modules, found by specifier at run time), their
// exports, and property keys (fxMapArchive rewrites the archive's symbol ids to the host's by
// name when it maps the archive) — and through the bytecode, which fxMapArchive accepts only
// from the same XS major.minor. So the ABI hashes (FNV-1a 64, as the Linux host's table hash):
//   "moddable-sdk <version>"    the SDK (and so XS) the host was built with (hosts/moddable/sdk-tsc.json)
//   "module <specifier>"        every module of the platform's host build, sorted
//   "native <name>"             every `@ "xs_…"` our modules declare (what those modules call), sorted
// A host that adds, removes or renames any of these gets another ABI, and bundles built for
// the old one are refused ("abi") — equality, as on Linux.
//
//   node scripts/moddable-abi.mjs [platform]            prints it (default esp32/esp32s3)
//   node scripts/moddable-abi.mjs --write               writes it to hosts/esp32s3/manifest.json config.otaAbi
// tests/moddable-abi.test.mjs checks the manifest holds the ABI of its build.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./native-modules.mjs";
import { modulesFor, readJson, rootManifest, sourceOf } from "./moddable-manifest.mjs";

export const BOARD_MANIFEST = "hosts/esp32s3/manifest.json";

/** The lines the ABI hashes, for a platform of the root manifest. */
export function abiLines(platform) {
	const modules = modulesFor(rootManifest, ".", platform);
	const specifiers = Object.keys(modules).filter((s) => s !== "*").sort();
	const natives = new Set();
	for (const specifier of specifiers) {
		const path = modules[specifier];
		if (path.startsWith("$(")) continue;   // the SDK's own: covered by its version
		const source = sourceOf(path);
		if (!source?.endsWith(".js")) continue;
		for (const [, name] of readFileSync(source, "utf8").matchAll(/@\s*"([A-Za-z_][A-Za-z0-9_]*)"/g)) natives.add(name);
	}
	return [`moddable-sdk ${readJson("hosts/moddable/sdk-tsc.json").sdk}`, ...specifiers.map((s) => `module ${s}`), ...[...natives].sort().map((n) => `native ${n}`)];
}

export function fnv1a64(text) {
	let hash = 0xcbf29ce484222325n;
	for (const byte of Buffer.from(text, "utf8")) {
		hash ^= BigInt(byte);
		hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
	}
	return hash.toString(16).padStart(16, "0");
}

export const moddableAbi = (platform) => fnv1a64(abiLines(platform).join("\n") + "\n");

if (import.meta.url === `file://${process.argv[1]}`) {
	const args = process.argv.slice(2);
	if (args.includes("--write")) {
		const path = join(root, BOARD_MANIFEST);
		const text = readFileSync(path, "utf8");
		const abi = moddableAbi("esp32/esp32s3");
		const next = text.replace(/"otaAbi": "[0-9a-f]{16}"/, `"otaAbi": "${abi}"`);
		if (next === text && !text.includes(`"otaAbi": "${abi}"`)) throw new Error(`${BOARD_MANIFEST}: no config.otaAbi to write`);
		writeFileSync(path, next);
		console.log(`${BOARD_MANIFEST}: otaAbi ${abi}`);
	}
	else console.log(moddableAbi(args.find((a) => !a.startsWith("-")) ?? "esp32/esp32s3"));
}
