// A removed device's recordings: every row of it in streams, segments, files
// and hls_streams goes at once (a device added again under its id starts with
// nothing), and the objects they point at — init segments, segments,
// recording files, even one still being assembled — are collected for the
// tombstones, so a playback in progress is not cut before the grace ends.
import type { Sql } from "../meta/sql.js";
import { addDropped, type DroppedKeys } from "./upkeep.js";

/** Deletes the device's recording rows (inside removal's transaction); adds their object keys (with the bytes they hold) to `keys`; returns how many rows. */
export async function forgetDeviceRecordings(tx: Sql, device: string, keys: DroppedKeys): Promise<number> {
	// Each query is led by device in its table's index (segments_time, files_time, the primary keys).
	// Bytes as the size cap counts them (retention/room.ts): a live loose segment's own, a file's;
	// none for a segment inside a file or a row already deleted (its object was counted then).
	for (const query of [
		"SELECT key, CASE WHEN deleted IS NULL AND file_id IS NULL THEN bytes ELSE 0 END AS bytes FROM segments WHERE device = ?",
		"SELECT key, CASE WHEN deleted IS NULL THEN bytes ELSE 0 END AS bytes FROM files WHERE device = ?",
		"SELECT init_key AS key, 0 AS bytes FROM streams WHERE device = ?",
	])
		for (const { key, bytes } of await tx.all<{ key: string; bytes: number }>(query, [device])) addDropped(keys, key, bytes);
	// Its live-only marks first: they name segments by id, and a deleted id may be given again.
	let rows = (await tx.run("DELETE FROM live_only WHERE segment IN (SELECT id FROM segments WHERE device = ?)", [device])).changes;
	for (const table of ["segments", "files", "streams", "hls_streams"]) rows += (await tx.run(`DELETE FROM ${table} WHERE device = ?`, [device])).changes;
	return rows;
}
