// `npm run -s soak -- --minutes N`: a month in the field in an hour (issue 27). The whole system
// for N minutes — the cloud (`npm run cloud`'s server, a child process) with mosquitto as its MQTT
// broker, the camera app on the XS host (cloud storage, events, snapshots, local store), 4 P2P
// viewers (one in a network namespace, to move), 2 WebRTC viewers and a hostile one that come and
// go (aiortc through WHEP), an LL-HLS viewer in Chromium and an HTTP-FLV reader — with a fault
// schedule (soak/faults.mjs), then ONE JSON verdict on stdout, `ok` at its top level
// (soak/verdict.mjs; README "Soak"). Exit 0 when ok, 1 when not, 2 on a usage error. Logs of every
// process: the folder printed on stderr (kept with --keep, and whenever the verdict fails). With
// --firmware the camera is the sample C firmware (soak/camera.mjs), and the verdict adds its malloc
// heap's slope.
//   npm run -s soak -- [--minutes N (3; 1 … 1440)] [--firmware] [--keep]
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { cuttableProxy } from "../tests/_camera.mjs";
import { natTopology } from "../tests/_netns.mjs";
import { freePort, mosquittoOn } from "../cloud/tests/_mosquitto.mjs";
import { RECORDED_TABLES, SoakCloud, WINDOWED_TABLES } from "./soak/cloud.mjs";
import { SoakCamera } from "./soak/camera.mjs";
import { P2PViewer } from "./soak/p2p-viewer.mjs";
import { WebRtcViewer } from "./soak/webrtc-viewer.mjs";
import { FlvReader } from "./soak/flv-reader.mjs";
import { HlsViewer } from "./soak/hls-viewer.mjs";
import { Session, viewerAccount } from "./soak/session.mjs";
import { Volume } from "./soak/volume.mjs";
import { FAULTS, ROUND, TAIL_S, scheduleFor } from "./soak/faults.mjs";
import { recoveries } from "./soak/recovery.mjs";
import { readStored } from "./soak/stored.mjs";
import { verdictOf } from "./soak/verdict.mjs";
import { helpIfAsked } from "./usage.mjs";

const usage = "usage: npm run -s soak -- [--minutes N] [--firmware] [--keep]";
const DEVICE = "soak-cam";
/** A 64 KiB GOP estimate: a ring of ~8 s of the sample clip, so a 15-s cut overflows it and a 3-s one does not. */
const MAX_GOP_BYTES = 65536;
/** A WebRTC viewer's visit and the time it stays away before the next: ~8 visits each in 3 minutes. */
const WEBRTC_WATCH_S = 12, WEBRTC_AWAY_S = 5;

