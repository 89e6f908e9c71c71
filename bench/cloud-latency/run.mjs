/*
 * Live latency to Chromium (issue 7): capture → picture on screen in the console's live view.
 *
 *   node bench/run.mjs cloud_latency          (a section of the bench JSON)
 *   node bench/cloud-latency/run.mjs          (this section alone, JSON on stdout)
 *
 * What runs: a cloud on a free port (embedded storage and broker, a temp data folder), the
 * simulated camera (cloud/sim/camera.ts) playing the fixture video in real time over the real
 * protocol (1-s segments, each streamed as it is cut in 200-ms fragments, MQTT control; the cloud
 * lists the fragments as LL-HLS parts), and Debian's Chromium
 * (playwright-core) signed in to the console's live view of that camera.
 *
 * The clock carried with the frames: the camera stamps each stream with the wall-clock time of
 * decode time 0 (`epoch`, PROTOCOL §3), so a frame's capture time is epoch + its decode time; the
 * live playlist carries it as EXT-X-PROGRAM-DATE-TIME, and hls.js's `playingDate` is that time
 * for the frame on screen. Latency = Date.now() − playingDate, sampled in the page every 200 ms
 * for `seconds` (default 20) once playback has run 3 s. Camera, cloud and browser share this
 * machine's clock, so no clock offset enters.
 *
 * Baseline, in the same page at the same time on the same playlist: a second <video> with hls.js
 * in classic (not low-latency) HLS: `{ lowLatencyMode: false, liveSyncDurationCount: 3 }`, i.e.
 * 3 target durations behind the edge, and a reload scheduled a target duration after the last one
 * rather than asked for at once. (hls.js's own defaults would follow the playlist's HOLD-BACK and
 * land near the console's figure.) Also reported: the console player's playlist reloads while
 * sampling, with a delivery directive (_HLS_msn[/_HLS_part], answered when the segment or part is
 * there) or plain, the parts it loaded, and the console player's jumps to hls.js's sync point
 * (player.js keepUp: before sampling, and while sampling).
 * Target: the console's median ≤ 1000 ms (issue 17; 2000 ms in issue 7); p95 is reported with it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { median, root, sorted } from "../lib.mjs";

const build = (path) => import(pathToFileURL(join(root, "build/node/cloud", path)).href);
const quantile = (xs, q) => {
	const s = sorted(xs);
	return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN;
};
const summary = (xs) => ({ median_ms: Math.round(median(xs)), p95_ms: Math.round(quantile(xs, 0.95)), min_ms: Math.round(Math.min(...xs)), max_ms: Math.round(Math.max(...xs)), samples: xs.length });

export async function benchCloudLatency({ seconds = 20, log = (m) => process.stderr.write(`[cloud_latency] ${m}\n`) } = {}) {
	const { loadConfig } = await build("src/config.js");
	const { startCloud } = await build("src/server.js");
	const { addDevice } = await build("src/devices/registry.js");
	const { Camera } = await build("sim/camera.js");
	const { liveConfig } = await import(pathToFileURL(join(root, "cloud/console/lib/player.js")).href);
	const { browserFor, signIn, until } = await import(pathToFileURL(join(root, "cloud/tests/_browser.mjs")).href);
	const { pino } = await import("pino");
	const cleanup = [];
	const t = { teardown: (fn) => cleanup.push(fn), log };
	const dataDir = mkdtempSync(join(tmpdir(), "ivxs-bench-latency-"));
	cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
	try {
		const password = "bench-latency-password";
		const cloud = await startCloud(loadConfig({ host: "127.0.0.1", port: 0, dataDir, adminPassword: password, logLevel: "warn" }, {}), pino({ level: "silent" }));
		cleanup.push(() => cloud.stop());
		const device = await addDevice(cloud.ctx.sql, { id: "bench-cam", name: "Latency bench" });
		const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: seconds + 40, mqtt: true });
		const running = camera.run();
		cleanup.push(async () => {
			camera.stop();
			await running.catch(() => {});
			await camera.close();
		});
		const { page } = await browserFor(t);
		await signIn(page, cloud.url, "admin", password);
		await page.goto(`${cloud.url}/#/devices/${device.id}/live`);
		log("waiting for live playback");
		await until(page, "live playback", () => document.querySelector("#live-video")?.currentTime > 0.5, undefined, 40000);
		// The baseline player: hls.js defaults on the same playlist, in the same page.
		await page.evaluate((url) => {
			const video = Object.assign(document.createElement("video"), { muted: true, autoplay: true, id: "baseline-video" });
			video.style.cssText = "position:fixed;left:0;bottom:0;width:160px;opacity:0.01";
			document.body.append(video);
			const hls = new window.Hls({ lowLatencyMode: false, liveSyncDurationCount: 3 });
			video.baselineHls = hls;
			hls.attachMedia(video);
			hls.loadSource(url);
		}, `/v1/hls/${device.id}/0/live.m3u8`);
		await page.waitForTimeout(3000);
		log(`sampling ${seconds} s`);
		const result = await page.evaluate(async (ms) => {
			const video = document.querySelector("#live-video");
			const baseline = document.querySelector("#baseline-video");
			const samples = [], base = [];
			let stalls = 0, baseStalls = 0;
			// The console player's playlist reloads: with a delivery directive (_HLS_msn: a blocking reload) or plain.
			const reloads = { blocking: 0, plain: 0, parts: 0 };
			const hls = video.ivxsPlayer.hls;
			hls.on(window.Hls.Events.LEVEL_LOADING, (_event, data) => {
				if (data.deliveryDirectives?.msn !== undefined) reloads.blocking++;
				else reloads.plain++;
			});
			hls.on(window.Hls.Events.FRAG_LOADED, (_event, data) => {
				if (data.part) reloads.parts++;
			});
			video.addEventListener("waiting", () => stalls++);
			baseline.addEventListener("waiting", () => baseStalls++);
			const jumpsBefore = video.ivxsPlayer.jumps;
			const started = performance.now();
			while (performance.now() - started < ms) {
				await new Promise((r) => setTimeout(r, 200));
				const now = Date.now();
				const date = video.ivxsPlayer.hls?.playingDate;
				if (date && !video.paused) samples.push(now - date.getTime());
				const baseDate = baseline.baselineHls.playingDate;
				if (baseDate && !baseline.paused) base.push(now - baseDate.getTime());
			}
			const details = video.ivxsPlayer.hls.latestLevelDetails;
			return { samples, base, stalls, baseStalls, reloads, jumps: { atStart: jumpsBefore, sampling: video.ivxsPlayer.jumps - jumpsBefore }, targetDuration: details?.targetduration, canBlockReload: details?.canBlockReload,
				holdBack: details?.holdBack, partTarget: details?.partTarget, partHoldBack: details?.partHoldBack, hlsTargetLatency: video.ivxsPlayer.hls.targetLatency, playbackRate: video.playbackRate };
		}, seconds * 1000);
		if (result.samples.length < seconds * 2) throw new Error(`only ${result.samples.length} latency samples in ${seconds} s (playback stalled?)`);
		const live = summary(result.samples);
		const baseline = result.base.length ? summary(result.base) : { error: "the baseline player did not play" };
		return {
			measure: "ms from capture (camera wall clock = stream epoch + decode time, carried as EXT-X-PROGRAM-DATE-TIME) to the frame on screen (hls.js playingDate), sampled every 200 ms in Chromium",
			seconds,
			console: { ...live, stalls: result.stalls, jumps_to_sync: result.jumps },
			baseline_classic_hls: { ...baseline, stalls: result.baseStalls, config: { lowLatencyMode: false, liveSyncDurationCount: 3 } },
			ratio_baseline_over_console: baseline.median_ms ? Number((baseline.median_ms / live.median_ms).toFixed(2)) : null,
			playlist: { target_duration_s: result.targetDuration, can_block_reload: result.canBlockReload, hold_back_s: result.holdBack, part_target_s: result.partTarget, part_hold_back_s: result.partHoldBack, segment_s: 1 },
			hls_target_latency_s: result.hlsTargetLatency,
			console_playlist_reloads: result.reloads,
			hls_config: Object.fromEntries(Object.entries(liveConfig).filter(([key]) => !/Policy$/.test(key))),
			target: "console median <= 1000 ms",
			meets: live.median_ms <= 1000,
		};
	}
	finally {
		for (const task of cleanup.reverse()) {
			try {
				await task();
			}
			catch { /* best effort */ }
		}
	}
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	benchCloudLatency().then((result) => process.stdout.write(JSON.stringify(result, null, 2) + "\n"), (error) => {
		process.stderr.write(`cloud_latency: ${error.stack ?? error}\n`);
		process.exitCode = 1;
	});
}
