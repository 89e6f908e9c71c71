// Cuts a segment's body into its fragments as the bytes arrive: each part ends
// with the `mdat` that follows a `moof` (boxes before it — styp, prft… — go
// with it), so the parts put end to end are the body exactly. Only top-level
// box headers are read here; what a part holds is checked by parseSegment.
// A box this cannot size (size 0, "to the end of the file", or one over
// `maxPart`), or a part of more than `maxBoxesPerPart` boxes, stops the
// cutting: the rest of the body makes no parts (the segment is still stored).
// Linear in the body: the held chunks are walked by a cursor and copied once,
// when their part is cut (a hostile body of tiny boxes once cost a copy of the
// whole part per box header: 16 MiB in 4 KiB writes took 10.8 s).

/** The bytes of one fragment (moof + mdat, with the boxes before it). */
export type FragmentSink = (bytes: Buffer) => void;

/** Top-level boxes one part may have: a camera's are moof + mdat, a packager adds styp, prft or emsg. */
export const maxBoxesPerPart = 64;

export class FragmentSplitter {
	readonly #sink: FragmentSink;
	readonly #maxPart: number;
	#chunks: Buffer[] = [];
	/** Bytes held (the part so far), and where the box being read starts in them. */
	#held = 0;
	#boxAt = 0;
	/** Where #boxAt lies: the chunk, and the offset in it. */
	#chunk = 0;
	#offset = 0;
	#boxes = 0;
	#sawMoof = false;
	#stopped = false;
	/** A box header that straddles chunks is gathered here. */
	readonly #header = Buffer.alloc(16);

	constructor(sink: FragmentSink, maxPart: number) {
		this.#sink = sink;
		this.#maxPart = maxPart;
	}

	/** Whether cutting stopped (an unsizable box, a part over the limit or of too many boxes). */
	get stopped(): boolean {
		return this.#stopped;
	}

	write(chunk: Buffer): void {
		if (this.#stopped || !chunk.length) return;
		this.#chunks.push(chunk);
		this.#held += chunk.length;
		while (!this.#stopped && this.#held - this.#boxAt >= 8) {
			let header = this.#peek(8);
			let size = header.readUInt32BE(0);
			const type = header.toString("latin1", 4, 8);
			if (size === 1) {
				if (this.#held - this.#boxAt < 16) return;
				header = this.#peek(16);
				size = Number(header.readBigUInt64BE(8));
			}
			if (size < 8 || this.#boxAt + size > this.#maxPart || this.#boxes >= maxBoxesPerPart) {
				this.#stop();
				return;
			}
			if (this.#held < this.#boxAt + size) return;
			this.#advance(size);
			this.#boxes++;
			if (type === "moof") this.#sawMoof = true;
			else if (type === "mdat" && this.#sawMoof) this.#emit();
		}
		if (this.#held > this.#maxPart) this.#stop();
	}

	/** The part is the held bytes before #boxAt: copied once (a view when one chunk holds it). */
	#emit(): void {
		const whole = this.#chunks.slice(0, this.#chunk);
		const last = this.#chunks[this.#chunk];
		if (this.#offset) whole.push(last.subarray(0, this.#offset));
		const part = whole.length === 1 ? whole[0] : Buffer.concat(whole, this.#boxAt);
		const rest = last && this.#offset < last.length ? last.subarray(this.#offset) : undefined;
		this.#chunks = [...(rest ? [rest] : []), ...this.#chunks.slice(this.#chunk + 1)];
		this.#held -= this.#boxAt;
		this.#boxAt = this.#chunk = this.#offset = this.#boxes = 0;
		this.#sawMoof = false;
		this.#sink(part);
	}

	/** Moves #boxAt on by `size` held bytes. */
	#advance(size: number): void {
		this.#boxAt += size;
		let left = this.#offset + size;
		while (this.#chunk < this.#chunks.length && left >= this.#chunks[this.#chunk].length) left -= this.#chunks[this.#chunk++].length;
		this.#offset = left;
	}

	/** `length` (≤ 16) held bytes from #boxAt: a view, or a copy when they straddle chunks. */
	#peek(length: number): Buffer {
		const first = this.#chunks[this.#chunk];
		if (first.length >= this.#offset + length) return first.subarray(this.#offset, this.#offset + length);
		let got = first.copy(this.#header, 0, this.#offset);
		for (let i = this.#chunk + 1; got < length; i++) got += this.#chunks[i].copy(this.#header, got, 0, length - got);
		return this.#header.subarray(0, length);
	}

	#stop(): void {
		this.#stopped = true;
		this.#chunks = [];
		this.#held = 0;
	}
}
