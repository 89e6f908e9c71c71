// GET …/get: one fragmented MP4 for a time range — the stream's init, then its
// fragments from the segment holding `start`, decode times moved to 0
// (media/rebase.ts). Segments are fetched one at a time and written with
// back-pressure, so a long clip costs one segment of memory.
import type { ServerResponse } from "node:http";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";
import { fragmentsOf, fragmentStartS, rebaseMoof, shiftTo0, trackTimescales } from "../media/rebase.js";
import { NotFoundError } from "../storage/object-store.js";
import { iso } from "../http/params.js";
import { segmentsOverlapping, streamOf } from "../catalogue/index.js";
import { segmentBytes } from "./segments.js";
import { writeBatch } from "../http/backpressure.js";

export async function sendClip(ctx: CloudContext, res: ServerResponse, device: string, channel: number, start: number, end: number, head: boolean, download?: string): Promise<void> {
	const rows = await segmentsOverlapping(ctx.sql, device, channel, start, end);
	if (!rows.length) throw new HttpError(404, `nothing recorded between ${iso(start)} and ${iso(end)}`);
	const stream = rows[0].stream;
	const mine = rows.filter((row) => row.stream === stream);
	const next = rows.find((row) => row.stream !== stream && row.start_ms >= mine[0].start_ms);
	const info = await streamOf(ctx.sql, device, channel, stream);
	if (!info) throw new HttpError(404, `stream ${stream} of ${device} channel ${channel} has no init segment`);
	const init = await ctx.store.get(info.init_key).catch(gone);
	const scales = trackTimescales(init);
	const first = await segmentBytes(ctx, mine[0]).catch(gone);
	const shift = shiftTo0(fragmentStartS(fragmentsOf(first)[0].moof, scales), scales);
	const served = mine[mine.length - 1].end_ms - mine[0].start_ms;
	res.writeHead(200, {
		"content-type": "video/mp4",
		"cache-control": "private, no-cache",
		"x-ivxs-start": iso(mine[0].start_ms),
		"x-ivxs-duration": (served / 1000).toFixed(3),
		...(next ? { "x-ivxs-stream-change": iso(next.start_ms) } : {}),
		// The name is built from ids and times (plain characters), so it needs no escaping.
		...(download ? { "content-disposition": `attachment; filename="${download}"` } : {}),
	});
	if (head) return void res.end();
	await writeBatch(res, [init]);
	let sequence = 1;
	for (let i = 0; i < mine.length && !res.destroyed; i++) {
		let bytes: Buffer;
		try {
			bytes = i === 0 ? first : await segmentBytes(ctx, mine[i]);
		}
		catch (error) {
			// Deleted under us (retention after its grace): end the clip here rather than send a broken file.
			if (error instanceof NotFoundError) break;
			throw error;
		}
		for (const { moof, mdat } of fragmentsOf(bytes)) {
			await writeBatch(res, [rebaseMoof(moof, sequence++, shift), mdat]);
		}
	}
	res.end();
}

function gone(error: unknown): never {
	throw error instanceof NotFoundError ? new HttpError(404, "the recording was deleted") : error;
}