function parse(args) {
	const o = { minutes: 3, keep: false, firmware: false };
	for (let i = 0; i < args.length; i++) {
		if (args[i] === "--minutes" && i + 1 < args.length) o.minutes = Number(args[++i]);
		else if (args[i] === "--keep") o.keep = true;
		else if (args[i] === "--firmware") o.firmware = true;
		else throw new Error(usage);
	}
	if (!(o.minutes >= 1 && o.minutes <= 24 * 60)) throw new Error(`--minutes takes 1 … 1440\n${usage}`);
	return o;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const note = (line) => process.stderr.write(`soak: ${line}\n`);

/**
 * The network namespaces viewer 4 runs in (tests/_netns.mjs: it on the "internet", no NAT in
 * front of it; the cloud listens on that internet's root-namespace address), or why there are none.
 */
function topologyFor(shim) {
	if (process.getuid?.() !== 0) return { why: "network namespaces need root" };
	try {
		return { topo: natTopology(shim, { viewer: "public" }) };
	}
	catch (error) {
		return { why: error.message };
	}
}

async function soak(o) {
	let verdict;
	const work = mkdtempSync(join(tmpdir(), "ivxs-soak-"));
	note(`logs and data in ${work}`);
	const teardowns = [];
	const shim = { teardown: (fn) => teardowns.push(fn) };
	const volume = new Volume(Math.max(256, o.minutes * 8));
	const skipped = [];
	if (volume.cannotMount) skipped.push(`disk-full: ${volume.cannotMount}`);
	if (o.firmware) skipped.push("frames.holes: the firmware's G.711 frames take ring sequence numbers cloud storage does not keep (framesNotStored), so holes between stored segments are not lost frames");
	const r = { minutes: o.minutes, firmware: o.firmware, skipped, faults: [], resources: { camera: [], cloud: [] }, logs: [] };
	let broker, cloud, camera, viewers = [], rtc = [], flv, hls, sampler, resourceTimer;
	try {
		// The firmware profile has no P2P viewers: one of the firmware's ring receives no frames (it connects
		// and watches; WebRTC viewers of the same ring decode) — so no viewer to move, nor its namespaces.
		const { topo, why } = topologyFor(shim);
		if (!topo) skipped.push(`viewer-move: ${why}`);
		// Anonymous, as in the tests: mosquitto-go-auth (the device sign-in at the broker) is not installed here.
		mkdirSync(join(work, "mosquitto"));
		broker = mosquittoOn(await freePort(), join(work, "mosquitto"), { onLog: (chunk) => appendFileSync(join(work, "mosquitto.log"), chunk) });
		const password = randomBytes(12).toString("hex");
		cloud = new SoakCloud({ dataDir: volume.dir, host: topo?.publicAddress ?? "127.0.0.1", port: await freePort(), mqtt: broker.url, password, logFile: join(work, "cloud.log") });
		await broker.start();
		await cloud.start();
		const device = cloud.addDevice(DEVICE);
		// The camera's network: HTTP to the cloud and MQTT to the broker, each through a proxy; a cut cuts both.
		const cloudUrl = new URL(cloud.url);
		const proxies = [await cuttableProxy(shim, Number(cloudUrl.port), cloudUrl.hostname), await cuttableProxy(shim, Number(new URL(broker.url).port))];
		const proxy = { cut: (ms) => proxies.forEach((p) => p.cut(ms)) };
		mkdirSync(join(work, "camera"));
		camera = new SoakCamera({ device, cloudUrl: `http://127.0.0.1:${proxies[0].port}`, mqttUrl: `mqtt://127.0.0.1:${proxies[1].port}`, dir: join(work, "camera"), logFile: join(work, "camera.log"), maxGopBytes: MAX_GOP_BYTES, firmware: o.firmware });
		const session = new Session(cloud.url, password);
		const schedule = scheduleFor(o.minutes, ROUND.filter((kind) => (kind !== "disk-full" || volume.mounted) && (kind !== "viewer-move" || topo)));
		const warmupS = 20;
		r.started = Date.now();
		const endAt = r.started + (warmupS + o.minutes * 60) * 1000;
		const remainingS = () => Math.max(5, (endAt - Date.now()) / 1000);
		camera.start(remainingS());
		// viewer 4 is the one that moves (viewer 1 the one that stalls)
		viewers = [0, 1, 2, 3].map((i) => new P2PViewer({ name: `viewer ${i + 1}`, cloudUrl: cloud.url, device: DEVICE, session, logFile: join(work, `viewer-${i + 1}.log`), netns: i === 3 ? topo?.ns.viewh : undefined }));
		// 2 WebRTC viewers and a hostile one (aiortc through WHEP), each its own account, that come and go a few
		// seconds apart; audio where the camera has it (the firmware's G.711: the default camera has none, see soak/camera.mjs)
		rtc = await Promise.all([["webrtc-1", false], ["webrtc-2", false], ["hostile", true]].map(async ([name, hostile]) => new WebRtcViewer({
			name, hostile, cloudUrl: cloud.url, device: DEVICE, session: await viewerAccount(session, cloud.url, name, DEVICE), watchS: WEBRTC_WATCH_S, awayS: WEBRTC_AWAY_S,
			audio: o.firmware, remainingS, logFile: join(work, `${name}.log`),
		})));
		flv = new FlvReader({ cloudUrl: cloud.url, device: DEVICE, session });
		hls = new HlsViewer({ cloudUrl: cloud.url, device: DEVICE, session });
		for (const v of viewers) v.start();
		rtc.forEach((v, i) => setTimeout(() => v.start(), i * 4000));
		flv.start();
		await hls.start();

		// Once a second: progress of every subject; every 5 s: resources.
		const samples = [];
		const segments = () => cloud.rows()?.segments;
		let uploads = 0;
		sampler = setInterval(async () => {
			uploads = segments() ?? uploads;
			await hls.poll();
			const progress = { uploads, flv: flv.bytes, hls: hls.frames };
			viewers.forEach((v, i) => { progress[`viewer ${i + 1}`] = v.frames; });
			samples.push({ t: Date.now(), progress });
		}, 1000);
		resourceTimer = setInterval(async () => {
			const t = Date.now();
			const c = await cloud.sample();
			const rows = c.rows ? Object.entries(c.rows).filter(([name]) => !RECORDED_TABLES.has(name) && !WINDOWED_TABLES.has(name)).reduce((sum, [, n]) => sum + n, 0) : undefined;
			r.resources.cloud.push({ t, pid: cloud.pid, rss: c.rss, fds: c.fds, cpuS: c.cpuS, connections: c.connections, stateRows: rows, rows: c.rows });
			const memory = camera.memory.at(-1);
			r.resources.camera.push({ t, pid: camera.pid, ...camera.sample(), heap: memory?.heap, native: memory?.native, webrtc: memory?.webrtc, ...(o.firmware ? { firmwareHeap: camera.firmwareHeap.at(-1)?.bytes } : {}) });
		}, 5000);

		const world = { cloud, broker, topo, camera, proxy, viewers, flv, volume, remainingS };
		await sleep(warmupS * 1000);
		const faultsStart = Date.now();
		for (const { kind, at } of schedule) {
			await sleep(faultsStart + at * 1000 - Date.now());
			// Faults that overran their holds on a loaded machine start the next ones late: one that
			// would leave the run less than its hold and TAIL_S after it (its recovery could not be
			// watched, and a cloud killed at the end keeps the camera's last gap reports) is skipped.
			const leftS = (endAt - Date.now()) / 1000;
			if (leftS < FAULTS[kind].holdS + TAIL_S) {
				skipped.push(`${kind}: the earlier faults ran late on this machine, leaving ${Math.round(leftS)} s of the run (it needs ${FAULTS[kind].holdS + TAIL_S} s: its hold and ${TAIL_S} s to recover)`);
				continue;
			}
			const fault = { kind, start: Date.now() };
			note(`${Math.round((fault.start - r.started) / 1000)} s: ${kind}`);
			try {
				await FAULTS[kind].apply(world);
			}
			catch (error) {
				skipped.push(`${kind}: ${error.message}`);
			}
			fault.end = Date.now();
			r.faults.push(fault);
		}
		await sleep(endAt - Date.now());
		r.ended = Date.now();
		clearInterval(sampler);
		clearInterval(resourceTimer);
		r.recoveries = recoveries(r.faults, samples);
		note("stopping the viewers; the camera drains and stops");
		await Promise.all([...viewers.map((v) => v.stop()), ...rtc.map((v) => v.stop()), flv.stop(), hls.stop()]);
		r.announced = viewers.flatMap((v) => v.announced);
		r.viewers = { p2p: viewers.map((v) => ({ frames: v.frames, restarts: v.restarts, moves: v.moves, announced: v.announced.length })), flv: { bytes: flv.bytes, connects: flv.connects }, hls: { frames: hls.frames, players: hls.players, errors: hls.errors.slice(-5) } };
		r.webrtc = rtc.map((v) => ({ name: v.name, hostile: v.hostile, cycles: v.cycles }));
		await camera.finish(30_000);
		await cloud.stop();
		await broker.stop();
		r.camera = { runs: camera.runs, ...(o.firmware ? { tornLines: camera.tornLines } : {}) };
		r.logs = [...cloud.logs, ...camera.logs];
		r.seen = camera.seen;
		r.cloudWarnings = cloud.warnings;
		note("reading what the cloud stored (ffprobe on every stream)");
		r.stored = await readStored(volume.dir, DEVICE);
		verdict = verdictOf(r);
		// the samples behind the slopes, beside the logs a failed verdict keeps
		if (!verdict.ok) {
			writeFileSync(join(work, "resources.json"), JSON.stringify(r.resources));
			// what the frames checks were judged on: every stored segment and the cloud's gaps
			writeFileSync(join(work, "stored.json"), JSON.stringify({ segments: r.stored.segments, gaps: r.stored.gaps, runs: r.stored.runs }));
		}
		return verdict;
	}
	finally {
		clearInterval(sampler);
		clearInterval(resourceTimer);
		await Promise.all([...viewers.map((v) => v.stop()), ...rtc.map((v) => v.stop()), flv?.stop(), hls?.stop()]).catch(() => {});
		await camera?.finish(1000);
		await cloud?.kill9();
		await broker?.kill9();
		for (const fn of teardowns) fn();
		volume.release();
		// A failed verdict keeps its logs: they are what explains it.
		if (!o.keep && verdict?.ok) rmSync(work, { recursive: true, force: true });
		else process.stderr.write(`soak: logs kept in ${work}\n`);
	}
}

helpIfAsked(process.argv.slice(2), import.meta.url);
const options = (() => {
	try {
		return parse(process.argv.slice(2));
	}
	catch (error) {
		console.error(error.message);
		return process.exit(2);
	}
})();
soak(options).then((verdict) => {
	process.stdout.write(`${JSON.stringify(verdict)}\n`);
	process.exit(verdict.ok ? 0 : 1);
}, (error) => {
	process.stdout.write(`${JSON.stringify({ ok: false, failures: [`soak: ${error.stack ?? error.message}`] })}\n`);
	process.exit(1);
});
