// Camera gap reports (data lost on the camera): received on the control
// channel (MQTT ivxs/<id>/gap), checked, stored once, listed for viewers.
import test from "ava";
import { cloudFor, session } from "./_cloud.mjs";
import { connectDevice, eventually, mqttUrlOf } from "./_mqtt.mjs";
import { recordGap } from "../../build/node/cloud/src/gaps/index.js";
import { addUser, grantDevice } from "../../build/node/cloud/src/users/store.js";

const adminPassword = "admin-secret-1";


async function withCamera(t) {
	const cloud = await cloudFor(t, { adminPassword });
	const api = (await session(cloud, "admin", adminPassword)).call;
	const device = await (await api("/v1/devices", { method: "POST", body: { id: "cam1", channels: 2 } })).json();
	const mqtt = await connectDevice(mqttUrlOf(cloud), device);
	t.teardown(() => mqtt.end(true));
	return { cloud, api, mqtt };
}

const rows = (cloud) => cloud.ctx.sql.db.prepare("SELECT device, channel, from_ms, to_ms, frames, reason FROM gaps ORDER BY from_ms, channel").all();
const publishGap = (mqtt, gap) => mqtt.publishAsync("ivxs/cam1/gap", typeof gap === "string" ? gap : JSON.stringify(gap), { qos: 1 });

test("a gap published by the camera is stored once and listed", async (t) => {
	const { cloud, api, mqtt } = await withCamera(t);
	const from = Date.now() - 60_000, to = from + 4_000;
	const gap = { channel: 1, from, to, frames: 100, reason: "overwritten" };
	await publishGap(mqtt, gap);
	await publishGap(mqtt, gap); // a QoS 1 redelivery, or the same report received by a second instance
	await eventually(() => rows(cloud).length === 1);
	// A second instance sharing the metadata stores nothing more either.
	t.false(await recordGap(cloud.ctx, "ivxs/cam1/gap", Buffer.from(JSON.stringify(gap))));
	await new Promise((resolve) => setTimeout(resolve, 100));
	t.deepEqual(rows(cloud), [{ device: "cam1", channel: 1, from_ms: from, to_ms: to, frames: 100, reason: "overwritten" }]);
	const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
	t.regex(metrics, /^ivxs_gaps_total 1$/m);

	const list = await api(`/v1/devices/cam1/gaps?start=${from - 1000}&end=${to + 1000}`);
	t.is(list.status, 200);
	t.deepEqual(await list.json(), { gaps: [{ channel: 1, from: new Date(from).toISOString(), to: new Date(to).toISOString(), fromMs: from, toMs: to, frames: 100, reason: "overwritten" }] });

	// More of them: listed by from, the ones overlapping [start, end), of one channel when asked.
	await publishGap(mqtt, { channel: 0, from: from - 10_000, to: from + 1_000, frames: 0, reason: "restart" }); // began before start
	await publishGap(mqtt, { channel: 0, from: to + 500, to: to + 500, frames: 1, reason: "rejected" }); // one instant
	await publishGap(mqtt, { channel: 1, from, to, frames: 100, reason: "refused" }); // same span, another reason: another gap
	await publishGap(mqtt, { channel: 1, from: from - 30_000, to: from - 20_000, frames: 250, reason: "disk_full" }); // before the range
	await eventually(() => rows(cloud).length === 5);
	const listed = (await (await api(`/v1/devices/cam1/gaps?start=${from}&end=${to + 1000}`)).json()).gaps;
	t.deepEqual(listed.map((g) => [g.channel, g.fromMs, g.reason]), [[0, from - 10_000, "restart"], [1, from, "overwritten"], [1, from, "refused"], [0, to + 500, "rejected"]]);
	const ofChannel1 = (await (await api(`/v1/devices/cam1/gaps?start=${from - 60_000}&end=${to}&channel=1`)).json()).gaps;
	t.deepEqual(ofChannel1.map((g) => g.reason), ["disk_full", "overwritten", "refused"]);
	const limited = await api(`/v1/devices/cam1/gaps?start=${from - 60_000}&end=${to + 1000}&limit=2`);
	t.is(limited.headers.get("x-ivxs-more"), "1");
	t.deepEqual((await limited.json()).gaps.map((g) => g.reason), ["disk_full", "restart"]);
	t.is((await api(`/v1/devices/cam1/gaps?start=${from - 60_000}&end=${to + 1000}`)).headers.get("x-ivxs-more"), null);
	t.deepEqual(await (await api(`/v1/devices/cam1/gaps?start=${to + 1000}&end=${to + 2000}`)).json(), { gaps: [] });
});

