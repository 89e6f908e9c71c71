/**
 * Cloud storage: the seed's `iv_cs_*` API (SPEC §1) on the camera.
 *
 *   const cs = new CloudStorage({ http, signer, control });
 *   cs.init({ maxGopBytes: 512 * 1024, onStart, onStop });   // the app feeds frames: push()
 *   cs.push("video", "h264", { data, timestamp, key });       // Annex-B access unit, ms
 *   cs.notifyEvent(1);                                         // bit 1: motion
 *   cs.exit();
 *
 * or, ring-fed: `cs.attach(ring, { video: "h264", audio: true })` — capture already writes the
 * GOP ring and cloud storage reads it with a cursor of its own (recorder.ts); no frame passes
 * through JS on the way in.
 *
 * Plans come from the cloud (`applyPlan`, from the control channel). `onStart` fires when the
 * plan needs frames — continuous with `push`, or event mode, whose pre-roll comes from frames
 * fed all along — and `onStop` when it no longer does (or at exit). A live-on-demand lease (`live`,
 * PROTOCOL §5 `cmd` "live") uploads a channel from its live edge whatever the plan until it runs out.
 *
 * Wrong use is a CsError with a `code` (the seed's IV_ERR_* return codes), thrown before anything
 * is stored: a refused frame never reaches the ring, so it cannot damage what is there.
 */
import { Codec, FrameType, Ring, codes as ringCodes } from "ring";
import { accessUnits } from "annexb";
import { AU_INFO, parseAdtsFrame, MediaError, type VideoCodec } from "../media/index.js";
import type { HttpClient } from "../net/http-client.js";
import type { DeviceSigner } from "../net/signing.js";
import { NO_PLAN, planCovers, type Plan } from "./plan.js";
import { isChannel, MAX_CHANNELS } from "../protocol/ids.js";
import { LiveLeases, type LiveLease } from "../protocol/live.js";
import Timer from "timer";
import { Recorder, type Gap, type RecorderStats } from "./recorder.js";
import { StreamClient } from "./stream-client.js";

export type CsErrorCode = "state" | "argument" | "codec" | "frame" | "timestamp";

export class CsError extends Error {
	readonly code: CsErrorCode;
	override name = "CsError";
	constructor(code: CsErrorCode, message: string) {
		super(`cloud storage: ${message}`);
		this.code = code;
	}
}

export interface CsInitOptions {
	/** The largest expected GOP, bytes (an estimate): the ring that holds the pre-roll is sized from it. */
	maxGopBytes: number;
	onStart?: () => void;
	onStop?: () => void;
	/** Video codec of the pushed frames (default h264); false: audio only. */
	video?: VideoCodec | false;
	/** AAC audio is pushed too (default true). */
	audio?: boolean;
	channel?: number;
}

export interface CsFrame {
	/** One Annex-B access unit, or one ADTS frame. */
	data: ArrayBuffer | Uint8Array;
	/** Milliseconds (the seed's u64TimeStamp); per type never going backwards. */
	timestamp: number;
}

export interface CloudStorageOptions {
	http: HttpClient;
	signer: DeviceSigner;
	/** Where events and gaps go (the MQTT control channel). */
	publish?: { event(channel: number, time: number, bits: number): void; gap(gap: Gap): void };
	/** Unix ms now (default: the signer's clock, which the cloud's time corrects). */
	clock?: () => number;
	log?: (message: string) => void;
	retry?: { minDelay?: number; maxDelay?: number };
	onSegment?: ConstructorParameters<typeof Recorder>[0]["onSegment"];
}

interface Channel {
	number: number;
	client: StreamClient;
	ring: Ring;
	ownRing: boolean;
	recorder: Recorder;
	video: VideoCodec | undefined;
	audio: boolean;
}

// The pre-roll ring of push mode: at least 4 GOPs of the given size (so 5 s of pre-roll fit with
// 1-s GOPs of up to maxGopBytes / 4 each), and not below 256 KiB.
const RING_GOPS = 4;

