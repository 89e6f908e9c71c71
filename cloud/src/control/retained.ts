// Retained messages of a removed device: the broker keeps the last retained
// message of each topic (its presence and status, the plan) and hands it to
// whoever subscribes next, a device added again under the same id included.
// An empty retained message clears one (MQTT 3.1.1 §3.3.1.3).
import type { CloudContext } from "../context.js";
import { CLOUD_TO_DEVICE, DEVICE_TO_CLOUD, topicOf } from "../../../modules/protocol/topics.js";

/** Clears every retained message on the device's topics (needs the control bus: a running cloud). */
export async function clearRetained(ctx: CloudContext, device: string): Promise<void> {
	if (!ctx.bus) throw new Error("control channel not connected");
	for (const kind of [...DEVICE_TO_CLOUD, ...CLOUD_TO_DEVICE]) await ctx.bus.publish(topicOf(device, kind), "", { retain: true, qos: 1 });
}
