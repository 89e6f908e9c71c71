// Streams: one row per init segment (ingest adds and ends them; playback and
// the assembly read them), and their live-HLS numbers.
import { statement, type Db } from "../meta/db.js";
import type { StreamRow } from "./schema.js";

export function streamOf(db: Db, device: string, channel: number, stream: string): StreamRow | undefined {
	return statement(db, "SELECT * FROM streams WHERE device = ? AND channel = ? AND stream = ?").get(device, channel, stream) as StreamRow | undefined;
}

/** Stores a new stream; false when one with its ids is there already. */
export function addStream(db: Db, row: Omit<StreamRow, "ended">): boolean {
	return statement(db, `INSERT OR IGNORE INTO streams (device, channel, stream, epoch_ms, init_key, codecs, width, height, has_video, has_audio, created)
		VALUES (@device, @channel, @stream, @epoch_ms, @init_key, @codecs, @width, @height, @has_video, @has_audio, @created)`).run(row).changes === 1;
}

/** Marks a stream ended at `now`; false when there is no such stream or it had ended already. */
export function endStream(db: Db, device: string, channel: number, stream: string, now: number): boolean {
	return statement(db, "UPDATE streams SET ended = ? WHERE device = ? AND channel = ? AND stream = ? AND ended IS NULL").run(now, device, channel, stream).changes > 0;
}

/** Media sequence and discontinuity numbers of a stream for live HLS: made once, then read by every instance. */
export function hlsNumbersOf(db: Db, row: { device: string; channel: number; stream: string }): { base: number; disc: number } {
	const known = statement(db, "SELECT base, disc FROM hls_streams WHERE device = ? AND channel = ? AND stream = ?");
	let numbers = known.get(row.device, row.channel, row.stream) as { base: number; disc: number } | undefined;
	if (numbers) return numbers;
	db.transaction(() => {
		// After every stream numbered before it: the previous streams' last numbers + 1.
		const after = statement(db, `SELECT MAX(h.base + COALESCE((SELECT MAX(s.seq) FROM segments s WHERE s.device = h.device AND s.channel = h.channel AND s.stream = h.stream), 0) + 1) AS base,
			MAX(h.disc) + 1 AS disc FROM hls_streams h WHERE h.device = ? AND h.channel = ?`).get(row.device, row.channel) as { base: number | null; disc: number | null };
		statement(db, "INSERT OR IGNORE INTO hls_streams (device, channel, stream, base, disc) VALUES (?, ?, ?, ?, ?)")
			.run(row.device, row.channel, row.stream, after.base ?? 0, after.disc ?? 0);
	}).immediate();
	numbers = known.get(row.device, row.channel, row.stream) as { base: number; disc: number };
	return numbers;
}
