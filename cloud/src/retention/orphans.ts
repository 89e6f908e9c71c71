// Objects no row owns: a crash (or a cut connection to the metadata) between
// an object's put and the commit of its row leaves bytes nothing reads and
// nothing would ever delete. The sweep runs with retention on the holder of the
// upkeep lease (once in a cluster), walks the store in key order from where its
// last pass stopped, looks at `orphanSweepObjects` objects per pass, and deletes
// those older than `orphanGraceS` (an upload in flight has put its object but
// not yet committed its row) that no row owns. Owners, by kind of key:
//   media/<device>/<channel>/<stream>/init.mp4   the stream's row (streams.init_key)
//   media/<device>/<channel>/<stream>/<seq>.m4s  a live segment row (segments.key)
//   files/<device>/<channel>/<name>.mp4          a recording file row, any state (files.key)
//   snapshots/<device>/<channel>/<time>.jpg      a live snapshot row; event pictures are snapshots
// and any key queued for deletion (tombstones: its own sweep deletes it after its grace).
// Keys of any other shape (releases/, which the releases part owns; the disk
// store's tmp/) are never touched.
import type { CloudContext } from "../context.js";
import type { Sql } from "../meta/sql.js";
import { initUses } from "../catalogue/index.js";
import { isTombstoned } from "../storage/tombstones.js";
import { objectInUse } from "./objects.js";

const kinds: [RegExp, (sql: Sql, key: string, match: RegExpExecArray) => Promise<boolean>][] = [
	[/^media\/([^/]+)\/(\d+)\/([^/]+)\/init\.mp4$/, (sql, key, [, device, channel, stream]) => initUses(sql, device, Number(channel), stream, key)],
	[/^media\/[^/]+\/\d+\/[^/]+\/\d+\.m4s$/, objectInUse],
	[/^files\/[^/]+\/\d+\/[^/]+\.mp4$/, objectInUse],
	[/^snapshots\/[^/]+\/\d+\/\d+\.jpg$/, objectInUse],
];

/** Whether `key` is owned: true for a key of no known kind (never deleted). */
async function owned(sql: Sql, key: string): Promise<boolean> {
	for (const [pattern, uses] of kinds) {
		const match = pattern.exec(key);
		if (match) return await uses(sql, key, match) || await isTombstoned(sql, key);
	}
	return true;
}

export interface OrphanPass {
	/** Objects looked at, and deleted. */
	checked: number;
	deleted: number;
	/** True when the walk reached the end of the store (the next pass starts over). */
	wrapped: boolean;
}

/** Where each instance's walk stands (the lease holder's; another holder starts over). */
const cursors = new WeakMap<CloudContext, string>();

/** One pass: at most `limit` objects after the last pass's, orphans older than the grace deleted. */
export async function sweepOrphans(ctx: CloudContext, now = Date.now(), limit = ctx.config.orphanSweepObjects): Promise<OrphanPass> {
	const before = now - ctx.config.orphanGraceS * 1000;
	const pass: OrphanPass = { checked: 0, deleted: 0, wrapped: true };
	let cursor = cursors.get(ctx) ?? "";
	for await (const info of ctx.store.list("", cursor)) {
		if (pass.checked === limit) {
			pass.wrapped = false;
			break;
		}
		pass.checked++;
		cursor = info.key;
		if (info.modified.getTime() > before || await owned(ctx.sql, info.key)) continue;
		// A resend of that upload rewrites the object (a new time) before it commits its row: looked
		// at again just before the delete, such an object is no longer past the grace.
		const current = await ctx.store.head(info.key);
		if (!current || current.modified.getTime() > before) continue;
		await ctx.store.delete(info.key);
		pass.deleted++;
		ctx.log.warn({ key: info.key, bytes: info.size }, "deleted an object no row owns");
	}
	cursors.set(ctx, pass.wrapped ? "" : cursor);
	if (pass.deleted) ctx.metrics.inc("ivxs_orphans_deleted_total", "Objects no row owned (a crash between put and commit), deleted after ORPHAN_GRACE_S", {}, pass.deleted);
	return pass;
}
