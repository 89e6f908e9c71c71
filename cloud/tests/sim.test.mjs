// The simulated camera as a program (its CLI) and on the control channel
// (PROTOCOL.md §5) — here against a plain aedes broker that checks the
// CONNECT password the way §5 says, so the camera side is tested on its own.
import test from "ava";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import aedes from "aedes";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { mqttPasswordValid } from "../../tests/_protocol-oracle.mjs";
import { runLoad } from "../../build/node/cloud/sim/load.js";

const cameraJs = join(import.meta.dirname, "../../build/node/cloud/sim/camera.js");

test("the camera CLI uploads an audio-only stream and prints its stats", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const { stdout } = await promisify(execFile)(process.execPath, [cameraJs, "--cloud", cloud.url, "--device", device.id, "--secret", device.secret, "--seconds", "3", "--speed", "0", "--audio-only"]);
	const stats = JSON.parse(stdout);
	t.like(stats, { segments: 3, stored: 3, refused: 0, videoFrames: 0, snapshots: 1 });
	t.is(cloud.ctx.sql.db.prepare("SELECT count(*) AS n FROM segments WHERE device = ?").get(device.id).n, 3);
	const usage = await promisify(execFile)(process.execPath, [cameraJs, "--cloud", cloud.url]).catch((error) => error);
	t.is(usage.code, 2);
	t.regex(usage.stderr, /usage: camera.js --cloud URL --device ID --secret S/);
});

/** An MQTT broker on a free port that accepts a device only with a valid §5 password. */
async function broker(t, devices) {
	const instance = aedes.createBroker({
		authenticate: (client, username, password, done) => {
			const device = devices.find((d) => d.id === username && d.id === client.id);
			done(null, Boolean(device && mqttPasswordValid(device.secret, device.id, String(password))));
		},
	});
	const server = createServer(instance.handle);
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	t.teardown(() => new Promise((resolve) => server.close(() => instance.close(resolve))));
	return { instance, url: `mqtt://127.0.0.1:${server.address().port}` };
}

const retained = (instance, topic) => new Promise((resolve) => {
	const found = [];
	instance.persistence.createRetainedStream(topic).on("data", (packet) => found.push(JSON.parse(packet.payload.toString()))).on("end", () => resolve(found[0]));
});

test("over MQTT the camera is present (with a last will), publishes events and pushes only while the retained plan says so", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const { instance, url } = await broker(t, [device]);
	const events = [];
	instance.on("publish", (packet) => packet.topic === `ivxs/${device.id}/event` && events.push(JSON.parse(packet.payload.toString())));
	// The plan is retained before the camera connects: it must apply it without asking.
	const plan = (push, rev) => new Promise((resolve) => instance.publish({ cmd: "publish", topic: `ivxs/${device.id}/plan`, payload: Buffer.from(JSON.stringify({ v: 1, rev, mode: "continuous", push })), qos: 1, retain: true, dup: false }, resolve));
	await plan(false, 1);
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 6, speed: 4, mqtt: url, eventEveryS: 2 });
	t.teardown(() => camera.close());
	const seen = [];
	camera.onPlan = (p) => seen.push(p.rev);
	camera.onSegment = (seq) => {
		if (seq === 1) void plan(true, 2);
	};
	const stats = await camera.run();
	t.deepEqual(seen, [1, 2]);
	t.true(stats.skipped >= 2, `${stats.skipped} segments held back while push was false`);
	t.is(stats.stored, stats.segments - stats.skipped);
	t.true(stats.stored >= 2);
	t.deepEqual((await retained(instance, `ivxs/${device.id}/presence`)).online, true);
	t.is(events.length, 2);
	t.like(events[0], { channel: 0, bits: 1 });
	t.not(events[0].id, events[1].id);
	// Gone without a word: the broker publishes the will.
	const gone = new Promise((resolve) => instance.on("publish", (packet) => packet.topic === `ivxs/${device.id}/presence` && resolve(JSON.parse(packet.payload.toString()))));
	for (const client of Object.values(instance.clients)) client.conn.destroy();
	t.deepEqual(await gone, { online: false });
});

test("a camera with a wrong secret is refused by the broker", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const { url } = await broker(t, [device]);
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: "w".repeat(32), seconds: 1, speed: 0, mqtt: url });
	t.teardown(() => camera.close());
	await t.throwsAsync(() => camera.run(), { message: /Not authorized|Bad username or password/i });
});

test("the load generator's cameras each store one 2-s segment per period, signed per request", async (t) => {
	const cloud = await cloudFor(t);
	const devices = [];
	for (let i = 0; i < 20; i++) devices.push(await deviceIn(cloud));
	const result = await runLoad({ cloud: cloud.url, devices, cameras: 20, seconds: 4 });
	t.like(result, { requests: 40, stored: 40, late: 0, failed: 0 });
	const rows = cloud.ctx.sql.db.prepare("SELECT seq, end_ms - start_ms AS ms, bytes FROM segments ORDER BY device, seq").all();
	t.is(rows.length, 40);
	t.true(rows.every((r) => r.ms === 2000));
	t.is(result.bytes_accepted, result.bytes_sent); // every init and segment answered 201
});

test("in real time, a segment's upload reaches the cloud with its first fragment, ~4/5 s before the segment is complete", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	// When each segment request arrived, and when its segment was committed.
	const arrived = new Map(), committed = new Map();
	const handle = cloud.ctx.router.handle.bind(cloud.ctx.router);
	cloud.ctx.router.handle = (req, res, log) => {
		const seq = /\/segments\/(\d+)$/.exec(req.url ?? "")?.[1];
		if (seq !== undefined && !arrived.has(Number(seq))) arrived.set(Number(seq), performance.now());
		return handle(req, res, log);
	};
	const listener = (row) => row.device === device.id && committed.set(row.seq, performance.now());
	cloud.ctx.segmentEvents.on("segment", listener);
	t.teardown(() => cloud.ctx.segmentEvents.off("segment", listener));
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 3, speed: 1 });
	t.teardown(() => camera.close());
	t.like(await camera.run(), { segments: 3, stored: 3, resent: 0 });
	// Five fragments of 3 frames (200 ms) each: the request comes with the first, the commit after the fifth.
	// (Not segment 0: it waits for the stream's init upload, and on a loaded machine its fragments
	// may all be cut meanwhile and go out together — streamed, but not timed by the media.)
	for (const seq of [1, 2]) t.true(committed.get(seq) - arrived.get(seq) > 500, `segment ${seq}: ${Math.round(committed.get(seq) - arrived.get(seq))} ms between request and commit`);
});

test("the simulated camera uploads snapshots like the camera (the first at the start of a plan interval): the fixture stills, as sent", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "admin-secret-1" });
	const device = await deviceIn(cloud);
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 2, speed: 0, mqtt: true, snapshots: true });
	t.teardown(() => camera.close());
	const stats = await camera.run();
	t.is(stats.snapshots, 1, "the first slot of a round is at its start");
	const { call } = await session(cloud, "admin", "admin-secret-1");
	const latest = await call(`/v1/snapshots/${device.id}/0/latest`);
	t.is(latest.status, 200);
	t.deepEqual(Buffer.from(await latest.arrayBuffer()), readFileSync(join(import.meta.dirname, "../../fixtures/media/stills/0001.jpg")));
	const noStills = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 1, speed: 0 });
	t.is((await noStills.run()).snapshots, 0);
	await noStills.close();
});
