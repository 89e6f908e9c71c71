// The Moddable manifests as mcconfig/mcrun read them, without the SDK (CI cannot build it): the
// module map of a platform, for the TypeScript check (tests/_moddable.mjs) and the Moddable hosts'
// ABI (scripts/moddable-abi.mjs).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { root } from "./native-modules.mjs";

export const readJson = (path) => JSON.parse(readFileSync(join(root, path), "utf8"));
export const rootManifest = readJson("manifest.json");
export const modManifest = readJson("modules/app/mod/manifest.json");
export const platforms = ["lin", "esp32/esp32s3"];

// A manifest's section for a platform as mcconfig picks it: the full name ("esp32/esp32s3"), else
// its platform ("esp32"), else "...".
const sectionsOf = (manifest, platform) => {
	const sections = manifest.platforms ?? {};
	return [manifest, sections[platform] ?? sections[platform.split("/")[0]] ?? sections["..."] ?? {}];
};
const includesOf = (section) => [section.include ?? []].flat();
export const isSdk = (path) => path.startsWith("$(");

// The module map one platform sees: its local includes' (native/manifest.json and
// what it includes; an include is merged before its includer), the manifest's own
// modules, then its platform section's ("*" lists concatenated), each path
// resolved against the manifest that names it.
export function modulesFor(manifest, manifestDir, platform, merged = { "*": [] }) {
	for (const section of sectionsOf(manifest, platform)) {
		for (const include of includesOf(section))
			if (!isSdk(include)) modulesFor(readJson(join(manifestDir, include)), dirname(join(manifestDir, include)), platform, merged);
		for (const [specifier, value] of Object.entries(section.modules ?? {})) {
			// $(MODDABLE) paths are the SDK's: kept as written.
			const paths = (Array.isArray(value) ? value : [value]).map((p) => (isSdk(p) ? p : resolve(root, manifestDir, p)));
			if (specifier === "*") merged["*"].push(...paths.filter((p) => !isSdk(p)));
			else merged[specifier] = paths[0];
		}
	}
	return merged;
}

// The SDK manifests a platform's build includes, its local includes' too.
export function sdkIncludesFor(manifest, manifestDir, platform, found = new Set()) {
	for (const section of sectionsOf(manifest, platform))
		for (const include of includesOf(section))
			if (isSdk(include)) found.add(include);
			else sdkIncludesFor(readJson(join(manifestDir, include)), dirname(join(manifestDir, include)), platform, found);
	return found;
}

// Where a module map puts a specifier: its own entry, else a folder's ("media/aac" through
// "media/*": "…/modules/media/*").
export function modulePath(modules, name) {
	if (modules[name]) return modules[name];
	const slash = name.lastIndexOf("/");
	const folder = slash > 0 ? modules[`${name.slice(0, slash)}/*`] : undefined;
	return folder && !name.endsWith("/*") ? folder.slice(0, -1) + name.slice(slash + 1) : undefined;
}

// The source files the XS linker preloads for a platform: the "preload" lists of the manifest, its
// platform section and its local includes, looked up in that platform's module map ("media/*":
// every module of that folder).
export function preloadedFor(manifest, manifestDir, platform) {
	const modules = modulesFor(manifest, manifestDir, platform);
	const names = [];
	const collect = (m, dir) => {
		for (const section of sectionsOf(m, platform)) {
			for (const include of includesOf(section))
				if (!isSdk(include)) collect(readJson(join(dir, include)), dirname(join(dir, include)));
			names.push(...(section.preload ?? []));
		}
	};
	collect(manifest, manifestDir);
	const files = new Set();
	for (const name of names) {
		const path = modulePath(modules, name);
		if (!path || isSdk(path)) continue;
		if (name.endsWith("/*")) {
			const dir = path.slice(0, -1);
			for (const entry of readdirSync(dir))
				if (/\.(ts|js)$/.test(entry) && !entry.endsWith(".d.ts")) files.add(join(dir, entry));
		}
		else if (sourceOf(path)) files.add(sourceOf(path));
	}
	return files;
}

export const sourceOf = (base) => [".ts", ".js", ".d.ts", ""].map((ext) => base + ext).find((p) => existsSync(p) && statSync(p).isFile());

export const manifestName = (manifestDir) => join(manifestDir, "manifest.json").replace(/^\.\//, "");
