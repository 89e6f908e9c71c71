// Camera events: received on the control channel (MQTT), checked, stored once,
// listed for viewers with a signed link to the clip around each.
import test from "ava";
import { cloudFor, engines, onEngine, session } from "./_cloud.mjs";
import { connectDevice, eventually, mqttUrlOf } from "./_mqtt.mjs";
import { Camera } from "./_media.mjs";
import { recordEvent, kindsOf } from "../../build/node/cloud/src/events/index.js";
import { addUser } from "../../build/node/cloud/src/users/store.js";

const adminPassword = "admin-secret-1";

const adminOf = async (cloud) => (await session(cloud, "admin", adminPassword)).call;

async function withCamera(t, metadata) {
	const cloud = await cloudFor(t, { adminPassword, metadata });
	const api = await adminOf(cloud);
	const device = await (await api("/v1/devices", { method: "POST", body: { id: "cam1", channels: 2 } })).json();
	const mqtt = await connectDevice(mqttUrlOf(cloud), device);
	t.teardown(() => mqtt.end(true));
	return { cloud, api, device, mqtt };
}

const rows = (cloud) => cloud.ctx.sql.all("SELECT device, channel, id, time_ms, bits FROM events ORDER BY time_ms");

for (const metadata of engines) test(onEngine(metadata, "an event published by the camera is stored once, listed with its kinds and a clip link that plays"), async (t) => {
	const { cloud, api, mqtt } = await withCamera(t, metadata);
	const time = Date.now() - 20_000;
	const event = JSON.stringify({ id: "e-1", channel: 1, time, bits: 0b11 | (1 << 16) });
	await mqtt.publishAsync("ivxs/cam1/event", event, { qos: 1 });
	await mqtt.publishAsync("ivxs/cam1/event", event, { qos: 1 }); // a QoS 1 redelivery, or a second instance
	await eventually(async () => (await rows(cloud)).length === 1);
	await new Promise((resolve) => setTimeout(resolve, 100));
	t.deepEqual((await rows(cloud)), [{ device: "cam1", channel: 1, id: "e-1", time_ms: time, bits: 0b11 | (1 << 16) }]);
	// The camera recorded around it: the clip link plays that part.
	const camera = await new Camera(cloud, { device: "cam1", channel: 1, stream: "a", epoch: time - 8_000 }).start();
	for (let i = 0; i < 6; i++) await camera.commit();
	const list = await api(`/v1/devices/cam1/events?start=${time - 1000}&end=${time + 1000}`);
	t.is(list.status, 200);
	const [listed] = await list.json();
	t.like(listed, { id: "e-1", channel: 1, time: new Date(time).toISOString(), timeMs: time, bits: 0b11 | (1 << 16), kinds: ["motion", "human", "custom17"] });
	t.regex(listed.clip, new RegExp(`^/v1/recordings/cam1/1/get\\?start=${time - 5000}&duration=15&exp=\\d+&user=admin&admin=1&sig=`));
	const clip = await fetch(`${cloud.url}${listed.clip}`);
	t.is(clip.status, 200);
	t.is(clip.headers.get("content-type"), "video/mp4");
	t.true((await clip.arrayBuffer()).byteLength > 10_000);
	// The plan's pre-roll and post-roll shape the clip.
	t.is((await api("/v1/devices/cam1/plan", { method: "PUT", body: { preRollS: 2, postRollS: 3 } })).status, 200);
	const [again] = await (await api(`/v1/devices/cam1/events?start=${time - 1000}&end=${time + 1000}&channel=1`)).json();
	t.regex(again.clip, new RegExp(`start=${time - 2000}&duration=5&`));
	t.deepEqual(await (await api(`/v1/devices/cam1/events?start=${time - 1000}&end=${time + 1000}&channel=0`)).json(), []);
});

