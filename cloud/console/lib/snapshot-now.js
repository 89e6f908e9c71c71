// Snapshot now (cloud/API.md): asks the camera for a still and waits for it
// in the channel's snapshot list — the camera uploads it as any snapshot, so
// the new one is the picture that was not listed before the click. Compared by
// what is new rather than by time: the camera stamps it with its own clock.
import { api, ApiError } from "./api.js";

const aroundMs = 10 * 60e3;
const list = (id, channel) => {
	const now = Date.now();
	return api.snapshots(id, channel, now - aroundMs, now + aroundMs, 1000);
};

/** Resolves with the new still ({ time, url }); rejects with an ApiError saying why there is none. */
export async function snapshotNow(id, channel, { timeoutMs = 15000, pollMs = 500 } = {}) {
	const before = new Set((await list(id, channel)).map((shot) => shot.time));
	await api.askSnapshot(id, channel);
	const end = Date.now() + timeoutMs;
	while (Date.now() < end) {
		await new Promise((resolve) => setTimeout(resolve, pollMs));
		const fresh = (await list(id, channel)).filter((shot) => !before.has(shot.time));
		if (fresh.length) return fresh[fresh.length - 1];
	}
	throw new ApiError(504, `The camera sent no picture within ${Math.round(timeoutMs / 1000)} s.`);
}
