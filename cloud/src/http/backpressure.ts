// Writing a streamed answer at the reader's pace: Node queues whatever
// `write()` is given, whether or not the peer reads, so an answer that keeps
// writing for a reader that does not read grows the service's memory without
// bound. Every answer that writes more than one buffer goes through here (or
// through `stream.pipeline`, for a readable stream): it writes a bounded batch,
// then waits for Node's queue to drain before it makes the next.
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

export type Drained = "drained" | "closed" | "late";

/**
 * Writes `chunks` (one batch: the caller bounds it) and waits until `out`'s queue is below its
 * high-water mark: "drained"; "closed" when the answer ended first (the peer went, the
 * connection guard cut it); "late" when the epoch-ms `deadline` came first.
 */
export function writeBatch(out: Writable, chunks: readonly Uint8Array[], deadline = Infinity): Promise<Drained> {
	if (out.destroyed) return Promise.resolve("closed");
	out.cork();
	for (const chunk of chunks) out.write(chunk);
	out.uncork();
	if (out.destroyed) return Promise.resolve("closed");
	if (!out.writableNeedDrain) return Promise.resolve("drained");
	return new Promise((resolve) => {
		const done = (how: Drained) => {
			clearTimeout(timer);
			out.off("drain", drained);
			out.off("close", closed);
			resolve(how);
		};
		const drained = () => done("drained"), closed = () => done("closed");
		const timer = deadline === Infinity ? undefined : setTimeout(() => done("late"), Math.max(0, deadline - Date.now()));
		out.on("drain", drained);
		out.on("close", closed);
	});
}

/**
 * Sends a readable (a stored object) at the reader's pace. When either side ends early both are
 * destroyed, so the object's file handle or store connection is not held: the peer going is the
 * end of the answer; the store failing mid-way is thrown (the router logs it and cuts the answer).
 */
export async function sendStream(from: Readable, out: Writable): Promise<void> {
	try {
		await pipeline(from, out);
	}
	catch (error) {
		// The peer went first: the answer ends here (the store's error is another code).
		if ((error as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE") return;
		throw error;
	}
}
