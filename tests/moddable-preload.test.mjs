// What the XS linker runs while preloading must leave nothing XS mishandles at run time. A RegExp
// made while preloading lives in flash, and Moddable's XS 8.2.3 matches with it using malloc'd
// scratch that its collector takes for a chunk: a leak per match and, when a collection falls in a
// match, a crash (the emulated ESP32-S3's LoadProhibited in fx_RegExp_prototype_exec; read in xsre.c,
// fxAllocateRegExpData). So no preloaded module may make a RegExp at its top level, except as the
// argument of protocol/pattern's `pattern(…)`, which matches with a copy made at run time.
// And Moddable freezes the built-in prototypes, Error.prototype among them: `this.name = "…"` in an
// error class's constructor throws ("set name: not writable", the override mistake) and turns a clear
// refusal into a TypeError — so an error class names itself with a field (a definition), never an
// assignment (modules/net/errors.ts).
// The modules are compiled as the SDK's tsc compiles them (hosts/moddable/sdk-tsc.json), so the check
// reads the JavaScript the linker runs.
import test from "ava";
import { parse } from "acorn";
import { ancestor } from "acorn-walk";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { root } from "./_host.mjs";
import { platforms, rootManifest, sdkTsconfig } from "./_moddable.mjs";
import { isSdk, modulesFor, preloadedFor } from "../scripts/moddable-manifest.mjs";

const tsc = join(root, "node_modules/typescript/bin/tsc");
const functions = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/** A module's syntax tree. XS's host functions (`function f() @ "xs_f";`) are not JavaScript: each
 * becomes an empty body of the same length, so positions stay the source's. */
function moduleTree(source) {
	const js = source.replace(/\)\s*@\s*"[^"]*"/g, (m) => ") {}" + " ".repeat(m.length - 4));
	return parse(js, { ecmaVersion: "latest", sourceType: "module", locations: true });
}

// Where a module makes a RegExp that the linker would run: [line, what].
export function preloadedRegExps(source, tree = moduleTree(source)) {
	const found = [];
	const isRegExp = (node) => (node.type === "Literal" && node.regex)
		|| ((node.type === "NewExpression" || node.type === "CallExpression") && node.callee.type === "Identifier" && node.callee.name === "RegExp");
	const visit = (node, ancestors) => {
		if (!isRegExp(node)) return;
		const outer = ancestors.slice(0, -1);
		// Made when a function runs, or a class instance is made: at run time.
		if (outer.some((a) => functions.has(a.type) || (a.type === "PropertyDefinition" && !a.static))) return;
		const parent = outer.at(-1);
		if (parent?.type === "CallExpression" && parent.callee.type === "Identifier" && parent.callee.name === "pattern" && parent.arguments.includes(node)) return;
		found.push([node.loc.start.line, source.slice(node.start, Math.min(node.end, node.start + 60))]);
	};
	ancestor(tree, { Literal: visit, NewExpression: visit, CallExpression: visit });
	return found;
}

// Where a class with a superclass assigns its instance's name or message: [line, what].
export function frozenOverrides(source, tree = moduleTree(source)) {
	const found = [];
	ancestor(tree, {
		AssignmentExpression(node, ancestors) {
			const { left } = node;
			if (left.type !== "MemberExpression" || left.object.type !== "ThisExpression" || left.computed || !["name", "message"].includes(left.property.name)) return;
			const owner = ancestors.findLast((a) => a.type === "ClassDeclaration" || a.type === "ClassExpression");
			if (owner?.superClass) found.push([node.loc.start.line, source.slice(node.start, node.end)]);
		},
	});
	return found;
}

test("the check finds an error class that assigns its name, and lets fields and other classes be", (t) => {
	const found = frozenOverrides([
		"class A extends Error { constructor(m) { super(m); this.name = 'A'; } }",
		"class B extends Error { name = 'B'; }",
		"class C { constructor() { this.name = 'c'; } }",
		"class D extends A { constructor() { super(); this.message = 'd'; } }",
	].join("\n")).map(([line]) => line);
	t.deepEqual(found, [1, 4]);
});

