declare module "ivxs/file" {
	/** The whole file, or its first maxBytes. */
	export function readFile(path: string, options?: { maxBytes?: number }): ArrayBuffer;
	export function makeDirectory(path: string): void;
	export class FileWriter {
		constructor(path: string, options?: { truncate?: boolean });
		readonly written: number;
		write(...chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		write(chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		/** Cuts what this writer wrote back to `length` bytes (a past `written`); the next write goes there. */
		truncate(length: number): void;
		close(): void;
	}
}
