import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn, engines, json, onEngine } from "./_cloud.mjs";
import { addToken, addUser, grantDevice } from "../../build/node/cloud/src/users/store.js";
import { requireDeviceAccess, viewerOf } from "../../build/node/cloud/src/users/access.js";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { revokeDevice } from "../../build/node/cloud/src/users/store.js";

const cli = join(import.meta.dirname, "../../build/node/cloud/src/cli.js");

const signIn = (cloud, user, password) => fetch(`${cloud.url}/v1/session`, {
	method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user, password }),
});

test("first start creates admin with the configured password; sign in sets an HttpOnly SameSite=Strict cookie; sign out ends it", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "first-secret-1" });
	t.is((await fetch(`${cloud.url}/v1/me`)).status, 401);
	const wrong = await signIn(cloud, "admin", "not-the-password");
	t.is(wrong.status, 401);
	t.regex((await wrong.json()).error, /wrong user name or password/);
	t.is((await signIn(cloud, "nobody", "first-secret-1")).status, 401);
	const ok = await signIn(cloud, "admin", "first-secret-1");
	t.is(ok.status, 200);
	t.deepEqual(await ok.json(), { user: "admin", admin: true });
	const setCookie = ok.headers.get("set-cookie");
	t.regex(setCookie, /^ivxs_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
	const cookie = setCookie.split(";")[0];
	t.deepEqual(await (await fetch(`${cloud.url}/v1/me`, { headers: { cookie } })).json(), { user: "admin", admin: true });
	// The database holds a hash of the session id, not the id.
	t.falsy(cloud.ctx.sql.db.prepare("SELECT 1 FROM sessions WHERE hash = ?").get(cookie.split("=")[1]));
	const out = await fetch(`${cloud.url}/v1/session`, { method: "DELETE", headers: { cookie } });
	t.is(out.status, 204);
	t.regex(out.headers.get("set-cookie"), /Max-Age=0/);
	const after = await fetch(`${cloud.url}/v1/me`, { headers: { cookie } });
	t.is(after.status, 401);
	t.regex((await after.json()).error, /sign in again/);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_auth_failures_total\{kind="password"\} 2/);
});

test("bad sign-in bodies are 400s; passwords are stored as scrypt hashes", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "first-secret-1" });
	for (const body of ["nope", "[]", JSON.stringify({ user: "admin" }), JSON.stringify({ user: 1, password: "x" })]) {
		const res = await fetch(`${cloud.url}/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body });
		t.is(res.status, 400, body);
	}
	t.regex(cloud.ctx.sql.db.prepare("SELECT hash FROM users WHERE name = 'admin'").get().hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}$/);
});

for (const metadata of engines) test(onEngine(metadata, "API tokens and grants: a user sees only granted devices, admin sees all"), async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "first-secret-1", metadata });
	const mine = await deviceIn(cloud, "cam-mine"), other = await deviceIn(cloud, "cam-other");
	await addUser(cloud.ctx.sql, "alice", "alice-password");
	await grantDevice(cloud.ctx.sql, "alice", mine.id);
	const token = await addToken(cloud.ctx.sql, "alice");
	t.regex(token, /^ivxs_[A-Za-z0-9_-]{43}$/);
	t.deepEqual(await (await fetch(`${cloud.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).json(), { user: "alice", admin: false });
	const bad = await fetch(`${cloud.url}/v1/me`, { headers: { authorization: "Bearer ivxs_forged" } });
	t.is(bad.status, 401);
	t.is((await fetch(`${cloud.url}/v1/me`, { headers: { authorization: "Basic YTpi" } })).status, 401);
	const req = { headers: { authorization: `Bearer ${token}` } };
	const viewer = await viewerOf(cloud.ctx, req, new URL("http://x/"));
	t.is((await requireDeviceAccess(cloud.ctx, viewer, mine.id)).id, mine.id);
	await t.throwsAsync(() => requireDeviceAccess(cloud.ctx, viewer, other.id), { message: /not granted/, instanceOf: Error });
	t.is((await t.throwsAsync(() => requireDeviceAccess(cloud.ctx, viewer, other.id))).status, 403);
	t.is((await t.throwsAsync(() => requireDeviceAccess(cloud.ctx, viewer, "cam-none"))).status, 404);
	t.is((await requireDeviceAccess(cloud.ctx, { user: "admin", admin: true }, other.id)).id, other.id);
});

