// Stills out of schedule from the camera app on the XS host (issue 17; PROTOCOL §5): a viewer's
// "snapshot now" reaches the camera on its control channel and its still comes back through the
// snapshot path; each event goes up with a still stamped with the event's time, which the events
// API links as the event's picture. Asks closer than the camera's gap are dropped, not queued.
import test from "ava";
import { cloudFor, deviceIn, session } from "../cloud/tests/_cloud.mjs";
import { eventually } from "../cloud/tests/_mqtt.mjs";
import { deviceFile, runCamera } from "./_camera.mjs";
import { topicOf } from "../build/node/cloud/src/control/topics.js";
import { snapshotCommand } from "../build/node/modules/protocol/still.js";

const adminPassword = "admin-secret-1";

test("xs › snapshot now uploads a still within seconds; each event goes up with its picture", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const device = await deviceIn(cloud);
	const { call } = await session(cloud, "admin", adminPassword);
	let connected = false;
	const run = runCamera(deviceFile(t, device, cloud.url), { seconds: 16, args: ["--event-at", "12"], onStdout: (text) => { if (text.includes("control channel connected")) connected = true; } });
	const stills = () => cloud.ctx.sql.db.prepare("SELECT time_ms FROM snapshots WHERE device = ? ORDER BY time_ms").all(device.id).map((row) => row.time_ms);
	await eventually(() => connected, 15_000);
	await eventually(async () => (await cloud.ctx.sql.get("SELECT online FROM presence WHERE device = ?", [device.id]))?.online == 1, 10_000);
	// The scheduled still of the round's start comes first: wait for it so the count below is the command's.
	await eventually(() => stills().length === 1, 10_000);
	const asked = Date.now();
	t.is((await call(`/v1/snapshots/${device.id}/0`, { method: "POST" })).status, 202);
	await eventually(() => stills().length === 2, 8000);
	const tookMs = Date.now() - asked;
	// Straight on the bus, past the cloud's own limit: the camera keeps its gap by itself.
	await cloud.ctx.bus.publish(topicOf(device.id, "cmd"), snapshotCommand(0), { qos: 1 });
	const result = await run;
	t.is(result.code, 0, result.stderr + result.stdout);
	const [event] = [...result.stdout.matchAll(/event at (\d+)/g)].map((m) => Number(m[1]));
	t.truthy(event);
	t.true(stills().includes(event), "a still stamped with the event's time");
	t.is(stills().length, 3, "the scheduled one, the asked one and the event's: the ask within the gap was dropped");
	t.deepEqual(result.summary.stills, { ok: 2, failed: 0, dropped: 1 });
	const events = await (await call(`/v1/devices/${device.id}/events?start=${new Date(asked - 60e3).toISOString()}`)).json();
	t.is(events.length, 1);
	t.regex(events[0].picture, new RegExp(`^/v1/snapshots/${device.id}/0/${event}\\.jpg\\?`));
	t.log(`snapshot now: stored ${tookMs} ms after the ask`);
});