const hostile = [
	["not JSON", "{not json", /not JSON/],
	["an array", "[1,2]", /JSON object/],
	["no id", { channel: 0, time: 1, bits: 1 }, /id must match/],
	["an id with a path", { id: "../x", channel: 0, time: Date.now(), bits: 1 }, /id must match/],
	["a long id", { id: "x".repeat(65), channel: 0, time: Date.now(), bits: 1 }, /id must match/],
	["a channel out of range", { id: "e", channel: 2, time: Date.now(), bits: 1 }, /channel must be an integer 0..1/],
	["a negative channel", { id: "e", channel: -1, time: Date.now(), bits: 1 }, /channel/],
	["a time in seconds", { id: "e", channel: 0, time: 1_700_000_000, bits: 1 }, /time must be unix ms/],
	["a time far ahead", { id: "e", channel: 0, time: Date.now() + 3 * 86400_000, bits: 1 }, /more than a day ahead/],
	["a string time", { id: "e", channel: 0, time: "now", bits: 1 }, /time must be unix ms/],
	["bits over 32", { id: "e", channel: 0, time: Date.now(), bits: 2 ** 32 }, /bits/],
	["fractional bits", { id: "e", channel: 0, time: Date.now(), bits: 1.5 }, /bits/],
	["an oversize message", { id: "e", channel: 0, time: Date.now(), bits: 1, pad: "x".repeat(5000) }, /over 4096/],
];

test("hostile or malformed event messages are refused, counted and not stored", async (t) => {
	const { cloud, mqtt } = await withCamera(t);
	for (const [, payload] of hostile) await mqtt.publishAsync("ivxs/cam1/event", typeof payload === "string" ? payload : JSON.stringify(payload), { qos: 1 });
	await mqtt.publishAsync("ivxs/cam1/event", JSON.stringify({ id: "ok", channel: 0, time: Date.now(), bits: 1 }), { qos: 1 });
	await eventually(async () => (await rows(cloud)).length === 1);
	t.is((await rows(cloud))[0].id, "ok");
	const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
	t.regex(metrics, new RegExp(`ivxs_events_refused_total ${hostile.length}`));
	// And each reason is the one it should be.
	for (const [name, payload, reason] of hostile) {
		const error = await t.throwsAsync(() => recordEvent(cloud.ctx, "ivxs/cam1/event", Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload))), undefined, name);
		t.regex(error.message, reason, name);
	}
	await t.throwsAsync(() => recordEvent(cloud.ctx, "ivxs/nobody/event", Buffer.from('{"id":"e","channel":0,"time":1,"bits":1}')), { message: /unknown device nobody/ });
	t.is((await rows(cloud)).length, 1);
});

test("the events list checks its viewer and its parameters", async (t) => {
	const { cloud, api } = await withCamera(t);
	await addUser(cloud.ctx.sql, "bob", "bob-password-1");
	t.is((await fetch(`${cloud.url}/v1/devices/cam1/events`)).status, 401);
	const bob = await session(cloud, "bob", "bob-password-1");
	const notGranted = await bob.call("/v1/devices/cam1/events");
	t.is(notGranted.status, 403);
	for (const [query, message] of [["start=yesterday", /start must be unix ms or an ISO 8601/], [`start=${Date.UTC(2025, 0, 2)}&end=${Date.UTC(2025, 0, 1)}`, /end must be after start/],
		[`start=0&end=${Date.UTC(2025, 0, 1)}`, /start "0" is not a time between 2000 and 2200/], [`start=${Date.UTC(2025, 0, 1)}&end=${Date.UTC(2025, 2, 1)}`, /more than the 31 d allowed/],
		["channel=2", /channel 2 out of range/], ["channel=x", /channel must be a number/], ["limit=0", /limit must be/]]) {
		const response = await api(`/v1/devices/cam1/events?${query}`);
		t.is(response.status, 400, query);
		t.regex((await response.json()).error, message, query);
	}
	t.is((await api("/v1/devices/nobody/events")).status, 404);
	t.deepEqual(kindsOf(0b1000 | (1 << 4) | (1 << 31)), ["linkage", "reserved5", "custom32"]);
});
