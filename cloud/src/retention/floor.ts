// The free-space floor of the data volume: checked every few seconds (statfs)
// and before an assembly writes a file. Under it, room is made at once
// (room.ts) and the objects freed are deleted now, not after their grace: a
// disk about to fill would refuse every camera. Logged once when the volume
// goes under the floor and once when it is back above. With S3 storage the
// local volume holds only the metadata: the floor is reported, nothing is
// deleted for it.
import type { CloudContext } from "../context.js";
import { floorBytes, localVolume, volumeSpace } from "../storage/space.js";
import { holdLease, leaseMs, leaseName } from "../recordings/lease.js";
import { countRoom, makeRoom } from "./room.js";
import { sweepTombstones, tombstoneDropped } from "./objects.js";

export const floorEveryMs = 5_000;

const under = new WeakMap<CloudContext, boolean>();

/**
 * Keeps `need` more bytes free above the floor (0: the floor alone), making
 * room when this instance holds the upkeep lease. True when there is room.
 */
export async function keepFloor(ctx: CloudContext, need = 0, now = Date.now()): Promise<boolean> {
	const volume = localVolume(ctx);
	let space = await volumeSpace(volume);
	const floor = floorBytes(ctx, space.total);
	ctx.metrics.set("ivxs_storage_free_bytes", "Free bytes of the volume holding the data (statfs)", space.free);
	ctx.metrics.set("ivxs_storage_floor_bytes", "The free-space floor kept on that volume", floor);
	// The condition (logged once each way) is the volume's; an assembly's need only makes room.
	const below = space.free < floor;
	if (below !== (under.get(ctx) ?? false)) {
		under.set(ctx, below);
		if (!below) ctx.log.warn({ volume, free: space.free, floor }, "free space back above the floor");
		else ctx.log.error({ volume, free: space.free, floor }, ctx.store.kind === "disk"
			? "free space under the floor: deleting the oldest recordings now (grace cut short)"
			: "free space under the floor on the metadata volume (objects are in S3: nothing to delete here)");
	}
	const short = floor + need - space.free;
	if (short <= 0) return true;
	if (ctx.store.kind !== "disk" || !await holdLease(ctx.sql, leaseName, ctx.instanceId, now, leaseMs)) return false;
	// A tenth of the floor more than the shortfall: not back here at the next write.
	const bytes = short + Math.ceil(floor / 10);
	countRoom(ctx, await ctx.sql.transaction(async (tx) => {
		const keys = new Map<string, number>();
		const room = await makeRoom(ctx, tx, bytes, now, keys, need ? "assembly" : "floor");
		await tombstoneDropped(tx, keys, now);
		return room;
	}));
	await sweepTombstones(ctx, now);
	space = await volumeSpace(volume);
	ctx.metrics.set("ivxs_storage_free_bytes", "Free bytes of the volume holding the data (statfs)", space.free);
	return space.free - need >= floor;
}
