declare module "ivxs/file" {
	/** The whole file, or maxBytes of it from offset (default 0). */
	export function readFile(path: string, options?: { maxBytes?: number; offset?: number }): ArrayBuffer;
	export function makeDirectory(path: string): void;
	/** The folder's regular files with their sizes, in any order. */
	export function listDirectory(path: string): { name: string; size: number }[];
	/** Removes a file; a missing one is not an error. */
	export function removeFile(path: string): void;
	/** Renames a file or a folder durably: its bytes reach the disk before its new name does. */
	export function renameFile(from: string, to: string): void;
	/** A regular file's size, or undefined when there is none. */
	export function fileSize(path: string): number | undefined;
	/** Temporary file, fsync, rename over path, fsync of the folder: the old content or the new. */
	export function replaceFile(path: string, data: ArrayBuffer | ArrayBufferView): void;
	/** A file or a folder with everything in it; nothing there is fine. */
	export function removeTree(path: string): void;
	export class FileWriter {
		constructor(path: string, options?: { truncate?: boolean });
		/** Bytes written through this writer (truncate() sets it back). */
		readonly written: number;
		write(...chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		write(chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		/** Shrinks back to an earlier `written` (0 ≤ length ≤ written); later writes follow it. */
		truncate(length: number): void;
		/** What was written is on the disk (fsync). */
		sync(): void;
		/** Idempotent; garbage collection closes a writer nobody closed. */
		close(): void;
	}
}
