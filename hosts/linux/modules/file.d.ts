declare module "ivxs/file" {
	/** The whole file, or maxBytes of it from offset (default 0). */
	export function readFile(path: string, options?: { maxBytes?: number; offset?: number }): ArrayBuffer;
	export function makeDirectory(path: string): void;
	/** The folder's regular files with their sizes, in any order. */
	export function listDirectory(path: string): { name: string; size: number }[];
	/** Removes a file; a missing one is not an error. */
	export function removeFile(path: string): void;
	/** Renames a file durably: its bytes reach the disk before its new name does. */
	export function renameFile(from: string, to: string): void;
	export class FileWriter {
		constructor(path: string, options?: { truncate?: boolean });
		/** Bytes written through this writer (truncate() sets it back). */
		readonly written: number;
		write(...chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		write(chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		/** Shrinks back to an earlier `written` (0 ≤ length ≤ written); later writes follow it. */
		truncate(length: number): void;
		/** Idempotent; garbage collection closes a writer nobody closed. */
		close(): void;
	}
}
