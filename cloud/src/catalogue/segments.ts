// Segments for ingest and playback: the row of a seq, its neighbours (their
// times bound a new one's), the commit, and the reads by time.
import type { Sql } from "../meta/sql.js";
import type { SegmentRow } from "./schema.js";

// Segment times are rounded to ms; a next segment may start this much before the last one ended.
const OVERLAP_TOLERANCE_MS = 1;

export function segmentAt(sql: Sql, device: string, channel: number, stream: string, seq: number): Promise<SegmentRow | undefined> {
	return sql.get<SegmentRow>("SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq = ?", [device, channel, stream, seq]);
}

/** The stored segments of the stream just before and just after `seq` (their times bound the new one's), in one query. */
async function neighbours(sql: Sql, device: string, channel: number, stream: string, seq: number): Promise<{ before?: SegmentRow; after?: SegmentRow }> {
	const rows = await sql.all<SegmentRow>(`SELECT * FROM (SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq < ? ORDER BY seq DESC LIMIT 1) b
		UNION ALL SELECT * FROM (SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq > ? ORDER BY seq LIMIT 1) a`, [device, channel, stream, seq, device, channel, stream, seq]);
	return { before: rows.find((row) => row.seq < seq), after: rows.find((row) => row.seq > seq) };
}

/** The lock that orders the transactions writing a device's segments against its removal. */
export const deviceLock = (device: string): string => `device:${device}`;

export type NewSegment = Pick<SegmentRow, "device" | "channel" | "stream" | "seq" | "start_ms" | "end_ms" | "bytes" | "sha256" | "key" | "created">;

/**
 * Why `row` cannot take its seq (PROTOCOL.md §3.2: decode times increase with seq): it starts
 * before the stored segment below it ends, or ends after the one above it starts. Undefined: it fits.
 */
export async function orderConflict(sql: Sql, row: NewSegment): Promise<string | undefined> {
	const { before, after } = await neighbours(sql, row.device, row.channel, row.stream, row.seq);
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
 * `uploaderRegistered` says (reading through the transaction) that the device that uploaded it was
 * removed meanwhile, `gone` (a device added again under its id must not inherit what the old one had in flight).
 */
export function addSegment(sql: Sql, row: NewSegment, uploaderRegistered: (tx: Sql) => Promise<boolean> = async () => true): Promise<Added> {
	// Ordered by its device's lock against every other insert of the device's segments and against
	// its removal (devices/removal.ts): on PostgreSQL no predicate locks are needed, and inserts of
	// other devices' segments on the same index pages do not abort it (they did, under load, by the hundred).
	return sql.transaction(async (tx): Promise<Added> => {
		if (!await uploaderRegistered(tx)) return { added: false, gone: true };
		const raced = await segmentAt(tx, row.device, row.channel, row.stream, row.seq);
		if (raced) return { added: false, row: raced };
		const conflict = await orderConflict(tx, row);
		if (conflict) return { added: false, conflict };
		const { id } = (await tx.get<{ id: number }>(`INSERT INTO segments (device, channel, stream, seq, start_ms, end_ms, bytes, sha256, key, "offset", created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) RETURNING id`, [row.device, row.channel, row.stream, row.seq, row.start_ms, row.end_ms, row.bytes, row.sha256, row.key, row.created]))!;
		return { added: true, row: { ...row, id, offset: 0, file_id: null, file_shift: null, deleted: null } };
	}, { lock: deviceLock(row.device), isolation: "read committed" });
}

/** Live segments of a channel (all its streams) that overlap [fromMs, toMs), by start time. */
export function segmentsBetween(sql: Sql, device: string, channel: number, fromMs: number, toMs: number): Promise<SegmentRow[]> {
	return sql.all<SegmentRow>(`SELECT * FROM segments WHERE device = ? AND channel = ? AND start_ms < ? AND end_ms > ? AND deleted IS NULL
		ORDER BY start_ms, seq`, [device, channel, toMs, fromMs]);
}

/**
 * Live segments overlapping [fromMs, toMs), by start time, at most `limit`.
 * The walk is bounded from below (the start of the segment holding fromMs),
 * so a list near now does not scan the history.
 */
export function segmentsOverlapping(sql: Sql, device: string, channel: number, fromMs: number, toMs: number, limit = 1e6): Promise<SegmentRow[]> {
	// The index is on start_ms: find where the segment holding fromMs starts, then walk forward.
	return sql.all<SegmentRow>(`SELECT * FROM segments
		WHERE device = ? AND channel = ? AND deleted IS NULL AND start_ms < ? AND end_ms > ?
		AND start_ms >= COALESCE((SELECT MAX(start_ms) FROM segments WHERE device = ? AND channel = ? AND deleted IS NULL AND start_ms <= ?), 0)
		ORDER BY start_ms, seq LIMIT ?`, [device, channel, toMs, fromMs, device, channel, fromMs, limit]);
}

/** The newest `count` live segments, oldest first. */
export async function newestSegments(sql: Sql, device: string, channel: number, count: number): Promise<SegmentRow[]> {
	const rows = await sql.all<SegmentRow>(`SELECT * FROM segments WHERE device = ? AND channel = ? AND deleted IS NULL
		ORDER BY start_ms DESC, seq DESC LIMIT ?`, [device, channel, count]);
	return rows.reverse();
}
