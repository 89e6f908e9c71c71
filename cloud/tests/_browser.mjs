// Chromium for the console tests: Debian's chromium driven by playwright-core,
// with the flags of /work/shared/DESIGN.md (fresh profile from playwright) and
// autoplay allowed (the console's players start muted, but a headless tab has
// no user gesture). Screenshots go to one folder per run that is kept, so a
// person can look at them: $IVXS_SCREENSHOTS or a new temp folder (logged).
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const chromiumArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--autoplay-policy=no-user-gesture-required"];

let shots;
/** The folder screenshots of this run go to. */
export function screenshotFolder() {
	if (!shots) {
		shots = process.env.IVXS_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "ivxs-console-shots-"));
		mkdirSync(shots, { recursive: true });
	}
	return shots;
}

/** A browser and a tab (1366×900, a laptop), closed at teardown. `page.problems` collects page errors and failed requests. `args`: more Chromium switches; `executablePath`: a wrapper that runs Debian's chromium elsewhere (a network namespace). */
export async function browserFor(t, { width = 1366, height = 900, args = [], executablePath = "/usr/bin/chromium" } = {}) {
	const browser = await chromium.launch({ executablePath, args: [...chromiumArgs, ...args] });
	t.teardown(() => browser.close());
	const context = await browser.newContext({ viewport: { width, height } });
	const page = await context.newPage();
	const problems = [];
	page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
	page.on("console", (message) => {
		if (message.type() === "error") problems.push(`console: ${message.text()}`);
	});
	page.problems = problems;
	/** Saves a full-page PNG; returns its path. */
	page.shot = async (name) => {
		const path = join(screenshotFolder(), `${name}.png`);
		await page.screenshot({ path, fullPage: true });
		t.log(`screenshot ${path}`);
		return path;
	};
	return { browser, context, page };
}

/** Draws a <video> into a canvas and counts distinct colours (coarse): a decoded picture has many, a blank one 1–2. */
/**
 * The colours of the video's picture once it shows one (more than 8), waiting up to `timeoutMs`:
 * right after a seek or a start, a loaded machine may not have painted the first decoded frame yet.
 */
export async function pictureColours(page, selector, timeoutMs = 10_000) {
	const end = Date.now() + timeoutMs;
	let colours = await videoColours(page, selector);
	while (colours <= 8 && Date.now() < end) {
		await new Promise((resolve) => setTimeout(resolve, 250));
		colours = await videoColours(page, selector);
	}
	return colours;
}

export function videoColours(page, selector) {
	return page.evaluate((selector) => {
		const video = document.querySelector(selector);
		if (!video || !video.videoWidth) return 0;
		const canvas = document.createElement("canvas");
		canvas.width = video.videoWidth;
		canvas.height = video.videoHeight;
		const context = canvas.getContext("2d");
		context.drawImage(video, 0, 0);
		const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
		const colours = new Set();
		for (let i = 0; i < pixels.length; i += 4 * 97) colours.add((pixels[i] >> 5) << 6 | (pixels[i + 1] >> 5) << 3 | pixels[i + 2] >> 5);
		return colours.size;
	}, selector);
}

/** Signs in through the console's form and waits for the device list. */
export async function signIn(page, base, user, password) {
	await page.goto(`${base}/`);
	await page.waitForSelector("#user");
	await page.fill("#user", user);
	await page.fill("#password", password);
	await page.click("#sign-in");
	await page.waitForSelector("#devices .device-card, #devices .empty");
}

/** Uploads a JPEG as the device's snapshot (PROTOCOL §4, signed like a camera). Resolves with the status. */
export async function uploadSnapshot(base, device, jpeg, time = Date.now(), channel = 0) {
	const { signRequest } = await import("../../build/node/cloud/sim/sign.js");
	const path = `/v1/devices/${device.id}/channels/${channel}/snapshots?time=${time}`;
	const signed = signRequest({ device: device.id, key: device.secret, method: "PUT", path, body: jpeg });
	const response = await fetch(`${base}${path}`, { method: "PUT", body: jpeg, headers: { ...signed.headers, "content-type": "image/jpeg" } });
	await response.arrayBuffer();
	return response.status;
}

/** Polls `fn` in the page until it returns a truthy value (or throws after `timeoutMs` with `what`). */
export async function until(page, what, fn, arg, timeoutMs = 30000) {
	try {
		return await (await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 200 })).jsonValue();
	}
	catch (error) {
		throw new Error(`timed out waiting for ${what}: ${error.message.split("\n")[0]}`);
	}
}

/**
 * The widest recorded span on the timeline, as a page rectangle. Measured in the page in one step:
 * the timeline redraws its spans when it refreshes, so a handle taken a moment earlier can be
 * detached by the time its box is asked for (a null box failed CI once).
 */
export async function widestSpan(page) {
	return until(page, "a recorded span on screen", () => {
		const rects = [...document.querySelectorAll(".tl-span")].map((span) => span.getBoundingClientRect()).filter((rect) => rect.width > 0);
		if (rects.length === 0) return null;
		const { x, y, width, height } = rects.reduce((a, b) => (b.width > a.width ? b : a));
		return { x, y, width, height };
	});
}

/**
 * Opens a device's live view from the device list and checks it plays: past 2 s, advancing, a
 * decoded picture, a delay behind capture under 10 s. Returns that delay (ms).
 */
export async function checkLiveView(t, page, device) {
	await page.click(`.device-card[data-device="${device}"]`);
	await until(page, "live playback past 2 s", () => document.querySelector("#live-video")?.currentTime > 2, undefined, 45000);
	const liveAt = await page.evaluate(() => document.querySelector("#live-video").currentTime);
	await page.waitForTimeout(2000);
	const liveLater = await page.evaluate(() => document.querySelector("#live-video").currentTime);
	t.true(liveLater - liveAt > 1, `live currentTime ${liveAt} → ${liveLater}`);
	t.true(await pictureColours(page, "#live-video") > 8, "the live frame is a picture");
	// (undefined while the player is not "playing": a brief stall of a loaded machine; the bound is below)
	const latency = await until(page, "the player's live delay", () => document.querySelector("#live-video").ivxsPlayer.latency(), undefined, 10000);
	t.log(`live: delay behind capture ${latency} ms`);
	t.true(latency > 0 && latency < 10000, `live delay ${latency} ms`);
	return latency;
}