export class CloudStorage {
	readonly #o: CloudStorageOptions;
	readonly #channels = new Map<number, Channel>();
	#plan: Plan = NO_PLAN;
	#pushChannel: Channel | undefined;
	#callbacks: { onStart?: () => void; onStop?: () => void } = {};
	#feeding = false;
	#live = new LiveLeases();
	#liveTimer: ReturnType<typeof Timer.set> | undefined;
	#stopping = false;
	#state: "new" | "ready" | "exited" = "new";

	constructor(options: CloudStorageOptions) {
		if (!options?.http || !options.signer) throw new TypeError("CloudStorage needs { http, signer }");
		this.#o = options;
	}

	/** The seed's iv_cs_init: registers onStart/onStop and reserves the pre-roll ring for push(). */
	init(options: CsInitOptions): void {
		this.#checkState("init");
		if (!options || typeof options !== "object") throw new CsError("argument", "init needs { maxGopBytes, onStart, onStop }");
		const { maxGopBytes, onStart, onStop, video = "h264", audio = true, channel = 0 } = options;
		if (!Number.isInteger(maxGopBytes) || maxGopBytes < 1024 || maxGopBytes > 64 * 1024 * 1024) throw new CsError("argument", "maxGopBytes must be an integer from 1 KiB to 64 MiB");
		if ((onStart !== undefined && typeof onStart !== "function") || (onStop !== undefined && typeof onStop !== "function")) throw new CsError("argument", "onStart and onStop must be functions");
		if (video !== false && video !== "h264" && video !== "h265") throw new CsError("codec", `video must be "h264", "h265" or false`);
		if (!video && !audio) throw new CsError("argument", "neither video nor audio");
		this.#checkChannel(channel);   // before the ring is reserved: a refused init leaves nothing behind
		const ring = new Ring({ arenaBytes: Math.max(256 * 1024, maxGopBytes * RING_GOPS) });
		this.#pushChannel = this.#add(ring, true, { channel, video: video || undefined, audio });
		this.#callbacks = { onStart, onStop };
		this.#state = "ready";
		this.#apply();
	}

