/**
 * A board slot's payload (slots.ts SlotPayload) in a flash partition, through ECMA-419
 * `embedded:storage/flash` (the SDK's modules/io/flash/esp32: read, write, eraseBlock by block
 * index, status → size and blockLength). The mod archive is written from offset 0, where XS maps
 * it (xsHost.c modInstallMods); nothing is unpacked.
 *
 * NOR flash: an erase sets a block to 0xFF, a write only clears bits. So:
 * - blocks are erased one at a time just ahead of the write that reaches them — never the whole
 *   partition up front, never a block that holds good bytes, no second copy in RAM;
 * - which bytes are good after a power cut is a progress mark (a record: board-records.ts)
 *   written after every `markEvery` bytes (64 KiB by default, whole blocks), after the last byte
 *   (sync) and, when a download stops without a cut (close), at the last whole block written.
 *   A resume starts at the mark — a block boundary, so the block it writes next is erased
 *   first, whatever a cut left in it; the updater hashes the bytes before the mark again from
 *   flash. A cut costs at most `markEvery` bytes downloaded again.
 * - the mark is written only after the bytes it counts (ESP-IDF's esp_partition_write has
 *   programmed them when it returns), so it never counts a byte that is not there.
 */
import type { PayloadWriter, SlotPayload } from "../../ota/slots.js";

export interface FlashStorage {
	read(byteLength: number, byteOffset: number): ArrayBuffer;
	write(buffer: Uint8Array, byteOffset: number): void;
	/** Erases blocks start … end - 1 (block indexes). */
	eraseBlock(start: number, end?: number): void;
	status(): { size: number; blockLength: number };
	close(): void;
}

export interface FlashPayloadOptions {
	/** Opens the slot's partition (embedded:storage/flash's open({ path })). */
	open: () => FlashStorage;
	/** Where the progress mark is kept. */
	records: { read(name: string): string | undefined; write(name: string, text: string | undefined): void };
	/** The mark's record name. */
	mark: string;
	/** Bytes between marks (rounded up to whole blocks; default 64 KiB). */
	markEvery?: number;
}

export class FlashPayload implements SlotPayload {
	#o: FlashPayloadOptions;
	constructor(options: FlashPayloadOptions) {
		this.#o = options;
	}

	capacity(): number {
		return this.#with((flash) => flash.status().size);
	}

	good(): number {
		const mark = Number(this.#o.records.read(this.#o.mark) ?? 0);
		return Number.isSafeInteger(mark) && mark > 0 ? Math.min(mark, this.capacity()) : 0;
	}

	read(offset: number, length: number): Uint8Array {
		return this.#with((flash) => new Uint8Array(flash.read(length, offset)));
	}

	open(offset: number): PayloadWriter {
		if (offset !== 0 && offset !== this.good()) throw new RangeError("a payload resumes at its mark");
		const flash = this.#o.open();
		const { size, blockLength } = flash.status();
		const every = Math.max(1, Math.ceil((this.#o.markEvery ?? 65536) / blockLength)) * blockLength;
		const records = this.#o.records, name = this.#o.mark;
		// Only the final mark (after sync) is not a block boundary, and nothing follows it.
		const resumable = offset % blockLength === 0;
		let next = offset, erased = offset, marked = offset, open = true;
		const mark = (at: number) => {
			if (at <= marked) return;
			records.write(name, String(at));
			marked = at;
		};
		return {
			write(bytes: Uint8Array): void {
				if (!open) throw new Error("closed");
				if (!bytes.length) return;
				const end = next + bytes.length;
				if (end > size) throw new RangeError(`beyond the slot's ${size} bytes`);
				if (!resumable) throw new RangeError("a payload resumes at a block boundary");
				for (; erased < end; erased += blockLength) flash.eraseBlock(erased / blockLength, erased / blockLength + 1);
				flash.write(bytes, next);
				next = end;
				mark(next - (next % every));
			},
			sync(): void {
				mark(next);
			},
			close(): void {
				if (!open) return;
				open = false;
				try {
					mark(next - (next % blockLength));
				}
				finally {
					flash.close();
				}
			},
		};
	}

	/** No erase here: blocks are erased as the next download reaches them. */
	clear(): void {
		if (this.#o.records.read(this.#o.mark) !== undefined) this.#o.records.write(this.#o.mark, undefined);
	}

	/** The archive is already where XS maps it. */
	install(): void {}

	#with<T>(use: (flash: FlashStorage) => T): T {
		const flash = this.#o.open();
		try {
			return use(flash);
		}
		finally {
			flash.close();
		}
	}
}
Object.freeze(FlashPayload.prototype);
