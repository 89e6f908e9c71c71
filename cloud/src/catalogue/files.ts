// Recording files: listed and found for playback, and the assembly's steps —
// the windows still to assemble, their segments, a file row reserved under a
// free name, then published (its segments repointed into it) or abandoned.
import type { Sql } from "../meta/sql.js";
import { isTombstoned } from "../storage/tombstones.js";
import type { RecordingFile } from "./schema.js";

/** Assembled files of a channel overlapping [fromMs, toMs), oldest first. */
export function listFiles(sql: Sql, device: string, channel: number, fromMs: number, toMs: number): Promise<RecordingFile[]> {
	return sql.all<RecordingFile>(`SELECT id, device, channel, stream, key, name, start_ms AS "startMs", end_ms AS "endMs", bytes, segments FROM files
		WHERE device = ? AND channel = ? AND state = 'done' AND deleted IS NULL AND start_ms < ? AND end_ms > ?
		ORDER BY start_ms, id`, [device, channel, toMs, fromMs]);
}

/** The live, assembled file `name` of a channel. */
export function doneFile(sql: Sql, device: string, channel: number, name: string): Promise<{ key: string; bytes: number } | undefined> {
	return sql.get("SELECT key, bytes FROM files WHERE device = ? AND channel = ? AND name = ? AND state = 'done' AND deleted IS NULL", [device, channel, name]);
}

/** A window of one stream with segments not yet in a file. */
export interface OpenWindow {
	device: string;
	channel: number;
	stream: string;
	window: number;
	last_created: number;
	latest_start: number;
	ended: number | null;
	init_key: string;
}

/** A segment to copy into a file: where its bytes are now. */
export interface SegmentPiece {
	id: number;
	seq: number;
	start_ms: number;
	end_ms: number;
	bytes: number;
	key: string;
	offset: number;
}

/**
 * Rows left 'assembling' by a holder other than `holder` (it died, or lost the
 * lease): their segments were never repointed, so the windows are simply redone.
 */
export async function forgetAbandonedFiles(sql: Sql, holder: string): Promise<void> {
	await sql.run("DELETE FROM files WHERE state = 'assembling' AND (holder IS NULL OR holder != ?)", [holder]);
}

/** The windows of `lengthMs` (aligned to the epoch) holding live segments not yet in a file, oldest first. */
export function openWindows(sql: Sql, lengthMs: number): Promise<OpenWindow[]> {
	// (% works on integers in SQLite; "/" would divide as REAL: JS numbers bind as doubles.)
	return sql.all<OpenWindow>(`SELECT s.device, s.channel, s.stream, s.start_ms - s.start_ms % ? AS "window",
			MAX(s.created) AS last_created, st.ended, st.init_key,
			(SELECT x.start_ms FROM segments x WHERE x.device = s.device AND x.channel = s.channel AND x.stream = s.stream ORDER BY x.seq DESC LIMIT 1) AS latest_start
		FROM segments s JOIN streams st ON st.device = s.device AND st.channel = s.channel AND st.stream = s.stream
		WHERE s.file_id IS NULL AND s.deleted IS NULL
		GROUP BY s.device, s.channel, s.stream, 4, st.ended, st.init_key
		ORDER BY 4`, [lengthMs]);
}

/** The live segments of a window not yet in a file, by seq. */
export function windowSegments(sql: Sql, window: OpenWindow, span: { start: number; end: number }): Promise<SegmentPiece[]> {
	return sql.all<SegmentPiece>(`SELECT id, seq, start_ms, end_ms, bytes, key, "offset" FROM segments
		WHERE device = ? AND channel = ? AND stream = ? AND start_ms >= ? AND start_ms < ? AND file_id IS NULL AND deleted IS NULL
		ORDER BY seq`, [window.device, window.channel, window.stream, span.start, span.end]);
}

export interface NewFile {
	device: string;
	channel: number;
	stream: string;
	window_ms: number;
	start_ms: number;
	end_ms: number;
	bytes: number;
	segments: number;
	holder: string;
	created: number;
}

/**
 * Reserves a file row ('assembling', held by `holder`) under the first name
 * `nameFor(1)`, `nameFor(2)`, … whose key no file and no tombstone uses: a
 * second recording of a window (late segments) gets its own name.
 */
export function reserveFile(sql: Sql, file: NewFile, nameFor: (n: number) => { name: string; key: string }): Promise<{ id: number; key: string }> {
	return sql.transaction(async (tx) => {
		for (let n = 1; ; n++) {
			const { name, key } = nameFor(n);
			if (await tx.get("SELECT 1 FROM files WHERE key = ?", [key]) || await isTombstoned(tx, key)) continue;
			const { id } = (await tx.get<{ id: number }>(`INSERT INTO files (device, channel, stream, window_ms, name, start_ms, end_ms, key, bytes, segments, state, holder, created)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'assembling', ?, ?) RETURNING id`, [file.device, file.channel, file.stream, file.window_ms, name, file.start_ms, file.end_ms,
				key, file.bytes, file.segments, file.holder, file.created]))!;
			return { id, key };
		}
	});
}

/** Drops a reserved file whose upload failed. */
export async function abandonFile(sql: Sql, id: number, holder: string): Promise<void> {
	await sql.run("DELETE FROM files WHERE id = ? AND holder = ? AND state = 'assembling'", [id, holder]);
}

/**
 * Marks the reserved file done and repoints its segments into it (`offsets[i]`
 * where `segments[i]` starts), those still live and where they were; call
 * inside the publishing transaction. Returns the old keys of the segments
 * moved, or undefined when the file is no longer this holder's to publish.
 */
export async function publishFile(tx: Sql, id: number, holder: string, key: string, segments: SegmentPiece[], offsets: number[], shift: string | null = null): Promise<Set<string> | undefined> {
	if ((await tx.run("UPDATE files SET state = 'done', holder = NULL WHERE id = ? AND state = 'assembling' AND holder = ?", [id, holder])).changes !== 1) return undefined;
	const oldKeys = new Set<string>();
	for (const [i, segment] of segments.entries())
		if ((await tx.run(`UPDATE segments SET key = ?, "offset" = ?, file_id = ?, file_shift = ? WHERE id = ? AND key = ? AND file_id IS NULL AND deleted IS NULL`, [key, offsets[i], id, shift, segment.id, segment.key])).changes === 1)
			oldKeys.add(segment.key);
	return oldKeys;
}

export async function markFileDeleted(sql: Sql, id: number, now: number): Promise<void> {
	await sql.run("UPDATE files SET deleted = ? WHERE id = ?", [now, id]);
}
