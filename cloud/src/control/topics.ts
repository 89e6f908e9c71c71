// The control channel's topics (PROTOCOL.md §5) and who may use which: a
// device publishes only its own presence, event, status and gap, and
// subscribes only to its own plan and cmd. The service itself is trusted.
import { deviceIdPattern } from "../devices/registry.js";

export const deviceToCloud = ["presence", "event", "status", "gap"] as const;
export const cloudToDevice = ["plan", "cmd"] as const;

export const topicOf = (device: string, kind: (typeof deviceToCloud)[number] | (typeof cloudToDevice)[number]) => `ivxs/${device}/${kind}`;

/** `ivxs/<device>/<kind>` → its parts, or undefined for any other topic. */
export function parseTopic(topic: string): { device: string; kind: string } | undefined {
	const parts = topic.split("/");
	if (parts.length !== 3 || parts[0] !== "ivxs" || !deviceIdPattern.test(parts[1])) return undefined;
	return { device: parts[1], kind: parts[2] };
}

export function devicePublishAllowed(device: string, topic: string): boolean {
	const parsed = parseTopic(topic);
	return parsed?.device === device && (deviceToCloud as readonly string[]).includes(parsed.kind);
}

export function deviceSubscribeAllowed(device: string, topic: string): boolean {
	const parsed = parseTopic(topic);
	return parsed?.device === device && (cloudToDevice as readonly string[]).includes(parsed.kind);
}

/** MQTT topic filter matching (`+` one level, `#` the rest; `$` topics only by explicit filters). */
export function topicMatches(filter: string, topic: string): boolean {
	if (topic.startsWith("$") && !filter.startsWith("$")) return false;
	const want = filter.split("/"), got = topic.split("/");
	for (let i = 0; i < want.length; i++) {
		if (want[i] === "#") return true;
		if (i >= got.length || (want[i] !== "+" && want[i] !== got[i])) return false;
	}
	return want.length === got.length;
}
