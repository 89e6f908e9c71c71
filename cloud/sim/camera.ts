// A simulated camera that speaks PROTOCOL.md like a real one: it plays the
// fixtures (looped) in real time or faster, muxes them with the project's
// media layer into 1-s segments cut at key frames, streams each segment while
// it is being cut (chunked, signed trailers), keeps the segment until the
// cloud stored it and resends it after a cut (backoff), and — when asked —
// holds an MQTT control connection (§5): presence with a last will, events,
// the retained plan's `push` switching uploads on and off, and live on demand
// (a viewer's lease has it upload whatever the plan). Like the camera, it
// uploads a snapshot per interval (the plan's `snapshotIntervalS`, spread by
// the camera's own scheduler, modules/snapshot): the fixture stills in turn,
// the pictures the XS camera's sample channel takes too — and, like it, a
// still when a viewer asks (§5 `cmd` "snapshot") and one with each event.
//
//   node build/node/cloud/sim/camera.js --cloud URL --device ID --secret S [--seconds N]
//        [--audio-only|--video-only] [--channel N] [--speed X] [--stream ID] [--mqtt [URL]]
//        [--event-every S] [--no-snapshots]
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import mqtt, { type MqttClient } from "mqtt";
import { fixtureFrames, fixturesDir, Packager, type Fragment } from "./packager.js";
import { signingKey } from "./sign.js";
import { Uploader, type Answer, type SegmentStream, type UploaderOptions } from "./uploader.js";
import { hmacSha256 } from "../src/auth/device-keys.js";
import { mqttPassword } from "../../modules/protocol/signing.js";
import { defaultPlan, parsePlan, PlanError, type Plan } from "../../modules/protocol/plan.js";
import { SnapshotScheduler } from "../../modules/snapshot/schedule.js";
import { StillsOnDemand } from "../../modules/snapshot/on-demand.js";
import { presence, topicOf, willOf } from "../../modules/protocol/topics.js";
import { liveLeaseOf, LiveLeases } from "../../modules/protocol/live.js";
import { snapshotRequestOf } from "../../modules/protocol/still.js";
import { Verdict, verdictOfAnswer } from "../../modules/protocol/verdict.js";
import { CLOCK_JUMP_MS, isSignInRefused } from "../../modules/protocol/cloud-time.js";

const refusedSignIn = (error: unknown) => isSignInRefused((error as { code?: unknown })?.code);

export interface CameraOptions extends UploaderOptions {
	/** Media seconds to play (default 10). */
	seconds?: number;
	/** 1 = real time (default), 4 = four times faster, 0 = as fast as possible. */
	speed?: number;
	video?: boolean;
	audio?: boolean;
	/** Stream id (default: the unix ms of the start). */
	stream?: string;
	/** MQTT control: true = the cloud's own port, or a broker URL. Uploads then follow the plan's `push`. */
	mqtt?: boolean | string;
	/** Publish a motion event every this many seconds (MQTT). */
	eventEveryS?: number;
	/** POST …/end when done (default true). */
	endStream?: boolean;
	/**
	 * Upload snapshots, one per plan interval (without MQTT the default plan's 300 s). The CLI does
	 * (`--no-snapshots` not); as a library the default is off, so tests count only what they ask for.
	 */
	snapshots?: boolean;
	/** Upload a still with each event (default true; §5). */
	eventStills?: boolean;
}

export interface CameraStats {
	stream: string;
	/** Segments cut, stored (201), answered as duplicates (200), refused for good, not pushed (plan). */
	segments: number;
	stored: number;
	duplicates: number;
	refused: number;
	skipped: number;
	/** Segments that needed a resend. */
	resent: number;
	/** Frames in segments the cloud holds (stored or duplicate). */
	videoFrames: number;
	audioFrames: number;
	bytes: number;
	events: number;
	/** Snapshots the cloud took (201/200): scheduled, asked for, and with events. */
	snapshots: number;
}