test("the check finds top-level RegExps, and lets functions' and pattern()'s be", (t) => {
	const found = preloadedRegExps([
		"const A = /a/;", "const B = new RegExp('b');", "class C { static d = /d/; e = /e/; }",
		"const F = pattern(/f/);", "function g(s) { return /g/.test(s); }", "const h = (s) => /h/.test(s);",
		"const I = { i: /i/ };", "class J { k() @ \"xs_k\"; }",
	].join("\n")).map(([line]) => line);
	t.deepEqual(found, [1, 2, 3, 7]);
});

for (const platform of platforms) {
	test(`-p ${platform}: no preloaded module makes a RegExp outside pattern(), or assigns over a frozen prototype's name`, async (t) => {
		const preloaded = preloadedFor(rootManifest, ".", platform);
		const config = sdkTsconfig(rootManifest, ".", platform);
		const temp = mkdtempSync(join(tmpdir(), "ivxs-preload-"));
		t.teardown(() => rmSync(temp, { recursive: true, force: true }));
		const out = join(temp, "out");
		config.compilerOptions = { ...config.compilerOptions, noEmit: false, outDir: out, rootDir: root, noEmitOnError: false };
		writeFileSync(join(temp, "tsconfig.json"), JSON.stringify(config));
		// Type errors are moddable-tsc.test.mjs's to report; the JavaScript is emitted regardless.
		await promisify(execFile)(process.execPath, [tsc, "-p", join(temp, "tsconfig.json"), "--pretty", "false"], { cwd: root }).catch(() => {});
		const problems = [];
		for (const file of preloaded) {
			const rel = relative(root, file);
			const js = file.endsWith(".ts") ? join(out, rel.replace(/\.ts$/, ".js")) : file;
			const text = readFileSync(file, "utf8");
			const compiled = readFileSync(js, "utf8");
			const tree = moduleTree(compiled);
			for (const [line, what] of frozenOverrides(compiled, tree)) problems.push(`${rel}:${line} (compiled): ${what}: an error class names itself with a field`);
			for (const [line, what] of preloadedRegExps(compiled, tree)) {
				const at = text.indexOf(what);   // the literal as written, else the compiled line
				problems.push(`${rel}:${at < 0 ? `${line} (compiled)` : text.slice(0, at).split("\n").length}: ${what}`);
			}
		}
		t.true(preloaded.size > 100, `${preloaded.size} preloaded modules read`);
		t.deepEqual(problems, [], `what XS mishandles in preloaded modules:\n${problems.join("\n")}`);
	});
}

// mcconfig 8.2.3 matches a wildcard preload entry ("media/*") against the manifest's JavaScript
// modules only (tools/mcconfig.js filterPreload walks jsFiles, not tsFiles): with wildcards, none of
// the TypeScript layer was preloaded on a board or in mcsim, except what a named preloaded module
// imports — cs/*, snapshot/* and the rest were loaded into the XS heap at run time (in mcsim ~6,600
// more live slots than the Linux host, which expands the wildcards itself). So a TypeScript module
// is preloaded by its name, and every one of a folder the module map takes whole is named.
test("every TypeScript module of a folder the manifest maps whole is named in its preload list (no wildcard)", (t) => {
	const modules = modulesFor(rootManifest, ".", "lin");
	const named = new Set(rootManifest.preload);
	const missing = [], wildcards = [];
	for (const [specifier, path] of Object.entries(modules)) {
		if (!specifier.endsWith("/*") || isSdk(path) || !relative(root, path).startsWith("modules/")) continue;
		const folder = specifier.slice(0, -1);
		const names = readdirSync(path.slice(0, -1)).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => folder + f.slice(0, -3));
		t.true(names.length > 0, specifier);
		missing.push(...names.filter((name) => !named.has(name)));
		if (named.has(specifier)) wildcards.push(specifier);
	}
	t.deepEqual(wildcards, [], "mcconfig ignores these for TypeScript modules");
	t.deepEqual(missing, [], "not preloaded on Moddable builds");
});
