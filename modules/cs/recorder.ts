/**
 * One channel's cloud storage, fed from the GOP ring with a cursor of its own (SPEC §1,
 * cloud/PROTOCOL.md §3): what to upload when (the plan's mode, clips), and the loop that cuts and
 * uploads segments one after the other.
 *
 * Segments: from a key frame, `segmentMs` long (cut at the first key frame after that), each
 * muxed on its own (segment-mux.ts), so a segment is resent by reading the ring again — the
 * camera keeps no copy (memory = the ring + a small fixed part). The cursor (cursor.ts) moves only
 * when the cloud answered 201/200 (or refused for good); after a failure the ring is read again
 * from it, and what the ring no longer holds is reported as a gap. The pre-roll of a clip and the
 * backlog after a cut go up as fast as the network takes them, then the upload follows the live
 * edge. Upload and retry: uploader.ts.
 *
 * Modes: `continuous` uploads from the live edge on; `event` uploads clips (clip.ts). One stream
 * per continuous run or clip, and a new stream when the encoder's parameter sets change.
 *
 * Writes: a segment's fragments are its LL-HLS parts (PART_TARGET_MS), each written as it is cut
 * while a viewer watches the channel live (`watched`: a live lease), else up to WRITE_PARTS_MS of
 * them a write — a write costs the camera per write, not per byte (README "Writes").
 */
import type { Frame, Ring } from "ring";
import type { PumpCounts } from "fmp4";
import Timer from "timer";
import type { VideoCodec } from "../media/index.js";
import { ClipPolicy } from "./clip.js";
import { Cursor, keyFrameBefore, type Gap } from "./cursor.js";
import { RingClock } from "./ring-clock.js";
import { holdsOtherBytes, storedSha256Of } from "../protocol/verdict.js";
import { PART_TARGET_MS } from "../protocol/live.js";
import { SegmentMux, Took } from "./segment-mux.js";
import { describe, type StreamClient } from "./stream-client.js";
import { Uploader, again, againAfter, type Again } from "./uploader.js";

export type { Gap } from "./cursor.js";

/** How much video one write carries while no viewer watches live (see above). */
export const WRITE_PARTS_MS = 1000;
const PARTS_PER_WRITE = Math.max(1, Math.round(WRITE_PARTS_MS / PART_TARGET_MS));

export interface RecorderStats {
	segmentsStored: number;
	segmentsResent: number;
	segmentsRefused: number;
	streams: number;
	framesUploaded: number;
	framesLost: number;
	framesRejected: number;
	/** Frames in the stored segments' span of a track cloud storage does not keep (a G.711 track
	 * beside AAC: WebRTC's), so every ring frame from firstSeq to lastSeq is uploaded, lost or this. */
	framesNotStored: number;
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

const enum Want { Nothing, Continuous, Clips }

/** A segment that cannot be finished and is not made again: its first frame was rejected. */
const ABANDONED = "abandoned";

/** A frame's time and ring sequence number. */
interface Stamp {
	timestamp: number;
	seq: number;
}

/** A segment being cut: the frames read into its muxer so far, and how it ends. */
class Cut {
	readonly mux: SegmentMux;
	/** Its stream leaves audio out (SegmentMux.add). */
	readonly audioless: boolean;
	readonly first: Frame;
	last: Stamp;
	frames = 0;
	skipped = 0;
	ignored = 0;
	/** All its frames are read: `next` (undefined: stopped) begins the next segment. */
	complete = false;
	next: Frame | undefined;
	endsStream = false;
	/** It will not be finished: made again from the cursor, or abandoned. */
	stop: Again | typeof ABANDONED | undefined;

	constructor(mux: SegmentMux, audioless: boolean, first: Frame) {
		this.mux = mux;
		this.audioless = audioless;
		this.first = first;
		this.last = first;
	}

