// How long the service took to answer a request, which is what "slow" means in
// the request log. Time spent on the client's side is not the service's: a
// streamed upload's body arrives at the camera's pace (a segment takes its own
// duration to cut), and a blocking playlist reload waits for the next segment
// on purpose (LL-HLS), and a live FLV answer lasts as long as its viewer watches.
// Each would otherwise read as "slow" on every segment or viewer.
import type { IncomingMessage, ServerResponse } from "node:http";

const waited = new WeakMap<ServerResponse, number>();

/** Records `ms` this answer spent waiting on purpose (not counted as slowness). */
export function waitedOnPurpose(res: ServerResponse, ms: number): void {
	waited.set(res, (waited.get(res) ?? 0) + ms);
}

const streaming = new WeakMap<ServerResponse, number>();

/** From now until it ends, this answer streams for as long as its viewer watches (a live FLV): not counted. */
export function streamsFromNow(res: ServerResponse): void {
	streaming.set(res, performance.now());
}

/** Starts timing `req`; the returned function gives the milliseconds the service spent on it. */
export function answerTimer(req: IncomingMessage, res: ServerResponse): () => number {
	const started = performance.now();
	let bodyEnded: number | undefined;
	// A body still arriving is the client's time: count from its end.
	if (req.headers["transfer-encoding"] || Number(req.headers["content-length"] ?? 0) > 0) req.once("end", () => (bodyEnded = performance.now()));
	return () => {
		const now = performance.now();
		const streamed = streaming.has(res) ? now - streaming.get(res)! : 0;
		return Math.max(0, now - (bodyEnded ?? started) - (waited.get(res) ?? 0) - streamed);
	};
}