	/**
	 * Ring-fed mode: cloud storage reads this ring (written by capture) for `channel`. With
	 * `onStart`/`onStop` the ring is fed as init's own is (a C firmware's pushes, libivxs): they
	 * fire as for init, and one channel at most is fed so.
	 */
	attach(ring: Ring, options: { channel?: number; video?: VideoCodec; audio?: boolean; onStart?: () => void; onStop?: () => void } = {}): void {
		if (this.#state === "exited") throw new CsError("state", "attach after exit");
		const { channel = 0, video, audio = true, onStart, onStop } = options;
		if (video !== undefined && video !== "h264" && video !== "h265") throw new CsError("codec", `video must be "h264" or "h265"`);
		const fed = onStart !== undefined || onStop !== undefined;
		if (fed && this.#pushChannel) throw new CsError("state", "one channel at most is fed by pushes");
		const added = this.#add(ring, false, { channel, video, audio });
		if (fed) {
			this.#pushChannel = added;
			this.#callbacks = { onStart, onStop };
		}
		if (this.#state === "new") this.#state = "ready";
		this.#apply();
	}

	#add(ring: Ring, ownRing: boolean, { channel, video, audio }: { channel: number; video: VideoCodec | undefined; audio: boolean }): Channel {
		this.#checkChannel(channel);
		const o = this.#o;
		const client = new StreamClient(o.http, o.signer, channel);
		const recorder = new Recorder({
			ring, channel, video, audio, client, clock: () => this.#now(), log: o.log,
			retry: o.retry, onSegment: o.onSegment, onGap: (gap) => o.publish?.gap(gap),
		});
		const entry = { number: channel, client, ring, ownRing, recorder, video, audio };
		this.#channels.set(channel, entry);
		return entry;
	}

	/**
	 * The seed's iv_cs_push_stream: one frame fed by the app. `type` "audio" | "video"; `codec`
	 * the video codec ("h264" | "h265"; ignored for audio, as in the seed's sample).
	 */
	push(type: "audio" | "video", codec: VideoCodec, frame: CsFrame): void {
		const channel = this.#pushChannel;
		if (!channel || this.#state !== "ready") throw new CsError("state", this.#state === "exited" ? "push after exit" : "push before init");
		if (type !== "audio" && type !== "video") throw new CsError("argument", `type must be "audio" or "video"`);
		if (!frame || typeof frame !== "object") throw new CsError("argument", "frame must be { data, timestamp }");
		const { timestamp } = frame;
		const data = frame.data instanceof ArrayBuffer ? new Uint8Array(frame.data) : frame.data;
		if (!(data instanceof Uint8Array) || data.length === 0) throw new CsError("frame", "frame data must be a non-empty ArrayBuffer or Uint8Array");
		if (typeof timestamp !== "number" || !(timestamp >= 0 && timestamp <= Number.MAX_SAFE_INTEGER)) throw new CsError("timestamp", "timestamp must be a number of ms ≥ 0");
		let key = true, info = 0, codecId: number = Codec.aac;
		if (type === "video") {
			if (!channel.video) throw new CsError("codec", "this cloud storage was initialised without video");
			if (codec !== channel.video) throw new CsError("codec", `video codec is ${channel.video}, frame says ${String(codec)}`);
			// One access unit, from a start code to the end (C scans it: XS is slow at byte loops).
			const units = accessUnits(data, codec);
			if (typeof units === "number" || units.length !== 3 || units[1] !== data.length || (units[2] & AU_INFO.VCL) === 0) {
				throw new CsError("frame", "video frame must be one Annex-B access unit with a slice, starting with a start code");
			}
			info = units[2];
			key = (info & AU_INFO.KEY) !== 0;
			codecId = codec === "h264" ? Codec.h264 : Codec.h265;
		}
		else {
			if (!channel.audio) throw new CsError("codec", "this cloud storage was initialised without audio");
			try {
				parseAdtsFrame(data);
			}
			catch (error) {
				if (error instanceof MediaError) throw new CsError("frame", `audio frame: ${error.message}`);
				throw error;
			}
		}
		try {
			channel.ring.push(type === "video" ? FrameType.video : FrameType.audio, codecId, key, timestamp, data, info);
		}
		catch (error) {
			const { code, message } = error as Error & { code?: string };
			if (code === ringCodes.ETIME) throw new CsError("timestamp", `${type} timestamp ${timestamp} went backwards`);
			if (code === ringCodes.ENEEDKEY) throw new CsError("frame", "video must start with a key frame (after the first, or after a GOP larger than the ring)");
			throw new CsError("frame", message.replace(/^ring: /, ""));
		}
	}

	/** The seed's iv_cs_event_happen_notify: `bits` per SPEC §1 (bit 1 motion, 2 human, …). */
	notifyEvent(bits: number, time = this.#now()): void {
		if (this.#state === "exited") throw new CsError("state", "notifyEvent after exit");
		if (!Number.isInteger(bits) || bits === 0 || bits < -0x80000000 || bits > 0xffffffff) throw new CsError("argument", "event bits must be a non-zero 32-bit mask");
		this.#channels.forEach((channel, number) => {
			channel.recorder.event(time);
			this.#o.publish?.event(number, time, bits >>> 0);
		});
	}

	/** A plan from the cloud (control channel). */
	applyPlan(plan: Plan): void {
		this.#plan = plan;
		if (this.#state === "ready") this.#apply();
	}

	/** A viewer's live lease from the cloud: the channel uploads until it runs out, whatever the plan. */
	live(lease: LiveLease): void {
		if (this.#state === "exited" || this.#stopping || !this.#live.take(lease, this.#now())) return;
		if (this.#state === "ready") this.#apply();
	}

	#now(): number {
		return this.#o.clock ? this.#o.clock() : this.#o.signer.now();
	}

	get plan(): Plan {
		return this.#plan;
	}

	#apply(): void {
		const plan = this.#plan;
		const settings = { segmentMs: plan.segmentS * 1000, preRollMs: plan.preRollS * 1000, postRollMs: plan.postRollS * 1000, maxClipMs: plan.maxClipS * 1000 };
		const now = this.#stopping ? Infinity : this.#now();   // stopping: no lease is active
		this.#channels.forEach((channel, number) => {
			const covered = planCovers(plan, number);
			const live = this.#live.active(number, now);
			const planned = covered && (plan.push || plan.mode === "event");
			// Live-only: whatever the plan alone would not upload, also the segment a lease's end leaves
			// to finish (event mode's clips are inside a lease's upload: all kept).
			channel.client.liveOnly = !planned;
			channel.recorder.configure((covered && plan.push) || live ? "continuous" : planned ? "event" : "none", { ...settings, watched: live });
		});
		const push = this.#pushChannel;
		this.#setFeeding(!!push && ((planCovers(plan, push.number) && (plan.push || plan.mode === "event")) || this.#live.active(push.number, now)));
		// Looked at again when the next lease runs out.
		if (this.#liveTimer !== undefined) Timer.clear(this.#liveTimer);
		const next = this.#live.nextEnd(now);
		this.#liveTimer = next === undefined ? undefined : Timer.set(() => {
			this.#liveTimer = undefined;
			if (this.#state === "ready") this.#apply();
		}, next + 1);
	}

	#setFeeding(feeding: boolean): void {
		if (feeding === this.#feeding) return;
		this.#feeding = feeding;
		const callback = feeding ? this.#callbacks.onStart : this.#callbacks.onStop;
		try {
			callback?.();
		}
		catch (error) {
			this.#o.log?.(`cs: ${feeding ? "onStart" : "onStop"} threw: ${(error as Error).message}`);
		}
	}

	/** Each channel's upload figures. */
	stats(): Record<number, RecorderStats> {
		const out: Record<number, RecorderStats> = {};
		this.#channels.forEach((channel, number) => { out[number] = channel.recorder.stats; });
		return out;
	}

	/** The seed's iv_cs_exit: stops uploading (onStop first, when frames were being fed) and frees the ring. */
	exit(): void {
		if (this.#state !== "ready") throw new CsError("state", this.#state === "exited" ? "exit called twice" : "exit before init");
		this.#setFeeding(false);
		this.#endLive();
		this.#state = "exited";
		this.#channels.forEach((channel) => {
			channel.recorder.close();
			if (channel.ownRing) channel.ring.close();
		});
		this.#channels.clear();
		this.#pushChannel = undefined;
	}

