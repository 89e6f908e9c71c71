// The control channel at scale: Debian's mosquitto as the external broker
// (started here with a temporary config), and two cloud instances sharing
// one metadata file and one data folder.
import test from "ava";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn, json } from "./_cloud.mjs";
import { brokers, startMosquitto } from "./_mosquitto.mjs";
import { connectDevice, eventually } from "./_mqtt.mjs";
import { addToken } from "../../build/node/cloud/src/users/store.js";
import { mqttPassword } from "../../build/node/cloud/src/control/auth.js";
import { Camera } from "../../build/node/cloud/sim/camera.js";

/** mosquitto and two cloud instances sharing it, one metadata file and one data folder. */
async function twoInstances(t) {
	const broker = await startMosquitto(t);
	const dataDir = mkdtempSync(join(tmpdir(), "ivxs-two-"));
	t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
	const shared = { mqtt: broker, adminPassword: "admin-secret-1", dataDir };
	return { broker, a: await cloudFor(t, shared), b: await cloudFor(t, shared) };
}

const admin = async (cloud) => {
	const token = await addToken(cloud.ctx.sql, "admin");
	const headers = { authorization: `Bearer ${token}` };
	return (path, { body, ...init } = {}) => fetch(`${cloud.url}${path}`, body === undefined ? { ...init, headers } : json(body, { ...init, headers }));
};

test("with mosquitto as the broker: a plan published by the cloud reaches the device, the device's events and presence reach the cloud", async (t) => {
	const broker = await startMosquitto(t);
	const cloud = await cloudFor(t, { mqtt: broker, adminPassword: "admin-secret-1" });
	t.like(await (await fetch(`${cloud.url}/healthz`)).json(), { mqtt: "external" });
	// The broker's questions (go-auth) carry their credentials in the body: the routes' rule is none.
	t.deepEqual(cloud.ctx.router.routes().filter((r) => r.pattern.startsWith("/v1/mqtt/")).map((r) => [r.method, r.pattern, r.access.auth]),
		[["POST", "/v1/mqtt/auth/user", "none"], ["POST", "/v1/mqtt/auth/superuser", "none"], ["POST", "/v1/mqtt/auth/acl", "none"]]);
	const api = await admin(cloud);
	const device = await (await api("/v1/devices", { method: "POST", body: { id: "cam-m" } })).json();
	const events = [];
	await cloud.ctx.bus.subscribe("ivxs/+/event", (topic, payload) => events.push({ topic, event: JSON.parse(payload) }));
	// The camera talks to mosquitto, not to the cloud.
	const camera = await connectDevice(broker, device);
	t.teardown(() => camera.end(true));
	await camera.subscribeAsync("ivxs/cam-m/plan", { qos: 1 });
	t.like(JSON.parse(await camera.next("ivxs/cam-m/plan")), { rev: 1, mode: "continuous" });
	t.is((await api("/v1/devices/cam-m/plan", { method: "PUT", body: { mode: "event", postRollS: 30 } })).status, 200);
	t.like(JSON.parse(await camera.next("ivxs/cam-m/plan", (p) => JSON.parse(p).rev === 2)), { mode: "event", postRollS: 30, push: false });
	await camera.online();
	await camera.publishAsync("ivxs/cam-m/event", JSON.stringify({ id: "ev-1", channel: 0, time: 1_700_000_000_000, bits: 3 }), { qos: 1 });
	await eventually(() => events.length === 1);
	t.deepEqual(events[0], { topic: "ivxs/cam-m/event", event: { id: "ev-1", channel: 0, time: 1_700_000_000_000, bits: 3 } });
	await eventually(async () => (await (await api("/v1/devices/cam-m")).json()).online);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_devices_online 1\n[^]*ivxs_mqtt_connections 1\n/);
	// The last will, through mosquitto.
	camera.stream.destroy();
	await eventually(async () => (await (await api("/v1/devices/cam-m")).json()).online === false);
});

