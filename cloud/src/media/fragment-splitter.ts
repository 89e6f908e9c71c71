// Cuts a segment's body into its fragments as the bytes arrive: each part ends
// with the `mdat` that follows a `moof` (boxes before it — styp, prft… — go
// with it), so the parts put end to end are the body exactly. Only top-level
// box headers are read here; what a part holds is checked by parseSegment.
// A box this cannot size (size 0, "to the end of the file", or one over
// `maxPart`) stops the cutting: the rest of the body makes no parts.

/** The bytes of one fragment (moof + mdat, with the boxes before it). */
export type FragmentSink = (bytes: Buffer) => void;

export class FragmentSplitter {
	readonly #sink: FragmentSink;
	readonly #maxPart: number;
	#chunks: Buffer[] = [];
	/** Bytes held (the part so far), and where the box being read starts in them. */
	#held = 0;
	#boxAt = 0;
	#sawMoof = false;
	#stopped = false;

	constructor(sink: FragmentSink, maxPart: number) {
		this.#sink = sink;
		this.#maxPart = maxPart;
	}

	/** Whether cutting stopped (an unsizable box, or a part over the limit). */
	get stopped(): boolean {
		return this.#stopped;
	}

	write(chunk: Buffer): void {
		if (this.#stopped) return;
		this.#chunks.push(chunk);
		this.#held += chunk.length;
		while (!this.#stopped && this.#held - this.#boxAt >= 8) {
			let header = this.#peek(this.#boxAt, 8);
			let size = header.readUInt32BE(0);
			const type = header.toString("latin1", 4, 8);
			if (size === 1) {
				if (this.#held - this.#boxAt < 16) return;
				header = this.#peek(this.#boxAt, 16);
				size = Number(header.readBigUInt64BE(8));
			}
			if (size < 8 || this.#boxAt + size > this.#maxPart) {
				this.#stop();
				return;
			}
			if (this.#held < this.#boxAt + size) return;
			this.#boxAt += size;
			if (type === "moof") this.#sawMoof = true;
			else if (type === "mdat" && this.#sawMoof) this.#emit();
		}
		if (this.#held > this.#maxPart) this.#stop();
	}

	#emit(): void {
		const all = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#held);
		const part = all.subarray(0, this.#boxAt);
		const rest = all.subarray(this.#boxAt);
		this.#chunks = rest.length ? [rest] : [];
		this.#held = rest.length;
		this.#boxAt = 0;
		this.#sawMoof = false;
		this.#sink(part);
	}

	/** `length` bytes from `at` of the held chunks (a header may straddle two). */
	#peek(at: number, length: number): Buffer {
		const first = this.#chunks[0];
		if (first.length >= at + length) return first.subarray(at, at + length);
		this.#chunks = [Buffer.concat(this.#chunks, this.#held)];
		return this.#chunks[0].subarray(at, at + length);
	}

	#stop(): void {
		this.#stopped = true;
		this.#chunks = [];
		this.#held = 0;
	}
}
