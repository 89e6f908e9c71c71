/**
 * The camera's control channel (cloud/PROTOCOL.md §5) over modules/net's MQTT client: signed
 * CONNECT with a fresh password at every connect, a retained "offline" will, presence, the
 * retained plan (parsed by plan.ts; a bad one is logged and ignored, the current plan stays),
 * and the device's publications: events, gaps and status (QoS 1: kept until acknowledged, sent
 * again after a reconnect).
 */
import type { ConnectionOptions } from "../net/connection.js";
import { utf8Decode } from "../net/bytes.js";
import { ConnectRejectedError, MqttClient } from "../net/mqtt-client.js";
import type { DeviceSigner } from "../net/signing.js";
import { presence, topicOf, type TopicKind, willOf } from "../protocol/topics.js";
import { isSignInRefused } from "../protocol/cloud-time.js";
import { parsePlan, PlanError, type Plan } from "./plan.js";
import type { Gap } from "./recorder.js";

/** Where the broker is and how to reach it (address, port, socket, socketOptions): modules/net's options. */
export interface ControlOptions extends Pick<ConnectionOptions, "address" | "port" | "socket" | "socketOptions"> {
	signer: DeviceSigner;
	onPlan: (plan: Plan) => void;
	/** Other commands on `ivxs/<id>/cmd` (PROTOCOL §5: unknown types are ignored). */
	onCommand?: (command: Record<string, unknown>) => void;
	/** The retained OTA offer on `ivxs/<id>/ota` (PROTOCOL §7; undefined: withdrawn or unreadable). Subscribed only with it. */
	onOta?: (offer: unknown) => void;
	onConnect?: () => void;
	log?: (message: string) => void;
	/** Unix ms now (default: the signer's clock, which the cloud's time corrects). */
	clock?: () => number;
	/**
	 * Learns the cloud's time (DeviceSigner.syncClock): called when the broker refuses the
	 * sign-in (not authorized), which a clock more than 300 s off causes; the reconnect then signs
	 * with the corrected clock.
	 */
	syncClock?: () => Promise<unknown>;
	reconnect?: { minDelay?: number; maxDelay?: number };
}

const refusedSignIn = (error: Error) => error instanceof ConnectRejectedError && isSignInRefused(error.returnCode);

/** Unix ms before which a device's clock was never set: nothing ivxs runs on predates it. */
const NEVER_SET_BEFORE_MS = Date.UTC(2024, 0, 1);

export class CloudControl {
	readonly #o: ControlOptions;
	readonly #mqtt: MqttClient;
	readonly #id: string;
	#events = 0;
	#status: Record<string, unknown> = {};

	constructor(options: ControlOptions) {
		this.#o = options;
		const id = options.signer.deviceId;
		this.#id = id;
		this.#mqtt = new MqttClient({
			address: options.address, port: options.port, socket: options.socket, socketOptions: options.socketOptions,
			clientId: id, username: id, password: () => options.signer.mqttPassword(), keepAlive: 60, cleanSession: true,
			will: willOf(id),
			reconnect: { minDelay: options.reconnect?.minDelay ?? 1000, maxDelay: options.reconnect?.maxDelay ?? 10_000 },
			onConnect: () => {
				this.#publish("presence", presence(true, this.#now()), true);
				options.onConnect?.();
			},
			onMessage: (topic, payload) => this.#message(topic, payload),
			onDisconnect: (error, willRetry) => {
				this.#log(`control channel lost: ${error.message}${willRetry ? " (reconnecting)" : ""}`);
				if (refusedSignIn(error)) this.#syncClock();
			},
		});
	}

	get connected(): boolean {
		return this.#mqtt.connected;
	}

	/** Connects (retrying with backoff until it succeeds) and subscribes to the plan and commands. A
	 * clock that was never set (a board counts from 1970 at boot) signs a password the broker
	 * refuses: the cloud's time is learnt first, once, instead of after refusals. */
	async start(): Promise<void> {
		if (this.#o.signer.now() < NEVER_SET_BEFORE_MS) await this.#syncClock();
		await this.#mqtt.connect();
		await this.#mqtt.subscribe([topicOf(this.#id, "plan"), topicOf(this.#id, "cmd"), ...(this.#o.onOta ? [topicOf(this.#id, "ota")] : [])], 1);
	}

	#now(): number {
		return this.#o.clock ? this.#o.clock() : this.#o.signer.now();
	}

	#message(topic: string, payload: Uint8Array): void {
		if (topic === topicOf(this.#id, "plan")) {
			if (payload.length === 0) return this.#log("the cloud removed this device (empty plan)");
			try {
				this.#o.onPlan(parsePlan(utf8Decode(payload)));
			}
			catch (error) {
				if (!(error instanceof PlanError)) throw error;
				this.#log(`plan ignored: ${error.message}`);
			}
			return;
		}
		if (topic === topicOf(this.#id, "cmd")) {
			let command: unknown;
			try {
				command = JSON.parse(utf8Decode(payload));
			}
			catch {
				return this.#log("command ignored: not JSON");
			}
			if (command && typeof command === "object" && !Array.isArray(command)) this.#o.onCommand?.(command as Record<string, unknown>);
			return;
		}
		if (topic === topicOf(this.#id, "ota")) {
			let offer: unknown;
			try {
				offer = payload.length ? JSON.parse(utf8Decode(payload)) : undefined;
			}
			catch {
				offer = undefined;
			}
			this.#o.onOta?.(offer);
		}
	}

	#publish(kind: TopicKind, body: unknown, retain = false): void {
		this.#mqtt.publish(topicOf(this.#id, kind), typeof body === "string" ? body : JSON.stringify(body), { qos: 1, retain }).catch((error: Error) => this.#log(`${kind} not published: ${error.message}`));
	}

	/** An event (PROTOCOL §5): `time` unix ms, `bits` SPEC §1's mask. */
	event(channel: number, time: number, bits: number): void {
		this.#events++;
		this.#publish("event", { id: `${time}-${this.#events}`, channel, time, bits });
	}

	/** Data lost on the camera (PROTOCOL §5 `gap`). */
	gap(gap: Gap): void {
		this.#publish("gap", gap);
	}

	/** A P2P signalling answer (PROTOCOL §5 "P2P signalling"; modules/protocol/signal.ts). */
	p2pAnswer(answer: string): void {
		this.#publish("p2p", answer);
	}

	/** Merges `status` into what the camera said of itself (the OTA state, the viewer wires it serves)
	 * and publishes the whole, retained: each message replaces the cloud's last one. */
	status(status: Record<string, unknown>): void {
		this.#status = { ...this.#status, ...status };
		this.#publish("status", { time: this.#now(), ...this.#status }, true);
	}

	/** Says "offline" itself (the will is only for a dead connection), then disconnects. */
	async close(): Promise<void> {
		if (this.#mqtt.connected) await this.#mqtt.publish(topicOf(this.#id, "presence"), presence(false, this.#now()), { qos: 1, retain: true }).catch(() => {});
		await this.#mqtt.close();
	}

	/** One exchange at a time (the signer shares it); the next refusal tries again. Never rejects. */
	#syncClock(): Promise<void> {
		return (this.#o.syncClock?.() ?? Promise.resolve()).then((moved) => {
			if (typeof moved === "number" && moved) this.#log(`clock set by the cloud's time (moved ${moved} ms)`);
		}, (error: Error) => this.#log(error.message));
	}

	#log(message: string): void {
		this.#o.log?.(`control: ${message}`);
	}
}
