// The static file table on its own (cloud/src/console/static-files.ts): what
// the folder walk admits, and that an edited file is served fresh (new bytes,
// new ETag) while an unchanged one answers 304.
import test from "ava";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sendFile, typeOf, walk } from "../../build/node/cloud/src/console/static-files.js";

function folder(t) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-console-files-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

test("the walk lists regular files by URL path, skipping dot files and symlinks", (t) => {
	const dir = folder(t);
	mkdirSync(join(dir, "lib"));
	writeFileSync(join(dir, "index.html"), "<!doctype html>");
	writeFileSync(join(dir, "lib", "a.js"), "export {}");
	writeFileSync(join(dir, ".secret"), "no");
	symlinkSync("/etc/passwd", join(dir, "passwd.txt"));
	symlinkSync("/etc", join(dir, "etc"));
	t.deepEqual(walk(dir).map(([name]) => name), ["index.html", "lib/a.js"]);
	t.is(typeOf("x/app.JS"), "text/javascript; charset=utf-8");
	t.is(typeOf("x/app.exe"), undefined);
});

test("an edited file is served with its new bytes and a new ETag; the old ETag no longer matches", async (t) => {
	const dir = folder(t);
	const path = join(dir, "app.js");
	writeFileSync(path, "console.log(1)");
	const file = { path, type: "text/javascript; charset=utf-8", cache: "no-cache" };
	const server = createServer((req, res) => sendFile(req, res, file));
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	t.teardown(() => server.close());
	const url = `http://127.0.0.1:${server.address().port}/`;
	const first = await fetch(url);
	t.is(await first.text(), "console.log(1)");
	const etag = first.headers.get("etag");
	t.is((await fetch(url, { headers: { "if-none-match": etag } })).status, 304);
	writeFileSync(path, "console.log(22)");
	utimesSync(path, new Date(), new Date(Date.now() + 5000));
	const second = await fetch(url, { headers: { "if-none-match": etag } });
	t.is(second.status, 200);
	t.is(await second.text(), "console.log(22)");
	t.not(second.headers.get("etag"), etag);
});
