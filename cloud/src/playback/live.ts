// Live playlists for many viewers: each watched channel's window (live-window.ts)
// is held in memory and moved once per segment — by ingest's announcement in
// this instance (ctx.segmentEvents), or by one read of the catalogue every
// `livePollS` (the config's) for segments another instance committed (one read per channel, not
// per viewer). Blocking reloads wait on the channel's one wake-up promise,
// and a playlist is rendered once per change and per signer (viewers signed
// in as one user share it), so a new segment costs the same whoever watches.
// The parts of segments being uploaded to this instance (live-parts.ts) move
// the playlist too: each part wakes the blocking reloads (_HLS_msn/_HLS_part)
// and the part requests waiting on a preload hint.
import type { IncomingMessage } from "node:http";
import type { CloudContext } from "../context.js";
import { hlsNumbersOf, newestSegments, type SegmentRow } from "../catalogue/index.js";
import { LiveWindow } from "./live-window.js";
import { LiveParts, type IncomingPart, type PartState } from "./live-parts.js";
import { InFlightUploads } from "./in-flight.js";

/** Segments read when a channel is first watched (the window's 12 s and some history for its target duration). */
const loadCount = 64;
/** Segments read per poll: more than can land in a poll period. */
const pollCount = 8;
/** A channel nobody asked for this long is forgotten (it is read again when watched). */
const idleMs = 60_000;

interface Wake {
	promise: Promise<void>;
	resolve: () => void;
}

const wake = (): Wake => {
	let resolve!: () => void;
	const promise = new Promise<void>((done) => (resolve = done));
	return { promise, resolve };
};

export class LiveChannel {
	readonly window = new LiveWindow();
	readonly parts = new LiveParts();
	readonly #ctx: CloudContext;
	readonly #device: string;
	readonly #channel: number;
	readonly #numbers = new Map<string, { base: number; disc: number }>();
	readonly #rendered = new Map<string, Buffer>();
	#renderedVersion = "";
	#wake = wake();
	#read = 0;
	#reading: Promise<void> | undefined;
	#waiting = 0;
	#poll: NodeJS.Timeout | undefined;
	/** How late a segment another instance committed can be seen (the config's livePollS). */
	readonly #pollMs: number;
	#hold: NodeJS.Timeout | undefined;
	used = Date.now();
	/** The first read of the catalogue. */
	readonly ready: Promise<void>;

	constructor(ctx: CloudContext, device: string, channel: number) {
		this.#ctx = ctx;
		this.#pollMs = ctx.config.livePollS * 1000;
		this.#device = device;
		this.#channel = channel;
		this.ready = this.#readCatalogue(loadCount);
	}

	get waiting(): number {
		return this.#waiting;
	}

