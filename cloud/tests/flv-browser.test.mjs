// HTTP-FLV live in a real FLV player (issue 17): mpegts.js (npm, the flv.js
// successor) in Chromium plays `/v1/live/:device/:channel.flv` of a simulated
// camera — H.264 and AAC, frames decoded and painted, playback advancing. The
// page is served at the cloud's origin by the browser itself (page.route), so
// the stream is a same-origin signed URL, as any page embedding it would use.
import test from "ava";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { eventually } from "./_mqtt.mjs";
import { browserFor, pictureColours, until } from "./_browser.mjs";
import "./_owner.mjs";   // screenshots under build/screenshots/
import { Camera } from "../../build/node/cloud/sim/camera.js";

const mpegts = readFileSync(createRequire(import.meta.url).resolve("mpegts.js/dist/mpegts.js"));
const adminPassword = "admin-secret-1";

const page = (flvUrl) => `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>HTTP-FLV in mpegts.js</title>
<style>body { font: 14px system-ui; margin: 12px } video { width: 100%; max-width: 960px; background: #000 }</style>
<h1>HTTP-FLV live · mpegts.js</h1>
<video id="flv" muted autoplay playsinline></video>
<pre id="info"></pre>
<script src="/test/mpegts.js"></script>
<script>
	const player = mpegts.createPlayer({ type: "flv", isLive: true, url: ${JSON.stringify(flvUrl)} }, { enableWorker: false, liveBufferLatencyChasing: true });
	window.player = player;
	window.failures = [];
	player.on(mpegts.Events.ERROR, (type, detail, info) => window.failures.push(type + " " + detail + " " + JSON.stringify(info)));
	player.attachMediaElement(document.getElementById("flv"));
	player.load();
	player.play();
	setInterval(() => {
		const m = player.mediaInfo ?? {};
		document.getElementById("info").textContent = JSON.stringify({ video: m.videoCodec, audio: m.audioCodec, size: m.width + "×" + m.height, decodedFrames: player.statisticsInfo?.decodedFrames, currentTime: document.getElementById("flv").currentTime.toFixed(1) }, null, 1);
	}, 250);
</script>`;

test.serial("mpegts.js in Chromium plays a camera's HTTP-FLV live: H.264 + AAC, frames painted, time advancing", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const device = await deviceIn(cloud, "cam");
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 90, speed: 1, mqtt: true });
	const run = camera.run();
	t.teardown(async () => {
		camera.stop();
		await run.catch(() => {});
		await camera.close();
	});
	const { call } = await session(cloud, "admin", adminPassword);
	await eventually(async () => (await call("/v1/hls/cam/0/live.m3u8")).status === 200, 15000);
	const { url } = await (await call("/v1/sign", { method: "POST", body: { path: "/v1/live/cam/0.flv" } })).json();
	for (const [label, size] of [["desktop", { width: 1366, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
		const { page: tab } = await browserFor(t, size);
		await tab.route(`${cloud.url}/test/**`, (route) => {
			const path = new URL(route.request().url()).pathname;
			if (path === "/test/mpegts.js") return route.fulfill({ contentType: "text/javascript", body: mpegts });
			return route.fulfill({ contentType: "text/html; charset=utf-8", body: page(url) });
		});
		await tab.goto(`${cloud.url}/test/flv.html`);
		await until(tab, "mpegts.js playing past 2 s", () => document.querySelector("#flv").currentTime > 2, undefined, 45000);
		const decodedNow = () => tab.evaluate(() => player.statisticsInfo.decodedFrames);
		const at = await tab.evaluate(() => document.querySelector("#flv").currentTime), decodedAt = await decodedNow();
		await tab.waitForTimeout(2000);
		const later = await tab.evaluate(() => document.querySelector("#flv").currentTime), decodedLater = await decodedNow();
		t.true(later - at > 1.5, `${label}: currentTime ${at} → ${later}`);
		// 15 fps: about 30 frames in those 2 s (a third of that under a loaded machine's dropped frames)
		t.true(decodedLater - decodedAt >= 10, `${label}: ${decodedLater - decodedAt} frames decoded in 2 s`);
		t.true(await pictureColours(tab, "#flv") > 8, `${label}: the frame on screen is a picture`);
		const info = await tab.evaluate(() => ({ video: player.mediaInfo.videoCodec, audio: player.mediaInfo.audioCodec, width: player.mediaInfo.width, decoded: player.statisticsInfo.decodedFrames, failures: window.failures }));
		t.log(`${label}: ${JSON.stringify(info)}`);
		t.regex(info.video, /^avc1\./);
		t.regex(info.audio, /^mp4a\.40/);
		t.true(info.decoded > 15, `${info.decoded} frames decoded`);
		t.deepEqual(info.failures, []);
		await tab.shot(`owner-${label}-flv-mpegts`);
		await tab.close();
	}
});
