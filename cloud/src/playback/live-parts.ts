// The LL-HLS parts of one watched channel (RFC 8216bis §4.4.4.9): each
// fragment of a segment as its upload brings it, kept in memory (never in the
// catalogue: a part is not a recording). A segment's parts are listed after
// the live window's newest segment while its upload is in flight, and beside
// its EXTINF once it is committed, for the last PART_WINDOW_TARGETS target
// durations. An upload that fails takes its parts with it; a segment whose
// parts are not all known, in order and within PART-TARGET, lists none (its
// whole segment still plays). Memory is bounded per channel: at most
// `maxPartSegments` segments and `maxPartBytes` bytes of parts.
import { PART_TARGET_MS } from "../../../modules/protocol/live.js";
import type { InitInfo } from "../media/init.js";
import { parseSegment } from "../media/segment.js";
import { Mp4Error } from "../media/boxes.js";
import type { LiveEntry, LiveWindow } from "./live-window.js";

/** A fragment as ingest hands it over (ctx.segmentEvents "part"). */
export interface IncomingPart {
	device: string;
	channel: number;
	stream: string;
	seq: number;
	/** Its place in the upload: 0, 1, 2, … */
	index: number;
	bytes: Buffer;
	init: InitInfo;
}

export interface LivePart {
	index: number;
	bytes: Buffer;
	durationMs: number;
	/** Starts with a video key frame (or the stream has no video). */
	independent: boolean;
}

interface PartSegment {
	stream: string;
	seq: number;
	parts: LivePart[];
	bytes: number;
	/** Committed: its parts are all there is. */
	complete: boolean;
	/** A part was out of order, unreadable or longer than PART-TARGET: none is listed. */
	broken: boolean;
}

/** The parts a playlist lists: beside committed entries (by msn), of the segment in flight, and the hint. */
export interface PartListing {
	byMsn: Map<number, readonly LivePart[]>;
	inFlight: { stream: string; seq: number; parts: readonly LivePart[] } | undefined;
	hint: { stream: string; seq: number; index: number } | undefined;
}

/** Committed segments keep their parts listed this many target durations back from the edge (RFC 8216bis §6.2.2). */
export const PART_WINDOW_TARGETS = 3;
export const maxPartSegments = 6;
export const maxPartBytes = 8 * 1024 * 1024;
/**
 * EXT-X-PART-INF's PART-TARGET: what cameras cut to (their muxer judges a fragment's end by the last
 * frame interval) and 10 % for a next frame that comes late. A part over it is not listed.
 */
export const partTargetMs = PART_TARGET_MS * 1.1;

export type PartState = { part: LivePart } | "wait" | "gone";

export class LiveParts {
	readonly #maxSegments: number;
	readonly #maxBytes: number;
	#segments: PartSegment[] = [];
	#bytes = 0;
	#version = 0;

	constructor({ segments = maxPartSegments, bytes = maxPartBytes } = {}) {
		this.#maxSegments = segments;
		this.#maxBytes = bytes;
	}

	/** Changes with every change of what is listed or served. */
	get version(): number {
		return this.#version;
	}

	get bytes(): number {
		return this.#bytes;
	}

	get segments(): number {
		return this.#segments.length;
	}

