// The ingest metadata: `streams` (one row per init segment) and `segments`
// (one row per committed segment), as agreed in CLOUD.md. A segment row is
// written only after its object is wholly stored, so a row always points at
// bytes that exist; readers read `key` at `offset` for `bytes` (the
// recordings part may repoint rows into an assembled file).
import type Database from "better-sqlite3";
import { defineSchema, type Db } from "../meta/db.js";

defineSchema("streams", `
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
);`);

defineSchema("segments", `
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
	offset INTEGER NOT NULL DEFAULT 0,
	file_id INTEGER,
	created INTEGER NOT NULL,
	deleted INTEGER,
	UNIQUE (device, channel, stream, seq)
);
CREATE INDEX IF NOT EXISTS segments_time ON segments (device, channel, start_ms);`);

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
	created: number;
	deleted: number | null;
}

// Statements prepared once per database handle: ingest runs them per request.
const prepared = new WeakMap<Db, Map<string, Database.Statement<any[]>>>();
export function statement(db: Db, sql: string): Database.Statement<any[]> {
	let map = prepared.get(db);
	if (!map) prepared.set(db, map = new Map());
	let stmt = map.get(sql);
	if (!stmt) map.set(sql, stmt = db.prepare(sql));
	return stmt;
}

export function streamOf(db: Db, device: string, channel: number, stream: string): StreamRow | undefined {
	return statement(db, "SELECT * FROM streams WHERE device = ? AND channel = ? AND stream = ?").get(device, channel, stream) as StreamRow | undefined;
}

/** Live segments of a channel (all its streams) that overlap [fromMs, toMs), by start time. */
export function segmentsBetween(db: Db, device: string, channel: number, fromMs: number, toMs: number): SegmentRow[] {
	return statement(db, `SELECT * FROM segments WHERE device = ? AND channel = ? AND start_ms < ? AND end_ms > ? AND deleted IS NULL
		ORDER BY start_ms, seq`).all(device, channel, toMs, fromMs) as SegmentRow[];
}

export function segmentAt(db: Db, device: string, channel: number, stream: string, seq: number): SegmentRow | undefined {
	return statement(db, "SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq = ?").get(device, channel, stream, seq) as SegmentRow | undefined;
}

/** The stored segments of the stream just before and just after `seq` (their times bound the new one's). */
export function neighbours(db: Db, device: string, channel: number, stream: string, seq: number): { before?: SegmentRow; after?: SegmentRow } {
	const before = statement(db, "SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq < ? ORDER BY seq DESC LIMIT 1").get(device, channel, stream, seq) as SegmentRow | undefined;
	const after = statement(db, "SELECT * FROM segments WHERE device = ? AND channel = ? AND stream = ? AND seq > ? ORDER BY seq LIMIT 1").get(device, channel, stream, seq) as SegmentRow | undefined;
	return { before, after };
}
