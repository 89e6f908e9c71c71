// Reads of the ingest part's tables (`streams`, `segments`; schema in
// cloud/CLOUD.md, owner: ingest) and of the bytes they point to. Readers always
// read `key` at `offset` for `bytes`: the recordings part may repoint a
// segment into an assembled file.
import type { CloudContext } from "../context.js";
import type { Db } from "../meta/db.js";

export interface SegmentRow {
	id: number;
	device: string;
	channel: number;
	stream: string;
	seq: number;
	start_ms: number;
	end_ms: number;
	bytes: number;
	key: string;
	offset: number;
	deleted: number | null;
}

export interface StreamRow {
	device: string;
	channel: number;
	stream: string;
	epoch_ms: number;
	init_key: string;
	codecs: string;
	width: number | null;
	height: number | null;
	has_video: number;
	has_audio: number;
	created: number;
	ended: number | null;
}

const columns = `id, device, channel, stream, seq, start_ms, end_ms, bytes, key, "offset" AS offset, deleted`;

/** Live segments overlapping [fromMs, toMs), by start time, at most `limit`. */
export function segmentsOverlapping(db: Db, device: string, channel: number, fromMs: number, toMs: number, limit = 1e6): SegmentRow[] {
	// The index is on start_ms: find where the segment holding fromMs starts, then walk forward.
	return db.prepare(`SELECT ${columns} FROM segments
		WHERE device = ? AND channel = ? AND deleted IS NULL AND start_ms < ? AND end_ms > ?
		AND start_ms >= COALESCE((SELECT MAX(start_ms) FROM segments WHERE device = ? AND channel = ? AND deleted IS NULL AND start_ms <= ?), 0)
		ORDER BY start_ms, seq LIMIT ?`).all(device, channel, toMs, fromMs, device, channel, fromMs, limit) as SegmentRow[];
}

/** The newest `count` live segments, oldest first. */
export function newestSegments(db: Db, device: string, channel: number, count: number): SegmentRow[] {
	const rows = db.prepare(`SELECT ${columns} FROM segments WHERE device = ? AND channel = ? AND deleted IS NULL
		ORDER BY start_ms DESC, seq DESC LIMIT ?`).all(device, channel, count) as SegmentRow[];
	return rows.reverse();
}

/** One segment, deleted or not: a playback in progress may still fetch a just-deleted one. */
export function segmentOf(db: Db, device: string, channel: number, stream: string, seq: number): SegmentRow | undefined {
	return db.prepare(`SELECT ${columns} FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq = ?`).get(device, channel, stream, seq) as SegmentRow | undefined;
}

export function streamRow(db: Db, device: string, channel: number, stream: string): StreamRow | undefined {
	return db.prepare("SELECT * FROM streams WHERE device = ? AND channel = ? AND stream = ?").get(device, channel, stream) as StreamRow | undefined;
}

/** The bytes of a segment, wherever they live now. */
export function segmentBytes(ctx: CloudContext, row: SegmentRow): Promise<Buffer> {
	return ctx.store.get(row.key, { start: row.offset, end: row.offset + row.bytes - 1 });
}
