// The ingest endpoints of PROTOCOL.md §3: a stream's init, its segments, its
// end. A segment is committed only once its whole body (and, streamed, its
// signed trailers) verified and it parsed against the init: the object is put
// (atomic in every store), then its row is inserted. A request cut at any
// point before that leaves nothing; a retry of a committed segment is a 200.
import { isStreamId, STREAM_ID } from "../../../modules/protocol/ids.js";
import { isLiveOnly } from "../../../modules/protocol/live.js";
import { STORED_SHA256 } from "../../../modules/protocol/verdict.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { CloudContext } from "../context.js";
import { HttpError, sendJson, type Params } from "../http/router.js";
import { cloudTimeHeader, latestDeviceTime, type DeviceAuth } from "../auth/device-auth.js";
import { stillRegistered, type Device } from "../devices/registry.js";
import { objectKey } from "../storage/object-store.js";
import { Mp4Error } from "../media/boxes.js";
import { parseInit, type InitInfo } from "../media/init.js";
import { parseSegment, type SegmentInfo } from "../media/segment.js";
import { readHashed } from "./body.js";
import { FragmentSplitter } from "../media/fragment-splitter.js";
import { addSegment, addStream, endStream, markLiveOnly, orderConflict, segmentAt, streamOf, type SegmentRow, type StreamRow } from "../catalogue/index.js";

const seqText = /^(0|[1-9][0-9]{0,14})$/;
/**
 * How long a live-only segment is kept after it ends: well past the live window (12 s; a playlist
 * lists segments of the last minute), so a viewer a little behind still plays it, and short of
 * becoming a recording the plan did not ask for (retention drops it at its next pass, ≤ 1 min later).
 */
const liveOnlyKeepMs = 120_000;
const EPOCH_MIN = Date.UTC(2000, 0, 1);

interface Ids {
	device: string;
	channel: number;
	stream: string;
}

export class Ingest {
	readonly #ctx: CloudContext;
	// Parsed inits by stream (immutable once stored; another instance reads the object).
	readonly #inits = new Map<string, InitInfo>();
	// Segments being committed (object put + row): shutdown waits for them.
	readonly #committing = new Set<Promise<unknown>>();
	// Segments in flight in this instance: a second concurrent upload of the same seq waits its turn.
	readonly #locks = new Map<string, Promise<void>>();
	#stopping = false;

