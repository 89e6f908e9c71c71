// A removed device takes everything of it along: a device added again under
// the same id, and whoever is granted it, see nothing of the old one by any
// route — recordings, clips, files, HLS, media, events, gaps, snapshots,
// plan, presence — and the objects leave the store (disk and S3) once the
// grace for URLs already handed out has run.
import test from "ava";
import { cloudFor, engines, onEngine, session } from "./_cloud.mjs";
import { s3For } from "./_s3.mjs";
import { jpeg } from "./_media.mjs";
import { signRequest } from "../../build/node/cloud/sim/sign.js";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { Uploader } from "../../build/node/cloud/sim/uploader.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";
import { addFreshDevice, purgeDevice } from "../../build/node/cloud/src/devices/removal.js";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { addToken, addUser, grantDevice } from "../../build/node/cloud/src/users/store.js";
import { recordEvent } from "../../build/node/cloud/src/events/index.js";
import { recordGap } from "../../build/node/cloud/src/gaps/index.js";
import { assembleClosed } from "../../build/node/cloud/src/recordings/assemble.js";
import { sweepTombstones } from "../../build/node/cloud/src/retention/objects.js";
import { pendingBytes } from "../../build/node/cloud/src/storage/tombstones.js";
import { commands } from "../../build/node/cloud/src/commands.js";

const adminPassword = "admin-secret-1";
const graceS = 10; // urlLifetimeS at its minimum: the grace is max(deleteGraceS, urlLifetimeS)
const bob = { user: "bob", admin: false };
const tables = ["devices", "segments", "files", "streams", "hls_streams", "snapshots", "events", "gaps", "grants", "presence", "plans"];

async function keysIn(store) {
	const keys = [];
	for await (const info of store.list("")) keys.push(info.key);
	return keys.sort();
}

const rowsOf = async (cloud, id) => Object.fromEntries(await Promise.all(tables.map(async (table) =>
	[table, (await cloud.ctx.sql.get(`SELECT COUNT(*) AS n FROM ${table} WHERE ${table === "devices" ? "id" : "device"} = ?`, [id])).n])));

/** Everything a camera makes, through the real routes: segments (ended stream), a snapshot, events, gaps; then the assembled file. */
async function record(cloud, device) {
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 4, speed: 0, stream: "s1" });
	const stats = await camera.run();
	if (!stats.stored) throw new Error("no segment stored");
	const time = Date.now() - 5_000;
	const path = `/v1/devices/${device.id}/channels/0/snapshots?time=${time}`;
	const body = jpeg();
	const signed = signRequest({ device: device.id, key: device.secret, method: "PUT", path, body });
	const snapshot = await fetch(`${cloud.url}${path}`, { method: "PUT", body, headers: { "content-type": "image/jpeg", ...signed.headers } });
	if (snapshot.status !== 201) throw new Error(`snapshot: ${snapshot.status}`);
	await recordEvent(cloud.ctx, `ivxs/${device.id}/event`, Buffer.from(JSON.stringify({ id: "e1", channel: 0, time, bits: 1 })));
	await recordGap(cloud.ctx, `ivxs/${device.id}/gap`, Buffer.from(JSON.stringify({ channel: 0, from: time - 1000, to: time, frames: 15, reason: "overwritten" })));
	if (await assembleClosed(cloud.ctx) !== 1) throw new Error("no file assembled");
	return { snapshotTime: time };
}

/** What bob sees of `id` through every viewer route, with his token or the URLs the cloud hands out. */
async function seenBy(cloud, token, id, { snapshotTime }) {
	const get = (path) => fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
	const body = async (path) => {
		const response = await get(path);
		return response.status === 200 ? response.json() : response.status;
	};
	const range = `start=${Date.now() - 3600_000}&end=${Date.now() + 60_000}`;
	const spans = await body(`/v1/recordings/${id}/0/list?${range}`);
	const files = await body(`/v1/recordings/${id}/0/files?${range}`);
	const status = async (path) => (await get(path)).status;
	return {
		spans: Array.isArray(spans) ? spans.length : spans,
		files: Array.isArray(files) ? files.length : files,
		events: (await body(`/v1/devices/${id}/events?${range}`)).length,
		gaps: (await body(`/v1/devices/${id}/gaps?${range}`)).gaps.length,
		snapshots: (await body(`/v1/snapshots/${id}/0?${range}`)).length,
		latest: await status(`/v1/snapshots/${id}/0/latest`),
		picture: await status(`/v1/snapshots/${id}/0/${snapshotTime}.jpg`),
		init: await status(`/v1/media/${id}/0/s1/init.mp4`),
		segment: await status(`/v1/media/${id}/0/s1/0.m4s`),
		clip: await status(`/v1/recordings/${id}/0/get?start=${Date.now() - 3600_000}&duration=3660`),
		vod: await status(`/v1/hls/${id}/0/vod.m3u8?${range}`),
		lastSnapshot: (await body(`/v1/devices/${id}`)).lastSnapshot !== null,
		planRev: (await body(`/v1/devices/${id}/plan`)).rev,
	};
}

