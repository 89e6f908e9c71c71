/**
 * The control channel's topics (cloud/PROTOCOL.md §5) and who may use which: a device publishes
 * only its own presence, event, status, gap and p2p (signalling answers), and subscribes only to its
 * own plan, cmd and ota (an update offer, retained: modules/protocol/ota.ts).
 */
import { DEVICE_ID } from "./ids.js";

export const DEVICE_TO_CLOUD = ["presence", "event", "status", "gap", "p2p"] as const;
export const CLOUD_TO_DEVICE = ["plan", "cmd", "ota"] as const;
export type TopicKind = (typeof DEVICE_TO_CLOUD)[number] | (typeof CLOUD_TO_DEVICE)[number];

const ROOT = "ivxs";

export const topicOf = (device: string, kind: TopicKind): string => `${ROOT}/${device}/${kind}`;
/** The filter matching one kind of every device (what the cloud subscribes to). */
export const everyDevice = (kind: TopicKind): string => `${ROOT}/+/${kind}`;

/** `ivxs/<device>/<kind>` → its parts, or undefined for any other topic. */
export function parseTopic(topic: string): { device: string; kind: string } | undefined {
	const parts = topic.split("/");
	if (parts.length !== 3 || parts[0] !== ROOT || !DEVICE_ID.test(parts[1])) return undefined;
	return { device: parts[1], kind: parts[2] };
}

export function devicePublishAllowed(device: string, topic: string): boolean {
	const parsed = parseTopic(topic);
	return parsed?.device === device && (DEVICE_TO_CLOUD as readonly string[]).includes(parsed.kind);
}

/**
 * The device topics a message may be retained on (the broker keeps one per topic, so at most two
 * per device) and the largest retained payload: a status is at most 16 KiB, a presence far less.
 */
export const DEVICE_RETAINED = ["presence", "status"] as const;
export const MAX_RETAINED_BYTES = 16384;

export function deviceRetainAllowed(device: string, topic: string, bytes: number): boolean {
	const parsed = parseTopic(topic);
	return parsed?.device === device && (DEVICE_RETAINED as readonly string[]).includes(parsed.kind) && bytes <= MAX_RETAINED_BYTES;
}

export function deviceSubscribeAllowed(device: string, topic: string): boolean {
	const parsed = parseTopic(topic);
	return parsed?.device === device && (CLOUD_TO_DEVICE as readonly string[]).includes(parsed.kind);
}

/** Presence payloads: `time` unix ms; the will (sent by the broker when the connection dies) has none. */
export const presence = (online: boolean, time?: number): string => JSON.stringify(time === undefined ? { online } : { online, time });

/** The CONNECT will every device sets (§5): its presence, offline, QoS 1, retained. */
export const willOf = (device: string) => ({ topic: topicOf(device, "presence"), payload: presence(false), qos: 1 as const, retain: true });
