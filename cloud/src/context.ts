// What every part of the service is given: configuration, logger, metadata,
// object store, router, metrics, segment events, the control channel, and a
// place to register work to finish at shutdown. Parts are installed in order by server.ts; each
// exports `install(ctx)`. This file is the seam between the service and its
// parts: it names types of every layer (cloud/README.md, "Layers") and holds no code.
import type { Logger } from "pino";
import type { Config } from "./config.js";
import type { Sql } from "./meta/sql.js";
import type { ObjectStore } from "./storage/object-store.js";
import type { Router } from "./http/router.js";
import type { Metrics } from "./ops/metrics.js";
import type { Socket } from "node:net";
import type { EventEmitter } from "node:events";
import type { SegmentRow, StreamRow } from "./catalogue/index.js";
import type { IncomingPart } from "./playback/live-parts.js";
import type { Viewer } from "./users/access.js";
import type { Device } from "./devices/registry.js";
import type { DeviceAuth } from "./auth/device-auth.js";
import type { ClientAddresses } from "./net/client-address.js";

/** Who the routes' access rules let in (http/router.ts): a user, the device a rule names, a signed device request. */
export interface CloudCallers {
	viewer: Viewer;
	device: Device;
	deviceRequest: DeviceAuth;
}

/**
 * What ingest announces in this instance: 'segment' after each commit, 'end' when a camera ends a
 * stream; 'part' for each fragment of a segment upload as it arrives (LL-HLS parts) and
 * 'partsFailed' when such an upload fails (its parts vanish).
 */
export type SegmentEvents = EventEmitter<SegmentEventMap>;
export interface SegmentEventMap {
	segment: [SegmentRow];
	end: [StreamRow];
	part: [IncomingPart];
	partsFailed: [{ device: string; channel: number; stream: string; seq: number }];
}

/** The control channel as the service sees it (embedded aedes or an external broker). */
export interface ControlBus {
	publish(topic: string, payload: string | Buffer, options?: { retain?: boolean; qos?: 0 | 1 }): Promise<void>;
	/** `pattern` uses MQTT wildcards (+, #). */
	subscribe(pattern: string, handler: (topic: string, payload: Buffer) => void): Promise<void>;
	/** Whether the channel can reach devices now (the embedded broker is up, or the external one connected). */
	connected(): boolean;
	/** Cuts a device's connection when this instance holds it (embedded broker; an external broker holds its own). */
	disconnect(device: string): void;
}

export interface CloudContext {
	readonly config: Config;
	readonly log: Logger;
	/** The metadata, through the async layer (meta/sql.ts): SQLite or PostgreSQL (METADATA_URL). */
	readonly sql: Sql;
	readonly store: ObjectStore;
	readonly router: Router<CloudCallers>;
	readonly metrics: Metrics;
	/** Segment commits in this instance (live playlists wait on them; another instance's are seen by polling). */
	readonly segmentEvents: SegmentEvents;
	/** A random id per running instance (logs, leases). */
	readonly instanceId: string;
	/** Who a request comes from (trusted proxies, X-Forwarded-For): what per-address limits key by. */
	readonly addresses: ClientAddresses;
	/** Set by the control part once connected. */
	bus?: ControlBus;
	/** Set by the embedded broker: takes a raw socket whose first byte is an MQTT CONNECT. */
	mqttSocket?: (socket: Socket) => void;
	/** Runs at shutdown, in reverse order of registration; each may finish work in flight. */
	onStop(task: () => Promise<void> | void): void;
	/** Periodic work (retention, file assembly); stopped at shutdown. */
	every(ms: number, task: () => Promise<void> | void): void;
}
