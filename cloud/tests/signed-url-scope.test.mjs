// A signed URL opens GET (and HEAD) of the viewer's media, pictures and lists,
// nothing else: not a state-changing route, not an admin route, not another
// method — a playback link handed to a player is never an API credential.
import test from "ava";
import { cloudFor, deviceIn, json } from "./_cloud.mjs";
import { signUrl, verifySignedUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { addUser, grantDevice, listUsers } from "../../build/node/cloud/src/users/store.js";
import { findDevice } from "../../build/node/cloud/src/devices/registry.js";

const admin = { user: "admin", admin: true };
const alice = { user: "alice", admin: false };

async function setUp(t) {
	const cloud = await cloudFor(t, { adminPassword: "first-secret-1" });
	await deviceIn(cloud, "cam1");
	await addUser(cloud.ctx.sql, "alice", "alice-password");
	await grantDevice(cloud.ctx.sql, "alice", "cam1");
	return cloud;
}

const refusal = /a signed URL opens only GET\/HEAD of the viewer's media, pictures and lists/;

test("a signed URL is refused on routes that change something, whoever signed it", async (t) => {
	const cloud = await setUp(t);
	const send = (method, path, viewer, body) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, viewer)}`, body === undefined ? { method } : json(body, { method }));
	for (const [method, path, viewer, body] of [
		["POST", "/v1/tokens", alice, undefined],
		["PUT", "/v1/me/password", alice, { current: "alice-password", password: "taken-over-1" }],
		["PUT", "/v1/devices/cam1/plan", alice, { mode: "none" }],
		["POST", "/v1/users", admin, { name: "mallory", password: "mallory-password", admin: true }],
		["DELETE", "/v1/devices/cam1", admin, undefined],
		["PUT", "/v1/users/alice/devices/cam1", admin, undefined],
		["POST", "/v1/sign", alice, { path: "/v1/hls/cam1/0/live.m3u8" }],
	]) {
		const response = await send(method, path, viewer, body);
		t.is(response.status, 403, `${method} ${path}`);
		t.regex((await response.json()).error, refusal, `${method} ${path}`);
	}
	t.deepEqual((await listUsers(cloud.ctx.sql)).map((user) => user.name), ["admin", "alice"], "no user was created");
	t.truthy(await findDevice(cloud.ctx.sql, "cam1"), "the device is still there");
	t.is(cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM tokens").get().n, 0, "no token was made");
});

test("a signed URL is refused on GET routes that are not the viewer's media: admin lists, devices, plans, who am I", async (t) => {
	const cloud = await setUp(t);
	for (const [path, viewer] of [["/v1/users", admin], ["/v1/devices", alice], ["/v1/devices/cam1", alice], ["/v1/devices/cam1/plan", alice], ["/v1/me", alice], ["/v1/devices/cam1/gaps", alice]]) {
		const response = await fetch(`${cloud.url}${signUrl(cloud.ctx, path, viewer)}`);
		t.is(response.status, 403, path);
		t.regex((await response.json()).error, refusal, path);
	}
});

test("a GET-signed URL also answers HEAD (the same resource without its body); the method is in the MAC", async (t) => {
	const cloud = await setUp(t);
	const path = "/v1/recordings/cam1/0/list";
	const signed = signUrl(cloud.ctx, path, alice);
	t.is((await fetch(`${cloud.url}${signed}`)).status, 200);
	const head = await fetch(`${cloud.url}${signed}`, { method: "HEAD" });
	t.is(head.status, 200);
	t.is(await head.text(), "");
	// No route takes another method on a viewer path (405 before any credential is read) ...
	t.is((await fetch(`${cloud.url}${signed}`, { method: "POST" })).status, 405);
	// ... and were one added, the signature would not carry over: it covers GET only.
	const url = new URL(signed, "http://local");
	t.deepEqual(verifySignedUrl(cloud.ctx, "GET", url), { ...alice, linkEpoch: 0 });
	t.deepEqual(verifySignedUrl(cloud.ctx, "HEAD", url), { ...alice, linkEpoch: 0 });
	for (const method of ["POST", "PUT", "DELETE", "PATCH", "get"]) {
		const error = t.throws(() => verifySignedUrl(cloud.ctx, method, url), undefined, method);
		t.is(error.status, 403, method);
		t.regex(error.message, /does not match its method, path/, method);
	}
});

test("the console's session and API tokens are unaffected: the same routes answer them", async (t) => {
	const cloud = await setUp(t);
	const signIn = await fetch(`${cloud.url}/v1/session`, json({ user: "alice", password: "alice-password" }, { method: "POST" }));
	const cookie = signIn.headers.get("set-cookie").split(";")[0];
	t.is((await fetch(`${cloud.url}/v1/devices/cam1`, { headers: { cookie } })).status, 200);
	t.is((await fetch(`${cloud.url}/v1/tokens`, { method: "POST", headers: { cookie } })).status, 201);
});
