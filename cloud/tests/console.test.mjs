// The console end to end, in Chromium (playwright-core + Debian's chromium),
// against a real cloud and the simulated camera (cloud/sim/camera.ts) playing
// the fixture video in real time over the real protocol: sign in, the device
// online with its snapshot, live video decoded and advancing, the timeline
// with recordings and event markers, click-to-play and a seek, the snapshot
// grid, and a settings change reaching the plan. Screenshots of each step are
// kept (their folder is logged) for a person to look at.
import test from "ava";
import { readFileSync } from "node:fs";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { browserFor, checkLiveView, pictureColours, signIn, until, uploadSnapshot, widestSpan } from "./_browser.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";

const password = "console-test-password";
const stills = [1, 2, 3, 4].map((i) => readFileSync(`fixtures/media/stills/000${i}.jpg`));

// A camera that plays for `seconds` and uploads a snapshot every 2 s while it runs.
function startCamera(t, cloud, device, seconds) {
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds, mqtt: true, eventEveryS: 4 });
	const running = camera.run();
	let shot = 0;
	const snapshots = setInterval(() => void uploadSnapshot(cloud.url, device, stills[shot++ % stills.length]).catch(() => {}), 2000);
	void uploadSnapshot(cloud.url, device, stills[3]);
	t.teardown(async () => {
		clearInterval(snapshots);
		camera.stop();
		await running.catch(() => {});
		await camera.close();
	});
	return camera;
}

