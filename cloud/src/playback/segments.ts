// Reads of the ingest part's tables (`streams`, `segments`; owner: ingest)
// that playback needs beyond ingest's own helpers, and of the bytes they
// point to. segmentsOverlapping bounds its index walk from below (the start of
// the segment holding fromMs), so a list near now does not scan the history.
// Readers always read `key` at `offset` for `bytes`: the recordings part may
// repoint a segment into an assembled file.
import type { CloudContext } from "../context.js";
import type { Db } from "../meta/db.js";
import type { SegmentRow } from "../ingest/index.js";

export type { SegmentRow, StreamRow } from "../ingest/index.js";
export { streamOf } from "../ingest/index.js";
export { segmentAt } from "../ingest/store.js";

/** Live segments overlapping [fromMs, toMs), by start time, at most `limit`. */
export function segmentsOverlapping(db: Db, device: string, channel: number, fromMs: number, toMs: number, limit = 1e6): SegmentRow[] {
	// The index is on start_ms: find where the segment holding fromMs starts, then walk forward.
	return db.prepare(`SELECT * FROM segments
		WHERE device = ? AND channel = ? AND deleted IS NULL AND start_ms < ? AND end_ms > ?
		AND start_ms >= COALESCE((SELECT MAX(start_ms) FROM segments WHERE device = ? AND channel = ? AND deleted IS NULL AND start_ms <= ?), 0)
		ORDER BY start_ms, seq LIMIT ?`).all(device, channel, toMs, fromMs, device, channel, fromMs, limit) as SegmentRow[];
}

/** The newest `count` live segments, oldest first. */
export function newestSegments(db: Db, device: string, channel: number, count: number): SegmentRow[] {
	const rows = db.prepare(`SELECT * FROM segments WHERE device = ? AND channel = ? AND deleted IS NULL
		ORDER BY start_ms DESC, seq DESC LIMIT ?`).all(device, channel, count) as SegmentRow[];
	return rows.reverse();
}

/** The bytes of a segment, wherever they live now. */
export function segmentBytes(ctx: CloudContext, row: SegmentRow): Promise<Buffer> {
	return ctx.store.get(row.key, { start: row.offset, end: row.offset + row.bytes - 1 });
}
