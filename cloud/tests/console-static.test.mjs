// The console's files as the service serves them: the right types, caching
// that revalidates, gzip, hls.js from its package, and nothing but the
// console's own files (no path out of cloud/console, however it is spelled).
import test from "ava";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { cloudFor } from "./_cloud.mjs";

// fetch() would normalise "..": a raw request sends the path exactly as written.
function raw(cloud, path, { method = "GET", headers = {} } = {}) {
	return new Promise((resolve, reject) => {
		const req = request({ host: "127.0.0.1", port: cloud.port, path, method, headers }, (res) => {
			const chunks = [];
			res.on("data", (chunk) => chunks.push(chunk));
			res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
		});
		req.on("error", reject);
		req.end();
	});
}

test("the console page is served at / and /console with a strict content security policy", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "static-admin-password" });
	for (const path of ["/", "/console", "/console/", "/console/index.html"]) {
		const res = await raw(cloud, path);
		t.is(res.status, 200, path);
		t.is(res.headers["content-type"], "text/html; charset=utf-8", path);
		t.is(res.body.toString(), readFileSync("cloud/console/index.html", "utf8"), path);
		t.regex(res.headers["content-security-policy"], /script-src 'self'(;|$)/);
		t.regex(res.headers["content-security-policy"], /frame-ancestors 'none'/);
		t.is(res.headers["referrer-policy"], "no-referrer");
		t.is(res.headers["x-content-type-options"], "nosniff");
		t.is(res.headers["cache-control"], "no-cache");
	}
});

test("scripts, styles and images get their content types; hls.js comes from its npm package", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "static-admin-password" });
	const cases = [
		["/console/app.js", "text/javascript; charset=utf-8", "cloud/console/app.js"],
		["/console/lib/player.js", "text/javascript; charset=utf-8", "cloud/console/lib/player.js"],
		["/console/console.css", "text/css; charset=utf-8", "cloud/console/console.css"],
		["/console/icon.svg", "image/svg+xml", "cloud/console/icon.svg"],
		["/vendor/hls.min.js", "text/javascript; charset=utf-8", "node_modules/hls.js/dist/hls.min.js"],
	];
	for (const [path, type, file] of cases) {
		const res = await raw(cloud, path);
		t.is(res.status, 200, path);
		t.is(res.headers["content-type"], type, path);
		t.deepEqual(res.body, readFileSync(file), path);
		t.is(Number(res.headers["content-length"]), res.body.length, path);
	}
	t.is((await raw(cloud, "/vendor/hls.min.js")).headers["cache-control"], "public, max-age=86400");
	const head = await raw(cloud, "/console/app.js", { method: "HEAD" });
	t.is(head.status, 200);
	t.is(head.body.length, 0);
	t.is(Number(head.headers["content-length"]), readFileSync("cloud/console/app.js").length);
});

test("a client with the current copy gets 304; gzip when accepted, the same bytes once unpacked", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "static-admin-password" });
	const first = await raw(cloud, "/vendor/hls.min.js");
	t.regex(first.headers.etag, /^"[A-Za-z0-9_-]{27}"$/);
	const again = await raw(cloud, "/vendor/hls.min.js", { headers: { "if-none-match": first.headers.etag } });
	t.is(again.status, 304);
	t.is(again.body.length, 0);
	t.is((await raw(cloud, "/vendor/hls.min.js", { headers: { "if-none-match": '"other"' } })).status, 200);
	const packed = await raw(cloud, "/vendor/hls.min.js", { headers: { "accept-encoding": "br, gzip;q=0.8" } });
	t.is(packed.headers["content-encoding"], "gzip");
	t.is(packed.headers.vary, "accept-encoding");
	t.true(packed.body.length < first.body.length / 2, `${packed.body.length} of ${first.body.length}`);
	t.deepEqual(gunzipSync(packed.body), first.body);
	t.is((await raw(cloud, "/vendor/hls.min.js", { headers: { "accept-encoding": "gzip;q=0" } })).headers["content-encoding"], undefined);
});

test("no path leads out of the console's files", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "static-admin-password" });
	const tries = [
		"/console/../package.json", "/console/%2e%2e/package.json", "/console/..%2fpackage.json",
		"/console/%2e%2e%2fpackage.json", "/console/lib/../../package.json", "/console/..\\package.json",
		"/console//etc/passwd", "/console/%2fetc%2fpasswd", "/console/lib/%2e%2e/%2e%2e/%2e%2e/package.json",
		"/vendor/hls.js", "/vendor/../node_modules/hls.js/package.json", "/console/nope.js", "/console/lib",
		"/console/index.html%00.js", "/console/.gitignore", "/package.json", "/cloud/console/app.js",
	];
	for (const path of tries) {
		const res = await raw(cloud, path);
		t.true(res.status === 404 || res.status === 400, `${path} → ${res.status}`);
		t.false(res.body.includes('"name": "ivxs"'), path);
		t.false(res.body.includes("root:"), path);
	}
	t.is((await raw(cloud, "/console/app.js", { method: "POST" })).status, 405);
});