	/**
	 * Stops gracefully, then exits: each channel's segment in progress is finished with the
	 * frames there are and stored, and its stream ended (the seed's exit abandons it).
	 */
	async stop(): Promise<void> {
		if (this.#state !== "ready") throw new CsError("state", this.#state === "exited" ? "stop after exit" : "stop before init");
		this.#setFeeding(false);
		this.#endLive();
		const stopping: Promise<void>[] = [];
		this.#channels.forEach((channel) => { stopping.push(channel.recorder.stop()); });
		await Promise.all(stopping);
		this.exit();
	}

	/** Stopping: leases are dropped and none is taken any more. */
	#endLive(): void {
		this.#stopping = true;
		if (this.#liveTimer !== undefined) Timer.clear(this.#liveTimer);
		this.#liveTimer = undefined;
	}

	#checkChannel(channel: number): void {
		if (!isChannel(channel)) throw new CsError("argument", `channel must be an integer in 0..${MAX_CHANNELS - 1}`);
		if (this.#channels.has(channel)) throw new CsError("state", `channel ${channel} is already recorded`);
	}

	#checkState(what: string): void {
		if (this.#state === "exited") throw new CsError("state", `${what} after exit`);
		if (this.#pushChannel) throw new CsError("state", `${what} called twice`);
	}
}
