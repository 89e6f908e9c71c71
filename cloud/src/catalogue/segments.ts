// Segments for ingest and playback: the row of a seq, its neighbours (their
// times bound a new one's), the commit, and the reads by time. Statements are
// prepared once per database handle: these run per request.
import { statement, type Db } from "../meta/db.js";
import type { SegmentRow } from "./schema.js";

// Segment times are rounded to ms; a next segment may start this much before the last one ended.
const OVERLAP_TOLERANCE_MS = 1;

export function segmentAt(db: Db, device: string, channel: number, stream: string, seq: number): SegmentRow | undefined {
	return statement(db, "SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq = ?").get(device, channel, stream, seq) as SegmentRow | undefined;
}

/** The stored segments of the stream just before and just after `seq` (their times bound the new one's). */
function neighbours(db: Db, device: string, channel: number, stream: string, seq: number): { before?: SegmentRow; after?: SegmentRow } {
	const before = statement(db, "SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq < ? ORDER BY seq DESC LIMIT 1").get(device, channel, stream, seq) as SegmentRow | undefined;
	const after = statement(db, "SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq > ? ORDER BY seq LIMIT 1").get(device, channel, stream, seq) as SegmentRow | undefined;
	return { before, after };
}

export type NewSegment = Pick<SegmentRow, "device" | "channel" | "stream" | "seq" | "start_ms" | "end_ms" | "bytes" | "sha256" | "key" | "created">;

/**
 * Why `row` cannot take its seq (PROTOCOL.md §3.2: decode times increase with seq): it starts
 * before the stored segment below it ends, or ends after the one above it starts. Undefined: it fits.
 */
export function orderConflict(db: Db, row: NewSegment): string | undefined {
	const { before, after } = neighbours(db, row.device, row.channel, row.stream, row.seq);
	if (before && row.start_ms < before.end_ms - OVERLAP_TOLERANCE_MS)
		return `segment ${row.seq} starts at ${row.start_ms}, before segment ${before.seq} ends (${before.end_ms}): decode times must increase with seq`;
	if (after && row.end_ms > after.start_ms + OVERLAP_TOLERANCE_MS)
		return `segment ${row.seq} ends at ${row.end_ms}, after segment ${after.seq} starts (${after.start_ms}): decode times must increase with seq`;
	return undefined;
}

export type Added = { added: true; row: SegmentRow } | { added: false; row: SegmentRow } | { added: false; conflict: string } | { added: false; gone: true };

/**
 * Inserts a segment whose object is stored, in one transaction with the checks that decide it:
 * when another upload of its seq won the race, that one's row (`added` false); when a neighbour
 * stored meanwhile makes its times out of order, the `conflict` (nothing is inserted); when
 * `uploaderRegistered` says the device that uploaded it was removed meanwhile, `gone` (a device
 * added again under its id must not inherit what the old one had in flight).
 */
export function addSegment(db: Db, row: NewSegment, uploaderRegistered: () => boolean = () => true): Added {
	return db.transaction((): Added => {
		if (!uploaderRegistered()) return { added: false, gone: true };
		const raced = segmentAt(db, row.device, row.channel, row.stream, row.seq);
		if (raced) return { added: false, row: raced };
		const conflict = orderConflict(db, row);
		if (conflict) return { added: false, conflict };
		const id = statement(db, `INSERT INTO segments (device, channel, stream, seq, start_ms, end_ms, bytes, sha256, key, offset, created)
			VALUES (@device, @channel, @stream, @seq, @start_ms, @end_ms, @bytes, @sha256, @key, 0, @created)`).run(row).lastInsertRowid;
		return { added: true, row: { ...row, id: Number(id), offset: 0, file_id: null, file_shift: null, deleted: null } };
	}).immediate();
}

/** Live segments of a channel (all its streams) that overlap [fromMs, toMs), by start time. */
export function segmentsBetween(db: Db, device: string, channel: number, fromMs: number, toMs: number): SegmentRow[] {
	return statement(db, `SELECT * FROM segments WHERE device = ? AND channel = ? AND start_ms < ? AND end_ms > ? AND deleted IS NULL
		ORDER BY start_ms, seq`).all(device, channel, toMs, fromMs) as SegmentRow[];
}

/**
 * Live segments overlapping [fromMs, toMs), by start time, at most `limit`.
 * The walk is bounded from below (the start of the segment holding fromMs),
 * so a list near now does not scan the history.
 */
export function segmentsOverlapping(db: Db, device: string, channel: number, fromMs: number, toMs: number, limit = 1e6): SegmentRow[] {
	// The index is on start_ms: find where the segment holding fromMs starts, then walk forward.
	return statement(db, `SELECT * FROM segments
		WHERE device = ? AND channel = ? AND deleted IS NULL AND start_ms < ? AND end_ms > ?
		AND start_ms >= COALESCE((SELECT MAX(start_ms) FROM segments WHERE device = ? AND channel = ? AND deleted IS NULL AND start_ms <= ?), 0)
		ORDER BY start_ms, seq LIMIT ?`).all(device, channel, toMs, fromMs, device, channel, fromMs, limit) as SegmentRow[];
}

/** The newest `count` live segments, oldest first. */
export function newestSegments(db: Db, device: string, channel: number, count: number): SegmentRow[] {
	const rows = statement(db, `SELECT * FROM segments WHERE device = ? AND channel = ? AND deleted IS NULL
		ORDER BY start_ms DESC, seq DESC LIMIT ?`).all(device, channel, count) as SegmentRow[];
	return rows.reverse();
}
