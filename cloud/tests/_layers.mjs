// Helpers of layers.test.mjs. The cloud's layers (cloud/README.md, "Layers"), checked by reading the
// imports of cloud/src: a module imports from its own layer or below, never
// above, and a part never imports another folder's part. context.ts is the
// seam: the shape of what the server gives its parts, so it may name the types
// of any layer and every module may import it.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const layers = ["base", "catalogue", "domain", "parts", "service"];
const base = [/^config\.ts$/, /^context\.ts$/, /^meta\//, /^storage\//, /^media\//, /^http\//, /^net\//, /^ops\/metrics\.ts$/];
const service = [/^[a-z-]+\.ts$/, /\/commands\.ts$/];

export function files(dir) {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
		entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []);
}

/** The layer of a module, by its path and, for parts, by what it does: installs a part or declares routes. */
export function layerOf(path, text) {
	if (base.some((pattern) => pattern.test(path))) return "base";
	if (path.startsWith("catalogue/")) return "catalogue";
	if (service.some((pattern) => pattern.test(path))) return "service";
	if (/^export (async )?function install\b/m.test(text) || /\brouter\.add\(/.test(text)) return "parts";
	return "domain";
}

/** Every relative import of every module: { from, to, typeOnly }. */
export function importsOf(root) {
	const edges = [];
	for (const file of files(root)) {
		const text = readFileSync(file, "utf8");
		for (const match of text.matchAll(/^(import|export)\s+(type\s+)?(?:[^"';]*?\s+from\s+)?"(\.[^"]+)"/gms)) {
			const to = relative(root, resolve(dirname(file), match[3])).replace(/\.js$/, ".ts");
			edges.push({ from: relative(root, file), to, typeOnly: !!match[2] });
		}
	}
	return edges;
}

export function violations(root) {
	const layer = new Map(files(root).map((file) => [relative(root, file), layerOf(relative(root, file), readFileSync(file, "utf8"))]));
	const found = [];
	for (const { from, to, typeOnly } of importsOf(root)) {
		if (to === "context.ts" || (from === "context.ts" && typeOnly)) continue;
		const a = layers.indexOf(layer.get(from)), b = layers.indexOf(layer.get(to));
		if (b > a) found.push(`${from} (${layer.get(from)}) imports ${to} (${layer.get(to)})`);
		else if (a === b && layer.get(from) === "parts" && dirname(from) !== dirname(to)) found.push(`${from} imports another part, ${to}`);
	}
	return found;
}

