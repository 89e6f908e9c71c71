/**
 * Upload and retry for one channel's recorder (cloud/PROTOCOL.md §3): the stream (its init, PUT
 * once; its end), the segment's request (fragments go to the socket as views of ring frames while
 * the segment is cut; `intact()` is checked before each chunk is terminated, so a torn view aborts
 * the request and the cloud stores nothing), the cloud's answer, and the backoff between attempts.
 *
 * What calls for the segment to be made again from the cursor is a result (`Again`), not an
 * exception — but for a fragment's write, whose failure rejects its promise as it is (no step
 * after it: five a second): the recorder turns whatever it caught into an Again with againAfter.
 */
import { intact } from "ring";
import type { Frame } from "ring";
import { bytesEqual, type AudioConfig, type VideoConfig } from "../media/index.js";
import { initSegment } from "../media/mp4-boxes.js";
import { backoffDelay } from "../net/backoff.js";
import { totalLength } from "../net/bytes.js";
import { ChangedError } from "../net/errors.js";
import type { HttpResponse } from "../net/http-client.js";
import type { SignedStream } from "../net/signing.js";
import type { MuxOutput, SegmentMux } from "./segment-mux.js";
import { Verdict, verdictOfAnswer } from "../protocol/verdict.js";
import { CLOCK_JUMP_MS } from "../protocol/cloud-time.js";
import { StreamClient, describe } from "./stream-client.js";

export interface Stream {
	id: string;
	/** Ring time of decode time 0, and its wall clock. */
	origin: number;
	epoch: number;
	/** The init segment and the track configurations it was made of. */
	init: Uint8Array | undefined;
	video: VideoConfig | undefined;
	audio: AudioConfig | undefined;
	initStored: boolean;
	/** Audio began after the stream's init: this stream goes on without it, and ends at the next segment. */
	audioless: boolean;
	seq: number;
}

/** The segment must be made again from the cursor — after a backoff when `delay`. */
export interface Again {
	again: true;
	delay: boolean;
	reason: string;
	/** The segment went out whole and no answer came: the cloud may hold it under its seq. */
	unanswered?: boolean;
	/** Then: the SHA-256 of what went out (hex). */
	sha256?: string;
}

/** The cloud's final word on a segment: stored (201, or 200 for one it had) or refused for good. */
export interface Answer {
	again: false;
	stored: boolean;
	response: HttpResponse;
	/** The stream and sequence number the segment was sent as. */
	stream: Stream;
	seq: number;
}

/** Make the segment again from the cursor, after a backoff when `delay`, for `reason`. */
export const again = (delay: boolean, reason: string): Again => ({ again: true, delay, reason });

/** What a failure caught while a segment was made calls for: at once when a ring frame was
 * overwritten under a fragment's write (the frames are read again from the cursor's next), else
 * after a backoff (a socket error, a reset: what nobody planned for). */
export const againAfter = (error: unknown): Again =>
	error instanceof ChangedError ? again(false, "a ring frame was overwritten while it was sent") : again(true, (error as Error)?.message ?? String(error));

export interface UploaderOptions {
	client: StreamClient;
	/** Wall clock minus ring time, ms (a new stream's epoch). */
	offset: () => number;
	/** Counts the streams begun (the recorder's stats). */
	stats: { streams: number };
	log: (message: string) => void;
	/** Reconnect backoff, ms (defaults 500 doubling to 8000, jittered). */
	retry?: { minDelay?: number; maxDelay?: number };
}

export class Uploader {
	readonly #o: UploaderOptions;
	#stream: Stream | undefined;
	#upload: SignedStream | undefined;
	#lastStreamId = "";
	#failures = 0;
	/** The fragment last handed to the segment's request (its views checked when the socket took them). */
	#chunks: Uint8Array[] | undefined;
	#segmentBytes = 0;

	constructor(options: UploaderOptions) {
		this.#o = options;
	}

	/** The fragments' bytes handed to the segment's request so far (its init's not counted). */
	get segmentBytes(): number {
		return this.#segmentBytes;
	}

	/** The stream being uploaded, if any. */
	get stream(): Stream | undefined {
		return this.#stream;
	}

