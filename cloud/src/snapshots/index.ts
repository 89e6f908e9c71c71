// Snapshots: a camera uploads JPEG bytes (binary, signed like every device
// request; PROTOCOL.md §4), stored byte-identical as one object each; viewers
// get the latest per channel, a history, and each picture by its time, and
// ask a camera for one now (on-demand.ts).
// Retention marks rows deleted (store.ts owns the table); a tombstoned picture
// stays readable for deleteGraceS.
import type { CloudContext } from "../context.js";
import { createHash } from "node:crypto";
import { HttpError, readBody, sendJson } from "../http/router.js";
import { NotFoundError, objectKey } from "../storage/object-store.js";
import { signUrl } from "../auth/signed-url.js";
import { latestDeviceTime } from "../auth/device-auth.js";
import { channelOf } from "../devices/channels.js";
import { dayMs, iso, limitParam, maxListMs, rangeParams, timeParam } from "../http/params.js";
import { checkJpeg, JpegError } from "./jpeg.js";
import { latestSnapshot, listSnapshots, putSnapshot, snapshotAt, type SnapshotRow } from "./store.js";
import * as onDemand from "./on-demand.js";

export function install(ctx: CloudContext): void {
	const { router, sql } = ctx;
	onDemand.install(ctx);

	router.add("PUT", "/v1/devices/:device/channels/:channel/snapshots", { auth: "device", device: "device" }, async (req, res, params, url, auth) => {
		const channel = channelOf(auth.device, params.channel);
		const time = timeParam(url, "time");
		if (time > latestDeviceTime(ctx)) throw new HttpError(400, "time is in the future");
		const body = await readBody(req, ctx.config.maxSnapshotBytes);
		const hash = createHash("sha256").update(body).digest("hex");
		auth.verifyTrailers(hash);
		try {
			checkJpeg(body);
		}
		catch (error) {
			if (error instanceof JpegError) throw new HttpError(400, error.message);
			throw error;
		}
		const key = objectKey("snapshots", auth.device.id, channel, `${time}.jpg`);
		const known = await snapshotAt(sql, auth.device.id, channel, time);
		if (known && known.deleted === null && known.bytes === body.length && (await ctx.store.get(known.key).catch(() => undefined))?.equals(body))
			return sendJson(res, 200, { duplicate: true, time: iso(time), bytes: body.length });
		await ctx.store.put(key, body);
		await putSnapshot(sql, auth.device.id, channel, time, key, body.length);
		ctx.metrics.inc("ivxs_snapshot_bytes_total", "Snapshot bytes stored", {}, body.length);
		ctx.metrics.inc("ivxs_snapshots_total", "Snapshots stored");
		sendJson(res, 201, { time: iso(time), bytes: body.length });
	});

	const sendPicture = async (res: import("node:http").ServerResponse, row: SnapshotRow, head: boolean, cache: string) => {
		let bytes: Buffer;
		try {
			bytes = await ctx.store.get(row.key);
		}
		catch (error) {
			if (error instanceof NotFoundError) throw new HttpError(404, "the snapshot was deleted");
			throw error;
		}
		res.writeHead(200, { "content-type": "image/jpeg", "content-length": bytes.length, "cache-control": cache, "x-ivxs-time": iso(row.time_ms) });
		res.end(head ? undefined : bytes);
	};

	const viewerOfDevice = { auth: "user", device: "device", signedUrl: true } as const;

	router.add("GET", "/v1/snapshots/:device/:channel/latest", viewerOfDevice, async (req, res, params, _url, { device }) => {
		const channel = channelOf(device, params.channel);
		const row = await latestSnapshot(sql, device.id, channel);
		if (!row) throw new HttpError(404, `no snapshot of ${device.id} channel ${channel}`);
		await sendPicture(res, row, req.method === "HEAD", "no-store");
	});

	router.add("GET", "/v1/snapshots/:device/:channel/:file", viewerOfDevice, async (req, res, params, _url, { device }) => {
		const channel = channelOf(device, params.channel);
		const time = /^([0-9]{1,16})\.jpg$/.exec(params.file)?.[1];
		if (time === undefined) throw new HttpError(400, `snapshot file must be <unix ms>.jpg or latest, not ${JSON.stringify(params.file)}`);
		const row = await snapshotAt(sql, device.id, channel, Number(time));
		if (!row || (row.deleted !== null && row.deleted < Date.now() - ctx.config.deleteGraceS * 1000))
			throw new HttpError(404, `no snapshot of ${device.id} channel ${channel} at ${time}`);
		await sendPicture(res, row, req.method === "HEAD", "private, max-age=31536000, immutable");
	});

	router.add("GET", "/v1/snapshots/:device/:channel", viewerOfDevice, async (_req, res, params, url, { viewer, device }) => {
		const channel = channelOf(device, params.channel);
		const { start, end } = rangeParams(url, maxListMs, dayMs);
		const limit = limitParam(url);
		const rows = await listSnapshots(sql, device.id, channel, start, end, limit + 1);
		sendJson(res, 200, rows.slice(0, limit).map((row) => ({
			time: iso(row.time_ms), timeMs: row.time_ms, bytes: row.bytes,
			url: signUrl(ctx, `/v1/snapshots/${device.id}/${channel}/${row.time_ms}.jpg`, viewer),
		})), rows.length > limit ? { "x-ivxs-more": "1" } : {});
	});
}
