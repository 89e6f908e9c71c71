// The Moddable manifests as mcconfig/mcrun read them, for tests that check the
// builds without the SDK (CI cannot build it): the module map of a platform and
// the TypeScript configuration the SDK's tools would give tsc.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { root } from "./_host.mjs";

export const readJson = (path) => JSON.parse(readFileSync(join(root, path), "utf8"));
export const rootManifest = readJson("manifest.json");
export const modManifest = readJson("modules/app/mod/manifest.json");
export const platforms = ["lin", "esp32/esp32s3"];

const sectionsOf = (manifest, platform) => [manifest, manifest.platforms?.[platform] ?? {}];
const includesOf = (section) => [section.include ?? []].flat();
const isSdk = (path) => path.startsWith("$(");

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
function sdkIncludesFor(manifest, manifestDir, platform, found = new Set()) {
	for (const section of sectionsOf(manifest, platform))
		for (const include of includesOf(section))
			if (isSdk(include)) found.add(include);
			else sdkIncludesFor(readJson(join(manifestDir, include)), dirname(join(manifestDir, include)), platform, found);
	return found;
}

export const sourceOf = (base) => [".ts", ".js", ".d.ts", ""].map((ext) => base + ext).find((p) => existsSync(p) && statSync(p).isFile());

// What mcconfig/mcrun 8.2.3 give tsc (hosts/moddable/sdk-tsc.json), with npm's
// @moddable/typings standing in for $(MODDABLE)/typings and xs.d.ts; SDK modules
// that are plain .js (hmac, the TLS socket) are left unmapped, as the SDK's tsc
// sees no types for them. Returns a tsconfig that checks every TypeScript module
// the build compiles (mcconfig runs tsc once per module; one program checks the same).
export function sdkTsconfig(manifest, manifestDir, platform) {
	const sdk = readJson("hosts/moddable/sdk-tsc.json");
	const typings = join(root, "node_modules/@moddable/typings");
	const fromSdk = (path) => path.replace("$(MODDABLE)/typings", typings).replace("$(MODDABLE)/xs/includes", typings);
	const paths = {};
	for (const include of sdkIncludesFor(manifest, manifestDir, platform))
		for (const [specifier, path] of Object.entries(sdk.typings[include] ?? {})) paths[specifier] = [fromSdk(path)];
	const files = [];
	const modules = modulesFor(manifest, manifestDir, platform);
	for (const [specifier, path] of Object.entries(modules)) {
		if (specifier === "*") continue;   // C, named by file: no TypeScript
		if (isSdk(path)) {
			if (path.startsWith("$(MODDABLE)/typings/")) paths[specifier] = [fromSdk(path)];
			continue;
		}
		paths[specifier] = [path];
		if (specifier.endsWith("/*"))
			files.push(...readdirSync(dirname(path)).filter((n) => n.endsWith(".ts") && !n.endsWith(".d.ts")).map((n) => join(dirname(path), n)));
		else if (sourceOf(path)?.endsWith(".ts") && !sourceOf(path).endsWith(".d.ts")) files.push(sourceOf(path));
	}
	// Declarations of SDK modules npm's typings lack (the SDK's own typings have them).
	files.push(join(root, "hosts/moddable/sdk.d.ts"));
	return {
		compilerOptions: { ...sdk.compilerOptions, paths, types: sdk.types.map(fromSdk), noEmit: true },
		files: [...new Set(files)].sort(),
	};
}

export const manifestName = (manifestDir) => join(manifestDir, "manifest.json").replace(/^\.\//, "");
