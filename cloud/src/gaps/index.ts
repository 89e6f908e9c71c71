// Gap reports (PROTOCOL.md §5, topic ivxs/<id>/gap): a camera says it lost
// data — frames from..to of a channel that will never be uploaded (its ring
// overwrote them, the cloud refused or rejected them, it restarted). Checked,
// stored once (every instance on the bus receives each report: the UNIQUE key
// makes the second insert a no-op), listed for viewers so a hole in a
// recording has its reason. Hostile or malformed messages are logged and
// counted, never stored.
import type { CloudContext } from "../context.js";
import "./store.js"; // the table
import { sendJson } from "../http/router.js";
import { deviceMessage, isChannelOf, MessageRefused, plausibleTime, receiveDeviceMessages } from "../control/messages.js";
import { deviceListParams } from "../devices/channels.js";
import { iso } from "../http/params.js";

/** The reasons a camera reports today (others are accepted if they are short tokens: `reasonToken`). */
export const knownReasons = ["overwritten", "refused", "rejected", "restart"] as const;
const reasonToken = /^[a-z_-]{1,32}$/;
const maxFrames = 2 ** 31;

export class GapRefused extends MessageRefused {
	override name = "GapRefused";
}

/** Checks one gap message from `topic`; stores it (once). Resolves true when it was new. */
export async function recordGap(ctx: CloudContext, topic: string, payload: Buffer, now = Date.now()): Promise<boolean> {
	const { device, message } = await deviceMessage(ctx, "gap", topic, payload, GapRefused);
	const { channel, from, to, frames, reason } = message;
	if (!isChannelOf(device, channel)) throw new GapRefused(`gap channel must be an integer 0..${device.channels - 1}`);
	if (!plausibleTime(from, now) || !plausibleTime(to, now))
		throw new GapRefused("gap from and to must be unix ms, not before 2000 nor more than a day ahead");
	if (from > to) throw new GapRefused("gap from must not be after to");
	if (!Number.isInteger(frames) || (frames as number) < 0 || (frames as number) > maxFrames) throw new GapRefused("gap frames must be an integer 0..2^31");
	if (typeof reason !== "string" || !reasonToken.test(reason))
		throw new GapRefused(`gap reason must be ${knownReasons.join(", ")} or another token matching ${reasonToken.source}`);
	const result = await ctx.sql.run("INSERT INTO gaps (device, channel, from_ms, to_ms, frames, reason, received) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
		[device.id, channel, from, to, frames as number, reason, now]);
	return result.changes > 0;
}

export async function install(ctx: CloudContext): Promise<void> {
	await receiveDeviceMessages(ctx, "gap", {
		stored: "Camera gap reports stored", refused: "Camera gap messages refused (malformed, unknown device, out of range)",
	}, (topic, payload) => recordGap(ctx, topic, payload));

	// The gaps that overlap [start, end): a gap is [from, to], both ends included.
	ctx.router.add("GET", "/v1/devices/:device/gaps", { auth: "user", device: "device" }, async (_req, res, _params, url, { device }) => {
		const { start, end, channel, limit } = deviceListParams(url, device);
		const rows = await ctx.sql.all<{ channel: number; from_ms: number; to_ms: number; frames: number; reason: string }>(
			`SELECT channel, from_ms, to_ms, frames, reason FROM gaps WHERE device = ? AND to_ms >= ? AND from_ms < ?
			${channel === undefined ? "" : "AND channel = ?"} ORDER BY from_ms, channel, to_ms, reason LIMIT ?`,
			[device.id, start, end, ...(channel === undefined ? [] : [channel]), limit + 1]);
		const more = rows.length > limit;
		sendJson(res, 200, {
			gaps: rows.slice(0, limit).map((row) => ({
				channel: row.channel, from: iso(row.from_ms), to: iso(row.to_ms), fromMs: row.from_ms, toMs: row.to_ms, frames: row.frames, reason: row.reason,
			})),
		}, more ? { "x-ivxs-more": "1" } : {});
	});
}
