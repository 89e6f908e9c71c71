// Live controls and the timeline in Chromium, against the simulated camera:
// the delay capture → screen shown, sound on and off, full screen; two
// recorded spans with a gap the camera reported between them, drawn; playback
// at 2× that goes on from the end of the first span into the second; a date
// picker; the range's 90-minute files listed under their names for download.
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { browserFor, checkLiveView, signIn, until } from "./_browser.mjs";
import { addGap, password } from "./_owner.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";

function run(t, cloud, device, seconds) {
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds, mqtt: true });
	const running = camera.run();
	t.teardown(async () => {
		camera.stop();
		await running.catch(() => {});
		await camera.close();
	});
	return running;
}

test.serial("live shows its delay and unmutes and goes full screen; the timeline draws gaps, plays at 2× on into the next span, picks a day and lists files", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	const device = await deviceIn(cloud, "porch", { name: "Porch" });
	const firstFrom = Date.now();
	await run(t, cloud, device, 8);
	const firstTo = Date.now();
	await new Promise((resolve) => setTimeout(resolve, 2000));
	await addGap(cloud, "porch", { from: firstTo - 500, to: firstTo + 1500, frames: 30, reason: "overwritten" });
	void run(t, cloud, device, 45);
	const { page } = await browserFor(t);
	await signIn(page, cloud.url, "admin", password);

	// Live: the delay, sound, full screen.
	await checkLiveView(t, page, "porch");
	// LL-HLS: the console's hls.js loads parts and holds the playlist's PART-HOLD-BACK behind the edge.
	// (Parts come once the camera's new stream has a committed segment: it restarted 2 s ago.)
	await until(page, "a live playlist with parts", () => document.querySelector("#live-video").ivxsPlayer.hls?.latestLevelDetails?.partList?.length > 0, undefined, 15000);
	const ll = await page.evaluate(() => {
		const hls = document.querySelector("#live-video").ivxsPlayer.hls;
		const details = hls.latestLevelDetails;
		return { parts: details.partList?.length ?? 0, partHoldBack: details.partHoldBack, targetLatency: hls.targetLatency };
	});
	t.true(ll.parts > 0, "the live playlist lists parts");
	// (A stall adds liveSyncOnStallIncrease to it, up to one target duration.)
	t.true(ll.targetLatency >= ll.partHoldBack && ll.targetLatency <= ll.partHoldBack + 1, `hls.js holds ${ll.targetLatency} s behind (PART-HOLD-BACK ${ll.partHoldBack})`);
	t.regex(await page.textContent("#live-latency"), /^\d+\.\d s$/);
	t.true(await page.evaluate(() => document.querySelector("#live-video").muted));
	await page.click("#live-sound");
	t.false(await page.evaluate(() => document.querySelector("#live-video").muted));
	t.is(await page.getAttribute("#live-sound", "aria-pressed"), "true");
	t.is(await page.textContent("#live-sound"), "Mute");
	await page.shot("owner-live-controls");
	await page.click("#live-fullscreen");
	await until(page, "full screen", () => document.fullscreenElement?.classList.contains("player-card"));
	await page.shot("owner-live-fullscreen");
	await page.click("#live-fullscreen");
	await until(page, "full screen left", () => !document.fullscreenElement);

	// The files of the range, as the files API lists them (assembly takes a 90-minute window: answered here).
	const fileName = "porch-0_20261123T030000Z_20261123T043000Z";
	await page.route(/\/v1\/recordings\/porch\/0\/files\?/, (route) => route.fulfill({ contentType: "application/json",
		body: JSON.stringify([{ name: fileName, start: "2026-11-23T03:00:00.000Z", end: "2026-11-23T04:30:00.000Z", bytes: 52428800, segments: 5400, url: `/v1/recordings/porch/0/files/${fileName}.mp4?sig=x` }]) }));

	// The timeline: two spans, the gap between them.
	await page.click('a[data-tab="recordings"]');
	await page.click('button[data-range="300000"]');
	await until(page, "two spans and a gap", () => document.querySelectorAll(".tl-span").length >= 2 && document.querySelector(".tl-gap"));
	t.is(Number(await page.getAttribute(".tl-gap", "data-from")), firstTo - 500);
	t.regex(await page.getAttribute(".tl-gap", "title"), /30 frames \(overwritten\)/);
	t.is(await page.getAttribute(`#file-list .file-row[data-name="${fileName}"] a`, "download"), `${fileName}.mp4`);
	const spans = await page.$$eval(".tl-span", (nodes) => nodes.map((node) => ({ start: Number(node.dataset.start), end: Number(node.dataset.end) })));
	t.true(spans[0].start >= firstFrom - 1000 && spans[0].end <= firstTo + 1000, "the first span is the first run");
	await page.shot("owner-timeline");

	// 2×, from 3 s before the first span's end: it plays on into the second span.
	await page.click('#speed button[data-speed="2"]');
	await page.evaluate((time) => document.querySelector("#span-list").querySelector(`[data-start="${time}"] button`).click(), spans[0].start);
	await until(page, "the first span playing", () => document.querySelector("#vod-video")?.currentTime > 0.5);
	t.is(await page.evaluate(() => document.querySelector("#vod-video").playbackRate), 2);
	await page.evaluate((to) => {
		const video = document.querySelector("#vod-video");
		video.currentTime = video.ivxsPlayer.positionOf(to - 3000);
	}, spans[0].end);
	await until(page, "playing on in the second span", (start) => document.querySelector("#vod-video").ivxsPlayer.wallTime() > start + 500, spans[1].start, 30000);
	t.is(await page.evaluate(() => document.querySelector("#vod-video").playbackRate), 2, "the speed stays");
	await page.click('#speed button[data-speed="8"]');
	t.is(await page.evaluate(() => document.querySelector("#vod-video").playbackRate), 8);
	t.regex(await page.textContent("#vod-time"), /^Playing Today \d\d:\d\d:\d\d \S+$/);

	// The date picker: yesterday, the whole day.
	const yesterday = await page.evaluate(() => {
		const input = document.querySelector("#range-date");
		const d = new Date(Date.parse(input.value + "T12:00:00Z") - 86400e3).toISOString().slice(0, 10);
		input.value = d;
		input.dispatchEvent(new Event("change"));
		return d;
	});
	await until(page, "yesterday's range", (day) => document.querySelector(".range-title").textContent.startsWith(`Yesterday 00:00:00 – Today 00:00:00`) || document.querySelector(".range-title").textContent.includes(day), yesterday);
	t.is(await page.getAttribute('button[data-range="86400000"]', "aria-pressed"), "true");
	t.is(await page.inputValue("#range-date"), yesterday);
	t.deepEqual(page.problems.filter((p) => !/status of 401/.test(p)), [], "no script errors or failed requests");
});
