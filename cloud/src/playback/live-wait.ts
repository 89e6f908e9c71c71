// Waking blocked playlist reloads: in this instance the ingest part announces
// each committed segment (`ctx.segmentEvents`), so the reload answers at once; a
// segment committed by another instance is seen by a short poll of the table.
import type { CloudContext } from "../context.js";

/** Polling period: how late a segment ingested by another instance can be announced. */
const pollMs = 150;

/** Resolves when a segment of (device, channel) may have been committed, or after ms. */
export function waitForSegment(ctx: CloudContext, device: string, channel: number, ms: number): Promise<void> {
	const events = ctx.segmentEvents;
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			events.off("segment", onSegment);
			resolve();
		};
		const onSegment = (row: { device?: string; channel?: number }) => {
			if (row?.device === device && row?.channel === channel) done();
		};
		const timer = setTimeout(done, Math.max(1, Math.min(ms, pollMs)));
		events.on("segment", onSegment);
	});
}
