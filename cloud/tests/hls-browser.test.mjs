// HLS as a viewer gets it: hls.js in Chromium (playwright-core, Debian's
// chromium) plays a live channel fed by the simulated camera through the real
// ingest, and a recorded range (VOD). Live latency is measured on the page as
// wall clock minus the EXT-X-PROGRAM-DATE-TIME of the frame on screen (the
// camera's epoch is the wall-clock time of its decode time 0).
import test from "ava";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { browserFor as browserAndTab, videoColours } from "./_browser.mjs";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { Camera as Committer } from "./_media.mjs";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";

const hlsJs = readFileSync(createRequire(import.meta.url).resolve("hls.js/dist/hls.min.js"));
const admin = { user: "admin", admin: true };

const page = `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video>
<script src="/test/hls.js"></script>
<script>
window.play = (src, seconds) => new Promise((resolve) => {
	const video = document.getElementById("v");
	window.hls?.destroy();   // the last play's player, kept so its picture could be read
	const hls = window.hls = new Hls({ lowLatencyMode: true });
	const samples = [];
	let error, stalls = 0, parts = 0;
	hls.on(Hls.Events.FRAG_LOADED, (_, data) => { if (data.part) parts++; });
	video.addEventListener("waiting", () => { if (video.currentTime > 0) stalls++; });
	hls.on(Hls.Events.ERROR, (_, data) => { if (data.fatal) error = data.type + " " + data.details; });
	hls.loadSource(src);
	hls.attachMedia(video);
	hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
	const started = performance.now();
	const timer = setInterval(() => {
		if (video.currentTime > 0 && hls.playingDate) samples.push({ t: video.currentTime, latency: Date.now() - hls.playingDate.getTime() });
		if (performance.now() - started < seconds * 1000 && !error) return;
		clearInterval(timer);
		video.pause();   // the picture videoColours (cloud/tests/_browser.mjs) draws next
		resolve({ error, stalls, parts, samples, currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight,
			frames: video.getVideoPlaybackQuality().totalVideoFrames, dropped: video.getVideoPlaybackQuality().droppedVideoFrames });
	}, 250);
});
window.playFile = (src, seconds) => new Promise((resolve) => {
	const video = document.createElement("video");
	video.muted = true;
	document.body.append(video);
	video.addEventListener("error", () => resolve({ error: "video error " + (video.error && video.error.message) }));
	video.src = src;
	video.play();
	const started = performance.now();
	const timer = setInterval(() => {
		if (video.currentTime < seconds && performance.now() - started < 15000) return;
		clearInterval(timer);
		resolve({ currentTime: video.currentTime, duration: video.duration, width: video.videoWidth, frames: video.getVideoPlaybackQuality().totalVideoFrames });
	}, 100);
});
</script>`;

const browserFor = async (t) => (await browserAndTab(t)).page;

