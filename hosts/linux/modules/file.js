// ivxs/file — whole-file reads and append-only writers (scatter-list writes)
// on the Linux host. Recordings and demo output go through FileWriter.
function read(path, maxBytes) @ "xs_file_read";
function open(path, truncate) @ "xs_file_open";
function writev(fd, chunks) @ "xs_file_writev";
function close(fd) @ "xs_file_close";
function truncate(fd, bytes) @ "xs_file_truncate";
export function makeDirectory(path) @ "xs_file_mkdir";

// readFile(path, { maxBytes }): the whole file, or its first maxBytes.
export function readFile(path, { maxBytes = Infinity } = {}) {
	if (!(maxBytes >= 0)) throw new RangeError("readFile: invalid maxBytes");
	return read(String(path), maxBytes);
}

export class FileWriter {
	#fd;
	#written = 0;
	constructor(path, { truncate = true } = {}) {
		this.#fd = open(String(path), truncate);
	}
	get written() { return this.#written; }
	// write(...chunks) or write(chunksArray): every chunk is written, or it throws.
	write(...chunks) {
		if (this.#fd < 0) throw new Error("closed");
		const list = chunks.length === 1 && Array.isArray(chunks[0]) ? chunks[0] : chunks;
		this.#written += writev(this.#fd, list);
	}
	// truncate(length): cut what this writer wrote back to `length` bytes (a
	// past value of `written`); the next write goes there. A sink's rollback
	// of a fragment it must not emit (native/ring/README.md "Zero-copy output").
	truncate(length) {
		if (this.#fd < 0) throw new Error("closed");
		if (!(Number.isInteger(length) && length >= 0 && length <= this.#written)) throw new RangeError("truncate: invalid length");
		truncate(this.#fd, this.#written - length);
		this.#written = length;
	}
	close() {
		if (this.#fd < 0) return;
		const fd = this.#fd;
		this.#fd = -1;
		close(fd);
	}
}
Object.freeze(FileWriter.prototype);
