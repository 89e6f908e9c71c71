// The live playlist of one channel as data: the newest segments, numbered,
// that only ever move forward (RFC 8216 §6.2.1). A segment joins at the edge
// or not at all: one that arrives late (a resend, a backlog, an older
// stream's) belongs to the recordings (VOD), never back into a window viewers
// have already moved past; a hole in the numbers restarts the window after it
// (media sequence numbers must stay consecutive). EXT-X-TARGETDURATION never
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

export class LiveWindow {
	#entries: LiveEntry[] = [];
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

	/** Takes `row` if it moves the playlist forward; whether it did. */
	add(row: SegmentRow, numbersOf: StreamNumbers): boolean {
		const last = this.newest;
		// Another stream's segment that starts before the edge: a late upload of an older stream. Not
		// numbered here, so the streams after it keep their numbers.
		if (last && row.stream !== last.row.stream && row.start_ms <= last.row.start_ms) return false;
		const { base, disc } = numbersOf(row);
		const msn = base + row.seq;
		if (last && msn <= last.msn) return false;
		if (last && (msn !== last.msn + 1 || disc > last.disc + 1)) this.#entries = [];
		this.#entries.push({ row, msn, disc });
		const edge = row.end_ms;
		let drop = 0;
		while (this.#entries.length - drop > minSegments && this.#entries[drop].row.start_ms < edge - windowMs) drop++;
		if (drop) this.#entries = this.#entries.slice(drop);
		this.#target = Math.max(this.#target, targetSeconds(row));
		this.#version++;
		return true;
	}

	/** Nothing is live any more (the segments were deleted). */
	clear(): void {
		if (!this.#entries.length) return;
		this.#entries = [];
		this.#version++;
	}
}
