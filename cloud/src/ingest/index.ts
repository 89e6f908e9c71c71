// The ingest part (PROTOCOL.md §2, §3): device signatures, stream inits,
// segments, stream ends. What it stores is the catalogue's; each commit is
// announced on ctx.segmentEvents.
import type { CloudContext } from "../context.js";
import { install as installDeviceAuth } from "../auth/device-auth.js";
import { Ingest } from "./routes.js";

export function install(ctx: CloudContext): void {
	installDeviceAuth(ctx);
	new Ingest(ctx);
}
