/*
 * The camera app, the one composition root on every host: capture → GOP ring → cloud storage
 * (+ snapshots), controlled by the cloud. It reaches the machine only through ivxs/platform
 * (platform.d.ts: files, crypto, TLS, storage, clocks) and the modules every host has (timer,
 * embedded:io sockets, the native ring/annexb/capture), so the Linux host (`npm start`), mcsim
 * and the ESP32-S3 build run this same file (manifest.json).
 *
 *   ivxs modules/app/camera -- [--device device.json | --provision device.json] [--seconds N] [--event-every S] [--summary] [--memory-probe S] [--p2p PORT | --no-p2p]
 *
 * The device file comes from --device or, without it, from the device's provisioned one
 * (provisioning.ts; `--provision FILE` checks a device file, stores it and exits). On Moddable builds the arguments are the manifest's config.args.
 * Each enabled channel of the device file (device-file.ts) gets a ring and a capture thread
 * (the sample clip looped in real time, or a V4L2 camera; boards have no camera source yet:
 * their `capture` says so and the channel is skipped); cloud storage reads each ring with its
 * own cursor (modules/cs) and uploads what the cloud's plan asks for; the plan, presence, events
 * and gaps travel on the MQTT control channel. `--seconds` stops after that long (tests, CI),
 * `--event-every S` reports a motion event every S seconds (a stand-in for motion detection;
 * `--event-at 10,13` at those seconds after the start), `--summary` prints one JSON line of
 * figures at the end, `--memory-probe S` (benchmarks) forces a garbage collection every S seconds
 * and prints the XS heap then in use (`@@memory {json}`: what is live, without the garbage that
 * waits for the next collection). Viewers over P2P (p2p-signal.ts: live from the first channel's
 * ring) start when the cloud announces the first one, on any UDP port; `--p2p PORT` starts them
 * at once on that port (a NAT's port forward, tests), `--no-p2p` turns P2P off. Without
 * `--seconds` it runs until killed.
 */
import type { Capture } from "capture";
import type { Ring } from "ring";
import { Digest, TLSSocket, argv, collectGarbage, exit, hmacSha256, memory, monotonic, now } from "ivxs/platform";
import Timer from "timer";
import * as annexb from "annexb";
import { useNativeAnnexB } from "../media/index.js";
import type { SocketConstructor } from "../net/connection.js";
import { HttpClient } from "../net/http-client.js";
import { DeviceSigner } from "../net/signing.js";
import { CloudControl, CloudStorage, type Plan } from "../cs/index.js";
import { liveLeaseOf } from "../protocol/live.js";
import type { P2pMedia } from "../protocol/signal.js";
import { SnapshotScheduler, uploadSnapshot } from "../snapshot/index.js";
import { openChannel } from "./channel.js";
import { P2PSignal } from "./p2p-signal.js";
import { MAX_SESSIONS, P2P, P2PEvent } from "../p2p/index.js";
import { DeviceFileError, parseDeviceFile, type DeviceConfig, type Endpoint } from "./device-file.js";
import { provision, readDeviceFile, readText } from "./provisioning.js";

interface Options { device: string; provision: string; seconds: number; eventEvery: number; eventAt: number[]; summary: boolean; memoryProbe: number; p2pPort: number }

function parseArguments(args: string[]): Options {
	const options: Options = { device: "", provision: "", seconds: 0, eventEvery: 0, eventAt: [], summary: false, memoryProbe: 0, p2pPort: 0 };
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
		else throw new RangeError(`camera: unknown option ${name} (usage: camera [--device FILE | --provision FILE] [--seconds N] [--event-every S] [--event-at S,S,…] [--summary] [--memory-probe S] [--p2p PORT | --no-p2p])`);
	}
	if (!Number.isInteger(options.p2pPort) || options.p2pPort < -1 || options.p2pPort > 65535) throw new RangeError("camera: --p2p takes a UDP port 0 … 65535");
	if (!(options.seconds >= 0) || !(options.eventEvery >= 0) || !(options.memoryProbe >= 0) || options.eventAt.some((s) => !(s >= 0))) throw new RangeError("camera: --seconds, --event-every, --memory-probe and --event-at (seconds, comma-separated) must be numbers ≥ 0");
	return options;
}

