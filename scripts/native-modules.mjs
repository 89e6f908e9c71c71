// Everything the build, the tests and the bench need to know about the native
// modules, derived from one list (native/modules.txt) and the files in each
// module's folder — so adding a module is its folder plus one line there:
//   - the host compiles every .c file of the folder (core + mod*.c binding);
//   - the core is the folder's .c files minus the mod*.c bindings, plus the
//     cores of the modules it declares it uses (third column onwards);
//   - every tests/*_test.c is one C test program over the core;
//   - the portable files (compiled for a microcontroller) are the core's files
//     except those named *_linux.c, which need Linux (V4L2, threads, files);
//   - files named *_esp32.c need ESP-IDF (FreeRTOS tasks, flash partitions): only the
//     Moddable build for esp32 compiles them — never the host, its tests or the portable check;
//   - every core sees native/common (the kit: ivxs_status.h, the shared status
//     table type; ivxs_test.h, the C test harness) on its include path;
//   - a column "-l<name>" links a system library with the core (its C tests and
//     the host): p2p's crypto is Debian's mbedTLS (-lmbedcrypto);
//   - the Moddable build (manifest.json) includes native/manifest.json, which
//     this script writes with one manifest per module (`moddableManifests`,
//     `node scripts/native-modules.mjs --write`; a test checks they are current):
//     every portable file for every platform, *_linux.c files for `lin` only,
//     *_esp32.c files for `esp32` only. A column "moddable=lin,esp32" builds a module
//     for those Moddable platforms only. A folder's dependency.esp32.json (a list of the
//     manifest's `dependency` entries: ESP-IDF components from Espressif's registry) goes into
//     its esp32 section.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// A registry line: "<specifier> <js file> [more columns]"; '#' starts a comment.
export function readRegistry(file) {
	return readFileSync(join(root, file), "utf8").split("\n")
		.map((line) => line.replace(/#.*/, "").trim()).filter(Boolean)
		.map((line) => {
			const [specifier, js, ...rest] = line.split(/\s+/);
			if (!specifier || !js || !existsSync(join(root, js)))
				throw new Error(`${file}: bad line "${line}" (expected "<specifier> <existing js file>")`);
			return { specifier, js, rest };
		});
}

const allCFiles = (folder) => existsSync(join(root, folder))
	? readdirSync(join(root, folder)).filter((f) => f.endsWith(".c")).sort().map((f) => `${folder}/${f}`)
	: [];
export const isBoardOnly = (file) => file.endsWith("_esp32.c");
// What the host compiles: every C file but the board's.
const cFiles = (folder) => allCFiles(folder).filter((f) => !isBoardOnly(f));

// The binding kit's folder: on every module's include path (native/common/README.md).
export const commonFolder = "native/common";

export const isBinding = (file) => /^mod.*\.c$/.test(basename(file));
export const isLinuxOnly = (file) => file.endsWith("_linux.c");
const headersIn = (folder) => readdirSync(join(root, folder)).filter((f) => f.endsWith(".h")).sort().map((f) => `${folder}/${f}`);

// [{ specifier, js, folder, uses, libs, sources, ownCore, core, portable, includes, headers, testsFolder, tests }],
// in the order of native/modules.txt. Paths are relative to the repository root.
// `uses` is transitive; `core` and `includes` cover the module and what it uses (`core` also the
// binding kit's C files they name: common/<file>);
// `sources`, `ownCore` and `portable` the module's own files only; `libs`
// ("-lmbedcrypto", …) the system libraries of the module and what it uses.
export function nativeModules(file = "native/modules.txt") {
	const lines = readRegistry(file).map((line) => ({
		...line,
		libs: line.rest.filter((c) => c.startsWith("-l")),
		moddable: line.rest.find((c) => c.startsWith("moddable="))?.slice(9).split(",") ?? null,
		kit: line.rest.filter((c) => c.startsWith("common/")).map((c) => `native/${c}.c`),
		rest: line.rest.filter((c) => !c.startsWith("-l") && !c.startsWith("moddable=") && !c.startsWith("common/")),
	}));
	const bySpecifier = new Map(lines.map((line) => [line.specifier, line]));
	const closure = (specifier, trail = []) => {
		if (trail.includes(specifier)) throw new Error(`${file}: modules use each other in a cycle: ${[...trail, specifier].join(" -> ")}`);
		const line = bySpecifier.get(specifier);
		const out = [];
		for (const used of line.rest) {
			if (!bySpecifier.has(used)) throw new Error(`${file}: ${specifier} uses "${used}", which is not a native module listed there`);
			for (const name of [used, ...closure(used, [...trail, specifier])]) if (!out.includes(name)) out.push(name);
		}
		return out;
	};
	const ownCore = (specifier) => cFiles(dirname(bySpecifier.get(specifier).js)).filter((f) => !isBinding(f));
	const modules = lines.map(({ specifier, js, moddable }) => {
		const folder = dirname(js);
		const uses = closure(specifier);
		const kit = [...new Set([specifier, ...uses].flatMap((u) => bySpecifier.get(u).kit))];
		const core = [...ownCore(specifier), ...uses.flatMap(ownCore), ...kit];
		const testsFolder = `${folder}/tests`;
		const libs = [...new Set([specifier, ...uses].flatMap((u) => bySpecifier.get(u).libs))];
		const includes = [folder, ...uses.map((u) => dirname(bySpecifier.get(u).js)), commonFolder];
		return {
			specifier, js, folder, uses, libs, moddable,
			sources: cFiles(folder),
			ownCore: ownCore(specifier),
			core,
			portable: ownCore(specifier).filter((f) => !isLinuxOnly(f)),
			includes,
			headers: includes.flatMap(headersIn),
			testsFolder: existsSync(join(root, testsFolder)) ? testsFolder : null,
			tests: cFiles(testsFolder).filter((f) => f.endsWith("_test.c")),
		};
	});
	const programs = new Map();
	for (const m of modules)
		for (const test of m.tests) {
			const name = basename(test, ".c");
			if (programs.has(name)) throw new Error(`${file}: two C test programs are named ${name} (${programs.get(name)}, ${test})`);
			programs.set(name, test);
		}
	return modules;
}

// The C test programs: [{ name, module, source, sources, includes, libs, clock }], each
// built from its *_test.c and its module's core. `clock`: the program starts its fake
// clock at ivxs_test_clock_base() (native/common/ivxs_test.h), so it is run at every base
// in clockBases.
export function cTestPrograms(modules = nativeModules()) {
	return modules.flatMap((m) => m.tests.map((source) => ({
		name: basename(source, ".c"), module: m.specifier, source, sources: [source, ...m.core], includes: m.includes, libs: m.libs,
		clock: /\bivxs_test_clock_base\s*\(/.test(readFileSync(join(root, source), "utf8")),
	})));
}

// Where a C test program's u32 millisecond clock starts (IVXS_CLOCK_BASE): a caller's clock
// has any origin (Linux: uptime), so every time comparison must hold from 0, from just before
// 2^31 (the sign of a difference flips there) and from just before the wrap (2^32 - 1 s).
export const clockBases = [0, 2 ** 31 - 1000, 2 ** 32 - 1000];

// ---- The Moddable manifests (derived: mcconfig reads JSON, not this registry) ----

const stem = (file) => `./${basename(file).replace(/\.(c|h|js)$/, "")}`;

// { "<folder>/manifest.json": object } for every registered module, native/common
// (the binding kit: every .c and .h of the folder, so mcconfig adds -I for it) and
// native/manifest.json, which includes them all (manifest.json includes that one).
export function moddableManifests(modules = nativeModules()) {
	const out = {};
	const common = readdirSync(join(root, "native/common")).filter((f) => /\.[ch]$/.test(f)).sort();
	// The kit's JS modules (ivxs/codes) are registered once, in hosts/linux/modules.txt.
	const kitJs = readRegistry("hosts/linux/modules.txt").filter(({ js }) => dirname(js) === commonFolder);
	// Its Linux-only files (the engines in software: ivxs_engine_linux.c) on lin alone: a board's
	// chip gives them.
	const commonLinux = common.filter(isLinuxOnly).map(stem);
	out["native/common/manifest.json"] = {
		modules: { "*": [...new Set(common.filter((f) => !isLinuxOnly(f)).map(stem))], ...Object.fromEntries(kitJs.map(({ specifier, js }) => [specifier, stem(js)])) },
		...(kitJs.length ? { preload: kitJs.map(({ specifier }) => specifier) } : {}),
		...(commonLinux.length ? { platforms: { lin: { modules: { "*": commonLinux } } } } : {}),
	};
	for (const m of modules) {
		const portable = m.sources.filter((f) => !isLinuxOnly(f)).map(stem);
		const linux = m.sources.filter(isLinuxOnly).map(stem);
		const board = allCFiles(m.folder).filter(isBoardOnly).map(stem);
		const depFile = join(root, m.folder, "dependency.esp32.json");
		const dependency = existsSync(depFile) ? { dependency: JSON.parse(readFileSync(depFile, "utf8")) } : {};
		const own = (files) => ({ modules: { "*": files, [m.specifier]: stem(m.js) }, preload: [m.specifier] });
		const only = (files) => (files.length ? { modules: { "*": files } } : null);
		const sections = Object.entries({ lin: only(linux), esp32: board.length || dependency.dependency ? { ...dependency, ...only(board) } : null }).filter(([, section]) => section);
		// Restricted to some platforms: everything in their sections; else everywhere, the Linux and
		// board files for their platforms.
		out[`${m.folder}/manifest.json`] = m.moddable
			? { platforms: Object.fromEntries(m.moddable.map((p) => [p, { ...(p === "esp32" ? dependency : {}), ...own([...portable, ...(p === "lin" ? linux : p === "esp32" ? board : [])]) }])) }
			: { ...own(portable), ...(sections.length ? { platforms: Object.fromEntries(sections) } : {}) };
	}
	// The system libraries, once, in one make word: mcconfig (8.2.3, measured) joins the LIBRARIES
	// of several manifests with a space and escapes every space when it writes the makefile, so
	// "-lmbedcrypto -lmbedcrypto" reached the linker as one library's name. -Wl,… is one word that
	// passes several. The modules with the most libraries first: their order is the link order.
	const libs = [...new Set([...modules].sort((a, b) => b.libs.length - a.libs.length).flatMap((m) => m.libs))];
	const linLibraries = libs.length > 1 ? `-Wl,${libs.join(",")}` : libs[0];
	out["native/manifest.json"] = {
		include: Object.keys(out).map((path) => `./${path.slice("native/".length)}`),
		...(linLibraries ? { platforms: { lin: { build: { LIBRARIES: linLibraries } } } } : {}),
	};
	return out;
}

// Manifests in the SDK's style: tabs, and short arrays on one line.
export function formatManifest(object) {
	return JSON.stringify(object, null, "\t").replace(/\[\n\t+("[^"\n]*",?\n\t+)*"[^"\n]*"\n\t*\]/g, (list) => {
		const flat = `[${JSON.parse(list).map((s) => JSON.stringify(s)).join(", ")}]`;
		return flat.length <= 100 ? flat : list;
	}) + "\n";
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--write")) {
	const { writeFileSync } = await import("node:fs");
	for (const [path, manifest] of Object.entries(moddableManifests())) writeFileSync(join(root, path), formatManifest(manifest));
}