for (const [kind, metadata] of [["disk", "sqlite"], ["s3", "sqlite"], ...engines.filter((engine) => engine !== "sqlite").map((engine) => ["disk", engine])]) {
	test(onEngine(metadata, `${kind}: a device removed and added again under its id shows nothing of the old one; its objects leave the store after the grace`), async (t) => {
		const storage = kind === "s3" ? (await s3For(t)).storage : undefined;
		const cloud = await cloudFor(t, { adminPassword, urlLifetimeS: graceS, deleteGraceS: 0, metadata, ...(storage ? { storage } : {}) });
		const { call: admin } = await session(cloud, "admin", adminPassword);
		const first = await (await admin("/v1/devices", { method: "POST", body: { id: "cam1" } })).json();
		t.is((await admin("/v1/devices/cam1/plan", { method: "PUT", body: { mode: "event", retentionDays: 30 } })).status, 200);
		const made = await record(cloud, first);
		await addUser(cloud.ctx.sql, "bob", "bob-password");
		await grantDevice(cloud.ctx.sql, "bob", "cam1");
		const token = await addToken(cloud.ctx.sql, "bob");
		const before = await seenBy(cloud, token, "cam1", made);
		t.like(before, { files: 1, events: 1, gaps: 1, snapshots: 1, latest: 200, picture: 200, init: 200, segment: 200, clip: 200, vod: 200, lastSnapshot: true, planRev: 2 });
		t.true(before.spans > 0);
		const links = [
			signUrl(cloud.ctx, `/v1/media/cam1/0/s1/init.mp4`, bob),
			signUrl(cloud.ctx, `/v1/snapshots/cam1/0/${made.snapshotTime}.jpg`, bob),
			...(await (await admin(`/v1/recordings/cam1/0/files?start=${Date.now() - 3600_000}`)).json()).map((file) => file.url),
		];
		const objects = await keysIn(cloud.ctx.store);
		t.true(objects.some((key) => key.startsWith("media/cam1/0/s1/init")), "an init object");
		t.true(objects.some((key) => key.startsWith("files/cam1/")), "an assembled file");
		t.true(objects.some((key) => key.startsWith("snapshots/cam1/")), "a snapshot");

		const published = [];
		const publish = cloud.ctx.bus.publish.bind(cloud.ctx.bus);
		cloud.ctx.bus.publish = (topic, payload, options) => (published.push({ topic, payload: String(payload), retain: options?.retain }), publish(topic, payload, options));
		t.is((await admin("/v1/devices/cam1", { method: "DELETE" })).status, 204);
		for (const kind of ["presence", "event", "status", "gap", "plan", "cmd", "ota"])
			t.deepEqual(published.filter((p) => p.topic === `ivxs/cam1/${kind}`), [{ topic: `ivxs/cam1/${kind}`, payload: "", retain: true }], `retained ${kind} cleared`);
		t.deepEqual(await rowsOf(cloud, "cam1"), Object.fromEntries(tables.map((table) => [table, 0])), "no row of the device is left");
		// Until the sweep its objects still fill the store: the size cap counts them (retention/room.ts).
		t.true(await pendingBytes(cloud.ctx.sql) >= Math.max(...(await Promise.all(objects.filter((key) => key.startsWith("files/")).map(async (key) => (await cloud.ctx.store.get(key)).length)))), "the tombstones hold the objects' sizes");
		// Links handed out before: the rows are gone, so is what they opened.
		for (const link of links) t.is((await fetch(`${cloud.url}${link}`)).status, 404, link);

		// The same id again, granted to bob again.
		const second = await (await admin("/v1/devices", { method: "POST", body: { id: "cam1" } })).json();
		t.not(second.secret, first.secret);
		await grantDevice(cloud.ctx.sql, "bob", "cam1");
		t.deepEqual(await seenBy(cloud, token, "cam1", made), {
			spans: 0, files: 0, events: 0, gaps: 0, snapshots: 0, latest: 404, picture: 404, init: 404, segment: 404, clip: 404, vod: 404, lastSnapshot: false, planRev: 1,
		});
		for (const link of links) t.is((await fetch(`${cloud.url}${link}`)).status, 404, `${link} after the new device`);

		// The objects stay through the grace (a playback already reading is not cut), then go.
		t.deepEqual(await keysIn(cloud.ctx.store), objects, "nothing deleted before the grace");
		await sweepTombstones(cloud.ctx, Date.now() + graceS * 1000 + 1000);
		t.deepEqual(await keysIn(cloud.ctx.store), [], "every object of the old device is gone");
	});
}

