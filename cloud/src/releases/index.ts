// OTA of the camera app layer, the cloud's part (issue 15; cloud/API.md "Releases and rollouts",
// PROTOCOL.md §7): releases uploaded by an admin (bundles signed offline), rollouts driven every
// few seconds and on every device report, the devices told on their retained ivxs/<id>/ota and
// fetching their bundle with signed, ranged GETs.
import type { CloudContext } from "../context.js";
import "./store.js"; // the tables
import { HttpError, readBody, readJson, sendJson } from "../http/router.js";
import { NotFoundError } from "../storage/object-store.js";
import { sendStream } from "../http/backpressure.js";
import { parseTopic } from "../control/topics.js";
import { everyDevice, MAX_RETAINED_BYTES, topicOf } from "../../../modules/protocol/topics.js";
import { otaReportOf } from "../../../modules/protocol/ota.js";
import { ReleaseError, addRelease, findRelease, listReleases, pruneReleases, releaseKey, releaseView, removeRelease } from "./releases.js";
import { readPublicKeys } from "./bundle-crypto.js";
import { changeRollout, createRollout, driveRollouts, findRollout, listRollouts, offeredTo, recordReport, rolloutDevices, rolloutView, stageCounts, type RolloutRequest, type Tell } from "./rollouts.js";

/** How often rollouts move on without a report (s). */
const driveEveryMs = 2000;

const asHttp = async <T>(work: () => Promise<T>): Promise<T> => {
	try {
		return await work();
	}
	catch (error) {
		if (error instanceof ReleaseError) throw new HttpError(error.status, error.message);
		throw error;
	}
};

export async function install(ctx: CloudContext): Promise<void> {
	const { router, sql } = ctx;
	// Read once, at start: a wrong key file stops the service rather than refusing every upload.
	const trusted = readPublicKeys(ctx.config.otaKeys);
	// Not a warning: a cloud that ships no OTA is the default; an upload then says what is missing.
	if (!ctx.config.otaKeys.length) ctx.log.info("no otaKeys configured: OTA releases will be refused at upload");
	const prune = () => pruneReleases(sql, ctx.store, ctx.config.keepReleases)
		.then((removed) => { if (removed.length) ctx.log.info({ removed }, "old releases deleted"); }, (error) => ctx.log.error({ err: error }, "old releases not deleted"));
	void prune();
	const tell: Tell = async (device, offer) => {
		if (!ctx.bus) throw new Error("control channel not connected");
		await ctx.bus.publish(topicOf(device, "ota"), offer ? JSON.stringify(offer) : "", { retain: true, qos: 1 });
	};
	let driving: Promise<void> | undefined;
	const drive = () => {
		if (!ctx.bus?.connected()) return Promise.resolve();
		driving ??= driveRollouts(sql, tell).catch((error) => ctx.log.error({ err: error }, "rollouts not driven")).finally(() => { driving = undefined; });
		return driving;
	};
	ctx.every(driveEveryMs, drive);

	if (ctx.bus) {
		await ctx.bus.subscribe(everyDevice("status"), (topic, payload) => {
			const device = parseTopic(topic)?.device;
			if (!device || !payload.length || payload.length > MAX_RETAINED_BYTES) return;
			let report;
			try {
				report = otaReportOf(JSON.parse(payload.toString("utf8"))?.ota);
			}
			catch {
				return;   // presence.ts logs malformed statuses
			}
			if (!report) return;
			recordReport(sql, tell, device, report).then((changed) => { if (changed) void drive(); }, (error) => ctx.log.error({ err: error, device }, "OTA report not recorded"));
		});
	}

	router.add("POST", "/v1/releases", { auth: "admin" }, async (req, res) => {
		const body = await readBody(req, ctx.config.maxReleaseBytes);
		const { release, created } = await asHttp(() => addRelease(sql, ctx.store, body, trusted));
		ctx.log.info({ version: release.version, bytes: release.bundleSize, created }, "release added");
		if (created) await prune();
		sendJson(res, created ? 201 : 200, releaseView(release));
	});

	router.add("DELETE", "/v1/releases/:version", { auth: "admin" }, async (_req, res, params) => {
		await asHttp(() => removeRelease(sql, ctx.store, params.version));
		ctx.log.info({ version: params.version }, "release removed");
		res.writeHead(204).end();
	});

	router.add("GET", "/v1/releases", { auth: "admin" }, async (_req, res) => {
		sendJson(res, 200, { releases: (await listReleases(sql)).map(releaseView) });
	});

	// The device's own download: signed like every device request, with Range (206) to resume.
	router.add("GET", "/v1/devices/:device/releases/:version", { auth: "device", device: "device" }, async (req, res, params) => {
		const release = await findRelease(sql, params.version);
		if (!release || !await offeredTo(sql, params.device, release.version)) throw new HttpError(404, `no release ${params.version} for ${params.device}`);
		const size = release.bundleSize;
		const match = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(String(req.headers.range ?? ""));
		const start = match ? Number(match[1]) : 0;
		const end = match && match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
		if (match && start >= size) throw new HttpError(416, `range starts past ${size} bytes`, { "content-range": `bytes */${size}` });
		if (end < start) throw new HttpError(416, "empty range", { "content-range": `bytes */${size}` });
		let stream;
		try {
			stream = await ctx.store.getStream(releaseKey(release.version), { start, end });
		}
		catch (error) {
			if (error instanceof NotFoundError) throw new HttpError(404, `release ${release.version} has no bundle`);
			throw error;
		}
		res.writeHead(match ? 206 : 200, {
			"content-type": "application/octet-stream", "content-length": String(end - start + 1), "cache-control": "no-store",
			...(match ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
		});
		ctx.metrics.inc("ivxs_release_bytes_sent_total", "OTA bundle bytes sent to devices", {}, end - start + 1);
		await sendStream(stream, res);
	});

	router.add("POST", "/v1/rollouts", { auth: "admin" }, async (req, res) => {
		const body = await readJson(req) as unknown as RolloutRequest;
		const rollout = await asHttp(() => createRollout(sql, body));
		ctx.log.info({ rollout: rollout.id, version: rollout.version, stages: rollout.stages }, "rollout started");
		void drive();
		sendJson(res, 201, { ...rolloutView(rollout), progress: await stageCounts(sql, rollout) });
	});

	router.add("GET", "/v1/rollouts", { auth: "admin" }, async (_req, res) => {
		const rollouts = await listRollouts(sql);
		sendJson(res, 200, { rollouts: await Promise.all(rollouts.map(async (r) => ({ ...rolloutView(r), progress: await stageCounts(sql, r) }))) });
	});

	router.add("GET", "/v1/rollouts/:rollout", { auth: "admin" }, async (_req, res, params) => {
		const rollout = await findRollout(sql, params.rollout);
		if (!rollout) throw new HttpError(404, `no rollout ${params.rollout}`);
		const devices = (await rolloutDevices(sql, rollout.id)).map((d) => ({ ...d, updated: new Date(d.updated).toISOString() }));
		sendJson(res, 200, { ...rolloutView(rollout), progress: await stageCounts(sql, rollout), devices });
	});

	for (const action of ["pause", "resume", "cancel"] as const) {
		router.add("POST", `/v1/rollouts/:rollout/${action}`, { auth: "admin" }, async (_req, res, params) => {
			const rollout = await asHttp(() => changeRollout(sql, params.rollout, action));
			ctx.log.info({ rollout: rollout.id, action }, "rollout changed");
			void drive();
			sendJson(res, 200, rolloutView(rollout));
		});
	}
}