interface Segment {
	seq: number;
	/** Uploaded only for a viewer's lease (§3.2 `live=1`). */
	liveOnly: boolean;
	fragments: Buffer[];
	videoFrames: number;
	audioFrames: number;
	upload?: SegmentStream;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Camera {
	readonly options: CameraOptions;
	readonly uploader: Uploader;
	readonly stats: CameraStats;
	#stream: string;
	#epoch = 0;
	#init: Buffer | undefined;
	#initStored: Promise<Answer> | undefined;
	#seq = 0;
	#current: Segment | undefined;
	#pending = new Set<Promise<void>>();
	#stopped = false;
	#push: boolean;
	/** Live on demand (§5 `cmd` "live"): streamed whatever the plan while a lease runs. */
	#live = new LiveLeases();
	#mqtt: MqttClient | undefined;
	#snapshots: SnapshotScheduler | undefined;
	#stills = 0;
	#pictures: Buffer[] | undefined;
	/** A viewer's "snapshot now" and each event's still (§5), as the camera limits them. */
	#onDemand = new StillsOnDemand((_channel, time) => this.#putStill(time), () => performance.now());
	/** Called after each segment is settled (tests watch progress). */
	onSegment: (seq: number, answer: Answer | undefined) => void = () => {};
	/** Each plan received over MQTT. */
	onPlan: (plan: Plan) => void = () => {};

	constructor(options: CameraOptions) {
		this.options = options;
		this.uploader = new Uploader(options);
		this.#stream = options.stream ?? String(Date.now());
		this.#push = !options.mqtt;
		this.stats = { stream: this.#stream, segments: 0, stored: 0, duplicates: 0, refused: 0, skipped: 0, resent: 0, videoFrames: 0, audioFrames: 0, bytes: 0, events: 0, snapshots: 0 };
	}

	get stream(): string {
		return this.#stream;
	}

	get pushing(): boolean {
		return this.#push;
	}

	/** Whether a viewer's lease has this camera streaming live now. */
	get live(): boolean {
		return this.#live.active(this.options.channel ?? 0, this.uploader.now());
	}

	/** Plays `seconds` of media, uploads it, waits for every segment to settle; returns the stats. */
	async run(): Promise<CameraStats> {
		const { seconds = 10, speed = 1 } = this.options;
		if (this.options.mqtt) await this.#connectControl();
		if (this.options.snapshots) this.#startSnapshots();
		const packager = new Packager({ video: this.options.video, audio: this.options.audio });
		const work: (() => Promise<void> | void)[] = [];
		packager.onInit = (bytes) => work.push(() => this.#newInit(bytes));
		packager.onFragment = (fragment) => work.push(() => this.#fragment(fragment));
		const started = performance.now();
		let nextEvent = this.options.eventEveryS ? this.options.eventEveryS * 1000 : Infinity;
		for (const frame of fixtureFrames({ video: this.options.video, audio: this.options.audio, untilMs: seconds * 1000 })) {
			if (this.#stopped) break;
			if (speed > 0) {
				const due = started + frame.ptsMs / speed - performance.now();
				if (due > 1) await sleep(due);
			}
			else await new Promise((resolve) => setImmediate(resolve));
			if (frame.ptsMs >= nextEvent) {
				this.publishEvent(1);
				nextEvent += this.options.eventEveryS! * 1000;
			}
			packager.write(frame);
			while (work.length) await work.shift()!();
		}
		packager.end();
		while (work.length) await work.shift()!();
		this.#closeSegment();
		this.#snapshots?.stop();
		while (this.#pending.size) await Promise.allSettled([...this.#pending]);
		if (this.options.endStream !== false && this.#initStored && !this.#stopped) await this.uploader.end(this.#stream).catch(() => {});
		return this.stats;
	}

	/** Stops playing (what was cut still settles in `run`). */
	stop(): void {
		this.#stopped = true;
	}

	async close(): Promise<void> {
		this.#stopped = true;
		this.#snapshots?.stop();
		const control = this.#mqtt;
		this.#mqtt = undefined;
		if (control) {
			if (control.connected) await control.publishAsync(topicOf(this.options.device, "presence"), presence(false, this.uploader.now()), { qos: 1, retain: true }).catch(() => {});
			await control.endAsync(true);
		}
		this.uploader.close();
	}

	async #newInit(bytes: Buffer): Promise<void> {
		if (this.#init) {
			// A new configuration: a new stream (PROTOCOL §3), numbered from 0 again.
			this.#closeSegment();
			this.#stream = `${this.#stream}-${Date.now()}`;
			this.stats.stream = this.#stream;
			this.#seq = 0;
		}
		this.#init = bytes;
		this.#epoch = this.uploader.now();
		const offset = this.uploader.clockOffsetMs;
		this.#initStored = this.#putInit();
		let answer = await this.#initStored;
		if (Math.abs(this.uploader.clockOffsetMs - offset) > CLOCK_JUMP_MS) {
			// The answer set the clock (an epoch in the future, a stale signature): as the camera's
			// recorder, a stream on the new clock.
			this.#stream = `${this.uploader.now()}`;
			this.stats.stream = this.#stream;
			this.#epoch = this.uploader.now();
			this.#initStored = this.#putInit();
			answer = await this.#initStored;
		}
		if (verdictOfAnswer(answer) !== Verdict.Stored) throw new Error(`init refused: ${answer.status} ${answer.json?.error ?? ""}`);
	}

	#putInit(): Promise<Answer> {
		return this.uploader.putInit(this.#stream, this.#init!, this.#epoch);
	}

	#fragment(fragment: Fragment): void {
		if (fragment.startsSegment || !this.#current) {
			this.#closeSegment();
			const segment: Segment = { seq: this.#seq++, liveOnly: !this.#push, fragments: [], videoFrames: 0, audioFrames: 0 };
			this.stats.segments++;
			// The upload starts with the segment's first fragment (the least latency).
			if (this.#push || this.live) segment.upload = this.uploader.streamSegment(this.#stream, segment.seq, segment.liveOnly);
			this.#current = segment;
		}
		const segment = this.#current;
		segment.fragments.push(fragment.bytes);
		segment.videoFrames += fragment.videoFrames;
		segment.audioFrames += fragment.audioFrames;
		segment.upload?.write(fragment.bytes);
	}

	#closeSegment(): void {
		const segment = this.#current;
		if (!segment) return;
		this.#current = undefined;
		if (!segment.upload) {
			this.stats.skipped++;
			this.onSegment(segment.seq, undefined);
			return;
		}
		const settle = this.#settle(segment).catch((error) => {
			this.stats.refused++;
			this.options.log?.(`segment ${segment.seq}: ${error.message}`);
			this.onSegment(segment.seq, undefined);
		});
		this.#pending.add(settle);
		void settle.finally(() => this.#pending.delete(settle));
	}

	async #settle(segment: Segment): Promise<void> {
		let answer = await segment.upload!.end();
		const verdict = verdictOfAnswer(answer);
		if (verdict === Verdict.Retry || verdict === Verdict.ReInit) {
			// Cut or refused for now: resend the whole segment from the buffer, signed afresh.
			this.stats.resent++;
			const body = Buffer.concat(segment.fragments);
			answer = await this.uploader.resendSegment(this.#stream, segment.seq, body, () => this.#putInit(), segment.liveOnly);
		}
		if (verdictOfAnswer(answer) === Verdict.Stored) {
			if (answer.status === 201) this.stats.stored++;   // 200: stored by an earlier attempt
			else this.stats.duplicates++;
			this.stats.videoFrames += segment.videoFrames;
			this.stats.audioFrames += segment.audioFrames;
			this.stats.bytes += segment.fragments.reduce((n, f) => n + f.length, 0);
		}
		else {
			this.stats.refused++;
			this.options.log?.(`segment ${segment.seq} refused: ${answer.status} ${answer.json?.error ?? ""}`);
		}
		this.onSegment(segment.seq, answer);
	}

	// --- snapshots (PROTOCOL §4) ---

	#startSnapshots(): void {
		this.#snapshots = new SnapshotScheduler({
			intervalMs: defaultPlan().snapshotIntervalS * 1000, channels: [this.options.channel ?? 0], maxInFlight: 1,
			now: () => performance.now(), timer: { set: (callback, ms) => setTimeout(callback, ms), clear: (id) => clearTimeout(id) },
			upload: () => this.#putStill(this.uploader.now()),
		});
		this.#snapshots.start();
	}

	/** Uploads the next fixture still as the snapshot at `time`. */
	async #putStill(time: number): Promise<void> {
		this.#pictures ??= readdirSync(join(fixturesDir, "stills")).filter((name) => name.endsWith(".jpg")).sort().map((name) => readFileSync(join(fixturesDir, "stills", name)));
		const answer = await this.uploader.putSnapshot(time, this.#pictures[this.#stills++ % this.#pictures.length]);
		if (verdictOfAnswer(answer) !== Verdict.Stored) throw new Error(`snapshot refused: ${answer.status} ${answer.json?.error ?? ""}`);
		this.stats.snapshots++;
	}

	// --- control channel (PROTOCOL §5) ---

	async #connectControl(): Promise<void> {
		const { device } = this.options;
		const url = typeof this.options.mqtt === "string" ? this.options.mqtt : this.options.cloud.replace(/^http/, "mqtt"); // https → mqtts
		// A password is good once (its nonce is remembered, §5): every connection, reconnects included, signs afresh.
		const password = () => mqttPassword(hmacSha256, signingKey(this.options.secret), device, Math.floor(this.uploader.now() / 1000), randomBytes(16).toString("hex"));
		const will = willOf(device);
		const options = {
			clientId: device, username: device, protocolVersion: 4, keepalive: 60, clean: true,
			reconnectPeriod: 2000,
			will: { ...will, payload: Buffer.from(will.payload) },
		} as const;
		let client: MqttClient;
		for (let attempt = 0; ; attempt++) {
			try {
				client = this.#mqtt = await mqtt.connectAsync(url, { ...options, password: password() });
				break;
			}
			catch (error) {
				// A refused sign-in (a clock more than 300 s off, among others): as the camera
				// (modules/cs/control.ts), learn the cloud's time by the signed exchange, then again.
				if (attempt > 0 || !refusedSignIn(error)) throw error;
				await this.uploader.syncClock().catch(() => { throw error; });   // (a wrong secret: the refusal is the answer)
			}
		}
		client.on("reconnect", () => (client.options.password = password()));
		client.on("error", (error) => {
			if (refusedSignIn(error)) this.uploader.syncClock().catch(() => {});
		});
		client.on("message", (topic, payload) => {
			if (topic === topicOf(device, "cmd")) return this.#command(payload);
			if (topic !== topicOf(device, "plan")) return;
			let plan: Plan;
			try {
				plan = parsePlan(payload.toString());
			}
			catch (error) {
				if (error instanceof PlanError) return; // a bad plan, or one of an unknown version, is ignored (§5)
				throw error;
			}
			this.#push = plan.push && (!plan.channels || plan.channels.includes(this.options.channel ?? 0));
			this.#snapshots?.setInterval(plan.snapshotIntervalS * 1000);
			this.onPlan(plan);
		});
		const online = () => void client.publishAsync(topicOf(device, "presence"), presence(true, this.uploader.now()), { qos: 1, retain: true }).catch(() => {});
		client.on("connect", online);
		await client.subscribeAsync([topicOf(device, "plan"), topicOf(device, "cmd")], { qos: 1 });
		online();
	}

	#command(payload: Buffer): void {
		let command: unknown;
		try {
			command = JSON.parse(payload.toString());
		}
		catch {
			return; // not JSON: ignored, like an unknown type
		}
		if (!command || typeof command !== "object" || Array.isArray(command)) return;
		const lease = liveLeaseOf(command as Record<string, unknown>);
		if (lease && lease.channel === (this.options.channel ?? 0)) this.#live.take(lease, this.uploader.now());
		const still = snapshotRequestOf(command as Record<string, unknown>);
		if (still === (this.options.channel ?? 0)) this.#onDemand.take(still, this.uploader.now());
	}

