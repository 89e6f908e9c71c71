// The embedded broker (aedes): cameras connect to the service's own port (the
// server hands over sockets that start with an MQTT CONNECT). Devices sign in
// per §5 and are confined to their own topics; the service publishes and
// subscribes in process, bypassing the checks. Every connection goes through
// a gate that refuses oversized packets at their fixed header (mqtt-gate.ts).
import aedes from "aedes";
import type { Socket } from "node:net";
import type { CloudContext, ControlBus } from "../context.js";
import { checkMqttPassword, DeviceAuthError } from "./auth.js";
import { devicePublishAllowed, deviceRetainAllowed, deviceSubscribeAllowed, topicOf } from "./topics.js";
import { MqttGate } from "./mqtt-gate.js";

// aedes is CommonJS: its module.exports is the factory (also as .createBroker).
const createBroker = (aedes as unknown as { createBroker: typeof import("aedes").createBroker }).createBroker;

export interface EmbeddedBroker {
	bus: ControlBus;
	take(socket: Socket): void;
	connections(): number;
	close(): Promise<void>;
}

export function startEmbeddedBroker(ctx: CloudContext): EmbeddedBroker {
	// The CONNECT is a request head: the same timer (server.ts cuts a silent socket before).
	const broker = createBroker({ maxClientsIdLength: 64, connectTimeout: ctx.config.headTimeoutS * 1000, heartbeatInterval: 3_600_000 });
	const refuse = (reason: string, clientId: string, address: string | undefined) => {
		ctx.metrics.inc("ivxs_auth_failures_total", "Refused credentials, by kind", { kind: "mqtt" });
		ctx.log.warn({ device: clientId.slice(0, 64), address, reason }, "MQTT connection refused");
	};
	broker.authenticate = async (client, username, password, done) => {
		try {
			// The last will is the device's own offline presence, nothing else (aedes
			// keeps the CONNECT's will in _will until the client is authenticated).
			const will = (client as unknown as { _will?: { topic: string } })._will;
			if (will && will.topic !== topicOf(client.id, "presence")) throw new DeviceAuthError(`will topic ${will.topic} is not its presence`);
			await checkMqttPassword(ctx, client.id, username, password?.toString("latin1") ?? "");
			(client.conn as MqttGate).signedIn();
			done(null, true);
		}
		catch (error) {
			if (!(error instanceof DeviceAuthError)) ctx.log.error({ err: error }, "MQTT authentication failed");
			refuse((error as Error).message, client.id, (client.conn as MqttGate).remoteAddress);
			done(Object.assign(new Error("not authorized"), { returnCode: 5 as const }), false);
		}
	};
	broker.authorizePublish = (client, packet, done) => {
		if (client && devicePublishAllowed(client.id, packet.topic) && (!packet.retain || deviceRetainAllowed(client.id, packet.topic, packet.payload.length))) return done(null);
		ctx.log.warn({ device: client?.id, topic: packet.topic, retain: packet.retain, bytes: packet.payload.length }, "MQTT publish refused: not one of the device's own topics, or a retained message there is not allowed");
		done(new Error(`publish to ${packet.topic} not allowed`));
	};
	broker.authorizeSubscribe = (client, subscription, done) => {
		if (deviceSubscribeAllowed(client.id, subscription.topic)) return done(null, subscription);
		ctx.log.warn({ device: client.id, topic: subscription.topic }, "MQTT subscription refused");
		done(null, null);
	};
	broker.on("clientError", (client, error) => ctx.log.debug({ device: client.id, err: error }, "MQTT client error"));
	broker.on("connectionError", (client, error) => ctx.log.debug({ device: client.id, err: error }, "MQTT connection error"));
	const clients = (broker as unknown as { clients: Record<string, { close(): void }> }).clients;
	const bus: ControlBus = {
		// This instance is the broker: it is up as long as the service is.
		connected: () => true,
		disconnect: (device) => clients[device]?.close(),
		publish: (topic, payload, options = {}) => new Promise((resolve, reject) => broker.publish({
			cmd: "publish", topic, payload: typeof payload === "string" ? Buffer.from(payload) : payload,
			qos: options.qos ?? 1, retain: options.retain ?? false, dup: false,
		}, (error) => (error ? reject(error) : resolve()))),
		subscribe: (pattern, handler) => new Promise((resolve) => broker.subscribe(pattern, (packet, done) => {
			try {
				handler(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
			}
			catch (error) {
				ctx.log.error({ err: error, topic: packet.topic }, "control message handler failed");
			}
			done();
		}, resolve)),
	};
	return {
		bus,
		take: (socket) => {
			const limits = { connectBytes: ctx.config.mqttMaxConnectBytes, packetBytes: ctx.config.mqttMaxPacketBytes };
			broker.handle(new MqttGate(socket, limits, (reason, announced) => {
				ctx.metrics.inc("ivxs_mqtt_packets_refused_total", "MQTT connections closed at a packet's fixed header, by reason", { reason });
				ctx.log.warn({ address: socket.remoteAddress, reason, announced }, "MQTT packet refused at its fixed header");
			}));
		},
		connections: () => broker.connectedClients,
		close: () => new Promise((resolve) => broker.close(() => resolve())),
	};
}
