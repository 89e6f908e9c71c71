/*
 * The app's platform layer: what the camera apps need from the machine they
 * run on, beyond the ECMA-419 and Moddable modules both hosts provide.
 * Two implementations, chosen by the build:
 *   hosts/linux (npm)        modules/app/platform/linux.js (hosts/linux/modules.txt)
 *   Moddable (lin, esp32)    modules/app/platform/moddable.ts (manifest.json)
 */
declare module "ivxs/platform" {
	/** The whole file, or its first maxBytes. */
	export function readFile(path: string, options?: { maxBytes?: number }): ArrayBuffer;
	export function makeDirectory(path: string): void;
	/** Creates (truncates) path; write() appends a scatter list. */
	export class FileWriter {
		constructor(path: string);
		readonly written: number;
		write(chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		write(...chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		/** Takes back what was written after `length` (a past `written`): a sink's rollback
		 * of a fragment with a torn ring view (native/ring/README.md "Zero-copy output"). */
		truncate(length: number): void;
		close(): void;
	}
	/** The app's arguments: the command line on Linux, the manifest's config.args on Moddable. */
	export function argv(): string[];
	export interface Memory {
		chunks: number; chunksPeak: number; slots: number; slotsPeak: number;
		native: Record<string, { bytes: number; peak: number }>;
	}
	/** XS heap in use and at peak (bytes) and each native module's counter. */
	export function memory(): Memory;
	export const log: {
		error(message: unknown): void; warn(message: unknown): void;
		info(message: unknown): void; debug(message: unknown): void;
	};
}