	/** The wall clock moved more than CLOCK_JUMP_MS since the current stream began: it must end. */
	get clockJumped(): boolean {
		const stream = this.#stream;
		return !!stream && Math.abs(this.#o.offset() - (stream.epoch - stream.origin)) > CLOCK_JUMP_MS;
	}

	/** The stream a segment starting at `first` belongs to: the current one, or a new one from `first`. */
	streamFrom(first: Frame): Stream {
		return this.#stream ??= this.#newStream(first.timestamp);
	}

	/**
	 * Sends what the muxer emitted: fragments into the segment's request, after the stream's init
	 * (PUT once per stream, #initOf). Resolves when the socket took them (undefined) or with an
	 * Again; a write's failure rejects (againAfter).
	 */
	send(mux: SegmentMux): Promise<Again | undefined> {
		const outputs = mux.outputs;
		// A segment's first output is its init: the stream's own once stored, as it is at every
		// segment but a stream's first, which leaves the usual call.
		if (outputs.length > 1 && outputs[0].init && this.#initStoredAs(mux)) outputs.shift();
		// The usual call: fragments without an init, in one write (the recorder's batch), its promise —
		// not an async function, whose call and await cost XS ~1 KB of garbage.
		if (outputs.length && firstInit(outputs) === outputs.length) return this.#write(takeFragments(outputs)!);
		return this.#sendAll(mux);
	}

	/** The stream's init segment as `mux` would make it now: its tracks' configurations, this
	 * segment's where it has them (a segment without audio belongs to a stream with audio). */
	#initOf(mux: SegmentMux): { video: VideoConfig | undefined; audio: AudioConfig | undefined; bytes: Uint8Array } {
		const stream = this.#stream!;
		const video = mux.videoConfig ?? stream.video;
		const audio = stream.audioless ? undefined : mux.audioConfig ?? stream.audio;
		return { video, audio, bytes: initSegment(video, audio) };
	}

	/** Whether the stream's init is stored and the same as `mux`'s: nothing to send for it. */
	#initStoredAs(mux: SegmentMux): boolean {
		const stream = this.#stream!;
		if (!stream.initStored || !stream.init) return false;
		const { video, audio, bytes } = this.#initOf(mux);
		if (!bytesEqual(stream.init, bytes)) return false;
		stream.video = video;
		stream.audio = audio;
		return true;
	}

