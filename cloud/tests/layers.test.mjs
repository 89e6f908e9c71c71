// The cloud's layers (cloud/README.md, "Layers"), checked by reading the
// imports of cloud/src (the rules: _layers.mjs).
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importsOf, layerOf, violations } from "./_layers.mjs";

const src = join(import.meta.dirname, "../src");

test("no module of cloud/src imports from a layer above its own, nor a part from another part", (t) => {
	const edges = importsOf(src);
	t.true(edges.length > 100, `${edges.length} imports read`);
	t.deepEqual(violations(src), []);
});

test("the layers are what the README says: each folder's modules sit where expected", (t) => {
	const layer = (path) => layerOf(path, readFileSync(join(src, path), "utf8"));
	t.is(layer("meta/db.ts"), "base");
	t.is(layer("http/router.ts"), "base");
	t.is(layer("catalogue/segments.ts"), "catalogue");
	t.is(layer("recordings/assemble.ts"), "domain");
	t.is(layer("ingest/routes.ts"), "parts");
	t.is(layer("recordings/index.ts"), "parts");
	t.is(layer("server.ts"), "service");
	t.is(layer("devices/commands.ts"), "service");
});