const good = () => ({ channel: 0, from: Date.now() - 5000, to: Date.now() - 1000, frames: 40, reason: "overwritten" });
const hostile = [
	["not JSON", "{not json", /not JSON/],
	["an array", "[1,2]", /JSON object/],
	["null", "null", /JSON object/],
	["an empty message", "", /not JSON/],
	["no channel", { ...good(), channel: undefined }, /channel must be an integer 0..1/],
	["no from", { ...good(), from: undefined }, /from and to must be unix ms/],
	["no to", { ...good(), to: undefined }, /from and to must be unix ms/],
	["no frames", { ...good(), frames: undefined }, /frames must be an integer/],
	["no reason", { ...good(), reason: undefined }, /reason must be/],
	["from after to", { ...good(), from: Date.now() - 1000, to: Date.now() - 5000 }, /from must not be after to/],
	["a channel out of range", { ...good(), channel: 2 }, /channel must be an integer 0..1/],
	["a negative channel", { ...good(), channel: -1 }, /channel must be an integer 0..1/],
	["a fractional channel", { ...good(), channel: 0.5 }, /channel must be an integer 0..1/],
	["negative frames", { ...good(), frames: -1 }, /frames must be an integer 0..2\^31/],
	["fractional frames", { ...good(), frames: 1.5 }, /frames must be an integer/],
	["frames over 2^31", { ...good(), frames: 2 ** 31 + 1 }, /frames must be an integer/],
	["an oversize message", { ...good(), pad: "x".repeat(5000) }, /over 4096/],
	["a to far ahead", { ...good(), to: Date.now() + 3 * 86400_000 }, /more than a day ahead/],
	["times in seconds", { ...good(), from: 1_700_000_000, to: 1_700_000_100 }, /from and to must be unix ms/],
	["times before 2000", { ...good(), from: Date.UTC(1999, 11, 31), to: Date.UTC(1999, 11, 31, 1) }, /from and to must be unix ms/],
	["a string from", { ...good(), from: String(Date.now() - 5000) }, /from and to must be unix ms/],
	["a string channel", { ...good(), channel: "0" }, /channel must be an integer/],
	["string frames", { ...good(), frames: "40" }, /frames must be an integer/],
	["a reason with capitals and spaces", { ...good(), reason: "Disk Full" }, /reason must be overwritten, refused, rejected, restart or another token/],
	["a long reason", { ...good(), reason: "x".repeat(33) }, /reason must be/],
	["an empty reason", { ...good(), reason: "" }, /reason must be/],
	["a reason with a path", { ...good(), reason: "../etc" }, /reason must be/],
	["a numeric reason", { ...good(), reason: 3 }, /reason must be/],
	["an object reason", { ...good(), reason: { toString: "restart" } }, /reason must be/],
];

