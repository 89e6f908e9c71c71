// The camera grid and the events page in Chromium: natural order of names,
// search, a 3×3 grid of stills remembered across reloads that opens a camera's
// live view; events across cameras with the nearest snapshot as their picture,
// filtered by kind and camera; browser notifications turned on by a click.
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { browserFor, signIn, until, uploadSnapshot } from "./_browser.mjs";
import { addEvent, password, stills } from "./_owner.mjs";

test.serial("cameras are listed hd2 before hd10, found by a search, and shown as a remembered 3×3 grid of stills", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	const devices = [];
	for (const n of [10, 2, 0, 11, 1, 3, 4, 5, 6, 7, 8, 9]) devices.push(await deviceIn(cloud, `hd${n}`, { name: `hd${n}` }));
	for (const [i, device] of devices.slice(0, 6).entries()) t.is(await uploadSnapshot(cloud.url, device, stills[i % 4]), 201);
	const { page } = await browserFor(t);
	await signIn(page, cloud.url, "admin", password);
	const order = await page.$$eval("#devices .device-card", (cards) => cards.map((card) => card.dataset.device));
	t.deepEqual(order, ["hd0", "hd1", "hd2", "hd3", "hd4", "hd5", "hd6", "hd7", "hd8", "hd9", "hd10", "hd11"]);

	await page.fill("#device-search", "HD1");
	t.deepEqual(await page.$$eval("#devices .device-card", (cards) => cards.map((card) => card.dataset.device)), ["hd1", "hd10", "hd11"]);
	await page.fill("#device-search", "");

	await page.click('#layout button[data-layout="3"]');
	t.is(await page.locator("#camera-grid .tile").count(), 9);
	t.is(await page.locator("#camera-grid .tile img").count(), 4, "hd0–hd3 have a still; the others say so");
	t.is(await page.textContent("#grid-page"), "1 / 2");
	await until(page, "the stills loaded", () => [...document.querySelectorAll("#camera-grid .tile img")].filter((img) => img.complete && img.naturalWidth > 0).length === 4);
	await page.shot("owner-grid-3x3");
	await page.reload();
	await page.waitForSelector("#camera-grid");
	t.is(await page.getAttribute('#layout button[data-layout="3"]', "aria-pressed"), "true", "the layout is remembered");
	await page.click("#grid-next");
	t.deepEqual(await page.$$eval("#camera-grid .tile", (tiles) => tiles.map((tile) => tile.dataset.device)), ["hd9", "hd10", "hd11"]);
	await page.click('#layout button[data-layout="2"]');
	t.is(await page.locator("#camera-grid .tile").count(), 4);
	await page.shot("owner-grid-2x2");
	await page.click('#camera-grid .tile[data-device="hd2"]');
	await page.waitForSelector("#live-video");
	t.regex(page.url(), /#\/devices\/hd2\/live$/);
});

test.serial("the events page shows each event with the snapshot nearest it, filtered by kind and camera", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	const door = await deviceIn(cloud, "door", { name: "Front door" });
	const yard = await deviceIn(cloud, "yard", { name: "Yard" });
	const now = Date.now();
	// Snapshots at −70 s, −40 s and −10 s; events at −42 s (motion, door), −12 s (person, yard), −5 min (sound, no picture near).
	for (const [i, ago] of [70, 40, 10].entries()) {
		t.is(await uploadSnapshot(cloud.url, door, stills[i], now - ago * 1000), 201);
		t.is(await uploadSnapshot(cloud.url, yard, stills[i + 1], now - ago * 1000), 201);
	}
	await addEvent(cloud, "door", { id: "m1", time: now - 42000, bits: 1 });
	await addEvent(cloud, "yard", { id: "p1", time: now - 12000, bits: 2 });
	await addEvent(cloud, "door", { id: "s1", time: now - 300000, bits: 4 });
	const { page } = await browserFor(t);
	await signIn(page, cloud.url, "admin", password);
	await page.click('#sections a[data-section="events"]');
	await until(page, "three events", () => document.querySelectorAll("#event-list .event-item").length === 3);
	t.deepEqual(await page.$$eval("#event-list .event-item", (items) => items.map((item) => `${item.dataset.device}/${item.dataset.id}`)), ["yard/p1", "door/m1", "door/s1"]);
	await until(page, "the pictures", () => document.querySelectorAll("#event-list .event-thumb[data-state=ready]").length === 2
		&& document.querySelectorAll("#event-list .event-thumb[data-state=none]").length === 1);
	t.is(Number(await page.getAttribute('.event-item[data-id="m1"] .event-thumb img', "data-time")), now - 40000, "the snapshot nearest the event");
	t.is(Number(await page.getAttribute('.event-item[data-id="p1"] .event-thumb img', "data-time")), now - 10000);
	t.regex(await page.textContent('.event-item[data-id="m1"] time'), /^Today \d\d:\d\d:\d\d \S+$/, "a time with its zone");
	await page.shot("owner-events");

	await page.selectOption("#event-kind", "human");
	t.deepEqual(await page.$$eval("#event-list .event-item", (items) => items.map((item) => item.dataset.id)), ["p1"]);
	await page.selectOption("#event-kind", "");
	await page.selectOption("#event-camera", "door");
	await until(page, "the door's events", () => [...document.querySelectorAll("#event-list .event-item")].map((item) => item.dataset.id).join() === "m1,s1");
	await page.click('.event-item[data-id="m1"] a');
	await page.waitForSelector("#timeline");
	t.regex(page.url(), new RegExp(`#/devices/door/recordings\\?at=${now - 42000}$`));
});

test.serial("notifications are asked for on a click, never on load, and show new events while the console is open", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	await deviceIn(cloud, "door", { name: "Front door" });
	const { page } = await browserFor(t);
	// A Notification that records what it is asked (headless Chromium shows none).
	await page.addInitScript(() => {
		window.asked = 0;
		window.shown = [];
		window.Notification = class {
			static permission = "default";
			static async requestPermission() {
				window.asked++;
				window.Notification.permission = "granted";
				return "granted";
			}
			constructor(title, options) {
				window.shown.push({ title, body: options?.body });
			}
		};
	});
	await signIn(page, cloud.url, "admin", password);
	await page.click('#sections a[data-section="events"]');
	await page.waitForSelector("#notify");
	t.is(await page.evaluate(() => window.asked), 0, "not asked on load");
	t.is(await page.textContent("#notify"), "Notify me of new events");
	await page.click("#notify");
	t.is(await page.evaluate(() => window.asked), 1);
	t.is(await page.textContent("#notify"), "Turn notifications off");
	await page.click('#sections a[data-section="devices"]');
	await addEvent(cloud, "door", { id: "late", time: Date.now(), bits: 3 });
	const shown = await until(page, "a notification", () => window.shown.length && window.shown, undefined, 40000);
	t.is(shown.length, 1);
	t.is(shown[0].title, "Motion, Person · Front door");
	t.regex(shown[0].body, /^Today \d\d:\d\d:\d\d \S+$/);
});
