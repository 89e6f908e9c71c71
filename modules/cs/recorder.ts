/**
 * One channel's cloud storage, fed from the GOP ring with a cursor of its own (SPEC §1,
 * cloud/PROTOCOL.md §3).
 *
 * Segments: from a key frame, `segmentMs` long (cut at the first key frame after that), each
 * muxed by a muxer of its own (`originMs` = the stream's time 0, `firstSequence` = the first
 * frame's ring sequence): the same frames always give the same bytes, so a segment is resent
 * by reading the ring again — the camera keeps no copy (memory = the ring + a small fixed part).
 * Fragments go to the socket as views of ring frames (`intact()` is checked before each chunk is
 * terminated, so a torn view aborts the request and the cloud stores nothing).
 *
 * The cursor is the next segment's first frame {time, ring seq}. It moves only when the cloud
 * answered 201/200 (or refused for good). After a failure the ring is read again from the cursor:
 * a cut shorter than what the ring holds loses nothing; after a longer one the reader lands on
 * the oldest key frame left, and the ring sequence numbers tell exactly how many frames were lost
 * — reported as a gap `{ from, to, frames, reason }`. The pre-roll of a clip and the backlog after
 * a cut go up as fast as the network takes them, then the upload follows the live edge.
 *
 * Modes: `continuous` uploads from the live edge on; `event` uploads clips (clip.ts). One stream
 * per continuous run or clip, and a new stream when the encoder's parameter sets change.
 */
import { RingReader, intact, FrameType } from "ring";
import type { Frame, Ring } from "ring";
import Timer from "timer";
import { AudioTrack, Fmp4Muxer, MediaError, VideoTrack, bytesEqual, type AudioConfig, type VideoCodec, type VideoConfig } from "../media/index.js";
import { initSegment } from "../media/mp4-boxes.js";
import { backoffDelay } from "../net/backoff.js";
import { AbortedError } from "../net/errors.js";
import type { SignedStream } from "../net/signing.js";
import { ClipPolicy } from "./clip.js";
import { StreamClient, Verdict, describe, verdictOf } from "./stream-client.js";

export interface Gap {
	channel: number;
	/** Unix ms: the first lost frame's time, and the first frame after the gap. */
	from: number;
	to: number;
	frames: number;
	reason: "overwritten" | "refused" | "rejected";
}

export interface RecorderStats {
	segmentsStored: number;
	segmentsResent: number;
	segmentsRefused: number;
	streams: number;
	framesUploaded: number;
	framesLost: number;
	framesRejected: number;
	bytesUploaded: number;
	/** Ring sequence numbers of the first and last frame the cloud holds (-1: none yet). */
	firstSeq: number;
	lastSeq: number;
	/** Unix ms of the end of the newest stored segment (0: none). */
	doneUntil: number;
	gaps: number;
}

export interface RecorderOptions {
	ring: Ring;
	channel: number;
	/** The ring's video codec; omit for an audio-only channel. */
	video?: VideoCodec;
	audio: boolean;
	client: StreamClient;
	/** Unix ms now (default Date.now). */
	clock?: () => number;
	onGap?: (gap: Gap) => void;
	/** A segment the cloud holds now (tests and the app's progress). */
	onSegment?: (info: { stream: string; seq: number; frames: number; bytes: number; startMs: number; endMs: number; duplicate: boolean }) => void;
	log?: (message: string) => void;
	/** Reconnect backoff, ms (defaults 500 doubling to 8000, jittered). */
	retry?: { minDelay?: number; maxDelay?: number };
}

interface Stream {
	id: string;
	/** Ring time of decode time 0, and its wall clock. */
	origin: number;
	epoch: number;
	/** The init segment and the track configurations it was made of. */
	init: Uint8Array | undefined;
	video: VideoConfig | undefined;
	audio: AudioConfig | undefined;
	initStored: boolean;
	/** Audio began after the stream's init: this stream goes on without it, and ends at the next segment. */
	audioless: boolean;
	seq: number;
}

