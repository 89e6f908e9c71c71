// Live on demand from the camera app on the XS host (issue 17; PROTOCOL §5 `cmd` "live"): with
// the plan off nothing is uploaded until a viewer opens live; the camera then streams from its
// live edge within seconds and stops after the viewer has left (the cloud's linger).
import test from "ava";
import { cloudFor, deviceIn, session } from "../cloud/tests/_cloud.mjs";
import { eventually } from "../cloud/tests/_mqtt.mjs";
import { defaultPlan, mergePlan, publishPlan, writePlan } from "../build/node/cloud/src/control/plans.js";
import { deviceFile, runCamera } from "./_camera.mjs";

const adminPassword = "admin-secret-1";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("xs › plan off: a viewer opening live starts the camera within seconds; it stops after the viewer leaves", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, liveLingerS: 2 });
	const device = await deviceIn(cloud);
	const plan = await writePlan(cloud.ctx.sql, device.id, mergePlan(defaultPlan(1), { mode: "none", segmentS: 1 }, 1));
	await publishPlan(cloud.ctx, device.id, plan);
	const { call } = await session(cloud, "admin", adminPassword);
	let connected = false;
	const run = runCamera(deviceFile(t, device, cloud.url), { seconds: 24, onStdout: (text) => { if (text.includes("control channel connected")) connected = true; } });
	const segments = () => cloud.ctx.sql.db.prepare("SELECT start_ms, end_ms FROM segments WHERE device = ? ORDER BY start_ms").all(device.id);
	await eventually(() => connected, 15_000);
	await sleep(3000);
	t.is(segments().length, 0, "nothing uploaded with the plan off and nobody watching");
	const opened = Date.now();
	await eventually(async () => (await call(`/v1/hls/${device.id}/0/live.m3u8`)).status === 200, 10_000);
	const firstMs = Date.now() - opened;
	for (let i = 0; i < 4; i++) {
		await sleep(1000);
		t.is((await call(`/v1/hls/${device.id}/0/live.m3u8`)).status, 200);
	}
	const left = Date.now();
	const result = await run;
	t.is(result.code, 0, result.stderr + result.stdout);
	const stored = segments();
	t.true(stored.length >= 4, `${stored.length} segments while watched`);
	// The lease ends 2 s after the last request (renewed every 2/3 s): a segment cut then may still land.
	const lastStart = Math.max(...stored.map((s) => s.start_ms));
	t.true(lastStart < left + 2000 + 1500, `the last segment starts ${lastStart - left} ms after the viewer left`);
	t.true(result.summary.channels["0"].segmentsRefused === 0);
	t.is(cloud.ctx.sql.db.prepare("SELECT count(*) AS n FROM live_only").get().n, stored.length, "uploaded for the viewer only: marked live-only (§3.2 live=1)");
	t.log(`live after ${firstMs} ms; ${stored.length} segments; the last starts ${lastStart - left} ms after the viewer left (linger 2 s); the camera ran ${Math.round((Date.now() - left) / 1000)} s more`);
});