	end(next: Frame | undefined, endsStream: boolean): void {
		this.complete = true;
		this.next = next;
		if (endsStream) this.endsStream = true;
	}
}

export class Recorder {
	readonly stats: RecorderStats = {
		segmentsStored: 0, segmentsResent: 0, segmentsRefused: 0, streams: 0, framesUploaded: 0, framesLost: 0,
		framesRejected: 0, framesNotStored: 0, bytesUploaded: 0, firstSeq: -1, lastSeq: -1, doneUntil: 0, gaps: 0,
	};
	readonly #o: RecorderOptions;
	readonly #time: RingClock;
	readonly #cursor: Cursor;
	readonly #uploader: Uploader;
	#want = Want.Nothing;
	#segmentMs = 2000;
	/** Fragments a write waits for (fewer at a segment's end): 1 while watched live. */
	#partsPerWrite = PARTS_PER_WRITE;
	/** The last ring seq stop() still uploads. */
	#drainTo: number | undefined;
	#clipSettings = { preRollMs: 5000, postRollMs: 10000, maxClipMs: 300000 };
	readonly #clip = new ClipPolicy(this.#clipSettings);
	#closed = false;
	#running: Promise<void> | undefined;
	#wake: (() => void) | undefined;
	#timer: Timer | undefined;
	/** A #wait for the ring (for a frame, or to fill `#filling`), and its clip-time check. */
	#frameWanted: ((frame: Frame | undefined) => void) | undefined;
	#filling: Cut | undefined;
	#frameTimer: Timer | undefined;
	/** What a SegmentMux.pump took (one object for every call). */
	readonly #pumped: PumpCounts = { taken: 0, skipped: 0, ignored: 0, rejected: 0, read: 0, timestamp: 0, seq: 0 };

