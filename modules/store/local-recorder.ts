/**
 * Feeds the local store from the ring (issue 14 §2): one channel, continuously, with a cursor of
 * its own (modules/cs's Cursor: cloud storage's place in the ring is not this one's) and the same
 * per-segment muxer as cloud storage (SegmentMux), so the bytes on the card are cloud storage's
 * fMP4 — with time 0 at the Unix epoch, so decode times are wall-clock times across segments and
 * restarts. A segment (a key frame to the first key frame `segmentMs` later, or a change of
 * parameter sets) is written as it is cut — fragment by fragment, zero-copy views of the ring —
 * into "<start>.part", then its time index is appended and the file renamed to its span: a power
 * cut loses at most the segment being written. A fragment with a view the capture thread overwrote
 * meanwhile, or a reader overtaken mid-segment, discards the segment (counted, logged). A clean
 * stop finishes the segment under way.
 */
import { intact, type Frame, type Ring } from "ring";
import type { PumpCounts } from "fmp4";
import Timer from "timer";
import { Cursor } from "../cs/cursor.js";
import { RingClock } from "../cs/ring-clock.js";
import { SegmentMux, Took } from "../cs/segment-mux.js";
import type { VideoCodec } from "../media/index.js";
import type { LocalStore } from "./local-store.js";
import { encodeIndex, type IndexEntry } from "./time-index.js";

export interface SegmentWriter {
	readonly written: number;
	write(chunks: (ArrayBuffer | ArrayBufferView)[]): void;
	close(): void;
}

export interface LocalRecorderOptions {
	store: LocalStore;
	ring: Ring;
	channel: number;
	video: VideoCodec;
	audio: boolean;
	/** Unix ms now (the ring's timestamps are mapped onto it, as cloud storage's are). */
	clock: () => number;
	/** Opens (truncates) a file for writing: ivxs/platform's FileWriter. */
	createWriter(path: string): SegmentWriter;
	/** A segment's length (default 10 s: a card's file count stays small). */
	segmentMs?: number;
	log?: (message: string) => void;
}

export class LocalRecorder {
	readonly stats = { segments: 0, bytes: 0, framesLost: 0, gaps: 0, discarded: 0 };
	readonly #o: LocalRecorderOptions;
	readonly #cursor: Cursor;
	/** What a SegmentMux.pump took (one object for every call). */
	readonly #pumped: PumpCounts = { taken: 0, skipped: 0, ignored: 0, rejected: 0, read: 0, timestamp: 0, seq: 0 };
	readonly #clock: RingClock;
	#closed = false;
	#wake: (() => void) | undefined;
	#timer: Timer | undefined;
	#done: Promise<void> | undefined;

