// Clips you can keep, in Chromium against the simulated camera: a range chosen
// by dragging on the Recordings timeline (and by "Start here"/"End here" while
// playing), downloaded as one MP4 named like the recording files (its length
// checked with ffprobe), and a signed view-only share link that plays in a
// fresh browser with no session; the same link altered or expired is refused.
import test from "ava";
import { execFileSync } from "node:child_process";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { browserFor, pictureColours, signIn, until } from "./_browser.mjs";
import { fitsWidth, password } from "./_owner.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";

const probe = (file) => Number(execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]).toString().trim());

test.serial("a clip dragged on the timeline downloads as an MP4 of that length and shares as a signed link that plays without a session", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	const device = await deviceIn(cloud, "porch", { name: "Porch" });
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 30, mqtt: true });
	await camera.run();
	await camera.close();

	for (const [label, size, scheme] of [["desktop", { width: 1366, height: 900 }, "light"], ["phone", { width: 390, height: 844 }, "light"], ["dark", { width: 1366, height: 900 }, "dark"]]) {
		const { browser, page } = await browserFor(t, size);
		await page.emulateMedia({ colorScheme: scheme });
		await signIn(page, cloud.url, "admin", password);
		await page.goto(`${cloud.url}/#/devices/porch/recordings?range=300000`);
		await until(page, "the recorded span", () => document.querySelector(".tl-span"));
		t.is(await page.textContent("#clip-range"), "Drag on the timeline to choose a clip.");
		t.true(await page.locator("#clip-share").isDisabled());

		// Drag from 5 s into the span to 17 s into it.
		const span = await page.$eval(".tl-span", (node) => ({ start: Number(node.dataset.start), end: Number(node.dataset.end) }));
		const track = await page.$eval(".tl-track", (node) => ({ ...node.getBoundingClientRect().toJSON(), from: Number(node.dataset.from), to: Number(node.dataset.to) }));
		const xOf = (time) => track.x + ((time - track.from) / (track.to - track.from)) * track.width;
		const y = track.y + track.height / 2;
		await page.mouse.move(xOf(span.start + 5000), y);
		await page.mouse.down();
		await page.mouse.move(xOf(span.start + 11000), y, { steps: 5 });
		await page.mouse.move(xOf(span.start + 17000), y, { steps: 5 });
		await page.mouse.up();
		t.regex(await page.textContent("#clip-range"), /^Clip \d\d:\d\d:\d\d – \d\d:\d\d:\d\d · 1[1-3] s$/);
		t.false(await page.isHidden("#tl-selection"), "the selection is drawn");
		t.is(await page.evaluate(() => document.querySelector("#vod-video").currentSrc), "", "a drag is not a click: nothing started playing");
		const href = await page.getAttribute("#clip-download", "href");
		const query = new URL(href, cloud.url).searchParams;
		const selectedS = Number(query.get("duration"));
		t.true(Math.abs(Date.parse(query.get("start")) - (span.start + 5000)) < (track.to - track.from) / track.width * 2, "the clip starts where the drag began");
		await page.shot(`owner-${label}-clip-selected`);
		if (label === "phone") await fitsWidth(t, page, "the recordings page with a clip");

		if (label === "desktop") {
			// Download: one MP4 of the selection, named like the recording files.
			const [download] = await Promise.all([page.waitForEvent("download"), page.click("#clip-download")]);
			t.regex(download.suggestedFilename(), /^porch-0_\d{8}T\d{6}Z_\d{8}T\d{6}Z\.mp4$/);
			const file = await download.path();
			const seconds = probe(file);
			// The clip begins at the key frame (segment start) holding its start: up to a segment longer.
			t.true(seconds >= selectedS - 1 && seconds <= selectedS + 3, `file ${seconds} s for a ${selectedS} s selection`);

			// Start here / End here while playing (keyboard and touch).
			await page.click(".tl-span");
			await until(page, "the span playing", () => document.querySelector("#vod-video")?.currentTime > 1);
			await page.click("#clip-start");
			// (the dragged clip's end is after the playing moment: it stays)
			t.regex(await page.textContent("#clip-range"), /^Clip \d\d:\d\d:\d\d – \d\d:\d\d:\d\d · \d+ s$/);
			const startedAt = await page.evaluate(() => document.querySelector("#vod-video").currentTime);
			await until(page, "two more seconds played", (at) => document.querySelector("#vod-video")?.currentTime > at + 2, startedAt);
			await page.click("#clip-end");
			t.regex(await page.textContent("#clip-range"), /^Clip .* · [1-9] s$/);
			// Back to the dragged clip for the share link.
			await page.mouse.move(xOf(span.start + 5000), y);
			await page.mouse.down();
			await page.mouse.move(xOf(span.start + 17000), y, { steps: 8 });
			await page.mouse.up();

			// Share: a 7-day link, shown to copy; it plays in a browser with no session.
			await page.selectOption("#clip-expiry", String(7 * 86400));
			await page.click("#clip-share");
			await until(page, "the share link", () => !document.querySelector("#clip-link").hidden);
			const link = await page.inputValue("#clip-link");
			const until7 = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10);
			t.regex(await page.textContent("#clip-status"), new RegExp(`View-only, valid until ${until7} \\d\\d:\\d\\d UTC\\.$`));
			const shared = new URL(link);
			t.is(shared.pathname, "/v1/recordings/porch/0/get");
			t.false(shared.searchParams.has("download"));
			const days = (Number(shared.searchParams.get("exp")) * 1000 - Date.now()) / 86400e3;
			t.true(days > 6.9 && days <= 7, `the link lives ${days} days`);
			await page.shot("owner-desktop-clip-shared");
			// A link lives at most a week.
			const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
			const tooLong = await fetch(`${cloud.url}/v1/sign`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ path: `${shared.pathname}?start=${shared.searchParams.get("start")}&duration=12`, lifetimeS: 8 * 86400 }) });
			t.is(tooLong.status, 400, await tooLong.text());

			const stranger = await browser.newContext({ viewport: { width: 1366, height: 900 } });
			const viewer = await stranger.newPage();
			const opened = await viewer.goto(link);
			t.is(opened.status(), 200);
			t.is((await stranger.cookies()).length, 0, "no session in the fresh context");
			await until(viewer, "the shared clip playing", () => document.querySelector("video")?.currentTime > 1);
			t.true(await pictureColours(viewer, "video") > 8, "the shared clip paints a picture");
			await viewer.screenshot({ path: `${process.env.IVXS_SCREENSHOTS}/owner-clip-shared-opened.png` });

			// It opens that clip only: widened, moved to another endpoint, or expired, it is refused.
			const widened = new URL(link);
			widened.searchParams.set("duration", "3600");
			t.is((await viewer.goto(widened.href)).status(), 403);
			const elsewhere = new URL(link);
			elsewhere.pathname = "/v1/hls/porch/0/vod.m3u8";
			t.is((await viewer.goto(elsewhere.href)).status(), 403);
			const list = new URL(link);
			list.pathname = "/v1/devices";
			t.is((await viewer.goto(list.href)).status(), 403);
			const old = signUrl(cloud.ctx, `${shared.pathname}?start=${shared.searchParams.get("start")}&duration=${shared.searchParams.get("duration")}`, { user: "admin", admin: true }, 60, Date.now() - 3600e3);
			const expired = await viewer.goto(`${cloud.url}${old}`);
			t.is(expired.status(), 403);
			t.regex(await expired.text(), /expired/);
			await stranger.close();
		}
		t.deepEqual(page.problems.filter((p) => !/status of 401/.test(p)), [], "no script errors or failed requests");
		await page.close();
	}
});
