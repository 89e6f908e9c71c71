/*
 * `node bench/run.mjs board_s3` — the camera app on the ESP32-S3 itself, in Espressif's emulator:
 * the images `npm run board -- build` makes with the real Moddable tools and ESP-IDF 6.0, booted in
 * `qemu-system-xtensa -M esp32s3` (scripts/board.mjs) against a cloud on this machine, playing the
 * sample clip (640×480 H.264 at 15 fps + AAC) from its flash. Per image one boot, then the loads in
 * turn, each LOAD_S seconds:
 *   storage          cloud storage alone
 *   native_1         + a native viewer (`npm run view`, direct through QEMU's NAT via STUN)
 *   webrtc_1         + a WebRTC viewer (aiortc as the cloud's WHEP client)
 *   native_4         + 4 native viewers
 * then, after a boot of each image with the camera stream the targets name in the clip's
 * place (1 Mbit/s, 640×480 H.264 at 15 fps, bench cs's: made once with ffmpeg), the loads those
 * targets are judged on:
 *   storage_1mbit    cloud storage alone
 *   native_4_1mbit   + 4 native viewers
 * (The targets' events are not in them: the board's app takes no --event-every.)
 * The instrumented image (`build`, mcconfig -i) gives XS's figures, from the SDK's own
 * instrumentation (its per-second `instruments` lines on the console): XS chunks and slots at their
 * peak and reserved, collections per second, the C heap's low point (ESP-IDF's free bytes, internal
 * RAM and PSRAM together), bytes written to TCP sockets per second. The release image (`build
 * --release`, as a product ships) gives the Xtensa instructions per second of video per core,
 * counted by the cores' own ICOUNT registers (hosts/esp32s3/figures) and split by task as the
 * tasks' run times split them, and the least internal RAM free and the most PSRAM used (ESP-IDF's
 * heap_caps figures). Only a release image counts: an instrumented one's xsbug link polls the USB
 * and the UART once a millisecond, which no product pays. QEMU's clock follows the host's, and
 * the clip plays by it, so a second of video is a second of that clock: the count is per second of
 * video however fast the host emulates. Both: the frames each viewer got; boot → the first segment
 * stored in the cloud (the slower image's; wall time, the emulator's, not an S3's). Once: flash, the
 * release app's image against its partition and the app layer as a mod (`mcrun`).
 *
 * It needs the board's tools (`npm run board -- doctor`) and both images; without them the section
 * says which is missing and judges nothing (meets: null).
 */
import { createWriteStream, statSync } from "node:fs";
import { join } from "node:path";
import { root, round, sleep } from "../lib.mjs";
import { mbitClip } from "../cs/run.mjs";
import { modArchive } from "../../scripts/board-ota.mjs";
import { boardFigures } from "./board-figures.mjs";
import { CLIP, bootProgress, builtEmulatorImage, checks, deviceForEmulator, emulatedBoard, idfBuildDir, instrumentFigures, partition } from "../../scripts/board.mjs";
import { boardCloud, watch, watchWebRtc } from "../../scripts/board-world.mjs";

const LOAD_S = 30;
const TARGET = { collectionsPerS: 0.5, heapBytes: 192 * 1024, bootS: 10, storageInstructionsPerS: 8e6, viewersInstructionsPerS: 24e6, internalFreeBytes: 64 * 1024 };
const LOADS = [
	["storage", "cloud storage alone", () => []],
	["native_1", "+ a native viewer", oneNative],
	["webrtc_1", "+ a WebRTC viewer (aiortc)", oneWebRtc],
	// one joining a second, as people do: four `npm run view` starting at once take this 2-core
	// machine's CPU from the emulator for a second, and the camera's frames miss their deadline
	["native_4", "+ 4 native viewers", (w, dir) => fourViewers(w, dir)],
];
const MBIT_LOADS = [
	["storage_1mbit", "cloud storage alone, the 1 Mbit/s stream", () => []],
	// one viewer of each wire on the stream: what a viewer's crypto costs (the native wire's
	// ChaCha20-Poly1305 in software, SRTP in the S3's AES and SHA engines)
	["native_1_1mbit", "+ a native viewer, the 1 Mbit/s stream", oneNative],
	["webrtc_1_1mbit", "+ a WebRTC viewer (aiortc), the 1 Mbit/s stream", oneWebRtc],
	["native_4_1mbit", "+ 4 native viewers, the 1 Mbit/s stream", (w, dir) => fourViewers(w, dir)],
];

/** One viewer's instructions a second beyond cloud storage alone, at 1 Mbit/s: native, WebRTC, their ratio. */
function viewerCost(loads) {
	const native = loads.native_1_1mbit.instructions_per_s - loads.storage_1mbit.instructions_per_s;
	const webrtc = loads.webrtc_1_1mbit.instructions_per_s - loads.storage_1mbit.instructions_per_s;
	return { native, webrtc, webrtc_over_native: Math.round((webrtc / native) * 100) / 100 };
}

