// Phones, Safari and dark mode in Chromium: at 390×844 no page of the console
// is wider than the screen (the layout fact, not pixels) and "Sign out" is on
// it; in dark mode the page's background is dark; without Media Source
// Extensions (as on iPhone Safari) the player hands the playlist to the
// browser's own HLS. Screenshots of every page at phone size, and in dark.
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { browserFor, signIn, until, uploadSnapshot } from "./_browser.mjs";
import { addEvent, fitsWidth, password, stills } from "./_owner.mjs";

const pages = [
	["devices", "#/devices", "#devices .device-card"],
	["live", "#/devices/hd2/live", "#live-video"],
	["recordings", "#/devices/hd2/recordings", ".tl-track"],
	["camera-events", "#/devices/hd2/events", "#camera-events .event-item"],
	["snapshots", "#/devices/hd2/snapshots", "#snapshot-grid .snap"],
	["settings", "#/devices/hd2/settings", "#plan-form"],
	["events", "#/events", "#event-list .event-item"],
	["admin", "#/admin", "#admin-cameras .admin-row"],
];

async function setUp(t) {
	const cloud = await cloudFor(t, { adminPassword: password });
	for (const n of [2, 10, 11, 3]) {
		const device = await deviceIn(cloud, `hd${n}`, { name: `Camera with a long name hd${n}`, channels: n === 2 ? 2 : 1 });
		await uploadSnapshot(cloud.url, device, stills[n % 4]);
	}
	await addEvent(cloud, "hd2", { id: "e1", time: Date.now() - 1000, bits: 3 });
	return cloud;
}

for (const [scheme, size] of [["light", { width: 390, height: 844 }], ["dark", { width: 390, height: 844 }], ["dark", { width: 1366, height: 900 }]]) {
	const label = `${scheme}-${size.width}`;
	test.serial(`${label}: every page fits the screen and shows what it should`, async (t) => {
		const cloud = await setUp(t);
		const { page } = await browserFor(t, size);
		await page.emulateMedia({ colorScheme: scheme });
		await page.goto(`${cloud.url}/`);
		await page.waitForSelector("#user");
		if (size.width === 390) await fitsWidth(t, page, "sign-in");
		await page.shot(`owner-${label}-signin`);
		await signIn(page, cloud.url, "admin", password);
		const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
		const [r, g, b] = background.match(/\d+/g).map(Number);
		if (scheme === "dark") t.true(r + g + b < 120, `dark background ${background}`);
		else t.true(r + g + b > 600, `light background ${background}`);
		for (const [name, hash, ready] of pages) {
			await page.goto(`${cloud.url}/${hash}`);
			await page.waitForSelector(ready, { timeout: 15000 });
			await page.waitForTimeout(300);
			if (size.width === 390) {
				await fitsWidth(t, page, name);
				const out = await page.evaluate(() => {
					const box = document.querySelector("#sign-out").getBoundingClientRect();
					return box.right <= window.innerWidth && box.left >= 0 && box.width > 20;
				});
				t.true(out, `${name}: Sign out on the screen`);
				// A camera's tabs stay one row (a strip that scrolls sideways, as phone apps do).
				const rows = await page.evaluate(() => new Set([...document.querySelectorAll(".tabs .tab")].map((tab) => Math.round(tab.getBoundingClientRect().top))).size);
				t.true(rows <= 1, `${name}: the tabs on one row (${rows} rows)`);
				const chosen = await page.evaluate(() => {
					const box = document.querySelector('.tabs .tab[aria-selected="true"]')?.getBoundingClientRect();
					return !box || (box.left >= 0 && box.right <= window.innerWidth);
				});
				t.true(chosen, `${name}: the chosen tab is on the screen`);
			}
			await page.shot(`owner-${label}-${name}`);
		}
		// The 4×4 grid at this size too.
		await page.goto(`${cloud.url}/#/devices`);
		await page.click('#layout button[data-layout="4"]');
		await page.waitForSelector("#camera-grid");
		if (size.width === 390) await fitsWidth(t, page, "grid 4×4");
		await page.shot(`owner-${label}-grid`);
		t.deepEqual(page.problems.filter((p) => !/status of 40[14]/.test(p)), []);
	});
}

test.serial("without Media Source Extensions the player gives the playlist to the browser's own HLS", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	await deviceIn(cloud, "hd2", { name: "hd2" });
	const { page } = await browserFor(t, { width: 390, height: 844 });
	// As on iPhone Safari: no MediaSource for hls.js, and the video element says it plays HLS.
	await page.addInitScript(() => {
		delete window.MediaSource;
		delete window.ManagedMediaSource;
		delete window.WebKitMediaSource;
		const canPlay = HTMLMediaElement.prototype.canPlayType;
		HTMLMediaElement.prototype.canPlayType = function (type) {
			return type === "application/vnd.apple.mpegurl" ? "maybe" : canPlay.call(this, type);
		};
		// What the page gives the element to play (Chromium itself then fails: it has no HLS of its own).
		window.sources = [];
		const src = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "src");
		Object.defineProperty(HTMLMediaElement.prototype, "src", { ...src, set(value) {
			window.sources.push(value);
			src.set.call(this, value);
		} });
	});
	await signIn(page, cloud.url, "admin", password);
	await page.goto(`${cloud.url}/#/devices/hd2/live`);
	const sources = await until(page, "the playlist given to the video element", () => window.sources.length && window.sources);
	t.regex(sources[0], /\/v1\/hls\/hd2\/0\/live\.m3u8$/);
	// Chromium cannot play HLS itself: the error is reported as for Safari (not streaming), not as a crash.
	await until(page, "an answer in the overlay", () => !document.querySelector("#live-overlay").hidden && document.querySelector("#live-overlay").textContent);
	t.notRegex(await page.textContent("#live-overlay"), /cannot play HLS/);
});
