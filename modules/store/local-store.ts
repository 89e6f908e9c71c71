/**
 * The camera's local recording store (SPEC §2 playback; issue 14 §2): a folder (the SD card on
 * a board, a folder under the data dir on Linux) of finished fMP4 segments named by their span
 * (naming.ts), each ending in its own time index (time-index.ts). Bounded: after each segment
 * the oldest are deleted until the folder holds at most `maxBytes` (+ the segment being written).
 * Opening the store scans the folder: a `.part` file is what a power cut interrupted — deleted.
 * File access is injected (`StoreFiles`: ivxs/platform's functions), so the rules run under
 * Node's tests too.
 */
import { isPartName, parseSegmentName, partName, segmentName } from "./naming.js";
import { decodeIndex, indexSize, MFRO_BYTES, type IndexEntry } from "./time-index.js";
import { trimOldest } from "./oldest-first.js";

export interface StoreFiles {
	makeDirectory(path: string): void;
	listDirectory(path: string): { name: string; size: number }[];
	removeFile(path: string): void;
	renameFile(from: string, to: string): void;
	readFile(path: string, options: { offset: number; maxBytes: number }): ArrayBuffer;
}

export interface StoredSegment {
	start: number;
	end: number;
	bytes: number;
}

export interface LocalStoreOptions {
	/** The folder (created if missing, one level). */
	dir: string;
	/** Bytes the finished segments may take; the oldest go first. */
	maxBytes: number;
	files: StoreFiles;
	log?: (message: string) => void;
}

export class LocalStore {
	readonly #o: LocalStoreOptions;
	/** Oldest first. */
	readonly #segments: StoredSegment[] = [];
	#bytes = 0;

	constructor(options: LocalStoreOptions) {
		if (!(options.maxBytes > 0)) throw new RangeError("store: maxBytes must be > 0");
		this.#o = options;
	}

	/** Scans the folder: indexes the finished segments, deletes interrupted ones, trims. */
	open(): { segments: number; interrupted: number } {
		const { dir, files } = this.#o;
		files.makeDirectory(dir);
		let interrupted = 0;
		this.#segments.length = 0;
		this.#bytes = 0;
		for (const { name, size } of files.listDirectory(dir)) {
			const span = parseSegmentName(name);
			if (span) this.#segments.push({ ...span, bytes: size });
			else if (isPartName(name)) {
				files.removeFile(this.#path(name));
				interrupted++;
			}
		}
		this.#segments.sort((a, b) => a.start - b.start);
		for (const s of this.#segments) this.#bytes += s.bytes;
		if (interrupted) this.#log(`${interrupted} interrupted segment(s) deleted`);
		this.#trim();
		return { segments: this.#segments.length, interrupted };
	}

	/** Oldest first. */
	get segments(): readonly StoredSegment[] {
		return this.#segments;
	}

	get bytes(): number {
		return this.#bytes;
	}

	/** Where the segment starting at `start` is written until it is finished. */
	partPath(start: number): string {
		return this.#path(partName(start));
	}

	/** The segment written at partPath(start) is finished: it gets its name, then the oldest go. */
	commit(start: number, end: number, bytes: number): StoredSegment {
		this.#o.files.renameFile(this.partPath(start), this.#path(segmentName(start, end)));
		const segment = { start, end, bytes };
		let at = this.#segments.length;
		while (at > 0 && this.#segments[at - 1].start > start) at--;
		// (the usual case appends: XS's splice into an empty array hands memcpy a null pointer, UBSan)
		if (at === this.#segments.length) this.#segments.push(segment);
		else this.#segments.splice(at, 0, segment);
		this.#bytes += bytes;
		this.#trim();
		return segment;
	}

	/** A segment that could not be finished (torn, overtaken): its part file goes. */
	discard(start: number): void {
		this.#o.files.removeFile(this.partPath(start));
	}

	/** Segments overlapping [from, to), oldest first. */
	overlapping(from: number, to: number): StoredSegment[] {
		return this.#segments.filter((s) => s.end > from && s.start < to);
	}

	/** The recorded spans within [from, to): adjacent segments merged (a gap of ≤ `joinMs` joins). */
	spans(from: number, to: number, joinMs = 1000): Array<[number, number]> {
		const spans: Array<[number, number]> = [];
		for (const s of this.overlapping(from, to)) {
			const last = spans[spans.length - 1];
			if (last && s.start - last[1] <= joinMs) last[1] = Math.max(last[1], s.end);
			else spans.push([s.start, s.end]);
		}
		return spans;
	}

	/** The segment's time index, or undefined (unreadable, or the file went meanwhile). */
	index(segment: StoredSegment): IndexEntry[] | undefined {
		try {
			const path = this.#path(segmentName(segment.start, segment.end));
			const tail = this.#o.files.readFile(path, { offset: segment.bytes - MFRO_BYTES, maxBytes: MFRO_BYTES });
			const size = indexSize(tail, segment.bytes);
			if (size === undefined) return undefined;
			return decodeIndex(this.#o.files.readFile(path, { offset: segment.bytes - size, maxBytes: size }), segment.bytes);
		}
		catch (error) {
			this.#log(`segment ${segment.start}: ${(error as Error).message}`);
			return undefined;
		}
	}

	/** `length` bytes of the segment from `offset` (fewer at its end). */
	read(segment: StoredSegment, offset: number, length: number): ArrayBuffer {
		return this.#o.files.readFile(this.#path(segmentName(segment.start, segment.end)), { offset, maxBytes: length });
	}

	#trim(): void {
		// the newest stays even when alone it is over the bound: a store that keeps nothing is worse
		this.#bytes = trimOldest(this.#segments, this.#bytes, this.#o.maxBytes, (oldest) => this.#o.files.removeFile(this.#path(segmentName(oldest.start, oldest.end))), 1);
	}

	#path(name: string): string {
		return `${this.#o.dir}/${name}`;
	}

	#log(message: string): void {
		this.#o.log?.(`store: ${message}`);
	}
}
