// The recordings part: a periodic job that assembles closed windows into
// recording files and deletes tombstoned objects whose grace ran out. Only the
// instance holding the upkeep lease works; the others check every run and take
// over when it lapses.
import type { CloudContext } from "../context.js";
import { sweepTombstones } from "../retention/objects.js";
import { assembleClosed } from "./assemble.js";
import { fileNameFor, windowOf } from "./files.js";
import { leaseName, releaseLease } from "./lease.js";

export const assembleEveryMs = 10_000;

export function install(ctx: CloudContext): void {
	// A fileName that cannot be an object key fails at start, not at the first file.
	fileNameFor(ctx.config, "device", 0, windowOf(ctx.config, 0));
	let stopping = false;
	let running: Promise<void> | undefined;
	ctx.every(assembleEveryMs, () => {
		running = (async () => {
			await assembleClosed(ctx, { stopping: () => stopping });
			if (!stopping) await sweepTombstones(ctx, Date.now());
		})();
		return running;
	});
	ctx.onStop(async () => {
		// An upload in flight is abandoned between two segments (aborted: nothing
		// visible); the window is redone by whichever instance holds the lease next.
		stopping = true;
		await running?.catch(() => {});
		await releaseLease(ctx.sql, leaseName, ctx.instanceId);
	});
}