function oneNative(w, dir) {
	return [watch(w.id, w.url, w.adminPassword, join(dir, "bench-view-0.mp4"), join(dir, "bench-view-0.log"), LOAD_S)];
}

function oneWebRtc(w) {
	return [watchWebRtc(w.id, w.url, w.api, w.stun, LOAD_S, CLIP)];
}

function fourViewers(w, dir) {
	return [0, 1, 2, 3].map((i) => sleep(i * 1000).then(() => watch(w.id, w.url, w.adminPassword, join(dir, `bench-view-${i}.mp4`), join(dir, `bench-view-${i}.log`), LOAD_S - i)));
}

export async function benchBoardS3({ log = () => {} } = {}) {
	const missing = checks().filter((r) => !r.ok).map((r) => `${r.what}: ${r.detail}`);
	if (missing.length) return { skipped: "needs the board's tools (npm run board -- doctor; hosts/esp32s3/README.md)", missing, meets: null };
	const dir = builtEmulatorImage(), releaseDir = builtEmulatorImage("release");
	if (!dir || !releaseDir) return { skipped: "needs both emulator images: npm run board -- build && npm run board -- build --release", meets: null };
	const stream = mbitClip(log);
	if (stream.fps !== CLIP.fps) throw new Error(`the 1 Mbit/s stream's ${stream.fps} fps is not the board's channel's ${CLIP.fps}`);
	const video = stream.path;
	const instrumented = { loads: {} }, release = { loads: {} }, boots = [];
	for (const [clip, loadList] of [[undefined, LOADS], [video, MBIT_LOADS]]) {
		log(`board_s3: the instrumented image (the SDK's XS figures), ${clip ? "the 1 Mbit/s stream" : "the sample clip"}`);
		const i = await measure(dir, log, { counting: false, loads: loadList, video: clip });
		log(`board_s3: the release image (instructions as a product pays them), ${clip ? "the 1 Mbit/s stream" : "the sample clip"}`);
		const r = await measure(releaseDir, log, { counting: true, loads: loadList, video: clip });
		Object.assign(instrumented.loads, i.loads);
		Object.assign(release.loads, r.loads);
		boots.push(i.firstSegmentS, r.firstSegmentS);
	}
	const loads = Object.fromEntries([...LOADS, ...MBIT_LOADS].map(([name, what]) => {
		const f = instrumented.loads[name].figures, c = release.loads[name].figures;
		return [name, {
			what, seconds: f.seconds,
			instructions_per_s: c.perS,
			instructions_per_s_by_core: c.coresPerS,
			instructions_per_s_by_task: c.byTask,
			internal_ram_free_min_bytes: c.internalFree,
			psram_used_max_bytes: c.psramUsed,
			xs_chunks_peak_bytes: f.chunkPeak, xs_chunks_reserved_bytes: f.chunks,
			xs_slots_peak_bytes: f.slotPeak, xs_slots_reserved_bytes: f.slots,
			collections_per_s: round(f.collections / f.seconds, 2),
			c_heap_free_min_bytes: f.systemLow,
			socket_bytes_written_per_s: Math.round(f.written / f.seconds),
			...(release.loads[name].viewers.length ? { viewers: [...instrumented.loads[name].viewers, ...release.loads[name].viewers] } : {}),   // the instrumented image's, then the release's
		}];
	}));
	const appBytes = statSync(join(idfBuildDir("emulator", process.env, "release"), "xs_esp32.bin")).size;
	const modBytes = statSync(modArchive(join(root, "modules/app/mod/manifest.json"), join(dir, "bench-mod"), { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` })).size;
	const worst = loads.native_4_1mbit, storage = loads.storage_1mbit;
	const reserved = Math.max(...Object.values(loads).map((l) => l.xs_chunks_reserved_bytes + l.xs_slots_reserved_bytes));
	const viewersOk = Object.values(loads).every((l) => !l.viewers || l.viewers.every((v) => v.ok));
	const bootS = Math.max(...boots);
	return {
		what: `the emulator images in qemu-system-xtensa -M esp32s3, ${LOAD_S} s per load after one boot of each per clip (the sample clip; the 1 Mbit/s stream, on which the targets are judged): XS's figures from the instrumented image, instructions from the release image (as a product ships: no xsbug link)`,
		boot_to_first_segment_s: { value: bootS, target: `≤ ${TARGET.bootS} s (issue 54; QEMU's wall time, not an S3's)`, meets: bootS <= TARGET.bootS },
		collections_per_s_storage: { value: storage.collections_per_s, target: `≤ ${TARGET.collectionsPerS} (issue 54; the 1 Mbit/s stream)`, meets: storage.collections_per_s <= TARGET.collectionsPerS },
		collections_per_s_4_viewers: { value: worst.collections_per_s, target: `≤ ${TARGET.collectionsPerS} (issue 54; the 1 Mbit/s stream)`, meets: worst.collections_per_s <= TARGET.collectionsPerS },
		xs_heap_reserved_bytes_most: { value: reserved, target: `≤ ${TARGET.heapBytes / 1024} KiB (issue 54)`, meets: reserved <= TARGET.heapBytes },
		instructions_per_s_storage: { value: storage.instructions_per_s, target: `≤ ${TARGET.storageInstructionsPerS / 1e6} M (issue 54; the 1 Mbit/s stream)`, meets: storage.instructions_per_s <= TARGET.storageInstructionsPerS },
		instructions_per_s_4_viewers: { value: worst.instructions_per_s, target: `≤ ${TARGET.viewersInstructionsPerS / 1e6} M (issue 54: with events, at 1 Mbit/s; here the 1 Mbit/s stream without events)`, meets: worst.instructions_per_s <= TARGET.viewersInstructionsPerS },
		internal_ram_free_4_viewers: { value: worst.internal_ram_free_min_bytes, target: `≥ ${TARGET.internalFreeBytes / 1024} KiB (issue 54; the emulator's Ethernet, not a board's Wi-Fi)`, meets: worst.internal_ram_free_min_bytes >= TARGET.internalFreeBytes },
		instructions_by_task: "each load's count split by the tasks' run times (FreeRTOS run-time stats): an estimate, a task's instructions per µs taken as the others'",
		// what one viewer adds at 1 Mbit/s, by wire (reported; issue 55's "within 10 %" is judged on the host: board_cpu)
		one_viewer_1mbit_instructions_per_s: viewerCost(loads),
		flash: { app_image_bytes: appBytes, app_partition_bytes: partition("ota_0").size, app_layer_mod_bytes: modBytes },
		loads,
		viewers_ok: viewersOk,
		meets: viewersOk && worst.internal_ram_free_min_bytes >= TARGET.internalFreeBytes && storage.instructions_per_s <= TARGET.storageInstructionsPerS && worst.instructions_per_s <= TARGET.viewersInstructionsPerS && bootS <= TARGET.bootS
			&& storage.collections_per_s <= TARGET.collectionsPerS && worst.collections_per_s <= TARGET.collectionsPerS && reserved <= TARGET.heapBytes,
	};
}

/** One boot of the image in `dir` against a cloud of its own (`video`, when given, in the clip's
 * place), then each of `loads` for LOAD_S s: { firstSegmentS, loads: { name: { figures, viewers } } };
 * `counting`: a release image, which prints the cores' instruction counts and its memory
 * (boardFigures); otherwise the SDK's instrumentation (instrumentFigures). */
async function measure(dir, log, { counting, loads: loadList, video }) {
	const world = await boardCloud(dir, "bench");
	const started = Date.now();
	const figures = Object.fromEntries(loadList.map(([name]) => [name, counting ? boardFigures() : instrumentFigures()]));
	const progress = bootProgress();
	let failure;
	const consoleLog = createWriteStream(join(dir, "bench-console.log"));   // the whole console, to read after a run
	const board = emulatedBoard(dir, deviceForEmulator(JSON.stringify({ id: world.id, secret: world.secret, cloud: world.cameraUrl, ca: world.ca })), {
		onLine: (line) => {
			consoleLog.write(`${line}\n`);
			progress.line(line);
			for (const f of Object.values(figures)) f.line(line);
		},
		onStderr: () => {},
		onRestart: () => (failure ??= "the board restarted itself"),
		video,
	});
	try {
		const firstSegmentS = await firstSegment(world, started, () => failure ?? progress.failure);
		if (firstSegmentS === undefined) throw new Error(`${dir}: no segment stored in 240 s: ${failure ?? progress.failure ?? "the console said nothing wrong"}`);
		log(`board_s3: the first segment stored ${firstSegmentS} s after QEMU started`);
		const loads = {};
		for (const [name, what, viewers] of loadList) {
			log(`board_s3: ${what} for ${LOAD_S} s`);
			figures[name].on();
			const [watched] = await Promise.all([Promise.all(viewers(world, dir)), sleep(LOAD_S * 1000)]);
			figures[name].off();
			if (failure ?? progress.failure) throw new Error(`during ${name}: ${failure ?? progress.failure}`);
			const values = figures[name].values();
			if (!values && counting) throw new Error(`during ${name}: the console printed no instruction counts (an image older than hosts/esp32s3/figures? npm run board -- build --release)`);
			loads[name] = { figures: values, viewers: watched.map((v) => ({ ok: v.ok, frames: v.frames ?? 0, lost: v.lost ?? 0 })) };
		}
		return { firstSegmentS, loads };
	}
	finally {
		board.kill();
		await board.closed;
		consoleLog.end();
		await world.stop();
	}
}

/** Seconds from `started` to the first segment the cloud lists for the camera, or undefined after 240 s or a failure. */
async function firstSegment(world, started, failed) {
	while (Date.now() - started < 240_000 && !failed()) {
		const list = await (await world.api(`/v1/recordings/${world.id}/0/list`)).json().catch(() => []);
		if (Array.isArray(list) && list.length) return round((Date.now() - started) / 1000, 1);
		await sleep(250);
	}
	return undefined;
}
