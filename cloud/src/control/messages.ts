// Device → cloud messages that the cloud stores (events, gaps; PROTOCOL.md §5):
// what every one of them is checked for before its own fields (its topic, a
// known device, its size, a JSON object), the time bounds they share, and the
// subscription that stores each one and logs and counts every refusal. The
// messages come from the devices: every field is checked, nothing is trusted.
import type { CloudContext } from "../context.js";
import { findDevice, type Device } from "../devices/registry.js";
import { everyDevice, parseTopic } from "./topics.js";
import type { TopicKind } from "../../../modules/protocol/topics.js";
import { isChannel } from "../../../modules/protocol/ids.js";

/** Largest message accepted (the protocol's are ~100 bytes). */
export const maxMessageBytes = 4096;
/** Times further ahead than this are refused (a camera clock gone wrong). */
export const maxFutureMs = 24 * 3600_000;
/** Times before this are refused (a camera clock never set). */
export const minTime = Date.UTC(2000, 0, 1);

/** A message refused: malformed, from an unknown device, out of range. Logged and counted, never stored. */
export class MessageRefused extends Error {
	override name = "MessageRefused";
}

/** Whether `time` is unix ms not before 2000 nor more than `maxFutureMs` after `now`. */
export const plausibleTime = (time: unknown, now: number): time is number =>
	Number.isSafeInteger(time) && (time as number) >= minTime && (time as number) <= now + maxFutureMs;

/** Whether `channel` is one of the device's channel numbers. */
export const isChannelOf = (device: Device, channel: unknown): channel is number => isChannel(channel, device.channels);

/**
 * The device and the JSON object of a message on `ivxs/<device>/<kind>`, or
 * `Refused` (a MessageRefused) saying why not; the messages name the kind
 * ("event is not JSON").
 */
export async function deviceMessage(ctx: Pick<CloudContext, "sql">, kind: string, topic: string, payload: Buffer,
	Refused: new (message: string) => MessageRefused = MessageRefused): Promise<{ device: Device; message: Record<string, unknown> }> {
	const parsed = parseTopic(topic);
	if (!parsed || parsed.kind !== kind) throw new Refused(`not ${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind} topic: ${JSON.stringify(topic.slice(0, 100))}`);
	const device = await findDevice(ctx.sql, parsed.device);
	if (!device) throw new Refused(`${kind} from unknown device ${parsed.device}`);
	if (payload.length > maxMessageBytes) throw new Refused(`${kind} of ${payload.length} bytes is over ${maxMessageBytes}`);
	let value: unknown;
	try {
		value = JSON.parse(payload.toString("utf8"));
	}
	catch {
		throw new Refused(`${kind} is not JSON`);
	}
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new Refused(`${kind} must be a JSON object`);
	return { device, message: value as Record<string, unknown> };
}

/** Messages whose store failed (a full disk, a database gone for a moment) are tried again: at most this many per kind… */
export const maxRetained = 1024;
/** …every this often… */
export const retryEveryMs = 2_000;
/** …for at most this long (then lost, counted in `ivxs_<kind>s_lost_total` and logged). */
export const retryForMs = 3600_000;

/**
 * Subscribes to `ivxs/+/<kind>` and hands each message to `record` (true: it
 * was new and stored). Counts what is stored in `ivxs_<kind>s_total` and what
 * is refused in `ivxs_<kind>s_refused_total`, and logs each refusal. A message
 * the store failed to take (not a refusal) is kept and tried again: the camera
 * had its PUBACK from the broker and will not send it again, so this is the
 * only copy (`record` must be idempotent: each kind's insert is). Memory is
 * bounded: maxRetained messages of at most maxMessageBytes each per kind.
 */
export async function receiveDeviceMessages(ctx: CloudContext, kind: TopicKind, help: { stored: string; refused: string },
	record: (topic: string, payload: Buffer) => Promise<boolean>): Promise<void> {
	if (!ctx.bus) return void ctx.log.warn(`no control bus: camera ${kind}s are not received`);
	const retained: { topic: string; payload: Buffer; since: number }[] = [];
	const lost = (count: number, why: string) => {
		ctx.metrics.inc(`ivxs_${kind}s_lost_total`, `Camera ${kind} messages lost: the store failed for ${retryForMs / 60_000} min, or ${maxRetained} waited`, {}, count);
		ctx.log.error({ count }, `${kind} messages lost: ${why}`);
	};
	const take = (topic: string, payload: Buffer, since: number, again = false): Promise<void> => record(topic, payload).then((stored) => {
		if (stored) ctx.metrics.inc(`ivxs_${kind}s_total`, help.stored);
	}, (error) => {
		if (error instanceof MessageRefused) {
			ctx.metrics.inc(`ivxs_${kind}s_refused_total`, help.refused);
			return void ctx.log.warn({ topic: topic.slice(0, 100), reason: error.message }, `${kind} refused`);
		}
		if (Date.now() - since >= retryForMs) return void lost(1, `the store failed for ${retryForMs / 60_000} min (${error.message})`);
		// Logged when a message first fails: a retry that fails again is the same outage.
		if (!again) ctx.log.error({ err: error, topic: topic.slice(0, 100) }, `${kind} not stored: kept, tried again every ${retryEveryMs / 1000} s`);
		retained.push({ topic, payload, since });
		if (retained.length > maxRetained) lost(retained.splice(0, retained.length - maxRetained).length, `more than ${maxRetained} waited for the store`);
	});
	let retrying = false;
	ctx.every(retryEveryMs, async () => {
		if (retrying || !retained.length) return;
		retrying = true;
		try {
			// In arrival order, one at a time: a store still failing fails each again (kept, in order).
			for (const message of retained.splice(0)) await take(message.topic, message.payload, message.since, true);
		}
		finally {
			retrying = false;
		}
	});
	await ctx.bus.subscribe(everyDevice(kind), (topic, payload) => {
		// An empty message clears a retained one (a removed device's topics): not a message to store.
		if (!payload.length) return;
		// The bus does not wait for the store.
		void take(topic, payload, Date.now());
	});
}
