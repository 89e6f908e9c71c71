// A full disk as the service sees it: a write that fails with ENOSPC or EDQUOT
// (an object) or SQLITE_FULL (the metadata) is answered 507 with Retry-After
// — a 5xx, so the camera keeps the segment in its ring and sends it again
// later (PROTOCOL.md §3.2) — never a 500 with a stack trace per request. The
// condition is logged once when it starts and once when it clears (the next
// segment committed), shown by /healthz and in the metrics. The data volume's
// free space (statfs) and its floor are read here too; what frees room is
// retention's (retention/room.ts).
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";

/** What the camera is told to wait before sending again, seconds (its own backoff caps lower: it retries anyway). */
const fullRetryAfterS = 30;
const gib = 1024 ** 3;

interface Condition {
	since: number;
	refused: number;
}

// Per service context (tests run several in one process).
const conditions = new WeakMap<CloudContext, { full?: Condition }>();
const stateOf = (ctx: CloudContext) => {
	let state = conditions.get(ctx);
	if (!state) conditions.set(ctx, state = {});
	return state;
};

/** Whether `error` says the disk (or the quota) is full. */
export function isNoSpace(error: unknown): boolean {
	const code = (error as { code?: unknown } | undefined)?.code;
	return code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_FULL";
}

/** The full condition since when and how many writes it refused, or undefined when writes go through. */
export const storageFull = (ctx: CloudContext): Readonly<Condition> | undefined => stateOf(ctx).full;

/** Records a failed write for lack of space (logged once per condition); returns the 507 to answer. */
export function noteNoSpace(ctx: CloudContext, error: unknown, where: string): HttpError {
	const state = stateOf(ctx);
	const code = String((error as { code?: unknown }).code);
	if (!state.full) {
		state.full = { since: Date.now(), refused: 0 };
		ctx.log.error({ code, message: (error as Error).message, where }, "storage full: writes are refused (507) until space frees");
	}
	state.full.refused++;
	ctx.metrics.inc("ivxs_storage_full_refusals_total", "Writes refused because the disk (or the metadata) is full, by where and error code", { where, code });
	return new HttpError(507, "the cloud's storage is full: keep the data and send it again later", { "retry-after": String(fullRetryAfterS) });
}

/** A write went through: the full condition (if any) is over. */
export function noteWritten(ctx: CloudContext): void {
	const state = stateOf(ctx);
	if (!state.full) return;
	ctx.log.warn({ refused: state.full.refused, seconds: Math.round((Date.now() - state.full.since) / 1000) }, "storage writable again");
	state.full = undefined;
}

/** The folder whose volume holds what this instance writes locally: the objects (disk storage), else the metadata. */
export const localVolume = (ctx: CloudContext): string => (ctx.store.kind === "disk" ? ctx.config.dataDir : dirname(ctx.config.metadataFile));

/** Free and total bytes of the volume holding `folder` (what an unprivileged writer may use). */
export async function volumeSpace(folder: string): Promise<{ free: number; total: number }> {
	const info = await statfs(folder);
	return { free: info.bavail * info.bsize, total: info.blocks * info.bsize };
}

/** The free-space floor for a volume of `total` bytes: minFreeBytes, or (-1) 5 % of it, at most 1 GiB. */
export const floorBytes = (ctx: CloudContext, total: number): number =>
	ctx.config.minFreeBytes >= 0 ? ctx.config.minFreeBytes : Math.min(gib, Math.floor(total * 0.05));
