// The catalogue's tables: what was recorded — `streams` (one row per init
// segment) and `segments` (one per committed segment) — the recording files
// assembled from it (`files`), and the live-HLS numbers of each stream
// (`hls_streams`). Only the catalogue's modules write SQL on these tables;
// ingest, playback, recordings and retention call its named operations.
// A segment row is written only after its object is wholly stored, so a row
// always points at bytes that exist; readers read `key` at `offset` for
// `bytes` (an assembled file repoints its segments into it).
import { defineMigrations } from "../meta/db.js";

defineMigrations("streams", [`
CREATE TABLE IF NOT EXISTS streams (
	device TEXT NOT NULL,
	channel INTEGER NOT NULL,
	stream TEXT NOT NULL,
	epoch_ms INTEGER NOT NULL,
	init_key TEXT NOT NULL,
	codecs TEXT NOT NULL,
	width INTEGER,
	height INTEGER,
	has_video INTEGER NOT NULL,
	has_audio INTEGER NOT NULL,
	created INTEGER NOT NULL,
	ended INTEGER,
	PRIMARY KEY (device, channel, stream)
);`]);

// The partial indexes serve the upkeep (assembly, retention, deletions): each
// periodic run costs what it has to do, not a scan of every segment ever kept
// (at 1,000 cameras, one segment per 2 s, 7 days: 300 million rows).
defineMigrations("segments", [`
CREATE TABLE IF NOT EXISTS segments (
	id INTEGER PRIMARY KEY,
	device TEXT NOT NULL,
	channel INTEGER NOT NULL,
	stream TEXT NOT NULL,
	seq INTEGER NOT NULL,
	start_ms INTEGER NOT NULL,
	end_ms INTEGER NOT NULL,
	bytes INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	key TEXT NOT NULL,
	"offset" INTEGER NOT NULL DEFAULT 0, -- quoted: reserved in PostgreSQL
	file_id INTEGER,
	created INTEGER NOT NULL,
	deleted INTEGER,
	UNIQUE (device, channel, stream, seq)
);
CREATE INDEX IF NOT EXISTS segments_time ON segments (device, channel, start_ms);
-- Assembly: the windows still to assemble.
CREATE INDEX IF NOT EXISTS segments_unassembled ON segments (device, channel, stream, start_ms) WHERE file_id IS NULL AND deleted IS NULL;
-- Retention by age, per device; and the devices themselves (skip scan).
CREATE INDEX IF NOT EXISTS segments_live_age ON segments (device, start_ms) WHERE deleted IS NULL;
-- A file goes with its last live segment; an object with its last reader.
CREATE INDEX IF NOT EXISTS segments_live_file ON segments (file_id) WHERE deleted IS NULL;
CREATE INDEX IF NOT EXISTS segments_live_key ON segments (key) WHERE deleted IS NULL;
-- Forgetting deleted rows.
CREATE INDEX IF NOT EXISTS segments_deleted ON segments (deleted) WHERE deleted IS NOT NULL;`,
// A recording file starts at time 0: the fragments it holds were moved back in decode time by
// this much (JSON, track_ID → ticks; recordings/assemble.ts), and readers move them forward again.
"ALTER TABLE segments ADD COLUMN file_shift TEXT"]);

// Segments a camera uploaded only for live view (PROTOCOL §3.2 `live=1`, a
// viewer's lease, §5): kept until `expires`, then dropped like retention drops.
defineMigrations("live_only", [`
CREATE TABLE IF NOT EXISTS live_only (
	segment INTEGER PRIMARY KEY,
	expires INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS live_only_expires ON live_only (expires);`]);

// One row per assembled file (the seed's split into fileMinutes windows); its
// segments point into it (segments.key = files.key, segments.offset = where
// the segment starts).
defineMigrations("files", [`
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
CREATE INDEX IF NOT EXISTS files_time ON files (device, channel, start_ms);
CREATE INDEX IF NOT EXISTS files_live ON files (start_ms) WHERE deleted IS NULL AND state = 'done';
CREATE INDEX IF NOT EXISTS files_deleted ON files (deleted) WHERE deleted IS NOT NULL;`]);

defineMigrations("hls_streams", [`
CREATE TABLE IF NOT EXISTS hls_streams (
	device TEXT NOT NULL,
	channel INTEGER NOT NULL,
	stream TEXT NOT NULL,
	base INTEGER NOT NULL,
	disc INTEGER NOT NULL,
	PRIMARY KEY (device, channel, stream)
);`]);

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

export interface SegmentRow {
	id: number;
	device: string;
	channel: number;
	stream: string;
	seq: number;
	start_ms: number;
	end_ms: number;
	bytes: number;
	sha256: string;
	key: string;
	offset: number;
	file_id: number | null;
	/** In a file whose fragments start at 0: how far they were moved (JSON, track_ID → ticks); null otherwise. */
	file_shift: string | null;
	created: number;
	deleted: number | null;
}

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
