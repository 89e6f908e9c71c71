// A removed device's recordings: every row of it in streams, segments, files
// and hls_streams goes at once (a device added again under its id starts with
// nothing), and the objects they point at — init segments, segments,
// recording files, even one still being assembled — are collected for the
// tombstones, so a playback in progress is not cut before the grace ends.
import type { Db } from "../meta/db.js";

/** Deletes the device's recording rows; adds their object keys to `keys`; returns how many rows. */
export function forgetDeviceRecordings(db: Db, device: string, keys: Set<string>): number {
	// Each query is led by device in its table's index (segments_time, files_time, the primary keys).
	for (const sql of ["SELECT key FROM segments WHERE device = ?", "SELECT key FROM files WHERE device = ?", "SELECT init_key AS key FROM streams WHERE device = ?"])
		for (const { key } of db.prepare(sql).all(device) as { key: string }[]) keys.add(key);
	let rows = 0;
	for (const table of ["segments", "files", "streams", "hls_streams"]) rows += db.prepare(`DELETE FROM ${table} WHERE device = ?`).run(device).changes;
	return rows;
}
