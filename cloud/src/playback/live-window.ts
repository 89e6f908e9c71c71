// The live playlist of one channel as data: the newest segments, numbered,
// that only ever move forward (RFC 8216 §6.2.1). A segment joins at the edge
// or not at all: one that arrives late (a resend, a backlog, an older
// stream's) belongs to the recordings (VOD), never back into a window viewers
// have already moved past; a hole in the numbers restarts the window after it
// (media sequence numbers must stay consecutive) unless it is short and fills
// within a target duration (reorderSegments). EXT-X-TARGETDURATION never
// goes down: it is the longest segment this window has taken, rounded.
// Pure: the channel (live.ts) feeds it rows from ingest's announcements and
// the catalogue. LL-HLS parts would hang off the entries and the edge.
import type { SegmentRow } from "../catalogue/index.js";

/** A segment in the live window with its media sequence and discontinuity numbers. */
export interface LiveEntry {
	row: SegmentRow;
	msn: number;
	disc: number;
}

/** The numbers of a stream (catalogue: hlsNumbersOf): msn = base + seq. */
export type StreamNumbers = (row: SegmentRow) => { base: number; disc: number };

/** A segment's EXTINF rounded to whole seconds: EXT-X-TARGETDURATION is at least this (RFC 8216 §4.3.3.1). */
export const targetSeconds = (row: SegmentRow): number => Math.round((row.end_ms - row.start_ms) / 1000);

/** The window: the last `windowMs` of segments, and never fewer than `minSegments`. */
export const windowMs = 12_000, minSegments = 6;

/**
 * A segment that comes before the one(s) missing ahead of it (two uploads finishing out of order)
 * waits for the hole to fill, if the hole is at most `reorderSegments` long, for at most one target
 * duration; then the window restarts after the hole. A player would stall at the hole otherwise.
 */
export const reorderSegments = 2;

export class LiveWindow {
	#entries: LiveEntry[] = [];
	/** Segments beyond a short hole, by msn, and since when the first of them waits. */
	#held: LiveEntry[] = [];
	#heldSince = 0;
	#target = 1;
	#version = 0;

	get entries(): readonly LiveEntry[] {
		return this.#entries;
	}

	get newest(): LiveEntry | undefined {
		return this.#entries[this.#entries.length - 1];
	}

	/** EXT-X-TARGETDURATION: whole seconds, never less than any listed segment's rounded duration. */
	get target(): number {
		return this.#target;
	}

	/** Changes with every change of the entries (a cache of renderings keys on it). */
	get version(): number {
		return this.#version;
	}

	/** When the held segments stop waiting for their hole (flush then), or undefined. */
	get holdEnds(): number | undefined {
		return this.#held.length ? this.#heldSince + this.#target * 1000 : undefined;
	}

	/** Takes `row` if it moves the playlist forward (now, or when its hole fills); whether the entries changed. */
	add(row: SegmentRow, numbersOf: StreamNumbers, now = Date.now()): boolean {
		const last = this.newest;
		// Another stream's segment that starts before the edge: a late upload of an older stream. Not
		// numbered here, so the streams after it keep their numbers.
		if (last && row.stream !== last.row.stream && row.start_ms <= last.row.start_ms) return false;
		const { base, disc } = numbersOf(row);
		const entry = { row, msn: base + row.seq, disc };
		if (last && entry.msn <= last.msn) return false;
		if (this.#held.some((held) => held.msn === entry.msn)) return false;
		if (!last || follows(entry, last)) {
			this.#append(entry, now);
			return true;
		}
		if (!this.#held.length) this.#heldSince = now;
		this.#held.push(entry);
		this.#held.sort((a, b) => a.msn - b.msn);
		return this.flush(now);
	}

	/** Gives up on a hole that is too long or did not fill in time: the window restarts after it. */
	flush(now = Date.now()): boolean {
		let changed = false;
		while (this.#held.length && (this.#held[0].msn - this.newest!.msn - 1 > reorderSegments || now >= this.holdEnds!)) {
			this.#entries = [];
			this.#append(this.#held.shift()!, now);
			changed = true;
		}
		return changed;
	}

	/** Nothing is live any more (the segments were deleted). */
	clear(): void {
		this.#held = [];
		if (!this.#entries.length) return;
		this.#entries = [];
		this.#version++;
	}

	/** Appends the next entry, then the held ones it lets through; trims the window. */
	#append(entry: LiveEntry, now: number): void {
		this.#entries.push(entry);
		this.#target = Math.max(this.#target, targetSeconds(entry.row));
		while (this.#held.length && follows(this.#held[0], this.newest!)) {
			const next = this.#held.shift()!;
			this.#entries.push(next);
			this.#target = Math.max(this.#target, targetSeconds(next.row));
		}
		// What stays held waits for its own hole from now on.
		this.#held = this.#held.filter((held) => held.msn > this.newest!.msn);
		if (this.#held.length) this.#heldSince = now;
		const edge = this.newest!.row.end_ms;
		let drop = 0;
		while (this.#entries.length - drop > minSegments && this.#entries[drop].row.start_ms < edge - windowMs) drop++;
		if (drop) this.#entries = this.#entries.slice(drop);
		this.#version++;
	}
}

/** `entry` is the next of `last`: the next number, and no stream between them missing. */
const follows = (entry: LiveEntry, last: LiveEntry): boolean => entry.msn === last.msn + 1 && entry.disc <= last.disc + 1;
