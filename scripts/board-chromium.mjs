// A person watching the emulated camera in the web console (`npm run board -- test`): Debian's
// Chromium (driven by playwright-core, as the console tests drive it: cloud/tests/_browser.mjs)
// signs in as the admin, opens the camera's live view, and the console's player takes the WebRTC
// path through QEMU's NAT (the STUN server the cloud names). Counts the frames the <video>
// presents, looks at the picture, and keeps a screenshot.
import { browserFor, pictureColours, signIn } from "../cloud/tests/_browser.mjs";

/**
 * `seconds` of the live view of `device` in `cloud`: { ok, frames, summary }, ok when the page names
 * the WebRTC path, the <video> presented at least `minFrames` frames and shows a picture (many
 * colours). The screenshot goes to `shot`.
 */
export async function watchInChromium(cloud, password, device, seconds, minFrames, shot) {
	const closers = [];
	try {
		const { page } = await browserFor({ teardown: (fn) => closers.push(fn), log: () => {} });
		await signIn(page, cloud, "admin", password);
		await page.waitForSelector(`.device-card[data-device="${device}"][data-online="true"]`, { timeout: 30_000 });
		await page.click(`.device-card[data-device="${device}"]`);
		await page.waitForSelector("#live-video", { timeout: 30_000 });
		// frames the <video> presents, counted from its first
		const frames = await page.evaluate((ms) => new Promise((resolve) => {
			const video = document.querySelector("#live-video");
			let count = 0, first;
			const step = (now) => {
				first ??= now;
				count++;
				if (now - first < ms) video.requestVideoFrameCallback(step);
				else resolve(count);
			};
			video.requestVideoFrameCallback(step);
			setTimeout(() => resolve(count), ms + 20_000);   // never presented: what was counted
		}), seconds * 1000);
		const colours = await pictureColours(page, "#live-video");
		const path = await page.evaluate(() => ({ ...document.querySelector("#live-path")?.dataset }));
		await page.screenshot({ path: shot });
		const ok = path.wire === "webrtc" && frames >= minFrames && colours > 8;
		return { ok, frames, summary: `the console's live view over ${path.wire ?? "no path"} (${path.path ?? "?"}), ${frames} frames presented in ${seconds} s, ${colours} colours in its picture; screenshot ${shot}` };
	}
	catch (error) {
		return { ok: false, frames: 0, summary: String(error?.message ?? error).split("\n")[0] };
	}
	finally {
		for (const close of closers.reverse()) await close().catch(() => {});
	}
}
