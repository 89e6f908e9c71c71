import test from "ava";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { cli } from "./_serve.mjs";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { connectDevice, eventually, mqttUrlOf } from "./_mqtt.mjs";
import { mqttPassword } from "../../build/node/cloud/src/control/auth.js";
import { addToken, addUser, grantDevice } from "../../build/node/cloud/src/users/store.js";
import { verifySignedUrl } from "../../build/node/cloud/src/auth/signed-url.js";

const adminPassword = "admin-secret-1";

const adminOf = async (cloud) => (await session(cloud, "admin", adminPassword)).call;

test("a device added by an admin gets its default plan retained; presence and plan changes flow both ways", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const api = await adminOf(cloud);
	const created = await api("/v1/devices", { method: "POST", body: { id: "cam-a", name: "Front door", channels: 2 } });
	t.is(created.status, 201);
	const device = await created.json();
	t.like(device, { id: "cam-a", name: "Front door", channels: 2, online: false, plan: { v: 1, rev: 1, mode: "continuous", push: true, retentionDays: 7, snapshotIntervalS: 300, channels: [0, 1] } });
	t.true(device.secret.length >= 32);
	const camera = await connectDevice(mqttUrlOf(cloud), device);
	t.teardown(() => camera.end(true));
	await camera.subscribeAsync("ivxs/cam-a/plan", { qos: 1 });
	t.like(JSON.parse(await camera.next("ivxs/cam-a/plan")), { rev: 1, mode: "continuous" });
	await camera.online();
	await eventually(async () => (await (await api("/v1/devices")).json()).devices[0].online);
	// A change is published at once, with the next revision.
	const put = await api("/v1/devices/cam-a/plan", { method: "PUT", body: { mode: "event", preRollS: 3, postRollS: 20, rev: 1 } });
	t.is(put.status, 200);
	t.like(await put.json(), { rev: 2, mode: "event", push: false, preRollS: 3, postRollS: 20 });
	t.like(JSON.parse(await camera.next("ivxs/cam-a/plan", (p) => JSON.parse(p).rev === 2)), { mode: "event", push: false });
	t.like(await (await api("/v1/devices/cam-a/plan")).json(), { rev: 2, mode: "event" });
	// Status reports land in the device listing.
	await camera.publishAsync("ivxs/cam-a/status", JSON.stringify({ time: Date.now(), firmware: "1.2.3" }), { qos: 1, retain: true });
	await eventually(async () => (await (await api("/v1/devices/cam-a")).json()).status?.firmware === "1.2.3");
	// The connection dies without DISCONNECT: the last will marks it offline.
	camera.stream.destroy();
	await eventually(async () => (await (await api("/v1/devices/cam-a")).json()).online === false);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_devices_online 0/);
});

test("a reconnecting camera gets the current plan without asking, also after a cloud restart", async (t) => {
	const first = await cloudFor(t, { adminPassword }, { keep: true });
	t.teardown(() => rmSync(first.dataDir, { recursive: true, force: true }));
	const device = await deviceIn(first, "cam-r");
	let camera = await connectDevice(mqttUrlOf(first), device);
	// Added from the CLI (no plan yet): its first "online" gets it the default plan.
	await camera.subscribeAsync("ivxs/cam-r/plan", { qos: 1 });
	await camera.online();
	t.like(JSON.parse(await camera.next("ivxs/cam-r/plan")), { rev: 1, mode: "continuous", channels: [0] });
	const api = await adminOf(first);
	t.is((await api("/v1/devices/cam-r/plan", { method: "PUT", body: { retentionDays: 30 } })).status, 200);
	await camera.next("ivxs/cam-r/plan", (p) => JSON.parse(p).rev === 2);
	camera.end(true);
	camera = await connectDevice(mqttUrlOf(first), device);
	await camera.subscribeAsync("ivxs/cam-r/plan", { qos: 1 });
	t.like(JSON.parse(await camera.next("ivxs/cam-r/plan")), { rev: 2, retentionDays: 30 });
	camera.end(true);
	await first.stop();
	const second = await cloudFor(t, { adminPassword, dataDir: first.dataDir });
	camera = await connectDevice(mqttUrlOf(second), device);
	t.teardown(() => camera.end(true));
	await camera.subscribeAsync("ivxs/cam-r/plan", { qos: 1 });
	t.like(JSON.parse(await camera.next("ivxs/cam-r/plan")), { rev: 2, retentionDays: 30 });
	// Presence after a restart of the embedded broker starts from offline.
	t.false((await (await (await adminOf(second))("/v1/devices/cam-r")).json()).online);
});