	/** Takes the next part of a segment's upload; whether anything changed. */
	add(incoming: IncomingPart): boolean {
		let segment = this.#find(incoming.stream, incoming.seq);
		if (!segment) {
			// A later part of an upload seen from its middle (the channel was not watched yet) starts nothing.
			if (incoming.index !== 0) return false;
			segment = { stream: incoming.stream, seq: incoming.seq, parts: [], bytes: 0, complete: false, broken: false };
			this.#segments.push(segment);
			while (this.#segments.length > this.#maxSegments) this.#drop(this.#segments[0]);
		}
		if (segment.complete || segment.broken || incoming.index !== segment.parts.length) return false;
		const part = partOf(incoming);
		if (!part) {
			segment.broken = true;
			this.#bytes -= segment.bytes;
			segment.parts = [];
			segment.bytes = 0;
			this.#version++;
			return true;
		}
		segment.parts.push(part);
		segment.bytes += part.bytes.length;
		this.#bytes += part.bytes.length;
		while (this.#bytes > this.#maxBytes) this.#drop(this.#segments[0]);
		this.#version++;
		return true;
	}

	/** The segment was committed: its parts are complete. */
	committed(stream: string, seq: number): boolean {
		const segment = this.#find(stream, seq);
		if (!segment || segment.complete) return false;
		segment.complete = true;
		this.#version++;
		return true;
	}

	/** The upload failed (cut, refused): its parts vanish. A committed segment's stay. */
	failed(stream: string, seq: number): boolean {
		const segment = this.#find(stream, seq);
		if (!segment || segment.complete) return false;
		this.#drop(segment);
		return true;
	}

	clear(): void {
		if (!this.#segments.length) return;
		this.#segments = [];
		this.#bytes = 0;
		this.#version++;
	}

	/** What to list with `window` (its newest segment is the edge). */
	listing(window: LiveWindow): PartListing {
		const byMsn = new Map<number, readonly LivePart[]>();
		const newest = window.newest;
		if (!newest) return { byMsn, inFlight: undefined, hint: undefined };
		const from = newest.row.end_ms - PART_WINDOW_TARGETS * window.target * 1000;
		for (const entry of window.entries) {
			if (entry.row.end_ms <= from) continue;
			const segment = this.#find(entry.row.stream, entry.row.seq);
			if (segment?.complete && !segment.broken && segment.parts.length) byMsn.set(entry.msn, segment.parts);
		}
		const next = nextOf(newest);
		const open = this.#find(next.stream, next.seq);
		const inFlight = open && !open.complete && !open.broken && open.parts.length ? { ...next, parts: open.parts } : undefined;
		// Parts are listed only when the segments before have theirs: a player then never skips media.
		const hint = open?.broken ? undefined : { ...next, index: inFlight?.parts.length ?? 0 };
		return { byMsn, inFlight, hint };
	}

	/** A part's request: here, worth waiting for (the next one of the segment in flight), or gone. */
	stateOf(window: LiveWindow, stream: string, seq: number, index: number): PartState {
		const segment = this.#find(stream, seq);
		const part = segment && !segment.broken ? segment.parts[index] : undefined;
		if (part) return { part };
		const newest = window.newest;
		if (!newest || segment?.complete || segment?.broken) return "gone";
		const next = nextOf(newest);
		return next.stream === stream && next.seq === seq && index <= (segment?.parts.length ?? 0) ? "wait" : "gone";
	}

	#find(stream: string, seq: number): PartSegment | undefined {
		return this.#segments.find((segment) => segment.seq === seq && segment.stream === stream);
	}

	#drop(segment: PartSegment): void {
		this.#segments = this.#segments.filter((kept) => kept !== segment);
		this.#bytes -= segment.bytes;
		this.#version++;
	}
}

/** The segment after `entry` in its stream (the one whose upload may be in flight). */
const nextOf = (entry: LiveEntry) => ({ stream: entry.row.stream, seq: entry.row.seq + 1 });

/** A fragment's duration (its video, else its first track) and whether it starts at a key frame; undefined when it does not read or is too long. */
function partOf(incoming: IncomingPart): LivePart | undefined {
	let independent = !incoming.init.video;
	let first = true;
	let info;
	try {
		info = parseSegment(incoming.bytes, incoming.init, undefined, (sample) => {
			if (first && sample.track.kind === "video") independent = sample.sync;
			if (sample.track.kind === "video") first = false;
		}, { part: true });
	}
	catch (error) {
		if (error instanceof Mp4Error) return undefined;
		throw error;
	}
	const spans = [...info.tracks.values()];
	const span = spans.find((s) => s.track.kind === "video") ?? spans[0];
	const durationMs = ((span.end - span.start) * 1000) / span.track.timescale;
	if (durationMs > partTargetMs) return undefined;
	return { index: incoming.index, bytes: incoming.bytes, durationMs, independent };
}
