// Live on demand (issue 17; PROTOCOL §5 `cmd` "live"): with the plan off the
// simulated camera uploads nothing until a viewer opens live; then segments
// arrive within seconds, and the camera stops once the viewer has left (after
// the linger).
import test from "ava";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { eventually } from "./_mqtt.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { liveLeaseOf, LiveLeases } from "../../build/node/modules/protocol/live.js";
import { runRetention } from "../../build/node/cloud/src/retention/index.js";

const adminPassword = "admin-secret-1";

test("segments the plan uploads are not marked live-only, also while a viewer watches", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, liveLingerS: 2 });
	const device = await deviceIn(cloud, "cam-rec");
	const { call } = await session(cloud, "admin", adminPassword);
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 6, speed: 2, mqtt: true });
	t.teardown(() => camera.close());
	const run = camera.run();
	await eventually(async () => (await call("/v1/hls/cam-rec/0/live.m3u8")).status === 200, 8000);
	const stats = await run;
	t.true(stats.stored >= 5);
	t.is(cloud.ctx.sql.db.prepare("SELECT count(*) AS n FROM live_only").get().n, 0);
});

test("a lease only ever extends streaming; malformed or foreign commands are no lease", (t) => {
	const leases = new LiveLeases();
	t.true(leases.take({ channel: 0, forS: 10 }, 1000));
	t.false(leases.take({ channel: 0, forS: 2 }, 2000), "a shorter lease does not cut it short");
	t.true(leases.active(0, 10_999));
	t.false(leases.active(0, 11_000));
	t.false(leases.active(1, 5000));
	t.is(leases.nextEnd(5000), 6000);
	t.deepEqual(liveLeaseOf({ type: "live", channel: 1, forS: 30 }), { channel: 1, forS: 30 });
	t.deepEqual(liveLeaseOf({ type: "live", channel: 0, forS: 1e9 }), { channel: 0, forS: 300 });
	for (const bad of [{ type: "snapshot", channel: 0, forS: 30 }, { type: "live", channel: -1, forS: 30 }, { type: "live", channel: 0, forS: -1 }, { type: "live", channel: 0, forS: "30" }, { type: "live", channel: 0.5, forS: 1 }])
		t.is(liveLeaseOf(bad), undefined, JSON.stringify(bad));
});

test("plan off: a viewer opening live starts the camera within seconds; it stops after the viewer leaves", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, liveLingerS: 2 });
	const device = await deviceIn(cloud, "cam-od");
	const { call } = await session(cloud, "admin", adminPassword);
	t.is((await call("/v1/devices/cam-od/plan", { method: "PUT", body: { mode: "none" } })).status, 200);
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 40, speed: 1, mqtt: true });
	t.teardown(() => camera.close());
	const settled = [];
	camera.onSegment = (seq, answer) => settled.push({ seq, at: Date.now(), stored: answer?.status === 201 });
	const run = camera.run();
	await eventually(() => settled.length >= 2, 8000);
	t.false(camera.pushing);
	t.false(settled.some((s) => s.stored), "nothing uploaded with the plan off and nobody watching");
	// The viewer's first request waits for the camera it woke (a player reloads about once a segment).
	const opened = Date.now();
	const live = await call("/v1/hls/cam-od/0/live.m3u8");
	const firstMs = Date.now() - opened;
	t.is(live.status, 200, "the first request answers with the first live segment");
	t.true(firstMs < 5000, `live after ${firstMs} ms`);
	t.regex(await live.text(), /#EXTINF/);
	for (let i = 0; i < 3; i++) {
		await new Promise((resolve) => setTimeout(resolve, 1000));
		t.is((await call("/v1/hls/cam-od/0/live.m3u8")).status, 200);
	}
	const left = Date.now();
	// The viewer left: after the 2-s linger (and the segment being cut then) nothing more is uploaded.
	await eventually(() => !camera.live, 5000);
	const stoppedMs = Date.now() - left;
	t.true(stoppedMs <= 3000, `stopped ${stoppedMs} ms after the last request`);
	const after = settled.length;
	await eventually(() => settled.length >= after + 3, 8000);
	t.false(settled.slice(after + 1).some((s) => s.stored), "no uploads once the lease ran out");
	camera.stop();
	await run;
	// What was uploaded for the viewer only is marked so, and retention drops it once past its live use.
	const { db } = cloud.ctx.sql;
	const stored = db.prepare("SELECT count(*) AS n FROM segments WHERE device = ? AND deleted IS NULL").get(device.id).n;
	t.true(stored >= 3);
	t.is(db.prepare("SELECT count(*) AS n FROM live_only").get().n, stored, "every segment is marked live-only");
	t.is((await runRetention(cloud.ctx, Date.now())).segments, 0, "kept while a late viewer may still play it");
	t.is((await runRetention(cloud.ctx, Date.now() + 200_000)).segments, stored);
	t.is(db.prepare("SELECT count(*) AS n FROM segments WHERE device = ? AND deleted IS NULL").get(device.id).n, 0);
	t.is(db.prepare("SELECT count(*) AS n FROM live_only").get().n, 0);
	t.log(`live after ${firstMs} ms; camera stopped ${stoppedMs} ms after the viewer left (linger 2 s)`);
});
