// The recording files (one MP4 per fileMinutes window, assembled by the
// recordings part): listed with signed links, downloaded whole or by byte
// range (so a <video> can seek in a 90-minute file). On S3 the download is a
// redirect to a presigned URL: the bytes never pass through the service.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";
import { NotFoundError } from "../storage/object-store.js";
import { sendStream } from "../http/backpressure.js";
import { doneFile, listFiles } from "../catalogue/index.js";
import { signUrl } from "../auth/signed-url.js";
import type { Viewer } from "../users/access.js";
import { iso } from "../http/params.js";

/** The files overlapping [start, end), at most `limit`, and whether there are more. */
export async function fileList(ctx: CloudContext, viewer: Viewer, device: string, channel: number, start: number, end: number, limit: number) {
	const files = await listFiles(ctx.sql, device, channel, start, end);
	return { more: files.length > limit, items: files.slice(0, limit).map((file) => ({
		name: file.name, start: iso(file.startMs), end: iso(file.endMs), bytes: file.bytes, segments: file.segments,
		url: signUrl(ctx, `/v1/recordings/${device}/${channel}/files/${file.name}.mp4`, viewer),
	})) };
}

export async function sendFile(ctx: CloudContext, req: IncomingMessage, res: ServerResponse, device: string, channel: number, fileName: string): Promise<void> {
	const name = /^(.+)\.mp4$/.exec(fileName)?.[1];
	if (!name) throw new HttpError(400, `file must be <name>.mp4, not ${JSON.stringify(fileName)}`);
	const file = await doneFile(ctx.sql, device, channel, name);
	if (!file) throw new HttpError(404, `no recording file ${fileName} of ${device} channel ${channel}`);
	const presigned = await ctx.store.presignGet(file.key, 600);
	if (presigned) {
		res.writeHead(302, { location: presigned, "cache-control": "no-store" });
		return void res.end();
	}
	const range = byteRange(req.headers.range, file.bytes);
	const headers: Record<string, string | number> = {
		"content-type": "video/mp4", "accept-ranges": "bytes", "cache-control": "private, max-age=3600",
		"content-disposition": `attachment; filename="${fileName}"`,
	};
	let stream;
	try {
		stream = await ctx.store.getStream(file.key, range);
	}
	catch (error) {
		if (error instanceof NotFoundError) throw new HttpError(404, `recording file ${fileName} was deleted`);
		throw error;
	}
	if (range) res.writeHead(206, { ...headers, "content-range": `bytes ${range.start}-${range.end}/${file.bytes}`, "content-length": range.end - range.start + 1 });
	else res.writeHead(200, { ...headers, "content-length": file.bytes });
	if (req.method === "HEAD") {
		stream.destroy();
		return void res.end();
	}
	await sendStream(stream, res);
}

/** One `bytes=a-b` / `bytes=a-` / `bytes=-n` range, or undefined for the whole; 416 when it cannot be met. */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
	if (!header) return undefined;
	const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
	if (!match || (match[1] === "" && match[2] === "")) throw new HttpError(416, "Range must be one range, bytes=<first>-[<last>] or bytes=-<suffix length>", { "content-range": `bytes */${size}` });
	let start: number, end: number;
	if (match[1] === "") {
		start = Math.max(0, size - Number(match[2]));
		end = size - 1;
	}
	else {
		start = Number(match[1]);
		end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
	}
	if (start > end || start >= size) throw new HttpError(416, `range ${header} is outside the file's ${size} bytes`, { "content-range": `bytes */${size}` });
	return { start, end };
}
