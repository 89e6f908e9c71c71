/*
 * `node bench/run.mjs webrtc_browser` — a person opening the console's live view in Chromium
 * (issue 28's first-frame targets: ≤ 500 ms on a LAN, ≤ 1 s through TURN), in the topologies the
 * P2P tests build (tests/_netns.mjs: nftables NATs in network namespaces; coturn as STUN and TURN
 * server, tests/_coturn.mjs; the cloud in this process on the namespaces' "internet"):
 *   lan     — the viewer on the camera's LAN (host candidates);
 *   srflx   — both behind cone NATs (server-reflexive candidates);
 *   relay   — the camera behind a symmetric NAT (only its TURN relay works).
 * The camera app (64-bit host, the tests' 640×480 clip) runs in its namespace; Debian's Chromium in
 * the viewer's, driven by Playwright through a wrapper that execs it there. Per topology the admin
 * signs in once, then opens the camera's live view RUNS times (back to the device list between:
 * the console closes the session with WHEP's DELETE). Per opening:
 *   click_ms — the click on the camera → its first frame presented over WebRTC (the page's
 *              requestVideoFrameCallback, expectedDisplayTime): what the person waits;
 *   whep_ms  — the console's WHEP POST starting (Resource Timing) → the same frame: the request
 *              (the cloud's grant, the camera's answer, ICE, DTLS, a key frame from the ring);
 *   before_whep_ms — the click → that POST: the page's own part (the live tab drawn, the STUN
 *              servers asked of the cloud, the offer made and its candidates gathered).
 * IVXS_BENCH_BROWSER_RUNS (default 3) and IVXS_BENCH_BROWSER_TOPOLOGIES (default all) change them.
 * An opening that fell back to the cloud (LL-HLS) counts as a failure of the direct path. Needs root,
 * coturn and nftables (the network tests' own); without them `skipped` says why. About 2 minutes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { browserFor, signIn } from "../../cloud/tests/_browser.mjs";
import { startCoturn } from "../../tests/_coturn.mjs";
import { natTopology } from "../../tests/_netns.mjs";
import { inProcessCloud } from "../in-process-cloud.mjs";
import { median, sleep } from "../lib.mjs";
import { startCamera } from "../p2p-product/camera.mjs";
import { CHANNEL } from "../p2p-product/run.mjs";
import { teardowns } from "../p2p-product/turn.mjs";

const RUNS = Number(process.env.IVXS_BENCH_BROWSER_RUNS ?? 3);
const TARGET_MS = { lan: 500, srflx: 500, relay: 1000 };
const TOPOLOGIES = {
	lan: { nats: { camera: "cone", viewer: "lan" }, relay: false },
	srflx: { nats: { camera: "cone", viewer: "cone" }, relay: false },
	relay: { nats: { camera: "symmetric", viewer: "cone" }, relay: true },
};

/** One opening of the live view from the device list: its timings and the path the page names. */
async function openLive(page, deviceId) {
	await page.evaluate(() => {
		performance.clearResourceTimings();
		// the first frame the live view's <video> presents, from the moment it exists
		window.ivxsFirstFrame = new Promise((resolve) => {
			const look = () => {
				const video = document.querySelector("#live-video");
				if (video) video.requestVideoFrameCallback((now, meta) => resolve(meta.expectedDisplayTime ?? now));
				else requestAnimationFrame(look);
			};
			look();
		});
		window.ivxsClickAt = performance.now();
	});
	await page.click(`.device-card[data-device="${deviceId}"]`);
	const result = await page.evaluate(async () => {
		const presented = await Promise.race([window.ivxsFirstFrame, new Promise((resolve) => setTimeout(() => resolve(null), 15000))]);
		const whep = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/whep"));
		// the page names the path once its player resolves, just after that frame
		for (let i = 0; i < 50 && !document.querySelector("#live-path")?.dataset.wire; i++) await new Promise((resolve) => setTimeout(resolve, 100));
		const path = document.querySelector("#live-path")?.dataset ?? {};
		return { presented, clickAt: window.ivxsClickAt, whepAt: whep?.startTime, wire: path.wire, path: path.path };
	});
	return {
		wire: result.wire, path: result.path,
		click_ms: result.presented === null ? null : Math.round(result.presented - result.clickAt),
		whep_ms: result.presented === null || result.whepAt === undefined ? null : Math.round(result.presented - result.whepAt),
		before_whep_ms: result.whepAt === undefined ? null : Math.round(result.whepAt - result.clickAt),
	};
}

