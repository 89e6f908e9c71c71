// Assembles the segments of a closed window into one MP4: the stream's init
// segment followed by its fragments in order. fMP4 fragments carry their own
// decode times (tfdt), so the concatenation is a valid fragmented MP4 and a
// gap in the recording stays a gap in time, never corrupt data.
//
// Uploaded through the store's multipart upload (S3: parts ≥ 5 MiB but the
// last, ≤ 10,000 parts), so nothing is visible before it is whole. Then one
// transaction marks the file done and repoints every segment into it, and the
// segment objects go on the tombstone list: storage stays 1.0× the ingest,
// and a playback that resolved the old keys keeps reading them for the grace.
import type { CloudContext } from "../context.js";
import { maxParts, minPartBytes, type MultipartUpload } from "../storage/object-store.js";
import { graceMs, referenced, tableExists, tombstone } from "../storage/tombstones.js";
import { fileNameFor, windowOf } from "./files.js";
import { holdLease, leaseHeld } from "./lease.js";

export const leaseName = "storage";
export const leaseMs = 60_000;

export interface AssembleOptions {
	/** The clock (tests inject a fake one). */
	clock?: () => number;
	/** A window closes this long after its end once no segment arrived for as long. */
	idleMs?: number;
	/** Smallest part uploaded (S3's minimum unless a test asks for more). */
	partBytes?: number;
	/** Asked between segments: true makes the assembly abandon its upload (shutdown). */
	stopping?: () => boolean;
}

interface Group {
	device: string;
	channel: number;
	stream: string;
	window: number;
	last_created: number;
	latest_start: number;
	ended: number | null;
	init_key: string;
}

interface SegmentRow {
	id: number;
	seq: number;
	start_ms: number;
	end_ms: number;
	bytes: number;
	key: string;
	offset: number;
}

class Abandoned extends Error {
	override name = "Abandoned";
}

/**
 * The part size for a file of `total` bytes: at least 5 MiB (S3's minimum for
 * all parts but the last), and large enough that the parts number ≤ 10,000
 * even though each may overshoot by up to one segment.
 */
export function partSizeFor(total: number, minimum = minPartBytes): number {
	return Math.max(minimum, Math.ceil(total / (maxParts - 1)));
}

const inFlight = new WeakMap<CloudContext, Promise<unknown>>();

/** Assembles every closed window (when this instance holds the upkeep lease); returns the files made. */
export function assembleClosed(ctx: CloudContext, options: AssembleOptions = {}): Promise<number> {
	// One run at a time per instance: a run waits for the one in flight.
	const run = (inFlight.get(ctx) ?? Promise.resolve()).then(() => assembleRun(ctx, options));
	inFlight.set(ctx, run.catch(() => {}));
	return run;
}

async function assembleRun(ctx: CloudContext, options: AssembleOptions): Promise<number> {
	const clock = options.clock ?? Date.now;
	const { db, config } = ctx;
	// Nothing to assemble in a service without the ingest part (its tables).
	if (!tableExists(db, "segments") || !tableExists(db, "streams")) return 0;
	if (!holdLease(db, leaseName, ctx.instanceId, clock(), leaseMs)) return 0;
	// A row left 'assembling' by a holder that is gone (it died, or lost the
	// lease): its segments were never repointed, so the window is simply redone.
	db.prepare("DELETE FROM files WHERE state = 'assembling' AND (holder IS NULL OR holder != ?)").run(ctx.instanceId);
	const length = config.fileMinutes * 60_000;
	// (% works on integers in SQLite; "/" would divide as REAL: JS numbers bind as doubles.)
	const groups = db.prepare(`SELECT s.device, s.channel, s.stream, s.start_ms - s.start_ms % ? AS window,
			MAX(s.created) AS last_created, st.ended, st.init_key,
			(SELECT x.start_ms FROM segments x WHERE x.device = s.device AND x.channel = s.channel AND x.stream = s.stream ORDER BY x.seq DESC LIMIT 1) AS latest_start
		FROM segments s JOIN streams st ON st.device = s.device AND st.channel = s.channel AND st.stream = s.stream
		WHERE s.file_id IS NULL AND s.deleted IS NULL
		GROUP BY s.device, s.channel, s.stream, window
		ORDER BY window`).all(length) as Group[];
	const idleMs = options.idleMs ?? 3 * 60_000;
	let made = 0;
	for (const group of groups) {
		if (options.stopping?.()) break;
		const end = group.window + length;
		const now = clock();
		// Closed: the stream went past the window, or ended, or nothing arrived
		// for idleMs after the window's end (late uploads still make it in).
		const closed = group.latest_start >= end || group.ended !== null || now - Math.max(end, group.last_created) >= idleMs;
		if (!closed) continue;
		try {
			if (await assembleWindow(ctx, group, options)) made++;
		}
		catch (error) {
			if (error instanceof Abandoned) break;
			ctx.metrics.inc("ivxs_file_assembly_errors_total", "Recording files that failed to assemble (retried on the next run)");
			ctx.log.error({ err: error, device: group.device, channel: group.channel, stream: group.stream, window: group.window }, "file assembly failed");
		}
	}
	return made;
}

