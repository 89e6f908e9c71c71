/**
 * The payload of an "ivxs-modules" bundle (modules/ota/FORMAT.md §Payload): the Linux host's app
 * layer as compiled module files. Written by `npm run sign-release`, unpacked by the device from
 * its slot file piece by piece (read(offset, length) is injected: never the whole archive in RAM).
 *
 *   "IVXSMOD1" then entries: u16 BE path length | path (ASCII) | u32 BE size | the file's bytes
 */
import { asciiText as ascii } from "../protocol/ascii.js";
import { pattern } from "../protocol/pattern.js";

export const ARCHIVE_MAGIC = "IVXSMOD1";
export const MAX_ENTRIES = 2048;
/** One module file at most (a compiled module is tens of KiB). */
export const MAX_ENTRY_BYTES = 4 * 1024 * 1024;
/** Only app modules: a bundle can never shadow the host's own (ivxs/platform, timer, …). */
const PATH = pattern(/^modules\x2f([a-z0-9_-]+\x2f)*[a-z0-9_.-]+\.js$/);

export class ArchiveError extends Error {
	readonly code = "archive";
	override name = "ArchiveError";   // a field: Moddable builds freeze Error.prototype (modules/net/errors.ts)
	constructor(message: string) {
		super(message);
	}
}

export const isArchivePath = (path: string): boolean => PATH.test(path) && !path.split("/").some((part) => part === ".." || part === ".");


/** The archive of [path, bytes] pairs (Node's signer). */
export function encodeArchive(files: [string, Uint8Array][]): Uint8Array {
	if (files.length > MAX_ENTRIES) throw new ArchiveError(`more than ${MAX_ENTRIES} files`);
	let size = ARCHIVE_MAGIC.length;
	for (const [path, bytes] of files) {
		if (!isArchivePath(path)) throw new ArchiveError(`not an app module path: ${path}`);
		if (bytes.length > MAX_ENTRY_BYTES) throw new ArchiveError(`${path}: larger than ${MAX_ENTRY_BYTES} bytes`);
		size += 2 + path.length + 4 + bytes.length;
	}
	const out = new Uint8Array(size);
	const view = new DataView(out.buffer);
	let at = 0;
	for (let i = 0; i < ARCHIVE_MAGIC.length; i++) out[at++] = ARCHIVE_MAGIC.charCodeAt(i);
	for (const [path, bytes] of files) {
		view.setUint16(at, path.length);
		at += 2;
		for (let i = 0; i < path.length; i++) out[at++] = path.charCodeAt(i);
		view.setUint32(at, bytes.length);
		at += 4;
		out.set(bytes, at);
		at += bytes.length;
	}
	return out;
}

/**
 * Walks an archive of `size` bytes through read(offset, length) and hands each entry to
 * onFile(path, offset, length) (where its bytes are). Every path and length is checked before
 * the first onFile: a bad archive changes nothing.
 */
export function walkArchive(size: number, read: (offset: number, length: number) => Uint8Array, onFile: (path: string, offset: number, length: number) => void): number {
	const entries: [string, number, number][] = [];
	if (size < ARCHIVE_MAGIC.length || ascii(read(0, ARCHIVE_MAGIC.length)) !== ARCHIVE_MAGIC) throw new ArchiveError("not an ivxs module archive");
	let at = ARCHIVE_MAGIC.length;
	while (at < size) {
		if (entries.length === MAX_ENTRIES) throw new ArchiveError(`more than ${MAX_ENTRIES} files`);
		if (size - at < 2) throw new ArchiveError("truncated entry");
		const head = read(at, 2);
		const pathLength = (head[0] << 8) | head[1];
		if (size - at < 2 + pathLength + 4) throw new ArchiveError("truncated entry");
		const path = ascii(read(at + 2, pathLength));
		const sizeBytes = read(at + 2 + pathLength, 4);
		const length = new DataView(sizeBytes.buffer, sizeBytes.byteOffset, 4).getUint32(0);
		at += 2 + pathLength + 4;
		if (!isArchivePath(path)) throw new ArchiveError(`not an app module path: ${path}`);
		if (length > MAX_ENTRY_BYTES || length > size - at) throw new ArchiveError(`${path}: bad length ${length}`);
		entries.push([path, at, length]);
		at += length;
	}
	for (const [path, offset, length] of entries) onFile(path, offset, length);
	return entries.length;
}
