/*
 * The camera app, the one composition root on every host: capture → GOP ring → cloud storage
 * (+ snapshots), controlled by the cloud. It reaches the machine only through ivxs/platform
 * (platform.d.ts: files, crypto, TLS, storage, clocks) and the modules every host has (timer,
 * embedded:io sockets, the native ring/annexb/capture), so the Linux host (`npm start`), mcsim
 * and the ESP32-S3 build run this same file (manifest.json).
 *
 *   ivxs modules/app/camera -- [--device device.json | --provision device.json] [--seconds N] [--event-every S] [--summary] [--memory-probe S] [--p2p PORT | --no-p2p] [--p2p-loopback] [--p2p-link-local] [--viewers N] [--uplink-kbps N] [--store DIR [--store-mb N] [--store-segment-s S]] [--talkback DIR]
 *
 * The device file comes from --device or, without it, from the device's provisioned one
 * (provisioning.ts; `--provision FILE` checks a device file, stores it and exits). On Moddable builds the arguments are the manifest's config.args.
 * Each enabled channel of the device file (device-file.ts) gets a ring and a capture thread
 * (the sample clip looped in real time, or a camera: V4L2 on Linux, a board's camera module or
 * test pattern through its encoder; a capture that cannot be made or started is logged and the
 * channel skipped), or — a "firmware" channel, when a C
 * firmware started the app through libivxs (native/capi) — the feed its iv_cs_push_stream fills,
 * whose start/stop callbacks follow the plan, whose events and iv_cs_exit the app polls each tick; cloud storage reads each ring with its
 * own cursor (modules/cs) and uploads what the cloud's plan asks for; the plan, presence, events
 * and gaps travel on the MQTT control channel. `--seconds` stops after that long (tests, CI; the stop drains to the cloud for at most 8 s),
 * `--event-every S` reports a motion event every S seconds (a stand-in for motion detection;
 * `--event-at 10,13` at those seconds after the start), `--summary` prints one JSON line of
 * figures at the end, `--memory-probe S` (benchmarks) forces a garbage collection every S seconds
 * and prints the XS heap then in use (`@@memory {json}`: what is live, without the garbage that
 * waits for the next collection; its peak; each native module's bytes and peak). Viewers over P2P (p2p-signal.ts, p2p-viewers.ts: live from the
 * first channel's ring, playback, talkback, commands) start when the cloud announces the first
 * one, on any UDP port; `--p2p PORT` starts them at once on that port (a NAT's port forward,
 * tests), `--no-p2p` turns P2P off; a viewer's candidates naming loopback or link-local addresses are
 * checked only with `--p2p-loopback` / `--p2p-link-local` (tests on one host; off in the field); `--viewers N` (default 4, at most 32) and `--uplink-kbps N`
 * (a camera-wide budget the viewers share with cloud storage). `--store DIR`
 * records the first channel continuously into a local store there (modules/store: the SD card on
 * a board), at most `--store-mb` MiB (default 1024), oldest deleted first, in segments of
 * `--store-segment-s` (default 10): P2P playback serves it. `--talkback DIR` writes viewers' talkback audio there. Without `--seconds` it runs until killed.
 */
