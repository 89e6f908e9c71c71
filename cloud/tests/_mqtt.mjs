// Test helpers for the control channel: a camera's MQTT connection (signed
// CONNECT, last will, presence) and waiting for messages.
// Topics are written out here and in the tests (`ivxs/<id>/presence`, …), not
// taken from modules/protocol/topics.ts: the wire form of PROTOCOL §5 as a check.
import mqtt from "mqtt";
import { mqttPassword } from "../../build/node/cloud/src/control/auth.js";

/** The broker URL of a cloud whose MQTT shares its HTTP port. */
export const mqttUrlOf = (cloud) => cloud.url.replace(/^http/, "mqtt");

/**
 * Connects as device `{ id, secret }`; resolves once connected, rejects with the CONNACK error.
 * The CONNACK is awaited 20 s: a refusal comes at once, and a good sign-in on a machine loaded by
 * the whole suite can take more than 5 s (mqtt.js's "connack timeout").
 */
export function connectDevice(url, device, options = {}) {
	const client = mqtt.connect(url, {
		clientId: device.id, username: device.id, password: options.password ?? mqttPassword(device.id, device.secret),
		protocolVersion: 4, clean: true, keepalive: 60, reconnectPeriod: 0, connectTimeout: 20_000,
		will: { topic: `ivxs/${device.id}/presence`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
		...options.mqtt,
	});
	const messages = [];
	const waiters = [];
	client.on("message", (topic, payload) => {
		messages.push({ topic, payload: payload.toString() });
		for (const waiter of [...waiters]) waiter();
	});
	return new Promise((resolve, reject) => {
		client.once("connect", () => resolve(Object.assign(client, {
			messages,
			/** Resolves with the first message (seen or to come) on `topic` passing `test`. */
			next(topic, test = () => true, timeoutMs = 5000) {
				return new Promise((resolve, reject) => {
					const check = () => {
						const found = messages.find((m) => m.topic === topic && test(m.payload));
						if (!found) return false;
						waiters.splice(waiters.indexOf(check), 1);
						clearTimeout(timer);
						resolve(found.payload);
						return true;
					};
					const timer = setTimeout(() => {
						waiters.splice(waiters.indexOf(check), 1);
						reject(new Error(`no message on ${topic} within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
					}, timeoutMs);
					waiters.push(check);
					check();
				});
			},
			online: () => client.publishAsync(`ivxs/${device.id}/presence`, JSON.stringify({ online: true, time: Date.now() }), { qos: 1, retain: true }),
		})));
		client.once("error", (error) => {
			client.end(true);
			reject(error);
		});
		client.once("close", () => reject(new Error("connection closed before CONNACK")));
	});
}

/** Polls `probe` until it returns a truthy value (or throws after `timeoutMs`). */
export async function eventually(probe, timeoutMs = 5000) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}
