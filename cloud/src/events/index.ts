// Camera events (PROTOCOL.md §5, topic ivxs/<id>/event): checked, stored once
// (every instance subscribed to the bus receives each event: the UNIQUE key on
// device + id makes the second insert a no-op), listed for viewers with a link
// to the clip around each one and the still the camera sent with it. Hostile or malformed messages are logged and
// counted, never stored.
import type { CloudContext } from "../context.js";
import type { Sql } from "../meta/sql.js";
import "./store.js"; // the table
import { sendJson } from "../http/router.js";
import type { Device } from "../devices/registry.js";
import { defaultPlan, readPlan } from "../control/plans.js";
import { deviceMessage, isChannelOf, MessageRefused, plausibleTime, receiveDeviceMessages } from "../control/messages.js";
import { signUrl } from "../auth/signed-url.js";
import { deviceListParams } from "../devices/channels.js";
import { iso } from "../http/params.js";
import { picturesAt } from "../snapshots/store.js";

const eventId = /^[A-Za-z0-9._:-]{1,64}$/;

export const bitNames: Record<number, string> = { 0: "motion", 1: "human", 2: "sound", 3: "linkage" };

export function kindsOf(bits: number): string[] {
	const kinds: string[] = [];
	for (let bit = 0; bit < 32; bit++) {
		if (!((bits >>> bit) & 1)) continue;
		if (bitNames[bit]) kinds.push(bitNames[bit]);
		else if (bit >= 16) kinds.push(`custom${bit + 1}`);
		else kinds.push(`reserved${bit + 1}`);
	}
	return kinds;
}

export class EventRefused extends MessageRefused {
	override name = "EventRefused";
}

/** Checks one event message from `topic`; stores it (once). Resolves true when it was new. */
export async function recordEvent(ctx: CloudContext, topic: string, payload: Buffer, now = Date.now()): Promise<boolean> {
	const { device, message } = await deviceMessage(ctx, "event", topic, payload, EventRefused);
	const { id, channel, time, bits } = message;
	if (typeof id !== "string" || !eventId.test(id)) throw new EventRefused(`event id must match ${eventId.source}`);
	if (!isChannelOf(device, channel)) throw new EventRefused(`event channel must be an integer 0..${device.channels - 1}`);
	if (!plausibleTime(time, now)) throw new EventRefused("event time must be unix ms, not before 2000 nor more than a day ahead");
	if (!Number.isInteger(bits) || (bits as number) < 0 || (bits as number) > 0xffffffff) throw new EventRefused("event bits must be an integer 0..2^32-1");
	const result = await ctx.sql.run("INSERT INTO events (device, channel, id, time_ms, bits, received) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
		[device.id, channel as number, id, time as number, bits as number, now]);
	return result.changes > 0;
}

/** Pre-roll and post-roll of the device's plan (the default plan's when it has none). */
async function planRoll(sql: Sql, device: Device): Promise<{ preRollS: number; postRollS: number }> {
	const { preRollS, postRollS } = await readPlan(sql, device.id) ?? defaultPlan(device.channels);
	return { preRollS, postRollS };
}

export async function install(ctx: CloudContext): Promise<void> {
	await receiveDeviceMessages(ctx, "event", {
		stored: "Camera events stored", refused: "Camera event messages refused (malformed, unknown device, out of range)",
	}, (topic, payload) => recordEvent(ctx, topic, payload));

	ctx.router.add("GET", "/v1/devices/:device/events", { auth: "user", device: "device", signedUrl: true }, async (_req, res, _params, url, { viewer, device }) => {
		const { start, end, channel, limit } = deviceListParams(url, device);
		const rows = await ctx.sql.all<{ channel: number; id: string; time_ms: number; bits: number }>(
			`SELECT channel, id, time_ms, bits FROM events WHERE device = ? AND time_ms >= ? AND time_ms < ?
			${channel === undefined ? "" : "AND channel = ?"} ORDER BY time_ms, id LIMIT ?`,
			[device.id, start, end, ...(channel === undefined ? [] : [channel]), limit + 1]);
		const roll = await planRoll(ctx.sql, device);
		const clipS = roll.preRollS + roll.postRollS || 1;
		const more = rows.length > limit;
		const shown = rows.slice(0, limit);
		// The still the camera sent with an event is the snapshot stamped with the event's time (PROTOCOL §5).
		const pictures = await picturesAt(ctx.sql, device.id, shown.map((row) => ({ channel: row.channel, time: row.time_ms })));
		sendJson(res, 200, shown.map((row) => ({
			id: row.id, channel: row.channel, time: iso(row.time_ms), timeMs: row.time_ms, bits: row.bits, kinds: kindsOf(row.bits),
			clip: signUrl(ctx, `/v1/recordings/${device.id}/${row.channel}/get?start=${row.time_ms - roll.preRollS * 1000}&duration=${clipS}`, viewer),
			picture: pictures.has(`${row.channel}/${row.time_ms}`) ? signUrl(ctx, `/v1/snapshots/${device.id}/${row.channel}/${row.time_ms}.jpg`, viewer) : null,
		})), more ? { "x-ivxs-more": "1" } : {});
	});
}
