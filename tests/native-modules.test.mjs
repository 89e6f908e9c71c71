// native/modules.txt is the one list of native modules. The Moddable manifests,
// which the Moddable tools read as JSON, are written from it (native/manifest.json
// and one per module, by scripts/native-modules.mjs --write): checked here to be
// current and to cover every module, so a module missing from a board build fails CI.
import test from "ava";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { commonFolder, formatManifest, moddableManifests, nativeModules } from "../scripts/native-modules.mjs";
import { root } from "./_host.mjs";

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const asList = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

// Every "modules" and "preload" entry of a Moddable manifest, its local
// includes and its platform sections (all of them: a module may be built for
// one platform only), with paths made relative to the repository root.
// Paths of the SDK ($(MODDABLE)/…) are left out.
function manifestEntries(file, read = readJson) {
	const entries = { modules: [], preload: [] };
	const visit = (manifestFile, section) => {
		const dir = dirname(manifestFile);
		const local = (path) => (typeof path === "string" && !path.startsWith("$(") ? relative(root, join(dir, path)) : null);
		for (const include of asList(section.include)) {
			const path = local(include);
			if (path) visit(join(root, path), read(join(root, path)));
		}
		for (const [key, value] of Object.entries(section.modules ?? {}))
			for (const path of asList(value).map(local).filter(Boolean)) entries.modules.push({ key, path });
		entries.preload.push(...asList(section.preload));
		for (const platform of Object.values(section.platforms ?? {})) visit(manifestFile, platform);
	};
	visit(file, read(file));
	return entries;
}

// What the manifest lacks for each native module: its specifier mapped to its
// JS file, every one of its .c files in a "*" list, its specifier preloaded.
function manifestProblems(modules, entries) {
	const matches = (pattern, path) => (pattern.endsWith("*") ? path.startsWith(pattern.slice(0, -1)) : pattern === path);
	const problems = [];
	for (const m of modules) {
		const js = m.js.replace(/\.js$/, "");
		if (!entries.modules.some(({ key, path }) => key === m.specifier && path === js))
			problems.push(`"modules": "${m.specifier}": "./${js}" is missing`);
		for (const source of m.sources) {
			const stem = source.replace(/\.c$/, "");
			if (!entries.modules.some(({ key, path }) => key === "*" && matches(path, stem)))
				problems.push(`"modules": { "*": […, "./${stem}"] } is missing (${m.specifier})`);
		}
		if (!entries.preload.some((p) => matches(p, m.specifier)))
			problems.push(`"preload": […, "${m.specifier}"] is missing`);
	}
	return problems;
}

const modules = nativeModules();
const manifest = join(root, "manifest.json");

test("the Moddable manifests of native/ are what native/modules.txt makes (node scripts/native-modules.mjs --write)", (t) => {
	for (const [path, manifest] of Object.entries(moddableManifests(modules)))
		t.is(readFileSync(join(root, path), "utf8"), formatManifest(manifest), `${path} is stale: run node scripts/native-modules.mjs --write`);
	t.true(asList(readJson(manifest).include).includes("./native/manifest.json"), "manifest.json includes native/manifest.json");
});

test("manifest.json lists every native module of native/modules.txt (specifier, C files, preload)", (t) => {
	t.deepEqual(manifestProblems(modules, manifestEntries(manifest)), []);
});

test("a native module missing from manifest.json is reported", (t) => {
	// The manifest as it would be if someone forgot capture: every entry naming it removed.
	const forget = (section) => {
		const copy = structuredClone(section);
		for (const s of [copy, ...Object.values(copy.platforms ?? {})]) {
			for (const [key, value] of Object.entries(s.modules ?? {})) {
				if (key === "capture") delete s.modules[key];
				else if (Array.isArray(value)) s.modules[key] = value.filter((p) => !p.includes("/capture/"));
			}
			if (s.preload) s.preload = asList(s.preload).filter((p) => p !== "capture");
		}
		return copy;
	};
	const problems = manifestProblems(modules, manifestEntries(manifest, (file) => forget(readJson(file))));
	t.true(problems.length > 0);
	t.true(problems.every((p) => p.includes("capture")), problems.join("\n"));
	t.true(problems.some((p) => p.includes(`"capture": "./native/capture/capture"`)), problems.join("\n"));
});

test("every folder under native/ with a JS API is registered in native/modules.txt", (t) => {
	// native/common is the binding kit: its codes.js (ivxs/codes) has no C of its own to register.
	const registered = new Set([...modules.map((m) => m.folder), commonFolder]);
	const folders = readdirSync(join(root, "native"), { withFileTypes: true }).filter((d) => d.isDirectory())
		.map((d) => `native/${d.name}`).filter((folder) => readdirSync(join(root, folder)).some((f) => f.endsWith(".js")));
	t.deepEqual(folders.filter((folder) => !registered.has(folder)), []);
});

test("native/modules.txt: a module's declared use of another is resolved transitively, and nonsense is refused", (t) => {
	const capture = modules.find((m) => m.specifier === "capture");
	t.true(capture.core.includes("native/ring/ring.c"));
	t.false(capture.sources.includes("native/ring/ring.c"));   // the host compiles ring.c once, from ring's folder
	t.true(capture.includes.includes("native/ring"));
	for (const [text, pattern] of [
		["ring native/ring/ring.js nosuch\n", /uses "nosuch", which is not a native module/],
		["ring native/ring/ring.js annexb\nannexb native/annexb/annexb.js ring\n", /cycle: ring -> annexb -> ring/],
		["ring native/ring/missing.js\n", /bad line/],
	]) {
		// under build/ (ignored by git): the js paths it names are relative to the repository
		const file = "build/test/native-modules.txt";
		mkdirSync(join(root, "build/test"), { recursive: true });
		writeFileSync(join(root, file), text);
		t.throws(() => nativeModules(file), { message: pattern });
	}
});
