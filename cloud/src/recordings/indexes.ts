// Indexes the storage upkeep needs on tables other parts own (segments,
// snapshots). Partial indexes on the live (or the unassembled) rows, so each
// periodic run costs what it has to do, not a scan of every segment ever
// kept (at 1,000 cameras, one segment per 2 s, 7 days: 300 million rows).
// Created at install (after every schema ran), when the table is there.
import type { Db } from "../meta/db.js";
import { tableExists } from "../storage/tombstones.js";

const indexes: Record<string, string[]> = {
	segments: [
		// Assembly: the windows still to assemble.
		"CREATE INDEX IF NOT EXISTS segments_unassembled ON segments (device, channel, stream, start_ms) WHERE file_id IS NULL AND deleted IS NULL",
		// Retention by age, per device; and the devices themselves (skip scan).
		"CREATE INDEX IF NOT EXISTS segments_live_age ON segments (device, start_ms) WHERE deleted IS NULL",
		// A file goes with its last live segment; an object with its last reader.
		"CREATE INDEX IF NOT EXISTS segments_live_file ON segments (file_id) WHERE deleted IS NULL",
		"CREATE INDEX IF NOT EXISTS segments_live_key ON segments (key) WHERE deleted IS NULL",
		// Forgetting deleted rows.
		"CREATE INDEX IF NOT EXISTS segments_deleted ON segments (deleted) WHERE deleted IS NOT NULL",
	],
	snapshots: [
		"CREATE INDEX IF NOT EXISTS snapshots_live_age ON snapshots (device, time_ms) WHERE deleted IS NULL",
		"CREATE INDEX IF NOT EXISTS snapshots_live_time ON snapshots (time_ms) WHERE deleted IS NULL",
		"CREATE INDEX IF NOT EXISTS snapshots_live_key ON snapshots (key) WHERE deleted IS NULL",
		"CREATE INDEX IF NOT EXISTS snapshots_deleted ON snapshots (deleted) WHERE deleted IS NOT NULL",
	],
	files: [
		"CREATE INDEX IF NOT EXISTS files_live ON files (start_ms) WHERE deleted IS NULL AND state = 'done'",
		"CREATE INDEX IF NOT EXISTS files_deleted ON files (deleted) WHERE deleted IS NOT NULL",
	],
};

export function ensureUpkeepIndexes(db: Db): void {
	for (const [table, statements] of Object.entries(indexes)) if (tableExists(db, table)) for (const sql of statements) db.exec(sql);
}
