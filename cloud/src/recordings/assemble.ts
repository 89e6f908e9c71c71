// Assembles the segments of a closed window into one MP4: the stream's init
// segment followed by its fragments in order. fMP4 fragments carry their own
// decode times (tfdt), so the concatenation is a valid fragmented MP4 and a
// gap in the recording stays a gap in time, never corrupt data. The file
// starts at time 0: its fragments are moved back by the first one's decode
// time (a window from the middle of a stream would otherwise start there, hours
// in, and players report its end as its duration); the segments repointed into
// it keep that shift (`file_shift`) and are read moved forward again
// (playback/segments.ts), byte-identical to their upload.
//
// Uploaded through the store's multipart upload (S3: parts ≥ 5 MiB but the
// last, ≤ 10,000 parts), so nothing is visible before it is whole. Then one
// transaction marks the file done and repoints every segment into it, and the
// segment objects go on the tombstone list: storage stays 1.0× the ingest,
// and a playback that resolved the old keys keeps reading them for the grace.
// Until then the window's bytes are on the disk twice: before writing, the
// assembly makes sure the file fits above the free-space floor (making room
// if it must), and the size cap counts the largest window still to assemble.
import type { CloudContext } from "../context.js";
import { maxParts, minPartBytes, type MultipartUpload } from "../storage/object-store.js";
import { graceMs, tombstone } from "../storage/tombstones.js";
import * as catalogue from "../catalogue/index.js";
import { objectInUse } from "../retention/objects.js";
import { keepFloor } from "../retention/floor.js";
import { isNoSpace, noteNoSpace } from "../storage/space.js";
import { fileNameFor, windowOf } from "./files.js";
import { Mp4Error } from "../media/boxes.js";
import { fragmentsOf, fragmentStartS, shiftTo0, trackTimescales } from "../media/rebase.js";
import { shiftSegment, shiftText, type TrackShift } from "../media/time-shift.js";
import { holdLease, leaseHeld, leaseMs, leaseName } from "./lease.js";

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

class Abandoned extends Error {
	override name = "Abandoned";
}

class NoRoom extends Error {
	override name = "NoRoom";
}

class Unshiftable extends Error {
	override name = "Unshiftable";
}

/**
 * How far to move the window's fragments back so the file starts at 0: the first fragment's
 * decode time, the same instant in every track (audio and video keep their timing); undefined
 * when it starts there already, or when the window's first segment cannot be read as fragments.
 */
async function startShift(init: Buffer, segments: catalogue.SegmentPiece[], read: (segment: catalogue.SegmentPiece) => Promise<Buffer>): Promise<TrackShift | undefined> {
	const first = segments.find((segment) => segment.bytes > 0);
	if (!first) return undefined;
	try {
		const scales = trackTimescales(init);
		const startS = fragmentStartS(fragmentsOf(await read(first))[0].moof, scales);
		return startS > 0 ? shiftTo0(startS, scales) : undefined;
	}
	catch (error) {
		if (error instanceof Mp4Error) return undefined;
		throw error;
	}
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
	const { sql, config } = ctx;
	if (!await holdLease(sql, leaseName, ctx.instanceId, clock(), leaseMs)) return 0;
	await catalogue.forgetAbandonedFiles(sql, ctx.instanceId);
	const length = config.fileMinutes * 60_000;
	const groups = await catalogue.openWindows(sql, length);
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
			if (error instanceof NoRoom) {
				ctx.metrics.inc("ivxs_file_assembly_deferred_total", "Recording files put off: no room above the free-space floor yet");
				continue;
			}
			if (isNoSpace(error)) {
				noteNoSpace(ctx, error, "assembly");
				continue;
			}
			ctx.metrics.inc("ivxs_file_assembly_errors_total", "Recording files that failed to assemble (retried on the next run)");
			ctx.log.error({ err: error, device: group.device, channel: group.channel, stream: group.stream, window: group.window }, "file assembly failed");
		}
	}
	return made;
}