test("hostile or malformed gap messages are refused, counted and not stored", async (t) => {
	const { cloud, mqtt } = await withCamera(t);
	for (const [, payload] of hostile) await publishGap(mqtt, payload);
	await publishGap(mqtt, { ...good(), reason: "ok" });
	await eventually(() => rows(cloud).length === 1);
	t.is(rows(cloud)[0].reason, "ok");
	const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
	// All but the empty one: on MQTT that clears a retained message (as the cloud does for a removed device); not a gap, not counted.
	t.regex(metrics, new RegExp(`^ivxs_gaps_refused_total ${hostile.length - 1}$`, "m"));
	t.regex(metrics, /^ivxs_gaps_total 1$/m);
	// And each is refused for the reason it should be.
	for (const [name, payload, reason] of hostile) {
		const error = await t.throwsAsync(() => recordGap(cloud.ctx, "ivxs/cam1/gap", Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload))), undefined, name);
		t.regex(error.message, reason, name);
	}
	await t.throwsAsync(() => recordGap(cloud.ctx, "ivxs/nobody/gap", Buffer.from(JSON.stringify(good()))), { message: /gap from unknown device nobody/ });
	await t.throwsAsync(() => recordGap(cloud.ctx, "ivxs/cam1/event", Buffer.from(JSON.stringify(good()))), { message: /not a gap topic/ });
	// The edges are accepted: frames 0 and 2^31, a 32-character token, from = to.
	const now = Date.now();
	t.true(await recordGap(cloud.ctx, "ivxs/cam1/gap", Buffer.from(JSON.stringify({ channel: 1, from: now, to: now, frames: 0, reason: "x".repeat(32) })), now));
	t.true(await recordGap(cloud.ctx, "ivxs/cam1/gap", Buffer.from(JSON.stringify({ channel: 1, from: now - 1, to: now + 86400_000, frames: 2 ** 31, reason: "restart" })), now));
	t.is(rows(cloud).length, 3);
});

test("the gaps list checks its viewer and its parameters as the events list does", async (t) => {
	const { cloud, api, mqtt } = await withCamera(t);
	await publishGap(mqtt, good());
	await eventually(() => rows(cloud).length === 1);
	await addUser(cloud.ctx.sql, "bob", "bob-password-1");
	t.is((await fetch(`${cloud.url}/v1/devices/cam1/gaps`)).status, 401);
	const bob = (await session(cloud, "bob", "bob-password-1")).cookie;
	const asBob = (path) => fetch(`${cloud.url}${path}`, { headers: { cookie: bob } });
	const notGranted = await asBob("/v1/devices/cam1/gaps");
	t.is(notGranted.status, 403);
	t.notRegex(await notGranted.text(), /overwritten/);
	t.is((await asBob("/v1/devices/nobody/gaps")).status, 404);
	await grantDevice(cloud.ctx.sql, "bob", "cam1");
	const granted = await asBob("/v1/devices/cam1/gaps");
	t.is(granted.status, 200);
	t.is((await granted.json()).gaps.length, 1);
	for (const [query, message] of [["start=yesterday", /start must be unix ms or an ISO 8601/], [`start=${Date.UTC(2025, 0, 2)}&end=${Date.UTC(2025, 0, 1)}`, /end must be after start/],
		[`start=${Date.UTC(2025, 0, 1)}&end=${Date.UTC(2025, 2, 1)}`, /more than the 31 d allowed/],
		["channel=2", /channel 2 out of range/], ["channel=x", /channel must be a number/], ["limit=0", /limit must be/]]) {
		const response = await api(`/v1/devices/cam1/gaps?${query}`);
		t.is(response.status, 400, query);
		t.regex((await response.json()).error, message, query);
	}
	t.is((await api("/v1/devices/nobody/gaps")).status, 404);
});

test("a gap the store failed to take (a full disk) is kept and stored when the store is back (before, it was logged and lost)", async (t) => {
	const { cloud, mqtt } = await withCamera(t);
	const sql = cloud.ctx.sql, run = sql.run.bind(sql);
	let failures = 0;
	// The broker acknowledged the message: the camera will not send it again, so the cloud must keep it.
	sql.run = async (text, params) => {
		if (/INSERT INTO gaps/.test(text) && failures < 2) {
			failures++;
			throw new Error("SQLITE_FULL: database or disk is full");
		}
		return run(text, params);
	};
	t.teardown(() => { sql.run = run; });
	const from = Date.now() - 60_000;
	await publishGap(mqtt, { channel: 0, from, to: from + 2_000, frames: 30, reason: "overwritten" });
	await eventually(() => failures === 2, 10_000);
	await eventually(() => rows(cloud).length === 1, 10_000);
	t.deepEqual(rows(cloud), [{ device: "cam1", channel: 0, from_ms: from, to_ms: from + 2_000, frames: 30, reason: "overwritten" }]);
});
