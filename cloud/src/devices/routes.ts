// The devices API for viewers and admins:
//   GET    /v1/devices              devices granted to the viewer (admin: all), with presence, plan, last snapshot
//   GET    /v1/devices/:id          one of them
//   POST   /v1/devices              admin: { id, name?, channels? } → 201 with the secret (shown only now)
//   PATCH  /v1/devices/:id          admin: { name?, timeZone? } — rename, the camera's time zone (IANA or null)
//   DELETE /v1/devices/:id          admin: the device and everything of it (removal.ts), its retained messages
//   GET    /v1/devices/:id/plan     the storage plan
//   PUT    /v1/devices/:id/plan     a partial plan; stored as rev+1 and published retained
import type { CloudContext } from "../context.js";
import { HttpError, readJson, sendJson } from "../http/router.js";
import type { Viewer } from "../users/access.js";
import { signUrl } from "../auth/signed-url.js";
import { ensurePlan, mergePlan, publishPlan, readPlan, writePlan, defaultPlan } from "../control/plans.js";
import { presenceOf } from "../control/presence.js";
import { clearRetained } from "../control/retained.js";
import { latestOfDevice } from "../snapshots/store.js";
import { grantedDevices } from "../users/store.js";
import { DeviceError, findDevice, listDevices, updateDevice, type Device } from "./registry.js";
import { addFreshDevice, purgeDevice } from "./removal.js";

async function describe(ctx: CloudContext, device: Device, viewer: Viewer) {
	const presence = await presenceOf(ctx.sql, device.id);
	const snapshot = await latestOfDevice(ctx.sql, device.id);
	return {
		id: device.id, name: device.name, channels: device.channels, created: device.created, disabled: device.disabled, timeZone: device.timeZone,
		online: presence?.online ?? false, since: presence?.since ?? null, status: presence?.status ?? null,
		plan: await readPlan(ctx.sql, device.id) ?? null,
		// A signed link (API.md), so an <img> shows it without a cookie.
		lastSnapshot: snapshot ? { channel: snapshot.channel, time: snapshot.time_ms, url: signUrl(ctx, `/v1/snapshots/${device.id}/${snapshot.channel}/${snapshot.time_ms}.jpg`, viewer) } : null,
	};
}

async function visibleDevices(ctx: CloudContext, viewer: Viewer): Promise<Device[]> {
	if (viewer.admin) return await listDevices(ctx.sql);
	const granted = await Promise.all((await grantedDevices(ctx.sql, viewer.user)).map((device) => findDevice(ctx.sql, device)));
	return granted.filter((device): device is Device => !!device);
}

export function install(ctx: CloudContext): void {
	ctx.router.add("GET", "/v1/devices", { auth: "user" }, async (_req, res, _params, _url, { viewer }) => {
		sendJson(res, 200, { devices: await Promise.all((await visibleDevices(ctx, viewer)).map((device) => describe(ctx, device, viewer))) });
	});

	ctx.router.add("GET", "/v1/devices/:id", { auth: "user", device: "id" }, async (_req, res, _params, _url, { viewer, device }) => {
		sendJson(res, 200, await describe(ctx, device, viewer));
	});

	ctx.router.add("POST", "/v1/devices", { auth: "admin" }, async (req, res, _params, _url, { viewer }) => {
		const body = await readJson(req, 4096);
		for (const key of Object.keys(body)) if (!["id", "name", "channels"].includes(key)) throw new HttpError(400, `unknown device field "${key}"`);
		let device: Device;
		try {
			device = await addFreshDevice(ctx.sql, ctx.config, body as { id: string; name?: string; channels?: number });
		}
		catch (error) {
			if (error instanceof DeviceError) throw new HttpError(/already exists/.test(error.message) ? 409 : 400, error.message);
			throw error;
		}
		// Whatever an earlier device of this id left retained on the broker goes before the new plan.
		await clearRetained(ctx, device.id).catch((error) => ctx.log.warn({ err: error, device: device.id }, "retained messages not cleared"));
		await ensurePlan(ctx, device.id).catch((error) => ctx.log.warn({ err: error, device: device.id }, "default plan stored, not yet published"));
		ctx.log.info({ device: device.id }, "device added");
		sendJson(res, 201, { ...await describe(ctx, device, viewer), secret: device.secret }, { location: `/v1/devices/${device.id}` });
	});

	ctx.router.add("PATCH", "/v1/devices/:id", { auth: "admin", device: "id" }, async (req, res, _params, _url, { viewer, device }) => {
		const body = await readJson(req, 4096);
		for (const key of Object.keys(body)) if (!["name", "timeZone"].includes(key)) throw new HttpError(400, `unknown device field "${key}" (name and timeZone can change)`);
		let changed: Device | undefined;
		try {
			changed = await updateDevice(ctx.sql, device.id, body);
		}
		catch (error) {
			if (error instanceof DeviceError) throw new HttpError(400, error.message);
			throw error;
		}
		if (!changed) throw new HttpError(404, `no device ${device.id}`);
		ctx.log.info({ device: device.id, fields: Object.keys(body) }, "device changed");
		sendJson(res, 200, await describe(ctx, changed, viewer));
	});

	ctx.router.add("DELETE", "/v1/devices/:id", { auth: "admin", device: "id" }, async (_req, res, params) => {
		const purged = await purgeDevice(ctx.sql, ctx.config, params.id);
		ctx.bus?.disconnect(params.id);
		await clearRetained(ctx, params.id).catch((error) => ctx.log.warn({ err: error, device: params.id }, "retained messages not cleared"));
		ctx.log.info({ device: params.id, rows: purged.rows, objects: purged.objects }, "device removed with its data (objects after the grace)");
		res.writeHead(204).end();
	});

	ctx.router.add("GET", "/v1/devices/:id/plan", { auth: "user", device: "id" }, async (_req, res, _params, _url, { device }) => {
		sendJson(res, 200, await readPlan(ctx.sql, device.id) ?? { ...defaultPlan(device.channels), rev: 0 });
	});

	ctx.router.add("PUT", "/v1/devices/:id/plan", { auth: "user", device: "id" }, async (req, res, _params, _url, { device }) => {
		const change = await readJson(req, 4096);
		if (change.rev !== undefined && (!Number.isInteger(change.rev) || (change.rev as number) < 0)) throw new HttpError(400, "rev must be a non-negative integer");
		const current = await readPlan(ctx.sql, device.id) ?? { ...defaultPlan(device.channels), rev: 0 };
		const { rev: _rev, ...base } = current;
		const { rev: expectRev, ...fields } = change;
		const plan = await writePlan(ctx.sql, device.id, mergePlan(base, fields, device.channels), expectRev as number | undefined);
		// Stored either way; when the broker is away it is published on reconnection.
		const published = await publishPlan(ctx, device.id, plan).then(() => true, (error) => {
			ctx.log.warn({ err: error, device: device.id, rev: plan.rev }, "plan stored, not yet published");
			return false;
		});
		ctx.log.info({ device: device.id, rev: plan.rev, mode: plan.mode, published }, "plan changed");
		sendJson(res, 200, { ...plan, published });
	});
}
