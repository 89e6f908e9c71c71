declare module "ivxs/file" {
	export function readFile(path: string): ArrayBuffer;
	export function makeDirectory(path: string): void;
	export class FileWriter {
		constructor(path: string, options?: { truncate?: boolean });
		readonly written: number;
		write(...chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		write(chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		close(): void;
	}
}
