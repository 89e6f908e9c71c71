// The ingest part (PROTOCOL.md §2, §3): device signatures, stream inits,
// segments, stream ends. What it stores is the catalogue's; each commit is
// announced on ctx.segmentEvents.
import type { CloudContext } from "../context.js";
import { purgeNonces } from "../auth/device-auth.js";
import { Ingest } from "./routes.js";

export function install(ctx: CloudContext): void {
	// The nonces of device requests (ingest's and snapshots'): kept only as long as a replay could pass the time check.
	ctx.every(60_000, async () => void await purgeNonces(ctx.sql));
	new Ingest(ctx);
}
