// The ESP-IDF components the board image takes from Espressif's component registry (esp32-camera,
// esp_jpeg, esp_h264: the camera source, native/capture/sensor_source_esp32.c). They are declared
// where a Moddable manifest declares them — the `dependency` list of native/capture/manifest.json's
// esp32 platform — and online ESP-IDF's component manager fetches them into the project's
// managed_components at build time (mcconfig runs `idf.py add-dependency`). A build without the
// component manager (IDF_COMPONENT_MANAGER=0, no network) takes local copies instead: the folder
// IVXS_IDF_COMPONENTS holds each as `<namespace>__<name>` (the folder name the component manager
// gives it, which mcconfig's include paths and ESP-IDF's component names use), and `build` links
// them into the project as ESP-IDF project components. Nothing of them is in this repository.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./build.mjs";

const MANIFEST = "native/capture/manifest.json";

/** The manifest's registry dependencies: [{ namespace, name, version, folder }]. */
export function registryDependencies() {
	const list = JSON.parse(readFileSync(join(root, MANIFEST), "utf8")).platforms?.esp32?.dependency ?? [];
	return list.filter((d) => d.idf === undefined).map((d) => {
		const namespace = d.namespace ?? "espressif";
		return { namespace, name: d.name, version: d.version ?? "*", folder: `${namespace}__${d.name}` };
	});
}

/** Files a copy must have beyond its CMakeLists.txt (esp_h264 links a prebuilt library). */
const NEEDS = { "espressif__esp_h264": ["sw/libs/esp32s3/libopenh264.a"] };

const HOW = "online, leave IDF_COMPONENT_MANAGER unset: ESP-IDF's component manager fetches them from components.espressif.com; "
	+ "offline, put each component's source in one folder as <namespace>__<name> (e.g. a checkout of github.com/espressif/esp32-camera "
	+ "after v2.1.5 as espressif__esp32-camera, esp-h264-component's esp_h264/ as espressif__esp_h264, idf-extra-components' esp_jpeg/ as "
	+ "espressif__esp_jpeg), name esp_jpeg in esp32-camera's requirements as the component manager would (its CMakeLists.txt: "
	+ "set(req driver espressif__esp_jpeg)) and export IVXS_IDF_COMPONENTS=<that folder> (hosts/esp32s3/README.md)";

/** doctor's line: found, or missing with how to get them. */
export function componentsCheck(env = process.env) {
	const deps = registryDependencies();
	const names = deps.map((d) => `${d.namespace}/${d.name}${d.version}`).join(", ");
	const what = "IDF components";
	const dir = env.IVXS_IDF_COMPONENTS;
	if (!dir) {
		if (env.IDF_COMPONENT_MANAGER !== "0") return { what, ok: true, detail: `${names}: ESP-IDF's component manager fetches them (online)` };
		return { what, ok: false, detail: `${names}: IDF_COMPONENT_MANAGER=0 and IVXS_IDF_COMPONENTS not set`, fix: HOW };
	}
	const absent = deps.flatMap((d) => ["CMakeLists.txt", ...(NEEDS[d.folder] ?? [])].map((f) => join(d.folder, f))).filter((f) => !existsSync(join(dir, f)));
	if (absent.length) return { what, ok: false, detail: `IVXS_IDF_COMPONENTS=${dir} lacks ${absent.join(", ")}`, fix: HOW };
	return { what, ok: true, detail: `${names}: local copies in ${dir}` };
}

/**
 * Before mcconfig, in ESP-IDF's project folder (xsProj-esp32s3 under mcconfig's tmp): with
 * IVXS_IDF_COMPONENTS, each copy linked where the component manager would put it
 * (managed_components/<folder>: mcconfig's include paths for the app's C) and where ESP-IDF finds
 * project components without the manager (components/<folder>), and main/idf_component.yml
 * listing them as `idf.py add-dependency` writes it (mcconfig runs that only for a name the file
 * lacks). Without IVXS_IDF_COMPONENTS nothing is done: the component manager fetches them.
 */
export function linkComponents(projectDir, env = process.env) {
	const dir = env.IVXS_IDF_COMPONENTS;
	if (!dir) return;
	const deps = registryDependencies();
	// a first build: the project as mcconfig's makefile makes it (a copy of the SDK's template)
	if (!existsSync(projectDir)) cpSync(join(env.MODDABLE, "build/devices/esp32/xsProj-esp32s3"), projectDir, { recursive: true });
	for (const sub of ["managed_components", "components"]) {
		mkdirSync(join(projectDir, sub), { recursive: true });
		for (const d of deps) {
			const at = join(projectDir, sub, d.folder);
			rmSync(at, { recursive: true, force: true });
			symlinkSync(join(dir, d.folder), at);
		}
	}
	mkdirSync(join(projectDir, "main"), { recursive: true });
	writeFileSync(join(projectDir, "main/idf_component.yml"), ["dependencies:", ...deps.map((d) => `  ${d.namespace}/${d.name}: "${d.version}"`), ""].join("\n"));
}