	constructor(options: RecorderOptions) {
		this.#o = options;
		const log = (message: string) => this.#log(message);
		this.#time = new RingClock(options.ring, options.clock ?? Date.now);
		this.#uploader = new Uploader({ client: options.client, offset: () => this.#time.offset(), stats: this.stats, log, retry: options.retry });
		this.#cursor = new Cursor({
			ring: options.ring, channel: options.channel, stats: this.stats, onGap: options.onGap, log,
			onReadable: () => this.#poke(),
			// A gap's times in its stream's clock while there is one.
			offset: () => {
				const stream = this.#uploader.stream;
				return stream ? stream.epoch - stream.origin : this.#time.offset();
			},
		});
	}

	/** What to upload now: nothing, everything, or clips around events; segment length and clip times. */
	configure(mode: "none" | "continuous" | "event", settings: { segmentMs: number; preRollMs: number; postRollMs: number; maxClipMs: number; watched?: boolean }): void {
		const want = mode === "continuous" ? Want.Continuous : mode === "event" ? Want.Clips : Want.Nothing;
		this.#segmentMs = settings.segmentMs;
		this.#clipSettings = { preRollMs: settings.preRollMs, postRollMs: settings.postRollMs, maxClipMs: settings.maxClipMs };
		this.#clip.settings = this.#clipSettings;
		const partsPerWrite = settings.watched ? 1 : PARTS_PER_WRITE;
		if (partsPerWrite !== this.#partsPerWrite) {
			this.#partsPerWrite = partsPerWrite;
			this.#offerFrame();   // a viewer came: the parts cut so far go now
		}
		if (want === this.#want) return;
		if (this.#want === Want.Clips) this.#clip.reset();
		// Continuous from now: from the live edge, or — when the ring is still empty — from its
		// first key frame (frames pushed before the loop first reads are uploaded too).
		if (want === Want.Continuous) this.#cursor.fromOldest = this.#o.ring.stats().framesHeld === 0;
		this.#want = want;
		this.#poke();
		this.#start();
	}

	/** An event at unix ms `time` (event mode: starts or extends a clip). */
	event(time: number): void {
		if (this.#want !== Want.Clips) return;
		if (this.#clip.event(this.#time.ringTime(time))) this.#poke();
	}

	/** Stops: the segment in flight is abandoned (the cloud stores nothing of it). */
	close(): void {
		this.#closed = true;
		this.#uploader.abort("cloud storage closed");
		this.#cursor.drop();
		this.#poke();
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

	// --- the loop ---

	#start(): void {
		if (this.#running || this.#closed) return;
		this.#running = this.#loop().then(() => { this.#running = undefined; }, (error: Error) => {
			this.#running = undefined;
			this.#log(`stopped: ${error.message}`);
		});
	}

	async #loop(): Promise<void> {
		const uploader = this.#uploader;
		while (!this.#closed) {
			if (!this.#active()) {
				await this.#endStream();
				this.#cursor.drop();
				if (this.#want === Want.Nothing) {
					this.#cursor.forget();
					return;
				}
				// Event mode, no clip: wait for an event.
				if (!(await this.#beginClip())) await this.#sleep(0);
				continue;
			}
			let retry: Again | undefined;
			try {
				retry = await this.#segment();
			}
			catch (error) {
				retry = againAfter(error);
			}
			if (!retry) {
				uploader.succeeded();
				continue;
			}
			if (this.#closed) return;
			uploader.abort();
			this.#cursor.drop();
			this.stats.segmentsResent++;
			this.#log(`segment ${uploader.stream?.seq ?? 0}: ${retry.reason}${retry.delay ? " — retrying" : ""}`);
			if (retry.delay) await this.#sleep(uploader.retryDelay());
		}
		await uploader.finishStream().catch(() => {});
	}

	/**
	 * Ends the stream. Frames of a segment that went out whole without an answer and that the ring
	 * lost before it was sent again wait for an answer under its seq (Cursor.settle); none can come
	 * once its stream ends, so they are reported lost now — the cloud may hold them, but nothing can
	 * say so any more, and a gap reported in error is better than frames never accounted for.
	 */
	async #endStream(): Promise<void> {
		this.#cursor.settle(false);   // (before the end: the gap is timed in the stream's clock)
		await this.#uploader.finishStream();
	}

	#active(): boolean {
		return this.#want === Want.Continuous || (this.#want === Want.Clips && this.#clip.running) || this.#draining();
	}

	/** Stopping, with frames pushed before stop() still to upload. */
	#draining(): boolean {
		const next = this.#cursor.next;
		return this.#drainTo !== undefined && next !== undefined && next.seq <= this.#drainTo;
	}

	/** Event mode: starts the pending clip at the newest key frame at or before its pre-roll. */
	async #beginClip(): Promise<boolean> {
		const from = this.#clip.preRollFrom();
		if (!from) return false;
		const start = keyFrameBefore(this.#o.ring, from.want, from.notBefore);
		if (!start) {
			await this.#sleep(0);   // nothing in the ring yet: wait for a frame
			return true;
		}
		this.#clip.begin(start.time);
		this.#cursor.startAt(start);
		return true;
	}

	#endClip(frame: Frame): void {
		this.#clip.finish(frame.timestamp);
		this.#cursor.forget();
		this.#cursor.drop();
	}

	// --- one segment ---

	/** Cuts and uploads one segment from the cursor; undefined when done with, else why to make it again. */
	async #segment(): Promise<Again | undefined> {
		const first = await this.#firstFrame();
		if (!first) return undefined;
		const o = this.#o, cursor = this.#cursor, uploader = this.#uploader;
		if (this.#want === Want.Clips) {
			const verdict = this.#clip.check(first.timestamp, first.key);
			if (verdict === "end") {
				this.#endClip(first);
				return undefined;
			}
			if (verdict === "cut") {
				await this.#endStream();
				this.#clip.cut(first.timestamp);
			}
		}
		if (uploader.clockJumped) {
			this.#log(`the clock moved by more than a minute: stream ${uploader.stream!.id} ends, the next begins on the new clock`);
			await this.#endStream();
		}
		const stream = uploader.streamFrom(first);
		const cut = new Cut(new SegmentMux({ ring: o.ring, video: o.video, audio: o.audio, originMs: stream.origin, firstSequence: (first.seq % 0xfffffffe) + 1 }), stream.audioless, first);
		const mux = cut.mux;
		this.#take(cut, first);
		while (!cut.stop) {
			// (A complete cut's last fragments go with its flush, below: one write.)
			if (mux.outputs.length && !cut.complete) {
				const stop = await uploader.send(mux);
				if (stop) return stop;
			}
			if (cut.complete) break;
			// The frames the ring holds now, then — at the live edge — the rest as capture pushes
			// them, read in its wake-ups: one await per write (a fragment, or a second of them),
			// not one per frame (an await is ~0.7 KB of garbage on XS: bench board_memory).
			if (!this.#fill(cut)) await this.#wait(cut);
		}
		if (cut.stop) return cut.stop === ABANDONED ? undefined : cut.stop;
		if (this.#closed) return undefined;
		const { next, last, frames, skipped, ignored } = cut;
		let endsStream = cut.endsStream;
		mux.flush();
		const stop = await uploader.send(mux);
		if (stop) return stop;
		const bytes = uploader.segmentBytes;
		const answer = await uploader.answer();
		if (answer?.again) {
			if (answer.unanswered) cursor.unsure(next ? { time: next.timestamp, seq: next.seq } : { time: last.timestamp, seq: last.seq + 1 }, answer.sha256);
			return answer;
		}
		if (answer) {
			// Under the seq of a segment that went out whole without an answer and whose frames the
			// ring then lost: a 409 (other bytes there) says the cloud holds that one — or, of several
			// such, the one whose hash it names — its frames are not lost, and the segment after it
			// goes under the next seq; anything else says they are.
			const otherBytes = !answer.stored && holdsOtherBytes(answer.response);
			const awaited = cursor.awaiting;
			const held = cursor.settle(otherBytes && (storedSha256Of(answer.response) ?? true));
			if (held) {
				this.stats.segmentsStored++;
				this.stats.framesUploaded += held;
				return again(false, `segment ${answer.seq} holds the one sent before, whose answer was lost: the next goes as ${answer.seq + 1}`);
			}
			// Other bytes under it that none of those attempts is known to be (their frames are
			// reported lost): this segment's frames are still in the ring, for the next seq.
			if (otherBytes && awaited) return again(false, `segment ${answer.seq} holds bytes of an attempt whose answer was lost: the next goes as ${answer.seq + 1}`);
		}
		// Stored, refused for good, or nothing the muxer could write (every frame rejected): the cursor moves on.
		cursor.moveTo(next);
		if (!answer) return undefined;
		const current = answer.stream, seq = answer.seq;
		if (current.audioless) {
			endsStream = true;
			if (skipped) cursor.lost(first.timestamp, next ? next.timestamp : last.timestamp, skipped, "rejected");
		}
		const endMs = next ? next.timestamp : last.timestamp;
		if (answer.stored) {
			const s = this.stats;
			s.segmentsStored++;
			s.framesUploaded += frames;
			s.framesNotStored += ignored;
			s.bytesUploaded += bytes;
			if (s.firstSeq < 0) s.firstSeq = first.seq;
			s.lastSeq = last.seq;
			s.doneUntil = current.epoch + endMs - current.origin;
			o.onSegment?.({ stream: current.id, seq, frames, bytes, startMs: current.epoch + first.timestamp - current.origin, endMs: s.doneUntil, duplicate: answer.response.status === 200 });
		}
		else {
			this.stats.segmentsRefused++;
			this.#log(`segment ${seq} of ${current.id} refused: ${describe(answer.response)}`);
			cursor.gap(first.timestamp, endMs, frames, "refused");
		}
		if (endsStream) {
			await this.#endStream();
			if (this.#want === Want.Clips && next && this.#clip.check(next.timestamp, next.key) === "end") this.#endClip(next);
		}
		return undefined;
	}

	/**
	 * Reads frames into `cut` while the ring has them; true when it has a write's fragments to send
	 * or is done. The frames that cannot end the segment — not a video key frame, not a key frame
	 * at its length or a clip's, not past a clip's end or what stop() drains, none lost before — are
	 * read and muxed in C (SegmentMux.pump); #take judges the others.
	 */
	#fill(cut: Cut): boolean {
		const outputs = cut.mux.outputs, parts = this.#partsPerWrite, counts = this.#pumped;
		// (A segment's init, first among its outputs, is not a part.)
		while (!cut.stop && !cut.complete && outputs.length < (outputs.length && outputs[0].init ? parts + 1 : parts)) {
			const reader = this.#closed ? undefined : this.#cursor.reader;
			if (!reader) return false;
			let frame: Frame | undefined;
			if (this.#active()) {
				const clips = this.#want === Want.Clips, clip = this.#clip, segmentEnd = cut.first.timestamp + this.#segmentMs;
				const made = outputs.length;
				frame = cut.mux.pump(reader, clips && clip.cutFrom < segmentEnd ? clip.cutFrom : segmentEnd, clips ? (clip.running ? clip.end : -Infinity) : Infinity,
					this.#drainTo ?? Infinity, cut.audioless, counts);
				if (counts.read > 0) {
					cut.frames += counts.taken;
					cut.skipped += counts.skipped;
					cut.ignored += counts.ignored;
					this.stats.framesRejected += counts.rejected;
					cut.last = { timestamp: counts.timestamp, seq: counts.seq };
				}
				if (!frame && outputs.length === made) return false;   // the ring has no frame now
			}
			else {
				frame = reader.read();   // (it ends the segment: #take)
				if (!frame) return false;
			}
			if (frame) this.#take(cut, frame);
		}
		return true;
	}

	/** One frame read for `cut`: muxed, or the frame that ends the segment (the next one's first). */
	#take(cut: Cut, frame: Frame): void {
		const first = cut.first;
		if (frame !== first) {
			if (frame.lost) {
				cut.stop = again(false, this.#cursor.overtaken(first, frame));
				return;
			}
			if (this.#want === Want.Clips && this.#clip.check(frame.timestamp, frame.key) !== "in") return cut.end(frame, true);
			if (frame.key && frame.timestamp - first.timestamp >= this.#segmentMs) return cut.end(frame, false);
			if (!this.#active() || (this.#drainTo !== undefined && frame.seq > this.#drainTo)) return cut.end(frame, true);
		}
		const took = cut.mux.add(frame, cut.audioless);
		// New parameter sets: a new stream (PROTOCOL §3), from this key frame.
		if (took === Took.NewConfig) return cut.end(frame, true);
		if (took === Took.Written) cut.frames++;
		else if (took === Took.Skipped) cut.skipped++;
		else if (took === Took.Ignored) cut.ignored++;
		else if (took === Took.Rejected) {
			// A frame the muxer cannot take (a malformed push that got past the checks) is skipped.
			this.stats.framesRejected++;
			if (frame === first) {
				this.#cursor.forget();
				this.#cursor.gap(first.timestamp, first.timestamp, 1, "rejected");
				cut.stop = ABANDONED;
				return;
			}
		}
		cut.last = frame;
	}

	/** The segment's first frame: the held one, or the ring read again from the cursor. */
	#firstFrame(): Promise<Frame | undefined> {
		return this.#cursor.first(() => this.#wait(undefined));
	}

	/** The next frame if the reader has one now (#wait's first step, without its await). */
	#readNow(): Frame | undefined {
		return this.#closed || !this.#cursor.reading ? undefined : this.#cursor.read();
	}

	/**
	 * Waits for capture: for the next frame (`cut` undefined; undefined when stopped meanwhile), or
	 * until `cut` has fragments to send or is done — #fill runs in the ring's wake-ups, so a frame
	 * costs no promise. One promise a wait, answered by #offerFrame: a loop of sleeps in an async
	 * function cost XS about twice the garbage (bench board_memory).
	 */
	#wait(cut: Cut | undefined): Promise<Frame | undefined> {
		return new Promise((resolve) => {
			this.#filling = cut;
			this.#frameWanted = resolve;
			this.#offerFrame();
		});
	}

	/** Answers the waiting #wait when it can: a frame or a filled cut, or undefined when none will come. */
	#offerFrame(): void {
		const answer = this.#frameWanted;
		if (!answer) return;
		this.#frameWanted = undefined;   // (a callback in the fill — a gap reported — must not fill again)
		const cut = this.#filling;
		let frame: Frame | undefined, ready = false;
		if (cut) {
			try {
				ready = this.#fill(cut);
			}
			catch (error) {
				cut.stop = againAfter(error);   // (what the loop does with an error of its own)
				ready = true;
			}
		}
		else frame = this.#readNow();
		if (!ready && !frame && !this.#closed && this.#cursor.reading && this.#active() && this.#drainTo === undefined) {   // (draining: all read)
			this.#frameWanted = answer;
			// Clip end by time: with no frame coming, a clip still ends (checked every second).
			if (this.#want === Want.Clips && this.#frameTimer === undefined) this.#frameTimer = Timer.set(this.#recheck, 1000);
			return;
		}
		if (cut && !ready) cut.end(undefined, true);   // stopped while waiting: no frame will come
		this.#filling = undefined;
		if (this.#frameTimer !== undefined) Timer.clear(this.#frameTimer);
		this.#frameTimer = undefined;
		answer(frame);
	}

	readonly #recheck = (): void => {
		this.#frameTimer = undefined;
		this.#offerFrame();
	};

	// --- waiting ---

	#poke(): void {
		this.#offerFrame();
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
