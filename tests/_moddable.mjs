// The Moddable manifests as mcconfig/mcrun read them, for tests that check the
// builds without the SDK (CI cannot build it): the module map of a platform
// (scripts/moddable-manifest.mjs) and the TypeScript configuration the SDK's
// tools would give tsc.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { root } from "./_host.mjs";
import { isSdk, modulesFor, readJson, sdkIncludesFor, sourceOf } from "../scripts/moddable-manifest.mjs";

export { manifestName, modManifest, modulesFor, platforms, readJson, rootManifest, sourceOf } from "../scripts/moddable-manifest.mjs";

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
