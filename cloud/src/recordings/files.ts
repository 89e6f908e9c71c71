// Recording files: the seed's split of recordings into one MP4 per window of
// `fileMinutes` (90 by default), windows aligned to multiples of that length
// since the epoch, named `<device>-<channel>_<start>_<end>` (config.fileName)
// with compact UTC times. The rows of the files are the catalogue's
// (catalogue/files.ts).
import type { Config } from "../config.js";
import { objectKey } from "../storage/object-store.js";

/** Compact UTC time as in the seed's file names: 20261122T133000Z. */
export function compactUtc(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

export function windowOf(config: Config, ms: number): { start: number; end: number } {
	const length = config.fileMinutes * 60_000;
	const start = Math.floor(ms / length) * length;
	return { start, end: start + length };
}

/** The file name (without .mp4) and object key of a window's file. */
export function fileNameFor(config: Config, device: string, channel: number, window: { start: number; end: number }, suffix = ""): { name: string; key: string } {
	const name = config.fileName
		.replaceAll("{name}", `${device}-${channel}`)
		.replaceAll("{start}", compactUtc(window.start))
		.replaceAll("{end}", compactUtc(window.end)) + suffix;
	return { name, key: objectKey("files", device, channel, `${name}.mp4`) };
}