async function firstFrames(root, work, name, { nats, relay }, log) {
	const t = teardowns();
	try {
		const topo = natTopology(t, nats);
		const turn = await startCoturn(t, topo.publicAddress);
		const server = `${turn.address}:${turn.port}`;
		const { cloud, addDevice, adminPassword } = await inProcessCloud(root, join(work, `cloud-${name}`), { host: topo.publicAddress, stunServers: [server], ...(relay ? { turnServers: [server], turnSecret: turn.secret } : {}) });
		t.teardown(() => cloud.stop());
		const device = await addDevice({ id: `browser-${name}`, name: `Camera (${name})` });
		const file = join(work, `${name}.json`);
		writeFileSync(file, JSON.stringify({ id: device.id, secret: device.secret, cloud: cloud.url, channels: [CHANNEL] }));
		const camera = startCamera(root, ["--device", file, "--seconds", "120"], { ns: topo.ns.camh });
		t.teardown(() => camera.stop());
		await camera.line("control channel connected");
		const { page } = await browserFor(t, { executablePath: topo.chromiumIn(topo.ns.viewh, work) });
		await signIn(page, cloud.url, "admin", adminPassword);
		await page.waitForSelector(`.device-card[data-device="${device.id}"][data-online="true"]`, { timeout: 30000 });
		const runs = [];
		for (let i = 0; i < RUNS; i++) {
			runs.push(await openLive(page, device.id));
			log(`webrtc_browser: ${name} opening ${i + 1}: ${JSON.stringify(runs.at(-1))}`);
			await page.goto(`${cloud.url}/#/`);
			await page.waitForSelector(`.device-card[data-device="${device.id}"]`);
			await sleep(1000);
		}
		writeFileSync(join(work, `${name}-camera.log`), camera.lines.join("\n"));
		const ok = runs.filter((r) => r.wire === "webrtc" && r.click_ms !== null);
		const stat = (key) => (ok.length ? { median: median(ok.map((r) => r[key])), max: Math.max(...ok.map((r) => r[key])) } : null);
		return { nats, paths: [...new Set(runs.map((r) => `${r.wire} ${r.path}`))], runs, click_ms: stat("click_ms"), whep_ms: stat("whep_ms"), direct_ok: ok.length };
	}
	finally {
		await t.done();
	}
}

export async function benchWebrtcBrowser({ root, log = () => {} }) {
	if (process.getuid?.() !== 0) return { skipped: "needs root (network namespaces, nftables NATs): run as root, as CI does" };
	if (spawnSync("turnserver", ["--help"], { stdio: "ignore" }).error || !existsSync("/usr/sbin/nft") || !existsSync("/usr/bin/chromium"))
		return { skipped: "no coturn, nftables or Chromium (the network tests' own: `node scripts/test-deps.mjs` installs them)" };
	const work = join(root, "build/bench/webrtc-browser");
	rmSync(work, { recursive: true, force: true });
	mkdirSync(work, { recursive: true });
	const topologies = {};
	const checks = [];
	// IVXS_BENCH_BROWSER_TOPOLOGIES=lan,relay: only those (to iterate on one)
	const only = process.env.IVXS_BENCH_BROWSER_TOPOLOGIES?.split(",");
	for (const [name, topology] of Object.entries(TOPOLOGIES).filter(([n]) => !only || only.includes(n))) {
		const r = topologies[name] = await firstFrames(root, work, name, topology, log);
		const value = r.click_ms?.median ?? null;
		checks.push({ what: `click → first frame over WebRTC, median <= ${TARGET_MS[name]} ms (${name}), every opening direct`, value, meets: value !== null && value <= TARGET_MS[name] && r.direct_ok === RUNS });
	}
	return {
		what: `the console's live view in Chromium, opened ${RUNS} times per topology: click → first frame presented, and WHEP POST → the same frame (ms)`,
		topologies,
		target: "first frame <= 500 ms on a LAN, <= 1 s through TURN (issue 28)",
		checks,
		meets: checks.every((c) => c.meets),
	};
}
