declare module "ivxs/file" {
	/** The whole file, or its first maxBytes. */
	export function readFile(path: string, options?: { maxBytes?: number }): ArrayBuffer;
	export function makeDirectory(path: string): void;
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
