// What a person sees: the camera app on the XS host uploads to the cloud, and the cloud's console
// in Chromium shows it online with its snapshot, plays it live, and plays what was recorded.
import test from "ava";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { browserFor, checkLiveView, pictureColours, signIn, until } from "../cloud/tests/_browser.mjs";
import { deviceFile, runCamera } from "./_camera.mjs";

const password = "camera-browser-password";

test("xs › the console shows the XS camera online with its snapshot, plays it live and plays its recording", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	const device = await deviceIn(cloud, "xs-cam", { name: "XS camera" });
	const camera = runCamera(deviceFile(t, device, cloud.url), { seconds: 45, args: ["--event-every", "6"] });
	const { page } = await browserFor(t);
	await signIn(page, cloud.url, "admin", password);

	await until(page, "the camera online with a thumbnail", () => {
		const card = document.querySelector('.device-card[data-device="xs-cam"]');
		const img = card?.querySelector(".thumb img");
		return card?.dataset.online === "true" && img?.complete && img.naturalWidth > 0;
	}, undefined, 30000).catch(async () => {
		await page.reload();   // the list refreshes every 10 s
		await until(page, "the camera online with a thumbnail (after a reload)", () => {
			const card = document.querySelector('.device-card[data-device="xs-cam"]');
			const img = card?.querySelector(".thumb img");
			return card?.dataset.online === "true" && img?.complete && img.naturalWidth > 0 || undefined;
		});
	});
	await page.shot("xs-camera-1-devices");

	await checkLiveView(t, page, "xs-cam");
	await page.shot("xs-camera-2-live");

	await page.click('a[data-tab="recordings"]');
	await page.click('button[data-range="300000"]');
	await until(page, "a recorded span and an event marker", () => document.querySelector(".tl-span") && document.querySelector(".tl-event"), undefined, 30000);
	const boxes = await Promise.all((await page.$$(".tl-span")).map((element) => element.boundingBox()));
	const span = boxes.reduce((a, b) => (b.width > a.width ? b : a));
	await page.mouse.click(span.x + span.width * 0.2, span.y + span.height / 2);
	await until(page, "the recording playing", () => document.querySelector("#vod-video")?.currentTime > 1, undefined, 30000);
	t.true(await pictureColours(page, "#vod-video") > 8, "the recorded frame is a picture");
	await page.shot("xs-camera-3-recording");
	// 404s are expected while the camera starts (no snapshot or segment yet for the page's first asks).
	t.deepEqual(page.problems.filter((problem) => !/status of 40[14] /.test(problem)), [], "no script errors or other failed requests");

	const run = await camera;
	t.is(run.code, 0, run.stderr);
	t.true(run.summary.snapshots.ok >= 1, `snapshots ${JSON.stringify(run.summary.snapshots)}`);
	t.is(run.summary.channels["0"].framesLost, 0);
});
