/**
 * The local recording store's file names, one module for the recorder and playback: a finished
 * segment is "<start>-<end>.mp4" (Unix ms of its first frame and of the frame after its last: the
 * folder listing is the time index of segments), the one being written "<start>.part". A power
 * cut leaves at most that one: the next start deletes it.
 */
import { pattern } from "../protocol/pattern.js";

export interface SegmentSpan {
	start: number;
	end: number;
}

const FINISHED = pattern(/^([0-9]{1,15})-([0-9]{1,15})\.mp4$/);
const PART = pattern(/^[0-9]{1,15}\.part$/);

export function segmentName(start: number, end: number): string {
	return `${start}-${end}.mp4`;
}

export function partName(start: number): string {
	return `${start}.part`;
}

/** A finished segment's span, or undefined for any other name. */
export function parseSegmentName(name: string): SegmentSpan | undefined {
	const match = FINISHED.exec(name);
	if (!match) return undefined;
	const start = Number(match[1]), end = Number(match[2]);
	return start < end ? { start, end } : undefined;
}

export function isPartName(name: string): boolean {
	return PART.test(name);
}