async function assembleWindow(ctx: CloudContext, group: Group, options: AssembleOptions): Promise<boolean> {
	const clock = options.clock ?? Date.now;
	const { db, config, store } = ctx;
	const window = windowOf(config, group.window);
	const segments = db.prepare(`SELECT id, seq, start_ms, end_ms, bytes, key, "offset" FROM segments
		WHERE device = ? AND channel = ? AND stream = ? AND start_ms >= ? AND start_ms < ? AND file_id IS NULL AND deleted IS NULL
		ORDER BY seq`).all(group.device, group.channel, group.stream, window.start, window.end) as SegmentRow[];
	if (!segments.length) return false;
	const init = await store.get(group.init_key);
	const total = init.length + segments.reduce((sum, segment) => sum + segment.bytes, 0);
	const partBytes = partSizeFor(total, options.partBytes);

	// The row first (state 'assembling', this instance as holder): a second
	// recording of the same window (late segments) gets its own name.
	const startMs = segments[0].start_ms;
	const endMs = segments.reduce((latest, segment) => Math.max(latest, segment.end_ms), startMs);
	const fileId = db.transaction(() => {
		for (let n = 1; ; n++) {
			const { name, key } = fileNameFor(config, group.device, group.channel, window, n === 1 ? "" : `_${n}`);
			if (db.prepare("SELECT 1 FROM files WHERE key = ?").get(key) || db.prepare("SELECT 1 FROM tombstones WHERE key = ?").get(key)) continue;
			return Number(db.prepare(`INSERT INTO files (device, channel, stream, window_ms, name, start_ms, end_ms, key, bytes, segments, state, holder, created)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'assembling', ?, ?)`).run(group.device, group.channel, group.stream, window.start, name, startMs, endMs, key, total, segments.length, ctx.instanceId, clock()).lastInsertRowid);
		}
	}).immediate();
	const key = (db.prepare("SELECT key FROM files WHERE id = ?").get(fileId) as { key: string }).key;

	let upload: MultipartUpload | undefined;
	const offsets: number[] = [];
	try {
		upload = await store.createMultipart(key);
		let pending: Buffer[] = [init];
		let pendingBytes = init.length;
		let partNumber = 1;
		let at = init.length;
		for (const segment of segments) {
			if (options.stopping?.()) throw new Abandoned("shutting down");
			const bytes = segment.bytes ? await store.get(segment.key, { start: segment.offset, end: segment.offset + segment.bytes - 1 }) : Buffer.alloc(0);
			if (bytes.length !== segment.bytes) throw new Error(`segment ${segment.id} (${segment.key}) has ${bytes.length} bytes, expected ${segment.bytes}`);
			offsets.push(at);
			at += bytes.length;
			pending.push(bytes);
			pendingBytes += bytes.length;
			if (pendingBytes >= partBytes) {
				await upload.uploadPart(partNumber++, Buffer.concat(pending));
				pending = [];
				pendingBytes = 0;
				// Long assemblies keep the lease.
				if (!holdLease(db, leaseName, ctx.instanceId, clock(), leaseMs)) throw new Abandoned("lease lost");
			}
		}
		if (pendingBytes || partNumber === 1) await upload.uploadPart(partNumber++, Buffer.concat(pending));
		await upload.complete();
	}
	catch (error) {
		await upload?.abort().catch((abortError) => ctx.log.warn({ err: abortError, key }, "multipart abort failed"));
		db.prepare("DELETE FROM files WHERE id = ? AND holder = ? AND state = 'assembling'").run(fileId, ctx.instanceId);
		throw error;
	}

	// Publish: the file becomes listed and its segments point into it, all at once.
	const now = clock();
	const published = db.transaction(() => {
		if (!leaseHeld(db, leaseName, ctx.instanceId, now)) return false;
		if (db.prepare("UPDATE files SET state = 'done', holder = NULL WHERE id = ? AND state = 'assembling' AND holder = ?").run(fileId, ctx.instanceId).changes !== 1) return false;
		const repoint = db.prepare(`UPDATE segments SET key = ?, "offset" = ?, file_id = ? WHERE id = ? AND key = ? AND file_id IS NULL AND deleted IS NULL`);
		const due = now + graceMs(ctx);
		const oldKeys = new Set<string>();
		segments.forEach((segment, i) => {
			if (repoint.run(key, offsets[i], fileId, segment.id, segment.key).changes === 1) oldKeys.add(segment.key);
		});
		// Retention took every segment meanwhile: the file is born deleted.
		if (!oldKeys.size) {
			db.prepare("UPDATE files SET deleted = ? WHERE id = ?").run(now, fileId);
			tombstone(db, key, due);
		}
		// An old object goes once no live segment still reads from it.
		for (const oldKey of oldKeys) if (oldKey !== key && !referenced(db, oldKey)) tombstone(db, oldKey, due);
		return true;
	}).immediate();
	if (!published) {
		// Another instance took the window over; its file will have the same
		// bytes under the same key, so the object is left to it.
		ctx.log.warn({ key }, "lost the upkeep lease before publishing a file; left to the new holder");
		return false;
	}
	ctx.metrics.inc("ivxs_files_assembled_total", "Recording files assembled");
	ctx.metrics.inc("ivxs_files_assembled_bytes_total", "Bytes of recording files assembled", {}, total);
	ctx.log.info({ key, segments: segments.length, bytes: total }, "recording file assembled");
	return true;
}
