// Writing a streamed answer at the reader's pace: Node queues whatever
// `write()` is given, whether or not the peer reads, so an answer that keeps
// writing for a reader that does not read grows the service's memory without
// bound. Every answer that writes more than one buffer goes through here (or
// through `stream.pipeline`, for a readable stream): it writes a bounded batch,
// then waits for Node's queue to drain before it makes the next.
import type { Writable } from "node:stream";

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
