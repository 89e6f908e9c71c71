// The control channel's topics and who may use which are the protocol's
// (modules/protocol/topics.ts); MQTT's filter matching is the broker's own.
export { devicePublishAllowed, deviceRetainAllowed, deviceSubscribeAllowed, everyDevice, MAX_RETAINED_BYTES, parseTopic, topicOf } from "../../../modules/protocol/topics.js";

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