// Thrown inside a segment attempt: start the attempt again from the cursor (after `delay`).
class Restart extends Error {
	constructor(readonly delay: boolean, message: string) {
		super(message);
	}
}

const enum Want { Nothing, Continuous, Clips }

export class Recorder {
	readonly stats: RecorderStats = {
		segmentsStored: 0, segmentsResent: 0, segmentsRefused: 0, streams: 0, framesUploaded: 0, framesLost: 0,
		framesRejected: 0, bytesUploaded: 0, firstSeq: -1, lastSeq: -1, doneUntil: 0, gaps: 0,
	};
	readonly #o: RecorderOptions;
	readonly #clock: () => number;
	#want = Want.Nothing;
	#segmentMs = 2000;
	#fromOldest = false;
	/** The last ring seq stop() still uploads. */
	#drainTo: number | undefined;
	#clipSettings = { preRollMs: 5000, postRollMs: 10000, maxClipMs: 300000 };
	readonly #clip = new ClipPolicy(this.#clipSettings);
	#reader: RingReader | undefined;
	/** A frame read from the reader and not consumed yet (the next segment's first frame). */
	#held: Frame | undefined;
	/** The cursor: the next segment's first frame, or undefined (start at the live edge). */
	#next: { time: number; seq: number } | undefined;
	#stream: Stream | undefined;
	#failures = 0;
	#closed = false;
	#running: Promise<void> | undefined;
	#wake: (() => void) | undefined;
	#timer: Timer | undefined;
	#upload: SignedStream | undefined;

	constructor(options: RecorderOptions) {
		this.#o = options;
		this.#clock = options.clock ?? Date.now;
	}

