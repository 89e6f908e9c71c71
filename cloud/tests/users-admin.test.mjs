import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";

const cli = join(import.meta.dirname, "../../build/node/cloud/src/cli.js");

test("admins manage users and grants over HTTP; a user sees what was granted, and nothing else", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "admin-secret-1" });
	await deviceIn(cloud, "cam-1");
	await deviceIn(cloud, "cam-2");
	const admin = await session(cloud, "admin", "admin-secret-1");
	const created = await admin.call("/v1/users", { method: "POST", body: { name: "eve", password: "eve-password" } });
	t.is(created.status, 201);
	t.like(await created.json(), { name: "eve", admin: false, devices: [] });
	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "eve", password: "eve-password" } })).status, 409);
	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "x y", password: "eve-password" } })).status, 400);
	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "bob", password: "short" } })).status, 400);
	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "bob", password: "bob-password", admin: "yes" } })).status, 400);
	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "bob", password: "bob-password", role: "x" } })).status, 400);
	t.is((await admin.call("/v1/users/eve/devices/cam-2", { method: "PUT" })).status, 204);
	t.is((await admin.call("/v1/users/eve/devices/cam-9", { method: "PUT" })).status, 404);
	t.is((await admin.call("/v1/users/nobody/devices/cam-2", { method: "PUT" })).status, 404);
	t.deepEqual((await (await admin.call("/v1/users")).json()).users.map((u) => [u.name, u.admin, u.devices]), [["admin", true, []], ["eve", false, ["cam-2"]]]);
	const eve = await session(cloud, "eve", "eve-password");
	t.deepEqual((await (await eve.call("/v1/devices")).json()).devices.map((d) => d.id), ["cam-2"]);
	t.is((await eve.call("/v1/users")).status, 403);
	t.is((await eve.call("/v1/users", { method: "POST", body: { name: "mallory", password: "mallory-password", admin: true } })).status, 403);
	t.is((await eve.call("/v1/users/eve/devices/cam-1", { method: "PUT" })).status, 403);
	// Her own API token.
	const token = await (await eve.call("/v1/tokens", { method: "POST" })).json();
	t.like(token, { user: "eve" });
	t.deepEqual(await (await fetch(`${cloud.url}/v1/me`, { headers: { authorization: `Bearer ${token.token}` } })).json(), { user: "eve", admin: false });
	// Revoking and removing.
	t.is((await admin.call("/v1/users/eve/devices/cam-2", { method: "DELETE" })).status, 204);
	t.is((await admin.call("/v1/users/eve/devices/cam-2", { method: "DELETE" })).status, 404);
	t.deepEqual((await (await eve.call("/v1/devices")).json()).devices, []);
	t.is((await admin.call("/v1/users/admin", { method: "DELETE" })).status, 400);
	t.is((await admin.call("/v1/users/eve", { method: "DELETE" })).status, 204);
	t.is((await eve.call("/v1/me")).status, 401);
	t.is((await fetch(`${cloud.url}/v1/me`, { headers: { authorization: `Bearer ${token.token}` } })).status, 401);
	t.is((await admin.call("/v1/users/eve", { method: "DELETE" })).status, 404);
});

test("changing one's password needs the current one and ends the other sessions; the CLI resets a forgotten one", async (t) => {
	const data = mkdtempSync(join(tmpdir(), "ivxs-users-admin-"));
	t.teardown(() => rmSync(data, { recursive: true, force: true }));
	const cloud = await cloudFor(t, { adminPassword: "admin-secret-1", dataDir: data });
	const laptop = await session(cloud, "admin", "admin-secret-1");
	const phone = await session(cloud, "admin", "admin-secret-1");
	t.is((await laptop.call("/v1/me/password", { method: "PUT", body: { current: "wrong-password", password: "new-secret-22" } })).status, 403);
	t.is((await laptop.call("/v1/me/password", { method: "PUT", body: { current: "admin-secret-1", password: "short" } })).status, 400);
	t.is((await laptop.call("/v1/me/password", { method: "PUT", body: { password: "new-secret-22" } })).status, 400);
	t.is((await laptop.call("/v1/me/password", { method: "PUT", body: { current: "admin-secret-1", password: "new-secret-22" } })).status, 204);
	t.is((await laptop.call("/v1/me")).status, 200);
	t.is((await phone.call("/v1/me")).status, 401);
	t.is((await session(cloud, "admin", "admin-secret-1")).status, 401);
	t.is((await session(cloud, "admin", "new-secret-22")).status, 200);
	// Forgotten: reset from the CLI on the same data folder (all sessions end).
	const out = JSON.parse(execFileSync(process.execPath, [cli, "user", "password", "admin", "--data", data], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
	t.is(out.user, "admin");
	t.is((await laptop.call("/v1/me")).status, 401);
	t.is((await session(cloud, "admin", out.password)).status, 200);
	t.is(spawnSync(process.execPath, [cli, "user", "password", "nobody", "--data", data]).status, 1);
	t.is(spawnSync(process.execPath, [cli, "user", "remove", "nobody", "--data", data]).status, 1);
});