/** Socket options for an endpoint: TLS with the CA, or (http/mqtt only) plain TCP. */
function transport(endpoint: Endpoint, ca: string | undefined): { address: string; port: number; socket?: SocketConstructor; socketOptions?: Record<string, unknown> } {
	const { address, port } = endpoint;
	if (!endpoint.secure) return { address, port };
	return { address, port, socket: TLSSocket as SocketConstructor, socketOptions: { host: endpoint.host, secure: { ca } } };
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

/**
 * Viewers over P2P (SPEC §2): live straight from the ring (no onSendGet), a viewer per ticket the
 * cloud minted for this device; started by the cloud's first offer (p2p-signal.ts) or `--p2p PORT`.
 * Playback, talkback and the built-in commands come with issue 14 §2. A string: why P2P cannot run.
 */
function startP2P(config: DeviceConfig, port: number, ring: Ring | undefined, log: (message: string) => void): P2P | string {
	if (config.id.length > 16) return `a ticket names devices of at most 16 bytes; "${config.id}" is longer`;
	if (!ring) return "no channel is capturing";
	const p2p = new P2P({
		deviceId: config.id, deviceSecret: Uint8Array.from(config.secret, (c) => c.charCodeAt(0)), port, ring,
		ringClock: now, monotonic, unixTime: () => now() / 1000, maxSessions: MAX_SESSIONS.board, log,
	});
	p2p.init({
		onSendInit: (params, peer) => {
			log(`p2p: ${peer} watches (${params})`);
			return { peer, params };
		},
		onSendStop: (handle) => log(`p2p: ${(handle as { peer: string }).peer} stopped watching`),
		onEvent: (event) => {
			if (event === P2PEvent.peerConnectFail) log("p2p: no STUN server answered (PEER_CONNECT_FAIL): only host and relayed candidates");
			else if (event !== P2PEvent.peerReady) log(`p2p: event ${event}`);
		},
	});
	log(`p2p: viewers on UDP port ${p2p.port}`);
	return p2p;
}

export default function main(): void {
	let options: Options, config: DeviceConfig;
	try {
		options = parseArguments(argv());
		const loaded = loadConfig(options.provision || options.device);
		config = loaded.config;
		if (options.provision) {
			provision(loaded.text);   // the text checked above: a bad file is never stored
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
	useNativeAnnexB(annexb);
	const log = (message: string) => trace(`camera ${config.id}: ${message}\n`);
	const signer = new DeviceSigner(config.id, config.secret, { Digest, hmacSha256 });
	const http = new HttpClient({ ...transport(config.cloud, config.ca), host: config.cloud.host, connectTimeout: 5000, idleTimeout: 15_000 });
	let control: CloudControl | undefined;
	let p2p: P2PSignal | undefined;
	const cs = new CloudStorage({
		http, signer, log,
		publish: { event: (channel, time, bits) => control?.event(channel, time, bits), gap: (gap) => control?.gap(gap) },
	});
	control = new CloudControl({
		...transport(config.mqtt, config.ca), signer, log,
		onPlan: (plan: Plan) => {
			log(`plan rev ${plan.rev}: ${plan.mode}${plan.push ? ", uploading" : ""}, snapshots every ${plan.snapshotIntervalS} s`);
			cs.applyPlan(plan);
			if (byChannel.size) snapshotsFor(plan);
		},
		onCommand: (command) => {
			if (p2p?.command(command)) return;
			const lease = liveLeaseOf(command);
			if (lease) cs.live(lease);
		},
	});

	const captures: Capture[] = [];
	const rings: Ring[] = [];
	let live: P2pMedia = { codec: "h264", audio: false };
	const byChannel = new Map<number, Capture>();
	// Snapshots on a connection of their own: a still never waits behind a segment being streamed.
	const snapshotHttp = new HttpClient({ ...transport(config.cloud, config.ca), host: config.cloud.host, connectTimeout: 5000, idleTimeout: 15_000 });
	let snapshots: SnapshotScheduler | undefined;
	const snapshotsFor = (plan: Plan) => {
		const intervalMs = plan.snapshotIntervalS * 1000;
		if (snapshots) return snapshots.setInterval(intervalMs);
		snapshots = new SnapshotScheduler({
			intervalMs, channels: [...byChannel.keys()], now, timer: Timer, maxInFlight: 4,
			async upload(channel) {
				const capture = byChannel.get(channel)!;
				if (!capture.stats().running) throw new Error(`channel ${channel} is not capturing`);
				const still = capture.still();
				await uploadSnapshot(snapshotHttp, signer, channel, now(), still.data);
			},
		});
		snapshots.start();
	};
	for (const channel of config.channels) {
		if (!channel.enabled) continue;
		let opened;
		try {
			opened = openChannel(channel, config.maxGopBytes);
		}
		catch (error) {
			// A board without its camera source yet (hosts/esp32s3/no-capture.ts) lands here:
			// the rest of the app (control channel, plan) still runs.
			log(`channel ${channel.channel}: no capture (${(error as Error).message})`);
			continue;
		}
		const { ring, capture } = opened;
		if (!rings.length) live = { codec: channel.codec, audio: !!channel.audio };   // what P2P live view serves
		rings.push(ring);
		cs.attach(ring, { channel: channel.channel, video: channel.video ? channel.codec : undefined, audio: !!channel.audio });
		capture.start();
		captures.push(capture);
		if (channel.stills) byChannel.set(channel.channel, capture);
	}
	log(`${captures.length} channel(s) capturing; cloud ${config.cloud.secure ? "https" : "http"}://${config.cloud.host}:${config.cloud.port}`);
	if (options.p2pPort >= 0) {
		const port = options.p2pPort;
		p2p = new P2PSignal({ start: () => startP2P(config, port, rings[0], log), media: live, log, answer: (text) => control!.p2pAnswer(text) });
		if (options.p2pPort) p2p.start();
	}
	control.start().then(() => log("control channel connected"), (error: Error) => log(`control channel: ${error.message}`));

	const started = monotonic();
	let nextEvent = options.eventEvery ? options.eventEvery * 1000 : Infinity;
	let nextProbe = options.memoryProbe ? options.memoryProbe * 1000 : Infinity;
	const tick = Timer.repeat(() => {
		const elapsed = monotonic() - started;
		if (elapsed >= nextEvent || (options.eventAt.length && elapsed >= options.eventAt[0] * 1000)) {
			if (elapsed >= nextEvent) nextEvent += options.eventEvery * 1000;
			else options.eventAt.shift();
			const time = now();
			cs.notifyEvent(1, time);   // bit 1: motion
			log(`event at ${time}`);
		}
		if (elapsed >= nextProbe) {
			nextProbe += options.memoryProbe * 1000;
			collectGarbage();
			const m = memory();
			trace(`@@memory ${JSON.stringify({ at: elapsed, chunks: m.chunks, slots: m.slots, heap: m.chunks + m.slots })}\n`);
		}
		if (!options.seconds || elapsed < options.seconds * 1000) return;
		Timer.clear(tick);
		p2p?.exit();
		for (const capture of captures) capture.stop();
		snapshots?.stop();
		const stats = cs.stats();
		const stills = snapshots?.totals();
		const m = memory();
		cs.stop().then(async () => {
			for (const capture of captures) capture.close();
			if (options.summary) trace(`@@camera ${JSON.stringify({ channels: stats, snapshots: stills, heapPeak: m.chunksPeak + m.slotsPeak, native: m.native })}\n`);
			await control!.close();
			http.close();
			snapshotHttp.close();
			exit(0);
		}, (error: Error) => {
			log(`stop: ${error.message}`);
			exit(1);
		});
	}, 200);
}
