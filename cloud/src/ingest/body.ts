// Reads an upload's body whole while hashing it: fixed-length or chunked (the
// trailers are on `req.trailers` once this resolves). A body over the limit is
// a 413 and the connection is closed (nothing more of it is read); a body cut
// short (the camera's connection dropped) rejects, and nothing of it is kept.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "../http/router.js";

export class BodyCutError extends HttpError {
	constructor() {
		super(400, "request body cut short (connection closed before its end)");
	}
}

/** `onChunk` sees the body as it arrives (LL-HLS parts are cut from it before the whole is verified). */
export function readHashed(req: IncomingMessage, limit: number, onChunk?: (chunk: Buffer) => void): Promise<{ body: Buffer; sha256: string }> {
	return new Promise((resolve, reject) => {
		const declared = req.headers["content-length"] === undefined ? NaN : Number(req.headers["content-length"]);
		if (declared > limit) return reject(new HttpError(413, `body of ${declared} bytes is over the limit of ${limit}`, { connection: "close" }));
		const hash = createHash("sha256");
		const chunks: Buffer[] = [];
		let length = 0, done = false;
		const finish = (error?: Error) => {
			if (done) return;
			done = true;
			req.off("data", onData);
			if (error) reject(error);
			else resolve({ body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length), sha256: hash.digest("hex") });
		};
		const onData = (chunk: Buffer) => {
			length += chunk.length;
			if (length > limit) {
				// Stop reading: the rest of an oversize body is not worth the bandwidth.
				req.pause();
				return finish(new HttpError(413, `body is over the limit of ${limit} bytes`, { connection: "close" }));
			}
			hash.update(chunk);
			chunks.push(chunk);
			onChunk?.(chunk);
		};
		req.on("data", onData);
		req.on("end", () => finish());
		req.on("error", () => finish(new BodyCutError()));
		req.on("close", () => {
			if (!req.complete) finish(new BodyCutError());
		});
	});
}