	async #sendAll(mux: SegmentMux): Promise<Again | undefined> {
		const outputs = mux.outputs;
		while (outputs.length) {
			const fragments = takeFragments(outputs);
			if (fragments) {
				await this.#write(fragments);
				continue;
			}
			outputs.shift();   // an init: the stream's, or a new stream's
			let stream = this.#stream!;
			const { video, audio, bytes } = this.#initOf(mux);
			if (stream.init && !bytesEqual(stream.init, bytes)) {
				if (this.#upload) {
					// Audio began in the middle of a segment whose stream has none: this stream
					// goes on without it, and the next segment starts a stream with both.
					stream.audioless = true;
					return again(false, "audio began within a segment: its stream goes on without it");
				}
				// Other tracks (audio began after the stream started): a new stream with the same time 0.
				await this.finishStream();
				stream = this.#stream = this.#newStream(stream.origin, stream.epoch);
			}
			stream.init = bytes;
			stream.video = video;
			stream.audio = audio;
			if (!stream.initStored) {
				const failed = await this.#putInit(stream);
				if (failed) return failed;
			}
		}
		return undefined;
	}

	/** Writes fragments into the segment's request (begun by the first). Not an async function
	 * and no step after the write's own promise: each is XS garbage, at every write. */
	#write(chunks: Uint8Array[]): Promise<undefined> {
		try {
			const stream = this.#stream!;
			const upload = this.#upload ??= this.#o.client.segment(stream.id, stream.seq);
			this.#chunks = chunks;
			this.#segmentBytes += totalLength(chunks);
			return upload.write(chunks, this.#intact) as Promise<undefined>;
		}
		catch (error) {
			return Promise.reject(error);
		}
	}

	/** The write's check when the socket took its views (one function per uploader, not a closure per fragment). */
	readonly #intact = (): boolean => intact(this.#chunks!);

	/**
	 * Ends the segment's request and reads the cloud's answer (undefined: nothing was sent, the
	 * muxer wrote nothing). A stored or refused segment takes its sequence number.
	 */
	async answer(): Promise<Answer | Again | undefined> {
		const upload = this.#upload;
		this.#upload = undefined;
		this.#chunks = undefined;
		this.#segmentBytes = 0;
		const stream = this.#stream!;   // send() may have begun a new stream (an audio track appeared)
		if (!upload) return undefined;
		let response: HttpResponse;
		try {
			response = await this.#o.client.answer(upload);
		}
		catch (error) {
			if (!upload.complete) throw error;
			// The whole body went out and the connection died before the answer: the cloud may
			// have stored it (PROTOCOL §3.2 "Cuts and retries"): the recorder keeps that in mind.
			return { ...again(true, (error as Error).message), unanswered: true, sha256: upload.sha256 };
		}
		const verdict = verdictOfAnswer(response);
		if (verdict === Verdict.ReInit) {
			stream.initStored = false;
			return again(false, `the cloud has no init for stream ${stream.id} (404): sending it again`);
		}
		if (verdict === Verdict.Retry) return again(true, `cloud answered ${describe(response)}`);
		const seq = stream.seq++;
		return { again: false, stored: verdict === Verdict.Stored, response, stream, seq };
	}

	/** Abandons the segment in flight (the cloud stores nothing of it). */
	abort(reason?: string): void {
		this.#upload?.abort(reason);
		this.#upload = undefined;
		this.#chunks = undefined;
		this.#segmentBytes = 0;
	}

	/** Ends the current stream (POST …/end); failures only cost the cloud an early close. */
	async finishStream(): Promise<void> {
		const stream = this.#stream;
		if (!stream) return;
		this.#stream = undefined;
		if (!stream.initStored) return;
		try {
			const response = await this.#o.client.end(stream.id);
			if (response.status !== 200) this.#o.log(`end of ${stream.id}: ${describe(response)}`);
		}
		catch (error) {
			this.#o.log(`end of ${stream.id}: ${(error as Error).message}`);
		}
	}

	/** An attempt went through: the backoff starts again from its shortest delay. */
	succeeded(): void {
		this.#failures = 0;
	}

	/** How long to wait before the next attempt after a failure, ms. */
	retryDelay(): number {
		const { minDelay = 500, maxDelay = 8000 } = this.#o.retry ?? {};
		return backoffDelay(this.#failures++, minDelay, maxDelay, Math.random());
	}

	async #putInit(stream: Stream): Promise<Again | undefined> {
		const response = await this.#o.client.putInit(stream.id, stream.init!, stream.epoch);
		const verdict = verdictOfAnswer(response);
		if (verdict === Verdict.Stored) {
			stream.initStored = true;
			return undefined;
		}
		if (verdict === Verdict.Retry || verdict === Verdict.ReInit) return again(true, `init of ${stream.id}: ${describe(response)}`);
		// Refused for good (409: the id is taken by another init): a new stream id.
		this.#o.log(`init of ${stream.id} refused: ${describe(response)}; starting a new stream`);
		this.#stream = undefined;
		return again(true, "init refused");
	}

	/** A new stream with time 0 at ring time `origin` (`epoch`: its wall clock, when it continues another). */
	#newStream(origin: number, epoch = Math.round(origin + this.#o.offset())): Stream {
		const stats = this.#o.stats;
		stats.streams++;
		// Stream ids: the unix ms of the start, made unique per channel.
		let id = String(epoch);
		if (id === this.#lastStreamId) id += `-${stats.streams}`;
		this.#lastStreamId = id;
		return { id, origin, epoch, init: undefined, video: undefined, audio: undefined, initStored: false, audioless: false, seq: 0 };
	}
}

/** Where the first init among `outputs` is (its length when there is none). */
function firstInit(outputs: MuxOutput[]): number {
	let n = 0;
	while (n < outputs.length && !outputs[n].init) n++;
	return n;
}

/** The fragments before the first init among `outputs`, taken out of it, as one write's scatter
 * list; undefined when `outputs` begins with an init or is empty. */
function takeFragments(outputs: MuxOutput[]): Uint8Array[] | undefined {
	const n = firstInit(outputs);
	if (n === 0) return undefined;
	const chunks = outputs[0].chunks;   // (the muxer's array for this output alone: extended in place)
	for (let i = 1; i < n; i++) {
		const more = outputs[i].chunks;
		for (let j = 0; j < more.length; j++) chunks.push(more[j]);
	}
	if (n === outputs.length) outputs.length = 0;
	else outputs.splice(0, n);
	return chunks;
}
