// The segment upload in flight on each channel nobody watches here yet, as
// the raw fragments ingest cut from it (views of the body it holds anyway
// until the commit), so a channel that becomes watched lists its segment in
// flight at once: its first playlist already has parts, and a player starts
// PART-HOLD-BACK behind the newest part instead of a segment further back.
// One upload per channel (a new one replaces it), dropped at its commit or
// failure, and any left after `staleMs` (an upload answered as a duplicate).
import type { IncomingPart } from "./live-parts.js";

const staleMs = 30_000;

interface Upload {
	parts: IncomingPart[];
	at: number;
}

export class InFlightUploads {
	readonly #uploads = new Map<string, Upload>();

	get size(): number {
		return this.#uploads.size;
	}

	/** A fragment of an upload on a channel not watched here. */
	add(key: string, part: IncomingPart, now = Date.now()): void {
		const upload = this.#uploads.get(key);
		if (part.index === 0) this.#uploads.set(key, { parts: [part], at: now });
		else if (upload && same(upload.parts[0], part) && part.index === upload.parts.length) upload.parts.push(part);
	}

	/** The upload of `stream`/`seq` ended (committed or failed). */
	ended(key: string, stream: string, seq: number): void {
		const first = this.#uploads.get(key)?.parts[0];
		if (first && first.stream === stream && first.seq === seq) this.#uploads.delete(key);
	}

	/** The channel is watched now: its upload in flight, handed over. */
	take(key: string): IncomingPart[] {
		const upload = this.#uploads.get(key);
		this.#uploads.delete(key);
		return upload?.parts ?? [];
	}

	sweep(now = Date.now()): void {
		for (const [key, upload] of this.#uploads) if (now - upload.at > staleMs) this.#uploads.delete(key);
	}
}

const same = (a: IncomingPart, b: IncomingPart) => a.stream === b.stream && a.seq === b.seq;
