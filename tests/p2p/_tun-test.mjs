// What the TUN-link tests share: `tunTest`, a serial test where TUN links can be made (root),
// else a skipped one whose title says why; and the benchmark's frames file.
import test from "ava";
import { join } from "node:path";
import { writeFixtureFrames } from "../../bench/p2p/frames.mjs";
import { build } from "../_host.mjs";
import { tunAvailable } from "./tun.mjs";

const available = tunAvailable();
export const tunTest = available.ok ? test.serial : (title) => test.skip(`${title} — SKIPPED: ${available.reason}`, () => {});

/** The fixture's frames in build/p2p/<name>: { frames, file }. */
export async function framesFile(name) {
	const file = join(build, "p2p", name);
	return { frames: await writeFixtureFrames(file), file };
}