test("with mosquitto: removing a device clears every retained message on its topics, so a device added again under its id hears nothing of the old one", async (t) => {
	const broker = await startMosquitto(t);
	const cloud = await cloudFor(t, { mqtt: broker, adminPassword: "admin-secret-1" });
	const api = await admin(cloud);
	const device = await (await api("/v1/devices", { method: "POST", body: { id: "cam-r" } })).json();
	const camera = await connectDevice(broker, device);
	await camera.online();
	await camera.publishAsync("ivxs/cam-r/status", JSON.stringify({ firmware: "1.0" }), { qos: 1, retain: true });
	// A device may set the retain flag where the protocol does not (the broker keeps it all the same).
	await camera.publishAsync("ivxs/cam-r/event", JSON.stringify({ id: "ev-r", channel: 0, time: Date.now(), bits: 1 }), { qos: 1, retain: true });
	await camera.endAsync(); // a clean DISCONNECT: no will
	// What a new subscriber is handed (mosquitto runs anonymous in the tests: anyone may look).
	const retained = async () => {
		const observer = await connectDevice(broker, { id: "observer", secret: "o".repeat(32) });
		await observer.subscribeAsync("ivxs/cam-r/#", { qos: 1 });
		await new Promise((resolve) => setTimeout(resolve, 300));
		await observer.endAsync();
		return observer.messages.map((m) => m.topic).sort();
	};
	t.deepEqual(await retained(), ["ivxs/cam-r/event", "ivxs/cam-r/plan", "ivxs/cam-r/presence", "ivxs/cam-r/status"]);
	t.is((await api("/v1/devices/cam-r", { method: "DELETE" })).status, 204);
	t.deepEqual(await retained(), []);
	// Added again: only its own new plan is retained.
	await api("/v1/devices", { method: "POST", body: { id: "cam-r" } });
	t.deepEqual(await retained(), ["ivxs/cam-r/plan"]);
});

test("two cloud instances sharing metadata, data folder and broker: a viewer on B sees the presence and plan of a camera set up through A", async (t) => {
	const { broker, a, b } = await twoInstances(t);
	t.not(a.url, b.url);
	t.not(a.ctx.instanceId, b.ctx.instanceId);
	const onA = await admin(a), onB = await admin(b);
	const device = await (await onA("/v1/devices", { method: "POST", body: { id: "cam-2i", channels: 2 } })).json();
	const camera = await connectDevice(broker, device);
	t.teardown(() => camera.end(true));
	await camera.subscribeAsync("ivxs/cam-2i/plan", { qos: 1 });
	await camera.online();
	t.like(JSON.parse(await camera.next("ivxs/cam-2i/plan")), { rev: 1 });
	// B sees it online, with A's plan…
	const seen = await eventually(async () => {
		const listed = (await (await onB("/v1/devices")).json()).devices.find((d) => d.id === "cam-2i");
		return listed?.online && listed;
	});
	t.like(seen, { channels: 2, plan: { rev: 1, mode: "continuous", channels: [0, 1] } });
	// …and a plan change made on B reaches the camera and A.
	t.is((await onB("/v1/devices/cam-2i/plan", { method: "PUT", body: { snapshotIntervalS: 600, rev: 1 } })).status, 200);
	t.like(JSON.parse(await camera.next("ivxs/cam-2i/plan", (p) => JSON.parse(p).rev === 2)), { snapshotIntervalS: 600 });
	t.like(await (await onA("/v1/devices/cam-2i/plan")).json(), { rev: 2, snapshotIntervalS: 600 });
	// Concurrent edits on both: one wins, the other is told (409), never a silent overwrite.
	const [x, y] = await Promise.all([
		onA("/v1/devices/cam-2i/plan", { method: "PUT", body: { retentionDays: 10, rev: 2 } }),
		onB("/v1/devices/cam-2i/plan", { method: "PUT", body: { retentionDays: 20, rev: 2 } }),
	]);
	t.deepEqual([x.status, y.status].sort(), [200, 409]);
	const final = await (await onB("/v1/devices/cam-2i/plan")).json();
	t.is(final.rev, 3);
	t.like(JSON.parse(await camera.next("ivxs/cam-2i/plan", (p) => JSON.parse(p).rev === 3)), { retentionDays: final.retentionDays });
	// A stopping does not take the camera offline for B: the broker, not an instance, holds the connection.
	await a.stop();
	await new Promise((resolve) => setTimeout(resolve, 200));
	t.true((await (await onB("/v1/devices/cam-2i")).json()).online);
	camera.stream.destroy();
	await eventually(async () => (await (await onB("/v1/devices/cam-2i")).json()).online === false);
});

test("mosquitto with max_packet_size closes a connection at an oversized packet, as the embedded broker does", async (t) => {
	const broker = await startMosquitto(t);
	const cloud = await cloudFor(t, { mqtt: broker, adminPassword: "admin-secret-1" });
	const camera = await connectDevice(broker, await deviceIn(cloud, "cam-big"));
	t.teardown(() => camera.end(true));
	await camera.publishAsync("ivxs/cam-big/status", JSON.stringify({ pad: "x".repeat(16000) }), { qos: 1 });
	const closed = new Promise((resolve) => {
		setTimeout(() => resolve(false), 5000);
		camera.once("close", () => resolve(true));
	});
	camera.publish("ivxs/cam-big/event", "x".repeat(40 * 1024), { qos: 1 });
	t.true(await closed);
});

