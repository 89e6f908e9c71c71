// Normal operation logs nothing that looks like a fault (issue 17): a simulated
// camera streaming segments in real time, a viewer's blocking playlist reloads,
// a live FLV viewer and a cloud restart the camera reconnects across give no warn or error line.
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { startCloud } from "../../build/node/cloud/src/server.js";
import { addDevice } from "../../build/node/cloud/src/devices/registry.js";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { eventually } from "./_mqtt.mjs";

const adminPassword = "admin-secret-1";

/** A cloud whose warn-and-above lines are kept in `lines`. */
async function loggedCloud(dataDir, port, lines) {
	const config = loadConfig({ host: "127.0.0.1", port, logLevel: "warn", adminPassword, dataDir }, {});
	return startCloud(config, pino({ level: "warn" }, { write: (line) => lines.push(JSON.parse(line)) }));
}

test.serial("a camera streaming in real time, a live viewer and a cloud restart log no warning", async (t) => {
	const dataDir = mkdtempSync(join(tmpdir(), "ivxs-quiet-"));
	t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
	const lines = [];
	let cloud = await loggedCloud(dataDir, 0, lines);
	const port = Number(new URL(cloud.url).port);
	t.teardown(() => cloud.stop());
	const device = await addDevice(cloud.ctx.sql, { id: "cam-q" });
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 9, speed: 1, mqtt: true });
	t.teardown(() => camera.close());
	const run = camera.run();
	// One sign-in (repeated ones are rate-limited); the session outlives the restart.
	const signIn = await fetch(`${cloud.url}/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "admin", password: adminPassword }) });
	t.is(signIn.status, 200);
	const cookie = signIn.headers.get("set-cookie").split(";")[0];
	const admin = (path) => fetch(`${cloud.url}${path}`, { headers: { cookie } });
	// A viewer: blocking reloads (each waits for the next segment on purpose).
	await eventually(async () => (await admin("/v1/hls/cam-q/0/live.m3u8")).status === 200, 8000);
	for (let i = 0; i < 2; i++) {
		const text = await (await admin("/v1/hls/cam-q/0/live.m3u8")).text();
		const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)[1]) + text.split("#EXTINF").length - 1;
		t.is((await admin(`/v1/hls/cam-q/0/live.m3u8?_HLS_msn=${msn}`)).status, 200);
	}
	// A live FLV viewer for a while (the answer lasts as long as it watches).
	const controller = new AbortController();
	const flv = await fetch(`${cloud.url}/v1/live/cam-q/0.flv`, { headers: { cookie }, signal: controller.signal });
	t.is(flv.status, 200);
	const reading = (async () => {
		try {
			for await (const _ of flv.body);
		}
		catch {} // aborted
	})();
	await new Promise((resolve) => setTimeout(resolve, 1500));
	controller.abort();
	await reading;
	// The cloud restarts on the same port; the camera signs in again (a fresh nonce) and is online.
	await cloud.stop();
	cloud = await loggedCloud(dataDir, port, lines);
	await eventually(async () => (await (await admin("/v1/devices/cam-q")).json()).online === true, 8000);
	const stats = await run;
	t.true(stats.stored >= 5, `stored ${stats.stored}`);
	// The first start's notice of the admin it created is the operator's to read, not a fault.
	const faults = lines.filter((line) => !line.msg.startsWith("created user admin"));
	t.deepEqual(faults.map((line) => `${line.level} ${line.msg} ${line.url ?? ""} ${line.ms ?? ""}`), []);
});
