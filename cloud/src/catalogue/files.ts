// Recording files: listed and found for playback, and the assembly's steps —
// the windows still to assemble, their segments, a file row reserved under a
// free name, then published (its segments repointed into it) or abandoned.
// Upkeep statements are prepared per run (they run every few seconds, not per request);
// the playback reads once per database handle.
import { statement, type Db } from "../meta/db.js";
import { isTombstoned } from "../storage/tombstones.js";
import type { RecordingFile } from "./schema.js";

/** Assembled files of a channel overlapping [fromMs, toMs), oldest first. */
export function listFiles(db: Db, device: string, channel: number, fromMs: number, toMs: number): RecordingFile[] {
	return statement(db, `SELECT id, device, channel, stream, key, name, start_ms AS startMs, end_ms AS endMs, bytes, segments FROM files
		WHERE device = ? AND channel = ? AND state = 'done' AND deleted IS NULL AND start_ms < ? AND end_ms > ?
		ORDER BY start_ms, id`).all(device, channel, toMs, fromMs) as RecordingFile[];
}

/** The live, assembled file `name` of a channel. */
export function doneFile(db: Db, device: string, channel: number, name: string): { key: string; bytes: number } | undefined {
	return statement(db, "SELECT key, bytes FROM files WHERE device = ? AND channel = ? AND name = ? AND state = 'done' AND deleted IS NULL")
		.get(device, channel, name) as { key: string; bytes: number } | undefined;
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
export function forgetAbandonedFiles(db: Db, holder: string): void {
	db.prepare("DELETE FROM files WHERE state = 'assembling' AND (holder IS NULL OR holder != ?)").run(holder);
}

/** The windows of `lengthMs` (aligned to the epoch) holding live segments not yet in a file, oldest first. */
export function openWindows(db: Db, lengthMs: number): OpenWindow[] {
	// (% works on integers in SQLite; "/" would divide as REAL: JS numbers bind as doubles.)
	return db.prepare(`SELECT s.device, s.channel, s.stream, s.start_ms - s.start_ms % ? AS window,
			MAX(s.created) AS last_created, st.ended, st.init_key,
			(SELECT x.start_ms FROM segments x WHERE x.device = s.device AND x.channel = s.channel AND x.stream = s.stream ORDER BY x.seq DESC LIMIT 1) AS latest_start
		FROM segments s JOIN streams st ON st.device = s.device AND st.channel = s.channel AND st.stream = s.stream
		WHERE s.file_id IS NULL AND s.deleted IS NULL
		GROUP BY s.device, s.channel, s.stream, window
		ORDER BY window`).all(lengthMs) as OpenWindow[];
}

/** The live segments of a window not yet in a file, by seq. */
export function windowSegments(db: Db, window: OpenWindow, span: { start: number; end: number }): SegmentPiece[] {
	return db.prepare(`SELECT id, seq, start_ms, end_ms, bytes, key, "offset" FROM segments
		WHERE device = ? AND channel = ? AND stream = ? AND start_ms >= ? AND start_ms < ? AND file_id IS NULL AND deleted IS NULL
		ORDER BY seq`).all(window.device, window.channel, window.stream, span.start, span.end) as SegmentPiece[];
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
export function reserveFile(db: Db, file: NewFile, nameFor: (n: number) => { name: string; key: string }): { id: number; key: string } {
	return db.transaction(() => {
		for (let n = 1; ; n++) {
			const { name, key } = nameFor(n);
			if (db.prepare("SELECT 1 FROM files WHERE key = ?").get(key) || isTombstoned(db, key)) continue;
			const id = Number(db.prepare(`INSERT INTO files (device, channel, stream, window_ms, name, start_ms, end_ms, key, bytes, segments, state, holder, created)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'assembling', ?, ?)`).run(file.device, file.channel, file.stream, file.window_ms, name, file.start_ms, file.end_ms,
				key, file.bytes, file.segments, file.holder, file.created).lastInsertRowid);
			return { id, key };
		}
	}).immediate();
}

/** Drops a reserved file whose upload failed. */
export function abandonFile(db: Db, id: number, holder: string): void {
	db.prepare("DELETE FROM files WHERE id = ? AND holder = ? AND state = 'assembling'").run(id, holder);
}

/**
 * Marks the reserved file done and repoints its segments into it (`offsets[i]`
 * where `segments[i]` starts), those still live and where they were; call
 * inside the publishing transaction. Returns the old keys of the segments
 * moved, or undefined when the file is no longer this holder's to publish.
 */
export function publishFile(db: Db, id: number, holder: string, key: string, segments: SegmentPiece[], offsets: number[], shift: string | null = null): Set<string> | undefined {
	if (db.prepare("UPDATE files SET state = 'done', holder = NULL WHERE id = ? AND state = 'assembling' AND holder = ?").run(id, holder).changes !== 1) return undefined;
	const repoint = db.prepare(`UPDATE segments SET key = ?, "offset" = ?, file_id = ?, file_shift = ? WHERE id = ? AND key = ? AND file_id IS NULL AND deleted IS NULL`);
	const oldKeys = new Set<string>();
	segments.forEach((segment, i) => {
		if (repoint.run(key, offsets[i], id, shift, segment.id, segment.key).changes === 1) oldKeys.add(segment.key);
	});
	return oldKeys;
}

export function markFileDeleted(db: Db, id: number, now: number): void {
	db.prepare("UPDATE files SET deleted = ? WHERE id = ?").run(now, id);
}
