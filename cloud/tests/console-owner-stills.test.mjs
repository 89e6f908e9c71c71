// Stills out of schedule (issue 17): "snapshot now" from the live controls and
// the Snapshots tab reaches the simulated camera on its control channel
// (PROTOCOL.md §5 `cmd` "snapshot") and its still comes back through the
// snapshot path; a camera sends a still with each event, which the events API
// links and the Events page and the camera's Events tab show. Chromium, with
// screenshots at desktop size, 390×844 and in dark. (The command and the
// camera's gate alone: tests/unit/snapshot-on-demand.test.ts, Node and XS.)
import test from "ava";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { eventually } from "./_mqtt.mjs";
import { browserFor, signIn, until } from "./_browser.mjs";
import { fitsWidth, password } from "./_owner.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";

/** A cloud with the simulated camera `cam` ("Porch") connected on MQTT. */
async function withCamera(t, options = {}) {
	const cloud = await cloudFor(t, { adminPassword: password });
	const device = await deviceIn(cloud, "cam", { name: "Porch" });
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 120, speed: 1, mqtt: true, ...options });
	t.teardown(() => camera.close());
	const run = camera.run();
	t.teardown(async () => {
		camera.stop();
		await run.catch(() => {});
	});
	await eventually(async () => (await cloud.ctx.sql.get("SELECT online FROM presence WHERE device = ?", ["cam"]))?.online == 1, 10000);
	return { cloud, device, camera };
}

test("the API asks an online camera for a still (202), refuses an offline one (409) and a second ask within the gap (429)", async (t) => {
	const { cloud } = await withCamera(t);
	await deviceIn(cloud, "gone");
	const { call } = await session(cloud, "admin", password);
	const before = Number((await cloud.ctx.sql.get("SELECT count(*) AS n FROM snapshots WHERE device = 'cam'")).n);
	const asked = await call("/v1/snapshots/cam/0", { method: "POST" });
	t.is(asked.status, 202);
	t.is((await asked.json()).channel, 0);
	const again = await call("/v1/snapshots/cam/0", { method: "POST" });
	t.is(again.status, 429);
	t.is(again.headers.get("retry-after"), "2");
	t.is((await call("/v1/snapshots/gone/0", { method: "POST" })).status, 409);
	t.is((await call("/v1/snapshots/cam/1", { method: "POST" })).status, 400, "a channel the camera does not have");
	await eventually(async () => Number((await cloud.ctx.sql.get("SELECT count(*) AS n FROM snapshots WHERE device = 'cam'")).n) === before + 1, 8000);
	// A signed URL stands for a viewer only for reads.
	t.is((await fetch(`${cloud.url}/v1/snapshots/cam/0`, { method: "POST", headers: { "content-type": "application/json" } })).status, 401);
});

for (const [label, size, scheme] of [["desktop", { width: 1366, height: 900 }, "light"], ["phone", { width: 390, height: 844 }, "light"], ["dark", { width: 1366, height: 900 }, "dark"]]) {
	test.serial(`${label}: "Snapshot" in the live controls shows the camera's new still, and "Take a snapshot now" puts one first in the Snapshots tab`, async (t) => {
		const { cloud, camera } = await withCamera(t);
		const { page } = await browserFor(t, size);
		await page.emulateMedia({ colorScheme: scheme });
		await signIn(page, cloud.url, "admin", password);
		await page.goto(`${cloud.url}/#/devices/cam/live`);
		await page.waitForSelector("#snapshot-now");
		const asked = Date.now();
		await page.click("#snapshot-now");
		await until(page, "the still", () => {
			const img = document.querySelector("#snapshot-taken img");
			return img && img.complete && img.naturalWidth > 0;
		}, undefined, 20000);
		t.log(`snapshot now: the still shown ${Date.now() - asked} ms after the click`);
		t.is(camera.stats.snapshots, 1, "the simulated camera uploaded one still");
		const time = Number(await page.getAttribute("#snapshot-taken a", "data-time"));
		t.true(time >= asked - 1000 && time <= Date.now(), "a still taken after the click");
		if (size.width === 390) await fitsWidth(t, page, "live with a snapshot");
		await page.shot(`owner-${label}-snapshot-now-live`);

		await page.goto(`${cloud.url}/#/devices/cam/snapshots`);
		await page.waitForSelector("#snapshot-grid .snap");
		t.is(await page.locator("#snapshot-grid .snap").count(), 1);
		await page.waitForTimeout(2100);   // the camera's gap since the last still
		await page.click("#snapshot-now");
		await until(page, "a second still first in the grid", () => document.querySelectorAll("#snapshot-grid .snap").length === 2, undefined, 20000);
		t.true(Number(await page.getAttribute("#snapshot-grid .snap:first-child", "data-time")) > time, "the new one first");
		t.is(camera.stats.snapshots, 2);
		if (size.width === 390) await fitsWidth(t, page, "snapshots");
		await page.shot(`owner-${label}-snapshot-now-tab`);
		t.deepEqual(page.problems.filter((p) => !/status of 401/.test(p)), [], "no script errors or failed requests (the 401: the console asking who is signed in before the sign-in)");
	});
}

test.serial("the camera sends a still with each event: the events API links it, the Events page and the camera's Events tab show it", async (t) => {
	const { cloud, camera } = await withCamera(t, { eventEveryS: 3 });
	await eventually(async () => Number((await cloud.ctx.sql.get("SELECT count(*) AS n FROM events WHERE device = 'cam'")).n) >= 2 && camera.stats.snapshots >= 2, 15000);
	camera.stop();
	const { call } = await session(cloud, "admin", password);
	const events = await (await call(`/v1/devices/cam/events?start=${new Date(Date.now() - 600e3).toISOString()}`)).json();
	t.true(events.length >= 2);
	for (const event of events.slice(0, 2)) {
		t.truthy(event.picture, `event ${event.id} has its picture`);
		const picture = await fetch(`${cloud.url}${event.picture}`);
		t.is(picture.status, 200, "the signed link opens without a session");
		t.is(picture.headers.get("x-ivxs-time"), event.time, "the still stamped with the event's time");
	}
	for (const [label, size, scheme] of [["desktop", { width: 1366, height: 900 }, "light"], ["phone", { width: 390, height: 844 }, "light"], ["dark", { width: 1366, height: 900 }, "dark"]]) {
		const { page } = await browserFor(t, size);
		await page.emulateMedia({ colorScheme: scheme });
		await signIn(page, cloud.url, "admin", password);
		await page.goto(`${cloud.url}/#/devices/cam/events`);
		await until(page, "the camera's events with their pictures", (n) => document.querySelectorAll("#camera-events .event-thumb[data-state=ready] img[data-source=event]").length >= n, 2);
		const first = await page.$eval("#camera-events .event-item", (item) => ({ id: item.dataset.id, time: item.querySelector("img").dataset.time }));
		const newest = events[events.length - 1];
		t.deepEqual(first, { id: newest.id, time: String(newest.timeMs) }, "newest first, with the still sent with it");
		if (size.width === 390) await fitsWidth(t, page, "camera events");
		await page.shot(`owner-${label}-camera-events`);
		await page.goto(`${cloud.url}/#/events`);
		await until(page, "the events page's pictures", (n) => document.querySelectorAll("#event-list .event-thumb[data-state=ready] img[data-source=event]").length >= n, 2);
		await page.shot(`owner-${label}-events-stills`);
		t.deepEqual(page.problems.filter((p) => !/status of 401/.test(p)), [], "no script errors or failed requests (the 401: the console asking who is signed in before the sign-in)");
	}
});
