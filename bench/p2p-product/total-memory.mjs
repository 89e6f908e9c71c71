// The camera's total memory with everything on at once (issue 14 §5): cloud storage (the default
// plan: continuous, uploading), 4 `npm run view` viewers (a board's limit), and a snapshot asked
// for while they watch (`POST /v1/snapshots/:id/0`: a still taken and uploaded now) — on the
// 64-bit host and on the 32-bit one (build/bin/ivxs-m32, gcc -m32: a board's pointer width; XS
// slots half the size), the same cloud, one after the other.
// Figures per host, once the 4 viewers are connected and the still is in: the XS heap (live after
// a collection) and its peak, each native module's bytes and peak (the ring, the transport, …),
// their sum (what the app holds: `app_peak_bytes`), and the process's resident memory and peak
// (VmRSS/VmHWM: also the host binary, libc, mbedTLS — what a Linux SoC pays). Ratios m32 / 64-bit.
import { round, sleep } from "../lib.mjs";
import { buildHost } from "../../scripts/build.mjs";
import { startCamera } from "./camera.mjs";
import { connected, startViewers } from "./viewers.mjs";

const VIEWERS = 4;

async function measure(root, { binary, file, cloud, api, token, device, log }) {
	const camera = startCamera(root, ["--device", file, "--seconds", "60", "--viewers", String(VIEWERS), "--memory-probe", "1"], { binary });
	try {
		await camera.line("control channel connected");
		await sleep(1500);
		const viewers = startViewers(VIEWERS, { device, cloud, token, seconds: 10, log });
		const open = await connected(api, device, VIEWERS);
		// a still now: taken, encoded and uploaded while the viewers watch; in once the cloud lists it
		const { askedMs } = await api(`/v1/snapshots/${device}/0`, { method: "POST" });
		let still = false;
		for (let i = 0; i < 40 && !still; i++, await sleep(250)) still = (await api(`/v1/snapshots/${device}/0`)).some((s) => s.timeMs >= askedMs - 1000);
		await sleep(1500);
		const probe = await camera.probeAfter(Date.now());
		const rss = camera.rss();
		const codes = await Promise.all(viewers);
		const native = probe?.native ?? {};
		const nativePeak = Object.values(native).reduce((sum, m) => sum + m.peak, 0);
		return {
			viewers_connected: open.length, viewers_ok: codes.filter((c) => c === 0).length, snapshot_stored: still,
			xs_heap_bytes: probe?.heap, xs_heap_peak_bytes: probe?.heapPeak, native,
			native_peak_bytes: nativePeak, app_peak_bytes: probe ? probe.heapPeak + nativePeak : undefined,
			rss_bytes: rss.rss, rss_peak_bytes: rss.peak,
		};
	}
	finally {
		await camera.stop();
	}
}

/** `setup`: the product bench's cloud, token, device and device file. */
export async function benchTotalMemory(root, setup, log) {
	buildHost("m32", { stdio: ["ignore", "ignore", "inherit"] });
	const out = {};
	for (const [name, binary] of [["host64", "build/bin/ivxs"], ["m32", "build/bin/ivxs-m32"]]) {
		out[name] = await measure(root, { binary, ...setup, log });
		log(`p2p_product: camera memory (${name}) ${JSON.stringify(out[name])}`);
		await sleep(6000);   // the camera reports the last sessions gone
	}
	const ratio = (key) => out.host64[key] > 0 ? round(out.m32[key] / out.host64[key], 2) : undefined;
	return {
		...out, viewers: VIEWERS, with: "cloud storage (continuous, uploading) + 4 viewers + a snapshot now",
		ratio_m32_vs_64: { app_peak: ratio("app_peak_bytes"), xs_heap_peak: ratio("xs_heap_peak_bytes"), rss_peak: ratio("rss_peak_bytes") },
	};
}