	constructor(ctx: CloudContext) {
		this.#ctx = ctx;
		const prefix = "/v1/devices/:id/channels/:ch/streams/:stream";
		const signed = { auth: "device", device: "id" } as const;
		ctx.router.add("PUT", `${prefix}/init`, signed, (req, res, params, url, auth) => this.putInit(req, res, params, url, auth));
		ctx.router.add("PUT", `${prefix}/segments/:seq`, signed, (req, res, params, url, auth) => this.putSegment(req, res, params, url, auth), (error) => this.#failed(error));
		ctx.router.add("POST", `${prefix}/end`, signed, (req, res, params, url, auth) => this.end(req, res, params, auth));
		ctx.onStop(() => this.stop());
	}

	/** Refuses new commits, waits (≤ 10 s) for those under way; bodies still arriving are abandoned. */
	async stop(): Promise<void> {
		this.#stopping = true;
		const timeout = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
		await Promise.race([Promise.allSettled([...this.#committing]), timeout]);
	}

	#error(reason: string): void {
		this.#ctx.metrics.inc("ivxs_ingest_errors_total", "Ingest requests refused or failed, by reason", { reason });
	}

	#ids(params: Params, device: Device): Ids {
		const channel = Number(params.ch);
		if (!/^[0-9]{1,2}$/.test(params.ch) || channel >= device.channels)
			throw new HttpError(404, `channel ${params.ch} does not exist (device ${device.id} has channels 0..${device.channels - 1})`);
		if (!isStreamId(params.stream)) throw new HttpError(400, `stream id must match ${STREAM_ID.source}`);
		return { device: device.id, channel, stream: params.stream };
	}

	#checkStopping(): void {
		if (this.#stopping) throw new HttpError(503, "the cloud is shutting down: retry", { "retry-after": "1" });
	}

	async putInit(req: IncomingMessage, res: ServerResponse, params: Params, url: URL, auth: DeviceAuth): Promise<void> {
		const ids = this.#ids(params, auth.device);
		const epochText = url.searchParams.get("epoch") ?? "";
		const epoch = Number(epochText);
		if (!/^[0-9]{1,15}$/.test(epochText) || epoch < EPOCH_MIN)
			throw new HttpError(400, "epoch must be the unix ms of decode time 0 (after 2000, not in the future)");
		if (epoch > latestDeviceTime(this.#ctx)) {
			this.#error("future");
			throw new HttpError(409, `epoch ${epoch} is more than ${this.#ctx.config.signatureSkewS} s after the cloud's clock (${Date.now()}): check the camera's clock (X-Ivxs-Time); start a new stream with a correct epoch`, cloudTimeHeader());
		}
		const { body, sha256 } = await readHashed(req, this.#ctx.config.maxInitBytes);
		auth.verifyTrailers(sha256);
		let init: InitInfo;
		try {
			init = parseInit(body);
		}
		catch (error) {
			if (!(error instanceof Mp4Error)) throw error;
			this.#error("malformed");
			throw new HttpError(400, `malformed init segment: ${error.message}`);
		}
		this.#checkStopping();
		const key = objectKey("media", ids.device, ids.channel, ids.stream, "init.mp4");
		await this.#exclusive(key, async () => {
			const existing = await streamOf(this.#ctx.sql, ids.device, ids.channel, ids.stream);
			if (existing) return this.#sameInit(res, existing, body, epoch);
			await this.#newStream(res, ids, key, init, body, epoch);
		});
	}

	async #newStream(res: ServerResponse, ids: Ids, key: string, init: InitInfo, body: Buffer, epoch: number): Promise<void> {
		await this.#track(this.#ctx.store.put(key, body));
		const row: StreamRow = {
			...ids, epoch_ms: epoch, init_key: key, codecs: init.codecs,
			width: init.video?.width ?? null, height: init.video?.height ?? null,
			has_video: init.video ? 1 : 0, has_audio: init.audio ? 1 : 0, created: Date.now(), ended: null,
		};
		if (!await addStream(this.#ctx.sql, row)) return this.#sameInit(res, (await streamOf(this.#ctx.sql, ids.device, ids.channel, ids.stream))!, body, epoch);
		this.#inits.set(key, init);
		sendJson(res, 201, { stream: ids.stream, codecs: init.codecs, width: row.width, height: row.height });
	}

	async #sameInit(res: ServerResponse, existing: StreamRow, body: Buffer, epoch: number): Promise<void> {
		if (existing.ended !== null) throw new HttpError(409, `stream ${existing.stream} has ended: start a new stream id`);
		const stored = await this.#ctx.store.get(existing.init_key);
		if (existing.epoch_ms !== epoch || !stored.equals(body)) {
			this.#error("conflict");
			throw new HttpError(409, `stream ${existing.stream} already has a different init or epoch: start a new stream id`);
		}
		sendJson(res, 200, { stream: existing.stream, codecs: existing.codecs, duplicate: true });
	}

	async #initOf(stream: StreamRow): Promise<InitInfo> {
		let init = this.#inits.get(stream.init_key);
		if (!init) {
			init = parseInit(await this.#ctx.store.get(stream.init_key));
			if (this.#inits.size >= 10_000) this.#inits.delete(this.#inits.keys().next().value!);
			this.#inits.set(stream.init_key, init);
		}
		return init;
	}

	/** Every refused or failed segment upload, by status (a body cut short: "cut"). */
	#failed(error: unknown): void {
		const status = error instanceof HttpError ? error.status : 500;
		this.#error(status === 400 && /cut short/.test((error as Error).message) ? "cut" : String(status));
	}

	async putSegment(req: IncomingMessage, res: ServerResponse, params: Params, url: URL, auth: DeviceAuth): Promise<void> {
		const started = performance.now();
		const ids = this.#ids(params, auth.device);
		if (!seqText.test(params.seq)) throw new HttpError(400, "segment seq must be an integer 0, 1, 2, …");
		const seq = Number(params.seq);
		const stream = await streamOf(this.#ctx.sql, ids.device, ids.channel, ids.stream);
		if (!stream) throw new HttpError(404, `stream ${ids.stream} has no init: PUT …/streams/${ids.stream}/init first`);
		if (stream.ended !== null) throw new HttpError(409, `stream ${ids.stream} has ended: start a new stream id`);
		const init = await this.#initOf(stream);
		const { status, row } = await this.#withParts(ids, seq, init, async (onChunk) => {
			const { body, sha256 } = await readHashed(req, this.#ctx.config.maxSegmentBytes, onChunk);
			auth.verifyTrailers(sha256);
			let info: SegmentInfo;
			try {
				info = parseSegment(body, init);
			}
			catch (error) {
				if (!(error instanceof Mp4Error)) throw error;
				throw new HttpError(400, `malformed segment: ${error.message}`);
			}
			this.#checkNotFuture(stream, seq, info);
			return this.#commit(stream, seq, body, sha256, info, auth.device);
		});
		const ms = performance.now() - started;
		const metrics = this.#ctx.metrics;
		// Uploaded only for live view (§3.2 `live=1`): kept past the live window for a late viewer, then dropped.
		if (status === 201 && isLiveOnly(url.searchParams)) await markLiveOnly(this.#ctx.sql, row.id, row.end_ms + liveOnlyKeepMs);
		if (status === 201) {
			metrics.inc("ivxs_ingest_bytes_total", "Media bytes committed", {}, row.bytes);
			metrics.inc("ivxs_ingest_segments_total", "Segments committed");
			metrics.inc("ivxs_ingest_upload_seconds_sum", "Upload latency of committed segments (request start → committed), sum of seconds", {}, ms / 1000);
			metrics.inc("ivxs_ingest_upload_seconds_count", "Upload latency of committed segments, count");
		}
		else metrics.inc("ivxs_ingest_duplicates_total", "Segment retries answered as duplicates");
		sendJson(res, status, { seq, start_ms: row.start_ms, end_ms: row.end_ms, bytes: row.bytes, ...(status === 200 ? { duplicate: true } : {}) });
	}

	/**
	 * Runs a segment's upload while announcing its fragments as they arrive (LL-HLS parts, for live
	 * viewers in this instance: playback/live.ts), and that they are void when the upload fails.
	 */
	async #withParts<T>(ids: Ids, seq: number, init: InitInfo, upload: (onChunk: (chunk: Buffer) => void) => Promise<T>): Promise<T> {
		const events = this.#ctx.segmentEvents;
		let index = 0;
		const splitter = new FragmentSplitter((bytes) => events.emit("part", { ...ids, seq, index: index++, bytes, init }), this.#ctx.config.maxSegmentBytes);
		try {
			return await upload((chunk) => splitter.write(chunk));
		}
		catch (error) {
			if (index) events.emit("partsFailed", { ...ids, seq });
			throw error;
		}
	}

	/**
	 * Refuses a segment whose samples end further ahead of the cloud's clock than a device clock
	 * may run (PROTOCOL.md §3.2): a mis-clocked or hostile camera's media would escape retention by age.
	 */
	#checkNotFuture(stream: StreamRow, seq: number, info: SegmentInfo): void {
		const latest = latestDeviceTime(this.#ctx);
		for (const span of info.tracks.values()) {
			const end = stream.epoch_ms + (span.end * 1000) / span.track.timescale;
			if (end > latest) {
				this.#error("future");
				throw new HttpError(409, `segment ${seq}'s ${span.track.kind} ends at ${Math.round(end)} (unix ms), more than ${this.#ctx.config.signatureSkewS} s after the cloud's clock (${Date.now()}): check the camera's clock; start a new stream with a correct epoch`, cloudTimeHeader());
			}
		}
	}

	/** Times of the segment from its first track (video when the stream has it), as wall-clock ms. */
	#times(stream: StreamRow, init: SegmentInfo): { start_ms: number; end_ms: number } {
		const spans = [...init.tracks.values()];
		const span = spans.find((s) => s.track.kind === "video") ?? spans[0];
		const ms = (t: number) => stream.epoch_ms + Math.round((t * 1000) / span.track.timescale);
		return { start_ms: ms(span.start), end_ms: ms(span.end) };
	}

	/** Runs `work` alone for `key` in this instance: a second upload of the same init or seq waits, then sees the first's row. */
	async #exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
		while (this.#locks.has(key)) await this.#locks.get(key);
		let release!: () => void;
		this.#locks.set(key, new Promise<void>((resolve) => (release = resolve)));
		try {
			return await work();
		}
		finally {
			this.#locks.delete(key);
			release();
		}
	}

	#commit(stream: StreamRow, seq: number, body: Buffer, sha256: string, info: SegmentInfo, uploader: Device): Promise<{ status: 200 | 201; row: SegmentRow }> {
		const { device, channel } = stream;
		return this.#exclusive(`${device}/${channel}/${stream.stream}/${seq}`, async () => {
			const { sql } = this.#ctx;
			const same = (row: SegmentRow) => {
				// The hash of what is held: a camera that sent several segments under this seq without
				// an answer learns which one the cloud has (PROTOCOL §3.2).
				if (row.sha256 !== sha256) throw new HttpError(409, `segment ${seq} is already stored with different bytes`, { [STORED_SHA256.toLowerCase()]: row.sha256 });
				return { status: 200 as const, row };
			};
			const existing = await segmentAt(sql, device, channel, stream.stream, seq);
			if (existing) return same(existing);
			const { start_ms, end_ms } = this.#times(stream, info);
			const key = objectKey("media", device, channel, stream.stream, `${seq}.m4s`);
			const row = { device, channel, stream: stream.stream, seq, start_ms, end_ms, bytes: body.length, sha256, key, created: Date.now() };
			// Checked before the put (no object for a plain conflict) and again in the insert's
			// transaction: a neighbour committed meanwhile by a concurrent upload is seen there.
			const early = await orderConflict(sql, row);
			if (early) throw new HttpError(409, early);
			this.#checkStopping();
			const done = this.#track((async () => {
				await this.#ctx.store.put(key, body);
				const stored = await addSegment(sql, { ...row, created: Date.now() }, (tx) => stillRegistered(tx, uploader));
				if ("conflict" in stored || "gone" in stored) {
					// No row points at it (this seq has none, and its uploads here run one at a time).
					await this.#ctx.store.delete(key).catch((error) => this.#ctx.log.warn({ err: error, key }, "could not remove a refused segment's object"));
					if ("gone" in stored) throw new HttpError(403, `device ${device} was removed while this segment was uploaded`);
					throw new HttpError(409, stored.conflict);
				}
				// The 201 waits until the row would survive a power loss (the object already would).
				await sql.durable();
				return stored.added ? { status: 201 as const, row: stored.row } : same(stored.row);
			})());
			const result = await done;
			if (result.status === 201) {
				try {
					this.#ctx.segmentEvents.emit("segment", result.row);
				}
				catch (error) {
					this.#ctx.log.error({ err: error }, "a segment listener failed");
				}
			}
			return result;
		});
	}

	#track<T>(work: Promise<T>): Promise<T> {
		this.#committing.add(work);
		void work.catch(() => {}).finally(() => this.#committing.delete(work));
		return work;
	}

	async end(req: IncomingMessage, res: ServerResponse, params: Params, auth: DeviceAuth): Promise<void> {
		const ids = this.#ids(params, auth.device);
		const { sha256 } = await readHashed(req, 4096);
		auth.verifyTrailers(sha256);
		const { sql } = this.#ctx;
		const changed = await endStream(sql, ids.device, ids.channel, ids.stream, Date.now());
		const stream = await streamOf(sql, ids.device, ids.channel, ids.stream);
		if (!stream) throw new HttpError(404, `no stream ${ids.stream}`);
		if (changed) this.#ctx.segmentEvents.emit("end", stream);
		sendJson(res, 200, { stream: ids.stream, ended: stream.ended });
	}
}
