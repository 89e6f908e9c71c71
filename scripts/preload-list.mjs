// The camera's preload list for the Linux host, from manifest.json's "preload" (the one list:
// what a board's build puts in flash): build/ts/<entry>.preload, one module key a line, which
// the host loads into a shared machine before the entry (hosts/linux/src/preload.c).
//   media/*        -> every modules/media/<name> the TypeScript build wrote
//   media/aac      -> modules/media/aac (through the manifest's "media/*")
//   app/pace       -> modules/app/pace (through the manifest's module map, lin platform)
//   ivxs/platform  -> ivxs/platform (a host module, hosts/linux/modules.txt)
// What the Linux host does not have (the Moddable hosts' own modules and platform adapters) is
// listed as skipped, in a comment.
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { modulePath, modulesFor, rootManifest } from "./moddable-manifest.mjs";
import { readRegistry, root } from "./native-modules.mjs";

const tsOut = (buildDir) => join(buildDir, "ts");

// Module keys of the Linux host for one manifest preload entry ([] when it has none).
function keysOf(entry, moduleMap, hostModules, buildDir) {
	if (hostModules.has(entry)) return [entry];
	const wildcard = entry.endsWith("/*");
	const path = modulePath(moduleMap, entry);
	if (!path || path.startsWith("$(")) return [];
	const key = relative(root, path);
	// modules/app/platform/* adapt the app to the Moddable hosts; this host's are in modules.txt.
	if (!key.startsWith("modules/") || key.startsWith("modules/app/platform/")) return [];
	if (!wildcard) return existsSync(join(tsOut(buildDir), `${key}.js`)) ? [key] : [];
	const dir = key.slice(0, -2);
	const found = join(tsOut(buildDir), dir);
	if (!existsSync(found)) return [];
	return readdirSync(found).filter((name) => name.endsWith(".js")).sort().map((name) => `${dir}/${name.slice(0, -3)}`);
}

export function preloadList(buildDir) {
	const moduleMap = modulesFor(rootManifest, ".", "lin");
	const hostModules = new Set(readRegistry("hosts/linux/modules.txt").map(({ specifier }) => specifier));
	const keys = [];
	const skipped = [];
	for (const entry of rootManifest.preload ?? []) {
		const found = keysOf(entry, moduleMap, hostModules, buildDir);
		if (found.length) keys.push(...found);
		else skipped.push(entry);
	}
	return { entry: relative(root, moduleMap[rootManifest.creation.main]), keys, skipped };
}

export function preloadFile(buildDir) {
	const { entry, keys, skipped } = preloadList(buildDir);
	const text = [
		`# Written by scripts/preload-list.mjs from manifest.json's "preload": loaded into a shared,`,
		`# read-only machine before ${entry} (hosts/linux/src/preload.c).`,
		...(skipped.length ? [`# not on this host: ${skipped.join(", ")}`] : []),
		...keys,
		"",
	].join("\n");
	return { path: join(tsOut(buildDir), `${entry}.preload`), text };
}
