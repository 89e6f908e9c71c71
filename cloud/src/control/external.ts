// An external broker (config.mqtt = mqtt://user:password@host:port, mqtts://…):
// the service is one more client of it. Several instances each connect with
// their own client id and see every device message; the handlers are
// idempotent (presence, plans, events and gaps are keyed by device and id), so the
// duplicates do no harm. Device sign-in and topic confinement are then the
// broker's job (PROTOCOL.md §5, "External broker").
import mqtt from "mqtt";
import type { CloudContext, ControlBus } from "../context.js";
import { topicMatches } from "./topics.js";

export interface ExternalBroker {
	bus: ControlBus;
	close(): Promise<void>;
}

/**
 * `onReconnect` runs after every reconnection but the first connection: the
 * broker may have restarted without its retained messages, and publishes
 * refused while it was away (see `bus.publish`) must be made again.
 */
export async function connectExternalBroker(ctx: CloudContext, onReconnect: () => Promise<void>, timeoutMs = 15_000): Promise<ExternalBroker> {
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
	client.on("connect", () => {
		ctx.log.info({ broker: redact(ctx.config.mqtt) }, "reconnected to the MQTT broker");
		onReconnect().catch((error) => ctx.log.error({ err: error }, "republishing after a reconnection failed"));
	});
	const bus: ControlBus = {
		connected: () => client.connected,
		// Device connections are the broker's (a removed device's credentials stop working there).
		disconnect: () => {},
		// Refused at once while the broker is away (mqtt.js would queue it and the
		// caller — an HTTP request — would wait for the broker to come back).
		publish: (topic, payload, options = {}) => new Promise((resolve, reject) => {
			if (!client.connected) return reject(new Error(`MQTT broker ${redact(ctx.config.mqtt)} not connected`));
			client.publish(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false }, (error) => (error ? reject(error) : resolve()));
		}),
		subscribe: (pattern, handler) => new Promise((resolve, reject) => {
			handlers.push({ pattern, handler });
			client.subscribe(pattern, { qos: 1 }, (error) => (error ? reject(error) : resolve()));
		}),
	};
	return {
		bus,
		close: () => new Promise((resolve) => client.end(false, {}, () => resolve())),
	};
}

const redact = (url: string) => url.replace(/\/\/[^@/]*@/, "//***@");