	/** A segment committed in this instance. */
	offer(row: SegmentRow): void {
		if (this.#numbers.has(row.stream)) return this.#add(row);
		this.#number([row]).then(() => this.#add(row), (error) => this.#ctx.log.error({ err: error, device: this.#device, channel: this.#channel }, "live playlist: numbering a stream failed"));
	}

	#add(row: SegmentRow): void {
		const parts = this.parts.committed(row.stream, row.seq);
		if (this.window.add(row, this.#numbersOf) || parts) this.#changed();
		this.#flushLater();
	}

	/** A fragment of a segment being uploaded to this instance. */
	offerPart(part: IncomingPart): void {
		if (this.parts.add(part)) this.#changed();
	}

	/** A segment upload whose parts were offered failed. */
	partsFailed(stream: string, seq: number): void {
		if (this.parts.failed(stream, seq)) this.#changed();
	}

	/** Reads what other instances committed, at most once per poll period (a read under way is shared). */
	refresh(): Promise<void> {
		return Date.now() - this.#read >= this.#pollMs ? this.#readCatalogue(pollCount) : this.#reading ?? Promise.resolve();
	}

	/**
	 * Waits until the playlist holds media sequence number `msn` — or, with `part`, that part of it
	 * (RFC 8216bis §6.2.5.2) —, `deadline` passes or the request is gone.
	 */
	waitFor(msn: number, deadline: number, req: IncomingMessage, part?: number): Promise<void> {
		return this.until(() => {
			if ((this.window.newest?.msn ?? -1) >= msn) return true;
			if (part === undefined || this.window.newest?.msn !== msn - 1) return false;
			return (this.parts.listing(this.window).inFlight?.parts.length ?? 0) > part;
		}, deadline, req);
	}

	/** Waits for a part's request: until the part is here or will not come (`deadline`: "wait" is then "gone"). */
	async partOf(stream: string, seq: number, index: number, deadline: number, req: IncomingMessage): Promise<PartState> {
		const state = () => this.parts.stateOf(this.window, stream, seq, index);
		await this.until(() => state() !== "wait", deadline, req);
		const found = state();
		return found === "wait" ? "gone" : found;
	}

	/** Waits until `done()`, `deadline` passes or the request is gone; reads the catalogue meanwhile (other instances). */
	async until(done: () => boolean, deadline: number, req: IncomingMessage): Promise<void> {
		this.#waiting++;
		this.#poll ??= setInterval(() => {
			this.refresh().catch((error) => this.#ctx.log.error({ err: error, device: this.#device, channel: this.#channel }, "live playlist: reading the catalogue failed"));
		}, this.#pollMs).unref();
		try {
			while (!done() && !req.destroyed) {
				const left = deadline - Date.now();
				if (left <= 0) break;
				let timer: NodeJS.Timeout | undefined;
				await Promise.race([this.#wake.promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
				clearTimeout(timer);
			}
		}
		finally {
			if (--this.#waiting === 0) {
				clearInterval(this.#poll);
				this.#poll = undefined;
			}
		}
	}

	/** The playlist for `signer` (who the URIs are signed for), rendered once per change of the window. */
	render(signer: string, make: () => Buffer): Buffer {
		const version = `${this.window.version} ${this.parts.version}`;
		if (this.#renderedVersion !== version) {
			this.#rendered.clear();
			this.#renderedVersion = version;
		}
		let bytes = this.#rendered.get(signer);
		if (bytes === undefined) {
			this.#rendered.set(signer, bytes = make());
			this.#ctx.metrics.inc("ivxs_live_playlist_renders_total", "Live playlists rendered (once per new segment and signer, whatever the number of viewers)");
		}
		return bytes;
	}

	stop(): void {
		clearInterval(this.#poll);
		clearTimeout(this.#hold);
		this.#poll = this.#hold = undefined;
	}

	// The window numbers synchronously: its streams' numbers are read before it sees their segments (#number).
	#numbersOf = (row: SegmentRow) => this.#numbers.get(row.stream)!;

	async #number(rows: SegmentRow[]): Promise<void> {
		for (const row of rows) if (!this.#numbers.has(row.stream)) this.#numbers.set(row.stream, await hlsNumbersOf(this.#ctx.sql, row));
	}

	#readCatalogue(count: number): Promise<void> {
		return this.#reading ??= this.#readNow(count).finally(() => (this.#reading = undefined));
	}

	async #readNow(count: number): Promise<void> {
		this.#read = Date.now();
		this.#ctx.metrics.inc("ivxs_live_catalogue_reads_total", "Reads of the catalogue for live playlists (one per channel per poll, not per viewer)");
		const rows = await newestSegments(this.#ctx.sql, this.#device, this.#channel, count);
		await this.#number(rows);
		const version = this.window.version;
		if (!rows.length) {
			// Deleted (a removed device): a device added again under its id numbers its streams anew.
			this.window.clear();
			this.parts.clear();
			this.#numbers.clear();
		}
		// A row in the catalogue is a committed upload: its parts here are whole, even when the
		// read sees the commit before ingest's segment event does (the async layer widens that gap).
		let parts = false;
		for (const row of rows) {
			this.window.add(row, this.#numbersOf);
			parts = this.parts.committed(row.stream, row.seq) || parts;
		}
		if (this.window.version !== version || parts) this.#changed();
		this.#flushLater();
	}

	/** Segments held behind a hole go out when it fills, or when they stop waiting for it. */
	#flushLater(): void {
		const ends = this.window.holdEnds;
		if (ends === undefined || this.#hold) return;
		this.#hold = setTimeout(() => {
			this.#hold = undefined;
			if (this.window.flush()) this.#changed();
			this.#flushLater();
		}, Math.max(0, ends - Date.now())).unref();
	}

	#changed(): void {
		const { resolve } = this.#wake;
		this.#wake = wake();
		resolve();
	}
}

const registries = new WeakMap<CloudContext, Map<string, LiveChannel>>();
const inFlights = new WeakMap<CloudContext, InFlightUploads>();

/** Keeps the watched channels' windows moving with ingest in this instance; forgets idle ones. */
export function installLive(ctx: CloudContext): void {
	const channels = new Map<string, LiveChannel>();
	registries.set(ctx, channels);
	const inFlight = new InFlightUploads();
	inFlights.set(ctx, inFlight);
	ctx.segmentEvents.on("segment", (row) => {
		const key = `${row.device}/${row.channel}`;
		inFlight.ended(key, row.stream, row.seq);
		channels.get(key)?.offer(row);
	});
	// Parts are read only for watched channels (the others' wait raw, in flight); a part that does
	// not read is the channel's loss, never the upload's.
	ctx.segmentEvents.on("part", (part) => {
		const key = `${part.device}/${part.channel}`, channel = channels.get(key);
		if (!channel) return inFlight.add(key, part);
		try {
			channel.offerPart(part);
		}
		catch (error) {
			ctx.log.error({ err: error, device: part.device, channel: part.channel }, "live parts: a part could not be taken");
		}
	});
	ctx.segmentEvents.on("partsFailed", (upload) => {
		const key = `${upload.device}/${upload.channel}`;
		inFlight.ended(key, upload.stream, upload.seq);
		channels.get(key)?.partsFailed(upload.stream, upload.seq);
	});
	ctx.metrics.gauge("ivxs_live_part_bytes", "Bytes of LL-HLS parts held for watched channels", () => {
		let bytes = 0;
		for (const channel of channels.values()) bytes += channel.parts.bytes;
		return bytes;
	});
	ctx.metrics.gauge("ivxs_live_waiting_reloads", "Blocking playlist reloads waiting for their segment", () => {
		let waiting = 0;
		for (const channel of channels.values()) waiting += channel.waiting;
		return waiting;
	});
	ctx.every(idleMs, () => {
		const now = Date.now();
		for (const [key, channel] of channels) if (channel.waiting === 0 && now - channel.used > idleMs) channels.delete(key);
		inFlight.sweep(now);
	});
	ctx.onStop(() => {
		for (const channel of channels.values()) channel.stop();
	});
}

/** The channel's live state, current to within the config's `livePollS`. */
export async function liveChannel(ctx: CloudContext, device: string, channel: number): Promise<LiveChannel> {
	const channels = registries.get(ctx);
	if (!channels) throw new Error("installLive(ctx) first");
	const key = `${device}/${channel}`;
	let live = channels.get(key);
	if (!live) {
		channels.set(key, live = new LiveChannel(ctx, device, channel));
		for (const part of inFlights.get(ctx)!.take(key)) live.offerPart(part);
	}
	live.used = Date.now();
	await live.refresh();
	await live.ready;
	return live;
}

/** The channel's live state if someone watches it here (a part's request never starts a channel). */
export function watchedChannel(ctx: CloudContext, device: string, channel: number): LiveChannel | undefined {
	return registries.get(ctx)?.get(`${device}/${channel}`);
}
