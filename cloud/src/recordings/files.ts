// Recording files: the seed's split of recordings into one MP4 per window of
// `fileMinutes` (90 by default), windows aligned to multiples of that length
// since the epoch, named `<device>-<channel>_<start>_<end>` (config.fileName)
// with compact UTC times. One row per assembled file; its segments point into
// it (segments.key = files.key, segments.offset = where the segment starts).
import { defineSchema, type Db } from "../meta/db.js";
import type { Config } from "../config.js";
import { objectKey } from "../storage/object-store.js";

defineSchema("files", `
CREATE TABLE IF NOT EXISTS files (
	id INTEGER PRIMARY KEY,
	device TEXT NOT NULL,
	channel INTEGER NOT NULL,
	stream TEXT NOT NULL,
	window_ms INTEGER NOT NULL,
	name TEXT NOT NULL,
	start_ms INTEGER NOT NULL,
	end_ms INTEGER NOT NULL,
	key TEXT NOT NULL UNIQUE,
	bytes INTEGER NOT NULL DEFAULT 0,
	segments INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL CHECK (state IN ('open', 'assembling', 'done')),
	holder TEXT,
	created INTEGER NOT NULL,
	deleted INTEGER
);
CREATE INDEX IF NOT EXISTS files_time ON files (device, channel, start_ms);`);

export interface RecordingFile {
	id: number;
	device: string;
	channel: number;
	stream: string;
	/** Object key of the MP4 (init segment + the stream's fragments in order). */
	key: string;
	name: string;
	/** Wall-clock span of the media inside (first segment start, last segment end), unix ms. */
	startMs: number;
	endMs: number;
	bytes: number;
	segments: number;
}

/** Compact UTC time as in the seed's file names: 20261122T133000Z. */
export function compactUtc(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

export function windowOf(config: Config, ms: number): { start: number; end: number } {
	const length = config.fileMinutes * 60_000;
	const start = Math.floor(ms / length) * length;
	return { start, end: start + length };
}

/** The file name (without .mp4) and object key of a window's file. */
export function fileNameFor(config: Config, device: string, channel: number, window: { start: number; end: number }, suffix = ""): { name: string; key: string } {
	const name = config.fileName
		.replaceAll("{name}", `${device}-${channel}`)
		.replaceAll("{start}", compactUtc(window.start))
		.replaceAll("{end}", compactUtc(window.end)) + suffix;
	return { name, key: objectKey("files", device, channel, `${name}.mp4`) };
}

/** Assembled files of a channel overlapping [fromMs, toMs), oldest first. */
export function listFiles(db: Db, device: string, channel: number, fromMs: number, toMs: number): RecordingFile[] {
	return db.prepare(`SELECT id, device, channel, stream, key, name, start_ms AS startMs, end_ms AS endMs, bytes, segments FROM files
		WHERE device = ? AND channel = ? AND state = 'done' AND deleted IS NULL AND start_ms < ? AND end_ms > ?
		ORDER BY start_ms, id`).all(device, channel, toMs, fromMs) as RecordingFile[];
}