import type { Capture } from "capture";
import type { Ring } from "ring";
import { Digest, FileWriter, TLSSocket, argv, collectGarbage, exit, firmware, hmacSha1, hmacSha256, listDirectory, makeDirectory, memory, monotonic, now, readFile, removeFile, renameFile, useDnsServers } from "ivxs/platform";
import Timer from "timer";
import * as annexb from "annexb";
import { useNativeAnnexB } from "../media/index.js";
import type { SocketConstructor } from "../net/connection.js";
import { HttpClient } from "../net/http-client.js";
import { DeviceSigner } from "../net/signing.js";
import { CloudControl, CloudStorage, type Plan } from "../cs/index.js";
import { liveLeaseOf } from "../protocol/live.js";
import { WIRES, type P2pMedia } from "../protocol/signal.js";
import { snapshotRequestOf } from "../protocol/still.js";
import { SnapshotScheduler, StillsOnDemand, uploadSnapshot } from "../snapshot/index.js";
import { LocalRecorder, LocalStore } from "../store/index.js";
import { MAX_SESSIONS, type Link, type P2P } from "../p2p/index.js";
import { openChannel } from "./channel.js";
import type { FirmwareFeed } from "./firmware.js";
import { P2PSignal } from "./p2p-signal.js";
import type { WebRtcEndpoint } from "../webrtc/endpoint.js";
import type { DtlsIdentity } from "./webrtc-identity.js";
import { DeviceFileError, g711Of, hasAudio, hasVideo, parseDeviceFile, type DeviceConfig, type Endpoint } from "./device-file.js";
import { startViewers, viewerCommands, viewerVoice } from "./p2p-viewers.js";
import { ProductionMeter, p2pBudget } from "./uplink-share.js";
import { Viewers, nativeWire, webrtcWire } from "./viewers.js";
import { provision, readDeviceFile, readText } from "./provisioning.js";
import { startUpdates } from "./updates.js";

/** How long the orderly stop may wait for the cloud (uploads drained, the control channel closed). */
const STOP_LIMIT_MS = 8000;

interface Options { device: string; provision: string; seconds: number; eventEvery: number; eventAt: number[]; summary: boolean; memoryProbe: number; p2pPort: number; p2pAllow: { loopback: boolean; linkLocal: boolean }; store: string; storeMb: number; storeSegmentS: number; talkback: string; viewers: number; uplinkKbps: number }

const USAGE = "camera [--device FILE | --provision FILE] [--seconds N] [--event-every S] [--event-at S,S,…] [--summary] [--memory-probe S] [--p2p PORT [--viewers N] [--uplink-kbps N]] [--p2p-loopback] [--p2p-link-local] [--store DIR [--store-mb N] [--store-segment-s S]] [--talkback DIR]";

function parseArguments(args: string[]): Options {
	const options: Options = { device: "", provision: "", seconds: 0, eventEvery: 0, eventAt: [], summary: false, memoryProbe: 0, p2pPort: 0, p2pAllow: { loopback: false, linkLocal: false }, store: "", storeMb: 1024, storeSegmentS: 10, talkback: "", viewers: MAX_SESSIONS.board, uplinkKbps: 0 };
	for (let i = 0; i < args.length; i++) {
		const name = args[i];
		const value = () => {
			if (i + 1 >= args.length) throw new RangeError(`camera: ${name} needs a value`);
			return args[++i];
		};
		if (name === "--device") options.device = value();
		else if (name === "--provision") options.provision = value();
		else if (name === "--seconds") options.seconds = Number(value());
		else if (name === "--event-every") options.eventEvery = Number(value());
		else if (name === "--event-at") options.eventAt = value().split(",").map(Number).sort((a, b) => a - b);
		else if (name === "--summary") options.summary = true;
		else if (name === "--memory-probe") options.memoryProbe = Number(value());
		else if (name === "--p2p") options.p2pPort = Number(value());
		else if (name === "--no-p2p") options.p2pPort = -1;
		// A viewer's candidates may name these only when allowed (p2p-signal.ts): a test rig on one host, a LAN without DHCP.
		else if (name === "--p2p-loopback") options.p2pAllow.loopback = true;
		else if (name === "--p2p-link-local") options.p2pAllow.linkLocal = true;
		else if (name === "--store") options.store = value();
		else if (name === "--store-mb") options.storeMb = Number(value());
		else if (name === "--store-segment-s") options.storeSegmentS = Number(value());
		else if (name === "--talkback") options.talkback = value();
		else if (name === "--viewers") options.viewers = Number(value());
		else if (name === "--uplink-kbps") options.uplinkKbps = Number(value());
		else throw new RangeError(`camera: unknown option ${name} (usage: ${USAGE})`);
	}
	if (!Number.isInteger(options.p2pPort) || options.p2pPort < -1 || options.p2pPort > 65535) throw new RangeError("camera: --p2p takes a UDP port 0 … 65535");
	if (!Number.isInteger(options.viewers) || options.viewers < 1 || options.viewers > MAX_SESSIONS.linux) throw new RangeError(`camera: --viewers takes 1 … ${MAX_SESSIONS.linux}`);
	if (!(options.uplinkKbps >= 0)) throw new RangeError("camera: --uplink-kbps takes kbit/s ≥ 0 (0: no budget)");
	if (!(options.storeMb > 0) || !(options.storeSegmentS >= 1)) throw new RangeError("camera: --store-mb takes a size in MiB > 0, --store-segment-s seconds ≥ 1");
	if (!(options.seconds >= 0) || !(options.eventEvery >= 0) || !(options.memoryProbe >= 0) || options.eventAt.some((s) => !(s >= 0))) throw new RangeError("camera: --seconds, --event-every, --memory-probe and --event-at (seconds, comma-separated) must be numbers ≥ 0");
	return options;
}

