// The bytes of a catalogued segment, wherever they live now: readers always
// read `key` at `offset` for `bytes` (the recordings part may repoint a
// segment into an assembled file).
import type { CloudContext } from "../context.js";
import type { SegmentRow } from "../catalogue/index.js";

export function segmentBytes(ctx: CloudContext, row: SegmentRow): Promise<Buffer> {
	return ctx.store.get(row.key, { start: row.offset, end: row.offset + row.bytes - 1 });
}
