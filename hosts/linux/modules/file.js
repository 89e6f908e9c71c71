// ivxs/file — file and range reads, append-only writers (scatter-list writes),
// and listing, removing and durably renaming the files of a folder (the local
// recording store) on the Linux host. Recordings and demo output go through FileWriter.
//
// FileWriter is a plain class over a host object that owns the descriptor
// (snapshot-safe, like native/ring): JS never sees the descriptor, close() is
// idempotent, and garbage collection closes a writer nobody closed.
function read(path, maxBytes, offset) @ "xs_file_read";
function open(path, truncate) @ "xs_file_open";
function writev(writer, chunks) @ "xs_file_writev";
function truncate(writer, length) @ "xs_file_truncate";
function close(writer) @ "xs_file_close";
function sync(writer) @ "xs_file_sync";
// size(path): a regular file's size, or undefined when there is none.
export function fileSize(path) @ "xs_file_size";
// replace(path, buffer): temporary file, fsync, rename over path — the old content or the new.
function replace(path, data) @ "xs_file_replace";
// removeTree(path): a file or a folder and everything in it (nothing there is fine).
export function removeTree(path) @ "xs_file_remove_tree";

export function replaceFile(path, data) {
	replace(String(path), data);
}
export function makeDirectory(path) @ "xs_file_mkdir";
function list(path) @ "xs_file_list";
function remove(path) @ "xs_file_remove";
function rename(from, to) @ "xs_file_rename";

// readFile(path, { maxBytes, offset }): the whole file, or maxBytes of it from offset.
export function readFile(path, { maxBytes = Infinity, offset = 0 } = {}) {
	if (!(maxBytes >= 0)) throw new RangeError("readFile: invalid maxBytes");
	if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError("readFile: invalid offset");
	return read(String(path), maxBytes, offset);
}

// listDirectory(path): [{ name, size }] of the folder's regular files, any order.
export function listDirectory(path) {
	return list(String(path));
}

// removeFile(path): a missing file is not an error.
export function removeFile(path) {
	remove(String(path));
}

// renameFile(from, to): durable (the bytes reach the disk before the new name).
export function renameFile(from, to) {
	rename(String(from), String(to));
}

export class FileWriter {
	#writer;
	#written = 0;
	constructor(path, { truncate = true } = {}) {
		this.#writer = open(String(path), truncate);
	}
	// Bytes written through this writer (truncate() sets it back).
	get written() { return this.#written; }
	// write(...chunks) or write(chunksArray): every chunk is written, or it throws.
	write(...chunks) {
		if (!this.#writer) throw new Error("closed");
		const list = chunks.length === 1 && Array.isArray(chunks[0]) ? chunks[0] : chunks;
		this.#written += writev(this.#writer, list);
	}
	// truncate(length): shrinks back to an earlier `written` (0 ≤ length ≤ written),
	// e.g. to roll back a fragment that turned out torn; later writes follow it.
	truncate(length) {
		if (!this.#writer) throw new Error("closed");
		if (!Number.isInteger(length) || length < 0 || length > this.#written)
			throw new RangeError(`truncate: invalid length ${length} (0 to ${this.#written})`);
		truncate(this.#writer, length);
		this.#written = length;
	}
	// sync(): what was written is on the disk (fsync).
	sync() {
		if (!this.#writer) throw new Error("closed");
		sync(this.#writer);
	}
	close() {
		if (!this.#writer) return;
		const writer = this.#writer;
		this.#writer = undefined;
		close(writer);
	}
}
Object.freeze(FileWriter.prototype);