	constructor(options: LocalRecorderOptions) {
		this.#o = options;
		this.#clock = new RingClock(options.ring, options.clock);
		this.#cursor = new Cursor({
			ring: options.ring, channel: options.channel, stats: this.stats, offset: () => this.#clock.offset(),
			onReadable: () => this.#poke(), log: (m) => this.#log(m),
		});
	}

	start(): void {
		this.#done ??= this.#loop().catch((error: Error) => this.#log(`stopped: ${error.message}`));
	}

	/** Stops: the segment being written ends at the last frame read and is kept. */
	async stop(): Promise<void> {
		this.#closed = true;
		this.#poke();
		await this.#done;
		this.#cursor.drop();
	}

	async #loop(): Promise<void> {
		while (!this.#closed) {
			const first = await this.#cursor.first(() => this.#nextFrame());
			if (!first) continue;
			if (!first.key) {   // (the live edge starts at a key frame; this is defensive)
				this.#cursor.moveTo(undefined);
				this.#cursor.drop();
				continue;
			}
			try {
				await this.#segment(first);
			}
			catch (error) {
				// the card failed (full, removed): this segment is lost; try again from the live edge
				this.#log(`segment lost: ${(error as Error).message}`);
				this.stats.discarded++;
				this.#cursor.forget();
				this.#cursor.drop();
				await this.#pause(5000);
			}
		}
	}

	async #segment(first: Frame): Promise<void> {
		const o = this.#o, cursor = this.#cursor;
		const offset = this.#clock.offset();
		const start = Math.round(first.timestamp + offset);
		// time 0 at the Unix epoch: a fragment's start is its Unix ms
		const mux = new SegmentMux({ ring: o.ring, video: o.video, audio: o.audio, originMs: -offset, firstSequence: (first.seq % 0xfffffffe) + 1 });
		const writer = o.createWriter(o.store.partPath(start));
		const index: IndexEntry[] = [];
		const segmentEnd = first.timestamp + (o.segmentMs ?? 10_000), counts = this.#pumped;
		let frame: Frame | undefined = first, last: { timestamp: number } = first, ok = true;
		const write = (): boolean => {
			while (mux.outputs.length) {
				const { init, chunks, startMs } = mux.outputs.shift()!;
				if (!init) index.push({ timeMs: startMs, offset: writer.written });
				writer.write(chunks);
				if (!intact(chunks)) return false;   // written torn: the segment goes
			}
			return true;
		};
		let threw = true;
		try {
			while (frame) {
				if (frame !== first) {
					if (frame.lost) {
						this.#log(cursor.overtaken(first, frame));
						ok = false;
						break;
					}
					if (frame.key && frame.timestamp - first.timestamp >= (o.segmentMs ?? 10_000)) break;
				}
				const took = mux.add(frame, false);
				if (took === Took.NewConfig) break;   // new parameter sets: a new segment from this key frame
				if (took === Took.Rejected && frame === first) {
					ok = false;
					frame = await this.#nextFrame();
					break;
				}
				last = frame;
				if (!write()) {
					ok = false;
					frame = await this.#nextFrame();
					break;
				}
				// The frames up to the next one judged here (a key frame, one after frames lost) are
				// read and muxed in C, their fragments written as they come.
				frame = undefined;
				for (;;) {
					const reader = this.#closed ? undefined : cursor.reader;
					if (!reader) break;
					frame = mux.pump(reader, segmentEnd, Infinity, Infinity, false, counts);
					if (counts.read > 0) last = { timestamp: counts.timestamp };
					const made = mux.outputs.length > 0;
					if (!write()) {
						ok = false;
						break;
					}
					if (frame) break;
					if (!made) await this.#pause(1000);   // (until the ring has a frame: the cursor's onReadable)
				}
				if (!ok) {
					frame ??= await this.#nextFrame();
					break;
				}
			}
			if (ok) {   // (stopped: the segment ends with what was written)
				mux.flush();
				ok = write() && index.length > 0;
			}
			if (ok) writer.write([encodeIndex(index)]);
			threw = false;
		}
		finally {
			writer.close();
			if (threw) o.store.discard(start);
		}
		if (!ok) {
			o.store.discard(start);
			if (this.#closed) return;
			this.stats.discarded++;
			cursor.moveTo(frame && frame.key ? frame : undefined);
			if (!frame?.key) cursor.drop();
			return;
		}
		const end = Math.round((frame ? frame.timestamp : last.timestamp + 1) + offset);
		o.store.commit(start, end, writer.written);
		this.stats.segments++;
		this.stats.bytes += writer.written;
		cursor.moveTo(frame);
	}

	async #nextFrame(): Promise<Frame | undefined> {
		for (;;) {
			if (this.#closed || !this.#cursor.reading) return undefined;
			const frame = this.#cursor.read();
			if (frame) return frame;
			await this.#pause(1000);   // (a stalled capture still lets stop() through)
		}
	}

	/** Until a frame is readable, stop(), or `ms`. */
	#pause(ms: number): Promise<void> {
		return new Promise<void>((resolve) => {
			this.#wake = resolve;
			this.#timer = Timer.set(() => {
				this.#timer = undefined;
				this.#poke();
			}, ms);
		});
	}

	#poke(): void {
		if (this.#timer !== undefined) Timer.clear(this.#timer);
		this.#timer = undefined;
		const wake = this.#wake;
		this.#wake = undefined;
		wake?.();
	}

	#log(message: string): void {
		this.#o.log?.(`store[${this.#o.channel}]: ${message}`);
	}
}