test("CLI: user add / grant / token add; first start prints a random admin password once", (t) => {
	const data = mkdtempSync(join(tmpdir(), "ivxs-users-"));
	t.teardown(() => rmSync(data, { recursive: true, force: true }));
	const run = (...args) => spawnSync(process.execPath, [cli, ...args, "--data", data], { encoding: "utf8" });
	execFileSync(process.execPath, [cli, "device", "add", "cam1", "--data", data], { stdio: "ignore" });
	const added = JSON.parse(run("user", "add", "bob").stdout);
	t.is(added.user, "bob");
	t.true(added.password.length >= 16);
	t.is(run("user", "add", "bob").status, 1);
	t.is(run("user", "add", "carol", "--admin", "--password", "carol-secret").status, 0);
	t.is(run("user", "add", "short", "--password", "x").status, 1);
	t.is(run("user", "grant", "bob", "cam1").status, 0);
	t.regex(run("user", "grant", "bob", "cam9").stderr, /no device cam9/);
	t.regex(run("token", "add", "bob").stdout, /^ivxs_[A-Za-z0-9_-]{43}\n$/);
	t.regex(run("token", "add", "nobody").stderr, /no user nobody/);
	t.regex(run("user", "list").stdout, /^bob\ncarol\tadmin\n$/);
});

test("first start with no users prints admin's random password on stdout, and that password signs in", async (t) => {
	const data = mkdtempSync(join(tmpdir(), "ivxs-users-"));
	t.teardown(() => rmSync(data, { recursive: true, force: true }));
	const { spawn } = await import("node:child_process");
	const child = spawn(process.execPath, [cli, "--port", "0", "--host", "127.0.0.1", "--data", data], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, IVXS_CLOUD_LOG_LEVEL: "silent" } });
	t.teardown(() => child.kill("SIGKILL"));
	let out = "";
	const url = await new Promise((resolve, reject) => {
		child.stdout.on("data", (chunk) => {
			out += chunk;
			const match = /ivxs cloud: (http:\/\/\S+)/.exec(out);
			if (match && /password (\S+)/.test(out)) resolve(match[1]);
		});
		child.once("exit", () => reject(new Error(`exited: ${out}`)));
	});
	const password = /sign in as "admin" with password (\S+)/.exec(out)[1];
	t.is((await fetch(`${url}/v1/session`, json({ user: "admin", password }, { method: "POST" }))).status, 200);
});

test("signed URLs speak for their viewer: grants are still checked at request time; altered or expired ones are 403s", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "first-secret-1" });
	await deviceIn(cloud, "cam-mine");
	await deviceIn(cloud, "cam-other");
	await addUser(cloud.ctx.sql, "alice", "alice-password");
	await grantDevice(cloud.ctx.sql, "alice", "cam-mine");
	const alice = { user: "alice", admin: false };
	const mine = signUrl(cloud.ctx, "/v1/recordings/cam-mine/0/list", alice);
	t.is((await fetch(`${cloud.url}${mine}`)).status, 200);
	t.is((await fetch(`${cloud.url}${signUrl(cloud.ctx, "/v1/recordings/cam-other/0/list", alice)}`)).status, 403);
	t.is((await fetch(`${cloud.url}${mine.replace("cam-mine", "cam-other")}`)).status, 403);
	t.is((await fetch(`${cloud.url}${mine.replace("user=alice", "user=admin")}`)).status, 403);
	t.is((await fetch(`${cloud.url}${signUrl(cloud.ctx, "/v1/recordings/cam-mine/0/list", alice, 60, Date.now() - 3600_000)}`)).status, 403);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_auth_failures_total\{kind="signed-url"\} 3/);
	await revokeDevice(cloud.ctx.sql, "alice", "cam-mine");
	t.is((await fetch(`${cloud.url}${mine}`)).status, 403);
});

test("password guessing: after 10 failures for a user from one address, sign-in is refused (429) even with the right password", async (t) => {
	// The address's own budget (dos-sign-in.test.mjs) is raised: this is the lockout of a name.
	const cloud = await cloudFor(t, { adminPassword: "first-secret-1", signInBurst: 100 });
	await addUser(cloud.ctx.sql, "bob", "bob-password");
	for (let i = 0; i < 10; i++) t.is((await signIn(cloud, "admin", `guess-${i}`)).status, 401);
	const limited = await signIn(cloud, "admin", "first-secret-1");
	t.is(limited.status, 429);
	t.regex((await limited.json()).error, /too many failed sign-ins for admin: try again in \d+ s/);
	t.true(Number(limited.headers.get("retry-after")) > 800);
	// Another user is not locked out by admin's guesses.
	t.is((await signIn(cloud, "bob", "bob-password")).status, 200);
});
