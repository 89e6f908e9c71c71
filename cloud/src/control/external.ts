// An external broker (config.mqtt = mqtt://user:password@host:port, mqtts://…):
// the service is one more client of it. Several instances each connect with
// their own client id and see every device message; the handlers are
// idempotent (presence, plans and events are keyed by device and id), so the
// duplicates do no harm. Device sign-in and topic confinement are then the
// broker's job (PROTOCOL.md §5, "External broker").
import mqtt from "mqtt";
import type { CloudContext, ControlBus } from "../context.js";
import { topicMatches } from "./topics.js";

export interface ExternalBroker {
	bus: ControlBus;
	connected(): boolean;
	close(): Promise<void>;
}

export async function connectExternalBroker(ctx: CloudContext, timeoutMs = 15_000): Promise<ExternalBroker> {
	const client = mqtt.connect(ctx.config.mqtt, {
		clientId: `ivxs-cloud-${ctx.instanceId}`, protocolVersion: 4, clean: true, keepalive: 30, reconnectPeriod: 1000,
		connectTimeout: timeoutMs,
	});
	const handlers: { pattern: string; handler: (topic: string, payload: Buffer) => void }[] = [];
	client.on("message", (topic, payload) => {
		for (const { pattern, handler } of handlers) {
			if (!topicMatches(pattern, topic)) continue;
			try {
				handler(topic, payload);
			}
			catch (error) {
				ctx.log.error({ err: error, topic }, "control message handler failed");
			}
		}
	});
	client.on("error", (error) => ctx.log.warn({ err: error }, "MQTT broker error"));
	client.on("offline", () => ctx.log.warn({ broker: redact(ctx.config.mqtt) }, "MQTT broker unreachable; reconnecting"));
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => {
			client.end(true);
			reject(new Error(`MQTT broker ${redact(ctx.config.mqtt)} not reachable within ${timeoutMs} ms`));
		}, timeoutMs);
		client.once("connect", () => {
			clearTimeout(timer);
			resolve();
		});
	});
	ctx.log.info({ broker: redact(ctx.config.mqtt) }, "connected to the MQTT broker");
	const bus: ControlBus = {
		publish: (topic, payload, options = {}) => new Promise((resolve, reject) =>
			client.publish(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false }, (error) => (error ? reject(error) : resolve()))),
		subscribe: (pattern, handler) => new Promise((resolve, reject) => {
			handlers.push({ pattern, handler });
			client.subscribe(pattern, { qos: 1 }, (error) => (error ? reject(error) : resolve()));
		}),
	};
	return {
		bus,
		connected: () => client.connected,
		close: () => new Promise((resolve) => client.end(false, {}, () => resolve())),
	};
}

const redact = (url: string) => url.replace(/\/\/[^@/]*@/, "//***@");