test("mosquitto-go-auth HTTP backend: /v1/mqtt/auth/{user,superuser,acl} sign devices in per §5 and confine them to their topics", async (t) => {
	const broker = await startMosquitto(t);
	const cloud = await cloudFor(t, { mqtt: broker.replace("//", "//ivxs-cloud:service-password-1@"), adminPassword: "admin-secret-1" });
	const device = await (await (await admin(cloud))("/v1/devices", { method: "POST", body: { id: "cam-ga" } })).json();
	await deviceIn(cloud, "cam-gb");
	const ask = async (what, params, form = false) => {
		const res = await fetch(`${cloud.url}/v1/mqtt/auth/${what}`, form
			? { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params).toString() }
			: { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) });
		const body = await res.json();
		t.is(body.Ok, res.status === 200);
		return res.status;
	};
	const password = mqttPassword(device.id, device.secret);
	t.is(await ask("user", { username: "cam-ga", password, clientid: "cam-ga" }), 200);
	t.is(await ask("user", { username: "cam-ga", password, clientid: "cam-ga" }), 403, "a replayed password");
	t.is(await ask("user", { username: "cam-ga", password: mqttPassword(device.id, device.secret), clientid: "cam-ga" }, true), 200, "form parameters");
	t.is(await ask("user", { username: "cam-ga", password: mqttPassword(device.id, "y".repeat(32)), clientid: "cam-ga" }), 403);
	t.is(await ask("user", { username: "cam-ga", password: mqttPassword(device.id, device.secret), clientid: "cam-gb" }), 403);
	t.is(await ask("user", { username: "ivxs-cloud", password: "service-password-1" }), 200);
	t.is(await ask("user", { username: "ivxs-cloud", password: "guess" }), 403);
	t.is(await ask("superuser", { username: "ivxs-cloud" }), 200);
	t.is(await ask("superuser", { username: "cam-ga" }), 403);
	const acl = (username, topic, acc, clientid = username) => ask("acl", { username, clientid, topic, acc });
	t.is(await acl("cam-ga", "ivxs/cam-ga/event", 2), 200);
	t.is(await acl("cam-ga", "ivxs/cam-ga/presence", 2), 200);
	t.is(await acl("cam-ga", "ivxs/cam-gb/event", 2), 403);
	t.is(await acl("cam-ga", "ivxs/cam-ga/plan", 2), 403);
	t.is(await acl("cam-ga", "ivxs/cam-ga/plan", 4), 200);
	t.is(await acl("cam-ga", "ivxs/cam-ga/cmd", 1), 200);
	t.is(await acl("cam-ga", "ivxs/#", 4), 403);
	t.is(await acl("cam-ga", "ivxs/cam-gb/plan", 1), 403);
	t.is(await acl("cam-ga", "ivxs/cam-ga/event", 2, "cam-gb"), 403);
	t.is(await acl("cam-zz", "ivxs/cam-zz/event", 2), 403);
	t.is(await acl("ivxs-cloud", "ivxs/cam-ga/plan", 2), 200);
	t.is((await fetch(`${cloud.url}/v1/mqtt/auth/user`, { method: "POST", body: "{" })).status, 400);
});

test("the go-auth endpoints exist only with an external broker", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "admin-secret-1" });
	t.is((await fetch(`${cloud.url}/v1/mqtt/auth/user`, { method: "POST", body: "{}" })).status, 404);
});

