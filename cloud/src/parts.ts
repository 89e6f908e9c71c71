// The parts of the service, installed in this order (later parts may use what
// earlier ones set on the context, e.g. `ctx.bus`). One line per part; the
// blank lines keep parallel edits from touching each other.
import type { CloudContext } from "./context.js";
import * as health from "./ops/health.js";
import "./devices/registry.js";

// control imports (ccontrol)
import * as control from "./control/index.js";

// users imports (ccontrol)
import * as users from "./users/index.js";
import * as userAdmin from "./users/admin.js";
import * as devices from "./devices/routes.js";

// ingest imports (cingest)
import * as ingest from "./ingest/index.js";

// recordings imports (cstore)
import * as recordings from "./recordings/index.js";
import * as retention from "./retention/index.js";

// playback imports (cplay)
import * as playback from "./playback/index.js";
import * as snapshots from "./snapshots/index.js";
import * as events from "./events/index.js";

// console imports (cconsole)
import * as webConsole from "./console/index.js";

export interface Part {
	install(ctx: CloudContext): Promise<void> | void;
}

export const parts: Part[] = [
	health,

	// control (ccontrol)
	control,

	// users (ccontrol)
	users,
	userAdmin,
	devices,

	// ingest (cingest)
	ingest,

	// recordings, retention (cstore)
	recordings, retention,

	// playback, snapshots, events (cplay)
	playback, snapshots, events,

	// console (cconsole)
	webConsole,
];