test.serial("a person signs in, watches live, plays and seeks a recording, sees snapshots and changes the plan", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	const device = await deviceIn(cloud, "front-door", { name: "Front door" });
	await deviceIn(cloud, "garage", { name: "Garage", channels: 2 });
	startCamera(t, cloud, device, 120);
	const { page } = await browserFor(t);

	// Sign in: a wrong password is refused with a message, the right one opens the device list.
	await page.goto(`${cloud.url}/`);
	await page.waitForSelector("#user");
	await page.fill("#user", "admin");
	await page.fill("#password", "not the password");
	await page.click("#sign-in");
	await until(page, "the sign-in error", () => !document.querySelector("#sign-in-error").hidden);
	t.is(await page.textContent("#sign-in-error"), "Wrong user name or password.");
	await page.shot("console-1-signin-refused");
	await signIn(page, cloud.url, "admin", password);

	// The device list: the camera online with its latest snapshot; the other one offline.
	await until(page, "the camera online with a thumbnail", () => {
		const card = document.querySelector('.device-card[data-device="front-door"]');
		const img = card?.querySelector(".thumb img");
		return card?.dataset.online === "true" && img?.complete && img.naturalWidth > 0;
	}, undefined, 30000).catch(async (error) => {
		// The list refreshes every 10 s; a reload shows the state now.
		await page.reload();
		await until(page, "the camera online with a thumbnail (after a reload)", () => {
			const card = document.querySelector('.device-card[data-device="front-door"]');
			const img = card?.querySelector(".thumb img");
			return card?.dataset.online === "true" && img?.complete && img.naturalWidth > 0 || undefined;
		}).catch(() => { throw error; });
	});
	t.is(await page.getAttribute('.device-card[data-device="garage"]', "data-online"), "false");
	t.is(await page.textContent('.device-card[data-device="garage"] .thumb-empty'), "Offline · no snapshot yet");
	await page.shot("console-2-devices");

	// Live: frames decoded (a picture, not a blank), time advancing, delay shown.
	await checkLiveView(t, page, "front-door");
	t.regex(await page.textContent("#live-latency"), /^\d+\.\d s$/);
	t.true(await page.isHidden("#live-overlay"));
	await page.shot("console-3-live");

	// Recordings: the timeline shows spans and event markers; a click plays, a second click seeks.
	await page.click('a[data-tab="recordings"]');
	await page.click('button[data-range="300000"]');
	await until(page, "a recorded span and an event marker", () => document.querySelector(".tl-span") && document.querySelector(".tl-event"));
	// A recording long enough to seek in: at least 16 s ("Now" reloads the range).
	for (let i = 0; ; i++) {
		const ms = await page.evaluate(() => Math.max(...[...document.querySelectorAll(".tl-span")].map((s) => s.dataset.end - s.dataset.start)));
		if (ms >= 16000) break;
		if (i === 30) t.fail(`the longest recording is ${ms} ms`);
		await page.waitForTimeout(1000);
		await page.click("#range-now");
	}
	await page.shot("console-4-timeline");
	const span = await widestSpan(page);
	t.true(span.width > 20, `span ${span.width} px wide`);
	await page.mouse.click(span.x + span.width * 0.2, span.y + span.height / 2);
	await until(page, "the recording playing", () => document.querySelector("#vod-video")?.currentTime > 1, undefined, 30000);
	const before = await page.evaluate(() => document.querySelector("#vod-video").currentTime);
	const colours = await pictureColours(page, "#vod-video");
	t.true(colours > 8, `the recorded frame is a picture (${colours} colours)`);
	await page.mouse.click(span.x + span.width * 0.8, span.y + span.height / 2);
	await until(page, "the seek", (from) => document.querySelector("#vod-video").currentTime > from + 3, before, 15000);
	const jumped = await page.evaluate(() => document.querySelector("#vod-video").currentTime);
	// The seek landed where the click pointed (the picture's wall-clock time, within a segment).
	const pointed = await page.evaluate(({ x }) => {
		const track = document.querySelector(".tl-track"), box = track.getBoundingClientRect();
		return Number(track.dataset.from) + ((x - box.left) / box.width) * (track.dataset.to - track.dataset.from);
	}, { x: span.x + span.width * 0.8 });
	const landed = await page.evaluate(() => document.querySelector("#vod-video").ivxsPlayer.wallTime());
	t.true(Math.abs(landed - pointed) < 1500, `pointed at ${new Date(pointed).toISOString()}, playing ${new Date(landed).toISOString()}`);
	await page.waitForTimeout(1500);
	const after = await page.evaluate(() => document.querySelector("#vod-video").currentTime);
	t.log(`recording: ${before.toFixed(2)} s → seek → ${jumped.toFixed(2)} s → ${after.toFixed(2)} s`);
	t.true(after > jumped + 0.5, "playback continues after the seek");
	t.regex(await page.textContent("#vod-time"), /^Playing Today \d\d:\d\d:\d\d \S+$/);
	await page.shot("console-5-recording");

	// An event marker plays its clip: from the plan's pre-roll (5 s) before the event.
	const event = await page.evaluate(() => {
		const spans = [...document.querySelectorAll(".tl-span")].map((s) => [Number(s.dataset.start), Number(s.dataset.end)]);
		const marker = [...document.querySelectorAll(".tl-event")].reverse()
			.find((m) => spans.some(([start, end]) => m.dataset.time - 5000 > start + 1000 && m.dataset.time < end));
		return marker && Number(marker.dataset.time);
	});
	t.truthy(event, "an event inside a recording, 5 s after its start");
	await page.click(`.tl-event[data-time="${event}"]`);
	await until(page, "the event's clip playing", (time) => {
		const wall = document.querySelector("#vod-video").ivxsPlayer.wallTime();
		return Math.abs(wall - (time - 5000)) < 1500 && !document.querySelector("#vod-video").paused;
	}, event, 15000);

	// Snapshots: a grid of decoded pictures with their times.
	await page.click('a[data-tab="snapshots"]');
	const shown = await until(page, "two snapshot thumbnails", () => {
		const loaded = [...document.querySelectorAll("#snapshot-grid .snap img")].filter((img) => img.complete && img.naturalWidth === 320);
		return loaded.length >= 2 && loaded.length;
	});
	t.true(shown >= 2);
	await page.shot("console-6-snapshots");

	// Settings: record events only; the cloud has the new plan.
	await page.click('a[data-tab="settings"]');
	await page.waitForSelector("#plan-form input[value=event]");
	await page.check("#plan-form input[value=event]");
	await page.fill("#plan-preRollS", "3");
	await page.click("#plan-save");
	await until(page, "the plan saved", () => document.querySelector("#plan-status")?.classList.contains("ok"));
	const plan = await page.evaluate(async () => (await fetch("/v1/devices/front-door/plan")).json());
	t.is(plan.mode, "event");
	t.is(plan.preRollS, 3);
	t.regex(await page.textContent("#plan-summary"), /Recording events \(3 s before/);
	await page.shot("console-7-settings");
	t.deepEqual(page.problems.filter((p) => !/status of 401/.test(p)), [], "no script errors or failed requests");
});
