// Many viewers in one XS process for tests/camera-viewers.test.mjs: each mints a ticket as the
// cloud does (modules/protocol), connects to the camera app's P2P port, watches live for N
// seconds — or, with FRAMES, until every viewer has FRAMES frames and KEYS key frames (N the
// deadline: a loaded machine takes longer, never less); prints one "@@viewers [{ frames, bytes,
// firstKey, error, watchedMs }…]" line (watchedMs: from its live stream's opening to the end, 0 if
// it never opened — a loaded machine opens some late).
//   ivxs tests/xs-apps/p2p-viewers -- PORT DEVICE SECRET COUNT SECONDS [FRAMES KEYS]
import Timer from "timer";
import { Rights } from "p2p";
import { argv, exit, monotonic } from "ivxs/platform";
import { testViewer } from "./_viewer.js";

export default function main(): void {
	const [port, device, secret, count, seconds, frames, keys] = argv();
	const all = Array.from({ length: Number(count) }, (_, i) => testViewer({ port: Number(port), device, secret, rights: Rights.live, id: `viewer-${i}` }));
	const opened = all.map(() => -1);
	all.forEach(({ viewer, seen }, i) => {
		viewer.connect().then(() => viewer.open("action=live")).then(() => { opened[i] = monotonic(); }, (error: Error) => { seen.error = error.message; });
	});
	const report = () => {
		Timer.clear(deadline);
		if (enough !== undefined) Timer.clear(enough);
		const now = monotonic();
		trace(`@@viewers ${JSON.stringify(all.map((v, i) => ({ ...v.seen, watchedMs: opened[i] < 0 ? 0 : now - opened[i] })))}\n`);
		for (const { viewer } of all) viewer.close();
		Timer.set(() => exit(0), 50);
	};
	const deadline = Timer.set(report, Number(seconds) * 1000);
	const enough = frames === undefined ? undefined
		: Timer.repeat(() => { if (all.every(({ seen }) => seen.frames >= Number(frames) && seen.keys >= Number(keys))) report(); }, 250);
}
