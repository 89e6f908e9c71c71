// Cross-site requests: a page of a sibling subdomain must not drive the
// console's session. JSON bodies must say they are JSON (a form can post
// text/plain without the browser asking anyone), and a state-changing request
// a browser marks as coming from another origin is refused. Cameras (signed
// requests, no cookie) and scripts (no Origin) are not affected.
import test from "ava";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { signRequest } from "../../build/node/cloud/sim/sign.js";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { findUser } from "../../build/node/cloud/src/users/store.js";

const adminPassword = "admin-secret-1";
const sibling = "https://evil.cloud.example";
const newAdmin = (name) => JSON.stringify({ name, password: "mallory-password", admin: true });

async function signedIn(t, overrides = {}) {
	const cloud = await cloudFor(t, { adminPassword, ...overrides });
	const { cookie } = await session(cloud, "admin", adminPassword);
	return { cloud, cookie };
}

test("a text/plain form post with the admin's cookie creates no admin (415), whatever its origin", async (t) => {
	const { cloud, cookie } = await signedIn(t);
	// What <form enctype="text/plain"> sends: a body that happens to parse as JSON.
	for (const headers of [{ "content-type": "text/plain" }, { "content-type": "text/plain", origin: cloud.url }, {}, { "content-type": "application/x-www-form-urlencoded" }, { "content-type": "application/jsonp" }]) {
		const response = await fetch(`${cloud.url}/v1/users`, { method: "POST", headers: { cookie, ...headers }, body: newAdmin("mallory") });
		t.is(response.status, 415, JSON.stringify(headers));
		t.regex((await response.json()).error, /Content-Type: application\/json/);
	}
	t.is(await findUser(cloud.ctx.sql, "mallory"), undefined);
	// Every JSON route: sign-in, plans, devices, sign, passwords.
	for (const [method, path] of [["POST", "/v1/session"], ["PUT", "/v1/me/password"], ["POST", "/v1/devices"], ["POST", "/v1/sign"]])
		t.is((await fetch(`${cloud.url}${path}`, { method, headers: { cookie, "content-type": "text/plain" }, body: "{}" })).status, 415, `${method} ${path}`);
});

test("a state-changing request from another origin is refused (403), JSON or not; the same origin is served", async (t) => {
	const { cloud, cookie } = await signedIn(t);
	const post = (headers, name) => fetch(`${cloud.url}/v1/users`, { method: "POST", headers: { cookie, "content-type": "application/json", ...headers }, body: newAdmin(name) });
	for (const headers of [
		{ origin: sibling },
		{ origin: sibling, "sec-fetch-site": "same-site" },
		{ "sec-fetch-site": "same-site" },
		{ "sec-fetch-site": "cross-site" },
		{ origin: "null" },
		{ origin: cloud.url.replace("127.0.0.1", "localhost") },
		{ origin: cloud.url, "sec-fetch-site": "cross-site" },
	]) {
		const response = await post(headers, "mallory");
		t.is(response.status, 403, JSON.stringify(headers));
		t.regex((await response.json()).error, /cross-site request refused/);
	}
	t.is(await findUser(cloud.ctx.sql, "mallory"), undefined);
	// State changes without a body are covered by the origin alone: a token made, a device removed.
	await deviceIn(cloud, "cam1");
	t.is((await fetch(`${cloud.url}/v1/tokens`, { method: "POST", headers: { cookie, origin: sibling } })).status, 403);
	t.is((await fetch(`${cloud.url}/v1/devices/cam1`, { method: "DELETE", headers: { cookie, origin: sibling, "sec-fetch-site": "same-site" } })).status, 403);
	t.is(cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM tokens").get().n, 0);
	t.is(cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM devices").get().n, 1);
	// Sign-out and sign-in from another origin are refused too (no forced sign-in into another account).
	t.is((await fetch(`${cloud.url}/v1/session`, { method: "DELETE", headers: { cookie, origin: sibling } })).status, 403);
	t.is((await fetch(`${cloud.url}/v1/session`, { method: "POST", headers: { origin: sibling, "content-type": "application/json" }, body: JSON.stringify({ user: "admin", password: adminPassword }) })).status, 403);
	// The console's own requests: same origin (a browser sends Origin on every POST), or no Origin at all (a script).
	t.is((await post({ origin: cloud.url, "sec-fetch-site": "same-origin" }, "ann")).status, 201);
	t.is((await post({}, "bob")).status, 201);
	t.is((await post({ "sec-fetch-site": "none" }, "cy")).status, 201);
	// Reading is not state-changing: a cross-origin GET is answered (the browser does not let that page read it).
	t.is((await fetch(`${cloud.url}/v1/me`, { headers: { cookie, origin: sibling, "sec-fetch-site": "same-site" } })).status, 200);
});

test("an origin in allowedOrigins may send state-changing requests; others still may not", async (t) => {
	const console = "https://console.example.com";
	const { cloud, cookie } = await signedIn(t, { allowedOrigins: [console] });
	const post = (origin, site, name) => fetch(`${cloud.url}/v1/users`, { method: "POST", headers: { cookie, "content-type": "application/json", origin, "sec-fetch-site": site }, body: newAdmin(name) });
	t.is((await post(console, "cross-site", "ann")).status, 201);
	t.is((await post(sibling, "same-site", "mallory")).status, 403);
});

test("behind a proxy that rewrites Host, the origin of publicUrl is the service's own", async (t) => {
	const { cloud, cookie } = await signedIn(t, { publicUrl: "https://cams.example.com/" });
	const post = (origin, name) => fetch(`${cloud.url}/v1/users`, { method: "POST", headers: { cookie, "content-type": "application/json", origin, "sec-fetch-site": "same-origin" }, body: newAdmin(name) });
	t.is((await post("https://cams.example.com", "ann")).status, 201);
	t.is((await post("https://evil.example.com", "mallory")).status, 403);
});

test("allowedOrigins must be origins; publicUrl an http(s) URL", async (t) => {
	await t.throwsAsync(cloudFor(t, { publicUrl: "cams.example.com" }), { message: /publicUrl must be an http\(s\) URL/ });
	for (const bad of [["https://console.example.com/"], ["console.example.com"], ["ftp://x.example"], "https://a.example"])
		await t.throwsAsync(cloudFor(t, { allowedOrigins: bad }), { message: /allowedOrigins must be a list of origins/ }, JSON.stringify(bad));
});

test("cameras are not affected: signed uploads carry no Origin, and a device route does not look at it", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud, "cam1");
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 2, speed: 0, video: true, audio: false });
	const stats = await camera.run();
	t.true(stats.stored > 0);
	t.is(stats.refused, 0);
	// Even a signed request that (oddly) says it comes from a page is the device's own.
	const path = "/v1/devices/cam1/channels/0/streams/other/end";
	const signed = signRequest({ device: device.id, key: device.secret, method: "POST", path, body: "" });
	const ended = await fetch(`${cloud.url}${path}`, { method: "POST", headers: { ...signed.headers, origin: sibling, "sec-fetch-site": "cross-site" } });
	t.is(ended.status, 404, "reached the route: no such stream");
});