test("device sign-in: wrong signature, stale time, replayed nonce, unknown device and mismatched ids are refused", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const device = await deviceIn(cloud, "cam-s");
	const url = mqttUrlOf(cloud);
	const now = Math.floor(Date.now() / 1000);
	const refused = async (password, options = {}, who = device) => {
		const error = await t.throwsAsync(connectDevice(url, who, { password, ...options }));
		t.regex(error.message, /Not authorized|Bad username or password|closed/);
	};
	await refused(mqttPassword(device.id, "x".repeat(32)));
	await refused(mqttPassword(device.id, device.secret, now - 400));
	await refused(mqttPassword(device.id, device.secret, now + 400));
	await refused("not a password");
	await refused(mqttPassword("cam-none", device.secret), {}, { id: "cam-none", secret: device.secret });
	await refused(mqttPassword(device.id, device.secret), { mqtt: { username: "cam-other" } });
	const once = mqttPassword(device.id, device.secret);
	const camera = await connectDevice(url, device, { password: once });
	camera.end(true);
	await refused(once);
	// A will anywhere but its own presence is refused before sign-in.
	await refused(undefined, { mqtt: { will: { topic: "ivxs/cam-x/presence", payload: Buffer.from("{}"), qos: 1, retain: true } } });
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_auth_failures_total\{kind="mqtt"\} 8/);
});

test("a device publishes only its own presence/event/status/gap and subscribes only to its own plan/cmd", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const a = await deviceIn(cloud, "cam-1"), b = await deviceIn(cloud, "cam-2");
	const events = [];
	await cloud.ctx.bus.subscribe("ivxs/+/event", (topic, payload) => events.push({ topic, payload: JSON.parse(payload) }));
	const camera = await connectDevice(mqttUrlOf(cloud), a);
	t.teardown(() => camera.end(true));
	// mqtt.js rejects a SUBACK with any refusal (0x80); the codes are on the error.
	const refusal = await t.throwsAsync(camera.subscribeAsync(["ivxs/cam-1/plan", "ivxs/cam-1/cmd", "ivxs/cam-2/plan", "ivxs/#", "ivxs/+/cmd"], { qos: 1 }));
	t.deepEqual(refusal.packet.granted, [1, 1, 128, 128, 128]);
	await camera.publishAsync("ivxs/cam-1/event", JSON.stringify({ id: "e1", channel: 0, time: Date.now(), bits: 1 }), { qos: 1 });
	await eventually(() => events.length === 1);
	t.deepEqual(events[0].topic, "ivxs/cam-1/event");
	// The service's commands reach the device.
	await cloud.ctx.bus.publish("ivxs/cam-1/cmd", JSON.stringify({ type: "snapshot" }));
	t.deepEqual(JSON.parse(await camera.next("ivxs/cam-1/cmd")), { type: "snapshot" });
	// Publishing as another device (or to a plan) closes the connection; nothing is delivered.
	const closed = new Promise((resolve) => camera.once("close", resolve));
	camera.publish("ivxs/cam-2/event", JSON.stringify({ id: "forged", channel: 0, time: Date.now(), bits: 1 }), { qos: 1 });
	await closed;
	const other = await connectDevice(mqttUrlOf(cloud), a);
	t.teardown(() => other.end(true));
	const closedToo = new Promise((resolve) => other.once("close", resolve));
	other.publish("ivxs/cam-1/plan", JSON.stringify({ v: 1, rev: 99, mode: "none" }), { qos: 1, retain: true });
	await closedToo;
	await new Promise((resolve) => setTimeout(resolve, 100));
	t.is(events.length, 1);
	t.falsy(b.plan);
});

