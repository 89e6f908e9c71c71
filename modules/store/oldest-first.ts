/**
 * A folder kept within a byte bound by deleting its oldest files first: the local store's
 * segments (local-store.ts) and the camera's talkback files (modules/app/talkback.ts).
 */

/** Takes items off the head of `items` (oldest first), removing each, while `bytes` is over
 * `maxBytes` and more than `keep` remain; the bytes left. */
export function trimOldest<T extends { bytes: number }>(items: T[], bytes: number, maxBytes: number, remove: (item: T) => void, keep = 0): number {
	while (bytes > maxBytes && items.length > keep) {
		const oldest = items.shift()!;
		bytes -= oldest.bytes;
		remove(oldest);
	}
	return bytes;
}
