/*
 * ivxs/platform on Moddable builds (mcsim `lin`, ESP32): the contract of
 * modules/app/platform.d.ts on Moddable's own modules — `file` for files,
 * the manifest's config for arguments, trace() for the log — and the host's
 * memory counters (hosts/moddable/host.js).
 */
import { File, Directory } from "file";
import config from "mc/config";
import { memory as hostMemory } from "ivxs/moddable";

type Chunk = ArrayBuffer | ArrayBufferView;

export function readFile(path: string, options: { maxBytes?: number } = {}): ArrayBuffer {
	const maxBytes = options.maxBytes ?? Infinity;
	if (!(maxBytes >= 0)) throw new RangeError("readFile: invalid maxBytes");
	const file = new File(path);
	try {
		const length = Math.min(file.length, maxBytes);
		return length > 0 ? file.read(ArrayBuffer, length) : new ArrayBuffer(0);
	}
	finally {
		file.close();
	}
}

export function makeDirectory(path: string): void {
	Directory.create(path);   // one level, an existing directory is fine: as on Linux
}

export class FileWriter {
	#file: File | undefined;
	#written = 0;
	// The last write, gathered but not yet in the file: truncate() can take it
	// back (Moddable's File cannot shrink a file). Written at the next write or close.
	#pending: ArrayBuffer | undefined;
	constructor(path: string) {
		// Moddable's File opens for writing without truncating: start afresh.
		if (File.exists(path)) File.delete(path);
		this.#file = new File(path, true);
	}
	get written(): number { return this.#written; }
	write(...chunks: (Chunk | Chunk[])[]): void {
		const file = this.#file;
		if (!file) throw new Error("closed");
		const list = (chunks.length === 1 && Array.isArray(chunks[0]) ? chunks[0] : chunks) as Chunk[];
		// File.write takes ArrayBuffers, not views: gather the scatter list
		// into one (a copy the Linux host's writev avoids).
		let total = 0;
		for (const chunk of list) total += chunk.byteLength;
		if (!total) return;
		const gathered = new Uint8Array(total);
		let at = 0;
		for (const chunk of list) {
			gathered.set(ArrayBuffer.isView(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : new Uint8Array(chunk), at);
			at += chunk.byteLength;
		}
		this.#flush();
		this.#pending = gathered.buffer;
		this.#written += total;
	}
	truncate(length: number): void {
		if (!this.#file) throw new Error("closed");
		if (length === this.#written) return;
		const pending = this.#pending;
		if (!pending || length !== this.#written - pending.byteLength) throw new RangeError("truncate: only the last write can be taken back");
		this.#pending = undefined;
		this.#written = length;
	}
	close(): void {
		if (this.#file) this.#flush();
		this.#file?.close();
		this.#file = undefined;
	}
	#flush(): void {
		if (this.#pending) this.#file!.write(this.#pending);
		this.#pending = undefined;
	}
}

/** The manifest's `config.args` (mcsim and boards have no command line). */
export function argv(): string[] {
	const args: unknown = config.args;
	return Array.isArray(args) ? args.map(String) : [];
}

export function memory() {
	return hostMemory();
}

// As the Linux host's --log-level: the manifest's config.logLevel, default
// "warn". Frozen: the module is preloaded, so what its functions reach must be.
const levels = Object.freeze(["error", "warn", "info", "debug"] as const);
function write(level: number, message: unknown) {
	const shown = levels.indexOf(config.logLevel ?? "warn");
	if (level <= (shown < 0 ? 1 : shown)) trace(`[${levels[level]}] ${String(message)}\n`);
}
Object.freeze(write);
export const log = Object.freeze({
	error(message: unknown) { write(0, message); },
	warn(message: unknown) { write(1, message); },
	info(message: unknown) { write(2, message); },
	debug(message: unknown) { write(3, message); },
});