test("plans are validated (nothing stored from a refused change); viewers see only granted devices; admin-only creation and removal", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const api = await adminOf(cloud);
	const device = await (await api("/v1/devices", { method: "POST", body: { id: "cam-p" } })).json();
	await deviceIn(cloud, "cam-q");
	const bad = [
		[{ mode: "sometimes" }, /mode must be/], [{ preRollS: 61 }, /preRollS must be an integer in 0..60/], [{ postRollS: -1 }, /postRollS/],
		[{ retentionDays: 0 }, /retentionDays/], [{ segmentS: 11 }, /segmentS/], [{ snapshotIntervalS: 59 }, /snapshotIntervalS/],
		[{ maxClipS: 4, preRollS: 5 }, /maxClipS must be at least/], [{ channels: [1] }, /channels must be/], [{ push: "yes" }, /push must be/],
		[{ colour: "red" }, /unknown plan field "colour"/], [{ v: 2 }, /v must be 1/], [{ rev: -1 }, /rev must be/],
	];
	for (const [body, message] of bad) {
		const res = await api("/v1/devices/cam-p/plan", { method: "PUT", body });
		t.is(res.status, 400, JSON.stringify(body));
		t.regex((await res.json()).error, message);
	}
	t.is((await api("/v1/devices/cam-p/plan", { method: "PUT", body: "[" })).status, 400);
	const stale = await api("/v1/devices/cam-p/plan", { method: "PUT", body: { mode: "none", rev: 7 } });
	t.is(stale.status, 409);
	t.like(await (await api("/v1/devices/cam-p/plan")).json(), { rev: 1, mode: "continuous" });
	t.like(await (await api("/v1/devices/cam-p/plan", { method: "PUT", body: { mode: "none", push: true } })).json(), { rev: 2, mode: "none", push: true });
	// Viewers.
	await addUser(cloud.ctx.sql, "viewer", "viewer-password");
	await grantDevice(cloud.ctx.sql, "viewer", "cam-q");
	const token = await addToken(cloud.ctx.sql, "viewer");
	const as = (path, init = {}) => fetch(`${cloud.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });
	t.deepEqual((await (await as("/v1/devices")).json()).devices.map((d) => d.id), ["cam-q"]);
	t.is((await as("/v1/devices/cam-p")).status, 403);
	t.is((await as("/v1/devices/cam-p/plan", { method: "PUT", body: JSON.stringify({ mode: "none" }) })).status, 403);
	t.is((await as("/v1/devices/cam-z")).status, 404);
	t.is((await as("/v1/devices", { method: "POST", body: JSON.stringify({ id: "cam-v" }) })).status, 403);
	t.is((await as("/v1/devices/cam-q", { method: "DELETE" })).status, 403);
	t.is((await fetch(`${cloud.url}/v1/devices`)).status, 401);
	// Creation: bad input is a 400, a duplicate a 409.
	t.is((await api("/v1/devices", { method: "POST", body: { id: "../x" } })).status, 400);
	t.is((await api("/v1/devices", { method: "POST", body: { id: "cam-p" } })).status, 409);
	t.is((await api("/v1/devices", { method: "POST", body: { id: "cam-w", secret: "chosen" } })).status, 400);
	// Removal cuts the device's connection and clears its retained plan.
	const camera = await connectDevice(mqttUrlOf(cloud), device);
	const closed = new Promise((resolve) => camera.once("close", resolve));
	t.is((await api("/v1/devices/cam-p", { method: "DELETE" })).status, 204);
	await closed;
	camera.end(true);
	t.is((await api("/v1/devices/cam-p")).status, 404);
	t.falsy(cloud.ctx.sql.db.prepare("SELECT 1 FROM plans WHERE device = 'cam-p'").get());
	await t.throwsAsync(connectDevice(mqttUrlOf(cloud), device));
});

test("the MQTT password of PROTOCOL.md §5's test vector", (t) => {
	t.is(mqttPassword("cam1", "0123456789abcdef0123456789abcdef", 1700000000, "00112233445566778899aabbccddeeff"),
		"1700000000:00112233445566778899aabbccddeeff:65a669fee2394c6a5a7f2924af18d910fc333dff33837b66803db0f03d4fb6b3");
});

test("the device listing links the last snapshot with a signed URL once the snapshots table exists", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const api = await adminOf(cloud);
	await deviceIn(cloud, "cam-snap", { channels: 2 });
	t.is((await (await api("/v1/devices/cam-snap")).json()).lastSnapshot, null);
	// The snapshots part's table (CLOUD.md), as that part creates it.
	cloud.ctx.sql.db.exec("CREATE TABLE IF NOT EXISTS snapshots (device TEXT, channel INTEGER, time_ms INTEGER, key TEXT, bytes INTEGER, deleted INTEGER)");
	const insert = cloud.ctx.sql.db.prepare("INSERT INTO snapshots VALUES ('cam-snap', ?, ?, 'k', 10, ?)");
	insert.run(0, 1_700_000_000_000, null);
	insert.run(1, 1_700_000_060_000, null);
	insert.run(0, 1_700_000_120_000, 1_700_000_130_000);
	const { lastSnapshot } = await (await api("/v1/devices/cam-snap")).json();
	t.like(lastSnapshot, { channel: 1, time: 1_700_000_060_000 });
	t.regex(lastSnapshot.url, /^\/v1\/snapshots\/cam-snap\/1\/1700000060000\.jpg\?exp=\d+&user=admin&admin=1&sig=[A-Za-z0-9_-]{43}$/);
	t.deepEqual(verifySignedUrl(cloud.ctx, "GET", new URL(lastSnapshot.url, "http://x")), { user: "admin", admin: true, linkEpoch: 0 });
});

test("device remove from the CLI also forgets its plan, presence and grants", async (t) => {
	const first = await cloudFor(t, { adminPassword }, { keep: true });
	t.teardown(() => rmSync(first.dataDir, { recursive: true, force: true }));
	const api = await adminOf(first);
	await api("/v1/devices", { method: "POST", body: { id: "cam-gone" } });
	await addUser(first.ctx.sql, "viewer", "viewer-password");
	await grantDevice(first.ctx.sql, "viewer", "cam-gone");
	await first.stop();
	execFileSync(process.execPath, [cli, "device", "remove", "cam-gone", "--data", first.dataDir]);
	const second = await cloudFor(t, { adminPassword, dataDir: first.dataDir });
	for (const table of ["plans", "grants", "presence"]) t.falsy(second.ctx.sql.db.prepare(`SELECT 1 FROM ${table} WHERE device = 'cam-gone'`).get(), table);
	await deviceIn(second, "cam-gone");
	t.like(await (await (await adminOf(second))("/v1/devices/cam-gone/plan")).json(), { rev: 0 });
});
