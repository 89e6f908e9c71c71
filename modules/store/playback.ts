/**
 * One viewer's playback of the local store (SPEC §2 `action=playback&start=…&end=…`), pulled by
 * the P2P API's onSendGet every 10 ms: the stored fMP4 from the fragment (a GOP, so a key frame)
 * at or before `start` to the last fragment that begins before `end`, paced on the fragments'
 * times at `speed` × real time; `seek`, `pause` and `setSpeed` act at once (a seek lands on the
 * fragment at or before its time). An init segment goes out before the first fragment and again
 * only when a segment's differs (new parameter sets). A fragment goes out in pieces of at most
 * `PIECE_BYTES` (the first one marked key): memory is one piece, never a segment.
 */
import type { LocalStore, StoredSegment } from "./local-store.js";
import { indexBytes, type IndexEntry } from "./time-index.js";
import { MAX_PLAYBACK_SPEED } from "../protocol/viewer-commands.js";
import { bytesEqual } from "../media/video.js";

export const PIECE_BYTES = 32 * 1024;
/** × real time at most (the protocol's bound: a viewer asks it in the params and the command). */
export const MAX_SPEED = MAX_PLAYBACK_SPEED;

export interface PlaybackChunk {
	data: ArrayBuffer;
	key: boolean;
	timestamp: number;
}

interface Cursor { segment: StoredSegment; entries: IndexEntry[]; fragment: number }

export class Playback {
	readonly #store: LocalStore;
	readonly #end: number;
	readonly #now: () => number;
	#speed: number;
	#paused = false;
	/** Media time (Unix ms) at clock `#anchorAt`. */
	#anchor = 0;
	#anchorAt = 0;
	#at: Cursor | undefined;
	/** The bytes of the fragment under way not sent yet: [offset, end). */
	#piece: { segment: StoredSegment; offset: number; end: number; timeMs: number; first: boolean } | undefined;
	#init: Uint8Array | undefined;
	#sendInit = true;
	#done = false;

	/** `now`: a monotonic ms clock. */
	constructor(options: { store: LocalStore; start: number; end: number; speed?: number; now: () => number }) {
		this.#store = options.store;
		this.#end = options.end;
		this.#now = options.now;
		this.#speed = checkSpeed(options.speed ?? 1);
		this.seek(options.start);
	}

	/** Media time now (Unix ms). */
	get position(): number {
		return this.#paused ? this.#anchor : this.#anchor + (this.#now() - this.#anchorAt) * this.#speed;
	}

	/** Every fragment up to `end` was sent. */
	get done(): boolean {
		return this.#done && !this.#piece;
	}

	get paused(): boolean {
		return this.#paused;
	}

	get speed(): number {
		return this.#speed;
	}

	pause(on: boolean): void {
		this.#rebase(this.position);
		this.#paused = on;
	}

	setSpeed(speed: number): void {
		checkSpeed(speed);
		this.#rebase(this.position);
		this.#speed = speed;
	}

	/** Goes on from the fragment at or before `time` (the first one after it when none is). */
	seek(time: number): void {
		this.#piece = undefined;
		this.#at = undefined;
		this.#done = false;
		for (const segment of this.#store.overlapping(time, this.#end)) {
			const entries = this.#store.index(segment);
			if (!entries?.length) continue;
			let fragment = 0;
			while (fragment + 1 < entries.length && entries[fragment + 1].timeMs <= time) fragment++;
			this.#at = { segment, entries, fragment };
			this.#sendInit = true;
			this.#rebase(Math.max(time, entries[fragment].timeMs));
			return;
		}
		this.#done = true;
	}

	/** The next piece to send now, or undefined (nothing due yet, paused, or done). */
	pull(): PlaybackChunk | undefined {
		const segment = this.#piece?.segment ?? this.#at?.segment;
		try {
			return this.#pull();
		}
		catch (error) {
			// the store deleted the segment meanwhile (the oldest go first): on from its end
			if (!segment) throw error;
			this.seek(Math.max(this.position, segment.end));
			return undefined;
		}
	}

	#pull(): PlaybackChunk | undefined {
		if (this.#piece) return this.#nextPiece();
		const at = this.#at;
		if (!at || this.#done) return undefined;
		const entry = at.entries[at.fragment];
		if (entry.timeMs >= this.#end) {
			this.#done = true;
			return undefined;
		}
		if (entry.timeMs > this.position) return undefined;
		if (this.#sendInit || at.fragment === 0) {
			this.#sendInit = false;
			const init = new Uint8Array(this.#store.read(at.segment, 0, at.entries[0].offset));
			if (!this.#init || !bytesEqual(init, this.#init)) {
				this.#init = init;
				return { data: init.buffer as ArrayBuffer, key: true, timestamp: entry.timeMs };
			}
		}
		const next = at.entries[at.fragment + 1];
		const end = next ? next.offset : at.segment.bytes - indexBytes(at.entries.length);
		this.#piece = { segment: at.segment, offset: entry.offset, end, timeMs: entry.timeMs, first: true };
		this.#advance(at);
		return this.#nextPiece();
	}

	#nextPiece(): PlaybackChunk | undefined {
		const piece = this.#piece!;
		const data = this.#store.read(piece.segment, piece.offset, Math.min(PIECE_BYTES, piece.end - piece.offset));
		const chunk = { data, key: piece.first, timestamp: piece.timeMs };
		piece.first = false;
		piece.offset += data.byteLength;
		if (piece.offset >= piece.end || !data.byteLength) this.#piece = undefined;
		return data.byteLength ? chunk : undefined;
	}

	/** Moves to the next fragment, across segments. */
	#advance(at: Cursor): void {
		if (at.fragment + 1 < at.entries.length) {
			at.fragment++;
			return;
		}
		const later = this.#store.overlapping(at.segment.end - 1, this.#end).filter((s) => s.start > at.segment.start);
		for (const segment of later) {
			const entries = this.#store.index(segment);
			if (!entries?.length) continue;
			this.#at = { segment, entries, fragment: 0 };
			return;
		}
		this.#at = undefined;
		this.#done = true;
	}

	#rebase(time: number): void {
		this.#anchor = time;
		this.#anchorAt = this.#now();
	}
}

function checkSpeed(speed: number): number {
	if (!Number.isInteger(speed) || speed < 1 || speed > MAX_SPEED) throw new RangeError(`playback speed must be an integer 1 … ${MAX_SPEED}`);
	return speed;
}