	/** Publishes an event (§5) with SPEC §1's bitmask; needs the MQTT connection. */
	publishEvent(bits: number): void {
		if (!this.#mqtt) return;
		this.stats.events++;
		const event = { id: `${this.#stream}-${this.stats.events}`, channel: this.options.channel ?? 0, time: this.uploader.now(), bits };
		void this.#mqtt.publishAsync(topicOf(this.options.device, "event"), JSON.stringify(event), { qos: 1 }).catch(() => {});
		// The event's picture: a still stamped with the event's own time (§5).
		if (this.options.eventStills !== false) this.#onDemand.take(event.channel, event.time);
	}
}

function cli(argv: string[]): CameraOptions {
	const options: Partial<CameraOptions> = {};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i], value = () => {
			const v = argv[++i];
			if (v === undefined) throw new Error(`${arg} needs a value`);
			return v;
		};
		if (arg === "--cloud") options.cloud = value();
		else if (arg === "--device") options.device = value();
		else if (arg === "--secret") options.secret = value();
		else if (arg === "--seconds") options.seconds = Number(value());
		else if (arg === "--speed") options.speed = Number(value());
		else if (arg === "--channel") options.channel = Number(value());
		else if (arg === "--stream") options.stream = value();
		else if (arg === "--audio-only") options.video = false;
		else if (arg === "--video-only") options.audio = false;
		else if (arg === "--event-every") options.eventEveryS = Number(value());
		else if (arg === "--no-snapshots") options.snapshots = false;
		else if (arg === "--mqtt") options.mqtt = argv[i + 1] && !argv[i + 1].startsWith("--") ? value() : true;
		else throw new Error(`unknown option ${arg}`);
	}
	if (!options.cloud || !options.device || !options.secret) throw new Error("usage: camera.js --cloud URL --device ID --secret S [--seconds N] [--audio-only|--video-only] [--channel N] [--speed X] [--stream ID] [--mqtt [URL]] [--event-every S] [--no-snapshots]");
	return { snapshots: true, ...options, log: (message) => console.error(`camera: ${message}`) } as CameraOptions;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	let camera: Camera;
	try {
		camera = new Camera(cli(process.argv.slice(2)));
	}
	catch (error) {
		console.error((error as Error).message);
		process.exit(2);
	}
	process.once("SIGINT", () => camera.stop());
	camera.run().then(async (stats) => {
		console.log(JSON.stringify(stats));
		await camera.close();
		process.exit(stats.refused ? 1 : 0);
	}, (error) => {
		console.error(`camera: ${error.message}`);
		process.exit(1);
	});
}
