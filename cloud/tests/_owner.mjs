// Helpers of the camera-owner console tests (console-owner-*.test.mjs):
// screenshots under build/screenshots/, events and gaps recorded as the MQTT
// handlers would, and the layout fact checked at phone size.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { recordEvent } from "../../build/node/cloud/src/events/index.js";
import { recordGap } from "../../build/node/cloud/src/gaps/index.js";

process.env.IVXS_SCREENSHOTS ??= resolve("build/screenshots");

export const stills = [1, 2, 3, 4].map((i) => readFileSync(`fixtures/media/stills/000${i}.jpg`));
export const password = "owner-test-password";

/** Stores an event of `device` as if the camera had published it (PROTOCOL.md §5). */
export const addEvent = (cloud, device, event) => recordEvent(cloud.ctx, `ivxs/${device}/event`, Buffer.from(JSON.stringify({ channel: 0, ...event })));
/** Stores a gap report of `device`. */
export const addGap = (cloud, device, gap) => recordGap(cloud.ctx, `ivxs/${device}/gap`, Buffer.from(JSON.stringify({ channel: 0, ...gap })));

/** The page is no wider than the screen (document.documentElement.scrollWidth ≤ innerWidth). */
export async function fitsWidth(t, page, what) {
	const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
	t.true(scroll <= width, `${what}: page ${scroll} px wide on a ${width} px screen`);
}