async function assembleWindow(ctx: CloudContext, group: catalogue.OpenWindow, options: AssembleOptions & { unshifted?: boolean }): Promise<boolean> {
	const clock = options.clock ?? Date.now;
	const { sql, config, store } = ctx;
	const window = windowOf(config, group.window);
	let segments = await catalogue.windowSegments(sql, group, window);
	if (!segments.length) return false;
	const init = await store.get(group.init_key);
	const bytesOf = (pieces: catalogue.SegmentPiece[]) => init.length + pieces.reduce((sum, segment) => sum + segment.bytes, 0);
	if (store.kind === "disk") {
		const need = bytesOf(segments);
		if (!(await keepFloor(ctx, need, clock()))) throw new NoRoom(`no room for ${need} bytes above the floor`);
		// Making room may have taken (and deleted) some of this window's own segments.
		segments = await catalogue.windowSegments(sql, group, window);
		if (!segments.length) return false;
	}
	const total = bytesOf(segments);
	const partBytes = partSizeFor(total, options.partBytes);

	// The row first (state 'assembling', this instance as holder): a second
	// recording of the same window (late segments) gets its own name.
	const startMs = segments[0].start_ms;
	const endMs = segments.reduce((latest, segment) => Math.max(latest, segment.end_ms), startMs);
	const { id: fileId, key } = await catalogue.reserveFile(sql, {
		device: group.device, channel: group.channel, stream: group.stream, window_ms: window.start, start_ms: startMs, end_ms: endMs,
		bytes: total, segments: segments.length, holder: ctx.instanceId, created: clock(),
	}, (n) => fileNameFor(config, group.device, group.channel, window, n === 1 ? "" : `_${n}`));

	let upload: MultipartUpload | undefined;
	const offsets: number[] = [];
	const read = async (segment: catalogue.SegmentPiece) => {
		const bytes = segment.bytes ? await store.get(segment.key, { start: segment.offset, end: segment.offset + segment.bytes - 1 }) : Buffer.alloc(0);
		if (bytes.length !== segment.bytes) throw new Error(`segment ${segment.id} (${segment.key}) has ${bytes.length} bytes, expected ${segment.bytes}`);
		return bytes;
	};
	let shift: TrackShift | undefined;
	try {
		shift = options.unshifted ? undefined : await startShift(init, segments, read);
		upload = await store.createMultipart(key);
		let pending: Buffer[] = [init];
		let pendingBytes = init.length;
		let partNumber = 1;
		let at = init.length;
		for (const segment of segments) {
			if (options.stopping?.()) throw new Abandoned("shutting down");
			let bytes = await read(segment);
			if (shift && bytes.length) {
				try {
					bytes = shiftSegment(bytes, shift);
				}
				catch (error) {
					// A fragment earlier than the first (a stream that went back in time): this
					// window's file keeps the stream's times, as files did before.
					if (!(error instanceof Mp4Error)) throw error;
					throw new Unshiftable(error.message);
				}
			}
			offsets.push(at);
			at += bytes.length;
			pending.push(bytes);
			pendingBytes += bytes.length;
			if (pendingBytes >= partBytes) {
				await upload.uploadPart(partNumber++, Buffer.concat(pending));
				pending = [];
				pendingBytes = 0;
				// Long assemblies keep the lease.
				if (!await holdLease(sql, leaseName, ctx.instanceId, clock(), leaseMs)) throw new Abandoned("lease lost");
			}
		}
		if (pendingBytes || partNumber === 1) await upload.uploadPart(partNumber++, Buffer.concat(pending));
		await upload.complete();
	}
	catch (error) {
		await upload?.abort().catch((abortError) => ctx.log.warn({ err: abortError, key }, "multipart abort failed"));
		await catalogue.abandonFile(sql, fileId, ctx.instanceId);
		if (error instanceof Unshiftable && shift) {
			ctx.log.info({ key, reason: error.message }, "recording file keeps the stream's times");
			return assembleWindow(ctx, group, { ...options, unshifted: true });
		}
		throw error;
	}

	// Publish: the file becomes listed and its segments point into it, all at once.
	const now = clock();
	const published = await sql.transaction(async (tx) => {
		if (!await leaseHeld(tx, leaseName, ctx.instanceId, now)) return false;
		const oldKeys = await catalogue.publishFile(tx, fileId, ctx.instanceId, key, segments, offsets, shift ? shiftText(shift) : null);
		if (!oldKeys) return false;
		const due = now + graceMs(ctx);
		// Retention took every segment meanwhile: the file is born deleted.
		if (!oldKeys.size) {
			await catalogue.markFileDeleted(tx, fileId, now);
			await tombstone(tx, key, due, total);
		}
		// An old object goes once no live segment still reads from it.
		const sizes = new Map(segments.map((segment) => [segment.key, segment.bytes]));
		for (const oldKey of oldKeys) if (oldKey !== key && !await objectInUse(tx, oldKey)) await tombstone(tx, oldKey, due, sizes.get(oldKey));
		return true;
	});
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