function servePage(cloud) {
	// The page and hls.js from the cloud's own origin, as the console serves them.
	cloud.ctx.router.add("GET", "/test/page", { auth: "none" }, (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(page));
	cloud.ctx.router.add("GET", "/test/hls.js", { auth: "none" }, (_req, res) => res.writeHead(200, { "content-type": "text/javascript" }).end(hlsJs));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test.serial("hls.js in Chromium plays the live playlist as the camera uploads, and a recorded range; live latency measured", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud, "cam1");
	servePage(cloud);
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 40, speed: 1, stream: "live" });
	const running = camera.run();
	t.teardown(() => camera.stop?.());
	const live = signUrl(cloud.ctx, "/v1/hls/cam1/0/live.m3u8", admin);
	for (let i = 0; i < 100 && (await fetch(`${cloud.url}${live}`)).status !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 200));
	const tab = await browserFor(t);
	await tab.goto(`${cloud.url}/test/page`);
	const result = { ...await tab.evaluate(([src]) => window.play(src, 14), [live]), colours: await videoColours(tab, "#v") };
	const steady = result.samples.filter((sample) => sample.t > 3).map((sample) => sample.latency);
	t.log(JSON.stringify({ ...result, samples: result.samples.length, latency: { median: median(steady), min: Math.min(...steady), max: Math.max(...steady) } }));
	t.falsy(result.error, result.error);
	t.true(result.currentTime > 8, `live advanced to ${result.currentTime} s`);
	t.true(result.frames > 100, `${result.frames} frames decoded`);
	t.true(result.colours > 8, "the picture is decoded, not a flat colour");
	t.true(steady.length > 10);
	t.true(median(steady) < 3000, `median live latency ${median(steady)} ms (with LL-HLS parts ~1 s: PART-HOLD-BACK 0.66 s + a part; the bound leaves room for a loaded machine)`);
	// One stall in 14 s is allowed: on a loaded 2-core machine (the suite runs two files at once beside
	// Chromium's decoder) a part can arrive late once; a player that rebuffers at the live edge stalls again and again.
	t.true(result.stalls <= 1, `${result.stalls} stalls at the live edge in 14 s`);
	t.true(result.parts > 20, `hls.js loaded ${result.parts} LL-HLS parts`);
	// A classic reader (ffmpeg's HLS demuxer, which skips EXT-X-PART) plays the same playlist's segments.
	// (Not spawnSync: the cloud answering it runs in this process.)
	const ffmpeg = await promisify(execFile)("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", `${cloud.url}${live}`, "-t", "3", "-map", "0:v", "-f", "framecrc", "-"], { timeout: 30_000 });
	t.is(ffmpeg.stderr.trim(), "", "ffmpeg decoded the live playlist without an error");
	const decoded = ffmpeg.stdout.split("\n").filter((line) => /^0,/.test(line)).length;
	t.true(decoded >= 40, `ffmpeg decoded ${decoded} video frames in 3 s of live`);

	// The same channel, recorded, as VOD.
	const { start } = (await (await fetch(`${cloud.url}${signUrl(cloud.ctx, "/v1/recordings/cam1/0/list", admin)}`)).json())[0];
	const vod = signUrl(cloud.ctx, `/v1/hls/cam1/0/vod.m3u8?start=${Date.parse(start)}&end=${Date.parse(start) + 10_000}`, admin);
	const recorded = { ...await tab.evaluate(([src]) => window.play(src, 4), [vod]), colours: await videoColours(tab, "#v") };
	t.log(JSON.stringify({ vod: { currentTime: recorded.currentTime, frames: recorded.frames, colours: recorded.colours } }));
	t.falsy(recorded.error, recorded.error);
	t.true(recorded.currentTime > 2, `VOD played to ${recorded.currentTime} s`);
	t.true(recorded.colours > 8);
	// The same range as one fMP4 from get, in a plain <video src>.
	const get = signUrl(cloud.ctx, `/v1/recordings/cam1/0/get?start=${Date.parse(start)}&duration=6`, admin);
	const file = await tab.evaluate(([src]) => window.playFile(src, 3), [get]);
	t.log(JSON.stringify({ get: file }));
	t.falsy(file.error, file.error);
	t.true(file.currentTime >= 3, `get played to ${file.currentTime} s`);
	t.is(file.width, 640);
	camera.stop?.();
	await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 1000))]).catch(() => {});
});

test.serial("hls.js plays through a camera whose segments sometimes land out of order, stalling less than once per late segment", async (t) => {
	const cloud = await cloudFor(t);
	await deviceIn(cloud, "cam1");
	servePage(cloud);
	// One 1-s segment a second, committed in real time; every 5th from the 8th on lands 300 ms after the one behind it.
	const epoch = Date.now() - 1000;
	const camera = await new Committer(cloud, { device: "cam1", stream: "late", epoch }).start();
	const resender = new Committer(cloud, { device: "cam1", stream: "late", epoch });
	let stop = false, late = 0;
	const running = (async () => {
		let held;
		for (let seq = 0; !stop; seq++) {
			await new Promise((resolve) => setTimeout(resolve, Math.max(0, epoch + (seq + 1) * 1000 - Date.now())));
			if (seq > 6 && seq % 5 === 3) {
				held = seq;
				continue;
			}
			await camera.commit({ skip: seq - camera.nextSeq });
			if (held !== undefined) {
				await new Promise((resolve) => setTimeout(resolve, 300));
				await resender.commit({ skip: held - resender.nextSeq });
				held = undefined;
				late++;
			}
		}
	})();
	t.teardown(async () => {
		stop = true;
		await running;
	});
	await new Promise((resolve) => setTimeout(resolve, 4000));
	const tab = await browserFor(t);
	await tab.goto(`${cloud.url}/test/page`);
	const result = await tab.evaluate(([src]) => window.play(src, 20), [signUrl(cloud.ctx, "/v1/hls/cam1/0/live.m3u8", admin)]);
	t.log(JSON.stringify({ stalls: result.stalls, late, currentTime: result.currentTime, frames: result.frames }));
	t.falsy(result.error, result.error);
	t.true(late >= 3, `${late} late segments`);
	t.true(result.currentTime > 10, `played to ${result.currentTime} s`);
	// Before the live window only moved forward (and held a short hole), each late segment cost two or three stalls.
	t.true(result.stalls < late, `${result.stalls} stalls for ${late} late segments`);
});