	/** What to upload now: nothing, everything, or clips around events; segment length and clip times. */
	configure(mode: "none" | "continuous" | "event", settings: { segmentMs: number; preRollMs: number; postRollMs: number; maxClipMs: number }): void {
		const want = mode === "continuous" ? Want.Continuous : mode === "event" ? Want.Clips : Want.Nothing;
		this.#segmentMs = settings.segmentMs;
		this.#clipSettings = { preRollMs: settings.preRollMs, postRollMs: settings.postRollMs, maxClipMs: settings.maxClipMs };
		this.#clip.settings = this.#clipSettings;
		if (want === this.#want) return;
		if (this.#want === Want.Clips) this.#clip.reset();
		// Continuous from now: from the live edge, or — when the ring is still empty — from its
		// first key frame (frames pushed before the loop first reads are uploaded too).
		if (want === Want.Continuous) this.#fromOldest = this.#o.ring.stats().framesHeld === 0;
		this.#want = want;
		this.#poke();
		this.#start();
	}

	/** An event at unix ms `time` (event mode: starts or extends a clip). */
	event(time: number): void {
		if (this.#want !== Want.Clips) return;
		if (this.#clip.event(this.#ringTime(time))) this.#poke();
	}

	/** Stops: the segment in flight is abandoned (the cloud stores nothing of it). */
	close(): void {
		this.#closed = true;
		this.#upload?.abort("cloud storage closed");
		this.#upload = undefined;
		this.#dropReader();
		this.#poke();
	}

	// --- time ---

	/**
	 * Ring timestamps are the producer's ms; wall clock = ring time + this offset, measured on the
	 * newest frame and then kept (re-measured only when the clocks jump by more than a second):
	 * event times and stream epochs must use the same mapping, or a pre-roll comes out a few
	 * milliseconds short of what was asked.
	 */
	#offset(): number {
		const stats = this.#o.ring.stats();
		if (!stats.framesHeld) return this.#offsetMs ?? 0;   // (a held frame may well be at time 0)
		const measured = this.#clock() - stats.newestTimestamp;
		if (this.#offsetMs === undefined || Math.abs(measured - this.#offsetMs) > 1000) this.#offsetMs = measured;
		return this.#offsetMs;
	}

	#offsetMs: number | undefined;

	#ringTime(wall: number): number {
		return wall - this.#offset();
	}

	// --- the loop ---

	#start(): void {
		if (this.#running || this.#closed) return;
		this.#running = this.#loop().then(() => { this.#running = undefined; }, (error: Error) => {
			this.#running = undefined;
			this.#log(`stopped: ${error.message}`);
		});
	}

	/**
	 * Stops gracefully: what the ring holds now (up to the newest frame, when uploading) is
	 * uploaded, the last segment with the frames there are, and the stream ended.
	 */
	async stop(): Promise<void> {
		if (this.#active()) this.#drainTo = this.#o.ring.stats().framesPushed - 1;   // ring seqs count pushes from 0
		this.configure("none", { segmentMs: this.#segmentMs, ...this.#clipSettings });
		await this.#running;
		this.close();
	}

	async #loop(): Promise<void> {
		while (!this.#closed) {
			if (!this.#active()) {
				await this.#finishStream();
				this.#dropReader();
				if (this.#want === Want.Nothing) {
					this.#next = undefined;
					return;
				}
				// Event mode, no clip: wait for an event.
				if (!(await this.#beginClip())) await this.#sleep(0);
				continue;
			}
			try {
				await this.#segment();
				this.#failures = 0;
			}
			catch (error) {
				if (this.#closed) return;
				this.#upload?.abort();
				this.#upload = undefined;
				this.#dropReader();
				this.stats.segmentsResent++;
				const delay = !(error instanceof Restart) || error.delay;
				this.#log(`segment ${this.#stream?.seq ?? 0}: ${(error as Error).message}${delay ? " — retrying" : ""}`);
				if (delay) {
					const { minDelay = 500, maxDelay = 8000 } = this.#o.retry ?? {};
					await this.#sleep(backoffDelay(this.#failures++, minDelay, maxDelay, Math.random()));
				}
			}
		}
		await this.#finishStream().catch(() => {});
	}

	#active(): boolean {
		return this.#want === Want.Continuous || (this.#want === Want.Clips && this.#clip.running) || this.#draining();
	}

	/** Stopping, with frames pushed before stop() still to upload. */
	#draining(): boolean {
		return this.#drainTo !== undefined && this.#next !== undefined && this.#next.seq <= this.#drainTo;
	}

	/** Event mode: starts the pending clip at the newest key frame at or before its pre-roll. */
	async #beginClip(): Promise<boolean> {
		const from = this.#clip.preRollFrom();
		if (!from) return false;
		const start = this.#clipStart(from.want, from.notBefore);
		if (!start) {
			await this.#sleep(0);   // nothing in the ring yet: wait for a frame
			return true;
		}
		this.#clip.begin(start.time);
		this.#next = start;
		return true;
	}

	/**
	 * The newest key frame at or before `want` (the oldest one when the ring starts later), but
	 * not before `notBefore` (the end of the previous clip: then the first key frame after it).
	 */
	#clipStart(want: number, notBefore: number): { time: number; seq: number } | undefined {
		const scan = new RingReader(this.#o.ring, { at: "time", time: 0 });
		let best: { time: number; seq: number } | undefined;
		try {
			for (let frame = scan.read(); frame; frame = scan.read()) {
				if (!frame.key) continue;
				if (best && frame.timestamp > want && best.time >= notBefore) break;
				best = { time: frame.timestamp, seq: frame.seq };
			}
		}
		finally {
			scan.close();
		}
		return best;
	}

	// --- one segment ---

	async #segment(): Promise<void> {
		const first = await this.#firstFrame();
		if (!first) return;
		const o = this.#o;
		if (this.#want === Want.Clips) {
			const verdict = this.#clip.check(first.timestamp, first.key);
			if (verdict === "end") return this.#endClip(first);
			if (verdict === "cut") {
				await this.#finishStream();
				this.#clip.cut(first.timestamp);
			}
		}
		const stream = this.#stream ??= this.#newStream(first);
		const outputs: { init: boolean; chunks: Uint8Array[] }[] = [];
		const muxer = new Fmp4Muxer({
			video: o.video, audio: o.audio, originMs: stream.origin, firstSequence: (first.seq % 0xfffffffe) + 1,
			sink: (chunks, info) => { outputs.push({ init: info.type === "init", chunks }); },
		});
		const video = o.video ? new VideoTrack({ codec: o.video, onJump: "discontinuity" }) : undefined;
		const audio = o.audio ? new AudioTrack({ onJump: "discontinuity" }) : undefined;
		let config: VideoConfig | undefined;
		const tracks = { video, audio };
		let frames = 0, bytes = 0, skipped = 0, last = first, endsStream = false;
		let frame: Frame | undefined = first;
		while (frame) {
			if (frame !== first) {
				if (frame.lost) this.#overtaken(first, frame);
				if (this.#want === Want.Clips) {
					const verdict = this.#clip.check(frame.timestamp, frame.key);
					if (verdict !== "in") {
						endsStream = true;
						break;
					}
				}
				if (frame.key && frame.timestamp - first.timestamp >= this.#segmentMs) break;
				if (!this.#active() || (this.#drainTo !== undefined && frame.seq > this.#drainTo)) {
					endsStream = true;
					break;
				}
			}
			try {
				if (frame.type === FrameType.video && video) {
					const unit = video.process(frame.data, frame.timestamp, frame.timestamp, frame.info);
					// New parameter sets: a new stream (PROTOCOL §3), from this key frame.
					if (config && unit.key && unit.config !== config) {
						endsStream = true;
						break;
					}
					config = unit.config;
					muxer.writeVideoUnit(unit);
					frames++;
				}
				else if (frame.type === FrameType.audio && audio) {
					if (stream.audioless) skipped++;
					else {
						muxer.writeAudioUnit(audio.process(frame.data, frame.timestamp));
						frames++;
					}
				}
			}
			catch (error) {
				if (!(error instanceof MediaError)) throw error;
				// A frame the muxer cannot take (a malformed push that got past the checks) is skipped.
				this.stats.framesRejected++;
				if (frame === first) {
					this.#held = undefined;
					this.#next = undefined;
					this.#gap(first.timestamp, first.timestamp, 1, "rejected");
					return;
				}
			}
			last = frame;
			bytes += await this.#send(outputs, tracks);
			frame = await this.#nextFrame();
		}
		if (this.#closed) return;
		if (!frame) endsStream = true;   // stopped while waiting for a frame
		muxer.flush();
		bytes += await this.#send(outputs, tracks);
		const upload = this.#upload;
		this.#upload = undefined;
		const current = this.#stream!;   // #send may have begun a new stream (an audio track appeared)
		const seq = current.seq;
		if (!upload) {
			// Nothing the muxer could write (every frame rejected): move on.
			this.#held = frame;
			this.#next = frame ? { time: frame.timestamp, seq: frame.seq } : undefined;
			return;
		}
		const response = await o.client.answer(upload);
		const verdict = verdictOf(response);
		if (verdict === Verdict.ReInit) {
			current.initStored = false;
			throw new Restart(false, `the cloud has no init for stream ${stream.id} (404): sending it again`);
		}
		if (verdict === Verdict.Retry) throw new Restart(true, `cloud answered ${describe(response)}`);
		// Stored, or refused for good: the cursor moves on.
		this.#held = frame;
		this.#next = frame ? { time: frame.timestamp, seq: frame.seq } : undefined;
		current.seq++;
		if (current.audioless) {
			endsStream = true;
			if (skipped) this.#lost(first.timestamp, frame ? frame.timestamp : last.timestamp, skipped, "rejected");
		}
		const endMs = frame ? frame.timestamp : last.timestamp;
		if (verdict === Verdict.Stored) {
			const s = this.stats;
			s.segmentsStored++;
			s.framesUploaded += frames;
			s.bytesUploaded += bytes;
			if (s.firstSeq < 0) s.firstSeq = first.seq;
			s.lastSeq = last.seq;
			s.doneUntil = current.epoch + endMs - current.origin;
			o.onSegment?.({ stream: current.id, seq, frames, bytes, startMs: current.epoch + first.timestamp - current.origin, endMs: s.doneUntil, duplicate: response.status === 200 });
		}
		else {
			this.stats.segmentsRefused++;
			this.#log(`segment ${seq} of ${current.id} refused: ${describe(response)}`);
			this.#gap(first.timestamp, endMs, frames, "refused");
		}
		if (endsStream) {
			await this.#finishStream();
			if (this.#want === Want.Clips && frame && this.#clip.check(frame.timestamp, frame.key) === "end") this.#endClip(frame);
		}
	}

	/** The segment's first frame: the held one, or the ring read again from the cursor. */
	async #firstFrame(): Promise<Frame | undefined> {
		let frame = this.#held;
		this.#held = undefined;
		if (frame && this.#reader && this.#reader.valid(frame)) return frame;
		if (!this.#reader) {
			const next = this.#next;
			const onReadable = () => this.#poke();
			const at = next ? next.time : this.#fromOldest ? 0 : undefined;
			this.#fromOldest = false;
			this.#reader = new RingReader(this.#o.ring, at === undefined ? { at: "live", onReadable } : { at: "time", time: at, onReadable });
		}
		frame = await this.#nextFrame();
		if (!frame) return undefined;
		// The ring no longer holds the cursor: what lay between is lost (ring sequence numbers
		// count every frame pushed, so the difference is exact).
		const next = this.#next;
		if (next && frame.seq > next.seq) this.#lost(next.time, frame.timestamp, frame.seq - next.seq);
		this.#next = { time: frame.timestamp, seq: frame.seq };
		return frame;
	}

	/** The next frame from the reader, waiting for capture; undefined when stopped meanwhile. */
	async #nextFrame(): Promise<Frame | undefined> {
		for (;;) {
			if (this.#closed || !this.#reader) return undefined;
			const frame = this.#reader.read();
			if (frame) return frame;
			if (!this.#active() || this.#drainTo !== undefined) return undefined;   // (draining: all read)
			// Clip end by time: with no frame coming, a clip still ends.
			await this.#sleep(1000);
		}
	}

	/** The reader was overtaken in the middle of a segment: start it again from the cursor. */
	#overtaken(first: Frame, frame: Frame): never {
		this.#held = frame;
		this.#lost(first.timestamp, frame.timestamp, frame.seq - first.seq);
		this.#next = { time: frame.timestamp, seq: frame.seq };
		throw new Restart(false, `the ring overwrote ${frame.seq - first.seq} frames before they were sent`);
	}

	#lost(from: number, to: number, frames: number, reason: Gap["reason"] = "overwritten"): void {
		this.stats.framesLost += frames;
		this.#gap(from, to, frames, reason);
	}

	#gap(from: number, to: number, frames: number, reason: Gap["reason"]): void {
		this.stats.gaps++;
		const offset = this.#stream ? this.#stream.epoch - this.#stream.origin : this.#offset();
		const gap: Gap = { channel: this.#o.channel, from: Math.round(from + offset), to: Math.round(to + offset), frames, reason };
		this.#log(`gap: ${frames} frames ${reason} (${gap.from}..${gap.to})`);
		this.#o.onGap?.(gap);
	}

	/**
	 * Sends what the muxer emitted: fragments into the segment's request, after the stream's init
	 * (PUT once per stream). The init is made from the stream's track configurations, this
	 * segment's where it has them: a segment without audio belongs to a stream with audio.
	 */
	async #send(outputs: { init: boolean; chunks: Uint8Array[] }[], tracks: { video?: VideoTrack; audio?: AudioTrack }): Promise<number> {
		let bytes = 0;
		while (outputs.length) {
			const { init, chunks } = outputs.shift()!;
			let stream = this.#stream!;
			if (init) {
				const video = tracks.video?.config ?? stream.video;
				const audio = stream.audioless ? undefined : tracks.audio?.config ?? stream.audio;
				const bytes = initSegment(video, audio);
				if (stream.init && !bytesEqual(stream.init, bytes)) {
					if (this.#upload) {
						// Audio began in the middle of a segment whose stream has none: this stream
						// goes on without it, and the next segment starts a stream with both.
						stream.audioless = true;
						throw new Restart(false, "audio began within a segment: its stream goes on without it");
					}
					// Other tracks (audio began after the stream started): a new stream with the same time 0.
					await this.#finishStream();
					stream = this.#stream = this.#newStream(undefined, stream);
				}
				stream.init = bytes;
				stream.video = video;
				stream.audio = audio;
				if (!stream.initStored) await this.#putInit(stream);
				continue;
			}
			const upload = this.#upload ??= this.#o.client.segment(stream.id, stream.seq);
			try {
				await upload.write(chunks, () => intact(chunks));
			}
			catch (error) {
				// A view the writer overwrote while it was sent: the request is aborted; read again.
				if (error instanceof AbortedError && !intact(chunks)) throw new Restart(false, "a ring frame was overwritten while it was sent");
				throw error;
			}
			for (let i = 0; i < chunks.length; i++) bytes += chunks[i].byteLength;
		}
		return bytes;
	}

	async #putInit(stream: Stream): Promise<void> {
		const response = await this.#o.client.putInit(stream.id, stream.init!, stream.epoch);
		const verdict = verdictOf(response);
		if (verdict === Verdict.Stored) {
			stream.initStored = true;
			return;
		}
		if (verdict === Verdict.Retry || verdict === Verdict.ReInit) throw new Restart(true, `init of ${stream.id}: ${describe(response)}`);
		// Refused for good (409: the id is taken by another init): a new stream id.
		this.#log(`init of ${stream.id} refused: ${describe(response)}; starting a new stream`);
		this.#stream = undefined;
		throw new Restart(true, "init refused");
	}

	#newStream(first: Frame | undefined, continues?: Stream): Stream {
		const origin = continues ? continues.origin : first!.timestamp;
		const epoch = continues ? continues.epoch : Math.round(origin + this.#offset());
		this.stats.streams++;
		// Stream ids: the unix ms of the start, made unique per channel.
		let id = String(epoch);
		if (id === this.#lastStreamId) id += `-${this.stats.streams}`;
		this.#lastStreamId = id;
		return { id, origin, epoch, init: undefined, video: undefined, audio: undefined, initStored: false, audioless: false, seq: 0 };
	}

	#lastStreamId = "";

	/** Ends the current stream (POST …/end); failures only cost the cloud an early close. */
	async #finishStream(): Promise<void> {
		const stream = this.#stream;
		if (!stream) return;
		this.#stream = undefined;
		if (!stream.initStored) return;
		try {
			const response = await this.#o.client.end(stream.id);
			if (response.status !== 200) this.#log(`end of ${stream.id}: ${describe(response)}`);
		}
		catch (error) {
			this.#log(`end of ${stream.id}: ${(error as Error).message}`);
		}
	}

	#endClip(frame: Frame): void {
		this.#clip.finish(frame.timestamp);
		this.#held = undefined;
		this.#next = undefined;
		this.#dropReader();
	}

	#dropReader(): void {
		this.#reader?.close();
		this.#reader = undefined;
		this.#held = undefined;
	}

	// --- waiting ---

	#poke(): void {
		const wake = this.#wake;
		if (!wake) return;
		this.#wake = undefined;
		if (this.#timer !== undefined) Timer.clear(this.#timer);
		this.#timer = undefined;
		wake();
	}

	/** Waits for a frame, an event, a plan change or `ms` (0: no time limit). */
	#sleep(ms: number): Promise<void> {
		return new Promise((resolve) => {
			this.#wake = resolve;
			if (ms > 0) this.#timer = Timer.set(() => { this.#timer = undefined; this.#poke(); }, ms);
		});
	}

	#log(message: string): void {
		this.#o.log?.(`cs[${this.#o.channel}]: ${message}`);
	}
}
