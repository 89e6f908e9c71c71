// The bytes of a catalogued segment, wherever they live now: readers always
// read `key` at `offset` for `bytes` (the recordings part may repoint a
// segment into an assembled file). A file starts at time 0, so the fragments
// in it were moved back in decode time (`file_shift`): they are moved forward
// again here, and every reader gets the segment exactly as it was uploaded.
import type { CloudContext } from "../context.js";
import type { SegmentRow } from "../catalogue/index.js";
import { negated, shiftOfText, shiftSegment } from "../media/time-shift.js";

export async function segmentBytes(ctx: CloudContext, row: SegmentRow): Promise<Buffer> {
	const bytes = await ctx.store.get(row.key, { start: row.offset, end: row.offset + row.bytes - 1 });
	return row.file_shift ? shiftSegment(bytes, negated(shiftOfText(row.file_shift))) : bytes;
}
