// Snapshot now (PROTOCOL.md §5 `cmd` "snapshot"): a viewer asks, the cloud
// tells the camera on its control channel, and the camera uploads a still
// through the ordinary snapshot path (§4) — the console then finds it in the
// channel's list. Asked at most once per channel per MIN_STILL_GAP_MS on each
// instance (429 with Retry-After), the gap the camera itself keeps: a viewer
// holding the button down costs one message per gap, never a queue.
import type { CloudContext } from "../context.js";
import { HttpError, sendJson } from "../http/router.js";
import { topicOf } from "../control/topics.js";
import { presenceOf } from "../control/presence.js";
import { channelOf } from "../devices/channels.js";
import { iso } from "../http/params.js";
import { MIN_STILL_GAP_MS, snapshotCommand } from "../../../modules/protocol/still.js";

export function install(ctx: CloudContext): void {
	const asked = new Map<string, number>();
	ctx.router.add("POST", "/v1/snapshots/:device/:channel", { auth: "user", device: "device" }, async (_req, res, params, _url, { device }) => {
		const channel = channelOf(device, params.channel);
		const bus = ctx.bus;
		if (!bus?.connected()) throw new HttpError(503, "the control channel is down: the camera cannot be asked");
		if (!(await presenceOf(ctx.sql, device.id))?.online) throw new HttpError(409, "the camera is offline");
		const key = `${device.id}/${channel}`, now = Date.now();
		const wait = (asked.get(key) ?? -Infinity) + MIN_STILL_GAP_MS - now;
		if (wait > 0) throw new HttpError(429, "a snapshot of this channel was asked for a moment ago", { "retry-after": String(Math.ceil(wait / 1000)) });
		asked.set(key, now);
		// Only channels asked for lately stay in the map.
		for (const [other, at] of asked) if (at < now - MIN_STILL_GAP_MS) asked.delete(other);
		await bus.publish(topicOf(device.id, "cmd"), snapshotCommand(channel), { qos: 1 });
		sendJson(res, 202, { channel, asked: iso(now), askedMs: now });
	});
}
