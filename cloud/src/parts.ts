// The parts of the service, installed in this order: later parts may use what
// earlier ones set on the context (the control part sets `ctx.bus`; events
// and gaps subscribe on it) and the tables earlier ones declare.
import type { CloudContext } from "./context.js";
import * as health from "./ops/health.js";
import "./devices/registry.js";
import * as control from "./control/index.js";
import * as users from "./users/index.js";
import * as userAdmin from "./users/admin.js";
import * as devices from "./devices/routes.js";
import * as deviceTime from "./devices/time.js";
import * as ingest from "./ingest/index.js";
import * as recordings from "./recordings/index.js";
import * as retention from "./retention/index.js";
import * as playback from "./playback/index.js";
import * as snapshots from "./snapshots/index.js";
import * as events from "./events/index.js";
import * as gaps from "./gaps/index.js";
import * as releases from "./releases/index.js";
import * as p2p from "./p2p/index.js";
import * as webConsole from "./console/index.js";

export interface Part {
	install(ctx: CloudContext): Promise<void> | void;
}

export const parts: Part[] = [
	health,
	control,
	users, userAdmin, devices, deviceTime,
	ingest,
	recordings, retention,
	playback, snapshots, events, gaps, releases, p2p,
	webConsole,
];
