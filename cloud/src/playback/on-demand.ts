// Live on demand (PROTOCOL.md §5 `cmd` "live"): a viewer asking for a live
// playlist asks the camera, over the control channel, to stream that channel
// whatever its storage plan. The ask is a lease ending `liveLingerS` after the
// viewer's latest request, renewed as requests keep coming (at most once per
// `renewMs` per channel and instance, so 1,000 viewers cost what one does);
// when the last viewer leaves, the lease runs out and the camera stops by
// itself — no "stop" message to lose, and instances never contradict each other.
import type { CloudContext } from "../context.js";
import { topicOf } from "../control/topics.js";
import { liveCommand } from "../../../modules/protocol/live.js";

const sent = new WeakMap<CloudContext, Map<string, number>>();

/** How often a lease is renewed while watched: a third of the linger, at most 10 s. */
const renewMsOf = (lingerMs: number) => Math.min(10_000, lingerMs / 3);

/** A viewer asked for `device`'s `channel` live now; false when the camera cannot be asked (no control channel). */
export function askForLive(ctx: CloudContext, device: string, channel: number): boolean {
	const bus = ctx.bus;
	if (!bus?.connected()) return false;
	let ends = sent.get(ctx);
	if (!ends) sent.set(ctx, ends = new Map());
	const key = `${device}/${channel}`, lingerMs = ctx.config.liveLingerS * 1000, now = Date.now();
	if (now + lingerMs - (ends.get(key) ?? 0) < renewMsOf(lingerMs)) return true;
	ends.set(key, now + lingerMs);
	// Forget ended leases so the map holds only channels watched lately.
	for (const [other, end] of ends) if (end < now) ends.delete(other);
	bus.publish(topicOf(device, "cmd"), liveCommand({ channel, forS: ctx.config.liveLingerS }), { qos: 1 })
		.catch((error) => ctx.log.warn({ err: error, device, channel }, "live on demand: asking the camera failed"));
	return true;
}
