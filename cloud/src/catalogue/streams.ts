// Streams: one row per init segment (ingest adds and ends them; playback and
// the assembly read them), and their live-HLS numbers.
import type { Sql } from "../meta/sql.js";
import type { StreamRow } from "./schema.js";

export function streamOf(sql: Sql, device: string, channel: number, stream: string): Promise<StreamRow | undefined> {
	return sql.get<StreamRow>("SELECT * FROM streams WHERE device = ? AND channel = ? AND stream = ?", [device, channel, stream]);
}

/** Whether a stream's row names `key` (media/<device>/<channel>/<stream>/init.mp4) as its init object. */
export async function initUses(sql: Sql, device: string, channel: number, stream: string, key: string): Promise<boolean> {
	return await sql.get("SELECT 1 FROM streams WHERE device = ? AND channel = ? AND stream = ? AND init_key = ?", [device, channel, stream, key]) !== undefined;
}

/** Stores a new stream; false when one with its ids is there already. */
export async function addStream(sql: Sql, row: Omit<StreamRow, "ended">): Promise<boolean> {
	return (await sql.run(`INSERT INTO streams (device, channel, stream, epoch_ms, init_key, codecs, width, height, has_video, has_audio, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, [row.device, row.channel, row.stream, row.epoch_ms, row.init_key, row.codecs,
		row.width, row.height, row.has_video, row.has_audio, row.created])).changes === 1;
}

/** Marks a stream ended at `now`; false when there is no such stream or it had ended already. */
export async function endStream(sql: Sql, device: string, channel: number, stream: string, now: number): Promise<boolean> {
	return (await sql.run("UPDATE streams SET ended = ? WHERE device = ? AND channel = ? AND stream = ? AND ended IS NULL", [now, device, channel, stream])).changes > 0;
}

const KNOWN_NUMBERS = "SELECT base, disc FROM hls_streams WHERE device = ? AND channel = ? AND stream = ?";

/** Media sequence and discontinuity numbers of a stream for live HLS: made once, then read by every instance. */
export async function hlsNumbersOf(sql: Sql, row: { device: string; channel: number; stream: string }): Promise<{ base: number; disc: number }> {
	const ids = [row.device, row.channel, row.stream];
	const numbers = await sql.get<{ base: number; disc: number }>(KNOWN_NUMBERS, ids);
	if (numbers) return numbers;
	return sql.transaction(async (tx) => {
		// After every stream numbered before it: the previous streams' last numbers + 1.
		const after = (await tx.get<{ base: number | null; disc: number | null }>(`SELECT MAX(h.base + COALESCE((SELECT MAX(s.seq) FROM segments s WHERE s.device = h.device AND s.channel = h.channel AND s.stream = h.stream), 0) + 1) AS base,
			MAX(h.disc) + 1 AS disc FROM hls_streams h WHERE h.device = ? AND h.channel = ?`, [row.device, row.channel]))!;
		await tx.run("INSERT INTO hls_streams (device, channel, stream, base, disc) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", [...ids, after.base ?? 0, after.disc ?? 0]);
		return (await tx.get<{ base: number; disc: number }>(KNOWN_NUMBERS, ids))!;
	});
}
