// Playable spans: runs of contiguous segments of one stream. A new stream (new
// encoder configuration, camera restart) or a hole in time starts a new span.
import type { SegmentRow } from "../catalogue/index.js";

/** Largest hole between one segment's end and the next one's start that still plays through. */
export const contiguousMs = 500;

export interface Span {
	stream: string;
	start: number;
	end: number;
	segments: SegmentRow[];
}

export function spansOf(rows: SegmentRow[]): Span[] {
	const spans: Span[] = [];
	let span: Span | undefined;
	for (const row of rows) {
		if (!span || row.stream !== span.stream || row.start_ms - span.end > contiguousMs || row.start_ms < span.end - contiguousMs) {
			span = { stream: row.stream, start: row.start_ms, end: row.end_ms, segments: [] };
			spans.push(span);
		}
		span.segments.push(row);
		span.end = Math.max(span.end, row.end_ms);
	}
	return spans;
}