test("the ACL file of PROTOCOL.md §5 (per-device certificates' recipe) confines devices on mosquitto", async (t) => {
	const protocol = readFileSync(join(import.meta.dirname, "../PROTOCOL.md"), "utf8");
	const aclText = /```\n\s*(pattern write ivxs\/%u\/presence[^`]*)```/.exec(protocol)[1].replace(/^ +/gm, "");
	// Here the user name stands for the certificate's CN (use_identity_as_username): anonymous
	// clients with a user name, so the test needs no PKI; the ACL file is the documented one.
	const broker = await startMosquitto(t, (dir) => {
		writeFileSync(join(dir, "acl"), aclText);
		return `acl_file ${join(dir, "acl")}\n`;
	});
	const cloud = await cloudFor(t, { mqtt: broker.replace("//", "//ivxs-cloud:x@"), adminPassword: "admin-secret-1" });
	const api = await admin(cloud);
	const a = await (await api("/v1/devices", { method: "POST", body: { id: "cam-aa" } })).json();
	await (await api("/v1/devices", { method: "POST", body: { id: "cam-bb" } })).json();
	const events = [];
	await cloud.ctx.bus.subscribe("ivxs/+/event", (topic, payload) => events.push(JSON.parse(payload).id));
	const camera = await connectDevice(broker, a);
	t.teardown(() => camera.end(true));
	// mosquitto grants a v3.1.1 subscription the ACL denies, and then delivers nothing on it.
	await camera.subscribeAsync(["ivxs/cam-aa/plan", "ivxs/cam-bb/plan", "ivxs/#"], { qos: 1 });
	t.like(JSON.parse(await camera.next("ivxs/cam-aa/plan")), { rev: 1 });
	await camera.publishAsync("ivxs/cam-bb/event", JSON.stringify({ id: "forged" }), { qos: 1 });
	await camera.publishAsync("ivxs/cam-aa/event", JSON.stringify({ id: "mine" }), { qos: 1 });
	await eventually(() => events.includes("mine"));
	await new Promise((resolve) => setTimeout(resolve, 100));
	t.deepEqual(events, ["mine"]);
	t.deepEqual([...new Set(camera.messages.map((m) => m.topic))], ["ivxs/cam-aa/plan"]);
	await camera.online();
	await eventually(async () => (await (await api("/v1/devices/cam-aa")).json()).online);
	t.is((await api("/v1/devices/cam-aa/plan", { method: "PUT", body: { mode: "none" } })).status, 200);
	t.like(JSON.parse(await camera.next("ivxs/cam-aa/plan", (p) => JSON.parse(p).rev === 2)), { mode: "none", push: false });
});

test("two instances end to end: the simulated camera uploads to A and takes its plan from mosquitto; a viewer on B sees it online and plays its recording", async (t) => {
	const { broker, a, b } = await twoInstances(t);
	const onB = await admin(b);
	const device = await (await (await admin(a))("/v1/devices", { method: "POST", body: { id: "cam-e2e" } })).json();
	const camera = new Camera({ cloud: a.url, device: device.id, secret: device.secret, seconds: 4, speed: 0, mqtt: broker });
	t.teardown(() => camera.close());
	const plans = [];
	camera.onPlan = (plan) => plans.push(plan.rev);
	const stats = await camera.run();
	t.deepEqual(plans, [1]);
	t.is(stats.refused, 0);
	t.true(stats.stored >= 3, `${stats.stored} segments stored`);
	const listed = await eventually(async () => {
		const found = (await (await onB("/v1/devices")).json()).devices.find((d) => d.id === "cam-e2e");
		return found?.online && found;
	});
	t.like(listed, { plan: { rev: 1, mode: "continuous", push: true } });
	// At speed 0 the media runs ahead of the wall clock: ask for a range around now.
	const spans = await (await onB(`/v1/recordings/cam-e2e/0/list?start=${Date.now() - 60_000}&end=${Date.now() + 60_000}`)).json();
	t.is(spans.length, 1);
	t.true(spans[0].duration >= 3, `a span of ${spans[0].duration} s`);
	const clip = await fetch(`${b.url}${spans[0].url}`);
	t.is(clip.status, 200);
	t.is(clip.headers.get("content-type"), "video/mp4");
	t.true((await clip.arrayBuffer()).byteLength > 10_000);
	await camera.close();
	await eventually(async () => (await (await onB("/v1/devices/cam-e2e")).json()).online === false);
});

test("the broker going away: health says so, a plan change is stored and answered at once, and published when the broker is back (retained plans restored)", async (t) => {
	const url = await startMosquitto(t);
	const broker = brokers.get(url);
	const cloud = await cloudFor(t, { mqtt: url, adminPassword: "admin-secret-1" });
	const api = await admin(cloud);
	const device = await (await api("/v1/devices", { method: "POST", body: { id: "cam-out" } })).json();
	t.like(await (await fetch(`${cloud.url}/healthz`)).json(), { ok: true, mqttConnected: true });
	await broker.stop();
	await eventually(async () => (await (await fetch(`${cloud.url}/healthz`)).json()).mqttConnected === false);
	const started = Date.now();
	const put = await api("/v1/devices/cam-out/plan", { method: "PUT", body: { mode: "event" } });
	t.is(put.status, 200);
	t.like(await put.json(), { rev: 2, mode: "event", published: false });
	t.true(Date.now() - started < 1000, "answered without waiting for the broker");
	// mosquitto comes back empty (no persistence): the cloud gives it every plan again.
	await broker.start();
	await eventually(async () => (await (await fetch(`${cloud.url}/healthz`)).json()).mqttConnected, 10_000);
	const camera = await connectDevice(url, device);
	t.teardown(() => camera.end(true));
	await camera.subscribeAsync("ivxs/cam-out/plan", { qos: 1 });
	t.like(JSON.parse(await camera.next("ivxs/cam-out/plan")), { rev: 2, mode: "event" });
	t.like(await (await api("/v1/devices/cam-out/plan", { method: "PUT", body: { mode: "none" } })).json(), { rev: 3, published: true });
});