test("the CLI removes a device with its data too; a device added again there starts empty; its objects go at the running cloud's sweep", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, urlLifetimeS: graceS, deleteGraceS: 0 });
	const { call: admin } = await session(cloud, "admin", adminPassword);
	const first = await (await admin("/v1/devices", { method: "POST", body: { id: "cam2" } })).json();
	const made = await record(cloud, first);
	await addUser(cloud.ctx.sql, "bob", "bob-password");
	await grantDevice(cloud.ctx.sql, "bob", "cam2");
	const token = await addToken(cloud.ctx.sql, "bob");
	t.is((await seenBy(cloud, token, "cam2", made)).events, 1);
	const objects = await keysIn(cloud.ctx.store);
	const cli = async (...args) => {
		const errors = [];
		const log = console.error, out = console.log;
		console.error = (line) => errors.push(line);
		console.log = () => {};
		try {
			return { code: await commands.device.run(cloud.config, args), errors };
		}
		finally {
			console.error = log;
			console.log = out;
		}
	};
	const removed = await cli("remove", "cam2");
	t.is(removed.code, 0);
	t.regex(removed.errors.join("\n"), /device cam2 removed: \d+ rows; \d+ objects deleted after the grace period/);
	t.is((await cli("remove", "cam2")).code, 1, "nothing left to remove");
	t.is((await cli("add", "cam2")).code, 0);
	await grantDevice(cloud.ctx.sql, "bob", "cam2");
	t.like(await seenBy(cloud, token, "cam2", made), { spans: 0, files: 0, events: 0, gaps: 0, snapshots: 0, latest: 404, picture: 404, init: 404, segment: 404, clip: 404 });
	t.deepEqual(await keysIn(cloud.ctx.store), objects);
	await sweepTombstones(cloud.ctx, Date.now() + graceS * 1000 + 1000);
	t.deepEqual(await keysIn(cloud.ctx.store), []);
});

test("what an earlier removal left behind (an older version, an upload that landed after it) is purged when the id is added again", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, urlLifetimeS: graceS, deleteGraceS: 0 });
	const { call: admin } = await session(cloud, "admin", adminPassword);
	const first = await (await admin("/v1/devices", { method: "POST", body: { id: "cam3" } })).json();
	const made = await record(cloud, first);
	// The removal of an older version: only the device row and its grants went.
	cloud.ctx.sql.db.prepare("DELETE FROM devices WHERE id = 'cam3'").run();
	t.is((await admin("/v1/devices", { method: "POST", body: { id: "cam3" } })).status, 201);
	await addUser(cloud.ctx.sql, "bob", "bob-password");
	await grantDevice(cloud.ctx.sql, "bob", "cam3");
	t.like(await seenBy(cloud, await addToken(cloud.ctx.sql, "bob"), "cam3", made), { spans: 0, files: 0, events: 0, gaps: 0, snapshots: 0, latest: 404, init: 404, clip: 404 });
	await sweepTombstones(cloud.ctx, Date.now() + graceS * 1000 + 1000);
	t.deepEqual(await keysIn(cloud.ctx.store), []);
	// Adding an id that exists is still a 409 that touches nothing.
	t.is((await admin("/v1/devices", { method: "POST", body: { id: "cam3" } })).status, 409);
});

test("a segment in flight when its device is removed and added again is refused (403) and its object removed: the new device does not inherit it", async (t) => {
	const cloud = await cloudFor(t);
	const old = await addFreshDevice(cloud.ctx.sql, cloud.ctx.config, { id: "cam-race" });
	const uploader = new Uploader({ cloud: cloud.url, device: old.id, secret: old.secret, backoffMs: 50, maxAttempts: 1 });
	t.teardown(() => uploader.close());
	const av = packageStream({ seconds: 2 });
	t.is((await uploader.putInit("s1", av.init, Date.now() - 60_000)).status, 201);
	// The segment's object put waits until the device is removed and added again (the request was
	// authenticated before, by the old registration).
	const put = cloud.ctx.store.put.bind(cloud.ctx.store);
	let reached, release;
	const inPut = new Promise((resolve) => (reached = resolve)), gate = new Promise((resolve) => (release = resolve));
	cloud.ctx.store.put = async (key, body) => {
		if (key.endsWith("/0.m4s")) reached(), await gate;
		return put(key, body);
	};
	const answer = uploader.sendFixed("PUT", uploader.path("s1", "segments/0"), av.segments[0].bytes);
	await inPut;
	await purgeDevice(cloud.ctx.sql, cloud.ctx.config, old.id);
	await addFreshDevice(cloud.ctx.sql, cloud.ctx.config, { id: old.id });
	release();
	const { status, json } = await answer;
	t.is(status, 403);
	t.regex(json.error, /was removed while this segment was uploaded/);
	t.is(cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM segments WHERE device = ?").get(old.id).n, 0, "no row for the new device");
	t.false((await keysIn(cloud.ctx.store)).some((key) => key.endsWith("/0.m4s")), "its object is gone");
});
