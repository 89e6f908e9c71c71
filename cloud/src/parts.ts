// The parts of the service, installed in this order (later parts may use what
// earlier ones set on the context, e.g. `ctx.bus`).
import type { CloudContext } from "./context.js";
import * as health from "./ops/health.js";
import "./devices/registry.js";

export interface Part {
	install(ctx: CloudContext): Promise<void> | void;
}

export const parts: Part[] = [
	health,
];