/** Socket options for an endpoint: TLS with the CA, or (http/mqtt only) plain TCP. */
function transport(endpoint: Endpoint, ca: string | undefined): { address: string; port: number; socket?: SocketConstructor; socketOptions?: Record<string, unknown> } {
	const { host, port } = endpoint;
	if (!endpoint.secure) return { address: host, port };
	return { address: host, port, socket: TLSSocket as SocketConstructor, socketOptions: { host, secure: { ca } } };
}

/** The device file's text and what it says (checked: a bad file throws a DeviceFileError). */
function loadConfig(path: string): { text: string; config: DeviceConfig } {
	let text: string;
	try {
		text = readDeviceFile(path);
	}
	catch (error) {
		throw new DeviceFileError(`cannot read ${path || "the provisioned one"} (${(error as Error).message})`);
	}
	return { text, config: parseDeviceFile(text, readText) };
}

export default function main(): void {
	let options: Options, config: DeviceConfig;
	if (argv().some((arg) => arg === "--help" || arg === "-h")) {
		trace(`usage: ${USAGE}\n`);
		exit(0);
		return;
	}
	try {
		options = parseArguments(argv());
		const loaded = loadConfig(options.provision || options.device);
		config = loaded.config;
		if (options.provision) {
			// the text checked above (a bad file is never stored), with its CA's text in place of the
			// file's path: what is stored is whole on its own
			provision(config.ca ? JSON.stringify({ ...JSON.parse(loaded.text), ca: config.ca }) : loaded.text);
			trace(`camera ${config.id}: device file ${options.provision} provisioned: runs without --device now use it\n`);
			exit(0);
			return;
		}
	}
	catch (error) {
		trace(`${(error as Error).message}\n`);
		exit(2);
		return;
	}
	// A C firmware (libivxs) that started this app pushes into a "firmware" channel: without one, say so and end.
	const fw = firmware();
	if (fw && !config.channels.some((channel) => channel.enabled && channel.firmware)) {
		trace(`device file: no enabled channel has "firmware" (the C firmware's iv_cs_push_stream feeds it)\n`);
		exit(2);
		return;
	}
	useNativeAnnexB(annexb);
	const log = (message: string) => trace(`camera ${config.id}: ${message}\n`);
	// A board asks the device file's DNS servers in place of DHCP's; elsewhere the system's resolver decides.
	if (config.dns && !useDnsServers(config.dns)) log(`device file: "dns" is for boards; this host resolves names as its system does`);
	const signer = new DeviceSigner(config.id, config.secret, { Digest, hmacSha256 }, { monotonic });
	const http = new HttpClient({ ...transport(config.cloud, config.ca), host: config.cloud.host, connectTimeout: 5000, idleTimeout: 15_000 });
	// Every time the camera gives the cloud (streams, events, stills, tickets) is the signer's:
	// the host's clock corrected by the cloud's, learnt when the broker or an upload says it is off.
	const cloudNow = () => signer.now();
	let control: CloudControl | undefined;
	// whether cloud storage uploads now (the plan, or a live lease): its share of the uplink
	let planUploads = false, leaseUntil = 0;
	let onOta: ((offer: unknown) => void) | undefined;
	let p2p: P2PSignal | undefined;
	const cs = new CloudStorage({
		http, signer, log,
		publish: { event: (channel, time, bits) => control?.event(channel, time, bits), gap: (gap) => control?.gap(gap) },
	});
	control = new CloudControl({
		...transport(config.mqtt, config.ca), signer, log,
		syncClock: () => signer.syncClock(http),
		onPlan: (plan: Plan) => {
			log(`plan rev ${plan.rev}: ${plan.mode}${plan.push ? ", uploading" : ""}, snapshots every ${plan.snapshotIntervalS} s`);
			cs.applyPlan(plan);
			planUploads = plan.push;
			if (byChannel.size) snapshotsFor(plan);
		},
		onCommand: (command) => {
			if (p2p?.command(command)) return;
			const lease = liveLeaseOf(command);
			if (lease) {
				cs.live(lease);
				leaseUntil = Math.max(leaseUntil, monotonic() + lease.forS * 1000);
			}
			const still = snapshotRequestOf(command);
			if (still !== undefined && byChannel.has(still)) stills.take(still, cloudNow());
		},
		onOta: config.ota ? (offer) => onOta?.(offer) : undefined,
		// The viewer wires it serves: the console tries WebRTC only with a camera that says so.
		// A copy: XS's JSON.stringify refuses a preloaded object (it is in a board's flash).
		onConnect: () => { if (p2p) control!.status({ p2p: { wires: [...WIRES] } }); },
	});

	const captures: (Capture | FirmwareFeed)[] = [];
	const rings: Ring[] = [];
	const byRing = new Map<number, Ring>();
	let live: P2pMedia = { codec: "h264", audio: false };
	/** The live channel's G.711 track (its law), for WebRTC viewers. */
	let liveG711: "pcmu" | "pcma" | undefined;
	const byChannel = new Map<number, Capture | FirmwareFeed>();
	// Snapshots on a connection of their own: a still never waits behind a segment being streamed.
	const snapshotHttp = new HttpClient({ ...transport(config.cloud, config.ca), host: config.cloud.host, connectTimeout: 5000, idleTimeout: 15_000 });
	let snapshots: SnapshotScheduler | undefined;
	const upload = async (channel: number, time: number) => {
		const capture = byChannel.get(channel)!;
		if (!capture.stats().running) throw new Error(`channel ${channel} is not capturing`);
		await uploadSnapshot(snapshotHttp, signer, channel, time, capture.still().data);
	};
	// A viewer's "snapshot now" and each event's still (PROTOCOL §5): rate-limited per channel.
	const stills = new StillsOnDemand((channel, time) => upload(channel, time).catch((error: Error) => {
		log(`still of channel ${channel}: ${error.message}`);
		throw error;
	}), monotonic);
	const snapshotsFor = (plan: Plan) => {
		const intervalMs = plan.snapshotIntervalS * 1000;
		if (snapshots) return snapshots.setInterval(intervalMs);
		snapshots = new SnapshotScheduler({
			intervalMs, channels: [...byChannel.keys()], now, timer: Timer, maxInFlight: 4,
			upload: (channel) => upload(channel, cloudNow()),
		});
		snapshots.start();
	};
	for (const channel of config.channels) {
		if (!channel.enabled) continue;
		let opened;
		try {
			// reader slots: cloud storage (+ a clip's scan), the local store, each wire's wake-up (native, WebRTC), each viewer
			opened = openChannel(channel, config.maxGopBytes, options.p2pPort >= 0 ? options.viewers + 5 : undefined);
		}
		catch (error) {
			// A channel whose capture cannot be made (a file or camera this host has not) lands
			// here: the rest of the app (control channel, plan) still runs.
			log(`channel ${channel.channel}: no capture (${(error as Error).message})`);
			continue;
		}
		const { ring, capture } = opened;
		const audio = hasAudio(channel);
		if (!rings.length) [live, liveG711] = [{ codec: channel.codec, audio }, g711Of(channel)];   // what P2P live view serves
		rings.push(ring);
		byRing.set(channel.channel, ring);
		// a firmware channel: the plan's start/stop reach the firmware's iv_cs_push_stream_start_cb/_stop_cb
		const fed = channel.firmware && fw ? { onStart: () => fw.record(true), onStop: () => fw.record(false) } : {};
		cs.attach(ring, { channel: channel.channel, video: hasVideo(channel) ? channel.codec : undefined, audio, ...fed });
		try {
			capture.start();
		}
		catch (error) {
			// e.g. a board's camera module that does not answer: the channel stays empty, the app runs
			log(`channel ${channel.channel}: capture did not start (${(error as Error).message})`);
			continue;
		}
		captures.push(capture);
		if (channel.stills || channel.device) byChannel.set(channel.channel, capture);   // a camera's stills: its current frame
	}
	log(`${captures.length} channel(s) capturing; cloud ${config.cloud.secure ? "https" : "http"}://${config.cloud.host}:${config.cloud.port}`);
	const first = config.channels.find((c) => c.enabled && hasVideo(c) && byRing.has(c.channel));
	let store: LocalStore | undefined, recorder: LocalRecorder | undefined;
	if (options.store && first) {
		store = new LocalStore({ dir: options.store, maxBytes: options.storeMb * 1024 * 1024, files: { makeDirectory, listDirectory, removeFile, renameFile, readFile }, log });
		const found = store.open();
		log(`store: ${options.store}: ${found.segments} segment(s), ${store.bytes} bytes`);
		recorder = new LocalRecorder({
			store, ring: byRing.get(first.channel)!, channel: first.channel, video: first.codec, audio: hasAudio(first), clock: cloudNow,
			createWriter: (path) => new FileWriter(path), segmentMs: options.storeSegmentS * 1000, log,
		});
		recorder.start();
	}
	const stillChannel = [...byChannel.keys()][0];
	// P2P: started by the cloud's first announced viewer (p2p-signal.ts), or at once on --p2p PORT.
	let endpoint: P2P | undefined;
	// the viewers on every wire: one limit (--viewers), one session report; and one uplink budget
	// (--uplink-kbps less cloud storage's: uplink-share.ts), the P2P transport's, whose parts they take
	// in C (native/p2p/uplink.h)
	const viewers = new Viewers(options.viewers);
	// a viewer's voice, on either wire: the talkback folder (or a C firmware's callbacks)
	const voice = viewerVoice({ talkbackDir: options.talkback || undefined, firmware: fw, log });
	// and its commands, on either wire (a WebRTC viewer's DataChannel)
	const commands = viewerCommands({
		store, firmware: fw, log,
		snapshot: stillChannel === undefined ? undefined : () => {
			const time = cloudNow();
			return { time, taken: stills.take(stillChannel, time) };
		},
	});
	// The DTLS identity (webrtc-identity.ts) is made as P2P starts, before any viewer's media flows: a
	// board's P-256 key generation and flash write then delay the first viewer's handshake, not the
	// frames of a native viewer already watching when the first WebRTC viewer comes. A failure is
	// not kept: the next WebRTC viewer tries again.
	let identityMade: Promise<DtlsIdentity | string> | undefined;
	const dtls = (): Promise<DtlsIdentity | string> => identityMade ??= import("./webrtc-identity.js")
		.then(({ dtlsIdentity }) => dtlsIdentity(log))
		.catch((error: unknown) => {   // the module's load or the identity's making
			identityMade = undefined;
			return `no DTLS identity (${(error as Error)?.message ?? error})`;
		});
	const startP2P = (port: number): P2P | string => {
		if (!rings[0]) return "no channel is capturing";
		const started = startViewers(config, {
			port, ring: rings[0], store, voice, commands, maxSessions: options.viewers, firmware: fw, log,
			places: () => viewers.places(),
			unixTime: () => cloudNow() / 1000,
		});
		if (typeof started !== "string") {
			endpoint = started;
			viewers.add("native", nativeWire(started));
			void dtls();
		}
		return started;
	};
	// WebRTC viewers (browsers, phones): the same viewer limit as the native ones (viewers.ts).
	// Its modules load with the first WebRTC viewer: a host that keeps modules in its heap (Linux)
	// does not pay ~50 KB for them before (a board keeps them in flash either way: preloaded).
	const startWebRtc = async (link: Link): Promise<WebRtcEndpoint | string> => {
		if (!rings[0]) return "no channel is capturing";
		const [{ WebRtcEndpoint }, identity] = await Promise.all([import("../webrtc/endpoint.js"), dtls()]);
		if (typeof identity === "string") return identity;
		// on the P2P transport's link: its candidates, NAT openings and relay serve both wires
		const rtc = new WebRtcEndpoint({
			identity, ring: rings[0], uplink: endpoint?.uplink, codec: live.codec, audio: liveG711, hmacSha1, now: monotonic, log, voice, command: commands.run,
			send: (bytes, address, port) => link.write(bytes, address, port), straight: (address, port) => link.straight(address, port),
			places: () => viewers.places(),
			// one account's offers hold at most all places but one: another account can always get in
			accountShare: Math.max(1, options.viewers - 1),
		});
		link.attach((bytes, kind, length, address, port) => rtc.take(bytes, kind, length, address, port), rtc.peers);
		viewers.add("webrtc", webrtcWire(rtc, link));
		return rtc;
	};
	if (options.p2pPort >= 0) {
		const port = options.p2pPort;
		p2p = new P2PSignal({ start: () => startP2P(port), startWebRtc, media: live, viewers, log, answer: (text) => control!.p2pAnswer(text), allow: options.p2pAllow });
		if (port) p2p.start();
	}
	const share = options.uplinkKbps && p2p ? { uplinkBytes: Math.round(options.uplinkKbps * 125) } : undefined;
	const meter = new ProductionMeter();
	let nextShare = 0, budgetSet = 0, sharingSet = 0;
	const reshare = (at: number) => {
		if (!share || !endpoint || at < nextShare) return;
		nextShare = at + 1000;
		const produced = meter.sample(rings.reduce((sum, ring) => sum + ring.stats().bytesPushed, 0), at);
		if (produced === undefined) return;
		const uploading = planUploads || at < leaseUntil;
		const budget = p2pBudget(share, produced, uploading);
		endpoint.uplink.setRate(budget, Math.floor(monotonic()));
		const { viewers: sharing, level } = endpoint.uplink.figures();
		if (Math.abs(budget - budgetSet) > budgetSet / 10 || sharing !== sharingSet)
			log(`p2p: uplink ${share.uplinkBytes} B/s: viewers ${budget} B/s, cloud storage ${uploading ? `${Math.round(produced)} B/s produced` : "idle"}${sharing ? `; ${sharing} viewer(s) on every wire, a part of ${level} B/s each` : ""}`);
		budgetSet = budget;
		sharingSet = sharing;
	};
	// OTA (modules/ota): a trial boot is confirmed once these hold; offers come on the control channel.
	onOta = startUpdates({
		config, signer, http, log, report: (ota) => control!.status({ ota }), restart: (code) => stop(code),
		checks: {
			cloud: () => control!.connected,
			capture: () => captures.every((capture) => capture.stats().running),
			upload: () => !planUploads || Object.values(cs.stats()).some((stats) => stats.segmentsStored > 0),
		},
	});
	control.start().then(() => log("control channel connected"), (error: Error) => log(`control channel: ${error.message}`));

	const started = monotonic();
	let nextEvent = options.eventEvery ? options.eventEvery * 1000 : Infinity;
	let nextProbe = options.memoryProbe ? options.memoryProbe * 1000 : Infinity;
	const tick = Timer.repeat(() => {
		const elapsed = monotonic() - started;
		reshare(monotonic());
		// the firmware's iv_cs_event_happen_notify bits, or its iv_cs_exit
		const raised = fw ? fw.poll() : 0;
		if (raised === -1) return stop(0);
		if (raised) {
			const time = cloudNow();
			cs.notifyEvent(raised, time);
			for (const channel of byChannel.keys()) stills.take(channel, time);
			log(`event ${raised} at ${time} (firmware)`);
		}
		if (elapsed >= nextEvent || (options.eventAt.length && elapsed >= options.eventAt[0] * 1000)) {
			if (elapsed >= nextEvent) nextEvent += options.eventEvery * 1000;
			else options.eventAt.shift();
			const time = cloudNow();
			cs.notifyEvent(1, time);   // bit 1: motion
			// The event's picture: a still stamped with the event's own time (PROTOCOL §5).
			for (const channel of byChannel.keys()) stills.take(channel, time);
			log(`event at ${time}`);
		}
		if (elapsed >= nextProbe) {
			nextProbe += options.memoryProbe * 1000;
			collectGarbage();
			const m = memory();
			// What the channels captured so far, for allocations per frame (bench board_memory).
			let video = 0, audio = 0;
			for (const capture of captures) {
				const c: { running: boolean; videoFrames?: number; audioFrames?: number } = capture.stats();   // (a board's capture stub counts none)
				video += c.videoFrames ?? 0;
				audio += c.audioFrames ?? 0;
			}
			trace(`@@memory ${JSON.stringify({ at: elapsed, chunks: m.chunks, slots: m.slots, heap: m.chunks + m.slots, heapPeak: m.chunksPeak + m.slotsPeak, collections: m.collections, allocated: m.allocated, allocatedChunks: m.allocatedChunks, malloc: m.malloc, reserved: m.reserved, video, audio, native: m.native })}\n`);
		}
		if (!options.seconds || elapsed < options.seconds * 1000) return;
		stop(0);
	}, 200);
	// Stops everything in order and exits with `code` (0: --seconds ran out; OTA: restart into a slot).
	let stopping = false;
	function stop(code: number): void {
		if (stopping) return;
		stopping = true;
		Timer.clear(tick);
		p2p?.exit();
		const stored = recorder?.stop();
		for (const capture of captures) capture.stop();
		snapshots?.stop();
		const stats = cs.stats();
		const scheduled = snapshots?.totals();
		const m = memory();
		// The orderly stop drains to the cloud; a cloud it cannot reach (its connections died with
		// an old address: they would hang until TCP gives up) must not hold it: exit after a bound.
		Timer.set(() => {
			log(`stop: the cloud did not answer within ${STOP_LIMIT_MS / 1000} s (what the ring still held is not stored); exiting`);
			exit(code);
		}, STOP_LIMIT_MS);
		Promise.all([cs.stop(), stored]).then(async () => {
			for (const capture of captures) capture.close();
			if (options.summary) trace(`@@camera ${JSON.stringify({ channels: stats, snapshots: scheduled, stills: stills.counts(), heapPeak: m.chunksPeak + m.slotsPeak, store: recorder?.stats, native: m.native })}\n`);
			await control!.close();
			http.close();
			snapshotHttp.close();
			exit(code);
		}, (error: Error) => {
			log(`stop: ${error.message}`);
			exit(1);
		});
	}
}
